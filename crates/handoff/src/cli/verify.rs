//! `handoff verify [--manual] [--as-agent ID] [--listen ADDR]`: the end-to-end verification from a terminal,
//! each step printed as it starts and ends with its time, and on failure its cause and fix.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;
use handoff::verify::{
    self, RelayChoice, RelayUse, Replier, StepState, VerifyError, VerifyEvent, VerifyOptions,
    VerifyReport,
};
use serde_json::json;

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
#[command(
    after_help = "Exit codes: 0 every step passed; 5 not connected; 14 a step failed (its cause and fix are \
                  printed); 1 the data folder could not be read or written."
)]
pub struct VerifyArgs {
    /// Wait for your own public reply in Zendesk instead of replying as a rep (prints the ticket's link).
    #[arg(long, conflicts_with = "as_agent")]
    manual: bool,
    /// Reply as this agent (default: the default agent, else the first active full agent who is not the
    /// integration's own user).
    #[arg(long, value_name = "ID")]
    as_agent: Option<u64>,
    /// Where the relay listens (default: the public URL's address when it is on this machine, else
    /// 127.0.0.1:8750). When nothing listens there, the verification hosts a relay there while it runs.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// How long `--manual` waits for your reply, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = verify::MANUAL_WAIT.as_secs())]
    wait: u64,
}

pub async fn run(context: &Context, args: VerifyArgs) -> ExitCode {
    let json = context.json;
    let options = VerifyOptions {
        replier: match (args.manual, args.as_agent) {
            (true, _) => Replier::Manual {
                wait: std::time::Duration::from_secs(args.wait),
            },
            (false, Some(id)) => Replier::Agent(id),
            (false, None) => Replier::Auto,
        },
        relay: RelayChoice::Auto {
            listen: args.listen,
        },
        ..VerifyOptions::default()
    };
    let outcome = verify::run(&context.profile, &context.clock, options, |event| {
        if json {
            // The link must reach the admin even in JSON mode: stderr keeps stdout one document.
            if let VerifyEvent::AwaitingReply { ticket_id, link } = event {
                eprintln!("Reply publicly to ticket #{ticket_id} in Zendesk: {link}");
            }
        } else {
            print_event(event);
        }
    })
    .await;
    let report = match outcome {
        Ok(report) => report,
        Err(VerifyError::NotConnected) => {
            return fail(
                Exit::NotConnected,
                &VerifyError::NotConnected.to_string(),
                json,
            )
        }
        Err(error) => return fail(Exit::Internal, &error.to_string(), json),
    };
    if json {
        print_json(&report_json(&report));
    } else if report.passed {
        println!(
            "\nVerified end to end in {:.1} s: a handoff makes its ticket, and a rep's reply comes back to \
             the session.",
            report.wall.as_secs_f64()
        );
    } else if let Some(step) = report.failed_step() {
        println!(
            "\nVerification failed at “{}”. Fix it as said above, then run `handoff verify` again.",
            step.id.label()
        );
    }
    if report.passed {
        ExitCode::SUCCESS
    } else {
        Exit::VerifyFailed.into()
    }
}

fn print_event(event: &VerifyEvent) {
    match event {
        VerifyEvent::Relay(RelayUse::Running { address }) => {
            println!("Using the relay that listens on {address}.")
        }
        VerifyEvent::Relay(RelayUse::Hosted { address }) => println!(
            "No relay runs on this data folder: hosting one on {address} while the verification runs."
        ),
        VerifyEvent::Relay(RelayUse::Caller) => {}
        VerifyEvent::AwaitingReply { ticket_id, link } => {
            println!("       Reply publicly to ticket #{ticket_id} in Zendesk, as yourself:");
            println!("       {link}");
        }
        VerifyEvent::Step(step) => {
            let mark = match step.state {
                StepState::Running => {
                    println!("[....] {}…", step.id.label());
                    return;
                }
                StepState::Passed => "ok  ",
                StepState::Failed => "FAIL",
                StepState::Skipped => "skip",
            };
            let time = step
                .duration
                .map(|d| format!(" ({} ms)", d.as_millis()))
                .unwrap_or_default();
            println!("[{mark}] {}{time}: {}", step.id.label(), step.detail);
            if let Some(cause) = &step.cause {
                println!("       cause: {cause}");
            }
            if let Some(fix) = &step.fix {
                println!("       fix:   {fix}");
            }
        }
    }
}

/// The report as one JSON document (keys are a contract with scripts).
pub fn report_json(report: &VerifyReport) -> serde_json::Value {
    let relay = report.relay.as_ref().map(|relay| match relay {
        RelayUse::Running { address } => json!({"kind": "running", "address": address.to_string()}),
        RelayUse::Hosted { address } => json!({"kind": "hosted", "address": address.to_string()}),
        RelayUse::Caller => json!({"kind": "caller", "address": null}),
    });
    json!({
        "passed": report.passed,
        "failed_step": report.failed_step().map(|s| s.id.as_str()),
        "wall_ms": report.wall.as_millis() as u64,
        "started_at": report.started_at.to_string(),
        "finished_at": report.finished_at.to_string(),
        "relay": relay,
        "session_id": report.session_id.map(|id| id.to_string()),
        "ticket_id": report.ticket_id,
        "replier": report.replier.as_ref().map(|u| json!({"id": u.id, "name": u.name, "role": u.role})),
        "steps": report.steps.iter().map(verify::step_json).collect::<Vec<_>>(),
    })
}
