//! Trigger evaluation: conditions × ticket updates → fired or not (FACTS §6), chaining,
//! and the triggers API.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::Harness;

/// How the ticket is touched after the trigger exists.
#[derive(Clone, Copy, Debug)]
enum Update {
    /// The admin creates a ticket through the API.
    CreateByApi,
    /// The full agent adds a public comment in the web UI.
    AgentPublicWeb,
    /// The full agent adds an internal note in the web UI.
    AgentPrivateWeb,
    /// The full agent adds a public comment through the API (via 5).
    AgentPublicApi,
    /// The end user (the requester) comments.
    EndUserComment,
    /// The admin sets the status to solved through the API, without a comment.
    SolveByApi,
}

async fn fired(conditions: Value, update: Update) -> bool {
    let harness = Harness::minimal();
    let agent = harness.agent("agent@example.com");
    let ticket_input = json!({
        "subject": "Printer on fire",
        "comment": {"body": "It is on fire"},
        "requester": {"name": "Erin Enduser", "email": "customer@example.com"},
        "assignee_id": agent.user_id,
        "tags": ["vip"],
    });
    let existing = match update {
        Update::CreateByApi => None,
        _ => Some(harness.create_ticket(ticket_input.clone()).await),
    };
    harness
        .create_trigger(json!({"title": "under test", "conditions": conditions, "actions": [{"field": "current_tags", "value": "fired"}]}))
        .await;
    let ticket = match (update, existing) {
        (Update::CreateByApi, _) => harness.create_ticket(ticket_input).await,
        (_, Some(ticket)) => {
            let answer = match update {
                Update::AgentPublicWeb => {
                    harness
                        .agent_comment(ticket, "agent@example.com", "Looking", true, "web")
                        .await
                }
                Update::AgentPrivateWeb => {
                    harness
                        .agent_comment(ticket, "agent@example.com", "Note to self", false, "web")
                        .await
                }
                Update::AgentPublicApi => {
                    harness
                        .agent_comment(ticket, "agent@example.com", "Looking", true, "api")
                        .await
                }
                Update::EndUserComment => {
                    harness
                        .agent_comment(ticket, "customer@example.com", "Still on fire", true, "web")
                        .await
                }
                Update::SolveByApi => {
                    harness
                        .admin_request(Method::PUT, &format!("/api/v2/tickets/{ticket}.json"))
                        .json(json!({"ticket": {"status": "solved"}}))
                        .send()
                        .await
                }
                Update::CreateByApi => unreachable!(),
            };
            assert_eq!(
                answer.status,
                StatusCode::OK,
                "{update:?}: {}",
                answer.text()
            );
            ticket
        }
        (_, None) => unreachable!(),
    };
    let tags = harness.ticket(ticket).await["tags"].clone();
    tags.as_array().unwrap().contains(&json!("fired"))
}

fn all(conditions: Value) -> Value {
    json!({"all": conditions, "any": []})
}

#[tokio::test]
async fn conditions_against_updates() {
    use Update::*;
    let cond = |field: &str, operator: &str, value: Value| json!({"field": field, "operator": operator, "value": value});
    let table: Vec<(&str, Value, Update, bool)> = vec![
        (
            "created, on create",
            all(json!([cond("update_type", "is", json!("Create"))])),
            CreateByApi,
            true,
        ),
        (
            "created, on a comment",
            all(json!([cond("update_type", "is", json!("Create"))])),
            AgentPublicWeb,
            false,
        ),
        (
            "updated, on a comment",
            all(json!([cond("update_type", "is", json!("Change"))])),
            AgentPublicWeb,
            true,
        ),
        (
            "updated, on create",
            all(json!([cond("update_type", "is", json!("Change"))])),
            CreateByApi,
            false,
        ),
        (
            "public comment (string), internal note",
            all(json!([cond("comment_is_public", "is", json!("true"))])),
            AgentPrivateWeb,
            false,
        ),
        (
            "public comment (string), public reply",
            all(json!([cond("comment_is_public", "is", json!("true"))])),
            AgentPublicWeb,
            true,
        ),
        (
            "public comment (bool), public reply",
            all(json!([cond("comment_is_public", "is", json!(true))])),
            AgentPublicWeb,
            true,
        ),
        (
            "private comment (bool), internal note",
            all(json!([cond("comment_is_public", "is", json!(false))])),
            AgentPrivateWeb,
            true,
        ),
        (
            "private comment, public reply",
            all(json!([cond("comment_is_public", "is", json!("false"))])),
            AgentPublicWeb,
            false,
        ),
        (
            "any comment, internal note",
            all(json!([cond(
                "comment_is_public",
                "is",
                json!("not_relevant")
            )])),
            AgentPrivateWeb,
            true,
        ),
        (
            "any comment, no comment",
            all(json!([cond(
                "comment_is_public",
                "is",
                json!("not_relevant")
            )])),
            SolveByApi,
            false,
        ),
        (
            "requester can see, public reply",
            all(json!([cond(
                "comment_is_public",
                "is",
                json!("requester_can_see_comment")
            )])),
            AgentPublicWeb,
            true,
        ),
        (
            "requester can see, internal note",
            all(json!([cond(
                "comment_is_public",
                "is",
                json!("requester_can_see_comment")
            )])),
            AgentPrivateWeb,
            false,
        ),
        (
            "loop guard (via is not API), API comment",
            all(json!([cond("current_via_id", "is_not", json!("5"))])),
            AgentPublicApi,
            false,
        ),
        (
            "loop guard (via is not API), web comment",
            all(json!([cond("current_via_id", "is_not", json!("5"))])),
            AgentPublicWeb,
            true,
        ),
        (
            "via is web form",
            all(json!([cond("current_via_id", "is", json!(0))])),
            AgentPublicWeb,
            true,
        ),
        (
            "role is end user, requester comment",
            all(json!([cond("role", "is", json!("end_user"))])),
            EndUserComment,
            true,
        ),
        (
            "role is not end user, requester comment",
            all(json!([cond("role", "is_not", json!("end_user"))])),
            EndUserComment,
            false,
        ),
        (
            "role is agent, agent comment",
            all(json!([cond("role", "is", json!("agent"))])),
            AgentPublicWeb,
            true,
        ),
        (
            "role is admin, admin solves",
            all(json!([cond("role", "is", json!("admin"))])),
            SolveByApi,
            true,
        ),
        (
            "tags include one of",
            all(json!([cond(
                "current_tags",
                "includes",
                json!("other vip")
            )])),
            AgentPublicWeb,
            true,
        ),
        (
            "tags include none of",
            all(json!([cond("current_tags", "not_includes", json!("vip"))])),
            AgentPublicWeb,
            false,
        ),
        (
            "status is solved",
            all(json!([cond("status", "is", json!("solved"))])),
            SolveByApi,
            true,
        ),
        (
            "status is not solved",
            all(json!([cond("status", "is_not", json!("solved"))])),
            AgentPublicWeb,
            true,
        ),
        (
            "status changed, comment only",
            all(json!([cond("status", "changed", Value::Null)])),
            AgentPublicWeb,
            false,
        ),
        (
            "status changed, solved",
            all(json!([cond("status", "changed", Value::Null)])),
            SolveByApi,
            true,
        ),
        (
            "status less than solved",
            all(json!([cond("status", "less_than", json!("solved"))])),
            AgentPublicWeb,
            true,
        ),
        (
            "status greater than open",
            all(json!([cond("status", "greater_than", json!("open"))])),
            SolveByApi,
            true,
        ),
        (
            "status was open",
            all(json!([cond("status", "value_previous", json!("open"))])),
            SolveByApi,
            true,
        ),
        (
            "requester is current user",
            all(json!([cond("requester_id", "is", json!("current_user"))])),
            EndUserComment,
            true,
        ),
        (
            "requester is not current user, agent",
            all(json!([cond(
                "requester_id",
                "is_not",
                json!("current_user")
            )])),
            AgentPublicWeb,
            true,
        ),
        (
            "assignee is current user",
            all(json!([cond("assignee_id", "is", json!("current_user"))])),
            AgentPublicWeb,
            true,
        ),
        (
            "assignee is current user, end user",
            all(json!([cond("assignee_id", "is", json!("current_user"))])),
            EndUserComment,
            false,
        ),
        (
            "a field the simulator does not model",
            all(json!([cond(
                "organization.custom_fields.account_type",
                "is",
                json!("x")
            )])),
            AgentPublicWeb,
            false,
        ),
        (
            "any: one of two holds",
            json!({"all": [], "any": [cond("status", "is", json!("closed")), cond("update_type", "is", json!("Change"))]}),
            AgentPublicWeb,
            true,
        ),
        (
            "any: none holds",
            json!({"all": [], "any": [cond("status", "is", json!("closed")), cond("update_type", "is", json!("Create"))]}),
            AgentPublicWeb,
            false,
        ),
        (
            "the handoff relay trigger, agent reply",
            all(json!([
                cond("update_type", "is", json!("Change")),
                cond("comment_is_public", "is", json!(true)),
                cond("current_via_id", "is_not", json!("5"))
            ])),
            AgentPublicWeb,
            true,
        ),
        (
            "the handoff relay trigger, own API comment",
            all(json!([
                cond("update_type", "is", json!("Change")),
                cond("comment_is_public", "is", json!(true)),
                cond("current_via_id", "is_not", json!("5"))
            ])),
            AgentPublicApi,
            false,
        ),
    ];
    let mut failures = Vec::new();
    for (what, conditions, update, expected) in table {
        let actual = fired(conditions, update).await;
        if actual != expected {
            failures.push(format!(
                "{what} ({update:?}): expected fired={expected}, got {actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn one_triggers_actions_make_another_match() {
    let harness = Harness::minimal();
    // The first trigger (by position) needs a tag only the second one adds.
    harness
        .create_trigger(json!({"title": "second stage", "position": 1, "conditions": {"all": [{"field": "current_tags", "operator": "includes", "value": "stage_one"}]}, "actions": [{"field": "current_tags", "value": "stage_two"}]}))
        .await;
    harness
        .create_trigger(json!({"title": "first stage", "position": 2, "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]}, "actions": [{"field": "current_tags", "value": "stage_one"}, {"field": "priority", "value": "high"}]}))
        .await;
    let ticket = harness
        .create_ticket(json!({"subject": "s", "comment": {"body": "b"}}))
        .await;
    let ticket = harness.ticket(ticket).await;
    assert_eq!(ticket["tags"], json!(["stage_one", "stage_two"]));
    assert_eq!(ticket["priority"], json!("high"));
}

#[tokio::test]
async fn triggers_api_follows_the_recordings() {
    let harness = Harness::minimal();
    // Legacy top-level `all` is normalized; the default category is applied.
    let created = harness
        .admin_request(Method::POST, "/api/v2/triggers.json")
        .json(json!({"trigger": {"title": "legacy", "all": [{"field": "update_type", "operator": "is", "value": "Create"}], "actions": [{"field": "status", "value": "open"}]}}))
        .send()
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let trigger = created.json()["trigger"].clone();
    let id = trigger["id"].as_u64().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("http://127.0.0.1:3000/api/v2/triggers/{id}.json").as_str())
    );
    assert_eq!(
        trigger["conditions"],
        json!({"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []})
    );
    assert_eq!(trigger["category_id"], json!("6130869158682"));
    // PUT replaces conditions and actions wholesale.
    let updated = harness
        .admin_request(Method::PUT, &format!("/api/v2/triggers/{id}.json"))
        .json(json!({"trigger": {"id": id, "conditions": {"any": [{"field": "status", "operator": "is", "value": "open"}]}, "actions": [{"field": "priority", "value": "low"}]}}))
        .send()
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(
        updated.json()["trigger"]["conditions"],
        json!({"all": [], "any": [{"field": "status", "operator": "is", "value": "open"}]})
    );
    assert!(updated
        .header("x-zendesk-api-warn")
        .is_some_and(|warn| warn.contains("trigger.id")));
    // A trigger must keep at least one action.
    let refused = harness
        .admin_request(Method::PUT, &format!("/api/v2/triggers/{id}.json"))
        .json(json!({"trigger": {"actions": []}}))
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"], json!("RecordInvalid"));
    let no_actions = harness
        .admin_request(Method::POST, "/api/v2/triggers.json")
        .json(json!({"trigger": {"title": "t", "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]}, "actions": []}}))
        .send()
        .await;
    assert_eq!(no_actions.status, StatusCode::UNPROCESSABLE_ENTITY);
    let deleted = harness
        .admin_request(Method::DELETE, &format!("/api/v2/triggers/{id}.json"))
        .send()
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = harness
        .admin_request(Method::GET, &format!("/api/v2/triggers/{id}.json"))
        .send()
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

/// What a trigger PUT did: Zendesk's answer, and the trigger as a later GET shows it.
struct PutOutcome {
    status: StatusCode,
    body: Value,
    stored: Value,
}

async fn put_trigger(harness: &Harness, id: u64, trigger: Value) -> PutOutcome {
    let answer = harness
        .admin_request(Method::PUT, &format!("/api/v2/triggers/{id}.json"))
        .json(json!({ "trigger": trigger }))
        .send()
        .await;
    let stored = harness
        .admin_request(Method::GET, &format!("/api/v2/triggers/{id}.json"))
        .send()
        .await
        .json()["trigger"]
        .clone();
    PutOutcome {
        status: answer.status,
        body: answer.json(),
        stored,
    }
}

/// What a trigger PUT must lead to.
enum Expected {
    /// 200, and the trigger then holds these conditions and actions.
    Stored { conditions: Value, actions: Value },
    /// 422 RecordInvalid listing these problems under `base`; the trigger is unchanged.
    Refused(Vec<&'static str>),
}

/// Zendesk's 422 for a trigger left without something it must have (FACTS §3 shape).
fn record_invalid(descriptions: &[&str]) -> Value {
    let problems: Vec<Value> = descriptions
        .iter()
        .map(|description| json!({ "description": description }))
        .collect();
    json!({"error": "RecordInvalid", "description": "Record validation errors", "details": {"base": problems}})
}

#[tokio::test]
async fn a_trigger_put_replaces_conditions_and_actions_together() {
    // OAS `UpdateTrigger`: "Updating a condition or action updates both the conditions and
    // actions arrays, clearing all existing values of both arrays." An update that names
    // neither (title, active, position, ...) leaves both as they are.
    let created =
        json!({"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []});
    let created_actions = json!([{"field": "priority", "value": "high"}]);
    let public = json!({"field": "comment_is_public", "operator": "is", "value": "true"});
    let tag = json!({"field": "current_tags", "value": "relayed"});
    let no_action = "Trigger must contain at least one action";
    let no_condition = "Trigger must contain at least one condition";
    let stored = |conditions: &Value, actions: &Value| Expected::Stored {
        conditions: conditions.clone(),
        actions: actions.clone(),
    };
    // (what the PUT sends, what it leads to, the title afterwards)
    let table = [
        (
            json!({"conditions": {"all": [public], "any": []}, "actions": [tag]}),
            stored(&json!({"all": [public], "any": []}), &json!([tag])),
            "relay",
        ),
        (
            json!({"conditions": {"any": [public]}, "actions": [tag]}),
            stored(&json!({"all": [], "any": [public]}), &json!([tag])),
            "relay",
        ),
        (
            json!({"all": [public], "actions": [tag]}),
            stored(&json!({"all": [public], "any": []}), &json!([tag])),
            "relay",
        ),
        (
            json!({"title": "renamed"}),
            stored(&created, &created_actions),
            "renamed",
        ),
        (
            json!({"active": false, "position": 3}),
            stored(&created, &created_actions),
            "relay",
        ),
        // Half a repair: the conditions clear the actions too, so the trigger is refused
        // and nothing of the update is kept.
        (
            json!({"title": "half", "conditions": {"all": [public]}}),
            Expected::Refused(vec![no_action]),
            "relay",
        ),
        (
            json!({"all": [public]}),
            Expected::Refused(vec![no_action]),
            "relay",
        ),
        (
            json!({"actions": [tag]}),
            Expected::Refused(vec![no_condition]),
            "relay",
        ),
        (
            json!({"conditions": {"all": [public]}, "actions": []}),
            Expected::Refused(vec![no_action]),
            "relay",
        ),
        (
            json!({"conditions": {}, "actions": []}),
            Expected::Refused(vec![no_action, no_condition]),
            "relay",
        ),
    ];
    let harness = Harness::minimal();
    let mut failures = Vec::new();
    for (sent, expected, title) in table {
        let id = harness
            .create_trigger(
                json!({"title": "relay", "conditions": created, "actions": created_actions}),
            )
            .await;
        let outcome = put_trigger(&harness, id, sent.clone()).await;
        let (status, stored) = match &expected {
            Expected::Stored {
                conditions,
                actions,
            } => (StatusCode::OK, (conditions.clone(), actions.clone())),
            Expected::Refused(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                (created.clone(), created_actions.clone()),
            ),
        };
        let seen = (
            outcome.stored["conditions"].clone(),
            outcome.stored["actions"].clone(),
        );
        if outcome.status != status || seen != stored || outcome.stored["title"] != json!(title) {
            failures.push(format!(
                "PUT {sent}: expected {status} storing {stored:?} titled {title}, got {} storing {seen:?} titled {}",
                outcome.status, outcome.stored["title"]
            ));
        }
        if let Expected::Refused(problems) = &expected {
            if outcome.body != record_invalid(problems) {
                failures.push(format!("PUT {sent}: 422 body {}", outcome.body));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
