//! `handoff rotate credentials|url-key|signing-secret`: new Zendesk credentials (verified, then saved; the
//! webhook untouched), a new webhook URL key (the old one valid for 24 h, our webhook moved to the new URL),
//! or a reset of Zendesk's signing secret (the relay accepts the new one at once).

use std::process::ExitCode;

use clap::{ArgGroup, Args, Subcommand};
use handoff::connect::{self, Check, SignIn};
use handoff::oauth::{Cancel, GrantKind};
use handoff::rotate::{self, NewCredentials, RotateError, WebhookMove};
use serde_json::json;

use super::connect::{read_secret, TerminalBrowser};
use super::{fail, print_check, print_json, Context, Exit};

#[derive(Args)]
#[command(
    after_help = "Exit codes: 0 rotated; 3 the new credentials failed a check (the old ones stay); 5 not \
                  connected; 6 reconnect required; 7 Zendesk could not be asked; 13 Zendesk refused the change \
                  (for url-key: the new key is current and the old URL works for 24 h, so `handoff setup --fix \
                  webhook` moves the webhook later)."
)]
pub struct RotateArgs {
    #[command(subcommand)]
    what: RotateCommand,
}

#[derive(Subcommand)]
enum RotateCommand {
    /// Verify new credentials for the saved account, then replace the saved ones (nothing else changes).
    Credentials(CredentialsArgs),
    /// A new webhook URL key; the old URL keeps working for 24 h while our webhook moves to the new one.
    UrlKey,
    /// Reset our webhook's signing secret in Zendesk and store the new one.
    SigningSecret,
}

#[derive(Args)]
#[command(group(ArgGroup::new("method").required(true).args(["oauth", "client_credentials", "token_stdin"])))]
struct CredentialsArgs {
    /// Sign in again with an OAuth client in the browser (re-consent).
    #[arg(long)]
    oauth: bool,
    /// A confidential OAuth client's token, with its secret from standard input.
    #[arg(long, requires_all = ["client_id", "client_secret_stdin"])]
    client_credentials: bool,
    /// The OAuth client's unique identifier.
    #[arg(long, value_name = "ID", allow_hyphen_values = true, required_if_eq_any = [("oauth", "true"), ("client_credentials", "true")])]
    client_id: Option<String>,
    /// Read a confidential client's secret from standard input.
    #[arg(long, requires = "client_id")]
    client_secret_stdin: bool,
    /// Legacy: the email of the admin who owns the new API token.
    #[arg(long, requires = "token_stdin", allow_hyphen_values = true)]
    email: Option<String>,
    /// Legacy: read the new API token from standard input.
    #[arg(long, requires = "email")]
    token_stdin: bool,
}

pub async fn run(context: &Context, args: RotateArgs) -> ExitCode {
    match args.what {
        RotateCommand::Credentials(args) => credentials(context, args).await,
        RotateCommand::UrlKey => url_key(context).await,
        RotateCommand::SigningSecret => signing_secret(context).await,
    }
}

async fn credentials(context: &Context, args: CredentialsArgs) -> ExitCode {
    let json = context.json;
    let new = if args.token_stdin {
        match read_secret("API token", "--token-stdin") {
            Ok(token) => NewCredentials::ApiToken {
                email: args.email.unwrap_or_default(),
                token,
            },
            Err(message) => return fail(Exit::Usage, &message, json),
        }
    } else {
        let client_secret = match args.client_secret_stdin {
            true => match read_secret("OAuth client secret", "--client-secret-stdin") {
                Ok(secret) => Some(secret),
                Err(message) => return fail(Exit::Usage, &message, json),
            },
            false => None,
        };
        NewCredentials::OAuth {
            client_id: args.client_id.unwrap_or_default(),
            client_secret,
            grant: match args.client_credentials {
                true => GrantKind::ClientCredentials,
                false => GrantKind::AuthorizationCode,
            },
        }
    };
    let browser = TerminalBrowser { json };
    let sign_in = SignIn {
        browser: &browser,
        cancel: Cancel::new(),
        wait: connect::DEFAULT_SIGN_IN_WAIT,
    };
    let on_check = |check: &Check| {
        if !json {
            print_check(check)
        }
    };
    match rotate::credentials(
        &context.profile,
        &context.clock,
        new,
        Some(sign_in),
        on_check,
    )
    .await
    {
        Ok(report) => {
            if !json && report.saved() {
                println!("\nThe new credentials replace the old ones; the webhook and its URL are unchanged.");
            }
            super::connect::finish(&report, context.clock.now(), json)
        }
        Err(error) => failed(&error, json),
    }
}

async fn url_key(context: &Context) -> ExitCode {
    let json = context.json;
    let rotation = match rotate::url_key(&context.profile, &context.clock).await {
        Ok(rotation) => rotation,
        Err(error) => return failed(&error, json),
    };
    let (webhook, code) = match &rotation.webhook {
        WebhookMove::Moved { id } => (json!({"state": "moved", "id": id}), ExitCode::SUCCESS),
        WebhookMove::NotSetUp => (json!({"state": "not_set_up"}), ExitCode::SUCCESS),
        WebhookMove::Gone { id } => (json!({"state": "gone", "id": id}), ExitCode::SUCCESS),
        WebhookMove::Failed {
            id,
            reason,
            unreachable,
        } => (
            json!({"state": "failed", "id": id, "reason": reason}),
            if *unreachable {
                Exit::ZendeskUnknown.into()
            } else {
                Exit::SetupRefused.into()
            },
        ),
    };
    if json {
        print_json(&json!({
            "key_id": rotation.key_id,
            "url": rotation.url,
            "previous_valid_until": rotation.previous_valid_until.to_string(),
            "webhook": webhook,
        }));
        return code;
    }
    println!("New URL key {}: {}", rotation.key_id, rotation.url);
    println!(
        "The previous URL keeps working until {} (deliveries Zendesk already queued are accepted).",
        rotation.previous_valid_until
    );
    match &rotation.webhook {
        WebhookMove::Moved { id } => println!("Our webhook {id} now posts to the new URL."),
        WebhookMove::NotSetUp => println!("No webhook is set up yet: `handoff setup` makes it at the new URL."),
        WebhookMove::Gone { id } => println!(
            "Our webhook {id} is gone from Zendesk: `handoff setup` makes a new one at the new URL."
        ),
        WebhookMove::Failed { id, reason, .. } => println!(
            "Zendesk did not move our webhook {id} ({reason}): run `handoff setup --fix webhook` before the \
             previous URL stops working."
        ),
    }
    code
}

async fn signing_secret(context: &Context) -> ExitCode {
    let json = context.json;
    match rotate::signing_secret(&context.profile, &context.clock).await {
        Ok(reset) => {
            if json {
                print_json(&json!({"webhook_id": reset.webhook_id, "reset": true}));
            } else {
                println!(
                    "Reset the signing secret of our webhook {} in Zendesk and stored the new one; the relay \
                     accepts it at once (and the previous one, for deliveries already signed with it).",
                    reset.webhook_id
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => failed(&error, json),
    }
}

fn failed(error: &RotateError, json: bool) -> ExitCode {
    let code = match error {
        RotateError::NotConnected => Exit::NotConnected,
        RotateError::ReconnectRequired(_) => Exit::ReconnectRequired,
        error if error.unreachable() => Exit::ZendeskUnknown,
        RotateError::Zendesk { .. } | RotateError::NotSetUp => Exit::SetupRefused,
        RotateError::Keychain(_)
        | RotateError::Connect(handoff::ConnectError::Keychain(_))
        | RotateError::Keys(handoff::relay::keys::RelayKeyError::Keychain(_)) => Exit::Keychain,
        _ => Exit::Internal,
    };
    fail(code, &error.to_string(), json)
}
