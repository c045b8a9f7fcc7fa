//! Setup (SPEC §5): the Zendesk objects reply sync needs — a webhook pointing at the relay's signed URL and a
//! trigger that notifies it of public comments — made, adopted, repaired and watched.
//!
//! - [`spec`]: the webhook and trigger as they must be, and how an object differs from them.
//! - [`observe`](mod@observe): the account read once (one read per object), shared by setup and the checklist.
//! - [`run`]: one-click setup (`handoff setup`, the Setup screen's "Create for me"): read, plan, then apply the
//!   plan step by step, reporting each step as it starts and ends. `dry_run` stops after the plan.
//! - [`checklist`]: the live checklist, each item judged from one observation.
//! - [`notify`]: Zendesk's requester-notifying triggers, which would deliver replies twice, and their guard.
//! - [`manual`]: the same values for an admin who sets things up by hand in Admin Center.
//!
//! Invariants:
//! - Only objects whose ids setup recorded (`store/setup.rs`) are ever changed or deleted. The one exception is
//!   the double-delivery guard on Zendesk's notifying triggers, which runs only when asked for by name
//!   ([`Scope::DoubleDelivery`], the admin's consent) and changes nothing but the guard condition.
//! - An id is recorded as soon as Zendesk answers the create (or adoption is decided), before the next step,
//!   so a run that stops half-way is finished by the next one, never duplicated.
//! - Idempotent: a run over a healthy setup only reads (the webhook, its signing secret, the trigger) and
//!   writes nothing anywhere.
//! - A trigger is always written whole: conditions and actions together (Zendesk replaces both on a PUT).

pub mod checklist;
pub mod manual;
pub mod notify;
pub mod observe;
pub mod spec;

use jiff::Timestamp;
use subtle::ConstantTimeEq;
use url::Url;
use zendesk::{Client, SecretString, Trigger};

use crate::account;
use crate::clock::Clock;
use crate::keychain::KeychainError;
use crate::message::sentence;
use crate::profile::Profile;
use crate::relay::keys::{RelayKeyError, RelaySecrets};
use crate::relay::url::{redacted, webhook_url};
use crate::session::Channel;
use crate::settings::Settings;
use crate::store::{SetupObjectRow, Store, StoreError};
use crate::ConnectError;
use observe::{observe, Found, Observation, ReadError, ReadFailure, Reads};
use spec::{TriggerDrift, WebhookDrift};

/// The `setup_objects` kind of our webhook.
pub const WEBHOOK: &str = "webhook";
/// The `setup_objects` kind of our trigger.
pub const TRIGGER: &str = "trigger";

/// Why setup did not finish. Each says what to do; callers branch on the variant (the CLI's exit code).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("not connected to Zendesk: run `handoff connect` (or `handoff demo`) first")]
    NotConnected,
    #[error("Zendesk no longer accepts the saved credentials ({0}): sign in again with `handoff connect`")]
    ReconnectRequired(String),
    #[error("could not {doing}: {}", advice(error))]
    Zendesk { doing: String, error: ReadError },
    #[error("the webhook is not set up yet, so {0} cannot be repaired alone: run `handoff setup`")]
    NeedsWebhook(&'static str),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Keys(#[from] RelayKeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(transparent)]
    Link(#[from] manual::LinkError),
}

impl SetupError {
    fn zendesk(doing: impl Into<String>, error: impl Into<ReadError>) -> SetupError {
        let error = error.into();
        match error.kind {
            ReadFailure::ReconnectRequired => SetupError::ReconnectRequired(error.message),
            _ => SetupError::Zendesk {
                doing: doing.into(),
                error,
            },
        }
    }

    /// Whether Zendesk could not be asked (a network failure, a timeout, a 5xx or a rate limit): nothing is
    /// known, try again.
    pub fn unreachable(&self) -> bool {
        matches!(self, SetupError::Zendesk { error, .. } if error.kind == ReadFailure::Unreachable)
    }
}

fn advice(error: &ReadError) -> String {
    match error.kind {
        ReadFailure::Unreachable => {
            format!("{}; nothing after this step was changed, run it again when Zendesk answers", error.message)
        }
        ReadFailure::ReconnectRequired => {
            format!("{}; sign in again with `handoff connect`", error.message)
        }
        ReadFailure::Refused => format!(
            "{}; webhooks and triggers need a Zendesk admin (connect as one, with the webhooks and triggers \
             scopes for OAuth)",
            error.message
        ),
    }
}

/// What a run takes care of: everything, or one checklist item's fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The webhook, its signing secret and the trigger (`handoff setup`).
    All,
    /// The webhook and its signing secret.
    Webhook,
    /// The trigger (the webhook must exist).
    Trigger,
    /// The signing secret only (after a reset in Zendesk).
    SigningSecret,
    /// Zendesk's requester-notifying triggers get the guard against double delivery. Not ours: asking for
    /// this scope by name is the admin's consent.
    DoubleDelivery,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::All,
        Scope::Webhook,
        Scope::Trigger,
        Scope::SigningSecret,
        Scope::DoubleDelivery,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Webhook => "webhook",
            Scope::Trigger => "trigger",
            Scope::SigningSecret => "signing-secret",
            Scope::DoubleDelivery => "double-delivery",
        }
    }

    /// Parses a scope name or a checklist fix id (`setup:webhook`).
    pub fn parse(text: &str) -> Option<Scope> {
        let wanted = text
            .trim()
            .trim_start_matches("setup:")
            .to_ascii_lowercase();
        Scope::ALL.into_iter().find(|s| s.as_str() == wanted)
    }

    fn webhook(self) -> bool {
        matches!(self, Scope::All | Scope::Webhook)
    }

    fn secret(self) -> bool {
        matches!(self, Scope::All | Scope::Webhook | Scope::SigningSecret)
    }

    fn trigger(self) -> bool {
        matches!(self, Scope::All | Scope::Trigger)
    }
}

/// How setup runs.
#[derive(Debug, Clone, Copy)]
pub struct SetupOptions {
    /// Read and plan only: nothing is written to Zendesk, the keychain or the database.
    pub dry_run: bool,
    pub scope: Scope,
}

/// One thing a run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// Make the webhook URL's first key (keychain). Listed by a dry run; a real run makes it before planning.
    MakeUrlKey,
    CreateWebhook,
    /// Record a webhook that already points at our URL as ours.
    AdoptWebhook {
        id: String,
        name: String,
    },
    RepairWebhook {
        id: String,
        name: String,
        drift: Vec<WebhookDrift>,
    },
    /// Copy the webhook's signing secret from Zendesk into the keychain (`reset`: Zendesk's differs from ours).
    StoreSigningSecret {
        reset: bool,
    },
    CreateTrigger,
    /// Record a trigger with our title that already notifies our webhook as ours.
    AdoptTrigger {
        id: u64,
        title: String,
    },
    RepairTrigger {
        id: u64,
        title: String,
        drift: Vec<TriggerDrift>,
    },
    /// Add the double-delivery guard to one of Zendesk's requester-notifying triggers.
    GuardNotifyTrigger {
        id: u64,
        title: String,
        guard: String,
    },
}

/// A step of the plan, with its line for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: StepKind,
    pub summary: String,
}

impl Step {
    /// The step's name in JSON output.
    pub fn action(&self) -> &'static str {
        match self.kind {
            StepKind::MakeUrlKey => "make_url_key",
            StepKind::CreateWebhook => "create_webhook",
            StepKind::AdoptWebhook { .. } => "adopt_webhook",
            StepKind::RepairWebhook { .. } => "repair_webhook",
            StepKind::StoreSigningSecret { .. } => "store_signing_secret",
            StepKind::CreateTrigger => "create_trigger",
            StepKind::AdoptTrigger { .. } => "adopt_trigger",
            StepKind::RepairTrigger { .. } => "repair_trigger",
            StepKind::GuardNotifyTrigger { .. } => "guard_notify_trigger",
        }
    }

    /// Whether the step writes to Zendesk (adoption and the signing secret only read it).
    pub fn writes_zendesk(&self) -> bool {
        matches!(
            self.kind,
            StepKind::CreateWebhook
                | StepKind::RepairWebhook { .. }
                | StepKind::CreateTrigger
                | StepKind::RepairTrigger { .. }
                | StepKind::GuardNotifyTrigger { .. }
        )
    }
}

/// Where a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Running,
    Done,
    Failed,
}

impl StepState {
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Running => "running",
            StepState::Done => "done",
            StepState::Failed => "failed",
        }
    }
}

/// What a run reports while it runs (the Setup screen streams these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupEvent {
    /// Reading the account's webhook and trigger.
    Reading,
    /// The plan: every step, in order (empty: nothing to do).
    Planned(Vec<Step>),
    /// A step started, finished or failed; `detail` says what was done or what went wrong.
    Step {
        index: usize,
        state: StepState,
        detail: String,
    },
}

/// What a run did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub struct SetupReport {
    pub dry_run: bool,
    pub scope: Scope,
    pub steps: Vec<Step>,
    /// What each step did, in order (empty in a dry run).
    pub done: Vec<String>,
    /// Our webhook and trigger after the run (or before it, in a dry run).
    pub webhook_id: Option<String>,
    pub trigger_id: Option<u64>,
    /// The webhook URL, redacted (its tag is a credential).
    pub url: Option<String>,
    /// Zendesk requests made to read the account.
    pub reads: usize,
}

impl SetupReport {
    /// Whether the run wrote anything to Zendesk.
    pub fn changed_zendesk(&self) -> bool {
        !self.dry_run && self.steps.iter().any(Step::writes_zendesk)
    }
}

/// What the objects must be for this profile now.
#[derive(Debug, Clone)]
pub struct Target {
    /// The webhook URL: `{public-url}/zendesk/{install id}/{key}.{tag}`. `None` only when no URL key exists
    /// yet and none may be made (a dry run, the checklist).
    pub url: Option<String>,
    /// The URLs of retired keys still in their grace period: an endpoint on one of them still works, for now.
    pub previous_urls: Vec<String>,
    pub public_url: Url,
    pub tag_prefix: String,
    pub zendesk_delivers: Vec<Channel>,
}

impl Target {
    /// Reads the settings and the URL keys; `make_key` makes the first URL key when there is none.
    pub async fn read(
        profile: &Profile,
        secrets: &RelaySecrets,
        make_key: bool,
    ) -> Result<Target, SetupError> {
        let settings = Settings::new(profile.store().clone());
        let public_url = settings.public_url()?;
        let keys = if make_key || !profile.store().url_keys()?.is_empty() {
            secrets.url_keys().await?
        } else {
            Vec::new()
        };
        let org = profile.install_id();
        let url = keys
            .iter()
            .find(|k| k.retired_at.is_none())
            .map(|k| webhook_url(&public_url, org, k));
        let previous_urls = keys
            .iter()
            .filter(|k| k.retired_at.is_some())
            .map(|k| webhook_url(&public_url, org, k))
            .collect();
        Ok(Target {
            url,
            previous_urls,
            public_url,
            tag_prefix: settings.tag_prefix()?,
            zendesk_delivers: settings.zendesk_delivers()?,
        })
    }
}

/// The ids setup recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    pub webhook: Option<SetupObjectRow>,
    pub trigger: Option<SetupObjectRow>,
}

impl Recorded {
    pub fn read(store: &Store) -> Result<Recorded, StoreError> {
        Ok(Recorded {
            webhook: store.setup_object(WEBHOOK)?,
            trigger: store.setup_object(TRIGGER)?,
        })
    }

    pub fn trigger_id(&self) -> Result<Option<u64>, StoreError> {
        self.trigger
            .as_ref()
            .map(|row| {
                row.zendesk_id.parse::<u64>().map_err(|_| {
                    StoreError::Corrupt(format!("setup_objects trigger id {:?}", row.zendesk_id))
                })
            })
            .transpose()
    }
}

/// One-click setup: reads the account, plans, and (unless `dry_run`) applies the plan, reporting through
/// `on_event` as it goes. A second run over a healthy setup plans nothing and writes nothing.
pub async fn run(
    profile: &Profile,
    clock: &Clock,
    options: SetupOptions,
    mut on_event: impl FnMut(SetupEvent),
) -> Result<SetupReport, SetupError> {
    let account = account::open(profile, clock)
        .await?
        .ok_or(SetupError::NotConnected)?;
    if let Some(reason) = &account.connection.reconnect_required {
        return Err(SetupError::ReconnectRequired(reason.clone()));
    }
    let store = profile.store().clone();
    let secrets = RelaySecrets::new(profile.keychain()?, store.clone(), clock.clone());
    let had_key = !store.url_keys()?.is_empty();
    let target = Target::read(profile, &secrets, !options.dry_run).await?;
    let recorded = Recorded::read(&store)?;
    on_event(SetupEvent::Reading);
    let observation = observe(
        &account.client,
        recorded.webhook.as_ref().map(|r| r.zendesk_id.as_str()),
        recorded.trigger_id()?,
        target.url.as_deref(),
        Reads {
            all_triggers: options.scope == Scope::DoubleDelivery,
            invocations: false,
        },
    )
    .await;
    let local_secret = if options.scope.secret() {
        secrets.current_signing_secret().await?
    } else {
        None
    };
    let steps = plan(
        &observation,
        &target,
        local_secret.as_ref(),
        options.scope,
        had_key,
    )?;
    on_event(SetupEvent::Planned(steps.clone()));
    let mut report = SetupReport {
        dry_run: options.dry_run,
        scope: options.scope,
        steps: steps.clone(),
        done: Vec::new(),
        webhook_id: observation.webhook.present().map(|w| w.id.clone()),
        trigger_id: observation.trigger.present().map(|t| t.id),
        url: target.url.as_deref().map(redacted),
        reads: observation.reads,
    };
    if options.dry_run {
        return Ok(report);
    }
    let mut applying = Applying {
        client: &account.client,
        store: &store,
        secrets: &secrets,
        clock,
        target: &target,
        observation: &observation,
        webhook_id: report.webhook_id.clone(),
        trigger_id: report.trigger_id,
    };
    for (index, step) in steps.iter().enumerate() {
        on_event(SetupEvent::Step {
            index,
            state: StepState::Running,
            detail: step.summary.clone(),
        });
        match applying.apply(step).await {
            Ok(detail) => {
                on_event(SetupEvent::Step {
                    index,
                    state: StepState::Done,
                    detail: detail.clone(),
                });
                report.done.push(detail);
            }
            Err(error) => {
                on_event(SetupEvent::Step {
                    index,
                    state: StepState::Failed,
                    detail: sentence(&error.to_string()),
                });
                return Err(error);
            }
        }
    }
    report.webhook_id = applying.webhook_id;
    report.trigger_id = applying.trigger_id;
    Ok(report)
}

/// The steps that bring the account from `observation` to `target`, for `scope`.
pub fn plan(
    observation: &Observation,
    target: &Target,
    local_secret: Option<&SecretString>,
    scope: Scope,
    had_url_key: bool,
) -> Result<Vec<Step>, SetupError> {
    let mut steps = Vec::new();
    let shown_url = target.url.as_deref().map(redacted).unwrap_or_else(|| {
        format!(
            "{}/zendesk/…",
            target.public_url.as_str().trim_end_matches('/')
        )
    });
    // The webhook the trigger is to notify after this run: (id when known, whether it is new).
    let mut hook: Option<Option<String>> = None;
    match &observation.webhook {
        Found::Unreadable(error) => {
            return Err(SetupError::zendesk("read the webhook", error.clone()))
        }
        Found::Present(webhook) => {
            hook = Some(Some(webhook.id.clone()));
            let drift = match &target.url {
                Some(url) => spec::webhook_drift(webhook, url),
                None => Vec::new(),
            };
            if scope.webhook() && !drift.is_empty() {
                let changes: Vec<&str> = drift.iter().map(|d| d.describe()).collect();
                steps.push(Step {
                    summary: format!(
                        "Repair the webhook “{}” ({}): {}",
                        webhook.name,
                        webhook.id,
                        changes.join("; ")
                    ),
                    kind: StepKind::RepairWebhook {
                        id: webhook.id.clone(),
                        name: webhook.name.clone(),
                        drift,
                    },
                });
            }
        }
        Found::Gone { .. } | Found::NotSetUp => {
            if scope.webhook() {
                if !had_url_key {
                    steps.push(Step {
                        kind: StepKind::MakeUrlKey,
                        summary: "Make the webhook URL's key (kept in the keychain)".to_owned(),
                    });
                }
                let gone = matches!(observation.webhook, Found::Gone { .. });
                match &observation.adoptable_webhook {
                    Some(webhook) => {
                        hook = Some(Some(webhook.id.clone()));
                        steps.push(Step {
                            summary: format!(
                                "Adopt the webhook “{}” ({}): it already points at the relay's URL",
                                webhook.name, webhook.id
                            ),
                            kind: StepKind::AdoptWebhook {
                                id: webhook.id.clone(),
                                name: webhook.name.clone(),
                            },
                        });
                        let drift = match &target.url {
                            Some(url) => spec::webhook_drift(webhook, url),
                            None => Vec::new(),
                        };
                        if !drift.is_empty() {
                            let changes: Vec<&str> = drift.iter().map(|d| d.describe()).collect();
                            steps.push(Step {
                                summary: format!(
                                    "Repair the webhook “{}” ({}): {}",
                                    webhook.name,
                                    webhook.id,
                                    changes.join("; ")
                                ),
                                kind: StepKind::RepairWebhook {
                                    id: webhook.id.clone(),
                                    name: webhook.name.clone(),
                                    drift,
                                },
                            });
                        }
                    }
                    None => {
                        hook = Some(None);
                        steps.push(Step {
                            kind: StepKind::CreateWebhook,
                            summary: format!(
                                "Create the webhook “{}” (POST, JSON, no authentication: the URL is signed) \
                                 for {shown_url}{}",
                                spec::WEBHOOK_NAME,
                                if gone { ", since ours was deleted in Zendesk" } else { "" }
                            ),
                        });
                    }
                }
            } else if scope != Scope::DoubleDelivery {
                return Err(SetupError::NeedsWebhook(match scope {
                    Scope::Trigger => "the trigger",
                    _ => "the signing secret",
                }));
            }
        }
    }
    if scope.secret() {
        let fetch = match (&observation.webhook, &observation.signing_secret) {
            (Found::Present(_), Some(Ok(zendesk))) => match local_secret {
                Some(local) if same_secret(local, &zendesk.secret) => None,
                Some(_) => Some(true),
                None => Some(false),
            },
            (Found::Present(_), Some(Err(error))) => {
                return Err(SetupError::zendesk(
                    "read the webhook's signing secret",
                    error.clone(),
                ))
            }
            // A webhook made or adopted by this run: its secret is fetched once it is ours.
            _ => Some(false),
        };
        if let Some(reset) = fetch {
            steps.push(Step {
                kind: StepKind::StoreSigningSecret { reset },
                summary: if reset {
                    "Fetch the webhook's signing secret into the keychain: it was reset in Zendesk, so the \
                     relay refuses what Zendesk signs with the new one"
                        .to_owned()
                } else {
                    "Fetch the webhook's signing secret into the keychain, so the relay checks Zendesk's \
                     signature"
                        .to_owned()
                },
            });
        }
    }
    // A webhook made or adopted by this run has a new id: our trigger must follow it, whatever the scope.
    let hook_changes = scope.webhook() && !matches!(observation.webhook, Found::Present(_));
    if scope.trigger() || hook_changes {
        let hook_id = hook.clone().flatten();
        let drift_of = |trigger: &Trigger| match &hook_id {
            Some(id) => spec::trigger_drift(trigger, id),
            // A new webhook: the trigger must be pointed at it whatever else holds.
            None => {
                let mut drift = spec::trigger_drift(trigger, "");
                drift.retain(|d| *d != TriggerDrift::Webhook);
                drift.insert(0, TriggerDrift::Webhook);
                drift
            }
        };
        let repair = |trigger: &Trigger, steps: &mut Vec<Step>| {
            let drift = drift_of(trigger);
            if !drift.is_empty() {
                let changes: Vec<&str> = drift.iter().map(|d| d.describe()).collect();
                steps.push(Step {
                    summary: format!(
                        "Repair the trigger “{}” ({}): {}",
                        trigger.title,
                        trigger.id,
                        changes.join("; ")
                    ),
                    kind: StepKind::RepairTrigger {
                        id: trigger.id,
                        title: trigger.title.clone(),
                        drift,
                    },
                });
            }
        };
        match &observation.trigger {
            Found::Unreadable(error) => {
                return Err(SetupError::zendesk("read the trigger", error.clone()))
            }
            Found::Present(trigger) => repair(trigger, &mut steps),
            Found::Gone { .. } | Found::NotSetUp => match &observation.adoptable_trigger {
                Some(trigger) => {
                    steps.push(Step {
                        summary: format!(
                            "Adopt the trigger “{}” ({}): it already notifies the webhook",
                            trigger.title, trigger.id
                        ),
                        kind: StepKind::AdoptTrigger {
                            id: trigger.id,
                            title: trigger.title.clone(),
                        },
                    });
                    repair(trigger, &mut steps);
                }
                None => {
                    let gone = matches!(observation.trigger, Found::Gone { .. });
                    steps.push(Step {
                        kind: StepKind::CreateTrigger,
                        summary: format!(
                            "Create the trigger “{}” (Ticket is Updated, Comment is Public → notify the \
                             webhook with a JSON body built on latest_public_comment){}",
                            spec::TRIGGER_TITLE,
                            if gone { ", since ours was deleted in Zendesk" } else { "" }
                        ),
                    });
                }
            },
        }
    }
    if scope == Scope::DoubleDelivery {
        let list = match &observation.all_triggers {
            Some(Ok(list)) => list,
            Some(Err(error)) => {
                return Err(SetupError::zendesk("list the triggers", error.clone()))
            }
            None => return Ok(steps),
        };
        let ours = observation.trigger.present().map(|t| t.id);
        for trigger in list {
            if Some(trigger.id) == ours || !notify::emails_requester_on_replies(trigger) {
                continue;
            }
            if notify::guarding(trigger, &target.tag_prefix, &target.zendesk_delivers).fine() {
                continue;
            }
            let guard =
                notify::required_guard(&target.tag_prefix, &target.zendesk_delivers).join(" ");
            steps.push(Step {
                summary: if guard.is_empty() {
                    format!(
                        "Remove the guard from “{}” ({}), so Zendesk emails the replies on every channel",
                        trigger.title, trigger.id
                    )
                } else {
                    format!(
                        "Add `current_tags not_includes {guard}` to “{}” ({}), so it stops emailing \
                         replies the platform already delivers",
                        trigger.title, trigger.id
                    )
                },
                kind: StepKind::GuardNotifyTrigger {
                    id: trigger.id,
                    title: trigger.title.clone(),
                    guard,
                },
            });
        }
    }
    Ok(steps)
}

/// Compares two signing secrets in constant time.
pub(crate) fn same_secret(left: &SecretString, right: &SecretString) -> bool {
    left.expose_secret()
        .as_bytes()
        .ct_eq(right.expose_secret().as_bytes())
        .into()
}

/// The state a run carries from step to step.
struct Applying<'a> {
    client: &'a Client,
    store: &'a Store,
    secrets: &'a RelaySecrets,
    clock: &'a Clock,
    target: &'a Target,
    observation: &'a Observation,
    webhook_id: Option<String>,
    trigger_id: Option<u64>,
}

impl Applying<'_> {
    async fn apply(&mut self, step: &Step) -> Result<String, SetupError> {
        match &step.kind {
            // Made by `Target::read` before planning.
            StepKind::MakeUrlKey => Ok("Made the webhook URL's key".to_owned()),
            StepKind::CreateWebhook => {
                let url = self.url()?;
                let made = self
                    .client
                    .create_webhook(&spec::webhook(&url))
                    .await
                    .map_err(|e| SetupError::zendesk("create the webhook", e))?;
                self.record(WEBHOOK, made.id.clone(), "created").await?;
                let detail = format!(
                    "Created the webhook “{}” ({}) for {}",
                    made.name,
                    made.id,
                    redacted(&url)
                );
                self.webhook_id = Some(made.id);
                Ok(detail)
            }
            StepKind::AdoptWebhook { id, name } => {
                self.record(WEBHOOK, id.clone(), "adopted").await?;
                self.webhook_id = Some(id.clone());
                Ok(format!("Adopted the webhook “{name}” ({id})"))
            }
            StepKind::RepairWebhook { id, name, drift } => {
                let url = self.url()?;
                self.client
                    .patch_webhook(id, &spec::webhook_repair(drift, &url))
                    .await
                    .map_err(|e| SetupError::zendesk("repair the webhook", e))?;
                let changes: Vec<&str> = drift.iter().map(|d| d.describe()).collect();
                Ok(format!(
                    "Repaired the webhook “{name}” ({id}): {}",
                    changes.join("; ")
                ))
            }
            StepKind::StoreSigningSecret { reset } => {
                let id = self.webhook_id()?;
                let observed = match (&self.observation.webhook, &self.observation.signing_secret) {
                    (Found::Present(webhook), Some(Ok(secret))) if webhook.id == id => {
                        Some(secret.secret.clone())
                    }
                    _ => None,
                };
                let secret = match observed {
                    Some(secret) => secret,
                    None => {
                        self.client
                            .webhook_signing_secret(&id)
                            .await
                            .map_err(|e| {
                                SetupError::zendesk("read the webhook's signing secret", e)
                            })?
                            .secret
                    }
                };
                let local = self.secrets.current_signing_secret().await?;
                if local.is_some_and(|local| same_secret(&local, &secret)) {
                    return Ok("The keychain already holds the webhook's signing secret".to_owned());
                }
                self.secrets.set_signing_secret(&secret).await?;
                Ok(if *reset {
                    "Stored the webhook's new signing secret (the previous one stays accepted for \
                     deliveries already signed with it)"
                        .to_owned()
                } else {
                    "Stored the webhook's signing secret in the keychain".to_owned()
                })
            }
            StepKind::CreateTrigger => {
                let id = self.webhook_id()?;
                let made = self
                    .client
                    .create_trigger(&spec::trigger(&id))
                    .await
                    .map_err(|e| SetupError::zendesk("create the trigger", e))?;
                self.record(TRIGGER, made.id.to_string(), "created").await?;
                self.trigger_id = Some(made.id);
                Ok(format!(
                    "Created the trigger “{}” ({})",
                    made.title, made.id
                ))
            }
            StepKind::AdoptTrigger { id, title } => {
                self.record(TRIGGER, id.to_string(), "adopted").await?;
                self.trigger_id = Some(*id);
                Ok(format!("Adopted the trigger “{title}” ({id})"))
            }
            StepKind::RepairTrigger { id, title, drift } => {
                let hook = self.webhook_id()?;
                let current = [
                    self.observation.trigger.present(),
                    self.observation.adoptable_trigger.as_ref(),
                ]
                .into_iter()
                .flatten()
                .find(|t| t.id == *id)
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("the plan names trigger {id}, which was not read"))
                })?;
                self.client
                    .update_trigger(*id, &spec::repaired_trigger(current, &hook))
                    .await
                    .map_err(|e| SetupError::zendesk("repair the trigger", e))?;
                let changes: Vec<&str> = drift.iter().map(|d| d.describe()).collect();
                Ok(format!(
                    "Repaired the trigger “{title}” ({id}): {}",
                    changes.join("; ")
                ))
            }
            StepKind::GuardNotifyTrigger { id, title, guard } => {
                let current = match &self.observation.all_triggers {
                    Some(Ok(list)) => list.iter().find(|t| t.id == *id),
                    _ => None,
                }
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("the plan names trigger {id}, which was not read"))
                })?;
                let guarded = notify::guarded(
                    current,
                    &self.target.tag_prefix,
                    &self.target.zendesk_delivers,
                );
                self.client
                    .update_trigger(*id, &guarded)
                    .await
                    .map_err(|e| SetupError::zendesk(format!("add the guard to “{title}”"), e))?;
                Ok(if guard.is_empty() {
                    format!("Removed the guard from “{title}” ({id})")
                } else {
                    format!("Added `current_tags not_includes {guard}` to “{title}” ({id})")
                })
            }
        }
    }

    fn url(&self) -> Result<String, SetupError> {
        self.target.url.clone().ok_or_else(|| {
            SetupError::Store(StoreError::Corrupt(
                "no webhook URL key after making one".to_owned(),
            ))
        })
    }

    fn webhook_id(&self) -> Result<String, SetupError> {
        self.webhook_id
            .clone()
            .ok_or(SetupError::NeedsWebhook("the trigger"))
    }

    /// Records an object as ours, on the blocking pool, before anything else is done with it.
    async fn record(&self, kind: &str, id: String, origin: &str) -> Result<(), SetupError> {
        let row = SetupObjectRow {
            kind: kind.to_owned(),
            zendesk_id: id,
            origin: origin.to_owned(),
            at: self.now().to_string(),
        };
        self.store
            .call(move |store| store.record_setup_object(&row))
            .await?;
        Ok(())
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The console runs these on Tauri's async runtime, which needs `Send` futures.
    #[test]
    fn the_setup_screens_calls_are_send() {
        fn send<T: Send>(_: &T) {}
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let profile = Profile::open(dir.path(), crate::keychain::SecretStoreKind::Keyutils)
            .unwrap_or_else(|e| panic!("{e}"));
        let clock = Clock::system();
        let options = SetupOptions {
            dry_run: true,
            scope: Scope::All,
        };
        send(&run(&profile, &clock, options, |_event| {}));
        send(&checklist::refresh(
            &profile,
            &clock,
            &checklist::NoMappedFields,
        ));
        send(&manual::for_profile(&profile, &clock));
    }

    #[test]
    fn scopes_parse_from_their_names_and_the_checklists_fix_ids() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
            assert_eq!(
                Scope::parse(&format!("setup:{}", scope.as_str())),
                Some(scope)
            );
        }
        for fix in [
            checklist::FixAction::RepairWebhook,
            checklist::FixAction::RepairTrigger,
            checklist::FixAction::FetchSigningSecret,
            checklist::FixAction::GuardNotifyTriggers,
        ] {
            assert_eq!(Scope::parse(fix.as_str()), fix.scope(), "{fix:?}");
        }
        assert_eq!(Scope::parse("everything"), None);
    }
}
