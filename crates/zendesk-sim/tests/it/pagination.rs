//! Cursor pagination against crafted cursors: whatever a client puts in `page[after]` or
//! `page[before]`, every cursor-paginated list answers a page or Zendesk's invalid-cursor
//! 400, never a panic or a 500 (FACTS §4).

use axum::http::{Method, StatusCode};
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use proptest::prelude::*;
use serde_json::{json, Value};
use zendesk_sim::{Plan, Seed, SimConfig};

use crate::support::Harness;

/// Which answer family a list belongs to: they word an invalid cursor differently.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Family {
    /// `{"error":"InvalidPaginationParameter","description":...}`.
    Support,
    /// `{"errors":[{"code":"InvalidInput",...}]}`.
    Webhooks,
}

/// A simulator with something on every cursor-paginated list, and those lists' paths.
async fn paginated_account() -> (Harness, Vec<(String, Family)>) {
    let harness = Harness::with_config(SimConfig {
        seed: Seed::Minimal,
        plan: Plan::Custom(u32::MAX),
        ..SimConfig::default()
    });
    for title in ["one", "two", "three"] {
        harness
            .create_trigger(json!({"title": title, "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]}, "actions": [{"field": "current_tags", "value": title}]}))
            .await;
    }
    let ticket = harness
        .create_ticket(json!({"subject": "s", "comment": {"body": "b"}, "tags": ["a", "b", "c"]}))
        .await;
    for body in ["first", "second"] {
        harness
            .agent_comment(ticket, "agent@example.com", body, true, "web")
            .await;
    }
    let (webhook, _) = harness.create_webhook("http://127.0.0.1:9/hook").await;
    let lists = vec![
        ("/api/v2/users.json".to_owned(), Family::Support),
        ("/api/v2/tickets.json".to_owned(), Family::Support),
        (
            format!("/api/v2/tickets/{ticket}/comments.json"),
            Family::Support,
        ),
        (
            format!("/api/v2/tickets/{ticket}/audits.json"),
            Family::Support,
        ),
        ("/api/v2/ticket_audits.json".to_owned(), Family::Support),
        ("/api/v2/tags.json".to_owned(), Family::Support),
        ("/api/v2/ticket_fields.json".to_owned(), Family::Support),
        ("/api/v2/triggers.json".to_owned(), Family::Support),
        ("/api/v2/webhooks".to_owned(), Family::Webhooks),
        (
            format!("/api/v2/webhooks/{webhook}/invocations"),
            Family::Webhooks,
        ),
    ];
    (harness, lists)
}

fn query_value(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Asks every list for the page `cursor` names as `parameter`; returns what went wrong.
async fn probe(
    harness: &Harness,
    lists: &[(String, Family)],
    parameter: &str,
    cursor: &str,
) -> Vec<String> {
    // The Webhooks API's own 100/min limiter would otherwise answer 429s.
    harness
        .request(Method::POST, "/_sim/rate-limits/reset")
        .send()
        .await;
    let mut failures = Vec::new();
    for (path, family) in lists {
        let uri = format!(
            "{path}?page%5Bsize%5D=2&{}={}",
            query_value(parameter),
            query_value(cursor)
        );
        let answer = harness.admin_request(Method::GET, &uri).send().await;
        match answer.status {
            StatusCode::OK => {}
            StatusCode::BAD_REQUEST => {
                let body = answer.json();
                let worded = match family {
                    Family::Support => body["error"] == json!("InvalidPaginationParameter"),
                    Family::Webhooks => body["errors"][0]["code"] == json!("InvalidInput"),
                };
                if !worded {
                    failures.push(format!("{uri}: 400 {body}"));
                }
            }
            other => failures.push(format!("{uri}: {other} {}", answer.text())),
        }
    }
    harness
        .request(Method::DELETE, "/_sim/requests")
        .send()
        .await;
    failures
}

/// The simulator's cursors carry `p:<position>`; these reach the arithmetic behind them.
fn position_cursor() -> impl Strategy<Value = String> {
    let payload = prop_oneof![
        any::<u64>().prop_map(|position| format!("p:{position}")),
        any::<u128>().prop_map(|position| format!("p:{position}")),
        Just(format!("p:{}", usize::MAX)),
        Just(format!("p:{}", usize::MAX - 1)),
        Just(format!("p:{}", isize::MAX)),
        "[+-]?[0-9]{0,45}".prop_map(|digits| format!("p:{digits}")),
        "p:.{0,12}",
    ];
    (payload, 0..3u8).prop_map(|(payload, alphabet)| match alphabet {
        0 => URL_SAFE_NO_PAD.encode(payload),
        1 => URL_SAFE.encode(payload),
        _ => STANDARD.encode(payload),
    })
}

fn any_cursor() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => position_cursor(),
        1 => any::<String>(),
        1 => "[A-Za-z0-9_=+/-]{0,40}",
        1 => proptest::collection::vec(any::<u8>(), 0..24)
            .prop_map(|bytes| URL_SAFE_NO_PAD.encode(bytes)),
    ]
}

#[test]
fn crafted_cursors_answer_a_page_or_400_on_every_cursor_list() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (harness, lists) = runtime.block_on(paginated_account());
    let config = ProptestConfig {
        cases: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(cursor in any_cursor(), before in any::<bool>())| {
        let parameter = if before { "page[before]" } else { "page[after]" };
        let failures = runtime.block_on(probe(&harness, &lists, parameter, &cursor));
        prop_assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
}

#[tokio::test]
async fn cursors_past_any_list_are_refused_and_issued_ones_still_work() {
    let (harness, lists) = paginated_account().await;
    // (cursor payload, accepted)
    let table = [
        (format!("p:{}", usize::MAX), false),
        (format!("p:{}", u128::MAX), false),
        ("p:-1".to_owned(), false),
        ("p:+1".to_owned(), false),
        ("p:01".to_owned(), false),
        ("p:".to_owned(), false),
        ("p:0".to_owned(), true),
        ("p:1".to_owned(), true),
        ("p:500".to_owned(), true),
    ];
    for (payload, accepted) in table {
        let cursor = URL_SAFE_NO_PAD.encode(&payload);
        for parameter in ["page[after]", "page[before]"] {
            for (path, _) in &lists {
                let uri = format!("{path}?{}={}", query_value(parameter), query_value(&cursor));
                let answer = harness.admin_request(Method::GET, &uri).send().await;
                let expected = if accepted {
                    StatusCode::OK
                } else {
                    StatusCode::BAD_REQUEST
                };
                assert_eq!(
                    answer.status,
                    expected,
                    "{payload} {uri}: {}",
                    answer.text()
                );
            }
        }
        harness
            .request(Method::POST, "/_sim/rate-limits/reset")
            .send()
            .await;
    }
    // Walking a list with the cursors it hands out still reaches every item.
    let mut seen: Vec<Value> = Vec::new();
    let mut uri = "/api/v2/triggers.json?page%5Bsize%5D=2".to_owned();
    loop {
        let page = harness.admin_request(Method::GET, &uri).send().await.json();
        seen.extend(page["triggers"].as_array().unwrap().iter().cloned());
        if page["meta"]["has_more"] != json!(true) {
            break;
        }
        let after = page["meta"]["after_cursor"].as_str().unwrap();
        uri = format!(
            "/api/v2/triggers.json?page%5Bsize%5D=2&page%5Bafter%5D={}",
            query_value(after)
        );
    }
    assert_eq!(seen.len(), 3);
}
