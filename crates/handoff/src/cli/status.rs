//! `handoff status`: the saved connection, whether Zendesk still accepts it (resolving an interrupted token
//! refresh on the way), and the setup checklist with each item's evidence and fix.
//!
//! Exit codes, in this order of precedence: 5 not connected; 6 reconnect required; 7 Zendesk could not be
//! asked; 12 an item is failing; 11 warnings only; 0 everything ok (an item may stay unknown without a
//! problem, e.g. a verification never run).

use std::process::ExitCode;

use clap::Args;
use handoff::account::Liveness;
use handoff::profile;
use handoff::setup::checklist::{self, Checklist, Item, ItemState, NoMappedFields};
use serde_json::{json, Value};

use super::{connection_json, fail, print_connection, print_json, Context, Exit};

#[derive(Args)]
pub struct StatusArgs {
    /// Kept for scripts: Zendesk is always asked now (the checklist reads the account), renewing an OAuth
    /// token when due.
    #[arg(long)]
    verify: bool,
}

pub async fn run(context: &Context, args: StatusArgs) -> ExitCode {
    let Context {
        profile,
        clock,
        json,
    } = context;
    let json = *json;
    let _ = args.verify;
    let connected = match profile::status(profile, clock.now()) {
        Ok(status) => status.connection.is_some(),
        Err(error) => return fail(Exit::Internal, &error.to_string(), json),
    };
    if !connected {
        if json {
            print_json(&json!({ "connected": false, "connection": null }));
        } else {
            println!("Not connected. Run `handoff connect` or `handoff demo`.");
        }
        return Exit::NotConnected.into();
    }
    let checklist = match checklist::refresh(profile, clock, &NoMappedFields).await {
        Ok(checklist) => checklist,
        Err(error) => {
            let code = match super::setup::is_keychain(&error) {
                Some(_) => Exit::Keychain,
                None if matches!(error, handoff::setup::SetupError::NotConnected) => {
                    Exit::NotConnected
                }
                None => Exit::Internal,
            };
            return fail(code, &error.to_string(), json);
        }
    };
    let now = clock.now();
    let connection = &checklist.connection;
    let unknown = match &checklist.liveness {
        Liveness::Unknown { reason } => Some(reason.clone()),
        _ => None,
    };
    let summary = checklist.summary();
    if json {
        print_json(&json!({
            "connected": true,
            "connection": connection_json(connection, now),
            "verified": match &checklist.liveness {
                Liveness::Working { .. } => json!(true),
                Liveness::ReconnectRequired { .. } => json!(false),
                Liveness::Unknown { .. } => Value::Null,
            },
            "unreachable": unknown,
            "checklist": checklist.items.iter().map(Item::json).collect::<Vec<_>>(),
            "summary": {
                "ok": summary.ok,
                "warning": summary.warning,
                "failing": summary.failing,
                "unknown": summary.unknown,
                "zendesk_unreachable": summary.zendesk_unreachable,
            },
            "refreshed_at": checklist.refreshed_at.to_string(),
        }));
    } else {
        print_connection(connection, now);
        match &checklist.liveness {
            Liveness::Working { .. } => println!("  Zendesk accepts the saved credentials."),
            Liveness::Unknown { reason } => {
                println!("  Zendesk could not be asked whether the credentials work: {reason}")
            }
            Liveness::ReconnectRequired { .. } => {}
        }
        print_checklist(&checklist);
    }
    if connection.reconnect_required.is_some()
        || matches!(checklist.liveness, Liveness::ReconnectRequired { .. })
    {
        Exit::ReconnectRequired.into()
    } else if unknown.is_some() {
        Exit::ZendeskUnknown.into()
    } else if summary.failing > 0 {
        Exit::ChecklistFailing.into()
    } else if summary.zendesk_unreachable {
        Exit::ZendeskUnknown.into()
    } else if summary.warning > 0 {
        Exit::ChecklistWarnings.into()
    } else {
        ExitCode::SUCCESS
    }
}

fn print_checklist(checklist: &Checklist) {
    println!();
    println!("Setup checklist:");
    for item in &checklist.items {
        let mark = match item.state {
            ItemState::Ok => "ok  ",
            ItemState::Warning => "warn",
            ItemState::Failing => "FAIL",
            ItemState::Unknown => " ?? ",
        };
        println!("[{mark}] {}: {}", item.id.label(), item.evidence);
        if let (Some(fix), false) = (item.fix, item.state == ItemState::Ok) {
            println!("       fix:   {}", fix.command());
        }
    }
    let summary = checklist.summary();
    println!(
        "{} ok, {} warning(s), {} failing, {} unknown.",
        summary.ok, summary.warning, summary.failing, summary.unknown
    );
}
