//! Secrets in the OS keychain, and nowhere else.
//!
//! Architecture invariant: tokens, signing secrets and URL keys are written only here. SQLite, logs, IPC
//! responses and CLI output never hold them; they carry at most the *name* of a keychain entry.
//!
//! The store is picked explicitly ([`SecretStoreKind`]): the desktop keychain (Secret Service over D-Bus) by
//! default, or the Linux kernel keyring for headless relays. There is no silent in-memory fallback: when the
//! keychain cannot be reached the caller gets a [`KeychainError`] that says what to start or install.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};
use zendesk::SecretString;

/// Test-only (debug builds): milliseconds to use instead of [`KEYCHAIN_TIMEOUT`], so a test of a keychain that
/// never answers need not wait 20 s.
pub const TIMEOUT_VAR: &str = "HANDOFF_KEYCHAIN_TIMEOUT_MS";

/// How long one keychain call may take. The Secret Service answers in milliseconds, unless it waits for the
/// person at the screen (an unlock prompt) or is wedged: then the caller gets [`KeychainError::NoAnswer`]
/// instead of waiting forever, and the async runtime never waits at all (calls run on the blocking pool).
pub const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(20);

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
    #[error(
        "the keychain did not answer within {:.1} s: if it shows an unlock prompt, unlock it; otherwise restart \
         the keyring (`gnome-keyring-daemon --replace --components=secrets`) and try again",
        .0.as_secs_f64()
    )]
    NoAnswer(Duration),
    #[error("the keychain failed: {0}")]
    Platform(String),
}

/// A handle on the product's keychain entries for one profile.
///
/// Entries are namespaced by the profile's install id, so two data folders on one machine (or two test runs in
/// one keyring) never see each other's secrets. The Zendesk credentials are further bound to a *generation*
/// (see [`SecretName::is_credential`]): a save writes a new generation and switches to it in SQLite, so the
/// previous connection keeps its secrets until the switch has committed.
///
/// Every call runs on tokio's blocking pool with [`KEYCHAIN_TIMEOUT`]: D-Bus is never waited on from the async
/// runtime. The store itself is opened on first use, which is where an unreachable keychain is noticed.
#[derive(Clone)]
pub struct Keychain {
    kind: SecretStoreKind,
    namespace: String,
    generation: Option<String>,
}

impl std::fmt::Debug for Keychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keychain")
            .field("namespace", &self.namespace)
            .field("generation", &self.generation)
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
    /// The webhook URL's keys, as ONE JSON entry `{key id: secret}`: a rotation writes old and new together.
    UrlKeys,
    /// Zendesk's signing secrets of our webhook, as ONE JSON entry `{"current", "previous"?}`.
    WebhookSigningSecret,
    /// The secret that signs what the relay sends to the AI platform (Standard Webhooks, `whsec_...`).
    OutboundSigningSecret,
    /// The AI Fields LLM filler's API key (`handoff llm-key set --stdin`).
    LlmApiKey,
}

impl SecretName {
    /// Every entry the product keeps (the diagnostics bundle redacts each of them).
    pub const ALL: [SecretName; 8] = [
        SecretName::ZendeskApiToken,
        SecretName::OAuthTokens,
        SecretName::OAuthClientSecret,
        SecretName::SessionLinkKey,
        SecretName::UrlKeys,
        SecretName::WebhookSigningSecret,
        SecretName::OutboundSigningSecret,
        SecretName::LlmApiKey,
    ];

    /// The Zendesk credentials: replaced together by a save, so they live in the connection's generation.
    pub const CREDENTIALS: [SecretName; 3] = [
        SecretName::ZendeskApiToken,
        SecretName::OAuthTokens,
        SecretName::OAuthClientSecret,
    ];

    /// Whether this secret belongs to the saved Zendesk credentials (and so to a generation).
    pub fn is_credential(self) -> bool {
        Self::CREDENTIALS.contains(&self)
    }

    /// The entry's name in the keychain (without the profile's namespace), as shown to people.
    pub fn as_str(self) -> &'static str {
        self.key()
    }

    fn key(self) -> &'static str {
        match self {
            SecretName::ZendeskApiToken => "zendesk.api_token",
            SecretName::OAuthTokens => "zendesk.oauth_tokens",
            SecretName::OAuthClientSecret => "zendesk.oauth_client_secret",
            SecretName::SessionLinkKey => "handoff.session_link_key",
            SecretName::UrlKeys => "relay.url_keys",
            SecretName::WebhookSigningSecret => "relay.webhook_signing_secret",
            SecretName::OutboundSigningSecret => "relay.outbound_signing_secret",
            SecretName::LlmApiKey => "fields.llm_api_key",
        }
    }
}

/// One store per process and kind: connecting to the Secret Service opens a D-Bus connection, so it is shared.
static STORES: Mutex<Vec<(SecretStoreKind, Arc<CredentialStore>)>> = Mutex::new(Vec::new());

impl Keychain {
    /// A handle on the store of `kind` for the profile whose install id is `namespace`, with the credentials of
    /// `generation` (`None`: the bare names older versions used).
    pub fn open(kind: SecretStoreKind, namespace: &str, generation: Option<String>) -> Keychain {
        Keychain {
            kind,
            namespace: namespace.to_owned(),
            generation,
        }
    }

    /// The same keychain with the credentials of another generation (a save writes the new one through this).
    pub fn with_generation(&self, generation: Option<String>) -> Keychain {
        Keychain {
            generation,
            ..self.clone()
        }
    }

    /// The generation this handle's credentials belong to.
    pub fn generation(&self) -> Option<&str> {
        self.generation.as_deref()
    }

    /// Writes a secret, replacing any previous value.
    pub async fn put(&self, name: SecretName, secret: &SecretString) -> Result<(), KeychainError> {
        let secret = secret.clone();
        self.call(name, move |entry| {
            entry.set_password(secret.expose_secret()).map_err(classify)
        })
        .await
    }

    /// Reads a secret; `Ok(None)` when it was never written or has been deleted.
    pub async fn get(&self, name: SecretName) -> Result<Option<SecretString>, KeychainError> {
        self.call(name, |entry| match entry.get_password() {
            Ok(secret) => Ok(Some(SecretString::from(secret))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(error) => Err(classify(error)),
        })
        .await
    }

    /// Deletes a secret; deleting one that does not exist is not an error.
    pub async fn delete(&self, name: SecretName) -> Result<(), KeychainError> {
        self.call(name, |entry| match entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(error) => Err(classify(error)),
        })
        .await
    }

    /// Runs `operation` on `name`'s entry on the blocking pool, giving up after [`KEYCHAIN_TIMEOUT`].
    async fn call<T: Send + 'static>(
        &self,
        name: SecretName,
        operation: impl FnOnce(&Entry) -> Result<T, KeychainError> + Send + 'static,
    ) -> Result<T, KeychainError> {
        let kind = self.kind;
        let user = self.user(name);
        let task = tokio::task::spawn_blocking(move || {
            let store = shared_store(kind)?;
            let entry = store.build(SERVICE, &user, None).map_err(classify)?;
            operation(&entry)
        });
        let limit = call_timeout();
        match tokio::time::timeout(limit, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(KeychainError::Platform(format!(
                "the keychain call stopped: {join}"
            ))),
            Err(_) => Err(KeychainError::NoAnswer(limit)),
        }
    }

    /// The entry's user name: `<install id>/<name>`, and for credentials of a generation `@<generation>` after.
    fn user(&self, name: SecretName) -> String {
        match (&self.generation, name.is_credential()) {
            (Some(generation), true) => format!("{}/{}@{generation}", self.namespace, name.key()),
            _ => format!("{}/{}", self.namespace, name.key()),
        }
    }
}

fn call_timeout() -> Duration {
    let from_test = cfg!(debug_assertions)
        .then(|| std::env::var(TIMEOUT_VAR).ok()?.parse::<u64>().ok())
        .flatten();
    from_test.map_or(KEYCHAIN_TIMEOUT, Duration::from_millis)
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
