//! The simulator's own control API under `/_sim/` (no authentication; documented in the
//! crate README): simulated agents acting in the UI, fault injection, the request log,
//! webhook deliveries, and the clock.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use crate::faults::Fault;
use crate::oauth::ConsentMode;
use crate::reply::Reply;
use crate::tickets::{self, via, Actor};
use crate::Simulator;

/// One API request as the request log shows it. Credentials are never recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRequest {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The path as sent (with `.json` if it had one).
    pub path: String,
    /// The raw query string (empty when none).
    pub query: String,
    /// The status answered.
    pub status: u16,
    /// The request body as text.
    pub body: String,
    /// When it arrived (simulated time, `YYYY-MM-DDTHH:MM:SSZ`).
    pub at: String,
    /// The `Idempotency-Key` header, when sent (not a credential: it only names a request).
    pub idempotency_key: Option<String>,
    /// When it arrived on this machine's monotonic clock, before any latency: in-process benchmarks tell
    /// requests sent together from requests sent one after another (`at` has only seconds).
    pub arrived: std::time::Instant,
}

impl LoggedRequest {
    fn to_json(&self) -> Value {
        json!({"method": self.method, "path": self.path, "query": self.query, "status": self.status, "body": self.body, "at": self.at, "idempotency_key": self.idempotency_key})
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Reply {
    Reply::json(status, json!({"error": message.into()}))
}

/// Answers a `/_sim/...` request.
pub(crate) async fn handle(sim: &Simulator, method: &Method, path: &str, body: &Bytes) -> Reply {
    let segments: Vec<&str> = path.trim_matches('/').split('/').skip(1).collect();
    let parsed: Result<Value, _> = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(json!({}))
    } else {
        serde_json::from_slice(body)
    };
    let Ok(input) = parsed else {
        return error(StatusCode::BAD_REQUEST, "body is not JSON");
    };
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["requests"]) => {
            let requests: Vec<Value> = sim.requests().iter().map(LoggedRequest::to_json).collect();
            Reply::ok(json!({"requests": requests}))
        }
        ("DELETE", ["requests"]) => {
            sim.clear_requests();
            Reply::empty(StatusCode::NO_CONTENT)
        }
        ("GET", ["secrets"]) => Reply::ok(json!({"secrets": sim.secrets()})),
        ("GET", ["deliveries"]) => Reply::ok(json!({"deliveries": sim.deliveries_json()})),
        ("POST", ["tickets", id, "comments"]) => agent_comment(sim, id, &input),
        ("GET", ["faults"]) => {
            let faults: Vec<Value> = sim.faults().list.iter().map(Fault::to_json).collect();
            Reply::ok(json!({"faults": faults}))
        }
        ("POST", ["faults"]) => {
            let mut faults = sim.faults();
            faults.next_id += 1;
            match Fault::from_json(faults.next_id, &input) {
                Ok(fault) => {
                    let rendered = fault.to_json();
                    faults.list.push(fault);
                    Reply::json(StatusCode::CREATED, json!({"fault": rendered}))
                }
                Err(message) => error(StatusCode::BAD_REQUEST, message),
            }
        }
        ("DELETE", ["faults"]) => {
            sim.faults().list.clear();
            Reply::empty(StatusCode::NO_CONTENT)
        }
        ("GET", ["clock"]) => Reply::ok(json!({"now": crate::clock::seconds(sim.clock().now())})),
        ("POST", ["clock", "advance"]) => {
            let Some(seconds) = input.get("seconds").and_then(Value::as_u64) else {
                return error(StatusCode::BAD_REQUEST, "seconds is required");
            };
            sim.clock().advance(Duration::from_secs(seconds));
            Reply::ok(json!({"now": crate::clock::seconds(sim.clock().now())}))
        }
        ("GET", ["oauth", "consent"]) => {
            Reply::ok(json!({"mode": sim.account().oauth.consent.as_str()}))
        }
        ("POST", ["oauth", "consent"]) => {
            let Some(mode) = input
                .get("mode")
                .and_then(Value::as_str)
                .and_then(ConsentMode::parse)
            else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "mode must be \"approve\", \"deny\" or \"ask\"",
                );
            };
            sim.set_oauth_consent(mode);
            Reply::ok(json!({"mode": mode.as_str()}))
        }
        ("POST", ["rate-limits", "reset"]) => {
            sim.rate_limits().clear();
            Reply::empty(StatusCode::NO_CONTENT)
        }
        _ => error(
            StatusCode::NOT_FOUND,
            format!("no control endpoint {method} {path}"),
        ),
    }
}

/// `POST /_sim/tickets/{id}/comments` with `{"author": email|id, "body", "public"?,
/// "via": "web"|"api"}`: the agent comments through the very same update path (and
/// triggers) as the API, with via id 0 (web UI) or 5 (API).
fn agent_comment(sim: &Simulator, id: &str, input: &Value) -> Reply {
    let Ok(ticket_id) = id.parse::<u64>() else {
        return error(StatusCode::NOT_FOUND, "no such ticket");
    };
    let Some(body) = input.get("body").and_then(Value::as_str) else {
        return error(StatusCode::BAD_REQUEST, "body is required");
    };
    let via_id = match input.get("via").and_then(Value::as_str).unwrap_or("web") {
        "web" => via::WEB,
        "api" => via::API,
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("via {other:?} is not web or api"),
            )
        }
    };
    let now = sim.clock().now();
    let (result, dispatches) = {
        let mut account = sim.account();
        let author = match input.get("author") {
            Some(Value::Number(number)) => number
                .as_u64()
                .and_then(|id| account.users.get(&id))
                .map(|user| user.id),
            Some(Value::String(who)) => account.user_by_email_or_id(who).map(|user| user.id),
            _ => account
                .credentials()
                .get(1)
                .map(|credential| credential.user_id),
        };
        let Some(author) = author else {
            return error(StatusCode::BAD_REQUEST, "author is not a known user");
        };
        let mut comment = Map::new();
        comment.insert("body".to_owned(), json!(body));
        if let Some(public) = input.get("public") {
            comment.insert("public".to_owned(), public.clone());
        }
        let mut update = Map::new();
        update.insert("comment".to_owned(), Value::Object(comment));
        for key in [
            "status",
            "tags",
            "additional_tags",
            "remove_tags",
            "custom_fields",
        ] {
            if let Some(value) = input.get(key) {
                update.insert(key.to_owned(), value.clone());
            }
        }
        let actor = Actor {
            user_id: author,
            via_id,
        };
        let result =
            tickets::update_ticket(&mut account, ticket_id, &update, actor, now).map(|written| {
                let ticket = account
                    .tickets
                    .get(&written.ticket_id)
                    .map(|ticket| ticket.to_json(&account, "http://localhost"));
                let audit = account
                    .tickets
                    .get(&written.ticket_id)
                    .and_then(|ticket| {
                        ticket
                            .audits
                            .iter()
                            .find(|audit| audit.id == written.audit_id)
                    })
                    .map(tickets::Audit::to_json);
                json!({"ticket": ticket, "audit": audit})
            });
        (result, std::mem::take(&mut account.outbox))
    };
    sim.send_all(dispatches);
    match result {
        Ok(body) => Reply::ok(body),
        Err(api_error) => api_error.into_reply(),
    }
}
