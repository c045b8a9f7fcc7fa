//! `handoff llm-key`: the AI Fields LLM endpoint's key, kept only in the keychain.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::json;

use super::{connect::read_secret, print_json, Context};

#[derive(Args)]
#[command(
    after_help = "Exit codes: 0 stored; 2 no key on standard input, or not a key; 4 keychain unavailable."
)]
pub struct LlmKeyArgs {
    #[command(subcommand)]
    command: LlmKeyCommand,
}

#[derive(Subcommand)]
enum LlmKeyCommand {
    /// Store the key in the keychain (typed without echo on a terminal, or piped in); it is never printed.
    Set {
        /// Read the key from standard input (never from an argument, where `ps` shows it).
        #[arg(long, required = true)]
        stdin: bool,
    },
}

pub async fn run(context: &Context, args: LlmKeyArgs) -> ExitCode {
    match args.command {
        LlmKeyCommand::Set { .. } => {
            let key = match read_secret("LLM key", "--stdin") {
                Ok(key) => key,
                Err(message) => return super::fail(super::Exit::Usage, &message, context.json),
            };
            if let Err(error) = handoff::fields::set_llm_key(&context.profile, &key).await {
                return super::fields::failed(&error, context.json);
            }
            if context.json {
                print_json(&json!({ "llm_key": "set" }));
            } else {
                println!("The LLM key is in the keychain.");
            }
            ExitCode::SUCCESS
        }
    }
}
