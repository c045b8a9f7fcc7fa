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
//! * `users` holds the resource model and its handlers.
//! * `clock` is the injectable time source; `ratelimit` the fixed-window limits; `pagination`
//!   Zendesk's offset and cursor styles; `reply` the response and error shapes.
//! * `seed` loads the account dump embedded by `build.rs` or read from a directory.

// Phase-one scaffolding: pagination styles, the webhooks family and the nanosecond clock
// format are used by the ticket, trigger and webhook endpoints that follow.
#![allow(dead_code)]

mod account;
mod auth;
mod clock;
mod config;
mod pagination;
mod ratelimit;
mod reply;
mod router;
mod seed;
mod users;

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
pub use ratelimit::RATE_LIMITED_BODY;
pub use router::ACCOUNT_PREFIX;
pub use seed::{SeedDump, SeedError};

use account::Account;
use ratelimit::RateLimits;

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
        let account = Account::with_seeded_users(config.admin_token.as_deref(), clock.now());
        Simulator {
            state: Arc::new(SimState {
                config,
                clock,
                account: Mutex::new(account),
                limits: Mutex::new(RateLimits::default()),
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

    /// The simulator's clock (advance it to move rate-limit windows and timestamps).
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// The configured subdomain.
    pub fn subdomain(&self) -> &str {
        &self.state.config.subdomain
    }

    fn account(&self) -> MutexGuard<'_, Account> {
        self.state
            .account
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn rate_limits(&self) -> MutexGuard<'_, RateLimits> {
        self.state
            .limits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
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
