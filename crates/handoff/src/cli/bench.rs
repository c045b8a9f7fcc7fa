//! `handoff bench ...`: benchmarks that print one JSON object of figures and ratios measured in one run.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use serde_json::json;
use zendesk_sim::{Seed, SimConfig};

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
#[command(
    after_help = "Exit codes: 0 measured (whatever the figures); 1 the measurement could not run."
)]
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
    /// The one-click verification's wall time at a simulated latency per Zendesk request, against its round
    /// trips (the critical path of sequential requests, plus the trigger's webhook hop). Target: `wall_ms` at
    /// most `round_trips` x `latency_ms` + 20 % (`budget_ms`), and under 3 s.
    Verify {
        /// Latency added to every simulated Zendesk call.
        #[arg(long, default_value_t = 100)]
        latency_ms: u64,
        /// Verifications to run (`wall_ms` is their median).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Load a generated account's ticket fields (1,000 fields, 20,000 options by default) at a simulated
    /// latency per request, through the client's cursor pagination, into a fresh cache. Target: `load_ms` at
    /// most `pages` x `latency_ms` + 10 %.
    Fields {
        /// Custom fields in the generated account (four in five are dropdowns).
        #[arg(long, default_value_t = 1_000)]
        fields: usize,
        /// Dropdown options in all.
        #[arg(long, default_value_t = 20_000)]
        options: usize,
        /// Latency the simulator adds to every request, in milliseconds.
        #[arg(long, default_value_t = 100)]
        latency_ms: u64,
    },
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
        BenchCommand::Verify { latency_ms, runs } => {
            handoff::bench::verify::run(
                context.profile.secret_store(),
                Duration::from_millis(latency_ms),
                runs,
            )
            .await
        }
        BenchCommand::Fields {
            fields,
            options,
            latency_ms,
        } => return bench_fields(context, fields, options, latency_ms).await,
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

async fn bench_fields(
    context: &Context,
    fields: usize,
    options: usize,
    latency_ms: u64,
) -> ExitCode {
    let json = context.json;
    let sim = match zendesk_sim::spawn(SimConfig {
        seed: Seed::ManyFields { fields, options },
        latency: Duration::from_millis(latency_ms),
        ..SimConfig::default()
    })
    .await
    {
        Ok(sim) => sim,
        Err(error) => {
            return fail(
                Exit::Internal,
                &format!("the simulator could not start: {error}"),
                json,
            )
        }
    };
    let admin = sim.sim.admin();
    let client = url::Url::parse(&sim.base_url)
        .map_err(|e| e.to_string())
        .and_then(|base| {
            zendesk::Client::new(zendesk::ClientConfig::new(
                base,
                zendesk::Auth::ApiToken {
                    email: admin.email.clone(),
                    token: zendesk::SecretString::from(admin.token.clone()),
                },
            ))
            .map_err(|e| e.to_string())
        });
    let client = match client {
        Ok(client) => client,
        Err(error) => return fail(Exit::Internal, &error, json),
    };
    // A cache of its own, so the profile's is left as it is.
    let dir = std::env::temp_dir().join(format!(
        "handoff-bench-fields-{}-{}",
        std::process::id(),
        ulid::Ulid::new()
    ));
    let store = match handoff::store::Store::open(&dir) {
        Ok(store) => store,
        Err(error) => return fail(Exit::Internal, &error.to_string(), json),
    };
    sim.sim.clear_requests();
    let started = Instant::now();
    let fetched = handoff::fields::catalog::fetch(&client, &store, context.clock.now()).await;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let pages = sim
        .sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/v2/ticket_fields"))
        .count();
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = sim.stop().await;
    let fetched = match fetched {
        Ok(fetched) => fetched,
        Err(error) => return super::fields::failed(&error, json),
    };
    let target_ms = pages as f64 * latency_ms as f64 * 1.1;
    let report = json!({
        "load_ms": (load_ms * 10.0).round() / 10.0,
        "pages": pages,
        "latency_ms": latency_ms,
        "fields": fetched.fields,
        "options": fetched.options,
        "target_ms": (target_ms * 10.0).round() / 10.0,
        "within_target": load_ms <= target_ms,
    });
    if json {
        print_json(&report);
    } else {
        println!(
            "Loaded {} fields ({} options) in {:.0} ms over {pages} pages at {latency_ms} ms each (target {:.0} ms)",
            fetched.fields, fetched.options, load_ms, target_ms
        );
    }
    ExitCode::SUCCESS
}
