//! Lose nothing: a save that fails or dies at any step leaves the previous connection working, with its own
//! secrets; and the sandbox never replaces a real connection.

use handoff::clock::Clock;
use handoff::connect::{self, ConnectInput, ConnectOptions};
use handoff::keychain::SecretName;
use handoff::SecretString;

use crate::{handoff, profile, simulator, stored_secret, text, CANARY_TOKEN};

/// What the profile says it is connected as, per `handoff status --verify --json`: (exit code, user email,
/// whether Zendesk accepted the credentials).
fn verified_as(data_dir: &str) -> (Option<i32>, String, serde_json::Value) {
    let output = handoff(
        &["--data-dir", data_dir, "status", "--verify", "--json"],
        "",
        &[],
    );
    let value: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output)));
    (
        output.status.code(),
        value["connection"]["user"]["email"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        value["verified"].clone(),
    )
}

/// A save runs: new secrets to the keychain, then the SQLite switch, then the old secrets go. The process is
/// made to fail (`save:keychain_write`, `save:store_commit`) or to die (`save:after_new_secrets`,
/// `save:after_commit`) at each step while replacing a working connection (the admin's token) by another
/// (the agent's). Before the switch commits, the admin's connection must still work; after, the agent's.
#[tokio::test(flavor = "multi_thread")]
async fn a_save_that_fails_at_any_step_leaves_the_previous_connection_working() {
    use std::os::unix::process::ExitStatusExt;

    // (fault point, exit code or abort of the failed save, whose connection works afterwards)
    let table = [
        ("save:keychain_write", Some(4), "admin@example.com"),
        ("save:after_new_secrets", None, "admin@example.com"),
        ("save:store_commit", Some(1), "admin@example.com"),
        ("save:after_commit", None, "agent@example.com"),
    ];
    assert_eq!(
        table.map(|(point, _, _)| point).as_slice(),
        handoff::fault::SAVE_FAULT_POINTS,
        "every fault point is covered"
    );
    let sim = simulator().await;
    let agent = sim
        .sim
        .credentials()
        .into_iter()
        .find(|c| c.role == "agent" && c.email == "agent@example.com")
        .unwrap_or_else(|| panic!("the simulator seeds a full agent"));
    for (point, failed_exit, works_as) in table {
        let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let data_dir = data.path().to_str().unwrap_or_default().to_owned();
        let connect = |email: &str, token: &str, fault: &str| {
            handoff(
                &[
                    "--data-dir",
                    &data_dir,
                    "connect",
                    "--zendesk-url",
                    &sim.base_url,
                    "--subdomain",
                    "d3v-sim",
                    "--email",
                    email,
                    "--token-stdin",
                ],
                &format!("{token}\n"),
                &[("HANDOFF_FAULT", fault)],
            )
        };
        let first = connect("admin@example.com", CANARY_TOKEN, "");
        assert_eq!(first.status.code(), Some(0), "{point}: {}", text(&first));
        let admin_keychain = profile(&data).keychain().unwrap_or_else(|e| panic!("{e}"));

        let second = connect(&agent.email, &agent.token, point);
        match failed_exit {
            Some(code) => assert_eq!(
                second.status.code(),
                Some(code),
                "{point}: {}",
                text(&second)
            ),
            None => assert_eq!(
                second.status.signal(),
                Some(6),
                "{point}: aborted: {}",
                text(&second)
            ),
        }

        let (code, email, verified) = verified_as(&data_dir);
        assert_eq!(
            code,
            Some(crate::CONNECTED_NOT_SET_UP),
            "{point}: the saved connection works (and setup was never run)"
        );
        assert_eq!(email, works_as, "{point}");
        assert_eq!(verified, true, "{point}");
        let profile = profile(&data);
        let token = stored_secret(&profile, SecretName::ZendeskApiToken)
            .await
            .map(|t| t.expose_secret().to_owned());
        let expected = if works_as == "admin@example.com" {
            CANARY_TOKEN
        } else {
            agent.token.as_str()
        };
        assert_eq!(token.as_deref(), Some(expected), "{point}");
        if works_as != "admin@example.com" {
            // The replaced secrets are gone once the switch has committed (here: the next start cleaned up).
            let left = admin_keychain
                .get(SecretName::ZendeskApiToken)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(left.is_none(), "{point}: the replaced token was deleted");
            assert!(
                profile
                    .store()
                    .stale_secret_generations()
                    .unwrap_or_else(|e| panic!("{e}"))
                    .is_empty(),
                "{point}: nothing left to clean up"
            );
        }
    }
}

/// A real database failure, not an injected one: another process holds SQLite's write lock for longer than
/// the busy timeout while the admin saves new credentials. The save fails with a message that names the
/// database; the previous connection still works with its own token, and the new token left no entry behind.
#[tokio::test(flavor = "multi_thread")]
async fn a_database_locked_by_another_process_fails_the_save_and_keeps_the_old_connection() {
    let sim = simulator().await;
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&data);
    let input = |email: &str, token: &str| ConnectInput {
        subdomain: "d3v-sim".into(),
        email: email.into(),
        token: SecretString::from(token),
        default_agent_id: None,
        base_url: Some(sim.base_url.clone()),
    };
    let now = jiff::Timestamp::now();
    let first = connect::verify_and_save(
        &profile,
        input("admin@example.com", CANARY_TOKEN),
        ConnectOptions::default(),
        now,
        |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(first.saved());
    let before = profile.connection().unwrap_or_else(|e| panic!("{e}"));

    let locker =
        rusqlite::Connection::open(profile.store().path()).unwrap_or_else(|e| panic!("{e}"));
    locker
        .execute_batch("BEGIN EXCLUSIVE;")
        .unwrap_or_else(|e| panic!("{e}"));
    let agent = sim
        .sim
        .credentials()
        .into_iter()
        .find(|c| c.email == "agent@example.com")
        .unwrap_or_else(|| panic!("agent"));
    let second = connect::verify_and_save(
        &profile,
        input(&agent.email, &agent.token),
        ConnectOptions::default(),
        now,
        |_| {},
    )
    .await;
    locker
        .execute_batch("ROLLBACK;")
        .unwrap_or_else(|e| panic!("{e}"));
    let error = second.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        error.contains("database") && error.contains("writable"),
        "the failure names the database and what to check: {error:?}"
    );

    assert_eq!(
        profile.connection().unwrap_or_else(|e| panic!("{e}")),
        before
    );
    let verdict = handoff::account::verify(&profile, &Clock::system())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(verdict, Some((_, handoff::account::Liveness::Working { user: Some(ref user) })) if user.email.as_deref() == Some("admin@example.com")),
        "{verdict:?}"
    );
    let token = stored_secret(&profile, SecretName::ZendeskApiToken).await;
    assert_eq!(
        token.map(|t| t.expose_secret().to_owned()).as_deref(),
        Some(CANARY_TOKEN)
    );
}

/// Whoever asks (the window's welcome card, `handoff demo`), the sandbox never replaces a real connection:
/// the core refuses, saying how to try it anyway.
#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_refuses_to_replace_a_real_connection() {
    let sim = simulator().await;
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&data);
    let input = ConnectInput {
        subdomain: "d3v-sim".into(),
        email: "admin@example.com".into(),
        token: SecretString::from(CANARY_TOKEN),
        default_agent_id: None,
        base_url: Some(sim.base_url.clone()),
    };
    let now = jiff::Timestamp::now();
    let report = connect::verify_and_save(&profile, input, ConnectOptions::default(), now, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.saved());
    let before = profile.connection().unwrap_or_else(|e| panic!("{e}"));

    let refused = handoff::demo::start(&profile, now, |_| {}).await;
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("d3v-sim.zendesk.com") && message.contains("--data-dir"),
        "{message:?}"
    );
    assert_eq!(
        profile.connection().unwrap_or_else(|e| panic!("{e}")),
        before
    );

    let data_dir = data.path().to_str().unwrap_or_default().to_owned();
    let cli = handoff(&["--data-dir", &data_dir, "demo"], "", &[]);
    assert_ne!(cli.status.code(), Some(0), "{}", text(&cli));
    assert!(text(&cli).contains("disconnect"), "{}", text(&cli));
}
