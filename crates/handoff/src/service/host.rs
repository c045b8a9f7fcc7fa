//! What the console hosts: the workers of [`Background`] whenever a connection is saved, and the relay's HTTP
//! server (the sessions API and the webhook endpoint, as `handoff serve` runs them) on the `listen-address`
//! setting. One owner for both, so they follow the same connection: a connection change stops the server,
//! restarts the workers signed in as the new connection, and starts the server again on its address.
//!
//! The server starts on its own whenever a connection is saved or found at launch, unless the admin stopped it:
//! [`Host::stop_relay`] and [`Host::start_relay`] are the admin's Stop and Start, and remember the choice in the
//! `relay-autostart` setting, so a relay the admin stopped stays stopped across launches and one they started
//! comes back with the console. Stopping as the app exits ([`Host::stop`]) is not a choice and changes nothing.
//!
//! The server serves the state the workers opened ([`Background::api`]), so a delivery it stores wakes the reply
//! worker of this process at once. When another process holds the workers' seat (a `handoff serve` on the same
//! data folder), the server still stores deliveries durably and that process's reply worker takes them up.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Background, QueueWork, ServiceError, LIMITS};
use crate::clock::Clock;
use crate::profile::Profile;
use crate::session::Sessions;
use crate::settings::Settings;
use crate::store::StoreError;

/// Whether the relay's server runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayState {
    Stopped,
    Running {
        address: SocketAddr,
    },
    /// It did not start, or stopped on its own; `reason` says why and what to do.
    Failed {
        reason: String,
    },
}

/// Why the relay's server did not start. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(
        "the relay serves the connected Zendesk account: connect on the Connect screen (or try the sandbox) first"
    )]
    NotConnected,
    #[error("the relay cannot start: {0}")]
    Workers(String),
    #[error(
        "{address} is already in use by another program (a `handoff serve`, or another console): stop it, or \
         change the listen address (on the Relay screen, or `handoff config set listen-address 127.0.0.1:8751`)"
    )]
    AddressInUse { address: SocketAddr },
    #[error(
        "cannot listen on {address}: {error}; change the listen address (on the Relay screen, or `handoff config \
         set listen-address 127.0.0.1:8751`)"
    )]
    Listen {
        address: SocketAddr,
        error: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The console's workers and, when started, its relay server.
pub struct Host {
    background: Background,
    settings: Settings,
    server: tokio::sync::Mutex<Option<Serving>>,
    state: Arc<Mutex<RelayState>>,
}

struct Serving {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Host {
    /// Nothing runs until [`Host::connection_changed`] (the workers, and the server unless the admin stopped it)
    /// or [`Host::start_relay`].
    pub fn new(profile: Profile, clock: Clock) -> Host {
        Host {
            settings: Settings::new(profile.store().clone()),
            background: Background::new(profile, clock),
            server: tokio::sync::Mutex::new(None),
            state: Arc::new(Mutex::new(RelayState::Stopped)),
        }
    }

    /// The workers (for who works the queue, and the sessions API they wake).
    pub fn background(&self) -> &Background {
        &self.background
    }

    pub fn sessions(&self) -> Sessions {
        self.background.sessions()
    }

    pub fn work(&self) -> QueueWork {
        self.background.work()
    }

    /// Whether the relay's server runs, and where.
    pub fn relay(&self) -> RelayState {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A connection was saved or found at start-up: the workers restart signed in as it, and the server
    /// (re)starts with them (it serves the new connection's state) if it was running or if the admin has not
    /// stopped it (`relay-autostart`). A server that cannot start is [`RelayState::Failed`] with the reason; the
    /// workers' outcome is returned.
    pub async fn connection_changed(&self) -> Result<QueueWork, ServiceError> {
        let mut server = self.server.lock().await;
        let was_running = match server.take() {
            Some(serving) => {
                serving.stop().await;
                true
            }
            None => false,
        };
        let work = self.background.start().await;
        let autostart = match self.settings.relay_autostart() {
            Ok(autostart) => autostart,
            Err(error) => {
                tracing::warn!(%error, "cannot read relay-autostart; the relay is not started");
                false
            }
        };
        // Not connected (after a disconnect, say): nothing to serve, and the relay is simply stopped. Workers
        // that failed to start: the server says why it cannot run.
        let connected = self.background.work() != QueueWork::Idle;
        if connected && (was_running || autostart) {
            if let Err(error) = self.serve(&mut server).await {
                tracing::warn!(%error, "the relay did not start with the connection");
            }
        } else {
            self.set(RelayState::Stopped);
        }
        work
    }

    /// The admin's Start: the relay's server on the `listen-address` setting (already running, it stays as it
    /// is), and from now on at every launch (`relay-autostart` on, kept even when this start fails).
    pub async fn start_relay(&self) -> Result<SocketAddr, HostError> {
        self.remember_autostart(true).await?;
        let mut server = self.server.lock().await;
        if let (Some(_), RelayState::Running { address }) = (server.as_ref(), self.relay()) {
            return Ok(address);
        }
        if let Some(stale) = server.take() {
            stale.stop().await;
        }
        self.serve(&mut server).await
    }

    /// The admin's Stop: requests in flight finish (up to the drain time), the port is free when this returns,
    /// and the relay stays stopped at the next launches until the admin starts it (`relay-autostart` off).
    pub async fn stop_relay(&self) -> Result<(), HostError> {
        let remembered = self.remember_autostart(false).await;
        self.halt_relay().await;
        remembered
    }

    /// Whether the server starts with the connection (the admin's last Start or Stop; on by default).
    pub fn autostart(&self) -> Result<bool, StoreError> {
        self.settings.relay_autostart()
    }

    /// Stops everything (the app exits): the server first, so nothing new arrives, then the workers. The
    /// admin's Start or Stop stays as it was.
    pub async fn stop(&self) {
        self.halt_relay().await;
        self.background.stop().await;
    }

    async fn halt_relay(&self) {
        if let Some(serving) = self.server.lock().await.take() {
            serving.stop().await;
        }
        self.set(RelayState::Stopped);
    }

    /// Written on the blocking pool: the write may wait for another process's transaction.
    async fn remember_autostart(&self, on: bool) -> Result<(), HostError> {
        let settings = self.settings.clone();
        tokio::task::spawn_blocking(move || settings.set_relay_autostart(on))
            .await
            .map_err(|error| StoreError::Task(error.to_string()))??;
        Ok(())
    }

    async fn serve(&self, slot: &mut Option<Serving>) -> Result<SocketAddr, HostError> {
        let served = self.bind_and_serve(slot).await;
        if let Err(error) = &served {
            self.set(RelayState::Failed {
                reason: error.to_string(),
            });
        }
        served
    }

    async fn bind_and_serve(&self, slot: &mut Option<Serving>) -> Result<SocketAddr, HostError> {
        let api = match (self.background.api(), self.background.work()) {
            (Some(api), _) => api,
            (None, QueueWork::Failing { reason }) => return Err(HostError::Workers(reason)),
            (None, _) => return Err(HostError::NotConnected),
        };
        let wanted = self.settings.listen_address()?;
        let listener = TcpListener::bind(wanted)
            .await
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::AddrInUse => HostError::AddressInUse { address: wanted },
                _ => HostError::Listen {
                    address: wanted,
                    error,
                },
            })?;
        let address = listener.local_addr().unwrap_or(wanted);
        let (stop, mut stopped) = watch::channel(false);
        let state = self.state.clone();
        let asked_to_stop = stopped.clone();
        let task = tokio::spawn(async move {
            let served = crate::server::serve(listener, crate::api::app(api), LIMITS, async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await;
            if *asked_to_stop.borrow() {
                return;
            }
            // Only a stop ends the server; anything else is shown, so the admin is not left with a relay that
            // says it runs and answers nothing.
            let reason = match served {
                Ok(()) => "the relay stopped unexpectedly: start it again".to_owned(),
                Err(error) => format!("the relay stopped: {error}; start it again"),
            };
            tracing::error!(%reason, "relay server");
            *state.lock().unwrap_or_else(PoisonError::into_inner) = RelayState::Failed { reason };
        });
        tracing::info!(%address, "the relay listens");
        self.set(RelayState::Running { address });
        *slot = Some(Serving { stop, task });
        Ok(address)
    }

    fn set(&self, state: RelayState) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = state;
    }
}

impl Serving {
    async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        // The server drains its connections for at most `LIMITS.drain`; a second more is its own bookkeeping.
        let wait = LIMITS.drain + Duration::from_secs(1);
        if tokio::time::timeout(wait, &mut task).await.is_err() {
            tracing::warn!(
                "the relay did not stop within {} s; it is abandoned",
                wait.as_secs()
            );
            task.abort();
        }
    }
}
