//! Verify & Save with OAuth: the Authorization and Scopes checks, then the same account, role and Default Agent
//! checks as an API token, and the save.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use jiff::Timestamp;
use zendesk::{Auth, Forbidden, Grant, SecretString, TokenRequest, TokenSource, User};

use super::{
    secret_problem, AuthMethod, Check, CheckId, ConnectOptions, Connection, OAuthDetails, Progress,
    Target, UserSummary, VerifyReport,
};
use crate::clock::Clock;
use crate::keychain::SecretName;
use crate::message::{quote, sentence};
use crate::oauth::browser::Browser;
use crate::oauth::loopback::{Answer, BindError, Loopback, WaitError, CALLBACK_PATH};
use crate::oauth::pkce::AuthorizationRequest;
use crate::oauth::{missing_scopes, requested_scope, Cancel, GrantKind, TokenSet, REQUIRED_SCOPES};
use crate::profile::Profile;
use crate::settings::Settings;
use crate::ConnectError;

/// How long the console waits for the admin to approve in the browser.
pub const DEFAULT_SIGN_IN_WAIT: Duration = Duration::from_secs(300);

/// What the admin typed on the Connect screen's OAuth tab (or passed to `handoff connect --oauth`).
#[derive(Debug, Clone)]
pub struct OAuthConnectInput {
    pub subdomain: String,
    /// The OAuth client's unique identifier (Admin Center > Apps and integrations > APIs > OAuth clients).
    pub client_id: String,
    /// A confidential client's secret; `None` for a public client (PKCE only).
    pub client_secret: Option<SecretString>,
    pub grant: GrantKind,
    pub default_agent_id: Option<String>,
    /// Overrides `https://{subdomain}.zendesk.com`, for the simulator or a proxy.
    pub base_url: Option<String>,
}

/// How the browser part of a sign-in runs: who opens the URL, how long to wait, and how to stop waiting.
pub struct SignIn<'a> {
    pub browser: &'a dyn Browser,
    pub cancel: Cancel,
    pub wait: Duration,
}

/// Runs every OAuth check, reporting each through `on_check` as it starts and ends; saves the token pair (and
/// the client secret) to the keychain and the connection to SQLite only when every required check passes.
///
/// The Authorization check is reported as running with "Waiting for you to approve in the browser…" while the
/// browser is open; `sign_in.cancel` ends the wait.
pub async fn verify_and_save_oauth(
    profile: &Profile,
    input: OAuthConnectInput,
    sign_in: SignIn<'_>,
    options: ConnectOptions,
    clock: &Clock,
    on_check: impl FnMut(&Check) + Send,
) -> Result<VerifyReport, ConnectError> {
    let mut progress = Progress::new(&CheckId::OAUTH, on_check);

    let Some(target) = progress.target(&input.subdomain, input.base_url.as_deref()) else {
        return Ok(progress.skip_rest("the subdomain is not valid"));
    };
    // A secret that cannot be one is refused before anything is sent (it would come back as an HTTP 431).
    if let Some(cause) = input
        .client_secret
        .as_ref()
        .and_then(|secret| secret_problem(secret, "OAuth client secret"))
    {
        let refused = Check::failed(
            CheckId::Authorization,
            "The OAuth client secret cannot be right",
            cause,
            "Paste the client secret alone, with nothing before or after it (Admin Center > Apps and \
             integrations > APIs > OAuth clients shows it when the client is created or its secret regenerated).",
        );
        return Ok(progress.refuse_before_sending(refused, "fix the OAuth client secret first"));
    }
    if !progress.account(&target).await? {
        return Ok(progress.skip_rest("the account could not be reached"));
    }

    // 3. Zendesk grants a token: in the browser (authorization code + PKCE) or for the client itself.
    // The redirect URL's port: the one registered in the OAuth client (`oauth-redirect-port`).
    let redirect_port = Settings::new(profile.store().clone()).oauth_redirect_port()?;
    let tokens = match authorize(
        &mut progress,
        &target,
        &input,
        &sign_in,
        redirect_port,
        clock,
    )
    .await?
    {
        Ok(tokens) => tokens,
        Err(check) => {
            progress.report(check);
            return Ok(progress.skip_rest("Zendesk did not grant access"));
        }
    };

    // 4. The token authenticates. A 403 naming scopes still proves it does: the Scopes check reports those.
    progress.report(Check::running(CheckId::Credentials));
    let authed = progress.client(
        &target.base_url,
        Auth::Bearer(Arc::new(FreshToken(tokens.access_token.clone()))),
    )?;
    let mut refused_scopes = Vec::new();
    let user: Option<User> = match progress
        .watch(CheckId::Credentials, authed.current_user())
        .await
    {
        Ok(user) => {
            progress.report(Check::passed(
                CheckId::Credentials,
                format!(
                    "Signed in as {} ({})",
                    user.name,
                    user.email.as_deref().unwrap_or("no email")
                ),
            ));
            Some(user)
        }
        Err(zendesk::Error::Forbidden {
            reason: Forbidden::MissingScopes(scopes),
        }) => {
            progress.report(Check::passed(
                CheckId::Credentials,
                "Zendesk accepted the token, but it may not read the signed-in user",
            ));
            refused_scopes = scopes;
            None
        }
        Err(error) => {
            progress.report(Check::failed(
                CheckId::Credentials,
                "Zendesk did not accept the token it just granted",
                sentence(&error.to_string()),
                "Sign in again; if it keeps failing, check the OAuth client in Admin Center > Apps and integrations > APIs > OAuth clients.",
            ));
            return Ok(progress.skip_rest("the token did not authenticate"));
        }
    };

    // 5. The scopes: what the token response granted, and what Zendesk refused by name.
    progress.report(Check::running(CheckId::Scopes));
    let scopes_check = scopes_check(tokens.scope.as_deref(), &refused_scopes);
    let scopes_ok = scopes_check.status != super::CheckStatus::Failed;
    progress.report(scopes_check);

    // 6, 7. Role and Default Agent, as for an API token.
    let agent = progress
        .role_and_default_agent(&authed, user.as_ref(), input.default_agent_id.as_deref())
        .await;
    let (Some(default_agent), true, Some(user)) = (agent, scopes_ok, user) else {
        return Ok(progress.not_saved());
    };

    // 8. Save: the pair (and the client secret) to the keychain under a new generation, then the switch in
    // SQLite. The legacy API token of a connection that moves to OAuth goes with the old generation.
    let connection = Connection {
        subdomain: target.subdomain,
        base_url: target.base_url,
        auth_method: AuthMethod::OAuth,
        email: user.email.clone().unwrap_or_default(),
        user: UserSummary::from(&user),
        default_agent,
        demo: options.demo,
        connected_at: clock.now(),
        oauth: Some(OAuthDetails {
            client_id: input.client_id.trim().to_owned(),
            grant: input.grant,
            scopes: tokens
                .scope
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            token_expires_at: tokens.expires_at,
            refresh_expires_at: tokens.refresh_expires_at,
        }),
        reconnect_required: None,
        refresh_interrupted: false,
    };
    let mut secrets = vec![(SecretName::OAuthTokens, tokens.to_keychain())];
    if let Some(secret) = &input.client_secret {
        secrets.push((SecretName::OAuthClientSecret, secret.clone()));
    }
    progress
        .save(
            profile,
            connection,
            &secrets,
            "Saved; the OAuth tokens are in the OS keychain",
        )
        .await
}

/// The Authorization check: `Ok(Ok(tokens))` when Zendesk granted a token, `Ok(Err(check))` with the failed
/// check otherwise.
async fn authorize<F: FnMut(&Check)>(
    progress: &mut Progress<'_, F>,
    target: &Target,
    input: &OAuthConnectInput,
    sign_in: &SignIn<'_>,
    redirect_port: u16,
    clock: &Clock,
) -> Result<Result<TokenSet, Check>, ConnectError> {
    let client_id = input.client_id.trim();
    if client_id.is_empty() {
        return Ok(Err(Check::failed(
            CheckId::Authorization,
            "No OAuth client identifier",
            "The console signs in through an OAuth client registered in your account.",
            "In Admin Center > Apps and integrations > APIs > OAuth clients, add a client (kind Public for this \
             console) and enter its Identifier.",
        )));
    }
    let token_endpoint = progress.client(&target.base_url, Auth::Anonymous)?;
    let scope = requested_scope();
    let request = match input.grant {
        GrantKind::ClientCredentials => {
            progress.report(Check::running_with(
                CheckId::Authorization,
                format!("Requesting a token for the client {}…", quote(client_id)),
            ));
            if input.client_secret.is_none() {
                return Ok(Err(Check::failed(
                    CheckId::Authorization,
                    "Client credentials need the client's secret",
                    "Only a confidential OAuth client can get a token without a browser, with its secret.",
                    "Enter the secret of a confidential client, or sign in with the browser instead.",
                )));
            }
            TokenRequest {
                grant: Grant::ClientCredentials,
                client_id: client_id.to_owned(),
                client_secret: input.client_secret.clone(),
                scope: Some(scope),
                expires_in: None,
                refresh_token_expires_in: None,
            }
        }
        GrantKind::AuthorizationCode => {
            let loopback = match Loopback::bind(redirect_port).await {
                Ok(loopback) => loopback,
                Err(BindError::PortTaken { port }) => {
                    let mut check = Check::failed(
                        CheckId::Authorization,
                        format!("Port {port} is in use by another program"),
                        sentence(&BindError::PortTaken { port }.to_string()),
                        format!(
                            "Close the program that listens on 127.0.0.1:{port}, or pick another port: `handoff \
                             config set oauth-redirect-port N`, then register http://127.0.0.1:N{CALLBACK_PATH} \
                             in the OAuth client (Admin Center > Apps and integrations > APIs > OAuth clients) \
                             and sign in again."
                        ),
                    );
                    check.redirect_port_taken = Some(port);
                    return Ok(Err(check));
                }
                Err(error) => {
                    return Ok(Err(Check::failed(
                        CheckId::Authorization,
                        "Could not listen for Zendesk's answer",
                        sentence(&error.to_string()),
                        "Check that this machine allows local connections on 127.0.0.1, then try again.",
                    )))
                }
            };
            let redirect_uri = loopback.redirect_uri();
            let authorization =
                AuthorizationRequest::new(&target.base_url, client_id, &redirect_uri, &scope);
            progress.report(Check::running_with(
                CheckId::Authorization,
                "Waiting for you to approve in the browser…",
            ));
            if let Err(error) = sign_in.browser.open(&authorization.url) {
                return Ok(Err(Check::failed(
                    CheckId::Authorization,
                    "The browser did not open",
                    sentence(&error.to_string()),
                    format!(
                        "Open this address in a browser on this machine: {}",
                        authorization.url
                    ),
                )));
            }
            let answer = loopback
                .wait(&authorization.state, sign_in.wait, &sign_in.cancel)
                .await;
            let code = match answer {
                Ok(Answer::Code(code)) => code,
                Ok(Answer::Error { error, description }) => {
                    return Ok(Err(denied(&error, description.as_deref())))
                }
                Err(error) => return Ok(Err(no_answer(&error))),
            };
            TokenRequest {
                grant: Grant::AuthorizationCode {
                    code,
                    redirect_uri: authorization.redirect_uri,
                    code_verifier: authorization.code_verifier,
                },
                client_id: client_id.to_owned(),
                client_secret: input.client_secret.clone(),
                scope: None,
                expires_in: None,
                refresh_token_expires_in: None,
            }
        }
    };
    let granted_at = clock.now();
    match progress
        .watch(
            CheckId::Authorization,
            token_endpoint.exchange_token(&request),
        )
        .await
    {
        Ok(response) => {
            let tokens = TokenSet::from_response(&response, granted_at);
            progress.report(Check::passed(
                CheckId::Authorization,
                format!(
                    "Zendesk granted a token to {}{}",
                    quote(client_id),
                    lifetime(tokens.expires_at, granted_at)
                ),
            ));
            Ok(Ok(tokens))
        }
        Err(error) => Ok(Err(exchange_failure(input.grant, client_id, &error))),
    }
}

fn lifetime(expires_at: Option<Timestamp>, now: Timestamp) -> String {
    match expires_at {
        Some(at) => {
            let minutes = at.duration_since(now).as_secs() / 60;
            format!(" (renewed automatically; this one lasts {minutes} minutes)")
        }
        None => String::new(),
    }
}

/// The browser came back with an OAuth error. `error` and `description` come from the redirect's query, so
/// they are shown quoted or as one plain sentence, never raw.
fn denied(error: &str, description: Option<&str>) -> Check {
    let answered = match description {
        Some(description) => sentence(&format!("Zendesk answered {error}: {description}")),
        None => sentence(&format!("Zendesk answered {error}")),
    };
    if error == "access_denied" {
        return Check::failed(
            CheckId::Authorization,
            "Access was denied in Zendesk",
            format!("{answered} The Deny button was chosen, or the user may not use this client."),
            "Choose Sign in with Zendesk again and select Allow, as an admin of the account.",
        );
    }
    Check::failed(
        CheckId::Authorization,
        format!("Zendesk refused the sign-in ({})", quote(error)),
        answered,
        "Check the OAuth client in Admin Center > Apps and integrations > APIs > OAuth clients: its identifier, \
         its kind (Public for this console) and that it may use the scopes the console asks for.",
    )
}

fn no_answer(error: &WaitError) -> Check {
    match error {
        WaitError::Cancelled => Check::failed(
            CheckId::Authorization,
            "Sign-in cancelled",
            "The sign-in was cancelled before Zendesk answered.",
            "Choose Sign in with Zendesk to start again.",
        ),
        WaitError::TimedOut(_) => Check::failed(
            CheckId::Authorization,
            "No answer from the browser",
            sentence(&format!("Zendesk's answer did not arrive: {error}")),
            "Sign in again and approve in the browser window that opens. If Zendesk showed an error page, check \
             the client identifier.",
        ),
        WaitError::Server(_) => Check::failed(
            CheckId::Authorization,
            "The answer from the browser could not be received",
            sentence(&error.to_string()),
            "Try again; if it keeps failing, restart the console.",
        ),
    }
}

fn exchange_failure(grant: GrantKind, client_id: &str, error: &zendesk::Error) -> Check {
    match (grant, error) {
        (GrantKind::AuthorizationCode, zendesk::Error::BadCredentials { detail }) => Check::failed(
            CheckId::Authorization,
            "Zendesk refused to exchange the authorization code",
            format!(
                "{} An authorization code lives 120 seconds and works once; the client identifier and, for a \
                 confidential client, its secret must match.",
                sentence(detail)
            ),
            format!(
                "Sign in again. If it keeps failing, check the client {} in Admin Center > Apps and integrations > \
                 APIs > OAuth clients.",
                quote(client_id)
            ),
        ),
        (GrantKind::ClientCredentials, zendesk::Error::BadCredentials { detail }) => Check::failed(
            CheckId::Authorization,
            "Zendesk refused the client credentials",
            sentence(detail),
            "Check the identifier and secret in Admin Center > Apps and integrations > APIs > OAuth clients; only a \
             confidential client can use client credentials.",
        ),
        (_, other) => Check::failed(
            CheckId::Authorization,
            "The token could not be obtained",
            sentence(&other.to_string()),
            super::zendesk_busy_fix(other),
        ),
    }
}

/// The Scopes check: the required scopes the grant does not cover (from the token response's `scope`), plus
/// any Zendesk refused by name in a 403.
fn scopes_check(granted: Option<&str>, refused: &[String]) -> Check {
    let mut missing = granted.map(missing_scopes).unwrap_or_default();
    for scope in refused {
        if !missing.contains(scope) {
            missing.push(scope.clone());
        }
    }
    if missing.is_empty() {
        let detail = match granted {
            Some(granted) => format!(
                "Granted: {}",
                granted.split_whitespace().collect::<Vec<_>>().join(", ")
            ),
            None => "Zendesk did not list the granted scopes, and refused none".to_owned(),
        };
        return Check::passed(CheckId::Scopes, detail);
    }
    let reasons: Vec<String> = missing
        .iter()
        .map(|scope| {
            let why = REQUIRED_SCOPES
                .iter()
                .find(|(name, _)| name == scope)
                .map(|(_, why)| *why)
                .unwrap_or("required by Zendesk for a call the console makes");
            format!("{scope} ({why})")
        })
        .collect();
    Check::failed(
        CheckId::Scopes,
        format!("The token lacks {}", missing.join(", ")),
        format!(
            "Zendesk granted {}. The console needs: {}.",
            granted.filter(|g| !g.trim().is_empty()).unwrap_or("no usable scope"),
            reasons.join("; ")
        ),
        format!(
            "Sign in again and allow every scope the console asks for ({}); if the OAuth client limits its scopes, \
             widen them in Admin Center > Apps and integrations > APIs > OAuth clients.",
            requested_scope()
        ),
    )
}

/// The token Zendesk just granted, before anything is saved: it cannot be refreshed, so a 401 is final.
struct FreshToken(SecretString);

impl TokenSource for FreshToken {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, zendesk::Error>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }

    fn invalidate(&self, _rejected: &SecretString) -> BoxFuture<'_, Result<(), zendesk::Error>> {
        Box::pin(async {
            Err(zendesk::Error::BadCredentials {
                detail: "the token Zendesk just granted was refused".to_owned(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::CheckStatus;

    /// (granted by the token response, refused by name in a 403, expected status, scopes the detail names)
    type Case<'a> = (Option<&'a str>, &'a [&'a str], CheckStatus, &'a [&'a str]);

    #[test]
    fn the_scopes_check_names_what_is_missing_and_why() {
        let all = requested_scope();
        let table: [Case; 6] = [
            (Some(all.as_str()), &[], CheckStatus::Passed, &[]),
            (Some("read write"), &[], CheckStatus::Passed, &[]),
            (
                Some("read tickets:write users:write ticket_fields:read"),
                &[],
                CheckStatus::Failed,
                &["webhooks:write", "triggers:write"],
            ),
            (None, &[], CheckStatus::Passed, &[]),
            (None, &["users:read"], CheckStatus::Failed, &["users:read"]),
            (
                Some("bogus"),
                &["read"],
                CheckStatus::Failed,
                &["users:read", "tickets:write", "read"],
            ),
        ];
        for (granted, refused, status, named) in table {
            let refused: Vec<String> = refused.iter().map(|s| (*s).to_owned()).collect();
            let check = scopes_check(granted, &refused);
            assert_eq!(check.status, status, "{granted:?}: {check:?}");
            for scope in named {
                assert!(
                    check.detail.contains(scope),
                    "{granted:?} should name {scope}: {check:?}"
                );
            }
            if status == CheckStatus::Failed {
                assert!(check.cause.is_some() && check.fix.is_some());
            }
        }
    }
}
