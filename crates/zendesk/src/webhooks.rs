//! The Webhooks API: list, create, show, patch, delete, signing secret, test, invocations and attempts.
//!
//! Shapes follow the recordings (FACTS §5): ids are 26-character ULID strings, `created_by` is a string,
//! update and patch answer 204 with no body, and credentials never echo back.

use std::collections::BTreeMap;

use futures::stream::BoxStream;
use futures::TryStreamExt as _;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::client::Request;
use crate::pagination::{with_query, MAX_PAGE_SIZE};
use crate::rate_limit::Endpoint;
use crate::{Client, Error, SecretString};

/// A webhook as the API returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct Webhook {
    /// A ULID string such as `01HANAHAFTBVF1NA2AVFK4W763`.
    pub id: String,
    /// The name (not unique).
    pub name: String,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// `active` or `inactive`.
    pub status: WebhookStatus,
    /// `["conditional_ticket_events"]` for webhooks that triggers and automations call.
    #[serde(default)]
    pub subscriptions: Vec<String>,
    /// The URL Zendesk calls.
    pub endpoint: String,
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
    pub http_method: String,
    /// `json`, `xml`, `form_encoded`.
    pub request_format: String,
    /// How Zendesk authenticates to the endpoint; secrets are never echoed. Absent with no auth.
    #[serde(default)]
    pub authentication: Option<WebhookAuthInfo>,
    /// Extra headers Zendesk sends.
    #[serde(default)]
    pub custom_headers: Option<BTreeMap<String, String>>,
    /// Nanosecond precision on create, seconds on show.
    #[serde(default)]
    pub created_at: Option<String>,
    /// A user id as a string (`"-1"` is Zendesk itself).
    #[serde(default)]
    pub created_by: Option<String>,
    /// Present after an update.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Present after an update.
    #[serde(default)]
    pub updated_by: Option<String>,
}

/// Whether Zendesk sends to the webhook.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookStatus {
    /// Sending.
    Active,
    /// Not sending.
    Inactive,
}

impl WebhookStatus {
    fn as_str(&self) -> &'static str {
        match self {
            WebhookStatus::Active => "active",
            WebhookStatus::Inactive => "inactive",
        }
    }
}

/// The non-secret part of a webhook's authentication, as answered.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookAuthInfo {
    /// `basic_auth`, `bearer_token`, `api_key`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `header`.
    #[serde(default)]
    pub add_position: Option<String>,
    /// The non-secret data (the basic-auth username); passwords and tokens are dropped by Zendesk.
    #[serde(default)]
    pub data: Option<Value>,
}

/// Credentials Zendesk sends to the webhook's endpoint.
#[derive(Debug, Clone)]
pub enum WebhookAuth {
    /// HTTP Basic.
    Basic {
        /// The username.
        username: String,
        /// The password.
        password: SecretString,
    },
    /// `Authorization: Bearer <token>`.
    BearerToken {
        /// The token.
        token: SecretString,
    },
    /// A named header carrying a key.
    ApiKey {
        /// The header name.
        name: String,
        /// The key.
        value: SecretString,
    },
}

impl WebhookAuth {
    /// The request JSON. The secret goes into the body here and only here.
    fn to_json(&self) -> Value {
        let (kind, data) = match self {
            WebhookAuth::Basic { username, password } => (
                "basic_auth",
                json!({ "username": username, "password": password.expose_secret() }),
            ),
            WebhookAuth::BearerToken { token } => {
                ("bearer_token", json!({ "token": token.expose_secret() }))
            }
            WebhookAuth::ApiKey { name, value } => (
                "api_key",
                json!({ "name": name, "value": value.expose_secret() }),
            ),
        };
        json!({ "type": kind, "data": data, "add_position": "header" })
    }
}

/// A webhook to create.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    /// The name.
    pub name: String,
    /// The description.
    pub description: Option<String>,
    /// The URL Zendesk calls.
    pub endpoint: String,
    /// `POST` for trigger-connected JSON webhooks.
    pub http_method: String,
    /// `json` for trigger-connected webhooks.
    pub request_format: String,
    /// Usually active.
    pub status: WebhookStatus,
    /// `["conditional_ticket_events"]` to connect triggers; the connection method cannot change later.
    pub subscriptions: Vec<String>,
    /// Credentials for the endpoint, if it needs any.
    pub authentication: Option<WebhookAuth>,
    /// Extra headers.
    pub custom_headers: BTreeMap<String, String>,
}

impl NewWebhook {
    /// A JSON POST webhook that triggers can call, active, without credentials.
    pub fn for_triggers(name: &str, endpoint: &str) -> NewWebhook {
        NewWebhook {
            name: name.to_owned(),
            description: None,
            endpoint: endpoint.to_owned(),
            http_method: "POST".to_owned(),
            request_format: "json".to_owned(),
            status: WebhookStatus::Active,
            subscriptions: vec!["conditional_ticket_events".to_owned()],
            authentication: None,
            custom_headers: BTreeMap::new(),
        }
    }

    fn to_json(&self) -> Value {
        let mut webhook = Map::new();
        webhook.insert("name".to_owned(), json!(self.name));
        if let Some(description) = &self.description {
            webhook.insert("description".to_owned(), json!(description));
        }
        webhook.insert("endpoint".to_owned(), json!(self.endpoint));
        webhook.insert("http_method".to_owned(), json!(self.http_method));
        webhook.insert("request_format".to_owned(), json!(self.request_format));
        webhook.insert("status".to_owned(), json!(self.status.as_str()));
        webhook.insert("subscriptions".to_owned(), json!(self.subscriptions));
        if let Some(auth) = &self.authentication {
            webhook.insert("authentication".to_owned(), auth.to_json());
        }
        if !self.custom_headers.is_empty() {
            webhook.insert("custom_headers".to_owned(), json!(self.custom_headers));
        }
        json!({ "webhook": webhook })
    }
}

/// Fields to change with PATCH; unset fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New endpoint.
    pub endpoint: Option<String>,
    /// New status.
    pub status: Option<WebhookStatus>,
    /// New method.
    pub http_method: Option<String>,
    /// New format.
    pub request_format: Option<String>,
    /// New credentials.
    pub authentication: Option<WebhookAuth>,
    /// New extra headers (replaces the set).
    pub custom_headers: Option<BTreeMap<String, String>>,
}

impl WebhookPatch {
    fn to_json(&self) -> Value {
        let mut webhook = Map::new();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                webhook.insert(key.to_owned(), value);
            }
        };
        put("name", self.name.as_ref().map(|v| json!(v)));
        put("description", self.description.as_ref().map(|v| json!(v)));
        put("endpoint", self.endpoint.as_ref().map(|v| json!(v)));
        put("status", self.status.as_ref().map(|v| json!(v.as_str())));
        put("http_method", self.http_method.as_ref().map(|v| json!(v)));
        put(
            "request_format",
            self.request_format.as_ref().map(|v| json!(v)),
        );
        put(
            "authentication",
            self.authentication.as_ref().map(WebhookAuth::to_json),
        );
        put(
            "custom_headers",
            self.custom_headers.as_ref().map(|v| json!(v)),
        );
        json!({ "webhook": webhook })
    }
}

/// The key Zendesk signs deliveries with (`base64(HMAC-SHA256(secret, timestamp + body))`).
#[derive(Debug, Clone, Deserialize)]
pub struct SigningSecret {
    /// The secret, used as-is as the HMAC key.
    pub secret: SecretString,
    /// `SHA256`.
    pub algorithm: String,
}

/// A test request for `POST /api/v2/webhooks/test`; unset fields come from the webhook named by `webhook_id`.
#[derive(Debug, Clone, Default)]
pub struct WebhookTest {
    /// Test an existing webhook (its method, format, auth and secret are used unless overridden).
    pub webhook_id: Option<String>,
    /// The endpoint to call.
    pub endpoint: Option<String>,
    /// The method.
    pub http_method: Option<String>,
    /// The format.
    pub request_format: Option<String>,
    /// The body to send, as a string.
    pub payload: Option<String>,
    /// Extra headers.
    pub custom_headers: BTreeMap<String, String>,
    /// URL parameters.
    pub query_parameters: Vec<(String, String)>,
    /// Credentials.
    pub authentication: Option<WebhookAuth>,
}

impl WebhookTest {
    fn to_json(&self) -> Value {
        let mut request = Map::new();
        if let Some(endpoint) = &self.endpoint {
            request.insert("endpoint".to_owned(), json!(endpoint));
        }
        if let Some(method) = &self.http_method {
            request.insert("http_method".to_owned(), json!(method));
        }
        if let Some(format) = &self.request_format {
            request.insert("request_format".to_owned(), json!(format));
        }
        if let Some(payload) = &self.payload {
            request.insert("payload".to_owned(), json!(payload));
        }
        if !self.custom_headers.is_empty() {
            request.insert("custom_headers".to_owned(), json!(self.custom_headers));
        }
        if !self.query_parameters.is_empty() {
            let pairs: Vec<Value> = self
                .query_parameters
                .iter()
                .map(|(key, value)| json!({ "key": key, "value": value }))
                .collect();
            request.insert("query_parameters".to_owned(), Value::Array(pairs));
        }
        if let Some(auth) = &self.authentication {
            request.insert("authentication".to_owned(), auth.to_json());
        }
        json!({ "request": request })
    }
}

/// A header as the Webhooks API lists them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HeaderPair {
    /// The name.
    pub key: String,
    /// The value.
    pub value: String,
}

/// What the endpoint answered to a test.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookTestResponse {
    /// The endpoint's HTTP status.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// The endpoint's headers.
    #[serde(default)]
    pub headers: Vec<HeaderPair>,
    /// The endpoint's body.
    #[serde(default)]
    pub payload: Option<String>,
}

/// One invocation of a webhook (kept 7 days).
#[derive(Debug, Clone, Deserialize)]
pub struct Invocation {
    /// A ULID.
    pub id: String,
    /// `success`, `terminated`, `throttled`, `circuit broken`, `failed`, `timeout`, …
    pub status: String,
    /// The endpoint's last HTTP status, when it answered.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// When the last attempt completed.
    #[serde(default)]
    pub latest_completed_at: Option<String>,
}

/// One delivery attempt of an invocation, with the request sent and the answer received.
#[derive(Debug, Clone, Deserialize)]
pub struct Attempt {
    /// The attempt's id.
    pub id: String,
    /// The invocation.
    #[serde(default)]
    pub invocation_id: Option<String>,
    /// As for invocations.
    pub status: String,
    /// The endpoint's HTTP status.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// What Zendesk sent.
    #[serde(default)]
    pub request: Option<AttemptMessage>,
    /// What the endpoint answered.
    #[serde(default)]
    pub response: Option<AttemptMessage>,
    /// When it completed.
    #[serde(default)]
    pub completed_at: Option<String>,
}

/// Headers and body of one side of an attempt.
#[derive(Debug, Clone, Deserialize)]
pub struct AttemptMessage {
    /// Headers in order.
    #[serde(default)]
    pub headers: Vec<HeaderPair>,
    /// The body.
    #[serde(default)]
    pub payload: Option<String>,
}

#[derive(Deserialize)]
struct WebhookEnvelope {
    webhook: Webhook,
}

#[derive(Deserialize)]
struct SigningSecretEnvelope {
    signing_secret: SigningSecret,
}

#[derive(Deserialize)]
struct TestEnvelope {
    response: WebhookTestResponse,
}

#[derive(Deserialize)]
struct AttemptList {
    attempts: Vec<Attempt>,
}

fn webhook_path(id: &str) -> Result<String, Error> {
    // Ids are ULIDs; anything else would change the path (a `/` or `?`) and must not reach the URL.
    if id.is_empty() || !id.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        return Err(Error::InvalidConfig {
            detail: format!("{id:?} is not a webhook id"),
        });
    }
    Ok(format!("/api/v2/webhooks/{id}"))
}

impl Client {
    /// GET /api/v2/webhooks, optionally filtered by name, as a stream.
    pub fn webhooks(
        &self,
        name_contains: Option<&str>,
    ) -> BoxStream<'static, Result<Webhook, Error>> {
        let size = MAX_PAGE_SIZE.to_string();
        let mut pairs = vec![("page[size]", size.as_str())];
        if let Some(name) = name_contains {
            pairs.push(("filter[name_contains]", name));
        }
        let path = with_query("/api/v2/webhooks", &pairs);
        self.cursor_stream(
            Request::get(path, "webhooks").on(Endpoint::Webhooks),
            "webhooks",
        )
    }

    /// Every webhook, optionally filtered by name.
    pub async fn list_webhooks(&self, name_contains: Option<&str>) -> Result<Vec<Webhook>, Error> {
        self.webhooks(name_contains).try_collect().await
    }

    /// POST /api/v2/webhooks (201).
    pub async fn create_webhook(&self, webhook: &NewWebhook) -> Result<Webhook, Error> {
        let request = Request::new(Method::POST, "/api/v2/webhooks", "the new webhook")
            .with_body(webhook.to_json())
            .on(Endpoint::Webhooks);
        let envelope: WebhookEnvelope = self.json(&request).await?;
        Ok(envelope.webhook)
    }

    /// GET /api/v2/webhooks/{id}.
    pub async fn show_webhook(&self, id: &str) -> Result<Webhook, Error> {
        let request =
            Request::get(webhook_path(id)?, format!("webhook {id}")).on(Endpoint::Webhooks);
        let envelope: WebhookEnvelope = self.json(&request).await?;
        Ok(envelope.webhook)
    }

    /// PATCH /api/v2/webhooks/{id} (204, no body: show the webhook to see the result).
    pub async fn patch_webhook(&self, id: &str, patch: &WebhookPatch) -> Result<(), Error> {
        let request = Request::new(Method::PATCH, webhook_path(id)?, format!("webhook {id}"))
            .with_body(patch.to_json())
            .on(Endpoint::Webhooks);
        self.send(&request).await?;
        Ok(())
    }

    /// DELETE /api/v2/webhooks/{id} (204). Delete the triggers that call it first.
    pub async fn delete_webhook(&self, id: &str) -> Result<(), Error> {
        let request = Request::new(Method::DELETE, webhook_path(id)?, format!("webhook {id}"))
            .on(Endpoint::Webhooks);
        self.send(&request).await?;
        Ok(())
    }

    /// GET /api/v2/webhooks/{id}/signing_secret.
    pub async fn webhook_signing_secret(&self, id: &str) -> Result<SigningSecret, Error> {
        let path = format!("{}/signing_secret", webhook_path(id)?);
        let request = Request::get(path, format!("webhook {id}")).on(Endpoint::Webhooks);
        let envelope: SigningSecretEnvelope = self.json(&request).await?;
        Ok(envelope.signing_secret)
    }

    /// POST /api/v2/webhooks/{id}/signing_secret (201): a new secret; the old one stops validating.
    pub async fn reset_webhook_signing_secret(&self, id: &str) -> Result<SigningSecret, Error> {
        let path = format!("{}/signing_secret", webhook_path(id)?);
        let request =
            Request::new(Method::POST, path, format!("webhook {id}")).on(Endpoint::Webhooks);
        let envelope: SigningSecretEnvelope = self.json(&request).await?;
        Ok(envelope.signing_secret)
    }

    /// POST /api/v2/webhooks/test[?webhook_id=]: Zendesk calls the endpoint now and reports its answer.
    pub async fn test_webhook(&self, test: &WebhookTest) -> Result<WebhookTestResponse, Error> {
        let path = match &test.webhook_id {
            Some(id) => {
                webhook_path(id)?;
                with_query("/api/v2/webhooks/test", &[("webhook_id", id)])
            }
            None => "/api/v2/webhooks/test".to_owned(),
        };
        let request = Request::new(Method::POST, path, "the webhook test")
            .with_body(test.to_json())
            .on(Endpoint::WebhookTest);
        let envelope: TestEnvelope = self.json(&request).await?;
        Ok(envelope.response)
    }

    /// GET /api/v2/webhooks/{id}/invocations, newest first, as a stream (Zendesk keeps 7 days).
    pub fn webhook_invocations(&self, id: &str) -> BoxStream<'static, Result<Invocation, Error>> {
        let path = match webhook_path(id) {
            Ok(path) => path,
            Err(error) => return Box::pin(futures::stream::once(async { Err(error) })),
        };
        let path = with_query(
            &format!("{path}/invocations"),
            &[
                ("page[size]", &MAX_PAGE_SIZE.to_string()),
                ("sort", "-latest_completed_at"),
            ],
        );
        self.cursor_stream(
            Request::get(path, format!("webhook {id}")).on(Endpoint::Webhooks),
            "invocations",
        )
    }

    /// GET /api/v2/webhooks/{id}/invocations/{invocation_id}/attempts.
    pub async fn webhook_invocation_attempts(
        &self,
        id: &str,
        invocation_id: &str,
    ) -> Result<Vec<Attempt>, Error> {
        webhook_path(invocation_id)?;
        let path = format!("{}/invocations/{invocation_id}/attempts", webhook_path(id)?);
        let request =
            Request::get(path, format!("invocation {invocation_id}")).on(Endpoint::Webhooks);
        let list: AttemptList = self.json(&request).await?;
        Ok(list.attempts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_match_the_recorded_shapes() {
        // Recorded create request (FACTS §5), the password included: it must reach Zendesk.
        let mut webhook = NewWebhook::for_triggers("Example Webhook", "https://example.com");
        webhook.http_method = "GET".to_owned();
        webhook.description = Some("Description".to_owned());
        webhook.authentication = Some(WebhookAuth::Basic {
            username: "john_smith".to_owned(),
            password: SecretString::from("hello_123"),
        });
        assert_eq!(
            webhook.to_json(),
            json!({"webhook":{"name":"Example Webhook","description":"Description","endpoint":"https://example.com","http_method":"GET","request_format":"json","status":"active","subscriptions":["conditional_ticket_events"],"authentication":{"type":"basic_auth","data":{"username":"john_smith","password":"hello_123"},"add_position":"header"}}})
        );
        assert!(
            !format!("{webhook:?}").contains("hello_123"),
            "Debug hides the password"
        );

        let test = WebhookTest {
            endpoint: Some("https://example.org".to_owned()),
            request_format: Some("json".to_owned()),
            http_method: Some("GET".to_owned()),
            ..WebhookTest::default()
        };
        assert_eq!(
            test.to_json(),
            json!({"request":{"endpoint":"https://example.org","request_format":"json","http_method":"GET"}})
        );
        assert_eq!(WebhookTest::default().to_json(), json!({"request":{}}));
        let patch = WebhookPatch {
            name: Some("A new name".to_owned()),
            ..WebhookPatch::default()
        };
        assert_eq!(patch.to_json(), json!({"webhook":{"name":"A new name"}}));
    }

    #[test]
    fn webhook_ids_cannot_change_the_path() {
        for bad in ["", "../users", "01H?x=1", "01H/attempts"] {
            assert!(
                matches!(webhook_path(bad), Err(Error::InvalidConfig { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(
            webhook_path("01HANAHAFTBVF1NA2AVFK4W763").unwrap(),
            "/api/v2/webhooks/01HANAHAFTBVF1NA2AVFK4W763"
        );
    }
}
