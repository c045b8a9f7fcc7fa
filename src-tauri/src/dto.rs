//! What crosses the IPC boundary, in the UI's shapes (camelCase). Core types stay free of Serialize; they are
//! converted here. Invariant: no DTO has a field that can hold a secret, except `ConnectForm`, which only
//! travels from the UI in.

use handoff::connect::{Check, ConnectInput, Connection, UserSummary, VerifyReport};
use handoff::subdomain::Subdomain;
use handoff::SecretString;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    id: u64,
    name: String,
    email: Option<String>,
    role: String,
}

impl From<&UserSummary> for UserView {
    fn from(user: &UserSummary) -> Self {
        UserView {
            id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
            role: user.role.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadlineView {
    date: String,
    days_left: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    subdomain: String,
    host: String,
    base_url: String,
    auth_method: &'static str,
    user: UserView,
    default_agent: Option<UserView>,
    demo: bool,
    connected_at: String,
    api_token_deadline: Option<DeadlineView>,
}

impl ConnectionView {
    pub fn new(connection: &Connection, now: Timestamp) -> Self {
        ConnectionView {
            subdomain: connection.subdomain.to_string(),
            host: connection.subdomain.host(),
            base_url: connection.base_url.to_string(),
            auth_method: connection.auth_method.as_str(),
            user: UserView::from(&connection.user),
            default_agent: connection.default_agent.as_ref().map(UserView::from),
            demo: connection.demo,
            connected_at: connection.connected_at.to_string(),
            api_token_deadline: connection.api_token_deadline(now).map(|d| DeadlineView {
                date: d.date.to_string(),
                days_left: d.days_left,
            }),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct SubdomainView {
    subdomain: String,
    host: String,
}

impl From<Subdomain> for SubdomainView {
    fn from(subdomain: Subdomain) -> Self {
        SubdomainView {
            host: subdomain.host(),
            subdomain: subdomain.to_string(),
        }
    }
}

/// The Connect form as typed. `token` is wrapped at once so it cannot be logged.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectForm {
    subdomain: String,
    email: String,
    token: String,
    default_agent_id: Option<String>,
    base_url: Option<String>,
}

impl From<ConnectForm> for ConnectInput {
    fn from(form: ConnectForm) -> Self {
        ConnectInput {
            subdomain: form.subdomain,
            email: form.email,
            token: SecretString::from(form.token),
            default_agent_id: form.default_agent_id,
            base_url: form.base_url,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckEvent {
    id: &'static str,
    label: &'static str,
    status: &'static str,
    detail: String,
    cause: Option<String>,
    fix: Option<String>,
}

impl From<&Check> for CheckEvent {
    fn from(check: &Check) -> Self {
        CheckEvent {
            id: check.id.as_str(),
            label: check.id.label(),
            status: check.status.as_str(),
            detail: check.detail.clone(),
            cause: check.cause.clone(),
            fix: check.fix.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct VerifyReportView {
    saved: bool,
    checks: Vec<CheckEvent>,
    connection: Option<ConnectionView>,
}

impl VerifyReportView {
    pub fn new(report: &VerifyReport, now: Timestamp) -> Self {
        VerifyReportView {
            saved: report.saved(),
            checks: report.checks.iter().map(CheckEvent::from).collect(),
            connection: report
                .connection
                .as_ref()
                .map(|c| ConnectionView::new(c, now)),
        }
    }
}
