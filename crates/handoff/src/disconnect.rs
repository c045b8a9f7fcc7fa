//! Disconnect (SPEC §10): what the product made in Zendesk goes, then its secrets, then the connection.
//!
//! Order, each a step reported as it runs:
//! 1. delete our trigger (first: a trigger must never notify a webhook that is gone);
//! 2. delete our webhook;
//! 3. revoke our OAuth token (`DELETE /api/v2/oauth/tokens/current`); an API token cannot be revoked through
//!    the API, so the step says where to delete it;
//! 4. wipe the keychain entries: the Zendesk credentials, the URL keys, the webhook's signing secret, the
//!    outbound signing secret (and, with `forget_data`, the session link key and the LLM key);
//! 5. remove the connection row, setup's object ids and the URL keys' ids (and, with `forget_data`, the
//!    sessions, deliveries and queues).
//!
//! Invariants:
//! - Only the objects setup recorded (`setup_objects`) are deleted: a webhook or trigger that merely looks like
//!   ours (same name, same endpoint) is never touched. One already deleted in Zendesk (404) counts as done.
//! - Tickets stay in Zendesk. Without `forget_data`, the local conversations stay too, and so does the session
//!   link key, so the "View session" links in those tickets keep opening while the data is there.
//! - A step that fails stops the run before anything after it is removed, so running it again finishes the job
//!   (Zendesk unreachable: nothing local is lost; `local_only` skips Zendesk for an account that is gone).
//! - [`plan`] reads only the local store: it lists what will be deleted without asking Zendesk.

use crate::account;
use crate::clock::Clock;
use crate::connect::AuthMethod;
use crate::keychain::{KeychainError, SecretName};
use crate::profile::Profile;
use crate::setup::observe::{ReadError, ReadFailure};
use crate::setup::{self, Recorded};
use crate::store::StoreError;
use crate::ConnectError;

/// A step of the disconnect. The wire names are a contract with scripts and the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepId {
    DeleteTrigger,
    DeleteWebhook,
    RevokeToken,
    WipeKeychain,
    ForgetConnection,
    ForgetData,
}

impl StepId {
    pub fn as_str(self) -> &'static str {
        match self {
            StepId::DeleteTrigger => "delete_trigger",
            StepId::DeleteWebhook => "delete_webhook",
            StepId::RevokeToken => "revoke_token",
            StepId::WipeKeychain => "wipe_keychain",
            StepId::ForgetConnection => "forget_connection",
            StepId::ForgetData => "forget_data",
        }
    }
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Running,
    Done,
    /// Done as far as it could be; the detail says what the admin must finish by hand.
    Warning,
    /// Not needed (nothing of that kind exists), or not asked for.
    Skipped,
    Failed,
}

impl StepState {
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Running => "running",
            StepState::Done => "done",
            StepState::Warning => "warning",
            StepState::Skipped => "skipped",
            StepState::Failed => "failed",
        }
    }
}

/// One step as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: StepId,
    pub state: StepState,
    pub detail: String,
}

/// What a disconnect will delete and what it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The account, as `acme.zendesk.com`.
    pub account: String,
    pub auth_method: AuthMethod,
    /// Our trigger's id, when setup made or adopted one.
    pub trigger: Option<String>,
    /// Our webhook's id, when setup made or adopted one.
    pub webhook: Option<String>,
    /// The OAuth token is revoked (OAuth connections).
    pub revoke_token: bool,
    /// The keychain entries wiped, by name.
    pub keychain: Vec<&'static str>,
    /// What stays, one line each.
    pub kept: Vec<String>,
    /// The conversations and the session link key stay (the run does not forget the data).
    pub keeps_data: bool,
}

/// How a disconnect runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DisconnectOptions {
    /// Also forget the conversations (sessions, deliveries, queues) and the keys that only serve them.
    pub forget_data: bool,
    /// Leave Zendesk alone (an account that is gone, credentials that no longer work): the trigger and
    /// webhook must then be deleted in Admin Center.
    pub local_only: bool,
}

/// What a disconnect did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub steps: Vec<Step>,
}

/// Why a disconnect stopped. What ran before it is done; running it again finishes the job.
#[derive(Debug, thiserror::Error)]
pub enum DisconnectError {
    #[error("not connected to Zendesk: there is nothing to disconnect")]
    NotConnected,
    #[error(
        "could not {doing}: {error}; nothing after this step was removed. Run `handoff disconnect` again when \
         Zendesk answers, or delete it in Admin Center and run `handoff disconnect --local-only`"
    )]
    Zendesk { doing: String, error: ReadError },
    #[error(
        "Zendesk no longer accepts the saved credentials ({0}), so the trigger and webhook cannot be deleted \
         from here: sign in again (`handoff connect`) and disconnect, or delete them in Admin Center and run \
         `handoff disconnect --local-only`"
    )]
    ReconnectRequired(String),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

impl DisconnectError {
    /// Whether Zendesk could not be asked (try again).
    pub fn unreachable(&self) -> bool {
        matches!(self, DisconnectError::Zendesk { error, .. } if error.kind == ReadFailure::Unreachable)
    }
}

/// The keychain entries a disconnect wipes (`forget_data` adds the link key and the LLM key).
fn wiped(forget_data: bool) -> Vec<SecretName> {
    let mut names = SecretName::CREDENTIALS.to_vec();
    names.extend([
        SecretName::UrlKeys,
        SecretName::WebhookSigningSecret,
        SecretName::OutboundSigningSecret,
    ]);
    if forget_data {
        names.extend([SecretName::SessionLinkKey, SecretName::LlmApiKey]);
    }
    names
}

/// What [`run`] will delete, from the local store only.
pub fn plan(profile: &Profile, options: DisconnectOptions) -> Result<Plan, DisconnectError> {
    let connection = profile.connection()?.ok_or(DisconnectError::NotConnected)?;
    let recorded = Recorded::read(profile.store())?;
    let zendesk = !options.local_only;
    let mut kept = vec!["the tickets in Zendesk, and their requesters".to_owned()];
    if !options.forget_data {
        kept.push(
            "the sessions, deliveries and queues in this data folder, and the session link key (so the \
             tickets' View session links keep opening)"
                .to_owned(),
        );
        kept.push("the AI Fields LLM key".to_owned());
    }
    kept.push("the settings and the sessions API keys".to_owned());
    if options.local_only && (recorded.trigger.is_some() || recorded.webhook.is_some()) {
        kept.push(
            "the trigger and webhook in Zendesk (--local-only): delete them in Admin Center"
                .to_owned(),
        );
    }
    Ok(Plan {
        account: connection.subdomain.host(),
        auth_method: connection.auth_method,
        trigger: recorded
            .trigger
            .filter(|_| zendesk)
            .map(|row| row.zendesk_id),
        webhook: recorded
            .webhook
            .filter(|_| zendesk)
            .map(|row| row.zendesk_id),
        revoke_token: zendesk && connection.auth_method == AuthMethod::OAuth,
        keychain: wiped(options.forget_data)
            .into_iter()
            .map(SecretName::as_str)
            .collect(),
        kept,
        keeps_data: !options.forget_data,
    })
}

/// Disconnects, reporting each step through `on_step` as it starts and ends.
pub async fn run(
    profile: &Profile,
    clock: &Clock,
    options: DisconnectOptions,
    mut on_step: impl FnMut(&Step) + Send,
) -> Result<Report, DisconnectError> {
    let plan = plan(profile, options)?;
    let mut steps = Vec::new();
    let mut report = |step: Step, steps: &mut Vec<Step>| {
        on_step(&step);
        if step.state != StepState::Running {
            steps.push(step);
        }
    };
    let running = |id: StepId, detail: &str| Step {
        id,
        state: StepState::Running,
        detail: detail.to_owned(),
    };
    let store = profile.store().clone();
    let account = if options.local_only {
        None
    } else {
        let account = account::open(profile, clock).await?;
        if let Some(reason) = account
            .as_ref()
            .and_then(|a| a.connection.reconnect_required.clone())
        {
            if plan.trigger.is_some() || plan.webhook.is_some() {
                return Err(DisconnectError::ReconnectRequired(reason));
            }
        }
        account
    };

    // 1, 2: our trigger, then our webhook.
    for (id, kind, object) in [
        (StepId::DeleteTrigger, setup::TRIGGER, plan.trigger.clone()),
        (StepId::DeleteWebhook, setup::WEBHOOK, plan.webhook.clone()),
    ] {
        let (Some(object), Some(account)) = (object, account.as_ref()) else {
            let detail = if options.local_only {
                format!("left in Zendesk (--local-only): delete our {kind} in Admin Center")
            } else {
                format!("setup made no {kind}")
            };
            report(
                Step {
                    id,
                    state: StepState::Skipped,
                    detail,
                },
                &mut steps,
            );
            continue;
        };
        report(
            running(id, &format!("Deleting our {kind} {object}…")),
            &mut steps,
        );
        let deleted = match kind {
            setup::TRIGGER => match object.parse::<u64>() {
                Ok(number) => account.client.delete_trigger(number).await,
                Err(_) => Err(zendesk::Error::NotFound {
                    resource: format!("trigger {object}"),
                }),
            },
            _ => account.client.delete_webhook(&object).await,
        };
        let detail = match deleted {
            Ok(()) => format!("Deleted our {kind} {object}"),
            Err(zendesk::Error::NotFound { .. }) => {
                format!("Our {kind} {object} was already gone from Zendesk")
            }
            Err(error) => {
                let error = ReadError::from(error);
                report(
                    Step {
                        id,
                        state: StepState::Failed,
                        detail: error.message.clone(),
                    },
                    &mut steps,
                );
                return Err(match error.kind {
                    ReadFailure::ReconnectRequired => {
                        DisconnectError::ReconnectRequired(error.message)
                    }
                    _ => DisconnectError::Zendesk {
                        doing: format!("delete our {kind} {object}"),
                        error,
                    },
                });
            }
        };
        let forget = kind;
        store
            .call(move |store| store.forget_setup_object(forget))
            .await?;
        report(
            Step {
                id,
                state: StepState::Done,
                detail,
            },
            &mut steps,
        );
    }

    // 3: the OAuth token (best effort: the keychain forgets it next either way).
    match (plan.auth_method, account.as_ref()) {
        (AuthMethod::OAuth, Some(account)) => {
            report(running(StepId::RevokeToken, "Revoking our OAuth token…"), &mut steps);
            let (state, detail) = match account.client.revoke_current_token().await {
                Ok(()) => (StepState::Done, "Zendesk revoked our OAuth token and its refresh token".to_owned()),
                Err(zendesk::Error::BadCredentials { .. }) => {
                    (StepState::Done, "Zendesk no longer accepted the token: nothing to revoke".to_owned())
                }
                Err(zendesk::Error::Forbidden { .. }) => (
                    StepState::Warning,
                    "Zendesk did not let the token revoke itself (it was granted without oauth_tokens:write): \
                     it stops working when it expires; to end it now, revoke the client's tokens in Admin \
                     Center > Apps and integrations > APIs > OAuth clients"
                        .to_owned(),
                ),
                Err(error) => (
                    StepState::Warning,
                    format!(
                        "the token could not be revoked ({error}); it stops working when it expires, or revoke \
                         it in Admin Center > Apps and integrations > APIs > OAuth clients"
                    ),
                ),
            };
            report(
                Step {
                    id: StepId::RevokeToken,
                    state,
                    detail,
                },
                &mut steps,
            );
        }
        (AuthMethod::ApiToken, _) => report(
            Step {
                id: StepId::RevokeToken,
                state: StepState::Warning,
                detail: "API tokens cannot be revoked through the API: delete it in Admin Center > Apps and \
                         integrations > APIs > Zendesk API"
                    .to_owned(),
            },
            &mut steps,
        ),
        (AuthMethod::OAuth, None) => report(
            Step {
                id: StepId::RevokeToken,
                state: StepState::Skipped,
                detail: "left to Zendesk (--local-only): revoke it in Admin Center > Apps and integrations > \
                         APIs > OAuth clients"
                    .to_owned(),
            },
            &mut steps,
        ),
    }
    drop(account);

    // 4: the keychain entries (the credentials of every generation, then the relay's secrets).
    report(
        running(StepId::WipeKeychain, "Wiping the keychain entries…"),
        &mut steps,
    );
    let keychain = profile.keychain()?;
    crate::connect::purge_stale_secrets(profile).await;
    let names = wiped(options.forget_data);
    for name in &names {
        if let Err(error) = keychain.delete(*name).await {
            report(
                Step {
                    id: StepId::WipeKeychain,
                    state: StepState::Failed,
                    detail: error.to_string(),
                },
                &mut steps,
            );
            return Err(error.into());
        }
    }
    report(
        Step {
            id: StepId::WipeKeychain,
            state: StepState::Done,
            detail: format!(
                "Removed {}",
                names
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        &mut steps,
    );

    // 5: the connection, then (asked for by name) the data.
    store.call(|store| store.forget_connection()).await?;
    report(
        Step {
            id: StepId::ForgetConnection,
            state: StepState::Done,
            detail: format!("Forgot the connection to {}", plan.account),
        },
        &mut steps,
    );
    if options.forget_data {
        let forgotten = store.call(|store| store.forget_data()).await?;
        report(
            Step {
                id: StepId::ForgetData,
                state: StepState::Done,
                detail: format!(
                    "Forgot {} session(s) and {} delivery(ies)",
                    forgotten.sessions, forgotten.deliveries
                ),
            },
            &mut steps,
        );
    }
    Ok(Report { steps })
}
