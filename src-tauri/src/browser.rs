//! The browser OAuth sign-in opens: the system's default browser through Tauri's opener, unless
//! `HANDOFF_BROWSER` names a stand-in (the end-to-end tests play the browser that way).

use handoff::oauth::browser::{Browser, BrowserError, CommandBrowser};
use tauri::AppHandle;
use tauri_plugin_opener::OpenerExt;

pub struct SystemBrowser {
    app: AppHandle,
    stand_in: Option<CommandBrowser>,
}

impl SystemBrowser {
    pub fn new(app: AppHandle) -> SystemBrowser {
        SystemBrowser {
            app,
            stand_in: CommandBrowser::from_env(),
        }
    }
}

impl Browser for SystemBrowser {
    fn open(&self, url: &url::Url) -> Result<(), BrowserError> {
        match &self.stand_in {
            Some(command) => command.open(url),
            None => self
                .app
                .opener()
                .open_url(url.as_str(), None::<&str>)
                .map_err(|error| BrowserError {
                    command: "the system opener".to_owned(),
                    reason: error.to_string(),
                }),
        }
    }
}
