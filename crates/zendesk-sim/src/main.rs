//! `zendesk-sim`: run the Zendesk simulator standalone.
//!
//! Prints `listening on http://127.0.0.1:<port>` first, then one line per seeded credential
//! (`admin <email> token <api-token>` / `agent <email> token <api-token>`), then one line per
//! OAuth client (`oauth-client <identifier> secret <secret or ->`), and serves until SIGINT
//! or SIGTERM.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tokio::net::TcpListener;
use zendesk_sim::{ConsentMode, Plan, Seed, SeedDump, SimConfig, Simulator};

/// Command-line options.
#[derive(Parser)]
#[command(
    name = "zendesk-sim",
    about = "A Zendesk simulator for tests and demo mode"
)]
struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// A Zendesk account dump directory (ticket_fields.json, triggers.json) to seed from,
    /// instead of the dump embedded at build time.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Extra latency for every API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// A fixed API token for the seeded admin (random when absent).
    #[arg(long, env = "ZENDESK_SIM_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// The account's subdomain.
    #[arg(long, default_value = "d3v-sim")]
    subdomain: String,
    /// The plan, which sets the requests-per-minute limit (team, growth, professional,
    /// enterprise, enterprise-plus, essential, or a number).
    #[arg(long, default_value = "enterprise", value_parser = parse_plan)]
    plan: Plan,
    /// A fixed secret for the confidential OAuth client `handoff_relay` (random when absent).
    #[arg(long, env = "ZENDESK_SIM_OAUTH_RELAY_SECRET", hide_env_values = true)]
    oauth_relay_secret: Option<String>,
    /// What the OAuth consent page does: ask (show Allow / Deny), approve or deny at once.
    #[arg(long, default_value = "ask", value_parser = parse_consent)]
    oauth_consent: ConsentMode,
}

fn parse_consent(text: &str) -> Result<ConsentMode, String> {
    ConsentMode::parse(text)
        .ok_or_else(|| format!("unknown consent mode {text:?} (ask, approve, deny)"))
}

fn parse_plan(text: &str) -> Result<Plan, String> {
    Plan::parse(text).ok_or_else(|| format!("unknown plan {text:?}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Options::parse();
    let seed = match &options.seed {
        Some(dir) => Seed::Dump(Arc::new(SeedDump::from_dir(dir)?)),
        None => Seed::AccountDump,
    };
    let config = SimConfig {
        subdomain: options.subdomain,
        admin_token: options.admin_token,
        latency: Duration::from_millis(options.latency_ms),
        seed,
        plan: options.plan,
        oauth_relay_secret: options.oauth_relay_secret,
        oauth_consent: options.oauth_consent,
        ..SimConfig::default()
    };
    let listener = TcpListener::bind(&options.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", options.listen))?;
    let address = listener.local_addr()?;
    let sim = Simulator::new(config);
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{address}")?;
    for credential in sim.credentials() {
        writeln!(
            stdout,
            "{} {} token {}",
            credential.role, credential.email, credential.token
        )?;
    }
    for client in sim.oauth_clients() {
        writeln!(
            stdout,
            "oauth-client {} secret {}",
            client.identifier,
            client.secret.as_deref().unwrap_or("-")
        )?;
    }
    stdout.flush()?;
    drop(stdout);
    zendesk_sim::serve(listener, sim, shutdown_signal()).await?;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        // If the handler cannot be installed, wait on SIGTERM alone.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
