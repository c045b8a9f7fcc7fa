//! The Connect screen and the welcome card's sandbox.

use handoff::connect::{self, ConnectOptions};
use handoff::subdomain::Subdomain;
use jiff::Timestamp;
use tauri::ipc::Channel;
use tauri::State;
use tracing::instrument;

use crate::dto::{
    CheckEvent, ConnectForm, ConnectionView, SubdomainView, UserView, VerifyReportView,
};
use crate::error::{Code, CommandError};
use crate::state::AppState;

/// The saved connection, for the Connect screen and the status bar; `None` shows the welcome cards.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn get_connection(
    state: State<'_, AppState>,
) -> Result<Option<ConnectionView>, CommandError> {
    Ok(state
        .profile
        .connection()?
        .map(|c| ConnectionView::new(&c, Timestamp::now())))
}

/// Shows `acme.zendesk.com` under the subdomain field as the admin types.
#[tauri::command]
#[instrument(err(Debug))]
pub fn normalize_subdomain(input: String) -> Result<SubdomainView, CommandError> {
    Subdomain::parse(&input)
        .map(SubdomainView::from)
        .map_err(|e| CommandError::new(Code::InvalidInput, e))
}

/// The live name next to the Default Agent ID field, looked up with the credentials being typed.
#[tauri::command(async)]
#[instrument(skip(form), err(Debug))]
pub async fn lookup_agent(form: ConnectForm, agent_id: String) -> Result<UserView, CommandError> {
    Ok(UserView::from(
        &connect::lookup_agent(&form.into(), &agent_id).await?,
    ))
}

/// Verify & Save: streams each check to `on_event` as it runs; saves only when every required check passes.
#[tauri::command(async)]
#[instrument(skip_all, err(Debug))]
pub async fn verify_and_save(
    state: State<'_, AppState>,
    form: ConnectForm,
    on_event: Channel<CheckEvent>,
) -> Result<VerifyReportView, CommandError> {
    let now = Timestamp::now();
    let send = |check: &connect::Check| drop(on_event.send(CheckEvent::from(check)));
    let report = connect::verify_and_save(
        &state.profile,
        form.into(),
        ConnectOptions::default(),
        now,
        send,
    )
    .await?;
    Ok(VerifyReportView::new(&report, now))
}

/// "Try with a sandbox account": starts the embedded simulator and connects to it.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn start_demo(state: State<'_, AppState>) -> Result<ConnectionView, CommandError> {
    let now = Timestamp::now();
    let demo = handoff::demo::start(&state.profile, now, |_| {}).await?;
    let view = demo
        .report
        .connection
        .as_ref()
        .map(|c| ConnectionView::new(c, now));
    *state.demo.lock().await = Some(demo);
    view.ok_or_else(|| {
        CommandError::new(
            Code::Internal,
            "the sandbox connected but nothing was saved",
        )
    })
}
