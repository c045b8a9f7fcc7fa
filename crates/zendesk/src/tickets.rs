//! Tickets: create (idempotent with a key), show, show many, update with a comment, list by external id,
//! comments, delete.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::client::Request;
use crate::pagination::{with_query, MAX_PAGE_SIZE};
use crate::rate_limit::{Endpoint, Repeat};
use crate::{Client, Error};

/// A ticket as the API returns it. Unknown keys are ignored; absent ones take their default.
#[derive(Debug, Clone, Deserialize)]
pub struct Ticket {
    /// The ticket's id.
    pub id: u64,
    /// The API URL (may name the account's canonical host).
    #[serde(default)]
    pub url: Option<String>,
    /// The integrator's id; not unique in Zendesk.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Subject line.
    #[serde(default)]
    pub subject: Option<String>,
    /// The first comment's text, as Zendesk keeps it.
    #[serde(default)]
    pub description: Option<String>,
    /// `new`, `open`, `pending`, `hold`, `solved`, `closed` (the category, with custom statuses on).
    pub status: TicketStatus,
    /// `urgent`, `high`, `normal`, `low`.
    #[serde(default)]
    pub priority: Option<String>,
    /// `problem`, `incident`, `question`, `task`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The requester.
    #[serde(default)]
    pub requester_id: Option<u64>,
    /// Who submitted it (the API user for API-created tickets, unless overridden).
    #[serde(default)]
    pub submitter_id: Option<u64>,
    /// The assigned agent.
    #[serde(default)]
    pub assignee_id: Option<u64>,
    /// The assigned group.
    #[serde(default)]
    pub group_id: Option<u64>,
    /// The requester's organization.
    #[serde(default)]
    pub organization_id: Option<u64>,
    /// The brand (multi-brand accounts).
    #[serde(default)]
    pub brand_id: Option<u64>,
    /// The form the ticket uses.
    #[serde(default)]
    pub ticket_form_id: Option<u64>,
    /// The custom status, with custom statuses on.
    #[serde(default)]
    pub custom_status_id: Option<u64>,
    /// Tags on the ticket.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom field values (`fields` carries the same values; this is the documented one).
    #[serde(default)]
    pub custom_fields: Vec<CustomFieldValue>,
    /// How the ticket was created (`via.channel` is `api` for API-created tickets).
    #[serde(default)]
    pub via: Option<Via>,
    /// The closed ticket this one follows up, if any.
    #[serde(default)]
    pub via_followup_source_id: Option<u64>,
    /// Follow-up tickets created from this one once closed.
    #[serde(default)]
    pub followup_ids: Vec<u64>,
    /// Whether the ticket has public comments.
    #[serde(default)]
    pub is_public: Option<bool>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(default)]
    pub created_at: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A ticket's status category.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketStatus {
    /// Not yet looked at.
    New,
    /// Being worked on.
    Open,
    /// Waiting for the requester.
    Pending,
    /// Waiting for a third party.
    Hold,
    /// Solved; may still reopen on a reply.
    Solved,
    /// Closed for good: it can no longer be updated.
    Closed,
    /// Deleted tickets list with this status.
    Deleted,
    /// A status this client does not know; never sent.
    #[serde(other, skip_serializing)]
    Unknown,
}

/// A custom field value on a ticket. `value` is a string, number, boolean, array (multiselect) or null.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CustomFieldValue {
    /// The ticket field's id.
    pub id: u64,
    /// The value in the field type's encoding (dropdowns take the option's tag `value`).
    #[serde(default)]
    pub value: Value,
}

/// How something entered Zendesk.
#[derive(Debug, Clone, Deserialize)]
pub struct Via {
    /// e.g. `api`, `web`, `email`, `rule`.
    pub channel: String,
    /// Channel-specific details.
    #[serde(default)]
    pub source: Value,
}

/// A comment to add on create or update. Zendesk has no comment-create endpoint; comments ride on tickets.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewComment {
    /// Plain-text body (Zendesk renders Markdown-ish formatting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// HTML body, instead of `body`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html_body: Option<String>,
    /// `false` for an internal note. Unset: the ticket's previous setting persists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// The author; unset means the authenticated user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_id: Option<u64>,
}

/// The write-only requester object: creates the user when the email is unknown.
#[derive(Debug, Clone, Serialize)]
pub struct Requester {
    /// The requester's name.
    pub name: String,
    /// The requester's email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The requester's locale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale_id: Option<u64>,
}

/// A ticket to create.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewTicket {
    /// Subject line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The first comment (required by the spec).
    pub comment: NewComment,
    /// An existing requester.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester_id: Option<u64>,
    /// A requester by name and email (created if unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<Requester>,
    /// Submitter; defaults to the authenticated user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitter_id: Option<u64>,
    /// The integrator's id, for finding the ticket again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Custom field values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomFieldValue>,
    /// `urgent`, `high`, `normal`, `low`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// `problem`, `incident`, `question`, `task`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Initial status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<TicketStatus>,
    /// Assignee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<u64>,
    /// Group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u64>,
    /// Brand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<u64>,
    /// Ticket form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_form_id: Option<u64>,
    /// A closed ticket this one follows up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_followup_source_id: Option<u64>,
}

/// Changes to a ticket. Tags are added and removed rather than replaced, so concurrent taggers don't clash.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TicketUpdate {
    /// A comment to append.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<NewComment>,
    /// Tags to add to the current set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_tags: Vec<String>,
    /// Tags to remove from the current set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remove_tags: Vec<String>,
    /// New status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<TicketStatus>,
    /// Custom field values to set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomFieldValue>,
    /// Assignee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<u64>,
}

/// What `create_ticket` returns.
#[derive(Debug, Clone)]
pub struct CreatedTicket {
    /// The ticket (the original one when the idempotency key was seen before).
    pub ticket: Ticket,
    /// The creation audit, when Zendesk sent it.
    pub audit: Option<Audit>,
    /// `true` when Zendesk answered `x-idempotency-lookup: hit`: no new ticket was created.
    pub idempotency_hit: bool,
}

/// What `update_ticket` returns.
#[derive(Debug, Clone)]
pub struct UpdatedTicket {
    /// The ticket after the update.
    pub ticket: Ticket,
    /// The update's audit.
    pub audit: Option<Audit>,
}

/// A ticket audit: the events one change made.
#[derive(Debug, Clone, Deserialize)]
pub struct Audit {
    /// The audit's id.
    pub id: u64,
    /// The ticket.
    #[serde(default)]
    pub ticket_id: Option<u64>,
    /// Who made the change.
    #[serde(default)]
    pub author_id: Option<u64>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(default)]
    pub created_at: Option<String>,
    /// `Comment`, `Create`, `Change`, `Notification`, … events.
    #[serde(default)]
    pub events: Vec<AuditEvent>,
}

/// One audit event; comment events carry the body, field events `field_name` and `value`.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditEvent {
    /// The event's id.
    pub id: u64,
    /// The event type, e.g. `Comment`, `Create`, `Change`.
    #[serde(rename = "type")]
    pub kind: String,
    /// For `Create`/`Change`.
    #[serde(default)]
    pub field_name: Option<String>,
    /// For `Create`/`Change`: the new value.
    #[serde(default)]
    pub value: Value,
    /// For `Comment`.
    #[serde(default)]
    pub body: Option<String>,
    /// For `Comment`.
    #[serde(default)]
    pub public: Option<bool>,
    /// For `Comment`.
    #[serde(default)]
    pub author_id: Option<u64>,
}

/// A ticket comment.
#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    /// The comment's id.
    pub id: u64,
    /// The author.
    pub author_id: u64,
    /// The text.
    #[serde(default)]
    pub body: String,
    /// The HTML rendering.
    #[serde(default)]
    pub html_body: Option<String>,
    /// The text without formatting.
    #[serde(default)]
    pub plain_body: Option<String>,
    /// `false` for internal notes.
    pub public: bool,
    /// The audit that added it.
    #[serde(default)]
    pub audit_id: Option<u64>,
    /// How it was added.
    #[serde(default)]
    pub via: Option<Via>,
    /// Attachments, as sent.
    #[serde(default)]
    pub attachments: Vec<Value>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Deserialize)]
struct TicketAndAudit {
    ticket: Ticket,
    #[serde(default)]
    audit: Option<Audit>,
}

#[derive(Deserialize)]
struct TicketEnvelope {
    ticket: Ticket,
}

#[derive(Deserialize)]
struct TicketList {
    tickets: Vec<Ticket>,
}

/// Zendesk's limit on ids per `show_many` call.
const SHOW_MANY_MAX: usize = 100;

impl Client {
    /// POST /api/v2/tickets. With an `idempotency_key`, a repeat of the same call (also the automatic retry)
    /// returns the original ticket with `idempotency_hit` set instead of creating a second one.
    pub async fn create_ticket(
        &self,
        ticket: &NewTicket,
        idempotency_key: Option<&str>,
    ) -> Result<CreatedTicket, Error> {
        let body = json!({ "ticket": to_json(ticket, "the new ticket")? });
        let mut request =
            Request::new(Method::POST, "/api/v2/tickets", "the new ticket").with_body(body);
        if let Some(key) = idempotency_key {
            request.idempotency_key = Some(key.to_owned());
            request.repeat = Repeat::Idempotent;
        }
        let answer = self.send(&request).await?;
        let idempotency_hit = answer
            .headers
            .get("x-idempotency-lookup")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|lookup| lookup.eq_ignore_ascii_case("hit"));
        let created: TicketAndAudit = answer.decode("the new ticket")?;
        Ok(CreatedTicket {
            ticket: created.ticket,
            audit: created.audit,
            idempotency_hit,
        })
    }

    /// GET /api/v2/tickets/{id}.
    pub async fn show_ticket(&self, id: u64) -> Result<Ticket, Error> {
        let envelope: TicketEnvelope = self
            .json(&Request::get(
                format!("/api/v2/tickets/{id}"),
                format!("ticket {id}"),
            ))
            .await?;
        Ok(envelope.ticket)
    }

    /// GET /api/v2/tickets/show_many?ids=… (in batches of 100). Unknown ids are left out, not errors.
    pub async fn show_many_tickets(&self, ids: &[u64]) -> Result<Vec<Ticket>, Error> {
        let mut tickets = Vec::with_capacity(ids.len());
        for batch in ids.chunks(SHOW_MANY_MAX) {
            let list = join_ids(batch);
            let path = with_query("/api/v2/tickets/show_many", &[("ids", &list)]);
            let page: TicketList = self.json(&Request::get(path, "tickets")).await?;
            tickets.extend(page.tickets);
        }
        Ok(tickets)
    }

    /// PUT /api/v2/tickets/{id}. A closed ticket answers [`Error::ClosedTicket`].
    ///
    /// Counted against the per-ticket limit (30 updates per 10 minutes). An update that carries a comment is
    /// only repeated after a 429: after a timeout or a 5xx it may have been applied, and a repeat would post
    /// the comment twice.
    pub async fn update_ticket(
        &self,
        id: u64,
        update: &TicketUpdate,
    ) -> Result<UpdatedTicket, Error> {
        let body = json!({ "ticket": to_json(update, "the ticket update")? });
        let mut request = Request::new(
            Method::PUT,
            format!("/api/v2/tickets/{id}"),
            format!("ticket {id}"),
        )
        .with_body(body)
        .on(Endpoint::TicketUpdate(id));
        request.subject.ticket_id = Some(id);
        if update.comment.is_some() {
            request.repeat = Repeat::OnlyWhenRefused;
        }
        let updated: TicketAndAudit = self.json(&request).await?;
        Ok(UpdatedTicket {
            ticket: updated.ticket,
            audit: updated.audit,
        })
    }

    /// GET /api/v2/tickets?external_id=… — every ticket with that external id (they are not unique).
    pub async fn tickets_by_external_id(&self, external_id: &str) -> Result<Vec<Ticket>, Error> {
        let path = with_query(
            "/api/v2/tickets",
            &[
                ("external_id", external_id),
                ("per_page", &MAX_PAGE_SIZE.to_string()),
            ],
        );
        self.collect_offset(
            Request::get(path, format!("tickets with external id {external_id:?}")),
            "tickets",
        )
        .await
    }

    /// GET /api/v2/tickets/{id}/comments — all of them, oldest first.
    pub async fn ticket_comments(&self, ticket_id: u64) -> Result<Vec<Comment>, Error> {
        use futures::TryStreamExt as _;
        let path = with_query(
            &format!("/api/v2/tickets/{ticket_id}/comments"),
            &[("page[size]", &MAX_PAGE_SIZE.to_string())],
        );
        self.cursor_stream(
            Request::get(path, format!("ticket {ticket_id}")),
            "comments",
        )
        .try_collect()
        .await
    }

    /// DELETE /api/v2/tickets/{id} (204; the ticket goes to the deleted view).
    pub async fn delete_ticket(&self, id: u64) -> Result<(), Error> {
        self.send(&Request::new(
            Method::DELETE,
            format!("/api/v2/tickets/{id}"),
            format!("ticket {id}"),
        ))
        .await?;
        Ok(())
    }
}

pub(crate) fn join_ids(ids: &[u64]) -> String {
    ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}

pub(crate) fn to_json<T: Serialize>(value: &T, what: &str) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(|err| Error::InvalidConfig {
        detail: format!("{what} cannot be encoded: {err}"),
    })
}
