//! Where "now" comes from. Every time-dependent path (token expiry, the API-token deadline) reads a [`Clock`],
//! so tests decide the time: in-process tests hand in the simulator's clock, child processes and the desktop
//! app read [`NOW_VAR`].

use std::sync::Arc;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

/// Test-only: an RFC 3339 instant the process's clock starts at (it then runs at real speed), e.g.
/// `HANDOFF_NOW=2026-11-24T10:00:00Z`. Unset, the clock is the system's. Release builds ignore it (like
/// `HANDOFF_FAULT`): a stray variable on a production machine must not move token expiry or deadlines.
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

    /// In a debug build, [`NOW_VAR`] when it is set, else the system clock. A value that is not an instant is
    /// refused, so a mistyped test setting cannot silently fall back to the real date. Release builds always
    /// use the system clock.
    pub fn from_env() -> Result<Clock, String> {
        Clock::from_setting(
            std::env::var(NOW_VAR).ok().as_deref(),
            cfg!(debug_assertions),
        )
    }

    /// The clock a build honouring test settings (`debug_build`) gets for the [`NOW_VAR`] value `setting`.
    fn from_setting(setting: Option<&str>, debug_build: bool) -> Result<Clock, String> {
        match setting.map(str::trim).filter(|value| !value.is_empty()) {
            Some(_) if !debug_build => {
                tracing::warn!("{NOW_VAR} is set but release builds ignore it; using the system clock");
                Ok(Clock::system())
            }
            Some(value) => value
                .parse::<Timestamp>()
                .map(Clock::starting_at)
                .map_err(|error| {
                    format!("{NOW_VAR}={value:?} is not an RFC 3339 instant such as 2026-11-24T10:00:00Z: {error}")
                }),
            None => Ok(Clock::system()),
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
    fn only_debug_builds_honour_the_test_clock() {
        let past = "2001-02-03T04:05:06Z";
        let year = |clock: &Clock| clock.now().to_zoned(jiff::tz::TimeZone::UTC).year();
        let debug = Clock::from_setting(Some(past), true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(year(&debug), 2001);
        let release = Clock::from_setting(Some(past), false).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            year(&release) >= 2026,
            "a release build keeps the system clock"
        );
        assert!(Clock::from_setting(Some("soon"), true).is_err());
        assert!(Clock::from_setting(Some("soon"), false).is_ok());
        assert!(Clock::from_setting(Some("  "), true).is_ok());
    }

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
