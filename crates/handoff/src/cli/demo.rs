//! `handoff demo`: a sandbox Zendesk account in this process, connected through the same Verify & Save path a
//! real account takes, until Ctrl-C. `--test-conversation` also hands the sample conversation to it, as the
//! console's "Start a test conversation" does, with the handoff worked in this process.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use handoff::connect::Check;
use handoff::service::Background;
use serde_json::json;

use super::{connection_json, fail, print_check, print_json, Context, Exit};

/// How long `--test-conversation` waits for the sandbox's ticket before it says the handoff is still pending.
const TICKET_WAIT: Duration = Duration::from_secs(30);

#[derive(Args)]
pub struct DemoArgs {
    /// Also start a test conversation (a customer on email whose order did not arrive) and hand it off; prints
    /// its session and the sandbox ticket it became.
    #[arg(long)]
    test_conversation: bool,
}

pub async fn run(context: &Context, args: DemoArgs) -> ExitCode {
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
    let background = Background::new(context.profile.clone(), context.clock.clone());
    let test_conversation = match args.test_conversation {
        true => match test_conversation(context, &background).await {
            Ok(outcome) => Some(outcome),
            Err(exit) => return exit,
        },
        false => None,
    };
    if json {
        let connection = demo
            .report
            .connection
            .as_ref()
            .map(|c| connection_json(c, now));
        print_json(&json!({
            "simulator": demo.simulator.base_url,
            "connection": connection,
            "test_conversation": test_conversation,
        }));
    } else {
        if let Some(outcome) = &test_conversation {
            println!(
                "Test conversation {}: handoff {}{}{}",
                outcome["session_id"].as_str().unwrap_or_default(),
                outcome["state"].as_str().unwrap_or_default(),
                outcome["reason"]
                    .as_str()
                    .map(|reason| format!(" ({reason})"))
                    .unwrap_or_default(),
                outcome["ticket_url"]
                    .as_str()
                    .map(|url| format!(", ticket {url}"))
                    .unwrap_or_default()
            );
        }
        println!(
            "Sandbox Zendesk running at {}. Press Ctrl-C to stop it.",
            demo.simulator.base_url
        );
    }
    let waited = tokio::signal::ctrl_c().await;
    background.stop().await;
    if let Err(error) = waited {
        return fail(
            Exit::Internal,
            &format!("cannot wait for Ctrl-C: {error}"),
            json,
        );
    }
    ExitCode::SUCCESS
}

/// Works the queue here (unless a `handoff serve` does), hands the sample conversation off and waits for its
/// ticket: `{session_id, state, reason, ticket_id, ticket_url}`.
async fn test_conversation(
    context: &Context,
    background: &Background,
) -> Result<serde_json::Value, ExitCode> {
    let json = context.json;
    if let Err(error) = background.start().await {
        return Err(fail(Exit::Internal, &error.to_string(), json));
    }
    let sessions = background.sessions();
    let accepted =
        handoff::demo::start_test_conversation(&context.profile, &sessions, context.clock.now())
            .await
            .map_err(|error| fail(Exit::Internal, &error.to_string(), json))?;
    let status = sessions
        .wait_for_ticket(accepted.session_id, TICKET_WAIT)
        .await
        .map_err(|error| fail(Exit::Internal, &error.to_string(), json))?;
    let ticket_url = status.ticket_id.and_then(|ticket| {
        context
            .profile
            .connection()
            .ok()
            .flatten()
            .map(|c| handoff::handoff::agent_page(&c.base_url, ticket))
    });
    Ok(json!({
        "session_id": accepted.session_id.to_string(),
        "state": status.state.as_str(),
        "reason": status.state.reason(),
        "ticket_id": status.ticket_id,
        "ticket_url": ticket_url,
    }))
}
