//! The saved Zendesk account, signed in: a [`zendesk::Client`] with the saved credentials (the API token, or
//! the OAuth token source), the live check behind `handoff status --verify`, and the start-up recovery of an
//! interrupted token refresh.
//!
//! Everything that calls Zendesk after Verify & Save (setup, handoffs, the relay) gets its client from
//! [`open`]. Open it once per process and share the [`Account`] (its `Client` clones cheaply): every clone shares
//! one token source, so there is one refresh at a time. Processes sharing a profile (the CLI beside the console)
//! meet in the SQLite refresh lease: one of them renews, the others adopt the pair it stores.

use std::sync::Arc;

use zendesk::{Auth, Client, ClientConfig, Forbidden};

use crate::clock::Clock;
use crate::connect::{AuthMethod, Connection, UserSummary};
use crate::keychain::SecretName;
use crate::oauth::requested_scope;
use crate::oauth::session::{OAuthSession, SessionConfig};
use crate::profile::Profile;
use crate::ConnectError;

/// The saved connection with a client that signs in as it.
#[derive(Debug, Clone)]
pub struct Account {
    pub connection: Connection,
    pub client: Client,
    /// The token source of an OAuth connection (tests count its refreshes).
    pub oauth: Option<Arc<OAuthSession>>,
}

/// Whether Zendesk accepts the saved credentials right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    /// Zendesk accepted them. `user` is `None` when the token may not read the user (a scope is missing).
    Working { user: Option<UserSummary> },
    /// Zendesk refused them for good: the admin must sign in again. Recorded in the store.
    ReconnectRequired { reason: String },
    /// Zendesk could not be asked (network, outage); nothing was changed.
    Unknown { reason: String },
}

/// Opens the saved connection with its credentials; `None` when nothing is saved. Secrets a save replaced and
/// did not get to delete are deleted here.
pub async fn open(profile: &Profile, clock: &Clock) -> Result<Option<Account>, ConnectError> {
    open_with(profile, clock, Trust::Recorded).await
}

/// Whether opening honours a recorded "reconnect required".
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trust {
    /// Every call fails at once with the recorded reason (the normal case: no request is wasted).
    Recorded,
    /// The stored credentials are tried anyway: verification finds out whether the record is still true.
    Probe,
}

async fn open_with(
    profile: &Profile,
    clock: &Clock,
    trust: Trust,
) -> Result<Option<Account>, ConnectError> {
    let Some(connection) = profile.connection()? else {
        return Ok(None);
    };
    crate::connect::purge_stale_secrets(profile).await;
    let keychain = profile.keychain()?;
    let recorded = match trust {
        Trust::Recorded => connection.reconnect_required.clone(),
        Trust::Probe => None,
    };
    let (auth, oauth) = match (&connection.auth_method, &connection.oauth) {
        (AuthMethod::OAuth, Some(details)) => {
            let client_secret = keychain.get(SecretName::OAuthClientSecret).await?;
            let session = OAuthSession::new(
                SessionConfig {
                    base_url: connection.base_url.clone(),
                    client_id: details.client_id.clone(),
                    client_secret,
                    grant: details.grant,
                    scope: requested_scope(),
                },
                profile.store().clone(),
                keychain,
                clock.clone(),
                recorded,
            )
            .await
            .map_err(ConnectError::Zendesk)?;
            let session = Arc::new(session);
            (Auth::Bearer(session.clone()), Some(session))
        }
        (AuthMethod::OAuth, None) => {
            return Err(ConnectError::Invalid(
                "the saved OAuth connection has no client details; connect again".to_owned(),
            ))
        }
        (AuthMethod::ApiToken, _) => {
            let token = match keychain.get(SecretName::ZendeskApiToken).await? {
                Some(token) => token,
                None => {
                    // Recorded, so every caller sees the reconnect state before any request is sent; the empty
                    // token would only earn a 401.
                    let reason = "the API token is missing from the keychain";
                    profile
                        .store()
                        .call(move |store| store.require_reconnect(reason))
                        .await?;
                    zendesk::SecretString::from("")
                }
            };
            (
                Auth::ApiToken {
                    email: connection.email.clone(),
                    token,
                },
                None,
            )
        }
    };
    let client = Client::new(ClientConfig::new(connection.base_url.clone(), auth))
        .map_err(ConnectError::Zendesk)?;
    // Re-read: opening may itself have found the credentials missing and recorded it.
    let connection = profile.connection()?.unwrap_or(connection);
    Ok(Some(Account {
        connection,
        client,
        oauth,
    }))
}

/// Asks Zendesk whether the saved credentials work (`users/me`), refreshing an OAuth token when due. A
/// success resolves an interrupted refresh and lifts a recorded "reconnect required" that is no longer true
/// (another process's refresh, a keychain restored); a final refusal records `reconnect_required`.
pub async fn verify(
    profile: &Profile,
    clock: &Clock,
) -> Result<Option<(Connection, Liveness)>, ConnectError> {
    let Some(account) = open_with(profile, clock, Trust::Probe).await? else {
        return Ok(None);
    };
    let liveness = match account.client.current_user().await {
        Ok(user) => Liveness::Working {
            user: Some(UserSummary::from(&user)),
        },
        Err(zendesk::Error::Forbidden {
            reason: Forbidden::MissingScopes(_),
        }) => Liveness::Working { user: None },
        Err(zendesk::Error::BadCredentials { detail }) => {
            let reason = match (
                &account.connection.reconnect_required,
                account.connection.auth_method,
            ) {
                // The stored credentials were missing or refused before: keep the first, clearer reason.
                (Some(recorded), _) => recorded.clone(),
                (None, AuthMethod::ApiToken) => {
                    format!("Zendesk no longer accepts the API token ({detail})")
                }
                (None, AuthMethod::OAuth) => {
                    format!("Zendesk no longer accepts the OAuth token ({detail})")
                }
            };
            // The session records a refused refresh itself; a token refused right after a good refresh is
            // recorded here, so no path leaves the connection looking healthy.
            match &account.oauth {
                Some(session) => session.require_reconnect(&reason).await,
                None => {
                    let recorded = reason.clone();
                    profile
                        .store()
                        .call(move |store| store.require_reconnect(&recorded))
                        .await?
                }
            }
            Liveness::ReconnectRequired { reason }
        }
        Err(error) => Liveness::Unknown {
            reason: error.to_string(),
        },
    };
    if let Liveness::Working { .. } = &liveness {
        match &account.oauth {
            Some(session) => session.confirm().await?,
            None => {
                profile
                    .store()
                    .call(|store| store.clear_reconnect())
                    .await?
            }
        }
    }
    let connection = profile.connection()?.unwrap_or(account.connection);
    Ok(Some((connection, liveness)))
}

/// Start-up: when a token refresh was interrupted (the process died between marking it and storing the new
/// pair), find out which pair Zendesk accepts. `None` when there was nothing to recover.
pub async fn recover(profile: &Profile, clock: &Clock) -> Result<Option<Liveness>, ConnectError> {
    match profile.connection()? {
        Some(connection)
            if connection.refresh_interrupted && connection.reconnect_required.is_none() =>
        {
            tracing::warn!(
                "a token refresh was interrupted; checking which tokens Zendesk accepts"
            );
            Ok(verify(profile, clock).await?.map(|(_, liveness)| liveness))
        }
        _ => Ok(None),
    }
}

/// Whether `error` means the saved grant is gone (the caller shows the reconnect state).
pub fn needs_reconnect(error: &zendesk::Error) -> bool {
    matches!(error, zendesk::Error::BadCredentials { detail } if detail.ends_with("(reconnect required)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::session::reconnect_error;

    #[test]
    fn the_reconnect_error_is_recognised() {
        assert!(needs_reconnect(&reconnect_error(
            "Zendesk refused to renew the OAuth token"
        )));
        assert!(!needs_reconnect(&zendesk::Error::BadCredentials {
            detail: "Couldn't authenticate you".into()
        }));
    }
}
