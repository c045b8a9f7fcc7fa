//! `handoff setup [--dry-run] [--fix ITEM]`: one-click setup from a terminal. Each step is printed as it starts
//! and ends; `--dry-run` prints the plan and writes nothing; `--fix` repairs one checklist item.

use std::process::ExitCode;

use clap::Args;
use handoff::keychain::KeychainError;
use handoff::relay::keys::RelayKeyError;
use handoff::setup::{self, Scope, SetupError, SetupEvent, SetupOptions, StepState};
use handoff::ConnectError;
use serde_json::json;

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
pub struct SetupArgs {
    /// Read the account and print what would be done; write nothing (to Zendesk, the keychain or the
    /// database).
    #[arg(long)]
    dry_run: bool,
    /// Repair one checklist item only: `webhook`, `trigger`, `signing-secret`, or `double-delivery`. The last
    /// changes Zendesk's own requester-notifying triggers (adds a tag guard); naming it is your consent.
    #[arg(long, value_name = "ITEM")]
    fix: Option<String>,
}

pub async fn run(context: &Context, args: SetupArgs) -> ExitCode {
    let json = context.json;
    let scope = match args.fix.as_deref() {
        None => Scope::All,
        Some(text) => match Scope::parse(text) {
            Some(scope) => scope,
            None => {
                return fail(
                    Exit::Usage,
                    &format!(
                        "--fix {}: use webhook, trigger, signing-secret or double-delivery",
                        handoff::message::quote(text)
                    ),
                    json,
                )
            }
        },
    };
    let options = SetupOptions {
        dry_run: args.dry_run,
        scope,
    };
    let mut states: Vec<&'static str> = Vec::new();
    let outcome = setup::run(&context.profile, &context.clock, options, |event| {
        match &event {
            SetupEvent::Step { index, state, .. } => {
                if let Some(slot) = states.get_mut(*index) {
                    *slot = state.as_str();
                }
            }
            SetupEvent::Planned(steps) => states = vec!["planned"; steps.len()],
            SetupEvent::Reading => {}
        }
        if !json {
            print_event(&event, args.dry_run);
        }
    })
    .await;
    let report = match outcome {
        Ok(report) => report,
        Err(error) => {
            let code = exit_of(&error);
            if json {
                print_json(&json!({
                    "error": { "code": code as u8, "message": error.to_string() },
                    "steps": states,
                }));
                return code.into();
            }
            return fail(code, &error.to_string(), false);
        }
    };
    if json {
        let steps: Vec<serde_json::Value> = report
            .steps
            .iter()
            .enumerate()
            .map(|(index, step)| {
                json!({
                    "action": step.action(),
                    "summary": step.summary,
                    "writes_zendesk": step.writes_zendesk(),
                    "state": if report.dry_run { "planned" } else { states.get(index).copied().unwrap_or("done") },
                    "done": report.done.get(index),
                })
            })
            .collect();
        print_json(&json!({
            "dry_run": report.dry_run,
            "scope": report.scope.as_str(),
            "changed": report.changed_zendesk(),
            "steps": steps,
            "webhook_id": report.webhook_id,
            "trigger_id": report.trigger_id,
            "url": report.url,
        }));
    } else if report.steps.is_empty() {
        println!(
            "Nothing to do: the webhook, its signing secret and the trigger are as they must be."
        );
    } else if report.dry_run {
        println!("Dry run: nothing was changed. Run `handoff setup` to do it.");
    } else {
        println!("Done. `handoff status` shows the checklist.");
    }
    ExitCode::SUCCESS
}

fn print_event(event: &SetupEvent, dry_run: bool) {
    match event {
        SetupEvent::Reading => println!("Reading the webhook and the trigger in Zendesk…"),
        SetupEvent::Planned(steps) if dry_run && !steps.is_empty() => {
            println!("Setup would:");
            for step in steps {
                println!("  - {}", step.summary);
            }
        }
        SetupEvent::Planned(_) => {}
        SetupEvent::Step { state, detail, .. } => {
            let mark = match state {
                StepState::Running => "....",
                StepState::Done => "ok  ",
                StepState::Failed => "FAIL",
            };
            println!("[{mark}] {detail}");
        }
    }
}

fn exit_of(error: &SetupError) -> Exit {
    match error {
        SetupError::NotConnected => Exit::NotConnected,
        SetupError::ReconnectRequired(_) => Exit::ReconnectRequired,
        error if error.unreachable() => Exit::ZendeskUnknown,
        SetupError::Zendesk { .. } | SetupError::NeedsWebhook(_) => Exit::SetupRefused,
        SetupError::Keychain(_)
        | SetupError::Connect(ConnectError::Keychain(_))
        | SetupError::Keys(RelayKeyError::Keychain(_)) => Exit::Keychain,
        _ => Exit::Internal,
    }
}

/// Whether a keychain failure is behind `error` (the status command maps it the same way).
pub fn is_keychain(error: &SetupError) -> Option<&KeychainError> {
    match error {
        SetupError::Keychain(error)
        | SetupError::Connect(ConnectError::Keychain(error))
        | SetupError::Keys(RelayKeyError::Keychain(error)) => Some(error),
        _ => None,
    }
}
