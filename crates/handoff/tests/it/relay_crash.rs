//! The relay's kill -9 harness: `handoff serve` as a child process under a burst of signed deliveries, killed
//! with SIGKILL at random points and restarted 20 times. Every acknowledged delivery is stored and handled;
//! every rep reply reaches its session once and the AI platform's endpoint under one message id (a message
//! whose answer was lost in a kill is sent again with the SAME `webhook-id`, which the platform drops; the
//! harness counts those repeats).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use handoff::clock::Clock;
use handoff::relay::keys::RelaySecrets;
use handoff::relay::signature;
use handoff::session::{Mode, NewContact, NewSession, Role, SessionId, Sessions};
use handoff::settings::{SettingKey, Settings};
use handoff::SecretString;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::relay::endpoint;
use crate::session_cli::connected_folder;
use crate::{profile, simulator, CANARY_TOKEN};

const ROUNDS: usize = 20;
const TICKETS: usize = 24;

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
        .unwrap_or_else(|| panic!("{first:?}"))
        .to_owned();
    (child, base)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_acknowledged_delivery_is_handled_and_every_reply_delivered_once_across_kill_9_restarts(
) {
    let seed: u64 = std::env::var("HANDOFF_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("relay kill -9 harness seed {seed} (HANDOFF_CRASH_SEED={seed} repeats it)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let sim = simulator().await;
    let dir = connected_folder(&sim);
    let data_dir = dir.path().to_str().unwrap_or_default().to_owned();
    let profile = profile(&dir);
    let clock = Clock::system();
    let secrets = RelaySecrets::new(
        profile.keychain().unwrap_or_else(|e| panic!("{e}")),
        profile.store().clone(),
        clock.clone(),
    );
    let signing = SecretString::from("harness-signing-secret-0123456789abcdef");
    secrets
        .set_signing_secret(&signing)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let key = secrets
        .current_url_key()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let path = handoff::relay::url::webhook_path(profile.install_id(), &key);
    let (endpoint, endpoint_url) = endpoint(
        secrets
            .outbound_secret()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    Settings::new(profile.store().clone())
        .set(SettingKey::OutboundUrl, &endpoint_url)
        .unwrap_or_else(|e| panic!("{e}"));

    // Sessions with tickets in Zendesk, each with one rep reply waiting.
    let client = handoff::account::open(&profile, &clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("connected"))
        .client;
    let sessions = Sessions::new(profile.store().clone(), clock.clone());
    let mut tickets: Vec<(u64, SessionId)> = Vec::new();
    for n in 0..TICKETS {
        let session = sessions
            .create(NewSession {
                contact: NewContact {
                    email: Some(format!("crash{n}@example.com")),
                    ..NewContact::default()
                },
                channel: handoff::session::Channel::Email,
                mode: Mode::Handoff,
                turns: Vec::new(),
                summary: None,
                sentiment: None,
                language: None,
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let created = client
            .create_ticket(
                &zendesk::NewTicket {
                    subject: Some(format!("Harness {n}")),
                    comment: zendesk::NewComment {
                        body: Some("Transcript".into()),
                        ..zendesk::NewComment::default()
                    },
                    requester: Some(zendesk::Requester {
                        name: format!("Crash {n}"),
                        email: Some(format!("crash{n}@example.com")),
                        locale_id: None,
                    }),
                    external_id: Some(session.id.to_string()),
                    ..zendesk::NewTicket::default()
                },
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let ticket = created.ticket.id;
        let response = reqwest::Client::new()
            .post(format!("{}/_sim/tickets/{ticket}/comments", sim.base_url))
            .json(&json!({"author": "agent@example.com", "body": format!("Reply for ticket {n}"), "public": true}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status().as_u16(), 200);
        tickets.push((ticket, session.id));
    }

    let acknowledged: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut counter = 0u64;
    for _ in 0..ROUNDS {
        let (mut child, base) = start(&data_dir);
        let mut senders = Vec::new();
        for _ in 0..4 {
            let picks: Vec<(u64, SessionId)> = (0..40)
                .map(|_| tickets[rng.random_range(0..tickets.len())])
                .collect();
            let mut ids = Vec::new();
            for _ in 0..picks.len() {
                counter += 1;
                ids.push(format!("inv-{seed}-{counter}"));
            }
            let (http, base, path, signing, acknowledged) = (
                http.clone(),
                base.clone(),
                path.clone(),
                signing.clone(),
                acknowledged.clone(),
            );
            senders.push(tokio::spawn(async move {
                for ((ticket, session), invocation) in picks.into_iter().zip(ids) {
                    let body =
                        json!({"ticket": {"id": ticket, "external_id": session.to_string()}})
                            .to_string();
                    let timestamp = signature::timestamp(jiff::Timestamp::now());
                    let sent = http
                        .post(format!("{base}{path}"))
                        .header("content-type", "application/json")
                        .header(signature::TIMESTAMP_HEADER, &timestamp)
                        .header(
                            signature::SIGNATURE_HEADER,
                            signature::sign(&signing, &timestamp, body.as_bytes()),
                        )
                        .header("x-zendesk-webhook-invocation-id", &invocation)
                        .body(body)
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status().as_u16() == 200 => {
                            if let Ok(mut set) = acknowledged.lock() {
                                set.insert(invocation);
                            }
                        }
                        _ => return,
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(30..400))).await;
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        for sender in senders {
            let _ = sender.await;
        }
    }

    // A last start works off what is left.
    let (mut child, _) = start(&data_dir);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (queued, pending) = profile.store().relay_queue_depth().unwrap_or((1, 1));
        if queued == 0 && pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the relay did not drain: {queued} deliveries, {pending} messages"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();

    let acknowledged: Vec<String> = acknowledged
        .lock()
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default();
    assert!(
        acknowledged.len() >= ROUNDS,
        "deliveries were acknowledged: {}",
        acknowledged.len()
    );
    let stored: BTreeMap<String, String> = profile
        .store()
        .recent_deliveries(0, 100_000)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter_map(|d| Some((d.invocation_id?, d.state)))
        .collect();
    for invocation in &acknowledged {
        assert_eq!(
            stored.get(invocation).map(String::as_str),
            Some("done"),
            "acknowledged delivery {invocation}"
        );
    }
    let announced: BTreeSet<u64> = profile
        .store()
        .recent_deliveries(0, 100_000)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|d| d.verdict == "accepted")
        .filter_map(|d| d.ticket_id)
        .collect();
    let messages = endpoint.messages();
    let mut ids_by_comment: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, message) in &messages {
        ids_by_comment
            .entry(message["comment_id"].to_string())
            .or_default()
            .insert(id.clone());
    }
    for (ticket, session) in &tickets {
        let turns: Vec<String> = sessions
            .get(*session)
            .unwrap_or_else(|e| panic!("{e}"))
            .turns
            .iter()
            .filter(|t| t.role == Role::Agent)
            .map(|t| t.text.clone())
            .collect();
        if announced.contains(ticket) {
            assert_eq!(
                turns.len(),
                1,
                "ticket {ticket}: the reply once on its session: {turns:?}"
            );
        } else {
            assert!(turns.is_empty());
        }
    }
    assert_eq!(
        ids_by_comment.len(),
        announced.len(),
        "every announced reply reached the platform"
    );
    assert!(
        ids_by_comment.values().all(|ids| ids.len() == 1),
        "one message id per reply: {ids_by_comment:?}"
    );
    let repeats = messages.len() - ids_by_comment.len();
    eprintln!(
        "relay kill -9 harness: {ROUNDS} kills, {} acknowledged deliveries, {} replies delivered, {} repeated posts of an already-sent message id",
        acknowledged.len(),
        ids_by_comment.len(),
        repeats
    );
    assert!(!CANARY_TOKEN.is_empty());
}
