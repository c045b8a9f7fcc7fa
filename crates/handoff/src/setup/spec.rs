//! The webhook and trigger as they must be: what one-click setup creates, what the checklist compares the
//! account's objects with, and what repair restores.

use serde_json::json;
use zendesk::{Action, Condition, Conditions, NewTrigger, NewWebhook};

use crate::relay::payload::TRIGGER_BODY;

/// The webhook's name in Admin Center.
pub const WEBHOOK_NAME: &str = "Zendesk Handoff Console: reply sync";
/// The trigger's title in Admin Center.
pub const TRIGGER_TITLE: &str = "Zendesk Handoff Console: send public replies to the AI platform";

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
