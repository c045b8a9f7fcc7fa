//! The Settings screen: the settings (validated by the core before they are stored), the default agent, the
//! relay's URL key and Zendesk's signing secret, the data and logs folders, and Disconnect (its plan first).

use handoff::disconnect::{self, DisconnectOptions};
use handoff::oauth::browser::SignInBrowser;
use handoff::settings::{self, SettingKey, Settings};
use handoff::{agent, profile, rotate};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tracing::instrument;

use super::blocking;
use crate::browser::TauriOpener;
use crate::dto::{
    DisconnectPlanView, DisconnectReportView, DisconnectStepView, SettingsView,
    SigningSecretResetView, UrlKeyRotationView, UserView,
};
use crate::error::CommandError;
use crate::state::AppState;

/// Every setting as the engine reads it, with the default agent and the folders (no Zendesk call).
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, CommandError> {
    let profile = state.profile.clone();
    blocking(move || settings::overview(&profile).map(|o| SettingsView::from(&o))).await
}

/// Saves one setting by its name (`tag-prefix`, `public-url`, `zendesk-delivers`, ...) once the core has checked
/// it; returns the value as stored. `invalid_input` says what is wrong with the value.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn set_setting(
    state: State<'_, AppState>,
    key: String,
    value: String,
) -> Result<String, CommandError> {
    let settings = Settings::new(state.profile.store().clone());
    blocking(move || settings.set(SettingKey::parse(&key)?, &value)).await
}

/// The default agent new tickets are assigned to, looked up and checked first; an empty ID clears it.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn set_default_agent(
    state: State<'_, AppState>,
    agent_id: String,
) -> Result<Option<UserView>, CommandError> {
    let agent = agent::set_default(&state.profile, &state.clock, &agent_id).await?;
    Ok(agent.as_ref().map(UserView::from))
}

/// A new webhook URL key: the old URL keeps opening for the grace period while our webhook moves to the new URL.
#[tauri::command(async)]
#[instrument(skip_all, err(Debug))]
pub async fn rotate_url_key(
    state: State<'_, AppState>,
) -> Result<UrlKeyRotationView, CommandError> {
    let rotation = rotate::url_key(&state.profile, &state.clock).await?;
    Ok(UrlKeyRotationView::from(&rotation))
}

/// Resets our webhook's signing secret in Zendesk; the relay accepts the new one at once (and the old one).
#[tauri::command(async)]
#[instrument(skip_all, err(Debug))]
pub async fn reset_signing_secret(
    state: State<'_, AppState>,
) -> Result<SigningSecretResetView, CommandError> {
    let reset = rotate::signing_secret(&state.profile, &state.clock).await?;
    Ok(SigningSecretResetView::from(&reset))
}

/// Opens the data or logs folder (named, never a path from the window) in the system's file manager.
#[tauri::command(async)]
#[instrument(skip(app, state), err(Debug))]
pub async fn open_folder(
    app: AppHandle,
    state: State<'_, AppState>,
    folder: String,
) -> Result<(), CommandError> {
    let (profile, opener) = (
        state.profile.clone(),
        SignInBrowser::from_env(TauriOpener(app)),
    );
    blocking(move || profile::open_folder(&profile, &folder, &opener).map(drop)).await
}

/// What Disconnect will delete in Zendesk and here, and what stays (read locally; nothing is changed).
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn disconnect_plan(
    state: State<'_, AppState>,
) -> Result<DisconnectPlanView, CommandError> {
    let profile = state.profile.clone();
    blocking(move || {
        disconnect::plan(&profile, DisconnectOptions::default())
            .map(|p| DisconnectPlanView::from(&p))
    })
    .await
}

/// Disconnect, once the admin confirmed the plan: our trigger, our webhook, the OAuth token, the keychain entries,
/// the connection, each step streamed to `on_step`. The workers and the relay then stop (nothing is connected).
#[tauri::command(async)]
#[instrument(skip(state, on_step), err(Debug))]
pub async fn disconnect(
    state: State<'_, AppState>,
    on_step: Channel<DisconnectStepView>,
) -> Result<DisconnectReportView, CommandError> {
    let send = |step: &disconnect::Step| drop(on_step.send(DisconnectStepView::from(step)));
    let report = disconnect::run(
        &state.profile,
        &state.clock,
        DisconnectOptions::default(),
        send,
    )
    .await;
    state.connection_changed().await;
    Ok(DisconnectReportView::from(&report?))
}
