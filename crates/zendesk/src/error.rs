//! The error taxonomy callers branch on, and the classification of Zendesk answers into it.
//!
//! Classification looks at the status first, then the body's `error` code; the content type only decides whether
//! the answer came from the Zendesk API at all (a non-JSON 404 is a host that is not a Zendesk account).

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// Offset pagination refuses to go past this many records (Zendesk answers 400 `InvalidPaginationDepth`).
pub const OFFSET_PAGINATION_LIMIT: u32 = 10_000;

/// Errors callers branch on. `Display` says what is wrong in one sentence; the caller adds what to do.
///
/// No variant ever carries a token, password or signing secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The host answered, but not as the Zendesk API does (HTML, a non-JSON 404, a redirect): not a Zendesk account.
    #[error("{url} answered HTTP {status} without a Zendesk API response, so it is not a Zendesk account")]
    NotZendesk {
        /// The URL that was requested (never carries credentials).
        url: String,
        /// The HTTP status it answered with.
        status: u16,
    },
    /// 401, or `users/me` answering 200 with the anonymous user.
    #[error("Zendesk did not accept the credentials ({detail})")]
    BadCredentials {
        /// Zendesk's own words, e.g. "Couldn't authenticate you".
        detail: String,
    },
    /// 403: a missing OAuth scope, or a role or plan without access.
    #[error("Zendesk refused access: {reason}")]
    Forbidden {
        /// Which of the two kinds of 403 this is.
        reason: Forbidden,
    },
    /// 404 with a Zendesk JSON body: the record does not exist (or is not visible to this user).
    #[error("{resource} was not found")]
    NotFound {
        /// What was looked for, e.g. "user 42".
        resource: String,
    },
    /// 422 `RecordInvalid`: the record was refused, field by field.
    #[error("Zendesk refused the record: {}", FieldErrors(details))]
    Invalid {
        /// One entry per problem, in Zendesk's order.
        details: Vec<FieldError>,
    },
    /// 422 on a closed ticket: it can no longer be updated; a follow-up ticket is the only way on.
    #[error("{} is closed and can no longer be updated", TicketName(*ticket_id))]
    ClosedTicket {
        /// The ticket, when the request named one.
        ticket_id: Option<u64>,
    },
    /// 429: the account's (or an endpoint's) rate limit is used up.
    #[error("Zendesk's rate limit is used up{}", RetryAfter(*retry_after))]
    RateLimited {
        /// How long Zendesk asked to wait (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// 5xx: Zendesk (or something in front of it) failed.
    #[error("Zendesk failed with HTTP {status}: {excerpt}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The start of the body, for the log.
        excerpt: String,
    },
    /// Offset pagination reached Zendesk's depth cap; cursor pagination or a narrower query is needed.
    #[error("offset pagination stops at {limit} records")]
    PaginationDepth {
        /// The cap, in records.
        limit: u32,
    },
    /// Any other 4xx answered in Zendesk's JSON error shape (e.g. 400 `InvalidValue`, 409 conflicts).
    #[error("Zendesk refused the request with HTTP {status} {code}: {description}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Zendesk's `error` code, e.g. "InvalidValue".
        code: String,
        /// Zendesk's `description` or `message`.
        description: String,
    },
    /// The request never got an answer: DNS, connection refused, TLS, reset.
    #[error("could not reach Zendesk: {detail}")]
    Network {
        /// What the transport said.
        detail: String,
    },
    /// No answer within the configured timeout (or the retry budget ran out while waiting).
    #[error("Zendesk did not answer in time")]
    Timeout,
    /// The answer was not the JSON shape this client expects.
    #[error("could not read Zendesk's answer: {detail}")]
    Decode {
        /// Which shape was expected and what went wrong.
        detail: String,
    },
    /// The client was configured with something unusable (a bad subdomain, a header that cannot be sent).
    #[error("invalid Zendesk client configuration: {detail}")]
    InvalidConfig {
        /// What is wrong.
        detail: String,
    },
}

/// The two kinds of 403 Zendesk answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forbidden {
    /// An OAuth token without the scopes the endpoint needs (`"You are missing the following required scopes: read"`).
    MissingScopes(Vec<String>),
    /// The user's role or the account's plan has no access (`{"error":{"title":"Forbidden","message":…}}`).
    NoAccess {
        /// Zendesk's message.
        message: String,
    },
}

impl fmt::Display for Forbidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Forbidden::MissingScopes(scopes) => {
                write!(f, "the token lacks the scopes {}", scopes.join(", "))
            }
            Forbidden::NoAccess { message } => f.write_str(message),
        }
    }
}

/// One problem in a 422 `RecordInvalid` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The key under `details`: a field name, or `base` for record-wide problems (custom fields among them).
    pub field: String,
    /// Zendesk's description, e.g. "Subject: cannot be blank".
    pub description: String,
    /// Zendesk's code, e.g. "InvalidValue", "ClosedTicket".
    pub error: Option<String>,
    /// The custom field id, for problems with a custom field.
    pub field_key: Option<u64>,
}

impl Error {
    /// Whether waiting and sending the same request again may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Network { .. } | Error::Timeout => true,
            Error::Server { status, .. } => matches!(status, 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    pub(crate) fn decode(what: &str, err: impl fmt::Display) -> Error {
        Error::Decode {
            detail: format!("{what}: {err}"),
        }
    }

    pub(crate) fn from_transport(err: &reqwest::Error) -> Error {
        if err.is_timeout() {
            return Error::Timeout;
        }
        // reqwest's Display names the URL, which never carries credentials here (auth travels in a header);
        // the source chain says why (DNS, refused, TLS).
        let mut detail = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            detail.push_str(": ");
            detail.push_str(&inner.to_string());
            source = inner.source();
        }
        Error::Network { detail }
    }
}

/// What a failed request was about, so the error can name it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subject {
    /// e.g. "user 42", "ticket 7", "webhook 01H…".
    pub resource: String,
    /// The ticket a ticket update targeted; lets a 422 name the closed ticket.
    pub ticket_id: Option<u64>,
}

/// An answer that was not a success, reduced to what classification needs.
#[derive(Debug)]
pub(crate) struct FailedAnswer<'a> {
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub retry_after: Option<Duration>,
    pub body: &'a [u8],
    pub url: &'a str,
}

/// Turns a non-2xx answer into the error callers branch on.
pub(crate) fn classify(answer: &FailedAnswer<'_>, subject: &Subject) -> Error {
    let json = zendesk_json(answer.content_type, answer.body);
    let status = answer.status;
    match (status, json) {
        (300..=399, _) | (404, None) => Error::NotZendesk {
            url: answer.url.to_owned(),
            status,
        },
        // OAuth's token endpoint answers 400/401 with RFC 6749 codes: a dead code, refresh token or client.
        (400 | 401, Some(json)) if is_oauth_rejection(&json) => Error::BadCredentials {
            detail: error_text(&json)
                .unwrap_or_default()
                .if_empty("the OAuth grant was refused"),
        },
        (401, json) => Error::BadCredentials {
            detail: json
                .as_ref()
                .and_then(error_text)
                .unwrap_or_else(|| excerpt(answer.body))
                .if_empty("HTTP 401"),
        },
        (403, json) => Error::Forbidden {
            reason: forbidden_reason(json.as_ref(), answer.body),
        },
        (404, Some(json)) => {
            let resource = if error_code(&json).as_deref() == Some("InvalidEndpoint") {
                format!(
                    "{} (the endpoint is not available on this account)",
                    subject.resource
                )
            } else {
                subject.resource.clone()
            };
            Error::NotFound { resource }
        }
        (429, _) => Error::RateLimited {
            retry_after: answer.retry_after,
        },
        (422, Some(json)) => unprocessable(&json, subject),
        (400, Some(json)) if error_code(&json).as_deref() == Some("InvalidPaginationDepth") => {
            Error::PaginationDepth {
                limit: OFFSET_PAGINATION_LIMIT,
            }
        }
        (500..=599, _) => Error::Server {
            status,
            excerpt: excerpt(answer.body),
        },
        (_, Some(json)) => Error::Rejected {
            status,
            code: error_code(&json).unwrap_or_default(),
            description: json_description(&json).unwrap_or_else(|| excerpt(answer.body)),
        },
        (_, None) => Error::Rejected {
            status,
            code: String::new(),
            description: excerpt(answer.body),
        },
    }
}

/// Parses a body as the Zendesk API's JSON: an object, sent with a JSON content type (or none at all).
/// HTML and plain text answers (proxies, "Help Center closed" pages, the plain-text 429) give `None`.
pub(crate) fn zendesk_json(content_type: Option<&str>, body: &[u8]) -> Option<Value> {
    let declared_other = content_type.is_some_and(|ct| !ct.to_ascii_lowercase().contains("json"));
    if declared_other {
        return None;
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Some(value),
        _ => None,
    }
}

fn unprocessable(json: &Value, subject: &Subject) -> Error {
    let details = field_errors(json);
    // A closed ticket shows up under `status` or `base`, with or without `"error":"ClosedTicket"`.
    let closed = details.iter().any(|detail| {
        detail.error.as_deref() == Some("ClosedTicket")
            || ((detail.field == "status" || detail.field == "base")
                && detail
                    .description
                    .to_ascii_lowercase()
                    .contains("closed prevents ticket update"))
    });
    if closed {
        return Error::ClosedTicket {
            ticket_id: subject.ticket_id,
        };
    }
    if details.is_empty() {
        return Error::Invalid {
            details: vec![FieldError {
                field: "base".to_owned(),
                description: json_description(json).unwrap_or_else(|| "invalid record".to_owned()),
                error: error_code(json),
                field_key: None,
            }],
        };
    }
    Error::Invalid { details }
}

/// Flattens `details: {field: [{description, error, field_key}]}`; string entries are taken as descriptions.
fn field_errors(json: &Value) -> Vec<FieldError> {
    let Some(details) = json.get("details").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    for (field, entries) in details {
        let entries = match entries {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        };
        for entry in entries {
            let description = match entry {
                Value::String(text) => text.clone(),
                other => other
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            };
            let field_key = entry.get("field_key").and_then(|key| match key {
                Value::Number(number) => number.as_u64(),
                Value::String(text) => text.parse().ok(),
                _ => None,
            });
            errors.push(FieldError {
                field: field.clone(),
                description,
                error: entry
                    .get("error")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                field_key,
            });
        }
    }
    errors
}

fn forbidden_reason(json: Option<&Value>, body: &[u8]) -> Forbidden {
    const SCOPES_PREFIX: &str = "missing the following required scopes:";
    if let Some(description) = json.and_then(json_description) {
        if let Some(at) = description.find(SCOPES_PREFIX) {
            let scopes = description[at + SCOPES_PREFIX.len()..]
                .split([',', ' '])
                .map(|scope| scope.trim().trim_end_matches('.'))
                .filter(|scope| !scope.is_empty())
                .map(str::to_owned)
                .collect();
            return Forbidden::MissingScopes(scopes);
        }
        return Forbidden::NoAccess {
            message: description,
        };
    }
    let message = json
        .and_then(error_text)
        .unwrap_or_else(|| excerpt(body))
        .if_empty("HTTP 403");
    Forbidden::NoAccess { message }
}

fn is_oauth_rejection(json: &Value) -> bool {
    matches!(
        error_code(json).as_deref(),
        Some("invalid_grant" | "invalid_client" | "unauthorized_client" | "invalid_token")
    )
}

/// The `error` code when it is a string (`{"error":"RecordNotFound"}`) or a titled object.
fn error_code(json: &Value) -> Option<String> {
    match json.get("error")? {
        Value::String(code) => Some(code.clone()),
        Value::Object(inner) => inner
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

/// The human text: `description`, or `error.message` in the nested shape.
fn json_description(json: &Value) -> Option<String> {
    json.get("description")
        .or_else(|| json.get("error_description"))
        .and_then(Value::as_str)
        .or_else(|| json.pointer("/error/message").and_then(Value::as_str))
        .map(str::to_owned)
}

/// The best one-line text of an error body: description, nested message, or the bare error string.
fn error_text(json: &Value) -> Option<String> {
    json_description(json).or_else(|| error_code(json))
}

/// The start of a body, on one line, for messages and logs.
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX_CHARS: usize = 200;
    let text = String::from_utf8_lossy(body);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > MAX_CHARS {
        let cut: String = collapsed.chars().take(MAX_CHARS).collect();
        format!("{cut}…")
    } else {
        collapsed
    }
}

trait IfEmpty {
    fn if_empty(self, fallback: &str) -> String;
}

impl IfEmpty for String {
    fn if_empty(self, fallback: &str) -> String {
        if self.is_empty() {
            fallback.to_owned()
        } else {
            self
        }
    }
}

struct FieldErrors<'a>(&'a [FieldError]);

impl fmt::Display for FieldErrors<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no details given");
        }
        for (index, detail) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            // Zendesk's descriptions usually start with the field's title already ("Subject: cannot be blank").
            if detail.description.is_empty() {
                write!(f, "{} is invalid", detail.field)?;
            } else {
                f.write_str(&detail.description)?;
            }
        }
        Ok(())
    }
}

struct TicketName(Option<u64>);

impl fmt::Display for TicketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, "ticket {id}"),
            None => f.write_str("the ticket"),
        }
    }
}

struct RetryAfter(Option<Duration>);

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(wait) => write!(f, " (retry after {} s)", wait.as_secs_f64()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Option<&str> = Some("application/json; charset=utf-8");

    fn subject() -> Subject {
        Subject {
            resource: "ticket 7".to_owned(),
            ticket_id: Some(7),
        }
    }

    fn answer<'a>(status: u16, content_type: Option<&'a str>, body: &'a str) -> FailedAnswer<'a> {
        FailedAnswer {
            status,
            content_type,
            retry_after: None,
            body: body.as_bytes(),
            url: "https://acme.zendesk.com/api/v2/tickets/7",
        }
    }

    /// (status, content type, body, expected Display) — bodies are the real ones from FACTS §1, §3, §8.
    #[test]
    fn classification_table() {
        let table: &[(u16, Option<&str>, &str, &str)] = &[
            (401, JSON, r#"{"error":"Couldn't authenticate you"}"#,
             "Zendesk did not accept the credentials (Couldn't authenticate you)"),
            (403, JSON, r#"{"error":"Forbidden","description":"You are missing the following required scopes: read"}"#,
             "Zendesk refused access: the token lacks the scopes read"),
            (403, JSON, r#"{"error":{"title":"Forbidden","message":"You do not have access to this page. Please contact the account owner of this help desk for further help."}}"#,
             "Zendesk refused access: You do not have access to this page. Please contact the account owner of this help desk for further help."),
            (404, JSON, r#"{"error":"RecordNotFound","description":"Not found"}"#, "ticket 7 was not found"),
            (404, Some("text/html; charset=utf-8"), "<html><body>Help Center Closed</body></html>",
             "https://acme.zendesk.com/api/v2/tickets/7 answered HTTP 404 without a Zendesk API response, so it is not a Zendesk account"),
            (404, None, "Not Found",
             "https://acme.zendesk.com/api/v2/tickets/7 answered HTTP 404 without a Zendesk API response, so it is not a Zendesk account"),
            (301, Some("text/html"), "", 
             "https://acme.zendesk.com/api/v2/tickets/7 answered HTTP 301 without a Zendesk API response, so it is not a Zendesk account"),
            (429, Some("text/plain"), "Number of allowed API requests per minute exceeded", "Zendesk's rate limit is used up"),
            (422, JSON, r#"{"error":"RecordInvalid","description":"Record validation errors","details":{"status":[{"description":"Status: closed prevents ticket update"}]}}"#,
             "ticket 7 is closed and can no longer be updated"),
            (422, JSON, r#"{"error":"RecordInvalid","description":"Record validation errors","details":{"base":[{"description":"Status: closed prevents ticket update","error":"ClosedTicket"}]}}"#,
             "ticket 7 is closed and can no longer be updated"),
            (422, JSON, r#"{"error":"RecordInvalid","description":"Record validation errors","details":{"status":[{"description":"Status: closed prevents ticket update","error":"ClosedTicket"}]}}"#,
             "ticket 7 is closed and can no longer be updated"),
            (422, JSON, r#"{"error":"RecordInvalid","description":"Record validation errors","details":{"subject":[{"description":"Subject: cannot be blank","error":"BlankValue"}]}}"#,
             "Zendesk refused the record: Subject: cannot be blank"),
            (400, JSON, r#"{"error":"InvalidPaginationDepth","description":"Pagination depth exceeded"}"#,
             "offset pagination stops at 10000 records"),
            (400, JSON, r#"{"error":"InvalidValue","description":"page[size] must be at most 100"}"#,
             "Zendesk refused the request with HTTP 400 InvalidValue: page[size] must be at most 100"),
            (500, Some("text/html"), "<h1>  Internal\n Server Error</h1>", "Zendesk failed with HTTP 500: <h1> Internal Server Error</h1>"),
            (503, JSON, r#"{"error":"Unavailable"}"#, r#"Zendesk failed with HTTP 503: {"error":"Unavailable"}"#),
            (400, JSON, r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid, expired, or revoked."}"#,
             "Zendesk did not accept the credentials (The provided authorization grant is invalid, expired, or revoked.)"),
        ];
        for (status, content_type, body, expected) in table {
            let error = classify(&answer(*status, *content_type, body), &subject());
            assert_eq!(error.to_string(), *expected, "HTTP {status} {body}");
        }
    }

    #[test]
    fn variants_carry_the_details_callers_branch_on() {
        let scopes = classify(
            &answer(
                403,
                JSON,
                r#"{"error":"Forbidden","description":"You are missing the following required scopes: tickets:write, users:read"}"#,
            ),
            &subject(),
        );
        assert!(
            matches!(&scopes, Error::Forbidden { reason: Forbidden::MissingScopes(list) } if list == &["tickets:write", "users:read"]),
            "{scopes:?}"
        );

        let custom_field = classify(
            &answer(
                422,
                JSON,
                r#"{"error":"RecordInvalid","description":"Record validation errors","details":{"base":[{"description":"Priority level: invalid value","error":"InvalidValue","field_key":360013088874}]}}"#,
            ),
            &subject(),
        );
        let Error::Invalid { details } = custom_field else {
            panic!("expected Invalid, got {custom_field:?}");
        };
        assert_eq!(
            details,
            vec![FieldError {
                field: "base".to_owned(),
                description: "Priority level: invalid value".to_owned(),
                error: Some("InvalidValue".to_owned()),
                field_key: Some(360013088874),
            }]
        );

        let mut limited = answer(
            429,
            Some("text/plain"),
            "Number of allowed API requests per minute exceeded",
        );
        limited.retry_after = Some(Duration::from_secs(1));
        let error = classify(&limited, &subject());
        assert!(
            matches!(error, Error::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(1))
        );
        assert_eq!(
            error.to_string(),
            "Zendesk's rate limit is used up (retry after 1 s)"
        );
        assert!(error.is_transient());

        let closed_without_id = classify(
            &answer(
                422,
                JSON,
                r#"{"error":"RecordInvalid","details":{"base":[{"description":"Status: closed prevents ticket update"}]}}"#,
            ),
            &Subject::default(),
        );
        assert_eq!(
            closed_without_id.to_string(),
            "the ticket is closed and can no longer be updated"
        );
    }

    #[test]
    fn a_json_content_type_is_required_when_one_is_declared() {
        let table: &[(Option<&str>, &str, bool)] = &[
            (JSON, r#"{"error":"x"}"#, true),
            (Some("application/json"), r#"{"error":"x"}"#, true),
            (None, r#"{"error":"x"}"#, true),
            (Some("text/html"), r#"{"error":"x"}"#, false),
            (JSON, "<html>", false),
            (JSON, "[1,2]", false),
        ];
        for (content_type, body, expected) in table {
            assert_eq!(
                zendesk_json(*content_type, body.as_bytes()).is_some(),
                *expected,
                "{content_type:?} {body}"
            );
        }
    }

    #[test]
    fn excerpt_is_one_bounded_line() {
        let long = "x ".repeat(500);
        let cut = excerpt(long.as_bytes());
        assert!(cut.chars().count() <= 201, "{}", cut.len());
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt(b"a\n\n b"), "a b");
    }
}
