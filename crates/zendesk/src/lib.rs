//! Typed Zendesk API client: auth, rate limits, pagination, error taxonomy. Knows Zendesk, nothing of handoffs.
//!
//! Layout:
//! - [`secret`]: [`SecretString`], the only type that holds tokens and secrets.
//! - `auth`: [`Auth`] and the [`TokenSource`] seam OAuth refresh plugs into.
//! - `client`: [`Client`], [`ClientConfig`] and the single request pipeline every call goes through.
//! - `error`: [`Error`], classified from status, body and content type.
//! - `users`: [`User`] and the user calls.
//!
//! Invariant: credentials only travel in the `Authorization` header to the configured base URL's origin; they
//! never appear in URLs, errors, logs or `Debug` output.

mod auth;
mod client;
mod error;
pub mod secret;
mod users;

pub use auth::{Auth, TokenSource};
pub use client::{account_url, Client, ClientConfig};
pub use error::{Error, FieldError, Forbidden, OFFSET_PAGINATION_LIMIT};
pub use secret::SecretString;
pub use users::{Role, User};
