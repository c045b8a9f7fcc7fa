//! `handoff`: the console's operations from a terminal. Human output by default, `--json` for scripts.
//!
//! Exit codes: 0 success; 1 an internal or storage failure; 2 bad usage or input; 3 a check failed and nothing
//! was saved; 4 the keychain is unavailable; 5 not connected; 6 connected, but Zendesk no longer accepts the
//! saved credentials (reconnect required: sign in again with `handoff connect`); 7 `status --verify` could not
//! reach Zendesk, so whether the credentials work is unknown.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Parser, Subcommand};
use handoff::account::{self, Liveness};
use handoff::clock::Clock;
use handoff::connect::{
    self, Check, CheckStatus, ConnectInput, ConnectOptions, Connection, OAuthConnectInput, SignIn,
    VerifyReport,
};
use handoff::keychain::SecretStoreKind;
use handoff::oauth::browser::{Browser, BrowserError, CommandBrowser};
use handoff::oauth::{Cancel, GrantKind};
use handoff::profile::{self, Profile};
use handoff::SecretString;
use serde_json::{json, Value};

#[derive(Parser)]
#[command(
    name = "handoff",
    version,
    about = "Connect an AI support agent to Zendesk: setup, relay and checks",
    after_help = "Exit codes: 0 success; 1 internal or storage failure; 2 bad usage or input; 3 a check failed, \
                  nothing saved; 4 keychain unavailable; 5 not connected; 6 reconnect required (Zendesk no longer \
                  accepts the saved credentials: run `handoff connect` again); 7 Zendesk could not be asked \
                  (`status --verify`)."
)]
struct Cli {
    /// The data folder (SQLite, logs). Defaults to $HANDOFF_DATA_DIR, else the desktop app's folder.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Where secrets live: `keychain` (Secret Service, default) or `keyutils` (kernel keyring, headless).
    #[arg(long, global = true, env = profile::SECRET_STORE_VAR, default_value = "keychain", value_name = "KIND")]
    secret_store: String,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify credentials against Zendesk and save them; nothing is saved unless every check passes.
    ///
    /// `--oauth` (recommended) prints the sign-in address and opens it in the browser on this machine
    /// ($HANDOFF_BROWSER, else xdg-open); `--client-credentials` needs no browser (confidential clients, relays);
    /// `--token-stdin` is the legacy API token, which Zendesk switches off on 2027-04-30.
    #[command(group(ArgGroup::new("method").required(true).args(["oauth", "client_credentials", "token_stdin"])))]
    Connect {
        /// `acme`, `acme.zendesk.com` or any address of the account.
        #[arg(long)]
        subdomain: String,
        /// Sign in with an OAuth client in the browser (authorization code with PKCE).
        #[arg(long)]
        oauth: bool,
        /// Get a token for a confidential OAuth client with its secret, without a browser.
        #[arg(long, requires_all = ["client_id", "client_secret_stdin"])]
        client_credentials: bool,
        /// The OAuth client's unique identifier (Admin Center > Apps and integrations > APIs > OAuth clients).
        #[arg(long, value_name = "ID", required_if_eq_any = [("oauth", "true"), ("client_credentials", "true")])]
        client_id: Option<String>,
        /// Read a confidential client's secret from standard input (never from an argument, where `ps` shows it).
        #[arg(long, requires = "client_id")]
        client_secret_stdin: bool,
        /// Legacy: the email of the admin who owns the API token.
        #[arg(long, requires = "token_stdin")]
        email: Option<String>,
        /// Legacy: read the API token from standard input.
        #[arg(long, requires = "email")]
        token_stdin: bool,
        /// Assign new tickets to this agent.
        #[arg(long, value_name = "ID")]
        default_agent_id: Option<String>,
        /// Send requests here instead of https://{subdomain}.zendesk.com (the simulator, a proxy).
        #[arg(long, value_name = "URL")]
        zendesk_url: Option<String>,
    },
    /// Show the saved connection (and finish checking an interrupted token refresh).
    Status {
        /// Also ask Zendesk whether the saved credentials still work, renewing an OAuth token when due.
        #[arg(long)]
        verify: bool,
    },
    /// Start a sandbox Zendesk account in this process, connect to it, and keep it running until Ctrl-C.
    Demo,
}

#[derive(Clone, Copy)]
enum Exit {
    Internal = 1,
    Usage = 2,
    ChecksFailed = 3,
    Keychain = 4,
    NotConnected = 5,
    ReconnectRequired = 6,
    ZendeskUnknown = 7,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HANDOFF_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return fail(
                Exit::Internal,
                &format!("cannot start the async runtime: {error}"),
                cli.json,
            )
        }
    };
    let code = runtime.block_on(run(cli));
    // A keychain call that never answered is still parked on a blocking thread; the command has already
    // reported it, so do not wait for it on the way out.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    code
}

async fn run(cli: Cli) -> ExitCode {
    let json = cli.json;
    let secret_store = match SecretStoreKind::parse(&cli.secret_store) {
        Ok(kind) => kind,
        Err(error) => return fail(Exit::Usage, &error.to_string(), json),
    };
    let Some(data_dir) = cli.data_dir.or_else(profile::default_data_dir) else {
        return fail(
            Exit::Usage,
            "no data folder: pass --data-dir or set HANDOFF_DATA_DIR (HOME is not set)",
            json,
        );
    };
    let profile = match Profile::open(&data_dir, secret_store) {
        Ok(profile) => profile,
        Err(error) => return fail(Exit::Internal, &error.to_string(), json),
    };
    let clock = match Clock::from_env() {
        Ok(clock) => clock,
        Err(message) => return fail(Exit::Usage, &message, json),
    };
    let now = clock.now();
    match cli.command {
        Command::Connect {
            subdomain,
            oauth: _,
            client_credentials,
            client_id,
            client_secret_stdin,
            email,
            token_stdin,
            default_agent_id,
            zendesk_url,
        } => {
            let on_check = |check: &Check| {
                if !json {
                    print_check(check)
                }
            };
            let result = if token_stdin {
                let token = match read_secret("API token", "--token-stdin") {
                    Ok(token) => token,
                    Err(message) => return fail(Exit::Usage, &message, json),
                };
                let input = ConnectInput {
                    subdomain,
                    email: email.unwrap_or_default(),
                    token,
                    default_agent_id,
                    base_url: zendesk_url,
                };
                connect::verify_and_save(&profile, input, ConnectOptions::default(), now, on_check)
                    .await
            } else {
                let client_secret = match client_secret_stdin {
                    true => match read_secret("OAuth client secret", "--client-secret-stdin") {
                        Ok(secret) => Some(secret),
                        Err(message) => return fail(Exit::Usage, &message, json),
                    },
                    false => None,
                };
                let input = OAuthConnectInput {
                    subdomain,
                    client_id: client_id.unwrap_or_default(),
                    client_secret,
                    grant: match client_credentials {
                        true => GrantKind::ClientCredentials,
                        false => GrantKind::AuthorizationCode,
                    },
                    default_agent_id,
                    base_url: zendesk_url,
                };
                let cancel = Cancel::new();
                let on_interrupt = cancel.clone();
                // Ctrl-C while the browser is open ends the wait cleanly (the listener closes, nothing is saved).
                let interrupt = tokio::spawn(async move {
                    if tokio::signal::ctrl_c().await.is_ok() {
                        on_interrupt.cancel();
                    }
                });
                let browser = TerminalBrowser { json };
                let sign_in = SignIn {
                    browser: &browser,
                    cancel,
                    wait: connect::DEFAULT_SIGN_IN_WAIT,
                };
                let result = connect::verify_and_save_oauth(
                    &profile,
                    input,
                    sign_in,
                    ConnectOptions::default(),
                    &clock,
                    on_check,
                )
                .await;
                interrupt.abort();
                result
            };
            match result {
                Ok(report) => finish_connect(&report, now, json),
                Err(error) => fail(Exit::Internal, &error.to_string(), json),
            }
        }
        Command::Status { verify } => status(&profile, &clock, verify, json).await,
        Command::Demo => {
            let on_check = |check: &Check| {
                if !json {
                    print_check(check)
                }
            };
            let demo = match handoff::demo::start(&profile, now, on_check).await {
                Ok(demo) => demo,
                Err(error) => return fail(Exit::Internal, &error.to_string(), json),
            };
            if json {
                let connection = demo
                    .report
                    .connection
                    .as_ref()
                    .map(|c| connection_json(c, now));
                print_json(
                    &json!({ "simulator": demo.simulator.base_url, "connection": connection }),
                );
            } else {
                println!(
                    "Sandbox Zendesk running at {}. Press Ctrl-C to stop it.",
                    demo.simulator.base_url
                );
            }
            if let Err(error) = tokio::signal::ctrl_c().await {
                return fail(
                    Exit::Internal,
                    &format!("cannot wait for Ctrl-C: {error}"),
                    json,
                );
            }
            ExitCode::SUCCESS
        }
    }
}

/// `handoff status`: resolves an interrupted refresh first, then (with `--verify`) asks Zendesk.
async fn status(profile: &Profile, clock: &Clock, verify: bool, json: bool) -> ExitCode {
    let checked = if verify {
        account::verify(profile, clock)
            .await
            .map(|found| found.map(|(_, liveness)| liveness))
    } else {
        account::recover(profile, clock).await
    };
    let liveness = match checked {
        Ok(liveness) => liveness,
        Err(handoff::ConnectError::Keychain(error)) => {
            return fail(Exit::Keychain, &error.to_string(), json)
        }
        Err(error) => return fail(Exit::Internal, &error.to_string(), json),
    };
    let now = clock.now();
    let connection = match profile::status(profile, now) {
        Ok(status) => status.connection,
        Err(error) => return fail(Exit::Internal, &error.to_string(), json),
    };
    let Some(connection) = connection else {
        if json {
            print_json(&json!({ "connected": false, "connection": null }));
        } else {
            println!("Not connected. Run `handoff connect` or `handoff demo`.");
        }
        return ExitCode::from(Exit::NotConnected as u8);
    };
    let unknown = match &liveness {
        Some(Liveness::Unknown { reason }) => Some(reason.clone()),
        _ => None,
    };
    if json {
        print_json(&json!({
            "connected": true,
            "connection": connection_json(&connection, now),
            "verified": match &liveness {
                Some(Liveness::Working { .. }) => json!(true),
                Some(Liveness::ReconnectRequired { .. }) => json!(false),
                _ => Value::Null,
            },
            "unreachable": unknown,
        }));
    } else {
        print_connection(&connection, now);
        match &liveness {
            Some(Liveness::Working { .. }) => println!("  Zendesk accepts the saved credentials."),
            Some(Liveness::Unknown { reason }) => {
                println!("  Zendesk could not be asked whether the credentials work: {reason}")
            }
            _ => {}
        }
    }
    if connection.reconnect_required.is_some() {
        ExitCode::from(Exit::ReconnectRequired as u8)
    } else if unknown.is_some() {
        ExitCode::from(Exit::ZendeskUnknown as u8)
    } else {
        ExitCode::SUCCESS
    }
}

/// Reads a secret from standard input (prompting when it is a terminal).
fn read_secret(what: &str, flag: &str) -> Result<SecretString, String> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{what}: ");
        let _ = std::io::stderr().flush();
    }
    let mut raw = String::new();
    stdin
        .read_to_string(&mut raw)
        .map_err(|error| format!("cannot read the {what} from standard input: {error}"))?;
    let secret = raw.trim();
    if secret.is_empty() {
        return Err(format!(
            "no {what} on standard input: pipe it in, e.g. `handoff connect ... {flag} < secret.txt`"
        ));
    }
    Ok(SecretString::from(secret))
}

/// The CLI's browser: prints the sign-in address, then opens it with `$HANDOFF_BROWSER` or `xdg-open`. Not
/// being able to open a browser is not fatal: the admin can open the printed address on this machine.
struct TerminalBrowser {
    json: bool,
}

impl Browser for TerminalBrowser {
    fn open(&self, url: &url::Url) -> Result<(), BrowserError> {
        let message =
            format!("Sign in with Zendesk at this address (opening your browser):\n  {url}");
        if self.json {
            eprintln!("{message}");
        } else {
            println!("{message}");
            let _ = std::io::stdout().flush();
        }
        let browser = CommandBrowser::from_env().unwrap_or_else(CommandBrowser::xdg_open);
        if let Err(error) = browser.open(url) {
            eprintln!("handoff: {error}; open the address above in a browser on this machine");
        }
        Ok(())
    }
}

fn finish_connect(report: &VerifyReport, now: jiff::Timestamp, json: bool) -> ExitCode {
    let keychain_failed = report
        .checks
        .iter()
        .any(|c| c.id == connect::CheckId::Keychain && c.status == CheckStatus::Failed);
    if json {
        print_json(&json!({
            "saved": report.saved(),
            "checks": report.checks.iter().map(check_json).collect::<Vec<_>>(),
            "connection": report.connection.as_ref().map(|c| connection_json(c, now)),
        }));
    }
    match &report.connection {
        Some(connection) => {
            if !json {
                println!();
                print_connection(connection, now);
            }
            ExitCode::SUCCESS
        }
        None => {
            if !json {
                println!("\nNothing was saved.");
            }
            ExitCode::from(if keychain_failed {
                Exit::Keychain
            } else {
                Exit::ChecksFailed
            } as u8)
        }
    }
}

fn print_check(check: &Check) {
    let mark = match check.status {
        CheckStatus::Running => return,
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

fn print_connection(connection: &Connection, now: jiff::Timestamp) {
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
        println!("  RECONNECT REQUIRED: {reason}.");
        println!("  Sign in again with `handoff connect` (the same subdomain keeps every other setting).");
    } else if connection.refresh_interrupted {
        println!("  A token renewal was interrupted and Zendesk could not be asked yet; run `handoff status --verify`.");
    }
}

fn check_json(check: &Check) -> Value {
    json!({
        "id": check.id.as_str(),
        "label": check.id.label(),
        "status": check.status.as_str(),
        "detail": check.detail,
        "cause": check.cause,
        "fix": check.fix,
    })
}

fn user_json(user: &connect::UserSummary) -> Value {
    json!({ "id": user.id, "name": user.name, "email": user.email, "role": user.role })
}

fn connection_json(connection: &Connection, now: jiff::Timestamp) -> Value {
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

fn print_json(value: &Value) {
    println!("{value}");
}

fn fail(code: Exit, message: &str, json: bool) -> ExitCode {
    if json {
        print_json(&json!({ "error": { "code": code as u8, "message": message } }));
    } else {
        eprintln!("handoff: {message}");
    }
    ExitCode::from(code as u8)
}
