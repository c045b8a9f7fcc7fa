//! What the console hosts (`service::Host`), against the sandbox simulator with the real keychain and SQLite: the
//! relay's server on the `listen-address` setting beside the workers, so one-click setup's webhook reaches it and
//! a rep's reply posted in the simulator lands on the session; a taken port is refused with how to change it; a
//! connection change restarts the server on the same address; stopping frees the port. The server starts with
//! the connection unless the admin stopped it, and that choice outlives the host (the next launch).

use std::time::{Duration, Instant};

use handoff::clock::Clock;
use handoff::relay::console;
use handoff::service::{Host, HostError, QueueWork, RelayState};
use handoff::session::{Role, SessionId};
use handoff::settings::{SettingKey, Settings};
use handoff::setup::{self, Scope, SetupOptions};
use serde_json::json;

use crate::profile;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn healthz(address: &str) -> Option<u16> {
    reqwest::Client::new()
        .get(format!("http://{address}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

async fn until<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_hosts_the_relay_and_a_reps_reply_reaches_the_session() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let demo = handoff::demo::start(&profile, jiff::Timestamp::now(), |_| {})
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let settings = Settings::new(profile.store().clone());
    let address = format!("127.0.0.1:{}", free_port());
    settings
        .set(SettingKey::ListenAddress, &address)
        .unwrap_or_else(|e| panic!("{e}"));
    let clock = Clock::system();

    let host = Host::new(profile.clone(), clock.clone());
    assert_eq!(host.relay(), RelayState::Stopped);
    let refused = host.start_relay().await.err().map(|e| e.to_string());
    assert!(
        refused.as_deref().is_some_and(|e| e.contains("connect")),
        "{refused:?}"
    );
    assert_eq!(
        host.connection_changed()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        QueueWork::Here
    );
    // Connected: the relay started on its own, nobody clicked Start.
    assert!(
        matches!(host.relay(), RelayState::Running { address: running } if running.to_string() == address),
        "{:?}",
        host.relay()
    );
    assert_eq!(host.autostart().ok(), Some(true));
    let bound = host.start_relay().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bound.to_string(), address);
    assert_eq!(host.relay(), RelayState::Running { address: bound });
    assert_eq!(healthz(&address).await, Some(200));
    assert_eq!(
        host.start_relay().await.ok(),
        Some(bound),
        "starting a running relay leaves it as it is"
    );

    // One-click setup points the sandbox's webhook at the relay's own address (the public URL by default).
    setup::run(
        &profile,
        &clock,
        SetupOptions {
            dry_run: false,
            scope: Scope::All,
        },
        |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let url = console::webhook_url_of(&profile, &clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        url.starts_with(&format!("http://{address}/zendesk/")),
        "{url}"
    );
    let shown = console::redacted_webhook_url(&profile, &clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let tag = url.rsplit_once('.').map(|(_, tag)| tag).unwrap_or_default();
    assert!(tag.len() >= 22 && !shown.contains(tag), "{shown}");

    let sessions = host.sessions();
    let accepted = handoff::demo::start_test_conversation(&profile, &sessions, clock.now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ticket = sessions
        .wait_for_ticket(accepted.session_id, Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .ticket_id
        .unwrap_or_else(|| panic!("a ticket"));

    // A rep replies in the sandbox: its trigger calls the relay, the reply worker puts the reply on the session.
    let reply = "Hi Maya, a new parcel leaves today.";
    let posted = reqwest::Client::new()
        .post(format!(
            "{}/_sim/tickets/{ticket}/comments",
            demo.simulator.base_url
        ))
        .json(&json!({"author": "agent@example.com", "body": reply, "public": true}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(posted.status().as_u16(), 200);
    let id: SessionId = accepted.session_id;
    until("the reply on the session", async || {
        let session = sessions.get(id).ok()?;
        session
            .turns
            .iter()
            .any(|t| t.role == Role::Agent && t.text.contains(reply))
            .then_some(())
    })
    .await;
    assert!(
        sessions
            .get(id)
            .unwrap_or_else(|e| panic!("{e}"))
            .human_active
    );
    let deliveries = console::recent_deliveries(&profile, 20).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        deliveries.iter().any(|d| d.ticket_id == Some(ticket)
            && d.verdict == "accepted"
            && d.state == "done"
            && d.outcome
                .as_deref()
                .is_some_and(|o| o.contains("delivered"))),
        "{deliveries:#?}"
    );
    assert!(
        deliveries.windows(2).all(|pair| pair[0].id > pair[1].id),
        "newest first"
    );

    // A connection change restarts the server with the workers, on the same address.
    host.connection_changed()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(host.relay(), RelayState::Running { address: bound });
    assert_eq!(healthz(&address).await, Some(200));

    // A port another program holds is refused, saying how to change the address.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let taken_address = taken.local_addr().unwrap_or_else(|e| panic!("{e}"));
    settings
        .set(SettingKey::ListenAddress, &taken_address.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    host.stop_relay().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(host.relay(), RelayState::Stopped);
    assert_eq!(healthz(&address).await, None, "stopping frees the port");
    assert_eq!(
        host.autostart().ok(),
        Some(false),
        "the admin's Stop is kept"
    );
    let error = host.start_relay().await.err();
    assert!(
        matches!(error, Some(HostError::AddressInUse { address }) if address == taken_address),
        "{error:?}"
    );
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("already in use") && message.contains("listen-address"),
        "{message}"
    );
    assert!(matches!(host.relay(), RelayState::Failed { reason } if reason == message));

    assert_eq!(
        host.autostart().ok(),
        Some(true),
        "Start is kept even when the port was taken"
    );
    drop(taken);

    host.stop().await;
    assert_eq!(host.work(), QueueWork::Idle);
    assert_eq!(host.relay(), RelayState::Stopped);
    assert_eq!(
        host.autostart().ok(),
        Some(true),
        "closing the app is not the admin's Stop"
    );

    // The next launch: the relay comes back with the connection on its own...
    settings
        .set(SettingKey::ListenAddress, &address)
        .unwrap_or_else(|e| panic!("{e}"));
    let relaunched = Host::new(profile.clone(), clock.clone());
    relaunched
        .connection_changed()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(relaunched.relay(), RelayState::Running { .. }),
        "{:?}",
        relaunched.relay()
    );
    assert_eq!(healthz(&address).await, Some(200));
    // ...and once the admin stops it, the launch after that leaves it stopped, connected or not.
    relaunched
        .stop_relay()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    relaunched.stop().await;
    let stopped_by_admin = Host::new(profile.clone(), clock.clone());
    stopped_by_admin
        .connection_changed()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stopped_by_admin.work(), QueueWork::Here);
    assert_eq!(stopped_by_admin.relay(), RelayState::Stopped);
    assert_eq!(healthz(&address).await, None);
    stopped_by_admin.stop().await;
}

/// The console's Verify through what it hosts: the relay already runs and the console's own handoff worker
/// works the queue, so the verification queues its handoff through the console's sessions API, whose wake starts
/// that worker at once: the handoff step is the ticket's create, not a wait for the worker's next look at the
/// queue (up to a second).
#[tokio::test(flavor = "multi_thread")]
async fn the_consoles_verify_wakes_its_handoff_worker() {
    use handoff::verify::{self, Replier, StepId};

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let _demo = handoff::demo::start(&profile, jiff::Timestamp::now(), |_| {})
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    Settings::new(profile.store().clone())
        .set(
            SettingKey::ListenAddress,
            &format!("127.0.0.1:{}", free_port()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let clock = Clock::system();
    let host = Host::new(profile.clone(), clock.clone());
    assert_eq!(
        host.connection_changed()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        QueueWork::Here
    );
    setup::run(
        &profile,
        &clock,
        SetupOptions {
            dry_run: false,
            scope: Scope::All,
        },
        |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));

    // Several runs: without the wake, each handoff would wait a random part of the worker's 1 s poll.
    let mut handoffs = Vec::new();
    for _ in 0..3 {
        let options = verify::console_options(&profile, Replier::Auto, host.sessions())
            .unwrap_or_else(|e| panic!("{e}"));
        let report = verify::run(&profile, &clock, options, |_| {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(report.passed, "{:#?}", report.steps);
        assert!(
            report
                .relay
                .as_ref()
                .is_some_and(|relay| !matches!(relay, verify::RelayUse::Hosted { .. })),
            "the console's own relay received the webhook: {:?}",
            report.relay
        );
        let step = report
            .steps
            .iter()
            .find(|s| s.id == StepId::Handoff)
            .and_then(|s| s.duration)
            .unwrap_or_else(|| panic!("a timed handoff step: {:#?}", report.steps));
        handoffs.push(step);
    }
    assert!(
        handoffs.iter().all(|d| *d < Duration::from_millis(500)),
        "each handoff is the create's round trip, not a wait for the worker's poll: {handoffs:?}"
    );
    host.stop().await;
}
