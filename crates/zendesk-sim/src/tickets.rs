//! Tickets: the stored record with its comments and audits, the one update path that the
//! API and the simulated agents share (validation, tags, custom fields, comments, triggers),
//! and the tickets endpoints.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use jiff::Timestamp;
use serde_json::{json, Map, Value};

use crate::account::Account;
use crate::clock::seconds;
use crate::jobs;
use crate::pagination::{cursor_page, offset_page, wants_cursor, CursorQuery, OffsetQuery};
use crate::reply::{record_url, ApiError, ApiResult, Reply};
use crate::router::Call;
use crate::rules::{self, UpdateContext, UpdateType};
use crate::ticket_fields::{validate_value, FieldWrite};
use crate::users::{email_problem, existing_id, find_record, Role, User};

/// Zendesk's cap on comments per ticket.
pub const MAX_COMMENTS: usize = 5000;

/// Via ids (https://developer.zendesk.com/documentation/ticketing/reference-guides/via-types).
pub mod via {
    /// Web form / agent UI.
    pub const WEB: u64 = 0;
    /// Email.
    pub const MAIL: u64 = 4;
    /// Web service (API).
    pub const API: u64 = 5;
    /// A business rule (trigger).
    pub const RULE: u64 = 8;
    /// The sample ticket a new account starts with.
    pub const SAMPLE_TICKET: u64 = 27;
}

/// The JSON `via` object for a via id.
pub(crate) fn via_json(via_id: u64) -> Value {
    let channel = match via_id {
        via::WEB => "web",
        via::MAIL => "email",
        via::RULE => "rule",
        via::SAMPLE_TICKET => "sample_ticket",
        _ => "api",
    };
    json!({"channel": channel, "source": {"from": {}, "to": {}, "rel": null}})
}

/// Ticket statuses in Zendesk's order (`less_than`/`greater_than` compare by it).
pub(crate) const STATUSES: [&str; 6] = ["new", "open", "pending", "hold", "solved", "closed"];

/// The position of a status in [`STATUSES`].
pub(crate) fn status_rank(status: &str) -> Option<usize> {
    STATUSES.iter().position(|known| *known == status)
}

/// The scalar state of a ticket: what triggers compare before and after an update.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TicketState {
    pub subject: Option<String>,
    pub status: String,
    pub priority: Option<String>,
    pub kind: Option<String>,
    pub requester_id: u64,
    pub submitter_id: u64,
    pub assignee_id: Option<u64>,
    pub group_id: Option<u64>,
    pub organization_id: Option<u64>,
    pub external_id: Option<String>,
    pub tags: Vec<String>,
    /// Custom field values by field id; absent means null.
    pub custom_fields: BTreeMap<u64, Value>,
    pub due_at: Option<String>,
    pub ticket_form_id: u64,
    pub is_public: bool,
}

/// A ticket comment.
#[derive(Clone, Debug)]
pub(crate) struct Comment {
    pub id: u64,
    pub author_id: u64,
    pub body: String,
    pub html_body: String,
    pub public: bool,
    pub audit_id: u64,
    pub via_id: u64,
    pub created_at: Timestamp,
}

impl Comment {
    /// The comment as the comments endpoint shows it: its audit event plus where it came
    /// from and when.
    pub fn to_json(&self) -> Value {
        let mut comment = self.event_json();
        if let Value::Object(object) = &mut comment {
            object.insert("via".to_owned(), via_json(self.via_id));
            object.insert("metadata".to_owned(), json!({"system": {}, "custom": {}}));
            object.insert("created_at".to_owned(), json!(seconds(self.created_at)));
        }
        comment
    }

    /// The comment as an event inside its audit.
    fn event_json(&self) -> Value {
        json!({
            "id": self.id,
            "type": "Comment",
            "author_id": self.author_id,
            "body": self.body,
            "html_body": self.html_body,
            "plain_body": self.body,
            "public": self.public,
            "attachments": [],
            "audit_id": self.audit_id,
        })
    }
}

/// One audit (a create or an update) with its events.
#[derive(Clone, Debug)]
pub(crate) struct Audit {
    pub id: u64,
    pub ticket_id: u64,
    pub author_id: u64,
    pub via_id: u64,
    pub created_at: Timestamp,
    pub events: Vec<Value>,
}

impl Audit {
    /// API changes carry the caller's client details, as recorded; others carry none.
    fn system_metadata(&self) -> Value {
        if self.via_id == via::API {
            json!({"client": "zendesk-sim", "ip_address": "127.0.0.1", "location": "Localhost", "latitude": 0.0, "longitude": 0.0})
        } else {
            json!({})
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "ticket_id": self.ticket_id,
            "created_at": seconds(self.created_at),
            "author_id": self.author_id,
            "metadata": {"system": self.system_metadata(), "custom": {}},
            "events": self.events,
            "via": via_json(self.via_id),
        })
    }
}

/// A stored ticket.
#[derive(Clone, Debug)]
pub(crate) struct Ticket {
    pub id: u64,
    pub state: TicketState,
    pub description: String,
    pub via_id: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub comments: Vec<Comment>,
    pub audits: Vec<Audit>,
    /// Follow-up tickets created from this one once it was closed (OAS `followup_ids`).
    pub followup_ids: Vec<u64>,
    /// The closed ticket this one follows up (`via_followup_source_id` on create).
    pub followup_source_id: Option<u64>,
}

/// Fixed ids of account-wide objects every ticket refers to.
pub(crate) const TICKET_FORM_ID: u64 = 6_130_830_344_474;
const BRAND_ID: u64 = 6_130_830_354_842;

fn custom_status_id(status: &str) -> u64 {
    6_130_830_355_738 + status_rank(status).unwrap_or(0) as u64
}

impl Ticket {
    /// The ticket in the recorded shape. `custom_fields` and `fields` list every active
    /// custom field of the account (null when unset).
    pub fn to_json(&self, account: &Account, origin: &str) -> Value {
        let state = &self.state;
        let custom: Vec<Value> = account
            .ticket_fields
            .values()
            .filter(|field| field.is_custom() && field.is_active())
            .map(|field| {
                json!({
                    "id": field.id,
                    "value": state.custom_fields.get(&field.id).cloned().unwrap_or(Value::Null),
                })
            })
            .collect();
        let mut via = via_json(self.via_id);
        if let (Some(source), Some(object)) = (self.followup_source_id, via.get_mut("source")) {
            // A follow-up names its closed ticket in `via.source` with `rel: follow_up`.
            object["from"] = json!({"ticket_id": source});
            object["rel"] = json!("follow_up");
        }
        json!({
            "url": record_url(origin, "tickets", self.id),
            "id": self.id,
            "external_id": state.external_id,
            "via": via,
            "created_at": seconds(self.created_at),
            "updated_at": seconds(self.updated_at),
            "type": state.kind,
            "subject": state.subject,
            "raw_subject": state.subject,
            "description": self.description,
            "priority": state.priority,
            "status": state.status,
            "recipient": null,
            "requester_id": state.requester_id,
            "submitter_id": state.submitter_id,
            "assignee_id": state.assignee_id,
            "organization_id": state.organization_id,
            "group_id": state.group_id,
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "forum_topic_id": null,
            "problem_id": null,
            "has_incidents": false,
            "is_public": state.is_public,
            "due_at": state.due_at,
            "tags": state.tags,
            "custom_fields": custom,
            "satisfaction_rating": null,
            "sharing_agreement_ids": [],
            "custom_status_id": custom_status_id(&state.status),
            "fields": custom,
            "followup_ids": self.followup_ids,
            "ticket_form_id": state.ticket_form_id,
            "brand_id": BRAND_ID,
            "allow_channelback": false,
            "allow_attachments": true,
            "from_messaging_channel": false,
        })
    }

    /// The most recent comment, optionally only among public ones.
    pub fn latest_comment(&self, public_only: bool) -> Option<&Comment> {
        self.comments
            .iter()
            .rev()
            .find(|comment| comment.public || !public_only)
    }
}

/// Who makes a change and through which channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Actor {
    pub user_id: u64,
    pub via_id: u64,
}

/// Keys `ticket` objects may carry on create and update; others are ignored and reported in
/// `x-zendesk-api-warn` as `ticket.<key>`.
pub(crate) const PERMITTED_KEYS: [&str; 33] = [
    "subject",
    "raw_subject",
    "comment",
    "description",
    "requester_id",
    "requester",
    "submitter_id",
    "assignee_id",
    "assignee_email",
    "group_id",
    "organization_id",
    "external_id",
    "tags",
    "additional_tags",
    "remove_tags",
    "custom_fields",
    "fields",
    "priority",
    "type",
    "status",
    "due_at",
    "collaborators",
    "collaborator_ids",
    "email_ccs",
    "followers",
    "safe_update",
    "updated_stamp",
    "metadata",
    "via_followup_source_id",
    "ticket_form_id",
    "brand_id",
    "custom_status_id",
    "is_public",
];

/// The `x-zendesk-api-warn` header Zendesk adds when a body has unpermitted keys.
pub(crate) fn with_api_warn(
    reply: Reply,
    controller: &str,
    action: &str,
    unpermitted: &[String],
) -> Reply {
    if unpermitted.is_empty() {
        return reply;
    }
    let keys: Vec<String> = unpermitted.iter().map(|key| format!("\"{key}\"")).collect();
    reply.with_header(
        "x-zendesk-api-warn",
        format!(
            "{{:allowed_parameters=>{{:controller=>\"{controller}\", :action=>\"{action}\", :unpermitted_keys=>[{}], :invalid_values=>[]}}}}",
            keys.join(", ")
        ),
    )
}

/// Normalizes a tag list: lowercase, spaces split into separate tags, duplicates dropped.
pub(crate) fn normalize_tags(value: &Value) -> Vec<String> {
    let raw: Vec<String> = match value {
        Value::Array(items) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        Value::String(text) => vec![text.clone()],
        _ => Vec::new(),
    };
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.iter().flat_map(|text| text.split_whitespace()) {
        let tag = tag.to_lowercase();
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

/// Adds tags that are not present yet.
pub(crate) fn add_tags(state: &mut TicketState, tags: &[String]) {
    for tag in tags {
        if !state.tags.contains(tag) {
            state.tags.push(tag.clone());
        }
    }
}

/// Removes tags.
pub(crate) fn remove_tags(state: &mut TicketState, tags: &[String]) {
    state.tags.retain(|tag| !tags.contains(tag));
}

/// Writes a custom field value, keeping tags in step as Zendesk does: a dropdown's option
/// tag (and a checkbox's tag) is on the ticket exactly when that value is set.
pub(crate) fn set_custom_field(
    account: &Account,
    state: &mut TicketState,
    field_id: u64,
    value: &Value,
) -> Result<(), ApiError> {
    let Some(field) = account.ticket_fields.get(&field_id) else {
        // Unknown field ids are ignored, as Zendesk does.
        return Ok(());
    };
    if !field.is_custom() {
        return Ok(());
    }
    let value = match validate_value(field, value)? {
        FieldWrite::Ignore => return Ok(()),
        FieldWrite::Set(value) => value,
    };
    match field.kind() {
        "tagger" | "multiselect" => {
            let options: Vec<String> = field
                .option_values()
                .into_iter()
                .map(str::to_owned)
                .collect();
            remove_tags(state, &options);
            let chosen = normalize_tags(&value);
            add_tags(state, &chosen);
        }
        "checkbox" => {
            if let Some(tag) = field.checkbox_tag() {
                let tag = vec![tag.to_owned()];
                if value == json!(true) {
                    add_tags(state, &tag);
                } else {
                    remove_tags(state, &tag);
                }
            }
        }
        _ => {}
    }
    if value.is_null() {
        state.custom_fields.remove(&field_id);
    } else {
        state.custom_fields.insert(field_id, value);
    }
    Ok(())
}

/// A comment to be added by an update.
struct CommentInput {
    body: String,
    html_body: String,
    public: Option<bool>,
    author_id: Option<u64>,
}

fn comment_input(input: &Map<String, Value>) -> Option<CommentInput> {
    let comment = match input.get("comment") {
        Some(Value::Object(comment)) => comment.clone(),
        Some(Value::String(body)) => {
            let mut comment = Map::new();
            comment.insert("body".to_owned(), json!(body));
            comment
        }
        _ => return None,
    };
    let body = comment.get("body").and_then(Value::as_str);
    let html = comment.get("html_body").and_then(Value::as_str);
    let (body, html_body) = match (body, html) {
        (Some(body), _) if !body.is_empty() => (
            body.to_owned(),
            html.map_or_else(|| html_of(body), str::to_owned),
        ),
        (_, Some(html)) if !html.is_empty() => (text_of_html(html), html.to_owned()),
        _ => return None,
    };
    Some(CommentInput {
        body,
        html_body,
        public: comment.get("public").and_then(|public| match public {
            Value::Bool(flag) => Some(*flag),
            Value::String(text) => Some(text == "true"),
            _ => None,
        }),
        author_id: comment.get("author_id").and_then(Value::as_u64),
    })
}

/// Zendesk's HTML rendering of a plain comment body.
pub(crate) fn html_of(body: &str) -> String {
    let escaped = body
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    let paragraphs: Vec<String> = escaped
        .split("\n\n")
        .map(|paragraph| format!("<p dir=\"auto\">{}</p>", paragraph.replace('\n', "\n<br>")))
        .collect();
    format!(
        "<div class=\"zd-comment\" dir=\"auto\">{}</div>",
        paragraphs.join("\n\n")
    )
}

fn text_of_html(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for character in html.chars() {
        match character {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Resolves the requester of a new ticket: `requester_id`, or a `requester {name,email}`
/// object that creates the user when the email is unknown, or the caller.
fn resolve_requester(
    account: &mut Account,
    input: &Map<String, Value>,
    actor: Actor,
    now: Timestamp,
) -> Result<u64, ApiError> {
    if let Some(id) = input.get("requester_id").and_then(Value::as_u64) {
        account
            .user(id)
            .map_err(|_| ApiError::invalid("requester", "Requester: is invalid"))?;
        return Ok(id);
    }
    if let Some(Value::Object(requester)) = input.get("requester") {
        let email = requester.get("email").and_then(Value::as_str);
        if let Some(email) = email {
            // Checked before anything is looked up or created, so a refused ticket leaves
            // no user behind.
            if let Some(problem) = email_problem(email) {
                return Err(ApiError::invalid(
                    "requester",
                    format!("Requester: {problem}"),
                ));
            }
            if let Some(user) = account.user_by_email(email) {
                return Ok(user.id);
            }
        }
        let name = requester
            .get("name")
            .and_then(Value::as_str)
            .or_else(|| email.map(|email| email.split('@').next().unwrap_or(email)))
            .ok_or_else(|| {
                ApiError::invalid(
                    "requester",
                    "Requester: Name: is too short (minimum one character)",
                )
            })?
            .to_owned();
        let id = account.next_user_id();
        let mut user = User::new(id, &name, email.map(str::to_owned), Role::EndUser, now);
        if let Some(locale_id) = requester.get("locale_id").and_then(Value::as_u64) {
            user.locale_id = locale_id;
        }
        account.users.insert(id, user);
        return Ok(id);
    }
    Ok(actor.user_id)
}

/// The outcome of a create or update: the ticket id and the audit written.
pub(crate) struct Written {
    pub ticket_id: u64,
    pub audit_id: u64,
}

/// Creates a ticket from an API `ticket` object and runs the triggers.
pub(crate) fn create_ticket(
    account: &mut Account,
    input: &Map<String, Value>,
    actor: Actor,
    now: Timestamp,
) -> Result<Written, ApiError> {
    let author = account.user(actor.user_id)?.clone();
    let comment = comment_input(input).or_else(|| {
        input
            .get("description")
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(|text| CommentInput {
                body: text.to_owned(),
                html_body: html_of(text),
                public: None,
                author_id: None,
            })
    });
    let Some(comment) = comment else {
        return Err(ApiError::invalid(
            "description",
            "Description: cannot be blank",
        ));
    };
    let requester_id = resolve_requester(account, input, actor, now)?;
    let organization_id = account
        .users
        .get(&requester_id)
        .and_then(|user| user.organization_id);
    let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_owned);
    let assignee_id = input.get("assignee_id").and_then(Value::as_u64);
    let status = match text("status") {
        Some(status) if status_rank(&status).is_some() => status,
        Some(status) => {
            return Err(ApiError::invalid(
                "status",
                format!("Status: {status} is not valid"),
            ))
        }
        None if assignee_id.is_some() => "open".to_owned(),
        None => "new".to_owned(),
    };
    let mut state = TicketState {
        subject: text("subject"),
        status,
        priority: text("priority"),
        kind: text("type"),
        requester_id,
        submitter_id: actor.user_id,
        assignee_id,
        group_id: input.get("group_id").and_then(Value::as_u64),
        organization_id,
        external_id: text("external_id"),
        tags: input.get("tags").map(normalize_tags).unwrap_or_default(),
        custom_fields: BTreeMap::new(),
        due_at: text("due_at"),
        ticket_form_id: input
            .get("ticket_form_id")
            .and_then(Value::as_u64)
            .unwrap_or(TICKET_FORM_ID),
        is_public: true,
    };
    apply_custom_fields(account, &mut state, input)?;
    let comment_author_id = comment.author_id.unwrap_or(actor.user_id);
    let comment_author = account
        .users
        .get(&comment_author_id)
        .cloned()
        .unwrap_or(author);
    let public = comment_visibility(&comment_author, comment.public, true);
    state.is_public = public;
    let ticket_id = account.next_ticket_id();
    let audit_id = account.next_id();
    let comment = Comment {
        id: account.next_id(),
        author_id: comment_author.id,
        body: comment.body,
        html_body: comment.html_body,
        public,
        audit_id,
        via_id: actor.via_id,
        created_at: now,
    };
    let mut events = vec![comment.event_json()];
    for (field_name, value) in [
        ("subject", json!(state.subject)),
        ("requester_id", json!(state.requester_id.to_string())),
        ("priority", json!(state.priority)),
        ("type", json!(state.kind)),
        ("status", json!(state.status)),
        (
            "organization_id",
            json!(state.organization_id.map(|id| id.to_string())),
        ),
        ("brand_id", json!(BRAND_ID.to_string())),
        ("ticket_form_id", json!(state.ticket_form_id.to_string())),
        (
            "custom_status_id",
            json!(custom_status_id(&state.status).to_string()),
        ),
    ] {
        events.push(json!({"id": account.next_id(), "type": "Create", "value": value, "field_name": field_name}));
    }
    if !state.tags.is_empty() {
        events.push(json!({"id": account.next_id(), "type": "Create", "value": state.tags, "field_name": "tags"}));
    }
    // OAS: `via_followup_source_id` "only works with closed tickets. It has no effect with
    // other tickets."
    let followup_source_id = input
        .get("via_followup_source_id")
        .and_then(Value::as_u64)
        .filter(|source| {
            account
                .tickets
                .get(source)
                .is_some_and(|ticket| ticket.state.status == "closed")
        });
    if let Some(source) = followup_source_id.and_then(|id| account.tickets.get_mut(&id)) {
        source.followup_ids.push(ticket_id);
    }
    let ticket = Ticket {
        followup_ids: Vec::new(),
        followup_source_id,
        id: ticket_id,
        description: comment.body.clone(),
        state,
        via_id: actor.via_id,
        created_at: now,
        updated_at: now,
        comments: vec![comment.clone()],
        audits: vec![Audit {
            id: audit_id,
            ticket_id,
            author_id: actor.user_id,
            via_id: actor.via_id,
            created_at: now,
            events,
        }],
    };
    account.tickets.insert(ticket_id, ticket);
    let context = UpdateContext {
        update_type: UpdateType::Create,
        actor,
        comment: Some(rules::CommentFacts {
            public: comment.public,
            body: comment.body,
        }),
        previous: None,
        audit_id,
    };
    rules::run_triggers(account, ticket_id, &context, now);
    Ok(Written {
        ticket_id,
        audit_id,
    })
}

/// Whether a comment is public: light agents can only add private notes and end users only
/// public comments; otherwise the request decides, defaulting to `default_public`.
fn comment_visibility(author: &User, requested: Option<bool>, default_public: bool) -> bool {
    if author.is_light_agent() {
        return false;
    }
    if author.role == Role::EndUser {
        return true;
    }
    requested.unwrap_or(default_public)
}

fn apply_custom_fields(
    account: &Account,
    state: &mut TicketState,
    input: &Map<String, Value>,
) -> Result<(), ApiError> {
    for key in ["custom_fields", "fields"] {
        let Some(entries) = input.get(key) else {
            continue;
        };
        let pairs: Vec<(u64, Value)> = match entries {
            Value::Array(items) => items
                .iter()
                .filter_map(|item| {
                    Some((
                        item.get("id")?.as_u64()?,
                        item.get("value").cloned().unwrap_or(Value::Null),
                    ))
                })
                .collect(),
            // `fields` also accepts an object keyed by field id.
            Value::Object(map) => map
                .iter()
                .filter_map(|(id, value)| Some((id.parse().ok()?, value.clone())))
                .collect(),
            _ => Vec::new(),
        };
        for (id, value) in pairs {
            set_custom_field(account, state, id, &value)?;
        }
    }
    Ok(())
}

/// Applies an update (API `ticket` object, or a simulated agent's comment) and runs the
/// triggers. Closed tickets refuse with Zendesk's 422.
pub(crate) fn update_ticket(
    account: &mut Account,
    ticket_id: u64,
    input: &Map<String, Value>,
    actor: Actor,
    now: Timestamp,
) -> Result<Written, ApiError> {
    let ticket = account
        .tickets
        .get(&ticket_id)
        .ok_or(ApiError::RecordNotFound)?;
    if ticket.state.status == "closed" {
        return Err(ApiError::RecordInvalid {
            details: json!({"status": [{"description": "Status: closed prevents ticket update", "error": "ClosedTicket"}]}),
        });
    }
    if input.get("safe_update").and_then(Value::as_bool) == Some(true) {
        let stamp = input
            .get("updated_stamp")
            .and_then(Value::as_str)
            .unwrap_or("");
        if stamp != seconds(ticket.updated_at) {
            return Err(ApiError::Conflict {
                error: "UpdateConflict",
                description: "Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again.".to_owned(),
            });
        }
    }
    let previous = ticket.state.clone();
    let comment = comment_input(input);
    if comment.is_some() && ticket.comments.len() >= MAX_COMMENTS {
        return Err(ApiError::RecordInvalid {
            details: json!({"base": [{"description": format!("Comments: ticket has reached the maximum of {MAX_COMMENTS} comments"), "error": "TooManyComments"}]}),
        });
    }
    let default_public = ticket.state.is_public;
    let mut state = previous.clone();
    let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_owned);
    if let Some(subject) = text("subject") {
        state.subject = Some(subject);
    }
    if let Some(status) = text("status") {
        if status_rank(&status).is_none() {
            return Err(ApiError::invalid(
                "status",
                format!("Status: {status} is not valid"),
            ));
        }
        state.status = status;
    }
    if input.contains_key("priority") {
        state.priority = text("priority");
    }
    if input.contains_key("type") {
        state.kind = text("type");
    }
    if input.contains_key("external_id") {
        state.external_id = text("external_id");
    }
    if input.contains_key("due_at") {
        state.due_at = text("due_at");
    }
    if input.contains_key("assignee_id") {
        state.assignee_id = input.get("assignee_id").and_then(Value::as_u64);
    }
    if input.contains_key("group_id") {
        state.group_id = input.get("group_id").and_then(Value::as_u64);
    }
    if let Some(requester_id) = input.get("requester_id").and_then(Value::as_u64) {
        account
            .user(requester_id)
            .map_err(|_| ApiError::invalid("requester", "Requester: is invalid"))?;
        state.requester_id = requester_id;
    }
    if let Some(tags) = input.get("tags") {
        state.tags = normalize_tags(tags);
    }
    if let Some(tags) = input.get("additional_tags") {
        add_tags(&mut state, &normalize_tags(tags));
    }
    if let Some(tags) = input.get("remove_tags") {
        remove_tags(&mut state, &normalize_tags(tags));
    }
    apply_custom_fields(account, &mut state, input)?;
    let author_role = comment
        .as_ref()
        .and_then(|comment| {
            account
                .users
                .get(&comment.author_id.unwrap_or(actor.user_id))
        })
        .map(|author| author.role);
    let status_given = input.contains_key("status");
    // Zendesk moves a new ticket to open once an agent works on it (assigns or comments),
    // and a requester's reply reopens a pending, on-hold or solved ticket.
    if !status_given && state.status == "new" {
        let assigned = state.assignee_id.is_some() && previous.assignee_id.is_none();
        if assigned || author_role.is_some_and(Role::is_staff) {
            state.status = "open".to_owned();
        }
    }
    if !status_given
        && author_role == Some(Role::EndUser)
        && matches!(state.status.as_str(), "pending" | "hold" | "solved")
    {
        state.status = "open".to_owned();
    }
    let audit_id = account.next_id();
    let mut events: Vec<Value> = Vec::new();
    let mut added_comment = None;
    if let Some(comment) = comment {
        let author_id = comment.author_id.unwrap_or(actor.user_id);
        let author = account
            .user(author_id)
            .map_err(|_| ApiError::invalid("comment", "Comment: author is invalid"))?
            .clone();
        let public = comment_visibility(&author, comment.public, default_public);
        let stored = Comment {
            id: account.next_id(),
            author_id,
            body: comment.body,
            html_body: comment.html_body,
            public,
            audit_id,
            via_id: actor.via_id,
            created_at: now,
        };
        events.push(stored.event_json());
        added_comment = Some(stored);
    }
    for (field_name, before, after) in changes(&previous, &state) {
        events.push(json!({"id": account.next_id(), "type": "Change", "value": after, "field_name": field_name, "previous_value": before}));
    }
    let ticket = account
        .tickets
        .get_mut(&ticket_id)
        .ok_or(ApiError::RecordNotFound)?;
    ticket.state = state;
    ticket.updated_at = now;
    if let Some(comment) = &added_comment {
        ticket.comments.push(comment.clone());
    }
    ticket.audits.push(Audit {
        id: audit_id,
        ticket_id,
        author_id: actor.user_id,
        via_id: actor.via_id,
        created_at: now,
        events,
    });
    let context = UpdateContext {
        update_type: UpdateType::Change,
        actor,
        comment: added_comment.map(|comment| rules::CommentFacts {
            public: comment.public,
            body: comment.body,
        }),
        previous: Some(previous),
        audit_id,
    };
    rules::run_triggers(account, ticket_id, &context, now);
    Ok(Written {
        ticket_id,
        audit_id,
    })
}

/// The fields that differ between two states, as (field_name, previous, current) values.
pub(crate) fn changes(before: &TicketState, after: &TicketState) -> Vec<(String, Value, Value)> {
    let mut changed = Vec::new();
    let mut compare = |name: &str, old: Value, new: Value| {
        if old != new {
            changed.push((name.to_owned(), old, new));
        }
    };
    compare("subject", json!(before.subject), json!(after.subject));
    compare("status", json!(before.status), json!(after.status));
    compare("priority", json!(before.priority), json!(after.priority));
    compare("type", json!(before.kind), json!(after.kind));
    compare(
        "assignee_id",
        json!(before.assignee_id.map(|id| id.to_string())),
        json!(after.assignee_id.map(|id| id.to_string())),
    );
    compare(
        "group_id",
        json!(before.group_id.map(|id| id.to_string())),
        json!(after.group_id.map(|id| id.to_string())),
    );
    compare(
        "requester_id",
        json!(before.requester_id.to_string()),
        json!(after.requester_id.to_string()),
    );
    compare(
        "external_id",
        json!(before.external_id),
        json!(after.external_id),
    );
    compare("tags", json!(before.tags), json!(after.tags));
    let ids: std::collections::BTreeSet<&u64> = before
        .custom_fields
        .keys()
        .chain(after.custom_fields.keys())
        .collect();
    for id in ids {
        let old = before.custom_fields.get(id).cloned().unwrap_or(Value::Null);
        let new = after.custom_fields.get(id).cloned().unwrap_or(Value::Null);
        compare(&id.to_string(), old, new);
    }
    changed
}

fn ticket_and_audit(account: &Account, call: &Call, written: &Written) -> Result<Value, ApiError> {
    let ticket = account
        .tickets
        .get(&written.ticket_id)
        .ok_or(ApiError::RecordNotFound)?;
    let audit = ticket
        .audits
        .iter()
        .find(|audit| audit.id == written.audit_id)
        .map(Audit::to_json)
        .unwrap_or(Value::Null);
    Ok(json!({"ticket": ticket.to_json(account, &call.origin), "audit": audit}))
}

/// `POST /api/v2/tickets`: 201 + `Location`, body `{ticket, audit}`. With an
/// `Idempotency-Key`, a replay answers the stored result with `x-idempotency-lookup: hit`.
pub(crate) fn create(account: &mut Account, call: &Call) -> ApiResult {
    let user = call.user(account)?.clone();
    let key = call
        .headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .map(|key| format!("{}:{key}", user.id));
    if let Some(key) = &key {
        account.idempotency.forget_expired(call.now);
        if let Some(stored) = account.idempotency.get(key) {
            if stored.request_body != call.body {
                return Err(ApiError::BadRequest {
                    error: "IdempotentRequestError",
                    description:
                        "The idempotency key has already been used with a different request"
                            .to_owned(),
                });
            }
            let ticket_id = stored.ticket_id;
            let body = stored.response.clone();
            return Ok(
                Reply::created(body, record_url(&call.origin, "tickets", ticket_id))
                    .with_header("x-idempotency-lookup", "hit"),
            );
        }
    }
    let input = call.record_input("ticket")?;
    let actor = Actor {
        user_id: user.id,
        via_id: via::API,
    };
    let written = create_ticket(account, &input, actor, call.now)?;
    let body = ticket_and_audit(account, call, &written)?;
    let mut reply = Reply::created(
        body.clone(),
        record_url(&call.origin, "tickets", written.ticket_id),
    );
    if let Some(key) = key {
        account
            .idempotency
            .remember(key, call.body.clone(), written.ticket_id, body, call.now);
        reply = reply.with_header("x-idempotency-lookup", "miss");
    }
    Ok(reply)
}

/// `PUT /api/v2/tickets/{id}`: 200 `{ticket, audit}`.
pub(crate) fn update(account: &mut Account, call: &Call, id: &str) -> ApiResult {
    let user = call.user(account)?.clone();
    let ticket_id = existing_id(&account.tickets, id)?;
    if user.role == Role::EndUser {
        return Err(ApiError::Forbidden);
    }
    let input = call.record_input("ticket")?;
    let actor = Actor {
        user_id: user.id,
        via_id: via::API,
    };
    let written = update_ticket(account, ticket_id, &input, actor, call.now)?;
    let reply = Reply::ok(ticket_and_audit(account, call, &written)?);
    Ok(reply)
}

/// `GET /api/v2/tickets/{id}`.
pub(crate) fn show(account: &Account, call: &Call, id: &str) -> ApiResult {
    call.require_staff(account)?;
    let ticket = find_record(&account.tickets, id)?;
    Ok(Reply::ok(
        json!({"ticket": ticket.to_json(account, &call.origin)}),
    ))
}

/// `GET /api/v2/tickets/show_many?ids=1,2`.
pub(crate) fn show_many(account: &Account, call: &Call) -> ApiResult {
    call.require_staff(account)?;
    let tickets: Vec<Value> = call
        .query("ids")
        .unwrap_or("")
        .split(',')
        .filter_map(|id| id.trim().parse::<u64>().ok())
        .filter_map(|id| account.tickets.get(&id))
        .map(|ticket| ticket.to_json(account, &call.origin))
        .collect();
    let count = tickets.len();
    Ok(Reply::ok(
        json!({"tickets": tickets, "next_page": null, "previous_page": null, "count": count}),
    ))
}

/// `GET /api/v2/tickets` (`?external_id=` filter; offset or cursor pagination).
pub(crate) fn list(account: &Account, call: &Call) -> ApiResult {
    call.require_staff(account)?;
    let external_id = call.query("external_id");
    let cursor = wants_cursor(call);
    let tickets: Vec<Value> = account
        .tickets
        .values()
        .filter(|ticket| {
            external_id.is_none_or(|wanted| ticket.state.external_id.as_deref() == Some(wanted))
        })
        .map(|ticket| {
            if cursor {
                list_json(ticket, account, &call.origin)
            } else {
                ticket.to_json(account, &call.origin)
            }
        })
        .collect();
    paged(call, "/api/v2/tickets.json", "tickets", &tickets)
}

/// A ticket as the cursor-paginated list shows it: as recorded, without the `fields`
/// alias (the offset-paginated list has it).
fn list_json(ticket: &Ticket, account: &Account, origin: &str) -> Value {
    let mut value = ticket.to_json(account, origin);
    if let Some(object) = value.as_object_mut() {
        object.remove("fields");
    }
    value
}

/// Offset pagination unless the request names `page[...]` parameters.
pub(crate) fn paged(call: &Call, path: &str, key: &str, items: &[Value]) -> ApiResult {
    if wants_cursor(call) {
        let query = CursorQuery::from_call(call)?;
        return Ok(Reply::ok(cursor_page(call, path, key, items, query)));
    }
    let query = OffsetQuery::from_call(call)?;
    Ok(Reply::ok(offset_page(call, path, key, items, query)))
}

/// `DELETE /api/v2/tickets/{id}`: 204, no body.
pub(crate) fn delete(account: &mut Account, call: &Call, id: &str) -> ApiResult {
    let ticket_id = existing_id(&account.tickets, id)?;
    call.require_staff(account)?;
    account.tickets.remove(&ticket_id);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// `GET /api/v2/tickets/{id}/comments`.
pub(crate) fn comments(account: &Account, call: &Call, id: &str) -> ApiResult {
    call.require_staff(account)?;
    let ticket = find_record(&account.tickets, id)?;
    let mut comments: Vec<Value> = ticket.comments.iter().map(Comment::to_json).collect();
    if call.query("sort_order") == Some("desc") || call.query("sort") == Some("-created_at") {
        comments.reverse();
    }
    paged(
        call,
        &format!("/api/v2/tickets/{}/comments.json", ticket.id),
        "comments",
        &comments,
    )
}

/// `GET /api/v2/tickets/{id}/audits`.
pub(crate) fn audits(account: &Account, call: &Call, id: &str) -> ApiResult {
    call.require_staff(account)?;
    let ticket = find_record(&account.tickets, id)?;
    let audits: Vec<Value> = ticket.audits.iter().map(Audit::to_json).collect();
    paged(
        call,
        &format!("/api/v2/tickets/{}/audits.json", ticket.id),
        "audits",
        &audits,
    )
}

/// `GET /api/v2/ticket_audits`: every audit, cursor pagination only.
pub(crate) fn all_audits(account: &Account, call: &Call) -> ApiResult {
    call.require_admin(account)?;
    let audits: Vec<Value> = account
        .tickets
        .values()
        .flat_map(|ticket| ticket.audits.iter().map(Audit::to_json))
        .collect();
    let query = CursorQuery::from_call(call)?;
    Ok(Reply::ok(cursor_page(
        call,
        "/api/v2/ticket_audits.json",
        "audits",
        &audits,
        query,
    )))
}

/// `GET /api/v2/tags`: tags in use with their ticket counts.
pub(crate) fn tags(account: &Account, call: &Call) -> ApiResult {
    call.require_staff(account)?;
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for ticket in account.tickets.values() {
        for tag in &ticket.state.tags {
            *counts.entry(tag.as_str()).or_default() += 1;
        }
    }
    let mut tags: Vec<(&str, u64)> = counts.into_iter().collect();
    tags.sort_by(|left, right| right.1.cmp(&left.1).then(left.0.cmp(right.0)));
    let items: Vec<Value> = tags
        .into_iter()
        .map(|(name, count)| json!({"name": name, "count": count}))
        .collect();
    paged(call, "/api/v2/tags.json", "tags", &items)
}

/// `POST /api/v2/tickets/create_many`: creates the tickets at once and answers a queued
/// job status whose later reads show it completed.
pub(crate) fn create_many(account: &mut Account, call: &Call) -> ApiResult {
    let user = call.require_staff(account)?.clone();
    let inputs = jobs::bulk_inputs(call, "tickets")?;
    let actor = Actor {
        user_id: user.id,
        via_id: via::API,
    };
    let mut results = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        match create_ticket(account, input, actor, call.now) {
            Ok(written) => results.push(
                json!({"index": index, "id": written.ticket_id, "account_id": account.account_id}),
            ),
            Err(_) => results.push(json!({"index": index, "error": "TicketCreateFailed"})),
        }
    }
    jobs::queued(account, call, results)
}
