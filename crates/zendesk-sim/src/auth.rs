//! Authentication: who is calling. The one place that reads `Authorization`: API tokens
//! (Basic) here, OAuth bearer tokens through [`crate::oauth`], whose scopes the router then
//! checks against the endpoint.

use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jiff::Timestamp;

use crate::account::Account;
use crate::oauth::{self, Scopes};
use crate::reply::ApiError;
use crate::router::Caller;

/// Who is calling, and with which OAuth token (if any).
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub caller: Caller,
    /// Set for bearer authentication: the token's id and scopes.
    pub token: Option<(u64, Scopes)>,
}

impl Identity {
    fn user(caller: Caller) -> Identity {
        Identity {
            caller,
            token: None,
        }
    }
}

/// Resolves the caller from the request headers.
///
/// * `Basic base64("{email}/token:{token}")` with a matching active API token → that user.
/// * The same with a wrong token, or for a suspended/inactive user → 401.
/// * `Basic base64("{email}:{password}")`: password auth was removed from the API, so
///   Zendesk treats the caller as anonymous (users/me answers with the anonymous user).
/// * `Bearer <access token>` that is live at `now` → the token's user, with its scopes;
///   unknown, expired or revoked → 401 `invalid_token`.
/// * No `Authorization` header → anonymous.
/// * Any other scheme → 401.
pub(crate) fn authenticate(
    account: &mut Account,
    headers: &HeaderMap,
    now: Timestamp,
) -> Result<Identity, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Identity::user(Caller::Anonymous));
    };
    let value = value.to_str().map_err(|_| ApiError::Unauthenticated)?;
    let (scheme, credentials) = value.split_once(' ').ok_or(ApiError::Unauthenticated)?;
    if scheme.eq_ignore_ascii_case("bearer") {
        let bearer = oauth::authenticate_bearer(account, credentials.trim(), now)?;
        return Ok(Identity {
            caller: Caller::User(bearer.user_id),
            token: Some((bearer.token_id, bearer.scopes)),
        });
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::Unauthenticated);
    }
    let decoded = STANDARD
        .decode(credentials.trim())
        .map_err(|_| ApiError::Unauthenticated)?;
    let decoded = String::from_utf8(decoded).map_err(|_| ApiError::Unauthenticated)?;
    let (username, secret) = decoded.split_once(':').ok_or(ApiError::Unauthenticated)?;
    let Some(email) = username.strip_suffix("/token") else {
        return Ok(Identity::user(Caller::Anonymous));
    };
    let user = account
        .user_by_email(email)
        .ok_or(ApiError::Unauthenticated)?;
    let token_matches = user
        .api_tokens
        .iter()
        .any(|token| constant_time_eq(token.expose().as_bytes(), secret.as_bytes()));
    if token_matches && user.active && !user.suspended {
        Ok(Identity::user(Caller::User(user.id)))
    } else {
        Err(ApiError::Unauthenticated)
    }
}

/// Compares secrets without an early exit on the first differing byte.
pub(crate) fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
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
