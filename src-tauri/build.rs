//! Declares the app's own commands so Tauri generates `allow-*` permissions for them: the capability file is
//! then the complete list of what the UI may call.

const COMMANDS: &[&str] = &[
    "get_connection",
    "normalize_subdomain",
    "lookup_agent",
    "verify_and_save",
    "sign_in_with_zendesk",
    "cancel_sign_in",
    "oauth_redirect",
    "set_oauth_redirect_port",
    "start_demo",
    "fields_overview",
    "map_field",
    "unmap_field",
    "preview_fields",
    "list_sessions",
    "get_session",
    "open_ticket",
    "start_test_conversation",
    "relay_overview",
    "start_relay",
    "stop_relay",
    "set_listen_address",
    "webhook_url",
    "reveal_webhook_url",
    "copy_webhook_url",
    "setup_checklist",
    "run_setup",
    "manual_setup",
    "open_admin_page",
    "copy_text",
    "status_bar",
    "open_fix_page",
    "verify_now",
    "last_verification",
    "find_agent",
    "open_verification_ticket",
    "get_settings",
    "set_setting",
    "set_default_agent",
    "rotate_url_key",
    "reset_signing_secret",
    "open_folder",
    "disconnect_plan",
    "disconnect",
    "troubleshoot_symptoms",
    "diagnose_symptom",
    "save_diagnostics_bundle",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {error:#}");
    }
}
