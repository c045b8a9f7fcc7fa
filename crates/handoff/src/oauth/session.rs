//! The OAuth token source: the keychain pair, kept fresh.
//!
//! Invariants, each relied on by a test:
//! - One refresh at a time: every caller goes through one `tokio::sync::Mutex`, and a refresh runs while it is
//!   held, so twenty requests that find the token expiring cause exactly one refresh and then all use its result.
//! - One refresh at a time across processes too (the console, the CLI beside it, a relay): a refresh runs only
//!   while holding the lease in SQLite (`refresh_lease`, taken in an IMMEDIATE transaction). A process that
//!   finds it held waits, and adopts the pair the holder stores (Zendesk would refuse its own, now dead, pair);
//!   a lease whose holder died (its pid is gone) or lapsed ([`REFRESH_LEASE`]) is taken over. Only the holder
//!   may conclude "reconnect required", and only after Zendesk refused a pair no one else replaced.
//! - A refresh never loses the pair: the marker (`refresh_started_at`) is durable before the token endpoint is
//!   called; the new pair replaces the old in ONE keychain entry before anything uses it; the marker is cleared
//!   with the new expiry, and any successful refresh or verification lifts a stale "reconnect required". A
//!   crash at any point leaves either a pair Zendesk accepts, or a marker that start-up
//!   resolves (try the stored pair; if Zendesk refuses it, `reconnect_required`).
//! - A 401 causes at most one refresh: `invalidate` refreshes only when the rejected token is still the current
//!   one (a request that raced a refresh just retries with the new token), and the client retries only once.
//! - A grant Zendesk refuses (`invalid_grant`, `invalid_client`) is final: the connection goes to
//!   `reconnect_required` (stored, shown by the console and `handoff status`) instead of failing silently —
//!   unless another process (the CLI next to the console) renewed the pair meanwhile: a refused refresh first
//!   looks for a newer pair in the keychain and adopts it.

use std::sync::atomic::{AtomicU32, Ordering};

use futures::future::BoxFuture;
use jiff::SignedDuration;
use zendesk::{Auth, Client, ClientConfig, Grant, SecretString, TokenRequest, TokenSource};

use super::{fault_point, GrantKind, TokenSet};
use crate::clock::Clock;
use crate::keychain::{Keychain, SecretName};
use crate::store::{Lease, Store};

/// A token with less than this left is refreshed before it is sent.
pub const REFRESH_MARGIN: SignedDuration = SignedDuration::from_secs(60);

/// How long one process may hold the cross-process refresh lease. Longer than a token call can take (the
/// client's own timeouts end it well before), so a lease only lapses when its holder is stuck or dead.
pub const REFRESH_LEASE: std::time::Duration = std::time::Duration::from_secs(90);

/// How often a process waiting for another's refresh looks at the lease and the keychain.
const LEASE_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// What a session needs to know about the connection it serves.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Where the token endpoint is (the account's base URL).
    pub base_url: url::Url,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    pub grant: GrantKind,
    /// The `scope` to ask for when a client-credentials token is renewed.
    pub scope: String,
}

/// The [`TokenSource`] of an OAuth connection.
pub struct OAuthSession {
    config: SessionConfig,
    token_endpoint: Client,
    store: Store,
    keychain: Keychain,
    clock: Clock,
    /// This process's name in the refresh lease: `<pid>:<random>`, so others can tell a dead holder.
    holder: String,
    state: tokio::sync::Mutex<SessionState>,
    refreshes: AtomicU32,
}

impl std::fmt::Debug for OAuthSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSession")
            .field("client_id", &self.config.client_id)
            .field("grant", &self.config.grant)
            .finish_non_exhaustive()
    }
}

struct SessionState {
    tokens: Option<TokenSet>,
    /// Set once the grant is gone; every call then fails with it until the admin signs in again.
    reconnect: Option<String>,
}

impl OAuthSession {
    /// A session over the pair in the keychain. `reconnect` is the stored reason when the connection already
    /// needs a new sign-in. A missing pair is itself a reason to reconnect, and is recorded as one.
    pub async fn new(
        config: SessionConfig,
        store: Store,
        keychain: Keychain,
        clock: Clock,
        reconnect: Option<String>,
    ) -> Result<OAuthSession, zendesk::Error> {
        let token_endpoint =
            Client::new(ClientConfig::new(config.base_url.clone(), Auth::Anonymous))?;
        let stored = keychain
            .get(SecretName::OAuthTokens)
            .await
            .map_err(|error| zendesk::Error::InvalidConfig {
                detail: format!("the OAuth tokens could not be read: {error}"),
            })?;
        let (tokens, problem) = match stored {
            Some(stored) => match TokenSet::from_keychain(&stored) {
                Ok(tokens) => (Some(tokens), None),
                Err(problem) => (None, Some(problem)),
            },
            None => (
                None,
                Some("the OAuth tokens are missing from the keychain".to_owned()),
            ),
        };
        let reconnect = reconnect.or(problem.clone());
        if let Some(problem) = problem {
            let recorded = store
                .call(move |store| store.require_reconnect(&problem))
                .await;
            if let Err(error) = recorded {
                tracing::warn!(%error, "could not record that the connection needs a new sign-in");
            }
        }
        Ok(OAuthSession {
            config,
            token_endpoint,
            store,
            keychain,
            clock,
            holder: format!("{}:{}", std::process::id(), ulid::Ulid::new()),
            state: tokio::sync::Mutex::new(SessionState { tokens, reconnect }),
            refreshes: AtomicU32::new(0),
        })
    }

    /// How many refreshes this session made (tests count them).
    pub fn refreshes(&self) -> u32 {
        self.refreshes.load(Ordering::SeqCst)
    }

    /// The pair in use, as stored; `None` when the session needs a new sign-in.
    pub async fn tokens(&self) -> Option<TokenSet> {
        self.state.lock().await.tokens.clone()
    }

    /// The reason the connection needs a new sign-in, if it does.
    pub async fn reconnect_reason(&self) -> Option<String> {
        self.state.lock().await.reconnect.clone()
    }

    /// Records that the pair in use works (Zendesk accepted it): an interrupted refresh is resolved, a stale
    /// "reconnect required" is lifted, and the stored expiry describes the pair in the keychain again.
    pub async fn confirm(&self) -> Result<(), crate::store::StoreError> {
        let mut state = self.state.lock().await;
        state.reconnect = None;
        if let Some(tokens) = &state.tokens {
            let expires = tokens.expires_at.map(|t| t.to_string());
            let refresh_expires = tokens.refresh_expires_at.map(|t| t.to_string());
            self.store
                .call(move |store| {
                    store.finish_refresh(None, expires.as_deref(), refresh_expires.as_deref())
                })
                .await?;
        }
        Ok(())
    }

    /// Records that Zendesk refused the pair even after a refresh: the admin must sign in again.
    pub async fn require_reconnect(&self, reason: &str) {
        let mut state = self.state.lock().await;
        self.give_up(&mut state, reason).await;
    }

    async fn current(&self) -> Result<SecretString, zendesk::Error> {
        let mut state = self.state.lock().await;
        if let Some(reason) = &state.reconnect {
            return Err(reconnect_error(reason));
        }
        let due = match state.tokens.as_ref().and_then(|t| t.expires_at) {
            Some(expires_at) => expires_at.duration_since(self.clock.now()) < REFRESH_MARGIN,
            None => false,
        };
        if due {
            if let Err(error) = self.refresh(&mut state).await {
                // A token with seconds left still works; only a refused grant or an expired token stops here.
                let expired = state
                    .tokens
                    .as_ref()
                    .and_then(|t| t.expires_at)
                    .is_none_or(|at| at <= self.clock.now());
                if state.reconnect.is_some() || expired {
                    return Err(error);
                }
                tracing::warn!(%error, "the token refresh failed; using the current token for its last seconds");
            }
        }
        state
            .tokens
            .as_ref()
            .map(|t| t.access_token.clone())
            .ok_or_else(|| reconnect_error("no OAuth token is stored"))
    }

    async fn rejected(&self, rejected: &SecretString) -> Result<(), zendesk::Error> {
        let mut state = self.state.lock().await;
        if let Some(reason) = &state.reconnect {
            return Err(reconnect_error(reason));
        }
        let still_current = state
            .tokens
            .as_ref()
            .is_some_and(|t| t.access_token == *rejected);
        if !still_current {
            // Another request refreshed while this one was in flight: its retry uses the new token.
            return Ok(());
        }
        self.refresh(&mut state).await
    }

    /// Exchanges the refresh token (or the client credentials) for a new pair and stores it.
    ///
    /// Single flight twice over: within the process, it runs with the state lock held; across processes
    /// sharing the profile, it runs only while holding the SQLite refresh lease. A process that finds the
    /// lease held waits for the holder and adopts the pair it stores, since Zendesk would refuse our old one.
    async fn refresh(&self, state: &mut SessionState) -> Result<(), zendesk::Error> {
        let grant = match (self.config.grant, state.tokens.as_ref()) {
            (GrantKind::ClientCredentials, _) => Grant::ClientCredentials,
            (
                GrantKind::AuthorizationCode,
                Some(TokenSet {
                    refresh_token: Some(refresh_token),
                    ..
                }),
            ) => Grant::RefreshToken {
                refresh_token: refresh_token.clone(),
            },
            (GrantKind::AuthorizationCode, _) => {
                let reason =
                    "Zendesk gave no refresh token, so the expired access token cannot be renewed";
                self.give_up(state, reason).await;
                return Err(reconnect_error(reason));
            }
        };
        if self.take_lease_or_adopt(state).await? {
            return Ok(());
        }
        // The lease is ours and the marker is durable. Another process may have stored a newer pair just
        // before we took the lease: then ours is already dead, and theirs is the one to use.
        if self.adopt_newer_pair(state).await {
            self.finish_holding_lease(state).await?;
            return Ok(());
        }
        fault_point("after_marker");
        let started = self.clock.now();
        let request = TokenRequest {
            grant,
            client_id: self.config.client_id.clone(),
            client_secret: self.config.client_secret.clone(),
            scope: (self.config.grant == GrantKind::ClientCredentials)
                .then(|| self.config.scope.clone()),
            expires_in: None,
            refresh_token_expires_in: None,
        };
        let response = match self.token_endpoint.exchange_token(&request).await {
            Ok(response) => response,
            Err(zendesk::Error::BadCredentials { detail }) => {
                if self.adopt_newer_pair(state).await {
                    self.finish_holding_lease(state).await?;
                    return Ok(());
                }
                let reason = format!("Zendesk refused to renew the OAuth token ({detail})");
                self.give_up(state, &reason).await;
                self.release_lease().await;
                return Err(reconnect_error(&reason));
            }
            Err(error) => {
                // The answer is unknown (Zendesk may have renewed the pair and the answer been lost): the marker
                // stays, so the next refresh or start-up finds out which pair works; the lease goes, so the
                // next attempt (here or elsewhere) need not wait for it to lapse.
                tracing::warn!(%error, "the OAuth token refresh got no answer");
                self.release_lease().await;
                return Err(error);
            }
        };
        fault_point("after_token_response");
        let mut fresh = TokenSet::from_response(&response, started);
        if fresh.refresh_token.is_none() && self.config.grant == GrantKind::AuthorizationCode {
            tracing::warn!("Zendesk renewed the token without a refresh token; the next expiry needs a new sign-in");
        }
        if fresh.scope.is_none() {
            fresh.scope = state.tokens.as_ref().and_then(|t| t.scope.clone());
        }
        match self
            .keychain
            .put(SecretName::OAuthTokens, &fresh.to_keychain())
            .await
        {
            Ok(()) => {
                fault_point("after_keychain_write");
                let holder = self.holder.clone();
                let expires = fresh.expires_at.map(|t| t.to_string());
                let refresh_expires = fresh.refresh_expires_at.map(|t| t.to_string());
                self.store
                    .call(move |store| {
                        store.finish_refresh(
                            Some(&holder),
                            expires.as_deref(),
                            refresh_expires.as_deref(),
                        )
                    })
                    .await
                    .map_err(store_failure)?;
                fault_point("after_store_update");
            }
            Err(error) => {
                // The old pair is already dead, so the new one is used from memory; the marker stays, so a restart
                // that finds the old pair refused asks for a new sign-in instead of failing silently.
                tracing::error!(%error, "the renewed OAuth tokens could not be stored in the keychain");
                self.release_lease().await;
            }
        }
        state.tokens = Some(fresh);
        state.reconnect = None;
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        tracing::info!(client_id = %self.config.client_id, "renewed the OAuth token");
        Ok(())
    }

    /// Takes the cross-process lease (`Ok(false)`: go on and refresh), or waits while another live process
    /// holds it and adopts the pair it stores (`Ok(true)`: done, nothing to call).
    async fn take_lease_or_adopt(&self, state: &mut SessionState) -> Result<bool, zendesk::Error> {
        loop {
            // The lease is measured in the machine's time, not the injected clock: it coordinates real
            // processes, each of which may run a test's clock of its own.
            let now = jiff::Timestamp::now();
            let now_ms = now.as_millisecond();
            let until_ms = now_ms + REFRESH_LEASE.as_millis() as i64;
            let holder = self.holder.clone();
            let started_at = now.to_string();
            let lease = self
                .store
                .call(move |store| {
                    store.take_refresh_lease(&holder, now_ms, until_ms, &started_at, holder_is_dead)
                })
                .await
                .map_err(store_failure)?;
            match lease {
                Lease::Taken => return Ok(false),
                Lease::HeldBy { holder, .. } => {
                    tracing::debug!(%holder, "another process is renewing the OAuth token; waiting for it");
                    tokio::time::sleep(LEASE_POLL).await;
                    if self.adopt_newer_pair(state).await {
                        return Ok(true);
                    }
                }
            }
        }
    }

    /// The pair in use is the one in the keychain (we adopted it while holding the lease): record its expiry,
    /// clear the marker we set, and give the lease back, in one transaction.
    async fn finish_holding_lease(&self, state: &SessionState) -> Result<(), zendesk::Error> {
        let holder = self.holder.clone();
        let expires = state
            .tokens
            .as_ref()
            .and_then(|t| t.expires_at)
            .map(|t| t.to_string());
        let refresh_expires = state
            .tokens
            .as_ref()
            .and_then(|t| t.refresh_expires_at)
            .map(|t| t.to_string());
        self.store
            .call(move |store| {
                store.finish_refresh(
                    Some(&holder),
                    expires.as_deref(),
                    refresh_expires.as_deref(),
                )
            })
            .await
            .map_err(store_failure)
    }

    async fn release_lease(&self) {
        let holder = self.holder.clone();
        if let Err(error) = self
            .store
            .call(move |store| store.release_refresh_lease(&holder))
            .await
        {
            tracing::warn!(%error, "could not release the token refresh lease");
        }
    }

    /// When the keychain holds a pair other than ours (another process renewed it, which killed ours), adopt
    /// it. Returns whether it did.
    async fn adopt_newer_pair(&self, state: &mut SessionState) -> bool {
        let ours = state.tokens.as_ref().map(|t| t.access_token.clone());
        let stored = match self.keychain.get(SecretName::OAuthTokens).await {
            Ok(Some(stored)) => TokenSet::from_keychain(&stored).ok(),
            Ok(None) | Err(_) => None,
        };
        let Some(stored) = stored else {
            return false;
        };
        if Some(&stored.access_token) == ours.as_ref() {
            return false;
        }
        tracing::info!("another process renewed the OAuth token; using its pair");
        state.tokens = Some(stored);
        state.reconnect = None;
        true
    }

    async fn give_up(&self, state: &mut SessionState, reason: &str) {
        tracing::warn!(reason, "the connection needs a new sign-in");
        state.reconnect = Some(reason.to_owned());
        let reason = reason.to_owned();
        if let Err(error) = self
            .store
            .call(move |store| store.require_reconnect(&reason))
            .await
        {
            tracing::error!(%error, "could not record that the connection needs a new sign-in");
        }
    }
}

/// Whether the process named in a lease holder (`<pid>:<random>`) is gone. On Linux a live process has a
/// `/proc/<pid>`; elsewhere (or for a holder that names no pid) only the lease's expiry frees it.
fn holder_is_dead(holder: &str) -> bool {
    let Some(pid) = holder
        .split(':')
        .next()
        .and_then(|pid| pid.parse::<u32>().ok())
    else {
        return false;
    };
    if pid == std::process::id() {
        // Another session of this process: alive by definition.
        return false;
    }
    cfg!(target_os = "linux")
        && std::path::Path::new("/proc/self").exists()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

impl TokenSource for OAuthSession {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, zendesk::Error>> {
        Box::pin(self.current())
    }

    fn invalidate(&self, rejected: &SecretString) -> BoxFuture<'_, Result<(), zendesk::Error>> {
        let rejected = rejected.clone();
        Box::pin(async move { self.rejected(&rejected).await })
    }
}

/// The error every call gets once the grant is gone. It says what to do.
pub fn reconnect_error(reason: &str) -> zendesk::Error {
    zendesk::Error::BadCredentials {
        detail: format!("{reason}; sign in with Zendesk again (reconnect required)"),
    }
}

fn store_failure(error: crate::store::StoreError) -> zendesk::Error {
    zendesk::Error::InvalidConfig {
        detail: format!("the token refresh could not be recorded: {error}"),
    }
}
