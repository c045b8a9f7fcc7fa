//! What crosses the IPC boundary, in the UI's shapes (camelCase). Core types stay free of Serialize; they are
//! converted here. Invariant: no DTO has a field that can hold a secret, except `ConnectForm`, which only
//! travels from the UI in.

use handoff::connect::{
    Check, ConnectInput, Connection, OAuthConnectInput, OAuthDetails, UserSummary, VerifyReport,
};
use handoff::oauth::GrantKind;
use handoff::relay::console::Overview;
use handoff::service::{QueueWork, RelayState};
use handoff::session::{Contact, HandoffAccepted, HandoffState, Session, SessionSummary};
use handoff::setup::checklist::{Checklist, FixAction, Item, Summary};
use handoff::setup::manual::ManualGuide;
use handoff::setup::{SetupEvent, SetupReport, Step};
use handoff::store::DeliveryRow;
use handoff::subdomain::Subdomain;
use handoff::SecretString;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

mod settings;
mod troubleshoot;
mod verify;

pub use settings::{
    DisconnectPlanView, DisconnectReportView, DisconnectStepView, SettingsView,
    SigningSecretResetView, UrlKeyRotationView,
};
pub use troubleshoot::{BundleView, FindingView, SymptomView};
pub use verify::{AgentView, RepChoice, VerificationView, VerifyEventView};

/// AI Fields: the screen's data (`fields_overview`), each field of the catalog with whether it can be mapped and
/// why not, the mapped fields with their drift, and what Zendesk dropped.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldsOverviewView {
    fields: Vec<FieldView>,
    mapped: Vec<MappedFieldView>,
    dropped: Vec<String>,
    fetched_at: String,
    description_placeholder: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldView {
    id: u64,
    title: String,
    /// Zendesk's type name (`tagger`, `text`, ...).
    r#type: String,
    active: bool,
    mappable: bool,
    reason: Option<&'static str>,
    option_count: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MappedFieldView {
    field_id: u64,
    title: String,
    r#type: String,
    description: String,
    /// `ok`, or `drift` with `drift` saying what changed.
    status: &'static str,
    drift: Option<String>,
}

impl From<&handoff::fields::Overview> for FieldsOverviewView {
    fn from(overview: &handoff::fields::Overview) -> Self {
        let catalog = &overview.catalog;
        FieldsOverviewView {
            fields: catalog
                .fields
                .iter()
                .map(|field| FieldView {
                    id: field.id,
                    title: field.title.clone(),
                    r#type: field.kind.clone(),
                    active: field.active,
                    mappable: field.mappable(),
                    reason: field.reason(),
                    option_count: field.options.len(),
                })
                .collect(),
            mapped: overview
                .mapped
                .iter()
                .map(|mapped| MappedFieldView {
                    field_id: mapped.mapping.field_id,
                    title: mapped
                        .field
                        .as_ref()
                        .map_or_else(|| mapped.mapping.title.clone(), |f| f.title.clone()),
                    r#type: mapped.mapping.kind.clone(),
                    description: mapped.mapping.description.clone(),
                    status: if mapped.drift.is_some() {
                        "drift"
                    } else {
                        "ok"
                    },
                    drift: mapped.drift.as_ref().map(|d| d.message()),
                })
                .collect(),
            dropped: overview
                .dropped
                .iter()
                .map(|d| d.message(catalog.field(d.field_id).map(|f| f.title.as_str())))
                .collect(),
            fetched_at: catalog.fetched_at.to_string(),
            description_placeholder: handoff::fields::DESCRIPTION_PLACEHOLDER,
        }
    }
}

/// One mapped field's answer in the preview.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewFillView {
    field_id: u64,
    title: String,
    /// The option value (or text) the ticket would get; `None` leaves the field empty.
    value: Option<String>,
    option_name: Option<String>,
    score: f64,
    why: String,
}

impl From<&handoff::fields::PreviewFill> for PreviewFillView {
    fn from(preview: &handoff::fields::PreviewFill) -> Self {
        PreviewFillView {
            field_id: preview.fill.field_id,
            title: preview.title.clone(),
            value: preview.fill.value.clone(),
            option_name: preview.option_name.clone(),
            score: preview.fill.score,
            why: preview.fill.why.clone(),
        }
    }
}

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
    oauth: Option<OAuthView>,
    /// Why the admin must sign in again; `None` while the credentials work.
    reconnect_required: Option<String>,
    refresh_interrupted: bool,
}

/// An OAuth connection's client and token expiry. No token crosses the boundary.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthView {
    client_id: String,
    grant: &'static str,
    scopes: Vec<String>,
    token_expires_at: Option<String>,
}

impl From<&OAuthDetails> for OAuthView {
    fn from(oauth: &OAuthDetails) -> Self {
        OAuthView {
            client_id: oauth.client_id.clone(),
            grant: oauth.grant.as_str(),
            scopes: oauth.scopes.clone(),
            token_expires_at: oauth.token_expires_at.map(|t| t.to_string()),
        }
    }
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
            oauth: connection.oauth.as_ref().map(OAuthView::from),
            reconnect_required: connection.reconnect_required.clone(),
            refresh_interrupted: connection.refresh_interrupted,
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

/// The Connect form as typed. `token` is wrapped as it is read, so it cannot be logged.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectForm {
    subdomain: String,
    email: String,
    token: SecretString,
    default_agent_id: Option<String>,
    base_url: Option<String>,
}

impl From<ConnectForm> for ConnectInput {
    fn from(form: ConnectForm) -> Self {
        ConnectInput {
            subdomain: form.subdomain,
            email: form.email,
            token: form.token,
            default_agent_id: form.default_agent_id,
            base_url: form.base_url,
        }
    }
}

/// The OAuth tab as typed. The client secret (confidential clients only) is wrapped as it is read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthForm {
    subdomain: String,
    client_id: String,
    client_secret: Option<SecretString>,
    default_agent_id: Option<String>,
    base_url: Option<String>,
}

impl From<OAuthForm> for OAuthConnectInput {
    fn from(form: OAuthForm) -> Self {
        OAuthConnectInput {
            subdomain: form.subdomain,
            client_id: form.client_id,
            client_secret: form
                .client_secret
                .filter(|s| !s.expose_secret().trim().is_empty()),
            grant: GrantKind::AuthorizationCode,
            default_agent_id: form.default_agent_id,
            base_url: form.base_url,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckEvent {
    id: &'static str,
    label: &'static str,
    status: &'static str,
    detail: String,
    cause: Option<String>,
    fix: Option<String>,
    /// The sign-in's redirect port another program holds, when that is why the check failed.
    redirect_port_taken: Option<u16>,
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
            redirect_port_taken: check.redirect_port_taken,
        }
    }
}

/// The browser sign-in's redirect: its port and the URL to register in the OAuth client (`None` for port 0).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthRedirectView {
    port: u16,
    url: Option<String>,
}

impl From<&handoff::oauth::Redirect> for OAuthRedirectView {
    fn from(redirect: &handoff::oauth::Redirect) -> Self {
        OAuthRedirectView {
            port: redirect.port,
            url: redirect.url.clone(),
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

/// One line of the Relay screen's sessions list.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionLineView {
    id: String,
    contact: ContactView,
    channel: &'static str,
    mode: &'static str,
    turns: usize,
    human_active: bool,
    ticket_id: Option<u64>,
    handoff: HandoffView,
    updated_at: String,
}

impl From<&SessionSummary> for SessionLineView {
    fn from(line: &SessionSummary) -> Self {
        SessionLineView {
            id: line.id.to_string(),
            contact: ContactView::from(&line.contact),
            channel: line.channel.as_str(),
            mode: line.mode.as_str(),
            turns: line.turns,
            human_active: line.human_active,
            ticket_id: line.ticket_id,
            handoff: HandoffView::from(&line.handoff),
            updated_at: line.updated_at.to_string(),
        }
    }
}

/// The sessions list, and who sends its handoffs to Zendesk.
#[derive(Debug, Serialize)]
pub struct SessionsView {
    sessions: Vec<SessionLineView>,
    queue: QueueView,
}

impl SessionsView {
    pub fn new(lines: &[SessionSummary], queue: &QueueWork) -> Self {
        SessionsView {
            sessions: lines.iter().map(SessionLineView::from).collect(),
            queue: QueueView::from(queue),
        }
    }
}

/// Who works the handoff queue: `idle`, `here` (this app), `elsewhere` (a `handoff serve`), `failing`.
#[derive(Debug, Serialize)]
pub struct QueueView {
    state: &'static str,
    reason: Option<String>,
}

impl From<&QueueWork> for QueueView {
    fn from(work: &QueueWork) -> Self {
        let (state, reason) = match work {
            QueueWork::Idle => ("idle", None),
            QueueWork::Here => ("here", None),
            QueueWork::Elsewhere => ("elsewhere", None),
            QueueWork::Failing { reason } => ("failing", Some(reason.clone())),
        };
        QueueView { state, reason }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    external_id: Option<String>,
}

impl From<&Contact> for ContactView {
    fn from(contact: &Contact) -> Self {
        ContactView {
            name: contact.name.clone(),
            email: contact.email.clone(),
            phone: contact.phone.clone(),
            external_id: contact.external_id.clone(),
        }
    }
}

/// Where a session's handoff stands: `none`, `pending` or `failed` with the reason, `done`.
#[derive(Debug, Serialize)]
pub struct HandoffView {
    state: &'static str,
    reason: Option<String>,
}

impl From<&HandoffState> for HandoffView {
    fn from(state: &HandoffState) -> Self {
        HandoffView {
            state: state.as_str(),
            reason: state.reason().map(str::to_owned),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TurnView {
    seq: usize,
    role: &'static str,
    text: String,
    at: String,
}

/// A session with its transcript, for the Relay screen's transcript view.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    id: String,
    contact: ContactView,
    channel: &'static str,
    mode: &'static str,
    turns: Vec<TurnView>,
    summary: Option<String>,
    sentiment: Option<&'static str>,
    language: Option<String>,
    human_active: bool,
    ticket_id: Option<u64>,
    handoff: HandoffView,
    created_at: String,
    updated_at: String,
}

impl From<&Session> for SessionView {
    fn from(session: &Session) -> Self {
        SessionView {
            id: session.id.to_string(),
            contact: ContactView::from(&session.contact),
            channel: session.channel.as_str(),
            mode: session.mode.as_str(),
            turns: session
                .turns
                .iter()
                .map(|turn| TurnView {
                    seq: turn.seq,
                    role: turn.role.as_str(),
                    text: turn.text.clone(),
                    at: turn.at.to_string(),
                })
                .collect(),
            summary: session.summary.clone(),
            sentiment: session.sentiment.map(|s| s.as_str()),
            language: session.language.as_ref().map(|l| l.as_str().to_owned()),
            human_active: session.human_active,
            ticket_id: session.ticket.as_ref().map(|t| t.id),
            handoff: HandoffView::from(&session.handoff),
            created_at: session.created_at.to_string(),
            updated_at: session.updated_at.to_string(),
        }
    }
}

/// A test conversation started in the sandbox: its session, with the handoff queued.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestConversationView {
    session_id: String,
}

impl From<&HandoffAccepted> for TestConversationView {
    fn from(accepted: &HandoffAccepted) -> Self {
        TestConversationView {
            session_id: accepted.session_id.to_string(),
        }
    }
}

/// The relay's server: `running` at `address`, `stopped`, or `failed` with the reason and what to do.
#[derive(Debug, Serialize)]
pub struct RelayStateView {
    state: &'static str,
    address: Option<String>,
    reason: Option<String>,
}

impl From<&RelayState> for RelayStateView {
    fn from(relay: &RelayState) -> Self {
        let (state, address, reason) = match relay {
            RelayState::Stopped => ("stopped", None, None),
            RelayState::Running { address } => ("running", Some(address.to_string()), None),
            RelayState::Failed { reason } => ("failed", None, Some(reason.clone())),
        };
        RelayStateView {
            state,
            address,
            reason,
        }
    }
}

/// One delivery Zendesk made to the relay: when, the verdict (or why it was refused), the ticket, what became of it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    id: i64,
    received_at: String,
    /// `accepted` or `rejected`.
    verdict: String,
    /// Why it was refused.
    reason: Option<String>,
    signed: bool,
    ticket_id: Option<u64>,
    /// `queued`, `done`, `failed`, `not_ours`, `unreadable`, `rejected`...
    state: String,
    outcome: Option<String>,
    /// How many times Zendesk sent the same invocation again.
    duplicates: i64,
}

impl From<&DeliveryRow> for DeliveryView {
    fn from(row: &DeliveryRow) -> Self {
        DeliveryView {
            id: row.id,
            received_at: row.received_at.clone(),
            verdict: row.verdict.clone(),
            reason: row.reason.clone(),
            signed: row.signed,
            ticket_id: row.ticket_id,
            state: row.state.clone(),
            outcome: row.outcome.clone(),
            duplicates: row.duplicates,
        }
    }
}

/// The Relay screen's top half, but the webhook URL (`webhook_url`, redacted; whole only through
/// `reveal_webhook_url`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayView {
    relay: RelayStateView,
    listen_address: String,
    public_url: String,
    /// No public URL is set: it is the listen address, which only this machine can reach.
    public_url_is_local: bool,
    /// The console starts the relay whenever it is connected; false once the admin stopped it.
    starts_with_app: bool,
    /// Newest first.
    deliveries: Vec<DeliveryView>,
    queue: QueueView,
}

impl RelayView {
    pub fn new(overview: &Overview, relay: &RelayState, queue: &QueueWork) -> Self {
        RelayView {
            relay: RelayStateView::from(relay),
            listen_address: overview.listen_address.to_string(),
            public_url: overview
                .public_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            public_url_is_local: overview.public_url_is_local_default,
            starts_with_app: overview.autostart,
            deliveries: overview.deliveries.iter().map(DeliveryView::from).collect(),
            queue: QueueView::from(queue),
        }
    }
}

/// The checklist's counts.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryView {
    ok: usize,
    warning: usize,
    failing: usize,
    unknown: usize,
    zendesk_unreachable: bool,
    refreshed_at: String,
}

impl SummaryView {
    pub fn new(summary: &Summary, refreshed_at: Timestamp) -> Self {
        SummaryView {
            ok: summary.ok,
            warning: summary.warning,
            failing: summary.failing,
            unknown: summary.unknown,
            zendesk_unreachable: summary.zendesk_unreachable,
            refreshed_at: refreshed_at.to_string(),
        }
    }
}

/// What fixes an item or a failed verification step: its id (`setup`, `setup:trigger`, `serve`,
/// `config:public-url`, ...), the terminal command that does the same, the setup scope when setup performs it, and
/// whether an Admin Center page shows what it repairs (`open_fix_page` opens it).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FixView {
    id: &'static str,
    command: &'static str,
    scope: Option<&'static str>,
    opens_in_zendesk: bool,
}

impl From<FixAction> for FixView {
    fn from(fix: FixAction) -> Self {
        FixView {
            id: fix.as_str(),
            command: fix.command(),
            scope: fix.scope().map(|scope| scope.as_str()),
            opens_in_zendesk: fix.admin_page().is_some(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ChecklistItemView {
    id: &'static str,
    label: &'static str,
    /// `ok`, `warning`, `failing` or `unknown`.
    state: &'static str,
    evidence: String,
    fix: Option<FixView>,
}

impl From<&Item> for ChecklistItemView {
    fn from(item: &Item) -> Self {
        ChecklistItemView {
            id: item.id.as_str(),
            label: item.id.label(),
            state: item.state.as_str(),
            evidence: item.evidence.clone(),
            fix: item.fix.map(FixView::from),
        }
    }
}

/// The live checklist, in the order it is shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChecklistView {
    items: Vec<ChecklistItemView>,
    summary: SummaryView,
    refreshed_at: String,
}

impl From<&Checklist> for ChecklistView {
    fn from(checklist: &Checklist) -> Self {
        ChecklistView {
            items: checklist
                .items
                .iter()
                .map(ChecklistItemView::from)
                .collect(),
            summary: SummaryView::new(&checklist.summary(), checklist.refreshed_at),
            refreshed_at: checklist.refreshed_at.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    action: &'static str,
    summary: String,
    writes_zendesk: bool,
}

impl From<&Step> for StepView {
    fn from(step: &Step) -> Self {
        StepView {
            action: step.action(),
            summary: step.summary.clone(),
            writes_zendesk: step.writes_zendesk(),
        }
    }
}

/// What a setup run reports while it runs: reading the account, the plan, each step running/done/failed.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SetupEventView {
    Reading,
    Planned {
        steps: Vec<StepView>,
    },
    Step {
        index: usize,
        state: &'static str,
        detail: String,
    },
}

impl From<&SetupEvent> for SetupEventView {
    fn from(event: &SetupEvent) -> Self {
        match event {
            SetupEvent::Reading => SetupEventView::Reading,
            SetupEvent::Planned(steps) => SetupEventView::Planned {
                steps: steps.iter().map(StepView::from).collect(),
            },
            SetupEvent::Step {
                index,
                state,
                detail,
            } => SetupEventView::Step {
                index: *index,
                state: state.as_str(),
                detail: detail.clone(),
            },
        }
    }
}

/// What a setup run did. The URL it pointed the webhook at is not here: the checklist shows it redacted.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupReportView {
    scope: &'static str,
    changed: bool,
    steps: Vec<StepView>,
    done: Vec<String>,
}

impl From<&SetupReport> for SetupReportView {
    fn from(report: &SetupReport) -> Self {
        SetupReportView {
            scope: report.scope.as_str(),
            changed: report.changed_zendesk(),
            steps: report.steps.iter().map(StepView::from).collect(),
            done: report.done.clone(),
        }
    }
}

/// One value of the manual guide, as shown: a credential (the webhook URL) redacted until revealed.
#[derive(Debug, Serialize)]
pub struct ManualFieldView {
    label: &'static str,
    value: String,
    secret: bool,
}

#[derive(Debug, Serialize)]
pub struct ManualStepView {
    title: &'static str,
    instruction: String,
    /// The Admin Center page the step starts on (`open_admin_page` opens it).
    open: Option<String>,
    fields: Vec<ManualFieldView>,
}

#[derive(Debug, Serialize)]
pub struct ManualGuideView {
    steps: Vec<ManualStepView>,
    /// The sandbox has no Admin Center: the links lead to a real account's pages of the same name.
    demo: bool,
}

impl From<&ManualGuide> for ManualGuideView {
    fn from(guide: &ManualGuide) -> Self {
        ManualGuideView {
            steps: guide
                .steps
                .iter()
                .map(|step| ManualStepView {
                    title: step.title,
                    instruction: step.instruction.clone(),
                    open: step.open.as_ref().map(|url| url.to_string()),
                    fields: step
                        .fields
                        .iter()
                        .map(|field| ManualFieldView {
                            label: field.label,
                            value: field.shown(),
                            secret: field.secret,
                        })
                        .collect(),
                })
                .collect(),
            demo: guide.demo,
        }
    }
}

/// The status bar: the relay, who sends handoffs, and the last checklist's counts (`None` before the first).
#[derive(Debug, Serialize)]
pub struct StatusBarView {
    relay: RelayStateView,
    queue: QueueView,
    checklist: Option<SummaryView>,
}

impl StatusBarView {
    pub fn new(
        relay: &RelayState,
        queue: &QueueWork,
        checklist: Option<&(Summary, Timestamp)>,
    ) -> Self {
        StatusBarView {
            relay: RelayStateView::from(relay),
            queue: QueueView::from(queue),
            checklist: checklist.map(|(summary, at)| SummaryView::new(summary, *at)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_hide_their_secrets_from_debug_output() {
        let oauth: OAuthForm = serde_json::from_str(
            r#"{"subdomain":"acme","clientId":"handoff_console","clientSecret":"s3cret-value","defaultAgentId":null,"baseUrl":null}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let token: ConnectForm = serde_json::from_str(
            r#"{"subdomain":"acme","email":"a@b.c","token":"t0ken-value","defaultAgentId":null,"baseUrl":null}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let printed = format!("{oauth:?} {token:?}");
        assert!(
            !printed.contains("s3cret-value") && !printed.contains("t0ken-value"),
            "{printed}"
        );
        let input = OAuthConnectInput::from(oauth);
        assert_eq!(input.grant, GrantKind::AuthorizationCode);
        assert_eq!(
            input.client_secret.map(|s| s.expose_secret().to_owned()),
            Some("s3cret-value".into())
        );
        let blank: OAuthForm = serde_json::from_str(
            r#"{"subdomain":"acme","clientId":"handoff_console","clientSecret":"  ","defaultAgentId":null,"baseUrl":null}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            OAuthConnectInput::from(blank).client_secret.is_none(),
            "a blank secret means a public client"
        );
    }
}
