//! Seed data: the account dump (embedded at build time or loaded from a directory) and the
//! seeded users every simulator starts with.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A Zendesk account dump: the `ticket_fields.json` and `triggers.json` of a real account,
/// as returned by the list endpoints (`{"ticket_fields":[...]}`, `{"triggers":[...]}`).
#[derive(Clone, Default)]
pub struct SeedDump {
    /// Ticket field objects in Zendesk's JSON shape.
    pub ticket_fields: Vec<Value>,
    /// Trigger objects in Zendesk's JSON shape.
    pub triggers: Vec<Value>,
}

impl fmt::Debug for SeedDump {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SeedDump")
            .field("ticket_fields", &self.ticket_fields.len())
            .field("triggers", &self.triggers.len())
            .finish()
    }
}

/// Why a dump directory could not be loaded.
#[derive(Debug)]
pub enum SeedError {
    /// A file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not the expected JSON.
    Parse {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

impl fmt::Display for SeedError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedError::Read { path, source } => {
                write!(formatter, "cannot read {}: {source}", path.display())
            }
            SeedError::Parse { path, reason } => {
                write!(
                    formatter,
                    "{} is not a Zendesk dump: {reason}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for SeedError {}

impl SeedDump {
    /// Loads `ticket_fields.json` and `triggers.json` from `dir`. A missing file means
    /// "none of those"; a present but malformed file is an error.
    pub fn from_dir(dir: &Path) -> Result<SeedDump, SeedError> {
        let read = |name: &str, key: &str| -> Result<Vec<Value>, SeedError> {
            let path = dir.join(name);
            if !path.exists() {
                return Ok(Vec::new());
            }
            let text = std::fs::read_to_string(&path).map_err(|source| SeedError::Read {
                path: path.clone(),
                source,
            })?;
            list_from_text(&text, key).map_err(|reason| SeedError::Parse { path, reason })
        };
        if !dir.is_dir() {
            return Err(SeedError::Read {
                path: dir.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
            });
        }
        Ok(SeedDump {
            ticket_fields: read("ticket_fields.json", "ticket_fields")?,
            triggers: read("triggers.json", "triggers")?,
        })
    }

    /// The dump embedded at build time, or an empty dump when the build had none.
    pub fn embedded() -> SeedDump {
        let parse = |text: &str, key: &str| match list_from_text(text, key) {
            Ok(list) => list,
            Err(reason) => {
                tracing::warn!(%reason, key, "embedded account dump is malformed; using none");
                Vec::new()
            }
        };
        SeedDump {
            ticket_fields: parse(EMBEDDED_TICKET_FIELDS, "ticket_fields"),
            triggers: parse(EMBEDDED_TRIGGERS, "triggers"),
        }
    }
}

fn list_from_text(text: &str, key: &str) -> Result<Vec<Value>, String> {
    let value: Value = serde_json::from_str(text).map_err(|error| error.to_string())?;
    match value.get(key) {
        Some(Value::Array(items)) => Ok(items.clone()),
        _ => Err(format!("no \"{key}\" array")),
    }
}

// Written by build.rs: the account dump's files, or a small built-in seed when the shared
// material was absent at build time.
const EMBEDDED_TICKET_FIELDS: &str =
    include_str!(concat!(env!("OUT_DIR"), "/seed/ticket_fields.json"));
const EMBEDDED_TRIGGERS: &str = include_str!(concat!(env!("OUT_DIR"), "/seed/triggers.json"));
