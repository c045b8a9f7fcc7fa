//! The `/v1` handlers. Each parses its input into the domain's types, runs the domain call on the blocking
//! pool (the store is synchronous SQLite), and renders the answer.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;

use super::dto::*;
use super::{blocking, ApiError, ApiJson, ApiState};
use crate::handoff::{post_assist_note, AssistError, AssistNote, AssistOutcome};
use crate::session::{HandoffRequest, NewSession, NewTurn, SessionId};

/// Longest request id, in characters.
const MAX_REQUEST_ID_CHARS: usize = 200;

#[utoipa::path(
    post, path = "/v1/sessions", tag = "sessions",
    request_body = CreateSessionBody,
    responses(
        (status = 201, description = "Created", body = SessionView),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 400, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(api): State<Arc<ApiState>>,
    ApiJson(body): ApiJson<CreateSessionBody>,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    let turns = body
        .turns
        .into_iter()
        .enumerate()
        .map(|(index, turn)| new_turn(turn, &format!("turns[{index}].at")))
        .collect::<Result<Vec<_>, _>>()?;
    let new = NewSession {
        contact: body.contact.into(),
        channel: body.channel.into(),
        mode: body.mode.unwrap_or(Mode::Handoff).into(),
        turns,
        summary: body.summary,
        sentiment: body.sentiment.map(Into::into),
        language: body.language,
    };
    let sessions = api.sessions.clone();
    let session = blocking(move || sessions.create(new).map_err(ApiError::from)).await?;
    Ok((
        StatusCode::CREATED,
        Json(session_view(&session, |id| api.agent_url(id))),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// At most this many, newest first (default 50, at most 500).
    limit: Option<usize>,
}

#[utoipa::path(
    get, path = "/v1/sessions", tag = "sessions", params(ListQuery),
    responses((status = 200, body = SessionList), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
pub async fn list(
    State(api): State<Arc<ApiState>>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SessionList>, ApiError> {
    let Query(query) =
        query.map_err(|rejection| ApiError::invalid("limit", rejection.body_text()))?;
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let sessions = api.sessions.clone();
    let lines = blocking(move || sessions.list(limit).map_err(ApiError::from)).await?;
    Ok(Json(SessionList {
        sessions: lines.iter().map(session_line).collect(),
    }))
}

#[utoipa::path(
    get, path = "/v1/sessions/{id}", tag = "sessions",
    params(("id" = String, Path, description = "The session's id (a UUID)")),
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
pub async fn show(
    State(api): State<Arc<ApiState>>,
    Path(id): Path<String>,
) -> Result<Json<SessionView>, ApiError> {
    let id = session_id(&id)?;
    let sessions = api.sessions.clone();
    let session = blocking(move || sessions.get(id).map_err(ApiError::from)).await?;
    Ok(Json(session_view(&session, |id| api.agent_url(id))))
}

#[utoipa::path(
    post, path = "/v1/sessions/{id}/turns", tag = "sessions",
    params(("id" = String, Path, description = "The session's id (a UUID)")),
    request_body = TurnBody,
    responses(
        (status = 201, body = TurnView),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 409, description = "A rep owns the conversation: AI turns are refused (`human_active`)", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn add_turn(
    State(api): State<Arc<ApiState>>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TurnBody>,
) -> Result<(StatusCode, Json<TurnView>), ApiError> {
    let id = session_id(&id)?;
    if body.role == Role::Agent {
        // Reps' replies come from Zendesk through the relay, which marks the session human-active.
        return Err(ApiError::invalid(
            "role",
            "agent turns come from Zendesk (a rep's public reply); send customer or ai",
        ));
    }
    let turn = new_turn(body, "at")?;
    let sessions = api.sessions.clone();
    let turn = blocking(move || sessions.add_turn(id, turn).map_err(ApiError::from)).await?;
    Ok((
        StatusCode::CREATED,
        Json(TurnView {
            seq: turn.seq,
            role: turn.role.into(),
            text: turn.text,
            at: turn.at.to_string(),
        }),
    ))
}

#[utoipa::path(
    post, path = "/v1/sessions/{id}/handoff", tag = "sessions",
    params(
        ("id" = String, Path, description = "The session's id (a UUID)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Used as the request id when the body has none"),
    ),
    request_body(content = HandoffBody, description = "Optional", content_type = "application/json"),
    responses(
        (status = 202, description = "Queued; the ticket follows (read the session)", body = HandoffAcceptedView),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn handoff(
    State(api): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<HandoffAcceptedView>), ApiError> {
    let id = session_id(&id)?;
    // The body is optional: none at all is the empty request.
    let body: HandoffBody = if body.iter().all(u8::is_ascii_whitespace) {
        HandoffBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|error| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("the body is not the JSON this route takes: {error}; see /v1/openapi.json"),
            )
        })?
    };
    let header_key = headers
        .get("idempotency-key")
        .map(|value| {
            value
                .to_str()
                .map(str::to_owned)
                .map_err(|_| ApiError::invalid("Idempotency-Key", "is not plain ASCII text"))
        })
        .transpose()?;
    let request_id = match body.request_id.or(header_key) {
        Some(given) => {
            let given = given.trim().to_owned();
            if given.is_empty()
                || given.chars().count() > MAX_REQUEST_ID_CHARS
                || given.chars().any(char::is_control)
            {
                return Err(ApiError::invalid(
                    "request_id",
                    format!("must be 1 to {MAX_REQUEST_ID_CHARS} printable characters"),
                ));
            }
            given
        }
        // Without one, every request is its own handoff (a retry is not recognised): say so in the docs.
        None => ulid::Ulid::new().to_string().to_ascii_lowercase(),
    };
    let request = HandoffRequest {
        request_id,
        summary: body.summary,
        sentiment: body.sentiment.map(Into::into),
        language: body.language,
    };
    let sessions = api.sessions.clone();
    let (accepted, status) = blocking(move || {
        let accepted = sessions.request_handoff(id, request)?;
        let status = sessions.handoff_status(id)?;
        Ok((accepted, status))
    })
    .await
    .map_err(|error: ApiError| error)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(HandoffAcceptedView {
            session_id: accepted.session_id.to_string(),
            request_id: accepted.request_id,
            repeated: accepted.repeated,
            handoff: handoff_view(&status.state),
        }),
    ))
}

#[utoipa::path(
    post, path = "/v1/assist-notes", tag = "assist",
    request_body = AssistNoteBody,
    responses(
        (status = 201, description = "Posted as an internal note, or already posted within 48 h", body = AssistNoteView),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 409, description = "The ticket is solved or closed (`ticket_not_open`)", body = ErrorBody),
        (status = 503, description = "Not connected to Zendesk, or Zendesk did not answer", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn assist_note(
    State(api): State<Arc<ApiState>>,
    ApiJson(body): ApiJson<AssistNoteBody>,
) -> Result<(StatusCode, Json<AssistNoteView>), ApiError> {
    let Some(zendesk) = api.zendesk.as_ref() else {
        return Err(ApiError::unavailable(
            "the relay is not connected to Zendesk (run `handoff connect`)",
        ));
    };
    let note = AssistNote {
        ticket_id: body.ticket_id,
        text: body.text,
    };
    let outcome = post_assist_note(&api.store, &api.clock, &zendesk.client, &note)
        .await
        .map_err(|error| match error {
            AssistError::Invalid { field, why } => ApiError::invalid(field, why),
            AssistError::TicketNotOpen { .. } => {
                ApiError::new(StatusCode::CONFLICT, "ticket_not_open", error.to_string())
            }
            AssistError::TicketNotFound(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", error.to_string())
            }
            AssistError::Zendesk(_) | AssistError::Store(_) => ApiError::unavailable(error),
        })?;
    let (ticket_id, outcome) = match outcome {
        AssistOutcome::Posted { ticket_id } => (ticket_id, "posted"),
        AssistOutcome::AlreadyPosted { ticket_id, .. } => (ticket_id, "already_posted"),
    };
    Ok((
        StatusCode::CREATED,
        Json(AssistNoteView {
            ticket_id,
            outcome: outcome.to_owned(),
        }),
    ))
}

/// A path's session id; one that is not a UUID names no session (404, as an unknown one).
fn session_id(raw: &str) -> Result<SessionId, ApiError> {
    SessionId::parse(raw).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!(
                "session {} does not exist (session ids are UUIDs)",
                crate::message::quote(raw)
            ),
        )
    })
}

fn new_turn(body: TurnBody, at_field: &str) -> Result<NewTurn, ApiError> {
    let at = body
        .at
        .map(|raw| {
            raw.trim().parse::<jiff::Timestamp>().map_err(|_| {
                ApiError::invalid(
                    at_field,
                    "is not an RFC 3339 instant such as 2026-12-03T12:00:00Z",
                )
            })
        })
        .transpose()?;
    Ok(NewTurn {
        role: body.role.into(),
        text: body.text,
        at,
    })
}
