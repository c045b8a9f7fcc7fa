//! Tickets (FACTS §3, §4): create/update/list/delete, idempotency, requesters, tags,
//! custom field validation, closed tickets, the comment cap, and ticket field pagination.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::Harness;

#[tokio::test]
async fn create_answers_201_with_location_ticket_and_audit() {
    let harness = Harness::minimal();
    let answer = harness
        .admin_request(Method::POST, "/api/v2/tickets.json")
        .json(json!({"ticket": {"subject": "Help", "comment": {"body": "Line one\n\nLine two"}, "external_id": "session-1"}}))
        .send()
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let body = answer.json();
    let id = body["ticket"]["id"].as_u64().unwrap();
    assert_eq!(
        answer.header("location"),
        Some(format!("http://127.0.0.1:3000/api/v2/tickets/{id}.json").as_str())
    );
    assert_eq!(body["ticket"]["status"], json!("new"));
    assert_eq!(body["ticket"]["via"]["channel"], json!("api"));
    assert_eq!(body["ticket"]["description"], json!("Line one\n\nLine two"));
    let events = body["audit"]["events"].as_array().unwrap();
    assert_eq!(events[0]["type"], json!("Comment"));
    assert_eq!(
        events[0]["html_body"],
        json!("<div class=\"zd-comment\" dir=\"auto\"><p dir=\"auto\">Line one</p>\n\n<p dir=\"auto\">Line two</p></div>")
    );
    assert!(events[1..]
        .iter()
        .all(|event| event["type"] == json!("Create")));
    // Legacy `description` instead of `comment` is the first comment.
    let legacy = harness
        .create_ticket(json!({"subject": "test", "description": "test"}))
        .await;
    assert_eq!(harness.ticket(legacy).await["description"], json!("test"));
    // No comment at all is refused.
    let refused = harness
        .admin_request(Method::POST, "/api/v2/tickets.json")
        .json(json!({"ticket": {"subject": "empty"}}))
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Anonymous callers cannot create tickets.
    let anonymous = harness
        .request(Method::POST, "/api/v2/tickets.json")
        .json(json!({"ticket": {"comment": {"body": "x"}}}))
        .send()
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn idempotency_key_replays_the_first_answer() {
    let harness = Harness::minimal();
    let body = json!({"ticket": {"subject": "Once", "comment": {"body": "only once"}}});
    // (request body, expected status, expected lookup header, same ticket as the first)
    let table = [
        (body.clone(), 201, Some("miss")),
        (body.clone(), 201, Some("hit")),
        (
            json!({"ticket": {"subject": "Other", "comment": {"body": "different"}}}),
            400,
            None,
        ),
    ];
    let mut first_id = None;
    for (request, status, lookup) in table {
        let answer = harness
            .admin_request(Method::POST, "/api/v2/tickets.json")
            .header("idempotency-key", "handoff-session-7")
            .json(request)
            .send()
            .await;
        assert_eq!(answer.status.as_u16(), status, "{}", answer.text());
        assert_eq!(answer.header("x-idempotency-lookup"), lookup);
        if status == 201 {
            let id = answer.json()["ticket"]["id"].as_u64();
            first_id.get_or_insert(id);
            assert_eq!(Some(id), first_id, "a replay returns the original ticket");
        }
    }
    let all = harness
        .admin_request(Method::GET, "/api/v2/tickets.json")
        .send()
        .await
        .json();
    assert_eq!(
        all["count"],
        json!(2),
        "the sample ticket and exactly one created ticket"
    );
}

#[tokio::test]
async fn an_unknown_requester_is_created_and_a_known_one_reused() {
    let harness = Harness::minimal();
    let first = harness.create_ticket(json!({"comment": {"body": "a"}, "requester": {"name": "New Person", "email": "new.person@example.org"}})).await;
    let second = harness.create_ticket(json!({"comment": {"body": "b"}, "requester": {"name": "Renamed", "email": "NEW.PERSON@example.org"}})).await;
    let first = harness.ticket(first).await["requester_id"]
        .as_u64()
        .unwrap();
    let second = harness.ticket(second).await["requester_id"]
        .as_u64()
        .unwrap();
    assert_eq!(first, second, "matched by email, case-insensitively");
    let user = harness
        .admin_request(Method::GET, &format!("/api/v2/users/{first}.json"))
        .send()
        .await
        .json();
    assert_eq!(user["user"]["name"], json!("New Person"));
    assert_eq!(user["user"]["role"], json!("end-user"));
    let found = harness
        .admin_request(
            Method::GET,
            "/api/v2/users/search.json?query=email:new.person@example.org",
        )
        .send()
        .await
        .json();
    assert_eq!(found["users"].as_array().unwrap().len(), 1);
}

/// The users in the account, by the users list.
async fn user_count(harness: &Harness) -> usize {
    harness
        .admin_request(Method::GET, "/api/v2/users.json")
        .send()
        .await
        .json()["count"]
        .as_u64()
        .unwrap() as usize
}

#[tokio::test]
async fn a_requester_email_is_validated_as_the_user_endpoints_validate_it() {
    // The users endpoints are the reference (FACTS §2): whatever they refuse, a ticket's
    // `requester.email` refuses too, under `requester` with Zendesk's "Requester: " prefix
    // (`{"requester":[{"description":"Requester: Email:  x is not properly formatted"}]}`
    // is what integrations record from Zendesk), and no user is created.
    // (email, whether the users endpoint must accept it)
    let table = [
        ("not-an-email", false),
        ("jon@example", false),
        ("@example.com", false),
        ("jon@", false),
        ("jon @example.com", false),
        ("jon@exa mple.com", false),
        ("", false),
        ("jon@example.com", true),
        ("first.last+tag@mail.example.org", true),
    ];
    let users = Harness::minimal();
    let tickets = Harness::minimal();
    let mut failures = Vec::new();
    for (email, valid) in table {
        let by_users = users
            .admin_request(Method::POST, "/api/v2/users.json")
            .json(json!({"user": {"name": "Jon", "email": email}}))
            .send()
            .await;
        if (by_users.status == StatusCode::CREATED) != valid {
            failures.push(format!(
                "users endpoint on {email:?}: {} {}",
                by_users.status,
                by_users.text()
            ));
            continue;
        }
        let before = user_count(&tickets).await;
        let by_tickets = tickets
            .admin_request(Method::POST, "/api/v2/tickets.json")
            .json(json!({"ticket": {"subject": "Help", "comment": {"body": "b"}, "requester": {"name": "Jon", "email": email}}}))
            .send()
            .await;
        let created = user_count(&tickets).await - before;
        if valid {
            if by_tickets.status != StatusCode::CREATED || created != 1 {
                failures.push(format!(
                    "ticket with requester {email:?}: {} ({created} users created) {}",
                    by_tickets.status,
                    by_tickets.text()
                ));
            }
            continue;
        }
        let reference = by_users.json();
        let description = reference["details"]["email"][0]["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let expected = json!({
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {"requester": [{"description": format!("Requester: {description}")}]},
        });
        if by_tickets.status != StatusCode::UNPROCESSABLE_ENTITY
            || by_tickets.json() != expected
            || created != 0
        {
            failures.push(format!(
                "ticket with requester {email:?}: {} ({created} users created) {}, expected {expected}",
                by_tickets.status,
                by_tickets.text()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn tags_replace_add_and_remove() {
    let harness = Harness::minimal();
    let ticket = harness
        .create_ticket(json!({"comment": {"body": "b"}, "tags": ["one", "two"]}))
        .await;
    // (update, tags afterwards)
    let table = [
        (
            json!({"additional_tags": ["three", "one"]}),
            json!(["one", "two", "three"]),
        ),
        (json!({"remove_tags": ["two"]}), json!(["one", "three"])),
        (json!({"tags": ["Fresh Start"]}), json!(["fresh", "start"])),
        (
            json!({"additional_tags": "vip"}),
            json!(["fresh", "start", "vip"]),
        ),
        (json!({"tags": []}), json!([])),
    ];
    for (update, expected) in table {
        let answer = harness
            .admin_request(Method::PUT, &format!("/api/v2/tickets/{ticket}.json"))
            .json(json!({"ticket": update}))
            .send()
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json()["ticket"]["tags"], expected, "{update}");
    }
}

async fn custom_fields(harness: &Harness) -> (u64, u64) {
    let dropdown = harness
        .admin_request(Method::POST, "/api/v2/ticket_fields.json")
        .json(json!({"ticket_field": {"type": "tagger", "title": "Channel", "custom_field_options": [{"name": "Chat", "value": "channel_chat"}, {"name": "Voice", "value": "channel_voice"}]}}))
        .send()
        .await;
    assert_eq!(dropdown.status, StatusCode::CREATED);
    let date = harness
        .admin_request(Method::POST, "/api/v2/ticket_fields.json")
        .json(json!({"ticket_field": {"type": "date", "title": "Follow-up"}}))
        .send()
        .await;
    (
        dropdown.json()["ticket_field"]["id"].as_u64().unwrap(),
        date.json()["ticket_field"]["id"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn custom_field_values_are_validated_like_zendesk() {
    let harness = Harness::minimal();
    let (dropdown, date) = custom_fields(&harness).await;
    let ticket = harness.create_ticket(json!({"comment": {"body": "b"}, "custom_fields": [{"id": dropdown, "value": "channel_chat"}]})).await;
    let value_of = |ticket: &Value, id: u64| {
        ticket["custom_fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|field| field["id"] == json!(id))
            .map(|field| field["value"].clone())
    };
    let shown = harness.ticket(ticket).await;
    assert_eq!(value_of(&shown, dropdown), Some(json!("channel_chat")));
    assert!(
        shown["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("channel_chat")),
        "the option's tag is on the ticket"
    );
    // (custom_fields written, status, dropdown afterwards, date afterwards)
    let table = [
        (
            json!([{"id": dropdown, "value": "Voice"}]),
            200,
            json!("channel_chat"),
            Value::Null,
        ),
        (
            json!([{"id": dropdown, "value": "channel_voice"}]),
            200,
            json!("channel_voice"),
            Value::Null,
        ),
        (
            json!([{"id": date, "value": "2024-05-01"}]),
            200,
            json!("channel_voice"),
            json!("2024-05-01"),
        ),
        (
            json!([{"id": date, "value": "2024-05-01T10:00:00Z"}]),
            422,
            json!("channel_voice"),
            json!("2024-05-01"),
        ),
        (
            json!([{"id": 999, "value": "ignored"}]),
            200,
            json!("channel_voice"),
            json!("2024-05-01"),
        ),
    ];
    for (fields, status, dropdown_after, date_after) in table {
        let answer = harness
            .admin_request(Method::PUT, &format!("/api/v2/tickets/{ticket}.json"))
            .json(json!({"ticket": {"custom_fields": fields}}))
            .send()
            .await;
        assert_eq!(answer.status.as_u16(), status, "{fields}");
        if status == 422 {
            let body = answer.json();
            assert_eq!(body["error"], json!("RecordInvalid"));
            assert_eq!(body["details"]["base"][0]["error"], json!("InvalidValue"));
            assert_eq!(body["details"]["base"][0]["field_key"], json!(date));
        }
        let shown = harness.ticket(ticket).await;
        assert_eq!(
            value_of(&shown, dropdown),
            Some(dropdown_after.clone()),
            "{fields}"
        );
        assert_eq!(value_of(&shown, date), Some(date_after), "{fields}");
        let tags = shown["tags"].as_array().unwrap().clone();
        assert!(tags.contains(&dropdown_after), "{fields}: {tags:?}");
    }
}

#[tokio::test]
async fn closed_tickets_refuse_updates() {
    let harness = Harness::minimal();
    let ticket = harness
        .create_ticket(json!({"comment": {"body": "b"}}))
        .await;
    let close = harness
        .admin_request(Method::PUT, &format!("/api/v2/tickets/{ticket}.json"))
        .json(json!({"ticket": {"status": "closed"}}))
        .send()
        .await;
    assert_eq!(close.status, StatusCode::OK);
    let refused = harness
        .admin_request(Method::PUT, &format!("/api/v2/tickets/{ticket}.json"))
        .json(json!({"ticket": {"comment": {"body": "too late"}}}))
        .send()
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"], json!("RecordInvalid"));
    assert_eq!(
        refused.json()["details"]["status"][0]["description"],
        json!("Status: closed prevents ticket update")
    );
    let agent = harness
        .agent_comment(ticket, "agent@example.com", "also too late", true, "web")
        .await;
    assert_eq!(
        agent.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the UI path refuses the same way"
    );
}

#[tokio::test]
async fn comments_stop_at_5000() {
    let harness = Harness::minimal();
    let ticket = harness
        .create_ticket(json!({"comment": {"body": "first"}}))
        .await;
    for index in 1..5000 {
        let answer = harness
            .agent_comment(
                ticket,
                "agent@example.com",
                &format!("c{index}"),
                false,
                "web",
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "comment {index}");
    }
    let refused = harness
        .agent_comment(ticket, "agent@example.com", "one too many", false, "web")
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let without_comment = harness
        .admin_request(Method::PUT, &format!("/api/v2/tickets/{ticket}.json"))
        .json(json!({"ticket": {"priority": "high"}}))
        .send()
        .await;
    assert_eq!(
        without_comment.status,
        StatusCode::OK,
        "updates without a comment still work"
    );
    let page = harness
        .admin_request(
            Method::GET,
            &format!("/api/v2/tickets/{ticket}/comments.json?page%5Bsize%5D=100"),
        )
        .send()
        .await
        .json();
    assert_eq!(page["meta"]["has_more"], json!(true));
}

#[tokio::test]
async fn list_by_external_id_comments_and_delete() {
    let harness = Harness::minimal();
    let first = harness
        .create_ticket(json!({"comment": {"body": "a"}, "external_id": "conv-9"}))
        .await;
    let second = harness
        .create_ticket(json!({"comment": {"body": "b"}, "external_id": "conv-9"}))
        .await;
    harness
        .create_ticket(json!({"comment": {"body": "c"}, "external_id": "conv-10"}))
        .await;
    let listed = harness
        .admin_request(Method::GET, "/api/v2/tickets.json?external_id=conv-9")
        .send()
        .await
        .json();
    let ids: Vec<u64> = listed["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ticket| ticket["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![first, second], "external ids are not unique");
    harness
        .agent_comment(
            first,
            "light.agent@example.com",
            "light agents only write notes",
            true,
            "web",
        )
        .await;
    let comments = harness
        .admin_request(
            Method::GET,
            &format!("/api/v2/tickets/{first}/comments.json"),
        )
        .send()
        .await
        .json();
    let comments = comments["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(
        comments[1]["public"],
        json!(false),
        "a light agent's comment is private"
    );
    assert_eq!(comments[1]["via"]["channel"], json!("web"));
    let deleted = harness
        .admin_request(Method::DELETE, &format!("/api/v2/tickets/{first}.json"))
        .send()
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.body.is_empty());
    let gone = harness
        .admin_request(Method::GET, &format!("/api/v2/tickets/{first}.json"))
        .send()
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        gone.json(),
        json!({"error": "RecordNotFound", "description": "Not found"})
    );
}

#[tokio::test]
async fn unpermitted_keys_are_reported_in_a_header() {
    let harness = Harness::minimal();
    let ticket = harness
        .create_ticket(json!({"comment": {"body": "b"}}))
        .await;
    let answer = harness
        .admin_request(Method::PUT, &format!("/api/v2/tickets/{ticket}.json"))
        .json(json!({"ticket": {"id": ticket, "subject": "new"}}))
        .send()
        .await;
    assert_eq!(
        answer.header("x-zendesk-api-warn"),
        Some("{:allowed_parameters=>{:controller=>\"tickets\", :action=>\"update\", :unpermitted_keys=>[\"ticket.id\"], :invalid_values=>[]}}")
    );
}

#[tokio::test]
async fn ticket_fields_paginate_by_cursor_or_not_at_all() {
    let harness = Harness::with_config(zendesk_sim::SimConfig::default());
    let all = harness
        .admin_request(Method::GET, "/api/v2/ticket_fields.json")
        .send()
        .await
        .json();
    assert_eq!(all["count"], json!(89));
    assert_eq!(all["next_page"], Value::Null);
    assert_eq!(all["previous_page"], Value::Null);
    let mut seen = 0;
    let mut path = "/api/v2/ticket_fields.json?page%5Bsize%5D=40".to_owned();
    let mut pages = 0;
    loop {
        let page = harness
            .admin_request(Method::GET, &path)
            .send()
            .await
            .json();
        pages += 1;
        seen += page["ticket_fields"].as_array().unwrap().len();
        assert!(
            page["links"]["next"].is_string(),
            "links.next is present even on the last page"
        );
        if page["meta"]["has_more"] == json!(false) {
            break;
        }
        let next = page["links"]["next"].as_str().unwrap();
        path = next
            .strip_prefix("http://127.0.0.1:3000")
            .unwrap()
            .to_owned();
    }
    assert_eq!((seen, pages), (89, 3));
    let too_big = harness
        .admin_request(Method::GET, "/api/v2/ticket_fields.json?page%5Bsize%5D=101")
        .send()
        .await;
    assert_eq!(too_big.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn offset_pagination_links_and_depth_limit() {
    let harness = Harness::with_config(zendesk_sim::SimConfig {
        seed: zendesk_sim::Seed::Generated {
            tickets: 0,
            users: 250,
            fields: 0,
        },
        ..zendesk_sim::SimConfig::default()
    });
    let first = harness
        .admin_request(Method::GET, "/api/v2/users.json?per_page=100")
        .send()
        .await
        .json();
    assert_eq!(first["count"], json!(255));
    assert_eq!(first["users"].as_array().unwrap().len(), 100);
    assert_eq!(
        first["next_page"],
        json!("http://127.0.0.1:3000/api/v2/users.json?page=2&per_page=100")
    );
    assert_eq!(first["previous_page"], Value::Null);
    let last = harness
        .admin_request(Method::GET, "/api/v2/users.json?page=3&per_page=100")
        .send()
        .await
        .json();
    assert_eq!(last["users"].as_array().unwrap().len(), 55);
    assert_eq!(last["next_page"], Value::Null);
    // (page, per_page, status): beyond 10,000 records offset pagination answers 400.
    let table = [
        (100, 100, 200),
        (101, 100, 400),
        (10_001, 1, 400),
        (10_000, 1, 200),
    ];
    for (page, per_page, status) in table {
        let answer = harness
            .admin_request(
                Method::GET,
                &format!("/api/v2/users.json?page={page}&per_page={per_page}"),
            )
            .send()
            .await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "page {page} per_page {per_page}"
        );
        if status == 400 {
            assert_eq!(answer.json()["error"], json!("InvalidPaginationDepth"));
        }
    }
}

/// OAS `via_followup_source_id`: "only works with closed tickets. It has no effect with other tickets"; the
/// closed ticket lists its follow-ups in `followup_ids`.
#[tokio::test]
async fn follow_ups_link_only_closed_tickets() {
    let harness = Harness::minimal();
    let closed = harness
        .create_ticket(json!({"comment": {"body": "first"}}))
        .await;
    let open = harness
        .create_ticket(json!({"comment": {"body": "still open"}}))
        .await;
    let close = harness
        .admin_request(Method::PUT, &format!("/api/v2/tickets/{closed}.json"))
        .json(json!({"ticket": {"status": "closed"}}))
        .send()
        .await;
    assert_eq!(close.status, StatusCode::OK);

    // (source, whether the new ticket follows it up)
    for (source, linked) in [(closed, true), (open, false)] {
        let created = harness
            .admin_request(Method::POST, "/api/v2/tickets.json")
            .json(
                json!({"ticket": {"comment": {"body": "again"}, "via_followup_source_id": source}}),
            )
            .send()
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
        let new_id = created.json()["ticket"]["id"].as_u64().unwrap();
        let via = created.json()["ticket"]["via"].clone();
        let shown = harness
            .admin_request(Method::GET, &format!("/api/v2/tickets/{source}.json"))
            .send()
            .await
            .json();
        if linked {
            assert_eq!(shown["ticket"]["followup_ids"], json!([new_id]));
            assert_eq!(via["source"]["rel"], json!("follow_up"));
            assert_eq!(via["source"]["from"]["ticket_id"], json!(source));
        } else {
            assert_eq!(shown["ticket"]["followup_ids"], json!([]));
            assert_eq!(via["source"]["rel"], json!(null));
        }
    }
}
