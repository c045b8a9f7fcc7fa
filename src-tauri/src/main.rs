//! The desktop console: a window over `crates/handoff`. This crate holds only window, state, logging and
//! command glue; every decision is made in the core.
//!
//! Architecture invariant: no business logic, SQL or HTTP here. A command takes state, calls one core
//! function and maps the error.

// Release builds on Windows would otherwise open a console window next to the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod browser;
mod clipboard;
mod commands;
mod dto;
mod error;
#[cfg(debug_assertions)]
mod ipc_log;
mod logs;
mod state;

use handoff::demo::Autostart;
use tauri::Manager;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("Zendesk Handoff Console could not start: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    tauri::async_runtime::set(runtime.handle().clone());

    let app_state = state::AppState::open()?;
    let _log_guard = logs::init(&app_state.profile.logs_dir());
    handoff::panics::route_to_log();
    tracing::info!(data_dir = %app_state.profile.data_dir().display(), "starting");
    let autostart = match std::env::args().any(|arg| arg == "--demo-if-unconfigured") {
        true => Autostart::WhenUnconfigured,
        false => Autostart::ResumeOnly,
    };
    state::recover_refresh(&runtime, &app_state);
    state::resume_demo(&runtime, &app_state, autostart);
    state::start_background(&runtime, &app_state);

    let builder = tauri::Builder::default()
        // Registered for its Rust API only (OAuth sign-in opens the browser from Rust); the capability grants
        // the window none of its commands.
        .plugin(tauri_plugin_opener::init())
        // The same for the clipboard: copy buttons write from Rust; the window is granted none of its commands.
        .plugin(tauri_plugin_clipboard_manager::init())
        .manage(app_state);
    let app = commands::register(builder)?
        .build(tauri::generate_context!())
        .map_err(|error| format!("the window failed: {error}"))?;
    exit_on_terminate(&runtime, app.handle().clone());
    app.run(|app, event| {
        if let tauri::RunEvent::Exit = event {
            state::stop_background(&app.state::<state::AppState>());
        }
    });
    Ok(())
}

/// SIGTERM (a logout, a service manager, a test driver ending its session) closes the app the way its window
/// does, so the exit path runs: the handoff worker finishes its calls and frees the queue for the next process.
#[cfg(unix)]
fn exit_on_terminate(runtime: &tokio::runtime::Runtime, app: tauri::AppHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    runtime.spawn(async move {
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                if terminate.recv().await.is_some() {
                    tracing::info!("SIGTERM: closing");
                    app.exit(0);
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; it ends the app at once")
            }
        }
    });
}

#[cfg(not(unix))]
fn exit_on_terminate(_runtime: &tokio::runtime::Runtime, _app: tauri::AppHandle) {}
