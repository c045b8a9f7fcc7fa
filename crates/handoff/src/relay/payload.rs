//! What the trigger sends and what the relay reads from it.
//!
//! The trigger's JSON body ([`TRIGGER_BODY`]) carries the ids the relay needs to find the session (the ticket
//! id and external id) and the newest public comment. The relay treats the body as a *notification* only: the
//! replies themselves are read back from Zendesk's API (every public comment after the last one delivered),
//! so a misconfigured trigger body (say, `{{ticket.latest_comment}}`, which includes internal notes) can never
//! put an internal note in front of a customer, and two replies that fire two deliveries announcing the same
//! "newest comment" both arrive.
//!
//! Invariant: parsing never panics and never rejects a signed delivery outright: a body it cannot read is
//! [`Notification::Unreadable`], kept and shown (a 4xx would only trip Zendesk's circuit breaker).

use serde_json::Value;

/// The body of the trigger's webhook action. Placeholders are rendered by Zendesk, JSON-escaped inside
/// strings; `{{ticket.id}}` is unquoted so it arrives as a number.
pub const TRIGGER_BODY: &str = r#"{
  "schema": "handoff.v1",
  "ticket": {
    "id": {{ticket.id}},
    "external_id": "{{ticket.external_id}}",
    "status": "{{ticket.status}}"
  },
  "comment": {
    "body": "{{ticket.latest_public_comment}}"
  },
  "actor": {
    "id": "{{current_user.id}}"
  }
}"#;

/// What a delivery announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// A ticket changed with a public comment: look at its comments.
    Ticket {
        ticket_id: u64,
        /// The ticket's external id (a session id for handoff tickets), when it has one.
        external_id: Option<String>,
        /// The author of the update, when the body says.
        actor_id: Option<u64>,
    },
    /// The body is not what the trigger sends (hand-edited trigger, another webhook's body): kept and shown.
    Unreadable { reason: String },
}

/// Reads a delivery's body. Ids may be numbers or strings of digits (placeholders are rendered either way).
pub fn parse(body: &[u8]) -> Notification {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(error) => {
            return Notification::Unreadable {
                reason: format!("the body is not JSON ({error})"),
            }
        }
    };
    let ticket = value.get("ticket");
    // A body in the style of other integrations (`{"ticket_id": ...}` at the top) is read too.
    let ticket_id = ticket
        .and_then(|t| t.get("id"))
        .or_else(|| value.get("ticket_id"))
        .and_then(id_of);
    let Some(ticket_id) = ticket_id else {
        return Notification::Unreadable {
            reason: "the body names no ticket id (`ticket.id`)".to_owned(),
        };
    };
    let external_id = ticket
        .and_then(|t| t.get("external_id"))
        .or_else(|| value.get("external_id"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let actor_id = value.get("actor").and_then(|a| a.get("id")).and_then(id_of);
    Notification::Ticket {
        ticket_id,
        external_id,
        actor_id,
    }
}

fn id_of(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64().filter(|id| *id > 0),
        Value::String(text) => text.trim().parse::<u64>().ok().filter(|id| *id > 0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn deliveries_are_read_as_the_table_says() {
        let ticket = |id, external: Option<&str>, actor| Notification::Ticket {
            ticket_id: id,
            external_id: external.map(str::to_owned),
            actor_id: actor,
        };
        let rendered = TRIGGER_BODY
            .replace("{{ticket.id}}", "42")
            .replace(
                "{{ticket.external_id}}",
                "7d0b3c9e-1f2a-4b5c-8d9e-0f1a2b3c4d5e",
            )
            .replace("{{ticket.status}}", "Open")
            .replace(
                "{{ticket.latest_public_comment}}",
                "Line one\\nwith \\\"quotes\\\"",
            )
            .replace("{{current_user.id}}", "6130907993114");
        let table: Vec<(&str, String, Notification)> = vec![
            (
                "the trigger's own body",
                rendered,
                ticket(
                    42,
                    Some("7d0b3c9e-1f2a-4b5c-8d9e-0f1a2b3c4d5e"),
                    Some(6130907993114),
                ),
            ),
            (
                "ids as strings",
                r#"{"ticket":{"id":"42","external_id":""},"actor":{"id":"7"}}"#.into(),
                ticket(42, None, Some(7)),
            ),
            (
                "another integration's flat body",
                r#"{"ticket_id":42,"external_id":"abc"}"#.into(),
                ticket(42, Some("abc"), None),
            ),
            (
                "no ticket id",
                r#"{"ticket":{}}"#.into(),
                Notification::Unreadable {
                    reason: "the body names no ticket id (`ticket.id`)".into(),
                },
            ),
            (
                "a zero or negative id",
                r#"{"ticket":{"id":0}}"#.into(),
                Notification::Unreadable {
                    reason: "the body names no ticket id (`ticket.id`)".into(),
                },
            ),
            (
                "an unrendered placeholder",
                r#"{"ticket":{"id":"{{ticket.id}}"}}"#.into(),
                Notification::Unreadable {
                    reason: "the body names no ticket id (`ticket.id`)".into(),
                },
            ),
        ];
        for (case, body, expected) in table {
            assert_eq!(parse(body.as_bytes()), expected, "{case}");
        }
        assert!(
            matches!(parse(b"<xml/>"), Notification::Unreadable { reason } if reason.contains("not JSON"))
        );
        assert!(matches!(parse(b""), Notification::Unreadable { .. }));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn any_bytes_get_an_answer(body in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&body);
        }

        #[test]
        fn any_rendered_ids_round_trip(id in 1u64.., external in "[a-zA-Z0-9-]{0,40}", quoted in any::<bool>()) {
            let id_text = if quoted { format!("\"{id}\"") } else { id.to_string() };
            let body = format!(r#"{{"ticket":{{"id":{id_text},"external_id":"{external}"}}}}"#);
            let expected_external = (!external.is_empty()).then(|| external.clone());
            prop_assert_eq!(parse(body.as_bytes()), Notification::Ticket { ticket_id: id, external_id: expected_external, actor_id: None });
        }
    }
}
