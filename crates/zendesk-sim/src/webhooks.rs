//! Webhooks: the stored webhook, its invocations and attempts, and the Webhooks API
//! (its own JSON conventions: ULID ids, string user ids, secrets never echoed).

use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;
use serde_json::{json, Map, Value};

use crate::account::Account;
use crate::clock::{nanos, seconds};
use crate::delivery::{Target, TEST_SIGNING_SECRET};
use crate::pagination::{decode_cursor, encode_cursor, page_link, CURSOR_PARAMETERS};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::router::Call;
use crate::secret::SecretText;

/// How a webhook authenticates to its endpoint. Secrets stay inside the simulator.
#[derive(Clone, PartialEq)]
pub(crate) enum WebhookAuth {
    Basic { username: String, password: String },
    Bearer { token: String },
    ApiKey { name: String, value: String },
}

impl std::fmt::Debug for WebhookAuth {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebhookAuth::Basic { username, .. } => {
                write!(formatter, "Basic({username}, <redacted>)")
            }
            WebhookAuth::Bearer { .. } => write!(formatter, "Bearer(<redacted>)"),
            WebhookAuth::ApiKey { name, .. } => write!(formatter, "ApiKey({name}, <redacted>)"),
        }
    }
}

impl WebhookAuth {
    /// Parses an API `authentication` object; `null`/absent is no authentication.
    fn from_json(value: Option<&Value>) -> Result<Option<WebhookAuth>, ApiError> {
        let Some(value) = value.filter(|value| !value.is_null()) else {
            return Ok(None);
        };
        let data = value.get("data").cloned().unwrap_or(Value::Null);
        let text = |key: &str| {
            data.get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        match value.get("type").and_then(Value::as_str) {
            Some("basic_auth") => Ok(Some(WebhookAuth::Basic {
                username: text("username"),
                password: text("password"),
            })),
            Some("bearer_token") => Ok(Some(WebhookAuth::Bearer {
                token: text("token"),
            })),
            Some("api_key") => Ok(Some(WebhookAuth::ApiKey {
                name: text("name"),
                value: text("value"),
            })),
            other => Err(invalid_input(format!(
                "authentication type {other:?} is not supported"
            ))),
        }
    }

    /// The JSON Zendesk shows: passwords dropped, bearer `data` omitted entirely.
    fn to_json(&self) -> Value {
        match self {
            WebhookAuth::Basic { username, .. } => {
                json!({"type": "basic_auth", "data": {"username": username}, "add_position": "header"})
            }
            WebhookAuth::Bearer { .. } => json!({"type": "bearer_token", "add_position": "header"}),
            WebhookAuth::ApiKey { name, .. } => {
                json!({"type": "api_key", "data": {"name": name}, "add_position": "header"})
            }
        }
    }
}

/// A stored webhook.
#[derive(Clone, Debug)]
pub(crate) struct Webhook {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub status: String,
    pub subscriptions: Vec<String>,
    pub endpoint: String,
    pub http_method: String,
    pub request_format: String,
    pub authentication: Option<WebhookAuth>,
    pub custom_headers: Map<String, Value>,
    /// The HMAC key for deliveries. Invariant: only the signing_secret endpoints show it.
    pub signing_secret: SecretText,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Option<Timestamp>,
    pub updated_by: Option<String>,
}

impl Webhook {
    /// The webhook in the recorded shape; `precise` gives the nanosecond `created_at` the
    /// create response carries.
    pub fn to_json(&self, precise: bool) -> Value {
        let mut object = Map::new();
        object.insert("id".to_owned(), json!(self.id));
        object.insert("name".to_owned(), json!(self.name));
        if let Some(description) = &self.description {
            object.insert("description".to_owned(), json!(description));
        }
        object.insert("status".to_owned(), json!(self.status));
        object.insert("subscriptions".to_owned(), json!(self.subscriptions));
        let created_at = if precise {
            nanos(self.created_at)
        } else {
            seconds(self.created_at)
        };
        object.insert("created_at".to_owned(), json!(created_at));
        object.insert("created_by".to_owned(), json!(self.created_by));
        if let Some(updated_at) = self.updated_at {
            object.insert("updated_at".to_owned(), json!(seconds(updated_at)));
        }
        if let Some(updated_by) = &self.updated_by {
            object.insert("updated_by".to_owned(), json!(updated_by));
        }
        object.insert("endpoint".to_owned(), json!(self.endpoint));
        object.insert("http_method".to_owned(), json!(self.http_method));
        object.insert("request_format".to_owned(), json!(self.request_format));
        if let Some(authentication) = &self.authentication {
            object.insert("authentication".to_owned(), authentication.to_json());
        }
        if !self.custom_headers.is_empty() {
            object.insert(
                "custom_headers".to_owned(),
                Value::Object(self.custom_headers.clone()),
            );
        }
        Value::Object(object)
    }

    /// What the webhook is connected to; only [`Connection::Triggers`] webhooks are ever
    /// called by a trigger.
    pub fn connection(&self) -> Connection {
        Connection::of(&self.subscriptions)
    }

    /// Where and how deliveries for this webhook go.
    pub fn target(&self) -> Target {
        Target {
            webhook_id: Some(self.id.clone()),
            endpoint: self.endpoint.clone(),
            http_method: self.http_method.clone(),
            request_format: self.request_format.clone(),
            authentication: self.authentication.clone(),
            custom_headers: header_pairs(&self.custom_headers),
            signing_secret: self.signing_secret.clone(),
        }
    }
}

fn header_pairs(headers: &Map<String, Value>) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
        .collect()
}

/// One try at delivering an invocation.
#[derive(Clone, Debug)]
pub(crate) struct Attempt {
    pub status: String,
    pub status_code: Option<u16>,
    pub request_headers: Vec<(String, String)>,
    pub request_payload: String,
    pub response_headers: Vec<(String, String)>,
    pub response_payload: String,
    pub completed_at: Timestamp,
}

/// One webhook invocation (a trigger firing), with its attempts.
#[derive(Clone, Debug)]
pub(crate) struct Invocation {
    pub id: String,
    pub webhook_id: String,
    pub trigger_id: Option<u64>,
    pub ticket_id: Option<u64>,
    pub status: String,
    pub status_code: Option<u16>,
    pub created_at: Timestamp,
    pub latest_completed_at: Option<Timestamp>,
    pub attempts: Vec<Attempt>,
}

impl Invocation {
    fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".to_owned(), json!(self.id));
        if let Some(code) = self.status_code {
            object.insert("status_code".to_owned(), json!(code));
        }
        object.insert("status".to_owned(), json!(self.status));
        object.insert(
            "latest_completed_at".to_owned(),
            json!(seconds(self.latest_completed_at.unwrap_or(self.created_at))),
        );
        Value::Object(object)
    }
}

fn pairs_json(pairs: &[(String, String)]) -> Value {
    json!(pairs
        .iter()
        .map(|(key, value)| json!({"key": key, "value": value}))
        .collect::<Vec<_>>())
}

/// Errors of the Webhooks API use its `errors` array shape.
fn invalid_input(detail: impl Into<String>) -> ApiError {
    ApiError::Webhooks {
        status: StatusCode::BAD_REQUEST,
        code: "InvalidInput",
        title: "Invalid input",
        detail: detail.into(),
    }
}

fn not_found() -> ApiError {
    ApiError::Webhooks {
        status: StatusCode::NOT_FOUND,
        code: "NotFound",
        title: "Not Found",
        detail: "Webhook not found".to_owned(),
    }
}

fn new_signing_secret() -> SecretText {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    SecretText::new(STANDARD.encode(bytes))
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const FORMATS: [&str; 3] = ["json", "xml", "form_encoded"];

/// The one subscription that connects a webhook to triggers and automations.
const TRIGGER_SUBSCRIPTION: &str = "conditional_ticket_events";
/// The prefix of every Zendesk event type a webhook can subscribe to.
const EVENT_TYPE_PREFIX: &str = "zen:event-type:";

/// How a webhook is connected to activity in Zendesk. Fixed once the webhook exists
/// ("You can't change an existing webhook's connection method", DOCS-WH-CREATE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Connection {
    /// Called by triggers and automations: subscriptions are exactly
    /// `["conditional_ticket_events"]`.
    Triggers,
    /// Called on Zendesk events: subscriptions are `zen:event-type:...` types.
    Events,
}

impl Connection {
    /// The connection of validated subscriptions (see [`subscriptions`]).
    pub fn of(subscriptions: &[String]) -> Connection {
        if subscriptions == [TRIGGER_SUBSCRIPTION] {
            Connection::Triggers
        } else {
            Connection::Events
        }
    }
}

/// Validates a `subscriptions` value: a non-empty list of strings that is either exactly
/// `["conditional_ticket_events"]` or only event types (`zen:event-type:<type>`), never a
/// mix (FACTS §5). Which event types exist is not checked.
fn subscriptions(value: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let items = match value {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(Value::Array(_)) | Some(Value::Null) | None => {
            return Err(invalid_input("subscriptions is required"))
        }
        Some(_) => return Err(invalid_input("subscriptions must be a list of strings")),
    };
    let subscriptions = items
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| invalid_input("subscriptions must be a list of strings"))?;
    let for_triggers = subscriptions
        .iter()
        .filter(|subscription| *subscription == TRIGGER_SUBSCRIPTION)
        .count();
    if for_triggers == 0 {
        if let Some(unknown) = subscriptions.iter().find(|subscription| {
            subscription
                .strip_prefix(EVENT_TYPE_PREFIX)
                .is_none_or(str::is_empty)
        }) {
            return Err(invalid_input(format!(
                "{unknown:?} is not a subscription: use [\"{TRIGGER_SUBSCRIPTION}\"] to connect the webhook to triggers or automations, or {EVENT_TYPE_PREFIX}<type> event types"
            )));
        }
        return Ok(subscriptions);
    }
    if subscriptions.len() == 1 {
        return Ok(subscriptions);
    }
    if subscriptions
        .iter()
        .any(|subscription| subscription.starts_with(EVENT_TYPE_PREFIX))
    {
        return Err(invalid_input(
            "a webhook cannot be connected to both triggers and events",
        ));
    }
    Err(invalid_input(format!(
        "a webhook connected to triggers or automations has exactly [\"{TRIGGER_SUBSCRIPTION}\"] as subscriptions"
    )))
}

/// The validated writable fields of a webhook.
struct WebhookFields {
    name: String,
    endpoint: String,
    http_method: String,
    request_format: String,
    status: String,
    subscriptions: Vec<String>,
}

/// Validates the writable fields of a full webhook object.
fn webhook_fields(input: &Map<String, Value>) -> Result<WebhookFields, ApiError> {
    let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_owned);
    let name = text("name")
        .filter(|name| !name.is_empty())
        .ok_or_else(|| invalid_input("name is required"))?;
    let endpoint = text("endpoint").ok_or_else(|| invalid_input("endpoint is required"))?;
    url::Url::parse(&endpoint).map_err(|_| invalid_input("endpoint is not a valid URL"))?;
    let http_method = text("http_method")
        .unwrap_or_else(|| "POST".to_owned())
        .to_uppercase();
    if !METHODS.contains(&http_method.as_str()) {
        return Err(invalid_input(format!(
            "http_method {http_method} is not supported"
        )));
    }
    let request_format = text("request_format").unwrap_or_else(|| "json".to_owned());
    if !FORMATS.contains(&request_format.as_str()) {
        return Err(invalid_input(format!(
            "request_format {request_format} is not supported"
        )));
    }
    let status = text("status").unwrap_or_else(|| "active".to_owned());
    if status != "active" && status != "inactive" {
        return Err(invalid_input("status must be active or inactive"));
    }
    let subscriptions = subscriptions(input.get("subscriptions"))?;
    if Connection::of(&subscriptions) == Connection::Events
        && (http_method != "POST" || request_format != "json")
    {
        return Err(invalid_input(
            "event-subscribed webhooks must use POST and json",
        ));
    }
    Ok(WebhookFields {
        name,
        endpoint,
        http_method,
        request_format,
        status,
        subscriptions,
    })
}

/// The `webhook` object of a request body; the Webhooks API words its absence its own way.
fn webhook_input(call: &Call) -> Result<Map<String, Value>, ApiError> {
    call.body_object("webhook")?
        .ok_or_else(|| invalid_input("webhook is required"))
}

/// `POST /api/v2/webhooks` (or `?clone_webhook_id=`): 201 `{"webhook":{...}}`.
pub(crate) fn create(account: &mut Account, call: &Call) -> ApiResult {
    let user = call.require_admin(account)?.clone();
    let id = ulid::Ulid::from_datetime(std::time::SystemTime::from(call.now)).to_string();
    let webhook = if let Some(source) = call.query("clone_webhook_id") {
        let original = account.webhooks.get(source).ok_or_else(not_found)?;
        Webhook {
            id: id.clone(),
            name: format!("{} (copy)", original.name),
            signing_secret: new_signing_secret(),
            created_at: call.now,
            created_by: user.id.to_string(),
            updated_at: None,
            updated_by: None,
            ..original.clone()
        }
    } else {
        let input = webhook_input(call)?;
        let fields = webhook_fields(&input)?;
        Webhook {
            id: id.clone(),
            name: fields.name,
            description: input
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            status: fields.status,
            subscriptions: fields.subscriptions,
            endpoint: fields.endpoint,
            http_method: fields.http_method,
            request_format: fields.request_format,
            authentication: WebhookAuth::from_json(input.get("authentication"))?,
            custom_headers: input
                .get("custom_headers")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            signing_secret: new_signing_secret(),
            created_at: call.now,
            created_by: user.id.to_string(),
            updated_at: None,
            updated_by: None,
        }
    };
    let rendered = webhook.to_json(true);
    account.webhooks.insert(id.clone(), webhook);
    // Recorded: webhook creation answers without a Location header.
    Ok(Reply::json(
        StatusCode::CREATED,
        json!({"webhook": rendered}),
    ))
}

/// `GET /api/v2/webhooks/{id}`.
pub(crate) fn show(account: &Account, call: &Call, id: &str) -> ApiResult {
    call.require_admin(account)?;
    let webhook = account.webhooks.get(id).ok_or_else(not_found)?;
    Ok(Reply::ok(json!({"webhook": webhook.to_json(false)})))
}

/// `PUT` (replace) and `PATCH` (merge) `/api/v2/webhooks/{id}`: 204 with an empty body.
/// The connection method (subscriptions) cannot change; the signing secret is not writable.
pub(crate) fn update(account: &mut Account, call: &Call, id: &str, merge: bool) -> ApiResult {
    let user = call.require_admin(account)?.clone();
    let existing = account.webhooks.get(id).ok_or_else(not_found)?.clone();
    let input = webhook_input(call)?;
    let mut merged = if merge {
        match existing.to_json(false) {
            Value::Object(object) => object,
            _ => Map::new(),
        }
    } else {
        Map::new()
    };
    for (key, value) in &input {
        merged.insert(key.clone(), value.clone());
    }
    if !merged.contains_key("subscriptions") {
        merged.insert("subscriptions".to_owned(), json!(existing.subscriptions));
    }
    let fields = webhook_fields(&merged)?;
    // The event types of an event webhook may change; what it is connected to may not.
    if Connection::of(&fields.subscriptions) != existing.connection() {
        return Err(invalid_input(
            "the connection method of a webhook cannot be changed",
        ));
    }
    let authentication = match input.get("authentication") {
        Some(value) => WebhookAuth::from_json(Some(value))?,
        // PATCH keeps the stored credentials (the merged JSON has no secrets to re-read).
        None if merge => existing.authentication.clone(),
        None => None,
    };
    // PATCH keeps the stored description when the body leaves it out; PUT clears it.
    let description = if merge { &merged } else { &input }
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let webhook = account.webhooks.get_mut(id).ok_or_else(not_found)?;
    webhook.name = fields.name;
    webhook.description = description;
    webhook.endpoint = fields.endpoint;
    webhook.http_method = fields.http_method;
    webhook.request_format = fields.request_format;
    webhook.status = fields.status;
    webhook.subscriptions = fields.subscriptions;
    webhook.authentication = authentication;
    if let Some(headers) = input.get("custom_headers").and_then(Value::as_object) {
        webhook.custom_headers = headers.clone();
    } else if !merge {
        webhook.custom_headers = Map::new();
    }
    webhook.updated_at = Some(call.now);
    webhook.updated_by = Some(user.id.to_string());
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// `DELETE /api/v2/webhooks/{id}`: 204.
pub(crate) fn delete(account: &mut Account, call: &Call, id: &str) -> ApiResult {
    call.require_admin(account)?;
    account.webhooks.remove(id).ok_or_else(not_found)?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// `GET /api/v2/webhooks` with `filter[name_contains]`, `filter[status]`, `sort`, and
/// cursor paging. With nothing more to fetch the answer is `{"meta":{"has_more":false},...}`.
pub(crate) fn list(account: &Account, call: &Call) -> ApiResult {
    call.require_admin(account)?;
    let name_contains = call.query("filter[name_contains]").map(str::to_lowercase);
    let status = call.query("filter[status]");
    let mut webhooks: Vec<&Webhook> = account
        .webhooks
        .values()
        .rev()
        .filter(|webhook| {
            name_contains
                .as_ref()
                .is_none_or(|part| webhook.name.to_lowercase().contains(part))
        })
        .filter(|webhook| status.is_none_or(|status| webhook.status == status))
        .collect();
    match call.query("sort") {
        Some("name") => webhooks.sort_by(|left, right| left.name.cmp(&right.name)),
        Some("-name") => webhooks.sort_by(|left, right| right.name.cmp(&left.name)),
        Some("status") => webhooks.sort_by(|left, right| left.status.cmp(&right.status)),
        Some("-status") => webhooks.sort_by(|left, right| right.status.cmp(&left.status)),
        _ => {}
    }
    let items: Vec<Value> = webhooks
        .iter()
        .map(|webhook| webhook.to_json(false))
        .collect();
    webhook_page(call, "/api/v2/webhooks", "webhooks", &items)
}

/// The Webhooks API's cursor page: `meta` carries only the cursors that exist and `links`
/// only the directions one can go; neither cursor nor link when everything fit.
fn webhook_page(call: &Call, path: &str, key: &str, items: &[Value]) -> ApiResult {
    let size = match call.query("page[size]") {
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|size| (1..=100).contains(size))
            .ok_or_else(|| invalid_input("page[size] must be between 1 and 100"))?,
        None => 100,
    };
    let decode = |name: &str| -> Result<Option<usize>, ApiError> {
        match call.query(name) {
            Some(text) => decode_cursor(text)
                .map(Some)
                .ok_or_else(|| invalid_input(format!("{name} is not a valid cursor"))),
            None => Ok(None),
        }
    };
    let window = crate::pagination::cursor_window(
        items.len(),
        crate::pagination::CursorQuery {
            size,
            after: decode("page[after]")?,
            before: decode("page[before]")?,
        },
    );
    let mut meta = Map::new();
    let mut links = Map::new();
    meta.insert("has_more".to_owned(), json!(window.has_more));
    let link =
        |name: &str, cursor: &str| page_link(call, path, CURSOR_PARAMETERS, &[(name, cursor)]);
    if window.start > 0 && window.end > window.start {
        let cursor = encode_cursor(window.start);
        links.insert("prev".to_owned(), link("page[before]", &cursor));
        meta.insert("before_cursor".to_owned(), json!(cursor));
    }
    if window.has_more && window.end > 0 {
        let cursor = encode_cursor(window.end - 1);
        links.insert("next".to_owned(), link("page[after]", &cursor));
        meta.insert("after_cursor".to_owned(), json!(cursor));
    }
    let mut body = Map::new();
    body.insert("meta".to_owned(), Value::Object(meta));
    if !links.is_empty() {
        body.insert("links".to_owned(), Value::Object(links));
    }
    body.insert(
        key.to_owned(),
        json!(items[window.start..window.end].to_vec()),
    );
    Ok(Reply::ok(Value::Object(body)))
}

/// `GET /api/v2/webhooks/{id}/signing_secret`.
pub(crate) fn show_secret(account: &Account, call: &Call, id: &str) -> ApiResult {
    call.require_admin(account)?;
    let webhook = account.webhooks.get(id).ok_or_else(not_found)?;
    Ok(Reply::ok(
        json!({"signing_secret": {"secret": webhook.signing_secret.expose(), "algorithm": "SHA256"}}),
    ))
}

/// `POST /api/v2/webhooks/{id}/signing_secret`: a new secret, 201.
pub(crate) fn reset_secret(account: &mut Account, call: &Call, id: &str) -> ApiResult {
    call.require_admin(account)?;
    let webhook = account.webhooks.get_mut(id).ok_or_else(not_found)?;
    webhook.signing_secret = new_signing_secret();
    Ok(Reply::json(
        StatusCode::CREATED,
        json!({"signing_secret": {"secret": webhook.signing_secret.expose(), "algorithm": "SHA256"}}),
    ))
}

/// Invocations are kept for 7 days.
const INVOCATION_RETENTION: SignedDuration = SignedDuration::from_hours(7 * 24);

/// `GET /api/v2/webhooks/{id}/invocations` with `filter[status]`, `filter[from_ts]`,
/// `filter[to_ts]`, `sort` (`latest_completed_at` or `-latest_completed_at`, the default).
pub(crate) fn invocations(account: &Account, call: &Call, id: &str) -> ApiResult {
    call.require_admin(account)?;
    if !account.webhooks.contains_key(id) {
        return Err(not_found());
    }
    let parse_time = |name: &str| -> Result<Option<Timestamp>, ApiError> {
        match call.query(name) {
            Some(text) => text
                .parse::<Timestamp>()
                .map(Some)
                .map_err(|_| invalid_input(format!("{name} must be an ISO 8601 timestamp"))),
            None => Ok(None),
        }
    };
    let from = parse_time("filter[from_ts]")?;
    let to = parse_time("filter[to_ts]")?;
    let status = call.query("filter[status]");
    let oldest = call
        .now
        .checked_sub(INVOCATION_RETENTION)
        .unwrap_or(call.now);
    let mut selected: Vec<&Invocation> = account
        .invocations
        .iter()
        .filter(|invocation| invocation.webhook_id == id)
        .filter(|invocation| invocation.created_at >= oldest)
        .filter(|invocation| status.is_none_or(|status| invocation.status == status))
        .filter(|invocation| {
            let at = invocation
                .latest_completed_at
                .unwrap_or(invocation.created_at);
            from.is_none_or(|from| at >= from) && to.is_none_or(|to| at <= to)
        })
        .collect();
    let ascending = call.query("sort") == Some("latest_completed_at");
    selected.sort_by_key(|invocation| {
        (
            invocation
                .latest_completed_at
                .unwrap_or(invocation.created_at),
            invocation.id.clone(),
        )
    });
    if !ascending {
        selected.reverse();
    }
    let items: Vec<Value> = selected
        .iter()
        .map(|invocation| invocation.to_json())
        .collect();
    webhook_page(
        call,
        &format!("/api/v2/webhooks/{id}/invocations"),
        "invocations",
        &items,
    )
}

/// `GET /api/v2/webhooks/{id}/invocations/{invocation_id}/attempts`, newest first.
pub(crate) fn attempts(account: &Account, call: &Call, id: &str, invocation_id: &str) -> ApiResult {
    call.require_admin(account)?;
    let invocation = account
        .invocations
        .iter()
        .find(|invocation| invocation.webhook_id == id && invocation.id == invocation_id)
        .ok_or_else(not_found)?;
    let attempts: Vec<Value> = invocation
        .attempts
        .iter()
        .rev()
        .map(|attempt| {
            let mut object = Map::new();
            // Recorded attempts carry the webhook's id as their `id`.
            object.insert("id".to_owned(), json!(invocation.webhook_id));
            object.insert("invocation_id".to_owned(), json!(invocation.id));
            if let Some(code) = attempt.status_code {
                object.insert("status_code".to_owned(), json!(code));
            }
            object.insert("status".to_owned(), json!(attempt.status));
            if !attempt.request_headers.is_empty() {
                object.insert("request".to_owned(), json!({"headers": pairs_json(&attempt.request_headers), "payload": attempt.request_payload}));
                object.insert("response".to_owned(), json!({"headers": pairs_json(&attempt.response_headers), "payload": attempt.response_payload}));
            }
            object.insert("completed_at".to_owned(), json!(seconds(attempt.completed_at)));
            Value::Object(object)
        })
        .collect();
    Ok(Reply::ok(json!({"attempts": attempts})))
}

/// What `POST /api/v2/webhooks/test` will send: the target and body, decided under the
/// account lock; the router then performs the request without holding it.
pub(crate) struct TestRequest {
    pub target: Target,
    pub body: String,
    pub query: Vec<(String, String)>,
}

/// Validates a test request: `{"request":{endpoint?, http_method?, request_format?,
/// payload?, custom_headers?, query_parameters?, authentication?}}`, with `?webhook_id=`
/// filling the gaps from a stored webhook (and signing with its secret). Without a webhook
/// the static test secret signs.
pub(crate) fn prepare_test(account: &Account, call: &Call) -> Result<TestRequest, ApiError> {
    call.require_admin(account)?;
    let body = call.json_body()?;
    let request = body
        .get("request")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let base = match call.query("webhook_id") {
        Some(id) => Some(account.webhooks.get(id).ok_or_else(not_found)?.target()),
        None => None,
    };
    let text = |key: &str| request.get(key).and_then(Value::as_str).map(str::to_owned);
    let endpoint = text("endpoint")
        .or_else(|| base.as_ref().map(|target| target.endpoint.clone()))
        .ok_or_else(|| invalid_input("request.endpoint is required"))?;
    url::Url::parse(&endpoint).map_err(|_| invalid_input("request.endpoint is not a valid URL"))?;
    let http_method = text("http_method")
        .or_else(|| base.as_ref().map(|target| target.http_method.clone()))
        .unwrap_or_else(|| "POST".to_owned())
        .to_uppercase();
    if !METHODS.contains(&http_method.as_str()) {
        return Err(invalid_input(format!(
            "http_method {http_method} is not supported"
        )));
    }
    let request_format = text("request_format")
        .or_else(|| base.as_ref().map(|target| target.request_format.clone()))
        .unwrap_or_else(|| "json".to_owned());
    let authentication = match request.get("authentication") {
        Some(value) => WebhookAuth::from_json(Some(value))?,
        None => base
            .as_ref()
            .and_then(|target| target.authentication.clone()),
    };
    let custom_headers = match request.get("custom_headers").and_then(Value::as_object) {
        Some(headers) => header_pairs(headers),
        None => base
            .as_ref()
            .map(|target| target.custom_headers.clone())
            .unwrap_or_default(),
    };
    let query: Vec<(String, String)> = request
        .get("query_parameters")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    Some((
                        item.get("key")?.as_str()?.to_owned(),
                        item.get("value")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(TestRequest {
        target: Target {
            webhook_id: base.as_ref().and_then(|target| target.webhook_id.clone()),
            endpoint,
            http_method,
            request_format,
            authentication,
            custom_headers,
            signing_secret: base
                .map(|target| target.signing_secret)
                .unwrap_or_else(|| SecretText::new(TEST_SIGNING_SECRET)),
        },
        body: text("payload").unwrap_or_default(),
        query,
    })
}

/// The test endpoint's answer: what the target replied.
pub(crate) fn test_reply(status_code: u16, headers: &[(String, String)], payload: &str) -> Reply {
    Reply::ok(
        json!({"response": {"headers": pairs_json(headers), "status_code": status_code, "payload": payload}}),
    )
}
