//! Outgoing webhook deliveries: signing, the HTTP request, Zendesk's retry policy and
//! circuit breaker, and the invocation/attempt records the Webhooks API serves.
//!
//! Deliveries run on background tasks so an API response never waits for them. Every
//! time-dependent decision reads the simulator's [`crate::Clock`].

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::Sha256;

use crate::account::Account;
use crate::clock::seconds;
use crate::webhooks::{Attempt, Invocation, Webhook, WebhookAuth};
use crate::Simulator;

/// The secret Zendesk signs test requests with before a webhook exists
/// (base64 of `this_secret_is_for_testing_only`).
pub const TEST_SIGNING_SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";

/// `base64(HMAC-SHA256(key = secret, message = timestamp + body))`. The secret string is
/// the key as-is (not base64-decoded).
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty signature would only
    // make the receiver reject the delivery.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.as_bytes());
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Where and how a delivery goes (a snapshot of the webhook when it fired).
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub webhook_id: Option<String>,
    pub endpoint: String,
    pub http_method: String,
    pub request_format: String,
    pub authentication: Option<WebhookAuth>,
    pub custom_headers: Vec<(String, String)>,
    /// The HMAC key. Invariant: never logged.
    pub signing_secret: crate::secret::SecretText,
}

/// Why a delivery exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DispatchOrigin {
    Trigger { trigger_id: u64, ticket_id: u64 },
}

/// A delivery decided by a trigger, waiting to be sent.
#[derive(Clone, Debug)]
pub(crate) struct Dispatch {
    pub target: Target,
    pub body: String,
    /// URL parameters (GET/DELETE or form-encoded webhooks).
    pub pairs: Vec<(String, String)>,
    pub invocation_id: String,
}

/// Records a new invocation (status `accepted`) and returns the delivery to send.
pub(crate) fn prepare(
    account: &mut Account,
    webhook: &Webhook,
    body: String,
    pairs: Vec<(String, String)>,
    origin: DispatchOrigin,
    now: Timestamp,
) -> Dispatch {
    let invocation_id = ulid::Ulid::from_datetime(std::time::SystemTime::from(now)).to_string();
    let DispatchOrigin::Trigger {
        trigger_id,
        ticket_id,
    } = origin;
    account.invocations.push(Invocation {
        id: invocation_id.clone(),
        webhook_id: webhook.id.clone(),
        trigger_id: Some(trigger_id),
        ticket_id: Some(ticket_id),
        status: "accepted".to_owned(),
        status_code: None,
        created_at: now,
        latest_completed_at: None,
        attempts: Vec::new(),
    });
    Dispatch {
        target: webhook.target(),
        body,
        pairs,
        invocation_id,
    }
}

/// How one attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The endpoint answered with this status (and `Retry-After`, when it sent one).
    Answered {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` value in seconds, if any.
        retry_after: Option<Duration>,
    },
    /// No answer within the timeout (Zendesk logs these as 504).
    TimedOut,
    /// The connection failed; treated like a timeout (no answer at all).
    Unreachable,
}

impl AttemptOutcome {
    /// Whether the attempt counts as an error for the circuit breaker.
    pub fn is_error(&self) -> bool {
        !matches!(self, AttemptOutcome::Answered { status, .. } if (200..300).contains(status))
    }
}

/// Zendesk's retry policy: timeouts are retried up to 5 times, 409 up to 3 times, 429 and
/// 503 only when `Retry-After` is under 60 s (up to 5 times); nothing else is retried.
/// `retries_done` counts the retries already made for this invocation.
pub fn should_retry(outcome: &AttemptOutcome, retries_done: u32) -> bool {
    match outcome {
        AttemptOutcome::TimedOut | AttemptOutcome::Unreachable => retries_done < 5,
        AttemptOutcome::Answered { status: 409, .. } => retries_done < 3,
        AttemptOutcome::Answered {
            status: 429 | 503,
            retry_after,
        } => retries_done < 5 && retry_after.is_some_and(|wait| wait < Duration::from_secs(60)),
        AttemptOutcome::Answered { .. } => false,
    }
}

/// A per-webhook circuit breaker: over a 5-minute window with at least 100 requests, 70 %
/// or more errors (or more than 1,000 errors) trips it, and sending pauses for 5 seconds.
/// After a pause the window starts afresh, so old failures do not trip it again at once.
#[derive(Debug, Default)]
pub struct CircuitBreaker {
    outcomes: VecDeque<(Timestamp, bool)>,
    open_until: Option<Timestamp>,
}

/// The breaker's window.
pub const BREAKER_WINDOW: Duration = Duration::from_secs(300);
/// The least requests in a window that can trip the breaker.
pub const BREAKER_MIN_REQUESTS: usize = 100;
/// How long a tripped breaker pauses sending.
pub const BREAKER_PAUSE: Duration = Duration::from_secs(5);

impl CircuitBreaker {
    /// Whether a request may be sent at `now`.
    pub fn allows(&mut self, now: Timestamp) -> bool {
        match self.open_until {
            Some(until) if now < until => false,
            Some(_) => {
                self.open_until = None;
                self.outcomes.clear();
                true
            }
            None => true,
        }
    }

    /// Records an attempt's result and trips the breaker when the thresholds are met.
    pub fn record(&mut self, now: Timestamp, error: bool) {
        let window = SignedDuration::try_from(BREAKER_WINDOW).unwrap_or(SignedDuration::MAX);
        let oldest = now.checked_sub(window).unwrap_or(now);
        while self.outcomes.front().is_some_and(|(at, _)| *at < oldest) {
            self.outcomes.pop_front();
        }
        self.outcomes.push_back((now, error));
        let total = self.outcomes.len();
        let errors = self.outcomes.iter().filter(|(_, error)| *error).count();
        if total >= BREAKER_MIN_REQUESTS && (errors * 100 >= total * 70 || errors > 1000) {
            let pause = SignedDuration::try_from(BREAKER_PAUSE).unwrap_or(SignedDuration::MAX);
            self.open_until = now.checked_add(pause).ok();
        }
    }

    /// Whether the breaker is paused at `now` (without changing it).
    pub fn is_open(&self, now: Timestamp) -> bool {
        self.open_until.is_some_and(|until| now < until)
    }
}

/// Circuit breakers by webhook id.
#[derive(Debug, Default)]
pub(crate) struct Breakers {
    pub by_webhook: HashMap<String, CircuitBreaker>,
}

/// The answer to one HTTP request.
pub(crate) struct Exchange {
    pub request_headers: Vec<(String, String)>,
    pub request_payload: String,
    pub outcome: AttemptOutcome,
    pub response_headers: Vec<(String, String)>,
    pub response_payload: String,
}

/// Sends one signed request to `target`.
pub(crate) async fn send_once(
    sim: &Simulator,
    target: &Target,
    body: &str,
    pairs: &[(String, String)],
    invocation_id: Option<&str>,
) -> Exchange {
    let timestamp = seconds(sim.clock().now());
    let method =
        reqwest::Method::from_bytes(target.http_method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let bodiless = matches!(target.http_method.as_str(), "GET" | "DELETE");
    let form = target.request_format == "form_encoded";
    let payload = if form && !bodiless {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    } else if bodiless {
        String::new()
    } else {
        body.to_owned()
    };
    let content_type = match target.request_format.as_str() {
        "xml" => "application/xml; charset=utf-8",
        "form_encoded" => "application/x-www-form-urlencoded; charset=utf-8",
        _ => "application/json; charset=utf-8",
    };
    let mut headers: Vec<(String, String)> = vec![
        (
            "X-Zendesk-Webhook-Signature-Timestamp".to_owned(),
            timestamp.clone(),
        ),
        (
            "X-Zendesk-Webhook-Signature".to_owned(),
            sign(
                target.signing_secret.expose(),
                &timestamp,
                payload.as_bytes(),
            ),
        ),
        ("Content-Type".to_owned(), content_type.to_owned()),
        ("User-Agent".to_owned(), "Zendesk Webhook".to_owned()),
        (
            "X-Zendesk-Account-Id".to_owned(),
            sim.state.config.account_id.to_string(),
        ),
    ];
    if let Some(webhook_id) = &target.webhook_id {
        headers.push(("X-Zendesk-Webhook-Id".to_owned(), webhook_id.clone()));
    }
    if let Some(invocation_id) = invocation_id {
        headers.push((
            "X-Zendesk-Webhook-Invocation-Id".to_owned(),
            invocation_id.to_owned(),
        ));
    }
    for (name, value) in &target.custom_headers {
        headers.push((name.clone(), value.clone()));
    }
    let mut request = sim
        .state
        .http
        .request(method, &target.endpoint)
        .timeout(sim.state.config.delivery.timeout);
    if bodiless && !pairs.is_empty() {
        request = request.query(pairs);
    }
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    // Credentials go on the wire but not into the recorded request headers.
    request = match &target.authentication {
        Some(WebhookAuth::Basic { username, password }) => {
            request.basic_auth(username, Some(password))
        }
        Some(WebhookAuth::Bearer { token }) => request.bearer_auth(token),
        Some(WebhookAuth::ApiKey { name, value }) => request.header(name.as_str(), value.as_str()),
        None => request,
    };
    if !bodiless {
        request = request.body(payload.clone());
    }
    let (outcome, response_headers, response_payload) = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let response_headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("").to_owned()))
                .collect();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text: String = response.text().await.unwrap_or_default();
            (
                AttemptOutcome::Answered {
                    status,
                    retry_after,
                },
                response_headers,
                text,
            )
        }
        Err(error) if error.is_timeout() => (AttemptOutcome::TimedOut, Vec::new(), String::new()),
        Err(_) => (AttemptOutcome::Unreachable, Vec::new(), String::new()),
    };
    Exchange {
        request_headers: headers,
        request_payload: payload,
        outcome,
        response_headers,
        response_payload,
    }
}

/// Delivers one invocation with retries, recording every attempt.
pub(crate) async fn deliver(sim: Simulator, dispatch: Dispatch) {
    let webhook_id = dispatch.target.webhook_id.clone().unwrap_or_default();
    let mut retries = 0u32;
    loop {
        let now = sim.clock().now();
        let allowed = sim
            .breakers()
            .by_webhook
            .entry(webhook_id.clone())
            .or_default()
            .allows(now);
        if !allowed {
            sim.record_attempt(
                &dispatch.invocation_id,
                Attempt {
                    status: "circuit broken".to_owned(),
                    status_code: None,
                    request_headers: Vec::new(),
                    request_payload: String::new(),
                    response_headers: Vec::new(),
                    response_payload: String::new(),
                    completed_at: now,
                },
                "circuit broken",
                None,
            );
            return;
        }
        let exchange = send_once(
            &sim,
            &dispatch.target,
            &dispatch.body,
            &dispatch.pairs,
            Some(&dispatch.invocation_id),
        )
        .await;
        let completed_at = sim.clock().now();
        sim.breakers()
            .by_webhook
            .entry(webhook_id.clone())
            .or_default()
            .record(completed_at, exchange.outcome.is_error());
        let retry = should_retry(&exchange.outcome, retries);
        let (status, status_code) = match &exchange.outcome {
            AttemptOutcome::Answered { status, .. } if (200..300).contains(status) => {
                ("success", Some(*status))
            }
            AttemptOutcome::Answered { status, .. } if retry => ("failed", Some(*status)),
            AttemptOutcome::Answered { status, .. } if retries > 0 => ("failed", Some(*status)),
            AttemptOutcome::Answered { status, .. } => ("terminated", Some(*status)),
            AttemptOutcome::TimedOut => ("timeout", Some(504)),
            AttemptOutcome::Unreachable => ("failed", None),
        };
        sim.record_attempt(
            &dispatch.invocation_id,
            Attempt {
                status: status.to_owned(),
                status_code,
                request_headers: exchange.request_headers,
                request_payload: exchange.request_payload,
                response_headers: exchange.response_headers,
                response_payload: exchange.response_payload,
                completed_at,
            },
            status,
            status_code,
        );
        if !retry {
            return;
        }
        retries += 1;
        tokio::time::sleep(sim.state.config.delivery.retry_delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_test_secret_is_the_documented_text() {
        let decoded = STANDARD.decode(TEST_SIGNING_SECRET).unwrap();
        assert_eq!(decoded, b"this_secret_is_for_testing_only");
    }
}
