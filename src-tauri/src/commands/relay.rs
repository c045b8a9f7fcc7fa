//! The Relay screen's top half: the relay's server (start, stop, its listen address), its addresses, the
//! signed webhook URL (redacted; whole only when revealed or copied) and the live delivery stream.

use handoff::relay::console;
use handoff::settings::{SettingKey, Settings};
use tauri::{AppHandle, State};
use tracing::instrument;

use super::blocking;
use crate::dto::{RelayStateView, RelayView};
use crate::error::CommandError;
use crate::state::AppState;

/// How many deliveries the stream shows: the newest.
const DELIVERIES_SHOWN: usize = 50;

/// The relay's state, addresses and newest deliveries. The screen polls it while shown.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn relay_overview(state: State<'_, AppState>) -> Result<RelayView, CommandError> {
    let overview = console::overview(&state.profile, DELIVERIES_SHOWN).await?;
    Ok(RelayView::new(
        &overview,
        &state.host.relay(),
        &state.host.work(),
    ))
}

/// Start: the sessions API and the webhook endpoint on the listen address, and again at every launch.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn start_relay(state: State<'_, AppState>) -> Result<RelayStateView, CommandError> {
    state.host.start_relay().await?;
    Ok(RelayStateView::from(&state.host.relay()))
}

/// Stop: requests in flight finish, then the port is free; the relay stays stopped at the next launches until
/// the admin starts it.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn stop_relay(state: State<'_, AppState>) -> Result<RelayStateView, CommandError> {
    state.host.stop_relay().await?;
    Ok(RelayStateView::from(&state.host.relay()))
}

/// Saves where the relay listens from its next start (`IP:port`); returns the address as stored.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn set_listen_address(
    state: State<'_, AppState>,
    address: String,
) -> Result<String, CommandError> {
    let settings = Settings::new(state.profile.store().clone());
    blocking(move || settings.set(SettingKey::ListenAddress, &address)).await
}

/// The webhook URL, redacted (the tag's last characters only), as the screen shows it until revealed.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn webhook_url(state: State<'_, AppState>) -> Result<String, CommandError> {
    Ok(console::redacted_webhook_url(&state.profile, &state.clock).await?)
}

/// The whole webhook URL, for "Reveal". Its tag is a credential: this answer is the only place it is shown, and
/// it is never logged (no `ret` on the span).
#[tauri::command(async)]
#[instrument(skip_all, err(Debug))]
pub async fn reveal_webhook_url(state: State<'_, AppState>) -> Result<String, CommandError> {
    Ok(console::webhook_url_of(&state.profile, &state.clock).await?)
}

/// "Copy": the whole URL goes to the clipboard from here, without crossing to the window.
#[tauri::command(async)]
#[instrument(skip_all, err(Debug))]
pub async fn copy_webhook_url(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<(), CommandError> {
    let url = console::webhook_url_of(&state.profile, &state.clock).await?;
    crate::clipboard::copy(&app, url)
}
