//! Connecting to Zendesk: "Verify & Save" (SPEC §3).
//!
//! Every check is reported on its own, as it runs, with its cause and fix when it fails. Invariant: nothing
//! is saved unless every required check passed; the token reaches the keychain before the connection row
//! reaches SQLite, and a failed SQLite write takes the token back out, so a half-saved connection never exists.
//!
//! Two ways in: [`verify_and_save`] with a legacy API token, and [`verify_and_save_oauth`] (the default) with an
//! OAuth client, in the browser or with client credentials.

mod oauth;
mod save;

pub use oauth::{verify_and_save_oauth, OAuthConnectInput, SignIn, DEFAULT_SIGN_IN_WAIT};
pub use save::{purge_stale_secrets, SaveError};

use std::future::Future;

use jiff::Timestamp;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use url::Url;
use zendesk::{Auth, Client, ClientConfig, Retry, RetryObserver, Role, SecretString, User};

use crate::keychain::SecretName;
use crate::message::{quote, sentence};
use crate::oauth::GrantKind;
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
    /// The OAuth client and token details; `None` for an API-token connection.
    pub oauth: Option<OAuthDetails>,
    /// Set when Zendesk no longer accepts the saved credentials: the admin must sign in again. Nothing works
    /// until then, and the console and `handoff status` say so.
    pub reconnect_required: Option<String>,
    /// A token refresh was started and not finished (the process died mid-refresh); the next start-up tries the
    /// stored pair and either clears this or sets `reconnect_required`.
    pub refresh_interrupted: bool,
}

/// What an OAuth connection keeps that is not secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthDetails {
    /// The OAuth client's unique identifier, as registered in Admin Center.
    pub client_id: String,
    pub grant: GrantKind,
    /// The scopes Zendesk granted.
    pub scopes: Vec<String>,
    /// When the stored access token expires (it is refreshed a minute before).
    pub token_expires_at: Option<Timestamp>,
    /// When the stored refresh token expires: a connection unused until then needs a new sign-in.
    pub refresh_expires_at: Option<Timestamp>,
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

/// The checks of Verify & Save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckId {
    Subdomain,
    Account,
    /// OAuth only: Zendesk granted a token (the browser consent and the code exchange, or client credentials).
    Authorization,
    Credentials,
    /// OAuth only: the token carries every scope the product needs.
    Scopes,
    Role,
    DefaultAgent,
    Keychain,
}

impl CheckId {
    /// The checks of an API-token connect, in the order they run.
    pub const API_TOKEN: [CheckId; 6] = [
        CheckId::Subdomain,
        CheckId::Account,
        CheckId::Credentials,
        CheckId::Role,
        CheckId::DefaultAgent,
        CheckId::Keychain,
    ];

    /// The checks of an OAuth connect, in the order they run.
    pub const OAUTH: [CheckId; 8] = [
        CheckId::Subdomain,
        CheckId::Account,
        CheckId::Authorization,
        CheckId::Credentials,
        CheckId::Scopes,
        CheckId::Role,
        CheckId::DefaultAgent,
        CheckId::Keychain,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Subdomain => "subdomain",
            CheckId::Account => "account",
            CheckId::Authorization => "authorization",
            CheckId::Credentials => "credentials",
            CheckId::Scopes => "scopes",
            CheckId::Role => "role",
            CheckId::DefaultAgent => "default_agent",
            CheckId::Keychain => "keychain",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CheckId::Subdomain => "Subdomain is well formed",
            CheckId::Account => "Subdomain is a Zendesk account",
            CheckId::Authorization => "Zendesk granted access",
            CheckId::Credentials => "Credentials authenticate",
            CheckId::Scopes => "Token has the scopes the console needs",
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
    /// Set while a running check waits to retry a call (the detail then says why and for how long), so a
    /// printer can show it as a line under the check rather than as the check starting again.
    pub retry: Option<Retry>,
    /// The sign-in's redirect port, when another program holding it is why the check failed: a window can then
    /// offer to change `oauth-redirect-port` where the admin stands.
    pub redirect_port_taken: Option<u16>,
}

/// The detail of a check that has just started.
pub const CHECKING: &str = "Checking…";

impl Check {
    fn running_with(id: CheckId, detail: impl Into<String>) -> Check {
        Check {
            id,
            status: CheckStatus::Running,
            detail: detail.into(),
            cause: None,
            fix: None,
            retry: None,
            redirect_port_taken: None,
        }
    }
    /// The check, still running, about to wait for a retry: "Zendesk answered 429 (rate limit), retrying in
    /// 12 s (attempt 2 of 4)".
    fn retrying(id: CheckId, retry: Retry) -> Check {
        Check {
            id,
            status: CheckStatus::Running,
            detail: format!(
                "{}, retrying in {} (attempt {} of {})",
                retry.cause,
                seconds(retry.wait),
                retry.attempt,
                retry.max_attempts
            ),
            cause: None,
            fix: None,
            retry: Some(retry),
            redirect_port_taken: None,
        }
    }
    fn running(id: CheckId) -> Check {
        Check {
            id,
            status: CheckStatus::Running,
            detail: CHECKING.to_owned(),
            cause: None,
            fix: None,
            retry: None,
            redirect_port_taken: None,
        }
    }
    fn passed(id: CheckId, detail: impl Into<String>) -> Check {
        Check {
            id,
            status: CheckStatus::Passed,
            detail: detail.into(),
            cause: None,
            fix: None,
            retry: None,
            redirect_port_taken: None,
        }
    }
    fn warning(id: CheckId, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            id,
            status: CheckStatus::Warning,
            detail: detail.into(),
            cause: None,
            fix: Some(fix.into()),
            retry: None,
            redirect_port_taken: None,
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
            retry: None,
            redirect_port_taken: None,
        }
    }
    fn skipped(id: CheckId, detail: impl Into<String>) -> Check {
        Check {
            id,
            status: CheckStatus::Skipped,
            detail: detail.into(),
            cause: None,
            fix: None,
            retry: None,
            redirect_port_taken: None,
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

    /// The failed checks, each with its cause, in one line: why nothing was saved.
    pub fn failures(&self) -> String {
        let failed: Vec<String> = self
            .checks
            .iter()
            .filter(|c| c.status == CheckStatus::Failed)
            .map(|c| {
                format!(
                    "{}: {}",
                    c.id.label(),
                    c.cause.as_deref().unwrap_or(&c.detail)
                )
            })
            .collect();
        failed.join("; ")
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
    on_check: impl FnMut(&Check) + Send,
) -> Result<VerifyReport, ConnectError> {
    let mut progress = Progress::new(&CheckId::API_TOKEN, on_check);

    // 1. The subdomain and base URL are well formed; 2. they lead to a Zendesk account.
    let Some(target) = progress.target(&input.subdomain, input.base_url.as_deref()) else {
        return Ok(progress.skip_rest("the subdomain is not valid"));
    };
    let email = input.email.trim().to_owned();
    if let Some(refused) = api_token_input_check(&email, &input.token) {
        return Ok(progress.refuse_before_sending(refused, "fix the email or API token first"));
    }
    if !progress.account(&target).await? {
        return Ok(progress.skip_rest("the account could not be reached"));
    }

    // 3. The credentials authenticate (a 401, or a 200 for an anonymous user, means they do not).
    progress.report(Check::running(CheckId::Credentials));
    let auth = Auth::ApiToken {
        email: email.clone(),
        token: input.token.clone(),
    };
    let authed = progress.client(&target.base_url, auth)?;
    let user = match progress
        .watch(CheckId::Credentials, authed.current_user())
        .await
    {
        Ok(user) => {
            progress.report(Check::passed(
                CheckId::Credentials,
                format!(
                    "Signed in as {} ({})",
                    user.name,
                    user.email.as_deref().unwrap_or(&email)
                ),
            ));
            user
        }
        Err(error) => {
            progress.report(credentials_failure(&email, &error));
            return Ok(progress.skip_rest("the credentials did not authenticate"));
        }
    };

    // 4. The user is active and may do what the product needs; 5. the optional default agent exists.
    let Some(default_agent) = progress
        .role_and_default_agent(&authed, Some(&user), input.default_agent_id.as_deref())
        .await
    else {
        return Ok(progress.not_saved());
    };

    // 6. Save: the token to the keychain under a new generation, then the switch in SQLite.
    let connection = Connection {
        subdomain: target.subdomain,
        base_url: target.base_url,
        auth_method: AuthMethod::ApiToken,
        email,
        user: UserSummary::from(&user),
        default_agent,
        demo: options.demo,
        connected_at: now,
        oauth: None,
        reconnect_required: None,
        refresh_interrupted: false,
    };
    let secrets = [(SecretName::ZendeskApiToken, input.token.clone())];
    progress
        .save(
            profile,
            connection,
            &secrets,
            "Saved; the token is in the OS keychain",
        )
        .await
}

/// The checks of one run: reports each as it starts and ends, and keeps the final states in order.
struct Progress<'a, F: FnMut(&Check)> {
    order: &'a [CheckId],
    on_check: F,
    checks: Vec<Check>,
    /// Every client of the run tells its retries here (see [`Progress::client`]); [`Progress::watch`] reports
    /// them as they happen.
    retries: RetryObserver,
    retried: UnboundedReceiver<Retry>,
}

impl<'a, F: FnMut(&Check)> Progress<'a, F> {
    fn new(order: &'a [CheckId], on_check: F) -> Self {
        let (sender, retried) = unbounded_channel();
        Progress {
            order,
            on_check,
            checks: Vec::new(),
            retries: RetryObserver::new(move |retry| {
                // The receiver lives as long as the run; a retry told after it ended has no one to tell.
                let _ = sender.send(*retry);
            }),
            retried,
        }
    }

    /// A client whose retries this run reports.
    fn client(&self, base_url: &Url, auth: Auth) -> Result<Client, ConnectError> {
        let mut config = ClientConfig::new(base_url.clone(), auth);
        config.on_retry = Some(self.retries.clone());
        Client::new(config).map_err(ConnectError::Zendesk)
    }

    /// Runs `call` (the calls of check `id`), reporting each retry its clients make as the check, still
    /// running, says why and how long it waits: a slow account shows what it is doing instead of silence.
    async fn watch<T>(&mut self, id: CheckId, call: impl Future<Output = T>) -> T {
        // A retry told outside any watched call belongs to no check on screen now.
        while self.retried.try_recv().is_ok() {}
        let mut call = std::pin::pin!(call);
        loop {
            let retry = tokio::select! {
                output = &mut call => return output,
                Some(retry) = self.retried.recv() => retry,
            };
            self.report(Check::retrying(id, retry));
        }
    }

    fn report(&mut self, check: Check) {
        (self.on_check)(&check);
        if check.status != CheckStatus::Running {
            self.checks.push(check);
        }
    }

    /// Marks every check that has not reported as skipped for `reason`; nothing was saved.
    fn skip_rest(mut self, reason: &str) -> VerifyReport {
        let order = self.order;
        for id in order {
            if !self.checks.iter().any(|c| c.id == *id) {
                self.report(Check::skipped(*id, format!("Not checked: {reason}.")));
            }
        }
        self.finish(None)
    }

    /// A check failed on the input alone, before anything was sent to Zendesk: the checks before it were not run
    /// (so nothing, and no secret, travelled for nothing), the failed one is reported, the rest skipped.
    fn refuse_before_sending(mut self, failed: Check, reason: &str) -> VerifyReport {
        let order = self.order;
        for id in order.iter().take_while(|id| **id != failed.id) {
            if !self.checks.iter().any(|c| c.id == *id) {
                self.report(Check::skipped(*id, format!("Not checked: {reason}.")));
            }
        }
        self.report(Check::running(failed.id));
        self.report(failed);
        self.skip_rest(reason)
    }

    /// A required check failed: the keychain step is skipped and nothing is saved.
    fn not_saved(mut self) -> VerifyReport {
        self.report(Check::skipped(
            CheckId::Keychain,
            "Not saved: a required check failed.",
        ));
        self.finish(None)
    }

    /// The last step: saves `connection` with its credentials (the one save path of both auth methods). A
    /// keychain failure is the Keychain check's failure; a database failure is an error. Either way nothing
    /// changed: the previous connection, if any, still works.
    async fn save(
        mut self,
        profile: &Profile,
        connection: Connection,
        secrets: &[(SecretName, SecretString)],
        saved: &str,
    ) -> Result<VerifyReport, ConnectError> {
        self.report(Check::running(CheckId::Keychain));
        match save::save(profile, &connection, secrets).await {
            Ok(()) => {
                self.report(Check::passed(CheckId::Keychain, saved));
                tracing::info!(
                    subdomain = %connection.subdomain,
                    user_id = connection.user.id,
                    auth_method = connection.auth_method.as_str(),
                    "connected to Zendesk"
                );
                Ok(self.finish(Some(connection)))
            }
            Err(SaveError::Keychain(error)) => {
                self.report(keychain_failure(&error));
                Ok(self.finish(None))
            }
            Err(SaveError::Store(error)) => Err(ConnectError::Store(error)),
        }
    }

    fn finish(self, connection: Option<Connection>) -> VerifyReport {
        VerifyReport {
            checks: self.checks,
            connection,
        }
    }

    /// Check 1: the subdomain (and the base URL override) are well formed.
    fn target(&mut self, subdomain: &str, base_url: Option<&str>) -> Option<Target> {
        self.report(Check::running(CheckId::Subdomain));
        match Target::parse(subdomain, base_url) {
            Ok(target) => {
                let detail = match base_url.map(str::trim).filter(|s| !s.is_empty()) {
                    Some(_) => format!("{} (through {})", target.subdomain.host(), target.base_url),
                    None => target.subdomain.host(),
                };
                self.report(Check::passed(CheckId::Subdomain, detail));
                Some(target)
            }
            Err(check) => {
                self.report(check);
                None
            }
        }
    }

    /// Check 2: the subdomain is a Zendesk account: `users/me` answers JSON even without credentials.
    async fn account(&mut self, target: &Target) -> Result<bool, ConnectError> {
        self.report(Check::running(CheckId::Account));
        let anonymous = self.client(&target.base_url, Auth::Anonymous)?;
        let check = match self.watch(CheckId::Account, anonymous.current_user()).await {
            Ok(_) | Err(zendesk::Error::BadCredentials { .. }) => Check::passed(
                CheckId::Account,
                format!("{} answers as a Zendesk account", target.subdomain.host()),
            ),
            Err(error) => unreachable_account(target, &error),
        };
        let ok = check.status == CheckStatus::Passed;
        self.report(check);
        Ok(ok)
    }

    /// The role check (skipped when the user could not be read) and the Default Agent check. `None` when either
    /// failed; otherwise the default agent, if one was given.
    async fn role_and_default_agent(
        &mut self,
        client: &Client,
        user: Option<&User>,
        default_agent_id: Option<&str>,
    ) -> Option<Option<UserSummary>> {
        self.report(Check::running(CheckId::Role));
        let role_check = match user {
            Some(user) => role_check(user),
            None => Check::failed(
                CheckId::Role,
                "The signed-in user could not be read",
                "Without users:read the console cannot tell whether the user is an admin.",
                "Grant the missing scopes (see above) and connect again.",
            ),
        };
        let role_ok = role_check.status != CheckStatus::Failed;
        self.report(role_check);

        self.report(Check::running(CheckId::DefaultAgent));
        let (agent_check, default_agent) = self
            .watch(
                CheckId::DefaultAgent,
                default_agent_check(client, default_agent_id),
            )
            .await;
        let agent_ok = agent_check.status != CheckStatus::Failed;
        self.report(agent_check);
        (role_ok && agent_ok).then_some(default_agent)
    }
}

/// Looks up the Default Agent ID the admin is typing, with the credentials they typed.
pub async fn lookup_agent(
    input: &ConnectInput,
    agent_id: &str,
) -> Result<UserSummary, ConnectError> {
    let target = Target::parse(&input.subdomain, input.base_url.as_deref())
        .map_err(|check| ConnectError::Invalid(check.detail))?;
    let id = parse_agent_id(agent_id).map_err(ConnectError::Invalid)?;
    let email = input.email.trim();
    if let Some(refused) = api_token_input_check(email, &input.token) {
        return Err(ConnectError::Invalid(format!(
            "{}. {} {}",
            refused.detail,
            refused.cause.unwrap_or_default(),
            refused.fix.unwrap_or_default()
        )));
    }
    let auth = Auth::ApiToken {
        email: email.to_owned(),
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
    fn parse(subdomain_input: &str, base_url: Option<&str>) -> Result<Target, Check> {
        let subdomain = Subdomain::parse(subdomain_input).map_err(|error| {
            Check::failed(
                CheckId::Subdomain,
                format!(
                    "{} is not a Zendesk subdomain",
                    quote(subdomain_input.trim())
                ),
                sentence(&error.to_string()),
                "Type only the account's name: for https://acme.zendesk.com that is `acme`.",
            )
        })?;
        let base_url = match base_url.map(str::trim).filter(|s| !s.is_empty()) {
            None => zendesk::account_url(subdomain.as_str()).map_err(|error| {
                Check::failed(CheckId::Subdomain, "No address for this subdomain", sentence(&error.to_string()), "Check the subdomain.")
            })?,
            Some(raw) => parse_base_url(raw).map_err(|cause| {
                Check::failed(
                    CheckId::Subdomain,
                    format!("{} is not a usable base URL", quote(raw)),
                    sentence(&cause),
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
    // Plain http would carry the token or client secret in clear text, readable by anyone on the way: it is
    // allowed only where nothing is on the way, to this machine (a simulator, a local proxy).
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(format!(
            "plain http:// would send the credentials unencrypted to {}: use https://, or http:// only for a \
             simulator on this machine (127.0.0.1, [::1] or localhost)",
            url.host_str().unwrap_or_default()
        ));
    }
    Ok(url)
}

/// 127.0.0.0/8, ::1 and `localhost` (RFC 6761 keeps it on this machine); not names that merely start so.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Zendesk user IDs are the API's int64 integers: 1 to 9223372036854775807, so at most 19 digits.
pub(crate) fn parse_agent_id(raw: &str) -> Result<u64, String> {
    let trimmed = raw.trim();
    let shown = quote(trimmed);
    if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{shown} is not a number: a Default Agent ID is digits only, such as 6130907993114"
        ));
    }
    let digits = trimmed.trim_start_matches('0').len();
    match trimmed.parse::<u64>() {
        Ok(0) => Err(format!(
            "{shown} is not a user ID: Zendesk user IDs start at 1"
        )),
        Ok(id) if i64::try_from(id).is_ok() => Ok(id),
        _ if digits > 19 => Err(format!(
            "{shown} has {digits} digits: Zendesk user IDs have at most 19, such as 6130907993114"
        )),
        _ => Err(format!(
            "{shown} is larger than any Zendesk user ID (they go up to {})",
            i64::MAX
        )),
    }
}

/// The longest API token or OAuth client secret accepted. Zendesk issues API tokens of 40 characters and client
/// secrets of 64; 4 KiB is sixty times that, room for any format Zendesk may adopt, and still well below the
/// 8 to 16 KiB web servers and proxies allow for request headers (an API token travels base64-encoded, a third
/// longer, in one). Past those limits Zendesk never sees the request, and the admin gets an HTTP 431 that says
/// nothing about the pasted text being wrong.
pub const MAX_SECRET_BYTES: usize = 4096;

/// What makes `secret` unusable as a Zendesk `what`, if anything. Never quotes the secret.
fn secret_problem(secret: &SecretString, what: &str) -> Option<String> {
    let value = secret.expose_secret();
    if value.trim().is_empty() {
        return Some(format!("No {what} was entered."));
    }
    if value.len() > MAX_SECRET_BYTES {
        return Some(format!(
            "The {what} is {} bytes long, longer than any Zendesk {what} (they are tens of characters; at most \
             {MAX_SECRET_BYTES} bytes are accepted): more than the {what} was pasted, perhaps a whole file.",
            value.len()
        ));
    }
    if value.chars().any(char::is_control) {
        return Some(format!(
            "The {what} contains a line break, tab or other control character, which no Zendesk {what} has: \
             more than the {what} was pasted."
        ));
    }
    None
}

/// The Credentials check, failed from what was typed before anything is sent: an email Zendesk could not
/// match, or a token that cannot be one (it would come back as an HTTP 431 or a misleading 401).
fn api_token_input_check(email: &str, token: &SecretString) -> Option<Check> {
    let fix_email = "Enter the email of the admin who owns the API token (Admin Center > People > Team members).";
    if email.is_empty() {
        return Some(Check::failed(
            CheckId::Credentials,
            "No email",
            "An API token works only together with the email of the admin who owns it.",
            fix_email,
        ));
    }
    if !is_email_address(email) {
        return Some(Check::failed(
            CheckId::Credentials,
            format!("{} is not an email address", quote(email)),
            "Zendesk matches the API token to the admin with this email, so it must be an address such as \
             admin@acme.com, with no spaces.",
            fix_email,
        ));
    }
    secret_problem(token, "API token").map(|cause| {
        Check::failed(
            CheckId::Credentials,
            "The API token cannot be right",
            cause,
            "Paste the API token alone, with nothing before or after it, and run Verify & Save again; prefer \
             OAuth, since new API tokens can no longer be created.",
        )
    })
}

/// `local@domain.tld`, at most 254 characters (RFC 5321), no spaces or control characters: what Zendesk can
/// match to a user. Deliberately loose beyond that; Zendesk is the judge of the rest.
fn is_email_address(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
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
            sentence(&error.to_string()),
            "Check this machine's network connection and proxy settings, then run Verify & Save again.",
        ),
        zendesk::Error::RateLimited { .. } | zendesk::Error::Server { .. } => Check::failed(
            CheckId::Account,
            format!("{host} is a Zendesk account, but Zendesk did not serve the request"),
            sentence(&error.to_string()),
            zendesk_busy_fix(error),
        ),
        other => Check::failed(
            CheckId::Account,
            format!("{host} did not answer like a Zendesk account"),
            sentence(&other.to_string()),
            "Check the subdomain; if it is right, Zendesk may be having trouble: try again in a few minutes.",
        ),
    }
}

/// A wait as people read it: `0.5 s` under a second, else whole seconds (`12 s`).
fn seconds(wait: std::time::Duration) -> String {
    if wait < std::time::Duration::from_secs(1) {
        format!("{:.1} s", wait.as_secs_f64())
    } else {
        format!("{} s", wait.as_secs_f64().round())
    }
}

/// What to do when Zendesk refused for its own reasons (a rate limit, a failure on its side): not the
/// admin's input, so the fix is to wait, never to check what was typed.
fn zendesk_busy_fix(error: &zendesk::Error) -> String {
    match error {
        zendesk::Error::RateLimited { retry_after } => {
            let wait = match retry_after {
                Some(wait) => format!("{} s", wait.as_secs_f64().ceil().max(1.0)),
                None => "a minute".to_owned(),
            };
            format!(
                "Zendesk's rate limit for this account is used up (every app and integration on the account \
                 shares it): wait {wait}, then run Verify & Save again."
            )
        }
        zendesk::Error::Server { status, .. } => format!(
            "Zendesk failed on its side (HTTP {status}): try again in a few minutes, and check \
             status.zendesk.com if it lasts."
        ),
        _ => "Run Verify & Save again; if it keeps failing, check status.zendesk.com.".to_owned(),
    }
}

fn credentials_failure(email: &str, error: &zendesk::Error) -> Check {
    match error {
        zendesk::Error::BadCredentials { .. } => Check::failed(
            CheckId::Credentials,
            "Zendesk did not accept the email and API token",
            format!(
                "The token is wrong or revoked, it does not belong to {email}, or token access is turned off in \
                 Admin Center."
            ),
            "In Admin Center > Apps and integrations > APIs > Zendesk API, turn Token access on and check the token; \
             the email must be the admin who owns it. New tokens can no longer be created: prefer OAuth.",
        ),
        zendesk::Error::Forbidden { reason } => Check::failed(
            CheckId::Credentials,
            "Zendesk refused access to the API",
            format!(
                "{} The plan may not include API access, or the user lacks permission.",
                sentence(&reason.to_string())
            ),
            "API access needs Suite Team / Support Professional or higher; ask the account owner to check the plan.",
        ),
        other => Check::failed(
            CheckId::Credentials,
            "The credentials could not be checked",
            sentence(&other.to_string()),
            zendesk_busy_fix(other),
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
                    "The Default Agent ID is not a Zendesk user ID",
                    cause,
                    fix,
                ),
                None,
            );
        }
    };
    match client.show_user(id).await {
        Ok(user) => {
            let check = assignable_agent(&user);
            let agent = (check.status == CheckStatus::Passed).then(|| UserSummary::from(&user));
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
                sentence(&error.to_string()),
                "Run Verify & Save again, or leave the field empty.",
            ),
            None,
        ),
    }
}

/// The Default Agent check's verdict on the user the ID names: Zendesk assigns tickets only to active agents
/// and admins with a Support seat, so light agents (role_type 1) and chat-only agents and contributors (2, 3)
/// are refused here rather than on the first handoff.
pub(crate) fn assignable_agent(user: &User) -> Check {
    let summary = UserSummary::from(user);
    let another = "Enter the ID of a full agent or an admin, or leave the field empty.";
    if !matches!(user.role, Role::Agent | Role::Admin) {
        return Check::failed(
            CheckId::DefaultAgent,
            format!("{} is not an agent (role: {})", user.name, summary.role),
            "Tickets can only be assigned to agents and admins.",
            another,
        );
    }
    if user.suspended || !user.active {
        let state = if user.suspended {
            "suspended"
        } else {
            "deactivated"
        };
        return Check::failed(
            CheckId::DefaultAgent,
            format!("{} is {state}", user.name),
            format!("Zendesk does not assign tickets to a {state} agent."),
            "Reactivate the user in Admin Center > People > Team members, or enter the ID of an active agent, or \
             leave the field empty.",
        );
    }
    let seatless = match (&user.role, user.role_type) {
        (Role::Agent, Some(1)) => Some(("a light agent", "light agents")),
        (Role::Agent, Some(2)) => Some(("a chat-only agent", "chat-only agents")),
        (Role::Agent, Some(3)) => Some(("a chat contributor", "chat contributors")),
        _ => None,
    };
    match seatless {
        Some((kind, kinds)) => Check::failed(
            CheckId::DefaultAgent,
            format!("{} is {kind}", user.name),
            format!(
                "Zendesk does not let {kinds} be assigned tickets, so the handoff tickets could not go to {}.",
                user.name
            ),
            "Enter the ID of a full agent or an admin, give this user a full agent role in Admin Center > People > \
             Team members, or leave the field empty.",
        ),
        None => Check::passed(
            CheckId::DefaultAgent,
            format!("{} ({})", user.name, summary.role),
        ),
    }
}

fn keychain_failure(error: &crate::keychain::KeychainError) -> Check {
    Check::failed(
        CheckId::Keychain,
        "The token could not be stored, so nothing was saved",
        sentence(&error.to_string()),
        "Fix the keychain as described, then run Verify & Save again.",
    )
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
        assert_eq!(
            parse_agent_id("9223372036854775807"),
            Ok(9_223_372_036_854_775_807)
        );
        for bad in [
            "",
            "abc",
            "-4",
            "+5",
            "0",
            "000",
            "12.5",
            "1 2",
            "9223372036854775808",
            "18446744073709551616",
        ] {
            assert!(parse_agent_id(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn secrets_are_bounded_and_single_line() {
        let at_bound = "k".repeat(MAX_SECRET_BYTES);
        let past_bound = "k".repeat(MAX_SECRET_BYTES + 1);
        let table: [(&str, Option<&str>); 7] = [
            ("0123456789abcdefghij0123456789abcdefghij", None),
            (&at_bound, None),
            (&past_bound, Some("4097 bytes long")),
            ("", Some("No API token was entered")),
            ("xqz\tzqx", Some("control character")),
            ("xqz\u{0}zqx", Some("control character")),
            ("xqz\u{7f}zqx", Some("control character")),
        ];
        for (secret, says) in table {
            let problem = secret_problem(&SecretString::from(secret), "API token");
            match says {
                None => assert_eq!(problem, None, "{} bytes", secret.len()),
                Some(says) => {
                    let problem = problem.unwrap_or_else(|| panic!("{secret:?} should be refused"));
                    assert!(problem.contains(says), "{problem}");
                    assert!(
                        !problem.contains("kkkk") && !problem.contains("xqz"),
                        "never echoed: {problem}"
                    );
                }
            }
        }
    }

    #[test]
    fn emails_are_refused_only_when_zendesk_could_not_match_them() {
        for good in [
            "admin@example.com",
            "a.b+c@sub.acme.co.uk",
            "ADMIN@ACME.COM",
        ] {
            assert!(is_email_address(good), "{good:?}");
        }
        for bad in [
            "",
            "admin",
            "@acme.com",
            "admin@",
            "admin@acme",
            "admin@.com",
            "ad min@acme.com",
            "a@b.c\n",
        ] {
            assert!(!is_email_address(bad), "{bad:?}");
        }
    }

    /// Zendesk assigns tickets only to active full agents and admins (FACTS §users: role_type 1 light agent,
    /// 2 chat-only agent, 3 chat contributor).
    #[test]
    fn the_default_agent_must_be_one_zendesk_can_assign_tickets_to() {
        // (role, role_type, active, suspended, expected status, what the detail or cause says)
        let table = [
            (
                "admin",
                Some(4),
                true,
                false,
                CheckStatus::Passed,
                "Ann (admin)",
            ),
            (
                "agent",
                Some(0),
                true,
                false,
                CheckStatus::Passed,
                "Ann (agent)",
            ),
            (
                "agent",
                None,
                true,
                false,
                CheckStatus::Passed,
                "Ann (agent)",
            ),
            (
                "admin",
                Some(5),
                true,
                false,
                CheckStatus::Passed,
                "Ann (admin)",
            ),
            (
                "agent",
                Some(1),
                true,
                false,
                CheckStatus::Failed,
                "light agent",
            ),
            (
                "agent",
                Some(2),
                true,
                false,
                CheckStatus::Failed,
                "chat-only agent",
            ),
            (
                "agent",
                Some(3),
                true,
                false,
                CheckStatus::Failed,
                "chat contributor",
            ),
            (
                "agent",
                Some(0),
                false,
                false,
                CheckStatus::Failed,
                "deactivated",
            ),
            (
                "admin",
                Some(4),
                true,
                true,
                CheckStatus::Failed,
                "suspended",
            ),
            (
                "end-user",
                None,
                true,
                false,
                CheckStatus::Failed,
                "not an agent",
            ),
        ];
        for (role, role_type, active, suspended, status, says) in table {
            let user: User = serde_json::from_value(serde_json::json!({
                "id": 42, "name": "Ann", "role": role, "role_type": role_type,
                "active": active, "suspended": suspended,
            }))
            .unwrap_or_else(|e| panic!("{e}"));
            let check = assignable_agent(&user);
            let case = format!("{role} {role_type:?} active={active} suspended={suspended}");
            assert_eq!(check.status, status, "{case}: {check:?}");
            let text = format!(
                "{} {}",
                check.detail,
                check.cause.clone().unwrap_or_default()
            );
            assert!(text.contains(says), "{case} should say {says:?}: {check:?}");
            if status == CheckStatus::Failed {
                let fix = check.fix.clone().unwrap_or_default();
                assert!(
                    fix.contains("Enter the ID of") || fix.contains("Reactivate"),
                    "{case}: the fix says what to do: {check:?}"
                );
            }
        }
    }

    /// Plain http would carry the token or client secret in clear text: only to this machine.
    #[test]
    fn base_urls_are_https_or_http_on_this_machine() {
        for good in [
            "http://127.0.0.1:4010",
            "http://127.3.4.5:4010/",
            "http://[::1]:4010",
            "http://localhost:4010",
            "HTTP://LocalHost:4010",
            "https://acme.zendesk.com",
            "https://proxy.example.com:8443/zendesk",
            "https://10.0.0.5",
        ] {
            assert!(parse_base_url(good).is_ok(), "{good:?} should be accepted");
        }
        let table = [
            ("127.0.0.1:4010", "it is not a URL"),
            ("ftp://x", "http:// or https://"),
            (
                "https://user:pw@acme.zendesk.com",
                "must not carry credentials",
            ),
            ("not a url", "it is not a URL"),
            (
                "http://acme.zendesk.com",
                "use https://, or http:// only for a simulator on this machine",
            ),
            (
                "http://10.0.0.5:4010",
                "use https://, or http:// only for a simulator on this machine",
            ),
            ("http://[::2]:4010", "use https://"),
            ("http://128.0.0.1", "use https://"),
            ("http://localhost.evil.test", "use https://"),
            ("http://127.0.0.1.nip.io", "use https://"),
        ];
        for (bad, says) in table {
            match parse_base_url(bad) {
                Ok(url) => panic!("{bad:?} was accepted as {url}"),
                Err(cause) => assert!(cause.contains(says), "{bad:?} should say {says:?}: {cause}"),
            }
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
            oauth: None,
            reconnect_required: None,
            refresh_interrupted: false,
        }
    }
}
