//! `handoff bench relay`: the relay's acknowledgement path (URL tag, Zendesk signature, durable store,
//! de-duplication) against a bare handler that only answers 200, on the same server code, client and
//! concurrency; acknowledgement latency at a fixed arrival rate; and the time from acknowledgement to the reply
//! on its session.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use zendesk_sim::SimConfig;

use super::{fail, BenchError};
use super::{percentile, round2};
use crate::api::{self, ApiKeys, ApiState};
use crate::handoff::SessionLinks;
use crate::relay::keys::RelaySecrets;
use crate::relay::metrics::RelayMetrics;
use crate::relay::receive::RelayIntake;
use crate::relay::signature;
use crate::relay::worker::ReplyWorker;
use crate::session::{Channel, Mode, NewContact, NewSession, Sessions};
use crate::store::millis;

const CONCURRENCY: usize = 32;
/// Each server's load before it is measured.
const WARM_UP: Duration = Duration::from_millis(500);
/// The closed loop measures each server in this many slices, alternating: 3 s each in all.
const SLICES: u32 = 6;
const SLICE: Duration = Duration::from_millis(500);
/// The open loop's length.
const LOAD_SECONDS: u64 = 3;
const RATE_PER_SECOND: u64 = 1000;
const REPLIES: usize = 100;

pub async fn run(secret_store: crate::keychain::SecretStoreKind) -> Result<Value, BenchError> {
    let rig = super::Rig::start("relay", SimConfig::default(), secret_store).await?;
    let outcome = measure(&rig).await;
    rig.forget().await;
    outcome
}

async fn measure(rig: &super::Rig) -> Result<Value, BenchError> {
    let super::Rig {
        sim,
        profile,
        clock,
        ..
    } = rig;
    let account = crate::account::open(profile, clock)
        .await
        .map_err(|e| fail("the account", e))?
        .ok_or_else(|| BenchError::new("not connected".into()))?;
    let keychain = profile.keychain().map_err(|e| fail("the keychain", e))?;
    let store = profile.store().clone();
    let secrets = RelaySecrets::new(keychain.clone(), store.clone(), clock.clone());
    let signing = zendesk::SecretString::from("bench-signing-secret-0123456789abcdef");
    secrets
        .set_signing_secret(&signing)
        .await
        .map_err(|e| fail("the signing secret", e))?;
    let key = secrets
        .current_url_key()
        .await
        .map_err(|e| fail("the URL key", e))?;
    let path = crate::relay::url::webhook_path(profile.install_id(), &key);
    let metrics = RelayMetrics::new();
    let worker = ReplyWorker::new(
        store.clone(),
        clock.clone(),
        account.client.clone(),
        account.connection.user.id,
        metrics.clone(),
    );
    let intake = RelayIntake::open(
        profile.install_id(),
        &store,
        secrets,
        clock.clone(),
        metrics,
        worker.waker(),
    )
    .await
    .map_err(|e| fail("the relay", e))?;
    let state = ApiState {
        sessions: Sessions::new(store.clone(), clock.clone()),
        keys: ApiKeys::new(store.clone(), clock.clone()),
        links: SessionLinks::open(&keychain)
            .await
            .map_err(|e| fail("the link key", e))?,
        store: store.clone(),
        clock: clock.clone(),
        zendesk: None,
        relay: Some(intake),
    };
    let relay_base = serve(api::app(state)).await?;
    let bare = axum::Router::new().route(
        "/zendesk/{*rest}",
        axum::routing::post(|| async { "{\"received\":true}" }),
    );
    let bare_base = serve(bare).await?;

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY * 2)
        .build()
        .map_err(|e| fail("the client", e))?;
    let counter = Arc::new(AtomicU64::new(0));
    let send = {
        let (http, path, signing, counter) =
            (http.clone(), path.clone(), signing.clone(), counter.clone());
        move |base: String| {
            let (http, path, signing, counter) =
                (http.clone(), path.clone(), signing.clone(), counter.clone());
            async move {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                // Tickets no session has: the acknowledgement path alone is measured here.
                let body =
                    json!({"ticket": {"id": 900_000_000 + n, "external_id": ""}}).to_string();
                let timestamp = signature::timestamp(jiff::Timestamp::now());
                let sent = http
                    .post(format!("{base}{path}"))
                    .header("content-type", "application/json")
                    .header(signature::TIMESTAMP_HEADER, &timestamp)
                    .header(
                        signature::SIGNATURE_HEADER,
                        signature::sign(&signing, &timestamp, body.as_bytes()),
                    )
                    .header("x-zendesk-webhook-invocation-id", format!("bench-{n}"))
                    .body(body)
                    .send()
                    .await;
                matches!(sent, Ok(response) if response.status().is_success())
            }
        }
    };

    // Closed loop, same client and concurrency. Both servers are warmed first (connections open, code paths
    // hot), then measured in alternating slices, so that a slow second of this machine (another process
    // writing to the disk, a neighbour on the host) falls on both sides rather than on one.
    closed_loop(bare_base.clone(), send.clone(), WARM_UP).await;
    closed_loop(relay_base.clone(), send.clone(), WARM_UP).await;
    let (mut bare, mut relay) = (Throughput::default(), Throughput::default());
    for _ in 0..SLICES {
        bare.add(closed_loop(bare_base.clone(), send.clone(), SLICE).await);
        relay.add(closed_loop(relay_base.clone(), send.clone(), SLICE).await);
    }
    let (bare_rps, relay_rps) = (bare.per_second(), relay.per_second());

    // Open loop at a fixed arrival rate: acknowledgement latencies.
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / RATE_PER_SECOND));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut pending = Vec::new();
    for _ in 0..(RATE_PER_SECOND * LOAD_SECONDS) {
        ticker.tick().await;
        let send = send.clone();
        let base = relay_base.clone();
        pending.push(tokio::spawn(async move {
            let started = Instant::now();
            let ok = send(base).await;
            (ok, started.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let mut acks = Vec::new();
    let mut failed = 0;
    for task in pending {
        match task.await {
            Ok((true, ms)) => acks.push(ms),
            _ => failed += 1,
        }
    }

    // Acknowledgement -> reply on the session: tickets with a rep reply waiting, one delivery each.
    let sessions = Sessions::new(store.clone(), clock.clone());
    let mut targets = Vec::new();
    for n in 0..REPLIES {
        let session = sessions
            .create(NewSession {
                contact: NewContact {
                    email: Some(format!("bench{n}@example.com")),
                    ..NewContact::default()
                },
                channel: Channel::Email,
                mode: Mode::Handoff,
                turns: Vec::new(),
                summary: None,
                sentiment: None,
                language: None,
            })
            .map_err(|e| fail("a session", e))?;
        let created = account
            .client
            .create_ticket(
                &zendesk::NewTicket {
                    subject: Some(format!("Bench {n}")),
                    comment: zendesk::NewComment {
                        body: Some("Transcript".into()),
                        ..zendesk::NewComment::default()
                    },
                    requester: Some(zendesk::Requester {
                        name: format!("Bench {n}"),
                        email: Some(format!("bench{n}@example.com")),
                        locale_id: None,
                    }),
                    external_id: Some(session.id.to_string()),
                    ..zendesk::NewTicket::default()
                },
                None,
            )
            .await
            .map_err(|e| fail("a ticket", e))?;
        let commented = http
            .post(format!("{}/_sim/tickets/{}/comments", sim.base_url, created.ticket.id))
            .json(&json!({"author": "agent@example.com", "body": format!("Reply {n}"), "public": true}))
            .send()
            .await
            .map_err(|e| fail("a rep reply", e))?;
        if !commented.status().is_success() {
            return Err(BenchError::new(format!(
                "the simulator refused a rep reply: {}",
                commented.status()
            )));
        }
        targets.push((created.ticket.id, session.id));
    }
    // The comments read the worker does, timed on its own.
    let mut fetches = Vec::new();
    for (ticket, _) in targets.iter().take(20) {
        let started = Instant::now();
        account
            .client
            .ticket_comments(*ticket)
            .await
            .map_err(|e| fail("a comments read", e))?;
        fetches.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
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
    // Deliveries from the open loop are for no session: let the worker settle them first.
    let settle_deadline = Instant::now() + Duration::from_secs(60);
    while store.relay_queue_depth().map(|(q, _)| q).unwrap_or(0) > 0
        && Instant::now() < settle_deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut ticker = tokio::time::interval(Duration::from_millis(10));
    let mut sent_at = Vec::new();
    for (n, (ticket, session)) in targets.iter().enumerate() {
        ticker.tick().await;
        let body =
            json!({"ticket": {"id": ticket, "external_id": session.to_string()}}).to_string();
        let timestamp = signature::timestamp(jiff::Timestamp::now());
        let response = http
            .post(format!("{relay_base}{path}"))
            .header("content-type", "application/json")
            .header(signature::TIMESTAMP_HEADER, &timestamp)
            .header(
                signature::SIGNATURE_HEADER,
                signature::sign(&signing, &timestamp, body.as_bytes()),
            )
            .header("x-zendesk-webhook-invocation-id", format!("reply-{n}"))
            .body(body)
            .send()
            .await
            .map_err(|e| fail("a delivery", e))?;
        let answer: Value = response.json().await.unwrap_or_default();
        sent_at.push(answer["delivery"].as_i64().unwrap_or_default());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.relay_queue_depth().map(|(q, _)| q).unwrap_or(1) > 0 {
        if Instant::now() > deadline {
            return Err(BenchError::new(
                "the reply worker did not finish within 60 s".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    let _ = running.await;
    let mut replies = Vec::new();
    for id in sent_at {
        if let Ok(Some(row)) = store.delivery(id) {
            if let Some(finished) = store.delivery_finished_ms(id).ok().flatten() {
                replies.push((finished - row.received_ms) as f64);
            }
        }
    }
    let delivered = targets
        .iter()
        .filter(|(_, session)| sessions.get(*session).is_ok_and(|s| s.human_active))
        .count();
    let _ = millis(clock.now());

    Ok(json!({
        "benchmark": "relay",
        "concurrency": CONCURRENCY,
        "slices": SLICES,
        "relay_rps": round2(relay_rps),
        "bare_rps": round2(bare_rps),
        "throughput_ratio_vs_bare": round2(if bare_rps > 0.0 { relay_rps / bare_rps } else { 0.0 }),
        "arrival_rate_per_s": RATE_PER_SECOND,
        "ack_requests": acks.len(),
        "ack_failed": failed,
        "ack_p50_ms": round2(percentile(&acks, 50.0)),
        "ack_p99_ms": round2(percentile(&acks, 99.0)),
        "replies": delivered,
        "reply_p50_ms": round2(percentile(&replies, 50.0)),
        "reply_p99_ms": round2(percentile(&replies, 99.0)),
        "zendesk_fetch_p50_ms": round2(percentile(&fetches, 50.0)),
        "reply_p99_minus_fetch_ms": round2((percentile(&replies, 99.0) - percentile(&fetches, 50.0)).max(0.0)),
    }))
}

/// Serves `router` on a loopback port with the relay's own limits; returns its base URL.
async fn serve(router: axum::Router) -> Result<String, BenchError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| fail("a port", e))?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| fail("a port", e))?
    );
    tokio::spawn(crate::server::serve(
        listener,
        router,
        crate::service::LIMITS,
        std::future::pending(),
    ));
    Ok(base)
}

/// Requests answered with a success, and the time they took.
#[derive(Debug, Default, Clone, Copy)]
struct Throughput {
    done: u64,
    seconds: f64,
}

impl Throughput {
    fn add(&mut self, other: Throughput) {
        self.done += other.done;
        self.seconds += other.seconds;
    }

    fn per_second(self) -> f64 {
        if self.seconds > 0.0 {
            self.done as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Successful requests over `length` with [`CONCURRENCY`] requests in flight.
async fn closed_loop<F, Fut>(base: String, send: F, length: Duration) -> Throughput
where
    F: Fn(String) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let started = Instant::now();
    let deadline = started + length;
    let done = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (send, base, done) = (send.clone(), base.clone(), done.clone());
        workers.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                if send(base.clone()).await {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for worker in workers {
        let _ = worker.await;
    }
    Throughput {
        done: done.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
    }
}
