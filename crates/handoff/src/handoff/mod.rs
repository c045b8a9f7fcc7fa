//! The handoff engine: a session becomes a Zendesk ticket (SPEC §7).
//!
//! - [`ticket`]: what is written: subject, the first comment (summary, "View session" link, transcript as
//!   escaped HTML), tags by the seed's table, assignee, custom fields; the fallback requester name.
//! - [`links`]: the signed "View session" link and its constant-time check.
//! - [`fields`]: the seam through which mapped custom fields are filled (the AI Fields work plugs in there).
//! - [`worker`]: the durable queue's worker: routes each job (new contact, returning contact, follow-up of a
//!   closed ticket), retries with Retry-After and backoff, never duplicates a ticket.
//! - [`assist`]: assist-mode internal notes, deduplicated for 48 hours.
//! - [`ticket_page`]: the session's ticket on Zendesk's agent page, checked to lie on the connected account
//!   before the console opens it.
//!
//! Invariants: every Zendesk call goes through `zendesk::Client`; a job is durable before it is acknowledged
//! and its Zendesk call is marked in flight before it is sent, so after any crash the next attempt first looks
//! for what the last one may have written (`tickets?external_id=`, or the comment's reference) instead of
//! writing it twice.

pub mod assist;
pub mod fields;
pub mod links;
pub mod ticket;
pub mod ticket_page;
pub mod worker;

pub use assist::{post_assist_note, AssistError, AssistNote, AssistOutcome, ASSIST_DEDUPE_WINDOW};
pub use fields::{FieldValues, NoFieldValues};
pub use links::{LinkError, SessionLinks};
pub use ticket::{agent_page, fallback_name, sanitize_tag, tags, TagEvent};
pub use ticket_page::TicketPageError;
pub use worker::{Idle, Worker, WorkerConfig, WorkerError};
