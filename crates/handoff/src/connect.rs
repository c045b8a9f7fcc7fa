//! Connecting to Zendesk: "Verify & Save" (SPEC §3).
//!
//! Every check is reported on its own, as it runs, with its cause and fix when it fails. Invariant: nothing
//! is saved unless every required check passed; the token reaches the keychain before the connection row
//! reaches SQLite, and a failed SQLite write takes the token back out, so a half-saved connection never exists.

use jiff::Timestamp;
use url::Url;
use zendesk::{Auth, Client, ClientConfig, Role, SecretString, User};

use crate::keychain::SecretName;
use crate::profile::Profile;
use crate::subdomain::Subdomain;
use crate::ConnectError;

/// The day Zendesk switches every API token off (FACTS §10).
pub const API_TOKEN_SHUTDOWN: jiff::civil::Date = jiff::civil::date(2027, 4, 30);

/// What the admin typed on the Connect screen (or passed to `handoff connect`), not yet validated.
#[derive(Debug, Clone)]
pub struct ConnectInput {
    pub subdomain: String,
    pub email: String,
    pub token: SecretString,
    pub default_agent_id: Option<String>,
    /// Overrides `https://{subdomain}.zendesk.com`, for the simulator or a proxy.
    pub base_url: Option<String>,
}

/// How the product authenticates to Zendesk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ApiToken,
    OAuth,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ApiToken => "api_token",
            AuthMethod::OAuth => "oauth",
        }
    }
}

/// A Zendesk user as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub id: u64,
    pub name: String,
    pub email: Option<String>,
    /// Zendesk's role name: `admin`, `agent`, `end-user`.
    pub role: String,
}

impl From<&User> for UserSummary {
    fn from(user: &User) -> Self {
        UserSummary {
            id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
            role: role_name(&user.role),
        }
    }
}

fn role_name(role: &Role) -> String {
    match role {
        Role::EndUser => "end-user".to_owned(),
        Role::Agent => "agent".to_owned(),
        Role::Admin => "admin".to_owned(),
        Role::Other(other) => other.clone(),
    }
}

/// A saved connection to one Zendesk account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub subdomain: Subdomain,
    pub base_url: Url,
    pub auth_method: AuthMethod,
    pub email: String,
    pub user: UserSummary,
    pub default_agent: Option<UserSummary>,
    /// Connected to the embedded simulator rather than a real account.
    pub demo: bool,
    pub connected_at: Timestamp,
}

/// The legacy API-token deadline, as of some day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiTokenDeadline {
    pub date: jiff::civil::Date,
    /// Whole days from `now` (UTC) to the deadline; zero or negative once it has passed.
    pub days_left: i64,
}

impl Connection {
    /// The banner's figures for an API-token connection; `None` for OAuth.
    pub fn api_token_deadline(&self, now: Timestamp) -> Option<ApiTokenDeadline> {
        if self.auth_method != AuthMethod::ApiToken {
            return None;
        }
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        let days_left = (API_TOKEN_SHUTDOWN - today).get_days() as i64;
        Some(ApiTokenDeadline {
            date: API_TOKEN_SHUTDOWN,
            days_left,
        })
    }
}

/// The checks of Verify & Save, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckId {
    Subdomain,
    Account,
    Credentials,
    Role,
    DefaultAgent,
    Keychain,
}

impl CheckId {
    pub const ALL: [CheckId; 6] = [
        CheckId::Subdomain,
        CheckId::Account,
        CheckId::Credentials,
        CheckId::Role,
        CheckId::DefaultAgent,
        CheckId::Keychain,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Subdomain => "subdomain",
            CheckId::Account => "account",
            CheckId::Credentials => "credentials",
            CheckId::Role => "role",
            CheckId::DefaultAgent => "default_agent",
            CheckId::Keychain => "keychain",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CheckId::Subdomain => "Subdomain is well formed",
            CheckId::Account => "Subdomain is a Zendesk account",
            CheckId::Credentials => "Credentials authenticate",
            CheckId::Role => "User is active with enough permissions",
            CheckId::DefaultAgent => "Default agent exists",
            CheckId::Keychain => "Token stored in the OS keychain",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    Running,
    Passed,
    /// Passed, with something the admin should know (for example: agent, not admin).
    Warning,
    Failed,
    Skipped,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Running => "running",
            CheckStatus::Passed => "passed",
            CheckStatus::Warning => "warning",
            CheckStatus::Failed => "failed",
            CheckStatus::Skipped => "skipped",
        }
    }
}

/// One check's state: what was found, and for a failure why and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub id: CheckId,
    pub status: CheckStatus,
    pub detail: String,
    pub cause: Option<String>,
    pub fix: Option<String>,
}

impl Check {
    fn running(id: CheckId) -> Check {
        Check {
            id,
            status: CheckStatus::Running,
            detail: "Checking…".to_owned(),
            cause: None,
            fix: None,
        }
    }
    fn passed(id: CheckId, detail: impl Into<String>) -> Check {
        Check {
            id,
            status: CheckStatus::Passed,
            detail: detail.into(),
            cause: None,
            fix: None,
        }
    }
    fn warning(id: CheckId, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            id,
            status: CheckStatus::Warning,
            detail: detail.into(),
            cause: None,
            fix: Some(fix.into()),
        }
    }
    fn failed(
        id: CheckId,
        detail: impl Into<String>,
        cause: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            id,
            status: CheckStatus::Failed,
            detail: detail.into(),
            cause: Some(cause.into()),
            fix: Some(fix.into()),
        }
    }
    fn skipped(id: CheckId, detail: impl Into<String>) -> Check {
        Check {
            id,
            status: CheckStatus::Skipped,
            detail: detail.into(),
            cause: None,
            fix: None,
        }
    }
}

/// The outcome of Verify & Save.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// Final state of every check, in order.
    pub checks: Vec<Check>,
    /// The saved connection; `None` means nothing was saved.
    pub connection: Option<Connection>,
}

impl VerifyReport {
    pub fn saved(&self) -> bool {
        self.connection.is_some()
    }
}

/// Options that are not typed by the admin.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnectOptions {
    /// The account is the embedded simulator (demo mode).
    pub demo: bool,
}

/// Runs every check, reporting each through `on_check` as it starts and ends; saves only when all required
/// checks pass.
pub async fn verify_and_save(
    profile: &Profile,
    input: ConnectInput,
    options: ConnectOptions,
    now: Timestamp,
    mut on_check: impl FnMut(&Check) + Send,
) -> Result<VerifyReport, ConnectError> {
    let mut checks = Vec::new();
    let mut report = |check: Check, checks: &mut Vec<Check>| {
        on_check(&check);
        if check.status != CheckStatus::Running {
            checks.push(check);
        }
    };
    let skip_rest = |from: usize,
                     reason: &str,
                     checks: &mut Vec<Check>,
                     report: &mut dyn FnMut(Check, &mut Vec<Check>)| {
        for id in &CheckId::ALL[from..] {
            report(
                Check::skipped(*id, format!("Not checked: {reason}.")),
                checks,
            );
        }
    };

    // 1. The subdomain and base URL are well formed.
    report(Check::running(CheckId::Subdomain), &mut checks);
    let target = match Target::parse(&input) {
        Ok(target) => {
            let detail = match &input.base_url {
                Some(_) => format!("{} (through {})", target.subdomain.host(), target.base_url),
                None => target.subdomain.host(),
            };
            report(Check::passed(CheckId::Subdomain, detail), &mut checks);
            target
        }
        Err(check) => {
            report(check, &mut checks);
            skip_rest(1, "the subdomain is not valid", &mut checks, &mut report);
            return Ok(VerifyReport {
                checks,
                connection: None,
            });
        }
    };

    // 2. The subdomain is a Zendesk account: `users/me` answers JSON even without credentials.
    report(Check::running(CheckId::Account), &mut checks);
    let anonymous = client(&target.base_url, Auth::Anonymous)?;
    let account_check = match anonymous.current_user().await {
        Ok(_) | Err(zendesk::Error::BadCredentials { .. }) => Check::passed(
            CheckId::Account,
            format!("{} answers as a Zendesk account", target.subdomain.host()),
        ),
        Err(error) => unreachable_account(&target, &error),
    };
    let account_ok = account_check.status == CheckStatus::Passed;
    report(account_check, &mut checks);
    if !account_ok {
        skip_rest(
            2,
            "the account could not be reached",
            &mut checks,
            &mut report,
        );
        return Ok(VerifyReport {
            checks,
            connection: None,
        });
    }

    // 3. The credentials authenticate (a 401, or a 200 for an anonymous user, means they do not).
    report(Check::running(CheckId::Credentials), &mut checks);
    let email = input.email.trim().to_owned();
    let auth = Auth::ApiToken {
        email: email.clone(),
        token: input.token.clone(),
    };
    let authed = client(&target.base_url, auth)?;
    let user = match authed.current_user().await {
        Ok(user) => {
            report(
                Check::passed(
                    CheckId::Credentials,
                    format!(
                        "Signed in as {} ({})",
                        user.name,
                        user.email.as_deref().unwrap_or(&email)
                    ),
                ),
                &mut checks,
            );
            user
        }
        Err(error) => {
            report(credentials_failure(&email, &error), &mut checks);
            skip_rest(
                3,
                "the credentials did not authenticate",
                &mut checks,
                &mut report,
            );
            return Ok(VerifyReport {
                checks,
                connection: None,
            });
        }
    };

    // 4. The user is active and may do what the product needs.
    report(Check::running(CheckId::Role), &mut checks);
    let role_check = role_check(&user);
    let role_ok = role_check.status != CheckStatus::Failed;
    report(role_check, &mut checks);

    // 5. The optional default agent exists and is an agent.
    report(Check::running(CheckId::DefaultAgent), &mut checks);
    let (agent_check, default_agent) =
        default_agent_check(&authed, input.default_agent_id.as_deref()).await;
    let agent_ok = agent_check.status != CheckStatus::Failed;
    report(agent_check, &mut checks);

    if !(role_ok && agent_ok) {
        report(
            Check::skipped(CheckId::Keychain, "Not saved: a required check failed."),
            &mut checks,
        );
        return Ok(VerifyReport {
            checks,
            connection: None,
        });
    }

    // 6. Save: the token to the keychain, then the rest to SQLite.
    report(Check::running(CheckId::Keychain), &mut checks);
    let keychain = match profile.keychain() {
        Ok(keychain) => keychain,
        Err(error) => {
            report(keychain_failure(&error), &mut checks);
            return Ok(VerifyReport {
                checks,
                connection: None,
            });
        }
    };
    if let Err(error) = keychain.put(SecretName::ZendeskApiToken, &input.token) {
        report(keychain_failure(&error), &mut checks);
        return Ok(VerifyReport {
            checks,
            connection: None,
        });
    }
    let connection = Connection {
        subdomain: target.subdomain,
        base_url: target.base_url,
        auth_method: AuthMethod::ApiToken,
        email,
        user: UserSummary::from(&user),
        default_agent,
        demo: options.demo,
        connected_at: now,
    };
    if let Err(error) = profile
        .store()
        .save_connection(&crate::profile::connection_row(&connection))
    {
        // Take the token back out so that nothing is half saved; the original error is what the admin needs.
        if let Err(cleanup) = keychain.delete(SecretName::ZendeskApiToken) {
            tracing::warn!(%cleanup, "could not remove the token after a failed save");
        }
        return Err(ConnectError::Store(error));
    }
    report(
        Check::passed(CheckId::Keychain, "Saved; the token is in the OS keychain"),
        &mut checks,
    );
    tracing::info!(subdomain = %connection.subdomain, user_id = connection.user.id, "connected to Zendesk");
    Ok(VerifyReport {
        checks,
        connection: Some(connection),
    })
}

/// Looks up the Default Agent ID the admin is typing, with the credentials they typed.
pub async fn lookup_agent(
    input: &ConnectInput,
    agent_id: &str,
) -> Result<UserSummary, ConnectError> {
    let target = Target::parse(input).map_err(|check| ConnectError::Invalid(check.detail))?;
    let id = parse_agent_id(agent_id).map_err(ConnectError::Invalid)?;
    let auth = Auth::ApiToken {
        email: input.email.trim().to_owned(),
        token: input.token.clone(),
    };
    let user = client(&target.base_url, auth)?
        .show_user(id)
        .await
        .map_err(|error| match error {
            zendesk::Error::NotFound { .. } => {
                ConnectError::Invalid(format!("no user has ID {id} in this account"))
            }
            other => ConnectError::Zendesk(other),
        })?;
    Ok(UserSummary::from(&user))
}

/// Where requests go: the account's own address, or the override.
struct Target {
    subdomain: Subdomain,
    base_url: Url,
}

impl Target {
    fn parse(input: &ConnectInput) -> Result<Target, Check> {
        let subdomain = Subdomain::parse(&input.subdomain).map_err(|error| {
            Check::failed(
                CheckId::Subdomain,
                format!("`{}` is not a Zendesk subdomain", input.subdomain.trim()),
                capitalize(&error.to_string()),
                "Type only the account's name: for https://acme.zendesk.com that is `acme`.",
            )
        })?;
        let base_url = match input.base_url.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => zendesk::account_url(subdomain.as_str()).map_err(|error| {
                Check::failed(CheckId::Subdomain, "No address for this subdomain", error.to_string(), "Check the subdomain.")
            })?,
            Some(raw) => parse_base_url(raw).map_err(|cause| {
                Check::failed(
                    CheckId::Subdomain,
                    format!("`{raw}` is not a usable base URL"),
                    cause,
                    "Leave the base URL empty for a real account, or enter the simulator's address such as http://127.0.0.1:4010.",
                )
            })?,
        };
        Ok(Target {
            subdomain,
            base_url,
        })
    }
}

fn parse_base_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|error| format!("it is not a URL ({error})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("it must be an http:// or https:// address with a host".to_owned());
    }
    if url.username() != "" || url.password().is_some() {
        return Err("it must not carry credentials; enter them in their own fields".to_owned());
    }
    Ok(url)
}

fn parse_agent_id(raw: &str) -> Result<u64, String> {
    let trimmed = raw.trim();
    trimmed
        .parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| format!("`{trimmed}` is not a user ID: a Default Agent ID is a number such as 6130907993114"))
}

fn client(base_url: &Url, auth: Auth) -> Result<Client, ConnectError> {
    Client::new(ClientConfig::new(base_url.clone(), auth)).map_err(ConnectError::Zendesk)
}

fn unreachable_account(target: &Target, error: &zendesk::Error) -> Check {
    let host = target.subdomain.host();
    match error {
        zendesk::Error::NotZendesk { .. } => Check::failed(
            CheckId::Account,
            format!("{host} is not a Zendesk account"),
            "The address answered with a web page, not the Zendesk API: the subdomain does not exist or the account is closed.",
            "Copy the subdomain from the address bar of your Zendesk agent workspace (the `acme` of acme.zendesk.com).",
        ),
        zendesk::Error::Network { .. } | zendesk::Error::Timeout => Check::failed(
            CheckId::Account,
            format!("Could not reach {}", target.base_url),
            capitalize(&error.to_string()),
            "Check this machine's network connection and proxy settings, then run Verify & Save again.",
        ),
        other => Check::failed(
            CheckId::Account,
            format!("{host} did not answer like a Zendesk account"),
            capitalize(&other.to_string()),
            "Check the subdomain; if it is right, Zendesk may be having trouble: try again in a few minutes.",
        ),
    }
}

fn credentials_failure(email: &str, error: &zendesk::Error) -> Check {
    match error {
        zendesk::Error::BadCredentials { .. } => Check::failed(
            CheckId::Credentials,
            "Zendesk did not accept the email and API token",
            format!(
                "The token is wrong or revoked, it does not belong to {email}, or token access is turned off in Admin Center."
            ),
            "In Admin Center > Apps and integrations > APIs > Zendesk API, turn Token access on and check the token; \
             the email must be the admin who owns it. New tokens can no longer be created: prefer OAuth.",
        ),
        zendesk::Error::Forbidden { reason } => Check::failed(
            CheckId::Credentials,
            "Zendesk refused access to the API",
            format!("{reason}. The plan may not include API access, or the user lacks permission."),
            "API access needs Suite Team / Support Professional or higher; ask the account owner to check the plan.",
        ),
        other => Check::failed(
            CheckId::Credentials,
            "The credentials could not be checked",
            capitalize(&other.to_string()),
            "Run Verify & Save again; if it keeps failing, check Zendesk's status page.",
        ),
    }
}

fn role_check(user: &User) -> Check {
    let who = format!("{} is", user.name);
    if user.suspended || !user.active {
        let state = if user.suspended {
            "suspended"
        } else {
            "deactivated"
        };
        return Check::failed(
            CheckId::Role,
            format!("{who} {state}"),
            "Every request runs as this user; a suspended or deactivated user cannot create tickets.",
            "Reactivate the user in Admin Center > People, or connect with another admin.",
        );
    }
    match (&user.role, user.role_type) {
        (Role::Admin, _) => Check::passed(CheckId::Role, format!("{who} an admin: tickets, webhooks and triggers")),
        // role_type 1 = light agent, 2 = chat-only agent, 3 = chat contributor: none can create tickets for others.
        (Role::Agent, Some(1..=3)) => Check::failed(
            CheckId::Role,
            format!("{who} a light or contributor agent"),
            "Light and contributor agents cannot create tickets or public replies for customers.",
            "Give the user a full agent role, or better an admin role, in Admin Center > People > Roles.",
        ),
        (Role::Agent, _) => Check::warning(
            CheckId::Role,
            format!("{who} a full agent: handoffs work, but webhooks and triggers need an admin"),
            "Connect with an admin to let the console create the webhook and trigger, or set them up by hand.",
        ),
        (Role::EndUser, _) | (Role::Other(_), _) => Check::failed(
            CheckId::Role,
            format!("{who} not an agent (role: {})", role_name(&user.role)),
            "The API runs as this user, and end users cannot create tickets for others.",
            "Use the email and token of an admin.",
        ),
    }
}

async fn default_agent_check(client: &Client, raw: Option<&str>) -> (Check, Option<UserSummary>) {
    let raw = match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            return (
                Check::skipped(
                    CheckId::DefaultAgent,
                    "No default agent: tickets stay unassigned.",
                ),
                None,
            )
        }
        Some(raw) => raw,
    };
    let id = match parse_agent_id(raw) {
        Ok(id) => id,
        Err(cause) => {
            let fix = "Find the ID in Admin Center > People > Team members (the number at the end of the URL), or leave the field empty.";
            return (
                Check::failed(
                    CheckId::DefaultAgent,
                    "The Default Agent ID is not a number",
                    cause,
                    fix,
                ),
                None,
            );
        }
    };
    match client.show_user(id).await {
        Ok(user) => {
            let summary = UserSummary::from(&user);
            let check = match user.role {
                Role::Agent | Role::Admin if user.active && !user.suspended => {
                    Check::passed(CheckId::DefaultAgent, format!("{} ({})", user.name, summary.role))
                }
                Role::Agent | Role::Admin => Check::failed(
                    CheckId::DefaultAgent,
                    format!("{} is suspended or deactivated", user.name),
                    "Tickets cannot be assigned to an inactive agent.",
                    "Pick an active agent, or leave the field empty.",
                ),
                _ => Check::failed(
                    CheckId::DefaultAgent,
                    format!("{} is not an agent (role: {})", user.name, summary.role),
                    "Tickets can only be assigned to agents and admins.",
                    "Enter the ID of an agent, or leave the field empty.",
                ),
            };
            let agent = (check.status == CheckStatus::Passed).then_some(summary);
            (check, agent)
        }
        Err(zendesk::Error::NotFound { .. }) => (
            Check::failed(
                CheckId::DefaultAgent,
                format!("No user has ID {id}"),
                "The ID does not exist in this account (it may belong to another account, or the user was deleted).",
                "Find the ID in Admin Center > People > Team members, or leave the field empty.",
            ),
            None,
        ),
        Err(error) => (
            Check::failed(
                CheckId::DefaultAgent,
                format!("Could not look up user {id}"),
                capitalize(&error.to_string()),
                "Run Verify & Save again, or leave the field empty.",
            ),
            None,
        ),
    }
}

fn keychain_failure(error: &crate::keychain::KeychainError) -> Check {
    Check::failed(
        CheckId::Keychain,
        "The token could not be stored, so nothing was saved",
        capitalize(&error.to_string()),
        "Fix the keychain as described, then run Verify & Save again.",
    )
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_counts_days_from_the_injected_clock() {
        let table = [
            ("2026-11-24T10:00:00Z", 157),
            ("2027-04-29T23:59:59Z", 1),
            ("2027-04-30T00:00:00Z", 0),
            ("2027-05-02T00:00:00Z", -2),
        ];
        for (now, days) in table {
            let now: Timestamp = now.parse().unwrap_or_else(|e| panic!("{now}: {e}"));
            let connection = sample_connection(AuthMethod::ApiToken);
            assert_eq!(
                connection.api_token_deadline(now).map(|d| d.days_left),
                Some(days),
                "now = {now}"
            );
        }
        assert_eq!(
            sample_connection(AuthMethod::OAuth).api_token_deadline(Timestamp::UNIX_EPOCH),
            None
        );
    }

    #[test]
    fn agent_ids_must_be_positive_numbers() {
        assert_eq!(parse_agent_id(" 6130907993114 "), Ok(6130907993114));
        for bad in ["", "abc", "-4", "0", "12.5"] {
            assert!(parse_agent_id(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn base_urls_must_be_plain_http_addresses() {
        assert!(parse_base_url("http://127.0.0.1:4010").is_ok());
        for bad in [
            "127.0.0.1:4010",
            "ftp://x",
            "https://user:pw@acme.zendesk.com",
            "not a url",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    fn sample_connection(auth_method: AuthMethod) -> Connection {
        Connection {
            subdomain: Subdomain::parse("acme").unwrap_or_else(|e| panic!("{e}")),
            base_url: Url::parse("https://acme.zendesk.com").unwrap_or_else(|e| panic!("{e}")),
            auth_method,
            email: "admin@acme.test".into(),
            user: UserSummary {
                id: 1,
                name: "Ada".into(),
                email: None,
                role: "admin".into(),
            },
            default_agent: None,
            demo: false,
            connected_at: Timestamp::UNIX_EPOCH,
        }
    }
}
