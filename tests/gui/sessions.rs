//! The Relay screen's sessions through the real window, in demo mode: "Start a test conversation" hands a sample
//! conversation to the sandbox account (the simulator inside the app), the handoff worker the app runs turns it
//! into a ticket, the list shows the session with that ticket, the transcript opens, and the ticket link asks
//! the system browser (the test's stand-in) to open the ticket's agent page on the sandbox account, which shows
//! that ticket. The relay runs from the moment the sandbox is connected, and again after a restart.
//!
//! Then reply sync, the way it happens for real: once "Create for me" has set up the webhook and trigger, a rep
//! replies publicly on the test conversation's ticket in the sandbox, Zendesk's trigger posts the signed webhook
//! to the relay the app runs, and within seconds the window shows the rep's reply in that session's transcript
//! and the session as rep-active.

use std::path::Path;
use std::time::{Duration, Instant};

use handoff::clock::Clock;
use handoff::keychain::SecretStoreKind;
use handoff::profile::Profile;
use handoff::session::{HandoffState, Role, SessionId, Sessions};

use super::{
    assert_kept_secret, launch, launch_with, own_listen_address, sandbox_secrets, scroll_to,
    Crossed, StandInBrowser, ONE_WINDOW,
};

/// The sandbox's address, as the app saved it.
fn sandbox_url(data_dir: &Path) -> String {
    let profile =
        Profile::open(data_dir, SecretStoreKind::Keychain).unwrap_or_else(|e| panic!("{e}"));
    let connection = profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the sandbox is saved"));
    assert!(connection.demo, "the saved connection is the sandbox");
    connection
        .base_url
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

/// The ticket creates the sandbox answered, from its request log (`/_sim/requests`, asked while the app runs).
async fn sandbox_ticket_creates(base_url: &str) -> Vec<serde_json::Value> {
    let url = format!("{base_url}/_sim/requests");
    let log: serde_json::Value = reqwest::get(&url)
        .await
        .and_then(reqwest::Response::error_for_status)
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    log["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.trim_end_matches(".json") == "/api/v2/tickets")
        })
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_conversation_in_the_sandbox_becomes_a_ticket_with_its_transcript() {
    let _window = ONE_WINDOW.lock().await;
    let browser = StandInBrowser::new();
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let listen = own_listen_address(data_dir.path());

    let app = launch_with(
        "sessions",
        &data_dir,
        &[("HANDOFF_BROWSER", &browser.script)],
    )
    .await;
    app.click("welcome-demo").await;
    app.wait_for_text("connected", &["Connected"]).await;
    app.click("nav-relay").await;
    app.wait_for_text(
        "sessions-empty",
        &["No sessions yet", "Start a test conversation"],
    )
    .await;
    app.wait_for_text("sessions-queue", &["This app sends handoffs to Zendesk"])
        .await;
    // Connected: the relay runs on its own, nobody clicked Start.
    app.wait_for_text(
        "relay-controls",
        &[
            "Webhook relay",
            "Running",
            &format!("served at http://{listen}"),
            "No deliveries yet",
        ],
    )
    .await;
    app.screenshot("20-relay-sessions-empty").await;

    app.click("sessions-start-test").await;
    let row = app.find("session-row").await;
    app.screenshot("21-test-conversation-started").await;
    app.wait_for_attribute("session-state", "data-state", "done")
        .await;
    let session_id = row
        .attr("data-session-id")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the row names its session"));
    let ticket_text = app.wait_for_text("session-ticket", &["#"]).await;
    let ticket_id: u64 = ticket_text
        .trim()
        .trim_start_matches('#')
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("a ticket number in {ticket_text:?}"));

    // The session the window shows is the one the store holds, done, with the ticket the window shows.
    let profile =
        Profile::open(data_dir.path(), SecretStoreKind::Keychain).unwrap_or_else(|e| panic!("{e}"));
    let stored = Sessions::new(profile.store().clone(), Clock::system())
        .list(10)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].id.to_string(), session_id);
    assert_eq!(stored[0].handoff, HandoffState::Done);
    assert_eq!(stored[0].ticket_id, Some(ticket_id));
    assert_eq!(
        stored[0].contact.email.as_deref(),
        Some("maya.lindqvist@example.com")
    );

    // The sandbox made exactly that ticket, for this session, in one call.
    let base_url = sandbox_url(data_dir.path());
    let creates = sandbox_ticket_creates(&base_url).await;
    assert_eq!(creates.len(), 1, "one ticket create: {creates:#?}");
    assert_eq!(creates[0]["status"], 201, "{:#?}", creates[0]);
    let body: serde_json::Value = serde_json::from_str(creates[0]["body"].as_str().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body["ticket"]["external_id"], session_id.as_str());
    assert_eq!(
        body["ticket"]["requester"]["email"],
        "maya.lindqvist@example.com"
    );

    // The transcript: the new session is open; opening it from the list shows the same four turns.
    app.click("session-open").await;
    let transcript = app
        .wait_for_text(
            "transcript",
            &["Maya Lindqvist", "AI agent", "order #48213", "Handed off"],
        )
        .await;
    assert!(
        transcript.contains("maya.lindqvist@example.com"),
        "{transcript}"
    );
    let turns = app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid='transcript-turn']"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut roles = Vec::new();
    for turn in &turns {
        roles.push(
            turn.attr("data-role")
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_default(),
        );
    }
    assert_eq!(roles, ["customer", "ai", "customer", "ai"]);
    app.screenshot("22-session-with-ticket-and-transcript")
        .await;
    // The transcript is taller than the window: scroll the screen down to its end for the next picture.
    let scrolled = app
        .client
        .execute(
            "const main = document.querySelector('main'); main.scrollTop = main.scrollHeight; return main.scrollTop;",
            Vec::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(scrolled.as_f64().is_some_and(|top| top > 0.0), "{scrolled}");
    app.screenshot("23-transcript-end").await;

    // The ticket link: the app opens the ticket's agent page on the sandbox account in the system browser.
    app.click("session-ticket").await;
    let opened = browser.opened(&app).await;
    assert_eq!(
        opened.as_str(),
        format!("{base_url}/agent/tickets/{ticket_id}")
    );
    // The page the browser gets there is that ticket, for this session, in the sandbox account.
    let page = reqwest::get(opened.as_str())
        .await
        .and_then(reqwest::Response::error_for_status)
        .unwrap_or_else(|e| panic!("{opened}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        page.contains(&format!("<h1>#{ticket_id} "))
            && page.contains(&session_id)
            && page.contains("order #48213"),
        "{page}"
    );

    let secrets = sandbox_secrets(data_dir.path()).await;
    let record = app.record.clone();
    app.quit().await;
    let crossed = Crossed {
        commands: &[
            "get_connection",
            "start_demo",
            "list_sessions",
            "start_test_conversation",
            "get_session",
            "open_ticket",
        ],
        streamed: false,
    };
    assert_kept_secret(&record, data_dir.path(), &secrets, crossed);

    // After a restart the sandbox comes back with a new simulator, the session keeps its ticket, and the app
    // works the queue again from start-up.
    let restarted = launch("sessions-restarted", &data_dir).await;
    restarted.click("nav-relay").await;
    restarted
        .wait_for_text("session-ticket", &[&format!("#{ticket_id}")])
        .await;
    restarted
        .wait_for_text("sessions-queue", &["This app sends handoffs to Zendesk"])
        .await;
    restarted
        .wait_for_text("relay-controls", &["Running", &listen])
        .await;
    restarted.screenshot("24-sessions-after-restart").await;
    let mut secrets = secrets;
    secrets.extend(sandbox_secrets(data_dir.path()).await);
    let record = restarted.record.clone();
    restarted.quit().await;
    let crossed = Crossed {
        commands: &["get_connection", "list_sessions"],
        streamed: false,
    };
    assert_kept_secret(&record, data_dir.path(), &secrets, crossed);
}

/// The ticket number a `session-ticket` link shows (`#42`).
fn ticket_number(text: &str) -> u64 {
    text.trim()
        .trim_start_matches('#')
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("a ticket number in {text:?}"))
}

/// The `data-role` of every turn of the open transcript, in order.
async fn transcript_roles(app: &e2e::App) -> Vec<String> {
    let turns = app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid='transcript-turn']"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut roles = Vec::new();
    for turn in &turns {
        roles.push(
            turn.attr("data-role")
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_default(),
        );
    }
    roles
}

/// A rep's public reply in Zendesk reaches the session in the window: demo mode, "Create for me", the relay
/// running, a test conversation handed off to its ticket; then a rep replies publicly on that ticket in the sandbox
/// (its control API posts as an agent through the same update and trigger path as Zendesk's agent UI), the trigger
/// posts the signed webhook to the app's relay, and the transcript shows the rep's turn with the session rep-active.
#[tokio::test(flavor = "multi_thread")]
async fn a_reps_public_reply_in_zendesk_reaches_the_session_in_the_window() {
    const REPLY: &str =
        "Hi Maya, this is Aaron from the support team. Order #48213 was re-shipped this morning; \
                         the tracking link follows by email.";
    let _window = ONE_WINDOW.lock().await;
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let listen = own_listen_address(data_dir.path());
    let app = launch("reply-sync", &data_dir).await;

    app.click("welcome-demo").await;
    app.wait_for_text("connected", &["Connected", "Sandbox account"])
        .await;

    // Setup: "Create for me" makes the webhook and trigger; Zendesk's probe reaches the running relay.
    app.click("nav-setup").await;
    app.click("setup-create").await;
    app.wait_for_attribute("setup-run", "data-finished", "done")
        .await;
    for item in ["webhook_endpoint", "trigger_body", "relay_reachable"] {
        app.wait_for_attribute(&format!("checklist-item-{item}"), "data-state", "ok")
            .await;
    }

    // The relay runs; a test conversation becomes a ticket, with nobody from Zendesk in it yet.
    app.click("nav-relay").await;
    app.wait_for_text(
        "relay-controls",
        &["Running", &format!("served at http://{listen}")],
    )
    .await;
    app.click("sessions-start-test").await;
    let row = app.find("session-row").await;
    app.wait_for_attribute("session-state", "data-state", "done")
        .await;
    let session_id = row
        .attr("data-session-id")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the row names its session"));
    let ticket_id = ticket_number(&app.wait_for_text("session-ticket", &["#"]).await);
    app.wait_for_text("transcript", &["order #48213", "Handed off"])
        .await;
    assert_eq!(
        transcript_roles(&app).await,
        ["customer", "ai", "customer", "ai"]
    );
    assert!(
        !app.text("transcript").await.contains("Rep active"),
        "no rep owns the conversation before the reply"
    );

    // A rep replies publicly on the ticket in Zendesk (the sandbox's own agent, through its agent UI path).
    let base_url = sandbox_url(data_dir.path());
    let replied = Instant::now();
    let url = format!("{base_url}/_sim/tickets/{ticket_id}/comments");
    let answer = reqwest::Client::new()
        .post(&url)
        .json(&serde_json::json!({ "body": REPLY, "public": true, "via": "web" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    assert_eq!(answer.status(), 200, "{:?}", answer.text().await);

    // Within seconds the window shows it on that session: the rep's turn last, the session rep-active.
    app.wait_for_text(
        "transcript",
        &[REPLY, "Rep in Zendesk", "Agent reply", "Rep active"],
    )
    .await;
    let took = replied.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "the reply took {took:?} to reach the window"
    );
    assert_eq!(
        app.find("transcript")
            .await
            .attr("data-session-id")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .as_deref(),
        Some(session_id.as_str())
    );
    assert_eq!(
        transcript_roles(&app).await,
        ["customer", "ai", "customer", "ai", "agent"]
    );
    app.wait_for_text("sessions-list", &["Rep active"]).await;
    // The relay's stream shows the delivery that brought it, verified and handled for that ticket.
    app.wait_for_text("deliveries", &[&format!("#{ticket_id}"), "Verified"])
        .await;

    // The store agrees: an agent turn with the reply, and the session human-active.
    let profile =
        Profile::open(data_dir.path(), SecretStoreKind::Keychain).unwrap_or_else(|e| panic!("{e}"));
    let session = Sessions::new(profile.store().clone(), Clock::system())
        .get(SessionId::parse(&session_id).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(session.human_active, "{session:?}");
    assert!(
        session
            .turns
            .last()
            .is_some_and(|turn| turn.role == Role::Agent && turn.text == REPLY),
        "{:?}",
        session.turns
    );

    // The picture: the rep's reply whole at the bottom of the screen, the turns before it above.
    let scrolled = app
        .client
        .execute(
            "const main = document.querySelector('main');
             const reply = document.querySelector(\"[data-testid='transcript-turn'][data-role='agent']\");
             if (main === null || reply === null) { return null; }
             main.style.scrollBehavior = 'auto';
             main.scrollTop += reply.getBoundingClientRect().bottom - main.getBoundingClientRect().bottom + 24;
             return main.scrollTop;",
            Vec::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(scrolled.is_number(), "the rep's reply is on the screen");
    app.screenshot("25-reply-in-transcript").await;
    scroll_to(&app, "relay-controls").await;
    app.screenshot("26-reply-delivery").await;

    let secrets = sandbox_secrets(data_dir.path()).await;
    let record = app.record.clone();
    app.quit().await;
    let crossed = Crossed {
        commands: &[
            "get_connection",
            "start_demo",
            "setup_checklist",
            "run_setup",
            "relay_overview",
            "list_sessions",
            "start_test_conversation",
            "get_session",
        ],
        // Setup's events are streamed, but they are not checks with an id.
        streamed: false,
    };
    assert_kept_secret(&record, data_dir.path(), &secrets, crossed);
}
