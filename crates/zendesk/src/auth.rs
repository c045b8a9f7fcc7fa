//! How requests authenticate: legacy API token (Basic), OAuth bearer through a [`TokenSource`], or nothing.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use futures::future::BoxFuture;
use reqwest::header::HeaderValue;

use crate::{Error, SecretString};

/// Supplies bearer tokens. `invalidate` is called once after a 401 so the source can refresh;
/// making concurrent refreshes single-flight is the source's job.
pub trait TokenSource: Send + Sync + 'static {
    /// The access token to send now.
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, Error>>;
    /// Zendesk rejected `rejected`; the next `access_token` should return a different (refreshed) token.
    fn invalidate(&self, rejected: &SecretString) -> BoxFuture<'_, Result<(), Error>>;
}

/// How the client authenticates.
#[derive(Clone)]
pub enum Auth {
    /// Legacy API token: HTTP Basic with username `{email}/token` and the token as password.
    ApiToken {
        /// The agent's or admin's email the token acts as.
        email: String,
        /// The API token.
        token: SecretString,
    },
    /// OAuth access tokens from a source that can refresh them.
    Bearer(Arc<dyn TokenSource>),
    /// No credentials (only `users/me` answers, with the anonymous user).
    Anonymous,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::ApiToken { email, token } => f
                .debug_struct("ApiToken")
                .field("email", email)
                .field("token", token)
                .finish(),
            Auth::Bearer(_) => f.write_str("Bearer(<token source>)"),
            Auth::Anonymous => f.write_str("Anonymous"),
        }
    }
}

/// `Authorization` for API-token auth: `Basic base64("{email}/token:{token}")`, marked sensitive so that
/// neither reqwest nor hyper print it.
pub(crate) fn api_token_header(email: &str, token: &SecretString) -> Result<HeaderValue, Error> {
    let credentials = format!("{email}/token:{}", token.expose_secret());
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    sensitive_header(&format!("Basic {encoded}"))
}

/// `Authorization: Bearer <token>`, marked sensitive.
pub(crate) fn bearer_header(token: &SecretString) -> Result<HeaderValue, Error> {
    sensitive_header(&format!("Bearer {}", token.expose_secret()))
}

fn sensitive_header(value: &str) -> Result<HeaderValue, Error> {
    // The error must not echo the value: it holds the credential.
    let mut header = HeaderValue::from_str(value).map_err(|_| Error::InvalidConfig {
        detail: "the credentials contain characters that cannot be sent in an HTTP header"
            .to_owned(),
    })?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_token_header_is_basic_email_slash_token() {
        // (email, token, expected header) — the expected values are computed by hand from FACTS §1's format.
        let table = [
            (
                "jdoe@example.com",
                "abc123",
                // base64("jdoe@example.com/token:abc123")
                "Basic amRvZUBleGFtcGxlLmNvbS90b2tlbjphYmMxMjM=",
            ),
            (
                "admin@acme.test",
                "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv",
                "Basic YWRtaW5AYWNtZS50ZXN0L3Rva2VuOjZ3aUlCV2JHa0JNbzFtUkRNdVZ3a3cxRVBzTmtlVWo5NVBJejJha3Y=",
            ),
        ];
        for (email, token, expected) in table {
            let header = api_token_header(email, &SecretString::from(token)).unwrap();
            assert_eq!(header.to_str().unwrap(), expected, "{email}");
            assert!(header.is_sensitive());
            assert!(
                !format!("{header:?}").contains(token),
                "Debug of the header hides the token"
            );
        }
    }

    #[test]
    fn bearer_header_and_bad_characters() {
        let header = bearer_header(&SecretString::from("tok-1")).unwrap();
        assert_eq!(header.to_str().unwrap(), "Bearer tok-1");
        assert!(header.is_sensitive());

        let err = bearer_header(&SecretString::from("line\nbreak-secret")).unwrap_err();
        assert!(matches!(err, Error::InvalidConfig { .. }));
        assert!(!err.to_string().contains("break-secret"));
    }

    #[test]
    fn auth_debug_redacts_the_token() {
        let auth = Auth::ApiToken {
            email: "jdoe@example.com".to_owned(),
            token: SecretString::from("abc123-do-not-print"),
        };
        let printed = format!("{auth:?}");
        assert!(printed.contains("jdoe@example.com"));
        assert!(!printed.contains("abc123"), "{printed}");
    }
}
