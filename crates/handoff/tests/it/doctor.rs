//! Troubleshooting against the simulator (SPEC §10): on a healthy setup every symptom finds nothing; for each
//! way a symptom happens, the thing is broken in the simulator (or the data folder), the doctor runs, and the
//! cause it names is that thing, with the action that fixes it. Through the CLI: exit codes and JSON keys.

use std::time::Duration;

use handoff::clock::Clock;
use handoff::doctor::{self, Finding, Outcome, Report, Symptom};
use handoff::session::{
    Channel, HandoffRequest, Mode, NewContact, NewSession, NewTurn, Role, Sessions,
};
use handoff::setup::Scope;
use serde_json::{json, Value};
use zendesk_sim::Seed;

use crate::setup::{default_triggers, setup_rig, start_relay, SetupRig};

/// The API-token deadline (2027-04-30) is 150 days after this, so `token-expiring` finds nothing on a healthy
/// setup whatever today's date; rows that need another date say so.
const BEFORE_THE_DEADLINE: &str = "2026-12-01T10:00:00Z";

fn clock_at(at: &str) -> Clock {
    Clock::starting_at(at.parse().unwrap_or_else(|e| panic!("{e}")))
}

/// A set-up account with its relay running (the handoff and reply workers with it).
async fn healthy(seed: Seed) -> (SetupRig, tokio::sync::oneshot::Sender<()>) {
    let rig = setup_rig(seed).await;
    let relay = start_relay(&rig).await;
    rig.setup(Scope::All, false).await;
    (rig, relay)
}

async fn doctor_at(rig: &SetupRig, symptoms: &[Symptom], at: &str) -> Report {
    // The checklist's relay probe uses Zendesk's webhook test endpoint (20 calls a minute).
    reqwest::Client::new()
        .post(format!("{}/_sim/rate-limits/reset", rig.sim.base_url))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    doctor::run(&rig.profile, &clock_at(at), symptoms)
        .await
        .unwrap_or_else(|e| panic!("doctor: {e}"))
}

fn finding(report: &Report, symptom: Symptom) -> &Finding {
    report
        .findings
        .iter()
        .find(|f| f.symptom == symptom)
        .unwrap_or_else(|| panic!("{symptom:?} was run"))
}

fn sessions(rig: &SetupRig) -> Sessions {
    Sessions::new(rig.profile.store().clone(), rig.clock.clone())
}

/// A conversation handed off: the store has its job at once, whoever works the queue.
fn hand_off(rig: &SetupRig, email: &str) -> handoff::session::SessionId {
    let sessions = sessions(rig);
    let session = sessions
        .create(NewSession {
            contact: NewContact {
                name: Some("Dana Doctor".to_owned()),
                email: Some(email.to_owned()),
                ..NewContact::default()
            },
            channel: Channel::Email,
            mode: Mode::Handoff,
            turns: vec![NewTurn {
                role: Role::Customer,
                text: "My order never arrived.".to_owned(),
                at: None,
            }],
            summary: None,
            sentiment: None,
            language: None,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    sessions
        .request_handoff(
            session.id,
            HandoffRequest {
                request_id: "r1".to_owned(),
                summary: None,
                sentiment: None,
                language: None,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    session.id
}

/// Waits until the handoff queue shows a pending job waiting with a reason (the worker tried and Zendesk
/// refused or failed).
async fn until_waiting(rig: &SetupRig) {
    for _ in 0..200 {
        let summary = rig
            .profile
            .store()
            .queue_summary(5)
            .unwrap_or_else(|e| panic!("{e}"));
        if !summary.waiting.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no handoff waits with a reason");
}

/// A public reply by the seeded agent on the sample ticket, through the simulator's agent path: the trigger
/// fires and Zendesk delivers; returns once the delivery settled.
async fn agent_reply(rig: &SetupRig) {
    reqwest::Client::new()
        .post(format!("{}/_sim/tickets/1/comments", rig.sim.base_url))
        .json(
            &json!({"author": "agent@example.com", "body": "Here is your answer.", "public": true}),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .error_for_status()
        .unwrap_or_else(|e| panic!("{e}"));
    rig.sim.sim.settle(Duration::from_secs(10)).await;
}

async fn fault(rig: &SetupRig, body: Value) {
    reqwest::Client::new()
        .post(format!("{}/_sim/faults", rig.sim.base_url))
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .error_for_status()
        .unwrap_or_else(|e| panic!("{e}"));
}

/// What is broken, in the simulator or the data folder.
#[derive(Debug, Clone, Copy)]
enum Break {
    ApiTokenRevoked,
    RelayStoppedWithAHandoffPending,
    TicketCreatesFail,
    TriggerDeactivated,
    TriggerSendsLatestComment,
    SigningSecretReset,
    WebhookAtAUrlTheRelayRefuses,
    TriggerConditionsChanged,
    NotifyRequesterTriggerOfZendesk,
    TicketCreatesRateLimited,
    ZendeskRefusesTheDoctorsOwnRead,
    ApiTokenDeadlineIn60Days,
}

/// One row: break this, ask about that symptom, and the cause must name it.
struct Row {
    broken: Break,
    symptom: Symptom,
    /// The cause says this.
    says: &'static str,
    /// The action's wire name, and for a repair its fix id.
    action: &'static str,
    repair: Option<&'static str>,
    /// A probe that must have found a problem (besides the cause's).
    also: Option<&'static str>,
}

/// Breaks it; returns the date the doctor runs at, and the relay's stop handle unless the row stopped it (the
/// relay stops when the handle is dropped).
async fn break_it(
    rig: &SetupRig,
    relay: tokio::sync::oneshot::Sender<()>,
    broken: Break,
) -> (&'static str, Option<tokio::sync::oneshot::Sender<()>>) {
    let mut at = BEFORE_THE_DEADLINE;
    let mut relay = Some(relay);
    match broken {
        Break::ApiTokenRevoked => rig
            .profile
            .keychain()
            .unwrap_or_else(|e| panic!("{e}"))
            .put(
                handoff::keychain::SecretName::ZendeskApiToken,
                &handoff::SecretString::from("a-token-zendesk-revoked"),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        Break::RelayStoppedWithAHandoffPending => {
            if let Some(stop) = relay.take() {
                let _ = stop.send(());
            }
            for _ in 0..200 {
                let worker = rig
                    .profile
                    .store()
                    .queue_summary(1)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .worker;
                if worker.is_none() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            hand_off(rig, "pending@example.com");
        }
        Break::TicketCreatesFail => {
            fault(
                rig,
                json!({"method": "POST", "path": "/api/v2/tickets", "kind": "server_error", "status": 500}),
            )
            .await;
            hand_off(rig, "failing@example.com");
            until_waiting(rig).await;
        }
        Break::TicketCreatesRateLimited => {
            fault(
                rig,
                json!({"method": "POST", "path": "/api/v2/tickets", "kind": "rate_limit", "retry_after": 120}),
            )
            .await;
            hand_off(rig, "limited@example.com");
            until_waiting(rig).await;
        }
        Break::TriggerDeactivated => {
            let mut trigger = handoff::setup::spec::trigger(&rig.webhook_id());
            trigger.active = Some(false);
            rig.admin
                .update_trigger(rig.trigger_id(), &trigger)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        Break::TriggerSendsLatestComment => {
            let webhook = rig.webhook_id();
            let mut trigger = handoff::setup::spec::trigger(&webhook);
            let body = handoff::relay::payload::TRIGGER_BODY
                .replace("latest_public_comment", "latest_comment");
            trigger.actions = vec![zendesk::Action::notify_webhook(&webhook, &body)];
            rig.admin
                .update_trigger(rig.trigger_id(), &trigger)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        Break::SigningSecretReset => {
            rig.admin
                .reset_webhook_signing_secret(&rig.webhook_id())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        Break::WebhookAtAUrlTheRelayRefuses => {
            // The relay's own address and path, with a tag it never made: Zendesk's delivery gets a 4xx.
            let current = rig.target().await.url.unwrap_or_else(|| panic!("a URL"));
            let (head, _tag) = current
                .rsplit_once('.')
                .unwrap_or_else(|| panic!("{current}"));
            let forged = format!("{head}.{}", "A".repeat(43));
            rig.admin
                .patch_webhook(
                    &rig.webhook_id(),
                    &zendesk::WebhookPatch {
                        endpoint: Some(forged),
                        ..zendesk::WebhookPatch::default()
                    },
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            agent_reply(rig).await;
        }
        Break::TriggerConditionsChanged => {
            let mut trigger = handoff::setup::spec::trigger(&rig.webhook_id());
            trigger.conditions.all[1].value = json!("not_relevant");
            rig.admin
                .update_trigger(rig.trigger_id(), &trigger)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        Break::ZendeskRefusesTheDoctorsOwnRead => {
            // Its Retry-After is past the client's patience, so the read fails at once and counts as refused.
            fault(
                rig,
                json!({"method": "GET", "path": "/api/v2/triggers", "kind": "rate_limit", "retry_after": 120, "count": 1}),
            )
            .await;
        }
        Break::NotifyRequesterTriggerOfZendesk => {}
        Break::ApiTokenDeadlineIn60Days => at = "2027-03-01T10:00:00Z",
    }
    (at, relay)
}

/// `text` holds no raw RFC 3339 time (`2026-12-03T12:28:38Z`): the doctor says times as the checklist does.
fn assert_readable_times(text: &str) {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    for (index, byte) in bytes.iter().enumerate() {
        let raw = *byte == b'T'
            && index >= 10
            && digits(index - 10..index - 6)
            && bytes[index - 6] == b'-'
            && digits(index - 5..index - 3)
            && bytes[index - 3] == b'-'
            && digits(index - 2..index)
            && digits(index + 1..index + 3);
        assert!(!raw, "a raw timestamp in {text:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_setup_finds_nothing_and_every_symptom_runs_its_probes() {
    let (rig, _relay) = healthy(Seed::Minimal).await;
    // Traffic first, so the probes judge real records: a handoff and a rep's reply delivered to the relay.
    hand_off(&rig, "healthy@example.com");
    agent_reply(&rig).await;
    rig.take_requests();
    let report = doctor_at(&rig, &[], BEFORE_THE_DEADLINE).await;
    let requests = rig.take_requests();
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" || r.path == "/api/v2/webhooks/test"),
        "the doctor writes nothing to Zendesk: {:?}",
        crate::setup::calls(&requests)
    );
    assert_eq!(
        report
            .findings
            .iter()
            .map(|f| f.symptom)
            .collect::<Vec<_>>(),
        Symptom::ALL.to_vec(),
        "no symptom named: every symptom, in order"
    );
    for finding in &report.findings {
        assert!(
            !finding.found(),
            "{:?} found {:?}: {:#?}",
            finding.symptom,
            finding.diagnosis,
            finding.probes
        );
        assert!(
            finding.probes.len() >= 2,
            "{:?} has real probes",
            finding.symptom
        );
        for probe in &finding.probes {
            assert_ne!(
                probe.outcome,
                Outcome::Problem,
                "{:?}/{}: {}",
                finding.symptom,
                probe.name,
                probe.evidence
            );
            assert!(!probe.evidence.is_empty());
        }
    }
    assert!(!report.found());
    // Times read as the checklist says them (`2026-12-03 12:28:38 UTC`), never as raw RFC 3339.
    let evidence: Vec<&str> = report
        .findings
        .iter()
        .flat_map(|f| f.probes.iter().map(|p| p.evidence.as_str()))
        .collect();
    for text in &evidence {
        assert_readable_times(text);
        assert!(
            !text.contains(" 1 deliveries"),
            "one delivery is said as one: {text}"
        );
    }
    let called = evidence
        .iter()
        .find(|text| text.starts_with("the trigger last called the webhook at "))
        .unwrap_or_else(|| panic!("the invocation log is read: {evidence:#?}"));
    assert!(called.contains(" UTC (success)"), "{called}");
    // The checklist's reads serve every symptom: users/me, the objects, the invocations, the probe.
    assert!(report.zendesk_requests <= 8, "{}", report.zendesk_requests);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_broken_thing_is_the_cause_its_symptom_names() {
    let table = [
        Row {
            broken: Break::ApiTokenRevoked,
            symptom: Symptom::CredentialsFailing,
            says: "no longer accepts",
            action: "reconnect",
            repair: None,
            also: None,
        },
        Row {
            broken: Break::RelayStoppedWithAHandoffPending,
            symptom: Symptom::NoTicket,
            says: "no process works the handoff queue",
            action: "none",
            repair: None,
            also: None,
        },
        Row {
            broken: Break::TicketCreatesFail,
            symptom: Symptom::NoTicket,
            says: "handoffs wait for Zendesk",
            action: "none",
            repair: None,
            also: None,
        },
        Row {
            broken: Break::TriggerDeactivated,
            symptom: Symptom::RepliesNotReaching,
            says: "deactivated",
            action: "repair",
            repair: Some("setup:trigger"),
            also: None,
        },
        Row {
            broken: Break::TriggerSendsLatestComment,
            symptom: Symptom::InternalNotesReaching,
            says: "latest_comment",
            action: "repair",
            repair: Some("setup:trigger"),
            also: None,
        },
        Row {
            broken: Break::SigningSecretReset,
            symptom: Symptom::Webhook4xx,
            says: "reset in Zendesk",
            action: "repair",
            repair: Some("setup:signing-secret"),
            also: None,
        },
        Row {
            broken: Break::WebhookAtAUrlTheRelayRefuses,
            symptom: Symptom::Webhook4xx,
            says: "not at the relay's current URL",
            action: "repair",
            repair: Some("setup:webhook"),
            also: Some("invocation-log"),
        },
        Row {
            broken: Break::TriggerConditionsChanged,
            symptom: Symptom::TriggerNotFiring,
            says: "Comment is Public",
            action: "repair",
            repair: Some("setup:trigger"),
            also: None,
        },
        Row {
            broken: Break::NotifyRequesterTriggerOfZendesk,
            symptom: Symptom::Duplicates,
            says: "twice",
            action: "repair",
            repair: Some("setup:double-delivery"),
            also: None,
        },
        Row {
            broken: Break::TicketCreatesRateLimited,
            symptom: Symptom::RateLimited,
            says: "429",
            action: "none",
            repair: None,
            also: None,
        },
        Row {
            broken: Break::ZendeskRefusesTheDoctorsOwnRead,
            symptom: Symptom::RateLimited,
            says: "used up right now",
            action: "none",
            repair: None,
            also: None,
        },
        Row {
            broken: Break::ApiTokenDeadlineIn60Days,
            symptom: Symptom::TokenExpiring,
            says: "2027-04-30",
            action: "reconnect",
            repair: None,
            also: None,
        },
    ];
    for row in table {
        let seed = match row.broken {
            Break::NotifyRequesterTriggerOfZendesk => default_triggers(),
            _ => Seed::Minimal,
        };
        let (rig, relay) = healthy(seed).await;
        let (at, _relay) = break_it(&rig, relay, row.broken).await;
        let report = doctor_at(&rig, &[row.symptom], at).await;
        assert_eq!(
            report.findings.len(),
            1,
            "{:?}: only the symptom asked",
            row.broken
        );
        let finding = finding(&report, row.symptom);
        let diagnosis = finding.diagnosis.clone().unwrap_or_else(|| {
            panic!(
                "{:?}: a cause for {:?}: {:#?}",
                row.broken, row.symptom, finding.probes
            )
        });
        assert!(
            diagnosis.cause.contains(row.says),
            "{:?}: the cause says {:?}: {}",
            row.broken,
            row.says,
            diagnosis.cause
        );
        assert!(!diagnosis.fix.is_empty(), "{:?}: a fix", row.broken);
        for text in [&diagnosis.cause, &diagnosis.fix]
            .into_iter()
            .chain(finding.probes.iter().map(|p| &p.evidence))
        {
            assert_readable_times(text);
        }
        assert_eq!(
            diagnosis.action.as_str(),
            row.action,
            "{:?}: {diagnosis:?}",
            row.broken
        );
        assert_eq!(diagnosis.action.repair(), row.repair, "{:?}", row.broken);
        let problems: Vec<&str> = finding
            .probes
            .iter()
            .filter(|p| p.outcome == Outcome::Problem)
            .map(|p| p.name)
            .collect();
        if let Some(probe) = row.also {
            assert!(
                problems.contains(&probe),
                "{:?}: {probe} found it too: {:#?}",
                row.broken,
                finding.probes
            );
        }
        let json = doctor::finding_json(finding);
        assert_eq!(json["symptom"], row.symptom.as_str());
        assert_eq!(json["found"], true);
        assert_eq!(json["action"], row.action);
        if !matches!(row.broken, Break::ApiTokenRevoked) {
            // Only the broken thing is wrong: the credentials still work.
            let credentials = doctor_at(&rig, &[Symptom::CredentialsFailing], at).await;
            assert!(
                !credentials.found(),
                "{:?}: {:?}",
                row.broken,
                credentials.findings
            );
        }
    }
}

/// An Admin Center action is a page of the connected account, over https on its own host.
#[tokio::test(flavor = "multi_thread")]
async fn open_in_zendesk_points_at_the_accounts_admin_center() {
    let (rig, _relay) = healthy(Seed::Minimal).await;
    // A trigger that is not ours sends our webhook the latest comment, internal notes included.
    let webhook = rig.webhook_id();
    let mut other = handoff::setup::spec::trigger(&webhook);
    other.title = "Forward every comment".to_owned();
    let body =
        handoff::relay::payload::TRIGGER_BODY.replace("latest_public_comment", "latest_comment");
    other.actions = vec![zendesk::Action::notify_webhook(&webhook, &body)];
    rig.admin
        .create_trigger(&other)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = doctor_at(&rig, &[Symptom::InternalNotesReaching], BEFORE_THE_DEADLINE).await;
    let diagnosis = finding(&report, Symptom::InternalNotesReaching)
        .diagnosis
        .clone()
        .unwrap_or_else(|| panic!("found"));
    assert!(
        diagnosis.cause.contains("Forward every comment"),
        "{}",
        diagnosis.cause
    );
    let url = diagnosis
        .action
        .url()
        .unwrap_or_else(|| panic!("{diagnosis:?}"));
    assert_eq!(url.scheme(), "https");
    assert_eq!(
        url.host_str(),
        Some(format!("{}.zendesk.com", rig.sim.sim.subdomain()).as_str())
    );
    assert!(url.path().starts_with("/admin/"), "{url}");
}

/// `handoff doctor [SYMPTOM] --json`: 0 with every symptom's keys on a healthy setup, 15 with the cause when
/// one is found, 2 for an unknown symptom, 5 when not connected; the text names each symptom.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_exit_codes_and_json_keys() {
    let (rig, _relay) = healthy(Seed::Minimal).await;
    let data_dir = rig._dir.path().to_str().unwrap_or_default().to_owned();
    let run = |args: &[&str]| {
        let mut all = vec!["--data-dir", data_dir.as_str()];
        all.extend_from_slice(args);
        crate::handoff(&all, "", &[("HANDOFF_NOW", BEFORE_THE_DEADLINE)])
    };
    let json_of = |output: &std::process::Output| -> Value {
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", crate::text(output)))
    };
    let healthy = run(&["doctor", "--json"]);
    assert_eq!(healthy.status.code(), Some(0), "{}", crate::text(&healthy));
    let value = json_of(&healthy);
    let findings = value["findings"].as_array().cloned().unwrap_or_default();
    assert_eq!(findings.len(), Symptom::ALL.len());
    for finding in &findings {
        for key in [
            "symptom", "title", "found", "probes", "cause", "fix", "action", "repair", "command",
            "url",
        ] {
            assert!(finding.get(key).is_some(), "{key} in {finding}");
        }
        assert_eq!(finding["found"], false, "{finding}");
        assert_eq!(finding["action"], "none");
        for probe in finding["probes"].as_array().cloned().unwrap_or_default() {
            for key in ["name", "outcome", "evidence"] {
                assert!(probe.get(key).is_some(), "{key} in {probe}");
            }
        }
    }
    let text = run(&["doctor"]);
    assert_eq!(text.status.code(), Some(0), "{}", crate::text(&text));
    let shown = crate::text(&text);
    for symptom in Symptom::ALL {
        assert!(
            shown.contains(&format!("({})", symptom.as_str())),
            "{shown}"
        );
    }

    let mut trigger = handoff::setup::spec::trigger(&rig.webhook_id());
    trigger.active = Some(false);
    rig.admin
        .update_trigger(rig.trigger_id(), &trigger)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    reqwest::Client::new()
        .post(format!("{}/_sim/rate-limits/reset", rig.sim.base_url))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let found = run(&["doctor", "trigger-not-firing", "--json"]);
    assert_eq!(found.status.code(), Some(15), "{}", crate::text(&found));
    let value = json_of(&found);
    let finding = &value["findings"][0];
    assert_eq!(finding["symptom"], "trigger-not-firing");
    assert_eq!(finding["found"], true);
    assert_eq!(finding["action"], "repair");
    assert_eq!(finding["repair"], "setup:trigger");
    assert_eq!(finding["command"], "handoff setup --fix trigger");
    assert!(
        finding["cause"]
            .as_str()
            .is_some_and(|c| c.contains("deactivated")),
        "{finding}"
    );
    let text = run(&["doctor", "trigger-not-firing"]);
    assert_eq!(text.status.code(), Some(15));
    let shown = crate::text(&text);
    assert!(
        shown.contains("[FOUND] The trigger does not fire"),
        "{shown}"
    );
    assert!(
        shown.contains("action: repair (`handoff setup --fix trigger`)"),
        "{shown}"
    );

    let unknown = run(&["doctor", "sadness", "--json"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", crate::text(&unknown));
    assert!(json_of(&unknown)["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("no-ticket")));

    let empty = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let none = crate::handoff(
        &[
            "--data-dir",
            empty.path().to_str().unwrap_or_default(),
            "doctor",
            "--json",
        ],
        "",
        &[],
    );
    assert_eq!(none.status.code(), Some(5), "{}", crate::text(&none));
}
