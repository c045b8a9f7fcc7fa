//! The Verify screen: the one-click end-to-end verification (streamed step by step), the last one kept, the rep
//! picker's name lookup, and the manual mode's ticket opened in the browser.

use handoff::agent;
use handoff::handoff::ticket_page;
use handoff::oauth::browser::SignInBrowser;
use handoff::verify;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tracing::instrument;

use super::blocking;
use crate::browser::TauriOpener;
use crate::dto::{AgentView, RepChoice, VerificationView, VerifyEventView};
use crate::error::CommandError;
use crate::state::AppState;

/// "Verify now": the whole loop through the relay the console hosts, each step streamed to `on_event` as it
/// starts and ends. A step's failure is in the result (with its cause, fix and action), not an error.
#[tauri::command(async)]
#[instrument(skip(state, on_event), err(Debug))]
pub async fn verify_now(
    state: State<'_, AppState>,
    rep: RepChoice,
    on_event: Channel<VerifyEventView>,
) -> Result<VerificationView, CommandError> {
    let options = verify::console_options(&state.profile, rep.replier()?, state.host.sessions())?;
    let send = |event: &verify::VerifyEvent| drop(on_event.send(VerifyEventView::from(event)));
    let report = verify::run(&state.profile, &state.clock, options, send).await?;
    Ok(VerificationView::from(&report))
}

/// The last verification kept, shown when the screen opens; `None` before the first.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn last_verification(
    state: State<'_, AppState>,
) -> Result<Option<VerificationView>, CommandError> {
    Ok(verify::last(&state.profile)
        .await?
        .as_ref()
        .map(VerificationView::from))
}

/// The name (and what would keep them from replying or being assigned tickets) of the agent with the ID typed,
/// asked with the saved connection: the Verify screen's rep picker and the Settings screen's default agent.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn find_agent(
    state: State<'_, AppState>,
    agent_id: String,
) -> Result<AgentView, CommandError> {
    let found = agent::lookup(&state.profile, &state.clock, &agent_id).await?;
    Ok(AgentView::from(&found))
}

/// Manual mode: opens the verification ticket on Zendesk's agent page, only on the connected account.
#[tauri::command(async)]
#[instrument(skip(app, state), err(Debug))]
pub async fn open_verification_ticket(
    app: AppHandle,
    state: State<'_, AppState>,
    ticket_id: u64,
) -> Result<(), CommandError> {
    let (profile, browser) = (
        state.profile.clone(),
        SignInBrowser::from_env(TauriOpener(app)),
    );
    blocking(move || ticket_page::open_ticket(&profile, ticket_id, &browser).map(drop)).await
}
