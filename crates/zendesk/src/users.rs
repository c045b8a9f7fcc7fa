//! Users: the authenticated user (`users/me`), show, and (phase 2) search and create-or-update.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use reqwest::Method;

use crate::client::Request;
use crate::pagination::with_query;
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
    #[serde(default = "crate::serde_true")]
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

/// A user to create, or to update when one matches by email or external id.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UserInput {
    /// Display name.
    pub name: String,
    /// Primary email (writeable on create only; on update a secondary identity is added).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The integrator's id (matched case-insensitively).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Unset creates an end user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Primary phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// e.g. "en-US".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Mark the email verified without sending a verification mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Suppress the verification email for a new user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_verify_email: Option<bool>,
}

/// How to find users with `search_users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserQuery {
    /// Zendesk search syntax: `jdoe`, `email:jdoe@example.com`. The index lags behind writes.
    Query(String),
    /// Exact external id (no search syntax, not eventually consistent).
    ExternalId(String),
}

/// What `create_or_update_user` returns.
#[derive(Debug, Clone)]
pub struct UpsertedUser {
    /// The user after the call.
    pub user: User,
    /// `true` when Zendesk answered 201 (a new user), `false` for 200 (an existing one was updated).
    pub created: bool,
}

#[derive(Deserialize)]
struct UserList {
    users: Vec<User>,
}

impl Client {
    /// GET /api/v2/users/show_many?ids=… (batches of 100). Unknown ids are left out.
    pub async fn show_many_users(&self, ids: &[u64]) -> Result<Vec<User>, Error> {
        let mut users = Vec::with_capacity(ids.len());
        for batch in ids.chunks(100) {
            let list = crate::tickets::join_ids(batch);
            let path = with_query("/api/v2/users/show_many", &[("ids", &list)]);
            let page: UserList = self.json(&Request::get(path, "users")).await?;
            users.extend(page.users);
        }
        Ok(users)
    }

    /// POST /api/v2/users/create_or_update: matches by email or external id.
    pub async fn create_or_update_user(&self, user: &UserInput) -> Result<UpsertedUser, Error> {
        if user.email.is_none() && user.external_id.is_none() {
            return Err(Error::InvalidConfig {
                detail: "create_or_update needs an email or an external id to match the user by"
                    .to_owned(),
            });
        }
        let body = serde_json::json!({ "user": crate::tickets::to_json(user, "the user")? });
        let request = Request::new(Method::POST, "/api/v2/users/create_or_update", "the user")
            .with_body(body);
        let answer = self.send(&request).await?;
        let created = answer.status == 201;
        let envelope: UserEnvelope = answer.decode("the user")?;
        Ok(UpsertedUser {
            user: envelope.user,
            created,
        })
    }

    /// GET /api/v2/users?role[]=agent&role[]=admin: every agent and admin (cursor pagination), active or not;
    /// see [`User::is_active_staff`].
    pub async fn staff_users(&self) -> Result<Vec<User>, Error> {
        use futures::TryStreamExt as _;
        let size = crate::pagination::MAX_PAGE_SIZE.to_string();
        let path = with_query(
            "/api/v2/users",
            &[
                ("role[]", "agent"),
                ("role[]", "admin"),
                ("page[size]", size.as_str()),
            ],
        );
        self.cursor_stream(Request::get(path, "the agents"), "users")
            .try_collect()
            .await
    }

    /// DELETE /api/v2/users/{id}: Zendesk deletes softly and answers 200 with the user (`active: false`).
    pub async fn delete_user(&self, id: u64) -> Result<User, Error> {
        let envelope: UserEnvelope = self
            .json(&Request::new(
                Method::DELETE,
                format!("/api/v2/users/{id}"),
                format!("user {id}"),
            ))
            .await?;
        Ok(envelope.user)
    }

    /// GET /api/v2/users/search (offset pagination, stops at Zendesk's 10,000-record cap).
    pub async fn search_users(&self, query: &UserQuery) -> Result<Vec<User>, Error> {
        let (key, value) = match query {
            UserQuery::Query(text) => ("query", text.as_str()),
            UserQuery::ExternalId(id) => ("external_id", id.as_str()),
        };
        let path = with_query("/api/v2/users/search", &[(key, value), ("per_page", "100")]);
        self.collect_offset(Request::get(path, "users"), "users")
            .await
    }
}
