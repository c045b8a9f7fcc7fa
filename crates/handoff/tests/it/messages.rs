//! What a connect says when something is wrong, as a table: each row is one way an admin's input or Zendesk's
//! answer goes wrong, the check that must fail, and what its text must (and must not) say. Every text of every
//! row is also held to the house rules: no control character reaches the screen, no sentence ends with two
//! full stops, and a failed check says why and what to do.

use std::time::Duration;

use handoff::clock::Clock;
use handoff::connect::{self, Check, CheckId, CheckStatus, ConnectInput, ConnectOptions};
use handoff::SecretString;
use jiff::Timestamp;
use zendesk_sim::{ConsentMode, FaultKind, RunningSimulator, RELAY_CLIENT};

use crate::oauth::{console_input, oauth_simulator, sign_in, PlayedBrowser, Visit};
use crate::{profile, CANARY_TOKEN};

enum Setup {
    /// An API-token connect, with the admin's valid input changed.
    Token(fn(&mut ConnectInput)),
    /// A valid API-token connect while the simulator answers `users/me` with this fault, every time.
    Fault(FaultKind),
    /// A client-credentials connect, with the valid input changed.
    ClientCredentials(fn(&mut connect::OAuthConnectInput)),
    /// A browser sign-in in which the consent page answers so.
    Consent(ConsentMode),
}

struct Row {
    name: &'static str,
    setup: Setup,
    check: CheckId,
    says: &'static [&'static str],
    never: &'static [&'static str],
    /// Refused from the input alone: no request reaches Zendesk.
    sends_nothing: bool,
}

const ROWS: &[Row] = &[
    Row {
        name: "a rate limit is not a wrong subdomain",
        setup: Setup::Fault(FaultKind::RateLimit { retry_after: 1 }),
        check: CheckId::Account,
        says: &["rate limit", "wait"],
        never: &["heck the subdomain"],
        sends_nothing: false,
    },
    Row {
        name: "`../../etc` is not an empty subdomain",
        setup: Setup::Token(|i| i.subdomain = "../../etc".into()),
        check: CheckId::Subdomain,
        says: &["`../../etc`", "letters, digits and hyphens"],
        never: &["empty"],
        sends_nothing: true,
    },
    Row {
        name: "zendesk.com is Zendesk's own address",
        setup: Setup::Token(|i| i.subdomain = "zendesk.com".into()),
        check: CheckId::Subdomain,
        says: &["Zendesk's own address"],
        never: &["is not a zendesk.com address"],
        sends_nothing: true,
    },
    Row {
        name: "a newline in the subdomain is shown escaped",
        setup: Setup::Token(|i| i.subdomain = "acme\ncorp".into()),
        check: CheckId::Subdomain,
        says: &[r"`acme\ncorp`"],
        never: &[],
        sends_nothing: true,
    },
    Row {
        name: "`-rf` as a subdomain",
        setup: Setup::Token(|i| i.subdomain = "-rf".into()),
        check: CheckId::Subdomain,
        says: &["`-rf`", "hyphen"],
        never: &[],
        sends_nothing: true,
    },
    Row {
        name: "a terminal escape in the base URL is shown escaped",
        setup: Setup::Token(|i| i.base_url = Some("ftp://x\u{1b}[2J".into())),
        check: CheckId::Subdomain,
        says: &[r"\u{1b}[2J"],
        never: &[],
        sends_nothing: true,
    },
    Row {
        name: "Default Agent ID 0",
        setup: Setup::Token(|i| i.default_agent_id = Some("0".into())),
        check: CheckId::DefaultAgent,
        says: &["`0`", "start at 1"],
        never: &["not a number"],
        sends_nothing: false,
    },
    Row {
        name: "a 20-digit Default Agent ID",
        setup: Setup::Token(|i| i.default_agent_id = Some("12345678901234567890".into())),
        check: CheckId::DefaultAgent,
        says: &["20 digits", "at most 19"],
        never: &["not a number"],
        sends_nothing: false,
    },
    Row {
        name: "a Default Agent ID past Zendesk's largest",
        setup: Setup::Token(|i| i.default_agent_id = Some("9999999999999999999".into())),
        check: CheckId::DefaultAgent,
        says: &["9223372036854775807"],
        never: &["not a number"],
        sends_nothing: false,
    },
    Row {
        name: "a Default Agent ID that is a name",
        setup: Setup::Token(|i| i.default_agent_id = Some("Aaron".into())),
        check: CheckId::DefaultAgent,
        says: &["`Aaron` is not a number"],
        never: &[],
        sends_nothing: false,
    },
    Row {
        name: "a Default Agent ID with a newline",
        setup: Setup::Token(|i| i.default_agent_id = Some("12\n34".into())),
        check: CheckId::DefaultAgent,
        says: &[r"`12\n34`"],
        never: &[],
        sends_nothing: false,
    },
    Row {
        name: "an empty email",
        setup: Setup::Token(|i| i.email = "  ".into()),
        check: CheckId::Credentials,
        says: &["No email"],
        never: &["belong to ,", "belong to  "],
        sends_nothing: true,
    },
    Row {
        name: "an email that is not one",
        setup: Setup::Token(|i| i.email = "admin".into()),
        check: CheckId::Credentials,
        says: &["`admin` is not an email address"],
        never: &[],
        sends_nothing: true,
    },
    Row {
        name: "a newline in the email",
        setup: Setup::Token(|i| i.email = "admin@example.com\nBcc: x@evil.test".into()),
        check: CheckId::Credentials,
        says: &[r"`admin@example.com\nBcc: x@evil.test`"],
        never: &[],
        sends_nothing: true,
    },
    Row {
        name: "a token far longer than any Zendesk token",
        setup: Setup::Token(|i| i.token = SecretString::from("a".repeat(1_000_000).as_str())),
        check: CheckId::Credentials,
        says: &["1000000 bytes", "longer than any Zendesk API token"],
        never: &["431"],
        sends_nothing: true,
    },
    Row {
        name: "a token with a control character",
        setup: Setup::Token(|i| i.token = SecretString::from("first-line\nsecond-line")),
        check: CheckId::Credentials,
        says: &["control character"],
        never: &["first-line", "second-line"],
        sends_nothing: true,
    },
    Row {
        name: "a client secret far longer than any Zendesk secret",
        setup: Setup::ClientCredentials(|i| {
            i.client_secret = Some(SecretString::from("s".repeat(1_000_000).as_str()))
        }),
        check: CheckId::Authorization,
        says: &[
            "1000000 bytes",
            "longer than any Zendesk OAuth client secret",
        ],
        never: &["431"],
        sends_nothing: true,
    },
    Row {
        name: "a client secret with a control character",
        setup: Setup::ClientCredentials(|i| {
            i.client_secret = Some(SecretString::from("abc\u{7}def"))
        }),
        check: CheckId::Authorization,
        says: &["control character"],
        never: &["abc", "def"],
        sends_nothing: true,
    },
    Row {
        name: "Zendesk's own sentence ends the cause of a denied sign-in",
        setup: Setup::Consent(ConsentMode::Deny),
        check: CheckId::Authorization,
        says: &["access_denied"],
        never: &[],
        sends_nothing: false,
    },
];

#[tokio::test(flavor = "multi_thread")]
async fn every_error_text_says_what_is_wrong_in_well_formed_sentences() {
    let mut failures = Vec::new();
    for row in ROWS {
        let (checks, sim) = run(row).await;
        let failed = checks
            .iter()
            .find(|c| c.id == row.check)
            .filter(|c| c.status == CheckStatus::Failed);
        let Some(failed) = failed else {
            failures.push(format!(
                "{}: {:?} did not fail: {checks:#?}",
                row.name, row.check
            ));
            continue;
        };
        let text = texts(failed).join("\n");
        for said in row.says {
            if !text.contains(said) {
                failures.push(format!("{}: should say {said:?}:\n{text}", row.name));
            }
        }
        for wrong in row.never {
            if text.contains(wrong) {
                failures.push(format!("{}: should not say {wrong:?}:\n{text}", row.name));
            }
        }
        for check in &checks {
            for line in texts(check) {
                if line.chars().any(char::is_control) {
                    failures.push(format!("{}: a control character in {line:?}", row.name));
                }
                if unquoted(&line).contains("..") {
                    failures.push(format!("{}: two full stops in {line:?}", row.name));
                }
            }
            if check.status == CheckStatus::Failed && (check.cause.is_none() || check.fix.is_none())
            {
                failures.push(format!("{}: no cause or fix: {check:?}", row.name));
            }
        }
        let sent = sim.sim.requests();
        if row.sends_nothing && !sent.is_empty() {
            failures.push(format!(
                "{}: refused from the input alone, yet {} request(s) reached Zendesk: {:?}",
                row.name,
                sent.len(),
                sent.iter().map(|r| r.path.as_str()).collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

async fn run(row: &Row) -> (Vec<Check>, RunningSimulator) {
    let sim = oauth_simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let token_input = ConnectInput {
        subdomain: "d3v-sim".into(),
        email: "admin@example.com".into(),
        token: SecretString::from(CANARY_TOKEN),
        default_agent_id: None,
        base_url: Some(sim.base_url.clone()),
    };
    let checks = match &row.setup {
        Setup::Token(edit) => {
            let mut input = token_input;
            edit(&mut input);
            verify(&profile, input).await
        }
        Setup::Fault(kind) => {
            sim.sim
                .inject_fault(Some("GET"), "/api/v2/users/me", kind.clone(), None);
            verify(&profile, token_input).await
        }
        Setup::ClientCredentials(edit) => {
            let mut input = console_input(&sim);
            input.client_id = RELAY_CLIENT.into();
            input.grant = handoff::oauth::GrantKind::ClientCredentials;
            input.client_secret = Some(SecretString::from(crate::oauth::RELAY_SECRET));
            edit(&mut input);
            let browser = PlayedBrowser::new(Visit::Follow);
            sign_in(&profile, input, &browser, &Clock::system())
                .await
                .0
                .checks
        }
        Setup::Consent(mode) => {
            sim.sim.set_oauth_consent(*mode);
            let browser = PlayedBrowser::new(Visit::Follow);
            let input = console_input(&sim);
            sign_in(&profile, input, &browser, &Clock::system())
                .await
                .0
                .checks
        }
    };
    (checks, sim)
}

async fn verify(profile: &handoff::profile::Profile, input: ConnectInput) -> Vec<Check> {
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        connect::verify_and_save(
            profile,
            input,
            ConnectOptions::default(),
            Timestamp::now(),
            |_| {},
        ),
    )
    .await
    .unwrap_or_else(|_| panic!("Verify & Save hung"))
    .unwrap_or_else(|e| panic!("{e}"));
    report.checks
}

fn texts(check: &Check) -> Vec<String> {
    [
        Some(&check.detail),
        check.cause.as_ref(),
        check.fix.as_ref(),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect()
}

/// The text outside `backticks`, where a quoted input such as `../../etc` may hold anything.
fn unquoted(text: &str) -> String {
    text.split('`').step_by(2).collect()
}
