//! `handoff session|config|api-key|serve` as a script drives them: the JSON keys and exit codes scripts rely on.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use handoff::session::{NewTurn, Role, SessionId, Sessions};
use serde_json::Value;
use zendesk_sim::FaultKind;

use crate::{handoff, profile, simulator, text, CANARY_TOKEN};

/// A data folder connected to `sim` with the admin's API token, through the CLI.
pub fn connected_folder(sim: &zendesk_sim::RunningSimulator) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().to_str().unwrap_or_default();
    let connect = handoff(
        &[
            "--data-dir",
            data_dir,
            "connect",
            "--zendesk-url",
            &sim.base_url,
            "--subdomain",
            "d3v-sim",
            "--email",
            "admin@example.com",
            "--token-stdin",
        ],
        &format!("{CANARY_TOKEN}\n"),
        &[],
    );
    assert_eq!(connect.status.code(), Some(0), "{}", text(&connect));
    dir
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(output)))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_from_the_cli_becomes_a_ticket_and_the_ai_goes_quiet_once_a_rep_replies() {
    let sim = simulator().await;
    let dir = connected_folder(&sim);
    let data_dir = dir.path().to_str().unwrap_or_default();
    let cli = |args: &[&str]| {
        let mut all = vec!["--data-dir", data_dir];
        all.extend_from_slice(args);
        handoff(&all, "", &[])
    };

    let made = cli(&[
        "session",
        "new",
        "--name",
        "Jane Doe",
        "--email",
        "jane@example.com",
        "--channel",
        "whatsapp",
    ]);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made));
    let id = String::from_utf8_lossy(&made.stdout).trim().to_owned();
    assert!(SessionId::parse(&id).is_ok(), "prints the id: {id:?}");
    for (role, words) in [
        ("customer", "Where is my order 1042?"),
        ("ai", "Let me hand you to a colleague."),
    ] {
        let said = cli(&["session", "say", &id, "--as", role, words]);
        assert_eq!(said.status.code(), Some(0), "{}", text(&said));
    }

    let handed = cli(&["--json", "session", "handoff", &id, "--wait", "20s"]);
    assert_eq!(handed.status.code(), Some(0), "{}", text(&handed));
    let handed = json_of(&handed);
    assert_eq!(handed["state"], "done", "{handed}");
    assert_eq!(handed["created"], true);
    let ticket_id = handed["ticket_id"]
        .as_u64()
        .unwrap_or_else(|| panic!("{handed}"));

    let shown = json_of(&cli(&["--json", "session", "show", &id]));
    assert_eq!(shown["id"], id.as_str());
    assert_eq!(shown["ticket_id"], ticket_id);
    assert_eq!(shown["human_active"], false);
    assert_eq!(shown["handoff"]["state"], "done");
    assert_eq!(shown["handoff"]["reason"], Value::Null);
    assert_eq!(shown["turns"][0]["role"], "customer");
    assert_eq!(shown["turns"][0]["text"], "Where is my order 1042?");
    assert!(shown["turns"][0]["at"].is_string());

    // A rep's reply (recorded as the relay records it) makes the session human-active: the AI is refused.
    let profile = profile(&dir);
    Sessions::new(profile.store().clone(), handoff::clock::Clock::system())
        .add_turn(
            SessionId::parse(&id).unwrap_or_else(|e| panic!("{e}")),
            NewTurn {
                role: Role::Agent,
                text: "On its way!".into(),
                at: None,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let refused = cli(&["session", "say", &id, "--as", "ai", "Anything else?"]);
    assert_eq!(refused.status.code(), Some(10), "{}", text(&refused));
    assert!(
        text(&refused).contains("a rep owns the conversation"),
        "{}",
        text(&refused)
    );
    let customer = cli(&["session", "say", &id, "--as", "customer", "Thanks"]);
    assert_eq!(customer.status.code(), Some(0), "{}", text(&customer));

    let listed = json_of(&cli(&["--json", "session", "list"]));
    assert_eq!(listed["sessions"][0]["id"], id.as_str());
    assert_eq!(listed["sessions"][0]["human_active"], true);
    let shown = cli(&["session", "show", &id]);
    assert!(
        text(&shown).contains(&format!("#{ticket_id}")),
        "{}",
        text(&shown)
    );

    for (args, code) in [
        (
            vec!["session", "new", "--channel", "fax", "--email", "a@b.co"],
            2,
        ),
        (
            vec!["session", "new", "--channel", "sms", "--name", "No Contact"],
            2,
        ),
        (
            vec!["session", "say", "not-a-session", "--as", "ai", "x"],
            2,
        ),
        (vec!["session", "say", &id, "--as", "agent", "x"], 2),
        (
            vec!["session", "show", "7d0b3c9e-1f2a-4b5c-8d9e-0f1a2b3c4d5e"],
            2,
        ),
        (vec!["session", "handoff", &id, "--wait", "soon"], 2),
    ] {
        let output = cli(&args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            text(&output)
        );
    }
    assert!(!text(&made).contains(CANARY_TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handoff_zendesk_keeps_refusing_is_still_pending_with_its_reason_after_the_wait() {
    let sim = simulator().await;
    let dir = connected_folder(&sim);
    let data_dir = dir.path().to_str().unwrap_or_default();
    sim.sim.inject_fault(
        Some("POST"),
        "/api/v2/tickets",
        FaultKind::ServerError(503),
        None,
    );
    let made = handoff(
        &[
            "--data-dir",
            data_dir,
            "session",
            "new",
            "--email",
            "late@example.com",
            "--channel",
            "email",
        ],
        "",
        &[],
    );
    let id = String::from_utf8_lossy(&made.stdout).trim().to_owned();
    let pending = handoff(
        &[
            "--data-dir",
            data_dir,
            "--json",
            "session",
            "handoff",
            &id,
            "--wait",
            "2s",
        ],
        "",
        &[],
    );
    assert_eq!(pending.status.code(), Some(8), "{}", text(&pending));
    let pending = json_of(&pending);
    assert_eq!(pending["state"], "pending");
    assert!(
        pending["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{pending}"
    );
    assert_eq!(pending["ticket_id"], Value::Null);

    // Zendesk recovers: the queued handoff completes on the next run, with one ticket.
    sim.sim.clear_faults();
    let done = handoff(
        &[
            "--data-dir",
            data_dir,
            "--json",
            "session",
            "handoff",
            &id,
            "--wait",
            "20s",
        ],
        "",
        &[],
    );
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
    let creates = sim
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/api/v2/tickets" && r.status < 300)
        .count();
    assert_eq!(creates, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn config_and_api_keys_through_the_cli() {
    let sim = simulator().await;
    let dir = connected_folder(&sim);
    let data_dir = dir.path().to_str().unwrap_or_default();
    let cli = |args: &[&str]| {
        let mut all = vec!["--data-dir", data_dir];
        all.extend_from_slice(args);
        handoff(&all, "", &[])
    };
    let all = json_of(&cli(&["--json", "config", "get"]));
    assert_eq!(all["settings"]["tag-prefix"], "opencx");
    let set = json_of(&cli(&["--json", "config", "set", "tag-prefix", "acme"]));
    assert_eq!(
        (set["key"].clone(), set["value"].clone()),
        (Value::from("tag-prefix"), Value::from("acme"))
    );
    assert_eq!(
        String::from_utf8_lossy(&cli(&["config", "get", "tag-prefix"]).stdout).trim(),
        "acme"
    );
    for (args, code) in [
        (vec!["config", "set", "tag-prefix", "has space"], 2),
        (vec!["config", "set", "public-url", "not a url"], 2),
        (vec!["config", "set", "colour", "red"], 2),
        (vec!["config", "get", "colour"], 2),
    ] {
        let output = cli(&args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            text(&output)
        );
    }

    let made = json_of(&cli(&[
        "--json",
        "api-key",
        "new",
        "--label",
        "ai-platform",
    ]));
    let key = made["key"].as_str().unwrap_or_default().to_owned();
    let id = made["id"].as_str().unwrap_or_default().to_owned();
    assert!(key.starts_with("hk_") && key.len() > 40, "{made}");
    let listed = cli(&["--json", "api-key", "list"]);
    assert!(!text(&listed).contains(&key), "the key is shown once only");
    let listed = json_of(&listed);
    assert_eq!(listed["keys"][0]["label"], "ai-platform");
    assert_eq!(listed["keys"][0]["revoked_at"], Value::Null);
    let db = std::fs::read(dir.path().join("handoff.sqlite3")).unwrap_or_default();
    assert!(
        !db.windows(key.len()).any(|w| w == key.as_bytes()),
        "only a hash is stored"
    );
    assert_eq!(cli(&["api-key", "revoke", &id]).status.code(), Some(0));
    assert!(json_of(&cli(&["--json", "api-key", "list"]))["keys"][0]["revoked_at"].is_string());
    assert_eq!(
        cli(&["api-key", "revoke", "key_nope"]).status.code(),
        Some(2)
    );
}

/// `handoff serve` prints its address first, answers the API with a key, and stops on SIGTERM.
#[tokio::test(flavor = "multi_thread")]
async fn serve_prints_its_address_first_and_stops_on_sigterm() {
    let sim = simulator().await;
    let dir = connected_folder(&sim);
    let data_dir = dir.path().to_str().unwrap_or_default().to_owned();
    let key = json_of(&handoff(
        &["--data-dir", &data_dir, "--json", "api-key", "new"],
        "",
        &[],
    ))["key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let not_connected = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let refused = handoff(
        &[
            "--data-dir",
            not_connected.path().to_str().unwrap_or_default(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ],
        "",
        &[],
    );
    assert_eq!(refused.status.code(), Some(5), "{}", text(&refused));

    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args(["--data-dir", &data_dir, "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut first = String::new();
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    BufReader::new(stdout)
        .read_line(&mut first)
        .unwrap_or_else(|e| panic!("{e}"));
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first:?}"))
        .to_owned();
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health.status().as_u16(), 200);
    let sessions = client
        .get(format!("{base}/v1/sessions"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sessions.status().as_u16(), 200);

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            assert_eq!(status.code(), Some(0), "a clean stop");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
