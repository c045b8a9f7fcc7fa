//! Rate limits (FACTS §8) on the simulated clock, and the `/_sim` control API: injected
//! faults, the request log, the clock.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use zendesk_sim::{Clock, FaultKind, Plan, Seed, SimConfig, RATE_LIMITED_BODY};

use crate::support::Harness;

fn manual(plan: Plan) -> (Harness, Clock) {
    let clock = Clock::manual("2024-05-01T12:00:00Z".parse().unwrap());
    let harness = Harness::with_config(SimConfig {
        seed: Seed::Minimal,
        plan,
        clock: clock.clone(),
        ..SimConfig::default()
    });
    (harness, clock)
}

#[tokio::test]
async fn the_account_limit_answers_zendesks_429_until_the_window_resets() {
    let (harness, clock) = manual(Plan::Custom(3));
    // (seconds advanced before the request, expected status, expected remaining)
    let table = [
        (0, 200, "2"),
        (10, 200, "1"),
        (10, 200, "0"),
        (10, 429, "0"),
        (29, 429, "0"),
        (1, 200, "2"),
    ];
    for (advance, status, remaining) in table {
        clock.advance(Duration::from_secs(advance));
        let answer = harness
            .admin_request(Method::GET, "/api/v2/users/me.json")
            .send()
            .await;
        assert_eq!(answer.status.as_u16(), status, "after +{advance}s");
        assert_eq!(
            answer.header("x-rate-limit-remaining"),
            Some(remaining),
            "after +{advance}s"
        );
        assert_eq!(answer.header("x-rate-limit"), Some("3"));
        if status == 429 {
            assert_eq!(answer.header("content-type"), Some("text/plain"));
            assert_eq!(answer.text(), RATE_LIMITED_BODY);
            assert_eq!(RATE_LIMITED_BODY.len(), 50);
            let retry_after: u64 = answer.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry_after), "{retry_after}");
        }
    }
    assert_eq!(Plan::Team.requests_per_minute(), 200);
    assert_eq!(Plan::Growth.requests_per_minute(), 400);
    assert_eq!(Plan::Enterprise.requests_per_minute(), 700);
    assert_eq!(Plan::EnterprisePlus.requests_per_minute(), 2500);
}

#[tokio::test]
async fn ticket_updates_are_limited_per_user_per_ticket() {
    let (harness, clock) = manual(Plan::EnterprisePlus);
    let first = harness
        .create_ticket(json!({"comment": {"body": "a"}}))
        .await;
    let second = harness
        .create_ticket(json!({"comment": {"body": "b"}}))
        .await;
    let update = |ticket: u64| {
        harness
            .admin_request(Method::PUT, &format!("/api/v2/tickets/{ticket}.json"))
            .json(json!({"ticket": {"priority": "low"}}))
            .send()
    };
    for index in 0..30 {
        assert_eq!(update(first).await.status, StatusCode::OK, "update {index}");
    }
    let refused = update(first).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.text(), RATE_LIMITED_BODY);
    assert_eq!(
        update(second).await.status,
        StatusCode::OK,
        "another ticket has its own bucket"
    );
    clock.advance(Duration::from_secs(600));
    assert_eq!(
        update(first).await.status,
        StatusCode::OK,
        "the 10-minute window passed"
    );
}

#[tokio::test]
async fn the_webhooks_api_has_its_own_limiter() {
    let (harness, _clock) = manual(Plan::Enterprise);
    let webhooks = harness
        .admin_request(Method::GET, "/api/v2/webhooks")
        .send()
        .await;
    assert_eq!(webhooks.header("x-rate-limit"), Some("100"));
    assert_eq!(webhooks.header("x-rate-limit-remaining"), Some("99"));
    let support = harness
        .admin_request(Method::GET, "/api/v2/users/me")
        .send()
        .await;
    assert_eq!(support.header("x-rate-limit"), Some("700"));
    assert_eq!(
        support.header("x-rate-limit-remaining"),
        Some("699"),
        "webhook calls do not count against the account"
    );
}

#[tokio::test]
async fn injected_faults_hit_matching_requests() {
    let harness = Harness::minimal();
    let fault = harness
        .request(Method::POST, "/_sim/faults")
        .json(json!({"path": "/api/v2/tickets*", "method": "POST", "kind": "rate_limit", "count": 2, "retry_after": 7}))
        .send()
        .await;
    assert_eq!(fault.status, StatusCode::CREATED);
    harness.sim.inject_fault(
        Some("GET"),
        "/api/v2/users/me",
        FaultKind::ServerError(503),
        Some(1),
    );
    // (method, path, expected status)
    let table = [
        (Method::POST, "/api/v2/tickets.json", 429),
        (Method::POST, "/api/v2/tickets.json", 429),
        (Method::POST, "/api/v2/tickets.json", 201),
        (Method::GET, "/api/v2/users/me.json", 503),
        (Method::GET, "/api/v2/users/me.json", 200),
    ];
    for (method, path, status) in table {
        let mut request = harness.admin_request(method.clone(), path);
        if method == Method::POST {
            request = request.json(json!({"ticket": {"comment": {"body": "x"}}}));
        }
        let answer = request.send().await;
        assert_eq!(answer.status.as_u16(), status, "{method} {path}");
        if status == 429 {
            assert_eq!(answer.header("retry-after"), Some("7"));
            assert_eq!(answer.text(), RATE_LIMITED_BODY);
        }
    }
    let listed = harness
        .request(Method::GET, "/_sim/faults")
        .send()
        .await
        .json();
    assert_eq!(listed["faults"], json!([]), "counted faults are used up");
    let latency = harness
        .request(Method::POST, "/_sim/faults")
        .json(json!({"path": "/api/v2/users/me", "kind": "latency", "latency_ms": 150, "count": 1}))
        .send()
        .await;
    assert_eq!(latency.status, StatusCode::CREATED);
    let started = std::time::Instant::now();
    harness
        .admin_request(Method::GET, "/api/v2/users/me")
        .send()
        .await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    let bad = harness
        .request(Method::POST, "/_sim/faults")
        .json(json!({"path": "/x", "kind": "explode"}))
        .send()
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn timeouts_and_dropped_connections_over_a_real_socket() {
    let running = zendesk_sim::spawn(SimConfig {
        seed: Seed::Minimal,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let admin = running.sim.admin();
    running
        .sim
        .inject_fault(None, "/api/v2/users/me", FaultKind::Timeout, Some(1));
    running
        .sim
        .inject_fault(None, "/api/v2/users/me", FaultKind::Drop, Some(1));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let get = || {
        client
            .get(format!("{}/api/v2/users/me.json", running.base_url))
            .basic_auth(format!("{}/token", admin.email), Some(&admin.token))
            .send()
    };
    let timed_out = get().await;
    assert!(
        timed_out.as_ref().is_err_and(reqwest::Error::is_timeout),
        "{timed_out:?}"
    );
    let dropped = match get().await {
        Ok(response) => response.bytes().await.map(|_| ()),
        Err(error) => Err(error),
    };
    assert!(dropped.is_err(), "the connection is cut mid-response");
    assert_eq!(
        get().await.unwrap().status().as_u16(),
        200,
        "faults are used up"
    );
    running.stop().await.unwrap();
}

#[tokio::test]
async fn the_request_log_counts_zendesk_calls_without_credentials() {
    let harness = Harness::minimal();
    harness
        .admin_request(Method::GET, "/api/v2/users/me.json")
        .send()
        .await;
    harness
        .create_ticket(json!({"comment": {"body": "logged body"}}))
        .await;
    harness
        .admin_request(Method::GET, "/api/v2/tickets.json?external_id=abc")
        .send()
        .await;
    harness
        .request(Method::GET, "/api/v2/users/1.json")
        .send()
        .await;
    let log = harness
        .request(Method::GET, "/_sim/requests")
        .send()
        .await
        .json();
    let entries = log["requests"].as_array().unwrap();
    let summary: Vec<(String, String, String, u64)> = entries
        .iter()
        .map(|entry| {
            (
                entry["method"].as_str().unwrap().to_owned(),
                entry["path"].as_str().unwrap().to_owned(),
                entry["query"].as_str().unwrap().to_owned(),
                entry["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "GET".to_owned(),
                "/api/v2/users/me.json".to_owned(),
                String::new(),
                200
            ),
            (
                "POST".to_owned(),
                "/api/v2/tickets.json".to_owned(),
                String::new(),
                201
            ),
            (
                "GET".to_owned(),
                "/api/v2/tickets.json".to_owned(),
                "external_id=abc".to_owned(),
                200
            ),
            (
                "GET".to_owned(),
                "/api/v2/users/1.json".to_owned(),
                String::new(),
                401
            ),
        ]
    );
    assert!(entries[1]["body"].as_str().unwrap().contains("logged body"));
    assert!(
        !log.to_string().contains(&harness.admin().token),
        "tokens never reach the log"
    );
    assert_eq!(harness.sim.requests().len(), 4);
    harness
        .request(Method::DELETE, "/_sim/requests")
        .send()
        .await;
    assert!(harness.sim.requests().is_empty());
}

#[tokio::test]
async fn the_clock_advances_through_the_control_api() {
    let (harness, clock) = manual(Plan::Enterprise);
    let before = clock.now();
    let answer = harness
        .request(Method::POST, "/_sim/clock/advance")
        .json(json!({"seconds": 90}))
        .send()
        .await;
    assert_eq!(answer.json()["now"], json!("2024-05-01T12:01:30Z"));
    assert_eq!(clock.now().duration_since(before).as_secs(), 90);
    let ticket = harness
        .create_ticket(json!({"comment": {"body": "b"}}))
        .await;
    assert_eq!(
        harness.ticket(ticket).await["created_at"],
        json!("2024-05-01T12:01:30Z")
    );
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let config = SimConfig {
        admin_token: Some("super-secret-token-value".to_owned()),
        ..SimConfig::default()
    };
    assert!(!format!("{config:?}").contains("super-secret-token-value"));
    let sim = zendesk_sim::Simulator::new(SimConfig {
        seed: Seed::Minimal,
        ..config
    });
    let admin = sim.admin();
    assert_eq!(admin.token, "super-secret-token-value");
    assert!(!format!("{admin:?}").contains("super-secret-token-value"));
    assert!(!format!("{sim:?}").contains("super-secret-token-value"));
}

/// FACTS §12: a 429 sometimes comes without `Retry-After`; and a write whose answer is lost still happened, so a
/// client must find out before repeating it.
#[tokio::test]
async fn a_bare_429_and_answers_lost_after_the_write() {
    let running = zendesk_sim::spawn(SimConfig {
        seed: Seed::Minimal,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let admin = running.sim.admin();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let create = |subject: &str| {
        client
            .post(format!("{}/api/v2/tickets.json", running.base_url))
            .basic_auth(format!("{}/token", admin.email), Some(&admin.token))
            .json(&json!({"ticket": {"subject": subject, "comment": {"body": "x"}}}))
            .send()
    };
    let control = reqwest::Client::new();
    let bare = control
        .post(format!("{}/_sim/faults", running.base_url))
        .json(&json!({"path": "/api/v2/tickets", "kind": "rate_limit_without_retry_after", "count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status().as_u16(), 201);
    let refused = create("refused").await.unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().get("retry-after").is_none());
    assert_eq!(
        refused.headers()["content-type"].to_str().unwrap(),
        "text/plain"
    );
    assert_eq!(refused.text().await.unwrap(), RATE_LIMITED_BODY);

    // (fault, subject): each request's answer is lost, yet its ticket exists.
    let table = [
        (FaultKind::DropAfterWrite, "dropped after the write"),
        (
            FaultKind::TimeoutAfterWrite,
            "never answered after the write",
        ),
    ];
    for (fault, subject) in table {
        running
            .sim
            .inject_fault(Some("POST"), "/api/v2/tickets", fault.clone(), Some(1));
        let outcome = match create(subject).await {
            Ok(response) => response.bytes().await.map(|_| ()),
            Err(error) => Err(error),
        };
        assert!(outcome.is_err(), "{fault:?}: no answer arrives");
        let logged = running.sim.requests();
        let last = logged.last().unwrap();
        assert_eq!(
            (last.method.as_str(), last.status),
            ("POST", 0),
            "{fault:?}"
        );
        let listed: Value = control
            .get(format!("{}/api/v2/tickets.json", running.base_url))
            .basic_auth(format!("{}/token", admin.email), Some(&admin.token))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let made = listed["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|ticket| ticket["subject"] == json!(subject))
            .count();
        assert_eq!(made, 1, "{fault:?}: the ticket was created");
    }
    // The log names the Idempotency-Key a create carried.
    client
        .post(format!("{}/api/v2/tickets.json", running.base_url))
        .basic_auth(format!("{}/token", admin.email), Some(&admin.token))
        .header("Idempotency-Key", "key-7")
        .json(&json!({"ticket": {"comment": {"body": "x"}}}))
        .send()
        .await
        .unwrap();
    let logged = running.sim.requests();
    assert_eq!(
        logged.last().unwrap().idempotency_key.as_deref(),
        Some("key-7")
    );
    assert_eq!(logged[0].idempotency_key, None);
    running.stop().await.unwrap();
}

/// `GET /agent/tickets/{id}` stands in for the agent workspace: the ticket a browser opens from the console's
/// link, every text escaped; an unknown ticket is a 404 page; and it is not an API call, so not in the log.
#[tokio::test]
async fn the_agent_page_shows_a_ticket_escaped_and_stays_out_of_the_request_log() {
    let harness = Harness::minimal();
    let created = harness
        .admin_request(Method::POST, "/api/v2/tickets.json")
        .json(json!({"ticket": {
            "subject": "Parcel <b>lost</b>",
            "comment": {"body": "Customer: <script>alert(1)</script> where is it?"},
            "requester": {"name": "Maya", "email": "maya@example.com"},
            "external_id": "session-1",
            "tags": ["opencx", "opencx_channel_email"],
        }}))
        .send()
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["ticket"]["id"].as_u64().unwrap();
    let logged = harness.sim.requests().len();

    let page = harness.get(&format!("/agent/tickets/{id}")).send().await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = page.text();
    for shown in [
        format!("#{id} Parcel &lt;b&gt;lost&lt;/b&gt;"),
        "Maya &lt;maya@example.com&gt;".to_owned(),
        "session-1".to_owned(),
        "opencx opencx_channel_email".to_owned(),
        "&lt;script&gt;alert(1)&lt;/script&gt;".to_owned(),
    ] {
        assert!(html.contains(&shown), "{shown} in {html}");
    }
    assert!(
        !html.contains("<script>") && !html.contains("<b>lost"),
        "{html}"
    );

    let missing = harness.get("/agent/tickets/999999").send().await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing
        .text()
        .contains("does not exist in this sandbox account"));
    let junk = harness.get("/agent/tickets/%3Cx%3E").send().await;
    assert_eq!(junk.status, StatusCode::NOT_FOUND);
    assert!(!junk.text().contains("<x>"));
    assert_eq!(
        harness.sim.requests().len(),
        logged,
        "pages are not API calls"
    );
}
