//! Trigger evaluation: after every ticket create or update, active triggers are checked in
//! `position` order; a matching trigger's actions run (changing the ticket and queueing
//! webhook notifications), and because one trigger's actions can make others match, the
//! check restarts from the top after any change. Each trigger fires at most once per update.

use std::collections::HashSet;

use jiff::Timestamp;
use serde_json::{json, Value};

use crate::account::Account;
use crate::delivery::{self, Dispatch, DispatchOrigin};
use crate::placeholders;
use crate::tickets::{self, status_rank, Actor, TicketState};
use crate::triggers::Trigger;
use crate::users::Role;
use crate::webhooks::Connection;

/// Whether the ticket was just created or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UpdateType {
    Create,
    Change,
}

/// The comment an update added.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CommentFacts {
    pub public: bool,
    pub body: String,
}

/// What happened in one update, as the conditions see it.
#[derive(Clone, Debug)]
pub(crate) struct UpdateContext {
    pub update_type: UpdateType,
    pub actor: Actor,
    pub comment: Option<CommentFacts>,
    /// The state before the update (`None` on create).
    pub previous: Option<TicketState>,
    /// The audit that trigger changes are added to.
    pub audit_id: u64,
}

/// Everything a condition can look at.
pub(crate) struct Facts<'a> {
    pub context: &'a UpdateContext,
    pub state: &'a TicketState,
    /// The ticket's creation channel (`via_id` condition).
    pub ticket_via_id: u64,
    pub actor_role: Role,
}

/// Runs the account's triggers for one update of `ticket_id`.
pub(crate) fn run_triggers(
    account: &mut Account,
    ticket_id: u64,
    context: &UpdateContext,
    now: Timestamp,
) {
    let mut fired: HashSet<u64> = HashSet::new();
    let mut notifications: Vec<(u64, Value)> = Vec::new();
    let actor_role = account
        .users
        .get(&context.actor.user_id)
        .map_or(Role::EndUser, |user| user.role);
    'restart: loop {
        let mut order: Vec<(i64, u64)> = account
            .triggers
            .values()
            .filter(|trigger| trigger.active && !fired.contains(&trigger.id))
            .map(|trigger| (trigger.position, trigger.id))
            .collect();
        order.sort_unstable();
        for (_, trigger_id) in order {
            let Some(trigger) = account.triggers.get(&trigger_id).cloned() else {
                continue;
            };
            let Some(ticket) = account.tickets.get(&ticket_id) else {
                return;
            };
            let facts = Facts {
                context,
                state: &ticket.state,
                ticket_via_id: ticket.via_id,
                actor_role,
            };
            if !trigger_matches(&trigger, &facts) {
                continue;
            }
            fired.insert(trigger_id);
            let changed = apply_actions(
                account,
                ticket_id,
                &trigger,
                context,
                now,
                &mut notifications,
            );
            if changed {
                continue 'restart;
            }
        }
        break;
    }
    // Notifications render with the ticket as every trigger left it.
    for (trigger_id, value) in notifications {
        if let Some(dispatch) = notification(account, ticket_id, trigger_id, &value, context, now) {
            account.outbox.push(dispatch);
        }
    }
}

/// Whether all `all` conditions and at least one `any` condition (when there are any) hold.
pub(crate) fn trigger_matches(trigger: &Trigger, facts: &Facts<'_>) -> bool {
    let all = trigger
        .all
        .iter()
        .all(|condition| condition_holds(condition, facts));
    let any = trigger.any.is_empty()
        || trigger
            .any
            .iter()
            .any(|condition| condition_holds(condition, facts));
    all && any
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// Evaluates one `{field, operator, value}` condition. Unknown fields or operators never
/// hold, so a trigger that depends on something the simulator does not model stays quiet.
pub(crate) fn condition_holds(condition: &Value, facts: &Facts<'_>) -> bool {
    let field = condition.get("field").and_then(Value::as_str).unwrap_or("");
    let operator = condition
        .get("operator")
        .and_then(Value::as_str)
        .unwrap_or("is");
    let expected = condition.get("value").cloned().unwrap_or(Value::Null);
    let expected_text = value_text(&expected);
    let negate = matches!(operator, "is_not" | "not_includes" | "not_value");
    let context = facts.context;
    match field {
        "update_type" => {
            let actual = match context.update_type {
                UpdateType::Create => "Create",
                UpdateType::Change => "Change",
            };
            (expected_text.as_deref() == Some(actual)) != negate
        }
        "comment_is_public" => {
            let holds = match (&context.comment, expected_text.as_deref()) {
                (None, _) => false,
                (Some(comment), Some("true")) => comment.public,
                (Some(comment), Some("false")) => !comment.public,
                (Some(_), Some("not_relevant")) => true,
                (Some(comment), Some("requester_can_see_comment")) => comment.public,
                _ => false,
            };
            holds != negate
        }
        "comment_includes_word" => {
            let body = context
                .comment
                .as_ref()
                .map(|comment| comment.body.to_lowercase());
            includes_word(body.as_deref(), expected_text.as_deref()) != negate
        }
        "subject_includes_word" => {
            let subject = facts.state.subject.as_deref().map(str::to_lowercase);
            includes_word(subject.as_deref(), expected_text.as_deref()) != negate
        }
        "current_via_id" => {
            (expected_text.as_deref() == Some(context.actor.via_id.to_string().as_str())) != negate
        }
        "via_id" => {
            (expected_text.as_deref() == Some(facts.ticket_via_id.to_string().as_str())) != negate
        }
        "role" => {
            let actual = match facts.actor_role {
                Role::EndUser => "end_user",
                Role::Agent => "agent",
                Role::Admin => "admin",
            };
            (expected_text.as_deref() == Some(actual)) != negate
        }
        "current_tags" => {
            let wanted = tickets::normalize_tags(&json!(expected_text.unwrap_or_default()));
            let any_present = wanted.iter().any(|tag| facts.state.tags.contains(tag));
            match operator {
                "includes" => any_present,
                "not_includes" => !any_present,
                _ => false,
            }
        }
        "ticket_is_public" => {
            let actual = if facts.state.is_public {
                "public"
            } else {
                "private"
            };
            (expected_text.as_deref() == Some(actual)) != negate
        }
        _ => generic_condition(field, operator, expected_text.as_deref(), facts),
    }
}

fn includes_word(text: Option<&str>, words: Option<&str>) -> bool {
    let (Some(text), Some(words)) = (text, words) else {
        return false;
    };
    words.split_whitespace().any(|word| {
        text.split(|c: char| !c.is_alphanumeric())
            .any(|token| token == word.to_lowercase())
    })
}

/// The value of a ticket property as text (`None` when empty), or `Err` when the simulator
/// does not model the field.
fn property(state: &TicketState, field: &str) -> Result<Option<String>, ()> {
    let id = |value: Option<u64>| value.map(|id| id.to_string());
    Ok(match field {
        "status" => Some(state.status.clone()),
        "priority" => state.priority.clone(),
        "type" | "ticket_type_id" => state.kind.clone(),
        "group_id" => id(state.group_id),
        "assignee_id" => id(state.assignee_id),
        "requester_id" => Some(state.requester_id.to_string()),
        "organization_id" => id(state.organization_id),
        "ticket_form_id" => Some(state.ticket_form_id.to_string()),
        "subject" => state.subject.clone(),
        other => {
            let Some(field_id) = other
                .strip_prefix("custom_fields_")
                .and_then(|id| id.parse::<u64>().ok())
            else {
                return Err(());
            };
            state
                .custom_fields
                .get(&field_id)
                .and_then(|value| match value {
                    Value::Array(items) => Some(
                        items
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                    Value::Bool(flag) => Some(flag.to_string()),
                    other => value_text(other),
                })
        }
    })
}

fn generic_condition(
    field: &str,
    operator: &str,
    expected: Option<&str>,
    facts: &Facts<'_>,
) -> bool {
    let Ok(current) = property(facts.state, field) else {
        return false;
    };
    let previous = match &facts.context.previous {
        Some(state) => property(state, field).ok().flatten(),
        None => None,
    };
    // Value words Zendesk uses in conditions.
    let expected: Option<String> = match expected {
        Some("current_user") => Some(facts.context.actor.user_id.to_string()),
        Some("requester_id") => Some(facts.state.requester_id.to_string()),
        Some("") | None => None,
        Some(other) => Some(other.to_owned()),
    };
    let created = facts.context.previous.is_none();
    let changed = if created {
        current.is_some()
    } else {
        previous != current
    };
    let rank = |value: &Option<String>| -> Option<usize> {
        let value = value.as_deref()?;
        status_rank(value).or_else(|| {
            ["low", "normal", "high", "urgent"]
                .iter()
                .position(|known| *known == value)
        })
    };
    match operator {
        "is" | "value" => current == expected,
        "is_not" | "not_value" => current != expected,
        "value_previous" => !created && previous == expected,
        "not_value_previous" => created || previous != expected,
        "changed" => changed,
        "not_changed" => !changed,
        "present" => current.is_some(),
        "not_present" => current.is_none(),
        "less_than" => matches!((rank(&current), rank(&expected)), (Some(a), Some(b)) if a < b),
        "greater_than" => matches!((rank(&current), rank(&expected)), (Some(a), Some(b)) if a > b),
        "includes" => current.is_some_and(|text| {
            expected.is_some_and(|wanted| text.split(' ').any(|word| word == wanted))
        }),
        "not_includes" => !current.is_some_and(|text| {
            expected.is_some_and(|wanted| text.split(' ').any(|word| word == wanted))
        }),
        _ => false,
    }
}

/// Runs a trigger's actions; returns whether the ticket changed. Webhook notifications are
/// collected for rendering after all triggers ran; email/schedule actions are accepted and
/// do nothing (the simulator sends no email).
fn apply_actions(
    account: &mut Account,
    ticket_id: u64,
    trigger: &Trigger,
    context: &UpdateContext,
    now: Timestamp,
    notifications: &mut Vec<(u64, Value)>,
) -> bool {
    let Some(before) = account
        .tickets
        .get(&ticket_id)
        .map(|ticket| ticket.state.clone())
    else {
        return false;
    };
    let mut state = before.clone();
    for action in &trigger.actions {
        let field = action.get("field").and_then(Value::as_str).unwrap_or("");
        let value = action.get("value").cloned().unwrap_or(Value::Null);
        let text = value_text(&value);
        match field {
            "notification_webhook" => notifications.push((trigger.id, value)),
            "current_tags" => tickets::add_tags(&mut state, &tickets::normalize_tags(&value)),
            "set_tags" => state.tags = tickets::normalize_tags(&value),
            "remove_tags" => tickets::remove_tags(&mut state, &tickets::normalize_tags(&value)),
            "status" => {
                if let Some(status) = text.filter(|status| status_rank(status).is_some()) {
                    state.status = status;
                }
            }
            "priority" => state.priority = text.filter(|text| !text.is_empty()),
            "type" => state.kind = text.filter(|text| !text.is_empty()),
            "group_id" => state.group_id = text.and_then(|text| text.parse().ok()),
            "assignee_id" => {
                state.assignee_id = match text.as_deref() {
                    Some("current_user") => Some(context.actor.user_id),
                    Some(id) => id.parse().ok(),
                    None => None,
                }
            }
            "ticket_form_id" => {
                if let Some(id) = text.and_then(|text| text.parse().ok()) {
                    state.ticket_form_id = id;
                }
            }
            other => {
                if let Some(field_id) = other
                    .strip_prefix("custom_fields_")
                    .and_then(|id| id.parse::<u64>().ok())
                {
                    // An action setting an invalid value does nothing, like a dropped API value.
                    let _ = tickets::set_custom_field(account, &mut state, field_id, &value);
                }
            }
        }
    }
    let changes = tickets::changes(&before, &state);
    if changes.is_empty() {
        return false;
    }
    let mut events: Vec<Value> = Vec::new();
    for (field_name, previous, current) in changes {
        events.push(json!({
            "id": account.next_id(),
            "type": "Change",
            "value": current,
            "field_name": field_name,
            "previous_value": previous,
            "via": {"channel": "rule", "source": {"from": {"id": trigger.id, "title": trigger.title}, "rel": "trigger"}},
        }));
    }
    if let Some(ticket) = account.tickets.get_mut(&ticket_id) {
        ticket.state = state;
        ticket.updated_at = now;
        if let Some(audit) = ticket
            .audits
            .iter_mut()
            .find(|audit| audit.id == context.audit_id)
        {
            audit.events.extend(events);
        }
    }
    true
}

/// Builds the delivery for a `notification_webhook` action `[webhook_id, body]`. A missing
/// or inactive webhook means no delivery, as in Zendesk, and so does a webhook subscribed
/// to Zendesk events: triggers only call webhooks connected to triggers (FACTS §6).
fn notification(
    account: &mut Account,
    ticket_id: u64,
    trigger_id: u64,
    value: &Value,
    context: &UpdateContext,
    now: Timestamp,
) -> Option<Dispatch> {
    let items = value.as_array()?;
    let webhook_id = items.first()?.as_str()?;
    let webhook = account.webhooks.get(webhook_id)?.clone();
    if webhook.status != "active" || webhook.connection() != Connection::Triggers {
        return None;
    }
    let ticket = account.tickets.get(&ticket_id)?;
    let actor = account.users.get(&context.actor.user_id)?;
    let scope = placeholders::Scope::new(account, ticket, actor);
    let json_format = webhook.request_format == "json";
    let (body, pairs) = match items.get(1) {
        Some(Value::String(template)) => (
            placeholders::render(template, &scope, json_format),
            Vec::new(),
        ),
        Some(Value::Array(pairs)) => {
            let rendered = pairs
                .iter()
                .filter_map(|pair| {
                    let pair = pair.as_array()?;
                    let key = pair.first()?.as_str()?;
                    let value = pair.get(1).and_then(Value::as_str).unwrap_or("");
                    Some((key.to_owned(), placeholders::render(value, &scope, false)))
                })
                .collect();
            (String::new(), rendered)
        }
        _ => (String::new(), Vec::new()),
    };
    Some(delivery::prepare(
        account,
        &webhook,
        body,
        pairs,
        DispatchOrigin::Trigger {
            trigger_id,
            ticket_id,
        },
        now,
    ))
}
