//! `handoff disconnect [--yes] [--forget-data] [--local-only]`: lists what will be deleted, asks (on a
//! terminal), then deletes our trigger, our webhook, revokes our OAuth token, wipes the keychain entries and
//! forgets the connection. Tickets stay. With `--json` there is nobody to ask: `--yes` is required.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;
use handoff::disconnect::{self, DisconnectError, DisconnectOptions, Plan, StepState};
use serde_json::json;

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
#[command(
    after_help = "Exit codes: 0 disconnected; 2 not confirmed and no terminal to ask on (pass --yes); 4 keychain \
                  unavailable; 5 not connected; 6 reconnect required (use --local-only); 7 Zendesk could not be \
                  asked; 13 Zendesk refused a deletion; 16 not confirmed at the prompt. On 6, 7 and 13 nothing \
                  after the failed step was removed: run it again."
)]
pub struct DisconnectArgs {
    /// Do not ask: disconnect at once (required with --json).
    #[arg(long)]
    yes: bool,
    /// Also forget the conversations (sessions, deliveries, queues), the session link key and the LLM key.
    #[arg(long)]
    forget_data: bool,
    /// Leave Zendesk alone (the account is gone or refuses the credentials): delete the trigger and webhook in
    /// Admin Center yourself.
    #[arg(long)]
    local_only: bool,
}

pub async fn run(context: &Context, args: DisconnectArgs) -> ExitCode {
    let json = context.json;
    let options = DisconnectOptions {
        forget_data: args.forget_data,
        local_only: args.local_only,
    };
    let plan = match disconnect::plan(&context.profile, options) {
        Ok(plan) => plan,
        Err(error) => return failed(&error, json),
    };
    if !args.yes {
        if json {
            return fail(
                Exit::Usage,
                "disconnect deletes our trigger, webhook and secrets: with --json there is nobody to ask, so \
                 pass --yes",
                json,
            );
        }
        print_plan(&plan);
        if !std::io::stdin().is_terminal() {
            return fail(
                Exit::Usage,
                "not confirmed: there is no terminal to ask on; pass --yes to disconnect",
                json,
            );
        }
        print!("Type yes to disconnect: ");
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if answer.trim() != "yes" {
            println!("Not disconnected; nothing was changed.");
            return Exit::Cancelled.into();
        }
    }
    let outcome = disconnect::run(&context.profile, &context.clock, options, |step| {
        if !json && step.state != StepState::Running {
            let mark = match step.state {
                StepState::Done => "ok  ",
                StepState::Warning => "warn",
                StepState::Skipped => "skip",
                StepState::Failed => "FAIL",
                StepState::Running => "....",
            };
            println!("[{mark}] {}", step.detail);
        }
    })
    .await;
    match outcome {
        Ok(report) => {
            if json {
                print_json(&json!({
                    "disconnected": true,
                    "plan": plan_json(&plan),
                    "steps": report.steps.iter().map(|s| json!({
                        "id": s.id.as_str(),
                        "state": s.state.as_str(),
                        "detail": s.detail,
                    })).collect::<Vec<_>>(),
                }));
            } else {
                println!(
                    "Disconnected from {}. The tickets stay in Zendesk.",
                    plan.account
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => failed(&error, json),
    }
}

fn print_plan(plan: &Plan) {
    println!("Disconnecting from {} will:", plan.account);
    if let Some(id) = &plan.trigger {
        println!("  - delete our trigger {id} in Zendesk");
    }
    if let Some(id) = &plan.webhook {
        println!("  - delete our webhook {id} in Zendesk");
    }
    if plan.revoke_token {
        println!("  - revoke our OAuth token");
    }
    println!("  - wipe the keychain entries {}", plan.keychain.join(", "));
    println!("  - forget the connection");
    println!("It keeps:");
    for kept in &plan.kept {
        println!("  - {kept}");
    }
    if plan.keeps_data {
        println!("  (--forget-data removes the conversations and the session link key too)");
    }
}

fn plan_json(plan: &Plan) -> serde_json::Value {
    json!({
        "account": plan.account,
        "auth_method": plan.auth_method.as_str(),
        "trigger": plan.trigger,
        "webhook": plan.webhook,
        "revoke_token": plan.revoke_token,
        "keychain": plan.keychain,
        "kept": plan.kept,
    })
}

fn failed(error: &DisconnectError, json: bool) -> ExitCode {
    let code = match error {
        DisconnectError::NotConnected => Exit::NotConnected,
        DisconnectError::ReconnectRequired(_) => Exit::ReconnectRequired,
        error if error.unreachable() => Exit::ZendeskUnknown,
        DisconnectError::Zendesk { .. } => Exit::SetupRefused,
        DisconnectError::Keychain(_)
        | DisconnectError::Connect(handoff::ConnectError::Keychain(_)) => Exit::Keychain,
        _ => Exit::Internal,
    };
    fail(code, &error.to_string(), json)
}
