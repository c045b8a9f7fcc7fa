//! What every command group of the `handoff` CLI shares: the global flags and the start-up they lead to, the
//! exit codes scripts branch on, and the output (text for people, one JSON document with `--json`).
//!
//! A command group is one module (`connect`, `status`, `demo`, ...) with its clap arguments and a
//! `run(&Context, args) -> ExitCode`; `main.rs` only dispatches to it.

pub mod api_key;
pub mod bench;
pub mod config;
pub mod connect;
pub mod demo;
pub mod disconnect;
pub mod doctor;
pub mod fields;
pub mod llm_key;
pub mod relay;
pub mod rotate;
pub mod serve;
pub mod session;
pub mod setup;
pub mod status;
pub mod verify;

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use handoff::clock::Clock;
use handoff::connect::{Check, CheckStatus, Connection, UserSummary, CHECKING};
use handoff::keychain::SecretStoreKind;
use handoff::message::sentence;
use handoff::oauth::GrantKind;
use handoff::profile::{self, Profile};
use serde_json::{json, Value};

/// The flags every command takes.
#[derive(Args)]
pub struct Global {
    /// The data folder (SQLite, logs). Defaults to $HANDOFF_DATA_DIR, else the desktop app's folder.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Where secrets live: `keychain` (Secret Service, default) or `keyutils` (kernel keyring, headless).
    #[arg(long, global = true, env = profile::SECRET_STORE_VAR, default_value = "keychain", value_name = "KIND")]
    secret_store: String,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The exit codes, documented in `--help` and the README; scripts branch on them, so they never change.
#[derive(Clone, Copy)]
pub enum Exit {
    Internal = 1,
    Usage = 2,
    ChecksFailed = 3,
    Keychain = 4,
    NotConnected = 5,
    ReconnectRequired = 6,
    ZendeskUnknown = 7,
    /// `session handoff`: still pending when `--wait` ran out (it stays queued); the reason is printed.
    HandoffPending = 8,
    /// `session handoff`: Zendesk refused it for good; the reason says what to do.
    HandoffFailed = 9,
    /// `session say --as ai`: a rep owns the conversation, so the AI may not answer.
    HumanActive = 10,
    /// `status`: connected, and the setup checklist has warnings (nothing failing).
    ChecklistWarnings = 11,
    /// `status`: connected, and an item of the setup checklist is failing.
    ChecklistFailing = 12,
    /// `setup`: Zendesk refused a change (a role without access, a record refused); the message says why.
    SetupRefused = 13,
    /// `verify`: a step failed; its cause and fix are printed (`failed_step` in JSON).
    VerifyFailed = 14,
    /// `doctor`: a probe found a cause; each finding's fix is printed.
    ProblemFound = 15,
    /// `disconnect`: not confirmed at the prompt; nothing was changed.
    Cancelled = 16,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// What a command runs with: the profile the global flags name, the clock, and the output mode.
pub struct Context {
    pub profile: Profile,
    pub clock: Clock,
    pub json: bool,
}

impl Context {
    /// Opens the profile the global flags name; a failure is already reported, and its exit code returned.
    pub fn open(global: Global) -> Result<Context, ExitCode> {
        let json = global.json;
        let secret_store = SecretStoreKind::parse(&global.secret_store)
            .map_err(|error| fail(Exit::Usage, &error.to_string(), json))?;
        let Some(data_dir) = global.data_dir.or_else(profile::default_data_dir) else {
            return Err(fail(
                Exit::Usage,
                "no data folder: pass --data-dir or set HANDOFF_DATA_DIR (HOME is not set)",
                json,
            ));
        };
        let profile = Profile::open(&data_dir, secret_store)
            .map_err(|error| fail(Exit::Internal, &error.to_string(), json))?;
        let clock = Clock::from_env().map_err(|message| fail(Exit::Usage, &message, json))?;
        Ok(Context {
            profile,
            clock,
            json,
        })
    }
}

/// Logs go to stderr (`HANDOFF_LOG` sets the level), so stdout stays the command's output.
pub fn install_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HANDOFF_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    // A panic reaches the log too, through the same redacting hook as the app's.
    handoff::panics::route_to_log();
}

/// Runs a command on a fresh async runtime.
pub fn block_on(json: bool, command: impl Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => {
            let code = runtime.block_on(command);
            // A keychain call that never answered is still parked on a blocking thread; the command has
            // already reported it, so do not wait for it on the way out.
            runtime.shutdown_timeout(std::time::Duration::from_millis(500));
            code
        }
        Err(error) => fail(
            Exit::Internal,
            &format!("cannot start the async runtime: {error}"),
            json,
        ),
    }
}

pub fn print_json(value: &Value) {
    println!("{value}");
}

/// Reports a failure (`{"error": {"code", "message"}}` with `--json`, else `handoff: message` on stderr) and
/// returns its exit code.
pub fn fail(code: Exit, message: &str, json: bool) -> ExitCode {
    if json {
        print_json(&json!({ "error": { "code": code as u8, "message": message } }));
    } else {
        eprintln!("handoff: {message}");
    }
    code.into()
}

/// Prints a check in text mode, as the window shows it: `[....]` when it starts (and what it waits for),
/// an indented `…` line for each retry with its wait, then the verdict with its cause and fix.
pub fn print_check(check: &Check) {
    let mark = match check.status {
        CheckStatus::Running => {
            match (&check.retry, check.detail.as_str()) {
                (Some(_), retrying) => println!("       … {retrying}"),
                (None, CHECKING) => println!("[....] {}…", check.id.label()),
                (None, waiting) => println!("[....] {}: {waiting}", check.id.label()),
            }
            return;
        }
        CheckStatus::Passed => "ok  ",
        CheckStatus::Warning => "warn",
        CheckStatus::Failed => "FAIL",
        CheckStatus::Skipped => "skip",
    };
    println!("[{mark}] {}: {}", check.id.label(), check.detail);
    if let Some(cause) = &check.cause {
        println!("       cause: {cause}");
    }
    if let Some(fix) = &check.fix {
        println!("       fix:   {fix}");
    }
}

pub fn print_connection(connection: &Connection, now: jiff::Timestamp) {
    let demo = if connection.demo { " (sandbox)" } else { "" };
    println!(
        "Connected to {}{demo} as {} ({})",
        connection.subdomain.host(),
        connection.user.name,
        connection.user.role
    );
    println!("  API base:    {}", connection.base_url);
    match &connection.oauth {
        Some(oauth) => {
            let how = match oauth.grant {
                GrantKind::AuthorizationCode => "browser sign-in",
                GrantKind::ClientCredentials => "client credentials",
            };
            println!("  Auth method: OAuth, client {} ({how})", oauth.client_id);
            println!("  Scopes:      {}", oauth.scopes.join(" "));
            if let Some(expires_at) = oauth.token_expires_at {
                println!(
                    "  Token:       renewed automatically; the current one expires at {expires_at}"
                );
            }
        }
        None => println!("  Auth method: API token (legacy)"),
    }
    if let Some(agent) = &connection.default_agent {
        println!("  Default agent: {} (#{})", agent.name, agent.id);
    }
    if let Some(deadline) = connection.api_token_deadline(now) {
        println!(
            "  API tokens stop working on {} ({} days left): move to OAuth before then \
             (`handoff connect --oauth --client-id ID`, settings are kept).",
            deadline.date, deadline.days_left
        );
    }
    if let Some(reason) = &connection.reconnect_required {
        println!("  RECONNECT REQUIRED: {}", sentence(reason));
        println!("  Sign in again with `handoff connect` (the same subdomain keeps every other setting).");
    } else if connection.refresh_interrupted {
        println!("  A token renewal was interrupted and Zendesk could not be asked yet; run `handoff status --verify`.");
    }
}

pub fn check_json(check: &Check) -> Value {
    json!({
        "id": check.id.as_str(),
        "label": check.id.label(),
        "status": check.status.as_str(),
        "detail": check.detail,
        "cause": check.cause,
        "fix": check.fix,
    })
}

fn user_json(user: &UserSummary) -> Value {
    json!({ "id": user.id, "name": user.name, "email": user.email, "role": user.role })
}

pub fn connection_json(connection: &Connection, now: jiff::Timestamp) -> Value {
    json!({
        "subdomain": connection.subdomain.as_str(),
        "host": connection.subdomain.host(),
        "base_url": connection.base_url.as_str(),
        "auth_method": connection.auth_method.as_str(),
        "user": user_json(&connection.user),
        "default_agent": connection.default_agent.as_ref().map(user_json),
        "demo": connection.demo,
        "connected_at": connection.connected_at.to_string(),
        "api_token_deadline": connection.api_token_deadline(now)
            .map(|d| json!({ "date": d.date.to_string(), "days_left": d.days_left })),
        "oauth": connection.oauth.as_ref().map(|o| json!({
            "client_id": o.client_id,
            "grant": o.grant.as_str(),
            "scopes": o.scopes,
            "token_expires_at": o.token_expires_at.map(|t| t.to_string()),
            "refresh_expires_at": o.refresh_expires_at.map(|t| t.to_string()),
        })),
        "state": if connection.reconnect_required.is_some() { "reconnect_required" } else { "connected" },
        "reconnect_reason": connection.reconnect_required,
        "refresh_interrupted": connection.refresh_interrupted,
    })
}
