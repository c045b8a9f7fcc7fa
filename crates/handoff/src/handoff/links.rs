//! "View session" links: `{public_url}/sessions/{id}?t={tag}`, with tag = base64url(HMAC-SHA256(link key,
//! session id)), so a session id alone opens nothing.
//!
//! Invariants: the link key lives only in the keychain ([`SecretName::SessionLinkKey`]), is made on first use
//! from at least 32 random bytes, and never leaves this type (its `Debug` is redacted); tags are checked in
//! constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::Url;

use crate::keychain::{Keychain, KeychainError, SecretName};
use crate::session::SessionId;
use zendesk::SecretString;

/// Bytes of a new link key.
pub const LINK_KEY_BYTES: usize = 32;

/// Why the link key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(
        "the keychain's session link key is not usable ({0}); delete the entry handoff.session_link_key so a new \
         one is made (existing View session links stop opening)"
    )]
    BadKey(String),
}

/// Signs and checks session links.
#[derive(Clone)]
pub struct SessionLinks {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for SessionLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionLinks(<key redacted>)")
    }
}

impl SessionLinks {
    /// The profile's link key from the keychain, made and stored first when there is none. Two processes
    /// making one at once: the key read back after storing wins, so both sign with what the keychain holds.
    pub async fn open(keychain: &Keychain) -> Result<SessionLinks, LinkError> {
        let stored = match keychain.get(SecretName::SessionLinkKey).await? {
            Some(stored) => stored,
            None => {
                let bytes: [u8; LINK_KEY_BYTES] = rand::random();
                keychain
                    .put(
                        SecretName::SessionLinkKey,
                        &SecretString::from(URL_SAFE_NO_PAD.encode(bytes)),
                    )
                    .await?;
                keychain
                    .get(SecretName::SessionLinkKey)
                    .await?
                    .ok_or_else(|| {
                        LinkError::BadKey("it vanished right after it was stored".to_owned())
                    })?
            }
        };
        let key = URL_SAFE_NO_PAD
            .decode(stored.expose_secret().trim())
            .map_err(|_| LinkError::BadKey("not base64url".to_owned()))?;
        if key.len() < LINK_KEY_BYTES {
            return Err(LinkError::BadKey(format!(
                "{} bytes, fewer than {LINK_KEY_BYTES}",
                key.len()
            )));
        }
        let mac =
            Hmac::<Sha256>::new_from_slice(&key).map_err(|e| LinkError::BadKey(e.to_string()))?;
        Ok(SessionLinks { mac })
    }

    /// The tag that opens the session's page.
    pub fn tag(&self, id: SessionId) -> String {
        let mut mac = self.mac.clone();
        mac.update(id.to_string().as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The session's read-only page under `public_url`.
    pub fn url(&self, public_url: &Url, id: SessionId) -> String {
        format!("{}?t={}", page_url(public_url, id), self.tag(id))
    }

    /// Whether `tag` opens session `id` (as the page receives them). Constant time in the tag's content.
    pub fn verify_link(&self, id: &str, tag: &str) -> bool {
        let Ok(id) = SessionId::parse(id) else {
            return false;
        };
        let Ok(given) = URL_SAFE_NO_PAD.decode(tag.trim()) else {
            return false;
        };
        let mut mac = self.mac.clone();
        mac.update(id.to_string().as_bytes());
        mac.verify_slice(&given).is_ok()
    }
}

/// `{public_url}/sessions/{id}`, whether or not `public_url` ends with a slash.
pub(crate) fn page_url(public_url: &Url, id: SessionId) -> String {
    format!(
        "{}/sessions/{id}",
        public_url.as_str().trim_end_matches('/')
    )
}
