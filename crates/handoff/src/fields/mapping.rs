//! Mappings: which fields the AI fills, with the admin's description of what goes in them; and drift, what
//! changed in Zendesk under a mapping since it was made.

use jiff::Timestamp;

use super::catalog::{Catalog, Field};
use super::FieldsError;
use crate::store::{DroppedValueRow, MappingRow, Store, StoreError};

/// The description field's placeholder: the seed's example for a "Reason" dropdown.
pub const DESCRIPTION_PLACEHOLDER: &str =
    "The primary reason the contact is writing. Pick the closest match from the allowed values.";

/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;

/// A mapped field: its id, the description, and the field as it was when mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub field_id: u64,
    pub description: String,
    pub title: String,
    pub kind: String,
    /// The option values the dropdown had when mapped.
    pub option_values: Vec<String>,
    pub mapped_at: String,
}

impl Mapping {
    fn from_row(row: MappingRow) -> Result<Mapping, StoreError> {
        let option_values = serde_json::from_str(&row.option_values).map_err(|e| {
            StoreError::Corrupt(format!(
                "field_mappings.option_values of {}: {e}",
                row.field_id
            ))
        })?;
        Ok(Mapping {
            field_id: row.field_id,
            description: row.description,
            title: row.title,
            kind: row.kind,
            option_values,
            mapped_at: row.mapped_at,
        })
    }
}

/// Every mapping, oldest first.
pub fn mappings(store: &Store) -> Result<Vec<Mapping>, StoreError> {
    store
        .mappings()?
        .into_iter()
        .map(Mapping::from_row)
        .collect()
}

/// Maps `field_id` (a mappable field of `catalog`) with `description`, replacing an earlier mapping of it.
pub fn map(
    store: &Store,
    catalog: &Catalog,
    field_id: u64,
    description: &str,
    now: Timestamp,
) -> Result<Mapping, FieldsError> {
    let field = catalog
        .field(field_id)
        .ok_or(FieldsError::UnknownField(field_id))?;
    if let Some(reason) = field.reason() {
        return Err(FieldsError::NotMappable {
            id: field.id,
            title: field.title.clone(),
            reason,
        });
    }
    let description = description.trim();
    if description.is_empty() {
        return Err(FieldsError::Invalid(format!(
            "describe what the AI should fill in \"{}\", for example: {DESCRIPTION_PLACEHOLDER}",
            field.title
        )));
    }
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(FieldsError::Invalid(format!(
            "the description has {} characters; keep it under {MAX_DESCRIPTION_CHARS}",
            description.chars().count()
        )));
    }
    if description
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldsError::Invalid(
            "the description holds control characters; type it as plain text".to_owned(),
        ));
    }
    let option_values: Vec<String> = field.options.iter().map(|o| o.value.clone()).collect();
    let mapping = Mapping {
        field_id: field.id,
        description: description.to_owned(),
        title: field.title.clone(),
        kind: field.kind.clone(),
        option_values: option_values.clone(),
        mapped_at: now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    };
    store.save_mapping(&MappingRow {
        field_id: mapping.field_id,
        description: mapping.description.clone(),
        title: mapping.title.clone(),
        kind: mapping.kind.clone(),
        option_values: serde_json::to_string(&option_values)
            .map_err(|e| FieldsError::Invalid(e.to_string()))?,
        mapped_at: mapping.mapped_at.clone(),
    })?;
    Ok(mapping)
}

/// What changed in Zendesk under a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftKind {
    /// The field is gone from the account.
    Missing,
    /// The field was deactivated.
    Inactive,
    /// Options the mapping was made with are gone.
    OptionsRemoved { values: Vec<String> },
    /// The field can no longer be filled (its type changed, its options are all gone, ...).
    NotMappable { reason: String },
}

/// One mapped field's drift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDrift {
    pub field_id: u64,
    /// The title as mapped (the field may be gone).
    pub title: String,
    pub kind: DriftKind,
}

impl FieldDrift {
    /// What the admin reads: what changed and what to do.
    pub fn message(&self) -> String {
        let title = &self.title;
        match &self.kind {
            DriftKind::Missing => format!(
                "\"{title}\" ({}) no longer exists in Zendesk: unmap it, or map the field that replaced it",
                self.field_id
            ),
            DriftKind::Inactive => format!(
                "\"{title}\" is inactive in Zendesk: the AI leaves it empty until it is active again, or unmap it"
            ),
            DriftKind::OptionsRemoved { values } => format!(
                "\"{title}\" lost the options {} since it was mapped: the AI no longer picks them; check the description",
                values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
            ),
            DriftKind::NotMappable { reason } => {
                format!("\"{title}\" can no longer be filled: {reason}")
            }
        }
    }
}

/// Each mapped field's drift against `catalog` (fields without drift are left out).
pub fn field_drift(mappings: &[Mapping], catalog: &Catalog) -> Vec<FieldDrift> {
    mappings
        .iter()
        .filter_map(|mapping| {
            let kind = drift_of(mapping, catalog.field(mapping.field_id))?;
            Some(FieldDrift {
                field_id: mapping.field_id,
                title: mapping.title.clone(),
                kind,
            })
        })
        .collect()
}

fn drift_of(mapping: &Mapping, field: Option<&Field>) -> Option<DriftKind> {
    let Some(field) = field else {
        return Some(DriftKind::Missing);
    };
    if !field.active {
        return Some(DriftKind::Inactive);
    }
    let removed: Vec<String> = mapping
        .option_values
        .iter()
        .filter(|value| field.option(value).is_none())
        .cloned()
        .collect();
    if let Some(reason) = field.reason() {
        return Some(DriftKind::NotMappable {
            reason: reason.to_owned(),
        });
    }
    if !removed.is_empty() {
        return Some(DriftKind::OptionsRemoved { values: removed });
    }
    None
}

/// A value a ticket write sent that Zendesk dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedValue {
    pub session_id: String,
    pub ticket_id: u64,
    pub field_id: u64,
    pub sent: serde_json::Value,
    /// What the ticket held instead (`None`: no entry for the field).
    pub returned: Option<serde_json::Value>,
    pub at: String,
}

impl DroppedValue {
    fn from_row(row: DroppedValueRow) -> DroppedValue {
        DroppedValue {
            sent: serde_json::from_str(&row.sent).unwrap_or(serde_json::Value::String(row.sent)),
            returned: row
                .returned
                .map(|r| serde_json::from_str(&r).unwrap_or(serde_json::Value::String(r))),
            session_id: row.session_id,
            ticket_id: row.ticket_id,
            field_id: row.field_id,
            at: row.at,
        }
    }

    /// What the admin reads.
    pub fn message(&self, title: Option<&str>) -> String {
        let field = match title {
            Some(title) => format!("\"{title}\" ({})", self.field_id),
            None => format!("field {}", self.field_id),
        };
        format!(
            "Zendesk dropped {} from {field} on ticket #{}: the value is not (or no longer) one of the field's options; refresh the fields and check the mapping",
            self.sent, self.ticket_id
        )
    }
}

/// Values Zendesk dropped at or after `since` (all when `None`), newest first (at most 100).
pub fn dropped_values(
    store: &Store,
    since: Option<Timestamp>,
) -> Result<Vec<DroppedValue>, StoreError> {
    let since = since.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
    Ok(store
        .dropped_values(since.as_deref(), 100)?
        .into_iter()
        .map(DroppedValue::from_row)
        .collect())
}
