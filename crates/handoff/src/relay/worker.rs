//! The reply worker: turns stored deliveries into agent turns on their sessions and messages to the AI
//! platform.
//!
//! A delivery is only a notification. For its ticket the worker reads the comments from Zendesk's API and
//! takes every PUBLIC comment after the last one delivered for that ticket, written by a rep (an agent or
//! admin, not the integration's own user, not the customer), oldest first. So:
//! - an internal note never reaches a customer, whatever the trigger's body says (`latest_comment` included);
//! - two replies in quick succession (two deliveries announcing the same "newest comment") both arrive, once
//!   each, in order; one comment announced by two invocations arrives once;
//! - the integration's own comments (the handoff transcript) never echo back.
//!
//! Each reply is recorded in one transaction (`Store::record_reply`): the comment as delivered, the agent turn
//! (the session becomes human-active: the AI goes quiet), the ticket's cursor, the outbound message. The
//! outbound message is queued only for channels the platform delivers (`Settings::reply_deliverer`): a channel
//! in `zendesk-delivers` gets the reply from Zendesk's own email, and the agent turn alone is recorded. Deliveries
//! of one ticket are handled together (one comments read for a burst); tickets in parallel. Zendesk down or
//! rate-limited: the deliveries wait and are retried with backoff; a ticket that fails for good settles as
//! `failed` with the reason; neither holds the other tickets back.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::json;
use tokio::sync::Notify;
use zendesk::{Client, Role as ZendeskRole};

use super::metrics::RelayMetrics;
use super::outbound::backoff;
use crate::clock::Clock;
use crate::session::SessionId;
use crate::settings::{ReplyDeliverer, Settings};
use crate::store::{millis, DeliveryRow, Reply, Store, StoreError};

/// What a batch of work came to (tests and the console read it).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Worked {
    pub deliveries: usize,
    pub replies: usize,
}

/// The reply worker. Cheap to clone; clones share the wake-up and the role cache.
#[derive(Clone)]
pub struct ReplyWorker {
    store: Store,
    clock: Clock,
    client: Client,
    /// The integration's own Zendesk user: its comments are never replies.
    integration_user: u64,
    wake: Arc<Notify>,
    /// Notified when replies were recorded (the outbound queue has work).
    replied: Arc<Notify>,
    /// Zendesk user id -> whether that user is staff (agent or admin).
    staff: Arc<Mutex<HashMap<u64, bool>>>,
    metrics: RelayMetrics,
    /// Tickets handled at once.
    pub concurrency: usize,
}

impl ReplyWorker {
    pub fn new(
        store: Store,
        clock: Clock,
        client: Client,
        integration_user: u64,
        metrics: RelayMetrics,
    ) -> ReplyWorker {
        ReplyWorker {
            store,
            clock,
            client,
            integration_user,
            wake: Arc::new(Notify::new()),
            replied: Arc::new(Notify::new()),
            staff: Arc::default(),
            metrics,
            concurrency: 8,
        }
    }

    /// Wakes the worker (a delivery was stored).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Notified whenever replies were recorded.
    pub fn replied(&self) -> Arc<Notify> {
        self.replied.clone()
    }

    /// Works until `shutdown` resolves.
    pub async fn run(
        &self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), StoreError> {
        tokio::pin!(shutdown);
        loop {
            let worked = self.run_once().await?;
            if worked.deliveries > 0 {
                continue;
            }
            let store = self.store.clone();
            let next = store.call(|store| store.next_delivery_due()).await?;
            let now = millis(self.clock.now());
            let pause = match next {
                Some(due) if due > now => {
                    Duration::from_millis((due - now) as u64).min(Duration::from_secs(1))
                }
                _ => Duration::from_secs(1),
            };
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Handles every delivery due now, once.
    pub async fn run_once(&self) -> Result<Worked, StoreError> {
        let now = millis(self.clock.now());
        let store = self.store.clone();
        let due = store
            .call(move |store| store.queued_deliveries(now, 512))
            .await?;
        if due.is_empty() {
            return Ok(Worked::default());
        }
        let mut by_ticket: BTreeMap<u64, Vec<DeliveryRow>> = BTreeMap::new();
        for delivery in due {
            // Unreadable deliveries are settled when stored; a queued one always names its ticket.
            let ticket = delivery.ticket_id.unwrap_or_default();
            by_ticket.entry(ticket).or_default().push(delivery);
        }
        use futures::StreamExt as _;
        let results: Vec<Result<Worked, StoreError>> = futures::stream::iter(
            by_ticket
                .into_iter()
                .map(|(ticket, deliveries)| self.ticket(ticket, deliveries)),
        )
        .buffer_unordered(self.concurrency.max(1))
        .collect()
        .await;
        let mut total = Worked::default();
        for result in results {
            let worked = result?;
            total.deliveries += worked.deliveries;
            total.replies += worked.replies;
        }
        Ok(total)
    }

    /// The deliveries of one ticket.
    async fn ticket(
        &self,
        ticket_id: u64,
        deliveries: Vec<DeliveryRow>,
    ) -> Result<Worked, StoreError> {
        let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
        let worked = Worked {
            deliveries: ids.len(),
            replies: 0,
        };
        let Some(session) = self.session_of(ticket_id, &deliveries).await? else {
            self.settle(
                ids,
                "not_ours",
                format!(
                "ticket {ticket_id} is not a handoff ticket (no session has it): nothing to deliver"
            ),
            )
            .await?;
            return Ok(worked);
        };
        let comments = match self.client.ticket_comments(ticket_id).await {
            Ok(comments) => comments,
            Err(error) => {
                return self
                    .failed_read(ids, ticket_id, &error, &deliveries)
                    .await
                    .map(|()| worked)
            }
        };
        let store = self.store.clone();
        let cursor = store
            .call(move |store| store.ticket_cursor(ticket_id))
            .await?;
        let mut candidates: Vec<_> = comments
            .into_iter()
            .filter(|c| c.public && c.id > cursor && c.author_id != self.integration_user)
            .collect();
        candidates.sort_by_key(|c| c.id);
        let authors: Vec<u64> = candidates.iter().map(|c| c.author_id).collect();
        if let Err(error) = self.learn_roles(&authors).await {
            return self
                .failed_read(ids, ticket_id, &error, &deliveries)
                .await
                .map(|()| worked);
        }
        // The agent turn is always recorded; the message to the AI platform only when the platform delivers
        // this session's channel (`zendesk-delivers` leaves some channels to Zendesk's own email, which would
        // otherwise reach the customer twice).
        let settings = Settings::new(self.store.clone());
        let store = self.store.clone();
        let channel = store
            .call(move |store| Ok(store.session(session)?.map(|s| s.channel)))
            .await?;
        let platform_delivers = match channel.map(|c| settings.reply_deliverer(c)) {
            Some(Ok(ReplyDeliverer::Zendesk)) => false,
            Some(Ok(ReplyDeliverer::Platform)) | None => true,
            Some(Err(error)) => {
                tracing::warn!(%error, "the zendesk-delivers setting is unreadable; the platform delivers");
                true
            }
        };
        let outbound = match settings.outbound_url() {
            Ok(url) => url.filter(|_| platform_delivers),
            Err(error) => {
                tracing::warn!(%error, "the outbound URL setting is unreadable; replies are only recorded");
                None
            }
        };
        let received_ms = deliveries
            .iter()
            .map(|d| d.received_ms)
            .min()
            .unwrap_or_default();
        let mut replies = 0;
        for comment in candidates
            .into_iter()
            .filter(|c| self.is_staff(c.author_id))
        {
            let text = comment
                .plain_body
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| comment.body.clone());
            let at = comment
                .created_at
                .as_deref()
                .and_then(|t| t.parse::<Timestamp>().ok())
                .unwrap_or_else(|| self.clock.now());
            let payload = outbound.as_ref().map(|_| {
                json!({
                    "type": "agent_reply",
                    "session_id": session.to_string(),
                    "ticket_id": ticket_id,
                    "comment_id": comment.id,
                    "author_id": comment.author_id,
                    "text": text,
                    "at": at.to_string(),
                })
                .to_string()
            });
            let reply = Reply {
                comment_id: comment.id,
                ticket_id,
                session_id: session,
                text,
                at,
                outbound: payload,
            };
            let now = self.clock.now();
            let store = self.store.clone();
            if store
                .call(move |store| store.record_reply(&reply, now))
                .await?
            {
                replies += 1;
                let waited = millis(self.clock.now()) - received_ms;
                self.metrics
                    .reply_recorded(Duration::from_millis(waited.max(0) as u64));
            }
        }
        let outcome = match replies {
            0 => "no new public reply from a rep (internal notes, the customer's and the integration's own comments are never delivered)".to_owned(),
            1 => format!("1 reply delivered to session {session}"),
            n => format!("{n} replies delivered to session {session}"),
        };
        self.settle(ids, "done", outcome).await?;
        if replies > 0 {
            self.replied.notify_one();
        }
        Ok(Worked { replies, ..worked })
    }

    /// The session a ticket's deliveries are for: the external id they carry (a session id), else the session
    /// the engine wrote the ticket for.
    async fn session_of(
        &self,
        ticket_id: u64,
        deliveries: &[DeliveryRow],
    ) -> Result<Option<SessionId>, StoreError> {
        let store = self.store.clone();
        let claimed: Vec<SessionId> = deliveries
            .iter()
            .filter_map(|d| d.external_id.as_deref())
            .filter_map(|id| SessionId::parse(id).ok())
            .collect();
        store
            .call(move |store| {
                for id in claimed {
                    if store.session(id)?.is_some() {
                        return Ok(Some(id));
                    }
                }
                store.session_for_ticket(ticket_id)
            })
            .await
    }

    async fn learn_roles(&self, authors: &[u64]) -> Result<(), zendesk::Error> {
        let unknown: Vec<u64> = {
            let known = self.staff.lock().map(|m| m.clone()).unwrap_or_default();
            let mut ids: Vec<u64> = authors
                .iter()
                .copied()
                .filter(|id| !known.contains_key(id))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        if unknown.is_empty() {
            return Ok(());
        }
        let users = self.client.show_many_users(&unknown).await?;
        if let Ok(mut known) = self.staff.lock() {
            for id in &unknown {
                // A user Zendesk no longer shows (deleted) is treated as not staff: nothing is delivered for them.
                known.insert(*id, false);
            }
            for user in users {
                known.insert(
                    user.id,
                    matches!(user.role, ZendeskRole::Agent | ZendeskRole::Admin),
                );
            }
        }
        Ok(())
    }

    fn is_staff(&self, user: u64) -> bool {
        self.staff
            .lock()
            .map(|known| known.get(&user).copied().unwrap_or(false))
            .unwrap_or(false)
    }

    /// Reading from Zendesk failed: a transient failure waits and retries (Retry-After honoured); a ticket that
    /// is gone, or a refusal, settles as failed with why.
    async fn failed_read(
        &self,
        ids: Vec<i64>,
        ticket_id: u64,
        error: &zendesk::Error,
        deliveries: &[DeliveryRow],
    ) -> Result<(), StoreError> {
        if error.is_transient() {
            let attempts = deliveries.iter().map(|d| d.attempts).max().unwrap_or(0) as u32;
            let wait = match error {
                zendesk::Error::RateLimited {
                    retry_after: Some(after),
                } => *after,
                _ => backoff(Duration::from_secs(1), Duration::from_secs(300), attempts),
            };
            let next = millis(self.clock.now()) + wait.as_millis() as i64;
            let reason = format!("waiting to read ticket {ticket_id} from Zendesk: {error}");
            let store = self.store.clone();
            return store
                .call(move |store| store.retry_deliveries(&ids, next, &reason))
                .await;
        }
        let reason = match error {
            zendesk::Error::NotFound { .. } => {
                format!("ticket {ticket_id} no longer exists in Zendesk")
            }
            other => format!("Zendesk refused to show ticket {ticket_id}'s comments: {other}"),
        };
        self.settle(ids, "failed", reason).await
    }

    async fn settle(
        &self,
        ids: Vec<i64>,
        state: &'static str,
        outcome: String,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let store = self.store.clone();
        store
            .call(move |store| store.settle_deliveries(&ids, state, &outcome, now))
            .await
    }
}
