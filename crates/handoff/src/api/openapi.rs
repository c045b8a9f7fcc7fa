//! The OpenAPI document of the `/v1` routes, generated from the handlers' annotations (utoipa) and served at
//! `/v1/openapi.json`. A test holds it to the router: every route the router serves is documented, and every
//! answer the tests see validates against the documented schema.

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::dto::*;
use super::sessions;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Zendesk Handoff Console: sessions API",
        description = "For the AI platform: sessions, turns, handoffs to Zendesk, the reps' replies, assist notes. \
                       Every route but this document takes `Authorization: Bearer hk_...` (`handoff api-key new`). \
                       Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`."
    ),
    paths(
        sessions::create,
        sessions::list,
        sessions::show,
        sessions::add_turn,
        sessions::handoff,
        sessions::assist_note,
    ),
    components(schemas(
        Channel, Mode, Role, Sentiment, ContactBody, TurnBody, CreateSessionBody, HandoffBody, AssistNoteBody,
        ContactView, TurnView, TicketView, HandoffView, SessionView, SessionLine, SessionList,
        HandoffAcceptedView, AssistNoteView, ErrorBody, ErrorDetail,
    )),
    modifiers(&BearerKey),
    tags((name = "sessions"), (name = "assist"))
)]
struct Document;

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The document as JSON.
pub fn openapi_json() -> String {
    Document::openapi().to_json().unwrap_or_else(|error| {
        format!("{{\"error\":\"the document could not be rendered: {error}\"}}")
    })
}

pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json())
}
