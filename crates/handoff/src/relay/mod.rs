//! Reply sync (SPEC §4, §8): the signed webhook URL Zendesk posts to, Zendesk's own signature on each
//! delivery, what a delivery announces, and what the relay makes of it.
//!
//! - [`url`]: `{public_url}/zendesk/{org_id}/{key_id}.{tag}`, its keys and their grace period.
//! - [`signature`]: `X-Zendesk-Webhook-Signature` over the raw body, ±5 min, fail closed.
//! - [`payload`]: the trigger's JSON body and its parser.
//! - [`keys`]: the relay's secrets in the keychain (URL keys, the signing secret, the outbound secret).
//! - [`receive`]: the endpoint: check, persist, then acknowledge.
//! - [`worker`]: stored deliveries -> the reps' public replies, read from the API -> agent turns.
//! - [`outbound`]: each reply to the AI platform's endpoint, signed, retried, dead-lettered.
//! - [`metrics`]: what `/metrics` shows.
//! - [`console`]: what the relay console shows (the URL, redacted unless asked for; the deliveries).

pub mod console;
pub mod keys;
pub mod metrics;
pub mod outbound;
pub mod payload;
pub mod receive;
pub mod signature;
pub mod url;
pub mod worker;
