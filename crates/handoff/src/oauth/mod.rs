//! OAuth sign-in (FACTS §10): authorization code with PKCE through the system browser and a loopback redirect,
//! client credentials for confidential clients, and the token source that keeps the pair fresh.
//!
//! Layout:
//! - [`pkce`]: the authorize URL, its `state` and the PKCE verifier.
//! - [`loopback`]: the one-shot `http://127.0.0.1:<port>/oauth/callback` listener that receives the code.
//! - [`browser`]: the seam that opens the system browser (`HANDOFF_BROWSER` overrides it).
//! - [`sign_in`]: the rule that one browser sign-in waits at a time.
//! - [`session`]: the [`zendesk::TokenSource`] over the keychain pair: refresh before expiry, single flight,
//!   persist before use, and the `reconnect_required` state.
//!
//! Invariants: tokens, verifiers and client secrets are [`SecretString`]s from the moment they are read; they
//! reach the keychain and Zendesk's token endpoint and nothing else. The pair is one keychain entry, so a
//! refresh replaces both halves at once.

pub mod browser;
pub mod loopback;
pub mod pkce;
pub mod session;
pub mod sign_in;

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::settings::{SettingKey, Settings, SettingsError};
use crate::store::{Store, StoreError};
use serde_json::{json, Value};
use zendesk::{SecretString, TokenResponse};

/// The scopes the product asks for, each with the reason it is needed: the least that covers every call the
/// product makes (Verify & Save, setup of the webhook and trigger, handoffs, reply sync, AI fields).
/// Resource scopes rather than `read write`, so the token cannot touch anything else (organizations, Help
/// Center, other OAuth tokens...).
pub const REQUIRED_SCOPES: &[(&str, &str)] = &[
    (
        "users:read",
        "read the signed-in user (users/me), the Default Agent and the contacts of handoffs",
    ),
    (
        "users:write",
        "create the Zendesk user of a contact known only by phone or external id (users/create_or_update)",
    ),
    (
        "tickets:read",
        "find a session's ticket (tickets?external_id=) and read the newest public reply for the relay",
    ),
    (
        "tickets:write",
        "create the handoff ticket, append to it, post the verification reply and clean it up",
    ),
    (
        "ticket_fields:read",
        "load the custom ticket fields the AI fills, with their options",
    ),
    (
        "webhooks:read",
        "check the webhook, read its signing secret and its invocations (delivery health)",
    ),
    (
        "webhooks:write",
        "create, repair and test the webhook, reset its signing secret, delete it on disconnect",
    ),
    (
        "triggers:read",
        "check the trigger and find the default \"Notify requester\" triggers (double delivery)",
    ),
    (
        "triggers:write",
        "create and repair the trigger, add the no-double-delivery condition, delete it on disconnect",
    ),
];

/// Scopes asked for but not required: a grant without them still connects, and the one operation that needs
/// each says what it could not do.
pub const OPTIONAL_SCOPES: &[(&str, &str)] = &[(
    "oauth_tokens:write",
    "revoke the console's own token when it disconnects (without it the token lives until it expires)",
)];

/// The redirect URL the admin registers in the OAuth client (Admin Center > Apps and integrations > APIs >
/// OAuth clients > Redirect URLs): `http://127.0.0.1:<oauth-redirect-port>/oauth/callback`, the one the
/// browser sign-in listens on. `None` when the port is 0 (any free port; the OAuth client must accept any
/// loopback port). The Connect screen shows it with a copy button; `handoff connect --oauth` prints it.
pub fn redirect_url(store: &Store) -> Result<Option<String>, StoreError> {
    Ok(redirect(store)?.url)
}

/// The browser sign-in's redirect: the port it listens on and the URL to register for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// `oauth-redirect-port`: 1024 to 65535, or 0 for a port the system picks at each sign-in.
    pub port: u16,
    /// `http://127.0.0.1:<port>/oauth/callback`; `None` for port 0.
    pub url: Option<String>,
}

impl Redirect {
    fn on(port: u16) -> Redirect {
        Redirect {
            port,
            url: loopback::redirect_url(port),
        }
    }
}

/// The redirect the next browser sign-in uses (the Connect screen shows its URL with a copy button).
pub fn redirect(store: &Store) -> Result<Redirect, StoreError> {
    Ok(Redirect::on(
        Settings::new(store.clone()).oauth_redirect_port()?,
    ))
}

/// Saves `oauth-redirect-port` (checked first: 1024 to 65535, or 0) and gives the redirect it makes, whose URL
/// the admin then registers in the OAuth client.
pub fn set_redirect_port(store: &Store, port: &str) -> Result<Redirect, SettingsError> {
    let settings = Settings::new(store.clone());
    settings.set(SettingKey::OAuthRedirectPort, port)?;
    Ok(Redirect::on(settings.oauth_redirect_port()?))
}

/// The space-separated `scope` parameter: [`REQUIRED_SCOPES`], then [`OPTIONAL_SCOPES`].
pub fn requested_scope() -> String {
    REQUIRED_SCOPES
        .iter()
        .chain(OPTIONAL_SCOPES)
        .map(|(scope, _)| *scope)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The required scopes a grant of `granted` (space-separated, as the token endpoint answers) does not cover.
/// `read` covers every `<resource>:read` and `write` every `<resource>:write`; `write` says nothing of reads.
pub fn missing_scopes(granted: &str) -> Vec<String> {
    let granted: Vec<&str> = granted.split_whitespace().collect();
    REQUIRED_SCOPES
        .iter()
        .map(|(scope, _)| *scope)
        .filter(|scope| {
            let umbrella = scope.rsplit(':').next().unwrap_or_default();
            !granted.contains(scope) && !granted.contains(&umbrella)
        })
        .map(str::to_owned)
        .collect()
}

/// Which grant a connection signs in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    /// Authorization code + PKCE in the browser; refreshed with the refresh token.
    AuthorizationCode,
    /// A confidential client's own token (acts as the client's creating user); renewed with the secret.
    ClientCredentials,
}

impl GrantKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::AuthorizationCode => "authorization_code",
            GrantKind::ClientCredentials => "client_credentials",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Option<GrantKind> {
        match value {
            "authorization_code" => Some(GrantKind::AuthorizationCode),
            "client_credentials" => Some(GrantKind::ClientCredentials),
            _ => None,
        }
    }
}

/// An OAuth access token with its refresh token and their expiry: what the keychain entry holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// For `Authorization: Bearer`.
    pub access_token: SecretString,
    /// Absent for client-credentials tokens.
    pub refresh_token: Option<SecretString>,
    /// When the access token expires; `None` for a token that does not.
    pub expires_at: Option<Timestamp>,
    /// When the refresh token expires.
    pub refresh_expires_at: Option<Timestamp>,
    /// The scopes Zendesk says it granted, space-separated.
    pub scope: Option<String>,
}

impl TokenSet {
    /// The pair a token response carries, with its lifetimes turned into instants from `now`.
    pub fn from_response(response: &TokenResponse, now: Timestamp) -> TokenSet {
        panic_point("token_response", response);
        let at = |seconds: Option<u64>| {
            seconds.and_then(|s| now.checked_add(SignedDuration::from_secs(s as i64)).ok())
        };
        TokenSet {
            access_token: response.access_token.clone(),
            refresh_token: response.refresh_token.clone(),
            expires_at: at(response.expires_in),
            refresh_expires_at: at(response.refresh_token_expires_in),
            scope: response.scope.clone(),
        }
    }

    /// The keychain entry's value: one JSON document, so the two tokens are always replaced together.
    pub(crate) fn to_keychain(&self) -> SecretString {
        let value = json!({
            "access_token": self.access_token.expose_secret(),
            "refresh_token": self.refresh_token.as_ref().map(SecretString::expose_secret),
            "expires_at": self.expires_at.map(|t| t.to_string()),
            "refresh_expires_at": self.refresh_expires_at.map(|t| t.to_string()),
            "scope": self.scope,
        });
        SecretString::from(value.to_string())
    }

    /// Reads a keychain entry back. The error names what is wrong, never the value.
    pub(crate) fn from_keychain(stored: &SecretString) -> Result<TokenSet, String> {
        let value: Value = serde_json::from_str(stored.expose_secret())
            .map_err(|_| "the stored OAuth tokens are not JSON".to_owned())?;
        let text = |key: &str| value.get(key).and_then(Value::as_str);
        let instant = |key: &str| -> Result<Option<Timestamp>, String> {
            text(key)
                .map(|raw| {
                    raw.parse::<Timestamp>()
                        .map_err(|_| format!("the stored OAuth `{key}` is not an instant"))
                })
                .transpose()
        };
        Ok(TokenSet {
            access_token: text("access_token")
                .map(SecretString::from)
                .ok_or("the stored OAuth tokens have no access token")?,
            refresh_token: text("refresh_token").map(SecretString::from),
            expires_at: instant("expires_at")?,
            refresh_expires_at: instant("refresh_expires_at")?,
            scope: text("scope").map(str::to_owned),
        })
    }
}

/// Cancels a sign-in that waits for the browser (the console's Cancel button, Ctrl-C).
#[derive(Debug, Clone)]
pub struct Cancel(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Cancel {
    fn default() -> Cancel {
        Cancel::new()
    }
}

impl Cancel {
    /// A signal that has not fired.
    pub fn new() -> Cancel {
        Cancel(Arc::new(tokio::sync::watch::channel(false).0))
    }

    /// Fires the signal; every waiter wakes.
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }

    /// Whether the signal has fired.
    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the signal fires.
    pub async fn cancelled(&self) {
        let mut receiver = self.0.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = receiver.wait_for(|cancelled| *cancelled).await;
    }
}

/// Test-only fault injection (see [`crate::fault`]): `HANDOFF_FAULT=refresh:<point>` aborts the process at that
/// point of a refresh, as a crash or `kill -9` would. The crash tests use it to prove that every point leaves
/// either a working pair or the `reconnect_required` state. `HANDOFF_FAULT=panic:<point>` panics at one of
/// [`PANIC_FAULT_POINTS`] instead, with a secret-bearing value in the message as a careless
/// `expect("{response:?}")` would put it: the canary tests prove the panic output and the log hold no secret.
pub use crate::fault::FAULT_VAR;

/// Where `HANDOFF_FAULT=panic:<point>` panics. `token_response`: a token response (access and refresh token)
/// has just arrived, during a sign-in, a client-credentials grant or a refresh; the confidential client's
/// secret is in scope further up the stack.
pub const PANIC_FAULT_POINTS: &[&str] = &["token_response"];

/// The points of a refresh where a fault can be injected, in the order a refresh passes them.
pub const REFRESH_FAULT_POINTS: &[&str] = &[
    "after_marker",
    "after_token_response",
    "after_keychain_write",
    "after_store_update",
];

pub(crate) fn fault_point(point: &str) {
    crate::fault::abort_at(&format!("refresh:{point}"));
}

/// Release builds ignore the variable, like [`fault_point`]. The message formats `holding` with `Debug`, so a
/// secret in it shows exactly as much as its `Debug` does.
fn panic_point(point: &str, holding: &dyn std::fmt::Debug) {
    if !cfg!(debug_assertions) {
        return;
    }
    let wanted = std::env::var(FAULT_VAR).ok();
    if wanted.as_deref().and_then(|w| w.strip_prefix("panic:")) == Some(point) {
        panic!("{FAULT_VAR} panics at panic:{point} while holding {holding:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_scopes_honour_read_and_write_umbrellas() {
        let all = requested_scope();
        let table: [(&str, &[&str]); 5] = [
            (all.as_str(), &[]),
            ("read write", &[]),
            (
                "write",
                &[
                    "users:read",
                    "tickets:read",
                    "ticket_fields:read",
                    "webhooks:read",
                    "triggers:read",
                ],
            ),
            (
                "read tickets:write users:write",
                &["webhooks:write", "triggers:write"],
            ),
            (
                "bogus",
                &[
                    "users:read",
                    "users:write",
                    "tickets:read",
                    "tickets:write",
                    "ticket_fields:read",
                    "webhooks:read",
                    "webhooks:write",
                    "triggers:read",
                    "triggers:write",
                ],
            ),
        ];
        for (granted, missing) in table {
            assert_eq!(missing_scopes(granted), missing, "granted {granted:?}");
        }
    }

    #[test]
    fn the_keychain_entry_round_trips_and_errors_name_no_value() {
        let now: Timestamp = "2026-11-24T10:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let set = TokenSet {
            access_token: SecretString::from("acc-123"),
            refresh_token: Some(SecretString::from("ref-456")),
            expires_at: Some(now),
            refresh_expires_at: None,
            scope: Some("read".into()),
        };
        let stored = set.to_keychain();
        assert_eq!(TokenSet::from_keychain(&stored), Ok(set.clone()));
        assert!(!format!("{set:?}").contains("acc-123"));
        let broken = TokenSet::from_keychain(&SecretString::from(
            "{\"access_token\":\"acc-123\",\"expires_at\":\"soon\"}",
        ))
        .err()
        .unwrap_or_default();
        assert!(
            broken.contains("expires_at") && !broken.contains("acc-123"),
            "{broken}"
        );
    }

    #[tokio::test]
    async fn cancel_wakes_every_waiter() {
        let cancel = Cancel::new();
        let waiter = {
            let cancel = cancel.clone();
            tokio::spawn(async move { cancel.cancelled().await })
        };
        assert!(!cancel.is_cancelled());
        cancel.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(cancel.is_cancelled());
    }
}
