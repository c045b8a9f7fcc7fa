//! The authorization request: the PKCE (S256) verifier and `state` (RFC 7636, RFC 6749 §10.12) of one sign-in;
//! the consent page's address itself is built by `crates/zendesk` ([`zendesk::authorize_url`]).
//!
//! Hand-rolled rather than taken from the `oauth2` crate: the product needs three primitives (a random
//! verifier, its S256 challenge, a random state) and one URL; the token exchange must go through
//! `crates/zendesk` (the only code that talks to Zendesk), so `oauth2`'s client would go unused while adding
//! `chrono` and a second `rand` to the build. The challenge is checked against RFC 7636's own test vector.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use url::Url;
use zendesk::SecretString;

/// One sign-in attempt: where to send the browser, and what to check and send back afterwards.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// `{base}/oauth/authorizations/new?response_type=code&...`
    pub url: Url,
    /// The `state` sent, to be compared (in constant time) with the one that comes back. Not a credential:
    /// it is visible in the URL, and only ties the answer to this attempt.
    pub state: String,
    /// The PKCE verifier: secret until the code exchange sends it.
    pub code_verifier: SecretString,
    /// The loopback address Zendesk redirects to; the code exchange must repeat it exactly.
    pub redirect_uri: String,
}

impl AuthorizationRequest {
    /// A fresh request with a new verifier and state, for the account at `base_url`.
    pub fn new(
        base_url: &Url,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
    ) -> AuthorizationRequest {
        let code_verifier = random_token();
        let state = random_token();
        // Where the browser goes is Zendesk's business, so `crates/zendesk` builds the address.
        let url = zendesk::authorize_url(
            base_url,
            &zendesk::AuthorizeRequest {
                client_id,
                redirect_uri,
                scope,
                state: &state,
                code_challenge: &code_challenge(&code_verifier),
            },
        );
        AuthorizationRequest {
            url,
            state,
            code_verifier: SecretString::from(code_verifier),
            redirect_uri: redirect_uri.to_owned(),
        }
    }
}

/// `BASE64URL(SHA256(verifier))` without padding (RFC 7636 §4.2, method S256).
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// 32 random bytes, base64url: 43 characters of the unreserved set, the length RFC 7636 §4.1 recommends.
fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_url_carries_every_parameter_and_keeps_the_base_path() {
        let table = [
            (
                "https://acme.zendesk.com",
                "https://acme.zendesk.com/oauth/authorizations/new",
            ),
            (
                "http://127.0.0.1:4010/_account/d3v-sim/",
                "http://127.0.0.1:4010/_account/d3v-sim/oauth/authorizations/new",
            ),
        ];
        for (base, endpoint) in table {
            let base = Url::parse(base).unwrap_or_else(|e| panic!("{e}"));
            let request = AuthorizationRequest::new(
                &base,
                "handoff_console",
                "http://127.0.0.1:5555/oauth/callback",
                "tickets:read tickets:write",
            );
            let url = request.url.to_string();
            assert!(url.starts_with(&format!("{endpoint}?")), "{url}");
            let pairs: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
            let get = |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            assert_eq!(get("response_type"), "code");
            assert_eq!(get("client_id"), "handoff_console");
            assert_eq!(get("redirect_uri"), "http://127.0.0.1:5555/oauth/callback");
            assert_eq!(get("scope"), "tickets:read tickets:write");
            assert_eq!(get("state"), request.state);
            assert_eq!(get("code_challenge_method"), "S256");
            assert_eq!(
                get("code_challenge"),
                code_challenge(request.code_verifier.expose_secret())
            );
            assert!(
                !url.contains(request.code_verifier.expose_secret()),
                "the verifier stays secret"
            );
        }
    }

    #[test]
    fn every_request_is_fresh_and_well_formed() {
        let base = Url::parse("https://acme.zendesk.com").unwrap_or_else(|e| panic!("{e}"));
        let first =
            AuthorizationRequest::new(&base, "c", "http://127.0.0.1:1/oauth/callback", "read");
        let second =
            AuthorizationRequest::new(&base, "c", "http://127.0.0.1:1/oauth/callback", "read");
        assert_ne!(first.state, second.state);
        assert_ne!(first.code_verifier, second.code_verifier);
        let verifier = first.code_verifier.expose_secret();
        assert_eq!(verifier.len(), 43);
        assert!(verifier
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
