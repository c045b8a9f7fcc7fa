//! No double delivery (SPEC §5): Zendesk's standard "Notify requester of comment update" trigger emails the
//! requester every public reply; on a channel the platform delivers itself, the customer would get each reply
//! twice. The fix, with the admin's consent, adds a tag guard to such triggers: `current_tags not_includes
//! <our tags>`, so they skip our tickets on those channels and keep emailing everyone else.
//!
//! Who delivers on each channel is the `zendesk-delivers` setting: with nothing set, the platform delivers every
//! channel and the guard is the prefix tag itself (on every ticket we write); when Zendesk's email delivers some
//! channels, the guard names the other channels' tags (`<prefix>_channel_<c>`), so Zendesk still emails those.
//!
//! Invariant: the fix changes only the guard: it removes `current_tags not_includes` conditions made of our
//! tags alone (its own earlier guard), adds the one guard that is needed, and sends every other condition and
//! every action back as they were (Zendesk replaces both arrays on a PUT).

use std::collections::BTreeSet;

use zendesk::{Condition, NewTrigger, Trigger};

use super::spec::value_text;
use crate::session::Channel;

/// Whether `trigger` emails the requester when a public comment is added: a `notification_user` action to the
/// requester, a condition on the comment being public (or present), and not only on ticket creation.
pub fn emails_requester_on_replies(trigger: &Trigger) -> bool {
    let emails_requester = trigger.actions.iter().any(|action| {
        action.field == "notification_user"
            && matches!(
                action.value.get(0).and_then(|v| v.as_str()),
                Some("requester_id" | "requester_and_ccs")
            )
    });
    let conditions = trigger.conditions.all.iter().chain(&trigger.conditions.any);
    let on_comments = conditions.clone().any(|c| {
        c.field == "comment_is_public"
            && c.operator.as_deref().unwrap_or("is") == "is"
            && value_text(&c.value) != "false"
    });
    let only_on_create = trigger.conditions.all.iter().any(|c| {
        c.field == "update_type"
            && c.operator.as_deref().unwrap_or("is") == "is"
            && value_text(&c.value) == "Create"
    });
    trigger.active && emails_requester && on_comments && !only_on_create
}

/// The tags the guard must name: none when Zendesk delivers every channel.
pub fn required_guard(prefix: &str, zendesk_delivers: &[Channel]) -> Vec<String> {
    if zendesk_delivers.is_empty() {
        return vec![prefix.to_owned()];
    }
    Channel::ALL
        .iter()
        .filter(|c| !zendesk_delivers.contains(c))
        .map(|c| channel_tag(prefix, *c))
        .collect()
}

fn channel_tag(prefix: &str, channel: Channel) -> String {
    format!("{prefix}_channel_{}", channel.as_str())
}

/// The tags a trigger's guards exclude (`current_tags not_includes` under `all`; under `any` it guards nothing).
fn guarded_tags(trigger: &Trigger) -> BTreeSet<String> {
    trigger
        .conditions
        .all
        .iter()
        .filter(|c| c.field == "current_tags" && c.operator.as_deref() == Some("not_includes"))
        .flat_map(|c| {
            value_text(&c.value)
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// What a requester-notifying trigger does to our tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guarding {
    /// Channels the platform delivers on which this trigger still emails: each reply arrives twice.
    pub doubled: Vec<Channel>,
    /// Channels Zendesk is to deliver on which this trigger skips our tickets: no reply arrives at all.
    pub silenced: Vec<Channel>,
}

impl Guarding {
    pub fn fine(&self) -> bool {
        self.doubled.is_empty() && self.silenced.is_empty()
    }
}

/// How `trigger` treats our tickets on each channel.
pub fn guarding(trigger: &Trigger, prefix: &str, zendesk_delivers: &[Channel]) -> Guarding {
    let tags = guarded_tags(trigger);
    let skips = |c: Channel| tags.contains(prefix) || tags.contains(&channel_tag(prefix, c));
    Guarding {
        doubled: Channel::ALL
            .iter()
            .copied()
            .filter(|c| !zendesk_delivers.contains(c) && !skips(*c))
            .collect(),
        silenced: Channel::ALL
            .iter()
            .copied()
            .filter(|c| zendesk_delivers.contains(c) && skips(*c))
            .collect(),
    }
}

/// The trigger's whole new state with the guard the setting needs. Our earlier guards are replaced; other
/// conditions and every action are sent back unchanged.
pub fn guarded(trigger: &Trigger, prefix: &str, zendesk_delivers: &[Channel]) -> NewTrigger {
    let ours = |tag: &str| tag == prefix || tag.starts_with(&format!("{prefix}_"));
    let mut all: Vec<Condition> = Vec::new();
    for condition in &trigger.conditions.all {
        let is_guard = condition.field == "current_tags"
            && condition.operator.as_deref() == Some("not_includes");
        if !is_guard {
            all.push(condition.clone());
            continue;
        }
        // Keep the admin's own tags of a mixed guard; drop ours (the new guard names them as needed).
        let text = value_text(&condition.value);
        let foreign: Vec<&str> = text.split_whitespace().filter(|t| !ours(t)).collect();
        if !foreign.is_empty() {
            all.push(Condition {
                value: serde_json::Value::String(foreign.join(" ")),
                ..condition.clone()
            });
        }
    }
    let required = required_guard(prefix, zendesk_delivers);
    if !required.is_empty() {
        all.push(Condition {
            field: "current_tags".to_owned(),
            operator: Some("not_includes".to_owned()),
            value: serde_json::Value::String(required.join(" ")),
        });
    }
    NewTrigger {
        title: trigger.title.clone(),
        conditions: zendesk::Conditions {
            all,
            any: trigger.conditions.any.clone(),
        },
        actions: trigger.actions.clone(),
        active: None,
        description: None,
        category_id: None,
        position: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Zendesk's standard trigger, as the default-triggers fixture has it.
    fn notify_requester(extra: Vec<serde_json::Value>) -> Trigger {
        let mut all = vec![
            json!({"field": "update_type", "operator": "is", "value": "Change"}),
            json!({"field": "comment_is_public", "operator": "is", "value": "requester_can_see_comment"}),
            json!({"field": "requester_id", "operator": "is_not", "value": "current_user"}),
        ];
        all.extend(extra);
        serde_json::from_value(json!({
            "id": 360056295734u64, "title": "Notify requester of comment update", "active": true,
            "conditions": {"all": all, "any": []},
            "actions": [{"field": "notification_user", "value": ["requester_id", "[{{ticket.account}}] Re: {{ticket.title}}", "{{ticket.comments_formatted}}"]}]
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn guards_are_judged_and_made_as_the_table_says() {
        use Channel::*;
        let guard = |tags: &str| json!({"field": "current_tags", "operator": "not_includes", "value": tags});
        // (case, extra conditions, zendesk-delivers, doubled, silenced, the guard the fix writes)
        type Row = (
            &'static str,
            Vec<serde_json::Value>,
            Vec<Channel>,
            Vec<Channel>,
            Vec<Channel>,
            Option<&'static str>,
        );
        let table: Vec<Row> = vec![
            ("unguarded, the platform delivers all", vec![], vec![], Channel::ALL.to_vec(), vec![], Some("opencx")),
            ("guarded by the prefix", vec![guard("opencx")], vec![], vec![], vec![], Some("opencx")),
            (
                "guarded by the prefix, but Zendesk is to email",
                vec![guard("opencx")],
                vec![Email],
                vec![],
                vec![Email],
                Some("opencx_channel_whatsapp opencx_channel_sms opencx_channel_web opencx_channel_phone"),
            ),
            (
                "unguarded, Zendesk emails the email channel",
                vec![],
                vec![Email],
                vec![Whatsapp, Sms, Web, Phone],
                vec![],
                Some("opencx_channel_whatsapp opencx_channel_sms opencx_channel_web opencx_channel_phone"),
            ),
            ("Zendesk delivers everything", vec![guard("vip opencx")], Channel::ALL.to_vec(), vec![], Channel::ALL.to_vec(), None),
        ];
        for (case, extra, zendesk, doubled, silenced, written) in table {
            let trigger = notify_requester(extra);
            assert!(emails_requester_on_replies(&trigger), "{case}");
            let judged = guarding(&trigger, "opencx", &zendesk);
            assert_eq!(
                (judged.doubled, judged.silenced),
                (doubled, silenced),
                "{case}"
            );
            let fixed = guarded(&trigger, "opencx", &zendesk);
            assert_eq!(
                fixed.actions, trigger.actions,
                "{case}: actions sent back unchanged"
            );
            let guards: Vec<String> = fixed
                .conditions
                .all
                .iter()
                .filter(|c| c.field == "current_tags")
                .map(|c| value_text(&c.value))
                .collect();
            let mut expected: Vec<String> = written.map(str::to_owned).into_iter().collect();
            if case == "Zendesk delivers everything" {
                expected.insert(0, "vip".to_owned());
            }
            assert_eq!(guards, expected, "{case}");
            assert_eq!(
                fixed.conditions.all.len(),
                3 + guards.len(),
                "{case}: the others kept"
            );
            let refixed: Trigger = serde_json::from_value(json!({
                "id": 1, "title": fixed.title, "active": true,
                "conditions": fixed.conditions, "actions": fixed.actions,
            }))
            .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                guarding(&refixed, "opencx", &zendesk).fine(),
                "{case}: fixed for good"
            );
        }
    }

    #[test]
    fn only_triggers_that_email_the_requester_on_replies_count() {
        let mut received: Trigger = notify_requester(vec![]);
        received.conditions.all[0].value = json!("Create");
        assert!(!emails_requester_on_replies(&received), "creation only");
        let mut assignee = notify_requester(vec![]);
        assignee.actions[0].value[0] = json!("assignee_id");
        assert!(
            !emails_requester_on_replies(&assignee),
            "emails the assignee"
        );
        let mut inactive = notify_requester(vec![]);
        inactive.active = false;
        assert!(!emails_requester_on_replies(&inactive));
        let mut private = notify_requester(vec![]);
        private.conditions.all[1].value = json!("false");
        assert!(!emails_requester_on_replies(&private), "private notes only");
    }
}
