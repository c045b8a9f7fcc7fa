//! What the account holds, read once: setup plans from it and the checklist judges it.
//!
//! Invariant: one Zendesk read per object per observation. The webhook is read once (by its stored id, or the
//! list when none is stored), its signing secret once, the triggers once (ours by id, or the whole list when
//! the caller needs every trigger), the invocations once (their newest page), and the relay is probed once.
//! Every item of the checklist is evaluated from these; none reads Zendesk on its own.

use futures::{StreamExt as _, TryStreamExt as _};
use zendesk::{Client, Invocation, SigningSecret, Trigger, Webhook};

use super::spec;

/// What a read of one object found.
#[derive(Debug)]
pub enum Found<T> {
    /// Setup recorded an id and Zendesk has the object.
    Present(T),
    /// Setup recorded an id, and Zendesk says there is no such object (deleted in Admin Center).
    Gone { id: String },
    /// Setup never recorded one.
    NotSetUp,
    /// Zendesk could not be asked, or refused to show it.
    Unreadable(ReadError),
}

impl<T> Found<T> {
    pub fn present(&self) -> Option<&T> {
        match self {
            Found::Present(value) => Some(value),
            _ => None,
        }
    }
}

/// How much to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// Every trigger (the checklist, the double-delivery fix), not only ours.
    pub all_triggers: bool,
    /// The webhook's newest invocations.
    pub invocations: bool,
}

/// How many of the newest invocations are judged: one page, Zendesk keeps 7 days.
pub const RECENT_INVOCATIONS: usize = 100;

/// The account as read.
#[derive(Debug)]
pub struct Observation {
    /// Our webhook, by its stored id.
    pub webhook: Found<Webhook>,
    /// When none is stored: a trigger-connected webhook that already points at our current URL (the oldest
    /// active one), which setup adopts instead of making a second.
    pub adoptable_webhook: Option<Webhook>,
    /// Zendesk's signing secret of our webhook, when it is present.
    pub signing_secret: Option<Result<SigningSecret, ReadError>>,
    /// Our trigger, by its stored id.
    pub trigger: Found<Trigger>,
    /// When none is stored: a trigger with our title that notifies our (or the adoptable) webhook.
    pub adoptable_trigger: Option<Trigger>,
    /// Every trigger, when asked for (`None` when not read; `Some(Err)` when the read failed).
    pub all_triggers: Option<Result<Vec<Trigger>, ReadError>>,
    /// The webhook's newest invocations, newest first, when asked for.
    pub invocations: Option<Result<Vec<Invocation>, ReadError>>,
    /// How many Zendesk requests this observation made.
    pub reads: usize,
}

/// Reads what setup and the checklist need. `url` is the webhook URL (`None` before the first URL key exists,
/// in a dry run: nothing can point at it yet).
pub async fn observe(
    client: &Client,
    webhook_id: Option<&str>,
    trigger_id: Option<u64>,
    url: Option<&str>,
    reads: Reads,
) -> Observation {
    // Every trigger is read whatever the webhook turns out to be, so that read runs beside the webhook's; the
    // signing secret and the invocations need the webhook present, so they run together after it. The count
    // of requests is the same as one after the other.
    let listing = async {
        if reads.all_triggers {
            Some(client.all_triggers().await.map_err(ReadError::from))
        } else {
            None
        }
    };
    let (hook, early_list) = tokio::join!(webhook_reads(client, webhook_id, url, reads), listing);
    let WebhookReads {
        webhook,
        adoptable_webhook,
        signing_secret,
        invocations,
        mut count,
        list_failed,
    } = hook;
    if early_list.is_some() {
        count += 1;
    }
    if let Some(error) = list_failed {
        return Observation {
            webhook: Found::Unreadable(error),
            adoptable_webhook: None,
            signing_secret: None,
            trigger: Found::NotSetUp,
            adoptable_trigger: None,
            all_triggers: None,
            invocations: None,
            reads: count,
        };
    }
    // Triggers: ours by id, unless every trigger is read anyway (or ours is unknown and one might be adopted).
    let hook_id = webhook
        .present()
        .or(adoptable_webhook.as_ref())
        .map(|w| w.id.clone());
    let must_list = reads.all_triggers || (trigger_id.is_none() && hook_id.is_some());
    let mut all_triggers = None;
    let mut trigger = Found::NotSetUp;
    if must_list {
        let listed = match early_list {
            Some(listed) => listed,
            None => {
                count += 1;
                client.all_triggers().await.map_err(ReadError::from)
            }
        };
        if let (Some(id), Ok(list)) = (trigger_id, &listed) {
            trigger = match list.iter().find(|t| t.id == id) {
                Some(found) => Found::Present(found.clone()),
                None => Found::Gone { id: id.to_string() },
            };
        } else if let (Some(_), Err(error)) = (trigger_id, &listed) {
            trigger = Found::Unreadable(error.clone());
        }
        all_triggers = Some(listed);
    } else if let Some(id) = trigger_id {
        count += 1;
        trigger = match client.show_trigger(id).await {
            Ok(found) => Found::Present(found),
            Err(zendesk::Error::NotFound { .. }) => Found::Gone { id: id.to_string() },
            Err(error) => Found::Unreadable(error.into()),
        };
    }
    // A stored trigger that is gone: look for a twin only when the list was read anyway (one read per object).
    let adoptable_trigger = match (&trigger, &all_triggers, &hook_id) {
        (Found::NotSetUp | Found::Gone { .. }, Some(Ok(list)), Some(hook_id)) => list
            .iter()
            .find(|t| {
                t.title == spec::TRIGGER_TITLE
                    && t.actions
                        .iter()
                        .any(|a| a.webhook_id() == Some(hook_id.as_str()))
            })
            .cloned(),
        _ => None,
    };
    Observation {
        webhook,
        adoptable_webhook,
        signing_secret,
        trigger,
        adoptable_trigger,
        all_triggers,
        invocations,
        reads: count,
    }
}

/// What the webhook's reads found.
struct WebhookReads {
    webhook: Found<Webhook>,
    adoptable_webhook: Option<Webhook>,
    signing_secret: Option<Result<SigningSecret, ReadError>>,
    invocations: Option<Result<Vec<Invocation>, ReadError>>,
    count: usize,
    /// Nothing is recorded and the list of webhooks could not be read: nothing can be judged.
    list_failed: Option<ReadError>,
}

/// The webhook (by id, or the one to adopt), then its signing secret and invocations side by side.
async fn webhook_reads(
    client: &Client,
    webhook_id: Option<&str>,
    url: Option<&str>,
    reads: Reads,
) -> WebhookReads {
    let mut count = 0;
    let mut adoptable_webhook = None;
    let webhook = match webhook_id {
        Some(id) => {
            count += 1;
            match client.show_webhook(id).await {
                Ok(webhook) => Found::Present(webhook),
                Err(zendesk::Error::NotFound { .. }) => Found::Gone { id: id.to_owned() },
                Err(error) => Found::Unreadable(error.into()),
            }
        }
        None => Found::NotSetUp,
    };
    // A stored webhook that is gone may have a twin at our URL (made by hand from the manual guide): adopt it
    // rather than make a third.
    if matches!(webhook, Found::NotSetUp | Found::Gone { .. }) {
        if let Some(url) = url {
            count += 1;
            match client.list_webhooks(None).await {
                Ok(list) => adoptable_webhook = adoptable(list, url),
                Err(error) if matches!(webhook, Found::NotSetUp) => {
                    return WebhookReads {
                        webhook,
                        adoptable_webhook: None,
                        signing_secret: None,
                        invocations: None,
                        count,
                        list_failed: Some(error.into()),
                    };
                }
                Err(error) => tracing::warn!(%error, "could not list the webhooks"),
            }
        }
    }
    let (signing_secret, invocations) = match webhook.present() {
        Some(webhook) => {
            let secret = async {
                client
                    .webhook_signing_secret(&webhook.id)
                    .await
                    .map_err(ReadError::from)
            };
            let invocations = async {
                if reads.invocations {
                    Some(
                        client
                            .webhook_invocations(&webhook.id)
                            .take(RECENT_INVOCATIONS)
                            .try_collect::<Vec<_>>()
                            .await
                            .map_err(ReadError::from),
                    )
                } else {
                    None
                }
            };
            let (secret, invocations) = tokio::join!(secret, invocations);
            count += 1 + usize::from(invocations.is_some());
            (Some(secret), invocations)
        }
        None => (None, None),
    };
    WebhookReads {
        webhook,
        adoptable_webhook,
        signing_secret,
        invocations,
        count,
        list_failed: None,
    }
}

/// The webhook to adopt among `list`: trigger-connected, pointing at exactly `url`; active ones first, then
/// the oldest.
fn adoptable(mut list: Vec<Webhook>, url: &str) -> Option<Webhook> {
    list.retain(|w| w.endpoint == url && w.subscriptions == spec::SUBSCRIPTIONS);
    list.sort_by(|a, b| {
        let inactive = |w: &Webhook| w.status != zendesk::WebhookStatus::Active;
        (inactive(a), &a.created_at, &a.id).cmp(&(inactive(b), &b.created_at, &b.id))
    });
    list.into_iter().next()
}

/// Why an object could not be read, kept as its class and Zendesk's words (`zendesk::Error` is not `Clone`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub kind: ReadFailure,
    pub message: String,
}

/// The classes a caller acts on differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFailure {
    /// No answer, a 5xx or a rate limit: ask again later.
    Unreachable,
    /// Zendesk no longer accepts the credentials: sign in again.
    ReconnectRequired,
    /// Zendesk answered no (a role without access, a missing scope, ...).
    Refused,
}

impl From<zendesk::Error> for ReadError {
    fn from(error: zendesk::Error) -> ReadError {
        use zendesk::Error as E;
        let kind = match &error {
            E::Network { .. } | E::Timeout | E::Server { .. } | E::RateLimited { .. } => {
                ReadFailure::Unreachable
            }
            E::BadCredentials { .. } => ReadFailure::ReconnectRequired,
            _ => ReadFailure::Refused,
        };
        ReadError {
            kind,
            message: error.to_string(),
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
