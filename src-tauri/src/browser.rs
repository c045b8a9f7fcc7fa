//! Tauri's opener as the system browser OAuth sign-in opens. Which browser is used (this one, or the stand-in
//! `HANDOFF_BROWSER` names) is the core's choice: `handoff::oauth::browser::SignInBrowser`.

use handoff::oauth::browser::{Browser, BrowserError};
use tauri::AppHandle;
use tauri_plugin_opener::OpenerExt;

pub struct TauriOpener(pub AppHandle);

impl Browser for TauriOpener {
    fn open(&self, url: &url::Url) -> Result<(), BrowserError> {
        self.0
            .opener()
            .open_url(url.as_str(), None::<&str>)
            .map_err(|error| BrowserError {
                command: "the system opener".to_owned(),
                reason: error.to_string(),
            })
    }
}
