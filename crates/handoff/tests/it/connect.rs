//! Verify & Save, check by check (SPEC §3), against the simulator.

use handoff::connect::{self, CheckId, CheckStatus, ConnectInput, ConnectOptions};
use handoff::keychain::SecretName;
use handoff::SecretString;
use jiff::Timestamp;

use crate::{assert_no_file_contains, profile, simulator, CANARY_TOKEN};

/// How a case changes the admin's valid input.
struct Case {
    name: &'static str,
    edit: fn(&mut ConnectInput, &Ids),
    /// Expected final status of each check, in `CheckId::API_TOKEN` order.
    expect: [CheckStatus; 6],
    saved: bool,
}

/// Ids and credentials of the seeded account, for cases to refer to.
struct Ids {
    agent_id: u64,
    agent_token: String,
    light_agent_id: u64,
    light_token: String,
    customer_id: u64,
    base_url: String,
}

use CheckStatus::{Failed as F, Passed as P, Skipped as S, Warning as W};

const CASES: &[Case] = &[
    Case {
        name: "admin with a valid token",
        edit: |_, _| {},
        expect: [P, P, P, P, S, P],
        saved: true,
    },
    Case {
        name: "admin with a default agent",
        edit: |i, ids| i.default_agent_id = Some(ids.agent_id.to_string()),
        expect: [P, P, P, P, P, P],
        saved: true,
    },
    Case {
        name: "subdomain typed as the agent workspace address",
        edit: |i, _| i.subdomain = "https://D3V-SIM.zendesk.com/agent/tickets/1".into(),
        expect: [P, P, P, P, S, P],
        saved: true,
    },
    Case {
        name: "wrong token",
        edit: |i, _| i.token = SecretString::from("not-the-token"),
        expect: [P, P, F, S, S, S],
        saved: false,
    },
    Case {
        name: "token of another user",
        edit: |i, ids| i.token = SecretString::from(ids.agent_token.as_str()),
        expect: [P, P, F, S, S, S],
        saved: false,
    },
    Case {
        name: "full agent: works, warns that setup needs an admin",
        edit: |i, ids| {
            i.email = "agent@example.com".into();
            i.token = SecretString::from(ids.agent_token.as_str());
        },
        expect: [P, P, P, W, S, P],
        saved: true,
    },
    Case {
        name: "light agent cannot hand off",
        edit: |i, ids| {
            i.email = "light.agent@example.com".into();
            i.token = SecretString::from(ids.light_token.as_str());
        },
        expect: [P, P, P, F, S, S],
        saved: false,
    },
    Case {
        name: "subdomain with a space",
        edit: |i, _| i.subdomain = "acme corp".into(),
        expect: [F, S, S, S, S, S],
        saved: false,
    },
    Case {
        name: "subdomain of another domain",
        edit: |i, _| i.subdomain = "help.acme.com".into(),
        expect: [F, S, S, S, S, S],
        saved: false,
    },
    Case {
        name: "subdomain that is not a Zendesk account",
        edit: |i, ids| i.base_url = Some(format!("{}/_account/no-such-account", ids.base_url)),
        expect: [P, F, S, S, S, S],
        saved: false,
    },
    Case {
        name: "nothing listening at the address",
        edit: |i, _| i.base_url = Some("http://127.0.0.1:9".into()),
        expect: [P, F, S, S, S, S],
        saved: false,
    },
    Case {
        name: "default agent that does not exist",
        edit: |i, _| i.default_agent_id = Some("999999999".into()),
        expect: [P, P, P, P, F, S],
        saved: false,
    },
    Case {
        name: "default agent who is a customer",
        edit: |i, ids| i.default_agent_id = Some(ids.customer_id.to_string()),
        expect: [P, P, P, P, F, S],
        saved: false,
    },
    Case {
        name: "default agent who is a light agent (Zendesk assigns no tickets to light agents)",
        edit: |i, ids| i.default_agent_id = Some(ids.light_agent_id.to_string()),
        expect: [P, P, P, P, F, S],
        saved: false,
    },
    Case {
        name: "default agent id that is not a number",
        edit: |i, _| i.default_agent_id = Some("Aaron".into()),
        expect: [P, P, P, P, F, S],
        saved: false,
    },
];

#[tokio::test(flavor = "multi_thread")]
async fn verify_and_save_reports_every_check_and_saves_only_when_all_pass() {
    let sim = simulator().await;
    let credential = |email: &str| {
        sim.sim
            .credential_of(email)
            .unwrap_or_else(|| panic!("the simulator seeds {email}"))
    };
    let ids = Ids {
        agent_id: credential("agent@example.com").user_id,
        agent_token: credential("agent@example.com").token,
        light_agent_id: credential("light.agent@example.com").user_id,
        light_token: credential("light.agent@example.com").token,
        customer_id: customer_user_id(&sim).await,
        base_url: sim.base_url.clone(),
    };
    let mut failures = Vec::new();
    for case in CASES {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let profile = profile(&dir);
        let mut input = ConnectInput {
            subdomain: "d3v-sim".into(),
            email: "admin@example.com".into(),
            token: SecretString::from(CANARY_TOKEN),
            default_agent_id: None,
            base_url: Some(sim.base_url.clone()),
        };
        (case.edit)(&mut input, &ids);
        let token = input.token.clone();
        let mut seen = Vec::new();
        let report = connect::verify_and_save(
            &profile,
            input,
            ConnectOptions::default(),
            Timestamp::now(),
            |c| seen.push((c.id, c.status)),
        )
        .await
        .unwrap_or_else(|error| panic!("{}: {error}", case.name));

        let statuses: Vec<CheckStatus> = report.checks.iter().map(|c| c.status).collect();
        let ids_in_order: Vec<CheckId> = report.checks.iter().map(|c| c.id).collect();
        if statuses != case.expect
            || ids_in_order != CheckId::API_TOKEN
            || report.saved() != case.saved
        {
            failures.push(format!(
                "{}: got {statuses:?} saved={} — {:#?}",
                case.name,
                report.saved(),
                report.checks
            ));
            continue;
        }
        for check in report.checks.iter().filter(|c| c.status == F) {
            assert!(
                check.cause.is_some() && check.fix.is_some(),
                "{}: a failed check must say why and what to do: {check:?}",
                case.name
            );
        }
        // Progress came as it ran: every check that ran was announced as running before its verdict.
        for check in report.checks.iter().filter(|c| c.status != S) {
            let running = seen
                .iter()
                .position(|s| *s == (check.id, CheckStatus::Running));
            let verdict = seen.iter().position(|s| *s == (check.id, check.status));
            assert!(
                running < verdict && running.is_some(),
                "{}: {:?} progress {seen:?}",
                case.name,
                check.id
            );
        }

        let stored = profile.connection().unwrap_or_else(|e| panic!("{e}"));
        let in_keychain = crate::stored_secret(&profile, SecretName::ZendeskApiToken).await;
        if case.saved {
            assert!(
                stored.is_some(),
                "{}: the connection should be saved",
                case.name
            );
            assert_eq!(
                in_keychain.as_ref().map(|t| t.expose_secret()),
                Some(token.expose_secret()),
                "{}",
                case.name
            );
        } else {
            assert!(stored.is_none(), "{}: nothing may be saved", case.name);
            assert!(
                in_keychain.is_none(),
                "{}: no token may reach the keychain",
                case.name
            );
        }
        assert_no_file_contains(dir.path(), token.expose_secret());
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// The seeded end user (who has no token) comes right after the light agent in the simulator's seed order,
/// with ids a fixed step apart;
/// the lookup proves it is the customer, so a change of seed order fails here and not in a confusing case.
async fn customer_user_id(sim: &zendesk_sim::RunningSimulator) -> u64 {
    let seeded = |email: &str| {
        sim.sim
            .credential_of(email)
            .unwrap_or_else(|| panic!("seeded {email}"))
            .user_id
    };
    let (agent, light) = (
        seeded("agent@example.com"),
        seeded("light.agent@example.com"),
    );
    let id = light + (light - agent);
    let input = ConnectInput {
        subdomain: "d3v-sim".into(),
        email: "admin@example.com".into(),
        token: SecretString::from(CANARY_TOKEN),
        default_agent_id: None,
        base_url: Some(sim.base_url.clone()),
    };
    let user = connect::lookup_agent(&input, &id.to_string())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (user.name.as_str(), user.role.as_str()),
        ("Erin Enduser", "end-user")
    );
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_connection_survives_reopening_the_profile() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let input = ConnectInput {
        subdomain: "d3v-sim.zendesk.com".into(),
        email: "admin@example.com".into(),
        token: SecretString::from(CANARY_TOKEN),
        default_agent_id: None,
        base_url: Some(sim.base_url.clone()),
    };
    let now: Timestamp = "2026-11-24T12:00:00Z"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let report = connect::verify_and_save(
        &profile(&dir),
        input,
        ConnectOptions::default(),
        now,
        |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.saved());

    let reopened = profile(&dir);
    let connection = reopened
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("saved"));
    assert_eq!(connection.user.name, "Ada Admin");
    assert_eq!(connection.subdomain.as_str(), "d3v-sim");
    assert_eq!(connection.connected_at, now);
    assert_eq!(
        connection.api_token_deadline(now).map(|d| d.days_left),
        Some(157)
    );
    let token = crate::stored_secret(&reopened, SecretName::ZendeskApiToken).await;
    assert_eq!(
        token.map(|t| t.expose_secret().to_owned()),
        Some(CANARY_TOKEN.to_owned())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_agent_lookup_names_the_agent_or_says_what_is_wrong() {
    let sim = simulator().await;
    let agent = sim
        .sim
        .credential_of("agent@example.com")
        .unwrap_or_else(|| panic!("seeded agent"));
    let input = ConnectInput {
        subdomain: "d3v-sim".into(),
        email: "admin@example.com".into(),
        token: SecretString::from(CANARY_TOKEN),
        default_agent_id: None,
        base_url: Some(sim.base_url.clone()),
    };
    let found = connect::lookup_agent(&input, &agent.user_id.to_string())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (found.name.as_str(), found.role.as_str()),
        ("Aaron Agent", "agent")
    );
    let missing = connect::lookup_agent(&input, "424242")
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(missing.contains("no user has ID 424242"), "{missing}");
    let garbage = connect::lookup_agent(&input, "abc")
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(garbage.contains("`abc` is not a number"), "{garbage}");
}
