//! Users: the stored record, its JSON rendering in Zendesk's recorded shape, and the users
//! endpoints (me, show, show_many, create, create_or_update, search, list, update, delete).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use jiff::Timestamp;
use serde_json::{json, Map, Value};

use crate::account::Account;
use crate::clock::seconds;
use crate::jobs;
use crate::pagination::{offset_page, OffsetQuery};
use crate::reply::{record_url, ApiError, ApiResult, Reply};
use crate::router::{Call, Caller};

/// A user's role as Zendesk names it in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `end-user`.
    EndUser,
    /// `agent` (full, light, or custom, told apart by `role_type`).
    Agent,
    /// `admin`.
    Admin,
}

impl Role {
    /// The JSON spelling (`end-user`, `agent`, `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::EndUser => "end-user",
            Role::Agent => "agent",
            Role::Admin => "admin",
        }
    }

    /// The `{{current_user.role}}` placeholder spelling (capitalized).
    pub fn placeholder(self) -> &'static str {
        match self {
            Role::EndUser => "End-user",
            Role::Agent => "Agent",
            Role::Admin => "Admin",
        }
    }

    /// Parses the JSON spelling; unknown values are `None`.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "end-user" | "end_user" => Some(Role::EndUser),
            "agent" => Some(Role::Agent),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Whether this role is staff (agents and admins).
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::EndUser)
    }
}

/// `role_type` of a light agent (OAS `UserForAdmin.role_type`).
pub const ROLE_TYPE_LIGHT_AGENT: u8 = 1;
/// `role_type` of an admin.
pub const ROLE_TYPE_ADMIN: u8 = 4;
/// `role_type` of a custom-role (full) agent.
pub const ROLE_TYPE_CUSTOM_AGENT: u8 = 0;

/// A stored user.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub id: u64,
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub role_type: Option<u8>,
    pub custom_role_id: Option<u64>,
    pub external_id: Option<String>,
    pub tags: Vec<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
    pub details: Option<String>,
    pub organization_id: Option<u64>,
    pub default_group_id: Option<u64>,
    pub active: bool,
    pub suspended: bool,
    pub verified: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_login_at: Option<Timestamp>,
    pub time_zone: String,
    pub iana_time_zone: String,
    pub locale_id: u64,
    pub locale: String,
    pub user_fields: Map<String, Value>,
    /// API tokens of this user. Invariant: never rendered into any response or log.
    pub api_tokens: Vec<crate::secret::SecretText>,
}

impl User {
    /// A new active user with Zendesk's defaults for `role`.
    pub fn new(id: u64, name: &str, email: Option<String>, role: Role, now: Timestamp) -> User {
        User {
            id,
            name: name.to_owned(),
            email,
            role,
            role_type: match role {
                Role::Admin => Some(ROLE_TYPE_ADMIN),
                _ => None,
            },
            custom_role_id: None,
            external_id: None,
            tags: Vec::new(),
            phone: None,
            notes: None,
            details: None,
            organization_id: None,
            default_group_id: None,
            active: true,
            suspended: false,
            verified: false,
            created_at: now,
            updated_at: now,
            last_login_at: None,
            time_zone: "America/New_York".to_owned(),
            iana_time_zone: "America/New_York".to_owned(),
            locale_id: 1,
            locale: "en-US".to_owned(),
            user_fields: Map::new(),
            api_tokens: Vec::new(),
        }
    }

    /// Whether this user is a light agent (can only add private comments).
    pub fn is_light_agent(&self) -> bool {
        self.role == Role::Agent && self.role_type == Some(ROLE_TYPE_LIGHT_AGENT)
    }

    /// The user in the recorded `users/me` / `users/{id}` shape.
    pub fn to_json(&self, origin: &str) -> Value {
        let staff = self.role.is_staff();
        json!({
            "id": self.id,
            "url": record_url(origin, "users", self.id),
            "name": self.name,
            "email": self.email,
            "created_at": seconds(self.created_at),
            "updated_at": seconds(self.updated_at),
            "time_zone": self.time_zone,
            "iana_time_zone": self.iana_time_zone,
            "phone": self.phone,
            "shared_phone_number": null,
            "photo": null,
            "locale_id": self.locale_id,
            "locale": self.locale,
            "organization_id": self.organization_id,
            "role": self.role.as_str(),
            "verified": self.verified,
            "external_id": self.external_id,
            "tags": self.tags,
            "alias": null,
            "active": self.active,
            "shared": false,
            "shared_agent": false,
            "last_login_at": self.last_login_at.map(seconds),
            "two_factor_auth_enabled": null,
            "signature": null,
            "details": self.details,
            "notes": self.notes,
            "role_type": self.role_type,
            "custom_role_id": self.custom_role_id,
            "moderator": staff,
            "ticket_restriction": if staff { Value::Null } else { json!("requested") },
            "only_private_comments": self.is_light_agent(),
            "restricted_agent": !staff || self.is_light_agent(),
            "suspended": self.suspended,
            "default_group_id": self.default_group_id,
            "report_csv": self.role == Role::Admin,
            "user_fields": self.user_fields,
        })
    }
}

/// The user `users/me` shows to a caller without valid credentials.
fn anonymous_user_json() -> Value {
    json!({
        "id": null,
        "url": null,
        "name": "Anonymous user",
        "email": "invalid@example.com",
        "created_at": null,
        "updated_at": null,
        "time_zone": "America/New_York",
        "iana_time_zone": "America/New_York",
        "phone": null,
        "shared_phone_number": null,
        "photo": null,
        "locale_id": 1,
        "locale": "en-US",
        "organization_id": null,
        "role": "end-user",
        "verified": false,
        "external_id": null,
        "tags": [],
        "alias": null,
        "active": true,
        "shared": false,
        "shared_agent": false,
        "last_login_at": null,
        "two_factor_auth_enabled": null,
        "signature": null,
        "details": null,
        "notes": null,
        "role_type": null,
        "custom_role_id": null,
        "moderator": false,
        "ticket_restriction": "requested",
        "only_private_comments": false,
        "restricted_agent": true,
        "suspended": false,
        "default_group_id": null,
        "report_csv": false,
        "user_fields": {},
    })
}

/// A CSRF-style token users/me returns; random per call like Zendesk's.
fn authenticity_token() -> String {
    crate::account::random_token(86)
}

/// `GET /api/v2/users/me`: allowed anonymously (answers with the anonymous user).
pub(crate) fn me(account: &Account, call: &Call) -> ApiResult {
    let mut user = match call.caller {
        Caller::Anonymous => anonymous_user_json(),
        Caller::User(id) => account
            .users
            .get(&id)
            .map(|user| user.to_json(&call.origin))
            .ok_or(ApiError::Unauthenticated)?,
    };
    if let Some(object) = user.as_object_mut() {
        object.insert("authenticity_token".to_owned(), json!(authenticity_token()));
    }
    Ok(Reply::ok(json!({ "user": user })))
}

/// `GET /api/v2/users/{id}`.
pub(crate) fn show(account: &Account, call: &Call, id: &str) -> ApiResult {
    call.require_staff(account)?;
    let user = account.user(parse_id(id)?)?;
    Ok(Reply::ok(json!({ "user": user.to_json(&call.origin) })))
}

/// `GET /api/v2/users/show_many?ids=1,2` (also `external_ids=`).
pub(crate) fn show_many(account: &Account, call: &Call) -> ApiResult {
    call.require_staff(account)?;
    let users: Vec<Value> = if let Some(ids) = call.query("ids") {
        ids.split(',')
            .filter_map(|id| id.trim().parse::<u64>().ok())
            .filter_map(|id| account.users.get(&id))
            .map(|user| user.to_json(&call.origin))
            .collect()
    } else if let Some(external_ids) = call.query("external_ids") {
        external_ids
            .split(',')
            .filter_map(|external| account.user_by_external_id(external.trim()))
            .map(|user| user.to_json(&call.origin))
            .collect()
    } else {
        return Err(ApiError::BadRequest {
            error: "InvalidParameter",
            description: "ids or external_ids is required".to_owned(),
        });
    };
    let count = users.len();
    Ok(Reply::ok(
        json!({ "users": users, "next_page": null, "previous_page": null, "count": count }),
    ))
}

/// `GET /api/v2/users` (offset pagination, `role`/`role[]` filters).
pub(crate) fn list(account: &Account, call: &Call) -> ApiResult {
    call.require_staff(account)?;
    let roles: Vec<&str> = call
        .query_all("role")
        .chain(call.query_all("role[]"))
        .collect();
    let users: Vec<&User> = account
        .users
        .values()
        .filter(|user| roles.is_empty() || roles.contains(&user.role.as_str()))
        .collect();
    list_users(call, &users, "/api/v2/users.json")
}

/// `GET /api/v2/users/search?query=` or `?external_id=` (offset pagination only).
pub(crate) fn search(account: &Account, call: &Call) -> ApiResult {
    call.require_staff(account)?;
    let users: Vec<&User> = if let Some(external_id) = call.query("external_id") {
        account
            .user_by_external_id(external_id)
            .into_iter()
            .collect()
    } else if let Some(query) = call.query("query") {
        account
            .users
            .values()
            .filter(|user| matches_search(user, query))
            .collect()
    } else {
        return Err(ApiError::BadRequest {
            error: "InvalidParameter",
            description: "query or external_id is required".to_owned(),
        });
    };
    list_users(call, &users, "/api/v2/users/search.json")
}

fn list_users(call: &Call, users: &[&User], path: &str) -> ApiResult {
    let rendered: Vec<Value> = users
        .iter()
        .map(|user| user.to_json(&call.origin))
        .collect();
    if path.ends_with("search.json") {
        // Search is offset-only.
        let page = OffsetQuery::from_call(call)?;
        return Ok(Reply::ok(offset_page(call, path, "users", &rendered, page)));
    }
    crate::tickets::paged(call, path, "users", &rendered)
}

/// `POST /api/v2/users/create_many`: creates the users at once and answers a queued job
/// status whose later reads show it completed.
pub(crate) fn create_many(account: &mut Account, call: &Call) -> ApiResult {
    call.require_admin(account)?;
    let inputs = jobs::bulk_inputs(call, "users")?;
    let mut results = Vec::new();
    for (index, input) in inputs.into_iter().enumerate() {
        match insert_user(account, call, input) {
            Ok(id) => results.push(json!({"id": id, "status": "Created"})),
            Err(_) => results
                .push(json!({"index": index, "error": "UserCreateFailed", "status": "Failed"})),
        }
    }
    jobs::queued(account, call, results)
}

/// Zendesk search syntax subset: `email:x`, `name:x`, `external_id:x`, `role:x`, or free text
/// matched case-insensitively against name, email, notes and phone.
fn matches_search(user: &User, query: &str) -> bool {
    query.split_whitespace().all(|term| {
        let lower = |value: &Option<String>| value.as_deref().map(str::to_lowercase);
        let term = term.trim_matches('"').to_lowercase();
        if let Some(email) = term.strip_prefix("email:") {
            lower(&user.email).as_deref() == Some(email)
        } else if let Some(name) = term.strip_prefix("name:") {
            user.name.to_lowercase().contains(name)
        } else if let Some(external_id) = term.strip_prefix("external_id:") {
            lower(&user.external_id).as_deref() == Some(external_id)
        } else if let Some(role) = term.strip_prefix("role:") {
            user.role.as_str().replace('-', "_") == role.replace('-', "_")
        } else {
            user.name.to_lowercase().contains(&term)
                || lower(&user.email).is_some_and(|email| email.contains(&term))
                || lower(&user.notes).is_some_and(|notes| notes.contains(&term))
                || lower(&user.phone).is_some_and(|phone| phone.contains(&term))
        }
    })
}

/// `POST /api/v2/users`: 201 + `Location`.
pub(crate) fn create(account: &mut Account, call: &Call) -> ApiResult {
    call.require_staff(account)?;
    let input = call.record_input("user")?;
    if let Some(email) = input.get("email").and_then(Value::as_str) {
        if account.user_by_email(email).is_some() {
            return Err(ApiError::invalid(
                "email",
                format!("Email: {email} is already being used by another user"),
            ));
        }
    }
    let id = insert_user(account, call, input)?;
    created_reply(account, call, id, StatusCode::CREATED)
}

/// `POST /api/v2/users/create_or_update`: matched by email or external_id; 200 when it
/// existed, 201 when created, both with `Location`.
pub(crate) fn create_or_update(account: &mut Account, call: &Call) -> ApiResult {
    call.require_staff(account)?;
    let input = call.record_input("user")?;
    let by_email = input
        .get("email")
        .and_then(Value::as_str)
        .and_then(|email| account.user_by_email(email))
        .map(|user| user.id);
    let by_external = input
        .get("external_id")
        .and_then(Value::as_str)
        .and_then(|external| account.user_by_external_id(external))
        .map(|user| user.id);
    match by_external.or(by_email) {
        Some(id) => {
            apply_user_input(account, id, &input, call.now)?;
            created_reply(account, call, id, StatusCode::OK)
        }
        None => {
            let id = insert_user(account, call, input)?;
            created_reply(account, call, id, StatusCode::CREATED)
        }
    }
}

/// `PUT /api/v2/users/{id}`.
pub(crate) fn update(account: &mut Account, call: &Call, id: &str) -> ApiResult {
    call.require_staff(account)?;
    let id = parse_id(id)?;
    account.user(id)?;
    let input = call.record_input("user")?;
    apply_user_input(account, id, &input, call.now)?;
    let user = account.user(id)?;
    Ok(Reply::ok(json!({ "user": user.to_json(&call.origin) })))
}

/// `DELETE /api/v2/users/{id}`: soft delete, 200 with the (now inactive) user.
pub(crate) fn delete(account: &mut Account, call: &Call, id: &str) -> ApiResult {
    call.require_admin(account)?;
    let id = parse_id(id)?;
    let user = account.users.get_mut(&id).ok_or(ApiError::RecordNotFound)?;
    user.active = false;
    user.updated_at = call.now;
    user.api_tokens.clear();
    let rendered = user.to_json(&call.origin);
    Ok(Reply::ok(json!({ "user": rendered })))
}

fn created_reply(account: &Account, call: &Call, id: u64, status: StatusCode) -> ApiResult {
    let user = account.user(id)?;
    Ok(
        Reply::json(status, json!({ "user": user.to_json(&call.origin) }))
            .with_location(record_url(&call.origin, "users", id)),
    )
}

/// Creates a user from an API `user` object (no role ⇒ end user).
fn insert_user(
    account: &mut Account,
    call: &Call,
    input: Map<String, Value>,
) -> Result<u64, ApiError> {
    let name = input
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            input
                .get("email")
                .and_then(Value::as_str)
                .map(|email| email.split('@').next().unwrap_or(email).to_owned())
        })
        .ok_or_else(|| ApiError::invalid("name", "Name: is too short (minimum one character)"))?;
    let role = match input.get("role").and_then(Value::as_str) {
        Some(text) => Role::parse(text)
            .ok_or_else(|| ApiError::invalid("role", format!("Role: {text} is not valid")))?,
        None => Role::EndUser,
    };
    let email = match input.get("email").and_then(Value::as_str) {
        Some(email) => Some(validate_email(email)?),
        None => None,
    };
    let id = account.next_user_id();
    let user = User::new(id, &name, email, role, call.now);
    account.users.insert(id, user);
    apply_user_input(account, id, &input, call.now)?;
    Ok(id)
}

/// Applies writable fields of an API `user` object to a stored user.
fn apply_user_input(
    account: &mut Account,
    id: u64,
    input: &Map<String, Value>,
    now: Timestamp,
) -> Result<(), ApiError> {
    let user = account.users.get_mut(&id).ok_or(ApiError::RecordNotFound)?;
    let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_owned);
    if let Some(name) = text("name") {
        user.name = name;
    }
    if input.contains_key("external_id") {
        // Lookup is case-insensitive but the stored value takes the request's case (OAS).
        user.external_id = text("external_id");
    }
    if let Some(phone) = text("phone") {
        user.phone = Some(phone);
    }
    if let Some(notes) = text("notes") {
        user.notes = Some(notes);
    }
    if let Some(details) = text("details") {
        user.details = Some(details);
    }
    if let Some(role) = text("role") {
        user.role = Role::parse(&role)
            .ok_or_else(|| ApiError::invalid("role", format!("Role: {role} is not valid")))?;
        user.role_type = match user.role {
            Role::Admin => Some(ROLE_TYPE_ADMIN),
            _ => None,
        };
    }
    if let Some(Value::Array(tags)) = input.get("tags") {
        user.tags = tags
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    if let Some(verified) = input.get("verified").and_then(Value::as_bool) {
        user.verified = verified;
    }
    if let Some(Value::Object(fields)) = input.get("user_fields") {
        for (key, value) in fields {
            user.user_fields.insert(key.clone(), value.clone());
        }
    }
    if user.email.is_none() {
        if let Some(email) = text("email") {
            user.email = Some(validate_email(&email)?);
        }
    }
    user.updated_at = now;
    Ok(())
}

/// Zendesk's description of an email address it refuses, or `None` when the address is
/// well formed. The one rule for every place an email comes in: the user endpoints and a
/// ticket's `requester`.
pub(crate) fn email_problem(email: &str) -> Option<String> {
    let well_formed = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if well_formed && !email.contains(char::is_whitespace) {
        None
    } else {
        Some(format!("Email: {email} is not properly formatted"))
    }
}

fn validate_email(email: &str) -> Result<String, ApiError> {
    match email_problem(email) {
        None => Ok(email.to_owned()),
        Some(problem) => Err(ApiError::invalid("email", problem)),
    }
}

/// Parses a numeric path id; non-numbers are unknown records, as in Zendesk.
pub(crate) fn parse_id(id: &str) -> Result<u64, ApiError> {
    id.parse().map_err(|_| ApiError::RecordNotFound)
}

/// The id of a stored record a path names, or 404 `RecordNotFound`. Handlers check it
/// before reading the body: Zendesk answers an unknown record before a bad body.
pub(crate) fn existing_id<R>(records: &BTreeMap<u64, R>, id: &str) -> Result<u64, ApiError> {
    let id = parse_id(id)?;
    if records.contains_key(&id) {
        Ok(id)
    } else {
        Err(ApiError::RecordNotFound)
    }
}

/// The stored record a path's id names, or 404 `RecordNotFound`.
pub(crate) fn find_record<'a, R>(
    records: &'a BTreeMap<u64, R>,
    id: &str,
) -> Result<&'a R, ApiError> {
    records.get(&parse_id(id)?).ok_or(ApiError::RecordNotFound)
}

/// The custom roles the seeded staff have: (id, name, description, role_type, light agent).
pub(crate) const CUSTOM_ROLES: [(u64, &str, &str, u8, bool); 3] = [
    (
        6_130_869_137_434,
        "Admin",
        "Can manage all settings, except billing",
        ROLE_TYPE_ADMIN,
        false,
    ),
    (
        6_130_869_137_435,
        "Staff",
        "Can edit tickets within their groups",
        ROLE_TYPE_CUSTOM_AGENT,
        false,
    ),
    (
        6_130_869_137_436,
        "Light agent",
        "Can view and add private comments to tickets",
        ROLE_TYPE_LIGHT_AGENT,
        true,
    ),
];

/// `GET /api/v2/custom_roles/{id}`.
pub(crate) fn custom_role(account: &Account, call: &Call, id: &str) -> ApiResult {
    call.require_staff(account)?;
    let id = parse_id(id)?;
    let (id, name, description, role_type, light) = CUSTOM_ROLES
        .into_iter()
        .find(|role| role.0 == id)
        .ok_or(ApiError::RecordNotFound)?;
    let members = account
        .users
        .values()
        .filter(|user| user.custom_role_id == Some(id))
        .count();
    let admin = role_type == ROLE_TYPE_ADMIN;
    Ok(Reply::ok(json!({"custom_role": {
        "id": id,
        "name": name,
        "description": description,
        "role_type": role_type,
        "created_at": seconds(call.now),
        "updated_at": seconds(call.now),
        "configuration": {
            "chat_access": admin,
            "end_user_list_access": "full",
            "forum_access_restricted_content": false,
            "light_agent": light,
            "manage_business_rules": admin,
            "manage_dynamic_content": admin,
            "manage_extensions_and_channels": admin,
            "manage_facebook": admin,
            "moderate_forums": false,
            "side_conversation_create": admin,
            "ticket_access": "all",
            "ticket_comment_access": if light { "private" } else { "public" },
            "ticket_deletion": admin,
            "ticket_tag_editing": !light,
            "twitter_search_access": false,
            "view_deleted_tickets": admin,
            "voice_access": admin,
            "group_access": admin,
            "organization_editing": admin,
            "organization_notes_editing": admin,
            "assign_tickets_to_any_group": admin,
            "end_user_profile_access": "full",
            "explore_access": "full",
            "forum_access": "full",
            "macro_access": "full",
            "report_access": "full",
            "ticket_editing": !light,
            "ticket_merge": !light,
            "user_view_access": "full",
            "view_access": "full",
            "voice_dashboard_access": admin,
            "manage_automations": admin,
            "manage_contextual_workspaces": admin,
            "manage_organization_fields": admin,
            "manage_skills": admin,
            "manage_slas": admin,
            "manage_ticket_fields": admin,
            "manage_ticket_forms": admin,
            "manage_user_fields": admin,
            "ticket_redaction": admin,
            "manage_roles": "all",
            "manage_groups": admin,
            "manage_group_memberships": admin,
            "manage_organizations": admin,
            "manage_suspended_tickets": admin,
            "manage_triggers": admin,
        },
        "team_member_count": members,
    }})))
}
