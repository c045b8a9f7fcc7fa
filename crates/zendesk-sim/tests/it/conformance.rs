//! Replays every real recorded Zendesk exchange (`shared/zendesk/recordings`) against the
//! simulator and compares status, key sets and value types of the bodies, and the headers
//! clients depend on.
//!
//! All recordings replay in one account in recorded order, because tear-down files delete
//! what earlier files created. Ids, cursors and job ids in later requests are mapped from
//! what the recorded and the simulated responses said at the same place. Webhook endpoints
//! (`https://example.com`, `https://example.org`) are rewritten to a local receiver that
//! answers like those hosts did. The recorded account had a webhook with ~900 invocations;
//! it is recreated (with invocations fired by a real trigger) before the replay.
//!
//! Shape rules: `null` on either side matches any type (values are data-dependent); arrays
//! compare each simulated element against the recorded elements (keys present in every
//! recorded element are required, keys in none are extra); empty arrays match anything.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::http::Method;
use serde_json::{json, Map, Value};
use zendesk_sim::{Plan, Seed, SimConfig};

use crate::support::{Captured, Harness, Receiver, SHARED_ZENDESK};

/// Differences that are known and accepted: (recording file, exchange index, diff text
/// fragment, why).
const KNOWN_DIFFERENCES: [(&str, usize, &str, &str); 0] = [];

struct Recording {
    file: String,
    exchanges: Vec<Value>,
}

fn recordings() -> Vec<Recording> {
    let dir = format!("{SHARED_ZENDESK}/recordings");
    let mut recordings: Vec<Recording> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("recordings at {dir}: {error}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let exchanges: Vec<Value> = serde_json::from_str(&text).unwrap();
            Recording {
                file: path.file_name().unwrap().to_string_lossy().into_owned(),
                exchanges,
            }
        })
        .collect();
    // Recorded order, to the second; a test's tear-down goes after the test itself when
    // both were recorded in the same second.
    let order = |recording: &Recording| {
        let at = recording.exchanges[0]["recorded_at"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        (
            at,
            recording.file.contains("tearDown"),
            recording.file.clone(),
        )
    };
    recordings.sort_by_key(order);
    recordings
}

/// Recorded value (as text) → simulated value.
#[derive(Default)]
struct IdMap {
    map: HashMap<String, Value>,
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

impl IdMap {
    fn learn(&mut self, recorded: &Value, ours: &Value) {
        match (recorded, ours) {
            (Value::Object(recorded), Value::Object(ours)) => {
                for (key, value) in recorded {
                    let Some(mine) = ours.get(key) else { continue };
                    let identifying =
                        key == "id" || key.ends_with("_id") || key.ends_with("_cursor");
                    if identifying {
                        if let (Some(text), Some(_)) = (scalar_text(value), scalar_text(mine)) {
                            self.map.entry(text).or_insert_with(|| mine.clone());
                        }
                    }
                    self.learn(value, mine);
                }
            }
            (Value::Array(recorded), Value::Array(ours)) => {
                for (value, mine) in recorded.iter().zip(ours) {
                    self.learn(value, mine);
                }
            }
            _ => {}
        }
    }

    fn text(&self, recorded: &str) -> String {
        self.map
            .get(recorded)
            .map(|value| scalar_text(value).unwrap_or_default())
            .unwrap_or_else(|| recorded.to_owned())
    }

    /// The simulator-side path and query for a recorded URI.
    fn uri(&self, uri: &str) -> String {
        let parsed = url::Url::parse(uri).unwrap();
        let path: Vec<String> = parsed
            .path()
            .split('/')
            .map(|segment| match segment.strip_suffix(".json") {
                Some(stem) => format!("{}.json", self.text(stem)),
                None => self.text(segment),
            })
            .collect();
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let mapped: Vec<String> = value.split(',').map(|part| self.text(part)).collect();
                (key.into_owned(), mapped.join(","))
            })
            .collect();
        let mut result = path.join("/");
        if !pairs.is_empty() {
            result.push('?');
            result.push_str(
                &url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&pairs)
                    .finish(),
            );
        }
        result
    }

    fn body(&self, body: &Value) -> Value {
        match body {
            Value::Object(object) => {
                let mut mapped = Map::new();
                for (key, value) in object {
                    let identifying = key == "id" || key.ends_with("_id");
                    let value = match scalar_text(value) {
                        Some(text) if identifying && self.map.contains_key(&text) => {
                            self.map[&text].clone()
                        }
                        _ => self.body(value),
                    };
                    mapped.insert(key.clone(), value);
                }
                Value::Object(mapped)
            }
            Value::Array(items) => Value::Array(items.iter().map(|item| self.body(item)).collect()),
            other => other.clone(),
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Objects whose keys are data, not schema (they vary by channel, account or field set).
const OPEN_MAPS: [&str; 3] = [".metadata.system", ".metadata.custom", ".user_fields"];

/// Values whose type is data, not schema: a trigger action's or condition's `value` is a
/// string, number, boolean or array depending on its field (OAS `TriggerActionObject`).
const POLYMORPHIC: [&str; 2] = [".actions[].value", "[].value"];

fn polymorphic(path: &str) -> bool {
    path.ends_with(POLYMORPHIC[0])
        || (path.contains(".conditions.") && path.ends_with(POLYMORPHIC[1]))
}

/// Compares shapes; pushes human-readable differences.
fn compare(path: &str, recorded: &Value, ours: &Value, diffs: &mut BTreeSet<String>) {
    if recorded.is_null() || ours.is_null() {
        return;
    }
    if polymorphic(path) {
        return;
    }
    if OPEN_MAPS.iter().any(|open| path.ends_with(open)) {
        return;
    }
    if type_name(recorded) != type_name(ours) {
        diffs.insert(format!(
            "{path}: recorded {} but simulator {}",
            type_name(recorded),
            type_name(ours)
        ));
        return;
    }
    match (recorded, ours) {
        (Value::Object(recorded), Value::Object(ours)) => {
            for key in recorded.keys().filter(|key| !ours.contains_key(*key)) {
                diffs.insert(format!("{path}.{key}: missing in simulator"));
            }
            for key in ours.keys().filter(|key| !recorded.contains_key(*key)) {
                diffs.insert(format!("{path}.{key}: not in recording"));
            }
            for (key, value) in recorded {
                if let Some(mine) = ours.get(key) {
                    compare(&format!("{path}.{key}"), value, mine, diffs);
                }
            }
        }
        (Value::Array(recorded), Value::Array(ours)) => {
            if recorded.is_empty() || ours.is_empty() {
                return;
            }
            let objects: Vec<&Map<String, Value>> =
                recorded.iter().filter_map(Value::as_object).collect();
            if objects.len() != recorded.len() {
                for mine in ours {
                    compare(&format!("{path}[]"), &recorded[0], mine, diffs);
                }
                return;
            }
            for mine in ours {
                let Some(mine) = mine.as_object() else {
                    diffs.insert(format!(
                        "{path}[]: recorded object but simulator {}",
                        type_name(mine)
                    ));
                    continue;
                };
                // Variant arrays (audit events) are compared per `type`; a variant the
                // recording does not show cannot be compared.
                let variant: Vec<&Map<String, Value>> =
                    match mine.get("type").and_then(Value::as_str) {
                        Some(kind)
                            if objects
                                .iter()
                                .all(|object| object.get("type").is_some_and(Value::is_string)) =>
                        {
                            objects
                                .iter()
                                .copied()
                                .filter(|object| {
                                    object.get("type").and_then(Value::as_str) == Some(kind)
                                })
                                .collect()
                        }
                        _ => objects.clone(),
                    };
                if variant.is_empty() {
                    continue;
                }
                let union: BTreeSet<&String> =
                    variant.iter().flat_map(|object| object.keys()).collect();
                let required: BTreeSet<&String> = union
                    .iter()
                    .copied()
                    .filter(|key| variant.iter().all(|object| object.contains_key(*key)))
                    .collect();
                for key in required
                    .iter()
                    .filter(|key| !mine.contains_key(key.as_str()))
                {
                    diffs.insert(format!("{path}[].{key}: missing in simulator"));
                }
                for key in mine.keys().filter(|key| !union.contains(key)) {
                    diffs.insert(format!("{path}[].{key}: not in recording"));
                }
                for (key, value) in mine {
                    // Elements may differ (e.g. audit events): any recorded type for the key
                    // is acceptable, and the value is compared with an example of its type.
                    let examples: Vec<&Value> = variant
                        .iter()
                        .filter_map(|object| object.get(key))
                        .filter(|value| !value.is_null())
                        .collect();
                    if examples.is_empty() || value.is_null() {
                        continue;
                    }
                    // Nested arrays: every recorded element's items are examples.
                    if value.is_array() && examples.iter().all(|example| example.is_array()) {
                        let merged = Value::Array(
                            examples
                                .iter()
                                .filter_map(|example| example.as_array())
                                .flatten()
                                .cloned()
                                .collect(),
                        );
                        compare(&format!("{path}[].{key}"), &merged, value, diffs);
                        continue;
                    }
                    match examples
                        .iter()
                        .find(|example| type_name(example) == type_name(value))
                    {
                        Some(example) => compare(&format!("{path}[].{key}"), example, value, diffs),
                        None if polymorphic(&format!("{path}[].{key}")) => {}
                        None => {
                            diffs.insert(format!(
                                "{path}[].{key}: recorded {} but simulator {}",
                                type_name(examples[0]),
                                type_name(value)
                            ));
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

fn recorded_header<'a>(exchange: &'a Value, name: &str) -> Option<&'a str> {
    let headers = exchange["response"]["headers"].as_object()?;
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .and_then(|(_, values)| values.get(0))
        .and_then(Value::as_str)
}

/// What example.com / example.org answered in the recordings.
fn example_hosts(request: &Captured) -> (u16, Vec<(String, String)>, String) {
    let html = vec![(
        "content-type".to_owned(),
        "text/html; charset=UTF-8".to_owned(),
    )];
    if request.path.contains("fail") {
        (
            404,
            html,
            "<!doctype html><html><head><title>Example Domain</title></head></html>".to_owned(),
        )
    } else if request.path == "/something" {
        (
            403,
            vec![("content-type".to_owned(), "text/html".to_owned())],
            "<html><head><title>403 Forbidden</title></head></html>".to_owned(),
        )
    } else {
        (
            200,
            html,
            "<!doctype html><html><head><title>Example Domain</title></head></html>".to_owned(),
        )
    }
}

/// The recorded account had a new account's default triggers; create them the same way.
async fn seed_default_triggers(harness: &Harness) {
    let text = std::fs::read_to_string(format!(
        "{SHARED_ZENDESK}/fixtures/default-triggers/triggers.json"
    ))
    .unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    for trigger in fixture["triggers"].as_array().unwrap() {
        let body = json!({"trigger": {
            "title": trigger["title"],
            "active": trigger["active"],
            "position": trigger["position"],
            "conditions": trigger["conditions"],
            "actions": trigger["actions"],
        }});
        let answer = harness
            .request(Method::POST, "/api/v2/triggers")
            .token(&harness.admin())
            .json(body)
            .send()
            .await;
        assert_eq!(
            answer.status.as_u16(),
            201,
            "default trigger {}",
            trigger["title"]
        );
    }
}

/// Recreates the recorded account's event webhook and ~900 of its invocations.
async fn seed_recorded_webhook(harness: &Harness, receiver: &Receiver, ids: &mut IdMap) {
    let admin = harness.admin();
    let created = harness
        .request(Method::POST, "/api/v2/webhooks")
        .token(&admin)
        .json(json!({"webhook": {"name": "support user deleted", "description": "support user deleted", "endpoint": format!("{}/something", receiver.url), "http_method": "POST", "request_format": "json", "status": "active", "subscriptions": ["conditional_ticket_events"]}}))
        .send()
        .await;
    let webhook_id = created.json()["webhook"]["id"].clone();
    ids.map
        .insert("01HAN96XNH1J7DY8D7RZ22QMT9".to_owned(), webhook_id.clone());
    let trigger = harness
        .request(Method::POST, "/api/v2/triggers")
        .token(&admin)
        .json(json!({"trigger": {"title": "seed invocations", "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]}, "actions": [{"field": "notification_webhook", "value": [webhook_id, "{\"ticket\": {{ticket.id}}}"]}]}}))
        .send()
        .await;
    let trigger_id = trigger.json()["trigger"]["id"].as_u64().unwrap();
    let mut remaining = 889;
    while remaining > 0 {
        let batch = remaining.min(100);
        let tickets: Vec<Value> = (0..batch)
            .map(|index| json!({"subject": "seed", "comment": {"body": format!("seed {index}")}}))
            .collect();
        let answer = harness
            .request(Method::POST, "/api/v2/tickets/create_many")
            .token(&admin)
            .json(json!({"tickets": tickets}))
            .send()
            .await;
        assert_eq!(answer.status.as_u16(), 200);
        remaining -= batch;
    }
    assert!(
        harness.sim.settle(std::time::Duration::from_secs(60)).await,
        "seed deliveries settle"
    );
    harness
        .request(Method::DELETE, &format!("/api/v2/triggers/{trigger_id}"))
        .token(&admin)
        .send()
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recorded_exchange_replays_with_the_same_shape() {
    let harness = Harness::with_config(SimConfig {
        seed: Seed::Minimal,
        plan: Plan::Custom(1_000_000),
        ..SimConfig::default()
    });
    let receiver = Receiver::start(Arc::new(example_hosts)).await;
    let admin = harness.admin();
    let mut ids = IdMap::default();
    seed_default_triggers(&harness).await;
    seed_recorded_webhook(&harness, &receiver, &mut ids).await;

    let recordings = recordings();
    let mut exchanges = 0;
    let mut report: Vec<String> = Vec::new();
    let mut accepted = 0;
    for recording in &recordings {
        for (index, exchange) in recording.exchanges.iter().enumerate() {
            exchanges += 1;
            let request = &exchange["request"];
            let method =
                Method::from_bytes(request["method"].as_str().unwrap().as_bytes()).unwrap();
            let uri = ids.uri(request["uri"].as_str().unwrap());
            let mut sent = harness.request(method.clone(), &uri).token(&admin);
            if let Some(body) = request["body"].as_object() {
                let text = serde_json::to_string(&ids.body(&Value::Object(body.clone())))
                    .unwrap()
                    .replace("https://example.com", &receiver.url)
                    .replace("https://example.org", &receiver.url);
                sent = sent.json(serde_json::from_str(&text).unwrap());
            }
            let answer = sent.send().await;
            let recorded_body = &exchange["response"]["body"];
            let mut diffs = BTreeSet::new();
            let recorded_status = exchange["response"]["status"].as_u64().unwrap() as u16;
            if answer.status.as_u16() != recorded_status {
                diffs.insert(format!(
                    "status: recorded {recorded_status} but simulator {}",
                    answer.status.as_u16()
                ));
            }
            if recorded_body.as_str() == Some("") {
                if !answer.body.is_empty() {
                    diffs.insert("body: recorded empty but simulator sent one".to_owned());
                }
            } else {
                match serde_json::from_slice::<Value>(&answer.body) {
                    Ok(ours) => {
                        compare("body", recorded_body, &ours, &mut diffs);
                        ids.learn(recorded_body, &ours);
                    }
                    Err(_) => {
                        diffs.insert(format!("body: not JSON: {}", answer.text()));
                    }
                }
                let recorded_type = recorded_header(exchange, "content-type");
                if recorded_type != answer.header("content-type") {
                    diffs.insert(format!(
                        "content-type: recorded {recorded_type:?} but simulator {:?}",
                        answer.header("content-type")
                    ));
                }
            }
            for name in [
                "location",
                "x-zendesk-api-warn",
                "x-rate-limit",
                "x-zendesk-api-version",
            ] {
                let recorded = recorded_header(exchange, name).is_some();
                let ours = answer.header(name).is_some();
                // The simulator may send more rate-limit/version headers than a recording
                // shows; a header the recording has must be there.
                if recorded && !ours
                    || (!recorded && ours && (name == "location" || name == "x-zendesk-api-warn"))
                {
                    diffs.insert(format!(
                        "header {name}: recorded {recorded} but simulator {ours}"
                    ));
                }
            }
            for diff in diffs {
                let known = KNOWN_DIFFERENCES
                    .iter()
                    .any(|(file, known_index, fragment, _)| {
                        *file == recording.file && *known_index == index && diff.contains(fragment)
                    });
                if known {
                    accepted += 1;
                } else {
                    report.push(format!(
                        "{} #{index} {} {}: {diff}",
                        recording.file, method, uri
                    ));
                }
            }
        }
    }
    println!(
        "conformance: {} recordings replayed, {exchanges} exchanges, {} diffs ({accepted} known differences)",
        recordings.len(),
        report.len()
    );
    for line in &report {
        println!("  {line}");
    }
    assert!(recordings.len() >= 55, "all recordings found");
    assert!(
        report.is_empty(),
        "{} unexpected differences:\n{}",
        report.len(),
        report.join("\n")
    );
}
