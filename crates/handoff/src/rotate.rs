//! Rotation (SPEC §10): the Zendesk credentials, the webhook URL's key, and Zendesk's signing secret.
//!
//! Invariants:
//! - Credentials are replaced only through Verify & Save's one save path (`connect`): every check passes
//!   first, and the previous credentials keep working until the new ones are committed. The account stays the
//!   saved one (its subdomain, base URL, default agent and sandbox flag are reused), and nothing in Zendesk is
//!   touched: the webhook URL is signed with its own key, so new credentials never change it.
//! - A new URL key is written to the keychain beside the old one before it becomes current; the old one opens
//!   the URL for [`GRACE`](crate::relay::keys::GRACE), so deliveries Zendesk queued or retries to the old URL
//!   are still accepted while our webhook is moved to the new URL (a PATCH of its endpoint, ours only).
//! - A signing-secret reset stores Zendesk's new secret at once and keeps the previous one accepted; every
//!   relay on the data folder reads it at its next delivery (`relay_secrets_version`).

use jiff::Timestamp;
use zendesk::{SecretString, WebhookPatch};

use crate::account;
use crate::clock::Clock;
use crate::connect::{
    self, Check, ConnectInput, ConnectOptions, OAuthConnectInput, SignIn, VerifyReport,
};
use crate::keychain::KeychainError;
use crate::oauth::GrantKind;
use crate::profile::Profile;
use crate::relay::keys::{RelayKeyError, RelaySecrets, GRACE};
use crate::relay::url::{redacted, webhook_url};
use crate::settings::Settings;
use crate::setup::observe::{ReadError, ReadFailure};
use crate::setup::{self};
use crate::store::StoreError;
use crate::ConnectError;

/// Why a rotation did not happen. Each says what to do; callers branch on the variant (the CLI's exit code).
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error("not connected to Zendesk: run `handoff connect` (or `handoff demo`) first")]
    NotConnected,
    #[error("Zendesk no longer accepts the saved credentials ({0}): sign in again with `handoff connect`")]
    ReconnectRequired(String),
    #[error("the webhook is not set up yet, so it has no signing secret to reset: run `handoff setup` first")]
    NotSetUp,
    #[error("could not {doing}: {error}")]
    Zendesk { doing: String, error: ReadError },
    #[error(transparent)]
    Keys(#[from] RelayKeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

impl RotateError {
    fn zendesk(doing: &str, error: zendesk::Error) -> RotateError {
        let error = ReadError::from(error);
        match error.kind {
            ReadFailure::ReconnectRequired => RotateError::ReconnectRequired(error.message),
            _ => RotateError::Zendesk {
                doing: doing.to_owned(),
                error,
            },
        }
    }

    /// Whether Zendesk could not be asked (try again).
    pub fn unreachable(&self) -> bool {
        matches!(self, RotateError::Zendesk { error, .. } if error.kind == ReadFailure::Unreachable)
    }
}

/// The new credentials (the account stays the saved one).
#[derive(Debug, Clone)]
pub enum NewCredentials {
    /// A new legacy API token (with the email of the admin who owns it).
    ApiToken { email: String, token: SecretString },
    /// An OAuth client: browser sign-in (re-consent) or client credentials.
    OAuth {
        client_id: String,
        client_secret: Option<SecretString>,
        grant: GrantKind,
    },
}

/// Verifies the new credentials against the saved account, then replaces the saved ones through the one save
/// path. `sign_in` is needed for a browser sign-in. Nothing in Zendesk changes.
pub async fn credentials(
    profile: &Profile,
    clock: &Clock,
    new: NewCredentials,
    sign_in: Option<SignIn<'_>>,
    on_check: impl FnMut(&Check) + Send,
) -> Result<VerifyReport, RotateError> {
    let saved = profile.connection()?.ok_or(RotateError::NotConnected)?;
    let default_agent_id = saved.default_agent.as_ref().map(|a| a.id.to_string());
    let options = ConnectOptions { demo: saved.demo };
    let base_url = Some(saved.base_url.to_string());
    let subdomain = saved.subdomain.to_string();
    Ok(match new {
        NewCredentials::ApiToken { email, token } => {
            connect::verify_and_save(
                profile,
                ConnectInput {
                    subdomain,
                    email,
                    token,
                    default_agent_id,
                    base_url,
                },
                options,
                clock.now(),
                on_check,
            )
            .await?
        }
        NewCredentials::OAuth {
            client_id,
            client_secret,
            grant,
        } => {
            let browser = NoBrowser;
            let sign_in = sign_in.unwrap_or(SignIn {
                browser: &browser,
                cancel: crate::oauth::Cancel::new(),
                wait: connect::DEFAULT_SIGN_IN_WAIT,
            });
            connect::verify_and_save_oauth(
                profile,
                OAuthConnectInput {
                    subdomain,
                    client_id,
                    client_secret,
                    grant,
                    default_agent_id,
                    base_url,
                },
                sign_in,
                options,
                clock,
                on_check,
            )
            .await?
        }
    })
}

/// What became of our webhook when the URL key was rotated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookMove {
    /// Our webhook now posts to the new URL.
    Moved { id: String },
    /// Setup has made no webhook yet: `handoff setup` makes it at the new URL.
    NotSetUp,
    /// Our webhook is gone from Zendesk: `handoff setup` makes a new one at the new URL.
    Gone { id: String },
    /// Zendesk did not take the new endpoint; the old URL keeps working until `previous_valid_until`, and
    /// `handoff setup --fix webhook` moves it. `unreachable`: Zendesk could not be asked.
    Failed {
        id: String,
        reason: String,
        unreachable: bool,
    },
}

/// What a URL-key rotation did.
#[derive(Debug, Clone)]
pub struct UrlKeyRotation {
    pub key_id: String,
    /// The new webhook URL, redacted (its tag is a credential).
    pub url: String,
    /// Until when the previous URL still opens.
    pub previous_valid_until: Timestamp,
    pub webhook: WebhookMove,
}

/// Makes a new URL key (the old one stays valid for the grace period) and moves our webhook to the new URL.
pub async fn url_key(profile: &Profile, clock: &Clock) -> Result<UrlKeyRotation, RotateError> {
    let account = account::open(profile, clock)
        .await?
        .ok_or(RotateError::NotConnected)?;
    if let Some(reason) = &account.connection.reconnect_required {
        return Err(RotateError::ReconnectRequired(reason.clone()));
    }
    let store = profile.store().clone();
    let secrets = RelaySecrets::new(profile.keychain()?, store.clone(), clock.clone());
    let key = secrets.rotate_url_key().await?;
    let public_url = Settings::new(store.clone()).public_url()?;
    let url = webhook_url(&public_url, profile.install_id(), &key);
    let previous_valid_until = clock.now().checked_add(GRACE).unwrap_or(clock.now());
    let webhook = match store.setup_object(setup::WEBHOOK)? {
        None => WebhookMove::NotSetUp,
        Some(row) => {
            let patch = WebhookPatch {
                endpoint: Some(url.clone()),
                ..WebhookPatch::default()
            };
            match account.client.patch_webhook(&row.zendesk_id, &patch).await {
                Ok(()) => WebhookMove::Moved { id: row.zendesk_id },
                Err(zendesk::Error::NotFound { .. }) => WebhookMove::Gone { id: row.zendesk_id },
                Err(error) => {
                    let error = ReadError::from(error);
                    WebhookMove::Failed {
                        id: row.zendesk_id,
                        unreachable: error.kind == ReadFailure::Unreachable,
                        reason: error.message,
                    }
                }
            }
        }
    };
    Ok(UrlKeyRotation {
        key_id: key.id,
        url: redacted(&url),
        previous_valid_until,
        webhook,
    })
}

/// What a signing-secret reset did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningSecretReset {
    pub webhook_id: String,
}

/// Resets our webhook's signing secret in Zendesk and stores the new one; the relay accepts it at once and
/// keeps accepting the previous one (deliveries signed before the reset may still arrive).
pub async fn signing_secret(
    profile: &Profile,
    clock: &Clock,
) -> Result<SigningSecretReset, RotateError> {
    let account = account::open(profile, clock)
        .await?
        .ok_or(RotateError::NotConnected)?;
    if let Some(reason) = &account.connection.reconnect_required {
        return Err(RotateError::ReconnectRequired(reason.clone()));
    }
    let store = profile.store().clone();
    let row = store
        .setup_object(setup::WEBHOOK)?
        .ok_or(RotateError::NotSetUp)?;
    let secret = account
        .client
        .reset_webhook_signing_secret(&row.zendesk_id)
        .await
        .map_err(|e| RotateError::zendesk("reset the webhook's signing secret", e))?;
    let secrets = RelaySecrets::new(profile.keychain()?, store, clock.clone());
    secrets.set_signing_secret(&secret.secret).await?;
    Ok(SigningSecretReset {
        webhook_id: row.zendesk_id,
    })
}

/// Stands in when a browser sign-in was asked for without a browser: the Authorization check fails, saying so.
struct NoBrowser;

impl crate::oauth::browser::Browser for NoBrowser {
    fn open(&self, _url: &url::Url) -> Result<(), crate::oauth::browser::BrowserError> {
        Err(crate::oauth::browser::BrowserError {
            command: "(none)".to_owned(),
            reason: "a browser sign-in needs a browser: the caller gave none".to_owned(),
        })
    }
}
