//! `handoff demo`: a sandbox Zendesk account in this process, connected through the same Verify & Save path a
//! real account takes, until Ctrl-C.

use std::process::ExitCode;

use handoff::connect::Check;
use serde_json::json;

use super::{connection_json, fail, print_check, print_json, Context, Exit};

pub async fn run(context: &Context) -> ExitCode {
    let json = context.json;
    let now = context.clock.now();
    let on_check = |check: &Check| {
        if !json {
            print_check(check)
        }
    };
    let demo = match handoff::demo::start(&context.profile, now, on_check).await {
        Ok(demo) => demo,
        Err(error) => return fail(Exit::Internal, &error.to_string(), json),
    };
    if json {
        let connection = demo
            .report
            .connection
            .as_ref()
            .map(|c| connection_json(c, now));
        print_json(&json!({ "simulator": demo.simulator.base_url, "connection": connection }));
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
