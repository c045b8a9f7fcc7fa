//! Rate limits as fixed windows on the simulator's [`crate::Clock`]: the account's per-plan
//! limit, and the endpoint buckets Zendesk documents (ticket updates, webhooks API).

use std::collections::HashMap;
use std::time::Duration;

use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};

use crate::reply::Reply;

/// The body Zendesk sends with a 429 (plain text, 50 bytes).
pub const RATE_LIMITED_BODY: &str = "Number of allowed API requests per minute exceeded";

/// One limit: at most `limit` requests per `period`, counted per `key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub key: String,
    pub limit: u32,
    pub period: Duration,
}

impl Bucket {
    /// A per-minute bucket.
    pub fn per_minute(key: impl Into<String>, limit: u32) -> Bucket {
        Bucket {
            key: key.into(),
            limit,
            period: Duration::from_secs(60),
        }
    }
}

/// What a bucket says about a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets (at least 1).
    pub reset_seconds: u64,
}

#[derive(Clone, Copy, Debug)]
struct Window {
    started: Timestamp,
    used: u32,
}

/// Every bucket's current window.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    windows: HashMap<String, Window>,
}

impl RateLimits {
    /// Checks all `buckets`; the request is counted in every bucket only when all allow it.
    /// Returns the verdict of the first bucket that refuses, else that of the first bucket
    /// (whose numbers go in the response headers).
    pub fn admit(&mut self, buckets: &[Bucket], now: Timestamp) -> Option<Verdict> {
        let verdicts: Vec<Verdict> = buckets
            .iter()
            .map(|bucket| self.peek(bucket, now))
            .collect();
        if let Some(refused) = verdicts.iter().find(|verdict| !verdict.allowed) {
            return Some(*refused);
        }
        for bucket in buckets {
            let window = self.window(bucket, now);
            window.used = window.used.saturating_add(1);
        }
        verdicts.first().map(|first| Verdict {
            remaining: first.remaining.saturating_sub(1),
            ..*first
        })
    }

    fn peek(&mut self, bucket: &Bucket, now: Timestamp) -> Verdict {
        let window = *self.window(bucket, now);
        let period = SignedDuration::try_from(bucket.period).unwrap_or(SignedDuration::MAX);
        let reset_at = window.started.checked_add(period).unwrap_or(now);
        let reset_seconds = u64::try_from(now.duration_until(reset_at).as_secs())
            .unwrap_or(0)
            .max(1);
        Verdict {
            allowed: window.used < bucket.limit,
            limit: bucket.limit,
            remaining: bucket.limit.saturating_sub(window.used),
            reset_seconds,
        }
    }

    fn window(&mut self, bucket: &Bucket, now: Timestamp) -> &mut Window {
        let period = SignedDuration::try_from(bucket.period).unwrap_or(SignedDuration::MAX);
        let window = self.windows.entry(bucket.key.clone()).or_insert(Window {
            started: now,
            used: 0,
        });
        let expired = window
            .started
            .checked_add(period)
            .map_or(true, |end| end <= now);
        if expired || now < window.started {
            *window = Window {
                started: now,
                used: 0,
            };
        }
        window
    }

    /// Forgets every window (the control API's reset).
    pub fn clear(&mut self) {
        self.windows.clear();
    }
}

/// The 429 Zendesk sends: plain text, `Retry-After`, `x-rate-limit-remaining: 0`.
pub(crate) fn too_many_requests(verdict: Verdict) -> Reply {
    Reply::text(
        StatusCode::TOO_MANY_REQUESTS,
        "text/plain",
        RATE_LIMITED_BODY,
    )
    .with_header("retry-after", verdict.reset_seconds.to_string())
    .with_header("x-rate-limit", verdict.limit.to_string())
    .with_header("x-rate-limit-remaining", "0")
}

/// Zendesk's 429 as some answers come: plain text and no `Retry-After` (FACTS §12), so the
/// caller must back off on its own.
pub(crate) fn too_many_requests_without_retry_after(limit: u32) -> Reply {
    Reply::text(
        StatusCode::TOO_MANY_REQUESTS,
        "text/plain",
        RATE_LIMITED_BODY,
    )
    .with_header("x-rate-limit", limit.to_string())
    .with_header("x-rate-limit-remaining", "0")
}

/// The rate-limit headers of an admitted request, in both spellings Zendesk sends.
pub(crate) fn with_headers(reply: Reply, verdict: Verdict, ticketing: bool) -> Reply {
    let limit = verdict.limit.to_string();
    let remaining = verdict.remaining.to_string();
    let reset = verdict.reset_seconds.to_string();
    let reply = reply
        .with_header("x-rate-limit", &limit)
        .with_header("x-rate-limit-remaining", &remaining);
    if !ticketing {
        return reply;
    }
    reply
        .with_header("rate-limit", &limit)
        .with_header("rate-limit-remaining", &remaining)
        .with_header("rate-limit-reset", &reset)
        .with_header("ratelimit-limit", &limit)
        .with_header("ratelimit-remaining", &remaining)
        .with_header("ratelimit-reset", &reset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_refuses_past_its_limit_and_resets_after_its_period() {
        let start: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        let mut limits = RateLimits::default();
        let bucket = [Bucket::per_minute("account", 2)];
        let at = |seconds: i64| {
            start
                .checked_add(SignedDuration::from_secs(seconds))
                .unwrap()
        };
        let table = [
            // (second, allowed, remaining after)
            (0, true, 1),
            (10, true, 0),
            (59, false, 0),
            (60, true, 1),
        ];
        for (second, allowed, remaining) in table {
            let verdict = limits.admit(&bucket, at(second)).unwrap();
            assert_eq!(verdict.allowed, allowed, "second {second}");
            assert_eq!(verdict.remaining, remaining, "second {second}");
        }
    }

    #[test]
    fn a_refusing_bucket_does_not_consume_the_others() {
        let now: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        let mut limits = RateLimits::default();
        let account = Bucket::per_minute("account", 10);
        let endpoint = Bucket::per_minute("endpoint", 1);
        assert!(
            limits
                .admit(&[account.clone(), endpoint.clone()], now)
                .unwrap()
                .allowed
        );
        let refused = limits.admit(&[account.clone(), endpoint], now).unwrap();
        assert!(!refused.allowed);
        assert_eq!(limits.admit(&[account], now).unwrap().remaining, 8);
    }
}
