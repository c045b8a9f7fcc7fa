//! `handoff bench ...`: benchmarks that print one JSON object of figures and ratios measured in one run.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Zendesk calls per handoff, handoff latency against the simulated round trip, sustained throughput.
    Handoff {
        /// Latency added to every simulated Zendesk call.
        #[arg(long, default_value_t = 100)]
        latency_ms: u64,
    },
    /// The relay's acknowledgement path against a bare handler; acknowledgement and reply latencies.
    Relay,
}

pub async fn run(context: &Context, args: BenchArgs) -> ExitCode {
    let json = context.json;
    let figures = match args.command {
        BenchCommand::Handoff { latency_ms } => {
            handoff::bench::handoff::run(
                context.profile.secret_store(),
                Duration::from_millis(latency_ms),
            )
            .await
        }
        BenchCommand::Relay => handoff::bench::relay::run(context.profile.secret_store()).await,
    };
    match figures {
        // One JSON object either way: a benchmark's output is for scripts and BENCHMARKS.md.
        Ok(figures) => {
            print_json(&figures);
            ExitCode::SUCCESS
        }
        Err(error) => fail(Exit::Internal, &error.to_string(), json),
    }
}
