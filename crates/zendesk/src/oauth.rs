//! OAuth: the consent page's address (`/oauth/authorizations/new`), the token exchange (`POST /oauth/tokens`)
//! and the token in use (`GET /api/v2/oauth/tokens/current`).
//!
//! The refresh flow itself (single-flight, persisting the new pair before dropping the old) belongs to the
//! [`crate::TokenSource`] implementation; this module only speaks the wire format.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::client::Request;
use crate::rate_limit::Endpoint;
use crate::{Client, Error, SecretString};

/// The grant to exchange for tokens.
#[derive(Debug, Clone)]
pub enum Grant {
    /// The code from the authorization redirect (valid 120 s), with the PKCE verifier.
    AuthorizationCode {
        /// The authorization code.
        code: SecretString,
        /// The redirect URL used in the authorization request (for identification only).
        redirect_uri: String,
        /// The PKCE verifier whose S256 challenge was sent.
        code_verifier: SecretString,
    },
    /// A refresh token. Zendesk answers with a new pair and invalidates the old one.
    RefreshToken {
        /// The refresh token.
        refresh_token: SecretString,
    },
    /// Confidential clients only: a token that acts as the client's creating user.
    ClientCredentials,
}

/// What an authorization-code request with PKCE carries (FACTS §10). The caller makes the verifier and
/// `state`; this crate only knows where Zendesk wants them.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizeRequest<'a> {
    /// The OAuth client's unique identifier (its string "Identifier", not its numeric id).
    pub client_id: &'a str,
    /// The loopback address Zendesk redirects the browser to.
    pub redirect_uri: &'a str,
    /// Space-separated scopes.
    pub scope: &'a str,
    /// The anti-forgery value the redirect must bring back.
    pub state: &'a str,
    /// `BASE64URL(SHA256(verifier))`; the method is always S256.
    pub code_challenge: &'a str,
}

/// The account's consent page for `request`: `{base}/oauth/authorizations/new?response_type=code&...`. A base
/// URL with a path (a proxy) keeps it as a prefix.
pub fn authorize_url(base_url: &url::Url, request: &AuthorizeRequest<'_>) -> url::Url {
    let mut url = base_url.clone();
    let prefix = base_url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{prefix}/oauth/authorizations/new"));
    url.set_fragment(None);
    url.query_pairs_mut()
        .clear()
        .append_pair("response_type", "code")
        .append_pair("client_id", request.client_id)
        .append_pair("redirect_uri", request.redirect_uri)
        .append_pair("scope", request.scope)
        .append_pair("state", request.state)
        .append_pair("code_challenge", request.code_challenge)
        .append_pair("code_challenge_method", "S256");
    url
}

/// A request to `POST /oauth/tokens`.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// What is exchanged.
    pub grant: Grant,
    /// The OAuth client's unique identifier.
    pub client_id: String,
    /// Confidential clients' secret (required for client credentials).
    pub client_secret: Option<SecretString>,
    /// Space-separated scopes, e.g. `read write` or `tickets:write webhooks:write`.
    pub scope: Option<String>,
    /// Access token lifetime in seconds (300 < s < 172,800).
    pub expires_in: Option<u64>,
    /// Refresh token lifetime in seconds (604,800 < s < 7,776,000).
    pub refresh_token_expires_in: Option<u64>,
}

impl TokenRequest {
    fn to_json(&self) -> Result<Value, Error> {
        let mut body = Map::new();
        match &self.grant {
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                body.insert("grant_type".to_owned(), json!("authorization_code"));
                body.insert("code".to_owned(), json!(code.expose_secret()));
                body.insert("redirect_uri".to_owned(), json!(redirect_uri));
                body.insert(
                    "code_verifier".to_owned(),
                    json!(code_verifier.expose_secret()),
                );
            }
            Grant::RefreshToken { refresh_token } => {
                body.insert("grant_type".to_owned(), json!("refresh_token"));
                body.insert(
                    "refresh_token".to_owned(),
                    json!(refresh_token.expose_secret()),
                );
            }
            Grant::ClientCredentials => {
                if self.client_secret.is_none() {
                    return Err(Error::InvalidConfig {
                        detail: "the client_credentials grant needs the client secret (confidential clients only)"
                            .to_owned(),
                    });
                }
                body.insert("grant_type".to_owned(), json!("client_credentials"));
            }
        }
        body.insert("client_id".to_owned(), json!(self.client_id));
        if let Some(secret) = &self.client_secret {
            body.insert("client_secret".to_owned(), json!(secret.expose_secret()));
        }
        if let Some(scope) = &self.scope {
            body.insert("scope".to_owned(), json!(scope));
        }
        if let Some(seconds) = self.expires_in {
            body.insert("expires_in".to_owned(), json!(seconds));
        }
        if let Some(seconds) = self.refresh_token_expires_in {
            body.insert("refresh_token_expires_in".to_owned(), json!(seconds));
        }
        Ok(Value::Object(body))
    }
}

/// Zendesk's answer to a token request (201).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    /// The access token, for `Authorization: Bearer`.
    pub access_token: SecretString,
    /// `bearer`.
    pub token_type: String,
    /// The scopes granted (an invalid scope still yields a token that every request then refuses).
    #[serde(default)]
    pub scope: Option<String>,
    /// Seconds until the access token expires; absent for non-expiring tokens.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// The refresh token, for expiring tokens.
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// Seconds until the refresh token expires.
    #[serde(default)]
    pub refresh_token_expires_in: Option<u64>,
}

/// The OAuth token a request was made with. The token strings themselves are deliberately not read.
#[derive(Debug, Clone, Deserialize)]
pub struct OAuthToken {
    /// The token's id.
    pub id: u64,
    /// The user it acts as.
    #[serde(default)]
    pub user_id: Option<u64>,
    /// The OAuth client it belongs to.
    #[serde(default)]
    pub client_id: Option<u64>,
    /// Granted scopes, e.g. `["read", "write"]`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it expires, for expiring tokens.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Last use.
    #[serde(default)]
    pub used_at: Option<String>,
}

#[derive(Deserialize)]
struct TokenEnvelope {
    token: OAuthToken,
}

impl Client {
    /// POST /oauth/tokens on this client's base URL, without the client's own credentials.
    ///
    /// A rejected code, refresh token or client answers [`Error::BadCredentials`]. Never repeated after a
    /// timeout: a refresh that went through invalidates the pair a repeat would send.
    pub async fn exchange_token(&self, request: &TokenRequest) -> Result<TokenResponse, Error> {
        let mut call = Request::new(Method::POST, "/oauth/tokens", "the OAuth token")
            .with_body(request.to_json()?)
            .on(Endpoint::OAuth);
        call.anonymous = true;
        self.json(&call).await
    }

    /// GET /api/v2/oauth/tokens/current: the token this client authenticates with (scopes, expiry).
    pub async fn current_token(&self) -> Result<OAuthToken, Error> {
        let envelope: TokenEnvelope = self
            .json(&Request::get(
                "/api/v2/oauth/tokens/current",
                "the current OAuth token",
            ))
            .await?;
        Ok(envelope.token)
    }

    /// DELETE /api/v2/oauth/tokens/current (204): revokes the token this client authenticates with, and its
    /// refresh token. Every later call with it answers 401.
    pub async fn revoke_current_token(&self) -> Result<(), Error> {
        self.send(&Request::new(
            Method::DELETE,
            "/api/v2/oauth/tokens/current",
            "the current OAuth token",
        ))
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod authorize_tests {
    use super::*;

    /// The address FACTS §10 gives, with every parameter encoded, on the account's host or under a proxy's path.
    #[test]
    fn the_consent_page_address_carries_every_parameter() {
        let request = AuthorizeRequest {
            client_id: "handoff_console",
            redirect_uri: "http://127.0.0.1:8765/oauth/callback",
            scope: "tickets:read tickets:write",
            state: "st&te",
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        };
        let table = [
            (
                "https://acme.zendesk.com",
                "https://acme.zendesk.com/oauth/authorizations/new",
            ),
            (
                "https://acme.zendesk.com/",
                "https://acme.zendesk.com/oauth/authorizations/new",
            ),
            (
                "http://127.0.0.1:4010/proxy/#x",
                "http://127.0.0.1:4010/proxy/oauth/authorizations/new",
            ),
        ];
        for (base, page) in table {
            let base = url::Url::parse(base).unwrap_or_else(|e| panic!("{e}"));
            let url = authorize_url(&base, &request);
            assert_eq!(url.as_str().split('?').next(), Some(page), "{base}");
            let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let expected = [
                ("response_type", "code"),
                ("client_id", "handoff_console"),
                ("redirect_uri", "http://127.0.0.1:8765/oauth/callback"),
                ("scope", "tickets:read tickets:write"),
                ("state", "st&te"),
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ),
                ("code_challenge_method", "S256"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
            assert_eq!(pairs, expected, "{base}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(grant: Grant, secret: Option<&str>) -> TokenRequest {
        TokenRequest {
            grant,
            client_id: "handoff_console".to_owned(),
            client_secret: secret.map(SecretString::from),
            scope: Some("read write".to_owned()),
            expires_in: None,
            refresh_token_expires_in: None,
        }
    }

    /// (grant, client secret, expected body) — the documented parameters of each grant type.
    #[test]
    fn token_request_bodies() {
        let table = vec![
            (
                Grant::AuthorizationCode {
                    code: SecretString::from("c0de"),
                    redirect_uri: "http://127.0.0.1:7878/callback".to_owned(),
                    code_verifier: SecretString::from("v3rifier"),
                },
                None,
                json!({"grant_type":"authorization_code","code":"c0de","redirect_uri":"http://127.0.0.1:7878/callback","code_verifier":"v3rifier","client_id":"handoff_console","scope":"read write"}),
            ),
            (
                Grant::RefreshToken {
                    refresh_token: SecretString::from("r3fresh"),
                },
                Some("s3cret"),
                json!({"grant_type":"refresh_token","refresh_token":"r3fresh","client_id":"handoff_console","client_secret":"s3cret","scope":"read write"}),
            ),
            (
                Grant::ClientCredentials,
                Some("s3cret"),
                json!({"grant_type":"client_credentials","client_id":"handoff_console","client_secret":"s3cret","scope":"read write"}),
            ),
        ];
        for (grant, secret, expected) in table {
            let request = request(grant, secret);
            assert_eq!(request.to_json().unwrap(), expected);
            let printed = format!("{request:?}");
            for secret in ["c0de", "v3rifier", "r3fresh", "s3cret"] {
                assert!(!printed.contains(secret), "{printed}");
            }
        }
        let missing_secret = request(Grant::ClientCredentials, None).to_json();
        assert!(matches!(missing_secret, Err(Error::InvalidConfig { .. })));
    }
}
