//! What a handoff writes on the ticket.
//!
//! - Subject: from the conversation (see `session::derive::subject`).
//! - First comment (Zendesk's description): the summary, a "View session" link to the session's read-only page,
//!   and the transcript (each turn with who and when) as `html_body`. Every text from the conversation is
//!   HTML-escaped, so a customer's `<script>` or markup arrives as text. A very long transcript keeps its latest
//!   turns and says how many earlier ones are on the session page.
//! - Tags, by the seed's table, `<p>` being the configurable prefix:
//!
//!   | tag | when |
//!   |---|---|
//!   | `<p>` | always |
//!   | `<p>_autopilot` / `<p>_assist_mode` / `<p>_handedoff` | the session's mode: autopilot / assist / handoff |
//!   | `<p>_handedoff` | also on every handoff: the AI escalated to a rep |
//!   | `<p>_channel_<c>` | always |
//!   | `<p>_sentiment_<v>`, `<p>_language_<code>` | on a handoff (detected or given) |
//!   | `<p>_ticket_created_on_handoff` | only when the handoff created the ticket |
//!
//!   A ticket made when the session starts ("a ticket for every conversation") gets `<p>`, the mode's tag and
//!   the channel's; the handoff adds the rest with `additional_tags`.
//! - A handoff that updates an existing ticket (a returning contact, or the session's own ticket) writes the new
//!   turns as an internal note and sets the ticket `open`: Zendesk reopens a pending, on-hold or solved ticket
//!   when its requester writes, and a handoff is the contact writing again through the AI.
//! - Tag values are sanitized to what Zendesk keeps: lowercase letters, digits, `_` and `-`.

use serde::{Deserialize, Serialize};
use url::Url;
use zendesk::CustomFieldValue;

use super::links::page_url;
use crate::session::derive::{channel_name, cut, subject};
use crate::session::{Channel, Contact, Language, Mode, Role, Sentiment, Session, SessionId};

/// Why a ticket is being written, which decides its tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagEvent {
    /// The session just started and every conversation gets a ticket.
    SessionStart,
    /// The AI handed the conversation off.
    Handoff,
}

/// The tags for a write, without `<p>_ticket_created_on_handoff` (see [`created_on_handoff_tag`]).
pub fn tags(
    prefix: &str,
    mode: Mode,
    channel: Channel,
    event: TagEvent,
    sentiment: Option<Sentiment>,
    language: Option<&Language>,
) -> Vec<String> {
    let mode_tag = match mode {
        Mode::Autopilot => "autopilot",
        Mode::Assist => "assist_mode",
        Mode::Handoff => "handedoff",
    };
    let mut tags = vec![prefix.to_owned(), format!("{prefix}_{mode_tag}")];
    if event == TagEvent::Handoff {
        tags.push(format!("{prefix}_handedoff"));
    }
    tags.push(format!("{prefix}_channel_{}", channel.as_str()));
    if event == TagEvent::Handoff {
        if let Some(sentiment) = sentiment {
            tags.push(format!("{prefix}_sentiment_{}", sentiment.as_str()));
        }
        if let Some(language) = language {
            tags.push(format!("{prefix}_language_{}", language.as_str()));
        }
    }
    let mut unique: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags.iter().map(|t| sanitize_tag(t)) {
        if !tag.is_empty() && !unique.contains(&tag) {
            unique.push(tag);
        }
    }
    unique
}

/// `<p>_ticket_created_on_handoff`.
pub fn created_on_handoff_tag(prefix: &str) -> String {
    sanitize_tag(&format!("{prefix}_ticket_created_on_handoff"))
}

/// A tag as Zendesk keeps it: lowercase; anything but letters, digits, `_` and `-` becomes `_` (Zendesk splits
/// tags on spaces and drops other punctuation); no leading, trailing or doubled `_`; at most 80 characters.
pub fn sanitize_tag(text: &str) -> String {
    let mut tag = String::with_capacity(text.len());
    for c in text.trim().to_lowercase().chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' {
            c
        } else {
            '_'
        };
        if !(c == '_' && tag.ends_with('_')) {
            tag.push(c);
        }
    }
    let tag = tag.trim_matches('_');
    tag.chars()
        .take(80)
        .collect::<String>()
        .trim_end_matches('_')
        .to_owned()
}

/// The requester's name: the contact's, else made from the email's local part (`jane.doe@…` → "Jane Doe"),
/// else the phone or external id after "Customer". Zendesk refuses a new user without a name (422).
pub fn fallback_name(contact: &Contact) -> String {
    if let Some(name) = &contact.name {
        return name.clone();
    }
    if let Some(local) = contact.email.as_deref().and_then(|e| e.split('@').next()) {
        let words: Vec<String> = local
            .split(['.', '_', '-', '+'])
            .filter(|w| !w.is_empty() && w.chars().any(char::is_alphabetic))
            .map(|w| {
                let mut chars = w.chars();
                chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            })
            .collect();
        if !words.is_empty() {
            return words.join(" ");
        }
        return format!("Customer {local}");
    }
    match (&contact.phone, &contact.external_id) {
        (Some(phone), _) => format!("Customer {phone}"),
        (None, Some(external_id)) => format!("Customer {}", cut(external_id, 60)),
        (None, None) => "Customer".to_owned(),
    }
}

/// The ticket's page in Zendesk's agent workspace (`{account}/agent/tickets/{id}`), for the console's and the
/// API's ticket links.
pub fn agent_page(base_url: &Url, ticket_id: u64) -> String {
    format!(
        "{}/agent/tickets/{ticket_id}",
        base_url.as_str().trim_end_matches('/')
    )
}

/// Stands for the link's tag in a stored draft: the tag is computed when the draft is sent, so it is never
/// written to SQLite.
pub(crate) const LINK_TAG_SLOT: &str = "{{view-session-tag}}";

/// Longest first comment, in characters; Zendesk refuses very large comments.
const MAX_COMMENT_CHARS: usize = 60_000;

/// A job's ticket content, fixed at its first attempt so every retry sends the same body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Draft {
    pub subject: String,
    /// With [`LINK_TAG_SLOT`] where the link's tag goes.
    pub comment_html: String,
    /// Tags for any write (added, never replacing, on an update).
    pub tags: Vec<String>,
    /// Tags only when this job creates the ticket.
    pub create_tags: Vec<String>,
    pub custom_fields: Vec<CustomFieldValue>,
    pub assignee_id: Option<u64>,
    pub requester_name: String,
    /// Printed in the comment; after a lost answer, finding it on the ticket proves the comment landed.
    pub reference: String,
    /// An update for a handoff sets the ticket `open`: the contact is back and a rep must act, as Zendesk itself
    /// reopens a pending, on-hold or solved ticket when its requester writes.
    #[serde(default)]
    pub reopen: bool,
}

/// What the draft is made from.
pub(crate) struct DraftInput<'a> {
    pub session: &'a Session,
    pub event: TagEvent,
    pub turns_upto: usize,
    pub prefix: &'a str,
    pub public_url: &'a Url,
    pub assignee_id: Option<u64>,
    pub custom_fields: Vec<CustomFieldValue>,
    pub reference: String,
}

pub(crate) fn draft(input: DraftInput<'_>) -> Draft {
    let session = input.session;
    let mut tags = tags(
        input.prefix,
        session.mode,
        session.channel,
        input.event,
        session.sentiment,
        session.language.as_ref(),
    );
    tags.dedup();
    let create_tags = match input.event {
        TagEvent::Handoff => vec![created_on_handoff_tag(input.prefix)],
        TagEvent::SessionStart => Vec::new(),
    };
    Draft {
        subject: subject(session),
        comment_html: comment_html(
            session,
            input.event,
            input.turns_upto,
            input.public_url,
            &input.reference,
        ),
        tags,
        create_tags,
        custom_fields: input.custom_fields,
        assignee_id: input.assignee_id,
        requester_name: fallback_name(&session.contact),
        reference: input.reference,
        reopen: input.event == TagEvent::Handoff,
    }
}

fn comment_html(
    session: &Session,
    event: TagEvent,
    turns_upto: usize,
    public_url: &Url,
    reference: &str,
) -> String {
    let link = format!("{}?t={LINK_TAG_SLOT}", page_url(public_url, session.id));
    let mut html = String::new();
    match (&session.summary, event) {
        (Some(summary), _) => html.push_str(&format!(
            "<p><strong>Summary</strong><br>{}</p>",
            escape(summary)
        )),
        (None, TagEvent::SessionStart) => html.push_str(&format!(
            "<p><strong>Conversation started on {}</strong></p>",
            channel_name(session.channel)
        )),
        (None, TagEvent::Handoff) => {}
    }
    html.push_str(&format!(
        "<p><a href=\"{}\">View session</a></p>",
        escape(&link)
    ));
    let start = session.synced_turns.min(turns_upto);
    let turns: Vec<_> = session
        .turns
        .iter()
        .filter(|t| t.seq >= start && t.seq < turns_upto)
        .collect();
    let heading = if start == 0 {
        format!(
            "Transcript ({}, {} messages)",
            channel_name(session.channel),
            turns.len()
        )
    } else {
        format!(
            "New messages ({}, {} since the last update)",
            channel_name(session.channel),
            turns.len()
        )
    };
    let rendered: Vec<String> = turns
        .iter()
        .map(|turn| {
            let who = match turn.role {
                Role::Customer => fallback_name(&session.contact),
                Role::Ai => "AI agent".to_owned(),
                Role::Agent => "Agent".to_owned(),
            };
            format!(
                "<p><strong>{}</strong> <small>{}</small><br>{}</p>",
                escape(&who),
                turn.at.strftime("%Y-%m-%d %H:%M UTC"),
                escape(&turn.text).replace('\n', "<br>")
            )
        })
        .collect();
    // Keep the latest turns that fit; say how many earlier ones are only on the session page.
    let budget = MAX_COMMENT_CHARS.saturating_sub(html.len() + heading.len() + 400);
    let mut kept = 0;
    let mut used = 0;
    for text in rendered.iter().rev() {
        if used + text.len() > budget {
            break;
        }
        used += text.len();
        kept += 1;
    }
    html.push_str(&format!("<p><strong>{}</strong></p>", escape(&heading)));
    let dropped = rendered.len() - kept;
    if dropped > 0 {
        html.push_str(&format!(
            "<p><em>{dropped} earlier messages are on the session page.</em></p>"
        ));
    }
    for text in &rendered[dropped..] {
        html.push_str(text);
    }
    html.push_str(&format!(
        "<p><small>Session {} · reference {}</small></p>",
        session.id,
        escape(reference)
    ));
    html
}

/// HTML-escapes text for element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The comment reference of a (session, request): short, stable, and unique enough to find on one ticket.
pub(crate) fn reference(id: SessionId, request_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{id}\n{request_id}").as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_sanitized_to_what_zendesk_keeps() {
        let table = [
            ("opencx_language_pt-BR", "opencx_language_pt-br"),
            ("Acme AI", "acme_ai"),
            ("__x  y__", "x_y"),
            ("naïve,tag#1", "na_ve_tag_1"),
            ("", ""),
        ];
        for (input, expected) in table {
            assert_eq!(sanitize_tag(input), expected, "{input:?}");
        }
    }

    #[test]
    fn fallback_names_come_from_what_is_known() {
        let contact = |name: Option<&str>,
                       email: Option<&str>,
                       phone: Option<&str>,
                       external: Option<&str>| Contact {
            name: name.map(str::to_owned),
            email: email.map(str::to_owned),
            phone: phone.map(str::to_owned),
            external_id: external.map(str::to_owned),
        };
        let table = [
            (
                contact(Some("Ana Lima"), Some("x@example.com"), None, None),
                "Ana Lima",
            ),
            (
                contact(None, Some("jane.doe+shop@example.com"), None, None),
                "Jane Doe Shop",
            ),
            (
                contact(None, Some("1234@example.com"), None, None),
                "Customer 1234",
            ),
            (
                contact(None, None, Some("+14155550123"), None),
                "Customer +14155550123",
            ),
            (contact(None, None, None, Some("crm-7")), "Customer crm-7"),
        ];
        for (contact, expected) in table {
            assert_eq!(fallback_name(&contact), expected, "{contact:?}");
        }
    }

    #[test]
    fn a_ticket_made_at_the_start_carries_the_mode_and_channel_only() {
        let english = Language::parse("en").ok();
        let table: [(Mode, TagEvent, &[&str]); 4] = [
            (
                Mode::Autopilot,
                TagEvent::SessionStart,
                &["p", "p_autopilot", "p_channel_sms"],
            ),
            (
                Mode::Assist,
                TagEvent::SessionStart,
                &["p", "p_assist_mode", "p_channel_sms"],
            ),
            (
                Mode::Handoff,
                TagEvent::SessionStart,
                &["p", "p_handedoff", "p_channel_sms"],
            ),
            (
                Mode::Handoff,
                TagEvent::Handoff,
                &[
                    "p",
                    "p_handedoff",
                    "p_channel_sms",
                    "p_sentiment_happy",
                    "p_language_en",
                ],
            ),
        ];
        for (mode, event, expected) in table {
            let tags = tags(
                "p",
                mode,
                Channel::Sms,
                event,
                Some(Sentiment::Happy),
                english.as_ref(),
            );
            assert_eq!(tags, expected, "{mode:?} {event:?}");
        }
        assert_eq!(created_on_handoff_tag("p"), "p_ticket_created_on_handoff");
    }

    #[test]
    fn agent_pages_are_under_the_account() {
        let table = [
            (
                "https://acme.zendesk.com",
                "https://acme.zendesk.com/agent/tickets/42",
            ),
            (
                "http://127.0.0.1:4000/",
                "http://127.0.0.1:4000/agent/tickets/42",
            ),
        ];
        for (base, expected) in table {
            let base = Url::parse(base).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(agent_page(&base, 42), expected);
        }
    }

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }
}
