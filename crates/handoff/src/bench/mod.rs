//! Benchmarks behind `handoff bench ...`: each runs a whole flow against the embedded simulator in one run and
//! returns figures and ratios (never a pass or fail: BENCHMARKS.md records them). Each uses a throwaway data
//! folder, so a benchmark never touches the admin's profile.

pub mod handoff;
pub mod relay;
pub mod verify;

use std::path::{Path, PathBuf};

use zendesk_sim::SimConfig;

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

/// A benchmark's world: a simulator of its own and a throwaway profile connected to its admin. Pair
/// [`Rig::start`] with [`Rig::forget`], whatever the measurement's outcome.
pub(crate) struct Rig {
    pub sim: zendesk_sim::RunningSimulator,
    pub profile: Profile,
    pub clock: Clock,
    dir: PathBuf,
    secret_store: SecretStoreKind,
}

impl Rig {
    /// Starts a simulator from `config` (with an admin token made here) and connects a throwaway profile in the
    /// temporary folder `handoff-bench-{name}-…` to it, through the same Verify & Save an admin's connection
    /// takes.
    pub async fn start(
        name: &str,
        config: SimConfig,
        secret_store: SecretStoreKind,
    ) -> Result<Rig, BenchError> {
        let token = ulid::Ulid::new().to_string();
        let sim = zendesk_sim::spawn(SimConfig {
            admin_token: Some(token.clone()),
            ..config
        })
        .await
        .map_err(|e| fail("the simulator did not start", e))?;
        let dir = std::env::temp_dir().join(format!("handoff-bench-{name}-{}", ulid::Ulid::new()));
        match connect_throwaway(&sim, &dir, secret_store, &token).await {
            Ok((profile, clock)) => Ok(Rig {
                sim,
                profile,
                clock,
                dir,
                secret_store,
            }),
            Err(error) => {
                forget_profile(&dir, secret_store).await;
                let _ = sim.stop().await;
                Err(error)
            }
        }
    }

    /// Removes the throwaway profile with every keychain entry it may have made, and stops the simulator.
    pub async fn forget(self) {
        forget_profile(&self.dir, self.secret_store).await;
        let _ = self.sim.stop().await;
    }
}

async fn connect_throwaway(
    sim: &zendesk_sim::RunningSimulator,
    dir: &Path,
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

async fn forget_profile(dir: &Path, secret_store: SecretStoreKind) {
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
