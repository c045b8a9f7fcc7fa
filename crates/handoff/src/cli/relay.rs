//! `handoff relay url|deliveries|replay|trigger|outbound-secret`: the relay console (like `stripe listen`).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use handoff::relay::keys::RelaySecrets;
use handoff::relay::{payload, signature, url};
use handoff::settings::Settings;
use handoff::store::DeliveryRow;
use serde_json::{json, Value};

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
pub struct RelayArgs {
    #[command(subcommand)]
    command: RelayCommand,
}

#[derive(Subcommand)]
enum RelayCommand {
    /// The signed webhook URL Zendesk posts to (`{public-url}/zendesk/{org}/{key}.{tag}`).
    Url,
    /// The deliveries Zendesk made: time, verdict (or why refused), ticket, what became of each.
    Deliveries {
        /// Keep printing new ones as they arrive, until Ctrl-C.
        #[arg(long)]
        follow: bool,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Handle a stored delivery again (a running `handoff serve` picks it up).
    Replay { id: i64 },
    /// Send a correctly signed test delivery to this relay's own URL, as Zendesk would.
    Trigger {
        /// The ticket the test delivery announces (default: the newest session's ticket).
        #[arg(long)]
        ticket: Option<u64>,
    },
    /// The secret the AI platform checks the relay's messages with (Standard Webhooks); `--rotate` makes a new one.
    OutboundSecret {
        #[arg(long)]
        rotate: bool,
    },
}

pub async fn run(context: &Context, args: RelayArgs) -> ExitCode {
    let json = context.json;
    let store = context.profile.store().clone();
    let keychain = match context.profile.keychain() {
        Ok(keychain) => keychain,
        Err(error) => return fail(Exit::Internal, &error.to_string(), json),
    };
    let secrets = RelaySecrets::new(keychain, store.clone(), context.clock.clone());
    let settings = Settings::new(store.clone());
    match args.command {
        RelayCommand::Url => {
            let public_url = match settings.public_url() {
                Ok(url) => url,
                Err(error) => return fail(Exit::Internal, &error.to_string(), json),
            };
            let key = match secrets.current_url_key().await {
                Ok(key) => key,
                Err(error) => return fail(Exit::Keychain, &error.to_string(), json),
            };
            let full = url::webhook_url(&public_url, context.profile.install_id(), &key);
            if json {
                print_json(&json!({
                    "url": full,
                    "redacted": url::redacted(&full),
                    "key_id": key.id,
                    "public_url": public_url.as_str(),
                }));
            } else {
                println!("{full}");
            }
            ExitCode::SUCCESS
        }
        RelayCommand::Deliveries { follow, limit } => {
            let mut after = 0;
            let mut first = true;
            loop {
                let rows = if first {
                    store.recent_deliveries(0, limit.clamp(1, 1000))
                } else {
                    store.recent_deliveries(after, 1000)
                };
                let rows = match rows {
                    Ok(rows) => rows,
                    Err(error) => return fail(Exit::Internal, &error.to_string(), json),
                };
                if json && !follow {
                    let list: Vec<Value> = rows.iter().map(delivery_json).collect();
                    print_json(&json!({ "deliveries": list }));
                    return ExitCode::SUCCESS;
                }
                if !json && first && rows.is_empty() {
                    println!("No deliveries yet. Zendesk posts here once setup is done and a rep replies publicly.");
                }
                for row in &rows {
                    after = after.max(row.id);
                    if json {
                        print_json(&delivery_json(row));
                    } else {
                        println!("{}", delivery_line(row));
                    }
                }
                let _ = std::io::stdout().flush();
                first = false;
                if !follow {
                    return ExitCode::SUCCESS;
                }
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => return ExitCode::SUCCESS,
                    () = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        }
        RelayCommand::Replay { id } => match store.requeue_delivery(id) {
            Ok(true) => {
                if json {
                    print_json(&json!({ "id": id, "requeued": true }));
                } else {
                    println!("Delivery {id} is queued again; a running `handoff serve` handles it within a second.");
                }
                ExitCode::SUCCESS
            }
            Ok(false) => fail(
                Exit::Usage,
                &format!("no accepted delivery has id {id}: `handoff relay deliveries` lists them (refused ones are never replayed)"),
                json,
            ),
            Err(error) => fail(Exit::Internal, &error.to_string(), json),
        },
        RelayCommand::Trigger { ticket } => trigger(context, &secrets, &settings, ticket).await,
        RelayCommand::OutboundSecret { rotate } => {
            let secret = if rotate { secrets.rotate_outbound_secret().await } else { secrets.outbound_secret().await };
            match secret {
                Ok(secret) => {
                    if json {
                        print_json(&json!({ "secret": secret.expose_secret(), "rotated": rotate }));
                    } else {
                        println!("{}", secret.expose_secret());
                    }
                    ExitCode::SUCCESS
                }
                Err(error) => fail(Exit::Keychain, &error.to_string(), json),
            }
        }
    }
}

async fn trigger(
    context: &Context,
    secrets: &RelaySecrets,
    settings: &Settings,
    ticket: Option<u64>,
) -> ExitCode {
    let json = context.json;
    let ticket = match ticket {
        Some(ticket) => ticket,
        None => match context.profile.store().list_sessions(50) {
            Ok(sessions) => match sessions.iter().find_map(|s| s.ticket_id) {
                Some(ticket) => ticket,
                None => {
                    return fail(
                        Exit::Usage,
                        "no session has a ticket yet: pass --ticket ID",
                        json,
                    )
                }
            },
            Err(error) => return fail(Exit::Internal, &error.to_string(), json),
        },
    };
    let (public_url, key) = match (settings.public_url(), secrets.current_url_key().await) {
        (Ok(public_url), Ok(key)) => (public_url, key),
        (Err(error), _) => return fail(Exit::Internal, &error.to_string(), json),
        (_, Err(error)) => return fail(Exit::Keychain, &error.to_string(), json),
    };
    let target = url::webhook_url(&public_url, context.profile.install_id(), &key);
    let body = payload::TRIGGER_BODY
        .replace("{{ticket.id}}", &ticket.to_string())
        .replace("{{ticket.external_id}}", "")
        .replace("{{ticket.status}}", "Open")
        .replace(
            "{{ticket.latest_public_comment}}",
            "Test delivery from handoff relay trigger",
        )
        .replace("{{current_user.id}}", "");
    let now = context.clock.now();
    let invocation = format!("test-{}", ulid::Ulid::new());
    let mut request = reqwest::Client::new()
        .post(&target)
        .timeout(Duration::from_secs(10))
        .header("content-type", "application/json")
        .header("x-zendesk-webhook-invocation-id", &invocation)
        .body(body.clone());
    let signed = match secrets.signing_secrets().await {
        Ok(Some(_)) => true,
        Ok(None) => false,
        Err(error) => return fail(Exit::Keychain, &error.to_string(), json),
    };
    if let Ok(Some(secret)) = secrets.current_signing_secret().await {
        let timestamp = signature::timestamp(now);
        request = request
            .header(signature::TIMESTAMP_HEADER, &timestamp)
            .header(
                signature::SIGNATURE_HEADER,
                signature::sign(&secret, &timestamp, body.as_bytes()),
            );
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let answer: Value = response.json().await.unwrap_or_default();
            if json {
                print_json(&json!({ "url": url::redacted(&target), "status": status, "signed": signed, "answer": answer }));
            } else {
                println!("Sent a {} test delivery for ticket {ticket} to {}: the relay answered {status}.", if signed { "signed" } else { "unsigned (no signing secret yet: run `handoff setup`)" }, url::redacted(&target));
            }
            if (200..300).contains(&status) { ExitCode::SUCCESS } else { Exit::Internal.into() }
        }
        Err(error) => fail(
            Exit::Internal,
            &format!("the relay at {} did not answer ({error}); is `handoff serve` running, and is public-url right?", url::redacted(&target)),
            json,
        ),
    }
}

fn delivery_json(row: &DeliveryRow) -> Value {
    json!({
        "id": row.id,
        "received_at": row.received_at,
        "verdict": row.verdict,
        "reason": row.reason,
        "signed": row.signed,
        "invocation_id": row.invocation_id,
        "ticket_id": row.ticket_id,
        "state": row.state,
        "outcome": row.outcome,
        "duplicates": row.duplicates,
    })
}

fn delivery_line(row: &DeliveryRow) -> String {
    let ticket = row
        .ticket_id
        .map(|t| format!("ticket {t}"))
        .unwrap_or_else(|| "-".into());
    let verdict = match (&row.verdict[..], &row.reason) {
        ("rejected", Some(reason)) => format!("REFUSED: {reason}"),
        _ if row.duplicates > 0 => format!("accepted (+{} repeats)", row.duplicates),
        _ => row.verdict.clone(),
    };
    let outcome = row.outcome.as_deref().unwrap_or(&row.state);
    format!(
        "{:>6}  {}  {verdict:<24} {ticket:<14} {outcome}",
        row.id, row.received_at
    )
}
