//! The Verify screen's shapes: the rep the admin picked (in), each step as it runs, the whole run and the last one
//! kept (out). No field can hold a secret: steps are evidence for people (ids, names, times, causes).

use handoff::agent::{self, Agent};
use handoff::verify::{
    LastVerification, RelayUse, Replier, Step, VerifyEvent, VerifyReport, MANUAL_WAIT,
};
use serde::{Deserialize, Serialize};

use super::{FixView, UserView};
use crate::error::{Code, CommandError};

/// Who replies in Zendesk, as picked on the Verify screen: `auto` (the default agent, else the first active full
/// agent), `agent` with the ID typed, or `manual` (the admin replies in Zendesk).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepChoice {
    kind: String,
    agent_id: Option<String>,
}

impl RepChoice {
    pub fn replier(&self) -> Result<Replier, CommandError> {
        match self.kind.as_str() {
            "auto" => Ok(Replier::Auto),
            "manual" => Ok(Replier::Manual { wait: MANUAL_WAIT }),
            "agent" => agent::parse_id(self.agent_id.as_deref().unwrap_or_default())
                .map(Replier::Agent)
                .map_err(|why| CommandError::new(Code::InvalidInput, why)),
            other => Err(CommandError::new(
                Code::InvalidInput,
                format!("{other:?} is not a way to reply: use auto, agent or manual"),
            )),
        }
    }
}

/// One step of a verification: `running`, `passed`, `failed` or `skipped`, with its time once it ended and, for
/// a failure, the cause, the fix and the action that performs it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyStepView {
    id: &'static str,
    label: &'static str,
    state: &'static str,
    detail: String,
    duration_ms: Option<u64>,
    cause: Option<String>,
    fix: Option<String>,
    action: Option<FixView>,
}

impl From<&Step> for VerifyStepView {
    fn from(step: &Step) -> Self {
        VerifyStepView {
            id: step.id.as_str(),
            label: step.id.label(),
            state: step.state.as_str(),
            detail: step.detail.clone(),
            duration_ms: step
                .duration
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            cause: step.cause.clone(),
            fix: step.fix.clone(),
            action: step.action.map(FixView::from),
        }
    }
}

/// Which relay receives Zendesk's webhook: `running` (the console's, or another on the address), `hosted` (started
/// for this run because none listened), `caller`.
#[derive(Debug, Clone, Serialize)]
pub struct RelayUseView {
    kind: &'static str,
    address: Option<String>,
}

impl From<&RelayUse> for RelayUseView {
    fn from(relay: &RelayUse) -> Self {
        let (kind, address) = match relay {
            RelayUse::Running { address } => ("running", Some(address.to_string())),
            RelayUse::Hosted { address } => ("hosted", Some(address.to_string())),
            RelayUse::Caller => ("caller", None),
        };
        RelayUseView { kind, address }
    }
}

/// What a verification streams while it runs.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum VerifyEventView {
    Relay {
        relay: RelayUseView,
    },
    Step {
        step: VerifyStepView,
    },
    /// Manual mode: the admin replies publicly to this ticket in Zendesk (`open_verification_ticket` opens it).
    #[serde(rename_all = "camelCase")]
    AwaitingReply {
        ticket_id: u64,
    },
}

impl From<&VerifyEvent> for VerifyEventView {
    fn from(event: &VerifyEvent) -> Self {
        match event {
            VerifyEvent::Relay(relay) => VerifyEventView::Relay {
                relay: RelayUseView::from(relay),
            },
            VerifyEvent::Step(step) => VerifyEventView::Step {
                step: VerifyStepView::from(step),
            },
            VerifyEvent::AwaitingReply { ticket_id, .. } => VerifyEventView::AwaitingReply {
                ticket_id: *ticket_id,
            },
        }
    }
}

/// A verification's result: the one just run (with its wall time, relay, ticket and rep) or the last one kept
/// (times and steps only).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationView {
    passed: bool,
    started_at: String,
    finished_at: String,
    wall_ms: Option<u64>,
    steps: Vec<VerifyStepView>,
    relay: Option<RelayUseView>,
    ticket_id: Option<u64>,
    rep: Option<UserView>,
}

impl From<&VerifyReport> for VerificationView {
    fn from(report: &VerifyReport) -> Self {
        VerificationView {
            passed: report.passed,
            started_at: report.started_at.to_string(),
            finished_at: report.finished_at.to_string(),
            wall_ms: Some(u64::try_from(report.wall.as_millis()).unwrap_or(u64::MAX)),
            steps: report.steps.iter().map(VerifyStepView::from).collect(),
            relay: report.relay.as_ref().map(RelayUseView::from),
            ticket_id: report.ticket_id,
            rep: report.replier.as_ref().map(UserView::from),
        }
    }
}

impl From<&LastVerification> for VerificationView {
    fn from(last: &LastVerification) -> Self {
        VerificationView {
            passed: last.passed,
            started_at: last.started_at.clone(),
            finished_at: last.finished_at.clone(),
            wall_ms: None,
            steps: last.steps.iter().map(VerifyStepView::from).collect(),
            relay: None,
            ticket_id: None,
            rep: None,
        }
    }
}

/// An agent looked up by ID, with what would keep it from being the default agent or the verification's rep.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentView {
    user: UserView,
    not_assignable: Option<String>,
    cannot_reply: Option<String>,
}

impl From<&Agent> for AgentView {
    fn from(agent: &Agent) -> Self {
        AgentView {
            user: UserView::from(&agent.user),
            not_assignable: agent.not_assignable.clone(),
            cannot_reply: agent.cannot_reply.clone(),
        }
    }
}
