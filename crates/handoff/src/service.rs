//! What `handoff serve` runs, and what the console hosts while it is open: the HTTP server (the sessions API
//! and, on the same listener, the webhook relay's endpoint), the handoff queue's worker, the reply worker and
//! the outbound queue, on one profile. The three workers share one seat per data folder (the handoff
//! worker's lease): a second process serves requests but leaves the queues to the first.
//!
//! The server takes its listener and a shutdown future; stopping lets requests in flight and Zendesk calls in
//! flight finish, then releases the worker's lease. Nothing is acknowledged before it is durable, so stopping
//! (or a `kill -9`) at any moment loses nothing: the next start picks up every job left.

mod background;
mod host;

pub use background::{Background, QueueWork, STOP_WAIT, TAKE_OVER_EVERY};
pub use host::{Host, HostError, RelayState};

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::api::{self, ApiKeys, ApiState, ZendeskAccess};
use crate::clock::Clock;
use crate::handoff::{FieldValues, SessionLinks, Worker, WorkerError};
use crate::profile::Profile;
use crate::relay::keys::{RelayKeyError, RelaySecrets};
use crate::relay::metrics::RelayMetrics;
use crate::relay::outbound::{Outbound, OutboundConfig};
use crate::relay::receive::RelayIntake;
use crate::relay::worker::ReplyWorker;
use crate::server::Limits;
use crate::session::Sessions;
use crate::settings::Settings;
use crate::ConnectError;

/// The limits of the API and relay server: headers of any real client fit; Zendesk's deliveries and the AI
/// platform's calls keep their connections alive for a while; a slow or silent client is cut.
pub const LIMITS: Limits = Limits {
    max_header_bytes: 32 * 1024,
    header_read_timeout: std::time::Duration::from_secs(10),
    connection_lifetime: std::time::Duration::from_secs(300),
    max_connections: 1024,
    drain: std::time::Duration::from_secs(5),
};

/// Why the service did not start (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not connected to Zendesk: run `handoff connect` (or `handoff demo`) first")]
    NotConnected,
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("the session link key could not be read or made: {0}")]
    Links(String),
    #[error(transparent)]
    Worker(#[from] WorkerError),
    #[error("the server failed: {0}")]
    Server(std::io::Error),
    #[error("the relay cannot start: {0}")]
    Relay(#[from] RelayKeyError),
    #[error("a queue failed: {0}")]
    Queue(#[from] crate::store::StoreError),
}

/// Whether the service needs the handoff worker to itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerSeat {
    /// `handoff serve`: a second serve on one data folder is a mistake; say so.
    Required,
    /// The console: when `handoff serve` already works the queue, the console only serves.
    IfFree,
    /// A relay hosted for one verification run: the handoff worker only if the seat is free, but the reply
    /// worker always, since the process holding the seat (the console's handoff worker) may serve no relay.
    /// Replies stay delivered once whoever reads them: each is recorded in one transaction, unique per comment.
    Verification,
}

/// The parts of a started service, before it runs: what the console and tests reach into.
pub struct Service {
    pub state: ApiState,
    pub worker: Option<Worker>,
    /// The reply worker (the relay endpoint wakes it) and the outbound queue: they run with the handoff
    /// worker (one seat per data folder), or for a verification run whoever holds the seat (`runs_replies`).
    pub replies: ReplyWorker,
    pub outbound: Outbound,
    pub runs_replies: bool,
    pub settings: Settings,
}

impl Service {
    /// Opens everything the service needs on `profile`.
    pub async fn open(
        profile: &Profile,
        clock: &Clock,
        seat: WorkerSeat,
        fields: Option<Arc<dyn FieldValues>>,
    ) -> Result<Service, ServiceError> {
        let account = crate::account::open(profile, clock)
            .await?
            .ok_or(ServiceError::NotConnected)?;
        let keychain = profile.keychain().map_err(ConnectError::from)?;
        let links = SessionLinks::open(&keychain)
            .await
            .map_err(|error| ServiceError::Links(error.to_string()))?;
        let store = profile.store().clone();
        let worker = match Worker::new(
            store.clone(),
            clock.clone(),
            account.client.clone(),
            links.clone(),
        ) {
            Ok(worker) => Some(worker.with_fields(match fields {
                Some(fields) => fields,
                None => crate::fields::values_for(profile).map_err(ServiceError::Queue)?,
            })),
            Err(busy @ WorkerError::Busy { .. }) if seat != WorkerSeat::Required => {
                tracing::info!(%busy, "another process works the handoff queue");
                None
            }
            Err(error) => return Err(error.into()),
        };
        let secrets = RelaySecrets::new(keychain.clone(), store.clone(), clock.clone());
        let metrics = RelayMetrics::new();
        let reply_worker = ReplyWorker::new(
            store.clone(),
            clock.clone(),
            account.client.clone(),
            account.connection.user.id,
            metrics.clone(),
        );
        let intake = RelayIntake::open(
            profile.install_id(),
            &store,
            secrets.clone(),
            clock.clone(),
            metrics,
            reply_worker.waker(),
        )
        .await?;
        let outbound = Outbound::new(
            store.clone(),
            clock.clone(),
            secrets.clone(),
            OutboundConfig::default(),
        );
        let runs_replies = worker.is_some() || seat == WorkerSeat::Verification;
        let mut sessions = Sessions::new(store.clone(), clock.clone());
        if let Some(worker) = &worker {
            sessions = sessions.with_wake(worker.wake());
        }
        let state = ApiState {
            sessions,
            keys: ApiKeys::new(store.clone(), clock.clone()),
            links,
            store,
            clock: clock.clone(),
            zendesk: Some(ZendeskAccess {
                client: account.client,
                base_url: account.connection.base_url,
            }),
            relay: Some(intake),
        };
        Ok(Service {
            settings: Settings::new(state.store.clone()),
            state,
            worker,
            replies: reply_worker,
            outbound,
            runs_replies,
        })
    }

    /// Serves on `listener` and works the queue until `shutdown` resolves.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServiceError> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stop_tx = Arc::new(stop_tx);
        let router = api::app(self.state);
        let mut server_stop = stop_rx.clone();
        let server = tokio::spawn(crate::server::serve(listener, router, LIMITS, async move {
            let _ = server_stop.wait_for(|stopped| *stopped).await;
        }));
        let on_shutdown = stop_tx.clone();
        let stopper = tokio::spawn(async move {
            shutdown.await;
            let _ = on_shutdown.send(true);
        });
        let side_tasks = if self.runs_replies {
            spawn_reply_work(self.replies, self.outbound, self.settings.clone(), &stop_rx)
        } else {
            Vec::new()
        };
        let worked = match &self.worker {
            Some(worker) => {
                let mut worker_stop = stop_rx.clone();
                worker
                    .run(async move {
                        let _ = worker_stop.wait_for(|stopped| *stopped).await;
                    })
                    .await
            }
            None => {
                let mut wait = stop_rx.clone();
                let _ = wait.wait_for(|stopped| *stopped).await;
                Ok(())
            }
        };
        // A worker that stopped on its own (its lease taken over) stops the server too: a relay that accepts
        // handoffs nobody works would only pile them up unseen.
        let _ = stop_tx.send(true);
        stopper.abort();
        for task in side_tasks {
            let _ = task.await;
        }
        let served = server
            .await
            .map_err(|error| ServiceError::Server(std::io::Error::other(error.to_string())))?;
        worked?;
        served.map_err(ServiceError::Server)
    }
}

/// Runs the reply worker and the outbound queue until `stop` turns true: the two tasks that go with the handoff
/// worker's seat (`handoff serve` and the console run the same ones).
pub(crate) fn spawn_reply_work(
    replies: ReplyWorker,
    outbound: Outbound,
    settings: Settings,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let replied = replies.replied();
    let mut replies_stop = stop.clone();
    let replies_task = tokio::spawn(async move {
        if let Err(error) = replies
            .run(async move {
                let _ = replies_stop.wait_for(|stopped| *stopped).await;
            })
            .await
        {
            tracing::error!(%error, "the reply worker stopped");
        }
    });
    let mut stop = stop.clone();
    let outbound_task = tokio::spawn(async move {
        loop {
            match settings.outbound_url() {
                Ok(Some(url)) => {
                    if let Err(error) = outbound.send_due(&url).await {
                        tracing::warn!(%error, "the outbound queue could not be read");
                    }
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "the outbound URL setting is unreadable")
                }
            }
            tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => break,
                () = replied.notified() => {}
                // Retries come due with time, and another process may have queued messages.
                () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
        }
    });
    vec![replies_task, outbound_task]
}
