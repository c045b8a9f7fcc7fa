//! Sessions: the AI's conversations with one contact, as the product keeps them (SPEC §7, §8).
//!
//! A session has a UUID v4 id, a contact, a channel and mode, its turns (customer, AI and agent messages with
//! their times), a summary, sentiment and language (given, or derived at handoff by [`derive`]), whether a rep
//! owns the conversation (`human_active`), its ticket, and the state of its handoff.
//!
//! [`Sessions`] is the domain API the sessions HTTP API, the CLI and the console call. Every input is validated
//! here, and refused with a [`SessionError`] callers branch on (`Invalid` names the field and says why); a
//! refused input changes nothing.
//!
//! Invariants:
//! - an AI turn on a human-active session is refused ([`SessionError::HumanActive`]): the AI goes quiet by
//!   construction, not by convention; an agent turn makes the session human-active;
//! - a handoff request is durable before it is acknowledged, and idempotent per (session, request id);
//! - every time comes from the injected [`Clock`].

pub mod derive;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use uuid::Uuid;

use crate::clock::Clock;
use crate::settings::Settings;
use crate::store::{Store, StoreError};

/// Longest text of one turn, in characters.
pub const MAX_TURN_CHARS: usize = 32_000;
/// Most turns one session may hold.
pub const MAX_TURNS: usize = 5_000;
/// Longest summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 10_000;
/// Longest name, external id or request id, in characters.
pub const MAX_FIELD_CHARS: usize = 255;
/// How far in the future a turn's time may lie (clocks of the AI platform and this host drift a little).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Why a session operation was refused. Callers branch on the variant; the message says what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session {0} does not exist")]
    NotFound(SessionId),
    #[error("{field}: {why}")]
    Invalid { field: String, why: String },
    #[error("a rep owns the conversation on session {0}: the AI may not answer it any more")]
    HumanActive(SessionId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SessionError {
    pub(crate) fn invalid(field: impl Into<String>, why: impl Into<String>) -> SessionError {
        SessionError::Invalid {
            field: field.into(),
            why: why.into(),
        }
    }
}

/// A session's id: a UUID v4, shown hyphenated in lowercase. It is also the ticket's `external_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(Uuid);

impl SessionId {
    /// A new random id.
    pub fn new() -> SessionId {
        SessionId(Uuid::new_v4())
    }

    /// Parses an id as the API and CLI receive it.
    pub fn parse(text: &str) -> Result<SessionId, SessionError> {
        Uuid::parse_str(text.trim())
            .map(SessionId)
            .map_err(|_| SessionError::invalid("id", format!("{:?} is not a session id (a UUID such as 0b8f6c1e-2f4a-4c7e-9d3b-5a1e2f3c4d5e)", clip(text, 60))))
    }
}

impl Default for SessionId {
    fn default() -> SessionId {
        SessionId::new()
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// Defines a closed set of wire names with `as_str`, `parse` (refusing others with the list) and `ALL`.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses the wire name (case-insensitive); anything else is `Invalid` naming the accepted values.
            pub fn parse(text: &str) -> Result<$name, SessionError> {
                let wanted = text.trim().to_ascii_lowercase();
                $name::ALL.iter().copied().find(|v| v.as_str() == wanted).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    SessionError::invalid($field, format!("{:?} is not one of {}", clip(text, 40), names.join(", ")))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// Where the conversation happens.
    Channel, "channel" { Email => "email", Whatsapp => "whatsapp", Sms => "sms", Web => "web", Phone => "phone" }
);

wire_enum!(
    /// How the AI works on the conversation.
    Mode, "mode" {
        /// The AI answers alone.
        Autopilot => "autopilot",
        /// The AI drafts for a rep.
        Assist => "assist",
        /// The conversation is handed to reps.
        Handoff => "handoff",
    }
);

wire_enum!(
    /// Who wrote a turn.
    Role, "role" { Customer => "customer", Ai => "ai", Agent => "agent" }
);

wire_enum!(
    /// The contact's mood, as tagged on the ticket.
    Sentiment, "sentiment" { Happy => "happy", Neutral => "neutral", Negative => "negative" }
);

/// A BCP 47 language tag, in canonical case (`en`, `pt-BR`, `zh-Hant`), or `und` when undetermined.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Language(String);

impl Language {
    /// "Undetermined" (BCP 47 `und`): the conversation had too little text to tell.
    pub fn undetermined() -> Language {
        Language("und".to_owned())
    }

    /// Parses a BCP 47 tag: a 2–3 letter language, then subtags of 1–8 letters or digits. Case is
    /// canonicalised (language lowercase, script title case, region uppercase).
    pub fn parse(text: &str) -> Result<Language, SessionError> {
        let refuse = || {
            SessionError::invalid(
                "language",
                format!(
                    "{:?} is not a BCP 47 language tag such as en, fr or pt-BR",
                    clip(text, 40)
                ),
            )
        };
        let text = text.trim().replace('_', "-");
        let mut parts = text.split('-');
        let language = parts.next().ok_or_else(refuse)?;
        if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return Err(refuse());
        }
        let mut canonical = language.to_ascii_lowercase();
        for part in parts {
            if part.is_empty() || part.len() > 8 || !part.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(refuse());
            }
            canonical.push('-');
            match part.len() {
                4 if part.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    canonical.push_str(&part[..1].to_ascii_uppercase());
                    canonical.push_str(&part[1..].to_ascii_lowercase());
                }
                2 if part.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    canonical.push_str(&part.to_ascii_uppercase());
                }
                _ => canonical.push_str(&part.to_ascii_lowercase()),
            }
        }
        if canonical.len() > 35 {
            return Err(refuse());
        }
        Ok(Language(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who the conversation is with. At least one of email, phone and external id is known (Zendesk needs a
/// requester it can find again); emails are kept lowercase and phones in E.164, so a returning contact matches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
}

/// A contact as a caller gives it, before validation.
#[derive(Debug, Clone, Default)]
pub struct NewContact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
}

impl NewContact {
    /// Validates and normalizes the contact.
    pub fn validate(&self) -> Result<Contact, SessionError> {
        let name = optional_text(self.name.as_deref(), "contact.name", MAX_FIELD_CHARS)?;
        let email = match non_blank(self.email.as_deref()) {
            Some(email) => Some(normalize_email(email)?),
            None => None,
        };
        let phone = match non_blank(self.phone.as_deref()) {
            Some(phone) => Some(normalize_phone(phone)?),
            None => None,
        };
        let external_id = optional_text(
            self.external_id.as_deref(),
            "contact.external_id",
            MAX_FIELD_CHARS,
        )?;
        if email.is_none() && phone.is_none() && external_id.is_none() {
            return Err(SessionError::invalid(
                "contact",
                "give an email, a phone or an external id: Zendesk needs a requester it can find again",
            ));
        }
        Ok(Contact {
            name,
            email,
            phone,
            external_id,
        })
    }
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// Position in the session, from 0.
    pub seq: usize,
    pub role: Role,
    pub text: String,
    pub at: Timestamp,
}

/// A turn as a caller gives it; `at` defaults to now.
#[derive(Debug, Clone)]
pub struct NewTurn {
    pub role: Role,
    pub text: String,
    pub at: Option<Timestamp>,
}

/// The ticket a session is written to. Several sessions of a returning contact can share one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTicket {
    pub id: u64,
    /// The ticket's requester in Zendesk, once known (a follow-up names it).
    pub requester_id: Option<u64>,
    /// Zendesk said the ticket is closed: the next write goes to a follow-up.
    pub closed: bool,
}

/// Where the handoff of a session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffState {
    /// Never requested.
    None,
    /// Queued or being retried; `reason` says why it is not done yet (e.g. Zendesk's rate limit).
    Pending { reason: String },
    /// The ticket is written.
    Done,
    /// Zendesk refused it for good; `reason` says why and what to do.
    Failed { reason: String },
}

impl HandoffState {
    pub fn as_str(&self) -> &'static str {
        match self {
            HandoffState::None => "none",
            HandoffState::Pending { .. } => "pending",
            HandoffState::Done => "done",
            HandoffState::Failed { .. } => "failed",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            HandoffState::Pending { reason } | HandoffState::Failed { reason } => Some(reason),
            HandoffState::None | HandoffState::Done => None,
        }
    }
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub contact: Contact,
    pub channel: Channel,
    pub mode: Mode,
    pub turns: Vec<Turn>,
    pub summary: Option<String>,
    pub sentiment: Option<Sentiment>,
    pub language: Option<Language>,
    /// A rep owns the conversation: AI turns are refused.
    pub human_active: bool,
    pub ticket: Option<SessionTicket>,
    /// Turns already written to the ticket; the next write carries the ones after.
    pub synced_turns: usize,
    pub handoff: HandoffState,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One line of the sessions list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub id: SessionId,
    pub contact: Contact,
    pub channel: Channel,
    pub mode: Mode,
    pub turns: usize,
    pub human_active: bool,
    pub ticket_id: Option<u64>,
    pub handoff: HandoffState,
    pub updated_at: Timestamp,
}

/// A session to create.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub contact: NewContact,
    pub channel: Channel,
    pub mode: Mode,
    pub turns: Vec<NewTurn>,
    pub summary: Option<String>,
    pub sentiment: Option<Sentiment>,
    /// A BCP 47 tag; validated.
    pub language: Option<String>,
}

/// A handoff request. `request_id` makes it idempotent: the same (session, request id) is one handoff.
#[derive(Debug, Clone, Default)]
pub struct HandoffRequest {
    pub request_id: String,
    /// Overrides the derived summary.
    pub summary: Option<String>,
    pub sentiment: Option<Sentiment>,
    /// A BCP 47 tag; overrides the detected language.
    pub language: Option<String>,
}

/// What a handoff request got: queued (or found queued already, for a repeated request id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffAccepted {
    pub session_id: SessionId,
    pub request_id: String,
    pub job_id: i64,
    /// The same request id was accepted before; nothing new was queued.
    pub repeated: bool,
}

/// Where the latest handoff of a session stands, for the CLI and the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffStatus {
    pub session_id: SessionId,
    pub state: HandoffState,
    pub ticket_id: Option<u64>,
    /// Whether the latest handoff created the ticket (rather than updating one); `None` while pending.
    pub created: Option<bool>,
}

/// Wakes whoever waits on the handoff queue: the worker when a job is queued, waiters when one finishes.
/// Clones share it. Without one (another process runs the worker), polling finds the change a little later.
#[derive(Debug, Clone, Default)]
pub struct Wake {
    jobs: Arc<tokio::sync::Notify>,
    progress: Arc<tokio::sync::Notify>,
}

impl Wake {
    /// A job was queued.
    pub fn job_queued(&self) {
        self.jobs.notify_one();
    }

    pub(crate) async fn job_waiting(&self) {
        self.jobs.notified().await;
    }

    /// A job finished (done, failed or rescheduled).
    pub(crate) fn progressed(&self) {
        self.progress.notify_waiters();
    }

    async fn progress(&self) {
        self.progress.notified().await;
    }
}

/// The sessions domain API.
#[derive(Debug, Clone)]
pub struct Sessions {
    store: Store,
    clock: Clock,
    wake: Wake,
}

impl Sessions {
    pub fn new(store: Store, clock: Clock) -> Sessions {
        Sessions {
            store,
            clock,
            wake: Wake::default(),
        }
    }

    /// Shares the worker's [`Wake`], so queued handoffs start at once and waiters hear of progress.
    pub fn with_wake(mut self, wake: Wake) -> Sessions {
        self.wake = wake;
        self
    }

    pub fn wake(&self) -> &Wake {
        &self.wake
    }

    /// Creates a session, with its first turns if given. With "create a ticket for every conversation" on,
    /// its ticket is queued at once (and updated at handoff).
    pub fn create(&self, new: NewSession) -> Result<Session, SessionError> {
        let now = self.clock.now();
        let contact = new.contact.validate()?;
        if new.turns.len() > MAX_TURNS {
            return Err(SessionError::invalid(
                "turns",
                format!("at most {MAX_TURNS} turns"),
            ));
        }
        let mut turns = Vec::with_capacity(new.turns.len());
        let mut human_active = false;
        for (index, turn) in new.turns.iter().enumerate() {
            let field = format!("turns[{index}]");
            let turn = validate_turn(turn, index, now, &field)?;
            // The first turns are history: an agent among them means a rep already owns the conversation, and
            // AI turns after that point are refused as `add_turn` would refuse them.
            if turn.role == Role::Ai && human_active {
                return Err(SessionError::invalid(
                    field,
                    "an AI turn after an agent turn: a rep owns the conversation from the agent's turn on",
                ));
            }
            human_active |= turn.role == Role::Agent;
            turns.push(turn);
        }
        let summary = optional_text(new.summary.as_deref(), "summary", MAX_SUMMARY_CHARS)?;
        let language = non_blank(new.language.as_deref())
            .map(Language::parse)
            .transpose()?;
        let session = Session {
            id: SessionId::new(),
            contact,
            channel: new.channel,
            mode: new.mode,
            turns,
            summary,
            sentiment: new.sentiment,
            language,
            human_active,
            ticket: None,
            synced_turns: 0,
            handoff: HandoffState::None,
            created_at: now,
            updated_at: now,
        };
        let open_ticket = Settings::new(self.store.clone()).ticket_every_conversation()?;
        self.store.insert_session(&session, open_ticket, now)?;
        if open_ticket {
            self.wake.job_queued();
        }
        Ok(session)
    }

    /// Adds a turn. An AI turn on a human-active session is refused; an agent turn makes it human-active.
    pub fn add_turn(&self, id: SessionId, turn: NewTurn) -> Result<Turn, SessionError> {
        let now = self.clock.now();
        let validated = validate_turn(&turn, 0, now, "turn")?;
        self.store.append_turn(id, validated, now)
    }

    /// Reads a session with its turns.
    pub fn get(&self, id: SessionId) -> Result<Session, SessionError> {
        self.store.session(id)?.ok_or(SessionError::NotFound(id))
    }

    /// The most recently updated sessions first.
    pub fn list(&self, limit: usize) -> Result<Vec<SessionSummary>, SessionError> {
        Ok(self.store.list_sessions(limit.clamp(1, 1000))?)
    }

    /// Queues the handoff and returns at once (the API answers 202). Missing summary, sentiment and language
    /// are derived now, from the turns so far, and kept on the session. Repeating a request id returns the
    /// first acceptance and queues nothing.
    pub fn request_handoff(
        &self,
        id: SessionId,
        request: HandoffRequest,
    ) -> Result<HandoffAccepted, SessionError> {
        let now = self.clock.now();
        let request_id = request.request_id.trim().to_owned();
        if request_id.is_empty()
            || request_id.chars().count() > MAX_FIELD_CHARS
            || request_id.chars().any(char::is_control)
        {
            return Err(SessionError::invalid(
                "request_id",
                format!("give 1 to {MAX_FIELD_CHARS} printable characters that name this handoff request"),
            ));
        }
        let summary = optional_text(request.summary.as_deref(), "summary", MAX_SUMMARY_CHARS)?;
        let language = non_blank(request.language.as_deref())
            .map(Language::parse)
            .transpose()?;
        let session = self.get(id)?;
        let derived = derive::Derived {
            summary: summary
                .or(session.summary.clone())
                .unwrap_or_else(|| derive::summary(&session)),
            sentiment: request
                .sentiment
                .or(session.sentiment)
                .unwrap_or_else(|| derive::sentiment(&session.turns)),
            language: language
                .or(session.language.clone())
                .unwrap_or_else(|| derive::language(&session.turns)),
        };
        let (job_id, repeated) = self.store.queue_handoff(id, &request_id, &derived, now)?;
        if !repeated {
            self.wake.job_queued();
        }
        Ok(HandoffAccepted {
            session_id: id,
            request_id,
            job_id,
            repeated,
        })
    }

    /// Where the latest handoff of the session stands.
    pub fn handoff_status(&self, id: SessionId) -> Result<HandoffStatus, SessionError> {
        let session = self.get(id)?;
        let created = self.store.latest_handoff_created(id)?;
        Ok(HandoffStatus {
            session_id: id,
            ticket_id: session.ticket.as_ref().map(|t| t.id),
            created: if matches!(session.handoff, HandoffState::Done) {
                created
            } else {
                None
            },
            state: session.handoff,
        })
    }

    /// Waits until the session's handoff is done or failed, or `timeout` passes; returns where it stands then
    /// (still `Pending` with its reason on timeout). The worker may run in this process or another.
    pub async fn wait_for_ticket(
        &self,
        id: SessionId,
        timeout: Duration,
    ) -> Result<HandoffStatus, SessionError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let progress = self.wake.progress();
            let status = self.handoff_status(id)?;
            let settled = matches!(
                status.state,
                HandoffState::Done | HandoffState::Failed { .. }
            );
            if settled || tokio::time::Instant::now() >= deadline {
                return Ok(status);
            }
            // In-process progress wakes at once; a worker in another process is seen by polling.
            let poll = tokio::time::sleep(Duration::from_millis(200));
            tokio::select! {
                () = progress => {}
                () = poll => {}
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    }
}

fn validate_turn(
    turn: &NewTurn,
    seq: usize,
    now: Timestamp,
    field: &str,
) -> Result<Turn, SessionError> {
    let text = turn.text.trim();
    if text.is_empty() {
        return Err(SessionError::invalid(format!("{field}.text"), "is empty"));
    }
    if text.chars().count() > MAX_TURN_CHARS {
        return Err(SessionError::invalid(
            format!("{field}.text"),
            format!("is longer than {MAX_TURN_CHARS} characters"),
        ));
    }
    if text.contains('\0') {
        return Err(SessionError::invalid(
            format!("{field}.text"),
            "contains a NUL character",
        ));
    }
    let at = turn.at.unwrap_or(now);
    let skew = jiff::SignedDuration::try_from(MAX_CLOCK_SKEW).unwrap_or(jiff::SignedDuration::ZERO);
    if at.duration_since(now) > skew {
        return Err(SessionError::invalid(
            format!("{field}.at"),
            format!("{at} is in the future (now is {now})"),
        ));
    }
    Ok(Turn {
        seq,
        role: turn.role,
        text: text.to_owned(),
        at,
    })
}

fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

fn optional_text(
    text: Option<&str>,
    field: &str,
    max: usize,
) -> Result<Option<String>, SessionError> {
    let Some(text) = non_blank(text) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(SessionError::invalid(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(SessionError::invalid(field, "contains control characters"));
    }
    Ok(Some(text.to_owned()))
}

/// Lowercase, one `@`, a dotted domain, no spaces: what Zendesk accepts as an email (FACTS §2 shows its 422).
fn normalize_email(email: &str) -> Result<String, SessionError> {
    let email = email.to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\",;".contains(c));
    if valid {
        Ok(email)
    } else {
        Err(SessionError::invalid(
            "contact.email",
            format!(
                "{:?} is not an email address such as jane@example.com",
                clip(&email, 60)
            ),
        ))
    }
}

/// E.164: `+` then 7 to 15 digits; spaces, dashes, dots and parentheses are dropped and `00` means `+`.
fn normalize_phone(phone: &str) -> Result<String, SessionError> {
    let compact: String = phone
        .chars()
        .filter(|c| !" -.()\u{a0}".contains(*c))
        .collect();
    let digits = compact
        .strip_prefix('+')
        .or_else(|| compact.strip_prefix("00"))
        .unwrap_or("");
    if (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
    {
        Ok(format!("+{digits}"))
    } else {
        Err(SessionError::invalid(
            "contact.phone",
            format!(
                "{:?} is not an international number: write it in E.164, like +14155550123",
                clip(phone, 40)
            ),
        ))
    }
}

/// At most `max` characters of `text`, for messages that quote what was sent.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Given = Option<&'static str>;
    /// The normalized (email, phone), or the field refused.
    type Expected = Result<(Option<&'static str>, Option<&'static str>), &'static str>;

    #[test]
    fn contacts_normalize_or_say_what_is_wrong() {
        // (email, phone, external id, expected email, expected phone, or the refused field)
        let table: &[(Given, Given, Given, Expected)] = &[
            (
                Some(" Jane@Example.COM "),
                None,
                None,
                Ok((Some("jane@example.com"), None)),
            ),
            (
                None,
                Some("+1 (415) 555-0123"),
                None,
                Ok((None, Some("+14155550123"))),
            ),
            (
                None,
                Some("0033 6 12 34 56 78"),
                None,
                Ok((None, Some("+33612345678"))),
            ),
            (None, None, Some("crm-42"), Ok((None, None))),
            (Some("not-an-email"), None, None, Err("contact.email")),
            (Some("a@b"), None, None, Err("contact.email")),
            (None, Some("555-0123"), None, Err("contact.phone")),
            (None, Some("+1 415 CALL ME"), None, Err("contact.phone")),
            (None, None, None, Err("contact")),
            (Some("  "), Some(""), None, Err("contact")),
        ];
        for (email, phone, external_id, expected) in table {
            let input = NewContact {
                name: None,
                email: email.map(str::to_owned),
                phone: phone.map(str::to_owned),
                external_id: external_id.map(str::to_owned),
            };
            match (input.validate(), expected) {
                (Ok(contact), Ok((email, phone))) => {
                    assert_eq!(contact.email.as_deref(), *email, "{input:?}");
                    assert_eq!(contact.phone.as_deref(), *phone, "{input:?}");
                }
                (Err(SessionError::Invalid { field, .. }), Err(expected)) => {
                    assert_eq!(&field, expected, "{input:?}")
                }
                (outcome, _) => panic!("{input:?}: {outcome:?}"),
            }
        }
    }

    #[test]
    fn language_tags_are_bcp47_in_canonical_case() {
        let table = [
            ("en", Some("en")),
            ("PT-br", Some("pt-BR")),
            ("zh_hant_tw", Some("zh-Hant-TW")),
            ("es-419", Some("es-419")),
            ("english", None),
            ("e", None),
            ("en--us", None),
            ("fr-<script>", None),
        ];
        for (input, expected) in table {
            let parsed = Language::parse(input).ok();
            assert_eq!(parsed.as_ref().map(Language::as_str), expected, "{input}");
        }
    }

    #[test]
    fn wire_names_parse_and_refusals_list_the_choices() {
        assert_eq!(Channel::parse(" WhatsApp").ok(), Some(Channel::Whatsapp));
        let error = Channel::parse("fax")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            error,
            "channel: \"fax\" is not one of email, whatsapp, sms, web, phone"
        );
        assert!(Mode::parse("assist").is_ok());
        assert!(Role::parse("bot").is_err());
    }
}
