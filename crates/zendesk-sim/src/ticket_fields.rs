//! Ticket fields: the stored definitions (system and custom), custom-field value validation
//! for tickets, and the ticket_fields endpoints.

use axum::http::StatusCode;
use jiff::Timestamp;
use serde_json::{json, Map, Value};

use crate::account::Account;
use crate::clock::seconds;
use crate::pagination::{cursor_page_of, wants_cursor, CursorQuery};
use crate::reply::{record_url, ApiError, ApiResult, Reply};
use crate::router::Call;
use crate::users::{existing_id, find_record};

/// A stored ticket field. The JSON object is kept whole (as Zendesk returned it for seeded
/// fields) so every key round-trips; `url` is rewritten per request.
#[derive(Clone, Debug)]
pub(crate) struct TicketField {
    pub id: u64,
    pub object: Map<String, Value>,
}

impl TicketField {
    /// Builds a field from a Zendesk JSON object; `None` without a numeric id.
    pub fn from_json(value: &Value) -> Option<TicketField> {
        let object = value.as_object()?.clone();
        let id = object.get("id")?.as_u64()?;
        Some(TicketField { id, object })
    }

    /// The field type (`text`, `tagger`, `date`, `subject`, ...).
    pub fn kind(&self) -> &str {
        self.object
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("text")
    }

    /// The display title.
    pub fn title(&self) -> &str {
        self.object
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Whether the field is a custom (removable) field, i.e. appears in `custom_fields`.
    pub fn is_custom(&self) -> bool {
        self.object
            .get("removable")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// Whether the field is active.
    pub fn is_active(&self) -> bool {
        self.object
            .get("active")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    fn position(&self) -> i64 {
        self.object
            .get("position")
            .and_then(Value::as_i64)
            .unwrap_or(9999)
    }

    /// The option tags a dropdown/multiselect accepts.
    pub fn option_values(&self) -> Vec<&str> {
        self.object
            .get("custom_field_options")
            .and_then(Value::as_array)
            .map(|options| {
                options
                    .iter()
                    .filter_map(|option| option.get("value").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The checkbox's tag, if it has one.
    pub fn checkbox_tag(&self) -> Option<&str> {
        self.object
            .get("tag")
            .and_then(Value::as_str)
            .filter(|tag| !tag.is_empty())
    }

    /// The field as JSON for this request's origin.
    pub fn to_json(&self, origin: &str) -> Value {
        let mut object = self.object.clone();
        object.insert(
            "url".to_owned(),
            json!(record_url(origin, "ticket_fields", self.id)),
        );
        Value::Object(object)
    }
}

/// What a custom field value written to a ticket turns into.
#[derive(Debug, PartialEq)]
pub(crate) enum FieldWrite {
    /// Store this value.
    Set(Value),
    /// Zendesk drops invalid dropdown values silently: keep the previous value.
    Ignore,
}

/// Validates a value for a custom field. Dropdown (`tagger`) and multiselect values that
/// are not option tags are dropped silently; dates must be `YYYY-MM-DD` (a datetime is a
/// 422 `InvalidValue` under `base` with `field_key`); numbers must parse.
pub(crate) fn validate_value(field: &TicketField, value: &Value) -> Result<FieldWrite, ApiError> {
    if value.is_null() {
        return Ok(FieldWrite::Set(Value::Null));
    }
    let invalid = || ApiError::RecordInvalid {
        details: json!({"base": [{
            "description": format!("{} is invalid", field.title()),
            "error": "InvalidValue",
            "field_key": field.id,
        }]}),
    };
    let text = match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    };
    match field.kind() {
        "tagger" => {
            let options = field.option_values();
            match text {
                Some(text) if text.is_empty() => Ok(FieldWrite::Set(Value::Null)),
                Some(text) if options.contains(&text.as_str()) => Ok(FieldWrite::Set(json!(text))),
                _ => Ok(FieldWrite::Ignore),
            }
        }
        "multiselect" => {
            let options = field.option_values();
            let chosen: Vec<&str> = match value {
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                Value::String(text) => vec![text.as_str()],
                _ => Vec::new(),
            };
            let kept: Vec<&str> = chosen
                .into_iter()
                .filter(|choice| options.contains(choice))
                .collect();
            Ok(FieldWrite::Set(json!(kept)))
        }
        "date" => {
            let text = text.ok_or_else(invalid)?;
            if text.is_empty() {
                return Ok(FieldWrite::Set(Value::Null));
            }
            let well_formed = text.len() == 10 && text.parse::<jiff::civil::Date>().is_ok();
            if well_formed {
                Ok(FieldWrite::Set(json!(text)))
            } else {
                Err(invalid())
            }
        }
        "integer" => {
            let text = text.ok_or_else(invalid)?;
            text.trim().parse::<i64>().map_err(|_| invalid())?;
            Ok(FieldWrite::Set(json!(text.trim())))
        }
        "decimal" => {
            let text = text.ok_or_else(invalid)?;
            text.trim().parse::<f64>().map_err(|_| invalid())?;
            Ok(FieldWrite::Set(json!(text.trim())))
        }
        "checkbox" => match value {
            Value::Bool(flag) => Ok(FieldWrite::Set(json!(flag))),
            Value::String(text) => Ok(FieldWrite::Set(json!(matches!(
                text.as_str(),
                "true" | "1" | "yes"
            )))),
            Value::Number(number) => Ok(FieldWrite::Set(json!(number.as_i64() == Some(1)))),
            _ => Err(invalid()),
        },
        _ => Ok(FieldWrite::Set(match text {
            Some(text) => json!(text),
            None => value.clone(),
        })),
    }
}

/// A system field's `system_field_options`: `{"name","value"}` pairs.
fn choices(options: &[(&str, &str)]) -> Value {
    options
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect()
}

/// The system fields every account has (used when a seed brings none).
pub(crate) fn system_fields(account: &mut Account, now: Timestamp) -> Vec<TicketField> {
    let definitions: [(&str, &str, i64, Value); 8] = [
        ("subject", "Subject", 1, Value::Null),
        ("description", "Description", 2, Value::Null),
        (
            "status",
            "Status",
            3,
            choices(&[
                ("Open", "open"),
                ("Pending", "pending"),
                ("Solved", "solved"),
            ]),
        ),
        (
            "tickettype",
            "Type",
            4,
            choices(&[
                ("Question", "question"),
                ("Incident", "incident"),
                ("Problem", "problem"),
                ("Task", "task"),
            ]),
        ),
        (
            "priority",
            "Priority",
            5,
            choices(&[
                ("Low", "low"),
                ("Normal", "normal"),
                ("High", "high"),
                ("Urgent", "urgent"),
            ]),
        ),
        ("group", "Group", 6, Value::Null),
        ("assignee", "Assignee", 7, Value::Null),
        ("custom_status", "Ticket status", 8, Value::Null),
    ];
    definitions
        .into_iter()
        .map(|(kind, title, position, options)| {
            let id = account.next_id();
            let mut object = field_object(id, kind, title, position, now);
            object.insert("removable".to_owned(), json!(false));
            object.insert(
                "required".to_owned(),
                json!(kind == "subject" || kind == "description"),
            );
            if !options.is_null() {
                object.insert("system_field_options".to_owned(), options);
            }
            TicketField { id, object }
        })
        .collect()
}

fn field_object(
    id: u64,
    kind: &str,
    title: &str,
    position: i64,
    now: Timestamp,
) -> Map<String, Value> {
    let value = json!({
        "url": "",
        "id": id,
        "type": kind,
        "title": title,
        "raw_title": title,
        "description": title,
        "raw_description": title,
        "position": position,
        "active": true,
        "required": false,
        "collapsed_for_agents": false,
        "regexp_for_validation": null,
        "title_in_portal": title,
        "raw_title_in_portal": title,
        "visible_in_portal": false,
        "editable_in_portal": false,
        "required_in_portal": false,
        "tag": null,
        "created_at": seconds(now),
        "updated_at": seconds(now),
        "removable": true,
        "key": null,
        "agent_description": null,
    });
    match value {
        Value::Object(object) => object,
        _ => Map::new(),
    }
}

/// A custom field created through the API or a generated seed.
pub(crate) fn new_custom_field(
    account: &mut Account,
    kind: &str,
    title: &str,
    now: Timestamp,
) -> TicketField {
    let id = account.next_id();
    TicketField {
        id,
        object: field_object(id, kind, title, 9999, now),
    }
}

const CUSTOM_TYPES: [&str; 11] = [
    "text",
    "textarea",
    "checkbox",
    "date",
    "integer",
    "decimal",
    "regexp",
    "partialcreditcard",
    "multiselect",
    "tagger",
    "lookup",
];

/// `GET /api/v2/ticket_fields`: cursor pagination (ordered by id) with `page[size]`, or
/// everything ordered by position then id, with `next_page: null` and `count`.
pub(crate) fn list(account: &Account, call: &Call) -> ApiResult {
    call.require_staff(account)?;
    let mut fields: Vec<&TicketField> = account.ticket_fields.values().collect();
    if wants_cursor(call) {
        let query = CursorQuery::from_call(call)?;
        // Only the page's fields are rendered: a large catalog costs one page of work per request.
        return Ok(Reply::ok(cursor_page_of(
            call,
            "/api/v2/ticket_fields.json",
            "ticket_fields",
            fields.len(),
            query,
            |range| {
                fields[range]
                    .iter()
                    .map(|field| field.to_json(&call.origin))
                    .collect()
            },
        )));
    }
    fields.sort_by_key(|field| (field.position(), field.id));
    let items: Vec<Value> = fields
        .iter()
        .map(|field| field.to_json(&call.origin))
        .collect();
    let count = items.len();
    Ok(Reply::ok(json!({
        "ticket_fields": items,
        "next_page": null,
        "previous_page": null,
        "count": count,
    })))
}

/// `GET /api/v2/ticket_fields/{id}`.
pub(crate) fn show(account: &Account, call: &Call, id: &str) -> ApiResult {
    call.require_staff(account)?;
    let field = find_record(&account.ticket_fields, id)?;
    Ok(Reply::ok(
        json!({ "ticket_field": field.to_json(&call.origin) }),
    ))
}

/// `POST /api/v2/ticket_fields`: 201 + `Location`.
pub(crate) fn create(account: &mut Account, call: &Call) -> ApiResult {
    call.require_admin(account)?;
    let input = call.record_input("ticket_field")?;
    let kind = input
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("text")
        .to_owned();
    if !CUSTOM_TYPES.contains(&kind.as_str()) {
        return Err(ApiError::invalid(
            "type",
            format!("Type: {kind} is not a valid field type"),
        ));
    }
    let title = input
        .get("title")
        .and_then(Value::as_str)
        .filter(|title| !title.is_empty())
        .ok_or_else(|| ApiError::invalid("title", "Title: cannot be blank"))?
        .to_owned();
    let mut field = new_custom_field(account, &kind, &title, call.now);
    apply_field_input(&mut field, &input, call.now, true);
    if matches!(kind.as_str(), "tagger" | "multiselect") {
        let options = build_options(account, input.get("custom_field_options"));
        field
            .object
            .insert("custom_field_options".to_owned(), json!(options));
    }
    let id = field.id;
    let rendered = field.to_json(&call.origin);
    account.ticket_fields.insert(id, field);
    Ok(Reply::created(
        json!({ "ticket_field": rendered }),
        record_url(&call.origin, "ticket_fields", id),
    ))
}

/// `PUT /api/v2/ticket_fields/{id}`: `id` and `type` are not updatable (reported in
/// `x-zendesk-api-warn`).
pub(crate) fn update(account: &mut Account, call: &Call, id: &str) -> ApiResult {
    call.require_admin(account)?;
    let id = existing_id(&account.ticket_fields, id)?;
    let input = call.record_input("ticket_field")?;
    let options = input
        .get("custom_field_options")
        .map(|options| build_options(account, Some(options)));
    let field = account
        .ticket_fields
        .get_mut(&id)
        .ok_or(ApiError::RecordNotFound)?;
    apply_field_input(field, &input, call.now, false);
    if let Some(options) = options {
        field
            .object
            .insert("custom_field_options".to_owned(), json!(options));
    }
    let rendered = field.to_json(&call.origin);
    Ok(Reply::ok(json!({ "ticket_field": rendered })))
}

/// `DELETE /api/v2/ticket_fields/{id}`: 204; system fields cannot be deleted.
pub(crate) fn delete(account: &mut Account, call: &Call, id: &str) -> ApiResult {
    call.require_admin(account)?;
    let field = find_record(&account.ticket_fields, id)?;
    if !field.is_custom() {
        return Err(ApiError::Unprocessable {
            error: "RecordInvalid",
            description: "System fields cannot be deleted".to_owned(),
        });
    }
    let id = field.id;
    account.ticket_fields.remove(&id);
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// Keys a ticket field update may carry (`id` and `type` cannot change).
pub(crate) const UPDATABLE_KEYS: [&str; 18] = [
    "title",
    "description",
    "position",
    "active",
    "required",
    "collapsed_for_agents",
    "regexp_for_validation",
    "title_in_portal",
    "visible_in_portal",
    "editable_in_portal",
    "required_in_portal",
    "tag",
    "agent_description",
    "key",
    "custom_field_options",
    "raw_title",
    "raw_description",
    "sub_type_id",
];

/// The updatable keys copied onto the field as given: all but the last four, which are
/// options, raw texts and the sub type, each handled on its own.
const WRITABLE_KEYS: &[&str] = UPDATABLE_KEYS.split_at(14).0;

fn apply_field_input(
    field: &mut TicketField,
    input: &Map<String, Value>,
    now: Timestamp,
    creating: bool,
) {
    for &key in WRITABLE_KEYS {
        if let Some(value) = input.get(key) {
            field.object.insert(key.to_owned(), value.clone());
        }
    }
    if let Some(title) = input.get("title").cloned() {
        field.object.insert("raw_title".to_owned(), title.clone());
        if creating && !input.contains_key("description") {
            // Recorded: a field created with only a title gets it as description too.
            field.object.insert("description".to_owned(), title.clone());
            field
                .object
                .insert("raw_description".to_owned(), title.clone());
        }
        if !input.contains_key("title_in_portal") {
            field
                .object
                .insert("title_in_portal".to_owned(), title.clone());
            field.object.insert("raw_title_in_portal".to_owned(), title);
        }
    }
    if let Some(description) = input.get("description").cloned() {
        field
            .object
            .insert("raw_description".to_owned(), description);
    }
    if !creating {
        field
            .object
            .insert("updated_at".to_owned(), json!(seconds(now)));
    }
}

fn build_options(account: &mut Account, options: Option<&Value>) -> Vec<Value> {
    let Some(Value::Array(options)) = options else {
        return Vec::new();
    };
    options
        .iter()
        .map(|option| {
            let name = option.get("name").and_then(Value::as_str).unwrap_or("");
            let value = option.get("value").and_then(Value::as_str).unwrap_or("");
            let id = option
                .get("id")
                .and_then(Value::as_u64)
                .unwrap_or_else(|| account.next_id());
            json!({
                "id": id,
                "name": name,
                "raw_name": name,
                "value": value,
                "default": option.get("default").and_then(Value::as_bool).unwrap_or(false),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: &str) -> TicketField {
        TicketField::from_json(&json!({
            "id": 7, "type": kind, "title": "Field",
            "custom_field_options": [{"id": 1, "name": "A", "value": "opt_a"}, {"id": 2, "name": "B", "value": "opt_b"}],
        }))
        .unwrap()
    }

    #[test]
    fn custom_field_values_are_kept_dropped_or_refused() {
        // (type, value written, outcome: Some(stored) | None = silently dropped | "422")
        type Expected = Result<Option<Value>, ()>;
        let table: Vec<(&str, Value, Expected)> = vec![
            ("tagger", json!("opt_a"), Ok(Some(json!("opt_a")))),
            ("tagger", json!("A"), Ok(None)),
            ("tagger", json!("nope"), Ok(None)),
            ("tagger", Value::Null, Ok(Some(Value::Null))),
            (
                "multiselect",
                json!(["opt_a", "nope", "opt_b"]),
                Ok(Some(json!(["opt_a", "opt_b"]))),
            ),
            ("date", json!("2024-05-01"), Ok(Some(json!("2024-05-01")))),
            ("date", json!("2024-05-01T10:00:00Z"), Err(())),
            ("date", json!("05/01/2024"), Err(())),
            ("integer", json!(42), Ok(Some(json!("42")))),
            ("integer", json!("4.2"), Err(())),
            ("decimal", json!("4.2"), Ok(Some(json!("4.2")))),
            ("checkbox", json!(true), Ok(Some(json!(true)))),
            ("text", json!("free text"), Ok(Some(json!("free text")))),
        ];
        for (kind, value, expected) in table {
            let outcome = validate_value(&field(kind), &value);
            match (outcome, expected) {
                (Ok(FieldWrite::Set(stored)), Ok(Some(expected))) => {
                    assert_eq!(stored, expected, "{kind} {value}")
                }
                (Ok(FieldWrite::Ignore), Ok(None)) => {}
                (Err(ApiError::RecordInvalid { details }), Err(())) => {
                    assert_eq!(
                        details["base"][0]["error"],
                        json!("InvalidValue"),
                        "{kind} {value}"
                    );
                    assert_eq!(details["base"][0]["field_key"], json!(7), "{kind} {value}");
                }
                (outcome, expected) => {
                    panic!("{kind} {value}: got {outcome:?}, expected {expected:?}")
                }
            }
        }
    }
}
