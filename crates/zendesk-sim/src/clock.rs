//! The simulator's notion of "now".
//!
//! Every time-dependent path (timestamps, rate-limit windows, the webhook circuit breaker,
//! invocation filters) reads the time from a [`Clock`], never from the system directly, so a
//! test can freeze or advance time deterministically.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// A shareable clock: either the system clock shifted by an offset, or a manual clock that
/// only moves when told to. Cloning shares the same time source.
#[derive(Clone, Debug)]
pub struct Clock {
    mode: Arc<Mutex<ClockMode>>,
}

#[derive(Debug)]
enum ClockMode {
    /// Wall-clock time plus an offset that `advance` grows (the standalone server's mode).
    System { offset: SignedDuration },
    /// A frozen instant that only `advance` or `set` moves (the tests' mode).
    Manual { now: Timestamp },
}

impl Clock {
    /// The system clock (advanceable by an offset).
    pub fn system() -> Clock {
        Clock::from_mode(ClockMode::System {
            offset: SignedDuration::ZERO,
        })
    }

    /// A manual clock frozen at `start`.
    pub fn manual(start: Timestamp) -> Clock {
        Clock::from_mode(ClockMode::Manual { now: start })
    }

    fn from_mode(mode: ClockMode) -> Clock {
        Clock {
            mode: Arc::new(Mutex::new(mode)),
        }
    }

    /// The current simulated instant.
    pub fn now(&self) -> Timestamp {
        let mode = self.mode.lock().unwrap_or_else(PoisonError::into_inner);
        match &*mode {
            ClockMode::System { offset } => Timestamp::now()
                .checked_add(*offset)
                .unwrap_or_else(|_| Timestamp::now()),
            ClockMode::Manual { now } => *now,
        }
    }

    /// Moves simulated time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = SignedDuration::try_from(by).unwrap_or(SignedDuration::MAX);
        let mut mode = self.mode.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *mode {
            ClockMode::System { offset } => *offset = offset.saturating_add(by),
            ClockMode::Manual { now } => *now = now.checked_add(by).unwrap_or(*now),
        }
    }

    /// Whether this clock only moves when told to.
    pub fn is_manual(&self) -> bool {
        let mode = self.mode.lock().unwrap_or_else(PoisonError::into_inner);
        matches!(&*mode, ClockMode::Manual { .. })
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

/// Zendesk's usual timestamp format: UTC, whole seconds, `Z` suffix.
pub(crate) fn seconds(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The webhook API's creation timestamp: UTC with nanoseconds (as recorded on webhook create).
pub(crate) fn nanos(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S.%fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let start: Timestamp = "2024-01-02T03:04:05Z".parse().unwrap();
        let clock = Clock::manual(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(61));
        assert_eq!(seconds(clock.now()), "2024-01-02T03:05:06Z");
    }

    #[test]
    fn timestamp_formats_match_zendesk() {
        let at: Timestamp = "2023-09-18T23:38:14.906338593Z".parse().unwrap();
        assert_eq!(seconds(at), "2023-09-18T23:38:14Z");
        assert_eq!(nanos(at), "2023-09-18T23:38:14.906338593Z");
    }
}
