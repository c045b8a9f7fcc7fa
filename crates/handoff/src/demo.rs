//! Demo mode: the Zendesk simulator runs in this process, seeded from a real account dump, and the profile is
//! connected to it through the very same Verify & Save path a real account takes.

use jiff::Timestamp;
use zendesk_sim::{RunningSimulator, SimConfig};

use crate::connect::{verify_and_save, Check, ConnectInput, ConnectOptions, VerifyReport};
use crate::profile::Profile;
use crate::ConnectError;

/// A running demo: keep it alive as long as the demo account should answer.
pub struct Demo {
    pub simulator: RunningSimulator,
    pub report: VerifyReport,
}

/// Why demo mode did not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the sandbox account could not start: {0}")]
    Start(std::io::Error),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("the sandbox account did not pass Verify & Save: {0}")]
    Checks(String),
}

/// Starts the simulator on a free loopback port and connects `profile` to it as the seeded admin.
pub async fn start(
    profile: &Profile,
    now: Timestamp,
    on_check: impl FnMut(&Check) + Send,
) -> Result<Demo, DemoError> {
    let simulator = zendesk_sim::spawn(SimConfig::default())
        .await
        .map_err(DemoError::Start)?;
    let admin = simulator.sim.admin();
    let input = ConnectInput {
        subdomain: simulator.sim.subdomain().to_owned(),
        email: admin.email.clone(),
        token: admin.token.clone().into(),
        default_agent_id: None,
        base_url: Some(simulator.base_url.clone()),
    };
    let report =
        verify_and_save(profile, input, ConnectOptions { demo: true }, now, on_check).await?;
    if !report.saved() {
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|c| c.status == crate::connect::CheckStatus::Failed)
            .map(|c| {
                format!(
                    "{}: {}",
                    c.id.label(),
                    c.cause.as_deref().unwrap_or(&c.detail)
                )
            })
            .collect();
        return Err(DemoError::Checks(failed.join("; ")));
    }
    Ok(Demo { simulator, report })
}

/// What to do about the sandbox when the console starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Autostart {
    /// Restart the sandbox only when the saved connection is one.
    ResumeOnly,
    /// Also start it when nothing is configured yet (the README's run command on a fresh machine).
    WhenUnconfigured,
}

/// When the saved connection is a sandbox, its simulator ended with the process that ran it: start a new one
/// and reconnect, so a restarted console shows a working demo instead of a dead address.
pub async fn resume(
    profile: &Profile,
    now: Timestamp,
    autostart: Autostart,
) -> Result<Option<Demo>, DemoError> {
    match profile.connection().map_err(ConnectError::from)? {
        Some(connection) if connection.demo => Ok(Some(start(profile, now, |_| {}).await?)),
        None if autostart == Autostart::WhenUnconfigured => {
            Ok(Some(start(profile, now, |_| {}).await?))
        }
        _ => Ok(None),
    }
}
