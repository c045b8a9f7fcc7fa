//! Validates the requests the client sends against Zendesk's published contracts.
//!
//! Support API requests: method and path must be an operation of the official OpenAPI spec
//! (`spec/support-api.openapi.yaml`), query parameters must be the operation's (or Zendesk's generic pagination
//! and sort parameters), and the JSON body must validate against the operation's `requestBody` schema with the
//! `jsonschema` crate. The spec is OpenAPI 3.0, so `nullable` is rewritten to JSON Schema first; the whole spec is
//! the root document, so `#/components/...` references resolve. Because Zendesk's schemas rarely forbid unknown
//! keys, a second pass rejects body keys the schema does not declare, unless listed in [`UNDECLARED_KEYS`].
//!
//! Webhooks API requests (not in the official spec): method and path must be in `spec/webhooks-api.openapi.yaml`,
//! and the body must match the shapes of the recorded real requests (a schema inferred from every recorded body
//! of that operation, with no unknown keys), per FACTS §5.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::scripted::Seen;
use crate::shared;

/// Body keys the client sends deliberately although the OpenAPI spec does not declare them, with the reason.
pub const UNDECLARED_KEYS: &[(&str, &str, &str)] = &[
    (
        "POST /api/v2/tickets",
        "/ticket/requester",
        "the write-only requester object of TicketObject (name, email, locale_id; FACTS §2), absent from TicketCreateInput",
    ),
    (
        "PUT /api/v2/tickets/{ticket_id}",
        "/ticket/additional_tags",
        "documented in Zendesk's Tickets API (\"Updating tag lists\"), absent from the OAS TicketUpdateInput",
    ),
    (
        "PUT /api/v2/tickets/{ticket_id}",
        "/ticket/remove_tags",
        "documented in Zendesk's Tickets API (\"Updating tag lists\"), absent from the OAS TicketUpdateInput",
    ),
];

/// Where the official spec's request schema contradicts Zendesk's documented wire format, the schema used
/// instead: (pointer replaced, pointer of the replacement, reason).
pub const SCHEMA_CORRECTIONS: &[(&str, &str, &str)] = &[(
    "/components/schemas/TicketUpdateInput/properties/custom_fields/items",
    "/components/schemas/TicketObject/properties/custom_fields/items",
    "TicketUpdateInput (and so TicketCreateInput) points custom_fields at CustomFieldObject, the ticket-field \
     definition that requires key/type/title; tickets take {id, value} as TicketObject and FACTS §3-§4 say",
)];

/// Query parameters every list endpoint takes (FACTS §4 pagination), though operations rarely declare them.
const GENERIC_QUERY: &[&str] = &[
    "page[size]",
    "page[after]",
    "page[before]",
    "page",
    "per_page",
    "sort",
];

/// How many requests passed validation in this test binary.
pub static VALIDATED: AtomicUsize = AtomicUsize::new(0);

struct Contracts {
    support: Value,
    webhooks: Value,
    recorded_webhook_bodies: BTreeMap<String, Vec<Value>>,
}

fn contracts() -> &'static Contracts {
    static CONTRACTS: OnceLock<Contracts> = OnceLock::new();
    CONTRACTS.get_or_init(|| {
        let mut support = load_yaml("spec/support-api.openapi.yaml");
        for (target, replacement, _) in SCHEMA_CORRECTIONS {
            let fixed = support.pointer(replacement).cloned().unwrap();
            *support.pointer_mut(target).unwrap() = fixed;
        }
        let webhooks = load_yaml("spec/webhooks-api.openapi.yaml");
        let mut recorded_webhook_bodies: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (_, exchange) in shared::recordings() {
            let request = &exchange["request"];
            let method = request["method"].as_str().unwrap().to_owned();
            let url = url::Url::parse(request["uri"].as_str().unwrap()).unwrap();
            if !url.path().starts_with("/api/v2/webhooks") {
                continue;
            }
            let key = format!("{method} {}", webhook_template(url.path()));
            let body = match &request["body"] {
                Value::String(text) if text.is_empty() => Value::Null,
                other => other.clone(),
            };
            recorded_webhook_bodies.entry(key).or_default().push(body);
        }
        Contracts {
            support,
            webhooks,
            recorded_webhook_bodies,
        }
    })
}

fn load_yaml(relative: &str) -> Value {
    let text = std::fs::read_to_string(shared::path(relative)).unwrap();
    let mut value: Value = serde_norway::from_str(&text).unwrap();
    openapi_to_json_schema(&mut value);
    value
}

/// OpenAPI 3.0's `nullable: true` is not JSON Schema: fold it into `type` (or an `anyOf` with null).
fn openapi_to_json_schema(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                map.remove("nullable");
                match map.get("type").cloned() {
                    Some(Value::String(kind)) => {
                        map.insert("type".to_owned(), json!([kind, "null"]));
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(map));
                        map.insert("anyOf".to_owned(), json!([inner, {"type": "null"}]));
                    }
                }
            }
            for child in map.values_mut() {
                openapi_to_json_schema(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(openapi_to_json_schema),
        _ => {}
    }
}

/// `/api/v2/webhooks/01HANAHAFTBVF1NA2AVFK4W763/invocations/01H…/attempts` → `…/webhooks/{id}/invocations/{id}/attempts`.
fn webhook_template(path: &str) -> String {
    path.trim_end_matches(".json")
        .split('/')
        .map(|segment| {
            let ulid = segment.len() == 26 && segment.bytes().all(|b| b.is_ascii_alphanumeric());
            if ulid {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Finds the spec path template for a concrete path; literal segments win over `{param}` ones.
fn match_path<'a>(
    paths: &'a Map<String, Value>,
    method: &str,
    path: &str,
) -> Option<(&'a str, &'a Value)> {
    let segments: Vec<&str> = path.trim_end_matches(".json").split('/').collect();
    let mut best: Option<(usize, &str, &Value)> = None;
    for (template, item) in paths {
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut literals = 0;
        let fits = parts.iter().zip(&segments).all(|(part, segment)| {
            if part.starts_with('{') && part.ends_with('}') {
                !segment.is_empty()
            } else if part == segment {
                literals += 1;
                true
            } else {
                false
            }
        });
        let Some(operation) = item.get(method) else {
            continue;
        };
        if fits && best.is_none_or(|(count, ..)| literals > count) {
            best = Some((literals, template.as_str(), operation));
        }
    }
    best.map(|(_, template, operation)| (template, operation))
}

/// Validates one request; `Err` says what is wrong.
pub fn validate(seen: &Seen) -> Result<(), String> {
    let method = seen.method.to_ascii_lowercase();
    let body = if seen.body.is_empty() {
        None
    } else {
        Some(
            serde_json::from_str::<Value>(&seen.body)
                .map_err(|err| format!("body is not JSON: {err}"))?,
        )
    };
    if seen.path.starts_with("/api/v2/webhooks") {
        validate_webhook_request(&method, seen, body.as_ref())
    } else {
        validate_support_request(&method, seen, body.as_ref())
    }?;
    VALIDATED.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

/// Validates every request, panicking with all problems.
pub fn assert_all_valid(requests: &[Seen]) {
    let problems: Vec<String> = requests
        .iter()
        .filter_map(|seen| {
            validate(seen).err().map(|problem| {
                format!(
                    "{} {}?{}: {problem}",
                    seen.method,
                    seen.path,
                    seen.query.as_deref().unwrap_or("")
                )
            })
        })
        .collect();
    assert!(
        problems.is_empty(),
        "requests that break the contract:\n{}",
        problems.join("\n")
    );
}

fn validate_support_request(method: &str, seen: &Seen, body: Option<&Value>) -> Result<(), String> {
    let spec = &contracts().support;
    let paths = spec["paths"].as_object().unwrap();
    let (template, operation) = match_path(paths, method, &seen.path)
        .ok_or_else(|| "no such operation in the official spec".to_owned())?;
    let operation_key = format!("{} {template}", method.to_ascii_uppercase());

    // Query parameters: the operation's own (inline or by reference), the path item's, or generic pagination.
    let mut declared: BTreeSet<String> = GENERIC_QUERY
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    let path_item = &paths[template];
    for list in [&operation["parameters"], &path_item["parameters"]] {
        for parameter in list.as_array().into_iter().flatten() {
            let parameter = resolve(spec, parameter);
            if parameter["in"] == "query" {
                declared.insert(parameter["name"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    for (name, _) in url::form_urlencoded::parse(seen.query.as_deref().unwrap_or("").as_bytes()) {
        if !declared.contains(name.as_ref()) {
            return Err(format!(
                "query parameter {name:?} is not declared for {operation_key}"
            ));
        }
    }

    match (body_schema(operation), body) {
        (None, None) => Ok(()),
        (Some(_), None) => {
            let required = operation.pointer("/requestBody/required") == Some(&Value::Bool(true));
            if required {
                Err(format!("{operation_key} requires a body"))
            } else {
                Ok(())
            }
        }
        (None, Some(body)) => match documented_body_schema(&operation_key) {
            Some(schema) => validate_with(&schema, body),
            None => Err(format!("{operation_key} takes no body, got {body}")),
        },
        (Some(_), Some(body)) => {
            validate_body(spec, template, method, operation, body, &operation_key)
        }
    }
}

fn body_schema(operation: &Value) -> Option<&Value> {
    operation.pointer("/requestBody/content/application~1json/schema")
}

/// Validates a body against an operation's `requestBody` schema (with the whole spec as the root document), then
/// rejects keys the schema does not declare.
fn validate_body(
    spec: &Value,
    template: &str,
    method: &str,
    operation: &Value,
    body: &Value,
    operation_key: &str,
) -> Result<(), String> {
    let schema = body_schema(operation).ok_or_else(|| format!("{operation_key} takes no body"))?;
    let mut root = spec.clone();
    // Draft 4 ignores siblings of `$ref`, so the root acts as exactly the operation's schema while the rest of
    // the spec stays addressable for `#/components/...`.
    root.as_object_mut().unwrap().insert(
        "$ref".to_owned(),
        json!(pointer_to(schema, template, method)),
    );
    validate_with(&root, body)?;
    let mut undeclared = Vec::new();
    undeclared_keys(spec, schema, body, "", &mut undeclared);
    undeclared.retain(|key| {
        !UNDECLARED_KEYS
            .iter()
            .any(|(operation, allowed, _)| *operation == operation_key && allowed == key)
    });
    if undeclared.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "body keys not declared by the spec: {undeclared:?}"
        ))
    }
}

/// The JSON pointer of an operation's body schema: its `$ref` target, or its inline location.
fn pointer_to(schema: &Value, template: &str, method: &str) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return reference.to_owned();
    }
    // JSON pointer escapes, then the URI fragment's: a path parameter's braces may not appear raw in a URI.
    let escaped = template
        .replace('~', "~0")
        .replace('/', "~1")
        .replace('{', "%7B")
        .replace('}', "%7D");
    format!("#/paths/{escaped}/{method}/requestBody/content/application~1json/schema")
}

/// Bodies the spec documents in prose instead of a `requestBody` schema, transcribed from that prose.
fn documented_body_schema(operation_key: &str) -> Option<Value> {
    match operation_key {
        // CreateTokenForGrantType: "The POST request takes the following parameters, which must be formatted as
        // JSON" — grant_type, code, client_id, client_secret, redirect_uri, scope, expires_in,
        // refresh_token_expires_in, refresh_token; code_verifier appears in its PKCE example.
        "POST /oauth/tokens" => Some(json!({
            "type": "object",
            "required": ["grant_type", "client_id"],
            "additionalProperties": false,
            "properties": {
                "grant_type": {"enum": ["authorization_code", "refresh_token", "client_credentials"]},
                "code": {"type": "string"},
                "client_id": {"type": "string"},
                "client_secret": {"type": "string"},
                "redirect_uri": {"type": "string"},
                "scope": {"type": "string"},
                "expires_in": {"type": "integer", "exclusiveMinimum": 300, "maximum": 172800},
                "refresh_token_expires_in": {"type": "integer", "minimum": 604800, "maximum": 7776000},
                "refresh_token": {"type": "string"},
                "code_verifier": {"type": "string"}
            },
            "allOf": [
                {"if": {"properties": {"grant_type": {"const": "authorization_code"}}},
                 "then": {"required": ["code", "redirect_uri"]}},
                {"if": {"properties": {"grant_type": {"const": "refresh_token"}}},
                 "then": {"required": ["refresh_token"]}},
                {"if": {"properties": {"grant_type": {"const": "client_credentials"}}},
                 "then": {"required": ["client_secret"]}}
            ]
        })),
        _ => None,
    }
}

fn validate_with(schema: &Value, body: &Value) -> Result<(), String> {
    let draft = if schema.get("openapi").is_some() {
        jsonschema::Draft::Draft4
    } else {
        jsonschema::Draft::Draft202012
    };
    let validator = jsonschema::options()
        .with_draft(draft)
        .should_validate_formats(false)
        .build(schema)
        .map_err(|err| format!("schema does not compile: {err}"))?;
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => spec
            .pointer(reference.trim_start_matches('#'))
            .map(|target| resolve(spec, target))
            .unwrap_or(node),
        None => node,
    }
}

/// Declared properties of a schema node, through `$ref`, `allOf`, `anyOf` and `oneOf`; `None` when the node
/// allows any key (`additionalProperties` true or a schema, or no `properties` at all).
fn declared_properties(spec: &Value, node: &Value) -> Option<BTreeMap<String, Value>> {
    let node = resolve(spec, node);
    let mut properties = BTreeMap::new();
    let mut any_declared = false;
    if let Some(own) = node.get("properties").and_then(Value::as_object) {
        any_declared = true;
        for (key, schema) in own {
            properties.insert(key.clone(), schema.clone());
        }
    }
    match node.get("additionalProperties") {
        Some(Value::Bool(false)) | None => {}
        Some(_) => return None,
    }
    for combinator in ["allOf", "anyOf", "oneOf"] {
        for branch in node
            .get(combinator)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match declared_properties(spec, branch) {
                Some(more) => {
                    any_declared |= !more.is_empty();
                    properties.extend(more);
                }
                None => return None,
            }
        }
    }
    any_declared.then_some(properties)
}

fn undeclared_keys(spec: &Value, schema: &Value, body: &Value, at: &str, out: &mut Vec<String>) {
    match body {
        Value::Object(map) => {
            let Some(properties) = declared_properties(spec, schema) else {
                return;
            };
            for (key, value) in map {
                let here = format!("{at}/{key}");
                match properties.get(key) {
                    Some(child) => undeclared_keys(spec, child, value, &here, out),
                    None => out.push(here),
                }
            }
        }
        Value::Array(items) => {
            let node = resolve(spec, schema);
            if let Some(item_schema) = node.get("items") {
                for item in items {
                    undeclared_keys(spec, item_schema, item, &format!("{at}/*"), out);
                }
            }
        }
        _ => {}
    }
}

fn validate_webhook_request(method: &str, seen: &Seen, body: Option<&Value>) -> Result<(), String> {
    let contracts = contracts();
    let paths = contracts.webhooks["paths"].as_object().unwrap();
    // The Postman-derived spec spells path parameters its own way; match on the segment shape.
    let template = webhook_template(&seen.path);
    let known = paths.iter().any(|(spec_path, item)| {
        let spec_parts: Vec<&str> = spec_path.split('/').collect();
        let parts: Vec<&str> = template.split('/').collect();
        spec_parts.len() == parts.len()
            && item.get(method).is_some()
            && spec_parts.iter().zip(&parts).all(|(spec_part, part)| {
                spec_part == part
                    || (spec_part.starts_with('{') || spec_part.starts_with(':')) && *part == "{id}"
            })
    });
    if !known {
        return Err(format!(
            "{method} {template} is not an operation of the Webhooks API spec"
        ));
    }
    let key = format!("{} {template}", method.to_ascii_uppercase());
    let recorded = contracts
        .recorded_webhook_bodies
        .get(&key)
        .cloned()
        .unwrap_or_default();
    match body {
        None => Ok(()),
        Some(body) => {
            let samples: Vec<&Value> = recorded.iter().filter(|sample| !sample.is_null()).collect();
            if samples.is_empty() {
                return Err(format!(
                    "{key}: no recorded request carries a body, but one was sent"
                ));
            }
            let schema = samples
                .iter()
                .fold(None, |schema: Option<Value>, sample| {
                    Some(merge_shape(schema, &shape_of(sample)))
                })
                .unwrap_or(Value::Bool(true));
            let Err(recorded_error) = validate_with(&schema, body) else {
                return Ok(());
            };
            // Keys no recording shows (e.g. a test's `payload`) are checked against the Webhooks API spec,
            // strictly: declared keys only.
            let from_spec = match_path(paths, method, &seen.path)
                .filter(|(_, operation)| body_schema(operation).is_some())
                .map(|(template, operation)| {
                    validate_body(&contracts.webhooks, template, method, operation, body, &key)
                });
            match from_spec {
                Some(Ok(())) => Ok(()),
                Some(Err(spec_error)) => Err(format!(
                    "{key}: differs from every recorded request ({recorded_error}) and from the Webhooks API spec ({spec_error})"
                )),
                None => Err(format!("{key}: differs from every recorded request: {recorded_error}")),
            }
        }
    }
}

/// A schema accepting exactly the shape of one recorded value (types and keys; not the values).
fn shape_of(value: &Value) -> Value {
    match value {
        Value::Null => json!({"type": ["null"]}),
        Value::Bool(_) => json!({"type": ["boolean"]}),
        Value::Number(_) => json!({"type": ["number"]}),
        Value::String(_) => json!({"type": ["string"]}),
        Value::Array(items) => {
            let item = items.iter().fold(None, |schema: Option<Value>, item| {
                Some(merge_shape(schema, &shape_of(item)))
            });
            json!({"type": ["array"], "items": item.unwrap_or(Value::Bool(true))})
        }
        Value::Object(map) => {
            let properties: Map<String, Value> = map
                .iter()
                .map(|(key, value)| (key.clone(), shape_of(value)))
                .collect();
            json!({"type": ["object"], "properties": properties, "additionalProperties": false})
        }
    }
}

/// The union of two shapes: types add up, object keys add up, array items merge.
fn merge_shape(current: Option<Value>, next: &Value) -> Value {
    let Some(mut current) = current else {
        return next.clone();
    };
    let mut types: BTreeSet<String> = BTreeSet::new();
    for schema in [&current, next] {
        for kind in schema["type"].as_array().into_iter().flatten() {
            types.insert(kind.as_str().unwrap_or_default().to_owned());
        }
    }
    let merged_properties = match (current.get("properties").cloned(), next.get("properties")) {
        (Some(Value::Object(mut mine)), Some(Value::Object(theirs))) => {
            for (key, schema) in theirs {
                let combined = merge_shape(mine.remove(key), schema);
                mine.insert(key.clone(), combined);
            }
            Some(Value::Object(mine))
        }
        (_, Some(theirs)) => Some(theirs.clone()),
        (mine, None) => mine,
    };
    let merged_items = match (current.get("items").cloned(), next.get("items")) {
        (Some(mine), Some(theirs)) => Some(merge_shape(Some(mine), theirs)),
        (None, Some(theirs)) => Some(theirs.clone()),
        (mine, None) => mine,
    };
    let map = current.as_object_mut().unwrap();
    map.insert("type".to_owned(), json!(types));
    if let Some(properties) = merged_properties {
        map.insert("properties".to_owned(), properties);
        map.insert("additionalProperties".to_owned(), json!(false));
    }
    if let Some(items) = merged_items {
        map.insert("items".to_owned(), items);
    }
    current
}

#[test]
fn the_validator_rejects_what_zendesk_would_not_take() {
    fn seen(method: &str, path: &str, query: Option<&str>, body: &str) -> Seen {
        Seen {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.map(str::to_owned),
            headers: Default::default(),
            body: body.to_owned(),
        }
    }
    // (request, valid?) — a validator that accepts everything would prove nothing.
    let table = [
        (seen("GET", "/api/v2/users/me", None, ""), true),
        (seen("GET", "/api/v2/users/me/nope", None, ""), false),
        (seen("PATCH", "/api/v2/users/me", None, ""), false),
        (
            seen(
                "GET",
                "/api/v2/ticket_fields",
                Some("page%5Bsize%5D=100"),
                "",
            ),
            true,
        ),
        (
            seen("GET", "/api/v2/ticket_fields", Some("bogus=1"), ""),
            false,
        ),
        (
            seen(
                "POST",
                "/api/v2/tickets",
                None,
                r#"{"ticket":{"subject":"Hi","comment":{"body":"x"}}}"#,
            ),
            true,
        ),
        (
            seen(
                "POST",
                "/api/v2/tickets",
                None,
                r#"{"ticket":{"subject":"Hi"}}"#,
            ),
            false,
        ),
        (
            seen(
                "POST",
                "/api/v2/tickets",
                None,
                r#"{"ticket":{"comment":{"body":"x"},"subjekt":"typo"}}"#,
            ),
            false,
        ),
        (
            seen(
                "POST",
                "/api/v2/tickets",
                None,
                r#"{"ticket":{"comment":{"body":"x"},"tags":"not-a-list"}}"#,
            ),
            false,
        ),
        (
            seen(
                "PUT",
                "/api/v2/tickets/7",
                None,
                r#"{"ticket":{"additional_tags":["a"]}}"#,
            ),
            true,
        ),
        (
            seen("DELETE", "/api/v2/tickets/7", None, r#"{"ticket":{}}"#),
            false,
        ),
        (
            seen(
                "POST",
                "/oauth/tokens",
                None,
                r#"{"grant_type":"refresh_token","client_id":"c","refresh_token":"r"}"#,
            ),
            true,
        ),
        (
            seen(
                "POST",
                "/oauth/tokens",
                None,
                r#"{"grant_type":"password","client_id":"c"}"#,
            ),
            false,
        ),
        (
            seen(
                "POST",
                "/api/v2/webhooks",
                None,
                r#"{"webhook":{"name":"n","endpoint":"https://e","http_method":"POST","request_format":"json","status":"active","subscriptions":["conditional_ticket_events"]}}"#,
            ),
            true,
        ),
        (
            seen(
                "POST",
                "/api/v2/webhooks",
                None,
                r#"{"webhook":{"name":"n","secret_sauce":true}}"#,
            ),
            false,
        ),
        (
            seen(
                "GET",
                "/api/v2/webhooks/01HANAHAFTBVF1NA2AVFK4W763/signing_secret",
                None,
                "",
            ),
            true,
        ),
        (
            seen(
                "POST",
                "/api/v2/webhooks/01HANAHAFTBVF1NA2AVFK4W763/signing_secret",
                None,
                r#"{"x":1}"#,
            ),
            false,
        ),
    ];
    for (request, valid) in table {
        let outcome = validate(&request);
        assert_eq!(
            outcome.is_ok(),
            valid,
            "{} {} {}: {outcome:?}",
            request.method,
            request.path,
            request.body
        );
    }
}
