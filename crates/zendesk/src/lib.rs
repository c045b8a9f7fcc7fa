//! Typed Zendesk API client: auth, rate limits, pagination, error taxonomy. Knows Zendesk, nothing of handoffs.
//!
//! Layout:
//! - [`secret`]: [`SecretString`], the only type that holds tokens and secrets.
//! - `auth`: [`Auth`] and the [`TokenSource`] seam OAuth refresh plugs into.
//! - `client`: [`Client`], [`ClientConfig`] and the single request pipeline every call goes through
//!   (rate limits, auth, bearer refresh, retries, error classification); [`RetryObserver`] is told of each
//!   retry before its wait, so callers can show why a call takes long.
//! - `error`: [`Error`], classified from status, body and content type.
//! - `rate_limit`: the client-side buckets ([`Plan`]) and the [`RetryPolicy`].
//! - `pagination`: cursor and offset pagination.
//! - `users`, `tickets`, `ticket_fields`, `webhooks`, `triggers`, `oauth`: the typed calls and models.
//!
//! Invariants: credentials only travel in the `Authorization` header (or, for the OAuth token endpoint, the
//! body) to the configured base URL's origin; they never appear in URLs, errors, logs or `Debug` output. Every
//! wait (rate limits, backoff) is a tokio timer, so tests control time with `tokio::time::pause()`.

mod auth;
mod client;
mod error;
mod oauth;
mod pagination;
mod rate_limit;
pub mod secret;
mod ticket_fields;
mod tickets;
mod triggers;
mod users;
mod webhooks;

pub use auth::{Auth, TokenSource};
pub use client::{
    account_url, call_counts, Client, ClientConfig, RateLimitState, Retry, RetryCause,
    RetryObserver,
};
pub use error::{Error, FieldError, Forbidden, OFFSET_PAGINATION_LIMIT};
pub use oauth::{authorize_url, AuthorizeRequest, Grant, OAuthToken, TokenRequest, TokenResponse};
pub use pagination::{CursorPage, MAX_PAGE_SIZE};
pub use rate_limit::{Plan, RetryPolicy};
pub use secret::SecretString;
pub use ticket_fields::{CustomFieldOption, SystemFieldOption, TicketField};
pub use tickets::{
    Audit, AuditEvent, Comment, CreatedTicket, CustomFieldValue, NewComment, NewTicket, Requester,
    Ticket, TicketStatus, TicketUpdate, UpdatedTicket, Via,
};
pub use triggers::{Action, Condition, Conditions, NewTrigger, Trigger};
pub use users::{Role, UpsertedUser, User, UserInput, UserQuery};
pub use webhooks::{
    Attempt, AttemptMessage, HeaderPair, Invocation, NewWebhook, SigningSecret, Webhook,
    WebhookAuth, WebhookAuthInfo, WebhookPatch, WebhookStatus, WebhookTest, WebhookTestResponse,
};

/// Serde default for flags Zendesk omits when they are on (`active`, `visible_in_portal`, ...).
fn serde_true() -> bool {
    true
}
