//! users/me and users/{id} over HTTP: auth headers, the anonymous-user trap, error classification.

use base64::Engine as _;
use zendesk::{Auth, Error, Role, SecretString};

use crate::scripted::{Reply, Scripted};

const ME_ADMIN: &str = r#"{"user":{"id":6130907993114,"url":"https://z3n-jteitelbaum.zendesk.com/api/v2/users/6130907993114.json","name":"09cace","email":"automationsqa@z3nmail.com","created_at":"2023-09-09T23:51:58Z","updated_at":"2023-12-13T23:50:14Z","time_zone":"America/New_York","iana_time_zone":"America/New_York","phone":null,"shared_phone_number":null,"photo":null,"locale_id":1,"locale":"en-US","organization_id":6130869157658,"role":"admin","verified":true,"authenticity_token":"EzS3","external_id":null,"tags":[],"alias":null,"active":true,"shared":false,"shared_agent":false,"last_login_at":"2023-12-13T23:50:14Z","two_factor_auth_enabled":null,"signature":null,"details":null,"notes":null,"role_type":4,"custom_role_id":6130869137434,"moderator":true,"ticket_restriction":null,"only_private_comments":false,"restricted_agent":false,"suspended":false,"default_group_id":6130852536346,"report_csv":true,"user_fields":{}}}"#;

const ME_ANONYMOUS: &str = r#"{"user":{"id":null,"url":null,"name":"Anonymous user","email":"invalid@example.com","created_at":null,"updated_at":null,"time_zone":"America/New_York","role":"end-user","verified":false,"active":true,"suspended":false,"restricted_agent":true}}"#;

fn api_token() -> Auth {
    Auth::ApiToken {
        email: "admin@acme.test".to_owned(),
        token: SecretString::from("tok-SECRET-123"),
    }
}

#[tokio::test]
async fn current_user_sends_basic_token_auth_and_parses_the_admin() {
    let server = Scripted::start(vec![Reply::json("GET /api/v2/users/me", 200, ME_ADMIN)]).await;
    let user = server.client(api_token()).current_user().await.unwrap();
    assert_eq!(user.id, 6130907993114);
    assert_eq!(user.role, Role::Admin);
    assert_eq!(user.role_type, Some(4));
    assert!(user.is_active_staff());

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (
            seen[0].method.as_str(),
            seen[0].path.as_str(),
            seen[0].query.as_deref()
        ),
        ("GET", "/api/v2/users/me", None)
    );
    let header = seen[0].headers["authorization"].to_str().unwrap();
    let expected =
        base64::engine::general_purpose::STANDARD.encode("admin@acme.test/token:tok-SECRET-123");
    assert_eq!(header, format!("Basic {expected}"));
    let agent = seen[0].headers["user-agent"].to_str().unwrap();
    assert!(agent.starts_with("zendesk-handoff/"), "{agent}");
}

/// A predicate on the error a call returned.
type Expect = fn(&Error) -> bool;

/// (what users/me answers, the error expected) — the whole Verify step's failure table.
/// Time is paused so the retries of the 502 take no wall-clock time.
#[tokio::test(start_paused = true)]
async fn current_user_failures_are_classified() {
    let table: Vec<(Reply, Expect)> = vec![
        (Reply::json("GET", 200, ME_ANONYMOUS), |e| {
            matches!(e, Error::BadCredentials { .. })
        }),
        (
            Reply::json("GET", 401, r#"{"error":"Couldn't authenticate you"}"#)
                .header("www-authenticate", r#"Basic realm="Web Password""#),
            |e| matches!(e, Error::BadCredentials { detail } if detail == "Couldn't authenticate you"),
        ),
        (
            Reply::typed("GET", 404, "text/html", "<html>Help Center Closed</html>"),
            |e| matches!(e, Error::NotZendesk { status: 404, .. }),
        ),
        (
            Reply::typed("GET", 200, "text/html", "<html>Welcome</html>"),
            |e| matches!(e, Error::NotZendesk { status: 200, .. }),
        ),
        (
            Reply::json(
                "GET",
                403,
                r#"{"error":{"title":"Forbidden","message":"You do not have access to this page. Please contact the account owner of this help desk for further help."}}"#,
            ),
            |e| {
                matches!(
                    e,
                    Error::Forbidden {
                        reason: zendesk::Forbidden::NoAccess { .. }
                    }
                )
            },
        ),
        (Reply::json("GET", 200, r#"{"user":{"id":1}}"#), |e| {
            matches!(e, Error::Decode { .. })
        }),
        (
            Reply::typed("GET", 502, "text/html", "<h1>Bad gateway</h1>"),
            |e| matches!(e, Error::Server { status: 502, .. }),
        ),
    ];
    for (reply, expected) in table {
        let description = format!("HTTP {} {}", reply.status, reply.body);
        let server = Scripted::start(vec![reply]).await;
        let error = server.client(api_token()).current_user().await.unwrap_err();
        assert!(expected(&error), "{description}: got {error:?}");
        let shown = format!("{error} {error:?}");
        assert!(
            !shown.contains("tok-SECRET-123"),
            "the token leaked: {shown}"
        );
    }
}

#[tokio::test]
async fn show_user_maps_404_to_not_found() {
    let server = Scripted::start(vec![Reply::json(
        "GET /api/v2/users/9223372036854775807",
        404,
        r#"{"error":"RecordNotFound","description":"Not found"}"#,
    )])
    .await;
    let error = server
        .client(api_token())
        .show_user(9223372036854775807)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::NotFound { resource } if resource == "user 9223372036854775807"),
        "{error:?}"
    );
}

/// Paused time: the connection retries back off without wall-clock waits.
#[tokio::test(start_paused = true)]
async fn an_unreachable_host_is_a_network_error() {
    // Bind then drop a listener so the port is (very likely) closed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let url = url::Url::parse(&format!("http://{address}")).unwrap();
    let client = zendesk::Client::new(zendesk::ClientConfig::new(url, api_token())).unwrap();
    let error = client.current_user().await.unwrap_err();
    assert!(matches!(error, Error::Network { .. }), "{error:?}");
}

#[test]
fn account_url_accepts_only_bare_subdomains() {
    let table = [
        ("acme", Some("https://acme.zendesk.com/")),
        ("d3v-zenpydev", Some("https://d3v-zenpydev.zendesk.com/")),
        (" acme ", Some("https://acme.zendesk.com/")),
        ("", None),
        ("Acme", None),
        ("acme.zendesk.com", None),
        ("-acme", None),
        ("acme/evil", None),
        ("acme@evil.com", None),
    ];
    for (input, expected) in table {
        let got = zendesk::account_url(input);
        match expected {
            Some(url) => assert_eq!(got.unwrap().as_str(), url, "{input:?}"),
            None => assert!(
                matches!(got, Err(Error::InvalidConfig { .. })),
                "{input:?}: {got:?}"
            ),
        }
    }
}

/// A token source that hands out `tok-1`, then `tok-2` after an invalidation, and counts invalidations.
struct Rotating {
    generation: std::sync::atomic::AtomicUsize,
}

impl zendesk::TokenSource for Rotating {
    fn access_token(&self) -> futures::future::BoxFuture<'_, Result<SecretString, Error>> {
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move { Ok(SecretString::from(format!("tok-{}", generation + 1))) })
    }

    fn invalidate(
        &self,
        rejected: &SecretString,
    ) -> futures::future::BoxFuture<'_, Result<(), Error>> {
        assert_eq!(
            rejected.expose_secret(),
            "tok-1",
            "the rejected token is the one that was sent"
        );
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }
}

/// (answers in order, expected outcome, Authorization headers sent)
#[tokio::test]
async fn bearer_401_invalidates_once_and_retries_once() {
    let unauthorized = || {
        Reply::json("GET", 401, r#"{"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed or invalid for other reasons."}"#).times(1)
    };
    let table: Vec<(Vec<Reply>, bool, Vec<&str>)> = vec![
        (
            vec![Reply::json("GET", 200, ME_ADMIN)],
            true,
            vec!["Bearer tok-1"],
        ),
        (
            vec![unauthorized(), Reply::json("GET", 200, ME_ADMIN)],
            true,
            vec!["Bearer tok-1", "Bearer tok-2"],
        ),
        (
            vec![unauthorized(), unauthorized()],
            false,
            vec!["Bearer tok-1", "Bearer tok-2"],
        ),
    ];
    for (replies, succeeds, sent) in table {
        let server = Scripted::start(replies).await;
        let source = std::sync::Arc::new(Rotating {
            generation: std::sync::atomic::AtomicUsize::new(0),
        });
        let result = server
            .client(Auth::Bearer(source.clone()))
            .current_user()
            .await;
        assert_eq!(result.is_ok(), succeeds, "{result:?}");
        if !succeeds {
            assert!(matches!(result, Err(Error::BadCredentials { .. })));
        }
        let headers: Vec<String> = server
            .seen()
            .iter()
            .map(|seen| seen.headers["authorization"].to_str().unwrap().to_owned())
            .collect();
        assert_eq!(headers, sent);
        assert!(
            server.seen().iter().all(|seen| seen.body.is_empty()),
            "GETs carry no body"
        );
    }
}
