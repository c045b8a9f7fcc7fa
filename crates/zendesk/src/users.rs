//! Users: the authenticated user (`users/me`), show, and (phase 2) search and create-or-update.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::client::Request;
use crate::{Client, Error};

/// A Zendesk user as the API returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// The user's id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Primary email; `null` for users created without one.
    #[serde(default)]
    pub email: Option<String>,
    /// `end-user`, `agent` or `admin`.
    pub role: Role,
    /// 0 custom agent, 1 light agent, 2 chat agent, 3 contributor, 4 admin, 5 billing admin; `null` for end users.
    #[serde(default)]
    pub role_type: Option<i64>,
    /// Set on Enterprise accounts for agents with a custom role.
    #[serde(default)]
    pub custom_role_id: Option<u64>,
    /// `false` once the user is deleted (Zendesk deletes softly).
    #[serde(default = "yes")]
    pub active: bool,
    /// A suspended user can neither sign in nor act through the API.
    #[serde(default)]
    pub suspended: bool,
    /// An agent restricted to some tickets (and every end user).
    #[serde(default)]
    pub restricted_agent: bool,
    /// The integrator's id for this user; case-insensitive in lookups.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Primary phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// The API URL of the user (may name the account's canonical host).
    #[serde(default)]
    pub url: Option<String>,
    /// Whether the primary identity is verified.
    #[serde(default)]
    pub verified: bool,
    /// The user's organization.
    #[serde(default)]
    pub organization_id: Option<u64>,
    /// The user's default group (agents).
    #[serde(default)]
    pub default_group_id: Option<u64>,
    /// e.g. "en-US".
    #[serde(default)]
    pub locale: Option<String>,
    /// e.g. "America/New_York" (Zendesk's own names) — see also `iana_time_zone`.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Tags on the user.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom user fields by key.
    #[serde(default)]
    pub user_fields: Option<Value>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(default)]
    pub created_at: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(default)]
    pub updated_at: Option<String>,
}

fn yes() -> bool {
    true
}

impl User {
    /// Whether the user is staff (agent or admin), active and not suspended.
    pub fn is_active_staff(&self) -> bool {
        self.active && !self.suspended && matches!(self.role, Role::Agent | Role::Admin)
    }
}

/// A user's role. Custom agent roles still say `agent` here; see [`User::custom_role_id`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// `end-user`.
    EndUser,
    /// `agent`.
    Agent,
    /// `admin`.
    Admin,
    /// Anything else, kept as sent.
    Other(String),
}

impl Role {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            Role::EndUser => "end-user",
            Role::Agent => "agent",
            Role::Admin => "admin",
            Role::Other(other) => other,
        }
    }
}

impl From<&str> for Role {
    fn from(value: &str) -> Self {
        match value {
            "end-user" => Role::EndUser,
            "agent" => Role::Agent,
            "admin" => Role::Admin,
            other => Role::Other(other.to_owned()),
        }
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Role::from(text.as_str()))
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[derive(Deserialize)]
struct UserEnvelope {
    user: User,
}

impl Client {
    /// GET /api/v2/users/me. Zendesk answers 200 with an "Anonymous user" (id null) for missing or bad
    /// credentials: that is reported as [`Error::BadCredentials`], never as success.
    pub async fn current_user(&self) -> Result<User, Error> {
        let answer = self
            .send(&Request::get("/api/v2/users/me", "the current user"))
            .await?;
        let envelope: Value = answer.decode("the current user")?;
        let user = envelope.get("user").ok_or_else(|| Error::Decode {
            detail: "the current user: no `user` key".to_owned(),
        })?;
        if user.get("id").is_none_or(Value::is_null) {
            let name = user
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("Anonymous user");
            return Err(Error::BadCredentials {
                detail: format!("users/me answered as {name:?}, so the credentials were ignored"),
            });
        }
        User::deserialize(user).map_err(|err| Error::decode("the current user", err))
    }

    /// GET /api/v2/users/{id}. An unknown id is [`Error::NotFound`].
    pub async fn show_user(&self, id: u64) -> Result<User, Error> {
        let envelope: UserEnvelope = self
            .json(&Request::get(
                format!("/api/v2/users/{id}"),
                format!("user {id}"),
            ))
            .await?;
        Ok(envelope.user)
    }
}
