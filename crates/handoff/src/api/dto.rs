//! The sessions API's JSON shapes (`/v1`), with their OpenAPI schemas. Domain types stay free of serde: these
//! are converted to and from them at the boundary, so the wire format is a contract of its own.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::session::{self, HandoffState, Session, SessionSummary, Turn};

/// Declares a wire enum and its conversions to and from the domain's.
macro_rules! wire {
    ($(#[$meta:meta])* $name:ident => $domain:ty { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl From<$name> for $domain {
            fn from(value: $name) -> $domain {
                match value { $($name::$variant => <$domain>::$variant),+ }
            }
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> $name {
                match value { $(<$domain>::$variant => $name::$variant),+ }
            }
        }
    };
}

wire!(
    /// Where the conversation happens.
    Channel => session::Channel { Email, Whatsapp, Sms, Web, Phone }
);
wire!(
    /// How the AI works on the conversation.
    Mode => session::Mode { Autopilot, Assist, Handoff }
);
wire!(
    /// Who wrote a turn.
    Role => session::Role { Customer, Ai, Agent }
);
wire!(
    /// The contact's mood.
    Sentiment => session::Sentiment { Happy, Neutral, Negative }
);

/// Who the conversation is with: at least one of email, phone and external id.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    #[schema(example = "Jane Doe")]
    pub name: Option<String>,
    #[schema(example = "jane@example.com")]
    pub email: Option<String>,
    /// E.164 or a national number with its country code.
    #[schema(example = "+14155550123")]
    pub phone: Option<String>,
    /// The contact's id in the AI platform.
    pub external_id: Option<String>,
}

/// One message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TurnBody {
    pub role: Role,
    #[schema(example = "My order never arrived.")]
    pub text: String,
    /// When it was said (RFC 3339); now when absent.
    #[schema(example = "2026-12-03T12:00:00Z")]
    pub at: Option<String>,
}

/// `POST /v1/sessions`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSessionBody {
    pub contact: ContactBody,
    pub channel: Channel,
    /// `handoff` when absent.
    pub mode: Option<Mode>,
    #[serde(default)]
    pub turns: Vec<TurnBody>,
    pub summary: Option<String>,
    pub sentiment: Option<Sentiment>,
    /// BCP 47.
    #[schema(example = "en")]
    pub language: Option<String>,
}

/// `POST /v1/sessions/{id}/handoff`. The request id (or the `Idempotency-Key` header) makes a retried request
/// one handoff.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffBody {
    pub request_id: Option<String>,
    /// Overrides the derived summary.
    pub summary: Option<String>,
    pub sentiment: Option<Sentiment>,
    /// BCP 47; overrides the detected language.
    pub language: Option<String>,
}

/// `POST /v1/assist-notes`: a draft for a rep, posted as an internal note.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssistNoteBody {
    pub ticket_id: u64,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContactView {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TurnView {
    pub seq: usize,
    pub role: Role,
    pub text: String,
    pub at: String,
}

/// The session's ticket in Zendesk.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    pub id: u64,
    /// The ticket in Zendesk's agent workspace.
    pub agent_url: Option<String>,
}

/// Where the handoff stands: `none`, `pending` (with why), `done`, `failed` (with why and what to do).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HandoffView {
    #[schema(example = "pending")]
    pub state: String,
    pub reason: Option<String>,
}

/// A session, whole.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    pub id: String,
    pub contact: ContactView,
    pub channel: Channel,
    pub mode: Mode,
    pub summary: Option<String>,
    pub sentiment: Option<Sentiment>,
    pub language: Option<String>,
    /// A rep owns the conversation: the AI may not answer (its turns are refused with 409).
    pub human_active: bool,
    pub ticket_id: Option<u64>,
    pub ticket: Option<TicketView>,
    pub handoff: HandoffView,
    pub turns: Vec<TurnView>,
    /// The reps' replies, in order (the agent turns).
    pub agent_replies: Vec<TurnView>,
    pub created_at: String,
    pub updated_at: String,
}

/// A line of the sessions list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionLine {
    pub id: String,
    pub contact: ContactView,
    pub channel: Channel,
    pub mode: Mode,
    pub turns: usize,
    pub human_active: bool,
    pub ticket_id: Option<u64>,
    pub handoff: HandoffView,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionLine>,
}

/// A handoff accepted (202): queued, or found queued for the same request id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HandoffAcceptedView {
    pub session_id: String,
    pub request_id: String,
    /// The same request id was accepted before; nothing new was queued.
    pub repeated: bool,
    pub handoff: HandoffView,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssistNoteView {
    pub ticket_id: u64,
    /// `posted`, or `already_posted` (the same note within 48 h: nothing was sent).
    #[schema(example = "posted")]
    pub outcome: String,
}

/// Every error: a stable `code` to branch on and a message that says what is wrong and what to do.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// `unauthorized`, `not_found`, `invalid`, `invalid_body`, `human_active`, `ticket_not_open`,
    /// `payload_too_large`, `timeout`, `unavailable`, `internal`.
    #[schema(example = "invalid")]
    pub code: String,
    pub message: String,
    /// The field at fault, for `invalid`.
    pub field: Option<String>,
}

pub fn handoff_view(state: &HandoffState) -> HandoffView {
    HandoffView {
        state: state.as_str().to_owned(),
        reason: state.reason().map(str::to_owned),
    }
}

pub fn contact_view(contact: &session::Contact) -> ContactView {
    ContactView {
        name: contact.name.clone(),
        email: contact.email.clone(),
        phone: contact.phone.clone(),
        external_id: contact.external_id.clone(),
    }
}

fn turn_view(turn: &Turn) -> TurnView {
    TurnView {
        seq: turn.seq,
        role: turn.role.into(),
        text: turn.text.clone(),
        at: turn.at.to_string(),
    }
}

pub fn session_view(session: &Session, agent_url: impl Fn(u64) -> Option<String>) -> SessionView {
    let turns: Vec<TurnView> = session.turns.iter().map(turn_view).collect();
    let agent_replies = session
        .turns
        .iter()
        .filter(|t| t.role == session::Role::Agent)
        .map(turn_view)
        .collect();
    let ticket_id = session.ticket.as_ref().map(|t| t.id);
    SessionView {
        id: session.id.to_string(),
        contact: contact_view(&session.contact),
        channel: session.channel.into(),
        mode: session.mode.into(),
        summary: session.summary.clone(),
        sentiment: session.sentiment.map(Into::into),
        language: session.language.as_ref().map(|l| l.as_str().to_owned()),
        human_active: session.human_active,
        ticket_id,
        ticket: ticket_id.map(|id| TicketView {
            id,
            agent_url: agent_url(id),
        }),
        handoff: handoff_view(&session.handoff),
        turns,
        agent_replies,
        created_at: session.created_at.to_string(),
        updated_at: session.updated_at.to_string(),
    }
}

pub fn session_line(summary: &SessionSummary) -> SessionLine {
    SessionLine {
        id: summary.id.to_string(),
        contact: contact_view(&summary.contact),
        channel: summary.channel.into(),
        mode: summary.mode.into(),
        turns: summary.turns,
        human_active: summary.human_active,
        ticket_id: summary.ticket_id,
        handoff: handoff_view(&summary.handoff),
        updated_at: summary.updated_at.to_string(),
    }
}

impl From<ContactBody> for session::NewContact {
    fn from(body: ContactBody) -> session::NewContact {
        session::NewContact {
            name: body.name,
            email: body.email,
            phone: body.phone,
            external_id: body.external_id,
        }
    }
}
