//! Reply sync end to end (SPEC §8), the real path: a rep's reply posted in the simulator as an agent -> the
//! simulator's trigger -> a signed delivery to the relay's signed URL -> the relay stores it, acknowledges,
//! reads the replies from the API -> the session has the agent turn and is human-active -> the AI platform's
//! endpoint (a test server that checks the Standard Webhooks signature) receives it once. Then every way it
//! must NOT deliver, and every forged request it must refuse with a 4xx.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use handoff::clock::Clock;
use handoff::connect::{self, ConnectInput, ConnectOptions};
use handoff::relay::keys::RelaySecrets;
use handoff::relay::signature;
use handoff::service::{Service, WorkerSeat};
use handoff::session::{
    HandoffRequest, Mode, NewContact, NewSession, NewTurn, Role, SessionId, Sessions,
};
use handoff::settings::{SettingKey, Settings};
use handoff::SecretString;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use zendesk_sim::{RunningSimulator, SimConfig};

use crate::{profile, CANARY_TOKEN};

/// What the AI platform's endpoint received: (webhook-id, body), each with a valid signature.
#[derive(Clone, Default)]
pub struct Endpoint {
    pub received: Arc<Mutex<Vec<(String, Value)>>>,
    /// Requests refused for a bad signature (must stay 0).
    pub forged: Arc<Mutex<usize>>,
    /// While set, the endpoint answers 503.
    pub down: Arc<Mutex<bool>>,
}

impl Endpoint {
    pub fn messages(&self) -> Vec<(String, Value)> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// Starts the AI platform's stand-in on loopback; checks each message's signature with `secret` independently
/// of the relay's code (HMAC over `id.timestamp.body` with the key after `whsec_`).
pub async fn endpoint(secret: SecretString) -> (Endpoint, String) {
    let state = Endpoint::default();
    let shared = state.clone();
    let router = axum::Router::new().route(
        "/replies",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let shared = shared.clone();
            let secret = secret.clone();
            async move {
                if shared.down.lock().map(|d| *d).unwrap_or(false) {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                let get = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let (id, timestamp, signature) = (
                    get("webhook-id"),
                    get("webhook-timestamp"),
                    get("webhook-signature"),
                );
                let key = STANDARD
                    .decode(secret.expose_secret().trim_start_matches("whsec_"))
                    .unwrap_or_default();
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(&key).unwrap_or_else(|e| panic!("{e}"));
                mac.update(format!("{id}.{timestamp}.").as_bytes());
                mac.update(&body);
                let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
                if signature != expected {
                    if let Ok(mut forged) = shared.forged.lock() {
                        *forged += 1;
                    }
                    return axum::http::StatusCode::UNAUTHORIZED;
                }
                let value: Value = serde_json::from_slice(&body).unwrap_or_default();
                if let Ok(mut received) = shared.received.lock() {
                    received.push((id, value));
                }
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (state, format!("http://{address}/replies"))
}

pub struct RelayRig {
    pub sim: RunningSimulator,
    pub _dir: tempfile::TempDir,
    pub profile: handoff::profile::Profile,
    pub sessions: Sessions,
    pub base: String,
    pub webhook_path: String,
    pub webhook_id: String,
    pub signing_secret: SecretString,
    pub endpoint: Endpoint,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for RelayRig {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The trigger's body and conditions: as setup makes them, or misconfigured the way admins have done it
/// (`latest_comment`, which includes internal notes, on any comment).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    AsSetupMakesIt,
    LatestCommentOnAnyComment,
}

pub async fn relay_rig(kind: TriggerKind) -> RelayRig {
    let sim = zendesk_sim::spawn(SimConfig {
        admin_token: Some(CANARY_TOKEN.to_owned()),
        ..SimConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("simulator: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let report = connect::verify_and_save(
        &profile,
        ConnectInput {
            subdomain: sim.sim.subdomain().to_owned(),
            email: sim.sim.admin().email,
            token: SecretString::from(CANARY_TOKEN),
            default_agent_id: None,
            base_url: Some(sim.base_url.clone()),
        },
        ConnectOptions::default(),
        jiff::Timestamp::now(),
        |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("connect: {e}"));
    assert!(report.saved());
    let clock = Clock::system();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let settings = Settings::new(profile.store().clone());
    settings
        .set(SettingKey::PublicUrl, &base)
        .unwrap_or_else(|e| panic!("{e}"));

    // Provisioned by one-click setup, for the relay's current URL; the misconfigured kind is then made by hand
    // in Zendesk, as an admin would.
    let report = handoff::setup::run(
        &profile,
        &clock,
        handoff::setup::SetupOptions {
            dry_run: false,
            scope: handoff::setup::Scope::All,
        },
        |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("setup: {e}"));
    let webhook_id = report
        .webhook_id
        .unwrap_or_else(|| panic!("setup made no webhook"));
    let trigger_id = report
        .trigger_id
        .unwrap_or_else(|| panic!("setup made no trigger"));
    let keychain = profile.keychain().unwrap_or_else(|e| panic!("{e}"));
    let secrets = RelaySecrets::new(keychain, profile.store().clone(), clock.clone());
    let key = secrets
        .current_url_key()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let webhook_path = handoff::relay::url::webhook_path(profile.install_id(), &key);
    let signing_secret = secrets
        .current_signing_secret()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("setup fetched no signing secret"));
    if kind == TriggerKind::LatestCommentOnAnyComment {
        let account = handoff::account::open(&profile, &clock)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("connected"));
        let mut trigger = handoff::setup::spec::trigger(&webhook_id);
        trigger.conditions.all[1].value = json!("not_relevant");
        let body = handoff::relay::payload::TRIGGER_BODY
            .replace("latest_public_comment", "latest_comment");
        trigger.actions = vec![zendesk::Action::notify_webhook(&webhook_id, &body)];
        account
            .client
            .update_trigger(trigger_id, &trigger)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    let outbound_secret = secrets
        .outbound_secret()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (endpoint, endpoint_url) = endpoint(outbound_secret).await;
    settings
        .set(SettingKey::OutboundUrl, &endpoint_url)
        .unwrap_or_else(|e| panic!("{e}"));

    let service = Service::open(&profile, &clock, WorkerSeat::Required, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sessions = service.state.sessions.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(service.run(listener, async {
        let _ = stopped.await;
    }));
    RelayRig {
        sim,
        _dir: dir,
        profile,
        sessions,
        base,
        webhook_path,
        webhook_id,
        signing_secret,
        endpoint,
        stop: Some(stop),
    }
}

impl RelayRig {
    /// A handed-off session of a new contact and its ticket.
    pub async fn handed_off(&self, email: &str) -> (SessionId, u64) {
        let session = self
            .sessions
            .create(NewSession {
                contact: NewContact {
                    name: Some("Casey".into()),
                    email: Some(email.into()),
                    ..NewContact::default()
                },
                channel: handoff::session::Channel::Whatsapp,
                mode: Mode::Handoff,
                turns: vec![NewTurn {
                    role: Role::Customer,
                    text: "Where is my parcel?".into(),
                    at: None,
                }],
                summary: None,
                sentiment: None,
                language: None,
            })
            .unwrap_or_else(|e| panic!("{e}"));
        self.sessions
            .request_handoff(
                session.id,
                HandoffRequest {
                    request_id: "h".into(),
                    ..HandoffRequest::default()
                },
            )
            .unwrap_or_else(|e| panic!("{e}"));
        let status = self
            .sessions
            .wait_for_ticket(session.id, Duration::from_secs(20))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        (
            session.id,
            status
                .ticket_id
                .unwrap_or_else(|| panic!("no ticket: {:?}", status.state)),
        )
    }

    /// A comment on the ticket in Zendesk, by `author`, through the same path (and triggers) as the agent UI.
    pub async fn comment(&self, ticket: u64, author: &str, body: &str, public: bool) {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/_sim/tickets/{ticket}/comments",
                self.sim.base_url
            ))
            .json(&json!({"author": author, "body": body, "public": public}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            response.status().as_u16(),
            200,
            "{:?}",
            response.text().await
        );
    }

    pub fn agent_turns(&self, id: SessionId) -> Vec<String> {
        self.sessions
            .get(id)
            .unwrap_or_else(|e| panic!("{e}"))
            .turns
            .iter()
            .filter(|t| t.role == Role::Agent)
            .map(|t| t.text.clone())
            .collect()
    }

    /// Waits until the relay has handled every delivery Zendesk made (none queued, every invocation settled).
    pub async fn settled(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let sent = self
                .sim
                .sim
                .deliveries()
                .iter()
                .filter(|d| d.status != "accepted")
                .count();
            let all = self.sim.sim.deliveries().len();
            let (queued, _) = self.profile.store().relay_queue_depth().unwrap_or((1, 0));
            if sent == all && queued == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the relay did not settle: {queued} queued"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Posts `body` to `path` on the relay with the given headers.
    pub async fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    /// Headers of a delivery signed as Zendesk signs, at `at`, with `invocation`.
    pub fn signed(
        &self,
        body: &[u8],
        at: jiff::Timestamp,
        invocation: &str,
    ) -> Vec<(&'static str, String)> {
        let timestamp = signature::timestamp(at);
        vec![
            ("content-type", "application/json".to_owned()),
            (signature::TIMESTAMP_HEADER, timestamp.clone()),
            (
                signature::SIGNATURE_HEADER,
                signature::sign(&self.signing_secret, &timestamp, body),
            ),
            ("x-zendesk-webhook-invocation-id", invocation.to_owned()),
            ("x-zendesk-webhook-id", self.webhook_id.clone()),
        ]
    }
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reps_public_reply_reaches_the_session_and_the_platform_once() {
    let rig = relay_rig(TriggerKind::AsSetupMakesIt).await;
    let (session, ticket) = rig.handed_off("reply@example.com").await;
    rig.comment(
        ticket,
        "agent@example.com",
        "Your parcel ships today.",
        true,
    )
    .await;
    eventually("the agent turn", || {
        rig.agent_turns(session) == ["Your parcel ships today."]
    })
    .await;
    assert!(
        rig.sessions
            .get(session)
            .unwrap_or_else(|e| panic!("{e}"))
            .human_active
    );
    eventually("the platform's message", || {
        rig.endpoint.messages().len() == 1
    })
    .await;
    rig.settled().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = rig.endpoint.messages();
    assert_eq!(messages.len(), 1, "once: {messages:?}");
    let (_, message) = &messages[0];
    assert_eq!(message["session_id"], session.to_string());
    assert_eq!(message["ticket_id"], ticket);
    assert_eq!(message["text"], "Your parcel ships today.");
    assert_eq!(
        *rig.endpoint.forged.lock().unwrap_or_else(|e| panic!("{e}")),
        0
    );
    // The delivery Zendesk made was signed, acknowledged, and is on record with what became of it.
    let deliveries = rig
        .profile
        .store()
        .recent_deliveries(0, 10)
        .unwrap_or_else(|e| panic!("{e}"));
    let accepted: Vec<_> = deliveries
        .iter()
        .filter(|d| d.verdict == "accepted")
        .collect();
    assert!(
        !accepted.is_empty() && accepted.iter().all(|d| d.signed && d.state == "done"),
        "{deliveries:?}"
    );
    assert!(rig
        .sim
        .sim
        .deliveries()
        .iter()
        .all(|d| d.status == "success"));
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_but_a_reps_public_reply_is_ever_delivered() {
    let rig = relay_rig(TriggerKind::LatestCommentOnAnyComment).await;
    let (session, ticket) = rig.handed_off("notes@example.com").await;
    // An internal note, with a trigger that fires on any comment and sends `latest_comment`.
    rig.comment(
        ticket,
        "agent@example.com",
        "Internal: customer is a VIP, be nice",
        false,
    )
    .await;
    // The integration's own public comment (the API user).
    rig.comment(
        ticket,
        "admin@example.com",
        "Posted by the integration itself",
        true,
    )
    .await;
    // The customer's own public comment.
    rig.comment(ticket, "notes@example.com", "Any news?", true)
        .await;
    rig.settled().await;
    assert!(
        rig.sim.sim.deliveries().len() >= 3,
        "each comment fired the trigger"
    );
    assert_eq!(
        rig.agent_turns(session),
        Vec::<String>::new(),
        "nothing delivered"
    );
    assert!(
        !rig.sessions
            .get(session)
            .unwrap_or_else(|e| panic!("{e}"))
            .human_active
    );
    assert!(rig.endpoint.messages().is_empty());
    // A real reply after all that is the only thing that arrives.
    rig.comment(ticket, "agent@example.com", "Good news: it shipped.", true)
        .await;
    eventually("the reply", || {
        rig.agent_turns(session) == ["Good news: it shipped."]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn five_replies_within_a_second_arrive_in_order_once_each() {
    let rig = relay_rig(TriggerKind::AsSetupMakesIt).await;
    let (session, ticket) = rig.handed_off("five@example.com").await;
    let replies: Vec<String> = (1..=5).map(|n| format!("Reply number {n}")).collect();
    for reply in &replies {
        rig.comment(ticket, "agent@example.com", reply, true).await;
    }
    eventually("five agent turns", || rig.agent_turns(session).len() >= 5).await;
    rig.settled().await;
    assert_eq!(rig.agent_turns(session), replies);
    eventually("five messages", || rig.endpoint.messages().len() >= 5).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let texts: Vec<Value> = rig
        .endpoint
        .messages()
        .iter()
        .map(|(_, m)| m["text"].clone())
        .collect();
    let mut sorted = texts.clone();
    sorted.sort_by_key(|t| t.as_str().unwrap_or_default().to_owned());
    assert_eq!(sorted.len(), 5, "once each: {texts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn replays_and_double_announcements_deliver_once() {
    let rig = relay_rig(TriggerKind::AsSetupMakesIt).await;
    let (session, ticket) = rig.handed_off("replay@example.com").await;
    rig.comment(ticket, "agent@example.com", "Only once, please.", true)
        .await;
    eventually("the reply", || rig.agent_turns(session).len() == 1).await;
    let body = json!({"ticket": {"id": ticket, "external_id": session.to_string()}})
        .to_string()
        .into_bytes();
    // 100 replays of one invocation: stored once, acknowledged every time.
    for _ in 0..100 {
        let headers = rig.signed(&body, jiff::Timestamp::now(), "01JREPLAYREPLAYREPLAYREPLA");
        let (status, answer) = rig.post(&rig.webhook_path, &headers, body.clone()).await;
        assert_eq!(status, 200, "{answer}");
    }
    // The same comment announced by two other invocations.
    for invocation in ["01JOTHERONEOTHERONEOTHER1", "01JOTHERTWOOTHERTWOOTHER2"] {
        let headers = rig.signed(&body, jiff::Timestamp::now(), invocation);
        assert_eq!(
            rig.post(&rig.webhook_path, &headers, body.clone()).await.0,
            200
        );
    }
    rig.settled().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rig.agent_turns(session), ["Only once, please."]);
    assert_eq!(rig.endpoint.messages().len(), 1);
    let replayed: Vec<_> = rig
        .profile
        .store()
        .recent_deliveries(0, 500)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|d| d.invocation_id.as_deref() == Some("01JREPLAYREPLAYREPLAYREPLA"))
        .collect();
    assert_eq!(replayed.len(), 1, "one row for 100 replays");
    assert_eq!(replayed[0].duplicates, 99);
}

/// Every forged, stale, malformed or misaddressed request gets a 4xx (never a 5xx), and no answer reveals
/// the expected signature or tag.
#[tokio::test(flavor = "multi_thread")]
async fn forged_and_malformed_deliveries_are_refused_with_a_4xx() {
    let rig = relay_rig(TriggerKind::AsSetupMakesIt).await;
    let body = br#"{"ticket":{"id":1}}"#.to_vec();
    let now = jiff::Timestamp::now();
    let good = rig.signed(&body, now, "01JGOODGOODGOODGOODGOODGO0");
    let real_signature = good
        .iter()
        .find(|(n, _)| *n == signature::SIGNATURE_HEADER)
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let timestamp = signature::timestamp(now);
    let with = |name: &'static str, value: String| {
        let mut headers: Vec<(&str, String)> =
            good.iter().filter(|(n, _)| *n != name).cloned().collect();
        headers.push((name, value));
        headers
    };
    let other_secret = signature::sign(
        &SecretString::from("another-webhooks-secret"),
        &timestamp,
        &body,
    );
    let stale_at = now
        .checked_sub(jiff::SignedDuration::from_mins(6))
        .unwrap_or(now);
    let future_at = now
        .checked_add(jiff::SignedDuration::from_mins(6))
        .unwrap_or(now);
    let (org, rest) = rig
        .webhook_path
        .trim_start_matches("/zendesk/")
        .split_once('/')
        .unwrap_or_default();
    let (key_id, tag) = rest.split_once('.').unwrap_or_default();
    let mut flipped = tag.to_owned().into_bytes();
    flipped[5] = if flipped[5] == b'x' { b'y' } else { b'x' };
    let flipped = String::from_utf8(flipped).unwrap_or_default();
    // (case, path, headers, status)
    type Case<'a> = (&'a str, String, Vec<(&'a str, String)>, u16);
    let cases: Vec<Case> = vec![
        (
            "forged signature",
            rig.webhook_path.clone(),
            with(signature::SIGNATURE_HEADER, STANDARD.encode([9u8; 32])),
            401,
        ),
        (
            "empty signature",
            rig.webhook_path.clone(),
            with(signature::SIGNATURE_HEADER, String::new()),
            401,
        ),
        (
            "truncated signature",
            rig.webhook_path.clone(),
            with(signature::SIGNATURE_HEADER, real_signature[..20].to_owned()),
            401,
        ),
        (
            "the real signature as a prefix",
            rig.webhook_path.clone(),
            with(signature::SIGNATURE_HEADER, format!("{real_signature}AAAA")),
            401,
        ),
        (
            "another webhook's secret",
            rig.webhook_path.clone(),
            with(signature::SIGNATURE_HEADER, other_secret),
            401,
        ),
        (
            "stale",
            rig.webhook_path.clone(),
            rig.signed(&body, stale_at, "01JSTALESTALESTALESTALE00"),
            401,
        ),
        (
            "from the future",
            rig.webhook_path.clone(),
            rig.signed(&body, future_at, "01JFUTUREFUTUREFUTUREFU00"),
            401,
        ),
        (
            "Unix seconds",
            rig.webhook_path.clone(),
            with(signature::TIMESTAMP_HEADER, now.as_second().to_string()),
            401,
        ),
        (
            "no signature",
            rig.webhook_path.clone(),
            good.iter()
                .filter(|(n, _)| *n != signature::SIGNATURE_HEADER)
                .cloned()
                .collect(),
            401,
        ),
        (
            "wrong tag",
            format!("/zendesk/{org}/{key_id}.{flipped}"),
            good.clone(),
            404,
        ),
        (
            "unknown key",
            format!("/zendesk/{org}/k99.{tag}"),
            good.clone(),
            404,
        ),
        (
            "wrong organization",
            format!("/zendesk/01aaaaaaaaaaaaaaaaaaaaaaaa/{key_id}.{tag}"),
            good.clone(),
            404,
        ),
        (
            "no tag",
            format!("/zendesk/{org}/{key_id}"),
            good.clone(),
            404,
        ),
        ("the prefix only", "/zendesk/".to_owned(), good.clone(), 404),
    ];
    for (case, path, headers, status) in cases {
        let (got, answer) = rig.post(&path, &headers, body.clone()).await;
        assert_eq!(got, status, "{case}: {answer}");
        let text = answer.to_string();
        assert!(
            !text.contains(&real_signature) && !text.contains(tag),
            "{case}: the answer reveals a secret: {text}"
        );
    }
    // A signature header sent twice, or with non-ASCII bytes (raw HTTP, which clients refuse to send).
    for (case, extra) in [
        (
            "signature twice",
            format!(
                "{}: {real_signature}\r\n{}: {real_signature}\r\n",
                signature::SIGNATURE_HEADER,
                signature::SIGNATURE_HEADER
            ),
        ),
        (
            "non-ASCII signature",
            format!(
                "{}: \u{e9}{}\r\n",
                signature::SIGNATURE_HEADER,
                &real_signature[1..]
            ),
        ),
    ] {
        let status = raw_post(
            &rig.base,
            &rig.webhook_path,
            &format!("{}: {timestamp}\r\n{extra}", signature::TIMESTAMP_HEADER),
            &body,
        )
        .await;
        assert_eq!(status, 401, "{case}");
    }
    // Oversized: 413 on the declared length, before a byte of the body is read. (Sent as headers alone: a
    // client still writing a megabyte the server will not read can have its connection reset before it reads
    // the answer, which made this check fail on a busy machine.)
    let huge = vec![b'a'; handoff::api::MAX_BODY_BYTES + 1];
    let signed_lines: String = rig
        .signed(&huge, now, "01JHUGEHUGEHUGEHUGEHUGE000")
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    assert_eq!(
        raw_head(&rig.base, &rig.webhook_path, &signed_lines, huge.len()).await,
        413
    );
    // Clock skew inside the window is fine.
    let skewed = now
        .checked_sub(jiff::SignedDuration::from_mins(4))
        .unwrap_or(now);
    assert_eq!(
        rig.post(
            &rig.webhook_path,
            &rig.signed(&body, skewed, "01JSKEWSKEWSKEWSKEWSKEW00"),
            body.clone()
        )
        .await
        .0,
        200
    );
    // The refusals are on record for the console, with their reasons.
    let rejected: Vec<_> = rig
        .profile
        .store()
        .recent_deliveries(0, 100)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|d| d.verdict == "rejected")
        .collect();
    assert!(rejected.len() >= 14, "{}", rejected.len());
    assert!(rejected
        .iter()
        .all(|d| d.reason.as_deref().is_some_and(|r| !r.is_empty()) && d.body.is_empty()));
}

/// Sends a POST with raw header lines (bytes a normal client would refuse); returns the status.
async fn raw_post(base: &str, path: &str, header_lines: &str, body: &[u8]) -> u16 {
    raw_request(base, path, header_lines, body.len(), body).await
}

/// Sends a request's head declaring a body of `declared` bytes, and none of it; the answer's status.
async fn raw_head(base: &str, path: &str, header_lines: &str, declared: usize) -> u16 {
    raw_request(base, path, header_lines, declared, &[]).await
}

async fn raw_request(
    base: &str,
    path: &str,
    header_lines: &str,
    declared: usize,
    body: &[u8],
) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\nConnection: close\r\n{header_lines}\r\n"
    );
    stream
        .write_all(head.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .write_all(body)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_body_the_relay_cannot_read_is_kept_acknowledged_and_shown() {
    let rig = relay_rig(TriggerKind::AsSetupMakesIt).await;
    let body = b"ticket 42 was updated, but this is not JSON".to_vec();
    let (status, answer) = rig
        .post(
            &rig.webhook_path,
            &rig.signed(&body, jiff::Timestamp::now(), "01JUNREADABLEUNREADABLE00"),
            body.clone(),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["delivery"].as_i64().unwrap_or_default();
    let stored = rig
        .profile
        .store()
        .delivery(id)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("stored"));
    assert_eq!(stored.state, "unreadable");
    assert_eq!(stored.body, body);
    assert!(
        stored
            .outcome
            .as_deref()
            .is_some_and(|o| o.contains("not JSON")),
        "{stored:?}"
    );
}

/// Rotating the URL key: the old URL keeps working through the grace period, the new one at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_url_key_keeps_the_old_url_working_during_its_grace() {
    let rig = relay_rig(TriggerKind::AsSetupMakesIt).await;
    let keychain = rig.profile.keychain().unwrap_or_else(|e| panic!("{e}"));
    let secrets = RelaySecrets::new(
        keychain.clone(),
        rig.profile.store().clone(),
        Clock::system(),
    );
    let new_key = secrets
        .rotate_url_key()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let new_path = handoff::relay::url::webhook_path(rig.profile.install_id(), &new_key);
    assert_ne!(new_path, rig.webhook_path);
    let body = br#"{"ticket":{"id":1}}"#.to_vec();
    tokio::time::sleep(Duration::from_secs(5)).await; // the relay reads its keys again at most every 5 s
    for (case, path, invocation) in [
        (
            "old URL in its grace",
            rig.webhook_path.clone(),
            "01JOLDURLOLDURLOLDURLOLD00",
        ),
        ("new URL", new_path, "01JNEWURLNEWURLNEWURLNEW00"),
    ] {
        let (status, answer) = rig
            .post(
                &path,
                &rig.signed(&body, jiff::Timestamp::now(), invocation),
                body.clone(),
            )
            .await;
        assert_eq!(status, 200, "{case}: {answer}");
    }
    // After the grace period the old key no longer opens anything.
    let later = Clock::from_fn(|| {
        jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_hours(25))
            .unwrap_or_else(|_| jiff::Timestamp::now())
    });
    let keys = RelaySecrets::new(keychain, rig.profile.store().clone(), later)
        .url_keys()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
        [new_key.id.as_str()]
    );
}

/// The relay refuses to start rather than accept everything: an empty URL key or an empty signing secret.
#[tokio::test(flavor = "multi_thread")]
async fn the_relay_refuses_to_start_with_an_empty_key_or_secret() {
    let rig = relay_rig(TriggerKind::AsSetupMakesIt).await;
    let keychain = rig.profile.keychain().unwrap_or_else(|e| panic!("{e}"));
    let clock = Clock::system();
    keychain
        .put(
            handoff::keychain::SecretName::WebhookSigningSecret,
            &SecretString::from(r#"{"current":""}"#),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let refused = Service::open(&rig.profile, &clock, WorkerSeat::IfFree, None)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(refused.contains("relay"), "{refused}");
    keychain
        .put(
            handoff::keychain::SecretName::WebhookSigningSecret,
            &rig.signing_secret_json(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let current = RelaySecrets::new(keychain.clone(), rig.profile.store().clone(), clock.clone())
        .current_url_key()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    keychain
        .put(
            handoff::keychain::SecretName::UrlKeys,
            &SecretString::from(json!({current.id: ""}).to_string()),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let refused = Service::open(&rig.profile, &clock, WorkerSeat::IfFree, None)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        refused.contains("URL key") && refused.contains("rotate"),
        "{refused}"
    );
}

impl RelayRig {
    fn signing_secret_json(&self) -> SecretString {
        SecretString::from(json!({"current": self.signing_secret.expose_secret()}).to_string())
    }
}

/// The outbound queue on its own: the endpoint down for a while gets each message once it is back; a message
/// it refuses for good is dead-lettered after its budget while the others still flow.
#[tokio::test(flavor = "multi_thread")]
async fn outbound_messages_survive_an_endpoint_outage_and_a_poison_message_is_dead_lettered() {
    use handoff::relay::outbound::{Outbound, OutboundConfig};
    use handoff::store::Reply;

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let clock = Clock::system();
    let sessions = Sessions::new(profile.store().clone(), clock.clone());
    let session = sessions
        .create(NewSession {
            contact: NewContact {
                email: Some("out@example.com".into()),
                ..NewContact::default()
            },
            channel: handoff::session::Channel::Sms,
            mode: Mode::Handoff,
            turns: Vec::new(),
            summary: None,
            sentiment: None,
            language: None,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let secrets = RelaySecrets::new(
        profile.keychain().unwrap_or_else(|e| panic!("{e}")),
        profile.store().clone(),
        clock.clone(),
    );
    let (endpoint, url) = endpoint(
        secrets
            .outbound_secret()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    let url = url::Url::parse(&url).unwrap_or_else(|e| panic!("{e}"));
    for (comment, text) in [(101u64, "first"), (102, "second"), (103, "third")] {
        let reply = Reply {
            comment_id: comment,
            ticket_id: 7,
            session_id: session.id,
            text: text.into(),
            at: clock.now(),
            outbound: Some(json!({"text": text, "comment_id": comment}).to_string()),
        };
        assert!(profile
            .store()
            .record_reply(&reply, clock.now())
            .unwrap_or_else(|e| panic!("{e}")));
    }
    let config = OutboundConfig {
        attempts: 4,
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(100),
        timeout: Duration::from_secs(2),
        concurrency: 4,
    };
    let outbound = Outbound::new(profile.store().clone(), clock.clone(), secrets, config);
    // Down for the first two rounds.
    *endpoint.down.lock().unwrap_or_else(|e| panic!("{e}")) = true;
    for _ in 0..2 {
        outbound
            .send_due(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(endpoint.messages().is_empty());
    *endpoint.down.lock().unwrap_or_else(|e| panic!("{e}")) = false;
    for _ in 0..10 {
        outbound
            .send_due(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let texts: Vec<String> = endpoint
        .messages()
        .iter()
        .map(|(_, m)| m["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        texts.len(),
        3,
        "each message once after the outage: {texts:?}"
    );
    let ids: std::collections::BTreeSet<String> = endpoint
        .messages()
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(ids.len(), 3, "one stable message id each");
    let states: Vec<(String, i64)> = profile
        .store()
        .outbound_messages(10)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|m| (m.state, m.attempts))
        .collect();
    assert!(
        states
            .iter()
            .all(|(state, attempts)| state == "delivered" && *attempts == 3),
        "{states:?}"
    );

    // A message the endpoint never takes: dead-lettered after 4 attempts; a later one still flows.
    *endpoint.down.lock().unwrap_or_else(|e| panic!("{e}")) = true;
    let reply = Reply {
        comment_id: 104,
        ticket_id: 7,
        session_id: session.id,
        text: "never".into(),
        at: clock.now(),
        outbound: Some(json!({"text": "never"}).to_string()),
    };
    profile
        .store()
        .record_reply(&reply, clock.now())
        .unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..8 {
        outbound
            .send_due(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let dead: Vec<_> = profile
        .store()
        .outbound_messages(10)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|m| m.comment_id == 104)
        .collect();
    assert_eq!(
        (dead[0].state.as_str(), dead[0].attempts),
        ("dead", 4),
        "{dead:?}"
    );
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("503")),
        "{dead:?}"
    );
    *endpoint.down.lock().unwrap_or_else(|e| panic!("{e}")) = false;
    let reply = Reply {
        comment_id: 105,
        text: "after".into(),
        outbound: Some(json!({"text": "after"}).to_string()),
        ..reply
    };
    profile
        .store()
        .record_reply(&reply, clock.now())
        .unwrap_or_else(|e| panic!("{e}"));
    outbound
        .send_due(&url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        endpoint
            .messages()
            .iter()
            .any(|(_, m)| m["text"] == "after"),
        "the queue still flows"
    );
}

/// The relay console from a terminal: the URL, a signed test delivery to it, the delivery stream, a replay.
#[tokio::test(flavor = "multi_thread")]
async fn the_relay_console_shows_the_url_sends_a_test_delivery_and_replays() {
    let rig = relay_rig(TriggerKind::AsSetupMakesIt).await;
    let (_, ticket) = rig.handed_off("console@example.com").await;
    let data_dir = rig._dir.path().to_str().unwrap_or_default().to_owned();
    let cli = |args: &[&str]| {
        let mut all = vec!["--data-dir", data_dir.as_str()];
        all.extend_from_slice(args);
        crate::handoff(&all, "", &[])
    };
    let url: Value =
        serde_json::from_slice(&cli(&["--json", "relay", "url"]).stdout).unwrap_or_default();
    assert_eq!(url["url"], format!("{}{}", rig.base, rig.webhook_path));
    assert!(!url["redacted"]
        .as_str()
        .unwrap_or_default()
        .contains(rig.webhook_path.rsplit('.').next().unwrap_or("?")));
    let sent = cli(&[
        "--json",
        "relay",
        "trigger",
        "--ticket",
        &ticket.to_string(),
    ]);
    assert_eq!(sent.status.code(), Some(0), "{}", crate::text(&sent));
    let sent: Value = serde_json::from_slice(&sent.stdout).unwrap_or_default();
    assert_eq!(
        (sent["status"].clone(), sent["signed"].clone()),
        (json!(200), json!(true)),
        "{sent}"
    );
    rig.settled().await;
    let listed: Value =
        serde_json::from_slice(&cli(&["--json", "relay", "deliveries"]).stdout).unwrap_or_default();
    let last = listed["deliveries"]
        .as_array()
        .and_then(|d| d.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            last["verdict"].clone(),
            last["ticket_id"].clone(),
            last["signed"].clone()
        ),
        (json!("accepted"), json!(ticket), json!(true)),
        "{listed}"
    );
    let id = last["id"].as_i64().unwrap_or_default();
    let replayed = cli(&["relay", "replay", &id.to_string()]);
    assert_eq!(
        replayed.status.code(),
        Some(0),
        "{}",
        crate::text(&replayed)
    );
    assert_eq!(cli(&["relay", "replay", "999999"]).status.code(), Some(2));
    let text = crate::text(&cli(&["relay", "deliveries"]));
    assert!(text.contains(&format!("ticket {ticket}")), "{text}");
    let secret = cli(&["relay", "outbound-secret"]);
    assert!(String::from_utf8_lossy(&secret.stdout)
        .trim()
        .starts_with("whsec_"));
}

/// `zendesk-delivers`: a channel whose replies Zendesk's own email delivers gets the agent turn on its session
/// (the AI goes quiet) but no message to the AI platform, which would reach the customer a second time; a
/// channel the platform delivers gets both.
#[tokio::test(flavor = "multi_thread")]
async fn replies_on_a_channel_zendesk_delivers_are_recorded_but_not_sent_to_the_platform() {
    let rig = relay_rig(TriggerKind::AsSetupMakesIt).await;
    Settings::new(rig.profile.store().clone())
        .set(SettingKey::ZendeskDelivers, "whatsapp")
        .unwrap_or_else(|e| panic!("{e}"));
    let (by_zendesk, ticket) = rig.handed_off("zendesk-emails@example.com").await;
    rig.comment(
        ticket,
        "agent@example.com",
        "Zendesk emails this one.",
        true,
    )
    .await;
    eventually("the agent turn", || {
        rig.agent_turns(by_zendesk) == ["Zendesk emails this one."]
    })
    .await;
    assert!(
        rig.sessions
            .get(by_zendesk)
            .unwrap_or_else(|e| panic!("{e}"))
            .human_active
    );
    rig.settled().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        rig.endpoint.messages().is_empty(),
        "nothing for the platform: {:?}",
        rig.endpoint.messages()
    );
    assert!(rig
        .profile
        .store()
        .outbound_messages(10)
        .unwrap_or_else(|e| panic!("{e}"))
        .is_empty());

    // The same relay, a channel the platform delivers: the reply goes out too.
    Settings::new(rig.profile.store().clone())
        .set(SettingKey::ZendeskDelivers, "email")
        .unwrap_or_else(|e| panic!("{e}"));
    let (by_platform, ticket) = rig.handed_off("platform-sends@example.com").await;
    rig.comment(
        ticket,
        "agent@example.com",
        "The platform sends this one.",
        true,
    )
    .await;
    eventually("the platform's message", || {
        rig.endpoint.messages().len() == 1
    })
    .await;
    assert_eq!(
        rig.endpoint.messages()[0].1["session_id"],
        by_platform.to_string()
    );
    assert_eq!(
        rig.agent_turns(by_platform),
        ["The platform sends this one."]
    );
}
