//! The Settings screen's shapes: every setting as the engine reads it, what a URL-key rotation and a signing-secret
//! reset did, and a disconnect's plan, steps and report. No field can hold a secret: the rotated URL is redacted
//! by the core, and the keychain entries a disconnect wipes are named, never read.

use handoff::disconnect::{Plan, Report, Step};
use handoff::rotate::{SigningSecretReset, UrlKeyRotation, WebhookMove};
use handoff::session::Channel;
use handoff::settings::Overview;
use serde::Serialize;

use super::UserView;

/// Every setting, with the default agent, the folders, and whether the webhook (and so its signing secret)
/// exists.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    tag_prefix: String,
    ticket_every_conversation: bool,
    public_url: String,
    /// No public URL is set: it is the relay's own address, which only this machine can reach.
    public_url_is_local: bool,
    /// Empty when replies are only recorded on the session.
    outbound_url: String,
    llm_url: String,
    llm_model: String,
    /// Every channel, in the product's order, with who delivers its replies: `platform` or `zendesk`.
    channels: Vec<ChannelDeliveryView>,
    listen_address: String,
    default_agent: Option<UserView>,
    data_folder: String,
    logs_folder: String,
    webhook_set_up: bool,
    url_key_grace_hours: i64,
}

#[derive(Debug, Serialize)]
pub struct ChannelDeliveryView {
    channel: &'static str,
    delivers: &'static str,
}

impl From<&Overview> for SettingsView {
    fn from(overview: &Overview) -> Self {
        SettingsView {
            tag_prefix: overview.tag_prefix.clone(),
            ticket_every_conversation: overview.ticket_every_conversation,
            public_url: overview
                .public_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            public_url_is_local: overview.public_url_is_local_default,
            outbound_url: overview
                .outbound_url
                .as_ref()
                .map(|url| url.to_string())
                .unwrap_or_default(),
            llm_url: overview
                .llm_url
                .as_ref()
                .map(|url| url.to_string())
                .unwrap_or_default(),
            llm_model: overview.llm_model.clone().unwrap_or_default(),
            channels: Channel::ALL
                .iter()
                .map(|channel| ChannelDeliveryView {
                    channel: channel.as_str(),
                    delivers: if overview.zendesk_delivers.contains(channel) {
                        "zendesk"
                    } else {
                        "platform"
                    },
                })
                .collect(),
            listen_address: overview.listen_address.to_string(),
            default_agent: overview.default_agent.as_ref().map(UserView::from),
            data_folder: overview.data_folder.display().to_string(),
            logs_folder: overview.logs_folder.display().to_string(),
            webhook_set_up: overview.webhook_set_up,
            url_key_grace_hours: overview.url_key_grace.as_hours(),
        }
    }
}

/// What a URL-key rotation did: the new URL (redacted), until when the old one opens, and what became of our
/// webhook (`moved`, `not_set_up`, `gone`, or `failed` with the reason).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UrlKeyRotationView {
    key_id: String,
    url: String,
    previous_valid_until: String,
    webhook: &'static str,
    reason: Option<String>,
}

impl From<&UrlKeyRotation> for UrlKeyRotationView {
    fn from(rotation: &UrlKeyRotation) -> Self {
        let (webhook, reason) = match &rotation.webhook {
            WebhookMove::Moved { .. } => ("moved", None),
            WebhookMove::NotSetUp => ("not_set_up", None),
            WebhookMove::Gone { .. } => ("gone", None),
            WebhookMove::Failed { reason, .. } => ("failed", Some(reason.clone())),
        };
        UrlKeyRotationView {
            key_id: rotation.key_id.clone(),
            url: rotation.url.clone(),
            previous_valid_until: rotation.previous_valid_until.to_string(),
            webhook,
            reason,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningSecretResetView {
    webhook_id: String,
}

impl From<&SigningSecretReset> for SigningSecretResetView {
    fn from(reset: &SigningSecretReset) -> Self {
        SigningSecretResetView {
            webhook_id: reset.webhook_id.clone(),
        }
    }
}

/// What a disconnect will delete in Zendesk and here, and what stays.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisconnectPlanView {
    account: String,
    auth_method: &'static str,
    trigger: Option<String>,
    webhook: Option<String>,
    revoke_token: bool,
    /// The keychain entries wiped, by name.
    keychain: Vec<&'static str>,
    kept: Vec<String>,
}

impl From<&Plan> for DisconnectPlanView {
    fn from(plan: &Plan) -> Self {
        DisconnectPlanView {
            account: plan.account.clone(),
            auth_method: plan.auth_method.as_str(),
            trigger: plan.trigger.clone(),
            webhook: plan.webhook.clone(),
            revoke_token: plan.revoke_token,
            keychain: plan.keychain.clone(),
            kept: plan.kept.clone(),
        }
    }
}

/// One step of a disconnect: `running`, `done`, `warning` (done as far as it could be; the detail says what to
/// finish by hand), `skipped` or `failed`.
#[derive(Debug, Clone, Serialize)]
pub struct DisconnectStepView {
    id: &'static str,
    state: &'static str,
    detail: String,
}

impl From<&Step> for DisconnectStepView {
    fn from(step: &Step) -> Self {
        DisconnectStepView {
            id: step.id.as_str(),
            state: step.state.as_str(),
            detail: step.detail.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DisconnectReportView {
    steps: Vec<DisconnectStepView>,
}

impl From<&Report> for DisconnectReportView {
    fn from(report: &Report) -> Self {
        DisconnectReportView {
            steps: report.steps.iter().map(DisconnectStepView::from).collect(),
        }
    }
}
