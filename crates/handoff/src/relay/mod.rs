//! Reply sync (SPEC §4, §8): the signed webhook URL Zendesk posts to, Zendesk's own signature on each
//! delivery, and what a delivery announces.
//!
//! - [`url`]: `{public_url}/zendesk/{org_id}/{key_id}.{tag}`, its keys and their grace period.
//! - [`signature`]: `X-Zendesk-Webhook-Signature` over the raw body, ±5 min, fail closed.
//! - [`payload`]: the trigger's JSON body and its parser.

pub mod payload;
pub mod signature;
pub mod url;
