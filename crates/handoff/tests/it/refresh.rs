//! One token refresh across processes: the console, the CLI beside it and a relay share one profile, and a
//! refresh kills the old pair, so only one of them may renew it; the others must adopt its pair, never
//! conclude "reconnect required".

use std::time::Duration;

use handoff::clock::Clock;
use zendesk_sim::FaultKind;

use crate::oauth::{accepted, connected, oauth_simulator, stored_tokens, token_requests};
use crate::{handoff, profile, text};

/// Five `handoff status --verify` processes start together just after the access token expired at Zendesk;
/// the token endpoint takes 2.5 s to answer. Each gets a 401, and each wants to refresh: exactly one does
/// (Zendesk sees one refresh), the other four wait for it and adopt the pair it stored, every process reports
/// the credentials working, and the profile ends connected with a pair Zendesk accepts.
#[tokio::test(flavor = "multi_thread")]
async fn five_processes_at_expiry_make_one_refresh_and_all_end_connected() {
    let sim = oauth_simulator().await;
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = data.path().to_str().unwrap_or_default().to_owned();
    let profile = profile(&data);
    connected(&sim, &profile, &Clock::system()).await;
    let refreshes_before = token_requests(&sim, "refresh_token");
    sim.sim.clock().advance(Duration::from_secs(1801));
    sim.sim.inject_fault(
        Some("POST"),
        "/oauth/tokens",
        FaultKind::Latency(Duration::from_millis(2500)),
        None,
    );

    let racers: Vec<_> = (0..5)
        .map(|_| {
            let data_dir = data_dir.clone();
            std::thread::spawn(move || {
                handoff(
                    &["--data-dir", &data_dir, "status", "--verify", "--json"],
                    "",
                    &[],
                )
            })
        })
        .collect();
    let outputs: Vec<_> = racers
        .into_iter()
        .map(|racer| racer.join().unwrap_or_else(|_| panic!("racer")))
        .collect();

    for output in &outputs {
        assert_eq!(
            output.status.code(),
            Some(crate::CONNECTED_NOT_SET_UP),
            "{}",
            text(output)
        );
        let value: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(output)));
        assert_eq!(value["verified"], true, "{}", text(output));
        assert_eq!(
            value["connection"]["state"],
            "connected",
            "{}",
            text(output)
        );
    }
    assert_eq!(
        token_requests(&sim, "refresh_token") - refreshes_before,
        1,
        "one refresh for five processes"
    );
    let stored = profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("connected"));
    assert_eq!(stored.reconnect_required, None);
    assert!(!stored.refresh_interrupted);
    assert_eq!(
        profile
            .store()
            .refresh_lease()
            .unwrap_or_else(|e| panic!("{e}")),
        None,
        "the lease was given back"
    );
    let tokens = stored_tokens(&profile)
        .await
        .unwrap_or_else(|| panic!("a pair is stored"));
    assert!(accepted(&sim, &tokens.access_token).await);
}

/// A process that died holding the lease (killed mid-refresh) does not make the others wait for the lease to
/// lapse: its pid is gone, so the next process takes the lease over at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_lease_left_by_a_dead_process_is_taken_over_at_once() {
    let sim = oauth_simulator().await;
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = data.path().to_str().unwrap_or_default().to_owned();
    let profile = profile(&data);
    connected(&sim, &profile, &Clock::system()).await;
    sim.sim.clock().advance(Duration::from_secs(1801));

    // A process that exited at once: its pid names no live process by the time the lease is looked at.
    let mut gone = std::process::Command::new("true")
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let pid = gone.id();
    gone.wait().unwrap_or_else(|e| panic!("{e}"));
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let taken = profile
        .store()
        .take_refresh_lease(
            &format!("{pid}:crashed"),
            now_ms,
            now_ms + 90_000,
            &jiff::Timestamp::now().to_string(),
            |_| false,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(taken, handoff::store::Lease::Taken);

    let started = std::time::Instant::now();
    let output = handoff(&["--data-dir", &data_dir, "status", "--verify"], "", &[]);
    assert_eq!(
        output.status.code(),
        Some(crate::CONNECTED_NOT_SET_UP),
        "{}",
        text(&output)
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "did not wait out the 90 s lease: {:?}",
        started.elapsed()
    );
}
