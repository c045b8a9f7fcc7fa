//! The sessions API's bearer keys: only a SHA-256 hash of each key is stored (the key itself is shown once).

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// One key as stored: never the key, only what identifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    pub id: String,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl Store {
    pub fn insert_api_key(
        &self,
        id: &str,
        label: &str,
        hash: &str,
        created_at: &str,
    ) -> Result<(), StoreError> {
        self.lock()?.execute(
            "INSERT INTO api_keys (id, label, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id, label, hash, created_at],
        )?;
        Ok(())
    }

    pub fn api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement = sqlite.prepare(
            "SELECT id, label, created_at, revoked_at FROM api_keys ORDER BY created_at, id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(ApiKeyRow {
                id: row.get(0)?,
                label: row.get(1)?,
                created_at: row.get(2)?,
                revoked_at: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The id of the key whose hash is `hash`, when it is not revoked.
    pub fn live_api_key(&self, hash: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .lock()?
            .query_row(
                "SELECT id FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL",
                params![hash],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Revokes key `id`; `false` when there is no such key (revoking twice is not an error).
    pub fn revoke_api_key(&self, id: &str, revoked_at: &str) -> Result<bool, StoreError> {
        let changed = self.lock()?.execute(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
            params![id, revoked_at],
        )?;
        Ok(changed > 0)
    }
}
