//! OAuth as Zendesk serves it (FACTS §10): registered clients, the browser consent step
//! (`/oauth/authorizations/new`), the token endpoint (`/oauth/tokens`), bearer tokens with
//! scopes, and `/api/v2/oauth/tokens/current`.
//!
//! Invariants:
//! * Every time comes from the simulator's clock: codes live [`CODE_LIFETIME`], access and
//!   refresh tokens until their `expires_at`.
//! * A code is spent by the first successful exchange; a refresh revokes the pair it
//!   presented (old access token and old refresh token) before the new pair is answered.
//! * Tokens, refresh tokens, codes and client secrets are [`SecretText`]: no `Debug`, log or
//!   error ever shows them.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::account::{random_token, Account};
use crate::auth::constant_time_eq;
use crate::reply::{ApiError, ApiResult, Reply};
use crate::router::{Call, Caller};
use crate::secret::SecretText;

/// How long an authorization code can be exchanged (Zendesk: 120 s).
pub(crate) const CODE_LIFETIME: SignedDuration = SignedDuration::from_secs(120);

/// The seeded public client (PKCE, no secret): the desktop console.
pub const CONSOLE_CLIENT: &str = "handoff_console";

/// The seeded confidential client (with a secret): the relay's client-credentials grant.
pub const RELAY_CLIENT: &str = "handoff_relay";

const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";
const INVALID_CLIENT: &str = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.";
const UNSUPPORTED_GRANT: &str =
    "The authorization grant type is not supported by the authorization server.";
const INVALID_REQUEST: &str = "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.";
const ACCESS_DENIED: &str = "The resource owner or authorization server denied the request.";
const UNSUPPORTED_RESPONSE_TYPE: &str =
    "The authorization server does not support this response type.";

/// Resources a `<resource>:read|write` scope can name (Zendesk's documented list, plus the
/// resources this simulator serves).
const SCOPED_RESOURCES: [&str; 18] = [
    "tickets",
    "users",
    "auditlogs",
    "organizations",
    "hc",
    "apps",
    "triggers",
    "automations",
    "targets",
    "webhooks",
    "macros",
    "requests",
    "satisfaction_ratings",
    "dynamic_content",
    "any_channel",
    "web_widget",
    "ticket_fields",
    "oauth_tokens",
];

/// Whether a client can keep a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OAuthClientKind {
    /// Cannot keep a secret; must use PKCE.
    Public,
    /// Has a secret; may use the client-credentials grant.
    Confidential,
}

impl OAuthClientKind {
    /// `"public"` or `"confidential"`, as Admin Center names them.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthClientKind::Public => "public",
            OAuthClientKind::Confidential => "confidential",
        }
    }
}

impl fmt::Display for OAuthClientKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl PartialEq<&str> for OAuthClientKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A registered OAuth client, as handed to tests and printed by the binary.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// The client's unique identifier (the `client_id` of the OAuth requests).
    pub identifier: String,
    /// The client secret (confidential clients only). Secret: not shown by `Debug`.
    pub secret: Option<String>,
    /// Public or confidential.
    pub kind: OAuthClientKind,
    /// The admin who created the client; client-credentials tokens act as this user.
    pub user_id: u64,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("OAuthClient")
            .field("identifier", &self.identifier)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("kind", &self.kind)
            .field("user_id", &self.user_id)
            .finish()
    }
}

/// What the consent page does when a browser (or a test's HTTP client) opens it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConsentMode {
    /// Show the page with Allow / Deny buttons (what a person sees).
    #[default]
    Ask,
    /// Answer the redirect with a code at once, as if Allow was clicked.
    Approve,
    /// Answer the redirect with `access_denied` at once, as if Deny was clicked.
    Deny,
}

impl ConsentMode {
    /// Parses `ask`, `approve` or `deny`.
    pub fn parse(text: &str) -> Option<ConsentMode> {
        match text {
            "ask" => Some(ConsentMode::Ask),
            "approve" => Some(ConsentMode::Approve),
            "deny" => Some(ConsentMode::Deny),
            _ => None,
        }
    }

    /// The name `parse` reads.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentMode::Ask => "ask",
            ConsentMode::Approve => "approve",
            ConsentMode::Deny => "deny",
        }
    }
}

/// A registered client with its numeric resource id (what `tokens/current` names).
#[derive(Debug, Clone)]
struct RegisteredClient {
    id: u64,
    identifier: String,
    secret: Option<SecretText>,
    kind: OAuthClientKind,
    user_id: u64,
}

/// An authorization code waiting to be exchanged.
#[derive(Debug)]
struct AuthorizationCode {
    client_id: u64,
    redirect_uri: String,
    scope: String,
    /// The S256 challenge; `None` only for confidential clients that skipped PKCE.
    challenge: Option<String>,
    user_id: u64,
    issued_at: Timestamp,
    spent: bool,
}

/// One issued access token (with its refresh token, for the code and refresh grants).
#[derive(Debug)]
struct AccessGrant {
    id: u64,
    client_id: u64,
    user_id: u64,
    access: SecretText,
    refresh: Option<SecretText>,
    scope: String,
    scopes: Scopes,
    created_at: Timestamp,
    expires_at: Timestamp,
    refresh_expires_at: Option<Timestamp>,
    used_at: Option<Timestamp>,
    /// Set by a refresh of this pair or by revocation; a revoked pair never comes back.
    revoked: bool,
}

/// Token lifetimes the simulator applies when the request names none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetimes {
    pub access: Duration,
    pub refresh: Duration,
}

/// Every OAuth object of the account. Lives in [`Account`] so the one account lock covers
/// authentication and the handlers alike.
#[derive(Debug)]
pub(crate) struct OAuthRegistry {
    clients: Vec<RegisteredClient>,
    codes: HashMap<String, AuthorizationCode>,
    grants: Vec<AccessGrant>,
    pub consent: ConsentMode,
    lifetimes: Lifetimes,
    next_token_id: u64,
    /// Every code, PKCE verifier, access and refresh token that crossed the wire, newest last, so tests can
    /// grep what the client wrote for each of them (revoked and forgotten pairs included). Capped at
    /// [`ISSUED_KEPT`] so a long-running demo keeps a bounded list.
    issued: std::collections::VecDeque<SecretText>,
}

/// How many issued secrets [`OAuthRegistry::issued`] keeps: far more than any test run issues.
const ISSUED_KEPT: usize = 1024;

impl Default for OAuthRegistry {
    fn default() -> OAuthRegistry {
        OAuthRegistry {
            clients: Vec::new(),
            codes: HashMap::new(),
            grants: Vec::new(),
            consent: ConsentMode::Ask,
            lifetimes: Lifetimes {
                access: Duration::from_secs(1800),
                refresh: Duration::from_secs(2_592_000),
            },
            next_token_id: 9_120_000_001,
            issued: std::collections::VecDeque::new(),
        }
    }
}

/// Length of generated token strings and client secrets (Zendesk's secrets are 64 chars).
const TOKEN_LENGTH: usize = 64;

impl OAuthRegistry {
    /// The seeded clients, both created by the admin `admin_id`.
    pub fn seeded(
        admin_id: u64,
        relay_secret: Option<&str>,
        consent: ConsentMode,
        lifetimes: Lifetimes,
    ) -> OAuthRegistry {
        let relay_secret = relay_secret
            .map(str::to_owned)
            .unwrap_or_else(|| random_token(TOKEN_LENGTH));
        OAuthRegistry {
            clients: vec![
                RegisteredClient {
                    id: 360_000_123_401,
                    identifier: CONSOLE_CLIENT.to_owned(),
                    secret: None,
                    kind: OAuthClientKind::Public,
                    user_id: admin_id,
                },
                RegisteredClient {
                    id: 360_000_123_402,
                    identifier: RELAY_CLIENT.to_owned(),
                    secret: Some(SecretText::new(relay_secret)),
                    kind: OAuthClientKind::Confidential,
                    user_id: admin_id,
                },
            ],
            consent,
            lifetimes,
            ..OAuthRegistry::default()
        }
    }

    /// The registered clients, with their secrets, for tests and the binary's output.
    pub fn clients(&self) -> Vec<OAuthClient> {
        self.clients
            .iter()
            .map(|client| OAuthClient {
                identifier: client.identifier.clone(),
                secret: client
                    .secret
                    .as_ref()
                    .map(|secret| secret.expose().to_owned()),
                kind: client.kind,
                user_id: client.user_id,
            })
            .collect()
    }

    /// Every code, PKCE verifier, access and refresh token seen so far, oldest first (see `issued`).
    pub fn issued(&self) -> Vec<String> {
        self.issued
            .iter()
            .map(|secret| secret.expose().to_owned())
            .collect()
    }

    fn remember(&mut self, secret: &str) {
        if self.issued.len() == ISSUED_KEPT {
            self.issued.pop_front();
        }
        self.issued.push_back(SecretText::new(secret));
    }

    fn client(&self, identifier: &str) -> Option<&RegisteredClient> {
        self.clients
            .iter()
            .find(|client| client.identifier == identifier)
    }

    /// The grant an access token belongs to, if it can still be used at `now`.
    fn live_grant_mut(&mut self, token: &str, now: Timestamp) -> Option<&mut AccessGrant> {
        self.grants.iter_mut().find(|grant| {
            !grant.revoked
                && grant.expires_at > now
                && constant_time_eq(grant.access.expose().as_bytes(), token.as_bytes())
        })
    }

    fn issue(
        &mut self,
        client: &RegisteredClient,
        user_id: u64,
        scope: &str,
        with_refresh: bool,
        requested: RequestedLifetimes,
        now: Timestamp,
    ) -> Value {
        let access_seconds = requested.access.unwrap_or(self.lifetimes.access.as_secs());
        let refresh_seconds = requested
            .refresh
            .unwrap_or(self.lifetimes.refresh.as_secs());
        // Pairs that can never authenticate or refresh again are forgotten, so a long-running
        // simulator (demo mode refreshing every half hour) keeps a bounded list. A forgotten
        // token is refused exactly as a revoked or expired one is.
        self.grants.retain(|grant| {
            !grant.revoked
                && (grant.expires_at > now
                    || grant.refresh_expires_at.is_some_and(|expiry| expiry > now))
        });
        let id = self.next_token_id;
        self.next_token_id += 1;
        let access = random_token(TOKEN_LENGTH);
        let refresh = with_refresh.then(|| random_token(TOKEN_LENGTH));
        self.remember(&access);
        if let Some(refresh) = &refresh {
            self.remember(refresh);
        }
        let mut body = json!({
            "access_token": access,
            "token_type": "bearer",
            "scope": scope,
            "expires_in": access_seconds,
        });
        if let (Some(refresh), Some(object)) = (&refresh, body.as_object_mut()) {
            object.insert("refresh_token".to_owned(), json!(refresh));
            object.insert(
                "refresh_token_expires_in".to_owned(),
                json!(refresh_seconds),
            );
        }
        self.grants.push(AccessGrant {
            id,
            client_id: client.id,
            user_id,
            access: SecretText::new(access),
            refresh: refresh.map(SecretText::new),
            scope: scope.to_owned(),
            scopes: Scopes::parse(scope),
            created_at: now,
            expires_at: later(now, access_seconds),
            refresh_expires_at: with_refresh.then(|| later(now, refresh_seconds)),
            used_at: None,
            revoked: false,
        });
        body
    }
}

fn later(now: Timestamp, seconds: u64) -> Timestamp {
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    now.checked_add(SignedDuration::from_secs(seconds))
        .unwrap_or(Timestamp::MAX)
}

/// Read or write, as a scope names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

impl Access {
    fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// A token's parsed scopes. `write` implies nothing about reading.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scopes {
    read: bool,
    write: bool,
    resources: Vec<(String, Access)>,
    /// False when any word of the scope string is not a scope: Zendesk still issues the
    /// token, and every request with it is refused.
    valid: bool,
}

impl Scopes {
    /// Parses a space-separated scope string.
    pub fn parse(text: &str) -> Scopes {
        let mut scopes = Scopes {
            valid: true,
            ..Scopes::default()
        };
        for word in text.split_whitespace() {
            match word {
                "read" => scopes.read = true,
                "write" => scopes.write = true,
                "impersonate" => {}
                _ => {
                    let parsed = word.split_once(':').and_then(|(resource, access)| {
                        let access = match access {
                            "read" => Access::Read,
                            "write" => Access::Write,
                            _ => return None,
                        };
                        SCOPED_RESOURCES
                            .contains(&resource)
                            .then(|| (resource.to_owned(), access))
                    });
                    match parsed {
                        Some(scope) => scopes.resources.push(scope),
                        None => scopes.valid = false,
                    }
                }
            }
        }
        scopes
    }

    /// Whether a request of `access` on `resource` is allowed; otherwise the scope Zendesk
    /// names as missing: the resource scope when the token has resource scopes (and the
    /// endpoint belongs to a resource), else the plain `read`/`write`.
    pub fn permit(&self, access: Access, resource: Option<&str>) -> Result<(), String> {
        let global = match access {
            Access::Read => self.read,
            Access::Write => self.write,
        };
        let by_resource = resource.is_some_and(|resource| {
            self.resources
                .iter()
                .any(|(known, granted)| known == resource && *granted == access)
        });
        if self.valid && (global || by_resource) {
            return Ok(());
        }
        match resource {
            Some(resource) if !self.resources.is_empty() => {
                Err(format!("{resource}:{}", access.as_str()))
            }
            _ => Err(access.as_str().to_owned()),
        }
    }
}

/// What a valid bearer token authenticates as.
#[derive(Debug, Clone)]
pub(crate) struct Bearer {
    pub user_id: u64,
    pub token_id: u64,
    pub scopes: Scopes,
}

/// Resolves `Authorization: Bearer <token>`: the token must exist, be unexpired and not
/// revoked, and its user must still be able to sign in. Records the use.
pub(crate) fn authenticate_bearer(
    account: &mut Account,
    token: &str,
    now: Timestamp,
) -> Result<Bearer, ApiError> {
    let grant = account
        .oauth
        .live_grant_mut(token, now)
        .ok_or(ApiError::InvalidToken)?;
    grant.used_at = Some(now);
    let bearer = Bearer {
        user_id: grant.user_id,
        token_id: grant.id,
        scopes: grant.scopes.clone(),
    };
    match account.users.get(&bearer.user_id) {
        Some(user) if user.active && !user.suspended => Ok(bearer),
        _ => Err(ApiError::InvalidToken),
    }
}

/// A token endpoint refusal: status, OAuth error code and description.
#[derive(Debug)]
struct GrantError {
    status: StatusCode,
    error: &'static str,
    description: &'static str,
}

impl GrantError {
    fn invalid_grant() -> GrantError {
        GrantError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_grant",
            description: INVALID_GRANT,
        }
    }

    fn invalid_client() -> GrantError {
        GrantError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: INVALID_CLIENT,
        }
    }

    fn invalid_request() -> GrantError {
        GrantError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description: INVALID_REQUEST,
        }
    }

    fn unsupported_grant_type() -> GrantError {
        GrantError {
            status: StatusCode::BAD_REQUEST,
            error: "unsupported_grant_type",
            description: UNSUPPORTED_GRANT,
        }
    }

    fn into_reply(self) -> Reply {
        no_store(Reply::json(
            self.status,
            json!({"error": self.error, "error_description": self.description}),
        ))
    }
}

/// Token answers must not be cached (RFC 6749 §5.1), as Doorkeeper marks them.
fn no_store(reply: Reply) -> Reply {
    reply
        .with_header("cache-control", "no-store")
        .with_header("pragma", "no-cache")
}

/// The parameters of a token request, from a JSON or a form-encoded body.
fn token_parameters(body: &[u8]) -> Option<HashMap<String, String>> {
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
        return Some(
            map.into_iter()
                .filter_map(|(key, value)| {
                    let text = match value {
                        Value::String(text) => text,
                        Value::Number(number) => number.to_string(),
                        Value::Bool(flag) => flag.to_string(),
                        _ => return None,
                    };
                    Some((key, text))
                })
                .collect(),
        );
    }
    let text = std::str::from_utf8(body).ok()?;
    if text.trim_start().starts_with(['{', '[']) {
        return None;
    }
    Some(
        url::form_urlencoded::parse(text.as_bytes())
            .into_owned()
            .collect(),
    )
}

/// Lifetimes a token request asked for (validated).
#[derive(Debug, Clone, Copy, Default)]
struct RequestedLifetimes {
    access: Option<u64>,
    refresh: Option<u64>,
}

impl RequestedLifetimes {
    /// `expires_in` must be more than 300 s and less than 172,800 s; `refresh_token_expires_in`
    /// between 604,800 s and 7,776,000 s and longer than `expires_in`.
    fn parse(parameters: &HashMap<String, String>) -> Result<RequestedLifetimes, GrantError> {
        let number = |key: &str| -> Result<Option<u64>, GrantError> {
            match parameters.get(key).map(String::as_str) {
                None | Some("") => Ok(None),
                Some(text) => text
                    .parse::<u64>()
                    .map(Some)
                    .map_err(|_| GrantError::invalid_request()),
            }
        };
        let access = number("expires_in")?;
        let refresh = number("refresh_token_expires_in")?;
        if access.is_some_and(|seconds| seconds <= 300 || seconds >= 172_800) {
            return Err(GrantError::invalid_request());
        }
        if refresh.is_some_and(|seconds| !(604_800..=7_776_000).contains(&seconds)) {
            return Err(GrantError::invalid_request());
        }
        if let (Some(access), Some(refresh)) = (access, refresh) {
            if access >= refresh {
                return Err(GrantError::invalid_request());
            }
        }
        Ok(RequestedLifetimes { access, refresh })
    }
}

/// `POST /oauth/tokens`: the authorization-code, refresh-token and client-credentials grants.
pub(crate) fn token(account: &mut Account, body: &[u8], now: Timestamp) -> Reply {
    match exchange(account, body, now) {
        Ok(body) => no_store(Reply::json(StatusCode::CREATED, body)),
        Err(error) => error.into_reply(),
    }
}

fn exchange(account: &mut Account, body: &[u8], now: Timestamp) -> Result<Value, GrantError> {
    let parameters = token_parameters(body).ok_or_else(GrantError::invalid_request)?;
    let parameter = |key: &str| {
        parameters
            .get(key)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    };
    let grant_type = parameter("grant_type").ok_or_else(GrantError::invalid_request)?;
    if !matches!(
        grant_type,
        "authorization_code" | "refresh_token" | "client_credentials"
    ) {
        return Err(GrantError::unsupported_grant_type());
    }
    let client = authenticate_client(
        &account.oauth,
        parameter("client_id"),
        parameter("client_secret"),
    )?;
    let lifetimes = RequestedLifetimes::parse(&parameters)?;
    let registry = &mut account.oauth;
    match grant_type {
        "authorization_code" => {
            let code = parameter("code").ok_or_else(GrantError::invalid_request)?;
            let redirect_uri = parameter("redirect_uri").ok_or_else(GrantError::invalid_request)?;
            let verifier = parameter("code_verifier");
            if let Some(verifier) = verifier {
                registry.remember(verifier);
            }
            let pending = registry
                .codes
                .get_mut(code)
                .ok_or_else(GrantError::invalid_grant)?;
            let fresh = pending
                .issued_at
                .checked_add(CODE_LIFETIME)
                .is_ok_and(|expiry| now <= expiry);
            let verified = match &pending.challenge {
                Some(challenge) => verifier.is_some_and(|verifier| s256(verifier) == *challenge),
                None => true,
            };
            if pending.spent
                || !fresh
                || pending.client_id != client.id
                || pending.redirect_uri != redirect_uri
                || !verified
            {
                return Err(GrantError::invalid_grant());
            }
            pending.spent = true;
            let (user_id, scope) = (pending.user_id, pending.scope.clone());
            Ok(registry.issue(&client, user_id, &scope, true, lifetimes, now))
        }
        "refresh_token" => {
            let presented = parameter("refresh_token").ok_or_else(GrantError::invalid_request)?;
            let grant = registry
                .grants
                .iter_mut()
                .find(|grant| {
                    grant.refresh.as_ref().is_some_and(|refresh| {
                        constant_time_eq(refresh.expose().as_bytes(), presented.as_bytes())
                    })
                })
                .ok_or_else(GrantError::invalid_grant)?;
            let usable = !grant.revoked
                && grant.client_id == client.id
                && grant.refresh_expires_at.is_some_and(|expiry| now < expiry);
            if !usable {
                return Err(GrantError::invalid_grant());
            }
            // The old pair dies before the new one exists: a second refresh with the same
            // token, or a request with the old access token, is refused from now on.
            grant.revoked = true;
            let (user_id, scope) = (grant.user_id, grant.scope.clone());
            Ok(registry.issue(&client, user_id, &scope, true, lifetimes, now))
        }
        _ => {
            if client.kind != OAuthClientKind::Confidential {
                return Err(GrantError::invalid_client());
            }
            let scope = parameter("scope").unwrap_or("read").to_owned();
            Ok(registry.issue(&client, client.user_id, &scope, false, lifetimes, now))
        }
    }
}

/// The client a token request names. Confidential clients must present their secret;
/// public clients have none to present (a sent one is ignored).
fn authenticate_client(
    registry: &OAuthRegistry,
    identifier: Option<&str>,
    secret: Option<&str>,
) -> Result<RegisteredClient, GrantError> {
    let client = identifier
        .and_then(|identifier| registry.client(identifier))
        .ok_or_else(GrantError::invalid_client)?;
    match (&client.secret, client.kind) {
        (Some(expected), OAuthClientKind::Confidential) => {
            let matches = secret.is_some_and(|secret| {
                constant_time_eq(expected.expose().as_bytes(), secret.as_bytes())
            });
            if matches {
                Ok(client.clone())
            } else {
                Err(GrantError::invalid_client())
            }
        }
        _ => Ok(client.clone()),
    }
}

/// `BASE64URL(SHA256(verifier))` without padding (RFC 7636 S256).
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `uri` may receive codes: absolute `https`, or `http` on a loopback host with any
/// port (RFC 8252 §7.3), and no fragment.
pub(crate) fn redirect_allowed(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    if url.fragment().is_some() || url.host().is_none() {
        return false;
    }
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(address)) => address.is_loopback(),
            Some(url::Host::Ipv6(address)) => address.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// An authorization request as the consent page and its form carry it.
#[derive(Debug, Default)]
struct AuthorizationRequest {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

impl AuthorizationRequest {
    fn from_pairs(pairs: &[(String, String)]) -> AuthorizationRequest {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .filter(|value| !value.is_empty())
        };
        AuthorizationRequest {
            response_type: get("response_type").unwrap_or_default(),
            client_id: get("client_id").unwrap_or_default(),
            redirect_uri: get("redirect_uri").unwrap_or_default(),
            scope: get("scope").unwrap_or_else(|| "read".to_owned()),
            state: get("state"),
            code_challenge: get("code_challenge"),
            code_challenge_method: get("code_challenge_method"),
        }
    }

    /// The fields the consent form posts back.
    fn fields(&self) -> Vec<(&'static str, &str)> {
        let mut fields = vec![
            ("response_type", self.response_type.as_str()),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("scope", self.scope.as_str()),
        ];
        for (name, value) in [
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
        ] {
            if let Some(value) = value {
                fields.push((name, value.as_str()));
            }
        }
        fields
    }
}

/// Where an authorization request stands after its checks.
enum Checked {
    /// The client or the redirect URI cannot be trusted: show an error page, never redirect
    /// (RFC 6749 §4.1.2.1).
    Refused(Reply),
    /// The request is malformed but the redirect URI is trusted: redirect with an error.
    Redirect(Reply),
    /// Ready for the admin's decision.
    Ready(RegisteredClient),
}

fn check(registry: &OAuthRegistry, request: &AuthorizationRequest) -> Checked {
    let Some(client) = registry.client(&request.client_id).cloned() else {
        return Checked::Refused(error_page(
            "Client authentication failed due to unknown client.",
        ));
    };
    if !redirect_allowed(&request.redirect_uri) {
        return Checked::Refused(error_page(
            "The redirect uri included is not valid: it must be https, or http on localhost or 127.0.0.1.",
        ));
    }
    if request.response_type != "code" {
        return Checked::Redirect(error_redirect(
            request,
            "unsupported_response_type",
            UNSUPPORTED_RESPONSE_TYPE,
        ));
    }
    let challenge_ok = match (&request.code_challenge, &request.code_challenge_method) {
        (Some(_), Some(method)) => method == "S256",
        (Some(_), None) => false,
        (None, _) => client.kind == OAuthClientKind::Confidential,
    };
    if !challenge_ok {
        return Checked::Redirect(error_redirect(
            request,
            "invalid_request",
            "PKCE is required for public clients: send code_challenge with code_challenge_method=S256.",
        ));
    }
    Checked::Ready(client)
}

/// `GET /oauth/authorizations/new`: the consent page, or (in approve/deny mode) the
/// redirect the admin's click would cause.
pub(crate) fn authorization_page(
    account: &mut Account,
    query: &[(String, String)],
    origin: &str,
    now: Timestamp,
) -> Reply {
    let request = AuthorizationRequest::from_pairs(query);
    let client = match check(&account.oauth, &request) {
        Checked::Refused(reply) | Checked::Redirect(reply) => return reply,
        Checked::Ready(client) => client,
    };
    match account.oauth.consent {
        ConsentMode::Approve => approve(account, &client, &request, now),
        ConsentMode::Deny => error_redirect(&request, "access_denied", ACCESS_DENIED),
        ConsentMode::Ask => consent_page(account, &client, &request, origin),
    }
}

/// `POST /oauth/authorizations`: the consent form's Allow (`decision=allow`) or Deny.
pub(crate) fn decide(account: &mut Account, body: &[u8], now: Timestamp) -> Reply {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let request = AuthorizationRequest::from_pairs(&pairs);
    let client = match check(&account.oauth, &request) {
        Checked::Refused(reply) | Checked::Redirect(reply) => return reply,
        Checked::Ready(client) => client,
    };
    let allowed = pairs
        .iter()
        .any(|(key, value)| key == "decision" && value == "allow");
    if allowed {
        approve(account, &client, &request, now)
    } else {
        error_redirect(&request, "access_denied", ACCESS_DENIED)
    }
}

/// Issues a code for the seeded admin (the signed-in browser user) and redirects with it.
fn approve(
    account: &mut Account,
    client: &RegisteredClient,
    request: &AuthorizationRequest,
    now: Timestamp,
) -> Reply {
    let code = random_token(40);
    account.oauth.remember(&code);
    // Codes past their lifetime can never be exchanged; forgetting them bounds memory.
    account.oauth.codes.retain(|_, pending| {
        pending
            .issued_at
            .checked_add(CODE_LIFETIME)
            .is_ok_and(|expiry| now <= expiry)
    });
    account.oauth.codes.insert(
        code.clone(),
        AuthorizationCode {
            client_id: client.id,
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.clone(),
            challenge: request.code_challenge.clone(),
            user_id: signed_in_admin(account),
            issued_at: now,
            spent: false,
        },
    );
    redirect(request, &[("code", &code)])
}

/// The browser's signed-in user: the seeded admin.
fn signed_in_admin(account: &Account) -> u64 {
    account
        .credentials()
        .first()
        .map_or(0, |credential| credential.user_id)
}

fn error_redirect(request: &AuthorizationRequest, error: &str, description: &str) -> Reply {
    redirect(
        request,
        &[("error", error), ("error_description", description)],
    )
}

/// `302` to the redirect URI with `pairs` and the request's `state` appended to its query.
fn redirect(request: &AuthorizationRequest, pairs: &[(&str, &str)]) -> Reply {
    let Ok(mut target) = url::Url::parse(&request.redirect_uri) else {
        return error_page("The redirect uri included is not valid.");
    };
    {
        let mut query = target.query_pairs_mut();
        for (key, value) in pairs {
            query.append_pair(key, value);
        }
        if let Some(state) = &request.state {
            query.append_pair("state", state);
        }
    }
    Reply::empty(StatusCode::FOUND)
        .with_header("location", target.as_str())
        .with_header("cache-control", "no-store")
}

fn consent_page(
    account: &Account,
    client: &RegisteredClient,
    request: &AuthorizationRequest,
    origin: &str,
) -> Reply {
    let admin = account
        .users
        .get(&signed_in_admin(account))
        .map(|user| {
            format!(
                "{} ({})",
                user.name,
                user.email.as_deref().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    let hidden: String = request
        .fields()
        .iter()
        .map(|(name, value)| {
            format!(
                "      <input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
                escape(value)
            )
        })
        .collect();
    let scopes: Vec<String> = request
        .scope
        .split_whitespace()
        .map(|scope| format!("<li>{}</li>", escape(scope)))
        .collect();
    let page = format!(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>Authorize {client} | Zendesk</title></head>\n<body>\n  <main>\n    <h1>{client} wants to access your account: {scope}</h1>\n    <p>Signed in as {admin}.</p>\n    <ul id=\"scopes\">{list}</ul>\n    <form method=\"post\" action=\"{origin}/oauth/authorizations\">\n{hidden}      <button type=\"submit\" id=\"allow\" name=\"decision\" value=\"allow\">Allow</button>\n      <button type=\"submit\" id=\"deny\" name=\"decision\" value=\"deny\">Deny</button>\n    </form>\n  </main>\n</body>\n</html>\n",
        client = escape(&client.identifier),
        scope = escape(&request.scope),
        admin = escape(&admin),
        list = scopes.join(""),
        origin = escape(origin),
    );
    Reply::text(StatusCode::OK, "text/html; charset=utf-8", page)
        .with_header("cache-control", "no-store")
}

/// An authorization error the browser shows instead of redirecting.
fn error_page(message: &str) -> Reply {
    let page = format!(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>An error has occurred | Zendesk</title></head>\n<body>\n  <h1>An error has occurred</h1>\n  <p id=\"error\">{}</p>\n</body>\n</html>\n",
        escape(message)
    );
    Reply::text(StatusCode::BAD_REQUEST, "text/html; charset=utf-8", page)
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `GET /api/v2/oauth/tokens/current`: the bearer token in use. Only the token's first ten
/// characters are shown, as Zendesk does; the refresh token never is.
pub(crate) fn current(account: &Account, call: &Call) -> ApiResult {
    call.user(account)?;
    let token_id = call.token_id.ok_or(ApiError::RecordNotFound)?;
    let grant = account
        .oauth
        .grants
        .iter()
        .find(|grant| grant.id == token_id)
        .ok_or(ApiError::RecordNotFound)?;
    let prefix: String = grant.access.expose().chars().take(10).collect();
    let scopes: Vec<&str> = grant.scope.split_whitespace().collect();
    Ok(Reply::ok(json!({"token": {
        "id": grant.id,
        "client_id": grant.client_id,
        "user_id": grant.user_id,
        "token": prefix,
        "refresh_token": null,
        "created_at": crate::clock::seconds(grant.created_at),
        "expires_at": crate::clock::seconds(grant.expires_at),
        "used_at": grant.used_at.map(crate::clock::seconds),
        "scopes": scopes,
        "url": format!("{}/api/v2/oauth/tokens/{}.json", call.origin, grant.id),
    }})))
}

/// `DELETE /api/v2/oauth/tokens/{id|current}`: revokes a token (and its refresh token). A
/// user may revoke their own tokens; an admin anyone's.
pub(crate) fn revoke(account: &mut Account, call: &Call, id: &str) -> ApiResult {
    let caller = match call.caller {
        Caller::User(id) => id,
        Caller::Anonymous => return Err(ApiError::Unauthenticated),
    };
    let is_admin = call.require_admin(account).is_ok();
    let target = if id == "current" {
        call.token_id.ok_or(ApiError::RecordNotFound)?
    } else {
        id.parse::<u64>().map_err(|_| ApiError::RecordNotFound)?
    };
    let grant = account
        .oauth
        .grants
        .iter_mut()
        .find(|grant| grant.id == target && !grant.revoked)
        .ok_or(ApiError::RecordNotFound)?;
    if grant.user_id != caller && !is_admin {
        return Err(ApiError::RecordNotFound);
    }
    grant.revoked = true;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn redirect_uris_must_be_https_or_loopback() {
        let table = [
            ("https://app.example.com/callback", true),
            ("http://127.0.0.1:53682/callback", true),
            ("http://127.0.0.1/callback", true),
            ("http://localhost:8080/oauth", true),
            ("http://[::1]:9000/cb", true),
            ("http://example.com/callback", false),
            ("http://127.0.0.1.example.com/callback", false),
            ("https://app.example.com/callback#frag", false),
            ("com.example.app:/callback", false),
            ("/relative/callback", false),
            ("", false),
        ];
        for (uri, allowed) in table {
            assert_eq!(redirect_allowed(uri), allowed, "{uri}");
        }
    }

    #[test]
    fn scopes_permit_by_method_and_resource() {
        use Access::{Read, Write};
        // (scope, access, resource, the scope named as missing)
        let table: [(&str, Access, Option<&str>, Option<&str>); 12] = [
            ("read", Read, Some("tickets"), None),
            ("read", Write, Some("tickets"), Some("write")),
            ("write", Read, Some("tickets"), Some("read")),
            ("read write", Write, None, None),
            ("tickets:read", Read, Some("tickets"), None),
            (
                "tickets:read",
                Read,
                Some("webhooks"),
                Some("webhooks:read"),
            ),
            (
                "tickets:read",
                Write,
                Some("tickets"),
                Some("tickets:write"),
            ),
            ("tickets:read", Read, None, Some("read")),
            ("organizations:write read", Read, Some("webhooks"), None),
            ("read write bogus", Read, Some("tickets"), Some("read")),
            ("[\"read\", \"write\"]", Read, Some("tickets"), Some("read")),
            ("", Read, Some("users"), Some("read")),
        ];
        for (scope, access, resource, expected) in table {
            let expected = expected.map_or(Ok(()), |missing| Err(missing.to_owned()));
            assert_eq!(
                Scopes::parse(scope).permit(access, resource),
                expected,
                "{scope:?} {access:?} {resource:?}"
            );
        }
    }

    #[test]
    fn client_debug_hides_the_secret() {
        let client = OAuthClient {
            identifier: RELAY_CLIENT.to_owned(),
            secret: Some("s3cret-value".to_owned()),
            kind: OAuthClientKind::Confidential,
            user_id: 1,
        };
        let printed = format!("{client:?}");
        assert!(!printed.contains("s3cret-value"), "{printed}");
        assert!(client.kind == "confidential");
    }
}
