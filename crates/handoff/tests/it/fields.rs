//! AI Fields against the simulator: every field type of the recorded accounts loads and is classified; the
//! offline filler on a table of conversations in several languages; the LLM filler against an
//! OpenAI-compatible server on loopback that checks what it is asked and answers good, invalid, malformed,
//! slow and failing answers, with the simulator's request log proving no invalid value reaches Zendesk; and
//! read-back catching a value Zendesk dropped.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use handoff::clock::Clock;
use handoff::connect::{self, ConnectInput, ConnectOptions};
use handoff::fields::{
    self, Conversation, DriftKind, FieldOption, Fillable, LlmConfig, LlmFiller, LlmKey,
    MappedFields, OfflineFiller, Refresh, Target,
};
use handoff::profile::Profile;
use handoff::session::{Channel, Mode, Role};
use handoff::SecretString;
use serde_json::{json, Value};
use tempfile::TempDir;
use zendesk_sim::{RunningSimulator, Seed, SeedDump, SimConfig};

use crate::handoffs::{email, rig, sim_clock, Rig};
use crate::{profile, CANARY_TOKEN};

/// The options of the dropdown the tests map: (name, value).
pub const REASONS: [(&str, &str); 5] = [
    ("Refund request", "refund_request"),
    ("Billing", "billing"),
    ("Shipping", "shipping_delay"),
    ("Technical issue", "technical_issue"),
    ("Cancellation", "cancellation"),
];

/// The description the admin writes, with synonyms per option in several languages.
pub const REASON_DESCRIPTION: &str =
    "The primary reason the contact is writing. Pick the closest match from the allowed values.
Refund request: refund, money back, reembolso, remboursement, Rückerstattung, rimborso
Billing: invoice, charged, factura, facture, Rechnung
Shipping: delivery, package, parcel, arrived, envío, paquete, livraison, colis, Lieferung, Paket
Technical issue: error, crash, bug, fehler, erreur
Cancellation: cancel, unsubscribe, annuler, kündigen, cancelar";

/// Creates the "Contact Reason" dropdown in the simulator as an admin would in Admin Center; returns its id.
pub async fn create_reason_field(sim: &RunningSimulator) -> u64 {
    let options: Vec<Value> = REASONS
        .iter()
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect();
    let created = admin_call(
        sim,
        reqwest::Method::POST,
        "/api/v2/ticket_fields",
        json!({ "ticket_field": { "type": "tagger", "title": "Contact Reason", "custom_field_options": options } }),
    )
    .await;
    created["ticket_field"]["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("{created}"))
}

/// Removes the option `value` from the field in the simulator (Admin Center, between mapping and handoff).
pub async fn remove_option(sim: &RunningSimulator, field_id: u64, value: &str) {
    let options: Vec<Value> = REASONS
        .iter()
        .filter(|(_, v)| *v != value)
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect();
    admin_call(
        sim,
        reqwest::Method::PUT,
        &format!("/api/v2/ticket_fields/{field_id}"),
        json!({ "ticket_field": { "custom_field_options": options } }),
    )
    .await;
}

async fn admin_call(
    sim: &RunningSimulator,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    let admin = sim.sim.admin();
    let response = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.base_url))
        .header(
            "Authorization",
            zendesk_sim::basic_token_header(&admin.email, &admin.token),
        )
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    let text = response.text().await.unwrap_or_else(|e| panic!("{e}"));
    match text.is_empty() {
        true => Value::Null,
        false => serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    }
}

/// A profile connected (API token) to a simulator seeded with `seed`, on the simulator's manual clock.
async fn connected(seed: Seed) -> (RunningSimulator, TempDir, Profile, Clock) {
    let start: jiff::Timestamp = crate::handoffs::START
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let sim = zendesk_sim::spawn(SimConfig {
        admin_token: Some(CANARY_TOKEN.to_owned()),
        clock: zendesk_sim::Clock::manual(start),
        seed,
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
    let report =
        connect::verify_and_save(&profile, input, ConnectOptions::default(), start, |_| {})
            .await
            .unwrap_or_else(|e| panic!("connect: {e}"));
    assert!(report.saved(), "{:#?}", report.checks);
    let clock = sim_clock(&sim);
    (sim, dir, profile, clock)
}

fn shared_fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/zendesk/fixtures")
}

/// (type, mappable, words the reason must hold) for every type the recorded accounts hold, plus the three the
/// spec lists that no recording has (created through the API below).
const CLASSIFIED: &[(&str, bool, &str)] = &[
    ("tagger", true, ""),
    ("text", true, ""),
    ("textarea", true, ""),
    ("checkbox", false, "checkboxes are not supported"),
    ("date", false, "date fields"),
    ("integer", false, "number fields"),
    ("decimal", false, "number fields"),
    ("regexp", false, "pattern fields"),
    ("multiselect", false, "multi-select"),
    ("partialcreditcard", false, "credit card"),
    ("lookup", false, "lookup fields"),
    ("subject", false, "system field"),
    ("description", false, "system field"),
    ("status", false, "system field"),
    ("tickettype", false, "system field"),
    ("priority", false, "system field"),
    ("group", false, "system field"),
    ("assignee", false, "system field"),
    ("custom_status", false, "system field"),
];

fn assert_classified(
    catalog: &fields::Catalog,
    source: &str,
) -> std::collections::BTreeSet<String> {
    let mut seen = std::collections::BTreeSet::new();
    for field in &catalog.fields {
        let (_, mappable, reason) = CLASSIFIED
            .iter()
            .find(|(kind, _, _)| *kind == field.kind)
            .unwrap_or_else(|| panic!("{source}: type {} is not in the table", field.kind));
        let expected = *mappable && field.active;
        assert_eq!(
            field.mappable(),
            expected,
            "{source}: {} ({}) active={}",
            field.title,
            field.kind,
            field.active
        );
        match field.reason() {
            None => assert!(expected, "{source}: {} has no reason", field.title),
            Some(why) if !field.active && !field.system && *mappable => {
                assert!(why.contains("inactive"), "{source}: {}: {why}", field.title)
            }
            Some(why) => assert!(
                why.contains(reason),
                "{source}: {} ({}): {why}",
                field.title,
                field.kind
            ),
        }
        seen.insert(field.kind.clone());
    }
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn every_field_type_of_the_recorded_accounts_loads_and_is_classified() {
    // The 89-field account dump (the simulator's default seed), fetched page by page.
    let (sim, _dir, profile, clock) = connected(Seed::AccountDump).await;
    sim.sim.clear_requests();
    let catalog = fields::catalog(&profile, &clock, Refresh::IfStale)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        catalog.fields.len(),
        89,
        "every field of the dump, system and inactive ones included"
    );
    let pages: Vec<String> = sim
        .sim
        .requests()
        .iter()
        .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
        .collect();
    assert_eq!(pages.len(), 1, "89 fields are one page of 100: {pages:?}");
    assert!(
        pages[0].contains("page%5Bsize%5D=100"),
        "cursor pagination: {pages:?}"
    );
    let seen = assert_classified(&catalog, "account dump");
    let mappable = catalog.fields.iter().filter(|f| f.mappable()).count();
    assert_eq!(
        mappable,
        42 + 14 + 6,
        "active dropdowns, text and textarea fields"
    );
    let inactive_dropdown = catalog
        .fields
        .iter()
        .find(|f| f.kind == "tagger" && !f.active)
        .unwrap_or_else(|| panic!("the dump has inactive dropdowns"));
    assert!(
        !inactive_dropdown.options.is_empty(),
        "options load with their field"
    );

    // Cached with its fetch time: the next call asks Zendesk nothing until the cache is stale.
    sim.sim.clear_requests();
    let again = fields::catalog(&profile, &clock, Refresh::IfStale)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, catalog);
    assert!(sim.sim.requests().is_empty(), "served from the cache");
    sim.sim
        .clock()
        .advance(fields::STALE_AFTER + Duration::from_secs(1));
    fields::catalog(&profile, &clock, Refresh::IfStale)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        sim.sim.requests().len(),
        1,
        "a stale cache is fetched again"
    );
    // Zendesk refusing (an outage page here): a stale cache is shown rather than nothing; a refresh says why.
    sim.sim
        .clock()
        .advance(fields::STALE_AFTER + Duration::from_secs(1));
    sim.sim.inject_fault(
        Some("GET"),
        "/api/v2/ticket_fields",
        zendesk_sim::FaultKind::ServerError(403),
        None,
    );
    let stale = fields::catalog(&profile, &clock, Refresh::IfStale)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stale.fields, catalog.fields, "the cached fields");
    let refused = fields::catalog(&profile, &clock, Refresh::Now).await;
    assert!(
        matches!(refused, Err(fields::FieldsError::Zendesk(_))),
        "{refused:?}"
    );

    // The go-zendesk fixtures, plus the types no recording has, created through the API.
    let dump = SeedDump::from_dir(&shared_fixtures().join("go-zendesk/GET"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (sim, _dir, profile, clock) = connected(Seed::Dump(Arc::new(dump))).await;
    for kind in ["multiselect", "partialcreditcard", "lookup"] {
        admin_call(
            &sim,
            reqwest::Method::POST,
            "/api/v2/ticket_fields",
            json!({ "ticket_field": { "type": kind, "title": format!("A {kind} field") } }),
        )
        .await;
    }
    let catalog = fields::catalog(&profile, &clock, Refresh::Now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut all = seen;
    all.extend(assert_classified(&catalog, "go-zendesk"));
    let every: std::collections::BTreeSet<String> =
        CLASSIFIED.iter().map(|(k, _, _)| (*k).to_owned()).collect();
    assert_eq!(all, every, "the table's every row was met");
}

fn reason_target() -> Target {
    Target {
        field_id: 1,
        title: "Contact Reason".into(),
        kind: Fillable::Dropdown,
        options: REASONS
            .iter()
            .map(|(name, value)| FieldOption {
                name: (*name).into(),
                value: (*value).into(),
            })
            .collect(),
        description: REASON_DESCRIPTION.into(),
    }
}

#[tokio::test]
async fn the_offline_filler_picks_what_the_conversation_says_in_several_languages_or_nothing() {
    let reason = reason_target();
    let order = Target {
        field_id: 2,
        title: "Order number".into(),
        kind: Fillable::Text,
        options: vec![],
        description: "The order number the customer mentions".into(),
    };
    // (field, conversation, expected value)
    let table: &[(&Target, &str, Option<&str>)] = &[
        (
            &reason,
            "Customer: I want my money back for order 1042",
            Some("refund_request"),
        ),
        (
            &reason,
            "Customer: My parcel never arrived\nAI: Sorry about that",
            Some("shipping_delay"),
        ),
        (
            &reason,
            "Customer: The app shows an error every time I open it",
            Some("technical_issue"),
        ),
        (
            &reason,
            "Customer: Please cancel my subscription",
            Some("cancellation"),
        ),
        (
            &reason,
            "Customer: I got an invoice for a plan I never ordered",
            Some("billing"),
        ),
        // Spanish, French, German, Portuguese, Italian: the description's synonyms and the stems carry them.
        (
            &reason,
            "Customer: Quiero un reembolso, el producto llegó roto",
            Some("refund_request"),
        ),
        (
            &reason,
            "Client: Je voudrais annuler mon abonnement",
            Some("cancellation"),
        ),
        (
            &reason,
            "Kunde: Mein Paket ist nicht angekommen",
            Some("shipping_delay"),
        ),
        (
            &reason,
            "Customer: Quero o reembolso do meu pedido",
            Some("refund_request"),
        ),
        (
            &reason,
            "Customer: Vorrei un rimborso per favore",
            Some("refund_request"),
        ),
        (
            &reason,
            "Kunde: Die Rechnung ist zu hoch, bitte prüfen",
            Some("billing"),
        ),
        // Two reasons in one message, one said twice: not enough to be sure.
        (
            &reason,
            "Kunde: Ich habe einen Fehler in der Rechnung gefunden. Die Rechnung stimmt nicht",
            None,
        ),
        // No confident answer: nothing matches, two reasons tie, or only the AI names the options.
        (&reason, "Customer: Hello, how are you today?", None),
        (
            &reason,
            "Customer: I was charged twice and I want a refund",
            None,
        ),
        (
            &reason,
            "AI: I can help with refunds, billing, shipping or cancellations.\nCustomer: thanks",
            None,
        ),
        (&reason, "", None),
        (
            &order,
            "Customer: My order 4411 never came. Can you check?",
            Some("My order 4411 never came"),
        ),
        (&order, "Customer: hi there", None),
    ];
    for (target, conversation, expected) in table {
        let conversation = Conversation::parse(conversation);
        let fill = fields::fill(&OfflineFiller, &conversation, std::slice::from_ref(*target)).await;
        let fill = &fill[0];
        assert_eq!(
            fill.value.as_deref(),
            *expected,
            "{:?}: {} (score {})",
            conversation.lines,
            fill.why,
            fill.score
        );
        assert!(!fill.why.is_empty());
        match expected {
            Some(_) => assert!(fill.score >= fields::CONFIDENCE_THRESHOLD, "{}", fill.why),
            None => assert!(fill.score < fields::CONFIDENCE_THRESHOLD, "{}", fill.why),
        }
    }
}

/// How the test LLM server answers one request.
#[derive(Debug, Clone)]
pub enum LlmReply {
    /// A structured answer: value (or null) and confidence.
    Answer(Option<&'static str>, f64),
    /// A bare HTTP status.
    Status(u16),
    /// A 200 whose content is not the JSON object asked for.
    Malformed,
    /// Answers only after this long.
    Slow(Duration),
}

/// An OpenAI-compatible server on loopback. Every request is checked (path, bearer key, model, the dropdown's
/// enum of option values plus null); what is wrong is noted in `problems`. Answers follow `script`, then 500.
pub struct LlmServer {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Value>>>,
    pub problems: Arc<Mutex<Vec<String>>>,
    script: Arc<Mutex<VecDeque<LlmReply>>>,
    _task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct LlmState {
    key: String,
    model: String,
    field_id: u64,
    requests: Arc<Mutex<Vec<Value>>>,
    problems: Arc<Mutex<Vec<String>>>,
    script: Arc<Mutex<VecDeque<LlmReply>>>,
}

impl LlmServer {
    pub async fn start(key: &str, model: &str, field_id: u64) -> LlmServer {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let problems = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let state = LlmState {
            key: key.to_owned(),
            model: model.to_owned(),
            field_id,
            requests: requests.clone(),
            problems: problems.clone(),
            script: script.clone(),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let url = format!(
            "http://{}",
            listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        LlmServer {
            url,
            requests,
            problems,
            script,
            _task: task,
        }
    }

    pub fn answer(&self, replies: &[LlmReply]) {
        let mut script = self.script.lock().unwrap_or_else(|e| panic!("{e}"));
        script.clear();
        script.extend(replies.iter().cloned());
        self.requests
            .lock()
            .unwrap_or_else(|e| panic!("{e}"))
            .clear();
    }

    pub fn asked(&self) -> usize {
        self.requests.lock().unwrap_or_else(|e| panic!("{e}")).len()
    }

    pub fn problems(&self) -> Vec<String> {
        self.problems
            .lock()
            .unwrap_or_else(|e| panic!("{e}"))
            .clone()
    }
}

async fn completions(
    State(state): State<LlmState>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut problems = Vec::new();
    let bearer = format!("Bearer {}", state.key);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(bearer.as_str()) {
        problems.push("the request did not carry the key as a bearer token".to_owned());
    }
    if body["model"] != json!(state.model) {
        problems.push(format!(
            "model {} asked, {} configured",
            body["model"], state.model
        ));
    }
    let field = format!("field_{}", state.field_id);
    let schema = &body["response_format"]["json_schema"]["schema"]["properties"][&field]
        ["properties"]["value"];
    let mut wanted: Vec<Value> = REASONS.iter().map(|(_, value)| json!(value)).collect();
    wanted.push(Value::Null);
    if schema["enum"] != json!(wanted) {
        problems.push(format!(
            "the enum is {}, not the option values and null",
            schema["enum"]
        ));
    }
    if body["response_format"]["type"] != json!("json_schema") {
        problems.push("no json_schema response format".to_owned());
    }
    state
        .problems
        .lock()
        .unwrap_or_else(|e| panic!("{e}"))
        .extend(problems);
    state
        .requests
        .lock()
        .unwrap_or_else(|e| panic!("{e}"))
        .push(body);
    let reply = state
        .script
        .lock()
        .unwrap_or_else(|e| panic!("{e}"))
        .pop_front()
        .unwrap_or(LlmReply::Status(500));
    let content = |inner: Value| {
        Json(json!({ "id": "chatcmpl-1", "object": "chat.completion", "choices": [{ "index": 0, "message": { "role": "assistant", "content": inner.to_string() }, "finish_reason": "stop" }] }))
            .into_response()
    };
    match reply {
        LlmReply::Answer(value, confidence) => content(
            json!({ field: { "value": value, "confidence": confidence, "why": "the customer said so" } }),
        ),
        LlmReply::Status(status) => StatusCode::from_u16(status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        LlmReply::Malformed => Json(
            json!({ "choices": [{ "message": { "content": "Sure! The reason is billing." } }] }),
        )
        .into_response(),
        LlmReply::Slow(wait) => {
            tokio::time::sleep(wait).await;
            content(json!({ field: { "value": "billing", "confidence": 0.9, "why": "late" } }))
        }
    }
}

const LLM_KEY: &str = "llmKeyCanaryQ7pX2mV9tR4sW8zL3nB6cJ1hF5";

/// Maps the reason dropdown on the rig's profile (fetching the catalog) and returns its id.
async fn map_reason(rig: &Rig) -> u64 {
    let id = create_reason_field(&rig.sim).await;
    fields::catalog(&rig.profile, &rig.clock, Refresh::Now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fields::map_field(&rig.profile, &rig.clock, id, REASON_DESCRIPTION)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    id
}

/// The custom fields of the one ticket create the simulator received since the log was cleared.
fn sent_fields(rig: &Rig) -> Value {
    let creates: Vec<Value> = rig
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/api/v2/tickets"))
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert_eq!(creates.len(), 1, "one create per handoff");
    creates[0]["ticket"]["custom_fields"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_llm_filler_writes_only_option_values_and_falls_back_to_the_offline_answer() {
    let mut rig = rig().await;
    let field_id = map_reason(&rig).await;
    let server = LlmServer::start(LLM_KEY, "test-model", field_id).await;
    let filler = LlmFiller::new(
        LlmConfig {
            base_url: url::Url::parse(&server.url).unwrap_or_else(|e| panic!("{e}")),
            model: "test-model".into(),
            timeout: Duration::from_millis(400),
        },
        LlmKey::Given(SecretString::from(LLM_KEY)),
    );
    let worker = rig.worker.take().unwrap_or_else(|| panic!("worker"));
    rig.worker = Some(worker.with_fields(Arc::new(MappedFields::new(
        rig.profile.store().clone(),
        Arc::new(filler),
    ))));
    // The offline filler reads "parcel ... arrived" as shipping; the model is scripted to say otherwise.
    let conversation: &[(Role, &str)] =
        &[(Role::Customer, "My parcel never arrived and nobody answers")];
    let slow = Duration::from_millis(1500);
    // (replies, value that must reach Zendesk, requests the filler makes)
    let table: Vec<(Vec<LlmReply>, Option<&str>, usize)> = vec![
        (
            vec![LlmReply::Answer(Some("billing"), 0.9)],
            Some("billing"),
            1,
        ),
        // Not an option value, or the display name: never written; the offline answer instead.
        (
            vec![LlmReply::Answer(Some("refund"), 0.9)],
            Some("shipping_delay"),
            1,
        ),
        (
            vec![LlmReply::Answer(Some("Billing"), 0.9)],
            Some("shipping_delay"),
            1,
        ),
        // The model unsure: the field stays empty, as it said.
        (vec![LlmReply::Answer(None, 0.1)], None, 1),
        (vec![LlmReply::Answer(Some("billing"), 0.2)], None, 1),
        // Malformed, slow and failing: one retry, then the offline answer.
        (
            vec![LlmReply::Malformed, LlmReply::Malformed],
            Some("shipping_delay"),
            2,
        ),
        (
            vec![LlmReply::Slow(slow), LlmReply::Slow(slow)],
            Some("shipping_delay"),
            2,
        ),
        (
            vec![LlmReply::Status(500), LlmReply::Status(500)],
            Some("shipping_delay"),
            2,
        ),
        (
            vec![
                LlmReply::Status(503),
                LlmReply::Answer(Some("cancellation"), 0.8),
            ],
            Some("cancellation"),
            2,
        ),
        // A refused key is not retried.
        (vec![LlmReply::Status(401)], Some("shipping_delay"), 1),
    ];
    for (index, (replies, expected, asked)) in table.into_iter().enumerate() {
        server.answer(&replies);
        rig.sim.sim.clear_requests();
        let session = rig.create(
            email(None, &format!("llm{index}@example.com")),
            Channel::Email,
            Mode::Handoff,
            conversation,
        );
        rig.handoff(session.id, "r1");
        rig.drain().await;
        let sent = sent_fields(&rig);
        let expected_fields = match expected {
            Some(value) => json!([{ "id": field_id, "value": value }]),
            // No value: the create carries no custom_fields at all.
            None => Value::Null,
        };
        assert_eq!(sent, expected_fields, "case {index}: {replies:?}");
        assert_eq!(server.asked(), asked, "case {index}: {replies:?}");
        let ticket = &rig.tickets_of(session.id).await[0];
        if let Some(value) = expected {
            assert!(
                ticket
                    .custom_fields
                    .iter()
                    .any(|f| f.id == field_id && f.value == json!(value)),
                "case {index}: the value landed: {:?}",
                ticket.custom_fields
            );
        }
    }
    assert_eq!(
        server.problems(),
        Vec::<String>::new(),
        "every request carried the key, model and enum"
    );
    crate::assert_no_file_contains(rig.dir.path(), LLM_KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn read_back_catches_a_value_zendesk_dropped_and_drift_names_the_lost_option() {
    let mut rig = rig().await;
    let field_id = map_reason(&rig).await;
    let values = fields::values_for(&rig.profile).unwrap_or_else(|e| panic!("{e}"));
    let worker = rig.worker.take().unwrap_or_else(|| panic!("worker"));
    rig.worker = Some(worker.with_fields(values));
    let refund: &[(Role, &str)] = &[(Role::Customer, "I want a refund for my order, please")];

    // Mapped and valid: written in the one create, read back, nothing dropped.
    rig.sim.sim.clear_requests();
    let session = rig.create(
        email(None, "kept@example.com"),
        Channel::Email,
        Mode::Handoff,
        refund,
    );
    rig.handoff(session.id, "r1");
    rig.drain().await;
    assert_eq!(rig.calls(), ["POST /api/v2/tickets"], "one call");
    assert_eq!(
        sent_fields(&rig),
        json!([{ "id": field_id, "value": "refund_request" }])
    );
    assert!(fields::dropped_values(rig.profile.store(), None)
        .unwrap_or_else(|e| panic!("{e}"))
        .is_empty());

    // The option disappears in Zendesk after mapping; the cached catalog still offers it, Zendesk drops it.
    remove_option(&rig.sim, field_id, "refund_request").await;
    rig.sim.sim.clear_requests();
    let session = rig.create(
        email(None, "dropped@example.com"),
        Channel::Email,
        Mode::Handoff,
        refund,
    );
    rig.handoff(session.id, "r1");
    rig.drain().await;
    assert_eq!(
        sent_fields(&rig),
        json!([{ "id": field_id, "value": "refund_request" }])
    );
    let ticket = &rig.tickets_of(session.id).await[0];
    assert!(
        !ticket
            .custom_fields
            .iter()
            .any(|f| f.id == field_id && f.value == json!("refund_request")),
        "the simulator dropped it silently, as Zendesk does"
    );
    let dropped =
        fields::dropped_values(rig.profile.store(), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    assert_eq!(dropped[0].session_id, session.id.to_string());
    assert_eq!(dropped[0].ticket_id, ticket.id);
    assert_eq!(dropped[0].field_id, field_id);
    assert_eq!(dropped[0].sent, json!("refund_request"));
    assert!(dropped[0]
        .message(Some("Contact Reason"))
        .contains("Zendesk dropped \"refund_request\""));

    // The checklist's view: the dropped value now, the lost option once the catalog is fetched again.
    let drift = fields::drift(rig.profile.store()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(drift.dropped.len(), 1);
    assert!(
        drift.fields.is_empty(),
        "the cache does not know yet: {:?}",
        drift.fields
    );
    fields::catalog(&rig.profile, &rig.clock, Refresh::Now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let drift = fields::drift(rig.profile.store()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        drift
            .fields
            .iter()
            .map(|d| d.kind.clone())
            .collect::<Vec<_>>(),
        [DriftKind::OptionsRemoved {
            values: vec!["refund_request".into()]
        }]
    );
    // After the refresh the filler no longer offers the lost option: nothing more is dropped.
    rig.sim.sim.clear_requests();
    let session = rig.create(
        email(None, "after@example.com"),
        Channel::Email,
        Mode::Handoff,
        refund,
    );
    rig.handoff(session.id, "r1");
    rig.drain().await;
    assert_eq!(sent_fields(&rig), Value::Null, "no value to send");
    assert_eq!(
        fields::dropped_values(rig.profile.store(), None)
            .unwrap_or_else(|e| panic!("{e}"))
            .len(),
        1
    );

    // A field deactivated, then deleted: drift says so.
    admin_call(
        &rig.sim,
        reqwest::Method::PUT,
        &format!("/api/v2/ticket_fields/{field_id}"),
        json!({ "ticket_field": { "active": false } }),
    )
    .await;
    fields::catalog(&rig.profile, &rig.clock, Refresh::Now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let drift = fields::drift(rig.profile.store()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(drift.fields[0].kind, DriftKind::Inactive);
    admin_call(
        &rig.sim,
        reqwest::Method::DELETE,
        &format!("/api/v2/ticket_fields/{field_id}"),
        json!({}),
    )
    .await;
    fields::catalog(&rig.profile, &rig.clock, Refresh::Now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let drift = fields::drift(rig.profile.store()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(drift.fields[0].kind, DriftKind::Missing);
    assert!(drift.fields[0].message().contains("no longer exists"));
}

#[tokio::test(flavor = "multi_thread")]
async fn mapping_refuses_what_cannot_be_filled_and_persists_the_rest() {
    let (sim, _dir, profile, clock) = connected(Seed::AccountDump).await;
    let catalog = fields::catalog(&profile, &clock, Refresh::Now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let by_kind = |kind: &str| {
        catalog
            .fields
            .iter()
            .find(|f| f.kind == kind && f.active)
            .map(|f| f.id)
            .unwrap_or_else(|| panic!("{kind}"))
    };
    // (field, description, accepted)
    let table = [
        (by_kind("tagger"), "The primary reason", true),
        (by_kind("text"), "The product name", true),
        (by_kind("checkbox"), "Whether it is urgent", false),
        (by_kind("subject"), "The subject", false),
        (by_kind("tagger"), "   ", false),
        (424242, "Unknown", false),
    ];
    for (id, description, accepted) in table {
        let outcome = fields::map_field(&profile, &clock, id, description).await;
        assert_eq!(
            outcome.is_ok(),
            accepted,
            "{id} {description:?}: {outcome:?}"
        );
    }
    let mapped =
        handoff::fields::mapping::mappings(profile.store()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(mapped.len(), 2);
    fields::unmap_field(&profile, by_kind("text"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        fields::unmap_field(&profile, by_kind("text")).await,
        Err(fields::FieldsError::NotMapped(_))
    ));
    drop(sim);
}

/// The CLI's names, JSON keys and exit codes.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_lists_maps_unmaps_and_previews() {
    let unconnected = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (sim, dir, _profile, _clock) = connected(Seed::AccountDump).await;
    let field_id = create_reason_field(&sim).await;
    let data = dir.path().to_string_lossy().into_owned();
    let cli = |args: &[&str], stdin: &str| {
        let mut all = vec!["--data-dir", data.as_str()];
        all.extend_from_slice(args);
        crate::handoff(&all, stdin, &[])
    };
    let listed = cli(&["--json", "fields", "list", "--refresh"], "");
    assert_eq!(listed.status.code(), Some(0), "{}", crate::text(&listed));
    let list: Value = serde_json::from_slice(&listed.stdout).unwrap_or_else(|e| panic!("{e}"));
    let list = list.as_array().unwrap_or_else(|| panic!("a list: {list}"));
    assert_eq!(list.len(), 90, "the dump's 89 fields and the one created");
    let reason = list
        .iter()
        .find(|f| f["id"] == json!(field_id))
        .unwrap_or_else(|| panic!("the created field is listed"));
    assert_eq!(
        reason,
        &json!({
            "id": field_id, "title": "Contact Reason", "type": "tagger", "active": true, "mappable": true,
            "options": REASONS.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
        })
    );
    let subject = list
        .iter()
        .find(|f| f["type"] == json!("subject"))
        .unwrap_or_else(|| panic!("subject"));
    assert_eq!(subject["mappable"], json!(false));
    assert!(
        subject["reason"]
            .as_str()
            .is_some_and(|r| r.contains("system field")),
        "{subject}"
    );
    assert!(
        subject.get("options").is_none(),
        "no options key without options: {subject}"
    );

    let id = field_id.to_string();
    // (args, exit code)
    let table: &[(&[&str], i32)] = &[
        (
            &["fields", "map", &id, "--description", REASON_DESCRIPTION],
            0,
        ),
        (&["fields", "map", "424242", "--description", "x"], 2),
        (&["fields", "map", &id, "--description", " "], 2),
        (&["fields", "map", "abc", "--description", "x"], 2),
        (&["fields", "unmap", "424242"], 2),
        (&["config", "set", "llm-url", "http://llm.example.com"], 2),
        (&["config", "set", "colour", "blue"], 2),
        (&["config", "get", "llm-url"], 0),
        (&["llm-key", "set"], 2),
        (&["llm-key", "set", "--stdin"], 2),
    ];
    for (args, code) in table {
        let ran = cli(args, "");
        assert_eq!(
            ran.status.code(),
            Some(*code),
            "{args:?}: {}",
            crate::text(&ran)
        );
    }
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = scratch.path().join("conversation.txt");
    std::fs::write(
        &file,
        "Customer: My parcel never arrived\nAI: Let me check\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let file = file.to_string_lossy().into_owned();
    let previewed = cli(
        &["--json", "fields", "preview", "--conversation", &file],
        "",
    );
    assert_eq!(
        previewed.status.code(),
        Some(0),
        "{}",
        crate::text(&previewed)
    );
    let fills: Value = serde_json::from_slice(&previewed.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fills[0]["field_id"], json!(field_id));
    assert_eq!(fills[0]["value"], json!("shipping_delay"));
    assert!(
        fills[0]["score"].as_f64().is_some_and(|s| s >= 0.5),
        "{fills}"
    );
    assert!(
        fills[0]["why"]
            .as_str()
            .is_some_and(|w| w.contains("parcel")),
        "{fills}"
    );
    std::fs::write(scratch.path().join("hello.txt"), "Customer: hello")
        .unwrap_or_else(|e| panic!("{e}"));
    let unsure = cli(
        &[
            "--json",
            "fields",
            "preview",
            "--conversation",
            &scratch.path().join("hello.txt").to_string_lossy(),
        ],
        "",
    );
    let fills: Value = serde_json::from_slice(&unsure.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fills[0]["value"], Value::Null, "unsure: null");
    let text = cli(&["fields", "preview", "--conversation", &file], "");
    assert!(
        crate::text(&text).contains("Contact Reason"),
        "{}",
        crate::text(&text)
    );
    let ran = cli(&["fields", "unmap", &id], "");
    assert_eq!(ran.status.code(), Some(0), "{}", crate::text(&ran));
    let ran = cli(
        &["fields", "preview", "--conversation", "/nonexistent/file"],
        "",
    );
    assert_eq!(ran.status.code(), Some(2), "{}", crate::text(&ran));

    let elsewhere = unconnected.path().to_string_lossy().into_owned();
    let ran = crate::handoff(&["--data-dir", &elsewhere, "fields", "list"], "", &[]);
    assert_eq!(
        ran.status.code(),
        Some(5),
        "not connected: {}",
        crate::text(&ran)
    );
    assert!(
        crate::text(&ran).contains("connect first"),
        "{}",
        crate::text(&ran)
    );
}
