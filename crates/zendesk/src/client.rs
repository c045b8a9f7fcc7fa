//! The client: configuration, the one request pipeline every call goes through, and URL handling.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use tokio::time::Instant;

use crate::auth::{api_token_header, bearer_header};
use crate::error::{classify, FailedAnswer, Subject};
use crate::rate_limit::{Endpoint, Limits, Plan, Repeat, RetryPolicy};
use crate::{Auth, Error, SecretString};

/// Everything a [`Client`] needs to reach one Zendesk account.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://{subdomain}.zendesk.com` for a real account (see [`account_url`]), or a simulator's address.
    pub base_url: Url,
    /// How requests authenticate.
    pub auth: Auth,
    /// Limit for one HTTP exchange (connect + answer).
    pub timeout: Duration,
    /// Sent as `User-Agent`, so Zendesk's logs name the integration.
    pub user_agent: String,
    /// The account's plan, which sizes the client-side rate limiter until Zendesk's headers say otherwise.
    pub plan: Plan,
    /// How transient failures are retried.
    pub retry: RetryPolicy,
    /// Told of every retry as its wait begins, so a caller can say why a call is taking long.
    pub on_retry: Option<RetryObserver>,
}

impl ClientConfig {
    /// A configuration with a 30 s timeout and the `zendesk-handoff/<version>` user agent.
    pub fn new(base_url: Url, auth: Auth) -> Self {
        ClientConfig {
            base_url,
            auth,
            timeout: Duration::from_secs(30),
            user_agent: concat!("zendesk-handoff/", env!("CARGO_PKG_VERSION")).to_owned(),
            // The smallest current plan: a client that does not know the plan must not overrun it.
            plan: Plan::Team,
            retry: RetryPolicy::default(),
            on_retry: None,
        }
    }
}

/// A retry the client is about to make: which attempt comes next, how long it waits first, and why. Plain
/// numbers and a cause: never a URL, a header or a body, so it can hold no secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// The attempt about to be made: 2 for the first retry.
    pub attempt: u32,
    /// The attempts allowed in all ([`RetryPolicy::max_attempts`]).
    pub max_attempts: u32,
    /// How long the client waits before it (Zendesk's `Retry-After`, or the backoff).
    pub wait: Duration,
    /// What the previous attempt ran into.
    pub cause: RetryCause,
}

/// Why a call is being retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryCause {
    /// Zendesk answered 429: the rate limit is used up.
    RateLimited,
    /// Zendesk (or something in front of it) answered this 5xx.
    Server { status: u16 },
    /// No answer within the timeout.
    Timeout,
    /// The request did not get through (DNS, connection refused or reset, TLS).
    Network,
}

impl RetryCause {
    fn of(error: &Error) -> Option<RetryCause> {
        match error {
            Error::RateLimited { .. } => Some(RetryCause::RateLimited),
            Error::Server { status, .. } => Some(RetryCause::Server { status: *status }),
            Error::Timeout => Some(RetryCause::Timeout),
            Error::Network { .. } => Some(RetryCause::Network),
            _ => None,
        }
    }
}

impl std::fmt::Display for RetryCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RetryCause::RateLimited => f.write_str("Zendesk answered 429 (rate limit)"),
            RetryCause::Server { status } => write!(f, "Zendesk answered {status}"),
            RetryCause::Timeout => f.write_str("Zendesk did not answer in time"),
            RetryCause::Network => f.write_str("Zendesk could not be reached"),
        }
    }
}

/// Requests answered by Zendesk in this process, and how many of those were 429s: counters for operators
/// (`/metrics`). Process-wide on purpose: every client of the process talks to the same account's limits.
static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static RATE_LIMITED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// `(answered requests, of which 429)` since the process started.
pub fn call_counts() -> (u64, u64) {
    (
        CALLS.load(std::sync::atomic::Ordering::Relaxed),
        RATE_LIMITED.load(std::sync::atomic::Ordering::Relaxed),
    )
}

/// What a client has learned of the account's Support API rate limit (FACTS §8), for troubleshooting: plain
/// numbers, like [`Retry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitState {
    /// The account bucket's size in requests per minute: the plan's, until Zendesk's headers said otherwise.
    pub per_minute: u32,
    /// Requests left in the current minute as Zendesk's last answer reported them; `None` before any did.
    pub remaining: Option<u32>,
    /// How much longer this client holds every Support API call back (a 429's `Retry-After`, or a reported
    /// budget of 0 until Zendesk's reset); `None` when it sends freely.
    pub paused_for: Option<Duration>,
    /// 429 answers this client received, on any endpoint.
    pub refused: u64,
}

/// The seam [`ClientConfig::on_retry`] plugs into: a function called with each [`Retry`] before its wait. It
/// runs on the calling task, so it must return at once (send to a channel, print a line).
#[derive(Clone)]
pub struct RetryObserver(Arc<dyn Fn(&Retry) + Send + Sync>);

impl RetryObserver {
    pub fn new(observe: impl Fn(&Retry) + Send + Sync + 'static) -> RetryObserver {
        RetryObserver(Arc::new(observe))
    }
}

impl std::fmt::Debug for RetryObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RetryObserver")
    }
}

/// Base URL of a real account: `https://{subdomain}.zendesk.com`.
///
/// Takes the bare subdomain (`acme`); turning what an admin typed into that is the caller's job.
pub fn account_url(subdomain: &str) -> Result<Url, Error> {
    let label = subdomain.trim();
    let valid = !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-');
    if !valid {
        return Err(Error::InvalidConfig {
            detail: format!(
                "{subdomain:?} is not a Zendesk subdomain (expected lowercase letters, digits and dashes, like \"acme\")"
            ),
        });
    }
    Url::parse(&format!("https://{label}.zendesk.com")).map_err(|err| Error::InvalidConfig {
        detail: format!("cannot build the account URL for {label:?}: {err}"),
    })
}

/// A Zendesk API client for one account. Cheap to clone: clones share the connection pool and auth.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    auth: Auth,
    limits: Limits,
    retry: RetryPolicy,
    on_retry: Option<RetryObserver>,
    /// 429 answers this client received (the process-wide count is [`call_counts`]).
    refused: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("auth", &self.inner.auth)
            .finish()
    }
}

impl Client {
    /// Builds a client. Fails on a base URL that is not http(s) or an unusable user agent.
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        let scheme = config.base_url.scheme();
        if scheme != "https" && scheme != "http" {
            return Err(Error::InvalidConfig {
                detail: format!("the base URL must be http(s), not {scheme}:"),
            });
        }
        if config.base_url.host_str().is_none() {
            return Err(Error::InvalidConfig {
                detail: "the base URL has no host".to_owned(),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(config.user_agent.as_str())
            // Zendesk's API does not redirect; a redirect means the host is not a Zendesk account, and following
            // one could carry the credentials elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| Error::InvalidConfig {
                detail: format!("cannot build the HTTP client: {err}"),
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url: config.base_url,
                auth: config.auth,
                limits: Limits::new(config.plan),
                retry: config.retry,
                on_retry: config.on_retry,
                refused: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    /// The account (or simulator) this client talks to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The account bucket's current size in requests per minute: the plan's, until Zendesk's
    /// `X-Rate-Limit` headers report the real one.
    pub fn rate_limit_per_minute(&self) -> u32 {
        self.inner.limits.account_per_minute()
    }

    /// What this client has learned of the account's rate limit so far (clones share it).
    pub fn rate_limit_state(&self) -> RateLimitState {
        let (per_minute, remaining, paused_for) = self.inner.limits.account_state();
        RateLimitState {
            per_minute,
            remaining,
            paused_for,
            refused: self
                .inner
                .refused
                .load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Sends a request and decodes a 2xx JSON body into `T`.
    pub(crate) async fn json<T: DeserializeOwned>(&self, request: &Request) -> Result<T, Error> {
        let answer = self.send(request).await?;
        answer.decode(&request.subject.resource)
    }

    /// Sends a request through the rate limits, auth and the retry policy, and returns a 2xx answer; anything
    /// else becomes an [`Error`].
    pub(crate) async fn send(&self, request: &Request) -> Result<Answer, Error> {
        let url = self.url_for(&request.path_and_query)?;
        let policy = self.inner.retry;
        let deadline = Instant::now() + policy.max_total;
        let mut attempt: u32 = 0;
        let mut refreshed = false;
        loop {
            attempt += 1;
            self.inner
                .limits
                .acquire(request.endpoint, deadline)
                .await?;
            let bearer = match &self.inner.auth {
                Auth::Bearer(source) if !request.anonymous => Some(source.access_token().await?),
                _ => None,
            };
            let (error, retry_after) = match self.exchange(request, &url, bearer.as_ref()).await {
                Ok(answer) => {
                    self.inner.limits.observe(request.endpoint, &answer.headers);
                    if answer.status == 401 && !refreshed {
                        if let (Auth::Bearer(source), Some(rejected)) =
                            (&self.inner.auth, bearer.as_ref())
                        {
                            // One refresh and one retry: a second 401 means the grant itself is gone.
                            source.invalidate(rejected).await?;
                            refreshed = true;
                            attempt -= 1;
                            continue;
                        }
                    }
                    let retry_after = answer.retry_after();
                    match answer.into_success(&url, &request.subject) {
                        Ok(answer) => return Ok(answer),
                        Err(error) => (error, retry_after),
                    }
                }
                Err(error) => (error, None),
            };
            let refused = matches!(error, Error::RateLimited { .. });
            if refused
                || (retry_after.is_some() && matches!(error, Error::Server { status: 503, .. }))
            {
                // Everyone sharing this bucket waits, not just this call.
                self.inner
                    .limits
                    .pause(request.endpoint, retry_after.unwrap_or(policy.base_backoff));
            }
            let repeatable =
                refused || (request.repeat == Repeat::Idempotent && error.is_transient());
            if !repeatable || attempt >= policy.max_attempts {
                return Err(error);
            }
            let wait = policy.backoff(attempt, retry_after);
            if Instant::now() + wait > deadline {
                return Err(error);
            }
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, %error, "retrying zendesk request");
            if let (Some(observer), Some(cause)) = (&self.inner.on_retry, RetryCause::of(&error)) {
                (observer.0)(&Retry {
                    attempt: attempt + 1,
                    max_attempts: policy.max_attempts,
                    wait,
                    cause,
                });
            }
            tokio::time::sleep(wait).await;
        }
    }

    async fn exchange(
        &self,
        request: &Request,
        url: &Url,
        bearer: Option<&SecretString>,
    ) -> Result<Answer, Error> {
        let mut builder = self.inner.http.request(request.method.clone(), url.clone());
        let auth = if request.anonymous {
            &Auth::Anonymous
        } else {
            &self.inner.auth
        };
        match (auth, bearer) {
            (Auth::ApiToken { email, token }, _) => {
                builder = builder.header(AUTHORIZATION, api_token_header(email, token)?);
            }
            (Auth::Bearer(_), Some(token)) => {
                builder = builder.header(AUTHORIZATION, bearer_header(token)?);
            }
            _ => {}
        }
        if let Some(key) = &request.idempotency_key {
            let value = HeaderValue::from_str(key).map_err(|_| Error::InvalidConfig {
                detail: format!("the idempotency key {key:?} cannot be sent in a header"),
            })?;
            builder = builder.header("Idempotency-Key", value);
        }
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        tracing::debug!(method = %request.method, path = %url.path(), "zendesk request");
        let response = builder
            .send()
            .await
            .map_err(|err| Error::from_transport(&err))?;
        let status = response.status().as_u16();
        CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if status == 429 {
            RATE_LIMITED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.inner
                .refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|err| Error::from_transport(&err))?;
        tracing::debug!(status, path = %url.path(), "zendesk answer");
        Ok(Answer {
            url: url.to_string(),
            status,
            headers,
            body: body.to_vec(),
        })
    }

    /// The URL for a path (`/api/v2/...`) or a `links.next` URL.
    ///
    /// Invariant: requests only ever go to the configured base URL's origin. A link on another host (Zendesk
    /// names the account's canonical subdomain in links) is followed by its path and query on the configured
    /// base, so credentials are never sent to a foreign host.
    pub(crate) fn url_for(&self, target: &str) -> Result<Url, Error> {
        let base = &self.inner.base_url;
        let (path, query) = match Url::parse(target) {
            Ok(absolute) => {
                if absolute.origin() == base.origin() {
                    return Ok(absolute);
                }
                (
                    absolute.path().to_owned(),
                    absolute.query().map(str::to_owned),
                )
            }
            Err(_) => match target.split_once('?') {
                Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
                None => (target.to_owned(), None),
            },
        };
        let mut url = base.clone();
        let prefix = base.path().trim_end_matches('/');
        if path.starts_with(prefix) && !prefix.is_empty() {
            url.set_path(&path);
        } else {
            url.set_path(&format!("{prefix}{path}"));
        }
        url.set_query(query.as_deref());
        url.set_fragment(None);
        Ok(url)
    }
}

/// One API call, described independently of auth, retries and rate limits.
#[derive(Clone)]
pub(crate) struct Request {
    pub method: Method,
    /// `/api/v2/...` with its query, or an absolute `links.next` URL.
    pub path_and_query: String,
    /// The JSON body. May hold secrets (webhook credentials, OAuth codes): never logged, never in `Debug`.
    pub body: Option<Value>,
    pub subject: Subject,
    pub idempotency_key: Option<String>,
    pub endpoint: Endpoint,
    pub repeat: Repeat,
    /// Send without credentials (the OAuth token endpoint authenticates by its body).
    pub anonymous: bool,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path_and_query", &self.path_and_query)
            .field("body", &self.body.as_ref().map(|_| "<omitted>"))
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// A Support API call; GET, PUT and DELETE are repeatable, everything else only after a 429.
    pub(crate) fn new(
        method: Method,
        path_and_query: impl Into<String>,
        resource: impl Into<String>,
    ) -> Request {
        let repeat = if method == Method::GET || method == Method::PUT || method == Method::DELETE {
            Repeat::Idempotent
        } else {
            Repeat::OnlyWhenRefused
        };
        Request {
            method,
            path_and_query: path_and_query.into(),
            body: None,
            subject: Subject {
                resource: resource.into(),
                ticket_id: None,
            },
            idempotency_key: None,
            endpoint: Endpoint::Support,
            repeat,
            anonymous: false,
        }
    }

    pub(crate) fn get(path_and_query: impl Into<String>, resource: impl Into<String>) -> Request {
        Request::new(Method::GET, path_and_query, resource)
    }

    pub(crate) fn with_body(mut self, body: Value) -> Request {
        self.body = Some(body);
        self
    }

    pub(crate) fn on(mut self, endpoint: Endpoint) -> Request {
        self.endpoint = endpoint;
        self
    }
}

/// A raw answer: status, headers and the whole body.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The URL that answered (never carries credentials).
    pub url: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    fn into_success(self, url: &Url, subject: &Subject) -> Result<Answer, Error> {
        if (200..300).contains(&self.status) {
            return Ok(self);
        }
        Err(classify(
            &FailedAnswer {
                status: self.status,
                content_type: self.content_type(),
                retry_after: self.retry_after(),
                body: &self.body,
                url: url.as_str(),
            },
            subject,
        ))
    }

    pub(crate) fn content_type(&self) -> Option<&str> {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
    }

    /// `Retry-After` in seconds (Zendesk sends whole seconds; fractions are accepted too).
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        let text = self.headers.get(RETRY_AFTER)?.to_str().ok()?;
        let seconds: f64 = text.trim().parse().ok()?;
        (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
    }

    /// Decodes the body as JSON; a 2xx that is not JSON means the host is not the Zendesk API.
    pub(crate) fn decode<T: DeserializeOwned>(&self, what: &str) -> Result<T, Error> {
        let declared_json = self
            .content_type()
            .is_none_or(|ct| ct.to_ascii_lowercase().contains("json"));
        if !declared_json {
            // An HTML page where the API should answer: a parked domain, a closed Help Center, a login page.
            return Err(Error::NotZendesk {
                url: self.url.clone(),
                status: self.status,
            });
        }
        serde_json::from_slice(&self.body).map_err(|err| Error::decode(what, err))
    }
}
