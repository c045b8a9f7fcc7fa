//! Demo mode: the Zendesk simulator runs in this process, seeded from a real account dump, and the profile is
//! connected to it through the very same Verify & Save path a real account takes — with OAuth, the way in a new
//! account has: the sandbox's confidential client and its secret (client credentials, so no browser).

use jiff::Timestamp;
use zendesk::SecretString;
use zendesk_sim::{OAuthClientKind, RunningSimulator, SimConfig};

use crate::clock::Clock;
use crate::connect::{
    verify_and_save_oauth, Check, ConnectOptions, OAuthConnectInput, SignIn, VerifyReport,
};
use crate::oauth::browser::{Browser, BrowserError};
use crate::oauth::{Cancel, GrantKind};
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
    #[error("the sandbox account has no confidential OAuth client to connect with")]
    NoClient,
    #[error(
        "this profile is connected to the Zendesk account {host}; the sandbox would replace that connection. \
         Try the sandbox in another data folder (`--data-dir` or HANDOFF_DATA_DIR), or disconnect from {host} first"
    )]
    RealConnection { host: String },
}

/// Client credentials need no browser; the sandbox never opens one.
struct NoBrowser;

impl Browser for NoBrowser {
    fn open(&self, _url: &url::Url) -> Result<(), BrowserError> {
        Err(BrowserError {
            command: "none".to_owned(),
            reason: "the sandbox signs in without a browser".to_owned(),
        })
    }
}

/// Starts the simulator on a free loopback port and connects `profile` to it as the seeded admin.
///
/// Refused while the profile is connected to a real account: the sandbox never replaces a real connection,
/// whoever asks (the window's welcome card, `handoff demo`, a restart).
pub async fn start(
    profile: &Profile,
    now: Timestamp,
    on_check: impl FnMut(&Check) + Send,
) -> Result<Demo, DemoError> {
    if let Some(connection) = profile.connection().map_err(ConnectError::from)? {
        if !connection.demo {
            return Err(DemoError::RealConnection {
                host: connection.subdomain.host(),
            });
        }
    }
    let simulator = zendesk_sim::spawn(SimConfig::default())
        .await
        .map_err(DemoError::Start)?;
    let client = simulator
        .sim
        .oauth_clients()
        .into_iter()
        .find(|client| client.kind == OAuthClientKind::Confidential && client.secret.is_some())
        .ok_or(DemoError::NoClient)?;
    let input = OAuthConnectInput {
        subdomain: simulator.sim.subdomain().to_owned(),
        client_id: client.identifier.clone(),
        client_secret: client.secret.as_deref().map(SecretString::from),
        grant: GrantKind::ClientCredentials,
        default_agent_id: None,
        base_url: Some(simulator.base_url.clone()),
    };
    let sign_in = SignIn {
        browser: &NoBrowser,
        cancel: Cancel::new(),
        wait: crate::connect::DEFAULT_SIGN_IN_WAIT,
    };
    let report = verify_and_save_oauth(
        profile,
        input,
        sign_in,
        ConnectOptions { demo: true },
        &Clock::starting_at(now),
        on_check,
    )
    .await?;
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
