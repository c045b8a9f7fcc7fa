//! The read-only "View session" page the ticket's first comment links to: `/sessions/{id}?t={tag}`. The tag
//! is an HMAC of the session id under the link key, so a session id alone opens nothing; a wrong tag and an
//! unknown session get the same 404, which says nothing about which.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ApiState;
use crate::session::{Role, SessionId};

#[derive(Deserialize)]
pub struct Tag {
    t: Option<String>,
}

pub async fn session_page(
    State(api): State<Arc<ApiState>>,
    Path(id): Path<String>,
    Query(tag): Query<Tag>,
) -> Response {
    let opens = tag
        .t
        .as_deref()
        .is_some_and(|tag| api.links.verify_link(&id, tag));
    let Some(id) = opens.then(|| SessionId::parse(&id).ok()).flatten() else {
        return not_found();
    };
    let sessions = api.sessions.clone();
    let session = match tokio::task::spawn_blocking(move || sessions.get(id)).await {
        Ok(Ok(session)) => session,
        _ => return not_found(),
    };
    let mut turns = String::new();
    for turn in &session.turns {
        let who = match turn.role {
            Role::Customer => "Customer",
            Role::Ai => "AI",
            Role::Agent => "Agent",
        };
        turns.push_str(&format!(
            "<li class=\"{}\"><div class=\"who\">{who} · {}</div><div class=\"text\">{}</div></li>",
            turn.role.as_str(),
            turn.at,
            escape(&turn.text)
        ));
    }
    let contact = session
        .contact
        .name
        .as_deref()
        .or(session.contact.email.as_deref())
        .or(session.contact.phone.as_deref())
        .unwrap_or("Customer");
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Session with {contact}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;color:#2f3941}}\
         ul{{list-style:none;padding:0}}li{{margin:.75rem 0;padding:.75rem 1rem;border-radius:8px;background:#f8f9f9}}\
         li.agent{{background:#edf7ff}}li.ai{{background:#f3f0ff}}.who{{font-size:.8rem;color:#68737d;margin-bottom:.25rem}}\
         .text{{white-space:pre-wrap}}</style></head><body><h1>Session with {contact}</h1>\
         <p>{channel} · {state}{human}</p><h2>Summary</h2><p>{summary}</p><h2>Transcript</h2><ul>{turns}</ul></body></html>",
        contact = escape(contact),
        channel = session.channel.as_str(),
        state = escape(session.handoff.as_str()),
        human = if session.human_active { " · a rep owns the conversation" } else { "" },
        summary = escape(session.summary.as_deref().unwrap_or("No summary yet.")),
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html><title>Not found</title><p>This session link is not valid. Open it from the ticket in Zendesk.</p>",
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
