//! Conformance 1: every recorded and fixture response body parses into the client's typed models.
//!
//! Recordings are replayed: each recorded answer (status, content type, body) is served by an in-test server to
//! the client call that produces that request, so decoding, status handling and error classification are the
//! client's real ones; the requests the client sends on the way are validated against the contracts (see
//! [`crate::spec`]). Answers of endpoints the client has no call for are decoded into the models directly.
//! Fixtures (bodies without requests) are decoded into the models by a table. Exceptions are listed with reasons.

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;
use zendesk::{
    Attempt, Audit, Auth, Comment, Condition, Conditions, CursorPage, Error, Invocation,
    NewComment, NewTicket, NewTrigger, NewWebhook, SecretString, Ticket, TicketField, TicketUpdate,
    Trigger, User, Webhook, WebhookAuth, WebhookPatch, WebhookStatus, WebhookTest,
};

use crate::scripted::{Reply, Scripted};
use crate::{shared, spec};

/// The models a body can be decoded into.
#[derive(Debug, Clone, Copy)]
enum Model {
    User,
    Ticket,
    TicketField,
    Trigger,
    Webhook,
    Audit,
    Comment,
}

/// Decodes `body[key]` (one record or a list) into `model`; returns how many records were decoded.
fn decode(model: Model, body: &Value, key: &str) -> Result<usize, String> {
    let value = body.get(key).ok_or_else(|| format!("no `{key}` key"))?;
    let records: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    for record in &records {
        let outcome = match model {
            Model::User => check::<User>(record),
            Model::Ticket => check::<Ticket>(record),
            Model::TicketField => check::<TicketField>(record),
            Model::Trigger => check::<Trigger>(record),
            Model::Webhook => check::<Webhook>(record),
            Model::Audit => check::<Audit>(record),
            Model::Comment => check::<Comment>(record),
        };
        outcome.map_err(|err| {
            format!(
                "{model:?} {}: {err}",
                record.get("id").unwrap_or(&Value::Null)
            )
        })?;
    }
    Ok(records.len())
}

fn check<T: DeserializeOwned>(record: &Value) -> Result<(), String> {
    T::deserialize(record)
        .map(|_| ())
        .map_err(|err| err.to_string())
}

/// (fixture file, key, model) — every fixture the product's models cover.
const FIXTURES: &[(&str, &str, Model)] = &[
    (
        "fixtures/go-zendesk/GET/ticket.json",
        "ticket",
        Model::Ticket,
    ),
    (
        "fixtures/go-zendesk/GET/ticket_custom_field.json",
        "ticket",
        Model::Ticket,
    ),
    (
        "fixtures/go-zendesk/GET/tickets.json",
        "tickets",
        Model::Ticket,
    ),
    (
        "fixtures/go-zendesk/GET/ticket_show_many.json",
        "tickets",
        Model::Ticket,
    ),
    (
        "fixtures/go-zendesk/GET/search_ticket.json",
        "results",
        Model::Ticket,
    ),
    (
        "fixtures/go-zendesk/GET/ticket_comments.json",
        "comments",
        Model::Comment,
    ),
    (
        "fixtures/go-zendesk/GET/ticket_audit.json",
        "audit",
        Model::Audit,
    ),
    (
        "fixtures/go-zendesk/GET/ticket_audits.json",
        "audits",
        Model::Audit,
    ),
    (
        "fixtures/go-zendesk/GET/ticket_field.json",
        "ticket_field",
        Model::TicketField,
    ),
    (
        "fixtures/go-zendesk/GET/ticket_fields.json",
        "ticket_fields",
        Model::TicketField,
    ),
    (
        "fixtures/go-zendesk/GET/trigger.json",
        "trigger",
        Model::Trigger,
    ),
    (
        "fixtures/go-zendesk/GET/triggers.json",
        "triggers",
        Model::Trigger,
    ),
    ("fixtures/go-zendesk/GET/user.json", "user", Model::User),
    ("fixtures/go-zendesk/GET/users.json", "users", Model::User),
    (
        "fixtures/go-zendesk/GET/search_user.json",
        "results",
        Model::User,
    ),
    (
        "fixtures/go-zendesk/GET/webhook.json",
        "webhook",
        Model::Webhook,
    ),
    (
        "fixtures/go-zendesk/POST/ticket.json",
        "ticket",
        Model::Ticket,
    ),
    (
        "fixtures/go-zendesk/POST/ticket.json",
        "audit",
        Model::Audit,
    ),
    (
        "fixtures/go-zendesk/POST/ticket_fields.json",
        "ticket_field",
        Model::TicketField,
    ),
    (
        "fixtures/go-zendesk/POST/triggers.json",
        "trigger",
        Model::Trigger,
    ),
    ("fixtures/go-zendesk/POST/users.json", "user", Model::User),
    (
        "fixtures/go-zendesk/POST/webhooks.json",
        "webhook",
        Model::Webhook,
    ),
    (
        "fixtures/go-zendesk/PUT/ticket.json",
        "ticket",
        Model::Ticket,
    ),
    (
        "fixtures/go-zendesk/PUT/ticket_field.json",
        "ticket_field",
        Model::TicketField,
    ),
    (
        "fixtures/go-zendesk/PUT/triggers.json",
        "trigger",
        Model::Trigger,
    ),
    ("fixtures/go-zendesk/PUT/user.json", "user", Model::User),
    (
        "fixtures/account-dump/ticket_field.json",
        "ticket_field",
        Model::TicketField,
    ),
    (
        "fixtures/account-dump/ticket_fields.json",
        "ticket_fields",
        Model::TicketField,
    ),
    (
        "fixtures/account-dump/trigger.json",
        "trigger",
        Model::Trigger,
    ),
    (
        "fixtures/account-dump/triggers.json",
        "triggers",
        Model::Trigger,
    ),
    (
        "fixtures/default-triggers/triggers.json",
        "triggers",
        Model::Trigger,
    ),
];

/// Fixture files the client has no model for, with the reason.
const FIXTURE_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "fixtures/go-zendesk/ticket_result.json",
        "a bare array of tickets (go-zendesk's own test data), decoded below as a list",
    ),
    (
        "fixtures/go-zendesk/GET/search_count_ticket.json",
        "search counts: the product does not use Search (eventually consistent)",
    ),
    (
        "fixtures/go-zendesk/GET/search_group.json",
        "groups: not used by the product",
    ),
    ("fixtures/go-zendesk/GET/tags.json", "tag listing: not used"),
    ("fixtures/go-zendesk/PUT/tags.json", "tag listing: not used"),
    (
        "fixtures/go-zendesk/GET/ticket_form.json",
        "ticket forms: not used",
    ),
    (
        "fixtures/go-zendesk/GET/ticket_forms.json",
        "ticket forms: not used",
    ),
    (
        "fixtures/go-zendesk/POST/ticket_form.json",
        "ticket forms: not used",
    ),
    (
        "fixtures/go-zendesk/PUT/ticket_form.json",
        "ticket forms: not used",
    ),
    (
        "fixtures/account-dump/ticket_form.json",
        "ticket forms: not used",
    ),
    (
        "fixtures/go-zendesk/GET/user_fields.json",
        "user fields: not used",
    ),
    (
        "fixtures/go-zendesk/GET/user_related.json",
        "user related counts: not used",
    ),
    (
        "fixtures/go-zendesk/GET/views_ticket_count.json",
        "views: not used",
    ),
    (
        "fixtures/go-zendesk/PUT/redact_ticket_comment.json",
        "comment redaction answer (no created_at/body): redaction is not used",
    ),
    (
        "fixtures/go-zendesk/PUT/redact_ticket_comment_attachment.json",
        "attachment redaction: not used",
    ),
    (
        "fixtures/account-dump/automations.json",
        "automations: not used",
    ),
    ("fixtures/account-dump/macro.json", "macros: not used"),
    ("fixtures/account-dump/macros.json", "macros: not used"),
];

#[test]
fn every_fixture_body_parses_into_the_models() {
    let mut records = 0;
    let mut files = BTreeMap::new();
    for (file, key, model) in FIXTURES {
        let body = shared::json(file);
        let count = decode(*model, &body, key).unwrap_or_else(|err| panic!("{file}: {err}"));
        assert!(count > 0, "{file}: no records under {key}");
        records += count;
        files.insert(*file, count);
    }
    // The bare array: every element is a ticket.
    let bare = shared::json("fixtures/go-zendesk/ticket_result.json");
    let tickets: Vec<Ticket> = serde_json::from_value(bare).unwrap();
    records += tickets.len();

    // Every fixture file is either decoded or listed as an exception, so a new fixture cannot go unnoticed.
    let mut all = Vec::new();
    for folder in [
        "fixtures/go-zendesk",
        "fixtures/go-zendesk/GET",
        "fixtures/go-zendesk/POST",
        "fixtures/go-zendesk/PUT",
        "fixtures/account-dump",
        "fixtures/default-triggers",
    ] {
        for entry in std::fs::read_dir(shared::path(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "json") {
                all.push(format!(
                    "{folder}/{}",
                    path.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    let unaccounted: Vec<&String> = all
        .iter()
        .filter(|file| {
            !files.contains_key(file.as_str())
                && !FIXTURE_EXCEPTIONS.iter().any(|(known, _)| known == file)
        })
        .collect();
    assert!(
        unaccounted.is_empty(),
        "fixtures neither decoded nor listed as exceptions: {unaccounted:?}"
    );
    println!(
        "fixtures: {} files decoded ({records} records), {} exceptions: {:?}",
        files.len() + 1,
        FIXTURE_EXCEPTIONS.len() - 1,
        FIXTURE_EXCEPTIONS
            .iter()
            .skip(1)
            .map(|(file, reason)| format!("{file} ({reason})"))
            .collect::<Vec<_>>()
    );
}

/// What happened to one recorded exchange.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// Replayed through a client call.
    Replayed,
    /// Decoded into a model directly (the client has no call for that endpoint).
    Decoded,
    /// Neither, with the reason.
    Exception(&'static str),
}

#[tokio::test]
async fn every_recorded_exchange_replays_through_the_client() {
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut exceptions: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut records = 0;
    let mut requests = Vec::new();
    for (file, exchange) in shared::recordings() {
        let (outcome, count, seen) = replay(exchange).await.unwrap_or_else(|err| {
            panic!(
                "{file}: {} {}: {err}",
                exchange["request"]["method"], exchange["request"]["uri"]
            )
        });
        records += count;
        requests.extend(seen);
        match outcome {
            Outcome::Exception(reason) => *exceptions.entry(reason).or_default() += 1,
            other => *outcomes.entry(format!("{other:?}")).or_default() += 1,
        }
    }
    spec::assert_all_valid(&requests);
    let total = shared::recordings().len();
    assert!(
        outcomes.get("Replayed").copied().unwrap_or(0) > total / 2,
        "most exchanges go through a client call: {outcomes:?}"
    );
    println!(
        "recordings: {total} exchanges; {outcomes:?}; {records} records decoded; {} client requests validated; exceptions: {exceptions:?}",
        requests.len()
    );
}

type Replay = (Outcome, usize, Vec<crate::scripted::Seen>);

async fn replay(exchange: &Value) -> Result<Replay, String> {
    let request = &exchange["request"];
    let response = &exchange["response"];
    let method = request["method"].as_str().unwrap();
    let uri = url::Url::parse(request["uri"].as_str().unwrap()).unwrap();
    let path = uri.path().trim_end_matches(".json").to_owned();
    let segments: Vec<&str> = path.trim_start_matches("/api/v2/").split('/').collect();
    let status = response["status"].as_u64().unwrap() as u16;
    let body = &response["body"];
    let body_text = match body {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let content_type = response["headers"]
        .as_object()
        .and_then(|headers| {
            headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        })
        .and_then(|(_, values)| values[0].as_str())
        .unwrap_or("application/json; charset=utf-8")
        .to_owned();
    let server = Scripted::start(vec![
        Reply::typed("", status, &content_type, &body_text).times(1)
    ])
    .await;
    let client = server.client(Auth::ApiToken {
        email: "admin@example.com".to_owned(),
        token: SecretString::from("replay-token"),
    });
    let number = |index: usize| {
        segments
            .get(index)
            .and_then(|segment| segment.parse::<u64>().ok())
    };
    let query_ids = || -> Vec<u64> {
        uri.query_pairs()
            .find(|(key, _)| key == "ids")
            .map(|(_, ids)| ids.split(',').filter_map(|id| id.parse().ok()).collect())
            .unwrap_or_default()
    };
    let success = (200..300).contains(&status);

    // Each arm: the client call for this request, and what it must give.
    let outcome: Result<(Outcome, usize), String> = match (method, segments.as_slice()) {
        ("GET", ["users", "me"]) => counted(client.current_user().await.map(|_| 1)),
        ("GET", ["users", "show_many"]) => counted(
            client
                .show_many_users(&query_ids())
                .await
                .map(|users| users.len()),
        ),
        ("POST", ["tickets"]) => {
            let ticket = NewTicket {
                subject: request["body"]["ticket"]["subject"]
                    .as_str()
                    .map(str::to_owned),
                comment: NewComment {
                    body: request["body"]["ticket"]["description"]
                        .as_str()
                        .map(str::to_owned),
                    ..NewComment::default()
                },
                ..NewTicket::default()
            };
            counted(
                client
                    .create_ticket(&ticket, None)
                    .await
                    .map(|created| 1 + created.audit.map(|audit| audit.events.len()).unwrap_or(0)),
            )
        }
        ("PUT", ["tickets", _]) => {
            let update = TicketUpdate {
                comment: Some(NewComment {
                    body: Some("Replayed update".to_owned()),
                    public: Some(false),
                    ..NewComment::default()
                }),
                additional_tags: vec!["replayed".to_owned()],
                ..TicketUpdate::default()
            };
            expect(
                status,
                client
                    .update_ticket(number(1).unwrap(), &update)
                    .await
                    .map(|_| 1),
            )
        }
        ("DELETE", ["tickets", _]) => expect(
            status,
            client.delete_ticket(number(1).unwrap()).await.map(|()| 0),
        ),
        ("GET", ["tickets", "show_many"]) => counted(
            client
                .show_many_tickets(&query_ids())
                .await
                .map(|t| t.len()),
        ),
        ("POST", ["triggers"]) => {
            let recorded = &request["body"]["trigger"];
            let trigger = NewTrigger {
                title: recorded["title"].as_str().unwrap().to_owned(),
                conditions: Conditions {
                    all: serde_json::from_value::<Vec<Condition>>(recorded["all"].clone()).unwrap(),
                    any: Vec::new(),
                },
                actions: serde_json::from_value(recorded["actions"].clone()).unwrap(),
                active: None,
                description: None,
                category_id: None,
                position: None,
            };
            counted(client.create_trigger(&trigger).await.map(|_| 1))
        }
        ("PUT", ["triggers", _]) => {
            let trigger = NewTrigger {
                title: "Renamed".to_owned(),
                conditions: Conditions::default(),
                actions: vec![zendesk::Action {
                    field: "status".to_owned(),
                    value: Value::from("open"),
                }],
                active: None,
                description: None,
                category_id: None,
                position: None,
            };
            expect(
                status,
                client
                    .update_trigger(number(1).unwrap(), &trigger)
                    .await
                    .map(|_| 1),
            )
        }
        ("DELETE", ["triggers", _]) => expect(
            status,
            client.delete_trigger(number(1).unwrap()).await.map(|()| 0),
        ),
        ("GET", ["triggers"]) => list_page::<Trigger>(client.triggers(), body, "triggers").await,
        ("DELETE", ["ticket_fields", _]) | ("PUT", ["ticket_fields", _]) if !success => {
            // No delete/update call for fields in the product; the 404 is classified through `show_ticket_field`.
            expect(
                status,
                client
                    .show_ticket_field(number(1).unwrap())
                    .await
                    .map(|_| 1),
            )
        }
        ("POST", ["ticket_fields"]) | ("PUT", ["ticket_fields", _]) => {
            direct(Model::TicketField, body, "ticket_field")
        }
        ("DELETE", ["ticket_fields", _]) => empty(body),
        ("POST", ["users"]) | ("PUT", ["users", _]) | ("DELETE", ["users", _]) if success => {
            direct(Model::User, body, "user")
        }
        ("PUT", ["users", _]) | ("DELETE", ["users", _]) => expect(
            status,
            client.show_user(number(1).unwrap()).await.map(|_| 1),
        ),
        ("GET", ["users"]) => cursor_direct::<User>(body, "users"),
        ("GET", ["tickets"]) => cursor_direct::<Ticket>(body, "tickets"),
        ("GET", ["ticket_audits"]) => cursor_direct::<Audit>(body, "audits"),
        ("POST", ["webhooks"]) if uri.query().is_some() => Ok((
            Outcome::Exception(
                "webhook clone: the product does not clone webhooks (the answer is still decoded)",
            ),
            decode(Model::Webhook, body, "webhook")?,
        )),
        ("POST", ["webhooks"]) => {
            let webhook = new_webhook(&request["body"]["webhook"]);
            counted(client.create_webhook(&webhook).await.map(|_| 1))
        }
        ("GET", ["webhooks"]) => {
            list_page::<Webhook>(
                client.webhooks(
                    uri.query_pairs()
                        .find(|(k, _)| k == "filter[name_contains]")
                        .map(|(_, v)| v.into_owned())
                        .as_deref(),
                ),
                body,
                "webhooks",
            )
            .await
        }
        ("GET", ["webhooks", id]) => counted(client.show_webhook(id).await.map(|_| 1)),
        ("PATCH", ["webhooks", id]) => {
            let patch = WebhookPatch {
                name: request["body"]["webhook"]["name"]
                    .as_str()
                    .map(str::to_owned),
                ..WebhookPatch::default()
            };
            counted(client.patch_webhook(id, &patch).await.map(|()| 0))
        }
        ("PUT", ["webhooks", _]) => Ok((
            Outcome::Exception("webhook PUT: the product updates with PATCH"),
            0,
        )),
        ("DELETE", ["webhooks", id]) => counted(client.delete_webhook(id).await.map(|()| 0)),
        ("GET", ["webhooks", id, "signing_secret"]) => {
            counted(client.webhook_signing_secret(id).await.map(|_| 1))
        }
        ("POST", ["webhooks", id, "signing_secret"]) => {
            counted(client.reset_webhook_signing_secret(id).await.map(|_| 1))
        }
        ("POST", ["webhooks", "test"]) => {
            let recorded = &request["body"]["request"];
            let test = WebhookTest {
                webhook_id: uri
                    .query_pairs()
                    .find(|(k, _)| k == "webhook_id")
                    .map(|(_, v)| v.into_owned()),
                endpoint: recorded["endpoint"].as_str().map(str::to_owned),
                http_method: recorded["http_method"].as_str().map(str::to_owned),
                request_format: recorded["request_format"].as_str().map(str::to_owned),
                ..WebhookTest::default()
            };
            counted(client.test_webhook(&test).await.map(|_| 1))
        }
        ("GET", ["webhooks", id, "invocations"]) => {
            list_page::<Invocation>(client.webhook_invocations(id), body, "invocations").await
        }
        ("GET", ["webhooks", id, "invocations", invocation, "attempts"]) => counted(
            client
                .webhook_invocation_attempts(id, invocation)
                .await
                .map(|attempts: Vec<Attempt>| attempts.len()),
        ),
        ("POST", ["tickets" | "users", "create_many"]) | ("GET", ["job_statuses", _]) => Ok((
            Outcome::Exception(
                "bulk create and job statuses: the product creates tickets one by one",
            ),
            0,
        )),
        ("GET", ["custom_roles", _]) => Ok((
            Outcome::Exception("custom roles: not used (role_type and custom_role_id suffice)"),
            0,
        )),
        ("GET", ["tags"]) => Ok((Outcome::Exception("tag listing: not used"), 0)),
        _ => Err("no replay rule for this exchange".to_owned()),
    };
    let (outcome, count) = outcome?;
    Ok((outcome, count, server.seen()))
}

/// A successful replay that decoded `count` records.
fn counted(result: Result<usize, Error>) -> Result<(Outcome, usize), String> {
    result
        .map(|count| (Outcome::Replayed, count))
        .map_err(|err| format!("{err} ({err:?})"))
}

/// A replay whose expected outcome depends on the recorded status: 2xx decodes, 404 is `NotFound`.
fn expect(status: u16, result: Result<usize, Error>) -> Result<(Outcome, usize), String> {
    match (status, result) {
        (200..=299, Ok(count)) => Ok((Outcome::Replayed, count)),
        (404, Err(Error::NotFound { .. })) => Ok((Outcome::Replayed, 0)),
        (status, other) => Err(format!("HTTP {status} gave {other:?}")),
    }
}

fn direct(model: Model, body: &Value, key: &str) -> Result<(Outcome, usize), String> {
    Ok((Outcome::Decoded, decode(model, body, key)?))
}

fn empty(body: &Value) -> Result<(Outcome, usize), String> {
    match body {
        Value::String(text) if text.is_empty() => Ok((Outcome::Decoded, 0)),
        other => Err(format!("expected an empty body, got {other}")),
    }
}

fn cursor_direct<T: DeserializeOwned>(body: &Value, key: &str) -> Result<(Outcome, usize), String> {
    let page: CursorPage<T> = CursorPage::from_slice(
        &serde_json::to_vec(body).map_err(|err| err.to_string())?,
        key,
    )
    .map_err(|err| err.to_string())?;
    Ok((Outcome::Decoded, page.items.len()))
}

/// Reads exactly the recorded page's records from a list stream, so the stream never asks for a next page the
/// recording does not have.
async fn list_page<T>(
    stream: futures::stream::BoxStream<'static, Result<T, Error>>,
    body: &Value,
    key: &str,
) -> Result<(Outcome, usize), String> {
    let expected = body[key].as_array().map(Vec::len).unwrap_or(0);
    let has_more = body
        .pointer("/meta/has_more")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let items: Vec<T> = if has_more {
        stream.take(expected).try_collect().await
    } else {
        stream.try_collect().await
    }
    .map_err(|err| err.to_string())?;
    if items.len() != expected {
        return Err(format!("expected {expected} records, got {}", items.len()));
    }
    Ok((Outcome::Replayed, expected))
}

/// The client's create request for a recorded webhook create body.
fn new_webhook(recorded: &Value) -> NewWebhook {
    let text = |key: &str| recorded[key].as_str().unwrap_or_default().to_owned();
    let authentication = match recorded["authentication"]["type"].as_str() {
        Some("basic_auth") => Some(WebhookAuth::Basic {
            username: recorded["authentication"]["data"]["username"]
                .as_str()
                .unwrap()
                .to_owned(),
            password: SecretString::from(
                recorded["authentication"]["data"]["password"]
                    .as_str()
                    .unwrap(),
            ),
        }),
        Some("bearer_token") => Some(WebhookAuth::BearerToken {
            token: SecretString::from(
                recorded["authentication"]["data"]["token"]
                    .as_str()
                    .unwrap(),
            ),
        }),
        _ => None,
    };
    NewWebhook {
        name: text("name"),
        description: recorded["description"].as_str().map(str::to_owned),
        endpoint: text("endpoint"),
        http_method: text("http_method"),
        request_format: text("request_format"),
        status: if text("status") == "inactive" {
            WebhookStatus::Inactive
        } else {
            WebhookStatus::Active
        },
        subscriptions: serde_json::from_value(recorded["subscriptions"].clone())
            .unwrap_or_default(),
        authentication,
        custom_headers: Default::default(),
    }
}
