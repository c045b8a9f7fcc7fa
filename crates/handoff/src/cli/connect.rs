//! `handoff connect`: Verify & Save from a terminal, with an API token, OAuth in the browser, or OAuth client
//! credentials. Secrets come from standard input, never from an argument (where `ps` would show them).

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::{ArgGroup, Args};
use handoff::connect::{
    self, Check, CheckStatus, ConnectInput, ConnectOptions, OAuthConnectInput, SignIn, VerifyReport,
};
use handoff::oauth::browser::{Browser, BrowserError, CommandBrowser, SignInBrowser};
use handoff::oauth::{Cancel, GrantKind};
use handoff::SecretString;
use serde_json::json;

use super::{
    check_json, connection_json, fail, print_check, print_connection, print_json, Context, Exit,
};

/// Value flags take `allow_hyphen_values`: `--subdomain -rf` hands `-rf` to the subdomain check, which says
/// what is wrong with it, instead of the parser reporting an unknown `-r` flag.
#[derive(Args)]
#[command(group(ArgGroup::new("method").required(true).args(["oauth", "client_credentials", "token_stdin"])))]
pub struct ConnectArgs {
    /// `acme`, `acme.zendesk.com` or any address of the account.
    #[arg(long, allow_hyphen_values = true)]
    subdomain: String,
    /// Sign in with an OAuth client in the browser (authorization code with PKCE).
    #[arg(long)]
    oauth: bool,
    /// Get a token for a confidential OAuth client with its secret, without a browser.
    #[arg(long, requires_all = ["client_id", "client_secret_stdin"])]
    client_credentials: bool,
    /// The OAuth client's unique identifier (Admin Center > Apps and integrations > APIs > OAuth clients).
    #[arg(long, value_name = "ID", allow_hyphen_values = true, required_if_eq_any = [("oauth", "true"), ("client_credentials", "true")])]
    client_id: Option<String>,
    /// Read a confidential client's secret from standard input (never from an argument, where `ps` shows it).
    #[arg(long, requires = "client_id")]
    client_secret_stdin: bool,
    /// Legacy: the email of the admin who owns the API token.
    #[arg(long, requires = "token_stdin", allow_hyphen_values = true)]
    email: Option<String>,
    /// Legacy: read the API token from standard input.
    #[arg(long, requires = "email")]
    token_stdin: bool,
    /// Assign new tickets to this agent.
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    default_agent_id: Option<String>,
    /// Send requests here instead of https://{subdomain}.zendesk.com (the simulator, a proxy).
    #[arg(long, value_name = "URL", allow_hyphen_values = true)]
    zendesk_url: Option<String>,
}

pub async fn run(context: &Context, args: ConnectArgs) -> ExitCode {
    let Context {
        profile,
        clock,
        json,
    } = context;
    let json = *json;
    let now = clock.now();
    let on_check = |check: &Check| {
        if !json {
            print_check(check)
        }
    };
    let result = if args.token_stdin {
        let token = match read_secret("API token", "--token-stdin") {
            Ok(token) => token,
            Err(message) => return fail(Exit::Usage, &message, json),
        };
        let input = ConnectInput {
            subdomain: args.subdomain,
            email: args.email.unwrap_or_default(),
            token,
            default_agent_id: args.default_agent_id,
            base_url: args.zendesk_url,
        };
        connect::verify_and_save(profile, input, ConnectOptions::default(), now, on_check).await
    } else {
        let client_secret = match args.client_secret_stdin {
            true => match read_secret("OAuth client secret", "--client-secret-stdin") {
                Ok(secret) => Some(secret),
                Err(message) => return fail(Exit::Usage, &message, json),
            },
            false => None,
        };
        let input = OAuthConnectInput {
            subdomain: args.subdomain,
            client_id: args.client_id.unwrap_or_default(),
            client_secret,
            grant: match args.client_credentials {
                true => GrantKind::ClientCredentials,
                false => GrantKind::AuthorizationCode,
            },
            default_agent_id: args.default_agent_id,
            base_url: args.zendesk_url,
        };
        if !args.client_credentials {
            // Zendesk sends the browser back only to a registered redirect URL: say which one this is.
            let message = match handoff::oauth::redirect_url(profile.store()) {
                Ok(Some(url)) => format!(
                    "Redirect URL (it must be one of the OAuth client's redirect URLs in Admin Center): {url}"
                ),
                Ok(None) => "Redirect URL: http://127.0.0.1:<any free port>/oauth/callback (oauth-redirect-port \
                             is 0: the OAuth client must accept any loopback port)"
                    .to_owned(),
                Err(error) => return fail(Exit::Internal, &error.to_string(), json),
            };
            if json {
                eprintln!("{message}");
            } else {
                println!("{message}");
            }
        }
        let cancel = Cancel::new();
        let on_interrupt = cancel.clone();
        // Ctrl-C while the browser is open ends the wait cleanly (the listener closes, nothing is saved).
        let interrupt = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_interrupt.cancel();
            }
        });
        let browser = TerminalBrowser { json };
        let sign_in = SignIn {
            browser: &browser,
            cancel,
            wait: connect::DEFAULT_SIGN_IN_WAIT,
        };
        let result = connect::verify_and_save_oauth(
            profile,
            input,
            sign_in,
            ConnectOptions::default(),
            clock,
            on_check,
        )
        .await;
        interrupt.abort();
        result
    };
    match result {
        Ok(report) => finish(&report, now, json),
        Err(error) => fail(Exit::Internal, &error.to_string(), json),
    }
}

/// Standard input is read up to this much: far past any secret (the core refuses more than
/// `connect::MAX_SECRET_BYTES`), yet bounded.
const STDIN_LIMIT: u64 = 1 << 20;

/// Reads a secret from standard input. On a terminal the admin types it without echo (so it never shows on the
/// screen, in scrollback or in a screen recording) and Enter ends it; piped, it is everything until the end.
pub(super) fn read_secret(what: &str, flag: &str) -> Result<SecretString, String> {
    let cannot_read =
        |error: std::io::Error| format!("cannot read the {what} from standard input: {error}");
    let raw = if std::io::stdin().is_terminal() {
        // `/dev/stdin` rather than rpassword's default `/dev/tty`: the flag says the secret comes from standard
        // input, and the prompt goes where it always went, to stderr, so stdout stays the command's output.
        let config = rpassword::ConfigBuilder::new()
            .input_file_path("/dev/stdin")
            .output_writer(std::io::stderr())
            .build();
        match rpassword::prompt_password_with_config(format!("{what}: "), config) {
            Ok(typed) => typed,
            // Ctrl-D on an empty line: nothing was typed, which the check below reports.
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => String::new(),
            Err(error) => return Err(cannot_read(error)),
        }
    } else {
        // Bounded, so `< /dev/zero` or a wrong file cannot fill the memory; the core refuses anything past
        // MAX_SECRET_BYTES with its own message, this only stops reading where no secret could still be.
        let mut piped = Vec::new();
        std::io::stdin()
            .take(STDIN_LIMIT + 1)
            .read_to_end(&mut piped)
            .map_err(cannot_read)?;
        if piped.len() as u64 > STDIN_LIMIT {
            return Err(format!(
                "standard input holds more than 1 MiB, which is no {what}: pipe in only the {what} ({flag})"
            ));
        }
        String::from_utf8(piped).map_err(|_| {
            format!("the {what} on standard input is not text (UTF-8): pipe in only the {what}")
        })?
    };
    let secret = raw.trim();
    if secret.is_empty() {
        return Err(format!(
            "no {what} on standard input: type it at the prompt, or pipe it in, e.g. \
             `handoff ... {flag} < secret.txt`"
        ));
    }
    Ok(SecretString::from(secret))
}

/// The CLI's browser: prints the sign-in address, then opens it with `$HANDOFF_BROWSER` or `xdg-open`. Not
/// being able to open a browser is not fatal: the admin can open the printed address on this machine.
pub(super) struct TerminalBrowser {
    pub(super) json: bool,
}

impl Browser for TerminalBrowser {
    fn open(&self, url: &url::Url) -> Result<(), BrowserError> {
        let message =
            format!("Sign in with Zendesk at this address (opening your browser):\n  {url}");
        if self.json {
            eprintln!("{message}");
        } else {
            println!("{message}");
            let _ = std::io::stdout().flush();
        }
        let browser = SignInBrowser::from_env(CommandBrowser::xdg_open());
        if let Err(error) = browser.open(url) {
            eprintln!("handoff: {error}; open the address above in a browser on this machine");
        }
        Ok(())
    }
}

pub(super) fn finish(report: &VerifyReport, now: jiff::Timestamp, json: bool) -> ExitCode {
    let keychain_failed = report
        .checks
        .iter()
        .any(|c| c.id == connect::CheckId::Keychain && c.status == CheckStatus::Failed);
    if json {
        print_json(&json!({
            "saved": report.saved(),
            "checks": report.checks.iter().map(check_json).collect::<Vec<_>>(),
            "connection": report.connection.as_ref().map(|c| connection_json(c, now)),
        }));
    }
    match &report.connection {
        Some(connection) => {
            if !json {
                println!();
                print_connection(connection, now);
            }
            ExitCode::SUCCESS
        }
        None => {
            if !json {
                println!("\nNothing was saved.");
            }
            if keychain_failed {
                Exit::Keychain.into()
            } else {
                Exit::ChecksFailed.into()
            }
        }
    }
}
