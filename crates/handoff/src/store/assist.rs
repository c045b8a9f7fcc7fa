//! Assist notes already posted, for the 48-hour dedupe. A note is reserved before it is posted and marked
//! posted after, so two requests for the same note cannot both post it.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// What the dedupe table says about a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Nobody posted it within the window: this caller may, and holds the reservation.
    Reserved,
    /// Posted at this instant (ms), within the window.
    Posted(i64),
    /// Reserved within the window but never confirmed posted (a crash or an unanswered call): whether it
    /// reached Zendesk must be checked before posting again. This caller now holds the reservation.
    Unconfirmed,
}

impl Store {
    /// Reserves (ticket, note) unless it was posted or reserved since `since_ms`.
    pub fn reserve_assist_note(
        &self,
        ticket_id: u64,
        note_hash: &str,
        now_ms: i64,
        since_ms: i64,
    ) -> Result<Reservation, StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        let existing: Option<(i64, Option<i64>)> = tx
            .query_row(
                "SELECT reserved_ms, posted_ms FROM assist_notes WHERE ticket_id = ?1 AND note_hash = ?2",
                params![ticket_id as i64, note_hash],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let verdict = match existing {
            Some((_, Some(posted))) if posted >= since_ms => {
                return Ok(Reservation::Posted(posted))
            }
            Some((reserved, None)) if reserved >= since_ms => Reservation::Unconfirmed,
            _ => Reservation::Reserved,
        };
        tx.execute(
            "INSERT INTO assist_notes (ticket_id, note_hash, reserved_ms, posted_ms) VALUES (?1, ?2, ?3, NULL)
             ON CONFLICT (ticket_id, note_hash) DO UPDATE SET reserved_ms = excluded.reserved_ms, posted_ms = NULL",
            params![ticket_id as i64, note_hash, now_ms],
        )?;
        tx.commit()?;
        Ok(verdict)
    }

    pub fn confirm_assist_note(
        &self,
        ticket_id: u64,
        note_hash: &str,
        posted_ms: i64,
    ) -> Result<(), StoreError> {
        self.lock()?.execute(
            "UPDATE assist_notes SET posted_ms = ?3 WHERE ticket_id = ?1 AND note_hash = ?2",
            params![ticket_id as i64, note_hash, posted_ms],
        )?;
        Ok(())
    }

    /// Drops a reservation whose note was certainly not posted.
    pub fn release_assist_note(&self, ticket_id: u64, note_hash: &str) -> Result<(), StoreError> {
        self.lock()?.execute(
            "DELETE FROM assist_notes WHERE ticket_id = ?1 AND note_hash = ?2 AND posted_ms IS NULL",
            params![ticket_id as i64, note_hash],
        )?;
        Ok(())
    }
}
