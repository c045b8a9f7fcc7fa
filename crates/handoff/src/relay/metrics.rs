//! What operators watch (`/metrics`, OpenMetrics text): deliveries by verdict, the queues' depth, the time from
//! a delivery's acknowledgement to its reply on the session, and the process's Zendesk calls and 429s.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Verdict {
    verdict: &'static str,
}

/// The relay's metrics. Clones share them.
#[derive(Clone)]
pub struct RelayMetrics {
    registry: Arc<Registry>,
    deliveries: Family<Verdict, Counter>,
    reply_latency: Histogram,
    queued_deliveries: Gauge,
    pending_outbound: Gauge,
    zendesk_calls: Gauge,
    zendesk_rate_limited: Gauge,
}

impl std::fmt::Debug for RelayMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RelayMetrics")
    }
}

impl Default for RelayMetrics {
    fn default() -> RelayMetrics {
        RelayMetrics::new()
    }
}

impl RelayMetrics {
    pub fn new() -> RelayMetrics {
        let mut registry = Registry::with_prefix("handoff");
        let deliveries = Family::<Verdict, Counter>::default();
        registry.register(
            "relay_deliveries",
            "Webhook deliveries received, by verdict (accepted, duplicate, rejected)",
            deliveries.clone(),
        );
        // 1 ms to ~16 s.
        let reply_latency = Histogram::new(exponential_buckets(0.001, 2.0, 15));
        registry.register(
            "relay_reply_latency_seconds",
            "From a delivery's acknowledgement to the reply recorded on its session (the Zendesk comment read included)",
            reply_latency.clone(),
        );
        let queued_deliveries = Gauge::default();
        registry.register(
            "relay_queued_deliveries",
            "Deliveries stored and not yet handled",
            queued_deliveries.clone(),
        );
        let pending_outbound = Gauge::default();
        registry.register(
            "relay_pending_outbound",
            "Replies waiting to reach the AI platform's endpoint",
            pending_outbound.clone(),
        );
        let zendesk_calls = Gauge::default();
        registry.register(
            "zendesk_calls",
            "Requests Zendesk answered, since the process started",
            zendesk_calls.clone(),
        );
        let zendesk_rate_limited = Gauge::default();
        registry.register(
            "zendesk_rate_limited",
            "Requests Zendesk answered with 429, since the process started",
            zendesk_rate_limited.clone(),
        );
        RelayMetrics {
            registry: Arc::new(registry),
            deliveries,
            reply_latency,
            queued_deliveries,
            pending_outbound,
            zendesk_calls,
            zendesk_rate_limited,
        }
    }

    /// A delivery was answered: `accepted`, `duplicate` or `rejected`.
    pub fn delivery(&self, verdict: &'static str) {
        self.deliveries.get_or_create(&Verdict { verdict }).inc();
    }

    pub fn reply_recorded(&self, latency: Duration) {
        self.reply_latency.observe(latency.as_secs_f64());
    }

    /// The OpenMetrics text, with the gauges read now (`depth` = queued deliveries, pending outbound).
    pub fn render(&self, depth: (i64, i64)) -> String {
        self.queued_deliveries.set(depth.0);
        self.pending_outbound.set(depth.1);
        let (calls, rate_limited) = zendesk::call_counts();
        self.zendesk_calls.set(calls as i64);
        self.zendesk_rate_limited.set(rate_limited as i64);
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text = "# the metrics could not be rendered\n# EOF\n".to_owned();
        }
        text
    }
}
