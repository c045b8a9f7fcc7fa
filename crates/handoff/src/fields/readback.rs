//! Read-back: after a ticket is written, the values sent are compared with the ticket in Zendesk's answer.
//! Zendesk drops a dropdown value that is not one of the field's option values without an error, so this is
//! the only way to notice.

use jiff::Timestamp;
use serde_json::Value;
use zendesk::CustomFieldValue;

use crate::session::SessionId;
use crate::store::{DroppedValueRow, Store, StoreError};

/// The values of `sent` that `returned` (the ticket's `custom_fields` as Zendesk answered) does not carry:
/// `(field id, value sent, value returned)`. Text is compared trimmed; an empty value sent is never "dropped".
pub fn dropped(
    sent: &[CustomFieldValue],
    returned: &[CustomFieldValue],
) -> Vec<(u64, Value, Option<Value>)> {
    sent.iter()
        .filter(|value| !is_empty(&value.value))
        .filter_map(|value| {
            let back = returned
                .iter()
                .find(|r| r.id == value.id)
                .map(|r| r.value.clone());
            let kept = back.as_ref().is_some_and(|back| same(&value.value, back));
            (!kept).then(|| (value.id, value.value.clone(), back))
        })
        .collect()
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        _ => false,
    }
}

fn same(sent: &Value, back: &Value) -> bool {
    match (sent, back) {
        (Value::String(a), Value::String(b)) => a.trim() == b.trim(),
        (a, b) => a == b,
    }
}

/// Compares and records what Zendesk dropped from the ticket `ticket_id` written for `session`; returns how
/// many values were dropped. Runs on the blocking pool (a write may wait for another process).
pub async fn record(
    store: &Store,
    session: SessionId,
    ticket_id: u64,
    sent: &[CustomFieldValue],
    returned: &[CustomFieldValue],
    now: Timestamp,
) -> Result<usize, StoreError> {
    let at = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let rows: Vec<DroppedValueRow> = dropped(sent, returned)
        .into_iter()
        .map(|(field_id, sent, returned)| DroppedValueRow {
            session_id: session.to_string(),
            ticket_id,
            field_id,
            sent: sent.to_string(),
            returned: returned.filter(|r| !r.is_null()).map(|r| r.to_string()),
            at: at.clone(),
        })
        .collect();
    let count = rows.len();
    if count > 0 {
        tracing::warn!(%session, ticket_id, count, "Zendesk dropped mapped field values");
        store
            .call(move |store| store.record_dropped_values(&rows))
            .await?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(id: u64, value: Value) -> CustomFieldValue {
        CustomFieldValue { id, value }
    }

    #[test]
    fn only_values_missing_from_the_answer_are_dropped() {
        // (sent, returned, dropped ids)
        let table = [
            (
                vec![v(1, json!("opt_a"))],
                vec![v(1, json!("opt_a"))],
                vec![],
            ),
            (vec![v(1, json!("opt_a"))], vec![v(1, Value::Null)], vec![1]),
            (vec![v(1, json!("opt_a"))], vec![], vec![1]),
            (
                vec![v(1, json!("Order 7 "))],
                vec![v(1, json!("Order 7"))],
                vec![],
            ),
            (vec![v(1, Value::Null)], vec![], vec![]),
            (
                vec![v(1, json!("a")), v(2, json!("b"))],
                vec![v(2, json!("b")), v(1, json!("other"))],
                vec![1],
            ),
        ];
        for (sent, returned, expected) in table {
            let ids: Vec<u64> = dropped(&sent, &returned).into_iter().map(|d| d.0).collect();
            assert_eq!(ids, expected, "{sent:?} -> {returned:?}");
        }
    }
}
