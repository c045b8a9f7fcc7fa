//! The sessions API (SPEC §8), for the AI platform: create a session, add turns, request a handoff, read a
//! session with the reps' replies, post an assist note. Versioned JSON routes under `/v1`, a bearer key on
//! every one of them but the OpenAPI document, and the read-only "View session" page the ticket links to.
//! The webhook relay joins this router on the same server.
//!
//! Invariants:
//! - every answer that is not a success is `{"error": {"code", "message", "field"?}}` with a stable `code`;
//!   bad input is a 4xx, never a 5xx or a panic (property-tested over the request bodies);
//! - a wrong, missing or revoked key is 401 with one and the same message (no hint of which);
//! - an AI turn on a human-active session is 409 `human_active`: the AI goes quiet by construction;
//! - a handoff is acknowledged (202) only once it is a row in the durable queue;
//! - the store's synchronous calls run on the blocking pool, never on the async runtime;
//! - bodies are capped ([`MAX_BODY_BYTES`], 413), handlers time out ([`HANDLER_TIMEOUT`]); header, idle and
//!   connection limits are the server's ([`crate::server`]).

mod dto;
mod keys;
mod openapi;
mod page;
mod sessions;

pub use dto::*;
pub use keys::{ApiKeyError, ApiKeys, NewApiKey, KEY_PREFIX};
pub use openapi::openapi_json;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use url::Url;

use crate::clock::Clock;
use crate::handoff::SessionLinks;
use crate::session::{SessionError, Sessions};
use crate::store::Store;

/// The largest request body: a whole transcript fits many times over.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The longest a handler may run before the caller gets 503 `timeout`.
pub const HANDLER_TIMEOUT: Duration = Duration::from_secs(30);

/// What the API's handlers share. Clones are cheap.
#[derive(Clone)]
pub struct ApiState {
    pub sessions: Sessions,
    pub keys: ApiKeys,
    pub links: SessionLinks,
    pub store: Store,
    pub clock: Clock,
    /// The connected account: where ticket links point, and the client assist notes are posted with.
    pub zendesk: Option<ZendeskAccess>,
    /// The webhook relay on the same server, when it runs.
    pub relay: Option<crate::relay::receive::RelayIntake>,
}

/// The Zendesk account the API reaches.
#[derive(Clone)]
pub struct ZendeskAccess {
    pub client: zendesk::Client,
    pub base_url: Url,
}

impl ApiState {
    fn agent_url(&self, ticket_id: u64) -> Option<String> {
        self.zendesk
            .as_ref()
            .map(|z| crate::handoff::agent_page(&z.base_url, ticket_id))
    }
}

/// The API's router: `/v1/...`, the session page and `/healthz`. Tests drive it with `oneshot`.
pub fn app(state: ApiState) -> Router {
    // Shared, not cloned: axum hands every request its own copy of the state, and a clone of `ApiState` is a
    // dozen reference counts and a few allocations (paths, the keychain's namespace), which the webhook relay
    // measured at 7 % of its CPU per delivery.
    let state = Arc::new(state);
    let authed = Router::new()
        .route("/v1/sessions", post(sessions::create).get(sessions::list))
        .route("/v1/sessions/{id}", get(sessions::show))
        .route("/v1/sessions/{id}/turns", post(sessions::add_turn))
        .route("/v1/sessions/{id}/handoff", post(sessions::handoff))
        .route("/v1/assist-notes", post(sessions::assist_note))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_key,
        ));
    Router::new()
        .merge(authed)
        .route("/v1/openapi.json", get(openapi::document))
        .route("/sessions/{id}", get(page::session_page))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/zendesk/{*rest}", post(crate::relay::receive::receive))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "there is no such route; see /v1/openapi.json",
            )
        })
        .with_state(state)
        .layer(axum::middleware::map_response(json_errors))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            HANDLER_TIMEOUT,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
}

/// `/metrics` in the OpenMetrics text format (deliveries by verdict, queue depth, reply latency, Zendesk calls).
async fn metrics(State(state): State<Arc<ApiState>>) -> Response {
    let store = state.store.clone();
    let depth = tokio::task::spawn_blocking(move || store.relay_queue_depth())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or((0, 0));
    let metrics = state
        .relay
        .as_ref()
        .map(|relay| relay.metrics().clone())
        .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render(depth),
    )
        .into_response()
}

/// A request's failure, as the caller sees it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    fn invalid(field: impl Into<String>, why: impl std::fmt::Display) -> ApiError {
        let field = field.into();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            message: format!("{field}: {why}"),
            field: Some(field),
        }
    }

    fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid API key is required: send `Authorization: Bearer hk_...` (make one with `handoff api-key new`)",
        )
    }

    fn unavailable(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("{what}; try again in a moment"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> ApiError {
        match error {
            SessionError::NotFound(id) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("session {id} does not exist"),
            ),
            SessionError::Invalid { field, why } => ApiError::invalid(field, why),
            SessionError::HumanActive(_) => {
                ApiError::new(StatusCode::CONFLICT, "human_active", error.to_string())
            }
            SessionError::Store(store) => ApiError::unavailable(store),
        }
    }
}

/// A JSON body whose every rejection is an [`ApiError`] (`invalid_body`, `payload_too_large`).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    let code = "invalid_body";
    let message = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "send the body as JSON with `Content-Type: application/json`".to_owned()
        }
        _ => format!(
            "the body is not the JSON this route takes: {}; see /v1/openapi.json",
            rejection.body_text()
        ),
    };
    let status = if status.is_client_error() {
        status
    } else {
        StatusCode::BAD_REQUEST
    };
    ApiError::new(status, code, message)
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body is larger than {} KiB", MAX_BODY_BYTES / 1024),
    )
}

/// Runs a store call on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| ApiError::unavailable(format!("the request's work stopped ({error})")))?
}

/// The bearer key check of every `/v1` route but the OpenAPI document.
async fn require_key(
    State(state): State<Arc<ApiState>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|key| key.trim().to_owned());
    let Some(presented) = presented else {
        return Err(ApiError::unauthorized());
    };
    let keys = state.keys.clone();
    let known =
        blocking(move || keys.authenticate(&presented).map_err(ApiError::unavailable)).await?;
    match known {
        Some(_) => Ok(next.run(request).await),
        None => Err(ApiError::unauthorized()),
    }
}

/// Answers produced below the handlers (the body limit, the timeout, axum's 405) get the API's error shape.
async fn json_errors(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || response.status().is_success() {
        return response;
    }
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large().into_response(),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the request took longer than {} s; try again",
                HANDLER_TIMEOUT.as_secs()
            ),
        )
        .into_response(),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this route does not take that method; see /v1/openapi.json",
        )
        .into_response(),
        _ => response,
    }
}
