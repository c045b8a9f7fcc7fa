//! Benchmarks behind `handoff bench ...`: each runs a whole flow against the embedded simulator in one run and
//! returns figures and ratios (never a pass or fail: BENCHMARKS.md records them). Each uses a throwaway data
//! folder, so a benchmark never touches the admin's profile.

pub mod handoff;
pub mod relay;
pub mod verify;

use crate::clock::Clock;
use crate::connect::{self, ConnectInput, ConnectOptions};
use crate::keychain::{SecretName, SecretStoreKind};
use crate::profile::Profile;

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
#[error("the benchmark could not run: {0}")]
pub struct BenchError(String);

impl BenchError {
    pub fn new(message: String) -> BenchError {
        BenchError(message)
    }
}

/// A step of a benchmark's set-up that failed, with its cause.
fn fail(what: &str, error: impl std::fmt::Display) -> BenchError {
    BenchError(format!("{what}: {error}"))
}

/// Opens a throwaway profile in `dir` and connects it to the simulator's admin with `token`, through the same
/// Verify & Save an admin's connection takes. Pair it with [`forget_profile`].
async fn connect_throwaway(
    sim: &zendesk_sim::RunningSimulator,
    dir: &std::path::Path,
    secret_store: SecretStoreKind,
    token: &str,
) -> Result<(Profile, Clock), BenchError> {
    let profile = Profile::open(dir, secret_store).map_err(|e| fail("the data folder", e))?;
    let clock = Clock::system();
    let report = connect::verify_and_save(
        &profile,
        ConnectInput {
            subdomain: sim.sim.subdomain().to_owned(),
            email: sim.sim.admin().email,
            token: zendesk::SecretString::from(token),
            default_agent_id: None,
            base_url: Some(sim.base_url.clone()),
        },
        ConnectOptions::default(),
        clock.now(),
        |_| {},
    )
    .await
    .map_err(|e| fail("connecting to the simulator", e))?;
    if !report.saved() {
        return Err(BenchError(format!(
            "the simulator's admin did not pass Verify & Save ({})",
            report.failures()
        )));
    }
    Ok((profile, clock))
}

/// Removes a benchmark's throwaway profile and every keychain entry it may have made.
pub async fn forget_profile(dir: &std::path::Path, secret_store: SecretStoreKind) {
    if let Ok(profile) = Profile::open(dir, secret_store) {
        if let Ok(keychain) = profile.keychain() {
            for name in SecretName::CREDENTIALS {
                let _ = keychain.delete(name).await;
            }
            for name in [
                SecretName::SessionLinkKey,
                SecretName::UrlKeys,
                SecretName::WebhookSigningSecret,
                SecretName::OutboundSigningSecret,
            ] {
                let _ = keychain.delete(name).await;
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

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
