//! The status bar on every screen.

use tauri::State;
use tracing::instrument;

use crate::dto::StatusBarView;
use crate::state::AppState;

/// The relay's state, who sends handoffs, and the last checklist's counts. Reads only what the app holds (no
/// Zendesk call), so the bar can ask every few seconds.
#[tauri::command]
#[instrument(skip(state))]
pub fn status_bar(state: State<'_, AppState>) -> StatusBarView {
    StatusBarView::new(
        &state.host.relay(),
        &state.host.work(),
        state.last_checklist().as_ref(),
    )
}
