//! `handoff`: the console's operations from a terminal. Human output by default, `--json` for scripts.
//!
//! Exit codes: 0 success; 1 an internal or storage failure; 2 bad usage or input; 3 a check failed and nothing
//! was saved; 4 the keychain is unavailable; 5 not connected.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use handoff::connect::{
    self, Check, CheckStatus, ConnectInput, ConnectOptions, Connection, VerifyReport,
};
use handoff::keychain::SecretStoreKind;
use handoff::profile::{self, Profile};
use handoff::SecretString;
use serde_json::{json, Value};

#[derive(Parser)]
#[command(
    name = "handoff",
    version,
    about = "Connect an AI support agent to Zendesk: setup, relay and checks"
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
    Connect {
        /// `acme`, `acme.zendesk.com` or any address of the account.
        #[arg(long)]
        subdomain: String,
        /// The email of the admin who owns the API token.
        #[arg(long)]
        email: String,
        /// Read the API token from standard input (never from an argument, where `ps` would show it).
        #[arg(long, required = true)]
        token_stdin: bool,
        /// Assign new tickets to this agent.
        #[arg(long, value_name = "ID")]
        default_agent_id: Option<String>,
        /// Send requests here instead of https://{subdomain}.zendesk.com (the simulator, a proxy).
        #[arg(long, value_name = "URL")]
        zendesk_url: Option<String>,
    },
    /// Show the saved connection.
    Status,
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
    runtime.block_on(run(cli))
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
    let now = jiff::Timestamp::now();
    match cli.command {
        Command::Connect {
            subdomain,
            email,
            token_stdin: _,
            default_agent_id,
            zendesk_url,
        } => {
            let token = match read_token() {
                Ok(token) => token,
                Err(message) => return fail(Exit::Usage, &message, json),
            };
            let input = ConnectInput {
                subdomain,
                email,
                token,
                default_agent_id,
                base_url: zendesk_url,
            };
            let on_check = |check: &Check| {
                if !json {
                    print_check(check)
                }
            };
            match connect::verify_and_save(
                &profile,
                input,
                ConnectOptions::default(),
                now,
                on_check,
            )
            .await
            {
                Ok(report) => finish_connect(&report, now, json),
                Err(error) => fail(Exit::Internal, &error.to_string(), json),
            }
        }
        Command::Status => match profile::status(&profile, now) {
            Ok(status) => match status.connection {
                Some(connection) => {
                    if json {
                        print_json(
                            &json!({ "connected": true, "connection": connection_json(&connection, now) }),
                        );
                    } else {
                        print_connection(&connection, now);
                    }
                    ExitCode::SUCCESS
                }
                None => {
                    if json {
                        print_json(&json!({ "connected": false, "connection": null }));
                    } else {
                        println!("Not connected. Run `handoff connect` or `handoff demo`.");
                    }
                    ExitCode::from(Exit::NotConnected as u8)
                }
            },
            Err(error) => fail(Exit::Internal, &error.to_string(), json),
        },
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

fn read_token() -> Result<SecretString, String> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("API token: ");
        let _ = std::io::stderr().flush();
    }
    let mut raw = String::new();
    stdin
        .read_to_string(&mut raw)
        .map_err(|error| format!("cannot read the token from standard input: {error}"))?;
    let token = raw.trim();
    if token.is_empty() {
        return Err("no token on standard input: pipe it in, e.g. `handoff connect ... --token-stdin < token.txt`".into());
    }
    Ok(SecretString::from(token))
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
    println!(
        "  Auth method: {}",
        match connection.auth_method {
            connect::AuthMethod::ApiToken => "API token (legacy)",
            connect::AuthMethod::OAuth => "OAuth",
        }
    );
    if let Some(agent) = &connection.default_agent {
        println!("  Default agent: {} (#{})", agent.name, agent.id);
    }
    if let Some(deadline) = connection.api_token_deadline(now) {
        println!(
            "  API tokens stop working on {} ({} days left): move to OAuth before then.",
            deadline.date, deadline.days_left
        );
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
