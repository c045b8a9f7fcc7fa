//! Sessions and their turns.

use jiff::Timestamp;
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::{jobs::JOB_OPEN_TICKET, millis, Store, StoreError};
use crate::session::derive::Derived;
use crate::session::{
    Channel, Contact, HandoffState, Language, Mode, Role, Sentiment, Session, SessionError,
    SessionId, SessionSummary, SessionTicket, Turn, MAX_TURNS,
};

/// The request id of the job that opens a session's ticket when it starts.
pub const OPEN_TICKET_REQUEST: &str = "session-start";

const SESSION_COLUMNS: &str = "s.id, s.contact_name, s.contact_email, s.contact_phone, s.contact_external_id,
    s.channel, s.mode, s.summary, s.sentiment, s.language, s.human_active, s.ticket_id, t.requester_id, t.closed,
    s.synced_turns, s.handoff_state, s.handoff_reason, s.created_at, s.updated_at";

impl Store {
    /// Inserts a new session with its turns; with `open_ticket`, also queues the job that makes its ticket now.
    pub fn insert_session(
        &self,
        session: &Session,
        open_ticket: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        tx.execute(
            "INSERT INTO sessions (id, contact_name, contact_email, contact_phone, contact_external_id, channel, mode,
                 summary, sentiment, language, human_active, handoff_state, created_at, updated_at, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'none', ?12, ?12, ?13)",
            params![
                session.id.to_string(),
                session.contact.name,
                session.contact.email,
                session.contact.phone,
                session.contact.external_id,
                session.channel.as_str(),
                session.mode.as_str(),
                session.summary,
                session.sentiment.map(Sentiment::as_str),
                session.language.as_ref().map(Language::as_str),
                session.human_active,
                now.to_string(),
                millis(now),
            ],
        )?;
        for turn in &session.turns {
            insert_turn(&tx, session.id, turn)?;
        }
        if open_ticket {
            tx.execute(
                "INSERT INTO handoff_jobs (session_id, kind, request_id, turns_upto, next_attempt_ms, requested_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    session.id.to_string(),
                    JOB_OPEN_TICKET,
                    OPEN_TICKET_REQUEST,
                    session.turns.len() as i64,
                    millis(now),
                    now.to_string()
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Appends a turn in one transaction: refuses an AI turn once a rep owns the conversation, and makes the
    /// session human-active on an agent turn.
    pub fn append_turn(
        &self,
        id: SessionId,
        mut turn: Turn,
        now: Timestamp,
    ) -> Result<Turn, SessionError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction().map_err(StoreError::from)?;
        let state: Option<(bool, i64)> = tx
            .query_row(
                "SELECT human_active, (SELECT COUNT(*) FROM turns WHERE session_id = ?1) FROM sessions WHERE id = ?1",
                params![id.to_string()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(StoreError::from)?;
        let Some((human_active, count)) = state else {
            return Err(SessionError::NotFound(id));
        };
        if turn.role == Role::Ai && human_active {
            return Err(SessionError::HumanActive(id));
        }
        if count as usize >= MAX_TURNS {
            return Err(SessionError::invalid(
                "turn",
                format!("the session already has {MAX_TURNS} turns"),
            ));
        }
        turn.seq = count as usize;
        insert_turn(&tx, id, &turn)?;
        tx.execute(
            "UPDATE sessions SET human_active = human_active OR ?2, updated_at = ?3, updated_ms = ?4 WHERE id = ?1",
            params![id.to_string(), turn.role == Role::Agent, now.to_string(), millis(now)],
        )
        .map_err(StoreError::from)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(turn)
    }

    /// A session with its turns; `None` when there is none with this id.
    pub fn session(&self, id: SessionId) -> Result<Option<Session>, StoreError> {
        let sqlite = self.lock()?;
        let found = sqlite
            .query_row(
                &format!("SELECT {SESSION_COLUMNS} FROM sessions s LEFT JOIN tickets t ON t.id = s.ticket_id WHERE s.id = ?1"),
                params![id.to_string()],
                session_from_row,
            )
            .optional()?;
        let Some(session) = found else {
            return Ok(None);
        };
        let mut session = session?;
        let mut statement = sqlite
            .prepare("SELECT seq, role, text, at FROM turns WHERE session_id = ?1 ORDER BY seq")?;
        let rows = statement.query_map(params![id.to_string()], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        for row in rows {
            let (seq, role, text, at) = row?;
            session.turns.push(Turn {
                seq: seq as usize,
                role: Role::parse(&role).map_err(|_| corrupt("turns.role", &role))?,
                text,
                at: at.parse().map_err(|_| corrupt("turns.at", &at))?,
            });
        }
        Ok(Some(session))
    }

    /// The most recently updated sessions, newest first.
    pub fn list_sessions(&self, limit: usize) -> Result<Vec<SessionSummary>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement = sqlite.prepare(&format!(
            "SELECT {SESSION_COLUMNS}, (SELECT COUNT(*) FROM turns WHERE session_id = s.id)
             FROM sessions s LEFT JOIN tickets t ON t.id = s.ticket_id ORDER BY s.updated_ms DESC, s.id LIMIT ?1"
        ))?;
        let rows = statement.query_map(params![limit as i64], |row| {
            let turns: i64 = row.get(19)?;
            Ok((session_from_row(row)?, turns))
        })?;
        let mut list = Vec::new();
        for row in rows {
            let (session, turns) = row?;
            let session = session?;
            list.push(SessionSummary {
                id: session.id,
                contact: session.contact,
                channel: session.channel,
                mode: session.mode,
                turns: turns as usize,
                human_active: session.human_active,
                ticket_id: session.ticket.map(|t| t.id),
                handoff: session.handoff,
                updated_at: session.updated_at,
            });
        }
        Ok(list)
    }

    /// Queues a handoff, or finds the one queued before under the same request id: `(job id, repeated)`. In
    /// one transaction with the derived values and the session's pending state, so the acknowledgement is
    /// durable.
    pub fn queue_handoff(
        &self,
        id: SessionId,
        request_id: &str,
        derived: &Derived,
        now: Timestamp,
    ) -> Result<(i64, bool), SessionError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction().map_err(StoreError::from)?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM handoff_jobs WHERE session_id = ?1 AND kind = ?2 AND request_id = ?3",
                params![id.to_string(), super::jobs::JOB_HANDOFF, request_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(StoreError::from)?;
        if let Some(job_id) = existing {
            return Ok((job_id, true));
        }
        let turns: Option<i64> = tx
            .query_row(
                "SELECT (SELECT COUNT(*) FROM turns WHERE session_id = ?1) FROM sessions WHERE id = ?1",
                params![id.to_string()],
                |row| row.get(0),
            )
            .optional()
            .map_err(StoreError::from)?;
        let Some(turns) = turns else {
            return Err(SessionError::NotFound(id));
        };
        tx.execute(
            "UPDATE sessions SET summary = ?2, sentiment = ?3, language = ?4, handoff_state = 'pending',
                 handoff_reason = 'queued', updated_at = ?5, updated_ms = ?6 WHERE id = ?1",
            params![
                id.to_string(),
                derived.summary,
                derived.sentiment.as_str(),
                derived.language.as_str(),
                now.to_string(),
                millis(now)
            ],
        )
        .map_err(StoreError::from)?;
        tx.execute(
            "INSERT INTO handoff_jobs (session_id, kind, request_id, turns_upto, next_attempt_ms, requested_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id.to_string(), super::jobs::JOB_HANDOFF, request_id, turns, millis(now), now.to_string()],
        )
        .map_err(StoreError::from)?;
        let job_id = tx.last_insert_rowid();
        tx.commit().map_err(StoreError::from)?;
        Ok((job_id, false))
    }

    /// Whether the session's latest finished handoff created its ticket.
    pub fn latest_handoff_created(&self, id: SessionId) -> Result<Option<bool>, StoreError> {
        Ok(self
            .lock()?
            .query_row(
                "SELECT created FROM handoff_jobs WHERE session_id = ?1 AND kind = ?2 AND state = 'done'
                 ORDER BY id DESC LIMIT 1",
                params![id.to_string(), super::jobs::JOB_HANDOFF],
                |row| row.get::<_, Option<bool>>(0),
            )
            .optional()?
            .flatten())
    }

    /// The newest ticket of another session of the same contact (same email, phone or external id): where a
    /// returning contact's conversation goes. Found locally, never through Zendesk's search (it lags).
    pub fn returning_ticket(&self, session: &Session) -> Result<Option<SessionTicket>, StoreError> {
        let contact = &session.contact;
        Ok(self
            .lock()?
            .query_row(
                "SELECT t.id, t.requester_id, t.closed FROM sessions s JOIN tickets t ON t.id = s.ticket_id
                 WHERE s.id != ?1 AND ((?2 IS NOT NULL AND s.contact_email = ?2)
                     OR (?3 IS NOT NULL AND s.contact_phone = ?3)
                     OR (?4 IS NOT NULL AND s.contact_external_id = ?4))
                 ORDER BY t.id DESC LIMIT 1",
                params![session.id.to_string(), contact.email, contact.phone, contact.external_id],
                ticket_from_row,
            )
            .optional()?)
    }
}

pub(super) fn insert_turn(
    tx: &Transaction<'_>,
    id: SessionId,
    turn: &Turn,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO turns (session_id, seq, role, text, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            id.to_string(),
            turn.seq as i64,
            turn.role.as_str(),
            turn.text,
            turn.at.to_string()
        ],
    )?;
    Ok(())
}

fn ticket_from_row(row: &Row<'_>) -> rusqlite::Result<SessionTicket> {
    Ok(SessionTicket {
        id: row.get::<_, i64>(0)? as u64,
        requester_id: row.get::<_, Option<i64>>(1)?.map(|id| id as u64),
        closed: row.get(2)?,
    })
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} = {value:?}"))
}

/// A session row (without its turns). The outer `Result` is SQLite's; the inner one is a value that does not
/// parse back (edited by hand).
fn session_from_row(row: &Row<'_>) -> rusqlite::Result<Result<Session, StoreError>> {
    let id: String = row.get(0)?;
    let channel: String = row.get(5)?;
    let mode: String = row.get(6)?;
    let sentiment: Option<String> = row.get(8)?;
    let language: Option<String> = row.get(9)?;
    let ticket_id: Option<i64> = row.get(11)?;
    let state: String = row.get(15)?;
    let reason: Option<String> = row.get(16)?;
    let created_at: String = row.get(17)?;
    let updated_at: String = row.get(18)?;
    let ticket = match ticket_id {
        Some(ticket_id) => Some(SessionTicket {
            id: ticket_id as u64,
            requester_id: row.get::<_, Option<i64>>(12)?.map(|id| id as u64),
            closed: row.get::<_, Option<bool>>(13)?.unwrap_or(false),
        }),
        None => None,
    };
    let contact = Contact {
        name: row.get(1)?,
        email: row.get(2)?,
        phone: row.get(3)?,
        external_id: row.get(4)?,
    };
    let human_active: bool = row.get(10)?;
    let summary: Option<String> = row.get(7)?;
    let synced_turns: i64 = row.get(14)?;
    Ok((|| {
        let reason = reason.unwrap_or_default();
        Ok(Session {
            id: SessionId::parse(&id).map_err(|_| corrupt("sessions.id", &id))?,
            contact,
            channel: Channel::parse(&channel).map_err(|_| corrupt("sessions.channel", &channel))?,
            mode: Mode::parse(&mode).map_err(|_| corrupt("sessions.mode", &mode))?,
            turns: Vec::new(),
            summary,
            sentiment: sentiment
                .map(|s| Sentiment::parse(&s).map_err(|_| corrupt("sessions.sentiment", &s)))
                .transpose()?,
            language: language
                .map(|l| Language::parse(&l).map_err(|_| corrupt("sessions.language", &l)))
                .transpose()?,
            human_active,
            ticket,
            synced_turns: synced_turns.max(0) as usize,
            handoff: match state.as_str() {
                "none" => HandoffState::None,
                "pending" => HandoffState::Pending { reason },
                "done" => HandoffState::Done,
                "failed" => HandoffState::Failed { reason },
                other => return Err(corrupt("sessions.handoff_state", other)),
            },
            created_at: created_at
                .parse()
                .map_err(|_| corrupt("sessions.created_at", &created_at))?,
            updated_at: updated_at
                .parse()
                .map_err(|_| corrupt("sessions.updated_at", &updated_at))?,
        })
    })())
}
