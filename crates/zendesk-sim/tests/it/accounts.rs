//! Which account a request addresses: the configured subdomain, loopback hosts, and the
//! HTML page a non-Zendesk subdomain gets.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::Harness;

#[tokio::test]
async fn host_and_prefix_select_the_account() {
    let harness = Harness::minimal();
    let admin = harness.admin();
    // (Host header, path, answered by the account)
    let table = [
        ("127.0.0.1:3000", "/api/v2/users/me.json", true),
        ("localhost:3000", "/api/v2/users/me.json", true),
        ("d3v-sim.zendesk.com", "/api/v2/users/me.json", true),
        ("D3V-SIM.zendesk.com", "/api/v2/users/me.json", true),
        (
            "no-such-account.zendesk.com",
            "/api/v2/users/me.json",
            false,
        ),
        (
            "127.0.0.1:3000",
            "/_account/d3v-sim/api/v2/users/me.json",
            true,
        ),
        (
            "127.0.0.1:3000",
            "/_account/acme/api/v2/users/me.json",
            false,
        ),
    ];
    for (host, path, answered) in table {
        let answer = harness
            .get(path)
            .header("host", host)
            .token(&admin)
            .send()
            .await;
        if answered {
            assert_eq!(answer.status, StatusCode::OK, "{host} {path}");
            assert_eq!(
                answer.json()["user"]["id"],
                json!(admin.user_id),
                "{host} {path}"
            );
        } else {
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{host} {path}");
            assert!(
                answer
                    .header("content-type")
                    .is_some_and(|value| value.starts_with("text/html")),
                "{host} {path}"
            );
            assert!(
                serde_json::from_slice::<serde_json::Value>(&answer.body).is_err(),
                "an unknown account's page is not JSON"
            );
            assert!(answer.text().contains("<html>"), "{host} {path}");
        }
    }
}

#[tokio::test]
async fn prefixed_account_urls_keep_the_prefix() {
    let harness = Harness::minimal();
    let answer = harness
        .get("/_account/d3v-sim/api/v2/users/me")
        .token(&harness.admin())
        .send()
        .await;
    let url = answer.json()["user"]["url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:3000/_account/d3v-sim/api/v2/users/"),
        "{url}"
    );
}
