//! `handoff config get|set`: the non-secret settings (secrets have their own commands and live in the
//! keychain).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use handoff::oauth::loopback;
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
            .map(|(key, value)| print_one(key, &value, json, false)),
        ConfigCommand::Get { key: None } => SettingKey::ALL
            .iter()
            .map(|key| Ok((*key, settings.get(*key)?)))
            .collect::<Result<Vec<_>, SettingsError>>()
            .map(|all| print_all(&all, json)),
        ConfigCommand::Set { key, value } => SettingKey::parse(&key)
            .and_then(|key| Ok((key, settings.set(key, &value)?)))
            .map(|(key, value)| print_one(key, &value, json, true)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error @ (SettingsError::UnknownKey(_) | SettingsError::Invalid { .. })) => {
            fail(Exit::Usage, &error.to_string(), json)
        }
        Err(error) => fail(Exit::Internal, &error.to_string(), json),
    }
}

/// The redirect URL a port setting makes, for the OAuth client's list (`None` for 0: any port).
fn redirect_url_of(value: &str) -> Option<String> {
    value.parse().ok().and_then(loopback::redirect_url)
}

fn print_one(key: SettingKey, value: &str, json: bool, changed: bool) {
    let redirect = (key == SettingKey::OAuthRedirectPort)
        .then(|| redirect_url_of(value))
        .flatten();
    if json {
        let mut answer = json!({ "key": key.as_str(), "value": value });
        if let (Some(url), Some(object)) = (&redirect, answer.as_object_mut()) {
            object.insert("redirect_url".to_owned(), json!(url));
        }
        print_json(&answer);
    } else {
        println!("{value}");
        // Stderr, so `config get` still prints the bare value on stdout for scripts.
        if let Some(url) = redirect {
            if changed {
                eprintln!(
                    "Register {url} as a redirect URL of the OAuth client (Admin Center > Apps and integrations \
                     > APIs > OAuth clients) before the next sign-in."
                );
            } else {
                eprintln!("Redirect URL to register in the OAuth client: {url}");
            }
        }
    }
}

fn print_all(all: &[(SettingKey, String)], json: bool) {
    if json {
        let settings: Map<String, Value> = all
            .iter()
            .map(|(key, value)| (key.as_str().to_owned(), Value::String(value.clone())))
            .collect();
        let redirect = all
            .iter()
            .find(|(key, _)| *key == SettingKey::OAuthRedirectPort)
            .and_then(|(_, value)| redirect_url_of(value));
        print_json(&json!({ "settings": settings, "oauth_redirect_url": redirect }));
    } else {
        for (key, value) in all {
            println!("{} = {value}", key.as_str());
            if *key == SettingKey::OAuthRedirectPort {
                match redirect_url_of(value) {
                    Some(url) => {
                        println!("  (redirect URL to register in the OAuth client: {url})")
                    }
                    None => println!(
                        "  (any free port: the OAuth client must accept any loopback port)"
                    ),
                }
            }
        }
    }
}
