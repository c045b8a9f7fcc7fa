//! `handoff api-key new|list|revoke`: the bearer keys of the sessions API. A new key is printed once; only its
//! hash is kept.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use handoff::api::{ApiKeyError, ApiKeys};
use serde_json::json;

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
pub struct ApiKeyArgs {
    #[command(subcommand)]
    command: ApiKeyCommand,
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Make a key and print it, once: store it in the AI platform's secrets right away.
    New {
        /// What the key is for, shown by `list` (e.g. ai-platform-prod).
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        label: String,
    },
    /// The keys, without their secret part.
    List,
    /// Revoke a key at once: requests with it get 401 from then on.
    Revoke { id: String },
}

pub async fn run(context: &Context, args: ApiKeyArgs) -> ExitCode {
    let json = context.json;
    let keys = ApiKeys::new(context.profile.store().clone(), context.clock.clone());
    let outcome = match args.command {
        ApiKeyCommand::New { label } => keys.create(&label).map(|made| {
            if json {
                print_json(&json!({ "id": made.id, "label": made.label, "key": made.key.expose_secret() }));
            } else {
                println!("{}", made.key.expose_secret());
                eprintln!(
                    "API key {} made; it is shown only this once: send it as `Authorization: Bearer <key>`.",
                    made.id
                );
            }
        }),
        ApiKeyCommand::List => keys.list().map(|rows| {
            if json {
                let keys: Vec<_> = rows
                    .iter()
                    .map(|row| json!({ "id": row.id, "label": row.label, "created_at": row.created_at, "revoked_at": row.revoked_at }))
                    .collect();
                print_json(&json!({ "keys": keys }));
            } else if rows.is_empty() {
                println!("No API keys. Make one with `handoff api-key new --label NAME`.");
            } else {
                for row in rows {
                    let state = match &row.revoked_at {
                        Some(at) => format!("revoked {at}"),
                        None => "active".to_owned(),
                    };
                    println!("{}  {:<24} made {}  {state}", row.id, row.label, row.created_at);
                }
            }
        }),
        ApiKeyCommand::Revoke { id } => keys.revoke(&id).map(|()| {
            if json {
                print_json(&json!({ "id": id.trim(), "revoked": true }));
            } else {
                println!("Revoked {}.", id.trim());
            }
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error @ (ApiKeyError::Label(_) | ApiKeyError::NotFound(_))) => {
            fail(Exit::Usage, &error.to_string(), json)
        }
        Err(error) => fail(Exit::Internal, &error.to_string(), json),
    }
}
