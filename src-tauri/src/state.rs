//! What the app keeps for its lifetime.

use handoff::clock::Clock;
use handoff::demo::{Autostart, Demo};
use handoff::keychain::SecretStoreKind;
use handoff::oauth::sign_in::SignInSlot;
use handoff::profile::{self, Profile};
use handoff::service::Background;
use tokio::sync::Mutex;

pub struct AppState {
    pub profile: Profile,
    /// The app's "now": the system clock, or `HANDOFF_NOW` in tests (the API-token banner counts days from it).
    pub clock: Clock,
    /// The embedded sandbox account while demo mode runs; dropping it stops the simulator.
    pub demo: Mutex<Option<Demo>>,
    /// The sign-in waiting for the browser, so the Cancel button can end it.
    pub sign_in: SignInSlot,
    /// The handoff queue's worker, run in this process while connected; restarted when the connection changes.
    pub background: Background,
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
            background: Background::new(profile.clone(), clock.clone()),
            profile,
            clock,
            demo: Mutex::new(None),
            sign_in: SignInSlot::new(),
        })
    }

    /// A connection was saved (Verify & Save, sign-in, the sandbox) or found at start-up: the handoff worker
    /// restarts signed in as it. A failure leaves the connection saved; the Relay screen shows why handoffs
    /// are not being sent.
    pub async fn connection_changed(&self) {
        match self.background.start().await {
            Ok(work) => tracing::info!(?work, "handoff queue"),
            Err(error) => tracing::warn!(%error, "the handoff worker did not start"),
        }
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

/// Stops the handoff worker as the app exits: the Zendesk calls in flight finish and its seat is released, so a
/// `handoff serve` started next takes the queue at once.
pub fn stop_background(state: &AppState) {
    tauri::async_runtime::block_on(state.background.stop());
    tracing::info!("stopped the handoff worker");
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
