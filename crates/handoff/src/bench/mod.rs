//! Benchmarks behind `handoff bench ...`: each runs a whole flow against the embedded simulator in one run and
//! returns figures and ratios (never a pass or fail: BENCHMARKS.md records them). Each uses a throwaway data
//! folder, so a benchmark never touches the admin's profile.

pub mod handoff;
pub mod relay;
pub mod verify;

/// The `p`-th percentile (0..=100) of `samples` in milliseconds, nearest rank; 0 for no samples.
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Rounds to two decimals, for figures people read.
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
