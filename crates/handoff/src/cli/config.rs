//! `handoff config get|set`: the non-secret settings (secrets have their own commands and live in the
//! keychain).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use handoff::settings::{SettingKey, Settings, SettingsError};
use serde_json::{json, Map, Value};

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print one setting, or every setting when no key is given.
    Get {
        /// tag-prefix, ticket-every-conversation, public-url, ...
        key: Option<String>,
    },
    /// Change a setting; the value is checked first, and nothing is stored when it is not usable.
    Set {
        key: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
}

pub async fn run(context: &Context, args: ConfigArgs) -> ExitCode {
    let json = context.json;
    let settings = Settings::new(context.profile.store().clone());
    let outcome = match args.command {
        ConfigCommand::Get { key: Some(key) } => SettingKey::parse(&key)
            .and_then(|key| Ok((key, settings.get(key)?)))
            .map(|(key, value)| print_one(key, &value, json)),
        ConfigCommand::Get { key: None } => SettingKey::ALL
            .iter()
            .map(|key| Ok((*key, settings.get(*key)?)))
            .collect::<Result<Vec<_>, SettingsError>>()
            .map(|all| print_all(&all, json)),
        ConfigCommand::Set { key, value } => SettingKey::parse(&key)
            .and_then(|key| Ok((key, settings.set(key, &value)?)))
            .map(|(key, value)| print_one(key, &value, json)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error @ (SettingsError::UnknownKey(_) | SettingsError::Invalid { .. })) => {
            fail(Exit::Usage, &error.to_string(), json)
        }
        Err(error) => fail(Exit::Internal, &error.to_string(), json),
    }
}

fn print_one(key: SettingKey, value: &str, json: bool) {
    if json {
        print_json(&json!({ "key": key.as_str(), "value": value }));
    } else {
        println!("{value}");
    }
}

fn print_all(all: &[(SettingKey, String)], json: bool) {
    if json {
        let settings: Map<String, Value> = all
            .iter()
            .map(|(key, value)| (key.as_str().to_owned(), Value::String(value.clone())))
            .collect();
        print_json(&json!({ "settings": settings }));
    } else {
        for (key, value) in all {
            println!("{} = {value}", key.as_str());
        }
    }
}
