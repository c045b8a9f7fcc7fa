//! OAuth sign-in and the token source against the simulator, with the test playing the browser (SPEC §3,
//! FACTS §10): the full PKCE flow, every way a code exchange is refused, scopes named in the check, refresh
//! before expiry and after a 401, one refresh for twenty waiting requests, and the reconnect state.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use handoff::account::{self, Liveness};
use handoff::clock::Clock;
use handoff::connect::{
    self, CheckId, CheckStatus, ConnectOptions, OAuthConnectInput, SignIn, VerifyReport,
};
use handoff::keychain::SecretName;
use handoff::oauth::browser::{Browser, BrowserError};
use handoff::oauth::pkce::AuthorizationRequest;
use handoff::oauth::{requested_scope, Cancel, GrantKind, TokenSet};
use handoff::profile::Profile;
use handoff::SecretString;
use url::Url;
use zendesk::{Auth, Client, ClientConfig, Grant, TokenRequest};
use zendesk_sim::{ConsentMode, RunningSimulator, SimConfig, CONSOLE_CLIENT, RELAY_CLIENT};

use crate::{assert_no_file_contains, profile, CANARY_TOKEN};

/// The confidential client's secret, grepped for like the tokens.
pub const RELAY_SECRET: &str = "canaryRelaySecr3tQw8Zp2Lm6Vx9Tb4Nc7Hd1Jf5Kg";

/// A simulator whose consent page approves at once, so following the authorize URL's redirects plays an admin
/// who clicks Allow.
pub async fn oauth_simulator() -> RunningSimulator {
    let config = SimConfig {
        admin_token: Some(CANARY_TOKEN.to_owned()),
        oauth_relay_secret: Some(RELAY_SECRET.to_owned()),
        oauth_consent: ConsentMode::Approve,
        ..SimConfig::default()
    };
    zendesk_sim::spawn(config)
        .await
        .unwrap_or_else(|error| panic!("simulator did not start: {error}"))
}

/// What the stand-in browser does with the URL the console opens.
#[derive(Clone, Copy)]
pub enum Visit {
    /// Follows every redirect, as a browser does after Allow.
    Follow,
    /// Rewrites the `scope` the console asked for (an admin or a client limiting the grant), then follows.
    WithScope(&'static str),
    /// First delivers the answer with a forged `state`, then the real one.
    ForgedStateFirst,
}

/// The test's browser: visits the authorize URL from a task, and records what each page answered.
#[derive(Clone)]
pub struct PlayedBrowser {
    visit: Visit,
    pub opened: Arc<Mutex<Vec<Url>>>,
    pub answers: Arc<Mutex<Vec<(u16, String)>>>,
}

impl PlayedBrowser {
    pub fn new(visit: Visit) -> PlayedBrowser {
        PlayedBrowser {
            visit,
            opened: Arc::default(),
            answers: Arc::default(),
        }
    }

    pub fn answers(&self) -> Vec<(u16, String)> {
        self.answers.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

impl Browser for PlayedBrowser {
    fn open(&self, url: &Url) -> Result<(), BrowserError> {
        if let Ok(mut opened) = self.opened.lock() {
            opened.push(url.clone());
        }
        let (visit, answers, url) = (self.visit, self.answers.clone(), url.clone());
        tokio::spawn(async move {
            let record = |status: u16, body: String| {
                if let Ok(mut answers) = answers.lock() {
                    answers.push((status, body));
                }
            };
            match visit {
                Visit::Follow => {
                    let (status, body) = follow(url.as_str()).await;
                    record(status, body);
                }
                Visit::WithScope(scope) => {
                    let mut url = url.clone();
                    let pairs: Vec<(String, String)> = url
                        .query_pairs()
                        .into_owned()
                        .map(|(k, v)| {
                            if k == "scope" {
                                (k, scope.to_owned())
                            } else {
                                (k, v)
                            }
                        })
                        .collect();
                    url.query_pairs_mut().clear().extend_pairs(pairs);
                    let (status, body) = follow(url.as_str()).await;
                    record(status, body);
                }
                Visit::ForgedStateFirst => {
                    let callback = redirect_location(url.as_str()).await;
                    let mut forged = callback.clone();
                    let pairs: Vec<(String, String)> = callback
                        .query_pairs()
                        .into_owned()
                        .map(|(k, v)| {
                            if k == "state" {
                                (k, "forged-state".to_owned())
                            } else {
                                (k, v)
                            }
                        })
                        .collect();
                    forged.query_pairs_mut().clear().extend_pairs(pairs);
                    let (status, body) = follow(forged.as_str()).await;
                    record(status, body);
                    let (status, body) = follow(callback.as_str()).await;
                    record(status, body);
                }
            }
        });
        Ok(())
    }
}

/// GET following redirects; the status and body of the last page.
pub async fn follow(url: &str) -> (u16, String) {
    let response = reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// The `Location` the authorize URL redirects to (the consent approving at once), without following it.
pub async fn redirect_location(url: &str) -> Url {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let response = client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(
        response.status().as_u16(),
        302,
        "the consent answers with a redirect"
    );
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Location"));
    Url::parse(location).unwrap_or_else(|e| panic!("{location}: {e}"))
}

pub fn console_input(sim: &RunningSimulator) -> OAuthConnectInput {
    OAuthConnectInput {
        subdomain: "d3v-sim".into(),
        client_id: CONSOLE_CLIENT.into(),
        client_secret: None,
        grant: GrantKind::AuthorizationCode,
        default_agent_id: None,
        base_url: Some(sim.base_url.clone()),
    }
}

/// The simulator's own clock, as the core's clock: advancing one advances both.
pub fn sim_clock(sim: &RunningSimulator) -> Clock {
    let clock = sim.sim.clock().clone();
    Clock::from_fn(move || clock.now())
}

pub async fn sign_in(
    profile: &Profile,
    input: OAuthConnectInput,
    browser: &dyn Browser,
    clock: &Clock,
) -> (VerifyReport, Vec<(CheckId, CheckStatus)>) {
    crate::any_redirect_port(profile);
    let mut seen = Vec::new();
    let sign_in = SignIn {
        browser,
        cancel: Cancel::new(),
        wait: Duration::from_secs(30),
    };
    let report = connect::verify_and_save_oauth(
        profile,
        input,
        sign_in,
        ConnectOptions::default(),
        clock,
        |c| seen.push((c.id, c.status)),
    )
    .await
    .unwrap_or_else(|e| panic!("sign-in: {e}"));
    (report, seen)
}

/// Signs `profile` in with the console client, the browser played by the test; panics unless saved.
pub async fn connected(sim: &RunningSimulator, profile: &Profile, clock: &Clock) -> TokenSet {
    let browser = PlayedBrowser::new(Visit::Follow);
    let (report, _) = sign_in(profile, console_input(sim), &browser, clock).await;
    assert!(report.saved(), "{:#?}", report.checks);
    stored_tokens(profile)
        .await
        .unwrap_or_else(|| panic!("no tokens stored"))
}

pub async fn stored_tokens(profile: &Profile) -> Option<TokenSet> {
    let stored = crate::stored_secret(profile, SecretName::OAuthTokens).await?;
    // The entry is the pair as JSON; its shape is the core's business, read through the public type.
    let value: serde_json::Value =
        serde_json::from_str(stored.expose_secret()).unwrap_or_else(|_| panic!("tokens are JSON"));
    let text = |k: &str| value[k].as_str().map(str::to_owned);
    Some(TokenSet {
        access_token: SecretString::from(text("access_token").unwrap_or_default()),
        refresh_token: text("refresh_token").map(SecretString::from),
        expires_at: text("expires_at").and_then(|t| t.parse().ok()),
        refresh_expires_at: text("refresh_expires_at").and_then(|t| t.parse().ok()),
        scope: text("scope"),
    })
}

/// Whether Zendesk accepts `token` right now (GET users/me with it, nothing else).
pub async fn accepted(sim: &RunningSimulator, token: &SecretString) -> bool {
    let response = reqwest::Client::new()
        .get(format!("{}/api/v2/users/me", sim.base_url))
        .bearer_auth(token.expose_secret())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    response.status().as_u16() == 200
}

/// POSTs to the token endpoint the simulator logged with this grant type.
pub fn token_requests(sim: &RunningSimulator, grant_type: &str) -> usize {
    sim.sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/oauth/tokens"))
        .filter(|r| r.body.contains(grant_type))
        .count()
}

fn statuses(report: &VerifyReport) -> Vec<(CheckId, CheckStatus)> {
    report.checks.iter().map(|c| (c.id, c.status)).collect()
}

use CheckStatus::{Failed as F, Passed as P, Skipped as S};

#[tokio::test(flavor = "multi_thread")]
async fn the_full_pkce_flow_signs_in_saves_and_keeps_every_secret_out_of_files() {
    let sim = oauth_simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let browser = PlayedBrowser::new(Visit::Follow);
    let agent = sim
        .sim
        .credential_of("agent@example.com")
        .unwrap_or_else(|| panic!("agent"));
    let mut input = console_input(&sim);
    input.default_agent_id = Some(agent.user_id.to_string());

    let (report, seen) = sign_in(&profile, input, &browser, &Clock::system()).await;

    let expected = [
        (CheckId::Subdomain, P),
        (CheckId::Account, P),
        (CheckId::Authorization, P),
        (CheckId::Credentials, P),
        (CheckId::Scopes, P),
        (CheckId::Role, P),
        (CheckId::DefaultAgent, P),
        (CheckId::Keychain, P),
    ];
    assert_eq!(statuses(&report), expected, "{:#?}", report.checks);
    assert!(
        seen.contains(&(CheckId::Authorization, CheckStatus::Running)),
        "the wait for the browser is shown as it happens"
    );
    let opened = browser.opened.lock().map(|o| o.clone()).unwrap_or_default();
    let url = opened
        .first()
        .unwrap_or_else(|| panic!("the browser was opened"));
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let param = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(url.path(), "/oauth/authorizations/new");
    assert_eq!(param("response_type"), Some("code"));
    assert_eq!(param("client_id"), Some(CONSOLE_CLIENT));
    assert_eq!(param("code_challenge_method"), Some("S256"));
    assert_eq!(param("scope"), Some(requested_scope().as_str()));
    let redirect = param("redirect_uri").unwrap_or_default();
    assert!(
        redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/oauth/callback"),
        "{redirect}"
    );
    assert_eq!(
        browser.answers(),
        vec![(200, browser.answers()[0].1.clone())]
    );
    assert!(browser.answers()[0].1.contains("You can close this tab"));

    let connection = report.connection.unwrap_or_else(|| panic!("saved"));
    assert_eq!(connection.user.name, "Ada Admin");
    assert_eq!(
        connection.default_agent.as_ref().map(|a| a.name.as_str()),
        Some("Aaron Agent")
    );
    assert_eq!(connection.api_token_deadline(jiff::Timestamp::now()), None);
    let oauth = connection.oauth.unwrap_or_else(|| panic!("oauth details"));
    assert_eq!(oauth.client_id, CONSOLE_CLIENT);
    assert_eq!(oauth.grant, GrantKind::AuthorizationCode);
    assert!(oauth.token_expires_at.is_some());

    let reopened = profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("saved"));
    assert_eq!(reopened.auth_method, connect::AuthMethod::OAuth);
    assert_eq!(
        reopened.oauth.map(|o| o.scopes.join(" ")),
        Some(requested_scope())
    );
    let tokens = stored_tokens(&profile)
        .await
        .unwrap_or_else(|| panic!("pair stored"));
    assert!(
        accepted(&sim, &tokens.access_token).await,
        "the stored token works"
    );
    let secrets = [
        tokens.access_token.expose_secret().to_owned(),
        tokens
            .refresh_token
            .map(|t| t.expose_secret().to_owned())
            .unwrap_or_default(),
    ];
    for secret in &secrets {
        assert!(secret.len() > 10);
        assert_no_file_contains(dir.path(), secret);
        assert!(!format!("{:?}", report.checks).contains(secret.as_str()));
    }
}

/// Each way a sign-in goes wrong in the browser or at the token endpoint: the check that fails, and nothing saved.
#[tokio::test(flavor = "multi_thread")]
async fn sign_ins_that_go_wrong_fail_their_check_and_save_nothing() {
    struct Case {
        name: &'static str,
        consent: ConsentMode,
        visit: Visit,
        edit: fn(&mut OAuthConnectInput),
        expect: [CheckStatus; 8],
        says: &'static str,
    }
    let cases = [
        Case {
            name: "the admin chooses Deny",
            consent: ConsentMode::Deny,
            visit: Visit::Follow,
            edit: |_| {},
            expect: [P, P, F, S, S, S, S, S],
            says: "Access was denied in Zendesk",
        },
        Case {
            name: "a confidential client's wrong secret",
            consent: ConsentMode::Approve,
            visit: Visit::Follow,
            edit: |i| {
                i.client_id = RELAY_CLIENT.into();
                i.client_secret = Some(SecretString::from("not-the-secret"));
            },
            expect: [P, P, F, S, S, S, S, S],
            says: "Zendesk refused to exchange the authorization code",
        },
        Case {
            name: "client credentials with a wrong secret",
            consent: ConsentMode::Approve,
            visit: Visit::Follow,
            edit: |i| {
                i.client_id = RELAY_CLIENT.into();
                i.grant = GrantKind::ClientCredentials;
                i.client_secret = Some(SecretString::from("not-the-secret"));
            },
            expect: [P, P, F, S, S, S, S, S],
            says: "Zendesk refused the client credentials",
        },
        Case {
            name: "no client identifier",
            consent: ConsentMode::Approve,
            visit: Visit::Follow,
            edit: |i| i.client_id = " ".into(),
            expect: [P, P, F, S, S, S, S, S],
            says: "No OAuth client identifier",
        },
        Case {
            name: "the grant leaves out webhook and trigger writes",
            consent: ConsentMode::Approve,
            visit: Visit::WithScope("read tickets:write users:write"),
            edit: |_| {},
            expect: [P, P, P, P, F, P, S, S],
            says: "The token lacks webhooks:write, triggers:write",
        },
        Case {
            name: "an invalid scope still yields a token that every request refuses",
            consent: ConsentMode::Approve,
            visit: Visit::WithScope("bogus"),
            edit: |_| {},
            expect: [P, P, P, P, F, F, S, S],
            says: "users:read",
        },
    ];
    let mut failures = Vec::new();
    for case in cases {
        let sim = oauth_simulator().await;
        sim.sim.set_oauth_consent(case.consent);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let profile = profile(&dir);
        let browser = PlayedBrowser::new(case.visit);
        let mut input = console_input(&sim);
        (case.edit)(&mut input);
        let (report, _) = sign_in(&profile, input, &browser, &Clock::system()).await;
        let got: Vec<CheckStatus> = report.checks.iter().map(|c| c.status).collect();
        let ids: Vec<CheckId> = report.checks.iter().map(|c| c.id).collect();
        let text = format!("{:?}", report.checks);
        if got != case.expect
            || ids != CheckId::OAUTH
            || report.saved()
            || !text.contains(case.says)
        {
            failures.push(format!(
                "{}: {got:?} saved={} {:#?}",
                case.name,
                report.saved(),
                report.checks
            ));
            continue;
        }
        for check in report.checks.iter().filter(|c| c.status == F) {
            assert!(
                check.cause.is_some() && check.fix.is_some(),
                "{}: {check:?}",
                case.name
            );
        }
        assert!(
            profile
                .connection()
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none(),
            "{}",
            case.name
        );
        assert!(
            stored_tokens(&profile).await.is_none(),
            "{}: no token in the keychain",
            case.name
        );
        assert!(!text.contains(RELAY_SECRET));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_state_is_refused_and_the_real_answer_still_signs_in() {
    let sim = oauth_simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let browser = PlayedBrowser::new(Visit::ForgedStateFirst);

    let (report, _) = sign_in(&profile, console_input(&sim), &browser, &Clock::system()).await;

    let answers = browser.answers();
    assert_eq!(
        answers.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![400, 200],
        "{answers:?}"
    );
    assert!(answers[0].1.contains("does not match"), "{}", answers[0].1);
    assert!(report.saved(), "{:#?}", report.checks);
    // The forged answer carried the real code; it was ignored, so the code was exchanged once, by the console.
    assert_eq!(token_requests(&sim, "authorization_code"), 1);
}

/// The token endpoint's side of PKCE: a code works once, within 120 s, with its own verifier and redirect URI.
#[tokio::test(flavor = "multi_thread")]
async fn codes_are_single_use_short_lived_and_bound_to_their_verifier() {
    struct Case {
        name: &'static str,
        /// What happens between the consent and the exchange.
        before: fn(&RunningSimulator),
        /// Changes to the exchange the console would send.
        edit: fn(&mut TokenRequest),
        /// Exchange a second time with the same request.
        twice: bool,
        accepted: bool,
    }
    let cases = [
        Case {
            name: "the right verifier within 120 s",
            before: |_| {},
            edit: |_| {},
            twice: false,
            accepted: true,
        },
        Case {
            name: "the same code a second time",
            before: |_| {},
            edit: |_| {},
            twice: true,
            accepted: false,
        },
        Case {
            name: "the code after 121 s",
            before: |sim| sim.sim.clock().advance(Duration::from_secs(121)),
            edit: |_| {},
            twice: false,
            accepted: false,
        },
        Case {
            name: "another verifier",
            before: |_| {},
            edit: |r| {
                if let Grant::AuthorizationCode { code_verifier, .. } = &mut r.grant {
                    *code_verifier =
                        SecretString::from("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
                }
            },
            twice: false,
            accepted: false,
        },
        Case {
            name: "another redirect URI",
            before: |_| {},
            edit: |r| {
                if let Grant::AuthorizationCode { redirect_uri, .. } = &mut r.grant {
                    *redirect_uri = "http://127.0.0.1:1/elsewhere".into();
                }
            },
            twice: false,
            accepted: false,
        },
        Case {
            name: "another client",
            before: |_| {},
            edit: |r| r.client_id = "someone_else".into(),
            twice: false,
            accepted: false,
        },
    ];
    let mut failures = Vec::new();
    for case in cases {
        let sim = oauth_simulator().await;
        let base = Url::parse(&sim.base_url).unwrap_or_else(|e| panic!("{e}"));
        let redirect_uri = "http://127.0.0.1:9/oauth/callback";
        let authorization =
            AuthorizationRequest::new(&base, CONSOLE_CLIENT, redirect_uri, &requested_scope());
        let location = redirect_location(authorization.url.as_str()).await;
        let param = |key: &str| {
            location
                .query_pairs()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        assert_eq!(
            param("state"),
            authorization.state,
            "{}: the state comes back",
            case.name
        );
        (case.before)(&sim);
        let mut request = TokenRequest {
            grant: Grant::AuthorizationCode {
                code: SecretString::from(param("code")),
                redirect_uri: authorization.redirect_uri.clone(),
                code_verifier: authorization.code_verifier.clone(),
            },
            client_id: CONSOLE_CLIENT.into(),
            client_secret: None,
            scope: None,
            expires_in: None,
            refresh_token_expires_in: None,
        };
        (case.edit)(&mut request);
        let endpoint = Client::new(ClientConfig::new(base.clone(), Auth::Anonymous))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut outcome = endpoint.exchange_token(&request).await;
        if case.twice {
            assert!(outcome.is_ok(), "{}: the first exchange works", case.name);
            outcome = endpoint.exchange_token(&request).await;
        }
        let refused_as_bad_grant = matches!(&outcome, Err(zendesk::Error::BadCredentials { .. }));
        if outcome.is_ok() != case.accepted || (!case.accepted && !refused_as_bad_grant) {
            failures.push(format!("{}: {outcome:?}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn client_credentials_connect_a_confidential_client_as_its_creating_admin() {
    let sim = oauth_simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let mut input = console_input(&sim);
    input.client_id = RELAY_CLIENT.into();
    input.grant = GrantKind::ClientCredentials;
    input.client_secret = Some(SecretString::from(RELAY_SECRET));
    let browser = PlayedBrowser::new(Visit::Follow);

    let (report, _) = sign_in(&profile, input, &browser, &Clock::system()).await;

    assert!(report.saved(), "{:#?}", report.checks);
    assert!(
        browser.opened.lock().map(|o| o.is_empty()).unwrap_or(false),
        "no browser for client credentials"
    );
    let connection = report.connection.unwrap_or_else(|| panic!("saved"));
    assert_eq!(connection.user.name, "Ada Admin");
    assert_eq!(
        connection.oauth.map(|o| o.grant),
        Some(GrantKind::ClientCredentials)
    );
    let secret = crate::stored_secret(&profile, SecretName::OAuthClientSecret).await;
    assert_eq!(
        secret.map(|s| s.expose_secret().to_owned()),
        Some(RELAY_SECRET.to_owned())
    );
    assert_no_file_contains(dir.path(), RELAY_SECRET);

    // Its token expires like any other; a new one comes from the secret, not from a refresh token.
    let clock = sim_clock(&sim);
    let account = account::open(&profile, &clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("saved"));
    sim.sim.clock().advance(Duration::from_secs(1800));
    account
        .client
        .current_user()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(account.oauth.as_ref().map(|s| s.refreshes()), Some(1));
    assert_eq!(token_requests(&sim, "client_credentials"), 2);
}

/// Refresh before expiry: the core's clock is the simulator's, so it sees the token is due and renews it before
/// sending; the old pair dies, the new one is in the keychain, its expiry in SQLite, and the marker is gone.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_close_to_expiry_is_renewed_before_it_is_sent() {
    let sim = oauth_simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let clock = sim_clock(&sim);
    let first = connected(&sim, &profile, &clock).await;
    let account = account::open(&profile, &clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("saved"));
    let session = account
        .oauth
        .clone()
        .unwrap_or_else(|| panic!("an OAuth session"));

    account
        .client
        .current_user()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.refreshes(), 0, "a fresh token is used as is");

    sim.sim.clock().advance(Duration::from_secs(1800 - 30));
    account
        .client
        .current_user()
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(session.refreshes(), 1);
    assert_eq!(token_requests(&sim, "refresh_token"), 1);
    assert_eq!(
        sim.sim
            .requests()
            .iter()
            .filter(|r| r.status == 401)
            .count(),
        0,
        "renewed before Zendesk had to refuse anything"
    );
    let second = stored_tokens(&profile)
        .await
        .unwrap_or_else(|| panic!("pair stored"));
    assert_ne!(second.access_token, first.access_token);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert!(
        !accepted(&sim, &first.access_token).await,
        "a refresh invalidates the old pair"
    );
    assert!(accepted(&sim, &second.access_token).await);
    let stored = profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("saved"));
    assert!(!stored.refresh_interrupted);
    assert_eq!(
        stored.oauth.and_then(|o| o.token_expires_at),
        second.expires_at
    );
}

/// Twenty requests find the token expired at once: one refresh, and every request succeeds with its result —
/// whether the core's clock says the token is due, or only Zendesk's 401 does (the clock is behind).
#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_requests_during_expiry_cause_exactly_one_refresh() {
    for (name, follows_the_simulator) in [
        ("the clock says it is due", true),
        ("only Zendesk's 401 says so", false),
    ] {
        let sim = oauth_simulator().await;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let profile = profile(&dir);
        let clock = if follows_the_simulator {
            sim_clock(&sim)
        } else {
            Clock::system()
        };
        connected(&sim, &profile, &clock).await;
        let account = account::open(&profile, &clock)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("saved"));
        sim.sim.clock().advance(Duration::from_secs(1801));

        let calls = (0..20).map(|_| {
            let client = account.client.clone();
            tokio::spawn(async move { client.current_user().await })
        });
        let results = futures::future::join_all(calls).await;

        for result in results {
            let user = result
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(user.name, "Ada Admin");
        }
        assert_eq!(
            account.oauth.as_ref().map(|s| s.refreshes()),
            Some(1),
            "{name}"
        );
        assert_eq!(token_requests(&sim, "refresh_token"), 1, "{name}");
    }
}

/// When the refresh token is dead (another process renewed the pair, or the grant was revoked), the one refresh
/// a 401 allows fails, and the connection says "reconnect required" instead of failing silently; later calls
/// fail at once without asking Zendesk again.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_refresh_puts_the_connection_in_the_reconnect_state() {
    let sim = oauth_simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let stolen = connected(&sim, &profile, &Clock::system()).await;
    let base = Url::parse(&sim.base_url).unwrap_or_else(|e| panic!("{e}"));
    let elsewhere =
        Client::new(ClientConfig::new(base, Auth::Anonymous)).unwrap_or_else(|e| panic!("{e}"));
    elsewhere
        .exchange_token(&TokenRequest {
            grant: Grant::RefreshToken {
                refresh_token: stolen
                    .refresh_token
                    .clone()
                    .unwrap_or_else(|| panic!("a refresh token")),
            },
            client_id: CONSOLE_CLIENT.into(),
            client_secret: None,
            scope: None,
            expires_in: None,
            refresh_token_expires_in: None,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let account = account::open(&profile, &Clock::system())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("saved"));
    let error = account
        .client
        .current_user()
        .await
        .err()
        .unwrap_or_else(|| panic!("the dead pair is refused"));
    assert!(account::needs_reconnect(&error), "{error}");
    assert!(
        error.to_string().contains("sign in with Zendesk again"),
        "{error}"
    );

    let stored = profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("kept"));
    let reason = stored
        .reconnect_required
        .unwrap_or_else(|| panic!("reconnect required is stored"));
    assert!(reason.contains("refused to renew"), "{reason}");
    let before = sim.sim.requests().len();
    let again = account
        .client
        .current_user()
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(again.contains("reconnect required"), "{again}");
    assert_eq!(
        sim.sim.requests().len(),
        before,
        "no request is sent once the grant is known to be gone"
    );
    let verdict = account::verify(&profile, &Clock::system())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(verdict, Some((_, Liveness::ReconnectRequired { .. }))),
        "{verdict:?}"
    );

    // Signing in again clears the state and keeps the connection's other settings.
    let fresh = connected(&sim, &profile, &Clock::system()).await;
    assert!(accepted(&sim, &fresh.access_token).await);
    let reconnected = profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("saved"));
    assert_eq!(reconnected.reconnect_required, None);
}

/// The sandbox takes the way in a new account has: OAuth (its confidential client), not a retiring API token.
#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_connects_with_oauth_and_its_tokens_work() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let now = jiff::Timestamp::now();

    let demo = handoff::demo::start(&profile, now, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let connection = demo
        .report
        .connection
        .clone()
        .unwrap_or_else(|| panic!("saved"));
    assert!(connection.demo);
    assert_eq!(connection.auth_method, connect::AuthMethod::OAuth);
    assert_eq!(connection.user.name, "Ada Admin");
    assert_eq!(
        connection.api_token_deadline(now),
        None,
        "no legacy banner in the sandbox"
    );
    let verdict = account::verify(&profile, &Clock::system())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(verdict, Some((_, Liveness::Working { user: Some(ref user) })) if user.name == "Ada Admin"),
        "{verdict:?}"
    );
}

/// The console and the CLI share one profile, so two processes may renew the same pair: the one that loses
/// (Zendesk refuses its now-dead refresh token) adopts the pair the other stored, instead of asking for a new
/// sign-in.
#[tokio::test(flavor = "multi_thread")]
async fn a_pair_renewed_by_another_process_is_adopted_not_mistaken_for_a_dead_grant() {
    let sim = oauth_simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    connected(&sim, &profile, &Clock::system()).await;
    let open = || async {
        account::open(&profile, &Clock::system())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("saved"))
    };
    let (console, cli) = (open().await, open().await);
    sim.sim.clock().advance(Duration::from_secs(1801));

    console
        .client
        .current_user()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let user = cli
        .client
        .current_user()
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(user.name, "Ada Admin");
    assert_eq!(console.oauth.as_ref().map(|s| s.refreshes()), Some(1));
    assert_eq!(
        cli.oauth.as_ref().map(|s| s.refreshes()),
        Some(0),
        "the CLI adopted the console's pair"
    );
    let stored = profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("kept"));
    assert_eq!(stored.reconnect_required, None);
    assert!(!stored.refresh_interrupted);
}

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The redirect URL is fixed by `oauth-redirect-port` (default 8751: what the core shows for the OAuth
/// client's list): the sign-in listens there and sends it, and a port another program holds fails the
/// Authorization check with the port named and how to pick another; nothing is saved.
#[tokio::test(flavor = "multi_thread")]
async fn the_redirect_port_is_the_setting_and_a_taken_port_says_how_to_change_it() {
    use handoff::settings::{SettingKey, Settings, DEFAULT_OAUTH_REDIRECT_PORT};
    let sim = oauth_simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    assert_eq!(DEFAULT_OAUTH_REDIRECT_PORT, 8751);
    assert_eq!(
        handoff::oauth::redirect_url(profile.store()).unwrap_or_else(|e| panic!("{e}")),
        Some("http://127.0.0.1:8751/oauth/callback".to_owned()),
        "by default, the URL to register is on port 8751"
    );

    // The Connect screen's port field: checked by the core, and the redirect it makes given back.
    let changed = handoff::oauth::set_redirect_port(profile.store(), " 9123 ")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(changed.port, 9123);
    assert_eq!(
        changed.url.as_deref(),
        Some("http://127.0.0.1:9123/oauth/callback")
    );
    let refused = handoff::oauth::set_redirect_port(profile.store(), "80")
        .map(|r| r.port)
        .map_err(|e| e.to_string());
    assert!(
        refused
            .as_ref()
            .is_err_and(|why| why.contains("below 1024") && why.contains("8751")),
        "{refused:?}"
    );
    assert_eq!(
        handoff::oauth::redirect(profile.store()).unwrap_or_else(|e| panic!("{e}")),
        changed,
        "a refused value leaves the last saved one"
    );
    let any =
        handoff::oauth::set_redirect_port(profile.store(), "0").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((any.port, any.url), (0, None));

    // The setting is honoured: the URL the browser opens and the one the listener serves.
    let port = free_port();
    let settings = Settings::new(profile.store().clone());
    settings
        .set(SettingKey::OAuthRedirectPort, &port.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    let expected = format!("http://127.0.0.1:{port}/oauth/callback");
    assert_eq!(
        handoff::oauth::redirect_url(profile.store()).unwrap_or_else(|e| panic!("{e}")),
        Some(expected.clone())
    );
    let browser = PlayedBrowser::new(Visit::Follow);
    let (report, _) = sign_in(&profile, console_input(&sim), &browser, &Clock::system()).await;
    assert!(report.saved(), "{:#?}", report.checks);
    let opened = browser.opened.lock().map(|o| o.clone()).unwrap_or_default();
    let sent = opened
        .first()
        .and_then(|url| {
            url.query_pairs()
                .find(|(k, _)| k == "redirect_uri")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_else(|| panic!("a redirect_uri in {opened:?}"));
    assert_eq!(sent, expected);

    // Another program holds the port: the check names it and the setting that changes it.
    let taken = free_port();
    let holder =
        std::net::TcpListener::bind(("127.0.0.1", taken)).unwrap_or_else(|e| panic!("{e}"));
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fresh = crate::profile(&other);
    Settings::new(fresh.store().clone())
        .set(SettingKey::OAuthRedirectPort, &taken.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    let browser = PlayedBrowser::new(Visit::Follow);
    let (report, _) = sign_in(&fresh, console_input(&sim), &browser, &Clock::system()).await;
    drop(holder);
    assert!(!report.saved());
    let check = report
        .checks
        .iter()
        .find(|c| c.id == CheckId::Authorization)
        .unwrap_or_else(|| panic!("{:#?}", report.checks));
    assert_eq!(check.status, CheckStatus::Failed, "{check:?}");
    assert_eq!(
        check.redirect_port_taken,
        Some(taken),
        "a window can offer to change the port"
    );
    let said = format!(
        "{} {} {}",
        check.detail,
        check.cause.clone().unwrap_or_default(),
        check.fix.clone().unwrap_or_default()
    );
    assert!(said.contains(&format!("Port {taken}")), "{said}");
    assert!(
        said.contains("handoff config set oauth-redirect-port N"),
        "{said}"
    );
    assert!(
        browser.opened.lock().map(|o| o.is_empty()).unwrap_or(false),
        "no browser opens for a sign-in that cannot receive the answer"
    );
}
