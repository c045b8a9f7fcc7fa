//! Assist mode: the AI's draft for a rep, posted on a ticket as an internal note (`public: false`), tagged
//! `<p>` and `<p>_assist_mode` (added, never replacing the agent's tags).
//!
//! Invariants: the same note (same text, whitespace aside) on the same ticket is posted at most once in
//! [`ASSIST_DEDUPE_WINDOW`], durably (SQLite, on the injected clock), so a re-fired webhook never posts a second
//! note; a solved or closed ticket never gets one ([`AssistError::TicketNotOpen`] says so). A note whose post
//! got no answer is looked for on the ticket before it is posted again.

use std::time::Duration;

use jiff::Timestamp;
use zendesk::{Client, NewComment, TicketStatus, TicketUpdate};

use crate::clock::Clock;
use crate::settings::Settings;
use crate::store::{millis, Reservation, Store, StoreError};

/// How long the same note on the same ticket is refused.
pub const ASSIST_DEDUPE_WINDOW: Duration = Duration::from_secs(48 * 3600);
/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 32_000;

/// A draft note for a ticket.
#[derive(Debug, Clone)]
pub struct AssistNote {
    pub ticket_id: u64,
    pub text: String,
}

/// What became of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssistOutcome {
    Posted {
        ticket_id: u64,
    },
    /// The same note was posted on this ticket within the window; nothing was sent.
    AlreadyPosted {
        ticket_id: u64,
        posted_at: Timestamp,
    },
}

/// Why a note was not posted.
#[derive(Debug, thiserror::Error)]
pub enum AssistError {
    #[error("{field}: {why}")]
    Invalid { field: &'static str, why: String },
    #[error(
        "ticket {ticket_id} is {status}: assist notes are never posted on solved or closed tickets"
    )]
    TicketNotOpen { ticket_id: u64, status: String },
    #[error("ticket {0} does not exist in Zendesk")]
    TicketNotFound(u64),
    #[error("the note was not posted: {0}")]
    Zendesk(zendesk::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Posts `note` unless it was posted within the window or the ticket is solved or closed.
pub async fn post_assist_note(
    store: &Store,
    clock: &Clock,
    client: &Client,
    note: &AssistNote,
) -> Result<AssistOutcome, AssistError> {
    let text = note.text.trim();
    if note.ticket_id == 0 {
        return Err(AssistError::Invalid {
            field: "ticket_id",
            why: "must be a Zendesk ticket id (a positive number)".into(),
        });
    }
    if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        return Err(AssistError::Invalid {
            field: "text",
            why: format!("give 1 to {MAX_NOTE_CHARS} characters"),
        });
    }
    let prefix = Settings::new(store.clone()).tag_prefix()?;
    let hash = note_hash(text);
    let now = clock.now();
    let window = i64::try_from(ASSIST_DEDUPE_WINDOW.as_millis()).unwrap_or(i64::MAX);
    let reservation =
        store.reserve_assist_note(note.ticket_id, &hash, millis(now), millis(now) - window)?;
    if let Reservation::Posted(at) = reservation {
        return Ok(AssistOutcome::AlreadyPosted {
            ticket_id: note.ticket_id,
            posted_at: Timestamp::from_millisecond(at).unwrap_or(now),
        });
    }
    // From here this call holds the reservation; every exit either confirms it or releases it, except an
    // unanswered post (then the next call looks on the ticket).
    let release = |error: AssistError| -> AssistError {
        match store.release_assist_note(note.ticket_id, &hash) {
            Ok(()) => error,
            Err(store_error) => AssistError::Store(store_error),
        }
    };
    let ticket = match client.show_ticket(note.ticket_id).await {
        Ok(ticket) => ticket,
        Err(zendesk::Error::NotFound { .. }) => {
            return Err(release(AssistError::TicketNotFound(note.ticket_id)))
        }
        Err(error) => return Err(release(AssistError::Zendesk(error))),
    };
    if matches!(ticket.status, TicketStatus::Solved | TicketStatus::Closed) {
        let status = if ticket.status == TicketStatus::Solved {
            "solved"
        } else {
            "closed"
        };
        return Err(release(AssistError::TicketNotOpen {
            ticket_id: note.ticket_id,
            status: status.to_owned(),
        }));
    }
    if reservation == Reservation::Unconfirmed {
        let comments = match client.ticket_comments(note.ticket_id).await {
            Ok(comments) => comments,
            Err(error) => return Err(AssistError::Zendesk(error)),
        };
        if comments.iter().any(|c| !c.public && c.body.trim() == text) {
            store.confirm_assist_note(note.ticket_id, &hash, millis(now))?;
            return Ok(AssistOutcome::AlreadyPosted {
                ticket_id: note.ticket_id,
                posted_at: now,
            });
        }
    }
    let update = TicketUpdate {
        comment: Some(NewComment {
            body: Some(text.to_owned()),
            public: Some(false),
            ..NewComment::default()
        }),
        additional_tags: vec![
            prefix.clone(),
            super::ticket::sanitize_tag(&format!("{prefix}_assist_mode")),
        ],
        ..TicketUpdate::default()
    };
    match client.update_ticket(note.ticket_id, &update).await {
        Ok(_) => {
            store.confirm_assist_note(note.ticket_id, &hash, millis(clock.now()))?;
            Ok(AssistOutcome::Posted {
                ticket_id: note.ticket_id,
            })
        }
        Err(zendesk::Error::ClosedTicket { .. }) => Err(release(AssistError::TicketNotOpen {
            ticket_id: note.ticket_id,
            status: "closed".to_owned(),
        })),
        // No answer: it may have been posted. Keep the reservation; the next call looks before posting.
        Err(
            error @ (zendesk::Error::Timeout
            | zendesk::Error::Network { .. }
            | zendesk::Error::Server { .. }
            | zendesk::Error::Decode { .. }),
        ) => Err(AssistError::Zendesk(error)),
        Err(error) => Err(release(AssistError::Zendesk(error))),
    }
}

/// The note's identity for the dedupe: SHA-256 of its text with whitespace runs collapsed.
fn note_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let normalized = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Sha256::digest(normalized.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
