//! A Zendesk simulator: an HTTP server that answers like a real Zendesk account, for tests
//! and the app's demo mode. It shares no types with the `zendesk` client crate on purpose, so
//! the client is tested against Zendesk's wire format, not against itself.
//!
//! # Layout
//! * [`Simulator`] holds the account (users, tickets, fields, triggers, webhooks), the clock
//!   and the rate-limit windows; [`app`] is its axum router, [`serve`] runs it on a listener,
//!   [`spawn`] binds `127.0.0.1:0` for tests.
//! * `router` matches requests to endpoints and applies the cross-cutting rules (account
//!   host, `.json` suffix, auth, rate limits, headers); `auth` is the only place that reads
//!   credentials.
//! * `users`, `tickets`, `ticket_fields`, `triggers`, `webhooks` hold each resource's model
//!   and handlers; `tickets::update_ticket` is the one update path the API and the simulated
//!   agents (`control`) share.
//! * `rules` evaluates triggers after every ticket change; `placeholders` renders webhook
//!   bodies with Liquid; `delivery` signs, sends, retries and records webhook calls.
//! * `oauth` holds the OAuth clients, the consent step, the token endpoint, bearer tokens
//!   and their scopes; `auth` resolves bearer tokens through it.
//! * `faults` and `control` are the `/_sim/` test hooks (fault injection, request log).
//! * `clock` is the injectable time source; `ratelimit` the fixed-window limits; `pagination`
//!   Zendesk's offset and cursor styles; `reply` the response and error shapes.
//! * `seed` loads the account dump embedded by `build.rs` or read from a directory.

// The recorded custom-role configuration is one large `json!` literal.
#![recursion_limit = "256"]

mod account;
mod agent_page;
mod auth;
mod clock;
mod config;
mod control;
mod delivery;
mod faults;
mod jobs;
mod oauth;
mod pagination;
mod placeholders;
mod ratelimit;
mod reply;
mod router;
mod rules;
mod secret;
mod seed;
mod ticket_fields;
mod tickets;
mod triggers;
mod users;
mod webhooks;

use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use account::Credential;
pub use auth::basic_token_header;
pub use clock::Clock;
pub use config::{DeliveryConfig, Plan, Seed, SimConfig};
pub use control::LoggedRequest;
pub use delivery::{should_retry, sign, AttemptOutcome, CircuitBreaker, TEST_SIGNING_SECRET};
pub use faults::{Fault, FaultKind};
pub use oauth::{ConsentMode, OAuthClient, OAuthClientKind, CONSOLE_CLIENT, RELAY_CLIENT};
pub use ratelimit::RATE_LIMITED_BODY;
pub use router::ACCOUNT_PREFIX;
pub use seed::{SeedDump, SeedError};

use account::Account;
use delivery::{Breakers, Dispatch};
use faults::Faults;
use ratelimit::RateLimits;
use webhooks::Attempt;

/// Everything the simulator knows; cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct Simulator {
    state: Arc<SimState>,
}

/// The shared state behind a [`Simulator`]. Each mutex guards one concern and is never held
/// across an `.await`.
struct SimState {
    config: SimConfig,
    clock: Clock,
    account: Mutex<Account>,
    limits: Mutex<RateLimits>,
    faults: Mutex<Faults>,
    /// Every API request answered, oldest first (not `/_sim/` calls).
    journal: Mutex<Vec<LoggedRequest>>,
    breakers: Mutex<Breakers>,
    /// The client for outgoing webhook calls: no proxy, no redirects (Zendesk does not
    /// follow them), per-attempt timeout set on each request.
    http: reqwest::Client,
    /// Deliveries still running; `settle` waits for zero.
    in_flight: tokio::sync::watch::Sender<usize>,
}

/// One webhook invocation as tests see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// The webhook's ULID.
    pub webhook_id: String,
    /// The invocation's ULID (`X-Zendesk-Webhook-Invocation-Id`).
    pub invocation_id: String,
    /// The trigger that fired it.
    pub trigger_id: Option<u64>,
    /// The ticket it was about.
    pub ticket_id: Option<u64>,
    /// `accepted` (in flight), `success`, `terminated`, `failed`, `timeout`, `circuit broken`.
    pub status: String,
    /// The last HTTP status received.
    pub status_code: Option<u16>,
    /// Every attempt, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
}

/// One attempt of a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// The attempt's status.
    pub status: String,
    /// The HTTP status received.
    pub status_code: Option<u16>,
    /// The headers sent (credentials excluded).
    pub request_headers: Vec<(String, String)>,
    /// The exact body sent.
    pub request_body: String,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Simulator")
            .field("config", &self.state.config)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Builds a simulated account from `config`, seeding its users and data.
    pub fn new(config: SimConfig) -> Simulator {
        let clock = config.clock.clone();
        let now = clock.now();
        let mut account = Account::with_seeded_users(config.admin_token.as_deref(), now);
        account.account_id = config.account_id;
        seed::populate(&mut account, &config.seed, now);
        let admin_id = account
            .credentials()
            .first()
            .map_or(0, |credential| credential.user_id);
        account.oauth = oauth::OAuthRegistry::seeded(
            admin_id,
            config.oauth_relay_secret.as_deref(),
            config.oauth_consent,
            oauth::Lifetimes {
                access: config.access_token_ttl,
                refresh: config.refresh_token_ttl,
            },
        );
        account.outbox.clear();
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        let (in_flight, _) = tokio::sync::watch::channel(0);
        Simulator {
            state: Arc::new(SimState {
                config,
                clock,
                account: Mutex::new(account),
                limits: Mutex::new(RateLimits::default()),
                faults: Mutex::new(Faults::default()),
                journal: Mutex::new(Vec::new()),
                breakers: Mutex::new(Breakers::default()),
                http,
                in_flight,
            }),
        }
    }

    /// The seeded users that can call the API (admin first, then the full and light agent).
    /// The suspended agent is not listed; see [`Simulator::credential_of`].
    pub fn credentials(&self) -> Vec<Credential> {
        self.account().credentials()
    }

    /// The seeded admin's credential.
    pub fn admin(&self) -> Credential {
        let credentials = self.credentials();
        match credentials
            .into_iter()
            .find(|credential| credential.role == "admin")
        {
            Some(credential) => credential,
            // Unreachable by construction (the admin is always seeded with a token), but a
            // deleted admin must not panic the caller.
            None => Credential {
                role: "admin".to_owned(),
                email: String::new(),
                token: String::new(),
                user_id: 0,
                name: String::new(),
            },
        }
    }

    /// The credential of any user with an API token, by email (e.g. the suspended agent
    /// `suspended.agent@example.com`, whose token is refused with 401).
    pub fn credential_of(&self, email: &str) -> Option<Credential> {
        self.account().credential_of(email)
    }

    /// The registered OAuth clients: the public `handoff_console` (PKCE) and the
    /// confidential `handoff_relay` (with its secret), both created by the seeded admin.
    pub fn oauth_clients(&self) -> Vec<OAuthClient> {
        self.account().oauth.clients()
    }

    /// Every secret the account has handed out or been shown so far: the users' API tokens, the OAuth clients'
    /// secrets, the webhooks' signing secrets, and each authorization code, PKCE verifier, access and refresh
    /// token (revoked and expired ones included). Tests grep everything a client wrote for each of them;
    /// `GET /_sim/secrets` is the twin for a simulator in another process (the console's sandbox).
    pub fn secrets(&self) -> Vec<String> {
        let account = self.account();
        let api_tokens = account.users.values().flat_map(|user| {
            user.api_tokens
                .iter()
                .map(|token| token.expose().to_owned())
        });
        let client_secrets = account
            .oauth
            .clients()
            .into_iter()
            .filter_map(|client| client.secret);
        let signing_secrets = account
            .webhooks
            .values()
            .map(|webhook| webhook.signing_secret.expose().to_owned());
        api_tokens
            .chain(client_secrets)
            .chain(signing_secrets)
            .chain(account.oauth.issued())
            .collect()
    }

    /// What the consent page does from now on (the in-process twin of
    /// `POST /_sim/oauth/consent`).
    pub fn set_oauth_consent(&self, mode: ConsentMode) {
        self.account().oauth.consent = mode;
    }

    /// The simulator's clock (advance it to move rate-limit windows and timestamps).
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// The configured subdomain.
    pub fn subdomain(&self) -> &str {
        &self.state.config.subdomain
    }

    /// Every API request answered so far, oldest first (what `/_sim/requests` shows).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.state.journal).clone()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        lock(&self.state.journal).clear();
    }

    /// Every webhook invocation so far, oldest first.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        let account = self.account();
        account
            .invocations
            .iter()
            .map(|invocation| DeliveryRecord {
                webhook_id: invocation.webhook_id.clone(),
                invocation_id: invocation.id.clone(),
                trigger_id: invocation.trigger_id,
                ticket_id: invocation.ticket_id,
                status: invocation.status.clone(),
                status_code: invocation.status_code,
                attempts: invocation
                    .attempts
                    .iter()
                    .map(|attempt| DeliveryAttempt {
                        status: attempt.status.clone(),
                        status_code: attempt.status_code,
                        request_headers: attempt.request_headers.clone(),
                        request_body: attempt.request_payload.clone(),
                    })
                    .collect(),
            })
            .collect()
    }

    /// Waits until no webhook delivery is running (or `limit` passes); returns whether
    /// everything settled.
    pub async fn settle(&self, limit: std::time::Duration) -> bool {
        let mut receiver = self.state.in_flight.subscribe();
        tokio::time::timeout(limit, receiver.wait_for(|running| *running == 0))
            .await
            .is_ok_and(|result| result.is_ok())
    }

    /// Adds a fault (see [`Fault`]); returns its id.
    pub fn inject_fault(
        &self,
        method: Option<&str>,
        path: &str,
        kind: FaultKind,
        count: Option<u32>,
    ) -> u64 {
        let mut faults = self.faults();
        faults.next_id += 1;
        let id = faults.next_id;
        faults.list.push(Fault {
            id,
            method: method.map(str::to_uppercase),
            path: path.to_owned(),
            kind,
            remaining: count,
        });
        id
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.faults().list.clear();
    }

    pub(crate) fn deliveries_json(&self) -> Vec<serde_json::Value> {
        self.deliveries()
            .into_iter()
            .map(|record| {
                let attempts: Vec<serde_json::Value> = record
                    .attempts
                    .iter()
                    .map(|attempt| {
                        let headers: serde_json::Map<String, serde_json::Value> = attempt
                            .request_headers
                            .iter()
                            .map(|(name, value)| (name.clone(), serde_json::Value::String(value.clone())))
                            .collect();
                        serde_json::json!({"status": attempt.status, "status_code": attempt.status_code, "request_headers": headers, "request_body": attempt.request_body})
                    })
                    .collect();
                serde_json::json!({
                    "webhook_id": record.webhook_id,
                    "invocation_id": record.invocation_id,
                    "trigger_id": record.trigger_id,
                    "ticket_id": record.ticket_id,
                    "status": record.status,
                    "status_code": record.status_code,
                    "attempts": attempts,
                })
            })
            .collect()
    }

    /// Sends deliveries in the background; the request that caused them does not wait.
    pub(crate) fn send_all(&self, dispatches: Vec<Dispatch>) {
        for dispatch in dispatches {
            self.state.in_flight.send_modify(|running| *running += 1);
            let sim = self.clone();
            tokio::spawn(async move {
                delivery::deliver(sim.clone(), dispatch).await;
                sim.state
                    .in_flight
                    .send_modify(|running| *running = running.saturating_sub(1));
            });
        }
    }

    /// Appends an attempt to its invocation and sets the invocation's status.
    pub(crate) fn record_attempt(
        &self,
        invocation_id: &str,
        attempt: Attempt,
        status: &str,
        status_code: Option<u16>,
    ) {
        let mut account = self.account();
        if let Some(invocation) = account
            .invocations
            .iter_mut()
            .find(|invocation| invocation.id == invocation_id)
        {
            invocation.latest_completed_at = Some(attempt.completed_at);
            invocation.status = status.to_owned();
            invocation.status_code = status_code.or(invocation.status_code);
            invocation.attempts.push(attempt);
        }
    }

    /// Logs a request and turns the reply into a response.
    pub(crate) fn finish(
        &self,
        mut log: LoggedRequest,
        reply: reply::Reply,
        family: reply::ApiFamily,
    ) -> axum::response::Response {
        log.status = reply.status.as_u16();
        self.log(log);
        reply.into_response(family)
    }

    pub(crate) fn log(&self, entry: LoggedRequest) {
        lock(&self.state.journal).push(entry);
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.state.faults)
    }

    pub(crate) fn breakers(&self) -> MutexGuard<'_, Breakers> {
        lock(&self.state.breakers)
    }

    fn account(&self) -> MutexGuard<'_, Account> {
        self.state
            .account
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn rate_limits(&self) -> MutexGuard<'_, RateLimits> {
        lock(&self.state.limits)
    }
}

/// Locks a mutex, recovering from poisoning: a panicked request must not wedge the
/// simulator for every later one.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The router, so tests can drive it with `tower::ServiceExt::oneshot` without a socket.
pub fn app(sim: Simulator) -> Router {
    Router::new().fallback(router::handle).with_state(sim)
}

/// Serves on a listener the caller bound, until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    sim: Simulator,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, app(sim))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A simulator serving on `127.0.0.1`, stopped on drop or by [`RunningSimulator::stop`].
#[derive(Debug)]
pub struct RunningSimulator {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The simulator, for credentials and inspection.
    pub sim: Simulator,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl RunningSimulator {
    /// Stops serving and waits for the server task to finish.
    pub async fn stop(mut self) -> io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            // The receiver is gone only if the server already stopped; nothing to signal.
            let _ = shutdown.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Binds `127.0.0.1:0` and serves a new simulator built from `config` in the background.
pub async fn spawn(config: SimConfig) -> io::Result<RunningSimulator> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let sim = Simulator::new(config);
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, sim.clone(), async move {
        let _ = stopped.await;
    }));
    Ok(RunningSimulator {
        base_url: format!("http://{address}"),
        sim,
        shutdown: Some(shutdown),
        task: Some(task),
    })
}
