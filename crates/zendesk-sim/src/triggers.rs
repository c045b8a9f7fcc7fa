//! Triggers: the stored business rules and the triggers endpoints. Evaluation lives in
//! `rules`.

use axum::http::StatusCode;
use jiff::Timestamp;
use serde_json::{json, Map, Value};

use crate::account::Account;
use crate::clock::seconds;
use crate::pagination::{cursor_page, offset_page, wants_cursor, CursorQuery, OffsetQuery};
use crate::reply::{record_url, ApiError, ApiResult, Reply};
use crate::router::Call;
use crate::users::{existing_id, find_record, parse_id};

/// A stored trigger.
#[derive(Clone, Debug)]
pub(crate) struct Trigger {
    pub id: u64,
    pub title: String,
    pub active: bool,
    pub position: i64,
    pub all: Vec<Value>,
    pub any: Vec<Value>,
    pub actions: Vec<Value>,
    pub description: Option<String>,
    pub category_id: String,
    pub default: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Trigger {
    /// Builds a trigger from a Zendesk JSON object (a seed dump entry).
    pub fn from_json(value: &Value, default_category: &str, now: Timestamp) -> Option<Trigger> {
        let id = value.get("id")?.as_u64()?;
        let list = |key: &str| -> Vec<Value> {
            value
                .get("conditions")
                .and_then(|conditions| conditions.get(key))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let time = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .and_then(|text| text.parse::<Timestamp>().ok())
                .unwrap_or(now)
        };
        Some(Trigger {
            id,
            title: value.get("title")?.as_str()?.to_owned(),
            active: value.get("active").and_then(Value::as_bool).unwrap_or(true),
            position: value
                .get("position")
                .and_then(Value::as_i64)
                .unwrap_or(9999),
            all: list("all"),
            any: list("any"),
            actions: value
                .get("actions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            description: value
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            category_id: category_id(value.get("category_id"))
                .unwrap_or_else(|| default_category.to_owned()),
            default: value
                .get("default")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            created_at: time("created_at"),
            updated_at: time("updated_at"),
        })
    }

    /// The trigger in the recorded shape.
    pub fn to_json(&self, origin: &str) -> Value {
        json!({
            "url": record_url(origin, "triggers", self.id),
            "id": self.id,
            "title": self.title,
            "active": self.active,
            "updated_at": seconds(self.updated_at),
            "created_at": seconds(self.created_at),
            "default": self.default,
            "actions": self.actions,
            "conditions": {"all": self.all, "any": self.any},
            "description": self.description,
            "position": self.position,
            "raw_title": self.title,
            "category_id": self.category_id,
        })
    }
}

/// `GET /api/v2/triggers`: ordered by position; cursor with `page[size]`, else offset.
/// `active=true|false` filters.
pub(crate) fn list(account: &Account, call: &Call) -> ApiResult {
    call.require_staff(account)?;
    let active = call.query("active").map(|value| value == "true");
    let mut triggers: Vec<&Trigger> = account
        .triggers
        .values()
        .filter(|trigger| active.is_none_or(|wanted| trigger.active == wanted))
        .collect();
    triggers.sort_by(|left, right| {
        (left.position, &left.title, left.id).cmp(&(right.position, &right.title, right.id))
    });
    let items: Vec<Value> = triggers
        .iter()
        .map(|trigger| trigger.to_json(&call.origin))
        .collect();
    if wants_cursor(call) {
        let query = CursorQuery::from_call(call)?;
        return Ok(Reply::ok(cursor_page(
            call,
            "/api/v2/triggers.json",
            "triggers",
            &items,
            query,
        )));
    }
    let query = OffsetQuery::from_call(call)?;
    Ok(Reply::ok(offset_page(
        call,
        "/api/v2/triggers.json",
        "triggers",
        &items,
        query,
    )))
}

/// `GET /api/v2/triggers/{id}`.
pub(crate) fn show(account: &Account, call: &Call, id: &str) -> ApiResult {
    call.require_staff(account)?;
    let trigger = find_record(&account.triggers, id)?;
    Ok(Reply::ok(json!({"trigger": trigger.to_json(&call.origin)})))
}

/// A `category_id` as Zendesk takes it, a string or a number; stored as text.
fn category_id(category: Option<&Value>) -> Option<String> {
    let category = category?;
    category
        .as_str()
        .map(str::to_owned)
        .or_else(|| category.as_u64().map(|id| id.to_string()))
}

/// Conditions from `conditions{all,any}` or the legacy top-level `all`/`any`; none when
/// absent.
fn conditions(input: &Map<String, Value>, key: &str) -> Vec<Value> {
    input
        .get("conditions")
        .and_then(|conditions| conditions.get(key))
        .or_else(|| input.get(key))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// A trigger's rule: what it checks and what it does. Zendesk stores and replaces the
/// three lists together.
struct Rule {
    all: Vec<Value>,
    any: Vec<Value>,
    actions: Vec<Value>,
}

impl Rule {
    /// The rule a `trigger` object states: `conditions{all,any}` (or the legacy top-level
    /// `all`/`any`) and `actions`; a list left out is empty.
    fn from_input(input: &Map<String, Value>) -> Rule {
        Rule {
            all: conditions(input, "all"),
            any: conditions(input, "any"),
            actions: input
                .get("actions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// Whether a `trigger` object says anything about conditions or actions. Only such an
    /// update replaces the rule (OAS `UpdateTrigger`).
    fn is_stated_in(input: &Map<String, Value>) -> bool {
        ["conditions", "all", "any", "actions"]
            .iter()
            .any(|key| input.contains_key(*key))
    }

    /// Zendesk refuses a trigger that would do nothing or hold always; every problem is
    /// listed under `base`, as a RecordInvalid does (FACTS §3).
    fn validate(&self) -> Result<(), ApiError> {
        let mut problems = Vec::new();
        if self.actions.is_empty() {
            problems.push(json!({"description": "Trigger must contain at least one action"}));
        }
        if self.all.is_empty() && self.any.is_empty() {
            problems.push(json!({"description": "Trigger must contain at least one condition"}));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::RecordInvalid {
                details: json!({ "base": problems }),
            })
        }
    }
}

/// `POST /api/v2/triggers`: 201 + `Location`; new triggers go last and into the default
/// category unless told otherwise.
pub(crate) fn create(account: &mut Account, call: &Call) -> ApiResult {
    call.require_admin(account)?;
    let input = call.record_input("trigger")?;
    let title = input
        .get("title")
        .and_then(Value::as_str)
        .filter(|title| !title.is_empty())
        .ok_or_else(|| ApiError::invalid("title", "Title: cannot be blank"))?
        .to_owned();
    let rule = Rule::from_input(&input);
    rule.validate()?;
    let position = input
        .get("position")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| {
            account
                .triggers
                .values()
                .map(|trigger| trigger.position)
                .filter(|position| *position < 9998)
                .max()
                .unwrap_or(0)
                + 1
        });
    let id = account.next_id();
    let trigger = Trigger {
        id,
        title,
        active: input.get("active").and_then(Value::as_bool).unwrap_or(true),
        position,
        all: rule.all,
        any: rule.any,
        actions: rule.actions,
        description: input
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        category_id: category_id(input.get("category_id"))
            .unwrap_or_else(|| account.default_trigger_category.clone()),
        default: false,
        created_at: call.now,
        updated_at: call.now,
    };
    let rendered = trigger.to_json(&call.origin);
    account.triggers.insert(id, trigger);
    Ok(Reply::created(
        json!({"trigger": rendered}),
        record_url(&call.origin, "triggers", id),
    ))
}

/// `PUT /api/v2/triggers/{id}`: 200. An update that names any condition or action
/// replaces conditions and actions together, so a list it leaves out ends up empty (OAS
/// `UpdateTrigger`), and a trigger left without actions or conditions is refused with
/// nothing of the update kept. An update naming neither (title, active, position, ...)
/// keeps both.
pub(crate) fn update(account: &mut Account, call: &Call, id: &str) -> ApiResult {
    call.require_admin(account)?;
    let id = existing_id(&account.triggers, id)?;
    let input = call.record_input("trigger")?;
    let rule = if Rule::is_stated_in(&input) {
        let rule = Rule::from_input(&input);
        rule.validate()?;
        Some(rule)
    } else {
        None
    };
    let trigger = account
        .triggers
        .get_mut(&id)
        .ok_or(ApiError::RecordNotFound)?;
    if let Some(rule) = rule {
        trigger.all = rule.all;
        trigger.any = rule.any;
        trigger.actions = rule.actions;
    }
    if let Some(title) = input.get("title").and_then(Value::as_str) {
        trigger.title = title.to_owned();
    }
    if let Some(active) = input.get("active").and_then(Value::as_bool) {
        trigger.active = active;
    }
    if let Some(position) = input.get("position").and_then(Value::as_i64) {
        trigger.position = position;
    }
    if input.contains_key("description") {
        trigger.description = input
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    if let Some(category) = category_id(input.get("category_id")) {
        trigger.category_id = category;
    }
    trigger.updated_at = call.now;
    let rendered = trigger.to_json(&call.origin);
    // Recorded: the update answer carries a Location header too.
    Ok(
        Reply::ok(json!({"trigger": rendered})).with_location(record_url(
            &call.origin,
            "triggers",
            id,
        )),
    )
}

/// Keys a `trigger` object may carry (`all`/`any` are the legacy condition form).
pub(crate) const PERMITTED_KEYS: [&str; 9] = [
    "title",
    "active",
    "position",
    "conditions",
    "actions",
    "description",
    "category_id",
    "all",
    "any",
];

/// `DELETE /api/v2/triggers/{id}`: 204.
pub(crate) fn delete(account: &mut Account, call: &Call, id: &str) -> ApiResult {
    call.require_admin(account)?;
    let id = parse_id(id)?;
    account
        .triggers
        .remove(&id)
        .ok_or(ApiError::RecordNotFound)?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
