//! Responses in Zendesk's shapes: JSON bodies, error envelopes, and the two API families'
//! header conventions (Support API vs Webhooks API).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

/// Which Zendesk API family answered; they differ in content type and rate-limit headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ApiFamily {
    /// The Support API: `application/json; charset=utf-8`, `x-zendesk-api-version: v2`.
    Support,
    /// The Webhooks API: `application/json` without charset, its own rate limiter.
    Webhooks,
}

/// A response before the router adds the family's common headers.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: ReplyBody,
}

/// The body of a [`Reply`].
#[derive(Debug)]
pub(crate) enum ReplyBody {
    Json(Value),
    /// A non-JSON body with its content type (429 text, the unknown-account HTML page).
    Text {
        content_type: &'static str,
        text: String,
    },
    Empty,
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: StatusCode, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Json(body),
        }
    }

    /// 200 with a JSON body.
    pub fn ok(body: Value) -> Reply {
        Reply::json(StatusCode::OK, body)
    }

    /// 201 with a JSON body and the new record's address in `Location`.
    pub fn created(body: Value, location: impl AsRef<str>) -> Reply {
        Reply::json(StatusCode::CREATED, body).with_location(location)
    }

    /// A reply without a body (204s).
    pub fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Empty,
        }
    }

    /// A plain-text reply.
    pub fn text(status: StatusCode, content_type: &'static str, text: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Text {
                content_type,
                text: text.into(),
            },
        }
    }

    /// Adds a header; values that are not valid header text are skipped (they only ever
    /// come from simulator-built strings, so this is a programming slip, not user input).
    pub fn with_header(mut self, name: &'static str, value: impl AsRef<str>) -> Reply {
        if let Ok(value) = HeaderValue::from_str(value.as_ref()) {
            self.headers.push((HeaderName::from_static(name), value));
        }
        self
    }

    /// Adds the `Location` header Zendesk sends with a record it created (and, recorded, with
    /// some it updated).
    pub fn with_location(self, location: impl AsRef<str>) -> Reply {
        self.with_header("location", location)
    }

    /// Turns the reply into an HTTP response, adding the family's content type.
    pub fn into_response(self, family: ApiFamily) -> Response {
        let mut headers = HeaderMap::new();
        let body = match self.body {
            ReplyBody::Json(value) => {
                let content_type = match family {
                    ApiFamily::Support => "application/json; charset=utf-8",
                    ApiFamily::Webhooks => "application/json",
                };
                headers.insert(
                    axum::http::header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type),
                );
                Body::from(value.to_string())
            }
            ReplyBody::Text { content_type, text } => {
                headers.insert(
                    axum::http::header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type),
                );
                Body::from(text)
            }
            ReplyBody::Empty => Body::empty(),
        };
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        *response.headers_mut() = headers;
        response
    }
}

/// The errors Zendesk answers with, each mapped to its recorded status and body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ApiError {
    /// 401 `Couldn't authenticate you` plus `WWW-Authenticate`.
    Unauthenticated,
    /// 403, plan/permission shape.
    Forbidden,
    /// 401 for a bearer token that is unknown, expired or revoked (Doorkeeper's shape).
    InvalidToken,
    /// 403 for an OAuth token without the scope the endpoint needs; names that scope.
    MissingScope(String),
    /// 404 `RecordNotFound`.
    RecordNotFound,
    /// 404 `InvalidEndpoint` (unknown path).
    InvalidEndpoint,
    /// 400 with an error code and description (`InvalidPaginationDepth`, bad JSON, ...).
    BadRequest {
        error: &'static str,
        description: String,
    },
    /// 422 `RecordInvalid` with `details` (a map from field name to a list of problems).
    RecordInvalid { details: Value },
    /// 422 with a flat `{"error","description"}` body (webhook/trigger validation).
    Unprocessable {
        error: &'static str,
        description: String,
    },
    /// A Webhooks API error: `{"errors":[{"code","title","detail"}]}`.
    Webhooks {
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: String,
    },
    /// 409 or other conflict-style responses with an error code.
    Conflict {
        error: &'static str,
        description: String,
    },
}

impl ApiError {
    /// A `RecordInvalid` with one problem under `key`.
    pub fn invalid(key: &str, description: impl Into<String>) -> ApiError {
        ApiError::RecordInvalid {
            details: json!({ key: [{ "description": description.into() }] }),
        }
    }

    /// A malformed request body.
    pub fn bad_json(description: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            error: "InvalidJSON",
            description: description.into(),
        }
    }

    /// The reply Zendesk sends for this error.
    pub fn into_reply(self) -> Reply {
        match self {
            ApiError::Unauthenticated => Reply::json(
                StatusCode::UNAUTHORIZED,
                json!({"error": "Couldn't authenticate you"}),
            )
            .with_header("www-authenticate", "Basic realm=\"Web Password\""),
            ApiError::Forbidden => Reply::json(
                StatusCode::FORBIDDEN,
                json!({"error": {"title": "Forbidden", "message": "You do not have access to this page. Please contact the account owner of this help desk for further help."}}),
            ),
            ApiError::InvalidToken => Reply::json(
                StatusCode::UNAUTHORIZED,
                json!({"error": "invalid_token", "error_description": "The access token provided is expired, revoked, malformed or invalid for other reasons."}),
            )
            .with_header(
                "www-authenticate",
                "Bearer realm=\"Doorkeeper\", error=\"invalid_token\"",
            ),
            ApiError::MissingScope(scope) => Reply::json(
                StatusCode::FORBIDDEN,
                json!({"error": "Forbidden", "description": format!("You are missing the following required scopes: {scope}")}),
            ),
            ApiError::RecordNotFound => Reply::json(
                StatusCode::NOT_FOUND,
                json!({"error": "RecordNotFound", "description": "Not found"}),
            ),
            ApiError::InvalidEndpoint => Reply::json(
                StatusCode::NOT_FOUND,
                json!({"error": "InvalidEndpoint", "description": "Not found"}),
            ),
            ApiError::BadRequest { error, description } => Reply::json(
                StatusCode::BAD_REQUEST,
                json!({"error": error, "description": description}),
            ),
            ApiError::RecordInvalid { details } => Reply::json(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "RecordInvalid", "description": "Record validation errors", "details": details}),
            ),
            ApiError::Unprocessable { error, description } => Reply::json(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": error, "description": description}),
            ),
            ApiError::Webhooks {
                status,
                code,
                title,
                detail,
            } => Reply::json(
                status,
                json!({"errors": [{"code": code, "title": title, "detail": detail}]}),
            ),
            ApiError::Conflict { error, description } => Reply::json(
                StatusCode::CONFLICT,
                json!({"error": error, "description": description}),
            ),
        }
    }
}

/// A record's API address, as its `url` and a `Location` header give it:
/// `{origin}/api/v2/{collection}/{id}.json`.
pub(crate) fn record_url(origin: &str, collection: &str, id: impl std::fmt::Display) -> String {
    format!("{origin}/api/v2/{collection}/{id}.json")
}

/// The handlers' result type.
pub(crate) type ApiResult = Result<Reply, ApiError>;

/// The page a browser gets for a subdomain that is not a Zendesk account: HTML, not JSON.
pub(crate) fn unknown_account_page() -> Reply {
    Reply::text(
        StatusCode::NOT_FOUND,
        "text/html; charset=utf-8",
        "<!DOCTYPE html>\n<html>\n<head><title>Help Center Closed | Zendesk</title></head>\n<body>\n<h1>Oops! This help center no longer exists</h1>\n<p>The help center you are looking for is not available.</p>\n</body>\n</html>\n",
    )
}
