//! The kill -9 harness (issue: never a duplicate, never lost): `handoff serve` runs as a child process under a
//! burst of sessions and handoffs from the API, and is killed with SIGKILL at random points (Zendesk calls in
//! flight, answers lost, the queue half done), then restarted, at least 20 times. Afterwards every handoff the
//! API acknowledged (202) has exactly one ticket in Zendesk, and no session has more than one.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use zendesk_sim::FaultKind;

use crate::session_cli::connected_folder;
use crate::{handoff, simulator, CANARY_TOKEN};

const ROUNDS: usize = 20;
const CLIENTS: usize = 6;

fn start(data_dir: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args(["--data-dir", data_dir, "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .unwrap_or_else(|e| panic!("{e}"));
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_owned();
    (child, base)
}

fn kill_9(child: &mut Child) {
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_acknowledged_handoff_ends_with_exactly_one_ticket_across_kill_9_restarts() {
    let seed: u64 = std::env::var("HANDOFF_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("kill -9 harness seed {seed} (HANDOFF_CRASH_SEED={seed} repeats this run)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let sim = simulator().await;
    // Ticket creates take a while, so kills often land with a create in flight (made in Zendesk, unanswered).
    sim.sim.inject_fault(
        Some("POST"),
        "/api/v2/tickets",
        FaultKind::Latency(Duration::from_millis(60)),
        None,
    );
    let dir = connected_folder(&sim);
    let data_dir = dir.path().to_str().unwrap_or_default().to_owned();
    let made = handoff(
        &["--data-dir", &data_dir, "--json", "api-key", "new"],
        "",
        &[],
    );
    let key: String = serde_json::from_slice::<Value>(&made.stdout)
        .ok()
        .and_then(|v| v["key"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("api key"));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let accepted: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let mut counter = 0usize;

    for round in 0..ROUNDS {
        let (mut child, base) = start(&data_dir);
        let mut clients = Vec::new();
        for client in 0..CLIENTS {
            counter += 1;
            let (http, base, key, accepted) =
                (http.clone(), base.clone(), key.clone(), accepted.clone());
            let email = format!("r{round}c{client}n{counter}@example.com");
            clients.push(tokio::spawn(async move {
                // Each client creates sessions and hands them off until the server dies under it.
                for n in 0..50 {
                    let created = http
                        .post(format!("{base}/v1/sessions"))
                        .bearer_auth(&key)
                        .json(&json!({
                            "contact": {"email": format!("{n}.{email}")},
                            "channel": "email",
                            "turns": [{"role": "customer", "text": "Please call me back about my order."}],
                        }))
                        .send()
                        .await;
                    let Ok(created) = created else { return };
                    let Ok(body) = created.json::<Value>().await else { return };
                    let Some(id) = body["id"].as_str().map(str::to_owned) else { return };
                    let handed = http
                        .post(format!("{base}/v1/sessions/{id}/handoff"))
                        .bearer_auth(&key)
                        .json(&json!({"request_id": "h1"}))
                        .send()
                        .await;
                    match handed {
                        Ok(response) if response.status().as_u16() == 202 => {
                            if let Ok(mut set) = accepted.lock() {
                                set.insert(id);
                            }
                        }
                        _ => return,
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(50..600))).await;
        kill_9(&mut child);
        for client in clients {
            let _ = client.await;
        }
    }

    // The last start works off whatever is left.
    let (mut child, base) = start(&data_dir);
    let accepted: Vec<String> = accepted
        .lock()
        .map(|set| set.iter().cloned().collect())
        .unwrap_or_default();
    assert!(
        accepted.len() >= ROUNDS,
        "the burst got handoffs acknowledged: {}",
        accepted.len()
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut unsettled: Vec<String> = accepted.clone();
    while !unsettled.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{} handoffs never completed: {:?}",
            unsettled.len(),
            &unsettled[..unsettled.len().min(5)]
        );
        let mut still = Vec::new();
        for id in unsettled {
            let state = http
                .get(format!("{base}/v1/sessions/{id}"))
                .bearer_auth(&key)
                .send()
                .await
                .ok();
            let body = match state {
                Some(response) => response.json::<Value>().await.unwrap_or_default(),
                None => Value::Null,
            };
            match body["handoff"]["state"].as_str() {
                Some("done") => {}
                Some("failed") => panic!("handoff {id} failed: {body}"),
                _ => still.push(id),
            }
        }
        unsettled = still;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();

    // Zendesk's side: tickets by external id (the session id), through the API as an admin would list them.
    let mut tickets: BTreeMap<String, usize> = BTreeMap::new();
    let mut url = Some(format!("{}/api/v2/tickets?per_page=100", sim.base_url));
    while let Some(next) = url {
        let page: Value = http
            .get(&next)
            .basic_auth("admin@example.com/token", Some(CANARY_TOKEN))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for ticket in page["tickets"].as_array().cloned().unwrap_or_default() {
            if let Some(external) = ticket["external_id"].as_str() {
                *tickets.entry(external.to_owned()).or_default() += 1;
            }
        }
        url = page["next_page"].as_str().map(str::to_owned);
    }
    let duplicated: Vec<_> = tickets.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicated.is_empty(),
        "sessions with more than one ticket: {duplicated:?}"
    );
    let missing: Vec<_> = accepted
        .iter()
        .filter(|id| !tickets.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged handoffs without a ticket: {missing:?}"
    );
    eprintln!(
        "kill -9 harness: {ROUNDS} kills, {} acknowledged handoffs, {} tickets, 0 duplicates",
        accepted.len(),
        tickets.len()
    );
}
