//! `handoff bench verify`: the one-click verification's wall time at a simulated Zendesk latency, against the
//! time its Zendesk round trips alone must take.
//!
//! A throwaway profile is connected to an embedded simulator whose every API request takes `latency`, set up
//! (webhook, signing secret, trigger), and verified `runs` times, each run hosting its relay as a first click
//! does. Round trips are counted from the simulator's request log as the critical path: requests that arrive
//! within half a latency of the first of a wave were sent together (independent calls side by side count once),
//! a request that arrives later had to wait for an answer and starts the next wave; the trigger's webhook
//! delivery adds one hop (Zendesk calls the relay, not its own API). Target: the wall time at most the round
//! trips x latency + 20 %, and under 3 s.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use zendesk_sim::{LoggedRequest, Plan, SimConfig};

use super::round2;
use super::{fail, BenchError};
use crate::settings::{SettingKey, Settings};
use crate::setup::{self, Scope, SetupOptions};
use crate::verify::{self, StepId, VerifyOptions};

/// The slack over the round trips' own time: the product's work between calls (SQLite, the keychain, the
/// relay's handling, the waits' polling) must fit in it.
pub const SLACK: f64 = 1.2;
/// The absolute ceiling for a verification at 100 ms a request (SPEC §6's "one click").
pub const CEILING: Duration = Duration::from_secs(3);

/// Runs the benchmark: `runs` verifications at `latency` a Zendesk request.
pub async fn run(
    secret_store: crate::keychain::SecretStoreKind,
    latency: Duration,
    runs: usize,
) -> Result<Value, BenchError> {
    let config = SimConfig {
        latency,
        // The runs' calls stay far below any plan's limit; the highest keeps the limiter out of the figures.
        plan: Plan::EnterprisePlus,
        ..SimConfig::default()
    };
    let rig = super::Rig::start("verify", config, secret_store).await?;
    let outcome = measure(&rig, latency, runs.max(1)).await;
    rig.forget().await;
    outcome
}

async fn measure(rig: &super::Rig, latency: Duration, runs: usize) -> Result<Value, BenchError> {
    let super::Rig {
        sim,
        profile,
        clock,
        ..
    } = rig;
    // The relay each run hosts listens on a free loopback port, which is also the public URL Zendesk posts to.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|e| fail("finding a free port", e))?;
    Settings::new(profile.store().clone())
        .set(SettingKey::PublicUrl, &format!("http://{free}"))
        .map_err(|e| fail("setting the public URL", e))?;
    setup::run(
        profile,
        clock,
        SetupOptions {
            dry_run: false,
            scope: Scope::All,
        },
        |_| {},
    )
    .await
    .map_err(|e| fail("setting up the webhook and trigger", e))?;

    let mut walls = Vec::new();
    let mut trips = Vec::new();
    let mut requests_per_run = Vec::new();
    let mut last_steps = Vec::new();
    for _ in 0..runs {
        sim.sim.clear_requests();
        let started = Instant::now();
        let report = verify::run(profile, clock, VerifyOptions::default(), |_| {})
            .await
            .map_err(|e| fail("the verification", e))?;
        let wall = started.elapsed();
        if !report.passed {
            let why = report
                .failed_step()
                .map(|s| {
                    format!(
                        "{}: {}",
                        s.id.label(),
                        s.cause.clone().unwrap_or_else(|| s.detail.clone())
                    )
                })
                .unwrap_or_default();
            return Err(BenchError::new(format!(
                "the verification did not pass: {why}"
            )));
        }
        let requests = sim.sim.requests();
        // The trigger's call to the relay is one more hop on the path.
        trips.push(waves(&requests, latency) + 1);
        requests_per_run.push(requests.len());
        walls.push(wall.as_secs_f64() * 1000.0);
        last_steps = report.steps;
    }
    let wall_ms = super::percentile(&walls, 50.0);
    let round_trips = trips.iter().copied().max().unwrap_or(0);
    let latency_ms = latency.as_secs_f64() * 1000.0;
    let budget_ms = round_trips as f64 * latency_ms * SLACK;
    let steps: serde_json::Map<String, Value> = StepId::ALL
        .iter()
        .filter_map(|id| {
            let step = last_steps.iter().find(|s| s.id == *id)?;
            let ms = step.duration?.as_secs_f64() * 1000.0;
            Some((id.as_str().to_owned(), json!(round2(ms))))
        })
        .collect();
    Ok(json!({
        "wall_ms": round2(wall_ms),
        "walls_ms": walls.iter().map(|w| round2(*w)).collect::<Vec<_>>(),
        "runs": runs,
        "round_trips": round_trips,
        "round_trips_per_run": trips,
        "zendesk_requests_per_run": requests_per_run,
        "latency_ms": round2(latency_ms),
        "budget_ms": round2(budget_ms),
        "ratio": if budget_ms > 0.0 { round2(wall_ms / budget_ms) } else { 0.0 },
        "within_budget": wall_ms <= budget_ms,
        "under_3s": wall_ms < CEILING.as_secs_f64() * 1000.0,
        "steps_ms": steps,
    }))
}

/// The critical path of the requests in round trips: a request arriving half a latency or more after the
/// first of its wave waited for an answer, so it starts the next wave. With no latency, every request counts.
pub fn waves(requests: &[LoggedRequest], latency: Duration) -> usize {
    let mut arrivals: Vec<Instant> = requests.iter().map(|r| r.arrived).collect();
    arrivals.sort();
    let apart = latency / 2;
    let mut count = 0;
    let mut wave_start: Option<Instant> = None;
    for arrived in arrivals {
        match wave_start {
            Some(start) if apart > Duration::ZERO && arrived.duration_since(start) < apart => {}
            _ => {
                count += 1;
                wave_start = Some(arrived);
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(arrived: Instant) -> LoggedRequest {
        LoggedRequest {
            method: "GET".to_owned(),
            path: "/api/v2/users/me".to_owned(),
            query: String::new(),
            status: 200,
            body: String::new(),
            at: "2026-12-03T10:00:00Z".to_owned(),
            idempotency_key: None,
            arrived,
        }
    }

    #[test]
    fn requests_sent_together_are_one_round_trip() {
        let start = Instant::now();
        let at = |ms: u64| request(start + Duration::from_millis(ms));
        let latency = Duration::from_millis(100);
        // (arrivals in ms, round trips)
        let table: [(&[u64], usize); 5] = [
            (&[], 0),
            (&[0], 1),
            (&[0, 3, 7], 1),
            (&[0, 104, 210], 3),
            (&[0, 2, 103, 105, 108, 215], 3),
        ];
        for (arrivals, expected) in table {
            let requests: Vec<LoggedRequest> = arrivals.iter().rev().map(|ms| at(*ms)).collect();
            assert_eq!(waves(&requests, latency), expected, "{arrivals:?}");
        }
        assert_eq!(
            waves(&[at(0), at(1)], Duration::ZERO),
            2,
            "without latency every request counts"
        );
    }
}
