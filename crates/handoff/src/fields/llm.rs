//! The LLM filler: any OpenAI-compatible endpoint (`POST {base}/v1/chat/completions`), asked for structured
//! output whose JSON schema makes each dropdown's answer an `enum` of its option values (or null), and each
//! text answer a bounded string.
//!
//! One request for all mapped fields, with a timeout and one retry (after a timeout, a network failure, a 429,
//! a 5xx or an answer that is not the JSON asked for). On any failure the offline filler answers instead, and
//! the why says so; a value outside the enum, a display name, or a confidence below the threshold is never
//! written (see `filler::validate`): that field gets the offline answer or stays empty. Never a guess.
//!
//! The key is read from the keychain at each fill and sent only in the `Authorization` header; it never
//! appears in errors, logs or `Debug` output.

use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use url::Url;
use zendesk::SecretString;

use super::catalog::Fillable;
use super::conversation::Conversation;
use super::filler::{validate, Fill, Filler, Target, CONFIDENCE_THRESHOLD, MAX_TEXT_CHARS};
use super::offline::OfflineFiller;
use crate::keychain::{Keychain, SecretName};

/// How long one request may take before it counts as failed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Where and what to ask.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// The endpoint's base (`https://api.openai.com`, `https://host/v1`, `http://127.0.0.1:11434`).
    pub base_url: Url,
    pub model: String,
    pub timeout: Duration,
}

impl LlmConfig {
    /// `{base}/v1/chat/completions`, or `{base}/chat/completions` when the base already ends in `/v1`.
    pub fn endpoint(&self) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        if base.ends_with("/v1") {
            format!("{base}/chat/completions")
        } else {
            format!("{base}/v1/chat/completions")
        }
    }
}

/// Where the key comes from.
#[derive(Clone)]
pub enum LlmKey {
    /// Read from the keychain at each fill (the product's case).
    Keychain(Keychain),
    /// Given (tests, one-off runs).
    Given(SecretString),
}

/// The LLM filler. See the module docs.
#[derive(Clone)]
pub struct LlmFiller {
    config: LlmConfig,
    key: LlmKey,
    http: reqwest::Client,
}

impl std::fmt::Debug for LlmFiller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmFiller")
            .field("endpoint", &self.config.endpoint())
            .field("model", &self.config.model)
            .finish_non_exhaustive()
    }
}

/// Why a request gave no usable answer (shown in the why, so it never holds the key or a body).
#[derive(Debug, thiserror::Error)]
enum LlmError {
    #[error("no LLM key in the keychain: set one with `handoff llm-key set --stdin`")]
    NoKey,
    #[error("the keychain could not be read ({0})")]
    Keychain(String),
    #[error("the endpoint did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the endpoint could not be reached ({0})")]
    Network(String),
    #[error("the endpoint answered HTTP {0}")]
    Status(u16),
    #[error("the endpoint's answer was not the JSON asked for ({0})")]
    Malformed(String),
}

impl LlmError {
    /// Whether one more try may help.
    fn retryable(&self) -> bool {
        match self {
            LlmError::Timeout(_) | LlmError::Network(_) | LlmError::Malformed(_) => true,
            LlmError::Status(status) => *status == 429 || *status >= 500,
            LlmError::NoKey | LlmError::Keychain(_) => false,
        }
    }
}

/// What the model said for one field.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    value: Option<String>,
    confidence: f64,
    why: String,
}

impl LlmFiller {
    pub fn new(config: LlmConfig, key: LlmKey) -> LlmFiller {
        // No redirects: a redirect could carry the key to another host.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        LlmFiller { config, key, http }
    }

    async fn key(&self) -> Result<SecretString, LlmError> {
        match &self.key {
            LlmKey::Given(key) => Ok(key.clone()),
            LlmKey::Keychain(keychain) => match keychain.get(SecretName::LlmApiKey).await {
                Ok(Some(key)) => Ok(key),
                Ok(None) => Err(LlmError::NoKey),
                Err(error) => Err(LlmError::Keychain(error.to_string())),
            },
        }
    }

    /// The request body: the conversation, the fields with their descriptions, and the schema.
    pub fn request_body(&self, conversation: &Conversation, targets: &[Target]) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut fields = Vec::new();
        for target in targets {
            let key = format!("field_{}", target.field_id);
            let value_schema = match target.kind {
                Fillable::Dropdown => {
                    let mut values: Vec<Value> = target
                        .options
                        .iter()
                        .map(|option| json!(option.value))
                        .collect();
                    values.push(Value::Null);
                    json!({ "type": ["string", "null"], "enum": values })
                }
                Fillable::Text => {
                    json!({ "type": ["string", "null"], "maxLength": MAX_TEXT_CHARS })
                }
            };
            properties.insert(
                key.clone(),
                json!({
                    "type": "object",
                    "properties": {
                        "value": value_schema,
                        "confidence": { "type": "number", "minimum": 0, "maximum": 1 },
                        "why": { "type": "string" },
                    },
                    "required": ["value", "confidence", "why"],
                    "additionalProperties": false,
                }),
            );
            required.push(json!(key));
            let options: Vec<String> = target
                .options
                .iter()
                .map(|o| format!("{} = {}", o.value, o.name))
                .collect();
            fields.push(match target.kind {
                Fillable::Dropdown => format!(
                    "- {key} (dropdown \"{}\"): {}\n  Answer with one option value (the part before `=`), or null when unsure. Options: {}",
                    target.title,
                    target.description,
                    options.join("; ")
                ),
                Fillable::Text => format!(
                    "- {key} (text \"{}\"): {}\n  Answer with one short line (at most {MAX_TEXT_CHARS} characters), or null when unsure.",
                    target.title, target.description
                ),
            });
        }
        json!({
            "model": self.config.model,
            "temperature": 0,
            "messages": [
                {
                    "role": "system",
                    "content": "You fill Zendesk ticket fields from a support conversation. Use only what the conversation says. \
                                For each field give the value, your confidence between 0 and 1, and a short reason. \
                                When the conversation does not say, answer null with a low confidence.",
                },
                {
                    "role": "user",
                    "content": format!("Fields:\n{}\n\nConversation:\n{}", fields.join("\n"), conversation.transcript()),
                },
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "ticket_fields",
                    "strict": true,
                    "schema": {
                        "type": "object",
                        "properties": properties,
                        "required": required,
                        "additionalProperties": false,
                    },
                },
            },
        })
    }

    async fn ask_once(
        &self,
        body: &Value,
        key: &SecretString,
    ) -> Result<Map<String, Value>, LlmError> {
        let request = self
            .http
            .post(self.config.endpoint())
            .bearer_auth(key.expose_secret())
            .timeout(self.config.timeout)
            .json(body);
        let response = request.send().await.map_err(|error| {
            if error.is_timeout() {
                LlmError::Timeout(self.config.timeout)
            } else {
                LlmError::Network(without_url(&error))
            }
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(LlmError::Status(status.as_u16()));
        }
        let answer: Value = response.json().await.map_err(|error| {
            if error.is_timeout() {
                LlmError::Timeout(self.config.timeout)
            } else {
                LlmError::Malformed("the body is not JSON".to_owned())
            }
        })?;
        let content = answer
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .ok_or_else(|| LlmError::Malformed("no choices[0].message.content".to_owned()))?;
        match serde_json::from_str::<Value>(content) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(LlmError::Malformed(
                "the content is not a JSON object".to_owned(),
            )),
            Err(_) => Err(LlmError::Malformed("the content is not JSON".to_owned())),
        }
    }

    /// The model's answers, asked at most twice.
    async fn ask(
        &self,
        conversation: &Conversation,
        targets: &[Target],
    ) -> Result<Map<String, Value>, LlmError> {
        let key = self.key().await?;
        let body = self.request_body(conversation, targets);
        match self.ask_once(&body, &key).await {
            Ok(answers) => Ok(answers),
            Err(error) if error.retryable() => {
                tracing::info!(%error, "the LLM endpoint failed; one retry");
                self.ask_once(&body, &key).await
            }
            Err(error) => Err(error),
        }
    }
}

/// A reqwest error's text without its URL (the URL holds no key, but messages stay short and alike).
fn without_url(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "the endpoint");
    }
    if let Some(source) = error.source() {
        text = format!("{text}: {source}");
    }
    text.chars().take(200).collect()
}

fn parse_answer(raw: Option<&Value>) -> Option<Answer> {
    let raw = raw?.as_object()?;
    let value = match raw.get("value")? {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        _ => return None,
    };
    let confidence = raw.get("confidence")?.as_f64()?;
    let why = raw
        .get("why")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    Some(Answer {
        value,
        confidence,
        why,
    })
}

impl Filler for LlmFiller {
    fn fill<'a>(
        &'a self,
        conversation: &'a Conversation,
        targets: &'a [Target],
    ) -> BoxFuture<'a, Vec<Fill>> {
        Box::pin(async move {
            if targets.is_empty() {
                return Vec::new();
            }
            let offline = |target: &Target, prefix: String| {
                let fill = validate(target, OfflineFiller.fill_one(conversation, target));
                Fill {
                    why: format!("{prefix}; offline: {}", fill.why),
                    ..fill
                }
            };
            let answers = match self.ask(conversation, targets).await {
                Ok(answers) => answers,
                Err(error) => {
                    tracing::warn!(%error, "the LLM filler failed; the offline filler answers");
                    return targets
                        .iter()
                        .map(|target| offline(target, format!("the LLM failed: {error}")))
                        .collect();
                }
            };
            targets
                .iter()
                .map(|target| {
                    let key = format!("field_{}", target.field_id);
                    let Some(answer) = parse_answer(answers.get(&key)) else {
                        return offline(
                            target,
                            "the LLM gave no usable answer for this field".to_owned(),
                        );
                    };
                    let Some(value) = answer.value else {
                        return Fill::empty(
                            target.field_id,
                            answer.confidence.clamp(0.0, 1.0),
                            format!("the LLM was not sure: {}", answer.why),
                        );
                    };
                    let proposed = Fill {
                        field_id: target.field_id,
                        value: Some(value.clone()),
                        score: answer.confidence,
                        why: format!("LLM: {}", answer.why),
                    };
                    let checked = validate(target, proposed);
                    match (&checked.value, answer.confidence >= CONFIDENCE_THRESHOLD) {
                        (Some(_), _) => checked,
                        // The model was unsure: empty, as it said.
                        (None, false) => checked,
                        // The model answered something that may not be written: the offline answer instead.
                        (None, true) => {
                            offline(target, format!("the LLM's answer was {}", checked.why))
                        }
                    }
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_the_base_plus_the_chat_path() {
        // (base URL, endpoint)
        let table = [
            (
                "https://api.openai.com",
                "https://api.openai.com/v1/chat/completions",
            ),
            (
                "https://api.openai.com/",
                "https://api.openai.com/v1/chat/completions",
            ),
            (
                "https://api.openai.com/v1",
                "https://api.openai.com/v1/chat/completions",
            ),
            (
                "http://127.0.0.1:8080/proxy/v1/",
                "http://127.0.0.1:8080/proxy/v1/chat/completions",
            ),
        ];
        for (base, endpoint) in table {
            let config = LlmConfig {
                base_url: Url::parse(base).unwrap_or_else(|e| panic!("{e}")),
                model: "m".into(),
                timeout: DEFAULT_TIMEOUT,
            };
            assert_eq!(config.endpoint(), endpoint, "{base}");
        }
    }
}
