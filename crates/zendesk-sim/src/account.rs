//! The account's data: every stored object, id sequences, and the seeded users.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rand::distr::Alphanumeric;
use rand::Rng;

use crate::reply::ApiError;
use crate::users::{Role, User, ROLE_TYPE_CUSTOM_AGENT, ROLE_TYPE_LIGHT_AGENT};

/// Everything one simulated Zendesk account stores. Guarded by one mutex in the simulator;
/// handlers run synchronously against it and never hold it across an `.await`.
#[derive(Debug)]
pub(crate) struct Account {
    pub users: BTreeMap<u64, User>,
    /// The next id for users, fields, triggers, comments and audits. Zendesk ids are large
    /// account-independent numbers; tickets have their own small per-account sequence.
    next_id: u64,
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
            users: BTreeMap::new(),
            next_id: 6_130_907_993_114,
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
            if seeded.role == Role::Agent && seeded.role_type == Some(ROLE_TYPE_CUSTOM_AGENT) {
                user.custom_role_id = Some(6_130_869_137_434);
            }
            user.verified = true;
            user.suspended = seeded.suspended;
            user.last_login_at = Some(now);
            if seeded.has_token {
                let token = match (index, admin_token) {
                    (0, Some(token)) => token.to_owned(),
                    _ => random_token(API_TOKEN_LENGTH),
                };
                user.api_tokens.push(token);
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
            token: token.clone(),
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
