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

/// Fills a fresh account (which already has its seeded users) according to `seed`: ticket
/// fields, the sample ticket every new Zendesk account starts with, then triggers (last,
/// so the sample ticket does not fire them).
pub(crate) fn populate(
    account: &mut crate::account::Account,
    seed: &crate::config::Seed,
    now: jiff::Timestamp,
) {
    use crate::config::Seed;
    let dump = match seed {
        Seed::AccountDump => Some(SeedDump::embedded()),
        Seed::Dump(dump) => Some(dump.as_ref().clone()),
        Seed::Minimal | Seed::Generated { .. } | Seed::ManyFields { .. } => None,
    };
    let dumped_fields: Vec<crate::ticket_fields::TicketField> = dump
        .as_ref()
        .map(|dump| {
            dump.ticket_fields
                .iter()
                .filter_map(crate::ticket_fields::TicketField::from_json)
                .collect()
        })
        .unwrap_or_default();
    if !dumped_fields.iter().any(|field| !field.is_custom()) {
        for field in crate::ticket_fields::system_fields(account, now) {
            account.ticket_fields.insert(field.id, field);
        }
    }
    for field in dumped_fields {
        account.ticket_fields.insert(field.id, field);
    }
    if let Seed::Generated { fields, .. } = seed {
        for index in 0..*fields {
            let field = crate::ticket_fields::new_custom_field(
                account,
                "text",
                &format!("Generated field {index}"),
                now,
            );
            account.ticket_fields.insert(field.id, field);
        }
    }
    if let Seed::ManyFields { fields, options } = seed {
        many_fields(account, *fields, *options, now);
    }
    sample_ticket(account, now);
    if let Seed::Generated { tickets, users, .. } = seed {
        generate(account, *tickets, *users, now);
    }
    if let Some(dump) = dump {
        let category = account.default_trigger_category.clone();
        for trigger in dump
            .triggers
            .iter()
            .filter_map(|value| crate::triggers::Trigger::from_json(value, &category, now))
        {
            account.triggers.insert(trigger.id, trigger);
        }
    }
}

/// Words the generated catalog's titles and options are made of, so a search by part of a name finds a few
/// fields, as in a real account.
const AREAS: [&str; 10] = [
    "Product Area",
    "Reason for Contact",
    "Region",
    "Billing Topic",
    "Device",
    "Plan",
    "Escalation Path",
    "Language",
    "Integration",
    "Severity",
];

/// `fields` custom fields: four in five dropdowns sharing `options` options, the rest other types.
fn many_fields(
    account: &mut crate::account::Account,
    fields: usize,
    options: usize,
    now: jiff::Timestamp,
) {
    let dropdowns = fields - fields / 5;
    let others = ["text", "textarea", "checkbox", "date", "integer"];
    let mut left = options;
    let mut dropdowns_left = dropdowns;
    for index in 0..fields {
        let area = AREAS[index % AREAS.len()];
        let title = format!("{area} {}", index / AREAS.len() + 1);
        let is_dropdown = index % 5 != 4 && dropdowns_left > 0;
        let kind = if is_dropdown {
            "tagger"
        } else {
            others[(index / 5) % others.len()]
        };
        let mut field = crate::ticket_fields::new_custom_field(account, kind, &title, now);
        if is_dropdown {
            // Spread evenly: each dropdown takes its share of what is left.
            let count = left / dropdowns_left;
            left -= count;
            dropdowns_left -= 1;
            let list: Vec<Value> = (0..count)
                .map(|option| {
                    let id = account.next_id();
                    let name = format!("{area} option {}", option + 1);
                    serde_json::json!({
                        "id": id,
                        "name": name,
                        "raw_name": name,
                        "value": format!("f{index}_opt_{}", option + 1),
                        "default": false,
                    })
                })
                .collect();
            field
                .object
                .insert("custom_field_options".to_owned(), Value::Array(list));
        }
        account.ticket_fields.insert(field.id, field);
    }
}

/// Ticket 1, "Sample ticket: Meet the ticket", from the seeded customer to the admin.
fn sample_ticket(account: &mut crate::account::Account, now: jiff::Timestamp) {
    let customer = account
        .user_by_email("customer@example.com")
        .map(|user| user.id);
    let admin = account
        .user_by_email("admin@example.com")
        .map(|user| user.id);
    let (Some(customer), Some(admin)) = (customer, admin) else {
        return;
    };
    let input = serde_json::json!({
        "subject": "Sample ticket: Meet the ticket",
        "comment": {"body": "Hi there,\n\nI'm sending an email because I'm having a problem setting up your new product. Can you help me troubleshoot?\n\nThanks,\n The Customer"},
        "assignee_id": admin,
        "type": "incident",
        "priority": "normal",
        "tags": ["sample", "support", "zendesk"],
    });
    if let Some(input) = input.as_object() {
        let actor = crate::tickets::Actor {
            user_id: customer,
            via_id: crate::tickets::via::SAMPLE_TICKET,
        };
        // The seed's own input is valid by construction; a failure would leave the account
        // without its sample ticket, which nothing depends on.
        let _ = crate::tickets::create_ticket(account, input, actor, now);
    }
}

/// A large synthetic account: `users` end users and `tickets` tickets spread over them.
fn generate(
    account: &mut crate::account::Account,
    tickets: usize,
    users: usize,
    now: jiff::Timestamp,
) {
    let mut requesters = Vec::with_capacity(users);
    for index in 0..users {
        let id = account.next_user_id();
        let user = crate::users::User::new(
            id,
            &format!("Generated User {index}"),
            Some(format!("user{index}@generated.example.com")),
            crate::users::Role::EndUser,
            now,
        );
        account.users.insert(id, user);
        requesters.push(id);
    }
    for index in 0..tickets {
        let requester = requesters
            .get(index % requesters.len().max(1))
            .copied()
            .or_else(|| {
                account
                    .user_by_email("customer@example.com")
                    .map(|user| user.id)
            });
        let Some(requester) = requester else {
            return;
        };
        let input = serde_json::json!({
            "subject": format!("Generated ticket {index}"),
            "comment": {"body": format!("Generated ticket body {index}")},
            "external_id": format!("generated-{index}"),
        });
        if let Some(input) = input.as_object() {
            let actor = crate::tickets::Actor {
                user_id: requester,
                via_id: crate::tickets::via::API,
            };
            let _ = crate::tickets::create_ticket(account, input, actor, now);
        }
    }
}
