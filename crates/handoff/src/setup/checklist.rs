//! The live checklist (SPEC §5): every item `ok | warning | failing | unknown`, one line of evidence, and the
//! action that fixes it.
//!
//! [`refresh`] reads the account once ([`super::observe`](mod@super::observe): the user, the webhook, its signing secret, every
//! trigger, the newest invocations), asks Zendesk's webhook test endpoint to call the relay, and then
//! [`evaluate`]s every item from those facts alone: evaluation is a pure function, so each item's states are
//! tested as a table without an account.
//!
//! Invariants: the checklist writes nothing to Zendesk and changes nothing in setup's records (the relay probe
//! calls `/healthz`, so a refresh every 30 s leaves nothing in the delivery log); evidence never shows the
//! webhook URL's tag, only its redacted form; an item that could not be judged is `unknown`, never `ok`.

use std::net::{IpAddr, Ipv6Addr};

use futures::future::BoxFuture;
use jiff::Timestamp;
use url::{Host, Url};
use zendesk::{Client, SecretString, WebhookStatus, WebhookTest};

use super::observe::{observe, Found, Observation, ReadError, ReadFailure, Reads};
use super::{notify, same_secret, spec, Recorded, Scope, SetupError, Target};
use crate::account::{self, Liveness};
use crate::clock::Clock;
use crate::connect::{AuthMethod, Connection};
use crate::message::moment;
use crate::oauth::GrantKind;
use crate::profile::Profile;
use crate::relay::keys::RelaySecrets;
use crate::relay::payload::{self, Notification};
use crate::relay::url::redacted;
use crate::store::VerificationRow;

/// How often a shown checklist refreshes itself (SPEC §5); at this pace the probe stays far below the webhook
/// test endpoint's 20 calls a minute.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The API-token deadline turns an item yellow this many days before it.
pub const DEADLINE_WARNING_DAYS: i64 = 90;

/// A checklist item. The wire names are a contract with scripts and the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemId {
    Connected,
    WebhookExists,
    WebhookActive,
    WebhookEndpoint,
    WebhookMethodFormat,
    WebhookConnected,
    SigningSecret,
    TriggerExists,
    TriggerActive,
    TriggerWebhook,
    TriggerConditions,
    TriggerBody,
    TriggerBodyJson,
    RelayReachable,
    Deliveries,
    Verification,
    AiFields,
    DoubleDelivery,
}

impl ItemId {
    /// Every item, in the order the checklist shows them.
    pub const ALL: [ItemId; 18] = [
        ItemId::Connected,
        ItemId::WebhookExists,
        ItemId::WebhookActive,
        ItemId::WebhookEndpoint,
        ItemId::WebhookMethodFormat,
        ItemId::WebhookConnected,
        ItemId::SigningSecret,
        ItemId::TriggerExists,
        ItemId::TriggerActive,
        ItemId::TriggerWebhook,
        ItemId::TriggerConditions,
        ItemId::TriggerBody,
        ItemId::TriggerBodyJson,
        ItemId::RelayReachable,
        ItemId::Deliveries,
        ItemId::Verification,
        ItemId::AiFields,
        ItemId::DoubleDelivery,
    ];

    /// What setup makes and the reply loop needs, root causes first: "no active trigger calls the webhook"
    /// follows from a trigger deactivated or deleted, so a diagnosis names it only when nothing upstream
    /// explains it. Verification's setup step and the doctor's setup probe both judge these.
    pub const LOOP_SETUP: [ItemId; 13] = [
        ItemId::WebhookExists,
        ItemId::WebhookActive,
        ItemId::WebhookEndpoint,
        ItemId::WebhookMethodFormat,
        ItemId::SigningSecret,
        ItemId::TriggerExists,
        ItemId::TriggerActive,
        ItemId::TriggerWebhook,
        ItemId::TriggerConditions,
        ItemId::TriggerBody,
        ItemId::TriggerBodyJson,
        ItemId::RelayReachable,
        ItemId::WebhookConnected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemId::Connected => "connected",
            ItemId::WebhookExists => "webhook_exists",
            ItemId::WebhookActive => "webhook_active",
            ItemId::WebhookEndpoint => "webhook_endpoint",
            ItemId::WebhookMethodFormat => "webhook_method_format",
            ItemId::WebhookConnected => "webhook_connected",
            ItemId::SigningSecret => "signing_secret",
            ItemId::TriggerExists => "trigger_exists",
            ItemId::TriggerActive => "trigger_active",
            ItemId::TriggerWebhook => "trigger_webhook",
            ItemId::TriggerConditions => "trigger_conditions",
            ItemId::TriggerBody => "trigger_body",
            ItemId::TriggerBodyJson => "trigger_body_json",
            ItemId::RelayReachable => "relay_reachable",
            ItemId::Deliveries => "deliveries",
            ItemId::Verification => "verification",
            ItemId::AiFields => "ai_fields",
            ItemId::DoubleDelivery => "double_delivery",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemId::Connected => "Connected to Zendesk",
            ItemId::WebhookExists => "Webhook exists",
            ItemId::WebhookActive => "Webhook is active",
            ItemId::WebhookEndpoint => "Webhook points at the relay's current URL",
            ItemId::WebhookMethodFormat => "Webhook sends POST, JSON",
            ItemId::WebhookConnected => "Webhook is called by a trigger",
            ItemId::SigningSecret => "Webhook signing secret is known",
            ItemId::TriggerExists => "Trigger exists",
            ItemId::TriggerActive => "Trigger is active",
            ItemId::TriggerWebhook => "Trigger notifies our webhook",
            ItemId::TriggerConditions => "Trigger fires on public comments",
            ItemId::TriggerBody => "Trigger body uses latest_public_comment",
            ItemId::TriggerBodyJson => "Trigger body is valid JSON once rendered",
            ItemId::RelayReachable => "Zendesk can reach the relay",
            ItemId::Deliveries => "Recent deliveries are healthy",
            ItemId::Verification => "Last end-to-end verification",
            ItemId::AiFields => "Mapped AI fields exist",
            ItemId::DoubleDelivery => "No reply is delivered twice",
        }
    }
}

/// An item's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ItemState {
    Ok,
    Unknown,
    Warning,
    Failing,
}

impl ItemState {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Ok => "ok",
            ItemState::Warning => "warning",
            ItemState::Failing => "failing",
            ItemState::Unknown => "unknown",
        }
    }
}

/// What fixes an item. The wire names are a contract with the console's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixAction {
    /// One-click setup (everything of ours).
    Setup,
    RepairWebhook,
    RepairTrigger,
    FetchSigningSecret,
    /// With the admin's consent: guard Zendesk's requester-notifying triggers.
    GuardNotifyTriggers,
    /// Sign in again.
    Reconnect,
    MoveToOAuth,
    SetPublicUrl,
    StartRelay,
    Verify,
    MapFields,
    /// Zendesk could not be asked: look again.
    Refresh,
}

impl FixAction {
    /// Every fix, in no particular order.
    pub const ALL: [FixAction; 12] = [
        FixAction::Setup,
        FixAction::RepairWebhook,
        FixAction::RepairTrigger,
        FixAction::FetchSigningSecret,
        FixAction::GuardNotifyTriggers,
        FixAction::Reconnect,
        FixAction::MoveToOAuth,
        FixAction::SetPublicUrl,
        FixAction::StartRelay,
        FixAction::Verify,
        FixAction::MapFields,
        FixAction::Refresh,
    ];

    /// The fix named by its id (`setup:trigger`, `serve`, ...), as [`FixAction::as_str`] spells it.
    pub fn parse(text: &str) -> Option<FixAction> {
        FixAction::ALL
            .into_iter()
            .find(|fix| fix.as_str() == text.trim())
    }

    /// The Admin Center page (a path under the account's host) where the admin sees or fixes by hand what this
    /// fix repairs; `None` when the fix is not about an object in Zendesk.
    pub fn admin_page(self) -> Option<&'static str> {
        match self {
            FixAction::Setup | FixAction::RepairWebhook | FixAction::FetchSigningSecret => {
                Some(super::manual::WEBHOOKS_PAGE)
            }
            FixAction::RepairTrigger | FixAction::GuardNotifyTriggers => {
                Some(super::manual::TRIGGERS_PAGE)
            }
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FixAction::Setup => "setup",
            FixAction::RepairWebhook => "setup:webhook",
            FixAction::RepairTrigger => "setup:trigger",
            FixAction::FetchSigningSecret => "setup:signing-secret",
            FixAction::GuardNotifyTriggers => "setup:double-delivery",
            FixAction::Reconnect => "connect",
            FixAction::MoveToOAuth => "connect:oauth",
            FixAction::SetPublicUrl => "config:public-url",
            FixAction::StartRelay => "serve",
            FixAction::Verify => "verify",
            FixAction::MapFields => "fields",
            FixAction::Refresh => "refresh",
        }
    }

    /// The command that does it from a terminal.
    pub fn command(self) -> &'static str {
        match self {
            FixAction::Setup => "handoff setup",
            FixAction::RepairWebhook => "handoff setup --fix webhook",
            FixAction::RepairTrigger => "handoff setup --fix trigger",
            FixAction::FetchSigningSecret => "handoff setup --fix signing-secret",
            FixAction::GuardNotifyTriggers => "handoff setup --fix double-delivery",
            FixAction::Reconnect => "handoff connect",
            FixAction::MoveToOAuth => "handoff connect --oauth --client-id ID",
            FixAction::SetPublicUrl => {
                "handoff config set public-url https://relay.example.com, then handoff setup"
            }
            FixAction::StartRelay => "handoff serve",
            FixAction::Verify => "handoff verify",
            FixAction::MapFields => "handoff fields",
            FixAction::Refresh => "handoff status",
        }
    }

    /// The setup scope that performs this fix, when setup does.
    pub fn scope(self) -> Option<Scope> {
        match self {
            FixAction::Setup => Some(Scope::All),
            FixAction::RepairWebhook => Some(Scope::Webhook),
            FixAction::RepairTrigger => Some(Scope::Trigger),
            FixAction::FetchSigningSecret => Some(Scope::SigningSecret),
            FixAction::GuardNotifyTriggers => Some(Scope::DoubleDelivery),
            _ => None,
        }
    }
}

/// One item of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: ItemId,
    pub state: ItemState,
    /// One line: what was found.
    pub evidence: String,
    pub fix: Option<FixAction>,
}

impl Item {
    /// The item as `handoff status --json` and the diagnostics bundle show it.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id.as_str(),
            "label": self.id.label(),
            "state": self.state.as_str(),
            "evidence": self.evidence,
            "fix": self.fix.map(|fix| fix.as_str()),
            "fix_command": self.fix.map(|fix| fix.command()),
        })
    }
}

fn item(id: ItemId, state: ItemState, evidence: impl Into<String>, fix: Option<FixAction>) -> Item {
    Item {
        id,
        state,
        evidence: evidence.into(),
        fix,
    }
}

/// The counts the status bar and the exit code come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub ok: usize,
    pub warning: usize,
    pub failing: usize,
    pub unknown: usize,
    /// Zendesk could not be asked (a network failure, a timeout, a 5xx, a rate limit): the unknown items may
    /// be anything.
    pub zendesk_unreachable: bool,
}

/// The checklist as of one refresh.
#[derive(Debug, Clone)]
pub struct Checklist {
    pub items: Vec<Item>,
    pub refreshed_at: Timestamp,
    pub connection: Connection,
    pub liveness: Liveness,
    /// Zendesk requests the refresh made (the user, each object, the probe).
    pub zendesk_requests: usize,
}

impl Checklist {
    pub fn item(&self, id: ItemId) -> Option<&Item> {
        self.items.iter().find(|item| item.id == id)
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for item in &self.items {
            match item.state {
                ItemState::Ok => summary.ok += 1,
                ItemState::Warning => summary.warning += 1,
                ItemState::Failing => summary.failing += 1,
                ItemState::Unknown => summary.unknown += 1,
            }
        }
        summary.zendesk_unreachable = matches!(self.liveness, Liveness::Unknown { .. })
            || self.items.iter().any(|item| {
                item.state == ItemState::Unknown && item.fix == Some(FixAction::Refresh)
            });
        summary
    }
}

/// The AI Fields work's seam: whether the mapped fields still exist in Zendesk with valid options. One read of
/// the ticket fields per refresh.
pub trait MappedFields: Send + Sync {
    fn check<'a>(&'a self, client: &'a Client) -> BoxFuture<'a, FieldsVerdict>;
}

/// What the fields check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldsVerdict {
    pub state: ItemState,
    pub evidence: String,
}

/// No field is mapped (until the AI Fields work supplies the real check): nothing can have drifted.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMappedFields;

impl MappedFields for NoMappedFields {
    fn check<'a>(&'a self, _client: &'a Client) -> BoxFuture<'a, FieldsVerdict> {
        Box::pin(async {
            FieldsVerdict {
                state: ItemState::Ok,
                evidence: "no fields mapped".to_owned(),
            }
        })
    }
}

/// What the relay probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayProbe {
    /// Not asked of Zendesk: the public URL is an address Zendesk can never call (`why` says which kind).
    Unreachable { why: &'static str },
    /// Zendesk's test call to `{public-url}/healthz` got this HTTP status (502: unreachable, 504: timeout).
    Answered { status: u16 },
    /// Zendesk refused or failed to make the test call.
    NotProbed(ReadError),
    /// Not attempted (Zendesk does not accept the credentials, or could not be asked at all).
    Skipped,
}

/// The path the probe calls: answered by the relay's server, stores nothing.
pub const PROBE_PATH: &str = "/healthz";

/// Whether `url`'s host is one only this machine or network can reach; says which kind.
pub fn local_address(url: &Url) -> Option<&'static str> {
    match url.host()? {
        Host::Ipv4(ip) => ip_kind(IpAddr::V4(ip)),
        Host::Ipv6(ip) => ip_kind(IpAddr::V6(ip)),
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                Some("a loopback address")
            } else if !name.contains('.')
                || [".local", ".internal", ".lan", ".home.arpa", ".intranet"]
                    .iter()
                    .any(|suffix| name.ends_with(suffix))
            {
                Some("a name only this network knows")
            } else {
                None
            }
        }
    }
}

fn ip_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) if ip.is_loopback() => Some("a loopback address"),
        IpAddr::V4(ip) if ip.is_private() => Some("a private address"),
        IpAddr::V4(ip) if ip.is_link_local() || ip.is_unspecified() => Some("a link-local address"),
        IpAddr::V6(ip) if ip.is_loopback() => Some("a loopback address"),
        IpAddr::V6(ip) if ip.is_unspecified() => Some("a link-local address"),
        IpAddr::V6(ip) if is_unique_local(&ip) => Some("a private address"),
        IpAddr::V6(ip) if (ip.segments()[0] & 0xffc0) == 0xfe80 => Some("a link-local address"),
        IpAddr::V6(ip) => ip.to_ipv4_mapped().and_then(|v4| ip_kind(IpAddr::V4(v4))),
        IpAddr::V4(_) => None,
    }
}

fn is_unique_local(ip: &Ipv6Addr) -> bool {
    (ip.segments()[0] & 0xfe00) == 0xfc00
}

/// Asks Zendesk to call `{public_url}/healthz`, unless the public URL is local and Zendesk is not (then
/// Zendesk could never reach it, and asking would make it call an address on its own side).
pub async fn probe_relay(client: &Client, zendesk: &Url, public_url: &Url) -> RelayProbe {
    if local_address(zendesk).is_none() {
        if let Some(why) = local_address(public_url) {
            return RelayProbe::Unreachable { why };
        }
    }
    let endpoint = format!("{}{PROBE_PATH}", public_url.as_str().trim_end_matches('/'));
    let test = WebhookTest {
        endpoint: Some(endpoint),
        http_method: Some("GET".to_owned()),
        request_format: Some(spec::FORMAT.to_owned()),
        ..WebhookTest::default()
    };
    match client.test_webhook(&test).await {
        Ok(answer) => RelayProbe::Answered {
            status: answer.status_code.unwrap_or(0),
        },
        Err(error) => RelayProbe::NotProbed(error.into()),
    }
}

/// Refreshes the checklist: one read per object, the probe, then every item.
pub async fn refresh(
    profile: &Profile,
    clock: &Clock,
    fields: &dyn MappedFields,
) -> Result<Checklist, SetupError> {
    let (connection, liveness) = account::verify(profile, clock)
        .await?
        .ok_or(SetupError::NotConnected)?;
    refresh_after(profile, clock, fields, connection, liveness).await
}

/// [`refresh`] for a caller that has just asked Zendesk whether the credentials work ([`account::verify`]):
/// everything but that request (the verification runs the two as its first two steps).
pub async fn refresh_after(
    profile: &Profile,
    clock: &Clock,
    fields: &dyn MappedFields,
    connection: Connection,
    liveness: Liveness,
) -> Result<Checklist, SetupError> {
    Ok(
        refresh_observed(profile, clock, fields, connection, liveness)
            .await?
            .checklist,
    )
}

/// A refresh with what it read, for a caller that looks further than the items (troubleshooting reads the
/// invocations' codes, every trigger's body and the client's rate-limit state from the same requests).
pub struct Observed {
    pub checklist: Checklist,
    /// `None` when Zendesk was not asked (the credentials are refused, or it could not be reached).
    pub observation: Option<Observation>,
    /// The client the reads went through, when Zendesk was asked.
    pub client: Option<Client>,
    /// The settings and webhook URLs the items were judged against.
    pub target: Target,
}

/// [`refresh_after`], keeping the observation and the client.
pub async fn refresh_observed(
    profile: &Profile,
    clock: &Clock,
    fields: &dyn MappedFields,
    connection: Connection,
    liveness: Liveness,
) -> Result<Observed, SetupError> {
    let mut requests = 1;
    let store = profile.store().clone();
    let secrets = RelaySecrets::new(profile.keychain()?, store.clone(), clock.clone());
    let target = Target::read(profile, &secrets, false).await?;
    let recorded = Recorded::read(&store)?;
    let last_verification = store.last_verification()?;
    let working = matches!(liveness, Liveness::Working { .. });
    let (observation, probe, fields_verdict, local_secret, client) = if working {
        let account = account::open(profile, clock)
            .await?
            .ok_or(SetupError::NotConnected)?;
        let client = &account.client;
        let (observation, probe, fields_verdict) = tokio::join!(
            observe(
                client,
                recorded.webhook.as_ref().map(|r| r.zendesk_id.as_str()),
                recorded.trigger_id()?,
                target.url.as_deref(),
                Reads {
                    all_triggers: true,
                    invocations: true,
                },
            ),
            probe_relay(client, &connection.base_url, &target.public_url),
            fields.check(client),
        );
        requests += observation.reads;
        if !matches!(probe, RelayProbe::Unreachable { .. }) {
            requests += 1;
        }
        let local_secret = secrets.current_signing_secret().await?;
        (
            Some(observation),
            probe,
            Some(fields_verdict),
            local_secret,
            Some(account.client.clone()),
        )
    } else {
        (None, RelayProbe::Skipped, None, None, None)
    };
    let now = clock.now();
    let items = evaluate(&Facts {
        now,
        connection: &connection,
        liveness: &liveness,
        target: &target,
        recorded: &recorded,
        observation: observation.as_ref(),
        local_secret: local_secret.as_ref(),
        probe: &probe,
        last_verification: last_verification.as_ref(),
        fields: fields_verdict.as_ref(),
    });
    Ok(Observed {
        checklist: Checklist {
            items,
            refreshed_at: now,
            connection,
            liveness,
            zendesk_requests: requests,
        },
        observation,
        client,
        target,
    })
}

/// Everything the items are judged from.
pub struct Facts<'a> {
    pub now: Timestamp,
    pub connection: &'a Connection,
    pub liveness: &'a Liveness,
    pub target: &'a Target,
    pub recorded: &'a Recorded,
    /// `None` when Zendesk was not asked (the credentials are refused, or it could not be reached).
    pub observation: Option<&'a Observation>,
    /// The relay's current signing secret (keychain).
    pub local_secret: Option<&'a SecretString>,
    pub probe: &'a RelayProbe,
    pub last_verification: Option<&'a VerificationRow>,
    /// `None` when not asked.
    pub fields: Option<&'a FieldsVerdict>,
}

/// Judges every item, in [`ItemId::ALL`]'s order.
pub fn evaluate(facts: &Facts<'_>) -> Vec<Item> {
    let mut items = vec![connected(facts)];
    let Some(observation) = facts.observation else {
        let (why, fix) = match facts.liveness {
            Liveness::ReconnectRequired { .. } => (
                "not checked: Zendesk does not accept the saved credentials",
                FixAction::Reconnect,
            ),
            _ => (
                "not checked: Zendesk could not be asked",
                FixAction::Refresh,
            ),
        };
        items.extend(
            ItemId::ALL[1..]
                .iter()
                .filter(|id| **id != ItemId::Verification)
                .map(|id| item(*id, ItemState::Unknown, why, Some(fix))),
        );
        items.push(verification(facts));
        items.sort_by_key(|i| ItemId::ALL.iter().position(|id| *id == i.id));
        return items;
    };
    items.extend(webhook_items(facts, observation));
    items.push(signing_secret(facts, observation));
    items.extend(trigger_items(facts, observation));
    items.push(relay_reachable(facts));
    items.push(deliveries(observation));
    items.push(verification(facts));
    items.push(match facts.fields {
        Some(verdict) => item(
            ItemId::AiFields,
            verdict.state,
            verdict.evidence.clone(),
            (verdict.state != ItemState::Ok).then_some(FixAction::MapFields),
        ),
        None => item(ItemId::AiFields, ItemState::Unknown, "not checked", None),
    });
    items.push(double_delivery(facts, observation));
    items
}

/// The unknown verdict of an object Zendesk did not show.
fn unreadable(id: ItemId, what: &str, error: &ReadError) -> Item {
    let fix = match error.kind {
        ReadFailure::Unreachable => FixAction::Refresh,
        ReadFailure::ReconnectRequired => FixAction::Reconnect,
        ReadFailure::Refused => FixAction::Reconnect,
    };
    let hint = match error.kind {
        ReadFailure::Refused => " (webhooks and triggers need an admin)",
        _ => "",
    };
    item(
        id,
        ItemState::Unknown,
        format!("Zendesk did not show {what}: {error}{hint}"),
        Some(fix),
    )
}

fn connected(facts: &Facts<'_>) -> Item {
    let connection = facts.connection;
    let how = match (&connection.auth_method, &connection.oauth) {
        (AuthMethod::OAuth, Some(oauth)) => format!(
            "OAuth (client {}, {})",
            oauth.client_id,
            match oauth.grant {
                GrantKind::AuthorizationCode => "browser sign-in",
                GrantKind::ClientCredentials => "client credentials",
            }
        ),
        (AuthMethod::OAuth, None) => "OAuth".to_owned(),
        (AuthMethod::ApiToken, _) => "API token (legacy)".to_owned(),
    };
    let user = &connection.user;
    let who = format!(
        "{how} as {} ({}) on {}",
        user.name,
        user.role,
        connection.subdomain.host()
    );
    match facts.liveness {
        Liveness::ReconnectRequired { reason } => {
            return item(
                ItemId::Connected,
                ItemState::Failing,
                format!("Zendesk no longer accepts the saved credentials: {reason}"),
                Some(FixAction::Reconnect),
            )
        }
        Liveness::Unknown { reason } => {
            return item(
                ItemId::Connected,
                ItemState::Unknown,
                format!("{who}; Zendesk could not be asked whether they still work: {reason}"),
                Some(FixAction::Refresh),
            )
        }
        Liveness::Working { user: None } => {
            return item(
                ItemId::Connected,
                ItemState::Warning,
                format!("{who}; the token may not read users: a scope is missing, sign in again"),
                Some(FixAction::Reconnect),
            )
        }
        Liveness::Working { user: Some(_) } => {}
    }
    if user.role != "admin" {
        return item(
            ItemId::Connected,
            ItemState::Warning,
            format!(
                "{who}: setup and this checklist need an admin (only admins see webhooks and triggers)"
            ),
            Some(FixAction::Reconnect),
        );
    }
    if let Some(deadline) = connection.api_token_deadline(facts.now) {
        let (state, text) = if deadline.days_left <= 0 {
            (
                ItemState::Failing,
                format!("{who}; API tokens stopped working on {}", deadline.date),
            )
        } else {
            (
                if deadline.days_left <= DEADLINE_WARNING_DAYS {
                    ItemState::Warning
                } else {
                    ItemState::Ok
                },
                format!(
                    "{who}; API tokens stop working on {} ({} days left): move to OAuth",
                    deadline.date, deadline.days_left
                ),
            )
        };
        return item(ItemId::Connected, state, text, Some(FixAction::MoveToOAuth));
    }
    let expiry = connection
        .oauth
        .as_ref()
        .and_then(|o| o.token_expires_at)
        .map(|at| {
            format!(
                "; the token renews itself (the current one expires at {})",
                moment(&at.to_string())
            )
        })
        .unwrap_or_default();
    item(
        ItemId::Connected,
        ItemState::Ok,
        format!("{who}{expiry}"),
        None,
    )
}

fn origin(recorded: &Recorded, kind: &str) -> &'static str {
    let row = match kind {
        super::WEBHOOK => recorded.webhook.as_ref(),
        _ => recorded.trigger.as_ref(),
    };
    match row.map(|r| r.origin.as_str()) {
        Some("adopted") => "adopted by setup",
        _ => "made by setup",
    }
}

fn webhook_items(facts: &Facts<'_>, observation: &Observation) -> Vec<Item> {
    use ItemId::*;
    let dependents = [
        WebhookActive,
        WebhookEndpoint,
        WebhookMethodFormat,
        WebhookConnected,
    ];
    let unknown_rest = |why: &str| -> Vec<Item> {
        dependents
            .iter()
            .map(|id| item(*id, ItemState::Unknown, why, None))
            .collect()
    };
    let webhook = match &observation.webhook {
        Found::Unreadable(error) => {
            return std::iter::once(WebhookExists)
                .chain(dependents)
                .map(|id| unreadable(id, "the webhook", error))
                .collect()
        }
        Found::NotSetUp => {
            let evidence = match &observation.adoptable_webhook {
                Some(w) => format!(
                    "not set up; “{}” ({}) already points at the relay's URL: setup adopts it",
                    w.name, w.id
                ),
                None => "not set up: Zendesk has no webhook to call the relay".to_owned(),
            };
            let mut items = vec![item(
                WebhookExists,
                ItemState::Failing,
                evidence,
                Some(FixAction::Setup),
            )];
            items.extend(unknown_rest("no webhook to check"));
            return items;
        }
        Found::Gone { id } => {
            let mut items = vec![item(
                WebhookExists,
                ItemState::Failing,
                format!(
                    "our webhook {id} was deleted in Zendesk: no reply reaches the relay; setup makes a new \
                     one and points the trigger at it"
                ),
                Some(FixAction::RepairWebhook),
            )];
            items.extend(unknown_rest("no webhook to check"));
            return items;
        }
        Found::Present(webhook) => webhook,
    };
    let mut items = vec![item(
        WebhookExists,
        ItemState::Ok,
        format!(
            "“{}” ({}), {}",
            webhook.name,
            webhook.id,
            origin(facts.recorded, super::WEBHOOK)
        ),
        None,
    )];
    items.push(if webhook.status == WebhookStatus::Active {
        item(WebhookActive, ItemState::Ok, "active", None)
    } else {
        item(
            WebhookActive,
            ItemState::Failing,
            "deactivated in Zendesk: it calls nothing, so no reply reaches the relay",
            Some(FixAction::RepairWebhook),
        )
    });
    items.push(match &facts.target.url {
        Some(url) if *url == webhook.endpoint => item(
            WebhookEndpoint,
            ItemState::Ok,
            format!("points at the relay's current URL {}", redacted(url)),
            None,
        ),
        Some(url) if facts.target.previous_urls.contains(&webhook.endpoint) => item(
            WebhookEndpoint,
            ItemState::Warning,
            format!(
                "points at the URL of a rotated key, accepted only until its grace period ends; the current \
                 one is {}",
                redacted(url)
            ),
            Some(FixAction::RepairWebhook),
        ),
        Some(url) => item(
            WebhookEndpoint,
            ItemState::Failing,
            format!(
                "points at {}, not at the relay's current URL {}",
                redacted(&webhook.endpoint),
                redacted(url)
            ),
            Some(FixAction::RepairWebhook),
        ),
        None => item(
            WebhookEndpoint,
            ItemState::Failing,
            "the relay has no webhook URL yet: setup makes its key",
            Some(FixAction::Setup),
        ),
    });
    let method_ok = webhook.http_method.eq_ignore_ascii_case(spec::METHOD);
    let format_ok = webhook.request_format.eq_ignore_ascii_case(spec::FORMAT);
    items.push(if method_ok && format_ok {
        item(WebhookMethodFormat, ItemState::Ok, "POST, JSON", None)
    } else {
        item(
            WebhookMethodFormat,
            ItemState::Failing,
            format!(
                "{}, {}: the relay takes POST with a JSON body",
                webhook.http_method, webhook.request_format
            ),
            Some(FixAction::RepairWebhook),
        )
    });
    items.push(if webhook.subscriptions != spec::SUBSCRIPTIONS {
        item(
            WebhookConnected,
            ItemState::Failing,
            format!(
                "subscribed to {}, so no trigger can call it (Zendesk never changes a webhook's connection \
                 method): delete it in Admin Center, then run setup",
                webhook.subscriptions.join(", ")
            ),
            None,
        )
    } else {
        match &observation.all_triggers {
            Some(Ok(triggers)) => {
                let callers: Vec<&zendesk::Trigger> = triggers
                    .iter()
                    .filter(|t| {
                        t.active
                            && t.actions
                                .iter()
                                .any(|a| a.webhook_id() == Some(webhook.id.as_str()))
                    })
                    .collect();
                match callers.as_slice() {
                    [] => item(
                        WebhookConnected,
                        ItemState::Failing,
                        "no active trigger calls it",
                        Some(FixAction::RepairTrigger),
                    ),
                    list => {
                        let names: Vec<String> =
                            list.iter().map(|t| format!("“{}”", t.title)).collect();
                        item(
                            WebhookConnected,
                            ItemState::Ok,
                            format!("called by {}", names.join(", ")),
                            None,
                        )
                    }
                }
            }
            Some(Err(error)) => unreadable(WebhookConnected, "the triggers", error),
            None => item(WebhookConnected, ItemState::Unknown, "the triggers were not read", None),
        }
    });
    items
}

fn signing_secret(facts: &Facts<'_>, observation: &Observation) -> Item {
    let id = ItemId::SigningSecret;
    match (&observation.webhook, &observation.signing_secret) {
        (Found::Present(_), Some(Ok(zendesk))) => match facts.local_secret {
            Some(local) if same_secret(local, &zendesk.secret) => {
                item(id, ItemState::Ok, "known to the relay, and the same as Zendesk's", None)
            }
            Some(_) => item(
                id,
                ItemState::Failing,
                "reset in Zendesk: the relay refuses every delivery signed with the new secret",
                Some(FixAction::FetchSigningSecret),
            ),
            None => item(
                id,
                ItemState::Warning,
                "not fetched: the relay cannot check Zendesk's signature (the signed URL alone protects it)",
                Some(FixAction::FetchSigningSecret),
            ),
        },
        (Found::Present(_), Some(Err(error))) => unreadable(id, "the signing secret", error),
        (Found::Unreadable(error), _) => unreadable(id, "the webhook", error),
        _ => item(id, ItemState::Unknown, "no webhook to check", None),
    }
}

fn trigger_items(facts: &Facts<'_>, observation: &Observation) -> Vec<Item> {
    use ItemId::*;
    let dependents = [
        TriggerActive,
        TriggerWebhook,
        TriggerConditions,
        TriggerBody,
        TriggerBodyJson,
    ];
    let unknown_rest = |why: &str| -> Vec<Item> {
        dependents
            .iter()
            .map(|id| item(*id, ItemState::Unknown, why, None))
            .collect()
    };
    let trigger = match &observation.trigger {
        Found::Unreadable(error) => {
            return std::iter::once(TriggerExists)
                .chain(dependents)
                .map(|id| unreadable(id, "the trigger", error))
                .collect()
        }
        Found::NotSetUp => {
            let evidence = match &observation.adoptable_trigger {
                Some(t) => format!(
                    "not set up; “{}” ({}) already notifies the webhook: setup adopts it",
                    t.title, t.id
                ),
                None => "not set up: nothing tells the relay about reps' replies".to_owned(),
            };
            let mut items = vec![item(
                TriggerExists,
                ItemState::Failing,
                evidence,
                Some(FixAction::Setup),
            )];
            items.extend(unknown_rest("no trigger to check"));
            return items;
        }
        Found::Gone { id } => {
            let mut items = vec![item(
                TriggerExists,
                ItemState::Failing,
                format!("our trigger {id} was deleted in Zendesk: no reply reaches the relay"),
                Some(FixAction::RepairTrigger),
            )];
            items.extend(unknown_rest("no trigger to check"));
            return items;
        }
        Found::Present(trigger) => trigger,
    };
    let mut items = vec![item(
        TriggerExists,
        ItemState::Ok,
        format!(
            "“{}” ({}), {}",
            trigger.title,
            trigger.id,
            origin(facts.recorded, super::TRIGGER)
        ),
        None,
    )];
    items.push(if trigger.active {
        item(TriggerActive, ItemState::Ok, "active", None)
    } else {
        item(
            TriggerActive,
            ItemState::Failing,
            "deactivated in Zendesk: no reply reaches the relay",
            Some(FixAction::RepairTrigger),
        )
    });
    let notifying: Vec<&zendesk::Action> = trigger
        .actions
        .iter()
        .filter(|a| a.field == "notification_webhook")
        .collect();
    let ours = facts
        .recorded
        .webhook
        .as_ref()
        .map(|r| r.zendesk_id.as_str());
    let others = trigger.actions.len() - notifying.len();
    items.push(match (notifying.as_slice(), ours) {
        ([], _) => item(
            TriggerWebhook,
            ItemState::Failing,
            "it notifies no webhook",
            Some(FixAction::RepairTrigger),
        ),
        (_, None) => item(
            TriggerWebhook,
            ItemState::Unknown,
            "no webhook of ours to compare with",
            None,
        ),
        (list, Some(ours)) => {
            let elsewhere: Vec<&str> = list
                .iter()
                .filter_map(|a| a.webhook_id())
                .filter(|id| *id != ours)
                .collect();
            if !elsewhere.is_empty() {
                item(
                    TriggerWebhook,
                    ItemState::Failing,
                    format!(
                        "it notifies {}, not our webhook {ours}",
                        elsewhere.join(", ")
                    ),
                    Some(FixAction::RepairTrigger),
                )
            } else if others > 0 {
                item(
                    TriggerWebhook,
                    ItemState::Warning,
                    format!(
                        "it notifies our webhook {ours}, and does {others} other thing(s) someone added"
                    ),
                    Some(FixAction::RepairTrigger),
                )
            } else {
                item(
                    TriggerWebhook,
                    ItemState::Ok,
                    format!("it notifies our webhook {ours}"),
                    None,
                )
            }
        }
    });
    items.push(
        if spec::same_conditions(&trigger.conditions, &spec::conditions()) {
            item(
                TriggerConditions,
                ItemState::Ok,
                "Ticket is Updated, Comment is Public",
                None,
            )
        } else {
            let shown: Vec<String> = trigger
                .conditions
                .all
                .iter()
                .map(|c| ("all", c))
                .chain(trigger.conditions.any.iter().map(|c| ("any", c)))
                .map(|(group, c)| {
                    format!(
                        "{group}: {} {} {}",
                        c.field,
                        c.operator.as_deref().unwrap_or("is"),
                        spec::value_text(&c.value)
                    )
                })
                .collect();
            item(
                TriggerConditions,
                ItemState::Failing,
                format!(
                    "changed to {}; must be Ticket is Updated and Comment is Public, nothing more",
                    shown.join("; ")
                ),
                Some(FixAction::RepairTrigger),
            )
        },
    );
    let body = notifying.iter().find_map(|a| spec::body_of(a));
    items.push(match body {
        None => item(
            TriggerBody,
            ItemState::Failing,
            "it sends no JSON body",
            Some(FixAction::RepairTrigger),
        ),
        Some(body) if spec::leaks_internal_notes(body) => item(
            TriggerBody,
            ItemState::Failing,
            "the body sends {{ticket.latest_comment}}, which includes internal notes: they would be sent \
             out of Zendesk; setup restores {{ticket.latest_public_comment}}",
            Some(FixAction::RepairTrigger),
        ),
        Some(body) if body == crate::relay::payload::TRIGGER_BODY => item(
            TriggerBody,
            ItemState::Ok,
            "built on {{ticket.latest_public_comment}}, as setup made it",
            None,
        ),
        Some(body) if body.contains("latest_public_comment") => item(
            TriggerBody,
            ItemState::Warning,
            "edited by hand (still on {{ticket.latest_public_comment}}): setup restores the body the relay \
             expects",
            Some(FixAction::RepairTrigger),
        ),
        Some(_) => item(
            TriggerBody,
            ItemState::Warning,
            "edited by hand, and it sends no comment: setup restores the body the relay expects",
            Some(FixAction::RepairTrigger),
        ),
    });
    items.push(match body.map(spec::render_sample) {
        None => item(TriggerBodyJson, ItemState::Unknown, "no body to render", None),
        Some(Err(error)) => item(
            TriggerBodyJson,
            ItemState::Warning,
            format!("cannot be checked: {error}"),
            Some(FixAction::RepairTrigger),
        ),
        Some(Ok(rendered)) => match serde_json::from_str::<serde_json::Value>(&rendered) {
            Err(error) => item(
                TriggerBodyJson,
                ItemState::Failing,
                format!(
                    "not valid JSON once rendered with a sample ticket ({error}): every delivery would be \
                     unreadable"
                ),
                Some(FixAction::RepairTrigger),
            ),
            Ok(_) => match payload::parse(rendered.as_bytes()) {
                Notification::Ticket { ticket_id, .. } if ticket_id == spec::SAMPLE_TICKET_ID => item(
                    TriggerBodyJson,
                    ItemState::Ok,
                    format!(
                        "valid JSON once rendered with a sample ticket; the relay reads ticket {ticket_id}"
                    ),
                    None,
                ),
                Notification::Ticket { ticket_id, .. } => item(
                    TriggerBodyJson,
                    ItemState::Failing,
                    format!(
                        "rendered for ticket {}, the relay reads ticket {ticket_id}",
                        spec::SAMPLE_TICKET_ID
                    ),
                    Some(FixAction::RepairTrigger),
                ),
                Notification::Unreadable { reason } => item(
                    TriggerBodyJson,
                    ItemState::Failing,
                    format!("valid JSON once rendered, but the relay cannot read it: {reason}"),
                    Some(FixAction::RepairTrigger),
                ),
            },
        },
    });
    items
}

fn relay_reachable(facts: &Facts<'_>) -> Item {
    let id = ItemId::RelayReachable;
    let public = facts.target.public_url.as_str().trim_end_matches('/');
    match facts.probe {
        RelayProbe::Unreachable { why } => item(
            id,
            ItemState::Failing,
            format!(
                "the public URL {public} is {why}: Zendesk cannot call it. Serve the relay on a public address \
                 or through a tunnel, then `handoff config set public-url https://…` and `handoff setup`"
            ),
            Some(FixAction::SetPublicUrl),
        ),
        RelayProbe::Answered { status: 200..=299 } => item(
            id,
            ItemState::Ok,
            format!("Zendesk's test call reached the relay at {public}"),
            None,
        ),
        RelayProbe::Answered {
            status: status @ (502 | 504 | 0),
        } => item(
            id,
            ItemState::Failing,
            format!(
                "Zendesk's test call could not reach {public} (HTTP {status}): start the relay \
                 (`handoff serve`), and make sure the address is public"
            ),
            Some(FixAction::StartRelay),
        ),
        RelayProbe::Answered { status } => item(
            id,
            ItemState::Failing,
            format!(
                "something other than the relay answers at {public}: {PROBE_PATH} answered HTTP {status}; \
                 check the public URL"
            ),
            Some(FixAction::SetPublicUrl),
        ),
        RelayProbe::NotProbed(error) => unreadable(id, "a test call to the relay", error),
        RelayProbe::Skipped => item(id, ItemState::Unknown, "not checked", None),
    }
}

fn deliveries(observation: &Observation) -> Item {
    let id = ItemId::Deliveries;
    let invocations = match (&observation.webhook, &observation.invocations) {
        (Found::Present(_), Some(Ok(list))) => list,
        (Found::Present(_), Some(Err(error))) => return unreadable(id, "the deliveries", error),
        _ => return item(id, ItemState::Unknown, "no webhook to check", None),
    };
    let settled: Vec<&zendesk::Invocation> = invocations
        .iter()
        .filter(|i| !matches!(i.status.as_str(), "accepted" | "unknown"))
        .collect();
    let failed = |i: &zendesk::Invocation| i.status != "success";
    let describe = |i: &zendesk::Invocation| {
        let code = i
            .status_code
            .map(|c| format!(", HTTP {c}"))
            .unwrap_or_default();
        let at = i
            .latest_completed_at
            .as_deref()
            .map_or_else(|| "an unknown time".to_owned(), moment);
        format!("{}{code} at {at}", i.status)
    };
    let failures = settled.iter().filter(|i| failed(i)).count();
    match settled.first() {
        None => item(
            id,
            ItemState::Unknown,
            "no deliveries in the last 7 days: nothing to judge yet",
            None,
        ),
        Some(latest) if failed(latest) => {
            let fix = match latest.status_code {
                Some(404) => FixAction::RepairWebhook,
                Some(401) => FixAction::FetchSigningSecret,
                _ => FixAction::StartRelay,
            };
            item(
                id,
                ItemState::Failing,
                match settled.len() {
                    1 => format!("the last delivery failed ({})", describe(latest)),
                    count => format!(
                        "the last delivery failed ({}); {failures} of the last {count} failed",
                        describe(latest)
                    ),
                },
                Some(fix),
            )
        }
        Some(latest) if failures > 0 => {
            let last_failure = settled.iter().find(|i| failed(i)).map(|i| describe(i));
            item(
                id,
                ItemState::Warning,
                format!(
                    "{failures} of the last {} deliveries failed (the latest failure: {}); the newest succeeded \
                     at {}",
                    settled.len(),
                    last_failure.unwrap_or_default(),
                    latest
                        .latest_completed_at
                        .as_deref()
                        .map_or_else(|| "an unknown time".to_owned(), moment)
                ),
                Some(FixAction::StartRelay),
            )
        }
        Some(latest) => item(
            id,
            ItemState::Ok,
            {
                let at = latest
                    .latest_completed_at
                    .as_deref()
                    .map_or_else(|| "an unknown time".to_owned(), moment);
                match settled.len() {
                    1 => format!("the last delivery succeeded (at {at})"),
                    count => format!("the last {count} deliveries succeeded (the newest at {at})"),
                }
            },
            None,
        ),
    }
}

fn verification(facts: &Facts<'_>) -> Item {
    let id = ItemId::Verification;
    match facts.last_verification {
        None => item(id, ItemState::Unknown, "never run", Some(FixAction::Verify)),
        Some(row) if row.passed => item(
            id,
            ItemState::Ok,
            format!("passed at {}", moment(&row.finished_at)),
            None,
        ),
        Some(row) => item(
            id,
            ItemState::Failing,
            format!(
                "failed at {}{}{}",
                moment(&row.finished_at),
                row.failed_step
                    .as_deref()
                    .map(|s| format!(", at step {s}"))
                    .unwrap_or_default(),
                row.detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
            Some(FixAction::Verify),
        ),
    }
}

fn double_delivery(facts: &Facts<'_>, observation: &Observation) -> Item {
    let id = ItemId::DoubleDelivery;
    let triggers = match &observation.all_triggers {
        Some(Ok(list)) => list,
        Some(Err(error)) => return unreadable(id, "the triggers", error),
        None => return item(id, ItemState::Unknown, "the triggers were not read", None),
    };
    let ours = observation.trigger.present().map(|t| t.id);
    let prefix = &facts.target.tag_prefix;
    let delivers = &facts.target.zendesk_delivers;
    let mut doubled = Vec::new();
    let mut silenced = Vec::new();
    for trigger in triggers {
        if Some(trigger.id) == ours || !notify::emails_requester_on_replies(trigger) {
            continue;
        }
        let guarding = notify::guarding(trigger, prefix, delivers);
        let name = format!("“{}” ({})", trigger.title, trigger.id);
        if !guarding.doubled.is_empty() {
            doubled.push((name.clone(), guarding.doubled));
        }
        if !guarding.silenced.is_empty() {
            silenced.push((name, guarding.silenced));
        }
    }
    let channels = |list: &[crate::session::Channel]| {
        list.iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if doubled.is_empty() && silenced.is_empty() {
        let who = if delivers.is_empty() {
            "the platform delivers every channel".to_owned()
        } else {
            format!("Zendesk's email delivers {}", channels(delivers))
        };
        return item(
            id,
            ItemState::Ok,
            format!("no trigger emails requesters the replies the platform delivers ({who})"),
            None,
        );
    }
    let mut parts = Vec::new();
    if !doubled.is_empty() {
        let names: Vec<&str> = doubled.iter().map(|(n, _)| n.as_str()).collect();
        parts.push(format!(
            "{} email the requester every public reply, which the platform already delivers on {}: \
             customers would get each reply twice",
            names.join(", "),
            channels(&doubled[0].1)
        ));
    }
    if !silenced.is_empty() {
        let names: Vec<&str> = silenced.iter().map(|(n, _)| n.as_str()).collect();
        parts.push(format!(
            "{} skip our tickets on {}, which zendesk-delivers leaves to Zendesk's email: those replies \
             reach nobody",
            names.join(", "),
            channels(&silenced[0].1)
        ));
    }
    item(
        id,
        ItemState::Warning,
        parts.join("; "),
        Some(FixAction::GuardNotifyTriggers),
    )
}
