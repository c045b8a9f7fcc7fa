//! Tauri commands, one module per screen. Each is an adapter: take state, call one core function, map the error.

pub mod connect;
pub mod fields;

use tauri::ipc::Invoke;
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
            connect::start_demo,
            fields::fields_overview,
            fields::map_field,
            fields::unmap_field,
            fields::preview_fields,
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
