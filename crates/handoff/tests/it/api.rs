//! The sessions API (SPEC §8) through its router, as the AI platform calls it: bearer keys, sessions, turns,
//! handoffs that become tickets in the simulator, the reps' replies, assist notes, the View session page; every
//! bad input a 4xx with a stable code (tables and property tests), and the OpenAPI document held to the router.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use handoff::api::{self, ApiKeys};
use handoff::clock::Clock;
use handoff::connect::{self, ConnectInput, ConnectOptions};
use handoff::service::{Service, WorkerSeat};
use handoff::session::{NewTurn, Role, SessionId};
use handoff::SecretString;
use proptest::prelude::*;
use serde_json::{json, Value};
use tower::ServiceExt;
use zendesk_sim::{RunningSimulator, SimConfig};

use crate::{profile, CANARY_TOKEN};

pub struct ApiRig {
    pub sim: RunningSimulator,
    /// The data folder; kept alive (and deleted) with the rig.
    pub _dir: tempfile::TempDir,
    pub app: Router,
    pub key: String,
    pub state: api::ApiState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for ApiRig {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A simulator, a profile connected to it with an API token, the service opened on it (its worker running in
/// the background) and an API key.
pub async fn api_rig() -> ApiRig {
    let sim = zendesk_sim::spawn(SimConfig {
        admin_token: Some(CANARY_TOKEN.to_owned()),
        ..SimConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("simulator: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let input = ConnectInput {
        subdomain: sim.sim.subdomain().to_owned(),
        email: sim.sim.admin().email,
        token: SecretString::from(CANARY_TOKEN),
        default_agent_id: None,
        base_url: Some(sim.base_url.clone()),
    };
    let report = connect::verify_and_save(
        &profile,
        input,
        ConnectOptions::default(),
        jiff::Timestamp::now(),
        |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("connect: {e}"));
    assert!(report.saved(), "{:#?}", report.checks);
    let clock = Clock::system();
    let service = Service::open(&profile, &clock, WorkerSeat::Required, None)
        .await
        .unwrap_or_else(|e| panic!("service: {e}"));
    let state = service.state.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    if let Some(worker) = service.worker {
        tokio::spawn(async move {
            let _ = worker
                .run(async {
                    let _ = stopped.await;
                })
                .await;
        });
    }
    let key = ApiKeys::new(profile.store().clone(), clock)
        .create("tests")
        .unwrap_or_else(|e| panic!("{e}"))
        .key
        .expose_secret()
        .to_owned();
    ApiRig {
        app: api::app(state.clone()),
        state,
        sim,
        _dir: dir,
        key,
        stop: Some(stop),
    }
}

impl ApiRig {
    /// Calls the API with the rig's key.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let key = self.key.clone();
        self.call_with(method, path, Some(&key), body.map(|b| b.to_string()))
            .await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<String>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body)),
            None => request.body(Body::empty()),
        }
        .unwrap_or_else(|e| panic!("{e}"));
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    /// Creates a session with one customer turn; returns its id.
    pub async fn session(&self, contact: Value) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/v1/sessions",
                Some(json!({
                    "contact": contact,
                    "channel": "email",
                    "turns": [{"role": "customer", "text": "My parcel never arrived, order 1042."}],
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap_or_default().to_owned()
    }

    /// Polls the session until its handoff settles.
    pub async fn settled(&self, id: &str) -> Value {
        for _ in 0..200 {
            let (_, body) = self
                .call(Method::GET, &format!("/v1/sessions/{id}"), None)
                .await;
            if matches!(body["handoff"]["state"].as_str(), Some("done" | "failed")) {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the handoff of {id} did not settle");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_wrong_or_revoked_key_is_401_with_no_hint_of_which() {
    let rig = api_rig().await;
    let keys = ApiKeys::new(rig.state.store.clone(), Clock::system());
    let revoked = keys.create("old").unwrap_or_else(|e| panic!("{e}"));
    keys.revoke(&revoked.id).unwrap_or_else(|e| panic!("{e}"));
    let forged = format!("hk_{}", "A".repeat(43));
    let revoked_key = revoked.key.expose_secret().to_owned();
    let mut messages = Vec::new();
    for (case, key) in [
        ("missing", None),
        ("empty", Some("")),
        ("not ours", Some(forged.as_str())),
        ("revoked", Some(revoked_key.as_str())),
        ("without the prefix", Some("A".repeat(46).leak() as &str)),
    ] {
        let (status, body) = rig.call_with(Method::GET, "/v1/sessions", key, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{case}");
        messages.push(body["error"]["message"].clone());
    }
    assert!(
        messages.windows(2).all(|w| w[0] == w[1]),
        "one message for every case: {messages:?}"
    );
    let (status, _) = rig.call(Method::GET, "/v1/sessions", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = rig
        .call_with(Method::GET, "/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "the document needs no key");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_is_handed_off_once_and_its_ticket_and_replies_are_read_back() {
    let rig = api_rig().await;
    let id = rig
        .session(json!({"name": "Jane Doe", "email": "jane@example.com"}))
        .await;

    let (status, turn) = rig
        .call(
            Method::POST,
            &format!("/v1/sessions/{id}/turns"),
            Some(json!({"role": "ai", "text": "Let me check."})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{turn}");
    assert_eq!(turn["seq"], 1);

    let handoff = |request_id: &'static str| {
        let path = format!("/v1/sessions/{id}/handoff");
        let rig = &rig;
        async move {
            rig.call(Method::POST, &path, Some(json!({"request_id": request_id})))
                .await
        }
    };
    let (status, first) = handoff("hand-1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    assert_eq!(first["repeated"], false);
    let (status, again) = handoff("hand-1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(
        again["repeated"], true,
        "the same request id is one handoff"
    );

    let session = rig.settled(&id).await;
    assert_eq!(session["handoff"]["state"], "done", "{session}");
    let ticket_id = session["ticket_id"]
        .as_u64()
        .unwrap_or_else(|| panic!("{session}"));
    assert_eq!(session["ticket"]["id"], ticket_id);
    assert_eq!(
        session["ticket"]["agent_url"],
        format!("{}/agent/tickets/{ticket_id}", rig.sim.base_url)
    );
    let creates = rig
        .sim
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/api/v2/tickets")
        .count();
    assert_eq!(creates, 1, "one ticket for one handoff");

    // A rep replies (recorded as the relay records it): the reply is read back, and the AI goes quiet.
    let sid = SessionId::parse(&id).unwrap_or_else(|e| panic!("{e}"));
    rig.state
        .sessions
        .add_turn(
            sid,
            NewTurn {
                role: Role::Agent,
                text: "Shipped again today.".into(),
                at: None,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, session) = rig
        .call(Method::GET, &format!("/v1/sessions/{id}"), None)
        .await;
    assert_eq!(session["human_active"], true);
    assert_eq!(session["agent_replies"][0]["text"], "Shipped again today.");
    let (status, refused) = rig
        .call(
            Method::POST,
            &format!("/v1/sessions/{id}/turns"),
            Some(json!({"role": "ai", "text": "Anything else?"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "human_active");
    let (status, _) = rig
        .call(
            Method::POST,
            &format!("/v1/sessions/{id}/turns"),
            Some(json!({"role": "customer", "text": "Thanks!"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "the customer may still write");

    let (status, list) = rig.call(Method::GET, "/v1/sessions?limit=5", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["sessions"][0]["id"], id.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_idempotency_key_header_makes_a_retried_handoff_one() {
    let rig = api_rig().await;
    let id = rig.session(json!({"email": "retry@example.com"})).await;
    for expected_repeat in [false, true, true] {
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("/v1/sessions/{id}/handoff"))
            .header("authorization", format!("Bearer {}", rig.key))
            .header("idempotency-key", "platform-req-77")
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        let response = rig
            .app
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(body["repeated"], expected_repeat, "{body}");
        assert_eq!(body["request_id"], "platform-req-77");
    }
}

/// Each kind of bad input, on each route: a 4xx with its code, never a 5xx.
#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_a_4xx_with_a_code() {
    let rig = api_rig().await;
    let id = rig.session(json!({"email": "bad@example.com"})).await;
    let unknown = "7d0b3c9e-1f2a-4b5c-8d9e-0f1a2b3c4d5e";
    let huge = "x".repeat(api::MAX_BODY_BYTES + 10);
    // (case, method, path, body, status, code)
    type Case<'a> = (&'a str, Method, String, Option<String>, u16, &'a str);
    let table: Vec<Case> = vec![
        ("no body", Method::POST, "/v1/sessions".into(), None, 415, "invalid_body"),
        ("not JSON", Method::POST, "/v1/sessions".into(), Some("{nope".into()), 400, "invalid_body"),
        ("wrong type", Method::POST, "/v1/sessions".into(), Some(json!({"contact": "jane", "channel": "email"}).to_string()), 422, "invalid_body"),
        ("invalid channel", Method::POST, "/v1/sessions".into(), Some(json!({"contact": {"email": "a@b.co"}, "channel": "fax"}).to_string()), 422, "invalid_body"),
        ("unknown field", Method::POST, "/v1/sessions".into(), Some(json!({"contact": {"email": "a@b.co"}, "channel": "email", "colour": 1}).to_string()), 422, "invalid_body"),
        ("no way to reach the contact", Method::POST, "/v1/sessions".into(), Some(json!({"contact": {"name": "X"}, "channel": "email"}).to_string()), 422, "invalid"),
        ("bad email", Method::POST, "/v1/sessions".into(), Some(json!({"contact": {"email": "not an email"}, "channel": "email"}).to_string()), 422, "invalid"),
        ("bad turn time", Method::POST, "/v1/sessions".into(), Some(json!({"contact": {"email": "a@b.co"}, "channel": "email", "turns": [{"role": "ai", "text": "hi", "at": "yesterday"}]}).to_string()), 422, "invalid"),
        ("huge body", Method::POST, "/v1/sessions".into(), Some(huge.clone()), 413, "payload_too_large"),
        ("unknown session", Method::GET, format!("/v1/sessions/{unknown}"), None, 404, "not_found"),
        ("not a session id", Method::GET, "/v1/sessions/../../etc".into(), None, 404, "not_found"),
        ("turn on unknown session", Method::POST, format!("/v1/sessions/{unknown}/turns"), Some(json!({"role": "ai", "text": "x"}).to_string()), 404, "not_found"),
        ("empty turn", Method::POST, format!("/v1/sessions/{id}/turns"), Some(json!({"role": "ai", "text": "  "}).to_string()), 422, "invalid"),
        ("agent turn through the API", Method::POST, format!("/v1/sessions/{id}/turns"), Some(json!({"role": "agent", "text": "hi"}).to_string()), 422, "invalid"),
        ("handoff of unknown session", Method::POST, format!("/v1/sessions/{unknown}/handoff"), None, 404, "not_found"),
        ("bad sentiment", Method::POST, format!("/v1/sessions/{id}/handoff"), Some(json!({"sentiment": "furious"}).to_string()), 422, "invalid_body"),
        ("bad language", Method::POST, format!("/v1/sessions/{id}/handoff"), Some(json!({"language": "not a tag!"}).to_string()), 422, "invalid"),
        ("control char request id", Method::POST, format!("/v1/sessions/{id}/handoff"), Some(json!({"request_id": "a\u{7}"}).to_string()), 422, "invalid"),
        ("assist note on ticket 0", Method::POST, "/v1/assist-notes".into(), Some(json!({"ticket_id": 0, "text": "x"}).to_string()), 422, "invalid"),
        ("assist note on a missing ticket", Method::POST, "/v1/assist-notes".into(), Some(json!({"ticket_id": 999999999, "text": "x"}).to_string()), 404, "not_found"),
        ("wrong method", Method::DELETE, "/v1/sessions".into(), None, 405, "method_not_allowed"),
        ("unknown route", Method::GET, "/v2/sessions".into(), None, 404, "not_found"),
        ("bad limit", Method::GET, "/v1/sessions?limit=lots".into(), None, 422, "invalid"),
    ];
    for (case, method, path, body, status, code) in table {
        let key = rig.key.clone();
        let (got, answer) = rig.call_with(method, &path, Some(&key), body).await;
        assert_eq!(got.as_u16(), status, "{case}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{case}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            !message.is_empty() && message.len() < 2000,
            "{case}: a short message: {message:.200}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn assist_notes_are_internal_deduplicated_and_refused_on_solved_tickets() {
    let rig = api_rig().await;
    let id = rig.session(json!({"email": "assist@example.com"})).await;
    let (status, _) = rig
        .call(Method::POST, &format!("/v1/sessions/{id}/handoff"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let ticket = rig.settled(&id).await["ticket_id"]
        .as_u64()
        .unwrap_or_default();
    let note = json!({"ticket_id": ticket, "text": "Suggested reply: offer a reshipment."});
    let (status, first) = rig
        .call(Method::POST, "/v1/assist-notes", Some(note.clone()))
        .await;
    assert_eq!(
        (status, first["outcome"].clone()),
        (StatusCode::CREATED, json!("posted")),
        "{first}"
    );
    let (status, second) = rig.call(Method::POST, "/v1/assist-notes", Some(note)).await;
    assert_eq!(
        (status, second["outcome"].clone()),
        (StatusCode::CREATED, json!("already_posted")),
        "{second}"
    );
    // A rep solves the ticket in Zendesk.
    let solved = reqwest::Client::new()
        .post(format!(
            "{}/_sim/tickets/{ticket}/comments",
            rig.sim.base_url
        ))
        .json(&json!({"body": "Resolved", "status": "solved"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(solved.status().as_u16(), 200);
    let (status, refused) = rig
        .call(
            Method::POST,
            "/v1/assist-notes",
            Some(json!({"ticket_id": ticket, "text": "Another idea"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "ticket_not_open");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_page_opens_only_with_its_tag_and_shows_markup_as_text() {
    let rig = api_rig().await;
    let (_, created) = rig
        .call(
            Method::POST,
            "/v1/sessions",
            Some(json!({
                "contact": {"name": "<b>Eve</b>", "email": "eve@example.com"},
                "channel": "web",
                "turns": [{"role": "customer", "text": "<script>alert(1)</script> help"}],
            })),
        )
        .await;
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let sid = SessionId::parse(&id).unwrap_or_else(|e| panic!("{e}"));
    let tag = rig.state.links.tag(sid);
    let (status, page) = rig
        .call_with(Method::GET, &format!("/sessions/{id}?t={tag}"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = page.as_str().unwrap_or_default();
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt; help"),
        "{page}"
    );
    assert!(
        !page.contains("<script>") && !page.contains("<b>Eve"),
        "{page}"
    );
    let other =
        SessionId::parse("7d0b3c9e-1f2a-4b5c-8d9e-0f1a2b3c4d5e").unwrap_or_else(|e| panic!("{e}"));
    for (case, path) in [
        ("no tag", format!("/sessions/{id}")),
        (
            "another session's tag",
            format!("/sessions/{id}?t={}", rig.state.links.tag(other)),
        ),
        (
            "a tag with a character changed",
            format!(
                "/sessions/{id}?t={}{}",
                if tag.starts_with('A') { 'B' } else { 'A' },
                &tag[1..]
            ),
        ),
        (
            "the tag of an unknown session",
            format!("/sessions/{other}?t={}", rig.state.links.tag(other)),
        ),
    ] {
        let (status, _) = rig.call_with(Method::GET, &path, None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{case}");
    }
}

/// The OpenAPI document is generated from the handlers; this holds it to the router and to the answers.
#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_matches_the_routes_and_the_answers() {
    let rig = api_rig().await;
    let (_, document) = rig
        .call_with(Method::GET, "/v1/openapi.json", None, None)
        .await;
    let mut documented: Vec<String> = Vec::new();
    for (path, item) in document["paths"].as_object().cloned().unwrap_or_default() {
        for method in item
            .as_object()
            .map(|m| m.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    documented.sort();
    let served = [
        "GET /v1/sessions",
        "GET /v1/sessions/{id}",
        "POST /v1/assist-notes",
        "POST /v1/sessions",
        "POST /v1/sessions/{id}/handoff",
        "POST /v1/sessions/{id}/turns",
    ];
    assert_eq!(
        documented, served,
        "every /v1 route is documented, and nothing else"
    );
    for route in served {
        let (method, path) = route.split_once(' ').unwrap_or_default();
        let concrete = path.replace("{id}", "7d0b3c9e-1f2a-4b5c-8d9e-0f1a2b3c4d5e");
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        let (status, _) = rig.call_with(method, &concrete, None, None).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{route} is served (and guarded)"
        );
    }

    // Answers of a whole flow validate against the schemas the document gives for their status.
    let id = rig
        .session(json!({"name": "Val", "email": "val@example.com"}))
        .await;
    let mut seen = Vec::new();
    seen.push((
        "/v1/sessions/{id}",
        "get",
        rig.call(Method::GET, &format!("/v1/sessions/{id}"), None)
            .await,
    ));
    seen.push((
        "/v1/sessions",
        "get",
        rig.call(Method::GET, "/v1/sessions", None).await,
    ));
    seen.push((
        "/v1/sessions/{id}/turns",
        "post",
        rig.call(
            Method::POST,
            &format!("/v1/sessions/{id}/turns"),
            Some(json!({"role": "ai", "text": "ok"})),
        )
        .await,
    ));
    seen.push((
        "/v1/sessions/{id}/handoff",
        "post",
        rig.call(Method::POST, &format!("/v1/sessions/{id}/handoff"), None)
            .await,
    ));
    rig.settled(&id).await;
    seen.push((
        "/v1/sessions/{id}",
        "get",
        rig.call(Method::GET, &format!("/v1/sessions/{id}"), None)
            .await,
    ));
    seen.push((
        "/v1/sessions",
        "post",
        rig.call(
            Method::POST,
            "/v1/sessions",
            Some(json!({"contact": {}, "channel": "sms"})),
        )
        .await,
    ));
    seen.push((
        "/v1/sessions/{id}",
        "get",
        rig.call(
            Method::GET,
            "/v1/sessions/7d0b3c9e-1f2a-4b5c-8d9e-0f1a2b3c4d5e",
            None,
        )
        .await,
    ));
    // The check can fail: a body missing every field of a session is refused by the session's schema.
    seen.push((
        "/v1/sessions/{id}",
        "get",
        (StatusCode::OK, json!({"nope": 1})),
    ));
    let last = seen.len() - 1;
    for (index, (path, method, (status, body))) in seen.into_iter().enumerate() {
        let escaped = path.replace('~', "~0").replace('/', "~1");
        let pointer = format!(
            "/paths/{escaped}/{method}/responses/{}/content/application~1json/schema",
            status.as_u16()
        );
        assert!(
            document.pointer(&pointer).is_some(),
            "{method} {path} documents status {status}"
        );
        let mut schema = document.clone();
        // A URI fragment: the path template's braces are percent-encoded.
        schema["$ref"] = json!(format!(
            "#{}",
            pointer.replace('{', "%7B").replace('}', "%7D")
        ));
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{e}"));
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        if index == last {
            assert!(!errors.is_empty(), "the schema check refuses a wrong body");
        } else {
            assert!(
                errors.is_empty(),
                "{method} {path} {status}: {errors:?}\n{body}"
            );
        }
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "\\PC{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("email"),
            Just("ai"),
            Just("customer"),
            Just("happy"),
            Just("en")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("contact".to_owned()),
                    Just("channel".to_owned()),
                    Just("turns".to_owned()),
                    Just("role".to_owned()),
                    Just("text".to_owned()),
                    Just("email".to_owned()),
                    Just("phone".to_owned()),
                    Just("at".to_owned()),
                    Just("request_id".to_owned()),
                    Just("ticket_id".to_owned()),
                    Just("language".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..5,
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Arbitrary JSON (and arbitrary bytes) to every route that takes a body: never a 5xx, always the error shape.
#[test]
fn arbitrary_bodies_never_get_a_5xx() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let rig = Arc::new(runtime.block_on(api_rig()));
    let id = runtime.block_on(rig.session(json!({"email": "prop@example.com"})));
    let routes = Arc::new(vec![
        "/v1/sessions".to_owned(),
        format!("/v1/sessions/{id}/turns"),
        format!("/v1/sessions/{id}/handoff"),
        "/v1/assist-notes".to_owned(),
    ]);
    let config = ProptestConfig {
        cases: 400,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let strategy = (
        0usize..4,
        prop_oneof![
            json_value().prop_map(|v| v.to_string().into_bytes()),
            prop::collection::vec(any::<u8>(), 0..64),
        ],
    );
    runner
        .run(&strategy, |(route, body)| {
            let rig = rig.clone();
            let path = routes[route].clone();
            let (status, answer) = runtime.block_on(async move {
                let key = rig.key.clone();
                rig.call_with(
                    Method::POST,
                    &path,
                    Some(&key),
                    Some(String::from_utf8_lossy(&body).into_owned()),
                )
                .await
            });
            prop_assert!(
                !status.is_server_error()
                    || status == StatusCode::SERVICE_UNAVAILABLE
                        && answer["error"]["code"] == "unavailable",
                "{status}: {answer}"
            );
            if !status.is_success() {
                prop_assert!(answer["error"]["code"].is_string(), "{status}: {answer}");
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    drop(rig);
}
