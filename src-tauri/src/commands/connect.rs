//! The Connect screen and the welcome card's sandbox.

use handoff::connect::{self, ConnectOptions, SignIn};
use handoff::oauth::{self, browser::SignInBrowser};
use handoff::subdomain::Subdomain;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tracing::instrument;

use super::blocking;
use crate::browser::TauriOpener;
use crate::dto::{
    CheckEvent, ConnectForm, ConnectionView, OAuthForm, OAuthRedirectView, SubdomainView, UserView,
    VerifyReportView,
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
        .map(|c| ConnectionView::new(&c, state.clock.now())))
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
    let now = state.clock.now();
    let send = |check: &connect::Check| drop(on_event.send(CheckEvent::from(check)));
    let report = connect::verify_and_save(
        &state.profile,
        form.into(),
        ConnectOptions::default(),
        now,
        send,
    )
    .await?;
    if report.saved() {
        state.connection_changed().await;
    }
    Ok(VerifyReportView::new(&report, now))
}

/// "Sign in with Zendesk": opens the system browser at the account's authorize page, waits for the approval
/// on a loopback port, then runs the same checks as Verify & Save, streamed to `on_event`.
#[tauri::command(async)]
#[instrument(skip_all, err(Debug))]
pub async fn sign_in_with_zendesk(
    app: AppHandle,
    state: State<'_, AppState>,
    form: OAuthForm,
    on_event: Channel<CheckEvent>,
) -> Result<VerifyReportView, CommandError> {
    let browser = SignInBrowser::from_env(TauriOpener(app));
    let sign_in = SignIn {
        browser: &browser,
        cancel: state.sign_in.begin(),
        wait: connect::DEFAULT_SIGN_IN_WAIT,
    };
    let send = |check: &connect::Check| drop(on_event.send(CheckEvent::from(check)));
    let report = connect::verify_and_save_oauth(
        &state.profile,
        form.into(),
        sign_in,
        ConnectOptions::default(),
        &state.clock,
        send,
    )
    .await?;
    if report.saved() {
        state.connection_changed().await;
    }
    Ok(VerifyReportView::new(&report, state.clock.now()))
}

/// The redirect URL to register in the OAuth client, as the next browser sign-in will use it.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn oauth_redirect(state: State<'_, AppState>) -> Result<OAuthRedirectView, CommandError> {
    let store = state.profile.store().clone();
    blocking(move || oauth::redirect(&store).map(|r| OAuthRedirectView::from(&r))).await
}

/// Saves the sign-in's redirect port (`oauth-redirect-port`) once the core has checked it; `invalid_input` says
/// what is wrong with it. Returns the redirect it makes, whose URL the admin registers.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn set_oauth_redirect_port(
    state: State<'_, AppState>,
    port: String,
) -> Result<OAuthRedirectView, CommandError> {
    let store = state.profile.store().clone();
    blocking(move || oauth::set_redirect_port(&store, &port).map(|r| OAuthRedirectView::from(&r)))
        .await
}

/// The Cancel button next to "Waiting for you to approve in the browser…".
#[tauri::command]
#[instrument(skip(state))]
pub fn cancel_sign_in(state: State<'_, AppState>) {
    state.sign_in.cancel();
}

/// "Try with a sandbox account": starts the embedded simulator and connects to it.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn start_demo(state: State<'_, AppState>) -> Result<ConnectionView, CommandError> {
    let now = state.clock.now();
    let demo = handoff::demo::start(&state.profile, now, |_| {}).await?;
    let view = demo
        .report
        .connection
        .as_ref()
        .map(|c| ConnectionView::new(c, now));
    *state.demo.lock().await = Some(demo);
    state.connection_changed().await;
    view.ok_or_else(|| {
        CommandError::new(
            Code::Internal,
            "the sandbox connected but nothing was saved",
        )
    })
}
