//! Authentication and the users endpoints (FACTS §1, §2).

use axum::http::{Method, StatusCode};
use base64::Engine;
use serde_json::{json, Value};

use crate::support::Harness;

const RECORDED_USER_KEYS: [&str; 38] = [
    "id",
    "url",
    "name",
    "email",
    "created_at",
    "updated_at",
    "time_zone",
    "iana_time_zone",
    "phone",
    "shared_phone_number",
    "photo",
    "locale_id",
    "locale",
    "organization_id",
    "role",
    "verified",
    "external_id",
    "tags",
    "alias",
    "active",
    "shared",
    "shared_agent",
    "last_login_at",
    "two_factor_auth_enabled",
    "signature",
    "details",
    "notes",
    "role_type",
    "custom_role_id",
    "moderator",
    "ticket_restriction",
    "only_private_comments",
    "restricted_agent",
    "suspended",
    "default_group_id",
    "report_csv",
    "user_fields",
    "authenticity_token",
];

fn basic(username: &str, password: &str) -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

#[tokio::test]
async fn users_me_answers_per_credential_kind() {
    let harness = Harness::minimal();
    let admin = harness.admin();
    let agent = harness.agent("agent@example.com");
    let light = harness.agent("light.agent@example.com");
    let suspended = harness.agent("suspended.agent@example.com");
    // (what, Authorization header, status, user name, role, role_type)
    type Case<'a> = (
        &'a str,
        Option<String>,
        u16,
        Option<&'a str>,
        Option<&'a str>,
        Value,
    );
    let table: Vec<Case> = vec![
        (
            "admin token",
            Some(basic(&format!("{}/token", admin.email), &admin.token)),
            200,
            Some("Ada Admin"),
            Some("admin"),
            json!(4),
        ),
        (
            "full agent token",
            Some(basic(&format!("{}/token", agent.email), &agent.token)),
            200,
            Some("Aaron Agent"),
            Some("agent"),
            json!(0),
        ),
        (
            "light agent token",
            Some(basic(&format!("{}/token", light.email), &light.token)),
            200,
            Some("Lena Light"),
            Some("agent"),
            json!(1),
        ),
        (
            "no credentials",
            None,
            200,
            Some("Anonymous user"),
            Some("end-user"),
            Value::Null,
        ),
        (
            "password auth (removed) is anonymous",
            Some(basic(&admin.email, "hunter2")),
            200,
            Some("Anonymous user"),
            Some("end-user"),
            Value::Null,
        ),
        (
            "wrong token",
            Some(basic(&format!("{}/token", admin.email), "not-the-token")),
            401,
            None,
            None,
            Value::Null,
        ),
        (
            "unknown email",
            Some(basic("nobody@example.com/token", &admin.token)),
            401,
            None,
            None,
            Value::Null,
        ),
        (
            "suspended agent",
            Some(basic(
                &format!("{}/token", suspended.email),
                &suspended.token,
            )),
            401,
            None,
            None,
            Value::Null,
        ),
        (
            "another scheme (bearer tokens are in oauth.rs)",
            Some("Digest username=\"admin\"".to_owned()),
            401,
            None,
            None,
            Value::Null,
        ),
    ];
    for (what, authorization, status, name, role, role_type) in table {
        for path in ["/api/v2/users/me", "/api/v2/users/me.json"] {
            let mut exchange = harness.get(path);
            if let Some(value) = &authorization {
                exchange = exchange.header("authorization", value);
            }
            let answer = exchange.send().await;
            assert_eq!(answer.status.as_u16(), status, "{what} {path}");
            assert_eq!(
                answer.header("content-type"),
                Some("application/json; charset=utf-8"),
                "{what}"
            );
            let body = answer.json();
            match name {
                Some(name) => {
                    let user = &body["user"];
                    assert_eq!(user["name"], json!(name), "{what}");
                    assert_eq!(user["role"], json!(role), "{what}");
                    assert_eq!(user["role_type"], role_type, "{what}");
                    for key in RECORDED_USER_KEYS {
                        assert!(user.get(key).is_some(), "{what}: users/me lacks {key}");
                    }
                    assert_eq!(
                        user["id"].is_null(),
                        name == "Anonymous user",
                        "{what}: only the anonymous user has no id"
                    );
                }
                None => {
                    assert_eq!(
                        body,
                        json!({"error": "Couldn't authenticate you"}),
                        "{what}"
                    );
                    assert_eq!(
                        answer.header("www-authenticate"),
                        Some("Basic realm=\"Web Password\""),
                        "{what}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn responses_carry_zendesk_headers() {
    let harness = Harness::minimal();
    let answer = harness
        .get("/api/v2/users/me.json")
        .token(&harness.admin())
        .send()
        .await;
    for name in [
        "x-zendesk-api-version",
        "x-rate-limit",
        "x-rate-limit-remaining",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "rate-limit",
        "rate-limit-remaining",
        "rate-limit-reset",
    ] {
        assert!(answer.header(name).is_some(), "missing {name}");
    }
    assert_eq!(
        answer.header("x-rate-limit"),
        Some("700"),
        "Enterprise plan by default"
    );
    assert_eq!(answer.header("x-rate-limit-remaining"), Some("699"));
}

#[tokio::test]
async fn user_show_by_id() {
    let harness = Harness::minimal();
    let admin = harness.admin();
    let agent = harness.agent("agent@example.com");
    let table = [
        (
            format!("/api/v2/users/{}", agent.user_id),
            true,
            200,
            Some(json!({"id": agent.user_id})),
        ),
        (
            format!("/api/v2/users/{}.json", agent.user_id),
            true,
            200,
            Some(json!({"id": agent.user_id})),
        ),
        ("/api/v2/users/1".to_owned(), true, 404, None),
        ("/api/v2/users/abc.json".to_owned(), true, 404, None),
        (
            format!("/api/v2/users/{}.json", agent.user_id),
            false,
            401,
            None,
        ),
    ];
    for (path, authenticated, status, expected) in table {
        let mut exchange = harness.get(&path);
        if authenticated {
            exchange = exchange.token(&admin);
        }
        let answer = exchange.send().await;
        assert_eq!(answer.status.as_u16(), status, "{path}");
        let body = answer.json();
        match (status, expected) {
            (200, Some(expected)) => assert_eq!(body["user"]["id"], expected["id"], "{path}"),
            (404, _) => assert_eq!(
                body,
                json!({"error": "RecordNotFound", "description": "Not found"})
            ),
            (401, _) => assert_eq!(body, json!({"error": "Couldn't authenticate you"})),
            _ => unreachable!(),
        }
    }
}

#[tokio::test]
async fn unknown_paths_are_json_invalid_endpoint() {
    let harness = Harness::minimal();
    for path in [
        "/api/v2/nothing_here",
        "/api/v2/users/me/extra/deep",
        "/",
        "/api/v3/users/me",
    ] {
        let answer = harness.get(path).token(&harness.admin()).send().await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            answer.json(),
            json!({"error": "InvalidEndpoint", "description": "Not found"}),
            "{path}"
        );
    }
}

#[tokio::test]
async fn create_or_update_answers_201_then_200_with_location() {
    let harness = Harness::minimal();
    let admin = harness.admin();
    let body = json!({"user": {"name": "Chris Contact", "email": "chris@example.org", "skip_verify_email": true}});
    let mut seen_id = None;
    for expected in [StatusCode::CREATED, StatusCode::OK] {
        let answer = harness
            .request(Method::POST, "/api/v2/users/create_or_update.json")
            .token(&admin)
            .json(body.clone())
            .send()
            .await;
        assert_eq!(answer.status, expected);
        let id = answer.json()["user"]["id"].as_u64().expect("user id");
        assert_eq!(
            answer.header("location"),
            Some(format!("http://127.0.0.1:3000/api/v2/users/{id}.json").as_str())
        );
        assert_eq!(
            answer.json()["user"]["role"],
            json!("end-user"),
            "no role means end user"
        );
        if let Some(seen) = seen_id {
            assert_eq!(seen, id, "the second call updates the same user");
        }
        seen_id = Some(id);
    }
}
