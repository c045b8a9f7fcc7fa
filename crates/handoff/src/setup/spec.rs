//! The webhook and trigger as they must be: what one-click setup creates, what the checklist compares the
//! account's objects with, and what repair restores.

use serde_json::{json, Value};
use zendesk::{
    Action, Condition, Conditions, NewTrigger, NewWebhook, Trigger, Webhook, WebhookPatch,
    WebhookStatus,
};

use crate::relay::payload::TRIGGER_BODY;

/// The webhook's name in Admin Center.
pub const WEBHOOK_NAME: &str = "Zendesk Handoff Console: reply sync";
/// The trigger's title in Admin Center.
pub const TRIGGER_TITLE: &str = "Zendesk Handoff Console: send public replies to the AI platform";

/// What connects a webhook to triggers; Zendesk never lets it change later.
pub const SUBSCRIPTIONS: &[&str] = &["conditional_ticket_events"];
/// The webhook's method and format: what Zendesk requires of trigger-connected JSON webhooks.
pub const METHOD: &str = "POST";
pub const FORMAT: &str = "json";

/// The webhook: POST, JSON, no authentication (the URL is signed), connected to triggers.
pub fn webhook(endpoint: &str) -> NewWebhook {
    let mut webhook = NewWebhook::for_triggers(WEBHOOK_NAME, endpoint);
    webhook.description = Some(
        "Created by the Zendesk Handoff Console: Zendesk posts here when a rep replies publicly, so the reply \
         reaches the customer. Authentication is none because the URL itself is signed."
            .to_owned(),
    );
    webhook
}

/// The trigger: Ticket is Updated + Comment is Public -> notify the webhook with [`TRIGGER_BODY`] (built on
/// `{{ticket.latest_public_comment}}`; the relay reads the replies from the API in any case).
///
/// No `current_via_id is_not 5` guard: a rep's reply posted through the API (another integration, the
/// console's own verification) must arrive too. Loops are broken in the relay instead, which never delivers
/// the integration's own comments.
pub fn trigger(webhook_id: &str) -> NewTrigger {
    NewTrigger {
        title: TRIGGER_TITLE.to_owned(),
        conditions: Conditions {
            all: vec![
                Condition {
                    field: "update_type".to_owned(),
                    operator: Some("is".to_owned()),
                    value: json!("Change"),
                },
                Condition {
                    field: "comment_is_public".to_owned(),
                    operator: Some("is".to_owned()),
                    value: json!("true"),
                },
            ],
            any: Vec::new(),
        },
        actions: vec![Action::notify_webhook(webhook_id, TRIGGER_BODY)],
        active: Some(true),
        description: Some(
            "Created by the Zendesk Handoff Console: notifies its webhook of every public comment, so reps' \
             replies reach customers on their channel."
                .to_owned(),
        ),
        category_id: None,
        position: None,
    }
}

/// The conditions the trigger must have (Ticket is Updated, Comment is Public).
pub fn conditions() -> Conditions {
    trigger("").conditions
}

/// How our webhook differs from what it must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDrift {
    /// Deactivated in Admin Center: Zendesk calls nothing.
    Inactive,
    /// Points somewhere other than the relay's current URL.
    Endpoint,
    /// Not POST.
    Method,
    /// Not JSON.
    Format,
}

impl WebhookDrift {
    pub fn describe(self) -> &'static str {
        match self {
            WebhookDrift::Inactive => "reactivate it",
            WebhookDrift::Endpoint => "point it at the relay's current URL",
            WebhookDrift::Method => "set its method to POST",
            WebhookDrift::Format => "set its format to JSON",
        }
    }
}

/// Every way `webhook` differs from the webhook for `url`.
pub fn webhook_drift(webhook: &Webhook, url: &str) -> Vec<WebhookDrift> {
    let mut drift = Vec::new();
    if webhook.status != WebhookStatus::Active {
        drift.push(WebhookDrift::Inactive);
    }
    if webhook.endpoint != url {
        drift.push(WebhookDrift::Endpoint);
    }
    if !webhook.http_method.eq_ignore_ascii_case(METHOD) {
        drift.push(WebhookDrift::Method);
    }
    if !webhook.request_format.eq_ignore_ascii_case(FORMAT) {
        drift.push(WebhookDrift::Format);
    }
    drift
}

/// The PATCH that undoes `drift` (and nothing else: the admin's name and description stay).
pub fn webhook_repair(drift: &[WebhookDrift], url: &str) -> WebhookPatch {
    let mut patch = WebhookPatch::default();
    for item in drift {
        match item {
            WebhookDrift::Inactive => patch.status = Some(WebhookStatus::Active),
            WebhookDrift::Endpoint => patch.endpoint = Some(url.to_owned()),
            WebhookDrift::Method => patch.http_method = Some(METHOD.to_owned()),
            WebhookDrift::Format => patch.request_format = Some(FORMAT.to_owned()),
        }
    }
    patch
}

/// How our trigger differs from what it must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerDrift {
    /// Deactivated: no reply reaches the relay.
    Inactive,
    /// Its conditions are not exactly Ticket is Updated + Comment is Public.
    Conditions,
    /// It does not notify our webhook (another one, or none).
    Webhook,
    /// Its body is not the body the relay expects.
    Body,
    /// It does more than notify our webhook.
    Actions,
}

impl TriggerDrift {
    pub fn describe(self) -> &'static str {
        match self {
            TriggerDrift::Inactive => "reactivate it",
            TriggerDrift::Conditions => {
                "restore its conditions (Ticket is Updated, Comment is Public)"
            }
            TriggerDrift::Webhook => "point it at our webhook",
            TriggerDrift::Body => "restore its JSON body",
            TriggerDrift::Actions => "remove the actions added to it",
        }
    }
}

/// Every way `trigger` differs from the trigger that notifies `webhook_id`.
pub fn trigger_drift(trigger: &Trigger, webhook_id: &str) -> Vec<TriggerDrift> {
    let mut drift = Vec::new();
    if !trigger.active {
        drift.push(TriggerDrift::Inactive);
    }
    if !same_conditions(&trigger.conditions, &conditions()) {
        drift.push(TriggerDrift::Conditions);
    }
    let notifying: Vec<&Action> = trigger
        .actions
        .iter()
        .filter(|a| a.field == "notification_webhook")
        .collect();
    if notifying.is_empty() || notifying.iter().any(|a| a.webhook_id() != Some(webhook_id)) {
        drift.push(TriggerDrift::Webhook);
    }
    if notifying.iter().any(|a| body_of(a) != Some(TRIGGER_BODY)) || notifying.is_empty() {
        drift.push(TriggerDrift::Body);
    }
    if trigger.actions.len() != notifying.len() || notifying.len() > 1 {
        drift.push(TriggerDrift::Actions);
    }
    drift
}

/// The whole new state of our trigger for a PUT: Zendesk replaces conditions and actions together, so both
/// are always sent. The admin's title and description are kept (renaming is not drift).
pub fn repaired_trigger(current: &Trigger, webhook_id: &str) -> NewTrigger {
    let mut repaired = trigger(webhook_id);
    repaired.title = current.title.clone();
    repaired.description = current.description.clone().or(repaired.description);
    repaired
}

/// The body template of a `notification_webhook` action.
pub fn body_of(action: &Action) -> Option<&str> {
    if action.field != "notification_webhook" {
        return None;
    }
    action.value.get(1).and_then(Value::as_str)
}

/// Whether a body template sends the newest comment whatever its visibility (`latest_comment`,
/// `latest_comment_html`, ...): internal notes would reach the relay's readers.
pub fn leaks_internal_notes(body: &str) -> bool {
    body.contains("latest_comment")
}

/// Conditions equal as sets, with Zendesk's spellings made equal: an absent operator is `is`, and `true`,
/// `"true"` and `1` are the same value.
pub fn same_conditions(left: &Conditions, right: &Conditions) -> bool {
    let normal = |list: &[Condition]| {
        let mut list: Vec<(String, String, String)> = list
            .iter()
            .map(|c| {
                (
                    c.field.clone(),
                    c.operator.clone().unwrap_or_else(|| "is".to_owned()),
                    value_text(&c.value),
                )
            })
            .collect();
        list.sort();
        list
    };
    normal(&left.all) == normal(&right.all) && normal(&left.any) == normal(&right.any)
}

/// A condition's value as text: Zendesk and integrations write the same value as a string, number or bool.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The ticket id the sample rendering uses.
pub const SAMPLE_TICKET_ID: u64 = 4217;

/// Why a body cannot be rendered with the sample ticket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("it uses Liquid tags ({{% … %}}), which the sample rendering cannot follow")]
    LiquidTags,
    #[error("a placeholder is not closed (`{{{{` without `}}}}`)")]
    Unclosed,
}

/// Renders a body template as Zendesk would for a JSON webhook, with a sample ticket whose public comment holds
/// quotes, a backslash and a line break: values are JSON-escaped, unknown placeholders render empty.
pub fn render_sample(body: &str) -> Result<String, RenderError> {
    if body.contains("{%") {
        return Err(RenderError::LiquidTags);
    }
    let mut out = String::with_capacity(body.len() + 64);
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(RenderError::Unclosed)?;
        let name = after[..end].split('|').next().unwrap_or_default().trim();
        let value = sample_value(name);
        // JSON escaping without the quotes: the template puts text placeholders inside its own quotes.
        let escaped = serde_json::to_string(value).unwrap_or_default();
        out.push_str(escaped.trim_matches('"'));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn sample_value(name: &str) -> &'static str {
    match name {
        "ticket.id" => "4217",
        "ticket.external_id" => "7d0b3c9e-1f2a-4b5c-8d9e-0f1a2b3c4d5e",
        "ticket.status" => "Open",
        "ticket.title" | "ticket.subject" => "Where is my parcel?",
        "ticket.latest_public_comment" | "ticket.latest_comment" => {
            "Thanks for waiting.\n\"It ships today\", C:\\orders\\42"
        }
        "current_user.id" => "6130907993114",
        "current_user.name" => "Rita Rep",
        "ticket.requester.email" => "casey@example.com",
        "ticket.requester.name" => "Casey",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relay::payload::{parse, Notification};

    fn trigger_json(value: serde_json::Value) -> Trigger {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_trigger_made_by_setup_has_no_drift_and_each_change_is_named() {
        let made = trigger("01HWEBHOOK0000000000000000");
        let as_zendesk_shows_it = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut value = json!({
                "id": 7, "title": "Renamed by the admin", "active": true,
                "conditions": {"all": [
                    {"field": "comment_is_public", "operator": "is", "value": true},
                    {"field": "update_type", "value": "Change"}
                ], "any": []},
                "actions": made.actions,
            });
            edit(&mut value);
            trigger_json(value)
        };
        let table: Vec<(&str, Trigger, Vec<TriggerDrift>)> = vec![
            (
                "as made, renamed, spellings differ",
                as_zendesk_shows_it(&|_| {}),
                vec![],
            ),
            (
                "inactive",
                as_zendesk_shows_it(&|v| v["active"] = json!(false)),
                vec![TriggerDrift::Inactive],
            ),
            (
                "any comment",
                as_zendesk_shows_it(&|v| {
                    v["conditions"]["all"][0]["value"] = json!("not_relevant")
                }),
                vec![TriggerDrift::Conditions],
            ),
            (
                "an extra condition",
                as_zendesk_shows_it(&|v| {
                    v["conditions"]["any"] =
                        json!([{"field": "current_via_id", "operator": "is", "value": "5"}])
                }),
                vec![TriggerDrift::Conditions],
            ),
            (
                "another webhook",
                as_zendesk_shows_it(&|v| v["actions"][0]["value"][0] = json!("01HOTHER")),
                vec![TriggerDrift::Webhook],
            ),
            (
                "latest_comment",
                as_zendesk_shows_it(&|v| {
                    v["actions"][0]["value"][1] =
                        json!(TRIGGER_BODY.replace("latest_public_comment", "latest_comment"))
                }),
                vec![TriggerDrift::Body],
            ),
            (
                "an added action",
                as_zendesk_shows_it(&|v| {
                    if let Some(actions) = v["actions"].as_array_mut() {
                        actions.push(json!({"field": "status", "value": "open"}));
                    }
                }),
                vec![TriggerDrift::Actions],
            ),
            (
                "no webhook action at all",
                as_zendesk_shows_it(&|v| {
                    v["actions"] = json!([{"field": "status", "value": "open"}])
                }),
                vec![
                    TriggerDrift::Webhook,
                    TriggerDrift::Body,
                    TriggerDrift::Actions,
                ],
            ),
        ];
        for (case, trigger, expected) in table {
            assert_eq!(
                trigger_drift(&trigger, "01HWEBHOOK0000000000000000"),
                expected,
                "{case}"
            );
            let repaired = repaired_trigger(&trigger, "01HWEBHOOK0000000000000000");
            assert_eq!(
                repaired.title, "Renamed by the admin",
                "{case}: the title stays"
            );
            assert_eq!(repaired.actions, made.actions, "{case}");
            assert!(
                same_conditions(&repaired.conditions, &made.conditions),
                "{case}"
            );
            assert_eq!(repaired.active, Some(true), "{case}");
        }
    }

    #[test]
    fn the_body_renders_to_what_the_relay_reads() {
        let rendered = render_sample(TRIGGER_BODY).unwrap_or_else(|e| panic!("{e}"));
        let value: serde_json::Value =
            serde_json::from_str(&rendered).unwrap_or_else(|e| panic!("{e}: {rendered}"));
        assert_eq!(
            value["comment"]["body"],
            "Thanks for waiting.\n\"It ships today\", C:\\orders\\42"
        );
        assert!(matches!(
            parse(rendered.as_bytes()),
            Notification::Ticket {
                ticket_id: SAMPLE_TICKET_ID,
                ..
            }
        ));
        assert!(!leaks_internal_notes(TRIGGER_BODY));
        for leaking in [
            "{{ticket.latest_comment}}",
            "{{ ticket.latest_comment_html }}",
        ] {
            assert!(leaks_internal_notes(leaking), "{leaking}");
        }
        // A text placeholder outside quotes breaks the JSON once rendered.
        let unquoted = TRIGGER_BODY.replace(
            "\"{{ticket.latest_public_comment}}\"",
            "{{ticket.latest_public_comment}}",
        );
        let rendered = render_sample(&unquoted).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            serde_json::from_str::<serde_json::Value>(&rendered).is_err(),
            "{rendered}"
        );
        assert_eq!(render_sample("{% if x %}"), Err(RenderError::LiquidTags));
        assert_eq!(render_sample("{{ticket.id"), Err(RenderError::Unclosed));
    }

    #[test]
    fn webhook_drift_is_undone_by_one_patch() {
        let webhook: Webhook = serde_json::from_value(json!({
            "id": "01HWEBHOOK0000000000000000", "name": "x", "status": "inactive",
            "subscriptions": ["conditional_ticket_events"], "endpoint": "https://old.example/z",
            "http_method": "PUT", "request_format": "xml"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let drift = webhook_drift(&webhook, "https://relay.example/z");
        assert_eq!(
            drift,
            [
                WebhookDrift::Inactive,
                WebhookDrift::Endpoint,
                WebhookDrift::Method,
                WebhookDrift::Format
            ]
        );
        let patch = webhook_repair(&drift, "https://relay.example/z");
        assert_eq!(patch.endpoint.as_deref(), Some("https://relay.example/z"));
        assert_eq!(patch.status, Some(WebhookStatus::Active));
        assert_eq!(patch.http_method.as_deref(), Some("POST"));
        assert_eq!(patch.request_format.as_deref(), Some("json"));
        assert_eq!(patch.name, None, "the admin's name stays");
    }
}
