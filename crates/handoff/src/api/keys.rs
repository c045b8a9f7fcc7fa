//! The sessions API's bearer keys (`handoff api-key new|list|revoke`).
//!
//! A key is `hk_` and 32 random bytes in base64url: shown once, when it is made. Only its SHA-256 hash is
//! stored, so the SQLite file (or a backup of it) opens nothing. A key is high-entropy, so a plain hash is the
//! right tool (a slow password hash buys nothing against 256 random bits), and looking a presented key up by
//! its hash compares nothing an attacker can steer byte by byte.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use zendesk::SecretString;

use crate::clock::Clock;
use crate::store::{ApiKeyRow, Store, StoreError};

/// What every key starts with, so one found in a log or a paste is recognisable.
pub const KEY_PREFIX: &str = "hk_";

/// Longest label, in characters.
const MAX_LABEL_CHARS: usize = 100;

/// A key just made: the only time `key` is known.
#[derive(Debug)]
pub struct NewApiKey {
    pub id: String,
    pub label: String,
    pub key: SecretString,
}

/// Why a key operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("the label {0}; use at most 100 printable characters")]
    Label(&'static str),
    #[error("no API key has the id `{0}`; `handoff api-key list` shows them")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The keys of one data folder.
#[derive(Debug, Clone)]
pub struct ApiKeys {
    store: Store,
    clock: Clock,
}

impl ApiKeys {
    pub fn new(store: Store, clock: Clock) -> ApiKeys {
        ApiKeys { store, clock }
    }

    /// Makes a key labelled `label` (what it is for: "ai-platform-prod").
    pub fn create(&self, label: &str) -> Result<NewApiKey, ApiKeyError> {
        let label = label.trim();
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(ApiKeyError::Label("is too long"));
        }
        if label.chars().any(char::is_control) {
            return Err(ApiKeyError::Label("holds a control character"));
        }
        let id = format!("key_{}", ulid::Ulid::new().to_string().to_ascii_lowercase());
        let key = format!(
            "{KEY_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
        );
        self.store
            .insert_api_key(&id, label, &hash(&key), &self.clock.now().to_string())?;
        Ok(NewApiKey {
            id,
            label: label.to_owned(),
            key: SecretString::from(key),
        })
    }

    pub fn list(&self) -> Result<Vec<ApiKeyRow>, ApiKeyError> {
        Ok(self.store.api_keys()?)
    }

    /// Revokes key `id` at once: the next request with it gets 401.
    pub fn revoke(&self, id: &str) -> Result<(), ApiKeyError> {
        if self
            .store
            .revoke_api_key(id.trim(), &self.clock.now().to_string())?
        {
            Ok(())
        } else {
            Err(ApiKeyError::NotFound(id.trim().to_owned()))
        }
    }

    /// The id of the live key `presented` is, if any.
    pub fn authenticate(&self, presented: &str) -> Result<Option<String>, StoreError> {
        if !presented.starts_with(KEY_PREFIX) || presented.len() > 200 {
            return Ok(None);
        }
        self.store.live_api_key(&hash(presented))
    }
}

fn hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
