//! `GET /agent/tickets/{id}`: a read-only page standing in for the ticket in Zendesk's agent workspace, so the
//! ticket links the console opens in demo mode show the ticket: subject, status, requester, tags and every
//! comment (public replies and internal notes), oldest first. Real Zendesk first asks the agent to sign in and
//! shows its full workspace; the simulator does neither. Everything shown is HTML-escaped.

use axum::http::StatusCode;

use crate::reply::Reply;
use crate::Simulator;

/// The page of ticket `id` (the path's last segment), or a 404 page naming what is missing.
pub(crate) fn page(sim: &Simulator, id: &str) -> Reply {
    let account = sim.account();
    let Some(ticket) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| account.tickets.get(&id))
    else {
        return Reply::text(
            StatusCode::NOT_FOUND,
            "text/html; charset=utf-8",
            format!(
                "<!DOCTYPE html>\n<html><head><title>Ticket not found</title></head><body><h1>Ticket {} does \
                 not exist in this sandbox account</h1><p>The sandbox keeps its tickets only while it runs.</p>\
                 </body></html>\n",
                escape(id)
            ),
        );
    };
    let user = |id: u64| {
        account
            .users
            .get(&id)
            .map(|user| match &user.email {
                Some(email) => format!("{} &lt;{}&gt;", escape(&user.name), escape(email)),
                None => escape(&user.name),
            })
            .unwrap_or_else(|| format!("user {id}"))
    };
    let state = &ticket.state;
    let subject = escape(state.subject.as_deref().unwrap_or("(no subject)"));
    let comments: String = ticket
        .comments
        .iter()
        .map(|comment| {
            format!(
                "<article class=\"{kind}\"><header><strong>{author}</strong> · {label} · {at}</header>\
                 <pre>{body}</pre></article>\n",
                kind = if comment.public { "public" } else { "internal" },
                author = user(comment.author_id),
                label = if comment.public { "Public reply" } else { "Internal note" },
                at = crate::clock::seconds(comment.created_at),
                body = escape(&comment.body),
            )
        })
        .collect();
    Reply::text(
        StatusCode::OK,
        "text/html; charset=utf-8",
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>#{id} {subject} – Zendesk sandbox</title>\
             <style>body{{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;color:#2f3941}}\
             dl{{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}}dt{{color:#68737d}}\
             article{{border:1px solid #d8dcde;border-radius:4px;padding:.5rem 1rem;margin:.75rem 0}}\
             article.internal{{background:#fff7ed;border-color:#fcdba9}}pre{{white-space:pre-wrap;\
             font-family:inherit}}</style></head>\n<body><p>Sandbox account · agent view</p>\
             <h1>#{id} {subject}</h1>\n<dl><dt>Status</dt><dd>{status}</dd><dt>Requester</dt><dd>{requester}</dd>\
             <dt>External ID</dt><dd>{external}</dd><dt>Tags</dt><dd>{tags}</dd></dl>\n{comments}</body></html>\n",
            id = ticket.id,
            status = escape(&state.status),
            requester = user(state.requester_id),
            external = escape(state.external_id.as_deref().unwrap_or("—")),
            tags = escape(&state.tags.join(" ")),
        ),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
