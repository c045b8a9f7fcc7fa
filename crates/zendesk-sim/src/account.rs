//! The account's data: every stored object, id sequences, and the seeded users.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use jiff::{SignedDuration, Timestamp};
use rand::distr::Alphanumeric;
use rand::Rng;
use serde_json::Value;

use crate::delivery::Dispatch;
use crate::oauth::OAuthRegistry;
use crate::reply::ApiError;
use crate::ticket_fields::TicketField;
use crate::tickets::Ticket;
use crate::triggers::Trigger;
use crate::users::{Role, User, ROLE_TYPE_CUSTOM_AGENT, ROLE_TYPE_LIGHT_AGENT};
use crate::webhooks::{Invocation, Webhook};

/// Everything one simulated Zendesk account stores. Guarded by one mutex in the simulator;
/// handlers run synchronously against it and never hold it across an `.await`.
#[derive(Debug)]
pub(crate) struct Account {
    /// The number sent as `X-Zendesk-Account-Id`.
    pub account_id: u64,
    pub users: BTreeMap<u64, User>,
    pub tickets: BTreeMap<u64, Ticket>,
    pub ticket_fields: BTreeMap<u64, TicketField>,
    pub triggers: BTreeMap<u64, Trigger>,
    /// The category new triggers go to when the request names none (as recorded).
    pub default_trigger_category: String,
    /// Webhooks by ULID; a `BTreeMap` keeps them in creation order (ULIDs sort by time).
    pub webhooks: BTreeMap<String, Webhook>,
    /// Every invocation, oldest first.
    pub invocations: Vec<Invocation>,
    /// Ticket creates already answered, by `{user id}:{Idempotency-Key}`.
    pub idempotency: IdempotencyStore,
    /// Finished bulk jobs by job id.
    pub jobs: HashMap<String, Job>,
    /// Webhook deliveries decided while handling a request; the router drains this after
    /// the handler returns and sends them in the background, so responses never wait.
    pub outbox: Vec<Dispatch>,
    /// OAuth clients, pending authorization codes and issued tokens.
    pub oauth: OAuthRegistry,
    /// The next id for users, fields, triggers, comments and audits. Zendesk ids are large
    /// account-independent numbers; tickets have their own small per-account sequence.
    next_id: u64,
    next_ticket_id: u64,
}

/// A finished bulk job (tickets/create_many).
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub results: Vec<Value>,
    pub completed_at: Timestamp,
}

/// A stored answer to an idempotent ticket create.
#[derive(Debug, Clone)]
pub(crate) struct IdempotentCreate {
    pub request_body: Bytes,
    pub ticket_id: u64,
    pub response: Value,
    pub stored_at: Timestamp,
}

/// Idempotency keys and the creates they answered; keys expire after two hours.
#[derive(Debug, Default)]
pub(crate) struct IdempotencyStore {
    entries: HashMap<String, IdempotentCreate>,
}

/// How long an idempotency key is remembered (Zendesk documents a short window).
const IDEMPOTENCY_WINDOW: SignedDuration = SignedDuration::from_hours(2);

impl IdempotencyStore {
    pub fn get(&self, key: &str) -> Option<&IdempotentCreate> {
        self.entries.get(key)
    }

    pub fn remember(
        &mut self,
        key: String,
        request_body: Bytes,
        ticket_id: u64,
        response: Value,
        now: Timestamp,
    ) {
        self.entries.insert(
            key,
            IdempotentCreate {
                request_body,
                ticket_id,
                response,
                stored_at: now,
            },
        );
    }

    pub fn forget_expired(&mut self, now: Timestamp) {
        self.entries.retain(|_, entry| {
            entry
                .stored_at
                .checked_add(IDEMPOTENCY_WINDOW)
                .is_ok_and(|expiry| expiry > now)
        });
    }
}

/// A seeded user that has an API token, as handed to callers.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// `"admin"` or `"agent"`.
    pub role: String,
    /// The user's email (the Basic-auth username is `{email}/token`).
    pub email: String,
    /// The API token. Secret: not shown by `Debug`.
    pub token: String,
    /// The user's id.
    pub user_id: u64,
    /// The user's display name.
    pub name: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Credential")
            .field("role", &self.role)
            .field("email", &self.email)
            .field("token", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .finish()
    }
}

/// Who the simulator seeds, in this order; emails are fixed so tests can name them.
pub(crate) struct SeededUser {
    pub name: &'static str,
    pub email: &'static str,
    pub role: Role,
    pub role_type: Option<u8>,
    pub has_token: bool,
    pub suspended: bool,
}

/// The seeded users. The first is the admin whose token `SimConfig::admin_token` fixes.
pub(crate) const SEEDED_USERS: [SeededUser; 5] = [
    SeededUser {
        name: "Ada Admin",
        email: "admin@example.com",
        role: Role::Admin,
        role_type: Some(crate::users::ROLE_TYPE_ADMIN),
        has_token: true,
        suspended: false,
    },
    SeededUser {
        name: "Aaron Agent",
        email: "agent@example.com",
        role: Role::Agent,
        role_type: Some(ROLE_TYPE_CUSTOM_AGENT),
        has_token: true,
        suspended: false,
    },
    SeededUser {
        name: "Lena Light",
        email: "light.agent@example.com",
        role: Role::Agent,
        role_type: Some(ROLE_TYPE_LIGHT_AGENT),
        has_token: true,
        suspended: false,
    },
    SeededUser {
        name: "Erin Enduser",
        email: "customer@example.com",
        role: Role::EndUser,
        role_type: None,
        has_token: false,
        suspended: false,
    },
    SeededUser {
        name: "Sam Suspended",
        email: "suspended.agent@example.com",
        role: Role::Agent,
        role_type: Some(ROLE_TYPE_CUSTOM_AGENT),
        has_token: true,
        suspended: true,
    },
];

/// Length of a Zendesk API token.
pub(crate) const API_TOKEN_LENGTH: usize = 40;

impl Account {
    /// An account with only the seeded users.
    pub fn with_seeded_users(admin_token: Option<&str>, now: Timestamp) -> Account {
        let mut account = Account {
            account_id: 0,
            users: BTreeMap::new(),
            tickets: BTreeMap::new(),
            ticket_fields: BTreeMap::new(),
            triggers: BTreeMap::new(),
            default_trigger_category: "6130869158682".to_owned(),
            webhooks: BTreeMap::new(),
            invocations: Vec::new(),
            idempotency: IdempotencyStore::default(),
            jobs: HashMap::new(),
            outbox: Vec::new(),
            oauth: OAuthRegistry::default(),
            next_id: 6_130_907_993_114,
            next_ticket_id: 1,
        };
        for (index, seeded) in SEEDED_USERS.iter().enumerate() {
            let id = account.next_user_id();
            let mut user = User::new(
                id,
                seeded.name,
                Some(seeded.email.to_owned()),
                seeded.role,
                now,
            );
            user.role_type = seeded.role_type;
            // Each staff role maps to one of the seeded custom roles (admin, staff, light).
            user.custom_role_id = crate::users::CUSTOM_ROLES
                .iter()
                .find(|role| Some(role.3) == seeded.role_type)
                .map(|role| role.0);
            user.verified = true;
            user.suspended = seeded.suspended;
            user.last_login_at = Some(now);
            if seeded.has_token {
                let token = match (index, admin_token) {
                    (0, Some(token)) => token.to_owned(),
                    _ => random_token(API_TOKEN_LENGTH),
                };
                user.api_tokens.push(crate::secret::SecretText::new(token));
            }
            account.users.insert(id, user);
        }
        account
    }

    /// A fresh id from the shared large-id sequence.
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        // Zendesk ids are not contiguous; a stride keeps ids of different kinds visibly apart.
        self.next_id += 7;
        id
    }

    /// A fresh ticket id (small, sequential per account).
    pub fn next_ticket_id(&mut self) -> u64 {
        let id = self.next_ticket_id;
        self.next_ticket_id += 1;
        id
    }

    /// Stores a finished bulk job and returns its id.
    pub fn record_job(&mut self, results: Vec<Value>, now: Timestamp) -> String {
        let id = format!("V3-{}", random_token(32).to_lowercase());
        self.jobs.insert(
            id.clone(),
            Job {
                results,
                completed_at: now,
            },
        );
        id
    }

    /// The staff user a seeded email names (for the control API).
    pub fn user_by_email_or_id(&self, who: &str) -> Option<&User> {
        match who.parse::<u64>() {
            Ok(id) => self.users.get(&id),
            Err(_) => self.user_by_email(who),
        }
    }

    /// A fresh user id.
    pub fn next_user_id(&mut self) -> u64 {
        self.next_id()
    }

    /// The user with `id`, or `RecordNotFound`.
    pub fn user(&self, id: u64) -> Result<&User, ApiError> {
        self.users.get(&id).ok_or(ApiError::RecordNotFound)
    }

    /// The user whose email matches (case-insensitively).
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users.values().find(|user| {
            user.email
                .as_deref()
                .is_some_and(|known| known.eq_ignore_ascii_case(email))
        })
    }

    /// The user whose external id matches (case-insensitively, as Zendesk does).
    pub fn user_by_external_id(&self, external_id: &str) -> Option<&User> {
        self.users.values().find(|user| {
            user.external_id
                .as_deref()
                .is_some_and(|known| known.eq_ignore_ascii_case(external_id))
        })
    }

    /// The credentials of the seeded staff users that can call the API, admin first.
    pub fn credentials(&self) -> Vec<Credential> {
        SEEDED_USERS
            .iter()
            .filter(|seeded| seeded.has_token && !seeded.suspended)
            .filter_map(|seeded| self.credential_of(seeded.email))
            .collect()
    }

    /// The credential of the user with `email`, if it has a token.
    pub fn credential_of(&self, email: &str) -> Option<Credential> {
        let user = self.user_by_email(email)?;
        let token = user.api_tokens.first()?;
        Some(Credential {
            role: user.role.as_str().to_owned(),
            email: user.email.clone().unwrap_or_default(),
            token: token.expose().to_owned(),
            user_id: user.id,
            name: user.name.clone(),
        })
    }
}

/// A random base62 string, like Zendesk's API tokens.
pub(crate) fn random_token(length: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}
