//! `handoff`: the console's operations from a terminal. Human output by default, `--json` for scripts.
//!
//! This file only parses the command line and dispatches; each command group lives in `cli/<group>.rs`, and
//! `cli/mod.rs` holds what they share (exit codes, output, the start-up every command needs).
//!
//! Exit codes: 0 success; 1 an internal or storage failure; 2 bad usage or input; 3 a check failed and nothing
//! was saved; 4 the keychain is unavailable; 5 not connected; 6 connected, but Zendesk no longer accepts the
//! saved credentials (reconnect required: sign in again with `handoff connect`); 7 `status` or `setup` could
//! not reach Zendesk, so whether the credentials (or the setup) work is unknown; 8 a handoff still pending when `--wait` ran out;
//! 9 a handoff Zendesk refused for good; 10 an AI turn refused because a rep owns the conversation; 11
//! `status`: the setup checklist has warnings; 12 `status`: an item of the checklist is failing; 13 `setup`:
//! Zendesk refused a change; 14 `verify`: a step failed; 15 `doctor`: a cause was found; 16 `disconnect`: not
//! confirmed, nothing changed.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "handoff",
    version,
    about = "Connect an AI support agent to Zendesk: setup, relay and checks",
    after_help = "Exit codes: 0 success; 1 internal or storage failure; 2 bad usage or input; 3 a check failed, \
                  nothing saved; 4 keychain unavailable; 5 not connected; 6 reconnect required (Zendesk no longer \
                  accepts the saved credentials: run `handoff connect` again); 7 Zendesk could not be asked \
                  (`status`, `setup`); 8 the handoff is still pending after --wait (it stays queued); 9 the \
                  handoff failed (Zendesk refused it: the reason says what to do); 10 a rep owns the \
                  conversation (AI turns are refused); 11 the setup checklist has warnings (`status`); 12 an \
                  item of the setup checklist is failing (`status`); 13 Zendesk refused a change (`setup`, `rotate`, \
                  `disconnect`); 14 a verification step failed (`verify`); 15 a cause was found (`doctor`); 16 \
                  not confirmed, nothing changed (`disconnect`)."
)]
struct Cli {
    #[command(flatten)]
    global: cli::Global,
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
    Connect(cli::connect::ConnectArgs),
    /// Show the saved connection and the setup checklist (each item ok, warning, failing or unknown, with
    /// its evidence and fix). Exit 0 when all is well, 11 with warnings, 12 when an item is failing.
    Status(cli::status::StatusArgs),
    /// Start a sandbox Zendesk account in this process, connect to it, and keep it running until Ctrl-C.
    Demo(cli::demo::DemoArgs),
    /// Run the sessions API (and the relay) and the handoff worker until Ctrl-C or SIGTERM.
    Serve(cli::serve::ServeArgs),
    /// Sessions: start one, add turns, hand it off, read it.
    Session(cli::session::SessionArgs),
    /// The non-secret settings (tag-prefix, ticket-every-conversation, public-url, outbound-url, llm-url, ...).
    Config(cli::config::ConfigArgs),
    /// The sessions API's bearer keys.
    ApiKey(cli::api_key::ApiKeyArgs),
    /// The relay console: the signed webhook URL, the live deliveries, replay, a signed test delivery.
    Relay(cli::relay::RelayArgs),
    /// AI Fields: the ticket fields the AI fills at handoff, their descriptions, and a preview.
    Fields(cli::fields::FieldsArgs),
    /// The AI Fields LLM endpoint's key, kept in the keychain.
    LlmKey(cli::llm_key::LlmKeyArgs),
    /// Benchmarks: one JSON object of figures measured in one run.
    Bench(cli::bench::BenchArgs),
    /// Create (or adopt) the Zendesk webhook and trigger, fetch the signing secret, repair what drifted.
    ///
    /// Running it again changes nothing. `--dry-run` prints the plan; `--fix ITEM` repairs one checklist item.
    Setup(cli::setup::SetupArgs),
    /// Prove the whole loop: a verification session handed off, its ticket checked, a rep's public reply, the
    /// signed webhook to the relay, the reply on the session; then the ticket is deleted. Exit 14 names the
    /// failing step with its fix.
    Verify(cli::verify::VerifyArgs),
    /// Troubleshoot a symptom (or all of them): each runs its probes and prints the cause, the fix and the
    /// action. Exit 15 when a cause was found.
    Doctor(cli::doctor::DoctorArgs),
    /// Rotate the Zendesk credentials, the webhook URL's key (24 h grace) or Zendesk's signing secret.
    Rotate(cli::rotate::RotateArgs),
    /// Delete our trigger and webhook in Zendesk, revoke our token, wipe the keychain entries and forget the
    /// connection; tickets stay. Lists what it will delete and asks, unless --yes.
    Disconnect(cli::disconnect::DisconnectArgs),
}

fn main() -> ExitCode {
    let Cli { global, command } = Cli::parse();
    cli::install_logging();
    let json = global.json;
    cli::block_on(json, async move {
        let context = match cli::Context::open(global) {
            Ok(context) => context,
            Err(exit) => return exit,
        };
        match command {
            Command::Connect(args) => cli::connect::run(&context, args).await,
            Command::Status(args) => cli::status::run(&context, args).await,
            Command::Demo(args) => cli::demo::run(&context, args).await,
            Command::Serve(args) => cli::serve::run(&context, args).await,
            Command::Session(args) => cli::session::run(&context, args).await,
            Command::Config(args) => cli::config::run(&context, args).await,
            Command::ApiKey(args) => cli::api_key::run(&context, args).await,
            Command::Bench(args) => cli::bench::run(&context, args).await,
            Command::Relay(args) => cli::relay::run(&context, args).await,
            Command::Fields(args) => cli::fields::run(&context, args).await,
            Command::LlmKey(args) => cli::llm_key::run(&context, args).await,
            Command::Setup(args) => cli::setup::run(&context, args).await,
            Command::Verify(args) => cli::verify::run(&context, args).await,
            Command::Doctor(args) => cli::doctor::run(&context, args).await,
            Command::Rotate(args) => cli::rotate::run(&context, args).await,
            Command::Disconnect(args) => cli::disconnect::run(&context, args).await,
        }
    })
}
