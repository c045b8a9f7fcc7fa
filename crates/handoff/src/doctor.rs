//! Troubleshooting (SPEC §10): each documented symptom runs its probes against the account and the local data
//! folder and answers with what it found, the cause, the fix and the action that performs it.
//!
//! [`read`] takes one [`Reading`]: whether Zendesk accepts the credentials (`users/me`), the checklist's reads
//! (the webhook, its signing secret, every trigger, the newest invocations, the relay probe) with the client's
//! rate-limit state after them, and from the store the handoff queue, the outbound queue and its dead letters,
//! and the newest deliveries. [`diagnose`] then judges a symptom from that reading alone: a pure function, so
//! every symptom's probes are a table. [`run`] does both for the symptoms asked.
//!
//! Invariants:
//! - The doctor writes nothing to Zendesk (the relay probe calls `/healthz`, as the checklist's) and changes
//!   none of setup's records or queues; like `handoff status`, asking whether the credentials work records the
//!   answer (reconnect required, or lifted) and renews an OAuth token that is due.
//! - One reading serves every symptom: the whole troubleshooting panel costs the checklist's seven requests.
//! - A probe that could not look is `unknown`, never `ok`; a finding's cause is the first probe, upstream
//!   first, that found a problem (the others stay listed with their evidence).
//! - Evidence never shows a secret: webhook URLs appear redacted, as in the checklist.
//! - Symptom ids and JSON keys are a contract with scripts and the Troubleshoot screen.

use jiff::Timestamp;
use url::Url;
use zendesk::RateLimitState;

use crate::account::{self, Liveness};
use crate::clock::Clock;
use crate::connect::{AuthMethod, Connection};
use crate::message::{moment, moment_of};
use crate::profile::Profile;
use crate::settings::Settings;
use crate::setup::checklist::{
    self, Checklist, FixAction, Item, ItemId, ItemState, NoMappedFields,
};
use crate::setup::manual::{admin_page, TRIGGERS_PAGE, WEBHOOKS_PAGE};
use crate::setup::observe::{Found, Observation};
use crate::setup::{spec, SetupError, Target};
use crate::store::{DeliveryRow, OutboundSummary, QueueSummary, StoreError};
use crate::verify;
use crate::ConnectError;

/// How many handoff failures, waiting reasons and outbound errors a reading keeps.
const RECENT: usize = 20;
/// How many of the newest deliveries a reading keeps.
pub const RECENT_DELIVERIES: usize = 200;
/// A handoff failure older than this is history, not the cause of today's symptom.
const FAILURES_WITHIN: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);
/// A worker whose heartbeat is older than this has stopped (the queue's lease goes stale after as long).
const WORKER_STALE_MS: i64 = 5 * 60 * 1000;
/// A delivery still queued after this long is stuck: the reply worker handles one in well under a second.
const DELIVERY_STUCK_MS: i64 = 60 * 1000;
/// An OAuth refresh token this close to its expiry needs the product to run (it renews itself), or a sign-in.
const REFRESH_EXPIRY_WARNING: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);
/// Below this share of the minute's budget left, the account is near its rate limit.
const NEAR_LIMIT: f64 = 0.1;

/// A documented symptom (SPEC §10). The ids are stable: scripts and the Troubleshoot screen use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symptom {
    CredentialsFailing,
    NoTicket,
    RepliesNotReaching,
    InternalNotesReaching,
    Webhook4xx,
    TriggerNotFiring,
    Duplicates,
    RateLimited,
    TokenExpiring,
}

impl Symptom {
    /// Every symptom, in the order the panel shows them.
    pub const ALL: [Symptom; 9] = [
        Symptom::CredentialsFailing,
        Symptom::NoTicket,
        Symptom::RepliesNotReaching,
        Symptom::InternalNotesReaching,
        Symptom::Webhook4xx,
        Symptom::TriggerNotFiring,
        Symptom::Duplicates,
        Symptom::RateLimited,
        Symptom::TokenExpiring,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Symptom::CredentialsFailing => "credentials-failing",
            Symptom::NoTicket => "no-ticket",
            Symptom::RepliesNotReaching => "replies-not-reaching",
            Symptom::InternalNotesReaching => "internal-notes-reaching",
            Symptom::Webhook4xx => "webhook-4xx",
            Symptom::TriggerNotFiring => "trigger-not-firing",
            Symptom::Duplicates => "duplicates",
            Symptom::RateLimited => "rate-limited",
            Symptom::TokenExpiring => "token-expiring",
        }
    }

    /// The symptom as an admin describes it.
    pub fn title(self) -> &'static str {
        match self {
            Symptom::CredentialsFailing => "Zendesk refuses the credentials",
            Symptom::NoTicket => "No ticket appears on handoff",
            Symptom::RepliesNotReaching => "Reps' replies do not reach the contact",
            Symptom::InternalNotesReaching => "Internal notes reach the contact",
            Symptom::Webhook4xx => "Zendesk's webhook gets 4xx answers",
            Symptom::TriggerNotFiring => "The trigger does not fire",
            Symptom::Duplicates => "Duplicate tickets or replies",
            Symptom::RateLimited => "Zendesk's rate limit is hit",
            Symptom::TokenExpiring => "The token or API token is expiring",
        }
    }

    /// Parses an id (`no-ticket`; `no_ticket` too).
    pub fn parse(text: &str) -> Option<Symptom> {
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        Symptom::ALL.into_iter().find(|s| s.as_str() == wanted)
    }
}

/// What a probe saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// It found something wrong: a cause of the symptom.
    Problem,
    /// It could not look (Zendesk not asked, the object missing upstream).
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Problem => "problem",
            Outcome::Unknown => "unknown",
        }
    }
}

/// What performs a fix. The wire names are a contract with the Troubleshoot screen's buttons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A setup repair (`handoff setup --fix ...`): the checklist's fix id says which.
    Repair(FixAction),
    /// Something only Admin Center changes: this page of the account.
    OpenInZendesk(Url),
    /// Run the end-to-end verification.
    Verify,
    /// Sign in again (or move to OAuth).
    Reconnect,
    /// The fix is a step the admin takes outside the product (the fix says which).
    None,
}

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Repair(_) => "repair",
            Action::OpenInZendesk(_) => "open-in-zendesk",
            Action::Verify => "verify",
            Action::Reconnect => "reconnect",
            Action::None => "none",
        }
    }

    /// The command that performs it from a terminal, when one does.
    pub fn command(&self) -> Option<&'static str> {
        match self {
            Action::Repair(fix) => Some(fix.command()),
            Action::Verify => Some(FixAction::Verify.command()),
            Action::Reconnect => Some(FixAction::Reconnect.command()),
            Action::OpenInZendesk(_) | Action::None => None,
        }
    }

    /// The repair's checklist fix id (`setup:trigger`, ...), for a repair.
    pub fn repair(&self) -> Option<&'static str> {
        match self {
            Action::Repair(fix) => Some(fix.as_str()),
            _ => None,
        }
    }

    /// The Admin Center page, for open-in-zendesk.
    pub fn url(&self) -> Option<&Url> {
        match self {
            Action::OpenInZendesk(url) => Some(url),
            _ => None,
        }
    }
}

/// Why the symptom happens, what fixes it and what performs the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub cause: String,
    pub fix: String,
    pub action: Action,
}

/// One probe: what it looked at and what it saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// A stable kebab-case name (`trigger-active`, `invocation-log`, ...).
    pub name: &'static str,
    pub outcome: Outcome,
    /// One line: what was seen.
    pub evidence: String,
    /// For a problem: its cause, fix and action.
    pub diagnosis: Option<Diagnosis>,
}

impl Probe {
    fn ok(name: &'static str, evidence: impl Into<String>) -> Probe {
        Probe {
            name,
            outcome: Outcome::Ok,
            evidence: evidence.into(),
            diagnosis: None,
        }
    }

    fn unknown(name: &'static str, evidence: impl Into<String>) -> Probe {
        Probe {
            name,
            outcome: Outcome::Unknown,
            evidence: evidence.into(),
            diagnosis: None,
        }
    }

    fn problem(
        name: &'static str,
        evidence: impl Into<String>,
        cause: impl Into<String>,
        fix: impl Into<String>,
        action: Action,
    ) -> Probe {
        Probe {
            name,
            outcome: Outcome::Problem,
            evidence: evidence.into(),
            diagnosis: Some(Diagnosis {
                cause: cause.into(),
                fix: fix.into(),
                action,
            }),
        }
    }
}

/// What one symptom's probes found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub symptom: Symptom,
    pub probes: Vec<Probe>,
    /// The first problem's diagnosis; `None` when nothing is wrong.
    pub diagnosis: Option<Diagnosis>,
}

impl Finding {
    fn of(symptom: Symptom, probes: Vec<Probe>) -> Finding {
        let diagnosis = probes.iter().find_map(|p| p.diagnosis.clone());
        Finding {
            symptom,
            probes,
            diagnosis,
        }
    }

    /// Whether a cause was found.
    pub fn found(&self) -> bool {
        self.diagnosis.is_some()
    }
}

/// The findings of one run.
#[derive(Debug, Clone)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// The checklist the findings were judged with (the diagnostics bundle keeps it).
    pub checklist: Checklist,
    pub at: Timestamp,
    /// Zendesk requests the reading made.
    pub zendesk_requests: usize,
}

impl Report {
    /// Whether any symptom's cause was found (`handoff doctor` exits 15).
    pub fn found(&self) -> bool {
        self.findings.iter().any(Finding::found)
    }
}

/// Why the doctor could not look at all (what it finds is in the report).
#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    #[error("not connected to Zendesk: run `handoff connect` (or `handoff demo`) first")]
    NotConnected,
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Setup(SetupError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SetupError> for DoctorError {
    fn from(error: SetupError) -> DoctorError {
        match error {
            SetupError::NotConnected => DoctorError::NotConnected,
            other => DoctorError::Setup(other),
        }
    }
}

/// Everything the symptoms are judged from: one look at the account and the data folder.
pub struct Reading {
    pub now: Timestamp,
    pub connection: Connection,
    pub liveness: Liveness,
    pub checklist: Checklist,
    /// `None` when Zendesk was not asked (the credentials are refused, or it could not be reached).
    pub observation: Option<Observation>,
    pub target: Target,
    /// What the checklist's client learned of the rate limit; `None` when Zendesk was not asked.
    pub rate_limit: Option<RateLimitState>,
    pub queue: QueueSummary,
    pub outbound: OutboundSummary,
    pub outbound_url: Option<Url>,
    /// The newest deliveries, oldest first.
    pub deliveries: Vec<DeliveryRow>,
    /// Our webhook's id, as setup recorded it.
    pub webhook_id: Option<String>,
    /// Our trigger's id, as setup recorded it.
    pub trigger_id: Option<u64>,
}

/// Takes the reading: `users/me`, the checklist's reads, then the store.
pub async fn read(profile: &Profile, clock: &Clock) -> Result<Reading, DoctorError> {
    let (connection, liveness) = account::verify(profile, clock)
        .await?
        .ok_or(DoctorError::NotConnected)?;
    let observed =
        checklist::refresh_observed(profile, clock, &NoMappedFields, connection, liveness).await?;
    let store = profile.store().clone();
    let (queue, outbound, deliveries) = store
        .call(|store| {
            Ok((
                store.queue_summary(RECENT)?,
                store.outbound_summary(RECENT)?,
                store.recent_deliveries(0, RECENT_DELIVERIES)?,
            ))
        })
        .await?;
    let recorded = crate::setup::Recorded::read(profile.store())?;
    let outbound_url = Settings::new(profile.store().clone()).outbound_url()?;
    let checklist = observed.checklist;
    Ok(Reading {
        now: clock.now(),
        connection: checklist.connection.clone(),
        liveness: checklist.liveness.clone(),
        observation: observed.observation,
        target: observed.target,
        rate_limit: observed
            .client
            .as_ref()
            .map(zendesk::Client::rate_limit_state),
        queue,
        outbound,
        outbound_url,
        deliveries,
        webhook_id: recorded.webhook.as_ref().map(|r| r.zendesk_id.clone()),
        trigger_id: recorded.trigger_id()?,
        checklist,
    })
}

/// Runs `symptoms` (every symptom when empty) against one reading.
pub async fn run(
    profile: &Profile,
    clock: &Clock,
    symptoms: &[Symptom],
) -> Result<Report, DoctorError> {
    let reading = read(profile, clock).await?;
    let asked: &[Symptom] = if symptoms.is_empty() {
        &Symptom::ALL
    } else {
        symptoms
    };
    Ok(Report {
        findings: asked.iter().map(|s| diagnose(&reading, *s)).collect(),
        at: reading.now,
        zendesk_requests: reading.checklist.zendesk_requests,
        checklist: reading.checklist,
    })
}

/// Judges one symptom from a reading.
pub fn diagnose(reading: &Reading, symptom: Symptom) -> Finding {
    let probes = match symptom {
        Symptom::CredentialsFailing => credentials_failing(reading),
        Symptom::NoTicket => no_ticket(reading),
        Symptom::RepliesNotReaching => replies_not_reaching(reading),
        Symptom::InternalNotesReaching => internal_notes_reaching(reading),
        Symptom::Webhook4xx => webhook_4xx(reading),
        Symptom::TriggerNotFiring => trigger_not_firing(reading),
        Symptom::Duplicates => duplicates(reading),
        Symptom::RateLimited => rate_limited(reading),
        Symptom::TokenExpiring => token_expiring(reading),
    };
    Finding::of(symptom, probes)
}

/// The action that performs a checklist item's fix.
fn action_of(fix: Option<FixAction>) -> Action {
    match fix {
        Some(
            fix @ (FixAction::Setup
            | FixAction::RepairWebhook
            | FixAction::RepairTrigger
            | FixAction::FetchSigningSecret
            | FixAction::GuardNotifyTriggers),
        ) => Action::Repair(fix),
        Some(FixAction::Reconnect | FixAction::MoveToOAuth) => Action::Reconnect,
        Some(FixAction::Verify) => Action::Verify,
        _ => Action::None,
    }
}

/// A probe that is a checklist item: failing (and warning, when it matters here) is a problem whose cause is
/// the item's evidence.
fn item_probe(
    name: &'static str,
    checklist: &Checklist,
    id: ItemId,
    warning_is_problem: bool,
) -> Probe {
    let Some(item) = checklist.item(id) else {
        return Probe::unknown(name, "not judged");
    };
    let problem = item.state == ItemState::Failing
        || (warning_is_problem && item.state == ItemState::Warning);
    match item.state {
        _ if problem => item_problem(name, item),
        ItemState::Unknown => {
            Probe::unknown(name, format!("{}: {}", item.id.label(), item.evidence))
        }
        _ => Probe::ok(name, format!("{}: {}", item.id.label(), item.evidence)),
    }
}

fn item_problem(name: &'static str, item: &Item) -> Probe {
    let evidence = format!("{}: {}", item.id.label(), item.evidence);
    let fix = match item.fix {
        Some(fix) => format!("Run `{}`.", fix.command()),
        None => "Follow the evidence: Admin Center shows the object.".to_owned(),
    };
    Probe::problem(name, evidence.clone(), evidence, fix, action_of(item.fix))
}

/// The credentials as Zendesk answered `users/me` during the reading.
fn credentials_probe(reading: &Reading) -> Probe {
    const NAME: &str = "credentials";
    match &reading.liveness {
        Liveness::Working { user: Some(user) } => Probe::ok(
            NAME,
            format!(
                "Zendesk accepts the {} of {} ({})",
                auth_name(&reading.connection),
                user.name,
                user.role
            ),
        ),
        Liveness::Working { user: None } => Probe::problem(
            NAME,
            "Zendesk accepts the token, but it may not read the signed-in user",
            "the OAuth token lacks a scope the console needs (users:read)",
            "Sign in again and allow every scope the console asks for: `handoff connect --oauth`.",
            Action::Reconnect,
        ),
        Liveness::ReconnectRequired { reason } => Probe::problem(
            NAME,
            format!("Zendesk no longer accepts the saved credentials: {reason}"),
            format!(
                "Zendesk no longer accepts the saved {}: {reason}",
                auth_name(&reading.connection)
            ),
            "Sign in again (`handoff connect`, or Connect in the console); every other setting is kept.",
            Action::Reconnect,
        ),
        Liveness::Unknown { reason } => Probe::problem(
            NAME,
            format!("Zendesk could not be asked: {reason}"),
            format!("Zendesk could not be reached from this machine: {reason}"),
            "Check this machine's connection to Zendesk (proxy, firewall, DNS), then look again with `handoff \
             doctor`.",
            Action::None,
        ),
    }
}

fn auth_name(connection: &Connection) -> &'static str {
    match connection.auth_method {
        AuthMethod::OAuth => "OAuth token",
        AuthMethod::ApiToken => "API token",
    }
}

fn credentials_failing(reading: &Reading) -> Vec<Probe> {
    let connection = &reading.connection;
    let mut probes = vec![credentials_probe(reading)];
    probes.push(if connection.user.role == "admin" {
        Probe::ok("role", format!("{} is an admin", connection.user.name))
    } else {
        Probe::problem(
            "role",
            format!("{} is {}", connection.user.name, connection.user.role),
            format!(
                "the connected user {} is {}, not an admin: Zendesk shows webhooks and triggers only to admins, \
                 so setup, the checklist and the verification are refused",
                connection.user.name, connection.user.role
            ),
            "Connect as a Zendesk admin: `handoff connect` (an OAuth sign-in as an admin, or an admin's API \
             token).",
            Action::Reconnect,
        )
    });
    probes.push(match connection.api_token_deadline(reading.now) {
        None => Probe::ok("api-token-deadline", "OAuth: no API-token deadline"),
        Some(deadline) if deadline.days_left <= 0 => Probe::problem(
            "api-token-deadline",
            format!("API tokens stopped working on {}", deadline.date),
            format!(
                "Zendesk switched every API token off on {}: the saved API token cannot work any more",
                deadline.date
            ),
            format!("Move to OAuth: `{}`.", FixAction::MoveToOAuth.command()),
            Action::Reconnect,
        ),
        Some(deadline) => Probe::ok(
            "api-token-deadline",
            format!(
                "API tokens work until {} ({} days left)",
                deadline.date, deadline.days_left
            ),
        ),
    });
    probes
}

/// Whether a process works the handoff queue now: its lease holder runs and renewed lately.
fn worker_probe(reading: &Reading) -> Probe {
    const NAME: &str = "handoff-worker";
    let now_ms = reading.now.as_millisecond();
    let pending = reading.queue.pending;
    match &reading.queue.worker {
        Some((owner, heartbeat_ms))
            if now_ms - heartbeat_ms <= WORKER_STALE_MS
                && crate::handoff::worker::process_alive(owner) =>
        {
            Probe::ok(
                NAME,
                format!(
                    "a worker ({owner}) holds the queue, last seen {} s ago; {pending} handoff(s) pending",
                    ((now_ms - heartbeat_ms).max(0)) / 1000
                ),
            )
        }
        holder => {
            let seen = match holder {
                Some((owner, heartbeat_ms)) => format!(
                    "the last worker ({owner}) stopped {} s ago",
                    ((now_ms - heartbeat_ms).max(0)) / 1000
                ),
                None => "no worker holds the queue".to_owned(),
            };
            Probe::problem(
                NAME,
                format!("{seen}; {pending} handoff(s) pending"),
                format!(
                    "no process works the handoff queue on this data folder ({seen}), so handoffs wait \
                     without a ticket ({pending} pending)"
                ),
                "Open the console while connected (it works the queue), or run `handoff serve` on this data \
                 folder; pending handoffs then get their tickets.",
                Action::None,
            )
        }
    }
}

/// What a failed handoff's reason asks for.
fn handoff_refusal_action(reason: &str) -> Action {
    let lower = reason.to_ascii_lowercase();
    if lower.contains("scope") || lower.contains("authenticate") || lower.contains("reconnect") {
        Action::Reconnect
    } else {
        Action::Verify
    }
}

fn no_ticket(reading: &Reading) -> Vec<Probe> {
    let mut probes = vec![credentials_probe(reading), worker_probe(reading)];
    let since = reading
        .now
        .checked_sub(FAILURES_WITHIN)
        .unwrap_or(reading.now);
    let recent: Vec<&(String, String, Option<String>)> = reading
        .queue
        .recent_failures
        .iter()
        .filter(|(_, _, at)| {
            at.as_deref()
                .and_then(|t| t.parse::<Timestamp>().ok())
                .is_none_or(|t| t >= since)
        })
        .collect();
    probes.push(match recent.first() {
        None => Probe::ok(
            "failed-handoffs",
            format!(
                "no handoff failed in the last 24 h ({} done, {} failed in all)",
                reading.queue.done, reading.queue.failed
            ),
        ),
        Some((session, reason, at)) => Probe::problem(
            "failed-handoffs",
            format!(
                "{} handoff(s) failed in the last 24 h; the newest, session {session} at {}: {reason}",
                recent.len(),
                at.as_deref()
                    .map_or_else(|| "an unknown time".to_owned(), moment)
            ),
            format!("Zendesk refused the handoff of session {session}: {reason}"),
            "Do what Zendesk's reason says (a mapped field whose option was removed: `handoff fields`; a \
             requester Zendesk rejects: correct the contact), then hand the session off again; `handoff \
             verify` proves the loop.",
            handoff_refusal_action(reason),
        ),
    });
    probes.push(match reading.queue.waiting.first() {
        None => Probe::ok(
            "waiting-handoffs",
            format!(
                "{} handoff(s) pending, none waiting on a refusal",
                reading.queue.pending
            ),
        ),
        Some((session, reason)) => Probe::problem(
            "waiting-handoffs",
            format!(
                "{} handoff(s) wait for a retry; the newest, session {session}: {reason}",
                reading.queue.retrying.max(reading.queue.waiting.len())
            ),
            format!("handoffs wait for Zendesk: {reason}"),
            "They complete by themselves once Zendesk answers (the queue honours Retry-After); if the reason \
             names the rate limit, `handoff doctor rate-limited` looks deeper.",
            Action::None,
        ),
    });
    probes
}

/// The webhook's recent invocations from the reading, newest first; `None` when not read.
fn invocations(reading: &Reading) -> Option<&Vec<zendesk::Invocation>> {
    match (
        reading.observation.as_ref().map(|o| &o.webhook),
        reading
            .observation
            .as_ref()
            .and_then(|o| o.invocations.as_ref()),
    ) {
        (Some(Found::Present(_)), Some(Ok(list))) => Some(list),
        _ => None,
    }
}

fn zendesk_local(reading: &Reading) -> bool {
    checklist::local_address(&reading.connection.base_url).is_some()
}

/// Zendesk's invocation log: the newest settled invocation, judged; `only_4xx` keeps to refusals.
fn invocation_probe(reading: &Reading, only_4xx: bool) -> Probe {
    const NAME: &str = "invocation-log";
    let Some(list) = invocations(reading) else {
        return Probe::unknown(NAME, "the webhook's invocations were not read");
    };
    let settled: Vec<&zendesk::Invocation> = list
        .iter()
        .filter(|i| !matches!(i.status.as_str(), "accepted" | "unknown"))
        .collect();
    let Some(newest) = settled.first() else {
        return Probe::ok(NAME, "no delivery in the last 7 days");
    };
    let is_4xx = |i: &zendesk::Invocation| i.status_code.is_some_and(|c| (400..500).contains(&c));
    let judged: Vec<zendesk::Invocation> = if only_4xx {
        settled
            .iter()
            .filter(|i| is_4xx(i))
            .take(1)
            .map(|i| (*i).clone())
            .collect()
    } else {
        vec![(*newest).clone()]
    };
    let failed = settled.iter().filter(|i| i.status != "success").count();
    let newest_shown = format!(
        "{}{} at {}",
        newest.status,
        newest
            .status_code
            .map(|c| format!(" (HTTP {c})"))
            .unwrap_or_default(),
        newest
            .latest_completed_at
            .as_deref()
            .map_or_else(|| "an unknown time".to_owned(), moment)
    );
    let summary = match (settled.len(), failed) {
        (1, _) => format!("the last delivery: {newest_shown}"),
        (count, 0) => {
            format!("none of the last {count} deliveries failed; the newest: {newest_shown}")
        }
        (count, failed) => {
            format!("{failed} of the last {count} deliveries failed; the newest: {newest_shown}")
        }
    };
    // A refusal that a later success followed is history: only the newest counts, or for 4xx the newest 4xx
    // that no success came after.
    let fixed_since = |found: &zendesk::Invocation| {
        settled
            .iter()
            .take_while(|i| i.id != found.id)
            .any(|i| i.status == "success")
    };
    match verify::diagnose_invocations(&judged, &reading.target.public_url, zendesk_local(reading))
    {
        Some(failure) if !judged.first().is_some_and(fixed_since) => Probe::problem(
            NAME,
            summary,
            failure.cause,
            failure.fix,
            action_of(failure.action),
        ),
        _ => Probe::ok(NAME, summary),
    }
}

/// "the last delivery", "the last 3 deliveries": a count of deliveries as a sentence says it.
fn the_last(count: usize) -> String {
    match count {
        1 => "the last delivery".to_owned(),
        count => format!("the last {count} deliveries"),
    }
}

/// Deliveries the relay refused (bad URL tag, bad signature, ...) among the newest ones.
fn refusals_probe(reading: &Reading) -> Probe {
    const NAME: &str = "relay-refusals";
    let refused: Vec<&DeliveryRow> = reading
        .deliveries
        .iter()
        .filter(|d| d.verdict != "accepted")
        .collect();
    let accepted_after = |row: &DeliveryRow| {
        reading
            .deliveries
            .iter()
            .any(|d| d.id > row.id && d.verdict == "accepted")
    };
    match refused.last() {
        Some(newest) if !accepted_after(newest) => {
            let reason = newest.reason.clone().unwrap_or_default();
            let (cause, fix, action) = verify::refusal_fix(&reason);
            Probe::problem(
                NAME,
                format!(
                    "the relay refused {} of {}; the newest at {}: {reason}",
                    refused.len(),
                    the_last(reading.deliveries.len()),
                    moment(&newest.received_at)
                ),
                format!("the relay refuses Zendesk's deliveries ({reason}): {cause}"),
                fix,
                action_of(Some(action)),
            )
        }
        Some(_) => Probe::ok(
            NAME,
            format!(
                "{} refused among {}, none since the last accepted one",
                refused.len(),
                the_last(reading.deliveries.len())
            ),
        ),
        None => Probe::ok(
            NAME,
            match reading.deliveries.len() {
                0 => "the relay has received no delivery yet".to_owned(),
                1 => "the relay accepted its last delivery".to_owned(),
                count => format!("the relay accepted each of its last {count} deliveries"),
            },
        ),
    }
}

/// What became of the deliveries: handled, or failed / stuck in the reply worker.
fn reply_worker_probe(reading: &Reading) -> Probe {
    const NAME: &str = "reply-worker";
    let now_ms = reading.now.as_millisecond();
    let failed = reading
        .deliveries
        .iter()
        .rev()
        .find(|d| d.state == "failed");
    let stuck = reading
        .deliveries
        .iter()
        .find(|d| d.state == "queued" && now_ms - d.received_ms > DELIVERY_STUCK_MS);
    let handled = reading
        .deliveries
        .iter()
        .filter(|d| d.state == "done")
        .count();
    if let Some(row) = stuck {
        return Probe::problem(
            NAME,
            format!(
                "delivery #{} has waited since {} ({})",
                row.id,
                moment(&row.received_at),
                row.outcome.as_deref().unwrap_or("no outcome yet")
            ),
            format!(
                "the relay stored Zendesk's delivery #{} but no reply worker handled it{}",
                row.id,
                row.outcome
                    .as_deref()
                    .map(|o| format!(": {o}"))
                    .unwrap_or_default()
            ),
            "Keep the relay running (`handoff serve`, or the console): its reply worker reads the replies from \
             Zendesk and puts them on the session.",
            Action::None,
        );
    }
    match failed {
        Some(row)
            if !reading
                .deliveries
                .iter()
                .any(|d| d.id > row.id && d.state == "done") =>
        {
            let outcome = row.outcome.clone().unwrap_or_default();
            Probe::problem(
                NAME,
                format!("delivery #{} failed: {outcome}", row.id),
                format!(
                    "the reply worker could not take the replies of delivery #{}: {outcome}",
                    row.id
                ),
                "Do what the reason says, then replay it: `handoff relay replay ID`.",
                handoff_refusal_action(&outcome),
            )
        }
        _ => Probe::ok(
            NAME,
            match reading.deliveries.len() {
                0 => "no delivery to handle yet".to_owned(),
                count => format!(
                    "{handled} of {} handled; none failed or stuck",
                    the_last(count)
                ),
            },
        ),
    }
}

/// The replies to the AI platform: delivered, retrying, or dead-lettered.
fn outbound_probe(reading: &Reading) -> Probe {
    const NAME: &str = "outbound";
    let outbound = &reading.outbound;
    let Some(url) = &reading.outbound_url else {
        return Probe::ok(
            NAME,
            "no outbound-url: replies are recorded on the session only, where the AI platform reads them \
             through the sessions API",
        );
    };
    let endpoint = format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    );
    let last_error = outbound
        .recent_errors
        .first()
        .map(|(session, error)| format!("session {session}: {error}"))
        .unwrap_or_else(|| "no error kept".to_owned());
    if outbound.dead > 0 {
        return Probe::problem(
            NAME,
            format!(
                "{} delivered, {} pending, {} dead-lettered; the newest error: {last_error}",
                outbound.delivered, outbound.pending, outbound.dead
            ),
            format!(
                "{} replies to the AI platform at {endpoint} were given up after every retry \
                 (dead-lettered): {last_error}",
                outbound.dead
            ),
            "Make the platform's endpoint accept the relay's signed messages (check `handoff config get \
             outbound-url` and the platform's logs); the replies stay on their sessions.",
            Action::None,
        );
    }
    if outbound.pending > 0 && !outbound.recent_errors.is_empty() {
        return Probe::problem(
            NAME,
            format!(
                "{} pending after failures; the newest error: {last_error}",
                outbound.pending
            ),
            format!("the AI platform's endpoint at {endpoint} refuses or fails replies: {last_error}"),
            "Check the platform's endpoint (`handoff config get outbound-url`); the relay retries with backoff \
             before it gives up.",
            Action::None,
        );
    }
    Probe::ok(
        NAME,
        format!(
            "{} delivered to {endpoint}, {} pending, none dead-lettered",
            outbound.delivered, outbound.pending
        ),
    )
}

/// The first failing setup item the loop needs, or fine.
fn setup_probe(reading: &Reading) -> Probe {
    const NAME: &str = "setup";
    let needed = || {
        ItemId::LOOP_SETUP
            .iter()
            .filter_map(|id| reading.checklist.item(*id))
    };
    if let Some(item) = needed().find(|i| i.state == ItemState::Failing) {
        return item_problem(NAME, item);
    }
    let unknown: Vec<&str> = needed()
        .filter(|i| i.state == ItemState::Unknown)
        .map(|i| i.id.label())
        .collect();
    if unknown.is_empty() {
        Probe::ok(
            NAME,
            "the webhook, its signing secret, the trigger and the relay's reachability are as setup made them",
        )
    } else {
        Probe::unknown(NAME, format!("not judged: {}", unknown.join(", ")))
    }
}

fn replies_not_reaching(reading: &Reading) -> Vec<Probe> {
    vec![
        credentials_probe(reading),
        setup_probe(reading),
        invocation_probe(reading, false),
        refusals_probe(reading),
        reply_worker_probe(reading),
        outbound_probe(reading),
    ]
}

fn triggers_page(reading: &Reading) -> Action {
    admin_page(&reading.connection, TRIGGERS_PAGE)
        .map(Action::OpenInZendesk)
        .unwrap_or(Action::None)
}

fn webhooks_page(reading: &Reading) -> Action {
    admin_page(&reading.connection, WEBHOOKS_PAGE)
        .map(Action::OpenInZendesk)
        .unwrap_or(Action::None)
}

fn internal_notes_reaching(reading: &Reading) -> Vec<Probe> {
    let mut probes = vec![item_probe(
        "trigger-body",
        &reading.checklist,
        ItemId::TriggerBody,
        false,
    )];
    let all = reading
        .observation
        .as_ref()
        .and_then(|o| o.all_triggers.as_ref());
    probes.push(match (all, reading.webhook_id.as_deref()) {
        (Some(Ok(triggers)), Some(ours)) => {
            let leaking: Vec<&zendesk::Trigger> = triggers
                .iter()
                .filter(|t| t.active && Some(t.id) != reading.trigger_id)
                .filter(|t| {
                    t.actions.iter().any(|a| {
                        a.webhook_id() == Some(ours)
                            && spec::body_of(a).is_some_and(spec::leaks_internal_notes)
                    })
                })
                .collect();
            match leaking.as_slice() {
                [] => Probe::ok(
                    "other-triggers",
                    "no other trigger sends our webhook a body with the latest comment",
                ),
                list => {
                    let names: Vec<String> =
                        list.iter().map(|t| format!("“{}” ({})", t.title, t.id)).collect();
                    Probe::problem(
                        "other-triggers",
                        format!("{} notify our webhook with {{{{ticket.latest_comment}}}}", names.join(", ")),
                        format!(
                            "{} (not made by setup) send our webhook {{{{ticket.latest_comment}}}}, which \
                             includes internal notes",
                            names.join(", ")
                        ),
                        "In Admin Center, change those triggers to {{ticket.latest_public_comment}} or remove \
                         their webhook action (setup changes only its own trigger).",
                        triggers_page(reading),
                    )
                }
            }
        }
        (Some(Err(error)), _) => Probe::unknown("other-triggers", format!("the triggers were not read: {error}")),
        (_, None) => Probe::unknown("other-triggers", "no webhook of ours to look for"),
        (None, _) => Probe::unknown("other-triggers", "the triggers were not read"),
    });
    // The relay's own guard, read from its record: a reply is only ever a public comment by staff, read back
    // from the API, whatever the trigger's body says.
    let replies = reading
        .deliveries
        .iter()
        .filter(|d| d.state == "done")
        .count();
    let record = match reading.deliveries.len() {
        0 => "no delivery yet".to_owned(),
        count => format!("{replies} of {} handled that way", the_last(count)),
    };
    probes.push(Probe::ok(
        "relay-filter",
        format!(
            "the reply worker takes only public comments by staff from Zendesk's API ({record}), never the \
             webhook's body"
        ),
    ));
    probes
}

fn webhook_4xx(reading: &Reading) -> Vec<Probe> {
    vec![
        item_probe(
            "signing-secret",
            &reading.checklist,
            ItemId::SigningSecret,
            false,
        ),
        item_probe(
            "webhook-endpoint",
            &reading.checklist,
            ItemId::WebhookEndpoint,
            false,
        ),
        invocation_probe(reading, true),
        refusals_probe(reading),
    ]
}

fn trigger_not_firing(reading: &Reading) -> Vec<Probe> {
    let checklist = &reading.checklist;
    let mut probes = vec![
        item_probe("trigger-exists", checklist, ItemId::TriggerExists, false),
        item_probe("trigger-active", checklist, ItemId::TriggerActive, false),
        item_probe(
            "trigger-conditions",
            checklist,
            ItemId::TriggerConditions,
            false,
        ),
        item_probe("trigger-webhook", checklist, ItemId::TriggerWebhook, false),
        item_probe("webhook-exists", checklist, ItemId::WebhookExists, false),
        item_probe("webhook-active", checklist, ItemId::WebhookActive, false),
    ];
    // A webhook subscribed to events can never be called by a trigger, and setup cannot change that.
    let connected = item_probe(
        "webhook-connected",
        checklist,
        ItemId::WebhookConnected,
        false,
    );
    probes.push(match connected.diagnosis {
        Some(ref diagnosis) if diagnosis.action == Action::None => Probe {
            diagnosis: Some(Diagnosis {
                action: webhooks_page(reading),
                ..diagnosis.clone()
            }),
            ..connected
        },
        _ => connected,
    });
    probes.push(match invocations(reading) {
        None => Probe::unknown("invocation-log", "the webhook's invocations were not read"),
        Some(list) => match list.first() {
            None => Probe::ok(
                "invocation-log",
                "the trigger has not called the webhook in the last 7 days (no public reply since, or it did \
                 not fire)",
            ),
            Some(newest) => Probe::ok(
                "invocation-log",
                format!(
                    "the trigger last called the webhook at {} ({})",
                    newest
                        .latest_completed_at
                        .as_deref()
                        .map_or_else(|| "an unknown time".to_owned(), moment),
                    newest.status
                ),
            ),
        },
    });
    probes
}

fn duplicates(reading: &Reading) -> Vec<Probe> {
    let mut probes = vec![match reading.queue.sessions_with_several_created.first() {
        None => Probe::ok(
            "duplicate-tickets",
            format!(
                "every session has at most one ticket made by a handoff ({} done)",
                reading.queue.done
            ),
        ),
        Some((session, tickets)) => {
            let ids: Vec<String> = tickets.iter().map(|t| format!("#{t}")).collect();
            Probe::problem(
                "duplicate-tickets",
                format!(
                    "{} session(s) have several created tickets; session {session}: {}",
                    reading.queue.sessions_with_several_created.len(),
                    ids.join(", ")
                ),
                format!(
                    "session {session} got tickets {} from separate creates (a returning contact whose earlier \
                     ticket the store did not know, or a data folder restored from an old copy)",
                    ids.join(", ")
                ),
                "Merge the tickets in Zendesk's agent workspace; the next handoff of the session updates the \
                 newest one.",
                Action::None,
            )
        }
    }];
    probes.push(item_probe(
        "double-delivery",
        &reading.checklist,
        ItemId::DoubleDelivery,
        true,
    ));
    probes.push(match reading.checklist.item(ItemId::WebhookConnected) {
        Some(item) if item.state == ItemState::Ok => Probe::ok(
            "webhook-callers",
            format!(
                "{}; the relay delivers each reply once, however many deliveries announce it",
                item.evidence
            ),
        ),
        Some(item) => Probe::unknown("webhook-callers", item.evidence.clone()),
        None => Probe::unknown("webhook-callers", "not judged"),
    });
    let repeated: i64 = reading.deliveries.iter().map(|d| d.duplicates).sum();
    probes.push(Probe::ok(
        "repeated-deliveries",
        match (reading.deliveries.len(), repeated) {
            (0, _) => "no delivery yet".to_owned(),
            (1, 0) => "Zendesk sent the last delivery once".to_owned(),
            (count, 0) => format!("Zendesk sent each of the last {count} deliveries once"),
            (count, repeated) => format!(
                "Zendesk sent {repeated} {} of {}; the relay handled each invocation once",
                if repeated == 1 { "repeat" } else { "repeats" },
                the_last(count)
            ),
        },
    ));
    probes
}

fn rate_limit_reason(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("rate limit") || lower.contains("429")
}

fn rate_limited(reading: &Reading) -> Vec<Probe> {
    const FIX: &str = "Zendesk's limit is per account, shared by every integration on it: the queue honours \
                       Retry-After and completes by itself; find what else uses the API (Admin Center's API \
                       usage), spread it out, or move to a plan with a higher limit.";
    let mut probes = Vec::new();
    probes.push(match (&reading.rate_limit, &reading.liveness) {
        (_, Liveness::Unknown { reason }) if rate_limit_reason(reason) => Probe::problem(
            "zendesk-answers",
            format!("users/me: {reason}"),
            format!("Zendesk refuses this account's requests for now: {reason}"),
            FIX,
            Action::None,
        ),
        (Some(state), _) if state.refused > 0 || state.remaining == Some(0) => Probe::problem(
            "zendesk-answers",
            format!(
                "Zendesk answered 429 to {} of this check's requests; {} requests a minute{}",
                state.refused,
                state.per_minute,
                state
                    .paused_for
                    .map(|wait| format!(", calls held back {} s", wait.as_secs().max(1)))
                    .unwrap_or_default()
            ),
            format!(
                "the account's API budget ({} requests a minute) is used up right now",
                state.per_minute
            ),
            FIX,
            Action::None,
        ),
        (Some(state), _) => match state.remaining {
            Some(remaining) if f64::from(remaining) < f64::from(state.per_minute) * NEAR_LIMIT => {
                Probe::problem(
                    "zendesk-answers",
                    format!(
                        "{remaining} of {} requests left this minute",
                        state.per_minute
                    ),
                    format!(
                        "the account is near its API limit: only {remaining} of {} requests are left this \
                         minute, so the product's calls will soon be refused",
                        state.per_minute
                    ),
                    FIX,
                    Action::None,
                )
            }
            Some(remaining) => Probe::ok(
                "zendesk-answers",
                format!("{remaining} of {} requests left this minute", state.per_minute),
            ),
            None => Probe::ok(
                "zendesk-answers",
                format!(
                    "no refusal; Zendesk reported no remaining count ({} requests a minute)",
                    state.per_minute
                ),
            ),
        },
        (None, _) => Probe::unknown("zendesk-answers", "Zendesk was not asked"),
    });
    let waiting: Vec<&(String, String)> = reading
        .queue
        .waiting
        .iter()
        .filter(|(_, reason)| rate_limit_reason(reason))
        .collect();
    probes.push(match waiting.first() {
        None => Probe::ok(
            "handoff-queue",
            format!(
                "no handoff waits for the rate limit ({} pending)",
                reading.queue.pending
            ),
        ),
        Some((session, reason)) => Probe::problem(
            "handoff-queue",
            format!(
                "{} handoff(s) wait for the rate limit; the newest, session {session}: {reason}",
                waiting.len()
            ),
            format!(
                "Zendesk refused handoffs with 429 (rate limit): {} wait for a retry ({reason})",
                waiting.len()
            ),
            FIX,
            Action::None,
        ),
    });
    let limited = reading
        .deliveries
        .iter()
        .rev()
        .find(|d| d.state == "queued" && d.outcome.as_deref().is_some_and(rate_limit_reason));
    probes.push(match limited {
        None => Probe::ok("reply-worker", "no delivery waits for the rate limit"),
        Some(row) => Probe::problem(
            "reply-worker",
            format!(
                "delivery #{} waits: {}",
                row.id,
                row.outcome.as_deref().unwrap_or_default()
            ),
            "Zendesk refused the reply worker's reads with 429: replies reach the session late"
                .to_owned(),
            FIX,
            Action::None,
        ),
    });
    probes
}

fn token_expiring(reading: &Reading) -> Vec<Probe> {
    let connection = &reading.connection;
    let mut probes = Vec::new();
    probes.push(match &connection.reconnect_required {
        Some(reason) => Probe::problem(
            "reconnect",
            format!("reconnect required: {reason}"),
            format!("the saved credentials stopped working: {reason}"),
            "Sign in again (`handoff connect`); every other setting is kept.",
            Action::Reconnect,
        ),
        None => Probe::ok(
            "reconnect",
            "the saved credentials are not marked for a new sign-in",
        ),
    });
    match (&connection.auth_method, &connection.oauth) {
        (AuthMethod::ApiToken, _) => {
            probes.push(match connection.api_token_deadline(reading.now) {
                Some(deadline) if deadline.days_left <= checklist::DEADLINE_WARNING_DAYS => {
                    let when = if deadline.days_left <= 0 {
                        format!("stopped working on {}", deadline.date)
                    } else {
                        format!(
                            "stop working on {} ({} days left)",
                            deadline.date, deadline.days_left
                        )
                    };
                    Probe::problem(
                        "api-token-deadline",
                        format!("API tokens {when}"),
                        format!(
                            "the connection uses an API token, and Zendesk's API tokens {when}"
                        ),
                        format!(
                            "Move to OAuth before then: `{}` (every other setting is kept).",
                            FixAction::MoveToOAuth.command()
                        ),
                        Action::Reconnect,
                    )
                }
                Some(deadline) => Probe::ok(
                    "api-token-deadline",
                    format!(
                        "API tokens stop working on {} ({} days left); move to OAuth before then",
                        deadline.date, deadline.days_left
                    ),
                ),
                None => Probe::unknown("api-token-deadline", "no deadline known"),
            });
        }
        (AuthMethod::OAuth, Some(oauth)) => {
            probes.push(Probe::ok(
                "access-token",
                match oauth.token_expires_at {
                    Some(at) => format!(
                        "renews itself before it expires (the current one at {})",
                        moment_of(at)
                    ),
                    None => "does not expire".to_owned(),
                },
            ));
            let soon = reading
                .now
                .checked_add(REFRESH_EXPIRY_WARNING)
                .unwrap_or(reading.now);
            probes.push(match oauth.refresh_expires_at.map(|at| (at, moment_of(at))) {
                Some((at, shown)) if at <= soon => Probe::problem(
                    "refresh-token",
                    format!("the refresh token expires at {shown}"),
                    format!(
                        "the OAuth refresh token expires at {shown}: unless the product calls Zendesk before \
                         then (each renewal extends it), a new sign-in is needed"
                    ),
                    "Keep the console or `handoff serve` running (any call renews it), or sign in again with \
                     `handoff connect --oauth`.",
                    Action::Reconnect,
                ),
                Some((_, shown)) => Probe::ok(
                    "refresh-token",
                    format!("expires at {shown}; every renewal extends it"),
                ),
                None => Probe::ok("refresh-token", "none (client credentials get a new token by themselves)"),
            });
        }
        (AuthMethod::OAuth, None) => {
            probes.push(Probe::unknown(
                "access-token",
                "the OAuth details are missing",
            ));
        }
    }
    probes
}

/// A finding as JSON (the CLI's `--json`, the diagnostics bundle). Keys are a contract with scripts.
pub fn finding_json(finding: &Finding) -> serde_json::Value {
    let diagnosis = finding.diagnosis.as_ref();
    let action = diagnosis.map(|d| &d.action);
    serde_json::json!({
        "symptom": finding.symptom.as_str(),
        "title": finding.symptom.title(),
        "found": finding.found(),
        "probes": finding.probes.iter().map(|probe| serde_json::json!({
            "name": probe.name,
            "outcome": probe.outcome.as_str(),
            "evidence": probe.evidence,
        })).collect::<Vec<_>>(),
        "cause": diagnosis.map(|d| d.cause.as_str()),
        "fix": diagnosis.map(|d| d.fix.as_str()),
        "action": action.map_or("none", Action::as_str),
        "repair": action.and_then(Action::repair),
        "command": action.and_then(Action::command),
        "url": action.and_then(Action::url).map(Url::as_str),
    })
}

/// A report as JSON: `{findings: [...], at, zendesk_requests}`.
pub fn report_json(report: &Report) -> serde_json::Value {
    serde_json::json!({
        "findings": report.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "at": report.at.to_string(),
        "zendesk_requests": report.zendesk_requests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symptoms_parse_from_their_ids() {
        for symptom in Symptom::ALL {
            assert_eq!(Symptom::parse(symptom.as_str()), Some(symptom));
        }
        assert_eq!(Symptom::parse("no_ticket"), Some(Symptom::NoTicket));
        assert_eq!(Symptom::parse("nothing"), None);
        // The ids the verification's fixes already name.
        for id in ["no-ticket", "replies-not-reaching", "trigger-not-firing"] {
            assert!(Symptom::parse(id).is_some(), "{id}");
        }
    }

    #[test]
    fn the_checklist_fixes_map_to_the_panel_actions() {
        let table = [
            (Some(FixAction::RepairTrigger), "repair"),
            (Some(FixAction::GuardNotifyTriggers), "repair"),
            (Some(FixAction::Reconnect), "reconnect"),
            (Some(FixAction::MoveToOAuth), "reconnect"),
            (Some(FixAction::Verify), "verify"),
            (Some(FixAction::StartRelay), "none"),
            (None, "none"),
        ];
        for (fix, action) in table {
            assert_eq!(action_of(fix).as_str(), action, "{fix:?}");
        }
    }
}
