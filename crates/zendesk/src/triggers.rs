//! Ticket triggers: list, create, show, update, delete.

use futures::stream::BoxStream;
use futures::TryStreamExt as _;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::client::Request;
use crate::pagination::{with_query, MAX_PAGE_SIZE};
use crate::tickets::to_json;
use crate::{Client, Error};

/// A ticket trigger.
#[derive(Debug, Clone, Deserialize)]
pub struct Trigger {
    /// The trigger's id.
    pub id: u64,
    /// The title.
    pub title: String,
    /// Whether it runs.
    #[serde(default)]
    pub active: bool,
    /// Order of evaluation; all triggers run first to last on each create/update.
    #[serde(default)]
    pub position: Option<i64>,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// The category (a string id).
    #[serde(default)]
    pub category_id: Option<String>,
    /// When it fires.
    pub conditions: Conditions,
    /// What it does.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// A standard trigger that came with the account.
    #[serde(default)]
    pub default: bool,
    /// The title with placeholders unexpanded.
    #[serde(default)]
    pub raw_title: Option<String>,
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

/// `all` must all hold, and at least one of `any` (when non-empty).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Conditions {
    /// Conditions that must all hold.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub all: Vec<Condition>,
    /// Conditions of which one must hold.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub any: Vec<Condition>,
}

/// One condition, e.g. `{"field":"update_type","operator":"is","value":"Change"}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Condition {
    /// e.g. `update_type`, `comment_is_public`, `current_via_id`, `current_tags`.
    pub field: String,
    /// e.g. `is`, `is_not`, `includes`; some conditions omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// A string, number, boolean or list, as the condition needs.
    #[serde(default)]
    pub value: Value,
}

/// One action, e.g. `{"field":"notification_webhook","value":["<webhook id>","<body template>"]}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Action {
    /// e.g. `status`, `notification_webhook`, `current_tags`.
    pub field: String,
    /// The action's value.
    #[serde(default)]
    pub value: Value,
}

impl Action {
    /// The action that calls a webhook with a body template (JSON webhooks take the body as one string).
    pub fn notify_webhook(webhook_id: &str, body_template: &str) -> Action {
        Action {
            field: "notification_webhook".to_owned(),
            value: json!([webhook_id, body_template]),
        }
    }

    /// The webhook id of a `notification_webhook` action.
    pub fn webhook_id(&self) -> Option<&str> {
        if self.field != "notification_webhook" {
            return None;
        }
        self.value.get(0).and_then(Value::as_str)
    }
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// A trigger to create, or the whole new state of one to update (conditions and actions are replaced
/// together, so both are always sent).
#[derive(Debug, Clone, Serialize)]
pub struct NewTrigger {
    /// The title.
    pub title: String,
    /// When it fires.
    pub conditions: Conditions,
    /// What it does (at least one).
    pub actions: Vec<Action>,
    /// Whether it runs; Zendesk's default is active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The category; unset puts it in the account's default category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_id: Option<String>,
    /// Order; unset puts it last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
}

#[derive(Deserialize)]
struct TriggerEnvelope {
    trigger: Trigger,
}

impl Client {
    /// GET /api/v2/triggers with cursor pagination, as a stream.
    pub fn triggers(&self) -> BoxStream<'static, Result<Trigger, Error>> {
        let path = with_query(
            "/api/v2/triggers",
            &[("page[size]", &MAX_PAGE_SIZE.to_string())],
        );
        self.cursor_stream(Request::get(path, "triggers"), "triggers")
    }

    /// Every trigger.
    pub async fn all_triggers(&self) -> Result<Vec<Trigger>, Error> {
        self.triggers().try_collect().await
    }

    /// POST /api/v2/triggers (201).
    pub async fn create_trigger(&self, trigger: &NewTrigger) -> Result<Trigger, Error> {
        let body = json!({ "trigger": to_json(trigger, "the trigger")? });
        let request =
            Request::new(Method::POST, "/api/v2/triggers", "the new trigger").with_body(body);
        let envelope: TriggerEnvelope = self.json(&request).await?;
        Ok(envelope.trigger)
    }

    /// GET /api/v2/triggers/{id}.
    pub async fn show_trigger(&self, id: u64) -> Result<Trigger, Error> {
        let envelope: TriggerEnvelope = self
            .json(&Request::get(
                format!("/api/v2/triggers/{id}"),
                format!("trigger {id}"),
            ))
            .await?;
        Ok(envelope.trigger)
    }

    /// PUT /api/v2/triggers/{id} with the trigger's whole new state.
    pub async fn update_trigger(&self, id: u64, trigger: &NewTrigger) -> Result<Trigger, Error> {
        let body = json!({ "trigger": to_json(trigger, "the trigger")? });
        let request = Request::new(
            Method::PUT,
            format!("/api/v2/triggers/{id}"),
            format!("trigger {id}"),
        )
        .with_body(body);
        let envelope: TriggerEnvelope = self.json(&request).await?;
        Ok(envelope.trigger)
    }

    /// DELETE /api/v2/triggers/{id} (204).
    pub async fn delete_trigger(&self, id: u64) -> Result<(), Error> {
        self.send(&Request::new(
            Method::DELETE,
            format!("/api/v2/triggers/{id}"),
            format!("trigger {id}"),
        ))
        .await?;
        Ok(())
    }
}
