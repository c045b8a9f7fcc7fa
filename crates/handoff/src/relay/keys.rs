//! The relay's secrets: the webhook URL's keys, Zendesk's signing secret of our webhook, and the secret that
//! signs what the relay sends to the AI platform. All three live in the keychain; SQLite knows only the URL
//! keys' ids and when each was retired.
//!
//! Lose nothing: a rotation writes the keychain entry holding old AND new first, then switches in SQLite, so a
//! failure between the two leaves the previous key working; a retired key keeps opening the URL for
//! [`GRACE`] (deliveries Zendesk queued before the webhook's endpoint changed), then is forgotten.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use zendesk::SecretString;

use super::signature::SigningSecrets;
use super::url::{UrlKey, UrlKeyError};
use crate::clock::Clock;
use crate::keychain::{Keychain, KeychainError, SecretName};
use crate::store::{Store, StoreError};

/// How long a replaced URL key still opens the URL.
pub const GRACE: SignedDuration = SignedDuration::from_hours(24);

/// Why the relay's secrets could not be read or changed. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum RelayKeyError {
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Weak(#[from] UrlKeyError),
    #[error(
        "the webhook URL key `{0}` is missing from the keychain: rotate it (`handoff rotate url-key`), then run \
         `handoff setup` so the Zendesk webhook gets the new URL"
    )]
    Missing(String),
    #[error("the keychain entry `{0}` is not what the relay wrote; rotate it to start afresh")]
    Unreadable(&'static str),
}

/// The relay's secrets for one profile.
#[derive(Debug, Clone)]
pub struct RelaySecrets {
    keychain: Keychain,
    store: Store,
    clock: Clock,
}

impl RelaySecrets {
    pub fn new(keychain: Keychain, store: Store, clock: Clock) -> RelaySecrets {
        RelaySecrets {
            keychain,
            store,
            clock,
        }
    }

    /// The URL keys that open the webhook URL now (the current one first), making the first key when there is
    /// none; keys whose grace period is over are forgotten.
    pub async fn url_keys(&self) -> Result<Vec<UrlKey>, RelayKeyError> {
        let mut rows = self.store.url_keys()?;
        if rows.is_empty() {
            self.install(UrlKey::generate("k1")?, &BTreeMap::new())
                .await?;
            rows = self.store.url_keys()?;
        }
        let stored = self.stored_keys().await?;
        let now = self.clock.now();
        let mut keys = Vec::new();
        for row in rows {
            let retired_at = row
                .retired_at
                .as_deref()
                .map(|at| at.parse::<Timestamp>())
                .transpose()
                .map_err(|_| StoreError::Corrupt(format!("url_keys.retired_at of {}", row.id)))?;
            let Some(secret) = stored.get(&row.id) else {
                if retired_at.is_some() {
                    continue;
                }
                return Err(RelayKeyError::Missing(row.id));
            };
            let key = UrlKey {
                id: row.id.clone(),
                secret: secret.clone(),
                retired_at,
            };
            if key.active(now, GRACE) {
                key.check()?;
                keys.push(key);
            } else {
                self.store.forget_url_key(&row.id)?;
            }
        }
        keys.sort_by_key(|key| key.retired_at.is_some());
        Ok(keys)
    }

    /// The current key.
    pub async fn current_url_key(&self) -> Result<UrlKey, RelayKeyError> {
        self.url_keys()
            .await?
            .into_iter()
            .find(|key| key.retired_at.is_none())
            .ok_or_else(|| RelayKeyError::Missing("(current)".into()))
    }

    /// Replaces the current URL key by a new one; the old one keeps working for [`GRACE`].
    pub async fn rotate_url_key(&self) -> Result<UrlKey, RelayKeyError> {
        let existing = self.url_keys().await?;
        let next = existing
            .iter()
            .filter_map(|key| key.id.strip_prefix('k')?.parse::<u32>().ok())
            .chain(
                self.store
                    .url_keys()?
                    .iter()
                    .filter_map(|row| row.id.strip_prefix('k')?.parse::<u32>().ok()),
            )
            .max()
            .unwrap_or(0)
            + 1;
        let key = UrlKey::generate(&format!("k{next}"))?;
        let keep: BTreeMap<String, SecretString> = existing
            .into_iter()
            .map(|key| (key.id, key.secret))
            .collect();
        self.install(key.clone(), &keep).await?;
        Ok(key)
    }

    /// Writes `key` beside `keep` to the keychain, then makes it current in SQLite.
    async fn install(
        &self,
        key: UrlKey,
        keep: &BTreeMap<String, SecretString>,
    ) -> Result<(), RelayKeyError> {
        let mut all: serde_json::Map<String, Value> = keep
            .iter()
            .map(|(id, secret)| (id.clone(), json!(secret.expose_secret())))
            .collect();
        all.insert(key.id.clone(), json!(key.secret.expose_secret()));
        self.keychain
            .put(
                SecretName::UrlKeys,
                &SecretString::from(Value::Object(all).to_string()),
            )
            .await?;
        let (id, at) = (key.id.clone(), self.clock.now().to_string());
        self.store
            .call(move |store| {
                store.switch_url_key(&id, &at)?;
                store.bump_relay_secrets_version()
            })
            .await?;
        Ok(())
    }

    async fn stored_keys(&self) -> Result<BTreeMap<String, SecretString>, RelayKeyError> {
        let Some(stored) = self.keychain.get(SecretName::UrlKeys).await? else {
            return Ok(BTreeMap::new());
        };
        let value: Value = serde_json::from_str(stored.expose_secret())
            .map_err(|_| RelayKeyError::Unreadable("relay.url_keys"))?;
        let map = value
            .as_object()
            .ok_or(RelayKeyError::Unreadable("relay.url_keys"))?;
        Ok(map
            .iter()
            .filter_map(|(id, secret)| Some((id.clone(), SecretString::from(secret.as_str()?))))
            .collect())
    }

    /// Zendesk's signing secrets of our webhook (current, then the previous one after a reset); `None` until
    /// `handoff setup` fetched one.
    pub async fn signing_secrets(&self) -> Result<Option<SigningSecrets>, RelayKeyError> {
        let Some(stored) = self.keychain.get(SecretName::WebhookSigningSecret).await? else {
            return Ok(None);
        };
        let value: Value = serde_json::from_str(stored.expose_secret())
            .map_err(|_| RelayKeyError::Unreadable("relay.webhook_signing_secret"))?;
        let secrets: Vec<SecretString> = ["current", "previous"]
            .iter()
            .filter_map(|key| value.get(*key).and_then(Value::as_str))
            .map(SecretString::from)
            .collect();
        SigningSecrets::new(secrets)
            .map(Some)
            .map_err(|_| RelayKeyError::Unreadable("relay.webhook_signing_secret"))
    }

    /// The current signing secret alone (what setup compares with Zendesk's); `None` until one was fetched.
    pub async fn current_signing_secret(&self) -> Result<Option<SecretString>, RelayKeyError> {
        let Some(stored) = self.keychain.get(SecretName::WebhookSigningSecret).await? else {
            return Ok(None);
        };
        let value: Value = serde_json::from_str(stored.expose_secret())
            .map_err(|_| RelayKeyError::Unreadable("relay.webhook_signing_secret"))?;
        Ok(value
            .get("current")
            .and_then(Value::as_str)
            .map(SecretString::from))
    }

    /// Records the webhook's signing secret as Zendesk shows it; the one it replaces stays accepted (deliveries
    /// Zendesk signed before a reset may still arrive).
    pub async fn set_signing_secret(&self, secret: &SecretString) -> Result<(), RelayKeyError> {
        let previous = match self.keychain.get(SecretName::WebhookSigningSecret).await? {
            Some(stored) => serde_json::from_str::<Value>(stored.expose_secret())
                .ok()
                .and_then(|v| v.get("current").and_then(Value::as_str).map(str::to_owned)),
            None => None,
        };
        let mut value = json!({ "current": secret.expose_secret() });
        if let Some(previous) = previous.filter(|p| p != secret.expose_secret()) {
            value["previous"] = json!(previous);
        }
        self.keychain
            .put(
                SecretName::WebhookSigningSecret,
                &SecretString::from(value.to_string()),
            )
            .await?;
        self.store
            .call(|store| store.bump_relay_secrets_version())
            .await?;
        Ok(())
    }

    /// The secret that signs outbound messages (`whsec_` and 32 random bytes in base64), made on first use.
    pub async fn outbound_secret(&self) -> Result<SecretString, RelayKeyError> {
        if let Some(secret) = self.keychain.get(SecretName::OutboundSigningSecret).await? {
            return Ok(secret);
        }
        self.rotate_outbound_secret().await
    }

    /// A new outbound signing secret (the AI platform must be given it).
    pub async fn rotate_outbound_secret(&self) -> Result<SecretString, RelayKeyError> {
        let secret = SecretString::from(format!(
            "whsec_{}",
            STANDARD.encode(rand::random::<[u8; 32]>())
        ));
        self.keychain
            .put(SecretName::OutboundSigningSecret, &secret)
            .await?;
        Ok(secret)
    }
}
