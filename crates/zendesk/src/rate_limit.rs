//! Client-side rate limiting and the retry policy.
//!
//! Zendesk enforces several limits at once (FACTS §8): the account's per-minute budget (by plan), 100 ticket
//! updates per minute per account plus 30 updates per 10 minutes per ticket, and the Webhooks API's own limiter
//! (100/min, and 20/min for `webhooks/test`). Each request passes through the buckets of its endpoint before it is
//! sent, so a burst waits here instead of collecting 429s. Bucket sizes follow the answers: `X-Rate-Limit` /
//! `ratelimit-limit` resize the bucket the request was counted in, and a remaining count of 0 (or a 429's
//! `Retry-After`) pauses it until Zendesk's reset.
//!
//! Time: the limiters read [`tokio::time::Instant`] and every wait is a tokio sleep, so tests drive time with
//! `tokio::time::pause()` / `advance()`.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::Error;

/// The account's Support API budget, from its plan (requests per minute, FACTS §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Legacy Essential: 10/min.
    Essential,
    /// Suite or Support Team: 200/min.
    Team,
    /// Suite Growth: 400/min.
    Growth,
    /// Suite or Support Professional: 400/min.
    Professional,
    /// Suite or Support Enterprise: 700/min.
    Enterprise,
    /// Enterprise Plus: 2500/min.
    EnterprisePlus,
    /// The High Volume API add-on: 2500/min (it sets the limit, it does not add to it).
    HighVolume,
    /// A known limit, e.g. the simulator's.
    Custom(NonZeroU32),
}

impl Plan {
    /// Requests per minute the plan allows.
    pub fn requests_per_minute(self) -> NonZeroU32 {
        let per_minute = match self {
            Plan::Essential => 10,
            Plan::Team => 200,
            Plan::Growth | Plan::Professional => 400,
            Plan::Enterprise => 700,
            Plan::EnterprisePlus | Plan::HighVolume => 2500,
            Plan::Custom(limit) => return limit,
        };
        NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN)
    }
}

/// How failed calls are retried. Only calls that are safe to repeat are retried (see [`Repeat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The whole call, waits included, gives up once this much time has passed.
    pub max_total: Duration,
    /// The first backoff; doubled per attempt, with jitter, when Zendesk gives no `Retry-After`.
    pub base_backoff: Duration,
    /// Upper bound for one backoff.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            max_total: Duration::from_secs(90),
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 1), honouring `Retry-After` when given.
    pub(crate) fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        // Jitter spreads clients that were refused together, so they do not come back together.
        let jitter = rand::random_range(0.0..=1.0_f64);
        if let Some(wait) = retry_after {
            return wait + Duration::from_millis((jitter * 250.0) as u64);
        }
        let exponent = attempt.saturating_sub(1).min(16);
        let full = self
            .base_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        // "Equal jitter": at least half the backoff, so retries never come back at once.
        full / 2 + full.mul_f64(jitter / 2.0)
    }
}

/// Whether a call may be sent again, and after which failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// GET, PUT, DELETE, and POST ticket create with an `Idempotency-Key`: repeating has no extra effect, so
    /// transport failures, timeouts, 5xx and 429 are all retried.
    Idempotent,
    /// Anything else: only a 429 is retried, because Zendesk refused it before acting on it.
    OnlyWhenRefused,
}

/// The limits a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// Any Support API call: the account bucket.
    Support,
    /// `PUT /api/v2/tickets/{id}`: the account bucket, the account's ticket-update bucket, and the ticket's own.
    TicketUpdate(u64),
    /// The Webhooks API (its own limiter, 100/min).
    Webhooks,
    /// `POST /api/v2/webhooks/test` (20/min).
    WebhookTest,
    /// `POST /oauth/tokens`: not part of the API budget.
    OAuth,
}

/// A clock on tokio's time, so the limiters follow `tokio::time::pause()` in tests.
#[derive(Debug, Clone, Copy)]
struct TokioClock {
    origin: Instant,
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.origin)
    }
}

type DirectLimiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;
type KeyedLimiter = RateLimiter<
    u64,
    governor::state::keyed::DefaultKeyedStateStore<u64>,
    TokioClock,
    NoOpMiddleware<Duration>,
>;

/// One resizable bucket: a limiter plus the pause Zendesk asked for.
struct Bucket {
    limiter: Arc<DirectLimiter>,
    per_period: NonZeroU32,
    period: Duration,
    paused_until: Option<Instant>,
    /// Requests left in Zendesk's current window, as its last answer on this bucket reported them.
    remaining: Option<u32>,
}

impl Bucket {
    fn new(clock: TokioClock, per_period: NonZeroU32, period: Duration) -> Bucket {
        Bucket {
            limiter: Arc::new(RateLimiter::direct_with_clock(
                quota(per_period, period),
                clock,
            )),
            per_period,
            period,
            paused_until: None,
            remaining: None,
        }
    }
}

/// Spreads `per_period` cells evenly over `period`, with the whole allowance available as a burst.
fn quota(per_period: NonZeroU32, period: Duration) -> Quota {
    let replenish = period / per_period.get();
    Quota::with_period(replenish.max(Duration::from_nanos(1)))
        .map(|quota| quota.allow_burst(per_period))
        .unwrap_or_else(|| Quota::per_second(per_period))
}

const MINUTE: Duration = Duration::from_secs(60);

/// Which bucket a `Bucket` slot is, so `observe` can find the one a header talks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Account,
    TicketUpdates,
    Webhooks,
    WebhookTest,
}

/// The client's buckets.
pub(crate) struct Limits {
    clock: TokioClock,
    account: Mutex<Bucket>,
    ticket_updates: Mutex<Bucket>,
    webhooks: Mutex<Bucket>,
    webhook_test: Mutex<Bucket>,
    per_ticket: KeyedLimiter,
}

impl Limits {
    pub(crate) fn new(plan: Plan) -> Limits {
        let clock = TokioClock {
            origin: Instant::now(),
        };
        let per_minute = |count: u32| NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN);
        Limits {
            clock,
            account: Mutex::new(Bucket::new(clock, plan.requests_per_minute(), MINUTE)),
            ticket_updates: Mutex::new(Bucket::new(clock, per_minute(100), MINUTE)),
            webhooks: Mutex::new(Bucket::new(clock, per_minute(100), MINUTE)),
            webhook_test: Mutex::new(Bucket::new(clock, per_minute(20), MINUTE)),
            // 30 updates per 10 minutes per ticket (per user; this client is one user).
            per_ticket: RateLimiter::dashmap_with_clock(
                quota(per_minute(30), Duration::from_secs(600)),
                clock,
            ),
        }
    }

    fn bucket(&self, slot: Slot) -> &Mutex<Bucket> {
        match slot {
            Slot::Account => &self.account,
            Slot::TicketUpdates => &self.ticket_updates,
            Slot::Webhooks => &self.webhooks,
            Slot::WebhookTest => &self.webhook_test,
        }
    }

    fn slots(endpoint: Endpoint) -> &'static [Slot] {
        match endpoint {
            Endpoint::Support => &[Slot::Account],
            Endpoint::TicketUpdate(_) => &[Slot::Account, Slot::TicketUpdates],
            Endpoint::Webhooks => &[Slot::Webhooks],
            Endpoint::WebhookTest => &[Slot::WebhookTest],
            Endpoint::OAuth => &[],
        }
    }

    /// The bucket whose size and remaining count the answer's headers describe.
    fn reported_slot(endpoint: Endpoint) -> Option<Slot> {
        Self::slots(endpoint).first().copied()
    }

    /// Waits until every bucket of `endpoint` lets one request through. Fails with [`Error::RateLimited`] instead
    /// of waiting past `deadline`, so a call never blocks longer than its retry budget.
    pub(crate) async fn acquire(&self, endpoint: Endpoint, deadline: Instant) -> Result<(), Error> {
        for slot in Self::slots(endpoint) {
            loop {
                let wait = self.wait_for(*slot);
                match wait {
                    None => break,
                    Some(wait) => sleep_within(wait, deadline).await?,
                }
            }
        }
        if let Endpoint::TicketUpdate(ticket_id) = endpoint {
            // One cell per ticket ever updated would grow without bound in a long-running relay; tickets whose
            // budget is full again carry no information and are dropped.
            if self.per_ticket.len() > 1024 {
                self.per_ticket.retain_recent();
            }
            loop {
                match self.per_ticket.check_key(&ticket_id) {
                    Ok(()) => break,
                    Err(not_until) => {
                        let wait = not_until.wait_time_from(self.clock.now());
                        sleep_within(wait, deadline).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// `None` when a cell was taken; otherwise how long to wait before trying again.
    fn wait_for(&self, slot: Slot) -> Option<Duration> {
        let mut bucket = self
            .bucket(slot)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if let Some(until) = bucket.paused_until {
            if until > now {
                return Some(until - now);
            }
            bucket.paused_until = None;
        }
        match bucket.limiter.check() {
            Ok(()) => None,
            Err(not_until) => Some(not_until.wait_time_from(self.clock.now())),
        }
    }

    /// Follows what Zendesk reported: the bucket's size, and a pause when nothing remains.
    pub(crate) fn observe(&self, endpoint: Endpoint, headers: &HeaderMap) {
        let Some(slot) = Self::reported_slot(endpoint) else {
            return;
        };
        let limit =
            header_u32(headers, "ratelimit-limit").or_else(|| header_u32(headers, "x-rate-limit"));
        let remaining = header_u32(headers, "ratelimit-remaining")
            .or_else(|| header_u32(headers, "x-rate-limit-remaining"));
        let reset = header_u32(headers, "ratelimit-reset");
        let mut bucket = self
            .bucket(slot)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(limit) = limit.and_then(NonZeroU32::new) {
            if limit != bucket.per_period {
                tracing::debug!(
                    ?slot,
                    from = bucket.per_period.get(),
                    to = limit.get(),
                    "rate limit resized"
                );
                let period = bucket.period;
                *bucket = Bucket::new(self.clock, limit, period);
            }
        }
        if remaining.is_some() {
            bucket.remaining = remaining;
        }
        if remaining == Some(0) {
            let wait = Duration::from_secs(u64::from(reset.unwrap_or(1)).max(1));
            bucket.paused_until = Some(Instant::now() + wait);
        }
    }

    /// A 429 (or 503 with `Retry-After`): nobody sends on this bucket until the wait is over.
    pub(crate) fn pause(&self, endpoint: Endpoint, wait: Duration) {
        let Some(slot) = Self::reported_slot(endpoint) else {
            return;
        };
        let mut bucket = self
            .bucket(slot)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let until = Instant::now() + wait;
        if bucket.paused_until.is_none_or(|current| current < until) {
            bucket.paused_until = Some(until);
        }
    }

    /// The account bucket as last reported: its size, the requests Zendesk said were left, and how long sends
    /// still wait for a reset or a `Retry-After`.
    pub(crate) fn account_state(&self) -> (u32, Option<u32>, Option<Duration>) {
        let bucket = self.account.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let paused_for = bucket
            .paused_until
            .filter(|until| *until > now)
            .map(|until| until - now);
        (bucket.per_period.get(), bucket.remaining, paused_for)
    }

    /// The account bucket's current size (requests per minute), for diagnostics and tests.
    pub(crate) fn account_per_minute(&self) -> u32 {
        self.account
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .per_period
            .get()
    }
}

async fn sleep_within(wait: Duration, deadline: Instant) -> Result<(), Error> {
    if Instant::now() + wait > deadline {
        return Err(Error::RateLimited {
            retry_after: Some(wait),
        });
    }
    tokio::time::sleep(wait).await;
    Ok(())
}

fn header_u32(headers: &HeaderMap, name: &str) -> Option<u32> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_map_to_documented_limits() {
        let table = [
            (Plan::Essential, 10),
            (Plan::Team, 200),
            (Plan::Growth, 400),
            (Plan::Professional, 400),
            (Plan::Enterprise, 700),
            (Plan::EnterprisePlus, 2500),
            (Plan::HighVolume, 2500),
        ];
        for (plan, per_minute) in table {
            assert_eq!(plan.requests_per_minute().get(), per_minute, "{plan:?}");
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let policy = RetryPolicy::default();
        for attempt in 1..=10 {
            let wait = policy.backoff(attempt, None);
            let full = policy
                .base_backoff
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(policy.max_backoff);
            assert!(
                wait >= full / 2 && wait <= full,
                "attempt {attempt}: {wait:?} vs {full:?}"
            );
        }
        let wait = policy.backoff(1, Some(Duration::from_secs(7)));
        assert!(
            wait >= Duration::from_secs(7) && wait <= Duration::from_millis(7250),
            "{wait:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_account_bucket_spreads_a_burst_over_the_minute() {
        let limits = Limits::new(Plan::Custom(NonZeroU32::new(10).unwrap()));
        let start = Instant::now();
        let deadline = start + Duration::from_secs(600);
        for _ in 0..10 {
            limits.acquire(Endpoint::Support, deadline).await.unwrap();
        }
        assert_eq!(
            Instant::now(),
            start,
            "the burst allowance is used without waiting"
        );
        limits.acquire(Endpoint::Support, deadline).await.unwrap();
        assert_eq!(
            Instant::now() - start,
            Duration::from_secs(6),
            "the 11th waits one replenish period (60 s / 10)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn headers_resize_and_pause_the_bucket_they_describe() {
        let limits = Limits::new(Plan::Enterprise);
        let mut headers = HeaderMap::new();
        headers.insert("x-rate-limit", "200".parse().unwrap());
        headers.insert("x-rate-limit-remaining", "150".parse().unwrap());
        limits.observe(Endpoint::Support, &headers);
        assert_eq!(limits.account_per_minute(), 200);

        // The Webhooks API's x-rate-limit: 100 must not shrink the account bucket.
        let mut webhook_headers = HeaderMap::new();
        webhook_headers.insert("x-rate-limit", "100".parse().unwrap());
        limits.observe(Endpoint::Webhooks, &webhook_headers);
        assert_eq!(limits.account_per_minute(), 200);

        let mut exhausted = HeaderMap::new();
        exhausted.insert("ratelimit-limit", "200".parse().unwrap());
        exhausted.insert("ratelimit-remaining", "0".parse().unwrap());
        exhausted.insert("ratelimit-reset", "12".parse().unwrap());
        limits.observe(Endpoint::Support, &exhausted);
        let start = Instant::now();
        limits
            .acquire(Endpoint::Support, start + Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(
            Instant::now() - start,
            Duration::from_secs(12),
            "waits for Zendesk's reset"
        );

        limits.pause(Endpoint::Support, Duration::from_secs(30));
        let error = limits
            .acquire(Endpoint::Support, Instant::now() + Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(30))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn ticket_updates_are_limited_per_ticket() {
        let limits = Limits::new(Plan::EnterprisePlus);
        let start = Instant::now();
        let deadline = start + Duration::from_secs(3600);
        for _ in 0..30 {
            limits
                .acquire(Endpoint::TicketUpdate(7), deadline)
                .await
                .unwrap();
        }
        // Another ticket is not held back by ticket 7's budget.
        limits
            .acquire(Endpoint::TicketUpdate(8), deadline)
            .await
            .unwrap();
        assert_eq!(Instant::now(), start);
        limits
            .acquire(Endpoint::TicketUpdate(7), deadline)
            .await
            .unwrap();
        assert_eq!(
            Instant::now() - start,
            Duration::from_secs(20),
            "30 per 10 minutes is one per 20 s"
        );
    }
}
