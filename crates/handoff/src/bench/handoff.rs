//! `handoff bench handoff`: what a handoff costs in Zendesk calls and time, at a simulated Zendesk latency.
//!
//! - calls: a new contact with an email (target 1), a returning contact (target <= 2; the engine makes 1);
//! - latency: 30 handoffs one after another, each timed from the request to the ticket being recorded, against
//!   the simulated round trip measured the same way (a direct `GET` of a ticket): target p50 <= 1.2x;
//! - throughput: 200 sessions handed off at once, worked until all are done, on the highest plan's rate limit
//!   (the client paces itself to it; `burst_zendesk_calls` against `rate_limit_per_min` shows the headroom).

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use zendesk_sim::{Plan, SimConfig};

use super::{fail, percentile, round2, BenchError};
use crate::handoff::{SessionLinks, Worker};
use crate::session::{
    Channel, HandoffRequest, Mode, NewContact, NewSession, NewTurn, Role, SessionId, Sessions,
};

const SEQUENTIAL: usize = 30;
const CONCURRENT: usize = 200;

/// Runs the benchmark with `latency` added to every simulated Zendesk call.
pub async fn run(
    secret_store: crate::keychain::SecretStoreKind,
    latency: Duration,
) -> Result<Value, BenchError> {
    let config = SimConfig {
        latency,
        plan: Plan::EnterprisePlus,
        ..SimConfig::default()
    };
    let rig = super::Rig::start("handoff", config, secret_store).await?;
    let outcome = measure(&rig, latency).await;
    rig.forget().await;
    outcome
}

async fn measure(rig: &super::Rig, latency: Duration) -> Result<Value, BenchError> {
    let super::Rig {
        sim,
        profile,
        clock,
        ..
    } = rig;
    let account = crate::account::open(profile, clock)
        .await
        .map_err(|e| fail("opening the account", e))?
        .ok_or_else(|| BenchError::new("not connected".into()))?;
    let keychain = profile.keychain().map_err(|e| fail("the keychain", e))?;
    let links = SessionLinks::open(&keychain)
        .await
        .map_err(|e| fail("the link key", e))?;
    let worker = Worker::new(
        profile.store().clone(),
        clock.clone(),
        account.client.clone(),
        links,
    )
    .map_err(|e| fail("the worker", e))?;
    let sessions = Sessions::new(profile.store().clone(), clock.clone()).with_wake(worker.wake());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = std::sync::Arc::new(worker);
    let running = {
        let worker = worker.clone();
        tokio::spawn(async move {
            worker
                .run(async {
                    let _ = stopped.await;
                })
                .await
        })
    };

    let new_session = |email: String| {
        sessions.create(NewSession {
            contact: NewContact {
                name: Some("Bench Contact".into()),
                email: Some(email),
                ..NewContact::default()
            },
            channel: Channel::Email,
            mode: Mode::Handoff,
            turns: vec![NewTurn {
                role: Role::Customer,
                text: "My order 1042 never arrived; please help.".into(),
                at: None,
            }],
            summary: None,
            sentiment: None,
            language: None,
        })
    };
    let hand_off = |id: SessionId, request: &str| {
        sessions.request_handoff(
            id,
            HandoffRequest {
                request_id: request.to_owned(),
                ..HandoffRequest::default()
            },
        )
    };
    let calls = || sim.sim.requests().len();
    let wait = |id: SessionId| sessions.wait_for_ticket(id, Duration::from_secs(60));

    // Calls: a new contact, then the same contact returning.
    let first = new_session("bench-new@example.com".into()).map_err(|e| fail("a session", e))?;
    let before = calls();
    hand_off(first.id, "h").map_err(|e| fail("a handoff", e))?;
    let done = wait(first.id).await.map_err(|e| fail("waiting", e))?;
    let ticket_id = done
        .ticket_id
        .ok_or_else(|| BenchError::new(format!("no ticket: {:?}", done.state)))?;
    let calls_new_contact = calls() - before;
    let returning =
        new_session("bench-new@example.com".into()).map_err(|e| fail("a session", e))?;
    let before = calls();
    hand_off(returning.id, "h").map_err(|e| fail("a handoff", e))?;
    wait(returning.id).await.map_err(|e| fail("waiting", e))?;
    let calls_returning_contact = calls() - before;

    // The simulated round trip, measured as the handoffs are: a direct call through the same client.
    let mut rtts = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        account
            .client
            .show_ticket(ticket_id)
            .await
            .map_err(|e| fail("a round trip", e))?;
        rtts.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let rtt_ms = percentile(&rtts, 50.0);

    let mut latencies = Vec::new();
    for n in 0..SEQUENTIAL {
        let session =
            new_session(format!("bench-seq-{n}@example.com")).map_err(|e| fail("a session", e))?;
        let started = Instant::now();
        hand_off(session.id, "h").map_err(|e| fail("a handoff", e))?;
        let status = wait(session.id).await.map_err(|e| fail("waiting", e))?;
        if status.ticket_id.is_none() {
            return Err(BenchError::new(format!(
                "a handoff did not complete: {:?}",
                status.state
            )));
        }
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }

    let mut burst = Vec::new();
    for n in 0..CONCURRENT {
        burst.push(
            new_session(format!("bench-burst-{n}@example.com"))
                .map_err(|e| fail("a session", e))?
                .id,
        );
    }
    let burst_before = calls();
    let started = Instant::now();
    for id in &burst {
        hand_off(*id, "h").map_err(|e| fail("a handoff", e))?;
    }
    for id in &burst {
        wait(*id).await.map_err(|e| fail("waiting", e))?;
    }
    let burst_secs = started.elapsed().as_secs_f64();
    let burst_calls = calls() - burst_before;
    let _ = stop.send(());
    let _ = running.await;

    let p50 = percentile(&latencies, 50.0);
    Ok(json!({
        "benchmark": "handoff",
        "latency_ms": latency.as_millis() as u64,
        "rtt_ms": round2(rtt_ms),
        "calls_new_contact": calls_new_contact,
        "calls_returning_contact": calls_returning_contact,
        "handoffs_timed": SEQUENTIAL,
        "handoff_p50_ms": round2(p50),
        "handoff_p99_ms": round2(percentile(&latencies, 99.0)),
        "latency_ratio_to_rtt": round2(if rtt_ms > 0.0 { p50 / rtt_ms } else { 0.0 }),
        "sessions": CONCURRENT,
        "handoffs_per_s": round2(CONCURRENT as f64 / burst_secs),
        "burst_zendesk_calls": burst_calls,
        "rate_limit_per_min": Plan::EnterprisePlus.requests_per_minute(),
    }))
}
