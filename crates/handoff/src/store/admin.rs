//! What verification, troubleshooting, rotation and disconnect read and change: the steps of each
//! verification, the version of the relay's secrets (so a running relay sees a rotation at once), the handoff
//! queue and outbound queue in summary, and the local side of a disconnect.
//!
//! Invariants: a disconnect removes the connection and what only makes sense with it (setup's object ids, the
//! URL keys' ids) in one transaction; the conversation data goes only when asked for by name
//! ([`Store::forget_data`]). Nothing here holds a secret: steps and summaries are evidence for people.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// The `meta` key a rotation of any relay secret bumps.
const RELAY_SECRETS_VERSION: &str = "relay_secrets_version";

/// The handoff queue in numbers, with the newest reasons, for troubleshooting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueSummary {
    pub pending: usize,
    pub done: usize,
    pub failed: usize,
    /// Pending jobs whose last attempt was refused or could not reach Zendesk (they wait for a retry).
    pub retrying: usize,
    /// The newest reasons of failed jobs, newest first: (session id, reason, finished at).
    pub recent_failures: Vec<(String, String, Option<String>)>,
    /// The reasons pending jobs wait, newest first: (session id, reason).
    pub waiting: Vec<(String, String)>,
    /// Sessions with more than one ticket made by handoffs (each a created ticket): would be duplicates.
    pub sessions_with_several_created: Vec<(String, Vec<u64>)>,
    /// Who holds the worker seat: (owner, last heartbeat in ms).
    pub worker: Option<(String, i64)>,
}

/// The outbound queue (replies to the AI platform) in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundSummary {
    pub pending: usize,
    pub delivered: usize,
    pub dead: usize,
    /// The newest errors of messages not delivered: (session id, error).
    pub recent_errors: Vec<(String, String)>,
}

/// A handoff job as troubleshooting shows it: its state and outcome, never its draft (the ticket's content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSummary {
    pub id: i64,
    pub session_id: String,
    pub kind: String,
    pub request_id: String,
    /// `pending`, `done` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub reason: Option<String>,
    pub ticket_id: Option<u64>,
    pub created: Option<bool>,
    pub requested_at: String,
    pub finished_at: Option<String>,
}

/// What [`Store::forget_data`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub sessions: usize,
    pub deliveries: usize,
}

impl Store {
    /// Keeps a verification's result with its steps (JSON, for the Verify screen's last run); returns its id.
    pub fn record_verification_steps(
        &self,
        row: &super::VerificationRow,
        steps_json: &str,
    ) -> Result<i64, StoreError> {
        let sqlite = self.lock()?;
        sqlite.execute(
            "INSERT INTO verifications (started_at, finished_at, passed, failed_step, detail, steps)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                row.started_at,
                row.finished_at,
                row.passed,
                row.failed_step,
                row.detail,
                steps_json
            ],
        )?;
        Ok(sqlite.last_insert_rowid())
    }

    /// The steps (JSON) of the newest verification, when it kept them.
    pub fn last_verification_steps(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .lock()?
            .query_row(
                "SELECT steps FROM verifications ORDER BY id DESC LIMIT 1",
                [],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// The version of the relay's secrets: changes whenever a URL key or the signing secret changes.
    pub fn relay_secrets_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .lock()?
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                params![RELAY_SECRETS_VERSION],
                |row| row.get::<_, String>(0),
            )
            .optional()?
            .and_then(|text| text.parse().ok())
            .unwrap_or(0))
    }

    /// Marks the relay's secrets as changed, so every relay on this data folder reads them again at its next
    /// delivery that does not match.
    pub fn bump_relay_secrets_version(&self) -> Result<(), StoreError> {
        self.lock()?.execute(
            "INSERT INTO meta (key, value) VALUES (?1, '1')
             ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
            params![RELAY_SECRETS_VERSION],
        )?;
        Ok(())
    }

    /// The handoff queue in summary.
    pub fn queue_summary(&self, recent: usize) -> Result<QueueSummary, StoreError> {
        let sqlite = self.lock()?;
        let mut summary = QueueSummary::default();
        let mut counts =
            sqlite.prepare("SELECT state, COUNT(*) FROM handoff_jobs GROUP BY state")?;
        for row in counts.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })? {
            let (state, count) = row?;
            let count = count.max(0) as usize;
            match state.as_str() {
                "pending" => summary.pending = count,
                "done" => summary.done = count,
                "failed" => summary.failed = count,
                _ => {}
            }
        }
        summary.retrying = sqlite.query_row(
            "SELECT COUNT(*) FROM handoff_jobs WHERE state = 'pending' AND attempts > 0",
            [],
            |row| row.get::<_, i64>(0),
        )? as usize;
        let mut failures = sqlite.prepare(
            "SELECT session_id, COALESCE(reason, ''), finished_at FROM handoff_jobs WHERE state = 'failed'
             ORDER BY id DESC LIMIT ?1",
        )?;
        summary.recent_failures = failures
            .query_map(params![recent as i64], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut waiting = sqlite.prepare(
            "SELECT session_id, reason FROM handoff_jobs WHERE state = 'pending' AND reason IS NOT NULL
             ORDER BY id DESC LIMIT ?1",
        )?;
        summary.waiting = waiting
            .query_map(params![recent as i64], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut several = sqlite.prepare(
            "SELECT session_id, GROUP_CONCAT(ticket_id) FROM handoff_jobs
             WHERE state = 'done' AND created = 1 AND ticket_id IS NOT NULL
             GROUP BY session_id HAVING COUNT(DISTINCT ticket_id) > 1 LIMIT ?1",
        )?;
        summary.sessions_with_several_created = several
            .query_map(params![recent as i64], |row| {
                let ids: String = row.get(1)?;
                Ok((
                    row.get(0)?,
                    ids.split(',').filter_map(|id| id.parse().ok()).collect(),
                ))
            })?
            .collect::<Result<_, _>>()?;
        summary.worker = sqlite
            .query_row(
                "SELECT owner, heartbeat_ms FROM handoff_worker WHERE id = 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(summary)
    }

    /// The newest handoff jobs, newest first.
    pub fn recent_jobs(&self, limit: usize) -> Result<Vec<JobSummary>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement = sqlite.prepare(
            "SELECT id, session_id, kind, request_id, state, attempts, reason, ticket_id, created, requested_at,
                    finished_at
             FROM handoff_jobs ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = statement.query_map(params![limit as i64], |row| {
            Ok(JobSummary {
                id: row.get(0)?,
                session_id: row.get(1)?,
                kind: row.get(2)?,
                request_id: row.get(3)?,
                state: row.get(4)?,
                attempts: row.get::<_, i64>(5)?.clamp(0, i64::from(u32::MAX)) as u32,
                reason: row.get(6)?,
                ticket_id: row.get::<_, Option<i64>>(7)?.map(|id| id as u64),
                created: row.get(8)?,
                requested_at: row.get(9)?,
                finished_at: row.get(10)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The outbound queue in summary.
    pub fn outbound_summary(&self, recent: usize) -> Result<OutboundSummary, StoreError> {
        let sqlite = self.lock()?;
        let mut summary = OutboundSummary::default();
        let mut counts = sqlite.prepare("SELECT state, COUNT(*) FROM outbound GROUP BY state")?;
        for row in counts.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })? {
            let (state, count) = row?;
            let count = count.max(0) as usize;
            match state.as_str() {
                "pending" => summary.pending = count,
                "delivered" => summary.delivered = count,
                "dead" => summary.dead = count,
                _ => {}
            }
        }
        let mut errors = sqlite.prepare(
            "SELECT session_id, last_error FROM outbound WHERE state != 'delivered' AND last_error IS NOT NULL
             ORDER BY id DESC LIMIT ?1",
        )?;
        summary.recent_errors = errors
            .query_map(params![recent as i64], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(summary)
    }

    /// The local side of a disconnect, in one transaction: the connection row, setup's object ids (the objects
    /// are gone or no longer ours to change) and the URL keys' ids (their secrets leave the keychain with it).
    /// Settings, sessions, deliveries and verifications stay.
    pub fn forget_connection(&self) -> Result<(), StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        tx.execute("DELETE FROM connection", [])?;
        tx.execute("DELETE FROM setup_objects", [])?;
        tx.execute("DELETE FROM url_keys", [])?;
        tx.execute("DELETE FROM refresh_lease", [])?;
        tx.execute(
            "DELETE FROM meta WHERE key = ?1",
            params![RELAY_SECRETS_VERSION],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets the conversations and everything about them (sessions, turns, the handoff queue, the tickets
    /// the engine wrote, deliveries, replies delivered and the outbound queue, assist notes, verification
    /// results, dropped field values). Settings, the API keys and the field mappings stay.
    pub fn forget_data(&self) -> Result<Forgotten, StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        let sessions = tx.query_row("SELECT COUNT(*) FROM sessions", [], |row| {
            row.get::<_, i64>(0)
        })?;
        let deliveries = tx.query_row("SELECT COUNT(*) FROM deliveries", [], |row| {
            row.get::<_, i64>(0)
        })?;
        for table in [
            "outbound",
            "delivered_comments",
            "ticket_cursors",
            "deliveries",
            "handoff_jobs",
            "turns",
            "sessions",
            "tickets",
            "assist_notes",
            "dropped_field_values",
            "verifications",
        ] {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        tx.commit()?;
        Ok(Forgotten {
            sessions: sessions.max(0) as usize,
            deliveries: deliveries.max(0) as usize,
        })
    }
}
