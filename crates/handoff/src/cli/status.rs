//! `handoff status`: the saved connection, after resolving an interrupted refresh; with `--verify`, whether
//! Zendesk still accepts the saved credentials.

use std::process::ExitCode;

use clap::Args;
use handoff::account::{self, Liveness};
use handoff::profile;
use serde_json::{json, Value};

use super::{connection_json, fail, print_connection, print_json, Context, Exit};

#[derive(Args)]
pub struct StatusArgs {
    /// Also ask Zendesk whether the saved credentials still work, renewing an OAuth token when due.
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
    let checked = if args.verify {
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
        return Exit::NotConnected.into();
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
        Exit::ReconnectRequired.into()
    } else if unknown.is_some() {
        Exit::ZendeskUnknown.into()
    } else {
        ExitCode::SUCCESS
    }
}
