//! Agents named by ID once connected: the default agent changed on its own (the Settings screen), and the rep a
//! verification replies as (the Verify screen's picker). Each is looked up with the saved connection, so the
//! admin sees the name, and why the agent will not do, before anything uses the ID.
//!
//! Invariant: the stored default agent is always one Zendesk can assign tickets to when it was set (the same
//! rule as Verify & Save's Default Agent check); nothing is stored unless the lookup passed.

use zendesk::{Role, User};

use crate::account;
use crate::clock::Clock;
use crate::connect::{self, CheckStatus, UserSummary};
use crate::profile::Profile;
use crate::setup::observe::{ReadError, ReadFailure};
use crate::store::StoreError;
use crate::ConnectError;

/// An agent as found, with what would keep it from its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub user: UserSummary,
    /// Why Zendesk would not assign tickets to this user (not an agent, suspended, a light agent...), with what
    /// to do; `None` when it can be the default agent.
    pub not_assignable: Option<String>,
    /// Why this user cannot post a public reply (so cannot be the verification's rep); `None` when it can.
    pub cannot_reply: Option<String>,
}

/// Why an agent could not be looked up or set. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(
        "not connected to Zendesk: connect on the Connect screen (or `handoff connect`) first"
    )]
    NotConnected,
    #[error("Zendesk no longer accepts the saved credentials ({0}): sign in again on the Connect screen")]
    ReconnectRequired(String),
    /// The ID is not one, or no user has it.
    #[error("{0}")]
    Invalid(String),
    /// The user exists but cannot be the default agent: the message names who and why.
    #[error("{0}")]
    NotAssignable(String),
    #[error("Zendesk could not be asked about user {id}: {error}; try again")]
    Zendesk { id: u64, error: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

/// Parses an agent ID as typed (digits, at most 19 of them, not 0); the message says what is wrong.
pub fn parse_id(raw: &str) -> Result<u64, String> {
    connect::parse_agent_id(raw)
}

/// Looks up user `raw_id` in the connected account.
pub async fn lookup(profile: &Profile, clock: &Clock, raw_id: &str) -> Result<Agent, AgentError> {
    let id = parse_id(raw_id).map_err(AgentError::Invalid)?;
    let account = account::open(profile, clock)
        .await?
        .ok_or(AgentError::NotConnected)?;
    if let Some(reason) = &account.connection.reconnect_required {
        return Err(AgentError::ReconnectRequired(reason.clone()));
    }
    let user = match account.client.show_user(id).await {
        Ok(user) => user,
        Err(zendesk::Error::NotFound { .. }) => {
            return Err(AgentError::Invalid(format!(
                "no user has ID {id} in {}: find the ID in Admin Center > People > Team members",
                account.connection.subdomain.host()
            )))
        }
        Err(error) => {
            let error = ReadError::from(error);
            return Err(match error.kind {
                ReadFailure::ReconnectRequired => AgentError::ReconnectRequired(error.message),
                _ => AgentError::Zendesk {
                    id,
                    error: error.message,
                },
            });
        }
    };
    let cannot_reply = (user.id == account.connection.user.id)
        .then(|| {
            format!(
                "{} is the user the console signs in as: the relay never delivers its own comments, so its reply \
                 would prove nothing; pick another agent",
                user.name
            )
        })
        .or_else(|| replies_publicly(&user));
    Ok(Agent {
        not_assignable: assignable(&user),
        cannot_reply,
        user: UserSummary::from(&user),
    })
}

/// Sets the default agent tickets are assigned to (`raw_id` empty: none, tickets stay unassigned). The user is
/// looked up first and refused unless Zendesk can assign tickets to them. Returns the agent now set.
pub async fn set_default(
    profile: &Profile,
    clock: &Clock,
    raw_id: &str,
) -> Result<Option<UserSummary>, AgentError> {
    if raw_id.trim().is_empty() {
        let store = profile.store().clone();
        if !store.call(|store| store.set_default_agent(None)).await? {
            return Err(AgentError::NotConnected);
        }
        return Ok(None);
    }
    let agent = lookup(profile, clock, raw_id).await?;
    if let Some(why) = agent.not_assignable {
        return Err(AgentError::NotAssignable(why));
    }
    let user = agent.user.clone();
    let store = profile.store().clone();
    let stored = store
        .call(move |store| {
            store.set_default_agent(Some((
                user.id,
                &user.name,
                user.email.as_deref(),
                &user.role,
            )))
        })
        .await?;
    if !stored {
        return Err(AgentError::NotConnected);
    }
    Ok(Some(agent.user))
}

/// Verify & Save's Default Agent rule, as one sentence with what to do; `None` when the user will do.
fn assignable(user: &User) -> Option<String> {
    let check = connect::assignable_agent(user);
    (check.status == CheckStatus::Failed).then(|| {
        [Some(check.detail), check.cause, check.fix]
            .into_iter()
            .flatten()
            .map(|part| part.trim().trim_end_matches('.').to_owned())
            .collect::<Vec<_>>()
            .join(". ")
    })
}

/// Only active full agents and admins write public comments: light agents and contributors write internal notes.
fn replies_publicly(user: &User) -> Option<String> {
    if !matches!(user.role, Role::Agent | Role::Admin) {
        return Some(format!(
            "{} is not an agent, so cannot reply on a ticket; pick an agent or admin",
            user.name
        ));
    }
    if user.suspended || !user.active {
        return Some(format!(
            "{} is not an active user; pick an active agent",
            user.name
        ));
    }
    if matches!(user.role_type, Some(1) | Some(3)) {
        return Some(format!(
            "{} is a light agent or contributor, who can only write internal notes; pick a full agent",
            user.name
        ));
    }
    None
}
