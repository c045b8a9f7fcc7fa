//! The webhook endpoint: `POST /zendesk/{org_id}/{key_id}.{tag}` on the API's server.
//!
//! Order of checks: the URL (constant-time tag against every active key), then Zendesk's signature over the raw
//! bytes when the signing secret is known, then the body is read (never rejected for its content: an
//! unreadable signed body is kept and shown). Persist, then acknowledge: the 200 goes out only once the
//! delivery's row is committed; a storage failure answers 503 so Zendesk retries. A repeated invocation id is
//! a no-op 200. Every refusal is a 4xx (404 for a URL that is not ours, 401 for a bad signature) whose reason
//! is logged and kept for the console, and which never reveals what was expected.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tokio::sync::{Notify, RwLock};

use super::keys::{RelayKeyError, RelaySecrets, GRACE};
use super::metrics::RelayMetrics;
use super::payload::{self, Notification};
use super::signature::{self, SigningSecrets};
use super::url::{self, UrlKey, UrlRejection};
use crate::api::ApiState;
use crate::clock::Clock;
use crate::store::{DeliveryWriter, NewDelivery, Store};

/// Keys and secrets are read again at most this often when a delivery does not match them (a rotation made by
/// another process, `handoff setup` fetching the signing secret), unless the data folder says they changed
/// (`relay_secrets_version`, bumped by every rotation): then at once, so a rotated secret is accepted from the
/// first delivery signed with it.
const RELOAD_EVERY: Duration = Duration::from_secs(5);

/// The relay's intake: what the endpoint checks deliveries against, and where it stores them.
#[derive(Clone)]
pub struct RelayIntake {
    org_id: String,
    loaded: Arc<RwLock<Loaded>>,
    secrets: RelaySecrets,
    store: Store,
    writer: DeliveryWriter,
    wake: Arc<Notify>,
    metrics: RelayMetrics,
    clock: Clock,
}

struct Loaded {
    keys: Vec<UrlKey>,
    signing: Option<SigningSecrets>,
    at: Instant,
    /// The data folder's `relay_secrets_version` when these were read.
    version: i64,
}

impl RelayIntake {
    /// Loads the URL keys (making the first one) and the signing secret; refuses to start with a key that is
    /// empty or short, or a signing secret that is empty.
    pub async fn open(
        org_id: &str,
        store: &Store,
        secrets: RelaySecrets,
        clock: Clock,
        metrics: RelayMetrics,
        wake: Arc<Notify>,
    ) -> Result<RelayIntake, RelayKeyError> {
        let version = store.relay_secrets_version()?;
        let keys = secrets.url_keys().await?;
        let signing = secrets.signing_secrets().await?;
        let writer = DeliveryWriter::spawn(store.path())?;
        Ok(RelayIntake {
            org_id: org_id.to_owned(),
            loaded: Arc::new(RwLock::new(Loaded {
                keys,
                signing,
                at: Instant::now(),
                version,
            })),
            secrets,
            store: store.clone(),
            writer,
            wake,
            metrics,
            clock,
        })
    }

    pub fn metrics(&self) -> &RelayMetrics {
        &self.metrics
    }

    /// The path of the current webhook URL (for tests and the console).
    pub async fn current_path(&self) -> Option<String> {
        let loaded = self.loaded.read().await;
        loaded
            .keys
            .iter()
            .find(|key| key.retired_at.is_none())
            .map(|key| url::webhook_path(&self.org_id, key))
    }

    /// Reads the keys and secrets again unless that was done moments ago; `true` when it did.
    async fn reload(&self) -> bool {
        let mut loaded = self.loaded.write().await;
        // One small SQLite read: a forged request costs no keychain call unless a rotation really happened.
        let version = self.store.relay_secrets_version().unwrap_or(loaded.version);
        if loaded.at.elapsed() < RELOAD_EVERY && version == loaded.version {
            return false;
        }
        loaded.at = Instant::now();
        loaded.version = version;
        match (
            self.secrets.url_keys().await,
            self.secrets.signing_secrets().await,
        ) {
            (Ok(keys), Ok(signing)) => {
                loaded.keys = keys;
                loaded.signing = signing;
                true
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "could not read the relay's keys again");
                false
            }
        }
    }

    async fn check_url(&self, path: &str) -> Result<String, UrlRejection> {
        let parsed = url::parse_path(path)?;
        for attempt in 0..2 {
            let verdict = {
                let loaded = self.loaded.read().await;
                url::verify(&parsed, &self.org_id, &loaded.keys, self.clock.now(), GRACE)
            };
            match verdict {
                Err(UrlRejection::UnknownKey(_) | UrlRejection::BadTag)
                    if attempt == 0 && self.reload().await => {}
                other => return other,
            }
        }
        Err(UrlRejection::BadTag)
    }

    /// `Ok(true)`: signed and verified; `Ok(false)`: no signing secret known yet.
    async fn check_signature(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<bool, signature::SignatureRejection> {
        for attempt in 0..2 {
            let verdict = {
                let loaded = self.loaded.read().await;
                loaded
                    .signing
                    .as_ref()
                    .map(|secrets| signature::verify(secrets, headers, body, self.clock.now()))
            };
            match verdict {
                None if attempt == 0 && self.reload().await => {}
                None => return Ok(false),
                Some(Err(signature::SignatureRejection::Mismatch))
                    if attempt == 0 && self.reload().await => {}
                Some(result) => return result.map(|()| true),
            }
        }
        Err(signature::SignatureRejection::Mismatch)
    }
}

/// The webhook endpoint's handler.
pub async fn receive(State(api): State<Arc<ApiState>>, request: Request) -> Response {
    let Some(intake) = api.relay.as_ref() else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"code": "not_found", "message": "this server runs no relay"}})),
        )
            .into_response();
    };
    // The address and headers are moved out of the request: the `Uri` and `HeaderMap` extractors would clone
    // them for every delivery. The body is read as the `Bytes` extractor reads it, under the same size limit.
    let (mut parts, body) = request.into_parts();
    let uri = std::mem::take(&mut parts.uri);
    let headers = std::mem::take(&mut parts.headers);
    let body = match Bytes::from_request(Request::from_parts(parts, body), &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let received_at = intake.clock.now();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 100 && v.bytes().all(|b| b.is_ascii_graphic()))
            .map(str::to_owned)
    };
    let invocation_id = header("x-zendesk-webhook-invocation-id");
    let webhook_id = header("x-zendesk-webhook-id");
    let rejected = |reason: String, key_id: Option<String>| NewDelivery {
        invocation_id: invocation_id.clone(),
        webhook_id: webhook_id.clone(),
        received_at,
        rejection: Some(reason),
        key_id,
        signed: false,
        body: Vec::new(),
        ticket_id: None,
        external_id: None,
        state: "rejected",
        outcome: None,
    };
    let key_id = match intake.check_url(uri.path()).await {
        Ok(key_id) => key_id,
        Err(rejection) => {
            refuse(intake, rejected(rejection.to_string(), None)).await;
            return answer(
                StatusCode::NOT_FOUND,
                "not_found",
                "there is no webhook endpoint at this address",
            );
        }
    };
    let signed = match intake.check_signature(&headers, &body).await {
        Ok(signed) => signed,
        Err(rejection) => {
            refuse(intake, rejected(rejection.to_string(), Some(key_id))).await;
            return answer(
                StatusCode::UNAUTHORIZED,
                "bad_signature",
                &rejection.to_string(),
            );
        }
    };
    let (state, ticket_id, external_id, outcome) = match payload::parse(&body) {
        Notification::Ticket {
            ticket_id,
            external_id,
            ..
        } => ("queued", Some(ticket_id), external_id, None),
        Notification::Unreadable { reason } => ("unreadable", None, None, Some(reason)),
    };
    let delivery = NewDelivery {
        invocation_id,
        webhook_id,
        received_at,
        rejection: None,
        key_id: Some(key_id),
        signed,
        body: body.to_vec(),
        ticket_id,
        external_id,
        state,
        outcome,
    };
    match intake.writer.store(delivery).await {
        Ok(stored) => {
            if stored.duplicate {
                intake.metrics.delivery("duplicate");
            } else {
                intake.metrics.delivery("accepted");
                if state == "queued" {
                    intake.wake.notify_one();
                }
            }
            (
                StatusCode::OK,
                Json(Received {
                    received: true,
                    delivery: stored.id,
                    duplicate: stored.duplicate,
                }),
            )
                .into_response()
        }
        Err(error) => {
            tracing::error!(%error, "a delivery could not be stored; Zendesk will retry it");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the delivery could not be stored; it will be retried",
            )
        }
    }
}

/// The acknowledgement of a stored delivery.
#[derive(serde::Serialize)]
struct Received {
    received: bool,
    /// The delivery's id in the console.
    delivery: i64,
    /// The invocation was stored before; nothing new was queued.
    duplicate: bool,
}

async fn refuse(intake: &RelayIntake, delivery: NewDelivery) {
    intake.metrics.delivery("rejected");
    tracing::warn!(
        reason = delivery.rejection.as_deref().unwrap_or_default(),
        "refused a webhook delivery"
    );
    if let Err(error) = intake.writer.store(delivery).await {
        tracing::warn!(%error, "could not keep a refused delivery for the console");
    }
}

fn answer(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}
