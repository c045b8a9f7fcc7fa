//! Channel delivery: each rep reply, to the AI platform's outbound endpoint (`outbound-url`), which sends it to
//! the customer on their channel. Signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, the key being the base64 after
//! `whsec_`), so the platform can check the message came from this relay and was not replayed.
//!
//! Durable and independent: every message is a row of the `outbound` queue, written in the same transaction as
//! the reply; each is retried on its own schedule (exponential backoff with jitter) until the endpoint answers
//! 2xx, and dead-lettered after [`OutboundConfig::attempts`], visible in the console. One message the
//! endpoint keeps refusing never holds the others back; a restart resumes where the queue stands. The
//! `webhook-id` is the same on every attempt, so the platform can drop a repeat it already handled.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zendesk::SecretString;

use super::keys::RelaySecrets;
use crate::clock::Clock;
use crate::store::{millis, OutboundRow, Store, StoreError};

/// How the outbound queue paces itself.
#[derive(Debug, Clone, Copy)]
pub struct OutboundConfig {
    /// Attempts before a message is dead-lettered.
    pub attempts: i64,
    /// The first wait; doubled per attempt, with jitter.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// Messages in flight at once.
    pub concurrency: usize,
}

impl Default for OutboundConfig {
    fn default() -> OutboundConfig {
        OutboundConfig {
            attempts: 12,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(600),
            timeout: Duration::from_secs(10),
            concurrency: 8,
        }
    }
}

/// The Standard Webhooks signature header value for a message.
pub fn sign(secret: &SecretString, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let raw = secret.expose_secret();
    let key = STANDARD
        .decode(raw.strip_prefix("whsec_").unwrap_or(raw))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The message id the platform sees: stable across attempts.
pub fn message_id(row: &OutboundRow) -> String {
    format!("msg_{}_{}", row.id, row.comment_id)
}

/// Sends the outbound queue's messages.
#[derive(Clone)]
pub struct Outbound {
    store: Store,
    clock: Clock,
    secrets: RelaySecrets,
    http: reqwest::Client,
    config: OutboundConfig,
}

/// What one attempt came to.
enum Attempt {
    Delivered,
    Failed(String),
}

impl Outbound {
    pub fn new(
        store: Store,
        clock: Clock,
        secrets: RelaySecrets,
        config: OutboundConfig,
    ) -> Outbound {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Outbound {
            store,
            clock,
            secrets,
            http,
            config,
        }
    }

    /// Sends every message due now; returns how many were attempted. `url` is the outbound endpoint.
    pub async fn send_due(&self, url: &url::Url) -> Result<usize, StoreError> {
        let now = millis(self.clock.now());
        let store = self.store.clone();
        let limit = self.config.concurrency * 4;
        let due = store
            .call(move |store| store.due_outbound(now, limit))
            .await?;
        let count = due.len();
        let secret = self.secrets.outbound_secret().await.ok();
        let mut attempts = futures::stream::iter(due.into_iter().map(|row| {
            let secret = secret.clone();
            async move {
                let outcome = match &secret {
                    Some(secret) => self.attempt(url, secret, &row).await,
                    None => Attempt::Failed(
                        "the outbound signing secret could not be read from the keychain".into(),
                    ),
                };
                (row, outcome)
            }
        }))
        .buffer_unordered(self.config.concurrency);
        use futures::StreamExt as _;
        while let Some((row, outcome)) = attempts.next().await {
            self.settle(&row, outcome).await?;
        }
        Ok(count)
    }

    async fn attempt(&self, url: &url::Url, secret: &SecretString, row: &OutboundRow) -> Attempt {
        let id = message_id(row);
        let timestamp = self.clock.now().as_second();
        let Some(signature) = sign(secret, &id, timestamp, row.payload.as_bytes()) else {
            return Attempt::Failed(
                "the outbound signing secret is not `whsec_` + base64; rotate it".into(),
            );
        };
        let sent = self
            .http
            .post(url.clone())
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(row.payload.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Attempt::Delivered,
            Ok(response) => Attempt::Failed(format!("the endpoint answered {}", response.status())),
            Err(error) if error.is_timeout() => Attempt::Failed(format!(
                "the endpoint did not answer within {} s",
                self.config.timeout.as_secs()
            )),
            Err(error) if error.is_connect() => Attempt::Failed(
                "the endpoint could not be reached (connection refused or no route)".into(),
            ),
            Err(_) => Attempt::Failed("the request to the endpoint failed".into()),
        }
    }

    async fn settle(&self, row: &OutboundRow, outcome: Attempt) -> Result<(), StoreError> {
        let now = self.clock.now();
        let (state, next_ms, error) = match outcome {
            Attempt::Delivered => ("delivered", 0, None),
            Attempt::Failed(error) if row.attempts + 1 >= self.config.attempts => {
                ("dead", 0, Some(error))
            }
            Attempt::Failed(error) => {
                let wait = backoff(
                    self.config.backoff_base,
                    self.config.backoff_max,
                    row.attempts as u32,
                );
                (
                    "pending",
                    millis(now) + wait.as_millis() as i64,
                    Some(error),
                )
            }
        };
        if state == "dead" {
            tracing::warn!(
                message = row.id,
                "an outbound message was dead-lettered after its retry budget"
            );
        }
        let id = row.id;
        self.store
            .call(move |store| store.settle_outbound(id, state, next_ms, error.as_deref(), now))
            .await
    }
}

/// `base * 2^attempt`, at most `max`, with up to half of it added at random (so retries of many messages
/// do not arrive in step).
pub fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let exponential = base.saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX));
    let capped = exponential.min(max);
    let jitter = capped.mul_f64(rand::random::<f64>() * 0.5);
    (capped + jitter).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's own example (and, independently, openssl:
    /// `printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' | openssl dgst -sha256 -mac HMAC
    /// -macopt hexkey:$(echo -n MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw | base64 -d | xxd -p) -binary | base64`).
    #[test]
    fn the_signature_matches_the_standard_webhooks_example() {
        let secret = SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert_eq!(
            sign(
                &secret,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            )
            .as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(
            sign(&SecretString::from("whsec_not base64!"), "m", 1, b"x"),
            None
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_with_jitter() {
        let base = Duration::from_secs(1);
        let max = Duration::from_secs(600);
        for (attempt, low, high) in [
            (0, 1.0, 1.5),
            (1, 2.0, 3.0),
            (3, 8.0, 12.0),
            (12, 600.0, 600.0),
            (40, 600.0, 600.0),
        ] {
            let wait = backoff(base, max, attempt).as_secs_f64();
            assert!(wait >= low && wait <= high, "attempt {attempt}: {wait}");
        }
    }
}
