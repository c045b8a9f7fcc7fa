//! The settings table: plain text values by key; `crate::settings` types and validates them.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

impl Store {
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .lock()?
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                params![key],
                |row| row.get(0),
            )
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.lock()?.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Forgets a setting: it reads as its default again.
    pub fn unset_setting(&self, key: &str) -> Result<(), StoreError> {
        self.lock()?
            .execute("DELETE FROM settings WHERE key = ?1", params![key])?;
        Ok(())
    }
}
