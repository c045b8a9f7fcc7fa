//! The system clipboard, written from Rust: a value the admin copies (the signed webhook URL among them) goes
//! there without being sent to the window.

use tauri::AppHandle;
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::error::{Code, CommandError};

pub fn copy(app: &AppHandle, text: String) -> Result<(), CommandError> {
    app.clipboard().write_text(text).map_err(|error| {
        CommandError::new(
            Code::Internal,
            format!(
                "could not copy to the clipboard ({error}): reveal the value and copy it by hand"
            ),
        )
    })
}
