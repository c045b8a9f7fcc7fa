//! The relay's tables: URL key ids, every delivery Zendesk made (raw body, verdict, what became of it), the
//! per-ticket cursor of delivered comments, the comments delivered, and the outbound queue to the AI platform.
//!
//! Deliveries are written by a [`DeliveryWriter`]: one thread with its own SQLite connection that commits the
//! deliveries waiting for it in one transaction (group commit), so a burst costs one fsync per batch rather
//! than one per delivery, and each caller is answered only once its row is durable.

use std::path::Path;
use std::sync::mpsc;

use jiff::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::sessions::insert_turn;
use super::{millis, Store, StoreError};
use crate::session::{Role, SessionId, Turn};

/// A URL key's record (its secret is in the keychain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlKeyRow {
    pub id: String,
    pub created_at: String,
    pub retired_at: Option<String>,
}

/// A delivery as the relay received it, to be stored.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub invocation_id: Option<String>,
    pub webhook_id: Option<String>,
    pub received_at: Timestamp,
    /// `None` for an accepted delivery; why it was refused otherwise (no body is kept for those).
    pub rejection: Option<String>,
    pub key_id: Option<String>,
    pub signed: bool,
    pub body: Vec<u8>,
    pub ticket_id: Option<u64>,
    pub external_id: Option<String>,
    /// `queued`, `unreadable` or `rejected`.
    pub state: &'static str,
    /// What became of it, when that is known on arrival (why it is unreadable).
    pub outcome: Option<String>,
}

/// What storing a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryInsert {
    pub id: i64,
    /// The invocation was stored before: nothing new was queued.
    pub duplicate: bool,
}

/// A stored delivery, for the console and the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: i64,
    pub invocation_id: Option<String>,
    pub received_at: String,
    pub received_ms: i64,
    pub verdict: String,
    pub reason: Option<String>,
    pub signed: bool,
    pub ticket_id: Option<u64>,
    pub external_id: Option<String>,
    pub state: String,
    pub outcome: Option<String>,
    pub duplicates: i64,
    pub attempts: i64,
    pub body: Vec<u8>,
}

/// One message to the AI platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRow {
    pub id: i64,
    pub comment_id: u64,
    pub session_id: String,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

/// A rep's reply to record: one comment of a ticket.
#[derive(Debug, Clone)]
pub struct Reply {
    pub comment_id: u64,
    pub ticket_id: u64,
    pub session_id: SessionId,
    pub text: String,
    pub at: Timestamp,
    /// The message for the AI platform, when an outbound URL is set.
    pub outbound: Option<String>,
}

/// Rejected deliveries kept for the console (their bodies never are); older ones are pruned.
const REJECTIONS_KEPT: i64 = 1000;

const DELIVERY_COLUMNS: &str =
    "id, invocation_id, received_at, received_ms, verdict, reason, signed, ticket_id,
    external_id, state, outcome, duplicates, attempts, body";

fn delivery_from_row(row: &Row<'_>) -> rusqlite::Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: row.get(0)?,
        invocation_id: row.get(1)?,
        received_at: row.get(2)?,
        received_ms: row.get(3)?,
        verdict: row.get(4)?,
        reason: row.get(5)?,
        signed: row.get(6)?,
        ticket_id: row.get::<_, Option<i64>>(7)?.map(|id| id as u64),
        external_id: row.get(8)?,
        state: row.get(9)?,
        outcome: row.get(10)?,
        duplicates: row.get(11)?,
        attempts: row.get(12)?,
        body: row.get::<_, Option<Vec<u8>>>(13)?.unwrap_or_default(),
    })
}

fn outbound_from_row(row: &Row<'_>) -> rusqlite::Result<OutboundRow> {
    Ok(OutboundRow {
        id: row.get(0)?,
        comment_id: row.get::<_, i64>(1)? as u64,
        session_id: row.get(2)?,
        payload: row.get(3)?,
        state: row.get(4)?,
        attempts: row.get(5)?,
        last_error: row.get(6)?,
        created_at: row.get(7)?,
        delivered_at: row.get(8)?,
    })
}

const OUTBOUND_COLUMNS: &str =
    "id, comment_id, session_id, payload, state, attempts, last_error, created_at, delivered_at";

impl Store {
    pub fn url_keys(&self) -> Result<Vec<UrlKeyRow>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement = sqlite
            .prepare("SELECT id, created_at, retired_at FROM url_keys ORDER BY created_at, id")?;
        let rows = statement.query_map([], |row| {
            Ok(UrlKeyRow {
                id: row.get(0)?,
                created_at: row.get(1)?,
                retired_at: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Makes `id` the current key and retires every other current one at `at`, in one transaction.
    pub fn switch_url_key(&self, id: &str, at: &str) -> Result<(), StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        tx.execute(
            "UPDATE url_keys SET retired_at = ?2 WHERE retired_at IS NULL AND id != ?1",
            params![id, at],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO url_keys (id, created_at) VALUES (?1, ?2)",
            params![id, at],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets a retired key (its grace period is over).
    pub fn forget_url_key(&self, id: &str) -> Result<(), StoreError> {
        self.lock()?.execute(
            "DELETE FROM url_keys WHERE id = ?1 AND retired_at IS NOT NULL",
            params![id],
        )?;
        Ok(())
    }

    /// Deliveries waiting for the worker, due at `now_ms`, oldest first.
    pub fn queued_deliveries(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement = sqlite.prepare(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries
             WHERE state = 'queued' AND next_attempt_ms <= ?1 ORDER BY id LIMIT ?2"
        ))?;
        let rows = statement.query_map(params![now_ms, limit as i64], delivery_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// When the next queued delivery is due, if any.
    pub fn next_delivery_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.lock()?.query_row(
            "SELECT MIN(next_attempt_ms) FROM deliveries WHERE state = 'queued'",
            [],
            |row| row.get(0),
        )?)
    }

    /// Settles deliveries: `state` (`done`, `not_ours`, `unreadable`, `failed`) with what became of them.
    pub fn settle_deliveries(
        &self,
        ids: &[i64],
        state: &str,
        outcome: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        for id in ids {
            tx.execute(
                "UPDATE deliveries SET state = ?2, outcome = ?3, attempts = attempts + 1, finished_ms = ?4
                 WHERE id = ?1",
                params![id, state, outcome, millis(now)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Tries the deliveries again at `next_ms`, saying why they wait.
    pub fn retry_deliveries(
        &self,
        ids: &[i64],
        next_ms: i64,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        for id in ids {
            tx.execute(
                "UPDATE deliveries SET attempts = attempts + 1, next_attempt_ms = ?2, outcome = ?3 WHERE id = ?1",
                params![id, next_ms, reason],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Queues a stored delivery again (the console's replay); `false` when there is none to replay.
    pub fn requeue_delivery(&self, id: i64) -> Result<bool, StoreError> {
        let changed = self.lock()?.execute(
            "UPDATE deliveries SET state = 'queued', next_attempt_ms = 0, outcome = 'replayed'
             WHERE id = ?1 AND verdict = 'accepted'",
            params![id],
        )?;
        Ok(changed > 0)
    }

    pub fn delivery(&self, id: i64) -> Result<Option<DeliveryRow>, StoreError> {
        Ok(self
            .lock()?
            .query_row(
                &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?1"),
                params![id],
                delivery_from_row,
            )
            .optional()?)
    }

    /// When a delivery was settled (milliseconds since the epoch), if it was.
    pub fn delivery_finished_ms(&self, id: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .lock()?
            .query_row(
                "SELECT finished_ms FROM deliveries WHERE id = ?1",
                params![id],
                |row| row.get(0),
            )
            .optional()?
            .flatten())
    }

    /// The newest deliveries (after `after_id`, for a live stream), oldest first.
    pub fn recent_deliveries(
        &self,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement = sqlite.prepare(&format!(
            "SELECT * FROM (SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id > ?1 ORDER BY id DESC LIMIT ?2)
             ORDER BY id"
        ))?;
        let rows = statement.query_map(params![after_id, limit as i64], delivery_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The newest session written to `ticket_id`.
    pub fn session_for_ticket(&self, ticket_id: u64) -> Result<Option<SessionId>, StoreError> {
        let id: Option<String> = self
            .lock()?
            .query_row(
                "SELECT id FROM sessions WHERE ticket_id = ?1 ORDER BY updated_ms DESC LIMIT 1",
                params![ticket_id as i64],
                |row| row.get(0),
            )
            .optional()?;
        id.map(|id| {
            SessionId::parse(&id).map_err(|_| StoreError::Corrupt(format!("sessions.id = {id:?}")))
        })
        .transpose()
    }

    /// The id of the last comment of `ticket_id` the relay delivered (0 when none).
    pub fn ticket_cursor(&self, ticket_id: u64) -> Result<u64, StoreError> {
        let last: Option<i64> = self
            .lock()?
            .query_row(
                "SELECT last_comment_id FROM ticket_cursors WHERE ticket_id = ?1",
                params![ticket_id as i64],
                |row| row.get(0),
            )
            .optional()?;
        Ok(last.unwrap_or(0) as u64)
    }

    /// Records a rep's reply in one transaction: the comment as delivered (a comment already delivered is
    /// left alone: `false`), the agent turn on the session (which makes it human-active), the ticket's cursor,
    /// and the outbound message. All or nothing, so a crash never delivers a reply twice or loses one.
    pub fn record_reply(&self, reply: &Reply, now: Timestamp) -> Result<bool, StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        let fresh = tx.execute(
            "INSERT OR IGNORE INTO delivered_comments (comment_id, ticket_id, session_id, at) VALUES (?1, ?2, ?3, ?4)",
            params![reply.comment_id as i64, reply.ticket_id as i64, reply.session_id.to_string(), now.to_string()],
        )? > 0;
        if fresh {
            let seq: i64 = tx.query_row(
                "SELECT COUNT(*) FROM turns WHERE session_id = ?1",
                params![reply.session_id.to_string()],
                |row| row.get(0),
            )?;
            let turn = Turn {
                seq: seq as usize,
                role: Role::Agent,
                text: reply.text.clone(),
                at: reply.at,
            };
            insert_turn(&tx, reply.session_id, &turn)?;
            tx.execute(
                "UPDATE sessions SET human_active = 1, updated_at = ?2, updated_ms = ?3 WHERE id = ?1",
                params![reply.session_id.to_string(), now.to_string(), millis(now)],
            )?;
            if let Some(payload) = &reply.outbound {
                tx.execute(
                    "INSERT OR IGNORE INTO outbound (comment_id, session_id, payload, next_attempt_ms, created_at)
                     VALUES (?1, ?2, ?3, 0, ?4)",
                    params![reply.comment_id as i64, reply.session_id.to_string(), payload, now.to_string()],
                )?;
            }
        }
        tx.execute(
            "INSERT INTO ticket_cursors (ticket_id, last_comment_id) VALUES (?1, ?2)
             ON CONFLICT (ticket_id) DO UPDATE SET last_comment_id = MAX(last_comment_id, excluded.last_comment_id)",
            params![reply.ticket_id as i64, reply.comment_id as i64],
        )?;
        tx.commit()?;
        Ok(fresh)
    }

    pub fn due_outbound(&self, now_ms: i64, limit: usize) -> Result<Vec<OutboundRow>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement = sqlite.prepare(&format!(
            "SELECT {OUTBOUND_COLUMNS} FROM outbound WHERE state = 'pending' AND next_attempt_ms <= ?1
             ORDER BY id LIMIT ?2"
        ))?;
        let rows = statement.query_map(params![now_ms, limit as i64], outbound_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn next_outbound_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.lock()?.query_row(
            "SELECT MIN(next_attempt_ms) FROM outbound WHERE state = 'pending'",
            [],
            |row| row.get(0),
        )?)
    }

    /// `delivered`, or `dead` (the retry budget is spent), or still `pending` until `next_ms` with the error.
    pub fn settle_outbound(
        &self,
        id: i64,
        state: &str,
        next_ms: i64,
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.lock()?.execute(
            "UPDATE outbound SET state = ?2, attempts = attempts + 1, next_attempt_ms = ?3, last_error = ?4,
                 delivered_at = CASE WHEN ?2 = 'delivered' THEN ?5 ELSE delivered_at END
             WHERE id = ?1",
            params![id, state, next_ms, error, now.to_string()],
        )?;
        Ok(())
    }

    pub fn outbound_messages(&self, limit: usize) -> Result<Vec<OutboundRow>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement = sqlite.prepare(&format!(
            "SELECT {OUTBOUND_COLUMNS} FROM outbound ORDER BY id DESC LIMIT ?1"
        ))?;
        let rows = statement.query_map(params![limit as i64], outbound_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Deliveries queued, and outbound messages pending (for `/metrics`).
    pub fn relay_queue_depth(&self) -> Result<(i64, i64), StoreError> {
        Ok(self.lock()?.query_row(
            "SELECT (SELECT COUNT(*) FROM deliveries WHERE state = 'queued'),
                    (SELECT COUNT(*) FROM outbound WHERE state = 'pending')",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?)
    }
}

/// The group-commit writer of deliveries: see the module docs. Dropping every handle ends its thread.
#[derive(Clone)]
pub struct DeliveryWriter {
    queue: mpsc::Sender<Pending>,
}

type Pending = (
    NewDelivery,
    tokio::sync::oneshot::Sender<Result<DeliveryInsert, StoreError>>,
);

/// The most deliveries one transaction takes.
const BATCH: usize = 256;

impl DeliveryWriter {
    /// Opens its own connection to the database in `data_dir` (WAL: it writes while others read).
    pub fn spawn(path: &Path) -> Result<DeliveryWriter, StoreError> {
        let sqlite = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        sqlite.pragma_update(None, "journal_mode", "WAL")?;
        sqlite.pragma_update(None, "synchronous", "FULL")?;
        sqlite.busy_timeout(std::time::Duration::from_secs(5))?;
        let (queue, waiting) = mpsc::channel::<Pending>();
        std::thread::Builder::new()
            .name("delivery-writer".into())
            .spawn(move || write_batches(sqlite, waiting))
            .map_err(|error| StoreError::Task(error.to_string()))?;
        Ok(DeliveryWriter { queue })
    }

    /// Stores `delivery`; resolves once it is durable (committed).
    pub async fn store(&self, delivery: NewDelivery) -> Result<DeliveryInsert, StoreError> {
        let (done, answer) = tokio::sync::oneshot::channel();
        self.queue
            .send((delivery, done))
            .map_err(|_| StoreError::Task("the delivery writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Task("the delivery writer stopped".into()))?
    }
}

fn write_batches(mut sqlite: Connection, waiting: mpsc::Receiver<Pending>) {
    while let Ok(first) = waiting.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match waiting.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let outcome = insert_batch(&mut sqlite, &batch);
        for (index, (_, done)) in batch.into_iter().enumerate() {
            let answer = match &outcome {
                Ok(inserted) => inserted
                    .get(index)
                    .copied()
                    .ok_or_else(|| StoreError::Task("the delivery writer lost a row".into())),
                Err(error) => Err(StoreError::Task(format!(
                    "the delivery could not be stored: {error}"
                ))),
            };
            let _ = done.send(answer);
        }
    }
}

fn insert_batch(
    sqlite: &mut Connection,
    batch: &[Pending],
) -> Result<Vec<DeliveryInsert>, StoreError> {
    let tx = sqlite.transaction()?;
    let mut inserted = Vec::with_capacity(batch.len());
    let mut rejected = false;
    for (delivery, _) in batch {
        let accepted = delivery.rejection.is_none();
        rejected |= !accepted;
        // Cached: a burst runs this statement hundreds of times a second, and parsing it each time costs more
        // than the insert.
        let mut insert = tx.prepare_cached(
            "INSERT INTO deliveries (invocation_id, webhook_id, received_at, received_ms, verdict, reason, key_id,
                 signed, body, ticket_id, external_id, state, outcome)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (invocation_id) WHERE invocation_id IS NOT NULL
             DO UPDATE SET duplicates = duplicates + 1
             RETURNING id, duplicates",
        )?;
        let (id, duplicates): (i64, i64) = insert.query_row(
            params![
                // A rejected delivery is not the invocation it claims to be: it never shadows a real one.
                if accepted {
                    delivery.invocation_id.clone()
                } else {
                    None
                },
                delivery.webhook_id,
                delivery.received_at.to_string(),
                millis(delivery.received_at),
                if accepted { "accepted" } else { "rejected" },
                delivery.rejection,
                delivery.key_id,
                delivery.signed,
                if accepted { Some(&delivery.body) } else { None },
                delivery.ticket_id.map(|id| id as i64),
                delivery.external_id,
                delivery.state,
                delivery.outcome,
            ],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        inserted.push(DeliveryInsert {
            id,
            duplicate: duplicates > 0,
        });
    }
    if rejected {
        tx.execute(
            "DELETE FROM deliveries WHERE verdict = 'rejected' AND id <=
                 (SELECT id FROM deliveries WHERE verdict = 'rejected' ORDER BY id DESC LIMIT 1 OFFSET ?1)",
            params![REJECTIONS_KEPT],
        )?;
    }
    tx.commit()?;
    Ok(inserted)
}
