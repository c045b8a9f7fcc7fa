//! The Relay screen's sessions half: the sessions list, a session's transcript, its ticket in the browser, and
//! the sandbox's test conversation.

use handoff::handoff::ticket_page;
use handoff::oauth::browser::SignInBrowser;
use tauri::{AppHandle, State};
use tracing::instrument;

use super::blocking;
use crate::browser::TauriOpener;
use crate::dto::{SessionView, SessionsView, TestConversationView};
use crate::error::CommandError;
use crate::state::AppState;

/// How many sessions the list shows: the most recently updated first.
const LIST_LIMIT: usize = 100;

/// The newest sessions, and who sends their handoffs to Zendesk. The screen polls it while shown.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn list_sessions(state: State<'_, AppState>) -> Result<SessionsView, CommandError> {
    let sessions = state.host.sessions();
    let lines = blocking(move || sessions.list(LIST_LIMIT)).await?;
    Ok(SessionsView::new(&lines, &state.host.work()))
}

/// One session with its transcript.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn get_session(
    state: State<'_, AppState>,
    id: String,
) -> Result<SessionView, CommandError> {
    let sessions = state.host.sessions();
    let session =
        blocking(move || handoff::session::SessionId::parse(&id).and_then(|id| sessions.get(id)))
            .await?;
    Ok(SessionView::from(&session))
}

/// Opens the session's ticket on Zendesk's agent page in the system browser. The window names the session
/// only; the core makes the URL and checks it lies on the connected account.
#[tauri::command(async)]
#[instrument(skip(app, state), err(Debug))]
pub async fn open_ticket(
    app: AppHandle,
    state: State<'_, AppState>,
    session_id: String,
) -> Result<(), CommandError> {
    let (profile, sessions) = (state.profile.clone(), state.host.sessions());
    let browser = SignInBrowser::from_env(TauriOpener(app));
    blocking(move || ticket_page::open(&profile, &sessions, &session_id, &browser).map(drop)).await
}

/// "Start a test conversation" (sandbox only): a sample conversation is created and handed off.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn start_test_conversation(
    state: State<'_, AppState>,
) -> Result<TestConversationView, CommandError> {
    let sessions = state.host.sessions();
    let accepted =
        handoff::demo::start_test_conversation(&state.profile, &sessions, state.clock.now())
            .await?;
    Ok(TestConversationView::from(&accepted))
}
