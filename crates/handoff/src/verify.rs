//! One-click end-to-end verification (SPEC §6): the whole loop, the way a real conversation takes it.
//!
//! Steps, in order, each reported as it starts and ends with its duration, and on failure its cause, its fix
//! and the action that performs the fix:
//!
//! | step | what proves it |
//! |---|---|
//! | `credentials` | Zendesk accepts the saved credentials (`users/me`) |
//! | `setup` | the checklist has nothing failing that the loop needs (webhook, signing secret, trigger, relay) |
//! | `session` | a verification session exists in the local store |
//! | `handoff` | the handoff queue's worker wrote its ticket |
//! | `ticket` | the ticket in Zendesk has the external id, subject, description, tags and mapped fields drafted |
//! | `reply` | a rep replied publicly through the API as that rep (`author_id`), or the admin did (`--manual`) |
//! | `webhook` | the trigger fired and Zendesk's signed delivery reached the relay's signed URL |
//! | `session_reply` | the reply is on the session as an agent turn and the session is human-active |
//! | `cleanup` | the verification ticket and the user it created are deleted |
//!
//! Invariants:
//! - No test-only bypass: the ticket is written by the handoff queue's worker, the reply is a comment Zendesk
//!   stores with the rep as author, the trigger and webhook are Zendesk's, the relay is the one that serves
//!   the signed URL, and the reply reaches the session through the reply worker that reads the API.
//! - A relay must receive the webhook. One already listening on the listen address (the console's, or
//!   `handoff serve`) is used; when none does, this run hosts one on that address for its duration, and says
//!   so ([`RelayUse::Hosted`]).
//! - Whatever was made in Zendesk is deleted at the end, whichever step failed (the local session stays: it
//!   is the record of the run).
//! - Independent calls run side by side: the relay starts while the credentials are checked, the rep is
//!   picked while the checklist is read, the ticket and its user are deleted together.
//! - Each run's result, with its steps, is kept in the `verifications` table the checklist reads.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use futures::{StreamExt as _, TryStreamExt as _};
use jiff::Timestamp;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::{Host, Url};
use zendesk::{Client, NewComment, Role as ZendeskRole, TicketUpdate, User};

use crate::account::{self, Liveness};
use crate::clock::Clock;
use crate::connect::{Connection, UserSummary};
use crate::handoff::ticket::{agent_page, Draft};
use crate::profile::Profile;
use crate::service::{Service, ServiceError, WorkerSeat};
use crate::session::{
    Channel, HandoffRequest, HandoffState, Mode, NewContact, NewSession, NewTurn, Role, Sentiment,
    SessionId, Sessions,
};
use crate::settings::Settings;
use crate::setup::checklist::{self, Checklist, FixAction, ItemId, ItemState, NoMappedFields};
use crate::setup::Recorded;
use crate::store::{DeliveryRow, StoreError, VerificationRow, JOB_HANDOFF};
use crate::ConnectError;

/// Where `handoff serve` listens by default, and so where a verification looks for a running relay when the
/// public URL is not on this machine (a tunnel or a proxy forwards to it).
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8750);

/// How long the handoff may take by default (a healthy one takes one Zendesk call).
pub const HANDOFF_WAIT: Duration = Duration::from_secs(30);
/// How long Zendesk's delivery may take by default (Zendesk calls within seconds; it retries timeouts).
pub const WEBHOOK_WAIT: Duration = Duration::from_secs(30);
/// How long `--manual` waits for the admin's reply by default.
pub const MANUAL_WAIT: Duration = Duration::from_secs(600);
/// How long the reply worker may take to put a delivered reply on the session.
const SESSION_REPLY_WAIT: Duration = Duration::from_secs(20);
/// How often the store is looked at while waiting (a local SQLite read).
const POLL: Duration = Duration::from_millis(25);
/// How often Zendesk's invocation log is read while waiting for a delivery (one request each).
const INVOCATIONS_EVERY: Duration = Duration::from_millis(1500);
/// The verification session's summary: also the proof that the description carries it.
const SUMMARY: &str =
    "Verification by the Zendesk Handoff Console: this ticket checks the whole loop and is deleted when it ends.";

/// A step of the verification. The wire names are a contract with scripts and the Verify screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepId {
    Credentials,
    Setup,
    Session,
    Handoff,
    Ticket,
    Reply,
    Webhook,
    SessionReply,
    Cleanup,
}

impl StepId {
    /// Every step, in the order they run.
    pub const ALL: [StepId; 9] = [
        StepId::Credentials,
        StepId::Setup,
        StepId::Session,
        StepId::Handoff,
        StepId::Ticket,
        StepId::Reply,
        StepId::Webhook,
        StepId::SessionReply,
        StepId::Cleanup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepId::Credentials => "credentials",
            StepId::Setup => "setup",
            StepId::Session => "session",
            StepId::Handoff => "handoff",
            StepId::Ticket => "ticket",
            StepId::Reply => "reply",
            StepId::Webhook => "webhook",
            StepId::SessionReply => "session_reply",
            StepId::Cleanup => "cleanup",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StepId::Credentials => "Re-verify the credentials",
            StepId::Setup => "Check setup",
            StepId::Session => "Create a verification session",
            StepId::Handoff => "Hand it off",
            StepId::Ticket => "The ticket is in Zendesk as specified",
            StepId::Reply => "A rep replies publicly",
            StepId::Webhook => "The signed webhook reaches the relay",
            StepId::SessionReply => "The reply is on the session, a human owns it",
            StepId::Cleanup => "Clean up",
        }
    }

    pub fn parse(text: &str) -> Option<StepId> {
        StepId::ALL.into_iter().find(|id| id.as_str() == text)
    }
}

/// Where a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Running,
    Passed,
    Failed,
    /// Not run: an earlier step failed (or, for the clean-up, nothing was made).
    Skipped,
}

impl StepState {
    pub const ALL: [StepState; 4] = [
        StepState::Running,
        StepState::Passed,
        StepState::Failed,
        StepState::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Running => "running",
            StepState::Passed => "passed",
            StepState::Failed => "failed",
            StepState::Skipped => "skipped",
        }
    }

    pub fn parse(text: &str) -> Option<StepState> {
        StepState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// One step's state: what was found, how long it took, and for a failure why and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: StepId,
    pub state: StepState,
    /// One line: what was done or found.
    pub detail: String,
    pub cause: Option<String>,
    pub fix: Option<String>,
    /// The button that performs the fix (the checklist's fix ids: `setup:trigger`, `connect`, `serve`, ...).
    pub action: Option<FixAction>,
    /// Set once the step ended.
    pub duration: Option<Duration>,
}

impl Step {
    fn new(id: StepId, state: StepState, detail: impl Into<String>) -> Step {
        Step {
            id,
            state,
            detail: detail.into(),
            cause: None,
            fix: None,
            action: None,
            duration: None,
        }
    }
}

/// A failed step's verdict, before it is timed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub detail: String,
    pub cause: String,
    pub fix: String,
    pub action: Option<FixAction>,
}

impl Failure {
    fn new(
        detail: impl Into<String>,
        cause: impl Into<String>,
        fix: impl Into<String>,
        action: Option<FixAction>,
    ) -> Failure {
        Failure {
            detail: detail.into(),
            cause: cause.into(),
            fix: fix.into(),
            action,
        }
    }
}

/// Which relay receives the webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayUse {
    /// A relay already listens on this address (the console's, or `handoff serve`).
    Running { address: SocketAddr },
    /// None did: this run hosts one on this address until it ends.
    Hosted { address: SocketAddr },
    /// The caller runs the relay of this profile (the console with its relay started).
    Caller,
}

/// Who replies in Zendesk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replier {
    /// The default agent, else the first active full agent who is not the integration's own user.
    Auto,
    /// This agent (`--as-agent ID`, or the one the admin picked).
    Agent(u64),
    /// The admin replies in Zendesk themselves (the seed's guide); waits this long for it.
    Manual { wait: Duration },
}

/// Where the relay comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayChoice {
    /// Use the relay listening on `listen` (default: the public URL's address when it is on this machine,
    /// else [`DEFAULT_LISTEN`]); host one there for the run when none does.
    Auto { listen: Option<SocketAddr> },
    /// The caller runs it; never host one.
    Running,
}

/// How a verification runs.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub replier: Replier,
    pub relay: RelayChoice,
    pub handoff_wait: Duration,
    pub webhook_wait: Duration,
    /// The sessions API of the handoff worker already running in this process (the console's), whose wake
    /// starts the verification's handoff at once rather than at the worker's next look at the queue. `None`:
    /// the relay this run hosts, if any, shares its own; otherwise the worker finds the job on its own.
    pub sessions: Option<Sessions>,
}

impl Default for VerifyOptions {
    fn default() -> VerifyOptions {
        VerifyOptions {
            replier: Replier::Auto,
            relay: RelayChoice::Auto { listen: None },
            handoff_wait: HANDOFF_WAIT,
            webhook_wait: WEBHOOK_WAIT,
            sessions: None,
        }
    }
}

/// What a verification reports while it runs (the Verify screen streams these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyEvent {
    /// Which relay receives the webhook; told before the steps run.
    Relay(RelayUse),
    /// A step started (`Running`) or ended.
    Step(Step),
    /// `--manual`: reply publicly to this ticket in Zendesk; `link` opens it in the agent workspace.
    AwaitingReply { ticket_id: u64, link: String },
}

/// What a verification found.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub passed: bool,
    /// Every step's final state, in order.
    pub steps: Vec<Step>,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub wall: Duration,
    pub relay: Option<RelayUse>,
    pub session_id: Option<SessionId>,
    pub ticket_id: Option<u64>,
    /// The rep who replied (auto mode).
    pub replier: Option<UserSummary>,
}

impl VerifyReport {
    /// The first step that failed.
    pub fn failed_step(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.state == StepState::Failed)
    }
}

/// How the console verifies: as `replier`, through the relay it hosts on the `listen-address` setting (when
/// the admin stopped that relay, one is hosted there for the run), with the default waits, queuing the handoff
/// through `sessions`, the console's own (so its handoff worker starts at once).
pub fn console_options(
    profile: &Profile,
    replier: Replier,
    sessions: Sessions,
) -> Result<VerifyOptions, StoreError> {
    let listen = Settings::new(profile.store().clone()).listen_address()?;
    Ok(VerifyOptions {
        replier,
        relay: RelayChoice::Auto {
            listen: Some(listen),
        },
        sessions: Some(sessions),
        ..VerifyOptions::default()
    })
}

/// The newest verification as kept: when it ran, whether it passed, and its steps (the Verify screen shows it
/// when it opens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastVerification {
    /// RFC 3339.
    pub started_at: String,
    pub finished_at: String,
    pub passed: bool,
    /// Empty for a verification kept without its steps.
    pub steps: Vec<Step>,
}

/// The newest verification, `None` when none ever ran.
pub async fn last(profile: &Profile) -> Result<Option<LastVerification>, StoreError> {
    profile
        .store()
        .call(|store| {
            let Some(row) = store.last_verification()? else {
                return Ok(None);
            };
            let steps = store
                .last_verification_steps()?
                .map(|text| steps_from_json(&text))
                .unwrap_or_default();
            Ok(Some(LastVerification {
                started_at: row.started_at,
                finished_at: row.finished_at,
                passed: row.passed,
                steps,
            }))
        })
        .await
}

/// The steps [`step_json`] wrote; a step this version does not know is left out rather than failing the read.
fn steps_from_json(text: &str) -> Vec<Step> {
    let Ok(serde_json::Value::Array(steps)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return Vec::new();
    };
    let text_of = |value: &serde_json::Value, key: &str| value[key].as_str().map(str::to_owned);
    steps
        .iter()
        .filter_map(|value| {
            Some(Step {
                id: StepId::parse(value["id"].as_str()?)?,
                state: StepState::parse(value["state"].as_str()?)?,
                detail: text_of(value, "detail").unwrap_or_default(),
                cause: text_of(value, "cause"),
                fix: text_of(value, "fix"),
                action: value["action"].as_str().and_then(FixAction::parse),
                duration: value["duration_ms"].as_u64().map(Duration::from_millis),
            })
        })
        .collect()
}

/// Why a verification could not run at all (a step's failure is not an error: it is in the report).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("not connected to Zendesk: run `handoff connect` (or `handoff demo`) first")]
    NotConnected,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs the verification, reporting each step through `on_event` as it starts and ends, and keeps the result
/// in the checklist's `verifications` table.
pub async fn run(
    profile: &Profile,
    clock: &Clock,
    options: VerifyOptions,
    on_event: impl FnMut(&VerifyEvent) + Send,
) -> Result<VerifyReport, VerifyError> {
    let Some(connection) = profile.connection()? else {
        return Err(VerifyError::NotConnected);
    };
    let started_at = clock.now();
    let wall = Instant::now();
    let mut progress = Progress {
        on_event,
        steps: Vec::new(),
    };
    let mut state = RunState::default();
    let outcome = steps(
        profile,
        clock,
        &options,
        &connection,
        &mut progress,
        &mut state,
    )
    .await;
    if let Err(failure) = outcome {
        // The step that was running failed; every later one but the clean-up is skipped.
        progress.fail_running(failure);
    }
    progress.skip_remaining(StepId::Cleanup);
    cleanup(&mut progress, &state).await;
    if let Some(relay) = state.hosted.take() {
        relay.stop().await;
    }
    let finished_at = clock.now();
    let report = VerifyReport {
        passed: progress
            .steps
            .iter()
            .all(|s| matches!(s.state, StepState::Passed | StepState::Skipped))
            && progress
                .steps
                .iter()
                .any(|s| s.id == StepId::SessionReply && s.state == StepState::Passed),
        steps: progress.steps,
        started_at,
        finished_at,
        wall: wall.elapsed(),
        relay: state.relay_use,
        session_id: state.session_id,
        ticket_id: state.ticket_id,
        replier: state.replier.as_ref().map(UserSummary::from),
    };
    record(profile, &report).await?;
    Ok(report)
}

/// What the run made and learned, for the steps after and the clean-up.
#[derive(Default)]
struct RunState {
    relay_use: Option<RelayUse>,
    hosted: Option<HostedRelay>,
    client: Option<Client>,
    session_id: Option<SessionId>,
    ticket_id: Option<u64>,
    /// The Zendesk user the ticket's creation made for the verification contact.
    created_user: Option<u64>,
    replier: Option<User>,
}

/// The steps as they run.
struct Progress<F: FnMut(&VerifyEvent)> {
    on_event: F,
    steps: Vec<Step>,
}

/// A step under way: its start, for the duration.
struct Running {
    id: StepId,
    since: Instant,
}

impl<F: FnMut(&VerifyEvent)> Progress<F> {
    fn tell(&mut self, event: VerifyEvent) {
        (self.on_event)(&event);
    }

    fn start(&mut self, id: StepId, detail: impl Into<String>) -> Running {
        let step = Step::new(id, StepState::Running, detail);
        self.tell(VerifyEvent::Step(step.clone()));
        self.steps.push(step);
        Running {
            id,
            since: Instant::now(),
        }
    }

    fn end(&mut self, running: Running, mut step: Step) {
        step.duration = Some(running.since.elapsed());
        self.tell(VerifyEvent::Step(step.clone()));
        if let Some(slot) = self.steps.iter_mut().find(|s| s.id == running.id) {
            *slot = step;
        }
    }

    fn pass(&mut self, running: Running, detail: impl Into<String>) {
        let id = running.id;
        self.end(running, Step::new(id, StepState::Passed, detail));
    }

    /// Ends the step still running as failed.
    fn fail_running(&mut self, failure: Failure) {
        let Some(index) = self
            .steps
            .iter()
            .rposition(|s| s.state == StepState::Running)
        else {
            return;
        };
        let id = self.steps[index].id;
        let since = self.steps[index].duration.unwrap_or_default();
        let mut step = Step::new(id, StepState::Failed, failure.detail);
        step.cause = Some(failure.cause);
        step.fix = Some(failure.fix);
        step.action = failure.action;
        step.duration = Some(since);
        self.tell(VerifyEvent::Step(step.clone()));
        self.steps[index] = step;
    }

    /// Every step not run yet, before `until`, is skipped.
    fn skip_remaining(&mut self, until: StepId) {
        let failed = self.steps.iter().find(|s| s.state == StepState::Failed);
        let why = match failed {
            Some(step) => format!("not run: the step “{}” failed", step.id.label()),
            None => "not run".to_owned(),
        };
        for id in StepId::ALL {
            if id == until {
                break;
            }
            if !self.steps.iter().any(|s| s.id == id) {
                let step = Step::new(id, StepState::Skipped, why.clone());
                self.tell(VerifyEvent::Step(step.clone()));
                self.steps.push(step);
            }
        }
    }
}

/// Times the running step: the failure path ends it without the `Running` handle.
fn timed(progress_steps: &mut [Step], running: &Running) {
    if let Some(step) = progress_steps.iter_mut().find(|s| s.id == running.id) {
        step.duration = Some(running.since.elapsed());
    }
}

/// Every step up to the session reply. A failure ends the step that is running and returns.
async fn steps<F: FnMut(&VerifyEvent) + Send>(
    profile: &Profile,
    clock: &Clock,
    options: &VerifyOptions,
    connection: &Connection,
    progress: &mut Progress<F>,
    state: &mut RunState,
) -> Result<(), Failure> {
    // 1. The credentials, while the relay is made ready (the checklist's probe must find it running).
    let running = progress.start(
        StepId::Credentials,
        "Asking Zendesk who the saved credentials are…",
    );
    let (verified, relay) = tokio::join!(
        account::verify(profile, clock),
        prepare_relay(profile, clock, options.relay)
    );
    let relay = relay.map(|(relay_use, hosted)| {
        state.hosted = hosted;
        relay_use
    });
    let credentials = credentials(verified);
    timed(&mut progress.steps, &running);
    let (connection_now, liveness, user) = credentials?;
    progress.pass(
        running,
        format!(
            "Zendesk accepts the {} of {} ({})",
            match connection_now.auth_method {
                crate::connect::AuthMethod::OAuth => "OAuth token",
                crate::connect::AuthMethod::ApiToken => "API token",
            },
            user.name,
            user.role
        ),
    );
    let account = account::open(profile, clock)
        .await
        .map_err(|e| keychain_failure(&e))?
        .ok_or_else(|| {
            Failure::new(
                "Not connected",
                "the connection was removed while verifying",
                "Connect again: `handoff connect`.",
                Some(FixAction::Reconnect),
            )
        })?;
    let client = account.client.clone();
    state.client = Some(client.clone());

    // 2. Setup, while the rep who will reply is picked.
    let running = progress.start(
        StepId::Setup,
        "Reading the webhook, the trigger and the relay…",
    );
    let relay_use = match relay {
        Ok(relay_use) => relay_use,
        Err(failure) => {
            timed(&mut progress.steps, &running);
            return Err(failure);
        }
    };
    state.relay_use = Some(relay_use.clone());
    progress.tell(VerifyEvent::Relay(relay_use.clone()));
    let pick = {
        let client = client.clone();
        let replier = options.replier;
        let default_agent = connection.default_agent.as_ref().map(|a| a.id);
        let me = connection_now.user.id;
        tokio::spawn(async move { pick_replier(&client, replier, default_agent, me).await })
    };
    let checked = checklist::refresh_after(
        profile,
        clock,
        &NoMappedFields,
        connection_now.clone(),
        liveness,
    )
    .await;
    timed(&mut progress.steps, &running);
    let checklist = checked.map_err(|error| {
        Failure::new(
            "The checklist could not be read",
            error.to_string(),
            "Run `handoff status` to see what is wrong, then verify again.",
            Some(FixAction::Refresh),
        )
    })?;
    let summary = judge_setup(&checklist)?;
    progress.pass(running, summary);

    // 3. The verification session.
    let running = progress.start(StepId::Session, "Creating the verification session…");
    let sessions = match (&state.hosted, &options.sessions) {
        (Some(hosted), _) => hosted.sessions.clone(),
        (None, Some(running)) => running.clone(),
        (None, None) => Sessions::new(profile.store().clone(), clock.clone()),
    };
    let tag = ulid::Ulid::new().to_string().to_ascii_lowercase();
    let email = format!("verify-{}@example.com", &tag[tag.len() - 12..]);
    let session = sessions
        .create(NewSession {
            contact: NewContact {
                name: Some("Verification contact".to_owned()),
                email: Some(email.clone()),
                ..NewContact::default()
            },
            channel: Channel::Web,
            mode: Mode::Handoff,
            turns: vec![
                NewTurn {
                    role: Role::Customer,
                    text: "This is the console's verification conversation: a handoff, a rep's reply, and back."
                        .to_owned(),
                    at: None,
                },
                NewTurn {
                    role: Role::Ai,
                    text: "Handing you over to a person now.".to_owned(),
                    at: None,
                },
            ],
            summary: None,
            sentiment: None,
            language: None,
        })
        .map_err(|error| {
            timed(&mut progress.steps, &running);
            Failure::new(
                "The session could not be created",
                error.to_string(),
                "Check the data folder is writable, then verify again.",
                None,
            )
        })?;
    state.session_id = Some(session.id);
    progress.pass(
        running,
        format!("Session {} (contact {email}, web chat)", session.id),
    );

    // 4. The handoff, through the queue and its worker.
    let running = progress.start(
        StepId::Handoff,
        "Queued; waiting for the worker to write the ticket…",
    );
    let handed = handoff(profile, &sessions, session.id, options.handoff_wait).await;
    timed(&mut progress.steps, &running);
    let (ticket_id, created) = handed?;
    state.ticket_id = Some(ticket_id);
    progress.pass(
        running,
        format!(
            "The worker {} ticket #{ticket_id}",
            if created { "created" } else { "updated" }
        ),
    );

    // 5. The ticket as specified.
    let running = progress.start(StepId::Ticket, format!("Reading ticket #{ticket_id}…"));
    let checked = check_ticket(profile, &client, session.id, ticket_id, created).await;
    timed(&mut progress.steps, &running);
    let (detail, requester) = checked?;
    if created {
        state.created_user = requester;
    }
    progress.pass(running, detail);

    // 6. A rep's public reply, through the API as that rep (or the admin's own, by hand).
    let baseline = last_delivery_id(profile).await?;
    let reply_text = format!("Verification reply {tag}: replies reach the AI platform.");
    let running = progress.start(StepId::Reply, "Posting a public reply as a rep…");
    let replied_at = clock.now();
    let reply = match options.replier {
        Replier::Manual { wait } => {
            progress.tell(VerifyEvent::AwaitingReply {
                ticket_id,
                link: agent_page(&connection_now.base_url, ticket_id),
            });
            let waited = wait_for_manual_reply(
                profile,
                &client,
                ticket_id,
                connection_now.user.id,
                baseline,
                wait,
            )
            .await;
            timed(&mut progress.steps, &running);
            waited?
        }
        Replier::Auto | Replier::Agent(_) => {
            let picked = pick
                .await
                .map_err(|error| {
                    Failure::new(
                        "No rep was picked",
                        error.to_string(),
                        "Verify again.",
                        None,
                    )
                })
                .and_then(|picked| picked);
            let posted = match picked {
                Ok(agent) => post_reply(&client, ticket_id, &agent, &reply_text)
                    .await
                    .map(|()| agent),
                Err(failure) => Err(failure),
            };
            timed(&mut progress.steps, &running);
            let agent = posted?;
            let detail = format!(
                "{} (#{}, {}) replied publicly through the API, as the author of the comment",
                agent.name,
                agent.id,
                agent.role.as_str()
            );
            state.replier = Some(agent);
            detail
        }
    };
    progress.pass(running, reply);

    // 7. Zendesk's trigger and signed webhook, to the relay.
    let running = progress.start(StepId::Webhook, "Waiting for Zendesk's delivery…");
    let recorded = Recorded::read(profile.store()).map_err(|e| store_failure(&e))?;
    let webhook_id = recorded.webhook.map(|row| row.zendesk_id);
    let waited = wait_for_delivery(
        profile,
        &client,
        &checklist,
        webhook_id.as_deref(),
        ticket_id,
        baseline,
        replied_at,
        options.webhook_wait,
    )
    .await;
    timed(&mut progress.steps, &running);
    let delivery = waited?;
    progress.pass(
        running,
        format!(
            "Delivery #{} arrived {}signed by Zendesk and was stored before the relay answered{}",
            delivery.id,
            if delivery.signed { "" } else { "un" },
            delivery
                .invocation_id
                .as_deref()
                .map(|id| format!(" (invocation {id})"))
                .unwrap_or_default()
        ),
    );

    // 8. The reply on the session; the AI goes quiet.
    let running = progress.start(StepId::SessionReply, "Waiting for the reply worker…");
    let expected = match options.replier {
        Replier::Manual { .. } => None,
        _ => Some(reply_text.as_str()),
    };
    let waited =
        wait_for_session_reply(profile, &sessions, session.id, delivery.id, expected).await;
    timed(&mut progress.steps, &running);
    progress.pass(running, waited?);
    Ok(())
}

/// The credentials step's verdict.
fn credentials(
    verified: Result<Option<(Connection, Liveness)>, ConnectError>,
) -> Result<(Connection, Liveness, UserSummary), Failure> {
    let (connection, liveness) = match verified {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Err(Failure::new(
                "Not connected",
                "no connection is saved",
                "Connect first: `handoff connect` (or the Connect screen).",
                Some(FixAction::Reconnect),
            ))
        }
        Err(error) => return Err(keychain_failure(&error)),
    };
    match &liveness {
        Liveness::Working { user: Some(user) } => {
            let user = user.clone();
            Ok((connection, liveness, user))
        }
        Liveness::Working { user: None } => Err(Failure::new(
            "Zendesk accepts the token, but it may not read the signed-in user",
            "the token lacks a scope the console needs (users:read)",
            "Sign in again and allow every scope the console asks for: `handoff connect --oauth`.",
            Some(FixAction::Reconnect),
        )),
        Liveness::ReconnectRequired { reason } => Err(Failure::new(
            "Zendesk no longer accepts the saved credentials",
            reason.clone(),
            "Sign in again (`handoff connect`, or Connect in the console); every other setting is kept.",
            Some(FixAction::Reconnect),
        )),
        Liveness::Unknown { reason } => Err(Failure::new(
            "Zendesk could not be asked",
            reason.clone(),
            "Check this machine's connection to Zendesk, then verify again.",
            Some(FixAction::Refresh),
        )),
    }
}

fn keychain_failure(error: &ConnectError) -> Failure {
    Failure::new(
        "The saved credentials could not be read",
        error.to_string(),
        "Fix the keychain as the cause says, then verify again.",
        None,
    )
}

fn store_failure(error: &StoreError) -> Failure {
    Failure::new(
        "The data folder could not be read",
        error.to_string(),
        "Check the data folder is readable and writable, then verify again.",
        None,
    )
}

/// Whether the loop needs `id` (the connection, and what setup makes): a failing one fails the setup step. The
/// others (deliveries, the last verification, mapped fields, double delivery) are history or side issues: shown,
/// not blocking.
fn needed(id: ItemId) -> bool {
    id == ItemId::Connected || ItemId::LOOP_SETUP.contains(&id)
}

/// The setup step's verdict from the checklist: the first failing item the loop needs, with every other one in
/// the cause, and (for the relay) what the webhook's invocation log says.
pub fn judge_setup(checklist: &Checklist) -> Result<String, Failure> {
    let failing: Vec<&checklist::Item> = checklist
        .items
        .iter()
        .filter(|item| needed(item.id) && item.state == ItemState::Failing)
        .collect();
    if let Some(first) = failing.first() {
        let mut causes: Vec<String> = failing
            .iter()
            .map(|item| format!("{}: {}", item.id.label(), item.evidence))
            .collect();
        if first.id == ItemId::RelayReachable {
            if let Some(deliveries) = checklist
                .item(ItemId::Deliveries)
                .filter(|i| matches!(i.state, ItemState::Failing | ItemState::Warning))
            {
                causes.push(format!(
                    "the webhook's invocation log: {}",
                    deliveries.evidence
                ));
            }
        }
        let fix = first.fix.unwrap_or(FixAction::Setup);
        return Err(Failure::new(
            format!("{} is failing", first.id.label()),
            causes.join("; "),
            format!("Run `{}`, then verify again.", fix.command()),
            Some(fix),
        ));
    }
    let unknown: Vec<&checklist::Item> = checklist
        .items
        .iter()
        .filter(|item| needed(item.id) && item.state == ItemState::Unknown)
        .collect();
    if let Some(first) = unknown.first() {
        return Err(Failure::new(
            format!("{} could not be judged", first.id.label()),
            first.evidence.clone(),
            "Run `handoff status` to see why, then verify again.",
            first.fix.or(Some(FixAction::Refresh)),
        ));
    }
    let warnings: Vec<&str> = checklist
        .items
        .iter()
        .filter(|item| item.state == ItemState::Warning)
        .map(|item| item.id.label())
        .collect();
    let summary = checklist.summary();
    Ok(if warnings.is_empty() {
        format!(
            "{} of {} checklist items are fine, {} not judged yet ({} Zendesk requests)",
            summary.ok,
            checklist.items.len(),
            summary.unknown,
            checklist.zendesk_requests
        )
    } else {
        format!(
            "Nothing the loop needs is failing; warnings: {}",
            warnings.join(", ")
        )
    })
}

/// The relay that will receive the webhook: one listening already, or one hosted here.
async fn prepare_relay(
    profile: &Profile,
    clock: &Clock,
    choice: RelayChoice,
) -> Result<(RelayUse, Option<HostedRelay>), Failure> {
    let listen = match choice {
        RelayChoice::Running => return Ok((RelayUse::Caller, None)),
        RelayChoice::Auto { listen } => listen,
    };
    let public_url = Settings::new(profile.store().clone())
        .public_url()
        .map_err(|e| store_failure(&e))?;
    let address = listen.unwrap_or_else(|| listen_address(&public_url));
    let listener = match TcpListener::bind(address).await {
        Ok(listener) => listener,
        // Something listens there: the relay of this data folder (if it is anything else, the webhook step
        // says so from Zendesk's invocation log).
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
            return Ok((RelayUse::Running { address }, None))
        }
        Err(error) => {
            return Err(Failure::new(
                format!("No relay runs, and none could be started on {address}"),
                format!("listening on {address} failed: {error}"),
                "Start the relay yourself (`handoff serve --listen ADDR`, or Start on the Relay screen), then \
                 verify again.",
                Some(FixAction::StartRelay),
            ))
        }
    };
    let hosted = HostedRelay::start(profile, clock, listener)
        .await
        .map_err(|error| {
            Failure::new(
                format!("No relay runs, and none could be started on {address}"),
                error.to_string(),
                "Start the relay yourself (`handoff serve`, or Start on the Relay screen), then verify again.",
                Some(FixAction::StartRelay),
            )
        })?;
    Ok((RelayUse::Hosted { address }, Some(hosted)))
}

/// Where the relay of this data folder listens: the public URL's address when it is on this machine (the
/// sandbox, a relay reached on loopback), else [`DEFAULT_LISTEN`] (behind a tunnel or a proxy).
pub fn listen_address(public_url: &Url) -> SocketAddr {
    let port = public_url.port_or_known_default();
    let ip = match public_url.host() {
        Some(Host::Ipv4(ip)) if ip.is_loopback() => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) if ip.is_loopback() => Some(IpAddr::V6(ip)),
        Some(Host::Domain(name)) if name.eq_ignore_ascii_case("localhost") => {
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        }
        _ => None,
    };
    match (ip, port) {
        (Some(ip), Some(port)) => SocketAddr::new(ip, port),
        _ => DEFAULT_LISTEN,
    }
}

/// A relay this run started, stopped when it ends.
struct HostedRelay {
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), ServiceError>>,
    /// Shares the worker's wake when this relay works the handoff queue.
    sessions: Sessions,
}

impl HostedRelay {
    async fn start(
        profile: &Profile,
        clock: &Clock,
        listener: TcpListener,
    ) -> Result<HostedRelay, ServiceError> {
        let service = Service::open(profile, clock, WorkerSeat::Verification, None).await?;
        let sessions = service.state.sessions.clone();
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(service.run(listener, async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }));
        Ok(HostedRelay {
            stop,
            task,
            sessions,
        })
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        match tokio::time::timeout(Duration::from_secs(10), &mut task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => {
                tracing::warn!(%error, "the verification's relay stopped with an error")
            }
            Ok(Err(error)) => tracing::warn!(%error, "the verification's relay task failed"),
            Err(_) => {
                tracing::warn!("the verification's relay did not stop within 10 s; abandoned");
                task.abort();
            }
        }
    }
}

/// The rep who replies: the one asked for, else the default agent, else the first active full agent who is
/// not the integration's own user (agents before admins).
async fn pick_replier(
    client: &Client,
    replier: Replier,
    default_agent: Option<u64>,
    integration_user: u64,
) -> Result<User, Failure> {
    let full = |user: &User| {
        user.is_active_staff()
            && user.id != integration_user
            // Light agents (1) and contributors (3) can only write internal notes.
            && !matches!(user.role_type, Some(1) | Some(3))
    };
    let named = match replier {
        Replier::Agent(id) => Some((id, "--as-agent")),
        Replier::Auto => default_agent.map(|id| (id, "the default agent")),
        Replier::Manual { .. } => None,
    };
    if let Some((id, which)) = named {
        let user = client.show_user(id).await.map_err(|error| {
            Failure::new(
                format!("The rep {id} ({which}) could not be read"),
                error.to_string(),
                "Pick an existing agent (`--as-agent ID`), or set another default agent with `handoff connect`.",
                None,
            )
        })?;
        if id == integration_user {
            return Err(Failure::new(
                format!("{} is the integration's own user", user.name),
                "the relay never delivers the integration's own comments (no echo loops), so its reply proves \
                 nothing",
                "Pick another agent: `handoff verify --as-agent ID`, or reply yourself with `--manual`.",
                None,
            ));
        }
        if !full(&user) {
            return Err(Failure::new(
                format!("{} (#{id}) cannot reply publicly", user.name),
                format!(
                    "{} is {}",
                    user.name,
                    if !user.active || user.suspended {
                        "not an active user"
                    } else if user.role == ZendeskRole::EndUser {
                        "not an agent"
                    } else {
                        "a light agent or contributor, who can only write internal notes"
                    }
                ),
                "Pick an active full agent: `handoff verify --as-agent ID`.",
                None,
            ));
        }
        return Ok(user);
    }
    let staff = client.staff_users().await.map_err(|error| {
        Failure::new(
            "The agents could not be listed",
            error.to_string(),
            "Name the rep who replies: `handoff verify --as-agent ID`.",
            None,
        )
    })?;
    let mut candidates: Vec<&User> = staff.iter().filter(|u| full(u)).collect();
    candidates.sort_by_key(|u| (u.role != ZendeskRole::Agent, u.id));
    candidates.first().map(|u| (*u).clone()).ok_or_else(|| {
        Failure::new(
            "No rep to reply as",
            "the account has no active full agent besides the integration's own user",
            "Add an agent in Zendesk, or reply yourself: `handoff verify --manual`.",
            None,
        )
    })
}

/// Queues the handoff and waits for its ticket: `(ticket id, created)`.
async fn handoff(
    profile: &Profile,
    sessions: &Sessions,
    id: SessionId,
    wait: Duration,
) -> Result<(u64, bool), Failure> {
    sessions
        .request_handoff(
            id,
            HandoffRequest {
                request_id: "verification".to_owned(),
                summary: Some(SUMMARY.to_owned()),
                sentiment: Some(Sentiment::Neutral),
                language: Some("en".to_owned()),
            },
        )
        .map_err(|error| {
            Failure::new(
                "The handoff could not be queued",
                error.to_string(),
                "Check the data folder is writable, then verify again.",
                None,
            )
        })?;
    let status = sessions.wait_for_ticket(id, wait).await.map_err(|error| {
        Failure::new(
            "The handoff's state could not be read",
            error.to_string(),
            "Verify again.",
            None,
        )
    })?;
    match (&status.state, status.ticket_id) {
        (HandoffState::Done, Some(ticket)) => Ok((ticket, status.created.unwrap_or(false))),
        (HandoffState::Failed { reason }, _) => Err(Failure::new(
            "Zendesk refused the handoff",
            reason.clone(),
            "Do what the cause says (`handoff doctor no-ticket` looks deeper), then verify again.",
            Some(FixAction::Verify),
        )),
        (state, _) => {
            let worker = profile
                .store()
                .queue_summary(1)
                .ok()
                .and_then(|summary| summary.worker);
            let (cause, fix, action) = match (worker, state.reason()) {
                (None, _) => (
                    "no handoff worker runs on this data folder".to_owned(),
                    "Start the relay (`handoff serve`) or open the console, then verify again.",
                    Some(FixAction::StartRelay),
                ),
                (Some(_), Some(reason)) => (
                    format!("the handoff is still waiting: {reason}"),
                    "Wait for Zendesk (the queue retries by itself), then verify again.",
                    Some(FixAction::Verify),
                ),
                (Some(_), None) => (
                    format!("the worker did not take the handoff within {} s", wait.as_secs()),
                    "Check that the process working the queue (the console or `handoff serve`) is running, \
                     then verify again.",
                    Some(FixAction::StartRelay),
                ),
            };
            Err(Failure::new(
                format!("No ticket after {} s", wait.as_secs()),
                cause,
                fix,
                action,
            ))
        }
    }
}

/// Compares the ticket Zendesk has with the draft the worker sent: `(detail, requester id)`.
async fn check_ticket(
    profile: &Profile,
    client: &Client,
    session: SessionId,
    ticket_id: u64,
    created: bool,
) -> Result<(String, Option<u64>), Failure> {
    let store = profile.store().clone();
    let jobs = store
        .call(move |store| store.session_jobs(session))
        .await
        .map_err(|e| store_failure(&e))?;
    let draft = jobs
        .iter()
        .rev()
        .filter(|job| job.kind == JOB_HANDOFF)
        .find_map(|job| job.draft.as_deref())
        .and_then(|text| serde_json::from_str::<Draft>(text).ok())
        .ok_or_else(|| {
            Failure::new(
                "The handoff's draft is missing",
                "the worker kept no draft of what it sent",
                "Verify again.",
                None,
            )
        })?;
    let ticket = client.show_ticket(ticket_id).await.map_err(|error| {
        Failure::new(
            format!("Ticket #{ticket_id} could not be read"),
            error.to_string(),
            "Check that the ticket exists in Zendesk, then verify again.",
            None,
        )
    })?;
    let mut wrong = Vec::new();
    if ticket.external_id.as_deref() != Some(session.to_string().as_str()) {
        wrong.push(format!(
            "external_id is {:?}, not the session id {session}",
            ticket.external_id
        ));
    }
    if created && ticket.subject.as_deref() != Some(draft.subject.as_str()) {
        wrong.push(format!(
            "the subject is {:?}, not {:?}",
            ticket.subject, draft.subject
        ));
    }
    let description = ticket.description.clone().unwrap_or_default();
    if created && !(description.contains(SUMMARY) && description.contains("View session")) {
        wrong.push("the description lacks the summary or the View session link".to_owned());
    }
    let mut expected_tags = draft.tags.clone();
    if created {
        expected_tags.extend(draft.create_tags.iter().cloned());
    }
    let missing_tags: Vec<&String> = expected_tags
        .iter()
        .filter(|tag| !ticket.tags.contains(tag))
        .collect();
    if !missing_tags.is_empty() {
        wrong.push(format!(
            "tags missing: {}",
            missing_tags
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let dropped: Vec<String> = draft
        .custom_fields
        .iter()
        .filter(|sent| {
            !ticket
                .custom_fields
                .iter()
                .any(|kept| kept.id == sent.id && kept.value == sent.value)
        })
        .map(|sent| format!("{} = {}", sent.id, sent.value))
        .collect();
    if !dropped.is_empty() {
        wrong.push(format!(
            "fields Zendesk did not keep: {}",
            dropped.join(", ")
        ));
    }
    if !wrong.is_empty() {
        return Err(Failure::new(
            format!("Ticket #{ticket_id} is not as the handoff wrote it"),
            wrong.join("; "),
            "A field Zendesk dropped has lost its option (remap it: `handoff fields`); anything else changed \
             by a trigger of yours: check the account's triggers in Admin Center, then verify again.",
            Some(FixAction::MapFields),
        ));
    }
    let fields = match draft.custom_fields.len() {
        0 => "no mapped field to fill".to_owned(),
        1 => "its 1 mapped field".to_owned(),
        count => format!("its {count} mapped fields"),
    };
    Ok((
        format!(
            "external_id is the session, the description has the summary and the View session link, {} tags \
             ({}), {fields}",
            expected_tags.len(),
            expected_tags.first().map(String::as_str).unwrap_or_default(),
        ),
        ticket.requester_id,
    ))
}

/// The newest delivery's id: the ones after it belong to this run.
async fn last_delivery_id(profile: &Profile) -> Result<i64, Failure> {
    let store = profile.store().clone();
    store
        .call(|store| Ok(store.recent_deliveries(0, 1)?.last().map_or(0, |d| d.id)))
        .await
        .map_err(|e| store_failure(&e))
}

/// A public comment as `agent`, written through the API with the agent as its author: the path a rep's reply
/// takes in Zendesk's agent workspace, so the trigger fires as for any reply.
async fn post_reply(
    client: &Client,
    ticket_id: u64,
    agent: &User,
    text: &str,
) -> Result<(), Failure> {
    let update = TicketUpdate {
        comment: Some(NewComment {
            body: Some(text.to_owned()),
            public: Some(true),
            author_id: Some(agent.id),
            ..NewComment::default()
        }),
        ..TicketUpdate::default()
    };
    client
        .update_ticket(ticket_id, &update)
        .await
        .map(|_| ())
        .map_err(|error| {
            Failure::new(
                format!("Zendesk refused {}'s reply", agent.name),
                error.to_string(),
                "The connected user must be an admin to post as another agent: connect as an admin, or reply \
                 yourself with `handoff verify --manual`.",
                Some(FixAction::Reconnect),
            )
        })
}

/// `--manual`: waits for the admin's public reply (a delivery for the ticket, or a public comment by a rep seen
/// through the API).
async fn wait_for_manual_reply(
    profile: &Profile,
    client: &Client,
    ticket_id: u64,
    integration_user: u64,
    baseline: i64,
    wait: Duration,
) -> Result<String, Failure> {
    let deadline = Instant::now() + wait;
    let mut next_look = Instant::now() + Duration::from_secs(2);
    loop {
        let store = profile.store().clone();
        let arrived = store
            .call(move |store| store.recent_deliveries(baseline, 100))
            .await
            .map_err(|e| store_failure(&e))?
            .into_iter()
            .any(|d| d.ticket_id == Some(ticket_id));
        if arrived {
            return Ok(format!(
                "Your reply on ticket #{ticket_id} fired the webhook"
            ));
        }
        if Instant::now() >= next_look {
            next_look = Instant::now() + Duration::from_secs(3);
            if let Ok(comments) = client.ticket_comments(ticket_id).await {
                if let Some(reply) = comments
                    .iter()
                    .skip(1)
                    .find(|c| c.public && c.author_id != integration_user)
                {
                    return Ok(format!(
                        "A public reply by user #{} is on ticket #{ticket_id}",
                        reply.author_id
                    ));
                }
            }
        }
        if Instant::now() >= deadline {
            return Err(Failure::new(
                format!("No reply on ticket #{ticket_id} within {} s", wait.as_secs()),
                "nobody replied publicly to the verification ticket in Zendesk",
                "Open the ticket, reply publicly (not as an internal note), and run `handoff verify --manual` \
                 again.",
                Some(FixAction::Verify),
            ));
        }
        tokio::time::sleep(POLL * 8).await;
    }
}

/// Waits for Zendesk's delivery of the ticket's update to reach the relay's store; reads Zendesk's invocation
/// log meanwhile, so a delivery that failed is named at once rather than at the deadline.
#[allow(clippy::too_many_arguments)]
async fn wait_for_delivery(
    profile: &Profile,
    client: &Client,
    checklist: &Checklist,
    webhook_id: Option<&str>,
    ticket_id: u64,
    baseline: i64,
    replied_at: Timestamp,
    wait: Duration,
) -> Result<DeliveryRow, Failure> {
    let deadline = Instant::now() + wait;
    let mut next_look = Instant::now() + Duration::from_millis(1000);
    let public_url = Settings::new(profile.store().clone())
        .public_url()
        .map_err(|e| store_failure(&e))?;
    let zendesk_local = checklist::local_address(&checklist.connection.base_url).is_some();
    let mut last_invocations = Vec::new();
    loop {
        let store = profile.store().clone();
        let fresh = store
            .call(move |store| store.recent_deliveries(baseline, 200))
            .await
            .map_err(|e| store_failure(&e))?;
        if let Some(ours) = fresh
            .iter()
            .find(|d| d.ticket_id == Some(ticket_id) && d.verdict == "accepted")
        {
            return Ok(ours.clone());
        }
        // A refused delivery keeps no body, so it names no ticket: one from our webhook after the reply is ours.
        if let Some(refused) = fresh.iter().find(|d| d.verdict != "accepted") {
            let reason = refused.reason.clone().unwrap_or_default();
            let (cause, fix, action) = refusal_fix(&reason);
            return Err(Failure::new(
                "The relay refused Zendesk's delivery",
                format!("the relay answered 4xx: {reason}; {cause}"),
                fix,
                Some(action),
            ));
        }
        if let (Some(webhook_id), true) = (webhook_id, Instant::now() >= next_look) {
            next_look = Instant::now() + INVOCATIONS_EVERY;
            if let Ok(invocations) = client
                .webhook_invocations(webhook_id)
                .take(20)
                .try_collect::<Vec<_>>()
                .await
            {
                let recent = since(&invocations, replied_at);
                if let Some(failure) = diagnose_invocations(&recent, &public_url, zendesk_local) {
                    return Err(failure);
                }
                last_invocations = recent;
            }
        }
        if Instant::now() >= deadline {
            let succeeded = last_invocations.iter().any(|i| i.status == "success");
            let (cause, fix, action) = if succeeded {
                (
                    format!(
                        "Zendesk's invocation log shows the delivery succeeded, but this relay never stored it: \
                         something else answers at {public_url} (another data folder's relay, or an old one)"
                    ),
                    "Point the public URL at this relay (`handoff config set public-url URL`, then `handoff \
                     setup`), or stop the other relay."
                        .to_owned(),
                    FixAction::SetPublicUrl,
                )
            } else if last_invocations.is_empty() {
                (
                    "Zendesk made no delivery after the reply: the trigger did not fire".to_owned(),
                    "Check the trigger's conditions (`handoff status`), repair it with `handoff setup --fix \
                     trigger`, then verify again."
                        .to_owned(),
                    FixAction::RepairTrigger,
                )
            } else {
                (
                    "Zendesk's delivery is still under way (the invocation log shows no result yet)".to_owned(),
                    "Verify again in a minute; if it persists, `handoff doctor trigger-not-firing`.".to_owned(),
                    FixAction::Verify,
                )
            };
            return Err(Failure::new(
                format!("No delivery within {} s", wait.as_secs()),
                cause,
                fix,
                Some(action),
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Invocations that ended after `at` (a minute of slack for clocks that differ).
fn since(invocations: &[zendesk::Invocation], at: Timestamp) -> Vec<zendesk::Invocation> {
    let from = at
        .checked_sub(jiff::SignedDuration::from_secs(60))
        .unwrap_or(at);
    invocations
        .iter()
        .filter(|i| {
            i.latest_completed_at
                .as_deref()
                .and_then(|t| t.parse::<Timestamp>().ok())
                .is_none_or(|t| t >= from)
        })
        .cloned()
        .collect()
}

/// What a refusal recorded by the relay means: (cause, fix, action).
pub fn refusal_fix(reason: &str) -> (String, String, FixAction) {
    let reason = reason.to_ascii_lowercase();
    if reason.contains("signature") {
        (
            "Zendesk signs with a secret the relay does not have (the signing secret was reset in Zendesk)"
                .to_owned(),
            "Fetch it: `handoff setup --fix signing-secret`, then verify again.".to_owned(),
            FixAction::FetchSigningSecret,
        )
    } else {
        (
            "the webhook's URL is not one the relay opens (a rotated-out key, or another data folder's URL)"
                .to_owned(),
            "Point the webhook at the current URL: `handoff setup --fix webhook`, then verify again.".to_owned(),
            FixAction::RepairWebhook,
        )
    }
}

/// What Zendesk's invocation log says about deliveries that failed, with the fix; `None` when nothing failed.
pub fn diagnose_invocations(
    invocations: &[zendesk::Invocation],
    public_url: &Url,
    zendesk_local: bool,
) -> Option<Failure> {
    let failed = invocations
        .iter()
        .find(|i| !matches!(i.status.as_str(), "success" | "accepted" | "unknown"))?;
    let at = failed
        .latest_completed_at
        .as_deref()
        .map_or_else(|| "an unknown time".to_owned(), crate::message::moment);
    let shown = match failed.status_code {
        Some(code) => format!("`{}` (HTTP {code}) at {at}", failed.status),
        None => format!("`{}` at {at}", failed.status),
    };
    let public = public_url.as_str().trim_end_matches('/');
    let unreachable_fix = format!(
        "Zendesk must reach {public} from the internet: serve the relay on a public address or through a \
         tunnel, then `handoff config set public-url https://…` and `handoff setup` (the webhook follows), and \
         keep the relay running (`handoff serve`)"
    );
    let (cause, fix, action) = match (failed.status.as_str(), failed.status_code) {
        ("circuit broken", _) => (
            format!(
                "Zendesk paused the webhook after too many failed deliveries (circuit breaker): the invocation \
                 log shows {shown}"
            ),
            format!("{unreachable_fix}; Zendesk resumes on its own"),
            FixAction::StartRelay,
        ),
        (_, Some(401)) => (
            format!(
                "the relay refused Zendesk's signature: the invocation log shows {shown} (the signing secret \
                 was reset in Zendesk)"
            ),
            "Fetch the new secret: `handoff setup --fix signing-secret`".to_owned(),
            FixAction::FetchSigningSecret,
        ),
        (_, Some(404)) => (
            format!(
                "the relay did not recognise the webhook's URL: the invocation log shows {shown} (a rotated-out \
                 URL key, or another relay answers at {public})"
            ),
            "Point the webhook at the current URL: `handoff setup --fix webhook`".to_owned(),
            FixAction::RepairWebhook,
        ),
        (_, Some(code @ 400..=499)) => (
            format!("the relay refused the delivery (HTTP {code}): the invocation log shows {shown}"),
            "`handoff relay deliveries` shows why it was refused".to_owned(),
            FixAction::RepairWebhook,
        ),
        (_, Some(code @ 500..=501 | code @ 503 | code @ 505..=599)) => (
            format!(
                "the relay could not store the delivery (HTTP {code}): the invocation log shows {shown}"
            ),
            "Check the relay's log and its data folder's disk, then verify again".to_owned(),
            FixAction::StartRelay,
        ),
        _ => {
            let why = match checklist::local_address(public_url) {
                Some(kind) if !zendesk_local => format!(
                    "; the public URL {public} is {kind}, which Zendesk cannot call from the internet"
                ),
                _ => String::new(),
            };
            (
                format!("Zendesk could not reach the relay at {public}: the invocation log shows {shown}{why}"),
                unreachable_fix,
                if why.is_empty() {
                    FixAction::StartRelay
                } else {
                    FixAction::SetPublicUrl
                },
            )
        }
    };
    Some(Failure::new(
        "Zendesk's delivery failed",
        cause,
        format!("{fix}, then verify again."),
        Some(action),
    ))
}

/// Waits for the reply as an agent turn on the session, and the session human-active.
async fn wait_for_session_reply(
    profile: &Profile,
    sessions: &Sessions,
    session: SessionId,
    delivery: i64,
    expected: Option<&str>,
) -> Result<String, Failure> {
    let deadline = Instant::now() + SESSION_REPLY_WAIT;
    loop {
        let found = sessions.get(session).map_err(|error| {
            Failure::new(
                "The session could not be read",
                error.to_string(),
                "Verify again.",
                None,
            )
        })?;
        let turn = found
            .turns
            .iter()
            .find(|t| t.role == Role::Agent && expected.is_none_or(|text| t.text.contains(text)));
        if let (Some(turn), true) = (turn, found.human_active) {
            return Ok(format!(
                "Agent turn #{} on the session; the session is human-active, so the AI stays quiet",
                turn.seq
            ));
        }
        let store = profile.store().clone();
        let row = store
            .call(move |store| store.delivery(delivery))
            .await
            .map_err(|e| store_failure(&e))?;
        let settled_without = row.as_ref().filter(|d| {
            matches!(d.state.as_str(), "failed" | "not_ours")
                || (d.state == "done" && turn.is_none())
        });
        if let Some(row) = settled_without {
            return Err(Failure::new(
                "The relay handled the delivery, but no reply reached the session",
                format!(
                    "the reply worker settled it as {}: {}",
                    row.state,
                    row.outcome.as_deref().unwrap_or("no reason kept")
                ),
                "Do what the reason says (`handoff doctor replies-not-reaching` looks deeper), then verify again.",
                Some(FixAction::Verify),
            ));
        }
        if Instant::now() >= deadline {
            return Err(Failure::new(
                format!("No agent turn within {} s", SESSION_REPLY_WAIT.as_secs()),
                match row {
                    Some(row) => format!(
                        "the delivery is stored but still {} ({})",
                        row.state,
                        row.outcome.as_deref().unwrap_or("no outcome yet")
                    ),
                    None => "the delivery is no longer in the store".to_owned(),
                },
                "Check that the relay's reply worker runs (the console or `handoff serve`), then verify again.",
                Some(FixAction::StartRelay),
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Deletes the ticket and the user this run made, side by side; a step of its own whatever failed before.
async fn cleanup<F: FnMut(&VerifyEvent)>(progress: &mut Progress<F>, state: &RunState) {
    let (Some(client), Some(ticket_id)) = (&state.client, state.ticket_id) else {
        let step = Step::new(
            StepId::Cleanup,
            StepState::Skipped,
            "nothing was made in Zendesk",
        );
        progress.tell(VerifyEvent::Step(step.clone()));
        progress.steps.push(step);
        return;
    };
    let running = progress.start(StepId::Cleanup, "Deleting the verification ticket…");
    let ticket = async {
        match client.delete_ticket(ticket_id).await {
            Ok(()) | Err(zendesk::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(format!("ticket #{ticket_id}: {error}")),
        }
    };
    let user = async {
        match state.created_user {
            Some(id) => match client.delete_user(id).await {
                Ok(_) | Err(zendesk::Error::NotFound { .. }) => Ok(Some(id)),
                Err(error) => Err(format!("user #{id}: {error}")),
            },
            None => Ok(None),
        }
    };
    let (ticket, user) = tokio::join!(ticket, user);
    match (ticket, user) {
        (Ok(()), Ok(user)) => progress.pass(
            running,
            match user {
                Some(user) => format!("Deleted ticket #{ticket_id} and the contact's user #{user}"),
                None => format!("Deleted ticket #{ticket_id}"),
            },
        ),
        (ticket, user) => {
            let problems: Vec<String> = [ticket.err(), user.err()].into_iter().flatten().collect();
            timed(&mut progress.steps, &running);
            progress.fail_running(Failure::new(
                "Part of the verification's data is still in Zendesk",
                problems.join("; "),
                format!(
                    "Delete them in Zendesk (ticket #{ticket_id}, and its requester, the verification contact)."
                ),
                None,
            ));
        }
    }
}

/// Keeps the result where the checklist's "last end-to-end verification" item reads it.
async fn record(profile: &Profile, report: &VerifyReport) -> Result<(), VerifyError> {
    let failed = report.failed_step();
    let row = VerificationRow {
        started_at: report.started_at.to_string(),
        finished_at: report.finished_at.to_string(),
        passed: report.passed,
        failed_step: failed.map(|s| s.id.as_str().to_owned()),
        detail: Some(match failed {
            Some(step) => step.cause.clone().unwrap_or_else(|| step.detail.clone()),
            None => format!("every step passed in {} ms", report.wall.as_millis()),
        }),
    };
    let steps = serde_json::Value::Array(report.steps.iter().map(step_json).collect()).to_string();
    let store = profile.store().clone();
    store
        .call(move |store| store.record_verification_steps(&row, &steps))
        .await?;
    Ok(())
}

/// A step as JSON (the CLI's `--json`, the stored last run).
pub fn step_json(step: &Step) -> serde_json::Value {
    json!({
        "id": step.id.as_str(),
        "label": step.id.label(),
        "state": step.state.as_str(),
        "detail": step.detail,
        "duration_ms": step.duration.map(|d| d.as_millis() as u64),
        "cause": step.cause,
        "fix": step.fix,
        "action": step.action.map(FixAction::as_str),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(status: &str, code: Option<u16>) -> zendesk::Invocation {
        serde_json::from_value(json!({
            "id": "01HANAHAFTBVF1NA2AVFK4W763",
            "status": status,
            "status_code": code,
            "latest_completed_at": "2026-12-01T10:00:00Z",
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Each way Zendesk's invocation log shows a failed delivery, the cause named and the fix's action.
    #[test]
    fn the_invocation_log_names_the_cause_and_the_fix() {
        let public = Url::parse("https://relay.example.com").unwrap_or_else(|e| panic!("{e}"));
        let loopback = Url::parse("http://127.0.0.1:8750").unwrap_or_else(|e| panic!("{e}"));
        /// (status, status code, public URL, Zendesk on this machine, the cause says, the fix's action)
        type Row<'a> = (&'a str, Option<u16>, &'a Url, bool, &'a str, FixAction);
        let table: [Row<'_>; 9] = [
            (
                "failed",
                None,
                &public,
                false,
                "could not reach",
                FixAction::StartRelay,
            ),
            (
                "timeout",
                Some(504),
                &public,
                false,
                "could not reach",
                FixAction::StartRelay,
            ),
            (
                "failed",
                Some(502),
                &loopback,
                false,
                "a loopback address",
                FixAction::SetPublicUrl,
            ),
            (
                "failed",
                None,
                &loopback,
                true,
                "could not reach",
                FixAction::StartRelay,
            ),
            (
                "terminated",
                Some(401),
                &public,
                false,
                "signature",
                FixAction::FetchSigningSecret,
            ),
            (
                "terminated",
                Some(404),
                &public,
                false,
                "did not recognise",
                FixAction::RepairWebhook,
            ),
            (
                "terminated",
                Some(413),
                &public,
                false,
                "HTTP 413",
                FixAction::RepairWebhook,
            ),
            (
                "failed",
                Some(503),
                &public,
                false,
                "could not store",
                FixAction::StartRelay,
            ),
            (
                "circuit broken",
                None,
                &public,
                false,
                "circuit breaker",
                FixAction::StartRelay,
            ),
        ];
        for (status, code, url, local, says, action) in table {
            let failure = diagnose_invocations(&[invocation(status, code)], url, local)
                .unwrap_or_else(|| panic!("{status} {code:?} is a failure"));
            assert!(
                failure.cause.contains(says),
                "{status} {code:?}: {failure:?}"
            );
            assert!(failure.cause.contains("invocation log"), "{failure:?}");
            assert_eq!(failure.action, Some(action), "{status} {code:?}");
            assert!(failure.fix.ends_with("then verify again."), "{failure:?}");
        }
        for fine in ["success", "accepted", "unknown"] {
            assert_eq!(
                diagnose_invocations(&[invocation(fine, Some(200))], &public, false),
                None
            );
        }
    }

    #[test]
    fn the_relay_listens_where_the_public_url_points_on_this_machine() {
        let table = [
            ("http://127.0.0.1:9123", "127.0.0.1:9123"),
            ("http://localhost:9124/", "127.0.0.1:9124"),
            ("http://[::1]:9125", "[::1]:9125"),
            ("https://relay.example.com", "127.0.0.1:8750"),
            ("http://192.168.1.20:8750", "127.0.0.1:8750"),
        ];
        for (public, listen) in table {
            let url = Url::parse(public).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(listen_address(&url).to_string(), listen, "{public}");
        }
    }

    #[test]
    fn a_kept_step_reads_back_as_it_was() {
        let mut failed = Step::new(
            StepId::Setup,
            StepState::Failed,
            "Trigger is active is failing",
        );
        failed.cause = Some("deactivated in Zendesk".to_owned());
        failed.fix = Some("Run `handoff setup --fix trigger`, then verify again.".to_owned());
        failed.action = Some(FixAction::RepairTrigger);
        failed.duration = Some(Duration::from_millis(412));
        let mut passed = Step::new(
            StepId::Credentials,
            StepState::Passed,
            "Zendesk accepts the OAuth token",
        );
        passed.duration = Some(Duration::from_millis(37));
        let skipped = Step::new(StepId::Session, StepState::Skipped, "not run");
        let steps = vec![passed, failed, skipped];
        let kept = serde_json::Value::Array(steps.iter().map(step_json).collect()).to_string();
        assert_eq!(steps_from_json(&kept), steps);
        assert_eq!(steps_from_json("not json"), Vec::new());
        assert_eq!(
            steps_from_json(r#"[{"id": "teleport", "state": "passed"}]"#),
            Vec::new()
        );
    }

    #[test]
    fn steps_parse_from_their_names() {
        for id in StepId::ALL {
            assert_eq!(StepId::parse(id.as_str()), Some(id));
        }
    }
}
