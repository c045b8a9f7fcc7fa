//! Authentication: who is calling. The one place that reads `Authorization`, so bearer
//! (OAuth) tokens and scopes can be added here without touching the handlers.

use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::account::Account;
use crate::reply::ApiError;
use crate::router::Caller;

/// Resolves the caller from the request headers.
///
/// * `Basic base64("{email}/token:{token}")` with a matching active API token → that user.
/// * The same with a wrong token, or for a suspended/inactive user → 401.
/// * `Basic base64("{email}:{password}")`: password auth was removed from the API, so
///   Zendesk treats the caller as anonymous (users/me answers with the anonymous user).
/// * No `Authorization` header → anonymous.
/// * Any other scheme (e.g. `Bearer` before OAuth exists here) → 401.
pub(crate) fn authenticate(account: &Account, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Caller::Anonymous);
    };
    let value = value.to_str().map_err(|_| ApiError::Unauthenticated)?;
    let (scheme, credentials) = value.split_once(' ').ok_or(ApiError::Unauthenticated)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::Unauthenticated);
    }
    let decoded = STANDARD
        .decode(credentials.trim())
        .map_err(|_| ApiError::Unauthenticated)?;
    let decoded = String::from_utf8(decoded).map_err(|_| ApiError::Unauthenticated)?;
    let (username, secret) = decoded.split_once(':').ok_or(ApiError::Unauthenticated)?;
    let Some(email) = username.strip_suffix("/token") else {
        return Ok(Caller::Anonymous);
    };
    let user = account
        .user_by_email(email)
        .ok_or(ApiError::Unauthenticated)?;
    let token_matches = user
        .api_tokens
        .iter()
        .any(|token| constant_time_eq(token.expose().as_bytes(), secret.as_bytes()));
    if token_matches && user.active && !user.suspended {
        Ok(Caller::User(user.id))
    } else {
        Err(ApiError::Unauthenticated)
    }
}

/// Compares secrets without an early exit on the first differing byte.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// The `Authorization` header value for an API token (used by tests and the control API).
pub fn basic_token_header(email: &str, token: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{email}/token:{token}"))
    )
}
