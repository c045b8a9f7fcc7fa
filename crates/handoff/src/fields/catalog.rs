//! The account's ticket fields: loaded through the client's cursor stream, cached in SQLite with the time of
//! the fetch, and classified: which ones the AI may fill, and for the others, why not.

use std::time::Duration;

use futures::TryStreamExt as _;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::FieldsError;
use crate::store::{FieldRow, Store, StoreError};

/// A cached catalog older than this is fetched again before it is shown (fields change rarely; an admin who
/// just changed one clicks Refresh).
pub const STALE_AFTER: Duration = Duration::from_secs(15 * 60);

/// The types Zendesk sets itself or the handoff writes on its own (subject, description, status, ...).
const SYSTEM_TYPES: [&str; 10] = [
    "subject",
    "description",
    "status",
    "tickettype",
    "priority",
    "group",
    "assignee",
    "custom_status",
    "brand",
    "ticket_form",
];

/// One option of a dropdown: the label agents see and the tag written on the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOption {
    pub name: String,
    pub value: String,
}

/// How the AI fills a field, for the two kinds it may fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fillable {
    /// `tagger`: one of the options' `value`s.
    Dropdown,
    /// `text` and `textarea`: a short single line.
    Text,
}

/// A ticket field as the AI Fields screen and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub id: u64,
    pub title: String,
    /// Zendesk's type name (`tagger`, `text`, `multiselect`, `subject`, ...).
    pub kind: String,
    pub active: bool,
    /// A system field (Zendesk's own: subject, status, priority, ...).
    pub system: bool,
    pub position: i64,
    /// Dropdown and multi-select options (system fields' options are not listed).
    pub options: Vec<FieldOption>,
}

impl Field {
    /// How the AI would fill this field, or why it may not (one sentence an admin can act on).
    pub fn fillable(&self) -> Result<Fillable, &'static str> {
        if self.system || SYSTEM_TYPES.contains(&self.kind.as_str()) {
            return Err("a system field: Zendesk or the handoff itself sets it");
        }
        let fillable = match self.kind.as_str() {
            "tagger" => Fillable::Dropdown,
            "text" | "textarea" => Fillable::Text,
            "multiselect" => return Err("multi-select fields are not supported: the AI picks one value; use a dropdown"),
            "checkbox" => return Err("checkboxes are not supported: use a dropdown with Yes and No options, which can also stay empty"),
            "date" => return Err("date fields are not supported: conversations rarely state a date the AI could fill reliably"),
            "integer" | "decimal" => return Err("number fields are not supported: the AI fills dropdowns and short text"),
            "regexp" => return Err("pattern fields are not supported: a value failing the pattern would make Zendesk refuse the whole ticket"),
            "partialcreditcard" => return Err("credit card fields are never filled: card numbers must not pass through the AI"),
            "lookup" => return Err("lookup fields point at other Zendesk records (users, organizations); the AI cannot pick one"),
            _ => return Err("this field type is not supported: the AI fills dropdowns and text fields"),
        };
        if !self.active {
            return Err("inactive in Zendesk: activate it in Admin Center (Objects and rules > Tickets > Fields) to map it");
        }
        if fillable == Fillable::Dropdown && self.options.is_empty() {
            return Err("a dropdown without options: add options in Zendesk first");
        }
        Ok(fillable)
    }

    /// Whether the AI may fill it.
    pub fn mappable(&self) -> bool {
        self.fillable().is_ok()
    }

    /// Why the AI may not fill it; `None` when it may.
    pub fn reason(&self) -> Option<&'static str> {
        self.fillable().err()
    }

    /// The option whose `value` is `value`.
    pub fn option(&self, value: &str) -> Option<&FieldOption> {
        self.options.iter().find(|option| option.value == value)
    }

    fn from_zendesk(field: &zendesk::TicketField) -> Field {
        let options = field
            .custom_field_options
            .iter()
            .flatten()
            .map(|option| FieldOption {
                name: option.name.clone(),
                value: option.value.clone(),
            })
            .collect();
        Field {
            id: field.id,
            title: field.title.clone(),
            kind: field.kind.clone(),
            active: field.active,
            system: !field.removable,
            position: field.position.unwrap_or(i64::MAX / 2),
            options,
        }
    }

    fn to_row(&self) -> Result<FieldRow, FieldsError> {
        Ok(FieldRow {
            id: self.id,
            title: self.title.clone(),
            kind: self.kind.clone(),
            active: self.active,
            system: self.system,
            position: self.position,
            options: serde_json::to_string(&self.options)
                .map_err(|e| FieldsError::Invalid(format!("field {}: {e}", self.id)))?,
        })
    }

    fn from_row(row: FieldRow) -> Result<Field, StoreError> {
        let options = serde_json::from_str(&row.options).map_err(|e| {
            StoreError::Corrupt(format!("ticket_fields.options of {}: {e}", row.id))
        })?;
        Ok(Field {
            id: row.id,
            title: row.title,
            kind: row.kind,
            active: row.active,
            system: row.system,
            position: row.position,
            options,
        })
    }
}

/// The account's fields as last fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Every field Zendesk listed (system, custom, inactive), in Zendesk's display order.
    pub fields: Vec<Field>,
    pub fetched_at: Timestamp,
}

impl Catalog {
    pub fn field(&self, id: u64) -> Option<&Field> {
        self.fields.iter().find(|field| field.id == id)
    }

    /// Whether it is older than [`STALE_AFTER`] at `now`.
    pub fn stale(&self, now: Timestamp) -> bool {
        let age = now.duration_since(self.fetched_at);
        age.is_negative() || age > jiff::SignedDuration::from_secs(STALE_AFTER.as_secs() as i64)
    }
}

/// What a fetch did, for the benchmark and the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub catalog: Catalog,
    /// Fields in the answer.
    pub fields: usize,
    /// Options over all fields.
    pub options: usize,
}

/// Every field of the account through `client` (cursor pagination, 100 a page), cached at `now`.
pub async fn fetch(
    client: &zendesk::Client,
    store: &Store,
    now: Timestamp,
) -> Result<Fetched, FieldsError> {
    // Each field is converted as it arrives, while the client already waits for the next page: only the
    // SQLite commit is left once the last page is in.
    let (mut fields, rows) = client
        .ticket_fields()
        .map_err(FieldsError::Zendesk)
        .try_fold(
            (Vec::new(), Vec::new()),
            |(mut fields, mut rows), listed| async move {
                let field = Field::from_zendesk(&listed);
                rows.push(field.to_row()?);
                fields.push(field);
                Ok::<_, FieldsError>((fields, rows))
            },
        )
        .await?;
    fields.sort_by_key(|field| (field.position, field.id));
    let fetched_at = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    store
        .call(move |store| store.replace_ticket_fields(&rows, &fetched_at))
        .await?;
    let options = fields.iter().map(|field| field.options.len()).sum();
    Ok(Fetched {
        fields: fields.len(),
        options,
        catalog: Catalog {
            fields,
            // Stored at second precision; the catalog says what was stored.
            fetched_at: Timestamp::from_second(now.as_second()).unwrap_or(now),
        },
    })
}

/// The cached catalog, `None` when fields were never fetched.
pub fn cached(store: &Store) -> Result<Option<Catalog>, StoreError> {
    let (rows, fetched_at) = store.ticket_fields()?;
    let Some(fetched_at) = fetched_at else {
        return Ok(None);
    };
    let fetched_at = fetched_at.parse::<Timestamp>().map_err(|e| {
        StoreError::Corrupt(format!(
            "ticket_fields_fetch.fetched_at {fetched_at:?}: {e}"
        ))
    })?;
    let fields = rows
        .into_iter()
        .map(Field::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Catalog { fields, fetched_at }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: &str, active: bool, system: bool, options: usize) -> Field {
        Field {
            id: 1,
            title: "F".into(),
            kind: kind.into(),
            active,
            system,
            position: 0,
            options: (0..options)
                .map(|i| FieldOption {
                    name: format!("O{i}"),
                    value: format!("o{i}"),
                })
                .collect(),
        }
    }

    #[test]
    fn staleness_counts_from_the_fetch() {
        let fetched: Timestamp = "2026-11-24T10:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let catalog = Catalog {
            fields: vec![],
            fetched_at: fetched,
        };
        // (minutes after the fetch, stale)
        for (minutes, stale) in [(0, false), (14, false), (15, false), (16, true), (-1, true)] {
            let now = fetched + jiff::SignedDuration::from_mins(minutes);
            assert_eq!(catalog.stale(now), stale, "{minutes} min");
        }
    }

    #[test]
    fn only_active_dropdowns_with_options_and_text_fields_are_mappable() {
        // (type, active, system, options, mappable)
        let table = [
            ("tagger", true, false, 2, true),
            ("tagger", true, false, 0, false),
            ("tagger", false, false, 2, false),
            ("text", true, false, 0, true),
            ("textarea", true, false, 0, true),
            ("multiselect", true, false, 2, false),
            ("priority", true, false, 0, false),
            ("subject", true, true, 0, false),
            ("whatever", true, false, 0, false),
        ];
        for (kind, active, system, options, mappable) in table {
            let field = field(kind, active, system, options);
            assert_eq!(
                field.mappable(),
                mappable,
                "{kind} {active} {system} {options}"
            );
            assert_eq!(field.reason().is_some(), !mappable, "{kind}");
        }
    }
}
