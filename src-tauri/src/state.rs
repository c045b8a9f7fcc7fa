//! What the app keeps for its lifetime.

use handoff::clock::Clock;
use handoff::demo::{Autostart, Demo};
use handoff::keychain::SecretStoreKind;
use handoff::oauth::sign_in::SignInSlot;
use handoff::profile::{self, Profile};
use handoff::service::Host;
use handoff::setup::checklist::Summary;
use jiff::Timestamp;
use tokio::sync::Mutex;

pub struct AppState {
    pub profile: Profile,
    /// The app's "now": the system clock, or `HANDOFF_NOW` in tests (the API-token banner counts days from it).
    pub clock: Clock,
    /// The embedded sandbox account while demo mode runs; dropping it stops the simulator.
    pub demo: Mutex<Option<Demo>>,
    /// The sign-in waiting for the browser, so the Cancel button can end it.
    pub sign_in: SignInSlot,
    /// The workers (handoff queue, replies, outbound), run in this process while connected, and the relay's
    /// server once started on the Relay screen; both restarted when the connection changes.
    pub host: Host,
    /// The last checklist's counts and when they were taken, for the status bar on every screen.
    pub checklist: std::sync::Mutex<Option<(Summary, Timestamp)>>,
}

impl AppState {
    /// Opens the profile the CLI also uses (`HANDOFF_DATA_DIR` redirects it, as the end-to-end tests do).
    pub fn open() -> Result<AppState, String> {
        let data_dir = profile::default_data_dir()
            .ok_or("no data folder: set HANDOFF_DATA_DIR or HOME".to_owned())?;
        let secret_store = match std::env::var(profile::SECRET_STORE_VAR) {
            Ok(value) => SecretStoreKind::parse(&value).map_err(|error| error.to_string())?,
            Err(_) => SecretStoreKind::Keychain,
        };
        let profile = Profile::open(&data_dir, secret_store).map_err(|error| error.to_string())?;
        let clock = Clock::from_env()?;
        Ok(AppState {
            host: Host::new(profile.clone(), clock.clone()),
            checklist: std::sync::Mutex::new(None),
            profile,
            clock,
            demo: Mutex::new(None),
            sign_in: SignInSlot::new(),
        })
    }

    /// A connection was saved (Verify & Save, sign-in, the sandbox) or found at start-up: the workers restart
    /// signed in as it (and the relay, if it runs). A failure leaves the connection saved; the Relay screen
    /// shows why handoffs are not being sent. The last checklist was about the old connection: it is dropped.
    pub async fn connection_changed(&self) {
        *self
            .checklist
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        match self.host.connection_changed().await {
            Ok(work) => tracing::info!(?work, "handoff queue"),
            Err(error) => tracing::warn!(%error, "the handoff worker did not start"),
        }
    }
}

impl AppState {
    /// Keeps the counts of the checklist just refreshed, for the status bar.
    pub fn remember_checklist(&self, summary: Summary, at: Timestamp) {
        *self
            .checklist
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((summary, at));
    }

    pub fn last_checklist(&self) -> Option<(Summary, Timestamp)> {
        *self
            .checklist
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A saved demo connection points at a simulator that died with the last run: start a new one before the
/// window asks for the connection. `--demo-if-unconfigured` (the README's run command) also starts one on a fresh
/// profile. A failure leaves the console usable; the admin can still connect by hand.
pub fn resume_demo(runtime: &tokio::runtime::Runtime, state: &AppState, autostart: Autostart) {
    match runtime.block_on(handoff::demo::resume(
        &state.profile,
        state.clock.now(),
        autostart,
    )) {
        Ok(demo) => *state.demo.blocking_lock() = demo,
        Err(error) => tracing::warn!(%error, "could not start the sandbox account"),
    }
}

/// Works the handoff queue from start-up when a connection is saved (after the sandbox resumed, so the worker
/// signs in to the live simulator).
pub fn start_background(runtime: &tokio::runtime::Runtime, state: &AppState) {
    runtime.block_on(state.connection_changed());
}

/// Stops the relay and the workers as the app exits: requests and Zendesk calls in flight finish, the port and
/// the workers' seat are released, so a `handoff serve` started next takes over at once.
pub fn stop_background(state: &AppState) {
    tauri::async_runtime::block_on(state.host.stop());
    tracing::info!("stopped the relay and the workers");
}

/// A token refresh the last run did not finish is resolved before the window asks for the connection: the
/// stored pair works, or the connection shows "reconnect required". Never a silent failure.
pub fn recover_refresh(runtime: &tokio::runtime::Runtime, state: &AppState) {
    match runtime.block_on(handoff::account::recover(&state.profile, &state.clock)) {
        Ok(Some(outcome)) => {
            tracing::info!(?outcome, "checked the tokens of an interrupted refresh")
        }
        Ok(None) => {}
        Err(error) => {
            tracing::warn!(%error, "could not check the tokens of an interrupted refresh")
        }
    }
}
