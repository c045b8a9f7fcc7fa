//! One-click verification against the simulator (SPEC §6): every step green on a healthy setup, with its
//! time, through the real path (the queue's worker, a rep's comment with the rep as author, the trigger, the
//! signed webhook, the relay, the reply worker); and for each way the loop breaks, the step that fails with
//! its cause and fix. Through the CLI: exit codes and JSON keys.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use handoff::clock::Clock;
use handoff::setup::checklist::{FixAction, ItemId, ItemState};
use handoff::setup::Scope;
use handoff::verify::{
    self, RelayChoice, RelayUse, Replier, StepId, StepState, VerifyEvent, VerifyOptions,
    VerifyReport,
};
use serde_json::Value;
use zendesk_sim::Seed;

use crate::setup::{dead_url, set_public_url, setup_rig, start_relay, SetupRig};

/// A set-up account whose public URL is a free loopback port: the verification hosts the relay there.
async fn healthy() -> SetupRig {
    let rig = setup_rig(Seed::Minimal).await;
    rig.setup(Scope::All, false).await;
    rig
}

async fn verify(rig: &SetupRig, options: VerifyOptions) -> (VerifyReport, Vec<VerifyEvent>) {
    verify_with(&rig.profile, &rig.clock, options).await
}

async fn verify_with(
    profile: &handoff::profile::Profile,
    clock: &Clock,
    options: VerifyOptions,
) -> (VerifyReport, Vec<VerifyEvent>) {
    let mut events = Vec::new();
    let report = verify::run(profile, clock, options, |event| events.push(event.clone()))
        .await
        .unwrap_or_else(|e| panic!("verify: {e}"));
    (report, events)
}

fn states(report: &VerifyReport) -> Vec<(StepId, StepState)> {
    report.steps.iter().map(|s| (s.id, s.state)).collect()
}

/// The steps up to `failed` passed, `failed` failed, the rest (but the clean-up) were skipped.
fn failed_at(
    report: &VerifyReport,
    failed: StepId,
    cleanup: StepState,
) -> Vec<(StepId, StepState)> {
    let at = StepId::ALL.iter().position(|id| *id == failed).unwrap_or(0);
    StepId::ALL
        .iter()
        .enumerate()
        .map(|(index, id)| {
            let state = match (index, *id) {
                (_, StepId::Cleanup) => cleanup,
                (i, _) if i < at => StepState::Passed,
                (i, _) if i == at => StepState::Failed,
                _ => StepState::Skipped,
            };
            (*id, state)
        })
        .filter(|_| !report.steps.is_empty())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_setup_passes_every_step_through_the_real_path() {
    let rig = healthy().await;
    rig.take_requests();
    let (report, events) = verify(&rig, VerifyOptions::default()).await;
    assert!(report.passed, "{:#?}", report.steps);
    assert_eq!(
        states(&report),
        StepId::ALL.map(|id| (id, StepState::Passed)).to_vec()
    );
    for step in &report.steps {
        assert!(step.duration.is_some(), "{step:?} has its time");
        assert_eq!((&step.cause, &step.fix), (&None, &None), "{step:?}");
        println!(
            "{:>14} {:>5} ms  {}",
            step.id.as_str(),
            step.duration.unwrap_or_default().as_millis(),
            step.detail
        );
    }
    println!("verification: {} ms", report.wall.as_millis());
    // Live progress: each step is told as it starts, then as it ends, in order; the relay before them.
    assert!(matches!(
        events.first(),
        Some(VerifyEvent::Step(step)) if step.id == StepId::Credentials && step.state == StepState::Running
    ));
    assert!(events
        .iter()
        .any(|e| matches!(e, VerifyEvent::Relay(RelayUse::Hosted { .. }))));
    let told: Vec<(StepId, StepState)> = events
        .iter()
        .filter_map(|e| match e {
            VerifyEvent::Step(s) => Some((s.id, s.state)),
            _ => None,
        })
        .collect();
    let expected: Vec<(StepId, StepState)> = StepId::ALL
        .iter()
        .flat_map(|id| [(*id, StepState::Running), (*id, StepState::Passed)])
        .collect();
    assert_eq!(told, expected);

    // The reply went through the API as the rep (author_id), the way the agent workspace writes it; the
    // trigger fired and Zendesk's signed delivery succeeded.
    let requests = rig.take_requests();
    let agent = rig
        .sim
        .sim
        .credential_of("agent@example.com")
        .unwrap_or_else(|| panic!("the seeded agent"));
    assert_eq!(
        report.replier.as_ref().map(|u| u.id),
        Some(agent.user_id),
        "the first active full agent who is not the integration's user"
    );
    let ticket = report.ticket_id.unwrap_or_else(|| panic!("a ticket"));
    let reply = requests
        .iter()
        .find(|r| r.method == "PUT" && r.path.contains(&format!("/tickets/{ticket}")))
        .unwrap_or_else(|| panic!("the reply was a ticket update"));
    let body: Value = serde_json::from_str(&reply.body).unwrap_or_default();
    assert_eq!(body["ticket"]["comment"]["author_id"], agent.user_id);
    assert_eq!(body["ticket"]["comment"]["public"], true);
    assert!(rig
        .sim
        .sim
        .deliveries()
        .iter()
        .any(|d| d.ticket_id == Some(ticket) && d.status == "success"));

    // Cleaned up: the ticket and the contact's user are gone from Zendesk.
    assert!(matches!(
        rig.admin.show_ticket(ticket).await,
        Err(zendesk::Error::NotFound { .. })
    ));
    let deleted_user = requests
        .iter()
        .find(|r| r.method == "DELETE" && r.path.starts_with("/api/v2/users/"));
    assert!(deleted_user.is_some(), "the contact's user is deleted");

    // Kept where the checklist reads it.
    let checklist = rig.checklist().await;
    let item = checklist
        .item(ItemId::Verification)
        .unwrap_or_else(|| panic!("item"));
    assert_eq!(item.state, ItemState::Ok, "{item:?}");
    let stored = rig
        .profile
        .store()
        .last_verification_steps()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_default();
    let stored: Value = serde_json::from_str(&stored).unwrap_or_default();
    assert_eq!(stored.as_array().map(Vec::len), Some(StepId::ALL.len()));
    assert!(stored[0]["duration_ms"].is_u64(), "{stored}");
}

/// How the loop is broken before a run, and what the run must say.
struct Broken {
    what: &'static str,
    failed: StepId,
    says: &'static str,
    action: FixAction,
}

#[tokio::test(flavor = "multi_thread")]
async fn each_broken_loop_names_its_failing_step_with_the_cause_and_fix() {
    let table = [
        Broken {
            what: "the trigger deactivated in Zendesk",
            failed: StepId::Setup,
            says: "deactivated",
            action: FixAction::RepairTrigger,
        },
        Broken {
            what: "the webhook deleted in Zendesk",
            failed: StepId::Setup,
            says: "deleted in Zendesk",
            action: FixAction::RepairWebhook,
        },
        Broken {
            what: "a relay Zendesk cannot reach",
            failed: StepId::Setup,
            says: "could not reach",
            action: FixAction::StartRelay,
        },
        Broken {
            what: "the API token no longer accepted",
            failed: StepId::Credentials,
            says: "no longer accepts",
            action: FixAction::Reconnect,
        },
    ];
    for broken in table {
        let rig = healthy().await;
        let mut options = VerifyOptions::default();
        match broken.failed {
            _ if broken.what.starts_with("the trigger") => {
                let mut trigger = handoff::setup::spec::trigger(&rig.webhook_id());
                trigger.active = Some(false);
                rig.admin
                    .update_trigger(rig.trigger_id(), &trigger)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            _ if broken.what.starts_with("the webhook") => {
                rig.admin
                    .delete_webhook(&rig.webhook_id())
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            _ if broken.what.starts_with("a relay") => {
                // Zendesk posts to a port where nothing listens; the run's own relay listens elsewhere.
                let elsewhere = dead_url().await;
                let listen = elsewhere
                    .trim_start_matches("http://")
                    .parse()
                    .unwrap_or_else(|e| panic!("{e}"));
                options.relay = RelayChoice::Auto {
                    listen: Some(listen),
                };
            }
            _ => {
                rig.profile
                    .keychain()
                    .unwrap_or_else(|e| panic!("{e}"))
                    .put(
                        handoff::keychain::SecretName::ZendeskApiToken,
                        &handoff::SecretString::from("a-token-zendesk-revoked"),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
        rig.take_requests();
        let (report, _) = verify(&rig, options).await;
        assert!(!report.passed, "{}", broken.what);
        assert_eq!(
            states(&report),
            failed_at(&report, broken.failed, StepState::Skipped),
            "{}: {:#?}",
            broken.what,
            report.steps
        );
        let step = report
            .failed_step()
            .unwrap_or_else(|| panic!("{}: a failed step", broken.what));
        let cause = step.cause.clone().unwrap_or_default();
        assert!(
            cause.contains(broken.says),
            "{}: the cause says {:?}: {cause}",
            broken.what,
            broken.says
        );
        assert!(
            step.fix.as_deref().is_some_and(|f| f.contains("handoff ")),
            "{}: a fix to run: {step:?}",
            broken.what
        );
        assert_eq!(step.action, Some(broken.action), "{}", broken.what);
        // Nothing was made in Zendesk before the loop was known to be broken.
        assert!(
            rig.take_requests()
                .iter()
                .all(|r| !(r.method == "POST" && r.path.starts_with("/api/v2/tickets"))),
            "{}: no ticket made",
            broken.what
        );
        let row = rig
            .profile
            .store()
            .last_verification()
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("recorded"));
        assert!(!row.passed);
        assert_eq!(row.failed_step.as_deref(), Some(broken.failed.as_str()));
    }
}

/// The relay stops after the ticket is made: Zendesk's delivery fails, and the webhook step says so from the
/// webhook's invocation log; the ticket is still cleaned up.
#[tokio::test(flavor = "multi_thread")]
async fn a_relay_that_stops_is_named_from_the_invocation_log_and_the_ticket_is_still_deleted() {
    let rig = setup_rig(Seed::Minimal).await;
    let stop = start_relay(&rig).await;
    rig.setup(Scope::All, false).await;
    let stop = Arc::new(Mutex::new(Some(stop)));
    let on_ticket = stop.clone();
    let mut events = Vec::new();
    let report = verify::run(
        &rig.profile,
        &rig.clock,
        VerifyOptions {
            webhook_wait: Duration::from_secs(15),
            ..VerifyOptions::default()
        },
        |event| {
            events.push(event.clone());
            if matches!(event, VerifyEvent::Step(s) if s.id == StepId::Ticket && s.state == StepState::Passed)
            {
                if let Some(stop) = on_ticket.lock().ok().and_then(|mut s| s.take()) {
                    let _ = stop.send(());
                    // Let the server close its connections before the reply fires the trigger.
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(events
        .iter()
        .any(|e| matches!(e, VerifyEvent::Relay(RelayUse::Running { .. }))));
    assert_eq!(
        states(&report),
        failed_at(&report, StepId::Webhook, StepState::Passed),
        "{:#?}",
        report.steps
    );
    let step = report.failed_step().unwrap_or_else(|| panic!("failed"));
    let cause = step.cause.clone().unwrap_or_default();
    assert!(
        cause.contains("invocation log") && cause.contains("could not reach"),
        "{cause}"
    );
    assert_eq!(step.action, Some(FixAction::StartRelay));
    let ticket = report
        .ticket_id
        .unwrap_or_else(|| panic!("a ticket was made"));
    assert!(matches!(
        rig.admin.show_ticket(ticket).await,
        Err(zendesk::Error::NotFound { .. })
    ));
}

/// `--as-agent` picks the rep; the integration's own user or a light agent is refused with what to do.
#[tokio::test(flavor = "multi_thread")]
async fn the_rep_can_be_picked_and_a_rep_who_cannot_reply_is_refused() {
    let rig = healthy().await;
    let admin = rig.sim.sim.admin();
    let light = rig
        .sim
        .sim
        .credentials()
        .into_iter()
        .find(|c| c.role == "agent" && c.email.contains("light"))
        .unwrap_or_else(|| panic!("the seeded light agent"));
    for (id, says) in [
        (admin.user_id, "integration's own user"),
        (light.user_id, "light agent"),
    ] {
        let (report, _) = verify(
            &rig,
            VerifyOptions {
                replier: Replier::Agent(id),
                ..VerifyOptions::default()
            },
        )
        .await;
        let step = report.failed_step().unwrap_or_else(|| panic!("refused"));
        assert_eq!(step.id, StepId::Reply);
        let text = format!("{} {}", step.detail, step.cause.clone().unwrap_or_default());
        assert!(text.contains(says), "{text}");
        assert!(step
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("--as-agent")));
        // The ticket made before the refusal is deleted.
        assert_eq!(
            report.steps.last().map(|s| (s.id, s.state)),
            Some((StepId::Cleanup, StepState::Passed))
        );
    }
}

/// `handoff verify --json`: exit 0 with every step's keys on a healthy setup, 14 with `failed_step` when a
/// step fails, 5 when not connected.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_exit_codes_and_json_keys() {
    let rig = healthy().await;
    let data_dir = rig._dir.path().to_str().unwrap_or_default().to_owned();
    let run = |args: &[&str]| {
        let mut all = vec!["--data-dir", data_dir.as_str()];
        all.extend_from_slice(args);
        crate::handoff(&all, "", &[])
    };
    let json_of = |output: &std::process::Output| -> Value {
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", crate::text(output)))
    };
    let passed = run(&["verify", "--json"]);
    assert_eq!(passed.status.code(), Some(0), "{}", crate::text(&passed));
    let value = json_of(&passed);
    for key in [
        "passed",
        "failed_step",
        "wall_ms",
        "relay",
        "session_id",
        "ticket_id",
        "replier",
        "steps",
    ] {
        assert!(value.get(key).is_some(), "{key} in {value}");
    }
    assert_eq!(value["relay"]["kind"], "hosted");
    let steps = value["steps"].as_array().cloned().unwrap_or_default();
    assert_eq!(steps.len(), StepId::ALL.len());
    for step in &steps {
        for key in [
            "id",
            "label",
            "state",
            "detail",
            "duration_ms",
            "cause",
            "fix",
            "action",
        ] {
            assert!(step.get(key).is_some(), "{key} in {step}");
        }
        assert_eq!(step["state"], "passed", "{step}");
    }

    // The text output names each step with its time.
    let text_run = run(&["verify"]);
    assert_eq!(
        text_run.status.code(),
        Some(0),
        "{}",
        crate::text(&text_run)
    );
    let shown = crate::text(&text_run);
    assert!(shown.contains("hosting one on"), "{shown}");
    for id in StepId::ALL {
        assert!(shown.contains(&format!("[ok  ] {}", id.label())), "{shown}");
    }

    let mut trigger = handoff::setup::spec::trigger(&rig.webhook_id());
    trigger.active = Some(false);
    rig.admin
        .update_trigger(rig.trigger_id(), &trigger)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let failed = run(&["verify", "--json"]);
    assert_eq!(failed.status.code(), Some(14), "{}", crate::text(&failed));
    let value = json_of(&failed);
    assert_eq!(value["passed"], false);
    assert_eq!(value["failed_step"], "setup");
    assert_eq!(value["steps"][1]["action"], "setup:trigger");

    let empty = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let none = crate::handoff(
        &[
            "--data-dir",
            empty.path().to_str().unwrap_or_default(),
            "verify",
            "--json",
        ],
        "",
        &[],
    );
    assert_eq!(none.status.code(), Some(5), "{}", crate::text(&none));
    assert!(json_of(&none)["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("handoff connect")));
    set_public_url(&rig.profile, &dead_url().await);
}

/// `handoff bench verify --json`: one verification at 100 ms a Zendesk request, its figures under the keys
/// scripts read; the round trips are the verification's critical path (credentials, the setup's two waves, the
/// ticket's create and read, the reply, the webhook hop, the reply worker's two reads, the clean-up).
#[test]
fn the_verification_bench_prints_its_figures() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let output = crate::handoff(
        &[
            "--data-dir",
            data.path().to_str().unwrap_or_default(),
            "bench",
            "verify",
            "--json",
            "--runs",
            "1",
        ],
        "",
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", crate::text(&output));
    let value: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", crate::text(&output)));
    println!("{value}");
    for key in [
        "wall_ms",
        "round_trips",
        "latency_ms",
        "budget_ms",
        "ratio",
        "within_budget",
        "under_3s",
        "steps_ms",
    ] {
        assert!(value.get(key).is_some(), "{key} in {value}");
    }
    assert_eq!(value["latency_ms"], 100.0);
    assert_eq!(value["round_trips"], 10, "{value}");
    assert_eq!(value["budget_ms"], 1200.0);
}
