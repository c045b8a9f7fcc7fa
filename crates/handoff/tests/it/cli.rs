//! The `handoff` binary as a script would drive it: exit codes, `--json`, and no secret in any output.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::{assert_no_file_contains, simulator, CANARY_TOKEN};

fn handoff(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("HANDOFF_SECRET_STORE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run handoff: {e}"));
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn assert_no_token(output: &Output) {
    assert!(
        !text(output).contains(CANARY_TOKEN),
        "the token leaked into the output:\n{}",
        text(output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_then_status_through_the_cli() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().to_str().unwrap_or_default().to_owned();
    let connect = |token: &str, json: bool| {
        let mut args = vec![
            "--data-dir",
            &data_dir,
            "connect",
            "--zendesk-url",
            &sim.base_url,
            "--subdomain",
            "d3v-sim",
            "--email",
            "admin@example.com",
            "--token-stdin",
        ];
        if json {
            args.push("--json");
        }
        handoff(&args, &format!("{token}\n"), &[])
    };

    let status = handoff(&["--data-dir", &data_dir, "status"], "", &[]);
    assert_eq!(
        status.status.code(),
        Some(5),
        "not connected yet: {}",
        text(&status)
    );

    let wrong = connect("wrong-token", false);
    assert_eq!(wrong.status.code(), Some(3), "{}", text(&wrong));
    assert!(
        text(&wrong).contains("Nothing was saved"),
        "{}",
        text(&wrong)
    );
    assert!(
        text(&wrong).contains("[FAIL] Credentials authenticate"),
        "{}",
        text(&wrong)
    );

    let ok = connect(CANARY_TOKEN, false);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(
        text(&ok).contains("Connected to d3v-sim.zendesk.com as Ada Admin (admin)"),
        "{}",
        text(&ok)
    );
    assert!(
        text(&ok).contains("API tokens stop working on 2027-04-30"),
        "{}",
        text(&ok)
    );

    let json = handoff(&["--data-dir", &data_dir, "status", "--json"], "", &[]);
    assert_eq!(json.status.code(), Some(0), "{}", text(&json));
    let value: serde_json::Value =
        serde_json::from_slice(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&json)));
    assert_eq!(value["connected"], true);
    assert_eq!(value["connection"]["user"]["name"], "Ada Admin");
    assert_eq!(value["connection"]["auth_method"], "api_token");
    assert_eq!(
        value["connection"]["api_token_deadline"]["date"],
        "2027-04-30"
    );

    let again = connect(CANARY_TOKEN, true);
    let report: serde_json::Value =
        serde_json::from_slice(&again.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report["saved"], true);
    assert_eq!(report["checks"].as_array().map(Vec::len), Some(6));

    for output in [&status, &wrong, &ok, &json, &again] {
        assert_no_token(output);
    }
    assert_no_file_contains(dir.path(), CANARY_TOKEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_usage_and_input_exit_with_2() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().to_str().unwrap_or_default();
    let table: [(&[&str], &str, &str); 7] = [
        (
            &[
                "--data-dir",
                data_dir,
                "connect",
                "--subdomain",
                "acme",
                "--email",
                "a@b.c",
                "--token-stdin",
            ],
            "",
            "no API token on standard input",
        ),
        (
            &["--data-dir", data_dir, "--secret-store", "memory", "status"],
            "",
            "unknown secret store `memory`",
        ),
        (
            &["--data-dir", data_dir, "connect", "--subdomain", "acme"],
            "",
            "--oauth",
        ),
        (
            &[
                "--data-dir",
                data_dir,
                "connect",
                "--subdomain",
                "acme",
                "--oauth",
            ],
            "",
            "--client-id",
        ),
        (
            &[
                "--data-dir",
                data_dir,
                "connect",
                "--subdomain",
                "acme",
                "--token-stdin",
            ],
            "",
            "--email",
        ),
        (
            &[
                "--data-dir",
                data_dir,
                "connect",
                "--subdomain",
                "acme",
                "--client-credentials",
                "--client-id",
                "handoff_relay",
            ],
            "",
            "--client-secret-stdin",
        ),
        (
            &[
                "--data-dir",
                data_dir,
                "connect",
                "--subdomain",
                "acme",
                "--client-credentials",
                "--client-id",
                "handoff_relay",
                "--client-secret-stdin",
            ],
            "",
            "no OAuth client secret on standard input",
        ),
    ];
    for (args, stdin, message) in table {
        let output = handoff(args, stdin, &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains(message),
            "{args:?} should say {message:?}: {}",
            text(&output)
        );
    }
}

/// Each way the keychain can be out of reach gets exit code 4 and a message naming what to start or install,
/// never a silent fallback: a bus address that goes nowhere, and a bus with no Secret Service on it.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_keychain_is_named_and_nothing_is_saved() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().to_str().unwrap_or_default().to_owned();
    let args = [
        "--data-dir",
        &data_dir,
        "connect",
        "--zendesk-url",
        &sim.base_url,
        "--subdomain",
        "d3v-sim",
        "--email",
        "admin@example.com",
        "--token-stdin",
    ];

    let no_bus = handoff(
        &args,
        CANARY_TOKEN,
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
    );
    assert_eq!(no_bus.status.code(), Some(4), "{}", text(&no_bus));
    assert!(
        text(&no_bus).contains("dbus-run-session"),
        "{}",
        text(&no_bus)
    );

    // A fresh session bus on which nothing provides org.freedesktop.secrets.
    let mut command = Command::new("dbus-run-session");
    command
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_handoff"))
        .args(args)
        .env_remove("HANDOFF_SECRET_STORE");
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("dbus-run-session: {e}"));
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(CANARY_TOKEN.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let no_service = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(no_service.status.code(), Some(4), "{}", text(&no_service));
    assert!(
        text(&no_service).contains("gnome-keyring"),
        "{}",
        text(&no_service)
    );

    let status = handoff(&["--data-dir", &data_dir, "status"], "", &[]);
    assert_eq!(
        status.status.code(),
        Some(5),
        "nothing may be saved: {}",
        text(&status)
    );
    for output in [&no_bus, &no_service, &status] {
        assert_no_token(output);
    }
}
