//! What the app keeps for its lifetime.

use handoff::demo::Demo;
use handoff::keychain::SecretStoreKind;
use handoff::profile::{self, Profile};
use tauri::Manager;
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

/// A saved demo connection points at a simulator that died with the last run: start a new one.
pub fn resume_demo(app: &tauri::AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        match handoff::demo::resume(&state.profile, jiff::Timestamp::now()).await {
            Ok(Some(demo)) => *state.demo.lock().await = Some(demo),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not resume the sandbox account"),
        }
    });
}
