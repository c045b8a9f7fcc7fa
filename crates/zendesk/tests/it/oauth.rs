//! OAuth against the simulator: `exchange_token` for all three grants, `current_token`, and `Auth::Bearer`
//! refreshing through its `TokenSource` on a 401 (once). Every request the client sent to the token endpoint
//! and the API is read back from the simulator's log and validated against the contracts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use zendesk::{
    Auth, Client, ClientConfig, Error, Forbidden, Grant, SecretString, TokenRequest, TokenResponse,
    TokenSource,
};
use zendesk_sim::{Clock, ConsentMode, RunningSimulator, Seed, SimConfig};

use crate::scripted::Seen;
use crate::spec;

/// RFC 7636 appendix B: a verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:53682/callback";
const RELAY_SECRET: &str = "relay-secret-for-the-client-tests";

async fn simulator() -> (RunningSimulator, Clock) {
    let clock = Clock::manual("2025-03-01T09:00:00Z".parse().unwrap());
    let running = zendesk_sim::spawn(SimConfig {
        seed: Seed::Minimal,
        clock: clock.clone(),
        oauth_relay_secret: Some(RELAY_SECRET.to_owned()),
        oauth_consent: ConsentMode::Approve,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    (running, clock)
}

fn client(running: &RunningSimulator, auth: Auth) -> Client {
    Client::new(ClientConfig::new(
        url::Url::parse(&running.base_url).unwrap(),
        auth,
    ))
    .unwrap()
}

/// What the browser does: open the authorization URL (consent answers at once) and read the code off the
/// redirect.
async fn authorization_code(running: &RunningSimulator, scope: &str) -> String {
    let mut url =
        url::Url::parse(&format!("{}/oauth/authorizations/new", running.base_url)).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "handoff_console")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", "st4te")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(url).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 302);
    let location = answer.headers()["location"].to_str().unwrap();
    let redirect = url::Url::parse(location).unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    let pairs: Vec<(String, String)> = redirect.query_pairs().into_owned().collect();
    assert!(pairs.contains(&("state".to_owned(), "st4te".to_owned())));
    pairs
        .into_iter()
        .find(|(key, _)| key == "code")
        .map(|(_, code)| code)
        .expect("a code on the redirect")
}

fn code_request(code: &str, verifier: &str) -> TokenRequest {
    TokenRequest {
        grant: Grant::AuthorizationCode {
            code: SecretString::from(code),
            redirect_uri: REDIRECT.to_owned(),
            code_verifier: SecretString::from(verifier),
        },
        client_id: "handoff_console".to_owned(),
        client_secret: None,
        scope: None,
        expires_in: None,
        refresh_token_expires_in: None,
    }
}

fn refresh_request(refresh_token: &SecretString) -> TokenRequest {
    TokenRequest {
        grant: Grant::RefreshToken {
            refresh_token: refresh_token.clone(),
        },
        client_id: "handoff_console".to_owned(),
        client_secret: None,
        scope: None,
        expires_in: None,
        refresh_token_expires_in: None,
    }
}

/// The client's requests in the simulator's log (the browser's authorization GET is not the client's).
fn sent(running: &RunningSimulator) -> Vec<Seen> {
    running
        .sim
        .requests()
        .into_iter()
        .filter(|logged| logged.path.starts_with("/api/") || logged.path == "/oauth/tokens")
        .map(|logged| Seen {
            method: logged.method,
            path: logged.path,
            query: (!logged.query.is_empty()).then_some(logged.query),
            headers: Default::default(),
            body: logged.body,
        })
        .collect()
}

/// A token source holding one fixed access token.
struct Fixed(SecretString);

impl TokenSource for Fixed {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, Error>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }

    fn invalidate(&self, _rejected: &SecretString) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn all_three_grants_exchange_and_current_token_shows_the_grant() {
    let (running, _clock) = simulator().await;
    let anonymous = client(&running, Auth::Anonymous);
    let admin = running.sim.admin();

    // Authorization code + PKCE.
    let code = authorization_code(&running, "users:read tickets:read oauth_tokens:read").await;
    let first: TokenResponse = anonymous
        .exchange_token(&code_request(&code, VERIFIER))
        .await
        .unwrap();
    assert_eq!(first.token_type, "bearer");
    assert_eq!(
        first.scope.as_deref(),
        Some("users:read tickets:read oauth_tokens:read")
    );
    assert_eq!(
        (first.expires_in, first.refresh_token_expires_in),
        (Some(1800), Some(2_592_000))
    );
    let refresh = first.refresh_token.clone().expect("a refresh token");

    let bearer = client(
        &running,
        Auth::Bearer(Arc::new(Fixed(first.access_token.clone()))),
    );
    let current = bearer.current_token().await.unwrap();
    assert_eq!(current.user_id, Some(admin.user_id));
    assert!(current.client_id.is_some());
    assert_eq!(
        current.scopes,
        ["users:read", "tickets:read", "oauth_tokens:read"]
    );
    assert_eq!(current.expires_at.as_deref(), Some("2025-03-01T09:30:00Z"));
    assert_eq!(bearer.current_user().await.unwrap().id, admin.user_id);

    // The code is spent; a wrong verifier or an unknown client are refused as bad credentials.
    let code_again = anonymous
        .exchange_token(&code_request(&code, VERIFIER))
        .await
        .unwrap_err();
    let fresh = authorization_code(&running, "read").await;
    let wrong_verifier = anonymous
        .exchange_token(&code_request(
            &fresh,
            "a-verifier-whose-challenge-was-never-sent-000",
        ))
        .await
        .unwrap_err();
    let mut stranger = code_request(&fresh, VERIFIER);
    stranger.client_id = "nobody".to_owned();
    let unknown_client = anonymous.exchange_token(&stranger).await.unwrap_err();
    for (what, error) in [
        ("reused code", code_again),
        ("wrong verifier", wrong_verifier),
        ("unknown client", unknown_client),
    ] {
        assert!(
            matches!(error, Error::BadCredentials { .. }),
            "{what}: {error:?}"
        );
        assert!(!error.to_string().contains(&code), "{what}");
    }

    // Refresh: a new pair; the old refresh token and the old access token are dead.
    let second = anonymous
        .exchange_token(&refresh_request(&refresh))
        .await
        .unwrap();
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(second.scope, first.scope);
    let reused = anonymous
        .exchange_token(&refresh_request(&refresh))
        .await
        .unwrap_err();
    assert!(matches!(reused, Error::BadCredentials { .. }), "{reused:?}");
    let old = bearer.current_user().await.unwrap_err();
    assert!(matches!(old, Error::BadCredentials { .. }), "{old:?}");

    // Client credentials: the confidential client's own token, acting as its creating admin.
    let relay = TokenRequest {
        grant: Grant::ClientCredentials,
        client_id: "handoff_relay".to_owned(),
        client_secret: Some(SecretString::from(RELAY_SECRET)),
        scope: Some("read write".to_owned()),
        expires_in: Some(3600),
        refresh_token_expires_in: None,
    };
    let own = anonymous.exchange_token(&relay).await.unwrap();
    assert!(own.refresh_token.is_none());
    assert_eq!(own.expires_in, Some(3600));
    let relay_client = client(&running, Auth::Bearer(Arc::new(Fixed(own.access_token))));
    let current = relay_client.current_token().await.unwrap();
    assert_eq!(current.user_id, Some(admin.user_id));
    assert_eq!(current.scopes, ["read", "write"]);
    let wrong_secret = anonymous
        .exchange_token(&TokenRequest {
            client_secret: Some(SecretString::from("guessed")),
            ..relay
        })
        .await
        .unwrap_err();
    assert!(
        matches!(wrong_secret, Error::BadCredentials { .. }),
        "{wrong_secret:?}"
    );

    let requests = sent(&running);
    let token_posts = requests
        .iter()
        .filter(|seen| seen.path == "/oauth/tokens")
        .count();
    assert_eq!(
        token_posts, 8,
        "every exchange reached the token endpoint once"
    );
    spec::assert_all_valid(&requests);
    running.stop().await.unwrap();
}

/// A token source that refreshes through the token endpoint; counts `invalidate` calls. When `stale` it
/// "refreshes" without effect, so the retried request is refused again.
struct Refreshing {
    endpoint: Client,
    pair: Mutex<(SecretString, Option<SecretString>)>,
    invalidations: AtomicUsize,
    stale: bool,
}

impl TokenSource for Refreshing {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, Error>> {
        Box::pin(async move { Ok(self.pair.lock().unwrap().0.clone()) })
    }

    fn invalidate(&self, rejected: &SecretString) -> BoxFuture<'_, Result<(), Error>> {
        let rejected = rejected.clone();
        Box::pin(async move {
            self.invalidations.fetch_add(1, Ordering::SeqCst);
            let (current, refresh) = self.pair.lock().unwrap().clone();
            assert_eq!(
                current, rejected,
                "the rejected token is the one handed out"
            );
            if self.stale {
                return Ok(());
            }
            let refresh = refresh.ok_or_else(|| Error::BadCredentials {
                detail: "no refresh token".to_owned(),
            })?;
            let fresh = self
                .endpoint
                .exchange_token(&refresh_request(&refresh))
                .await?;
            *self.pair.lock().unwrap() = (fresh.access_token, fresh.refresh_token);
            Ok(())
        })
    }
}

#[tokio::test]
async fn an_expired_bearer_is_refreshed_once_and_a_second_401_is_bad_credentials() {
    // (source refreshes for real, users/me succeeds, what the simulator answered, in order)
    /// What the simulator answered, in order: (path, status).
    type Answered = &'static [(&'static str, u16)];
    let table: [(bool, bool, Answered); 2] = [
        (
            true,
            true,
            &[
                ("/api/v2/users/me", 401),
                ("/oauth/tokens", 201),
                ("/api/v2/users/me", 200),
            ],
        ),
        (
            false,
            false,
            &[("/api/v2/users/me", 401), ("/api/v2/users/me", 401)],
        ),
    ];
    for (refreshes, succeeds, answered) in table {
        let (running, clock) = simulator().await;
        let anonymous = client(&running, Auth::Anonymous);
        let code = authorization_code(&running, "read write").await;
        let tokens = anonymous
            .exchange_token(&code_request(&code, VERIFIER))
            .await
            .unwrap();
        let source = Arc::new(Refreshing {
            endpoint: anonymous.clone(),
            pair: Mutex::new((tokens.access_token, tokens.refresh_token)),
            invalidations: AtomicUsize::new(0),
            stale: !refreshes,
        });
        let bearer = client(&running, Auth::Bearer(source.clone()));
        bearer.current_user().await.unwrap();
        running.sim.clear_requests();

        clock.advance(Duration::from_secs(1801));
        let outcome = bearer.current_user().await;
        assert_eq!(
            source.invalidations.load(Ordering::SeqCst),
            1,
            "invalidate is called once (refreshing: {refreshes})"
        );
        match (&outcome, succeeds) {
            (Ok(user), true) => assert_eq!(user.id, running.sim.admin().user_id),
            (Err(Error::BadCredentials { .. }), false) => {}
            _ => panic!("refreshing: {refreshes}: {outcome:?}"),
        }
        let logged: Vec<(String, u16)> = running
            .sim
            .requests()
            .into_iter()
            .map(|logged| (logged.path, logged.status))
            .collect();
        let expected: Vec<(String, u16)> = answered
            .iter()
            .map(|(path, status)| ((*path).to_owned(), *status))
            .collect();
        assert_eq!(
            logged, expected,
            "one refresh, one retry (refreshing: {refreshes})"
        );
        spec::assert_all_valid(&sent(&running));
        running.stop().await.unwrap();
    }
}

/// Disconnect revokes the console's own token: `DELETE /api/v2/oauth/tokens/current` answers 204, the token and
/// its refresh token stop working, and the request is the spec's `RevokeOAuthToken`. A token without the
/// `oauth_tokens:write` scope (or `write`) may not revoke itself: a 403 naming the scope.
#[tokio::test]
async fn a_token_revokes_itself_and_stops_working() {
    let (running, _clock) = simulator().await;
    let anonymous = client(&running, Auth::Anonymous);
    let code = authorization_code(&running, "users:read oauth_tokens:write").await;
    let tokens = anonymous
        .exchange_token(&code_request(&code, VERIFIER))
        .await
        .unwrap();
    let bearer = client(
        &running,
        Auth::Bearer(Arc::new(Fixed(tokens.access_token.clone()))),
    );
    assert_eq!(
        bearer.current_user().await.unwrap().id,
        running.sim.admin().user_id
    );
    bearer.revoke_current_token().await.unwrap();
    assert!(matches!(
        bearer.current_user().await,
        Err(Error::BadCredentials { .. })
    ));
    let refreshed = anonymous
        .exchange_token(&TokenRequest {
            grant: Grant::RefreshToken {
                refresh_token: tokens.refresh_token.clone().unwrap(),
            },
            client_id: "handoff_console".into(),
            client_secret: None,
            scope: None,
            expires_in: None,
            refresh_token_expires_in: None,
        })
        .await;
    assert!(
        matches!(refreshed, Err(Error::BadCredentials { .. })),
        "the refresh token went with it: {refreshed:?}"
    );

    let code = authorization_code(&running, "users:read").await;
    let narrow = anonymous
        .exchange_token(&code_request(&code, VERIFIER))
        .await
        .unwrap();
    let narrow = client(&running, Auth::Bearer(Arc::new(Fixed(narrow.access_token))));
    match narrow.revoke_current_token().await {
        Err(Error::Forbidden {
            reason: Forbidden::MissingScopes(scopes),
        }) => assert!(
            scopes.iter().any(|s| s.contains("oauth_tokens")),
            "{scopes:?}"
        ),
        other => panic!("{other:?}"),
    }
    spec::assert_all_valid(&sent(&running));
}
