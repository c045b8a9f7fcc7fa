//! Zendesk placeholders (`{{ticket.id}}`, `{{current_user.name}}`, ...) rendered with Liquid.
//!
//! For JSON-format webhooks every string value is JSON-escaped before rendering (quotes,
//! newlines, backslashes), so a body such as `{"text": "{{ticket.latest_comment}}"}` stays
//! valid JSON whatever the comment says; numbers stay numbers (`"id": {{ticket.id}}`).
//! Unknown placeholders render empty, as in Zendesk.

use serde_json::{json, Map, Value};

use crate::account::Account;
use crate::clock::seconds;
use crate::tickets::Ticket;
use crate::users::User;

/// The values placeholders can name, as a JSON tree (`ticket`, `current_user`).
pub(crate) struct Scope {
    tree: Value,
}

impl Scope {
    /// The placeholders for `ticket` updated by `actor`.
    pub fn new(account: &Account, ticket: &Ticket, actor: &User) -> Scope {
        let state = &ticket.state;
        let requester = account.users.get(&state.requester_id);
        let assignee = state.assignee_id.and_then(|id| account.users.get(&id));
        let person = |user: Option<&User>| -> Value {
            match user {
                Some(user) => {
                    let mut parts = user.name.splitn(2, ' ');
                    json!({
                        "id": user.id,
                        "name": user.name,
                        "first_name": parts.next().unwrap_or(""),
                        "last_name": parts.next().unwrap_or(""),
                        "email": user.email.clone().unwrap_or_default(),
                        "external_id": user.external_id.clone().unwrap_or_default(),
                        "phone": user.phone.clone().unwrap_or_default(),
                    })
                }
                None => json!({}),
            }
        };
        let latest = ticket.latest_comment(false);
        let latest_public = ticket.latest_comment(true);
        let mut fields = Map::new();
        fields.insert("id".to_owned(), json!(ticket.id));
        fields.insert(
            "external_id".to_owned(),
            json!(state.external_id.clone().unwrap_or_default()),
        );
        fields.insert(
            "title".to_owned(),
            json!(state.subject.clone().unwrap_or_default()),
        );
        fields.insert("description".to_owned(), json!(ticket.description));
        fields.insert("status".to_owned(), json!(capitalized(&state.status)));
        fields.insert(
            "priority".to_owned(),
            json!(state
                .priority
                .as_deref()
                .map(capitalized)
                .unwrap_or_default()),
        );
        fields.insert(
            "ticket_type".to_owned(),
            json!(state.kind.as_deref().map(capitalized).unwrap_or_default()),
        );
        fields.insert("tags".to_owned(), json!(state.tags.join(" ")));
        fields.insert("requester".to_owned(), person(requester));
        fields.insert("assignee".to_owned(), person(assignee));
        fields.insert(
            "latest_comment".to_owned(),
            json!(latest
                .map(|comment| comment.body.clone())
                .unwrap_or_default()),
        );
        fields.insert(
            "latest_comment_html".to_owned(),
            json!(latest
                .map(|comment| comment.html_body.clone())
                .unwrap_or_default()),
        );
        fields.insert(
            "latest_public_comment".to_owned(),
            json!(latest_public
                .map(|comment| comment.body.clone())
                .unwrap_or_default()),
        );
        fields.insert(
            "latest_public_comment_html".to_owned(),
            json!(latest_public
                .map(|comment| comment.html_body.clone())
                .unwrap_or_default()),
        );
        fields.insert(
            "updated_at_with_timestamp".to_owned(),
            json!(seconds(ticket.updated_at)),
        );
        fields.insert(
            "created_at_with_timestamp".to_owned(),
            json!(seconds(ticket.created_at)),
        );
        fields.insert(
            "via".to_owned(),
            json!(crate::tickets::via_json(ticket.via_id)["channel"]),
        );
        for field in account
            .ticket_fields
            .values()
            .filter(|field| field.is_custom())
        {
            let value = state
                .custom_fields
                .get(&field.id)
                .cloned()
                .unwrap_or(Value::Null);
            let rendered = match value {
                Value::Null => json!(""),
                Value::Array(items) => json!(items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")),
                Value::String(text) => json!(text),
                other => json!(other.to_string()),
            };
            fields.insert(format!("ticket_field_{}", field.id), rendered);
        }
        let current_user = json!({
            "id": actor.id,
            "name": actor.name,
            "first_name": actor.name.split(' ').next().unwrap_or(""),
            "email": actor.email.clone().unwrap_or_default(),
            "external_id": actor.external_id.clone().unwrap_or_default(),
            "role": actor.role.placeholder(),
        });
        Scope {
            tree: json!({"ticket": Value::Object(fields), "current_user": current_user}),
        }
    }

    /// A scope from a ready-made tree (tests).
    #[cfg(test)]
    pub fn from_tree(tree: Value) -> Scope {
        Scope { tree }
    }
}

fn capitalized(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

/// Renders `template` with the scope's placeholders; `json_escape` for JSON-format webhooks.
pub(crate) fn render(template: &str, scope: &Scope, json_escape: bool) -> String {
    let mut tree = scope.tree.clone();
    if json_escape {
        escape_strings(&mut tree);
    }
    for path in referenced_paths(template) {
        ensure_path(&mut tree, &path);
    }
    let rendered = liquid::ParserBuilder::with_stdlib()
        .build()
        .and_then(|parser| parser.parse(template))
        .and_then(|parsed| {
            let globals = liquid::model::to_object(&tree)?;
            parsed.render(&globals)
        });
    match rendered {
        Ok(text) => text,
        Err(error) => {
            tracing::debug!(%error, "placeholder template is not valid Liquid; substituting plainly");
            substitute(template, &tree)
        }
    }
}

/// JSON-escapes every string leaf (without the surrounding quotes).
fn escape_strings(value: &mut Value) {
    match value {
        Value::String(text) => {
            let quoted = Value::String(std::mem::take(text)).to_string();
            *text = quoted[1..quoted.len() - 1].to_owned();
        }
        Value::Object(map) => map.values_mut().for_each(escape_strings),
        Value::Array(items) => items.iter_mut().for_each(escape_strings),
        _ => {}
    }
}

/// Dotted variable paths named inside `{{ }}` and `{% %}` (the first identifier of each).
fn referenced_paths(template: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find(['{']) {
        let after = &rest[start + 1..];
        let Some(kind) = after.chars().next() else {
            break;
        };
        if kind != '{' && kind != '%' {
            rest = after;
            continue;
        }
        let inner = &after[1..];
        let close = if kind == '{' { "}}" } else { "%}" };
        let end = inner.find(close).unwrap_or(inner.len());
        for word in
            inner[..end].split(|c: char| c.is_whitespace() || c == '|' || c == ',' || c == ':')
        {
            let word = word.trim_matches(|c: char| c == '-' || c == '(' || c == ')');
            if word.contains('.')
                && word
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
            {
                paths.push(word.split('.').map(str::to_owned).collect());
            }
        }
        rest = &inner[end.min(inner.len())..];
    }
    paths
}

/// Makes `path` resolve (to an empty string) if it does not, where the tree allows it.
fn ensure_path(tree: &mut Value, path: &[String]) {
    let mut node = tree;
    for (index, key) in path.iter().enumerate() {
        let last = index + 1 == path.len();
        let Value::Object(map) = node else {
            return;
        };
        if !map.contains_key(key) {
            let filler = if last { json!("") } else { json!({}) };
            map.insert(key.clone(), filler);
        }
        let Some(next) = map.get_mut(key) else {
            return;
        };
        node = next;
    }
}

/// A plain `{{path}}` substitution, for templates Liquid cannot parse.
fn substitute(template: &str, tree: &Value) -> String {
    let mut output = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        output.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            output.push_str(&rest[start..]);
            return output;
        };
        let path = after[..end].trim();
        let mut node = tree;
        for key in path.split('.') {
            node = node.get(key).unwrap_or(&Value::Null);
        }
        match node {
            Value::String(text) => output.push_str(text),
            Value::Null => {}
            other => output.push_str(&other.to_string()),
        }
        rest = &after[end + 2..];
    }
    output.push_str(rest);
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_stay_valid_whatever_the_comment_says() {
        let scope = Scope::from_tree(json!({
            "ticket": {"id": 42, "latest_comment": "He said \"hi\"\nthen left C:\\temp", "tags": "a b"},
            "current_user": {"role": "Agent"},
        }));
        let template = "{\"id\": {{ticket.id}}, \"text\": \"{{ticket.latest_comment}}\", \"who\": \"{{current_user.role}}\", \"missing\": \"{{ticket.nothing_here}}\"}";
        let rendered = render(template, &scope, true);
        let parsed: Value =
            serde_json::from_str(&rendered).unwrap_or_else(|error| panic!("{error}: {rendered}"));
        assert_eq!(parsed["id"], json!(42));
        assert_eq!(parsed["text"], json!("He said \"hi\"\nthen left C:\\temp"));
        assert_eq!(parsed["who"], json!("Agent"));
        assert_eq!(parsed["missing"], json!(""));
        // Plain (non-JSON) webhooks get the raw text.
        assert_eq!(
            render("{{ticket.latest_comment}}", &scope, false),
            "He said \"hi\"\nthen left C:\\temp"
        );
        // Liquid filters and tags work.
        assert_eq!(
            render(
                "{{ticket.tags | upcase}}{% if ticket.id > 40 %}!{% endif %}",
                &scope,
                false
            ),
            "A B!"
        );
    }

    #[test]
    fn paths_are_found_in_outputs_and_tags() {
        let paths = referenced_paths("{{ticket.id}} {% if ticket.requester.email %}x{% endif %} {{ current_user.name | upcase }}");
        assert!(paths.contains(&vec!["ticket".to_owned(), "id".to_owned()]));
        assert!(paths.contains(&vec![
            "ticket".to_owned(),
            "requester".to_owned(),
            "email".to_owned()
        ]));
        assert!(paths.contains(&vec!["current_user".to_owned(), "name".to_owned()]));
    }
}
