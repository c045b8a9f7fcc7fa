//! The handoff queue's worker: takes due jobs from SQLite and writes them to Zendesk.
//!
//! Routing of one job (a handoff, or the ticket made when a session starts):
//! - the session has a ticket, or a returning contact (same email, phone or external id) has one in the local
//!   store: **one update** on it (an internal note with the new turns, tags with `additional_tags`, status
//!   `open` for a handoff); if Zendesk says it is closed, **a follow-up** (`via_followup_source_id`): two calls
//!   in all;
//! - otherwise a **new ticket**: with an email, one call (`requester {name, email}`); without, the user by
//!   phone or external id (`users/create_or_update`), then the ticket: two calls.
//!
//! Never a duplicate: creates carry an `Idempotency-Key` derived from the session and the request; a job whose
//! last call may have reached Zendesk (a timeout, a dropped connection, a 5xx on a write, or a worker that died
//! with the call in flight) first looks: `tickets?external_id=<session id>` before creating, the ticket's
//! comments for the job's reference before commenting.
//!
//! Never lost: a job leaves the queue only as `done` or `failed`. Rate limits, outages and network failures keep
//! it pending with the reason shown on its session; the next attempt waits for `Retry-After`, or for an
//! exponential backoff with jitter (bounded by [`WorkerConfig::backoff_max`]). Refusals that cannot succeed on
//! a retry (403, 422, ...) fail the job with Zendesk's reason.
//!
//! Concurrency: jobs of one session run in order; jobs of different sessions run in parallel, up to
//! [`WorkerConfig::concurrency`], except that two sessions of the same contact never run at once (so a returning
//! contact finds the ticket the other just made). One worker per data folder: a lease in SQLite, renewed while
//! it runs and released when it is dropped; the lease of a worker whose process is gone is void at once, and any
//! lease not renewed for [`WorkerConfig::lease_stale_after`] goes stale.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use jiff::Timestamp;
use zendesk::{Client, NewComment, NewTicket, Requester, TicketStatus, TicketUpdate, UserInput};

use super::fields::{FieldValues, NoFieldValues};
use super::links::SessionLinks;
use super::ticket::{self, Draft, DraftInput, TagEvent, LINK_TAG_SLOT};
use crate::clock::Clock;
use crate::session::{Session, SessionId, SessionTicket, Wake};
use crate::settings::Settings;
use crate::store::{millis, JobOutcome, JobRow, Store, StoreError, JOB_HANDOFF};

/// How the worker paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Jobs in flight at once (across sessions).
    pub concurrency: usize,
    /// The first backoff when Zendesk gives no `Retry-After`; doubled per attempt, with jitter.
    pub backoff_base: Duration,
    /// The longest wait between two attempts.
    pub backoff_max: Duration,
    /// A lease not renewed for this long belongs to a worker that is gone (a worker whose process is gone
    /// loses it at once). Longer than one Zendesk call with its retries, so a busy worker never looks dead.
    pub lease_stale_after: Duration,
    /// How often `run` looks at the queue when nothing wakes it (jobs queued by another process).
    pub poll_interval: Duration,
}

impl Default for WorkerConfig {
    fn default() -> WorkerConfig {
        WorkerConfig {
            concurrency: 8,
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(300),
            lease_stale_after: Duration::from_secs(300),
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// Why the worker cannot run.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("another handoff worker ({owner}) runs on this data folder (last seen at {last_seen}); it handles the queue")]
    Busy { owner: String, last_seen: Timestamp },
    #[error("another handoff worker took over this data folder's queue; this one stopped")]
    LeaseLost,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What [`Worker::run_until_idle`] left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idle {
    /// Attempts made (finished, failed or rescheduled).
    pub attempts: usize,
    /// Jobs still pending (waiting for a retry).
    pub pending: usize,
    /// When the next one is due.
    pub next_due: Option<Timestamp>,
}

/// The worker. See the module docs.
pub struct Worker {
    store: Store,
    clock: Clock,
    client: Client,
    links: SessionLinks,
    fields: Arc<dyn FieldValues>,
    wake: Wake,
    config: WorkerConfig,
    owner: String,
    /// Sessions and contacts with a job in flight.
    busy: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("owner", &self.owner)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Err(error) = self.store.release_worker_lease(&self.owner) {
            tracing::warn!(%error, "could not release the handoff worker lease; it goes stale on its own");
        }
    }
}

/// A job's attempt that did not finish it.
enum Failure {
    /// Try again later; `uncertain` when the call may have reached Zendesk.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
        uncertain: bool,
    },
    /// It cannot succeed; fail the job.
    Permanent(String),
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Failure {
        Failure::Store(error)
    }
}

/// An update that did not land, by what comes next.
enum UpdateFailure {
    Closed,
    Gone,
    Other(Failure),
}

impl Worker {
    /// A worker on `store`, writing through `client` (from `account::open`). Takes the data folder's lease:
    /// [`WorkerError::Busy`] when another live worker holds it.
    pub fn new(
        store: Store,
        clock: Clock,
        client: Client,
        links: SessionLinks,
    ) -> Result<Worker, WorkerError> {
        let owner = format!(
            "worker-{}-{}",
            std::process::id(),
            ulid::Ulid::new().to_string().to_ascii_lowercase()
        );
        let config = WorkerConfig::default();
        let now = clock.now();
        let stale_before = millis(now) - config.lease_stale_after.as_millis() as i64;
        if let Some(holder) = store.acquire_worker_lease(&owner, millis(now), stale_before)? {
            if process_alive(&holder.owner) {
                return Err(WorkerError::Busy {
                    owner: holder.owner,
                    last_seen: Timestamp::from_millisecond(holder.heartbeat_ms).unwrap_or(now),
                });
            }
            // The holder's process is gone (killed, so it never released the lease): the lease is void now,
            // without waiting for it to go stale.
            tracing::warn!(previous = %holder.owner, "taking over the handoff queue from a worker whose process is gone");
            if let Some(holder) = store.acquire_worker_lease(&owner, millis(now), i64::MAX)? {
                return Err(WorkerError::Busy {
                    owner: holder.owner,
                    last_seen: Timestamp::from_millisecond(holder.heartbeat_ms).unwrap_or(now),
                });
            }
        }
        Ok(Worker {
            store,
            clock,
            client,
            links,
            fields: Arc::new(NoFieldValues),
            wake: Wake::default(),
            config,
            owner,
            busy: Mutex::new(HashSet::new()),
        })
    }

    /// Fills mapped custom fields with `fields`.
    pub fn with_fields(mut self, fields: Arc<dyn FieldValues>) -> Worker {
        self.fields = fields;
        self
    }

    pub fn with_config(mut self, config: WorkerConfig) -> Worker {
        self.config = WorkerConfig {
            concurrency: config.concurrency.max(1),
            ..config
        };
        self
    }

    /// The wake shared with [`crate::session::Sessions::with_wake`], so queued jobs start at once.
    pub fn wake(&self) -> Wake {
        self.wake.clone()
    }

    /// Works until no job is due now (jobs waiting for a retry stay pending); for tests and one-shot commands.
    pub async fn run_until_idle(&self) -> Result<Idle, WorkerError> {
        let mut running = FuturesUnordered::new();
        let mut attempts = 0;
        loop {
            self.renew_lease().await?;
            while running.len() < self.config.concurrency {
                match self.claim().await? {
                    Some((job, session, keys)) => running.push(self.process(job, session, keys)),
                    None => break,
                }
            }
            match running.next().await {
                Some(result) => {
                    result?;
                    attempts += 1;
                }
                None => break,
            }
        }
        let (pending, next_due) = self.store.pending_jobs()?;
        Ok(Idle {
            attempts,
            pending,
            next_due: next_due.and_then(|ms| Timestamp::from_millisecond(ms).ok()),
        })
    }

    /// Works until `shutdown` completes, then lets the jobs in flight finish and releases the lease.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<(), WorkerError> {
        tokio::pin!(shutdown);
        let mut running = FuturesUnordered::new();
        let mut stopping = false;
        loop {
            if !stopping {
                self.renew_lease().await?;
                while running.len() < self.config.concurrency {
                    match self.claim().await? {
                        Some((job, session, keys)) => {
                            running.push(self.process(job, session, keys))
                        }
                        None => break,
                    }
                }
            }
            if stopping && running.is_empty() {
                break;
            }
            let pause = self.pause()?;
            tokio::select! {
                Some(result) = running.next(), if !running.is_empty() => result?,
                () = self.wake.job_waiting(), if !stopping => {}
                () = tokio::time::sleep(pause), if !stopping => {}
                () = &mut shutdown, if !stopping => stopping = true,
            }
        }
        let (store, owner) = (self.store.clone(), self.owner.clone());
        store
            .call(move |store| store.release_worker_lease(&owner))
            .await?;
        Ok(())
    }

    /// How long `run` may sleep: until the next job is due, at most the poll interval.
    fn pause(&self) -> Result<Duration, WorkerError> {
        let (_, next_due) = self.store.pending_jobs()?;
        let now = millis(self.clock.now());
        Ok(match next_due {
            Some(due) if due > now => {
                Duration::from_millis((due - now) as u64).min(self.config.poll_interval)
            }
            // Due but held back (its session or contact is busy): a finishing job wakes the loop.
            _ => self.config.poll_interval,
        })
    }

    async fn renew_lease(&self) -> Result<(), WorkerError> {
        let (store, owner, now) = (
            self.store.clone(),
            self.owner.clone(),
            millis(self.clock.now()),
        );
        if store
            .call(move |store| store.renew_worker_lease(&owner, now))
            .await?
        {
            Ok(())
        } else {
            Err(WorkerError::LeaseLost)
        }
    }

    fn busy(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.busy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next due job whose session and contact are free, marked busy.
    async fn claim(&self) -> Result<Option<(JobRow, Session, Vec<String>)>, WorkerError> {
        let now = millis(self.clock.now());
        for job in self.store.due_jobs(now, 256)? {
            let Ok(id) = SessionId::parse(&job.session_id) else {
                let (store, now) = (self.store.clone(), self.clock.now());
                store
                    .call(move |store| store.fail_job(&job, "the job names no valid session", now))
                    .await?;
                continue;
            };
            let Some(session) = self.store.session(id)? else {
                let (store, now) = (self.store.clone(), self.clock.now());
                store
                    .call(move |store| store.fail_job(&job, "the session no longer exists", now))
                    .await?;
                continue;
            };
            let keys = contact_keys(&session);
            let mut busy = self.busy();
            if keys.iter().any(|key| busy.contains(key)) {
                continue;
            }
            busy.extend(keys.iter().cloned());
            return Ok(Some((job, session, keys)));
        }
        Ok(None)
    }

    async fn process(
        &self,
        job: JobRow,
        session: Session,
        keys: Vec<String>,
    ) -> Result<(), WorkerError> {
        let outcome = self.attempt(&job, &session).await;
        let now = self.clock.now();
        let recorded = match outcome {
            Ok(outcome) => {
                tracing::info!(session = %session.id, ticket = outcome.ticket_id, created = outcome.created, "handoff written");
                {
                    let (store, job) = (self.store.clone(), job.clone());
                    store
                        .call(move |store| store.finish_job(&job, &outcome, now))
                        .await
                }
            }
            Err(Failure::Permanent(reason)) => {
                tracing::warn!(session = %session.id, %reason, "handoff failed");
                {
                    let (store, job) = (self.store.clone(), job.clone());
                    store
                        .call(move |store| store.fail_job(&job, &reason, now))
                        .await
                }
            }
            Err(Failure::Retry {
                reason,
                retry_after,
                uncertain,
            }) => {
                let wait = self.backoff(job.attempts + 1, retry_after);
                let next = now
                    .checked_add(jiff::SignedDuration::try_from(wait).unwrap_or_default())
                    .unwrap_or(now);
                let reason = format!("{reason}; next try at {}", crate::message::moment_of(next));
                tracing::info!(session = %session.id, %reason, "handoff waits");
                let (store, job) = (self.store.clone(), job.clone());
                store
                    .call(move |store| {
                        store.retry_job_later(&job, millis(next), &reason, uncertain, now)
                    })
                    .await
            }
            Err(Failure::Store(error)) => {
                // The database failed mid-attempt: leave the job pending (its in-flight marker makes the next
                // attempt look before writing) and try again after a backoff.
                let wait = self.backoff(job.attempts + 1, None);
                let next = now
                    .checked_add(jiff::SignedDuration::try_from(wait).unwrap_or_default())
                    .unwrap_or(now);
                let reason = format!("{error}");
                let (store, job) = (self.store.clone(), job.clone());
                store
                    .call(move |store| {
                        store.retry_job_later(&job, millis(next), &reason, true, now)
                    })
                    .await
            }
        };
        {
            let mut busy = self.busy();
            for key in &keys {
                busy.remove(key);
            }
        }
        self.wake.progressed();
        recorded.map_err(WorkerError::from)
    }

    /// The wait before attempt `attempt + 1`: `Retry-After` when Zendesk gave one (never less), else exponential
    /// from the base, capped, with "equal jitter" (between half and all of it) so refused workers spread out.
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        backoff(
            &self.config,
            attempt,
            retry_after,
            rand::random_range(0.0..=1.0),
        )
    }

    async fn attempt(&self, job: &JobRow, session: &Session) -> Result<JobOutcome, Failure> {
        // This worker holds the lease, so an in-flight marker on a pending job was left by a worker that died
        // mid-call: that call's outcome is unknown.
        let uncertain = job.uncertain || job.in_flight_owner.is_some();
        let draft = match &job.draft {
            Some(text) => serde_json::from_str::<Draft>(text).map_err(|e| {
                Failure::Permanent(format!("the stored ticket draft is unreadable: {e}"))
            })?,
            None => {
                let draft = self.draft(job, session).await?;
                let text = serde_json::to_string(&draft).map_err(|e| {
                    Failure::Permanent(format!("the ticket draft cannot be stored: {e}"))
                })?;
                let (store, id) = (self.store.clone(), job.id);
                store.call(move |store| store.save_draft(id, &text)).await?;
                draft
            }
        };
        let (store, id, owner) = (self.store.clone(), job.id, self.owner.clone());
        store
            .call(move |store| store.begin_attempt(id, &owner))
            .await?;
        let target = match &session.ticket {
            Some(ticket) => Some(ticket.clone()),
            None => self.store.returning_ticket(session)?,
        };
        match target {
            Some(ticket) if !ticket.closed => {
                match self.update(job, session, &draft, &ticket, uncertain).await {
                    Ok(outcome) => Ok(outcome),
                    Err(UpdateFailure::Closed) => {
                        let (store, closed) = (self.store.clone(), ticket.id);
                        store
                            .call(move |store| store.mark_ticket_closed(closed))
                            .await?;
                        self.create(job, session, &draft, Some(&ticket), uncertain)
                            .await
                    }
                    Err(UpdateFailure::Gone) => {
                        let (store, gone) = (self.store.clone(), ticket.id);
                        store.call(move |store| store.forget_ticket(gone)).await?;
                        self.create(job, session, &draft, None, uncertain).await
                    }
                    Err(UpdateFailure::Other(failure)) => Err(failure),
                }
            }
            Some(closed) => {
                self.create(job, session, &draft, Some(&closed), uncertain)
                    .await
            }
            None => self.create(job, session, &draft, None, uncertain).await,
        }
    }

    async fn draft(&self, job: &JobRow, session: &Session) -> Result<Draft, Failure> {
        let settings = Settings::new(self.store.clone());
        let prefix = settings.tag_prefix()?;
        let public_url = settings.public_url()?;
        let assignee_id = self
            .store
            .connection()?
            .and_then(|c| c.default_agent.map(|agent| agent.0));
        let event = if job.kind == JOB_HANDOFF {
            TagEvent::Handoff
        } else {
            TagEvent::SessionStart
        };
        let custom_fields = self.fields.values(session).await;
        Ok(ticket::draft(DraftInput {
            session,
            event,
            turns_upto: job.turns_upto,
            prefix: &prefix,
            public_url: &public_url,
            assignee_id,
            custom_fields,
            reference: ticket::reference(session.id, &job.request_id),
        }))
    }

    fn html(&self, draft: &Draft, id: SessionId) -> String {
        draft
            .comment_html
            .replace(LINK_TAG_SLOT, &self.links.tag(id))
    }

    /// One update: the new turns as an internal note (context for the rep, never mailed to the contact), tags
    /// added. After an unknown outcome, the ticket's comments are searched for the job's reference first.
    async fn update(
        &self,
        job: &JobRow,
        session: &Session,
        draft: &Draft,
        ticket: &SessionTicket,
        uncertain: bool,
    ) -> Result<JobOutcome, UpdateFailure> {
        let done = |requester_id: Option<u64>| JobOutcome {
            ticket_id: ticket.id,
            requester_id,
            created: false,
            turns_upto: job.turns_upto,
        };
        if uncertain {
            match self.client.ticket_comments(ticket.id).await {
                Ok(comments) => {
                    if comments.iter().any(|c| {
                        c.body.contains(&draft.reference)
                            || c.html_body
                                .as_deref()
                                .is_some_and(|h| h.contains(&draft.reference))
                    }) {
                        return Ok(done(ticket.requester_id));
                    }
                }
                Err(zendesk::Error::NotFound { .. }) => return Err(UpdateFailure::Gone),
                Err(error) => return Err(UpdateFailure::Other(classify(error, false))),
            }
        }
        let update = TicketUpdate {
            comment: Some(NewComment {
                html_body: Some(self.html(draft, session.id)),
                public: Some(false),
                ..NewComment::default()
            }),
            additional_tags: draft.tags.clone(),
            status: draft.reopen.then_some(TicketStatus::Open),
            ..TicketUpdate::default()
        };
        match self.client.update_ticket(ticket.id, &update).await {
            Ok(updated) => Ok(done(updated.ticket.requester_id.or(ticket.requester_id))),
            Err(zendesk::Error::ClosedTicket { .. }) => Err(UpdateFailure::Closed),
            Err(zendesk::Error::NotFound { .. }) => Err(UpdateFailure::Gone),
            Err(error) => Err(UpdateFailure::Other(classify(error, true))),
        }
    }

    /// A new ticket, or a follow-up of the closed `source`. After an unknown outcome, first looks for the
    /// session's ticket by external id.
    async fn create(
        &self,
        job: &JobRow,
        session: &Session,
        draft: &Draft,
        source: Option<&SessionTicket>,
        uncertain: bool,
    ) -> Result<JobOutcome, Failure> {
        let done = |ticket: &zendesk::Ticket| JobOutcome {
            ticket_id: ticket.id,
            requester_id: ticket.requester_id,
            created: true,
            turns_upto: job.turns_upto,
        };
        if uncertain {
            let found = self
                .client
                .tickets_by_external_id(&session.id.to_string())
                .await
                .map_err(|error| classify(error, false))?;
            // Tickets of this session older than the source (its own closed ticket) are not this job's.
            let floor = source.map_or(0, |t| t.id);
            if let Some(ticket) = found
                .iter()
                .filter(|t| t.id > floor && t.status != TicketStatus::Deleted)
                .min_by_key(|t| t.id)
            {
                tracing::info!(session = %session.id, ticket = ticket.id, "found the ticket an earlier attempt made");
                self.read_back(session, ticket, draft).await;
                return Ok(done(ticket));
            }
        }
        let mut ticket = NewTicket {
            subject: Some(draft.subject.clone()),
            comment: NewComment {
                html_body: Some(self.html(draft, session.id)),
                ..NewComment::default()
            },
            external_id: Some(session.id.to_string()),
            tags: draft
                .tags
                .iter()
                .chain(&draft.create_tags)
                .cloned()
                .collect(),
            custom_fields: draft.custom_fields.clone(),
            assignee_id: draft.assignee_id,
            via_followup_source_id: source.map(|t| t.id),
            ..NewTicket::default()
        };
        match (source.and_then(|t| t.requester_id), &session.contact.email) {
            (Some(requester_id), _) => ticket.requester_id = Some(requester_id),
            (None, Some(email)) => {
                ticket.requester = Some(Requester {
                    name: draft.requester_name.clone(),
                    email: Some(email.clone()),
                    locale_id: None,
                });
            }
            (None, None) => {
                ticket.requester_id = Some(self.requester_without_email(job, session, draft).await?)
            }
        }
        let key = idempotency_key(session.id, &job.request_id, source.map(|t| t.id));
        match self.client.create_ticket(&ticket, Some(&key)).await {
            Ok(created) => {
                self.read_back(session, &created.ticket, draft).await;
                Ok(done(&created.ticket))
            }
            Err(error) => Err(classify(error, true)),
        }
    }

    /// Compares the custom fields sent with the ticket Zendesk answered (it drops an invalid dropdown value
    /// without an error) and records what is missing on the session. A failure to record is logged, not fatal:
    /// the ticket is written either way.
    async fn read_back(&self, session: &Session, ticket: &zendesk::Ticket, draft: &Draft) {
        if draft.custom_fields.is_empty() {
            return;
        }
        if let Err(error) = crate::fields::readback::record(
            &self.store,
            session.id,
            ticket.id,
            &draft.custom_fields,
            &ticket.custom_fields,
            self.clock.now(),
        )
        .await
        {
            tracing::warn!(%error, session = %session.id, ticket = ticket.id, "could not record dropped field values");
        }
    }

    /// The Zendesk user of a contact without email, matched by external id: the contact's own, else
    /// `phone:<E.164>`, so the same phone is always the same user. `create_or_update` is idempotent by that
    /// match, so repeating it after a lost answer is safe; its id is kept with the job for the retries.
    async fn requester_without_email(
        &self,
        job: &JobRow,
        session: &Session,
        draft: &Draft,
    ) -> Result<u64, Failure> {
        if let Some(id) = job.requester_id {
            return Ok(id);
        }
        let contact = &session.contact;
        let external_id = match (&contact.external_id, &contact.phone) {
            (Some(external_id), _) => external_id.clone(),
            (None, Some(phone)) => format!("phone:{phone}"),
            (None, None) => {
                return Err(Failure::Permanent(
                    "the contact has no email, phone or external id".to_owned(),
                ))
            }
        };
        let input = UserInput {
            name: draft.requester_name.clone(),
            external_id: Some(external_id),
            phone: contact.phone.clone(),
            ..UserInput::default()
        };
        let user = self
            .client
            .create_or_update_user(&input)
            .await
            .map_err(|error| classify(error, false))?;
        let (store, id, requester) = (self.store.clone(), job.id, user.user.id);
        store
            .call(move |store| store.save_job_requester(id, requester))
            .await?;
        Ok(user.user.id)
    }
}

/// Whether the process named in a lease owner (`worker-<pid>-<ulid>`) still runs on this host. Where that cannot
/// be told (no `/proc`), it is taken as running and only staleness frees the lease.
pub fn process_alive(owner: &str) -> bool {
    let pid = owner
        .strip_prefix("worker-")
        .and_then(|rest| rest.split('-').next())
        .and_then(|pid| pid.parse::<u32>().ok());
    match pid {
        Some(pid) if pid == std::process::id() => true,
        Some(pid) if std::path::Path::new("/proc/self").exists() => {
            // A killed process its parent has not reaped yet keeps its /proc entry as a zombie: it is gone all
            // the same, and its lease with it.
            match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                Ok(stat) => !matches!(
                    stat.rsplit_once(')')
                        .and_then(|(_, rest)| rest.trim_start().chars().next()),
                    Some('Z' | 'X')
                ),
                Err(_) => false,
            }
        }
        _ => true,
    }
}

/// The keys two jobs must not share while running: the session, and each of its contact's identities.
fn contact_keys(session: &Session) -> Vec<String> {
    let contact = &session.contact;
    let mut keys = vec![format!("session:{}", session.id)];
    keys.extend(contact.email.iter().map(|e| format!("email:{e}")));
    keys.extend(contact.phone.iter().map(|p| format!("phone:{p}")));
    keys.extend(contact.external_id.iter().map(|x| format!("external:{x}")));
    keys
}

/// `handoff-<session>-<hash of the request id>`, plus `-followup-<source>` for a follow-up: the same handoff
/// always sends the same key, a different one never does.
pub(crate) fn idempotency_key(id: SessionId, request_id: &str, followup_of: Option<u64>) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(request_id.as_bytes());
    let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    match followup_of {
        Some(source) => format!("handoff-{id}-{hash}-followup-{source}"),
        None => format!("handoff-{id}-{hash}"),
    }
}

/// Sorts a Zendesk failure into retry-later (with whether the call may have happened) or give-up.
fn classify(error: zendesk::Error, wrote: bool) -> Failure {
    use zendesk::Error as E;
    let reason = error.to_string();
    match error {
        E::RateLimited { retry_after } => Failure::Retry {
            reason,
            retry_after,
            uncertain: false,
        },
        E::Server { .. } | E::Network { .. } | E::Timeout | E::Decode { .. } => Failure::Retry {
            reason,
            retry_after: None,
            uncertain: wrote,
        },
        // An outage page or a proxy in the way; nothing was written.
        E::NotZendesk { .. } => Failure::Retry {
            reason,
            retry_after: None,
            uncertain: false,
        },
        // Kept pending: once the admin signs in again (Connect), the handoff goes through.
        E::BadCredentials { .. } => Failure::Retry {
            reason: format!("{reason}; sign in to Zendesk again in Connect"),
            retry_after: None,
            uncertain: false,
        },
        E::Forbidden { .. }
        | E::NotFound { .. }
        | E::Invalid { .. }
        | E::ClosedTicket { .. }
        | E::PaginationDepth { .. }
        | E::Rejected { .. }
        | E::InvalidConfig { .. } => Failure::Permanent(reason),
    }
}

/// See [`Worker::backoff`]; `jitter` in `0..=1`.
pub(crate) fn backoff(
    config: &WorkerConfig,
    attempt: u32,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Duration {
    if let Some(wait) = retry_after {
        // Never earlier than Zendesk asked; a little later, so refused workers do not return in one burst.
        return wait + Duration::from_millis((jitter.clamp(0.0, 1.0) * 1000.0) as u64);
    }
    let exponent = attempt.saturating_sub(1).min(20);
    let full = config
        .backoff_base
        .saturating_mul(1u32 << exponent)
        .min(config.backoff_max);
    full / 2 + full.mul_f64(jitter.clamp(0.0, 1.0) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_process_not_yet_reaped_holds_no_lease() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let owner = format!("worker-{}-01abc", child.id());
        assert!(process_alive(&owner), "a running process holds its lease");
        child.kill().unwrap_or_else(|e| panic!("{e}"));
        // Killed and not waited for: a zombie until `wait`, still listed in /proc.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while process_alive(&owner) {
            assert!(
                std::time::Instant::now() < deadline,
                "a zombie counts as gone"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            std::path::Path::new(&format!("/proc/{}", child.id())).exists(),
            "the process is a zombie, not reaped yet"
        );
        child.wait().unwrap_or_else(|e| panic!("{e}"));
        assert!(!process_alive(&owner), "a reaped process is gone");
        assert!(process_alive(&format!("worker-{}-x", std::process::id())));
    }

    #[test]
    fn backoff_honours_retry_after_and_is_bounded_without_it() {
        let config = WorkerConfig::default();
        // (attempt, Retry-After, jitter, expected)
        let table = [
            (1, Some(30), 0.0, Duration::from_secs(30)),
            (1, Some(30), 1.0, Duration::from_secs(31)),
            (1, None, 0.0, Duration::from_secs(1)),
            (1, None, 1.0, Duration::from_secs(2)),
            (3, None, 0.0, Duration::from_secs(4)),
            (3, None, 1.0, Duration::from_secs(8)),
            (30, None, 0.0, Duration::from_secs(150)),
            (30, None, 1.0, Duration::from_secs(300)),
        ];
        for (attempt, retry_after, jitter, expected) in table {
            let wait = backoff(
                &config,
                attempt,
                retry_after.map(Duration::from_secs),
                jitter,
            );
            assert_eq!(
                wait, expected,
                "attempt {attempt}, Retry-After {retry_after:?}, jitter {jitter}"
            );
        }
    }

    #[test]
    fn a_lease_is_void_once_its_process_is_gone() {
        assert!(process_alive(&format!(
            "worker-{}-01abc",
            std::process::id()
        )));
        // Process ids stop well below this on Linux (pid_max is at most 2^22).
        assert!(!process_alive("worker-4294967294-01abc"));
        assert!(
            process_alive("something else"),
            "unknown owners only go stale"
        );
    }

    #[test]
    fn idempotency_keys_name_the_session_request_and_follow_up() {
        let id = SessionId::new();
        let first = idempotency_key(id, "req-1", None);
        assert_eq!(first, idempotency_key(id, "req-1", None));
        assert_ne!(first, idempotency_key(id, "req-2", None));
        assert_ne!(first, idempotency_key(id, "req-1", Some(7)));
        assert!(
            first.starts_with(&format!("handoff-{id}-")) && first.len() < 80,
            "{first}"
        );
    }
}
