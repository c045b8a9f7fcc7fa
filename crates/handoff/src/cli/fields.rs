//! `handoff fields`: the account's ticket fields, which ones the AI fills and with what description, and a
//! preview of the fills on a pasted conversation.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use handoff::fields::{self, Field, FieldsError, Refresh};
use serde_json::{json, Value};

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
#[command(
    after_help = "Exit codes: 0 success; 1 internal or storage failure; 2 bad input (an unknown or \
                        unmappable field, an empty description or conversation); 4 keychain unavailable; 5 not \
                        connected; 6 reconnect required; 7 Zendesk could not be asked."
)]
pub struct FieldsArgs {
    #[command(subcommand)]
    command: FieldsCommand,
}

#[derive(Subcommand)]
enum FieldsCommand {
    /// Every ticket field, whether the AI can fill it, and why not. Cached; fetched again when older than
    /// 15 minutes.
    List {
        /// Fetch the fields from Zendesk now.
        #[arg(long)]
        refresh: bool,
    },
    /// Let the AI fill a dropdown or text field, described in your words (for a dropdown, list synonyms per
    /// option as `Option name: word, other word` lines).
    Map {
        /// The field's id (`handoff fields list`).
        id: u64,
        /// What the AI should fill, e.g. "The primary reason the contact is writing. Pick the closest match
        /// from the allowed values."
        #[arg(long, allow_hyphen_values = true)]
        description: String,
    },
    /// Stop filling a field.
    Unmap {
        /// The field's id.
        id: u64,
    },
    /// What each mapped field would get for a conversation: its value, score and why (`value` null when
    /// unsure).
    Preview {
        /// A transcript: one turn per line as `Customer: ...`, `AI: ...` or `Agent: ...`, or plain text; `-`
        /// reads standard input.
        #[arg(long, value_name = "FILE")]
        conversation: std::path::PathBuf,
    },
}

pub async fn run(context: &Context, args: FieldsArgs) -> ExitCode {
    match args.command {
        FieldsCommand::List { refresh } => list(context, refresh).await,
        FieldsCommand::Map { id, description } => map(context, id, &description).await,
        FieldsCommand::Unmap { id } => unmap(context, id).await,
        FieldsCommand::Preview { conversation } => preview(context, &conversation).await,
    }
}

/// The exit code and message of a failure.
pub fn failed(error: &FieldsError, json: bool) -> ExitCode {
    let code = match error {
        FieldsError::NotConnected => Exit::NotConnected,
        FieldsError::UnknownField(_)
        | FieldsError::NotMappable { .. }
        | FieldsError::NotMapped(_)
        | FieldsError::Invalid(_) => Exit::Usage,
        FieldsError::Zendesk(zendesk::Error::BadCredentials { .. })
        | FieldsError::Connect(handoff::ConnectError::Zendesk(zendesk::Error::BadCredentials {
            ..
        })) => Exit::ReconnectRequired,
        FieldsError::Zendesk(_) | FieldsError::Connect(handoff::ConnectError::Zendesk(_)) => {
            Exit::ZendeskUnknown
        }
        FieldsError::Keychain(_) | FieldsError::Connect(handoff::ConnectError::Keychain(_)) => {
            Exit::Keychain
        }
        FieldsError::Connect(_) | FieldsError::Store(_) => Exit::Internal,
    };
    fail(code, &error.to_string(), json)
}

fn field_json(field: &Field) -> Value {
    let mut value = json!({
        "id": field.id,
        "title": field.title,
        "type": field.kind,
        "active": field.active,
        "mappable": field.mappable(),
    });
    if let Some(reason) = field.reason() {
        value["reason"] = json!(reason);
    }
    if !field.options.is_empty() {
        value["options"] = field
            .options
            .iter()
            .map(|o| json!({ "name": o.name, "value": o.value }))
            .collect();
    }
    value
}

async fn list(context: &Context, refresh: bool) -> ExitCode {
    let refresh = if refresh {
        Refresh::Now
    } else {
        Refresh::IfStale
    };
    let overview = match fields::overview(&context.profile, &context.clock, refresh).await {
        Ok(overview) => overview,
        Err(error) => return failed(&error, context.json),
    };
    let catalog = &overview.catalog;
    if context.json {
        print_json(&catalog.fields.iter().map(field_json).collect());
        return ExitCode::SUCCESS;
    }
    let mappable = catalog.fields.iter().filter(|f| f.mappable()).count();
    println!(
        "{} fields ({mappable} the AI can fill), fetched {}",
        catalog.fields.len(),
        catalog.fetched_at
    );
    for field in &catalog.fields {
        let mapped = overview
            .mapped
            .iter()
            .any(|m| m.mapping.field_id == field.id);
        let mark = match (mapped, field.mappable()) {
            (true, _) => "mapped",
            (false, true) => "  ok  ",
            (false, false) => "  --  ",
        };
        let options = match field.options.len() {
            0 => String::new(),
            1 => ", 1 option".to_owned(),
            n => format!(", {n} options"),
        };
        println!(
            "[{mark}] {:>15}  {} ({}{options})",
            field.id, field.title, field.kind
        );
        if let Some(reason) = field.reason() {
            println!("{:>26}{reason}", "");
        }
    }
    for mapped in &overview.mapped {
        if let Some(drift) = &mapped.drift {
            println!("DRIFT: {}", drift.message());
        }
    }
    for dropped in &overview.dropped {
        let title = catalog.field(dropped.field_id).map(|f| f.title.as_str());
        println!("DROPPED: {}", dropped.message(title));
    }
    ExitCode::SUCCESS
}

async fn map(context: &Context, id: u64, description: &str) -> ExitCode {
    match fields::map_field(&context.profile, &context.clock, id, description).await {
        Ok(mapping) => {
            if context.json {
                print_json(&json!({
                    "field_id": mapping.field_id,
                    "title": mapping.title,
                    "type": mapping.kind,
                    "description": mapping.description,
                }));
            } else {
                println!(
                    "Mapped \"{}\" ({}): the AI fills it at handoff.",
                    mapping.title, mapping.field_id
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => failed(&error, context.json),
    }
}

async fn unmap(context: &Context, id: u64) -> ExitCode {
    match fields::unmap_field(&context.profile, id).await {
        Ok(()) => {
            if context.json {
                print_json(&json!({ "field_id": id, "mapped": false }));
            } else {
                println!("Field {id} is no longer filled by the AI.");
            }
            ExitCode::SUCCESS
        }
        Err(error) => failed(&error, context.json),
    }
}

async fn preview(context: &Context, path: &std::path::Path) -> ExitCode {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        match std::io::Read::read_to_string(&mut std::io::stdin(), &mut text) {
            Ok(_) => text,
            Err(error) => {
                return fail(
                    Exit::Usage,
                    &format!("cannot read the conversation from standard input: {error}"),
                    context.json,
                )
            }
        }
    } else {
        match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                return fail(
                    Exit::Usage,
                    &format!(
                        "cannot read the conversation {}: {error}; give a text file with one turn per line",
                        path.display()
                    ),
                    context.json,
                )
            }
        }
    };
    let fills = match fields::preview(&context.profile, &text).await {
        Ok(fills) => fills,
        Err(error) => return failed(&error, context.json),
    };
    if context.json {
        print_json(
            &fills
                .iter()
                .map(|p| {
                    json!({
                        "field_id": p.fill.field_id,
                        "value": p.fill.value,
                        "score": p.fill.score,
                        "why": p.fill.why,
                    })
                })
                .collect(),
        );
        return ExitCode::SUCCESS;
    }
    if fills.is_empty() {
        println!("No field is mapped: map one with `handoff fields map ID --description TEXT`.");
    }
    for preview in &fills {
        let value = match (&preview.fill.value, &preview.option_name) {
            (Some(value), Some(name)) => format!("{value} ({name})"),
            (Some(value), None) => value.clone(),
            (None, _) => "(empty)".to_owned(),
        };
        println!(
            "{} ({}): {value}  score {:.2}",
            preview.title, preview.fill.field_id, preview.fill.score
        );
        println!("    {}", preview.fill.why);
    }
    ExitCode::SUCCESS
}
