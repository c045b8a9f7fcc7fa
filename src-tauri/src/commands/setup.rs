//! The Setup screen: the live checklist, "Create for me" and the items' fixes (one-click setup, streamed), and
//! the manual guide with its copy buttons and Admin Center pages.

use handoff::oauth::browser::SignInBrowser;
use handoff::setup::checklist::{self, NoMappedFields};
use handoff::setup::{self, manual, Scope, SetupOptions};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tracing::instrument;

use super::blocking;
use crate::browser::TauriOpener;
use crate::dto::{ChecklistView, ManualGuideView, SetupEventView, SetupReportView};
use crate::error::{Code, CommandError};
use crate::state::AppState;

/// Refreshes the checklist (one Zendesk read per object, and the relay probe); the screen asks on demand and
/// every 30 s while shown. The counts are kept for the status bar.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn setup_checklist(state: State<'_, AppState>) -> Result<ChecklistView, CommandError> {
    let checklist = checklist::refresh(&state.profile, &state.clock, &NoMappedFields).await?;
    state.remember_checklist(checklist.summary(), checklist.refreshed_at);
    Ok(ChecklistView::from(&checklist))
}

/// "Create for me" (`scope` `all`) or one item's fix (`webhook`, `trigger`, `signing-secret`, or
/// `double-delivery`, which changes Zendesk's own notifying triggers: the window asks the admin's consent before
/// calling it). Each step is streamed to `on_event` as it starts and ends.
#[tauri::command(async)]
#[instrument(skip(state, on_event), err(Debug))]
pub async fn run_setup(
    state: State<'_, AppState>,
    scope: String,
    on_event: Channel<SetupEventView>,
) -> Result<SetupReportView, CommandError> {
    let scope = Scope::parse(&scope).ok_or_else(|| {
        CommandError::new(Code::InvalidInput, format!("{scope:?} is not something setup repairs: use all, webhook, trigger, signing-secret or double-delivery"))
    })?;
    let options = SetupOptions {
        dry_run: false,
        scope,
    };
    let send = |event: setup::SetupEvent| drop(on_event.send(SetupEventView::from(&event)));
    let report = setup::run(&state.profile, &state.clock, options, send).await?;
    Ok(SetupReportView::from(&report))
}

/// The manual guide's steps and values (the webhook URL redacted: its copy button copies it from Rust).
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn manual_setup(state: State<'_, AppState>) -> Result<ManualGuideView, CommandError> {
    let guide = manual::for_profile(&state.profile, &state.clock).await?;
    Ok(ManualGuideView::from(&guide))
}

/// Opens one of the guide's Admin Center pages in the system browser, once the core has checked it is a page of
/// the connected account.
#[tauri::command(async)]
#[instrument(skip(app, state), err(Debug))]
pub async fn open_admin_page(
    app: AppHandle,
    state: State<'_, AppState>,
    url: String,
) -> Result<(), CommandError> {
    let (profile, browser) = (
        state.profile.clone(),
        SignInBrowser::from_env(TauriOpener(app)),
    );
    blocking(move || manual::open_admin_page(&profile, &url, &browser).map(drop)).await
}

/// "Open in Zendesk" next to a fix (a checklist item's or a failed verification step's): the Admin Center page
/// showing what the fix repairs, chosen by the core from the fix id and checked to be the account's own.
#[tauri::command(async)]
#[instrument(skip(app, state), err(Debug))]
pub async fn open_fix_page(
    app: AppHandle,
    state: State<'_, AppState>,
    fix: String,
) -> Result<(), CommandError> {
    let (profile, browser) = (
        state.profile.clone(),
        SignInBrowser::from_env(TauriOpener(app)),
    );
    blocking(move || manual::open_fix_page(&profile, &fix, &browser).map(drop)).await
}

/// A copy button of the manual guide: the value goes to the system clipboard.
#[tauri::command]
#[instrument(skip_all, err(Debug))]
pub fn copy_text(app: AppHandle, text: String) -> Result<(), CommandError> {
    crate::clipboard::copy(&app, text)
}
