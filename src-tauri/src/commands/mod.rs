//! Tauri commands, one module per screen. Each is an adapter: take state, call one core function, map the error.

pub mod connect;
pub mod fields;
pub mod relay;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod status;
pub mod troubleshoot;
pub mod verify;

use tauri::ipc::Invoke;

use crate::error::{Code, CommandError};
use tauri::{Builder, Wry};

/// Installs every command the window may call (`build.rs` and `capabilities/main.json` list the same names). In
/// debug builds with `HANDOFF_IPC_LOG` set, the commands sit behind the IPC recorder the end-to-end tests read.
pub fn register(builder: Builder<Wry>) -> Result<Builder<Wry>, String> {
    install(
        builder,
        tauri::generate_handler![
            connect::get_connection,
            connect::normalize_subdomain,
            connect::lookup_agent,
            connect::verify_and_save,
            connect::sign_in_with_zendesk,
            connect::cancel_sign_in,
            connect::oauth_redirect,
            connect::set_oauth_redirect_port,
            connect::start_demo,
            fields::fields_overview,
            fields::map_field,
            fields::unmap_field,
            fields::preview_fields,
            sessions::list_sessions,
            sessions::get_session,
            sessions::open_ticket,
            sessions::start_test_conversation,
            relay::relay_overview,
            relay::start_relay,
            relay::stop_relay,
            relay::set_listen_address,
            relay::webhook_url,
            relay::reveal_webhook_url,
            relay::copy_webhook_url,
            setup::setup_checklist,
            setup::run_setup,
            setup::manual_setup,
            setup::open_admin_page,
            setup::open_fix_page,
            setup::copy_text,
            status::status_bar,
            verify::verify_now,
            verify::last_verification,
            verify::find_agent,
            verify::open_verification_ticket,
            settings::get_settings,
            settings::set_setting,
            settings::set_default_agent,
            settings::rotate_url_key,
            settings::reset_signing_secret,
            settings::open_folder,
            settings::disconnect_plan,
            settings::disconnect,
            troubleshoot::troubleshoot_symptoms,
            troubleshoot::diagnose_symptom,
            troubleshoot::save_diagnostics_bundle,
        ],
    )
}

fn install<F>(builder: Builder<Wry>, commands: F) -> Result<Builder<Wry>, String>
where
    F: Fn(Invoke<Wry>) -> bool + Send + Sync + 'static,
{
    #[cfg(debug_assertions)]
    if let Some(log) = crate::ipc_log::IpcLog::from_env()? {
        return Ok(log.attach(builder, commands));
    }
    Ok(builder.invoke_handler(commands))
}

/// Runs a synchronous core call (SQLite) on the blocking pool: a write may wait for another process's lock, and
/// that wait must not stall the async runtime the window's other commands share.
async fn blocking<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, CommandError>
where
    T: Send + 'static,
    E: Into<CommandError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| {
            CommandError::new(
                Code::Internal,
                format!("the command stopped unexpectedly: {error}"),
            )
        })?
        .map_err(Into::into)
}
