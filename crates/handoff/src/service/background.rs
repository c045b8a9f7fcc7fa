//! The handoff queue worked inside the console's own process while it is connected, so a handoff asked for in
//! the window (or by anything else on the data folder) becomes a ticket without a `handoff serve` running. With
//! the handoff worker's seat go the other two workers `handoff serve` runs: the reply worker (stored deliveries
//! -> the reps' replies on their sessions) and the outbound queue to the AI platform.
//!
//! The worker takes its seat with [`WorkerSeat::IfFree`]: when `handoff serve` already works the queue of this
//! data folder, it keeps it, and the console only looks again every [`TAKE_OVER_EVERY`], so the queue is never
//! left unworked once that process stops. [`Background::start`] is also the restart: the connection changed
//! (Verify & Save, sign-in, the sandbox), so the worker signed in as the old one stops first. Stopping lets the
//! Zendesk calls in flight finish and releases the seat; nothing is lost either way, since every job is durable
//! before it is acknowledged.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{spawn_reply_work, Service, ServiceError, WorkerSeat};
use crate::api::ApiState;
use crate::clock::Clock;
use crate::handoff::{FieldValues, NoFieldValues, SessionLinks, Worker, WorkerError};
use crate::profile::Profile;
use crate::relay::outbound::Outbound;
use crate::relay::worker::ReplyWorker;
use crate::session::Sessions;
use crate::settings::Settings;

/// How often the console looks whether the seat another process held is free again, or retries after the
/// worker stopped on an error.
pub const TAKE_OVER_EVERY: Duration = Duration::from_secs(5);

/// The longest [`Background::stop`] waits for the Zendesk calls in flight; a call still running after that is
/// abandoned, and its job is retried (after a look for what it may have written) by the next worker.
pub const STOP_WAIT: Duration = Duration::from_secs(10);

/// Who works the handoff queue of the data folder, as the console sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueWork {
    /// Nobody here: no connection is saved yet, or the console stopped its worker.
    Idle,
    /// This process sends handoffs to Zendesk.
    Here,
    /// Another process on this data folder (a `handoff serve`) sends them; this one takes over if it stops.
    Elsewhere,
    /// The worker could not run; `reason` says why and what to do. It is tried again where it can be.
    Failing { reason: String },
}

/// The console's handoff worker, started and stopped with the connection. Clones are not needed: the app
/// holds one for its lifetime.
pub struct Background {
    profile: Profile,
    clock: Clock,
    fields: Option<Arc<dyn FieldValues>>,
    take_over_every: Duration,
    /// The sessions API the console calls: shares the worker's wake while one runs here, so a queued handoff
    /// starts at once.
    sessions: Mutex<Sessions>,
    work: Arc<Mutex<QueueWork>>,
    /// What a server of the console serves while connected: the sessions API and the webhook endpoint of the
    /// connection the workers run for, whose deliveries wake this reply worker. `None` while not connected.
    api: Mutex<Option<ApiState>>,
    running: tokio::sync::Mutex<Option<Running>>,
}

struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Background {
    /// Nothing runs until [`Background::start`].
    pub fn new(profile: Profile, clock: Clock) -> Background {
        let sessions = Sessions::new(profile.store().clone(), clock.clone());
        // Mapped AI fields are filled on every ticket the app writes, as `handoff serve` fills them.
        let fields = crate::fields::values_for(&profile).ok();
        Background {
            profile,
            clock,
            fields,
            take_over_every: TAKE_OVER_EVERY,
            sessions: Mutex::new(sessions),
            work: Arc::new(Mutex::new(QueueWork::Idle)),
            api: Mutex::new(None),
            running: tokio::sync::Mutex::new(None),
        }
    }

    /// Fills mapped custom fields on the tickets this worker writes.
    pub fn with_fields(mut self, fields: Arc<dyn FieldValues>) -> Background {
        self.fields = Some(fields);
        self
    }

    /// How often to look for a free seat (tests shorten it).
    pub fn with_take_over_every(mut self, every: Duration) -> Background {
        self.take_over_every = every;
        self
    }

    /// Works the queue for the saved connection, stopping the worker of the previous one first. With nothing
    /// saved, stays [`QueueWork::Idle`]. An error (the keychain did not answer, the link key could not be made)
    /// is also kept as [`QueueWork::Failing`], for the window to show.
    pub async fn start(&self) -> Result<QueueWork, ServiceError> {
        let mut running = self.running.lock().await;
        if let Some(previous) = running.take() {
            previous.stop().await;
        }
        self.reset_sessions();
        self.set_api(None);
        let service = match Service::open(
            &self.profile,
            &self.clock,
            WorkerSeat::IfFree,
            self.fields.clone(),
        )
        .await
        {
            Ok(service) => service,
            Err(ServiceError::NotConnected) => {
                self.set(QueueWork::Idle);
                return Ok(QueueWork::Idle);
            }
            Err(error) => {
                self.set(QueueWork::Failing {
                    reason: error.to_string(),
                });
                return Err(error);
            }
        };
        let Some(zendesk) = service.state.zendesk.clone() else {
            self.set(QueueWork::Idle);
            return Ok(QueueWork::Idle);
        };
        let now = match &service.worker {
            Some(_) => QueueWork::Here,
            None => QueueWork::Elsewhere,
        };
        self.set(now.clone());
        *self.sessions.lock().unwrap_or_else(PoisonError::into_inner) =
            service.state.sessions.clone();
        self.set_api(Some(service.state.clone()));
        let (stop, stopped) = watch::channel(false);
        let seat = Seat {
            store: self.profile.store().clone(),
            clock: self.clock.clone(),
            client: zendesk.client,
            links: service.state.links.clone(),
            fields: self.fields.clone(),
            every: self.take_over_every,
            work: self.work.clone(),
            replies: service.replies,
            outbound: service.outbound,
            settings: service.settings,
        };
        let task = tokio::spawn(seat.work(service.worker, stopped));
        *running = Some(Running { stop, task });
        Ok(now)
    }

    /// Stops working the queue: the calls in flight finish (up to [`STOP_WAIT`]) and the seat is released.
    pub async fn stop(&self) {
        if let Some(running) = self.running.lock().await.take() {
            running.stop().await;
        }
        self.reset_sessions();
        self.set_api(None);
        self.set(QueueWork::Idle);
    }

    /// What a server hosted beside the workers serves (the sessions API and the webhook endpoint), while
    /// connected.
    pub fn api(&self) -> Option<ApiState> {
        self.api
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_api(&self, api: Option<ApiState>) {
        *self.api.lock().unwrap_or_else(PoisonError::into_inner) = api;
    }

    /// Who works the queue now.
    pub fn work(&self) -> QueueWork {
        self.work
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The sessions domain API on this profile, sharing the worker's wake while this process works the queue.
    pub fn sessions(&self) -> Sessions {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, work: QueueWork) {
        *self.work.lock().unwrap_or_else(PoisonError::into_inner) = work;
    }

    fn reset_sessions(&self) {
        *self.sessions.lock().unwrap_or_else(PoisonError::into_inner) =
            Sessions::new(self.profile.store().clone(), self.clock.clone());
    }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(STOP_WAIT, &mut task).await.is_err() {
            tracing::warn!(
                "the handoff worker did not stop within {} s; its calls in flight are abandoned and retried later",
                STOP_WAIT.as_secs()
            );
            task.abort();
        }
    }
}

/// What the worker's task needs to take the seat again after losing it.
struct Seat {
    store: crate::store::Store,
    clock: Clock,
    client: zendesk::Client,
    links: SessionLinks,
    fields: Option<Arc<dyn FieldValues>>,
    every: Duration,
    work: Arc<Mutex<QueueWork>>,
    /// The reply worker the relay endpoint wakes, and the outbound queue: they run while the seat is held.
    replies: ReplyWorker,
    outbound: Outbound,
    settings: Settings,
}

impl Seat {
    fn set(&self, work: QueueWork) {
        *self.work.lock().unwrap_or_else(PoisonError::into_inner) = work;
    }

    async fn work(self, first: Option<Worker>, mut stopped: watch::Receiver<bool>) {
        let mut next = first;
        loop {
            let worker = match next.take() {
                Some(worker) => worker,
                None => {
                    tokio::select! {
                        _ = stopped.wait_for(|stop| *stop) => return,
                        () = tokio::time::sleep(self.every) => {}
                    }
                    match self.take() {
                        Ok(worker) => worker,
                        Err(WorkerError::Busy { .. }) => {
                            self.set(QueueWork::Elsewhere);
                            continue;
                        }
                        Err(error) => {
                            tracing::warn!(%error, "the handoff worker could not start; trying again");
                            self.set(QueueWork::Failing {
                                reason: error.to_string(),
                            });
                            continue;
                        }
                    }
                }
            };
            self.set(QueueWork::Here);
            // The reply worker and the outbound queue stop with the handoff worker: one seat for all three.
            let (replies_stop, replies_stopped) = watch::channel(false);
            let reply_tasks = spawn_reply_work(
                self.replies.clone(),
                self.outbound.clone(),
                self.settings.clone(),
                &replies_stopped,
            );
            let mut stop = stopped.clone();
            let ran = worker
                .run(async move {
                    let _ = stop.wait_for(|stop| *stop).await;
                })
                .await;
            let _ = replies_stop.send(true);
            for task in reply_tasks {
                let _ = task.await;
            }
            drop(worker);
            if *stopped.borrow() {
                return;
            }
            match ran {
                // `run` returns on its own only when its seat was taken over.
                Ok(()) | Err(WorkerError::LeaseLost) => {
                    tracing::info!("another process took over the handoff queue");
                    self.set(QueueWork::Elsewhere);
                }
                Err(error) => {
                    tracing::warn!(%error, "the handoff worker stopped; trying again");
                    self.set(QueueWork::Failing {
                        reason: error.to_string(),
                    });
                }
            }
        }
    }

    fn take(&self) -> Result<Worker, WorkerError> {
        let worker = Worker::new(
            self.store.clone(),
            self.clock.clone(),
            self.client.clone(),
            self.links.clone(),
        )?;
        Ok(worker.with_fields(
            self.fields
                .clone()
                .unwrap_or_else(|| Arc::new(NoFieldValues)),
        ))
    }
}
