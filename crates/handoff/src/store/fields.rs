//! AI Fields: the cached ticket-field catalog, the mappings, and the values Zendesk dropped; `crate::fields`
//! gives them meaning.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// A ticket field as cached. `options` is JSON `[{"name","value"}]` (empty for fields without options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRow {
    pub id: u64,
    pub title: String,
    pub kind: String,
    pub active: bool,
    pub system: bool,
    pub position: i64,
    pub options: String,
}

/// A mapping as stored: the admin's description, and the field as it was when mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRow {
    pub field_id: u64,
    pub description: String,
    pub title: String,
    pub kind: String,
    /// JSON list of the option values the field had when mapped.
    pub option_values: String,
    pub mapped_at: String,
}

/// A value a ticket write sent that Zendesk's answer did not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedValueRow {
    pub session_id: String,
    pub ticket_id: u64,
    pub field_id: u64,
    /// The value sent, as JSON.
    pub sent: String,
    /// What the ticket held instead, as JSON (`None`: no entry for the field at all).
    pub returned: Option<String>,
    pub at: String,
}

impl Store {
    /// Replaces the cached catalog with `rows`, fetched at `fetched_at`, in one transaction: a reader sees the
    /// old catalog or the new one, never half of each.
    pub fn replace_ticket_fields(
        &self,
        rows: &[FieldRow],
        fetched_at: &str,
    ) -> Result<(), StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        tx.execute("DELETE FROM ticket_fields", [])?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO ticket_fields (id, title, type, active, system, position, options)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for row in rows {
                insert.execute(params![
                    row.id as i64,
                    row.title,
                    row.kind,
                    row.active,
                    row.system,
                    row.position,
                    row.options
                ])?;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO ticket_fields_fetch (id, fetched_at) VALUES (1, ?1)",
            params![fetched_at],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The cached catalog in display order, and when it was fetched (`None`: never).
    pub fn ticket_fields(&self) -> Result<(Vec<FieldRow>, Option<String>), StoreError> {
        let sqlite = self.lock()?;
        let fetched_at: Option<String> = sqlite
            .query_row(
                "SELECT fetched_at FROM ticket_fields_fetch WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let mut statement = sqlite.prepare(
            "SELECT id, title, type, active, system, position, options FROM ticket_fields
             ORDER BY position, id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(FieldRow {
                id: row.get::<_, i64>(0)? as u64,
                title: row.get(1)?,
                kind: row.get(2)?,
                active: row.get(3)?,
                system: row.get(4)?,
                position: row.get(5)?,
                options: row.get(6)?,
            })
        })?;
        Ok((rows.collect::<Result<Vec<_>, _>>()?, fetched_at))
    }

    /// Creates or replaces the mapping of `row.field_id`.
    pub fn save_mapping(&self, row: &MappingRow) -> Result<(), StoreError> {
        self.lock()?.execute(
            "INSERT OR REPLACE INTO field_mappings (field_id, description, title, type, option_values, mapped_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                row.field_id as i64,
                row.description,
                row.title,
                row.kind,
                row.option_values,
                row.mapped_at
            ],
        )?;
        Ok(())
    }

    /// Removes a mapping; `false` when there was none.
    pub fn delete_mapping(&self, field_id: u64) -> Result<bool, StoreError> {
        let removed = self.lock()?.execute(
            "DELETE FROM field_mappings WHERE field_id = ?1",
            params![field_id as i64],
        )?;
        Ok(removed > 0)
    }

    /// Every mapping, oldest first.
    pub fn mappings(&self) -> Result<Vec<MappingRow>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement = sqlite.prepare(
            "SELECT field_id, description, title, type, option_values, mapped_at FROM field_mappings
             ORDER BY mapped_at, field_id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(MappingRow {
                field_id: row.get::<_, i64>(0)? as u64,
                description: row.get(1)?,
                title: row.get(2)?,
                kind: row.get(3)?,
                option_values: row.get(4)?,
                mapped_at: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Records values Zendesk dropped from a ticket write (a repeat of the same session, ticket and field
    /// replaces the earlier record).
    pub fn record_dropped_values(&self, rows: &[DroppedValueRow]) -> Result<(), StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        for row in rows {
            tx.execute(
                "INSERT OR REPLACE INTO dropped_field_values (session_id, ticket_id, field_id, sent, returned, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    row.session_id,
                    row.ticket_id as i64,
                    row.field_id as i64,
                    row.sent,
                    row.returned,
                    row.at
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Dropped values recorded at or after `since` (RFC 3339; `None`: all), newest first, at most `limit`.
    pub fn dropped_values(
        &self,
        since: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DroppedValueRow>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement = sqlite.prepare(
            "SELECT session_id, ticket_id, field_id, sent, returned, at FROM dropped_field_values
             WHERE ?1 IS NULL OR at >= ?1 ORDER BY at DESC, ticket_id DESC LIMIT ?2",
        )?;
        let rows = statement.query_map(params![since, limit as i64], |row| {
            Ok(DroppedValueRow {
                session_id: row.get(0)?,
                ticket_id: row.get::<_, i64>(1)? as u64,
                field_id: row.get::<_, i64>(2)? as u64,
                sent: row.get(3)?,
                returned: row.get(4)?,
                at: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}
