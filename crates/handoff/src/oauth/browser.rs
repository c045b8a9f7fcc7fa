//! Opening the system browser at the authorize URL. A seam, so the desktop app opens it through Tauri's
//! opener, the CLI through `xdg-open`, and tests stand in for the browser with `HANDOFF_BROWSER`.
//! [`SignInBrowser::from_env`] is the one place that choice is made, for the app and the CLI alike.

use std::process::{Command, Stdio};

use url::Url;

/// Overrides how the browser is opened: the command (words separated by spaces) gets the URL as its one
/// extra argument. Tests point it at a script that plays the browser.
pub const BROWSER_VAR: &str = "HANDOFF_BROWSER";

/// Opens a URL for the admin to act on.
pub trait Browser: Send + Sync {
    /// Opens `url`; returns once it has been handed over (not once the page is done).
    fn open(&self, url: &Url) -> Result<(), BrowserError>;
}

/// The browser could not be started.
#[derive(Debug, thiserror::Error)]
#[error("could not open the browser with `{command}`: {reason}")]
pub struct BrowserError {
    /// What was run (never the URL's secrets: the URL carries none).
    pub command: String,
    /// What went wrong.
    pub reason: String,
}

/// The browser a sign-in opens: the stand-in [`BROWSER_VAR`] names when it is set, else the platform's own.
#[derive(Debug, Clone)]
pub struct SignInBrowser<B> {
    stand_in: Option<CommandBrowser>,
    system: B,
}

impl<B: Browser> SignInBrowser<B> {
    /// Reads [`BROWSER_VAR`] once; `system` opens the URL when it is not set (the desktop app passes Tauri's
    /// opener, the CLI [`CommandBrowser::xdg_open`]).
    pub fn from_env(system: B) -> SignInBrowser<B> {
        SignInBrowser {
            stand_in: CommandBrowser::from_env(),
            system,
        }
    }
}

impl<B: Browser> Browser for SignInBrowser<B> {
    fn open(&self, url: &Url) -> Result<(), BrowserError> {
        match &self.stand_in {
            Some(command) => command.open(url),
            None => self.system.open(url),
        }
    }
}

/// A browser started as an external command with the URL as its last argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandBrowser {
    program: String,
    args: Vec<String>,
}

impl CommandBrowser {
    /// The command in [`BROWSER_VAR`], if set.
    pub fn from_env() -> Option<CommandBrowser> {
        std::env::var(BROWSER_VAR)
            .ok()
            .and_then(|value| CommandBrowser::parse(&value))
    }

    /// `xdg-open`, the freedesktop way to open a URL in the admin's default browser.
    pub fn xdg_open() -> CommandBrowser {
        CommandBrowser {
            program: "xdg-open".to_owned(),
            args: Vec::new(),
        }
    }

    /// Splits `value` on whitespace: a program and its fixed arguments. `None` when empty.
    pub fn parse(value: &str) -> Option<CommandBrowser> {
        let mut words = value.split_whitespace().map(str::to_owned);
        let program = words.next()?;
        Some(CommandBrowser {
            program,
            args: words.collect(),
        })
    }
}

impl Browser for CommandBrowser {
    fn open(&self, url: &Url) -> Result<(), BrowserError> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .arg(url.as_str())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| BrowserError {
                command: self.program.clone(),
                reason: error.to_string(),
            })?;
        // The opener may run as long as the browser does; reap it in the background so no zombie is left.
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_into_program_and_arguments() {
        assert_eq!(CommandBrowser::parse("  "), None);
        assert_eq!(
            CommandBrowser::parse("/tmp/play browser --quiet"),
            Some(CommandBrowser {
                program: "/tmp/play".into(),
                args: vec!["browser".into(), "--quiet".into()]
            })
        );
    }

    /// A browser that only says it was asked.
    struct Refusing;

    impl Browser for Refusing {
        fn open(&self, _url: &Url) -> Result<(), BrowserError> {
            Err(BrowserError {
                command: "the system browser".into(),
                reason: "asked".into(),
            })
        }
    }

    #[test]
    fn the_stand_in_wins_over_the_system_browser_only_when_set() {
        let url = Url::parse("https://acme.zendesk.com/oauth/authorizations/new")
            .unwrap_or_else(|e| panic!("{e}"));
        let system = SignInBrowser {
            stand_in: None,
            system: Refusing,
        };
        let asked = system.open(&url).err().map(|e| e.command);
        assert_eq!(asked.as_deref(), Some("the system browser"));
        let stand_in = SignInBrowser {
            stand_in: CommandBrowser::parse("true"),
            system: Refusing,
        };
        assert!(stand_in.open(&url).is_ok(), "the stand-in opened the URL");
    }

    #[test]
    fn the_command_gets_the_url_as_its_last_argument() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let out = dir.path().join("url.txt");
        let browser = CommandBrowser {
            program: "sh".into(),
            args: vec![
                "-c".into(),
                format!("printf %s \"$1\" > {}", out.display()),
                "sh".into(),
            ],
        };
        let url = Url::parse(
            "https://acme.zendesk.com/oauth/authorizations/new?state=a&scope=read%20write",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        browser.open(&url).unwrap_or_else(|e| panic!("{e}"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::read_to_string(&out).unwrap_or_default() != url.as_str() {
            assert!(
                std::time::Instant::now() < deadline,
                "the command never wrote the URL"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let missing = CommandBrowser::parse("/nonexistent/browser")
            .map(|b| b.open(&url))
            .and_then(Result::err)
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(missing.contains("/nonexistent/browser"), "{missing}");
    }
}
