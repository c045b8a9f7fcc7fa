//! The standalone `zendesk-sim` binary: its stdout contract and a live request.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn binary_prints_address_and_credentials_then_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zendesk-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--admin-token",
            "fixed-admin-token-for-the-binary-test",
            "--oauth-relay-secret",
            "fixed-relay-secret-for-the-binary-test",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a first line").expect("utf-8");
    let base_url = first
        .strip_prefix("listening on ")
        .expect("first line announces the address")
        .to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{first}");
    assert!(
        !base_url.ends_with(":0"),
        "the real bound port is printed: {first}"
    );
    let mut credentials = Vec::new();
    for _ in 0..3 {
        let line = lines.next().expect("a credential line").expect("utf-8");
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(words.len(), 4, "{line}");
        assert_eq!(words[2], "token", "{line}");
        credentials.push((
            words[0].to_owned(),
            words[1].to_owned(),
            words[3].to_owned(),
        ));
    }
    assert_eq!(credentials[0].0, "admin");
    assert_eq!(credentials[0].2, "fixed-admin-token-for-the-binary-test");
    assert!(credentials[1..]
        .iter()
        .all(|(role, _, token)| role == "agent" && token.len() == 40));
    // After the tokens: `oauth-client <identifier> secret <secret or ->`, public client first.
    let clients: Vec<String> = (0..2)
        .map(|_| lines.next().expect("an OAuth client line").expect("utf-8"))
        .collect();
    assert_eq!(
        clients,
        [
            "oauth-client handoff_console secret -",
            "oauth-client handoff_relay secret fixed-relay-secret-for-the-binary-test",
        ]
    );

    let response = reqwest::Client::new()
        .get(format!("{base_url}/api/v2/users/me.json"))
        .basic_auth(
            format!("{}/token", credentials[0].1),
            Some(&credentials[0].2),
        )
        .send()
        .await
        .expect("binary answers");
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("json body");

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let exit = child.wait().expect("binary exits");
    assert_eq!(status, 200);
    assert_eq!(body["user"]["role"], "admin");
    assert!(exit.success(), "SIGTERM is a clean shutdown: {exit:?}");
}

#[tokio::test]
async fn spawned_simulator_serves_and_stops() {
    let running = zendesk_sim::spawn(zendesk_sim::SimConfig {
        seed: zendesk_sim::Seed::Minimal,
        ..Default::default()
    })
    .await
    .expect("binds");
    let admin = running.sim.admin();
    let response = reqwest::Client::new()
        .get(format!("{}/api/v2/users/me", running.base_url))
        .basic_auth(format!("{}/token", admin.email), Some(&admin.token))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 200);
    let base_url = running.base_url.clone();
    running.stop().await.expect("stops cleanly");
    let after = reqwest::Client::new()
        .get(format!("{base_url}/api/v2/users/me"))
        .send()
        .await;
    assert!(after.is_err(), "nothing listens after stop");
}

#[tokio::test]
async fn binary_seeds_from_a_dump_directory_and_refuses_a_missing_one() {
    let dump = format!("{}/fixtures/account-dump", crate::support::SHARED_ZENDESK);
    let mut child = Command::new(env!("CARGO_BIN_EXE_zendesk-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--seed",
            &dump,
            "--latency-ms",
            "1",
            "--plan",
            "team",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let base_url = lines
        .next()
        .unwrap()
        .unwrap()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let admin = lines.next().unwrap().unwrap();
    let words: Vec<&str> = admin.split(' ').collect();
    let response = reqwest::Client::new()
        .get(format!("{base_url}/api/v2/ticket_fields.json"))
        .basic_auth(format!("{}/token", words[1]), Some(words[3]))
        .send()
        .await
        .expect("answers");
    let limit = response
        .headers()
        .get("x-rate-limit")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body: serde_json::Value = response.json().await.unwrap();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child.wait().unwrap();
    assert_eq!(body["count"], 89);
    assert_eq!(limit.as_deref(), Some("200"), "the Team plan's limit");

    let missing = Command::new(env!("CARGO_BIN_EXE_zendesk-sim"))
        .args(["--listen", "127.0.0.1:0", "--seed", "/nonexistent/dump"])
        .output()
        .expect("binary runs");
    assert!(!missing.status.success());
    assert!(
        missing.stdout.is_empty(),
        "nothing is announced when the seed cannot load"
    );
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/dump"));
}
