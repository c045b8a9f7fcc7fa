//! `handoff config`: the non-secret settings (`handoff::settings`), read and written by name.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use handoff::settings::{SettingKey, Settings, SettingsError};
use serde_json::json;

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
#[command(
    after_help = "Exit codes: 0 success; 1 storage failure; 2 unknown setting or invalid value."
)]
pub struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a setting's value (its default when never set).
    Get {
        /// tag-prefix, ticket-every-conversation, public-url, llm-url or llm-model.
        key: String,
    },
    /// Validate and store a setting (an empty llm-url or llm-model switches the LLM filler off).
    Set {
        /// tag-prefix, ticket-every-conversation, public-url, llm-url or llm-model.
        key: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
}

pub async fn run(context: &Context, args: ConfigArgs) -> ExitCode {
    let settings = Settings::new(context.profile.store().clone());
    let (key, result) = match args.command {
        ConfigCommand::Get { key } => match SettingKey::parse(&key) {
            Ok(key) => (key, settings.get(key)),
            Err(error) => return failed(&error, context.json),
        },
        ConfigCommand::Set { key, value } => match SettingKey::parse(&key) {
            Ok(key) => (key, settings.set(key, &value)),
            Err(error) => return failed(&error, context.json),
        },
    };
    match result {
        Ok(value) => {
            if context.json {
                print_json(&json!({ "key": key.as_str(), "value": value }));
            } else {
                println!("{}={value}", key.as_str());
            }
            ExitCode::SUCCESS
        }
        Err(error) => failed(&error, context.json),
    }
}

fn failed(error: &SettingsError, json: bool) -> ExitCode {
    let code = match error {
        SettingsError::UnknownKey(_) | SettingsError::Invalid { .. } => Exit::Usage,
        SettingsError::Store(_) => Exit::Internal,
    };
    fail(code, &error.to_string(), json)
}
