//! Where "now" comes from. Every time-dependent path (token expiry, the API-token deadline) reads a [`Clock`],
//! so tests decide the time: in-process tests hand in the simulator's clock, child processes and the desktop
//! app read [`NOW_VAR`].

use std::sync::Arc;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

/// Test-only: an RFC 3339 instant the process's clock starts at (it then runs at real speed), e.g.
/// `HANDOFF_NOW=2026-11-24T10:00:00Z`. Unset, the clock is the system's.
pub const NOW_VAR: &str = "HANDOFF_NOW";

/// A source of the current instant; clones share it.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Timestamp::now))
    }

    /// A clock that reads `now` from a function (a test's controllable clock, the simulator's clock).
    pub fn from_fn(now: impl Fn() -> Timestamp + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// A clock that reads `start` now and then runs forward at real speed.
    pub fn starting_at(start: Timestamp) -> Clock {
        let origin = Instant::now();
        Clock(Arc::new(move || {
            let elapsed =
                SignedDuration::try_from(origin.elapsed()).unwrap_or(SignedDuration::ZERO);
            start.checked_add(elapsed).unwrap_or(start)
        }))
    }

    /// [`NOW_VAR`] when it is set, else the system clock. A value that is not an instant is refused, so a
    /// mistyped test setting cannot silently fall back to the real date.
    pub fn from_env() -> Result<Clock, String> {
        match std::env::var(NOW_VAR) {
            Ok(value) if !value.trim().is_empty() => value
                .trim()
                .parse::<Timestamp>()
                .map(Clock::starting_at)
                .map_err(|error| {
                    format!("{NOW_VAR}={value:?} is not an RFC 3339 instant such as 2026-11-24T10:00:00Z: {error}")
                }),
            _ => Ok(Clock::system()),
        }
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_clock_begins_at_its_instant_and_runs_forward() {
        let start: Timestamp = "2026-11-24T10:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let clock = Clock::starting_at(start);
        let first = clock.now();
        let second = clock.now();
        assert!(first >= start && second >= first);
        assert!(first.duration_since(start) < SignedDuration::from_secs(5));
    }
}
