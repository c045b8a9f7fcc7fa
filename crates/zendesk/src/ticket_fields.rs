//! Ticket fields (system and custom), listed with cursor pagination.

use futures::stream::BoxStream;
use futures::TryStreamExt as _;
use serde::Deserialize;
use serde_json::Value;

use crate::client::Request;
use crate::pagination::{with_query, MAX_PAGE_SIZE};
use crate::{Client, Error};

/// A ticket field. `removable == false` marks a system field (subject, status, priority, …).
#[derive(Debug, Clone, Deserialize)]
pub struct TicketField {
    /// The field's id (the `id` in a ticket's `custom_fields`).
    pub id: u64,
    /// `text`, `textarea`, `checkbox`, `date`, `integer`, `decimal`, `regexp`, `partialcreditcard`, `multiselect`,
    /// `tagger` (dropdown), `lookup`; system types `subject`, `description`, `status`, `tickettype`, `priority`,
    /// `group`, `assignee`, `custom_status`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The agent-facing title.
    pub title: String,
    /// The title with dynamic content placeholders unexpanded.
    #[serde(default)]
    pub raw_title: Option<String>,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// Display order.
    #[serde(default)]
    pub position: Option<i64>,
    /// Inactive fields are still listed.
    #[serde(default = "crate::serde_true")]
    pub active: bool,
    /// Required for agents to solve a ticket.
    #[serde(default)]
    pub required: bool,
    /// `false` for system fields.
    #[serde(default = "crate::serde_true")]
    pub removable: bool,
    /// The tag a checkbox adds.
    #[serde(default)]
    pub tag: Option<String>,
    /// The field's key (placeholders), if set.
    #[serde(default)]
    pub key: Option<String>,
    /// The validation pattern of a `regexp` field.
    #[serde(default)]
    pub regexp_for_validation: Option<String>,
    /// Options of `tagger` and `multiselect` fields; send an option's `value` (its tag), not its name.
    #[serde(default)]
    pub custom_field_options: Option<Vec<CustomFieldOption>>,
    /// Options of the `status`, `tickettype` and `priority` system fields.
    #[serde(default)]
    pub system_field_options: Option<Vec<SystemFieldOption>>,
    /// Custom statuses of the `custom_status` field.
    #[serde(default)]
    pub custom_statuses: Option<Vec<Value>>,
    /// The API URL.
    #[serde(default)]
    pub url: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(default)]
    pub created_at: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl TicketField {
    /// Whether the field is a custom field (as opposed to a system field such as subject or status).
    pub fn is_custom(&self) -> bool {
        self.removable
    }
}

/// One option of a dropdown or multiselect field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomFieldOption {
    /// The option's id.
    #[serde(default)]
    pub id: Option<u64>,
    /// The label agents see.
    pub name: String,
    /// The label with placeholders unexpanded.
    #[serde(default)]
    pub raw_name: Option<String>,
    /// The tag written on the ticket: the value to send.
    pub value: String,
    /// Whether it is preselected.
    #[serde(default)]
    pub default: bool,
}

/// One option of a system field (`{"name":"Open","value":"open"}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SystemFieldOption {
    /// The label.
    pub name: String,
    /// The value.
    pub value: String,
}

#[derive(Deserialize)]
struct TicketFieldEnvelope {
    ticket_field: TicketField,
}

impl Client {
    /// GET /api/v2/ticket_fields with cursor pagination (100 per page), as a stream of fields.
    pub fn ticket_fields(&self) -> BoxStream<'static, Result<TicketField, Error>> {
        let path = with_query(
            "/api/v2/ticket_fields",
            &[("page[size]", &MAX_PAGE_SIZE.to_string())],
        );
        self.cursor_stream(Request::get(path, "ticket fields"), "ticket_fields")
    }

    /// Every ticket field, system and custom, active or not.
    pub async fn all_ticket_fields(&self) -> Result<Vec<TicketField>, Error> {
        self.ticket_fields().try_collect().await
    }

    /// GET /api/v2/ticket_fields/{id}.
    pub async fn show_ticket_field(&self, id: u64) -> Result<TicketField, Error> {
        let envelope: TicketFieldEnvelope = self
            .json(&Request::get(
                format!("/api/v2/ticket_fields/{id}"),
                format!("ticket field {id}"),
            ))
            .await?;
        Ok(envelope.ticket_field)
    }
}
