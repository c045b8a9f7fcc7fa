//! Secrets in the OS keychain, and nowhere else.
//!
//! Architecture invariant: tokens, signing secrets and URL keys are written only here. SQLite, logs, IPC
//! responses and CLI output never hold them; they carry at most the *name* of a keychain entry.
//!
//! The store is picked explicitly ([`SecretStoreKind`]): the desktop keychain (Secret Service over D-Bus) by
//! default, or the Linux kernel keyring for headless relays. There is no silent in-memory fallback: when the
//! keychain cannot be reached the caller gets a [`KeychainError`] that says what to start or install.

use std::sync::{Arc, Mutex};

use keyring_core::{CredentialStore, Entry};
use zendesk::SecretString;

/// The keychain service name every entry of this product lives under.
const SERVICE: &str = "zendesk-handoff-console";

/// Which secret store holds the product's secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretStoreKind {
    /// The desktop keychain through the freedesktop Secret Service (gnome-keyring, KWallet): persistent.
    Keychain,
    /// The Linux kernel keyring (keyutils): needs no D-Bus, but does not survive a reboot. For headless relays.
    Keyutils,
}

impl SecretStoreKind {
    /// Parses the value of `--secret-store` / `HANDOFF_SECRET_STORE`.
    pub fn parse(value: &str) -> Result<Self, KeychainError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "keychain" | "secret-service" => Ok(Self::Keychain),
            "keyutils" => Ok(Self::Keyutils),
            other => Err(KeychainError::UnknownStore(other.to_owned())),
        }
    }
}

/// Why a secret could not be read or written. Each message says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error(
        "there is no D-Bus session bus, and the keychain (Secret Service) is reached over D-Bus: start the app \
         inside a desktop session, or wrap it in `dbus-run-session`, or pick `--secret-store keyutils` for a headless relay"
    )]
    NoSessionBus,
    #[error(
        "no Secret Service is running on the session bus: install and start one (`apt-get install gnome-keyring`, \
         then `gnome-keyring-daemon --start --components=secrets`), or pick `--secret-store keyutils`"
    )]
    ServiceMissing,
    #[error(
        "the keychain is locked: unlock your login keyring (for example `gnome-keyring-daemon --unlock` and type \
         its password) and try again"
    )]
    Locked,
    #[error("unknown secret store `{0}`: use `keychain` (default) or `keyutils`")]
    UnknownStore(String),
    #[error("the keychain failed: {0}")]
    Platform(String),
}

/// A handle on the product's keychain entries for one profile.
///
/// Entries are namespaced by the profile's install id, so two data folders on one machine (or two test runs in
/// one keyring) never see each other's secrets.
#[derive(Clone)]
pub struct Keychain {
    store: Arc<CredentialStore>,
    namespace: String,
}

impl std::fmt::Debug for Keychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keychain")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// The names of the secrets the product keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretName {
    /// The legacy Zendesk API token.
    ZendeskApiToken,
    /// The OAuth access and refresh tokens with their expiry, as ONE JSON entry: a refresh replaces both at once.
    OAuthTokens,
    /// A confidential OAuth client's secret (needed to refresh, and for client credentials).
    OAuthClientSecret,
    /// The HMAC key that signs "View session" links (created on first use, at least 32 random bytes).
    SessionLinkKey,
}

impl SecretName {
    fn key(self) -> &'static str {
        match self {
            SecretName::ZendeskApiToken => "zendesk.api_token",
            SecretName::OAuthTokens => "zendesk.oauth_tokens",
            SecretName::OAuthClientSecret => "zendesk.oauth_client_secret",
            SecretName::SessionLinkKey => "handoff.session_link_key",
        }
    }
}

/// One store per process and kind: connecting to the Secret Service opens a D-Bus connection, so it is shared.
static STORES: Mutex<Vec<(SecretStoreKind, Arc<CredentialStore>)>> = Mutex::new(Vec::new());

impl Keychain {
    /// Opens the store of `kind` for the profile whose install id is `namespace`. This is where an unreachable
    /// keychain is first noticed.
    pub fn open(kind: SecretStoreKind, namespace: &str) -> Result<Keychain, KeychainError> {
        let store = shared_store(kind)?;
        Ok(Keychain {
            store,
            namespace: namespace.to_owned(),
        })
    }

    /// Writes a secret, replacing any previous value.
    pub fn put(&self, name: SecretName, secret: &SecretString) -> Result<(), KeychainError> {
        self.entry(name)?
            .set_password(secret.expose_secret())
            .map_err(classify)
    }

    /// Reads a secret; `Ok(None)` when it was never written or has been deleted.
    pub fn get(&self, name: SecretName) -> Result<Option<SecretString>, KeychainError> {
        match self.entry(name)?.get_password() {
            Ok(secret) => Ok(Some(SecretString::from(secret))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(error) => Err(classify(error)),
        }
    }

    /// Deletes a secret; deleting one that does not exist is not an error.
    pub fn delete(&self, name: SecretName) -> Result<(), KeychainError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(error) => Err(classify(error)),
        }
    }

    fn entry(&self, name: SecretName) -> Result<Entry, KeychainError> {
        let user = format!("{}/{}", self.namespace, name.key());
        self.store.build(SERVICE, &user, None).map_err(classify)
    }
}

fn shared_store(kind: SecretStoreKind) -> Result<Arc<CredentialStore>, KeychainError> {
    let mut stores = STORES
        .lock()
        .map_err(|_| KeychainError::Platform("the keychain lock was poisoned".into()))?;
    if let Some((_, store)) = stores.iter().find(|(k, _)| *k == kind) {
        return Ok(store.clone());
    }
    let store: Arc<CredentialStore> = match kind {
        SecretStoreKind::Keychain => {
            zbus_secret_service_keyring_store::Store::new().map_err(classify)?
        }
        SecretStoreKind::Keyutils => {
            linux_keyutils_keyring_store::Store::new().map_err(classify)?
        }
    };
    stores.push((kind, store.clone()));
    Ok(store)
}

/// Turns the store's errors into ones a person can act on. The Secret Service reports its failures as D-Bus
/// error text, so this is the one place that reads error strings (as GitButler's `but-secret` does).
fn classify(error: keyring_core::Error) -> KeychainError {
    let text = match &error {
        keyring_core::Error::NoStorageAccess(_) => return KeychainError::Locked,
        other => other.to_string(),
    };
    classify_platform_text(&text)
}

fn classify_platform_text(text: &str) -> KeychainError {
    if text.contains("ServiceUnknown") || text.contains("org.freedesktop.secrets") {
        KeychainError::ServiceMissing
    } else if text.contains("Failed to connect")
        || text.contains("DBUS_SESSION_BUS_ADDRESS")
        || text.contains("/bus")
        || text.contains("session bus")
    {
        KeychainError::NoSessionBus
    } else if text.contains("Locked") || text.contains("locked") {
        KeychainError::Locked
    } else {
        KeychainError::Platform(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_failures_name_what_to_start_or_install() {
        let table = [
            ("Failed to connect to address unix:path=/run/user/0/bus", "dbus-run-session"),
            (
                "org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided",
                "gnome-keyring",
            ),
            ("Object is Locked", "unlock"),
            ("something else", "the keychain failed"),
        ];
        for (platform_text, advice) in table {
            let message = classify_platform_text(platform_text).to_string();
            assert!(
                message.contains(advice),
                "{platform_text:?} should advise {advice:?}, got {message:?}"
            );
        }
    }

    #[test]
    fn store_kinds_parse_and_unknown_ones_are_named() {
        assert_eq!(
            SecretStoreKind::parse("keychain").ok(),
            Some(SecretStoreKind::Keychain)
        );
        assert_eq!(
            SecretStoreKind::parse(" KEYUTILS ").ok(),
            Some(SecretStoreKind::Keyutils)
        );
        let error = SecretStoreKind::parse("memory")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("`memory`"), "{error}");
    }
}
