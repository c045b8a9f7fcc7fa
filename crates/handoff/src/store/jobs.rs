//! The durable handoff queue, the tickets the engine wrote, and the worker lease.
//!
//! Invariants: a job is never deleted; it leaves `pending` only for `done` (its ticket recorded on the session
//! in the same transaction) or `failed` (with the reason). Jobs of one session run in id order: a job is due
//! only when no earlier job of its session is still pending.

use jiff::Timestamp;
use rusqlite::{params, OptionalExtension};

use super::{millis, Store, StoreError};
use crate::session::SessionId;

/// Makes the ticket when a session starts ("create a ticket for every conversation").
pub const JOB_OPEN_TICKET: &str = "open";
/// Writes the handoff to the ticket.
pub const JOB_HANDOFF: &str = "handoff";

/// A queued job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: i64,
    pub session_id: String,
    /// [`JOB_OPEN_TICKET`] or [`JOB_HANDOFF`].
    pub kind: String,
    pub request_id: String,
    /// Turns the job writes up to (exclusive): the session's turn count when it was queued.
    pub turns_upto: usize,
    pub attempts: u32,
    pub next_attempt_ms: i64,
    /// Set while a Zendesk call of this job is under way.
    pub in_flight_owner: Option<String>,
    /// An earlier attempt may have reached Zendesk: look before writing.
    pub uncertain: bool,
    pub reason: Option<String>,
    /// The ticket content, fixed at the first attempt so every retry sends the same body.
    pub draft: Option<String>,
    /// The Zendesk user made for a contact without email, once known.
    pub requester_id: Option<u64>,
}

/// What a finished job wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobOutcome {
    pub ticket_id: u64,
    pub requester_id: Option<u64>,
    /// The job created the ticket (rather than updating one).
    pub created: bool,
    pub turns_upto: usize,
}

/// Who holds the worker lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    pub owner: String,
    pub heartbeat_ms: i64,
}

const JOB_COLUMNS: &str =
    "id, session_id, kind, request_id, turns_upto, attempts, next_attempt_ms, in_flight_owner,
    uncertain, reason, draft, requester_id";

fn job_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<JobRow> {
    Ok(JobRow {
        id: row.get(0)?,
        session_id: row.get(1)?,
        kind: row.get(2)?,
        request_id: row.get(3)?,
        turns_upto: row.get::<_, i64>(4)?.max(0) as usize,
        attempts: row.get::<_, i64>(5)?.clamp(0, i64::from(u32::MAX)) as u32,
        next_attempt_ms: row.get(6)?,
        in_flight_owner: row.get(7)?,
        uncertain: row.get(8)?,
        reason: row.get(9)?,
        draft: row.get(10)?,
        requester_id: row.get::<_, Option<i64>>(11)?.map(|id| id as u64),
    })
}

impl Store {
    /// Pending jobs due at `now_ms`, oldest first, each the earliest pending job of its session.
    pub fn due_jobs(&self, now_ms: i64, limit: usize) -> Result<Vec<JobRow>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement = sqlite.prepare(&format!(
            "SELECT {JOB_COLUMNS} FROM handoff_jobs j WHERE state = 'pending' AND next_attempt_ms <= ?1
               AND NOT EXISTS (SELECT 1 FROM handoff_jobs e WHERE e.session_id = j.session_id
                               AND e.state = 'pending' AND e.id < j.id)
             ORDER BY next_attempt_ms, id LIMIT ?2"
        ))?;
        let rows = statement.query_map(params![now_ms, limit as i64], job_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many jobs are pending, and when the next one is due (ms).
    pub fn pending_jobs(&self) -> Result<(usize, Option<i64>), StoreError> {
        Ok(self.lock()?.query_row(
            "SELECT COUNT(*), MIN(next_attempt_ms) FROM handoff_jobs WHERE state = 'pending'",
            [],
            |row| Ok((row.get::<_, i64>(0)?.max(0) as usize, row.get(1)?)),
        )?)
    }

    /// A job by id.
    pub fn job(&self, id: i64) -> Result<Option<JobRow>, StoreError> {
        Ok(self
            .lock()?
            .query_row(
                &format!("SELECT {JOB_COLUMNS} FROM handoff_jobs WHERE id = ?1"),
                params![id],
                job_from_row,
            )
            .optional()?)
    }

    /// Marks a Zendesk call of the job as under way, durably, before it is sent.
    pub fn begin_attempt(&self, job_id: i64, owner: &str) -> Result<(), StoreError> {
        self.lock()?.execute(
            "UPDATE handoff_jobs SET attempts = attempts + 1, in_flight_owner = ?2 WHERE id = ?1",
            params![job_id, owner],
        )?;
        Ok(())
    }

    pub fn save_draft(&self, job_id: i64, draft: &str) -> Result<(), StoreError> {
        self.lock()?.execute(
            "UPDATE handoff_jobs SET draft = ?2 WHERE id = ?1",
            params![job_id, draft],
        )?;
        Ok(())
    }

    pub fn save_job_requester(&self, job_id: i64, requester_id: u64) -> Result<(), StoreError> {
        self.lock()?.execute(
            "UPDATE handoff_jobs SET requester_id = ?2 WHERE id = ?1",
            params![job_id, requester_id as i64],
        )?;
        Ok(())
    }

    /// Puts the job back in the queue until `next_ms`, with the reason shown on its session.
    pub fn retry_job_later(
        &self,
        job: &JobRow,
        next_ms: i64,
        reason: &str,
        uncertain: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        tx.execute(
            "UPDATE handoff_jobs SET next_attempt_ms = ?2, reason = ?3, uncertain = uncertain OR ?4,
                 in_flight_owner = NULL WHERE id = ?1",
            params![job.id, next_ms, reason, uncertain],
        )?;
        // The session shows why its handoff waits (also while an earlier job of the session holds it up).
        tx.execute(
            "UPDATE sessions SET handoff_reason = ?2, updated_at = ?3, updated_ms = ?4
             WHERE id = ?1 AND handoff_state = 'pending'",
            params![job.session_id, reason, now.to_string(), millis(now)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Finishes a job: the ticket is recorded on the session (and what is known of the ticket), in one
    /// transaction with the job's `done`.
    pub fn finish_job(
        &self,
        job: &JobRow,
        outcome: &JobOutcome,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        tx.execute(
            "UPDATE handoff_jobs SET state = 'done', in_flight_owner = NULL, reason = NULL, ticket_id = ?2,
                 created = ?3, finished_at = ?4 WHERE id = ?1",
            params![job.id, outcome.ticket_id as i64, outcome.created, now.to_string()],
        )?;
        tx.execute(
            "INSERT INTO tickets (id, requester_id, closed) VALUES (?1, ?2, 0)
             ON CONFLICT (id) DO UPDATE SET requester_id = COALESCE(excluded.requester_id, tickets.requester_id)",
            params![outcome.ticket_id as i64, outcome.requester_id.map(|id| id as i64)],
        )?;
        let handoff = job.kind == JOB_HANDOFF;
        tx.execute(
            "UPDATE sessions SET ticket_id = ?2, synced_turns = MAX(synced_turns, ?3),
                 handoff_state = CASE WHEN ?4 THEN 'done' ELSE handoff_state END,
                 handoff_reason = CASE WHEN ?4 THEN NULL ELSE handoff_reason END,
                 updated_at = ?5, updated_ms = ?6
             WHERE id = ?1",
            params![
                job.session_id,
                outcome.ticket_id as i64,
                outcome.turns_upto as i64,
                handoff,
                now.to_string(),
                millis(now)
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Gives up on a job for good, with the reason on it (and on its session, for a handoff).
    pub fn fail_job(&self, job: &JobRow, reason: &str, now: Timestamp) -> Result<(), StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        tx.execute(
            "UPDATE handoff_jobs SET state = 'failed', in_flight_owner = NULL, reason = ?2, finished_at = ?3
             WHERE id = ?1",
            params![job.id, reason, now.to_string()],
        )?;
        if job.kind == JOB_HANDOFF {
            tx.execute(
                "UPDATE sessions SET handoff_state = 'failed', handoff_reason = ?2, updated_at = ?3, updated_ms = ?4
                 WHERE id = ?1",
                params![job.session_id, reason, now.to_string(), millis(now)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Zendesk said the ticket is closed: the next write to it becomes a follow-up.
    pub fn mark_ticket_closed(&self, ticket_id: u64) -> Result<(), StoreError> {
        self.lock()?.execute(
            "UPDATE tickets SET closed = 1 WHERE id = ?1",
            params![ticket_id as i64],
        )?;
        Ok(())
    }

    /// Zendesk no longer has the ticket (deleted): sessions on it start afresh.
    pub fn forget_ticket(&self, ticket_id: u64) -> Result<(), StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        tx.execute(
            "UPDATE sessions SET ticket_id = NULL, synced_turns = 0 WHERE ticket_id = ?1",
            params![ticket_id as i64],
        )?;
        tx.execute(
            "DELETE FROM tickets WHERE id = ?1",
            params![ticket_id as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Takes the worker lease for `owner` unless a live worker (heartbeat at or after `stale_before_ms`) holds
    /// it; returns that worker when it does.
    pub fn acquire_worker_lease(
        &self,
        owner: &str,
        now_ms: i64,
        stale_before_ms: i64,
    ) -> Result<Option<LeaseHolder>, StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        let holder: Option<LeaseHolder> = tx
            .query_row(
                "SELECT owner, heartbeat_ms FROM handoff_worker WHERE id = 1",
                [],
                |row| {
                    Ok(LeaseHolder {
                        owner: row.get(0)?,
                        heartbeat_ms: row.get(1)?,
                    })
                },
            )
            .optional()?;
        if let Some(holder) = holder {
            if holder.owner != owner && holder.heartbeat_ms >= stale_before_ms {
                return Ok(Some(holder));
            }
        }
        tx.execute(
            "INSERT INTO handoff_worker (id, owner, heartbeat_ms) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, heartbeat_ms = excluded.heartbeat_ms",
            params![owner, now_ms],
        )?;
        tx.commit()?;
        Ok(None)
    }

    /// Renews the lease; `false` when another worker took it over (this one must stop).
    pub fn renew_worker_lease(&self, owner: &str, now_ms: i64) -> Result<bool, StoreError> {
        let changed = self.lock()?.execute(
            "UPDATE handoff_worker SET heartbeat_ms = ?2 WHERE id = 1 AND owner = ?1",
            params![owner, now_ms],
        )?;
        Ok(changed == 1)
    }

    pub fn release_worker_lease(&self, owner: &str) -> Result<(), StoreError> {
        self.lock()?.execute(
            "DELETE FROM handoff_worker WHERE id = 1 AND owner = ?1",
            params![owner],
        )?;
        Ok(())
    }

    /// The jobs of a session, oldest first (for tests and diagnostics).
    pub fn session_jobs(&self, id: SessionId) -> Result<Vec<JobRow>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement = sqlite.prepare(&format!(
            "SELECT {JOB_COLUMNS} FROM handoff_jobs WHERE session_id = ?1 ORDER BY id"
        ))?;
        let rows = statement.query_map(params![id.to_string()], job_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
