//! OAuth (FACTS §10): the consent step, the token endpoint's three grants and refusals,
//! refresh rotation, expiry on the simulated clock, bearer auth and scope enforcement.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use zendesk_sim::{Clock, ConsentMode, OAuthClientKind, Seed, SimConfig};

use crate::support::{Answer, Harness};

/// RFC 7636 appendix B: a verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:53682/callback";
const RELAY_SECRET: &str = "relay-secret-fixed-for-tests";
const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";
const INVALID_CLIENT: &str = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.";

fn harness() -> (Harness, Clock) {
    let clock = Clock::manual("2025-03-01T09:00:00Z".parse().unwrap());
    let harness = Harness::with_config(SimConfig {
        seed: Seed::Minimal,
        clock: clock.clone(),
        oauth_relay_secret: Some(RELAY_SECRET.to_owned()),
        ..SimConfig::default()
    });
    (harness, clock)
}

/// `/oauth/authorizations/new` for the console client with PKCE.
fn authorize_path(redirect_uri: &str, scope: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", "handoff_console")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", scope)
        .append_pair("state", "st4te")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("/oauth/authorizations/new?{query}")
}

/// The query pairs of a redirect's `Location`.
fn location_pairs(answer: &Answer) -> Vec<(String, String)> {
    let location = answer
        .header("location")
        .unwrap_or_else(|| panic!("a redirect: {} {}", answer.status, answer.text()));
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn pair<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
}

/// An authorization code for the console client, approved without a page.
async fn code(harness: &Harness, redirect_uri: &str, scope: &str) -> String {
    harness.sim.set_oauth_consent(ConsentMode::Approve);
    let answer = harness
        .get(&authorize_path(redirect_uri, scope))
        .send()
        .await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text());
    let pairs = location_pairs(&answer);
    assert_eq!(pair(&pairs, "state"), Some("st4te"));
    pair(&pairs, "code").expect("a code").to_owned()
}

async fn token_request(harness: &Harness, body: Value) -> Answer {
    harness
        .request(Method::POST, "/oauth/tokens")
        .json(body)
        .send()
        .await
}

fn code_grant(code: &str) -> Value {
    json!({"grant_type": "authorization_code", "code": code, "client_id": "handoff_console",
           "redirect_uri": REDIRECT, "code_verifier": VERIFIER})
}

/// Signs in through the code flow and returns the 201 body.
async fn signed_in(harness: &Harness, scope: &str) -> Value {
    let code = code(harness, REDIRECT, scope).await;
    let answer = token_request(harness, code_grant(&code)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    answer.json()
}

async fn with_bearer(harness: &Harness, method: Method, path: &str, token: &str) -> Answer {
    harness
        .request(method, path)
        .header("authorization", &format!("Bearer {token}"))
        .send()
        .await
}

fn text<'a>(body: &'a Value, key: &str) -> &'a str {
    body[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {body}"))
}

/// What happens before the table row's request.
#[derive(Clone, Copy, Debug)]
enum Before {
    Nothing,
    /// The code is exchanged once successfully first.
    SpendCode,
    /// The clock moves on by this many seconds.
    Advance(u64),
}

#[tokio::test]
async fn the_token_endpoint_grants_and_refuses_like_zendesk() {
    type Body = fn(&str) -> Value;
    // (what, before, body from a fresh code, status, OAuth error)
    let table: Vec<(&str, Before, Body, u16, Option<&str>)> = vec![
        (
            "good code",
            Before::Nothing,
            |code| code_grant(code),
            201,
            None,
        ),
        (
            "code at 120 s is still good",
            Before::Advance(120),
            |code| code_grant(code),
            201,
            None,
        ),
        (
            "reused code",
            Before::SpendCode,
            |code| code_grant(code),
            400,
            Some("invalid_grant"),
        ),
        (
            "expired code (121 s)",
            Before::Advance(121),
            |code| code_grant(code),
            400,
            Some("invalid_grant"),
        ),
        (
            "wrong verifier",
            Before::Nothing,
            |code| {
                let mut body = code_grant(code);
                body["code_verifier"] = json!("not-the-verifier-whose-challenge-was-sent-xyz");
                body
            },
            400,
            Some("invalid_grant"),
        ),
        (
            "no verifier",
            Before::Nothing,
            |code| {
                let mut body = code_grant(code);
                body.as_object_mut().unwrap().remove("code_verifier");
                body
            },
            400,
            Some("invalid_grant"),
        ),
        (
            "wrong redirect_uri (another port)",
            Before::Nothing,
            |code| {
                let mut body = code_grant(code);
                body["redirect_uri"] = json!("http://127.0.0.1:53683/callback");
                body
            },
            400,
            Some("invalid_grant"),
        ),
        (
            "unknown code",
            Before::Nothing,
            |_| code_grant("no-such-code"),
            400,
            Some("invalid_grant"),
        ),
        (
            "code issued to another client",
            Before::Nothing,
            |code| {
                let mut body = code_grant(code);
                body["client_id"] = json!("handoff_relay");
                body["client_secret"] = json!(RELAY_SECRET);
                body
            },
            400,
            Some("invalid_grant"),
        ),
        (
            "unknown client",
            Before::Nothing,
            |code| {
                let mut body = code_grant(code);
                body["client_id"] = json!("nobody");
                body
            },
            401,
            Some("invalid_client"),
        ),
        (
            "no client",
            Before::Nothing,
            |code| {
                let mut body = code_grant(code);
                body.as_object_mut().unwrap().remove("client_id");
                body
            },
            401,
            Some("invalid_client"),
        ),
        (
            "confidential client without secret",
            Before::Nothing,
            |_| json!({"grant_type": "client_credentials", "client_id": "handoff_relay", "scope": "read"}),
            401,
            Some("invalid_client"),
        ),
        (
            "confidential client with a wrong secret",
            Before::Nothing,
            |_| json!({"grant_type": "client_credentials", "client_id": "handoff_relay", "client_secret": "guess"}),
            401,
            Some("invalid_client"),
        ),
        (
            "public client asking for client credentials",
            Before::Nothing,
            |_| json!({"grant_type": "client_credentials", "client_id": "handoff_console"}),
            401,
            Some("invalid_client"),
        ),
        (
            "password grant",
            Before::Nothing,
            |_| json!({"grant_type": "password", "client_id": "handoff_console", "username": "a", "password": "b"}),
            400,
            Some("unsupported_grant_type"),
        ),
        (
            "no grant type",
            Before::Nothing,
            |_| json!({"client_id": "handoff_console"}),
            400,
            Some("invalid_request"),
        ),
        (
            "expires_in of 300 s (must be more)",
            Before::Nothing,
            |code| {
                let mut body = code_grant(code);
                body["expires_in"] = json!(300);
                body
            },
            400,
            Some("invalid_request"),
        ),
        (
            "expires_in of 172,800 s (must be less)",
            Before::Nothing,
            |code| {
                let mut body = code_grant(code);
                body["expires_in"] = json!(172_800);
                body
            },
            400,
            Some("invalid_request"),
        ),
    ];
    for (what, before, body, status, error) in table {
        let (harness, clock) = harness();
        let code = code(&harness, REDIRECT, "read write").await;
        match before {
            Before::Nothing => {}
            Before::SpendCode => {
                let first = token_request(&harness, code_grant(&code)).await;
                assert_eq!(first.status, StatusCode::CREATED, "{what}: first use");
            }
            Before::Advance(seconds) => clock.advance(Duration::from_secs(seconds)),
        }
        let answer = token_request(&harness, body(&code)).await;
        assert_eq!(answer.status.as_u16(), status, "{what}: {}", answer.text());
        assert_eq!(
            answer.header("content-type"),
            Some("application/json; charset=utf-8"),
            "{what}"
        );
        assert_eq!(answer.header("cache-control"), Some("no-store"), "{what}");
        let json = answer.json();
        match error {
            None => {
                assert_eq!(json["token_type"], "bearer", "{what}");
                assert_eq!(json["scope"], "read write", "{what}");
                assert_eq!(json["expires_in"], 1800, "{what}");
                assert_eq!(json["refresh_token_expires_in"], 2_592_000, "{what}");
                assert_ne!(text(&json, "access_token"), text(&json, "refresh_token"));
            }
            Some(error) => {
                assert_eq!(json["error"], error, "{what}");
                let description = text(&json, "error_description");
                match error {
                    "invalid_grant" => assert_eq!(description, INVALID_GRANT, "{what}"),
                    "invalid_client" => assert_eq!(description, INVALID_CLIENT, "{what}"),
                    _ => assert!(!description.is_empty(), "{what}"),
                }
                assert!(json.get("access_token").is_none(), "{what}");
            }
        }
    }
}

#[tokio::test]
async fn the_token_endpoint_also_reads_form_bodies_and_honours_lifetimes() {
    let (harness, clock) = harness();
    let code = code(&harness, REDIRECT, "read").await;
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("client_id", "handoff_console")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("code_verifier", VERIFIER)
        .append_pair("expires_in", "600")
        .append_pair("refresh_token_expires_in", "604800")
        .finish();
    let answer = harness
        .request(Method::POST, "/oauth/tokens")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.into_bytes())
        .send()
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let tokens = answer.json();
    assert_eq!(
        (&tokens["expires_in"], &tokens["refresh_token_expires_in"]),
        (&json!(600), &json!(604_800))
    );
    let access = text(&tokens, "access_token");
    // (seconds advanced, status of users/me)
    for (advance, status) in [(599, 200), (1, 401)] {
        clock.advance(Duration::from_secs(advance));
        let answer = with_bearer(&harness, Method::GET, "/api/v2/users/me", access).await;
        assert_eq!(answer.status.as_u16(), status, "after {advance} s more");
    }
    // The refresh token outlives the access token, until its own lifetime is over.
    clock.advance(Duration::from_secs(604_800 - 600 - 1));
    let refreshed = token_request(
        &harness,
        json!({"grant_type": "refresh_token", "refresh_token": text(&tokens, "refresh_token"), "client_id": "handoff_console"}),
    )
    .await;
    assert_eq!(
        refreshed.status,
        StatusCode::CREATED,
        "{}",
        refreshed.text()
    );
    clock.advance(Duration::from_secs(2_592_000));
    let late = token_request(
        &harness,
        json!({"grant_type": "refresh_token", "refresh_token": text(&refreshed.json(), "refresh_token"), "client_id": "handoff_console"}),
    )
    .await;
    assert_eq!(
        late.status,
        StatusCode::BAD_REQUEST,
        "an expired refresh token"
    );
    assert_eq!(late.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn a_refresh_rotates_the_pair_and_invalidates_the_old_one() {
    let (harness, _clock) = harness();
    let first = signed_in(&harness, "read write").await;
    let refresh = |refresh_token: &str| json!({"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": "handoff_console"});
    let answer = token_request(&harness, refresh(text(&first, "refresh_token"))).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let second = answer.json();
    assert_eq!(second["scope"], "read write", "a refresh keeps the scope");
    for key in ["access_token", "refresh_token"] {
        assert_ne!(first[key], second[key], "{key} is new");
    }

    // (what, token, status)
    let table = [
        ("old access token", text(&first, "access_token"), 401),
        ("new access token", text(&second, "access_token"), 200),
    ];
    for (what, token, status) in table {
        let answer = with_bearer(&harness, Method::GET, "/api/v2/users/me.json", token).await;
        assert_eq!(answer.status.as_u16(), status, "{what}");
    }

    let again = token_request(&harness, refresh(text(&first, "refresh_token"))).await;
    assert_eq!(
        again.status,
        StatusCode::BAD_REQUEST,
        "the old refresh token is spent"
    );
    assert_eq!(again.json()["error"], "invalid_grant");

    let stranger = token_request(
        &harness,
        json!({"grant_type": "refresh_token", "refresh_token": text(&second, "refresh_token"),
               "client_id": "handoff_relay", "client_secret": RELAY_SECRET}),
    )
    .await;
    assert_eq!(
        (stranger.status, stranger.json()["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_grant")),
        "a refresh token issued to another client"
    );
    let third = token_request(&harness, refresh(text(&second, "refresh_token"))).await;
    assert_eq!(
        third.status,
        StatusCode::CREATED,
        "the refused stranger did not spend it"
    );
}

#[tokio::test]
async fn expired_unknown_and_revoked_tokens_answer_invalid_token() {
    let (harness, clock) = harness();
    let tokens = signed_in(&harness, "read write").await;
    let access = text(&tokens, "access_token").to_owned();
    clock.advance(Duration::from_secs(1799));
    let live = with_bearer(&harness, Method::GET, "/api/v2/users/me", &access).await;
    assert_eq!(live.status, StatusCode::OK, "still live at 1799 s");

    clock.advance(Duration::from_secs(1));
    let other = signed_in(&harness, "read write").await;
    let revoked = text(&other, "access_token").to_owned();
    let revoke = with_bearer(
        &harness,
        Method::DELETE,
        "/api/v2/oauth/tokens/current.json",
        &revoked,
    )
    .await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT, "{}", revoke.text());

    // (what, authorization header)
    let table = [
        ("expired at 1800 s", format!("Bearer {access}")),
        ("unknown", "Bearer not-a-token".to_owned()),
        ("revoked", format!("Bearer {revoked}")),
    ];
    for (what, authorization) in table {
        for (method, path) in [
            (Method::GET, "/api/v2/users/me"),
            (Method::PUT, "/api/v2/tickets/1.json"),
            (Method::GET, "/api/v2/webhooks"),
        ] {
            let answer = harness
                .request(method.clone(), path)
                .header("authorization", &authorization)
                .send()
                .await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{what} {path}");
            assert_eq!(
                answer.json(),
                json!({"error": "invalid_token", "error_description": "The access token provided is expired, revoked, malformed or invalid for other reasons."}),
                "{what} {path}"
            );
            assert_eq!(
                answer.header("www-authenticate"),
                Some("Bearer realm=\"Doorkeeper\", error=\"invalid_token\""),
                "{what} {path}"
            );
        }
    }
}

#[tokio::test]
async fn client_credentials_act_as_the_admin_who_created_the_client() {
    let (harness, _clock) = harness();
    let admin = harness.admin();
    let clients = harness.sim.oauth_clients();
    let kinds: Vec<(&str, OAuthClientKind, Option<&str>, u64)> = clients
        .iter()
        .map(|client| {
            (
                client.identifier.as_str(),
                client.kind,
                client.secret.as_deref(),
                client.user_id,
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "handoff_console",
                OAuthClientKind::Public,
                None,
                admin.user_id
            ),
            (
                "handoff_relay",
                OAuthClientKind::Confidential,
                Some(RELAY_SECRET),
                admin.user_id
            ),
        ]
    );
    assert!(!format!("{clients:?}").contains(RELAY_SECRET));

    let answer = token_request(
        &harness,
        json!({"grant_type": "client_credentials", "client_id": "handoff_relay",
               "client_secret": RELAY_SECRET, "scope": "users:read oauth_tokens:read"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let tokens = answer.json();
    assert!(
        tokens.get("refresh_token").is_none(),
        "no refresh token: {tokens}"
    );
    assert_eq!(tokens["scope"], "users:read oauth_tokens:read");
    let access = text(&tokens, "access_token");

    let me = with_bearer(&harness, Method::GET, "/api/v2/users/me", access).await;
    assert_eq!(me.json()["user"]["id"], admin.user_id);
    assert_eq!(me.json()["user"]["role"], "admin");

    let current = with_bearer(
        &harness,
        Method::GET,
        "/api/v2/oauth/tokens/current.json",
        access,
    )
    .await;
    assert_eq!(current.status, StatusCode::OK, "{}", current.text());
    let token = &current.json()["token"];
    assert_eq!(token["user_id"], admin.user_id);
    assert!(token["client_id"].is_u64(), "the client's resource id");
    assert_eq!(token["scopes"], json!(["users:read", "oauth_tokens:read"]));
    assert_eq!(
        token["token"],
        json!(&access[..10]),
        "only the first 10 chars"
    );
    assert_eq!(token["refresh_token"], Value::Null);
    assert_eq!(token["created_at"], "2025-03-01T09:00:00Z");
    assert_eq!(token["expires_at"], "2025-03-01T09:30:00Z");
    assert!(text(token, "url").ends_with(&format!("/api/v2/oauth/tokens/{}.json", token["id"])));

    // The API token still authenticates, and has no OAuth token to show.
    let basic = harness
        .get("/api/v2/oauth/tokens/current")
        .token(&admin)
        .send()
        .await;
    assert_eq!(basic.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scopes_open_endpoints_by_method_and_resource() {
    let (harness, _clock) = harness();
    // (scope, method, path, status, scope named as missing)
    let table: Vec<(&str, Method, &str, u16, Option<&str>)> = vec![
        ("read", Method::GET, "/api/v2/tickets/1.json", 200, None),
        (
            "read",
            Method::PUT,
            "/api/v2/tickets/1.json",
            403,
            Some("write"),
        ),
        ("write", Method::GET, "/api/v2/users/me", 403, Some("read")),
        ("write", Method::PUT, "/api/v2/tickets/1.json", 200, None),
        ("read write", Method::POST, "/api/v2/triggers", 422, None),
        ("tickets:read", Method::GET, "/api/v2/tickets/1", 200, None),
        (
            "tickets:read",
            Method::GET,
            "/api/v2/webhooks",
            403,
            Some("webhooks:read"),
        ),
        (
            "tickets:read",
            Method::PUT,
            "/api/v2/tickets/1",
            403,
            Some("tickets:write"),
        ),
        (
            "tickets:read",
            Method::GET,
            "/api/v2/users/me",
            403,
            Some("users:read"),
        ),
        (
            "tickets:write",
            Method::GET,
            "/api/v2/tickets/1",
            403,
            Some("tickets:read"),
        ),
        ("users:read", Method::GET, "/api/v2/users/me", 200, None),
        (
            "ticket_fields:read",
            Method::GET,
            "/api/v2/ticket_fields",
            200,
            None,
        ),
        ("triggers:read", Method::GET, "/api/v2/triggers", 200, None),
        (
            "triggers:read",
            Method::GET,
            "/api/v2/ticket_fields",
            403,
            Some("ticket_fields:read"),
        ),
        ("webhooks:read", Method::GET, "/api/v2/webhooks", 200, None),
        (
            "webhooks:read",
            Method::DELETE,
            "/api/v2/webhooks/01HANAHAFTBVF1NA2AVFK4W763",
            403,
            Some("webhooks:write"),
        ),
        (
            "organizations:write read",
            Method::GET,
            "/api/v2/webhooks",
            200,
            None,
        ),
        (
            "read",
            Method::GET,
            "/api/v2/oauth/tokens/current",
            200,
            None,
        ),
        // An invalid scope string still yields a token; every request with it is refused.
        (
            "[\"read\", \"write\"]",
            Method::GET,
            "/api/v2/users/me",
            403,
            Some("read"),
        ),
        (
            "read bogus:read",
            Method::GET,
            "/api/v2/tickets/1",
            403,
            Some("read"),
        ),
    ];
    for (scope, method, path, status, missing) in table {
        let answer = token_request(
            &harness,
            json!({"grant_type": "client_credentials", "client_id": "handoff_relay",
                   "client_secret": RELAY_SECRET, "scope": scope}),
        )
        .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{scope}: token issued");
        let access = text(&answer.json(), "access_token").to_owned();
        let mut request = harness
            .request(method.clone(), path)
            .header("authorization", &format!("Bearer {access}"));
        if method != Method::GET && method != Method::DELETE {
            request =
                request.json(json!({"ticket": {"priority": "high"}, "trigger": {"title": "t"}}));
        }
        let answer = request.send().await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{scope} {method} {path}: {}",
            answer.text()
        );
        if let Some(missing) = missing {
            assert_eq!(
                answer.json(),
                json!({"error": "Forbidden", "description": format!("You are missing the following required scopes: {missing}")}),
                "{scope} {method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn the_consent_page_asks_and_the_form_allows_or_denies() {
    let (harness, _clock) = harness();
    let page = harness
        .get(&authorize_path(REDIRECT, "tickets:read users:read"))
        .send()
        .await;
    assert_eq!(page.status, StatusCode::OK, "ask is the default");
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = page.text();
    for expected in [
        "handoff_console wants to access your account: tickets:read users:read",
        "Ada Admin (admin@example.com)",
        "action=\"http://127.0.0.1:3000/oauth/authorizations\"",
        "name=\"state\" value=\"st4te\"",
        &format!("name=\"code_challenge\" value=\"{CHALLENGE}\""),
        "value=\"allow\">Allow</button>",
        "value=\"deny\">Deny</button>",
    ] {
        assert!(html.contains(expected), "page lacks {expected:?}:\n{html}");
    }

    let form = |decision: &str| {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", "handoff_console")
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "tickets:read users:read")
            .append_pair("state", "st4te")
            .append_pair("code_challenge", CHALLENGE)
            .append_pair("code_challenge_method", "S256")
            .append_pair("decision", decision)
            .finish()
            .into_bytes()
    };
    // (button, location keys)
    let table = [
        ("allow", vec!["code", "state"]),
        ("deny", vec!["error", "error_description", "state"]),
    ];
    for (decision, keys) in table {
        let answer = harness
            .request(Method::POST, "/oauth/authorizations")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(decision))
            .send()
            .await;
        assert_eq!(answer.status, StatusCode::FOUND, "{decision}");
        let location = answer.header("location").unwrap();
        assert!(location.starts_with(REDIRECT), "{location}");
        let pairs = location_pairs(&answer);
        let names: Vec<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, keys, "{decision}");
        assert_eq!(pair(&pairs, "state"), Some("st4te"));
        if decision == "deny" {
            assert_eq!(pair(&pairs, "error"), Some("access_denied"));
        } else {
            let code = pair(&pairs, "code").unwrap();
            let tokens = token_request(&harness, code_grant(code)).await;
            assert_eq!(tokens.status, StatusCode::CREATED, "{}", tokens.text());
            assert_eq!(tokens.json()["scope"], "tickets:read users:read");
        }
    }
}

#[tokio::test]
async fn the_control_api_switches_consent_between_ask_approve_and_deny() {
    let (harness, _clock) = harness();
    // (mode, status of the authorize GET, location keys)
    let table = [
        ("deny", 302, vec!["error", "error_description", "state"]),
        ("approve", 302, vec!["code", "state"]),
        ("ask", 200, vec![]),
    ];
    for (mode, status, keys) in table {
        let set = harness
            .request(Method::POST, "/_sim/oauth/consent")
            .json(json!({ "mode": mode }))
            .send()
            .await;
        assert_eq!(set.json(), json!({ "mode": mode }));
        let shown = harness.get("/_sim/oauth/consent").send().await;
        assert_eq!(shown.json(), json!({ "mode": mode }));
        let answer = harness.get(&authorize_path(REDIRECT, "read")).send().await;
        assert_eq!(answer.status.as_u16(), status, "{mode}");
        if status == 302 {
            let pairs = location_pairs(&answer);
            let names: Vec<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
            assert_eq!(names, keys, "{mode}");
        }
    }
    let bad = harness
        .request(Method::POST, "/_sim/oauth/consent")
        .json(json!({"mode": "maybe"}))
        .send()
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn redirect_uris_must_be_https_or_loopback_on_any_port() {
    let (harness, _clock) = harness();
    harness.sim.set_oauth_consent(ConsentMode::Approve);
    // (redirect URI, redirected there)
    let table = [
        ("http://127.0.0.1:1/callback", true),
        ("http://127.0.0.1:65535/another/path", true),
        ("http://localhost:8080/callback", true),
        ("http://[::1]:4000/callback", true),
        ("https://relay.example.com/oauth/callback", true),
        ("http://127.0.0.1:5000/callback?keep=1", true),
        ("http://example.com/callback", false),
        ("http://127.0.0.1.nip.io:5000/callback", false),
        ("http://10.0.0.2:5000/callback", false),
        ("https://relay.example.com/callback#fragment", false),
        ("com.example.handoff:/callback", false),
        ("/callback", false),
        ("", false),
    ];
    for (redirect_uri, allowed) in table {
        let answer = harness
            .get(&authorize_path(redirect_uri, "read"))
            .send()
            .await;
        if allowed {
            assert_eq!(answer.status, StatusCode::FOUND, "{redirect_uri}");
            let location = answer.header("location").unwrap();
            let base = redirect_uri.split('?').next().unwrap();
            assert!(location.starts_with(base), "{redirect_uri} → {location}");
            let pairs = location_pairs(&answer);
            assert!(pair(&pairs, "code").is_some(), "{redirect_uri}");
            if redirect_uri.contains("keep=1") {
                assert_eq!(pair(&pairs, "keep"), Some("1"), "its own query is kept");
            }
        } else {
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{redirect_uri}");
            assert!(
                answer.header("location").is_none(),
                "never redirected to an untrusted URI"
            );
            assert!(answer.text().contains("redirect uri"), "{redirect_uri}");
        }
    }
}

#[tokio::test]
async fn malformed_authorization_requests_are_refused() {
    let (harness, _clock) = harness();
    harness.sim.set_oauth_consent(ConsentMode::Approve);
    let path = |pairs: &[(&str, &str)]| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in pairs {
            query.append_pair(key, value);
        }
        format!("/oauth/authorizations/new?{}", query.finish())
    };
    let base = [
        ("response_type", "code"),
        ("client_id", "handoff_console"),
        ("redirect_uri", REDIRECT),
        ("state", "s"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let with = |key: &str, value: &str| -> Vec<(String, String)> {
        base.iter()
            .filter(|(name, _)| *name != key)
            .map(|(name, v)| (name.to_string(), v.to_string()))
            .chain((!value.is_empty()).then(|| (key.to_owned(), value.to_owned())))
            .collect()
    };
    // (what, query, status, redirect error)
    let table = [
        ("unknown client", with("client_id", "nobody"), 400, None),
        (
            "implicit grant",
            with("response_type", "token"),
            302,
            Some("unsupported_response_type"),
        ),
        (
            "public client without PKCE",
            with("code_challenge", ""),
            302,
            Some("invalid_request"),
        ),
        (
            "plain PKCE",
            with("code_challenge_method", "plain"),
            302,
            Some("invalid_request"),
        ),
    ];
    for (what, query, status, error) in table {
        let pairs: Vec<(&str, &str)> = query
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        let answer = harness.get(&path(&pairs)).send().await;
        assert_eq!(answer.status.as_u16(), status, "{what}: {}", answer.text());
        if let Some(error) = error {
            let pairs = location_pairs(&answer);
            assert_eq!(pair(&pairs, "error"), Some(error), "{what}");
            assert_eq!(pair(&pairs, "state"), Some("s"), "{what}");
        }
    }
}

#[tokio::test]
async fn api_tokens_keep_working_and_oauth_secrets_never_reach_the_log() {
    let (harness, _clock) = harness();
    let basic = harness
        .get("/api/v2/users/me")
        .token(&harness.admin())
        .send()
        .await;
    assert_eq!(basic.status, StatusCode::OK);

    let code = code(&harness, REDIRECT, "read write").await;
    let tokens = token_request(&harness, code_grant(&code)).await.json();
    let refresh = text(&tokens, "refresh_token");
    token_request(
        &harness,
        json!({"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "handoff_relay", "client_secret": RELAY_SECRET}),
    )
    .await;
    let form = format!(
        "grant_type=client_credentials&client_id=handoff_relay&client_secret={RELAY_SECRET}"
    );
    harness
        .request(Method::POST, "/oauth/tokens")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.into_bytes())
        .send()
        .await;

    let log = harness.sim.requests();
    let tokens_logged: Vec<_> = log
        .iter()
        .filter(|entry| entry.path == "/oauth/tokens")
        .collect();
    assert_eq!(tokens_logged.len(), 3, "token requests are logged");
    let printed = format!("{log:?}");
    for secret in [
        code.as_str(),
        VERIFIER,
        RELAY_SECRET,
        refresh,
        text(&tokens, "access_token"),
    ] {
        assert!(
            !printed.contains(secret),
            "the log shows a secret: {printed}"
        );
    }
    assert!(tokens_logged
        .iter()
        .all(|entry| entry.body.contains("redacted")));
    let config = SimConfig {
        oauth_relay_secret: Some(RELAY_SECRET.to_owned()),
        ..SimConfig::default()
    };
    assert!(!format!("{config:?}").contains(RELAY_SECRET));
}

/// `GET /_sim/secrets` and `Simulator::secrets` list every secret of the run, so a client's files and output
/// can be grepped for each: revoked pairs, spent codes and verifiers included.
#[tokio::test]
async fn every_secret_handed_out_is_listed_for_the_canary_tests() {
    let (harness, _clock) = harness();
    let code = code(&harness, REDIRECT, "read").await;
    let answer = token_request(&harness, code_grant(&code)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let first = answer.json();
    let refreshed = token_request(
        &harness,
        json!({"grant_type": "refresh_token", "client_id": "handoff_console",
               "refresh_token": text(&first, "refresh_token")}),
    )
    .await;
    assert_eq!(
        refreshed.status,
        StatusCode::CREATED,
        "{}",
        refreshed.text()
    );
    let second = refreshed.json();

    let listed = harness.get("/_sim/secrets").send().await;
    assert_eq!(listed.status, StatusCode::OK);
    let secrets: Vec<String> = listed.json()["secrets"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        secrets,
        harness.sim.secrets(),
        "the endpoint and the accessor agree"
    );
    let admin = harness.sim.admin().token;
    for expected in [
        admin.as_str(),
        RELAY_SECRET,
        code.as_str(),
        VERIFIER,
        text(&first, "access_token"),
        text(&first, "refresh_token"),
        text(&second, "access_token"),
        text(&second, "refresh_token"),
    ] {
        assert!(
            secrets.iter().any(|secret| secret == expected),
            "{expected} is listed"
        );
    }
}
