//! The console's in-process handoff worker (`service::Background`) and the sandbox's "Start a test
//! conversation", against the sandbox simulator with the real keychain and SQLite: the test conversation becomes
//! one real ticket in the sandbox; a running `handoff serve` keeps the queue until it stops; a real account
//! never gets a made-up customer.

use std::time::{Duration, Instant};

use handoff::clock::Clock;
use handoff::demo::{self, Demo, DemoError};
use handoff::handoff::{ticket_page, SessionLinks, Worker};
use handoff::profile::Profile;
use handoff::service::{Background, QueueWork};
use handoff::session::{HandoffState, SessionId, Sessions};
use tempfile::TempDir;

use crate::profile;

async fn sandbox() -> (TempDir, Profile, Demo) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let demo = demo::start(&profile, jiff::Timestamp::now(), |_| {})
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    (dir, profile, demo)
}

/// The POST /api/v2/tickets the sandbox answered, with their bodies.
fn ticket_creates(demo: &Demo) -> Vec<serde_json::Value> {
    demo.simulator
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.trim_end_matches(".json") == "/api/v2/tickets")
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.body);
            serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
        })
        .collect()
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn handed_off(sessions: &Sessions, id: SessionId) -> u64 {
    let status = sessions
        .wait_for_ticket(id, Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.state, HandoffState::Done, "{status:?}");
    status
        .ticket_id
        .unwrap_or_else(|| panic!("a done handoff has its ticket"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_conversation_becomes_one_ticket_in_the_sandbox_worked_in_process() {
    let (_dir, profile, demo) = sandbox().await;
    let background = Background::new(profile.clone(), Clock::system());
    assert_eq!(background.work(), QueueWork::Idle);
    assert_eq!(
        background.start().await.unwrap_or_else(|e| panic!("{e}")),
        QueueWork::Here
    );

    let sessions = background.sessions();
    let accepted = demo::start_test_conversation(&profile, &sessions, jiff::Timestamp::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let session = sessions
        .get(accepted.session_id)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        session.contact.email.as_deref(),
        Some("maya.lindqvist@example.com")
    );
    assert_eq!(session.channel.as_str(), "email");
    let roles: Vec<&str> = session.turns.iter().map(|t| t.role.as_str()).collect();
    assert_eq!(roles, ["customer", "ai", "customer", "ai"]);
    assert!(
        session.turns.windows(2).all(|pair| pair[0].at < pair[1].at),
        "turns keep their order in time: {:?}",
        session.turns
    );

    let ticket_id = handed_off(&sessions, accepted.session_id).await;
    let creates = ticket_creates(&demo);
    assert_eq!(creates.len(), 1, "one ticket create: {creates:#?}");
    let ticket = &creates[0]["ticket"];
    assert_eq!(ticket["external_id"], accepted.session_id.to_string());
    assert_eq!(ticket["requester"]["email"], "maya.lindqvist@example.com");
    let shown = handoff::account::open(&profile, &Clock::system())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("connected"))
        .client
        .show_ticket(ticket_id)
        .await
        .unwrap_or_else(|e| panic!("the ticket exists in the sandbox: {e}"));
    assert_eq!(
        shown.external_id.as_deref(),
        Some(accepted.session_id.to_string().as_str())
    );
    assert!(
        shown.tags.iter().any(|tag| tag == "opencx_channel_email"),
        "{:?}",
        shown.tags
    );

    let page = ticket_page::for_session(&profile, &sessions, &accepted.session_id.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        page.as_str(),
        format!("{}/agent/tickets/{ticket_id}", demo.simulator.base_url)
    );

    // Starting again is the restart after a connection change: the worker of the old one stops first, so the
    // new one finds the seat free.
    assert_eq!(
        background.start().await.unwrap_or_else(|e| panic!("{e}")),
        QueueWork::Here
    );
    background.stop().await;
    assert_eq!(background.work(), QueueWork::Idle);
    let links = SessionLinks::open(&profile.keychain().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = handoff::account::open(&profile, &Clock::system())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("connected"))
        .client;
    Worker::new(profile.store().clone(), Clock::system(), client, links)
        .unwrap_or_else(|e| panic!("stopping released the seat: {e}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_serve_keeps_the_queue_and_the_console_takes_over_when_it_stops() {
    let (_dir, profile, demo) = sandbox().await;
    let account = handoff::account::open(&profile, &Clock::system())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("connected"));
    let links = SessionLinks::open(&profile.keychain().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // What `handoff serve` holds: the data folder's one worker seat.
    let serve = Worker::new(
        profile.store().clone(),
        Clock::system(),
        account.client,
        links,
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let background = Background::new(profile.clone(), Clock::system())
        .with_take_over_every(Duration::from_millis(200));
    assert_eq!(
        background.start().await.unwrap_or_else(|e| panic!("{e}")),
        QueueWork::Elsewhere
    );
    let sessions = background.sessions();
    let first = demo::start_test_conversation(&profile, &sessions, jiff::Timestamp::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        ticket_creates(&demo).is_empty(),
        "the console leaves the queue to the process that holds it"
    );
    serve
        .run_until_idle()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ticket = handed_off(&sessions, first.session_id).await;
    assert_eq!(background.work(), QueueWork::Elsewhere);

    drop(serve);
    until("the console takes the free seat", || {
        background.work() == QueueWork::Here
    })
    .await;
    // The same customer comes back: her ticket is updated, by the console's worker this time.
    let second =
        demo::start_test_conversation(&profile, &background.sessions(), jiff::Timestamp::now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(handed_off(&sessions, second.session_id).await, ticket);
    assert_eq!(
        ticket_creates(&demo).len(),
        1,
        "a returning contact adds to her ticket"
    );
    background.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_conversation_never_reaches_a_real_account() {
    let rig = crate::handoffs::rig().await;
    let sessions = Sessions::new(rig.profile.store().clone(), Clock::system());
    let refused =
        demo::start_test_conversation(&rig.profile, &sessions, jiff::Timestamp::now()).await;
    assert!(matches!(refused, Err(DemoError::NotSandbox)), "{refused:?}");
    assert!(
        sessions
            .list(10)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty(),
        "nothing was created"
    );

    let none = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let unconnected = profile(&none);
    let refused = demo::start_test_conversation(
        &unconnected,
        &Sessions::new(unconnected.store().clone(), Clock::system()),
        jiff::Timestamp::now(),
    )
    .await;
    assert!(matches!(refused, Err(DemoError::NotSandbox)), "{refused:?}");
    let background = Background::new(unconnected.clone(), Clock::system());
    assert_eq!(
        background.start().await.unwrap_or_else(|e| panic!("{e}")),
        QueueWork::Idle,
        "nothing saved, nothing to work"
    );
}

/// `handoff demo --test-conversation`: what the console's button does, from a terminal. Its first line (JSON)
/// carries the session and the sandbox ticket it became; `session show` finds the same ticket; Ctrl-C ends it.
#[test]
fn the_cli_starts_a_test_conversation_in_its_sandbox() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().to_str().unwrap_or_default().to_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args([
            "--data-dir",
            &data_dir,
            "demo",
            "--json",
            "--test-conversation",
        ])
        .env_remove("DISPLAY")
        .env_remove("HANDOFF_SECRET_STORE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let (lines, first) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let line = std::io::BufReader::new(stdout).lines().next();
        let _ = lines.send(line);
    });
    let line = first
        .recv_timeout(Duration::from_secs(60))
        .ok()
        .flatten()
        .and_then(Result::ok);
    let Some(line) = line else {
        let _ = child.kill();
        panic!("`handoff demo --test-conversation` printed nothing within 60 s");
    };
    let printed: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let outcome = &printed["test_conversation"];
    assert_eq!(outcome["state"], "done", "{printed}");
    let ticket_id = outcome["ticket_id"]
        .as_u64()
        .unwrap_or_else(|| panic!("{printed}"));
    let simulator = printed["simulator"].as_str().unwrap_or_default();
    assert_eq!(
        outcome["ticket_url"],
        format!(
            "{}/agent/tickets/{ticket_id}",
            simulator.trim_end_matches('/')
        )
    );
    let session_id = outcome["session_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let shown = crate::handoff(
        &[
            "--data-dir",
            &data_dir,
            "session",
            "show",
            &session_id,
            "--json",
        ],
        "",
        &[],
    );
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", crate::text(&shown)));
    assert_eq!(shown["ticket_id"], ticket_id, "{shown}");
    assert_eq!(shown["handoff"]["state"], "done", "{shown}");

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(interrupted.success());
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.code(), Some(0), "Ctrl-C ends the sandbox");
}
