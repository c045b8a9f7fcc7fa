//! What the app keeps for its lifetime.

use handoff::demo::{Autostart, Demo};
use handoff::keychain::SecretStoreKind;
use handoff::profile::{self, Profile};
use tokio::sync::Mutex;

pub struct AppState {
    pub profile: Profile,
    /// The embedded sandbox account while demo mode runs; dropping it stops the simulator.
    pub demo: Mutex<Option<Demo>>,
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
        Ok(AppState {
            profile,
            demo: Mutex::new(None),
        })
    }
}

/// A saved demo connection points at a simulator that died with the last run: start a new one before the
/// window asks for the connection. `--demo-if-unconfigured` (the README's run command) also starts one on a fresh
/// profile. A failure leaves the console usable; the admin can still connect by hand.
pub fn resume_demo(runtime: &tokio::runtime::Runtime, state: &AppState, autostart: Autostart) {
    match runtime.block_on(handoff::demo::resume(
        &state.profile,
        jiff::Timestamp::now(),
        autostart,
    )) {
        Ok(demo) => *state.demo.blocking_lock() = demo,
        Err(error) => tracing::warn!(%error, "could not start the sandbox account"),
    }
}
