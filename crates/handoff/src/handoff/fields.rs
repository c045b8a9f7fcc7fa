//! The custom-field seam: mapped Zendesk custom fields are filled by a [`FieldValues`] when a ticket's content
//! is drafted. The default fills nothing; `crate::fields::values_for` is the real one (the admin's mappings,
//! filled offline or by an LLM), and after the create the worker reads the values back (`crate::fields::readback`).
//!
//! Invariant: the values are asked for once per job and kept with the job's draft, so a retry sends exactly the
//! same ticket (Zendesk refuses a repeated Idempotency-Key with another body).

use futures::future::BoxFuture;
use zendesk::CustomFieldValue;

use crate::session::Session;

/// Fills mapped custom fields from a session.
pub trait FieldValues: Send + Sync {
    /// The values to write on the session's ticket; empty when nothing is mapped or nothing fits.
    fn values<'a>(&'a self, session: &'a Session) -> BoxFuture<'a, Vec<CustomFieldValue>>;
}

/// Fills no field.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFieldValues;

impl FieldValues for NoFieldValues {
    fn values<'a>(&'a self, _session: &'a Session) -> BoxFuture<'a, Vec<CustomFieldValue>> {
        Box::pin(async { Vec::new() })
    }
}
