//! What setup made in Zendesk, and the end-to-end verifications' results.
//!
//! Invariant: a row in `setup_objects` is written right after Zendesk answered the create (or the adoption was
//! decided), before anything else is done with the object, so a crash never leaves an object of ours that the
//! next run does not know; and setup changes or deletes only objects named here.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// A Zendesk object setup made or adopted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupObjectRow {
    /// `webhook` or `trigger`.
    pub kind: String,
    /// Zendesk's id (a ULID for webhooks, a number for triggers), as text.
    pub zendesk_id: String,
    /// `created` or `adopted`.
    pub origin: String,
    /// When it was recorded (RFC 3339).
    pub at: String,
}

/// One end-to-end verification's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationRow {
    pub started_at: String,
    pub finished_at: String,
    pub passed: bool,
    /// The step that failed, when one did.
    pub failed_step: Option<String>,
    /// What was found (one line).
    pub detail: Option<String>,
}

impl Store {
    /// The object of `kind` setup made or adopted, if any.
    pub fn setup_object(&self, kind: &str) -> Result<Option<SetupObjectRow>, StoreError> {
        Ok(self
            .lock()?
            .query_row(
                "SELECT kind, zendesk_id, origin, at FROM setup_objects WHERE kind = ?1",
                params![kind],
                |row| {
                    Ok(SetupObjectRow {
                        kind: row.get(0)?,
                        zendesk_id: row.get(1)?,
                        origin: row.get(2)?,
                        at: row.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records (or replaces) the object of `kind`.
    pub fn record_setup_object(&self, row: &SetupObjectRow) -> Result<(), StoreError> {
        self.lock()?.execute(
            "INSERT INTO setup_objects (kind, zendesk_id, origin, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind) DO UPDATE SET zendesk_id = excluded.zendesk_id, origin = excluded.origin,
                                              at = excluded.at",
            params![row.kind, row.zendesk_id, row.origin, row.at],
        )?;
        Ok(())
    }

    /// Forgets the object of `kind` (it was deleted, by us or in Zendesk).
    pub fn forget_setup_object(&self, kind: &str) -> Result<(), StoreError> {
        self.lock()?
            .execute("DELETE FROM setup_objects WHERE kind = ?1", params![kind])?;
        Ok(())
    }

    /// Keeps a verification's result.
    pub fn record_verification(&self, row: &VerificationRow) -> Result<(), StoreError> {
        self.lock()?.execute(
            "INSERT INTO verifications (started_at, finished_at, passed, failed_step, detail)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                row.started_at,
                row.finished_at,
                row.passed,
                row.failed_step,
                row.detail
            ],
        )?;
        Ok(())
    }

    /// The newest verification, if one ever ran.
    pub fn last_verification(&self) -> Result<Option<VerificationRow>, StoreError> {
        Ok(self
            .lock()?
            .query_row(
                "SELECT started_at, finished_at, passed, failed_step, detail FROM verifications
                 ORDER BY id DESC LIMIT 1",
                [],
                |row| {
                    Ok(VerificationRow {
                        started_at: row.get(0)?,
                        finished_at: row.get(1)?,
                        passed: row.get(2)?,
                        failed_step: row.get(3)?,
                        detail: row.get(4)?,
                    })
                },
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_recorded_replaced_and_forgotten() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.setup_object("webhook").ok(), Some(None));
        let row = |id: &str, origin: &str| SetupObjectRow {
            kind: "webhook".into(),
            zendesk_id: id.into(),
            origin: origin.into(),
            at: "2026-12-01T10:00:00Z".into(),
        };
        for (id, origin) in [("01A", "created"), ("01B", "adopted")] {
            store
                .record_setup_object(&row(id, origin))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                store.setup_object("webhook").ok().flatten(),
                Some(row(id, origin))
            );
        }
        store
            .forget_setup_object("webhook")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.setup_object("webhook").ok(), Some(None));

        assert_eq!(store.last_verification().ok(), Some(None));
        for passed in [false, true] {
            let row = VerificationRow {
                started_at: "2026-12-01T10:00:00Z".into(),
                finished_at: "2026-12-01T10:00:03Z".into(),
                passed,
                failed_step: (!passed).then(|| "webhook".into()),
                detail: None,
            };
            store
                .record_verification(&row)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(store.last_verification().ok().flatten(), Some(row));
        }
    }
}
