//! Zendesk's two pagination styles: offset (`page`, `per_page`, `next_page` URLs) and cursor
//! (`page[size]`, `page[after]`, `meta` + `links`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::reply::ApiError;
use crate::router::Call;

/// The largest page either style serves.
pub(crate) const MAX_PAGE_SIZE: usize = 100;
/// Offset pagination refuses to reach past this many records (2024 rollout).
pub(crate) const MAX_OFFSET_RECORDS: usize = 10_000;

/// A validated offset-pagination request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OffsetQuery {
    pub page: usize,
    pub per_page: usize,
}

impl OffsetQuery {
    /// Reads `page` (default 1) and `per_page` (default and max 100; larger values clamp).
    pub fn from_call(call: &Call) -> Result<OffsetQuery, ApiError> {
        let number = |name: &str, default: usize| -> Result<usize, ApiError> {
            match call.query(name) {
                None | Some("") => Ok(default),
                Some(text) => text.parse::<usize>().map_err(|_| ApiError::BadRequest {
                    error: "InvalidPaginationParameter",
                    description: format!("{name} must be a positive integer"),
                }),
            }
        };
        let page = number("page", 1)?.max(1);
        let per_page = number("per_page", MAX_PAGE_SIZE)?.clamp(1, MAX_PAGE_SIZE);
        if (page - 1).saturating_mul(per_page) >= MAX_OFFSET_RECORDS {
            return Err(ApiError::BadRequest {
                error: "InvalidPaginationDepth",
                description: format!(
                    "Offset pagination is limited to the first {MAX_OFFSET_RECORDS} records. Use cursor based pagination instead."
                ),
            });
        }
        Ok(OffsetQuery { page, per_page })
    }
}

/// One offset page of `items` under `key`, with `next_page`/`previous_page` URLs and `count`.
pub(crate) fn offset_page(
    call: &Call,
    path: &str,
    key: &str,
    items: &[Value],
    query: OffsetQuery,
) -> Value {
    let start = (query.page - 1) * query.per_page;
    let page: Vec<Value> = items
        .iter()
        .skip(start)
        .take(query.per_page)
        .cloned()
        .collect();
    let per_page = query.per_page.to_string();
    let link = |page: usize| -> Value {
        page_link(
            call,
            path,
            &["page", "per_page"],
            &[("page", &page.to_string()), ("per_page", &per_page)],
        )
    };
    let has_next = start + query.per_page < items.len();
    json!({
        key: page,
        "next_page": if has_next { link(query.page + 1) } else { Value::Null },
        "previous_page": if query.page > 1 { link(query.page - 1) } else { Value::Null },
        "count": items.len(),
    })
}

/// Whether the request asked for cursor pagination.
pub(crate) fn wants_cursor(call: &Call) -> bool {
    call.query_pairs
        .iter()
        .any(|(name, _)| name.starts_with("page["))
}

/// A validated cursor-pagination request: an index window over an ordered list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CursorQuery {
    pub size: usize,
    pub after: Option<usize>,
    pub before: Option<usize>,
}

impl CursorQuery {
    /// Reads `page[size]` (default 100, max 100), `page[after]`, `page[before]`.
    pub fn from_call(call: &Call) -> Result<CursorQuery, ApiError> {
        let size = match call.query("page[size]") {
            None => MAX_PAGE_SIZE,
            Some(text) => match text.parse::<usize>() {
                Ok(size) if (1..=MAX_PAGE_SIZE).contains(&size) => size,
                _ => {
                    return Err(ApiError::BadRequest {
                        error: "InvalidPaginationParameter",
                        description: format!("page[size] must be between 1 and {MAX_PAGE_SIZE}"),
                    })
                }
            },
        };
        let cursor = |name: &str| -> Result<Option<usize>, ApiError> {
            match call.query(name) {
                None | Some("") => Ok(None),
                Some(text) => decode_cursor(text).map(Some).ok_or(ApiError::BadRequest {
                    error: "InvalidPaginationParameter",
                    description: format!("{name} is not a valid cursor"),
                }),
            }
        };
        Ok(CursorQuery {
            size,
            after: cursor("page[after]")?,
            before: cursor("page[before]")?,
        })
    }
}

/// The index window a cursor request selects, and whether more items lie beyond it.
pub(crate) struct CursorWindow {
    pub start: usize,
    pub end: usize,
    pub has_more: bool,
}

/// Picks the window of `total` items for `query`. Cursors encode item positions.
/// `decode_cursor` bounds them; the arithmetic saturates anyway, so the window is defined
/// for every input.
pub(crate) fn cursor_window(total: usize, query: CursorQuery) -> CursorWindow {
    match (query.after, query.before) {
        (_, Some(before)) => {
            let end = before.min(total);
            let start = end.saturating_sub(query.size);
            CursorWindow {
                start,
                end,
                has_more: start > 0,
            }
        }
        (after, None) => {
            let start = after.map_or(0, |after| after.saturating_add(1)).min(total);
            let end = start.saturating_add(query.size).min(total);
            CursorWindow {
                start,
                end,
                has_more: end < total,
            }
        }
    }
}

/// One cursor page of `items` under `key`: `meta{has_more,after_cursor,before_cursor}` and
/// `links{next,prev}`. As recorded, `links.next` is present even on the last page.
pub(crate) fn cursor_page(
    call: &Call,
    path: &str,
    key: &str,
    items: &[Value],
    query: CursorQuery,
) -> Value {
    cursor_page_of(call, path, key, items.len(), query, |range| {
        items[range].to_vec()
    })
}

/// [`cursor_page`] over `total` records of which only the page's are rendered (`render` gets their index
/// range), for listings whose records are costly to render (a field with hundreds of options).
pub(crate) fn cursor_page_of(
    call: &Call,
    path: &str,
    key: &str,
    total: usize,
    query: CursorQuery,
    render: impl FnOnce(std::ops::Range<usize>) -> Vec<Value>,
) -> Value {
    let window = cursor_window(total, query);
    let page: Vec<Value> = render(window.start..window.end);
    let (after_cursor, before_cursor) = if page.is_empty() {
        (Value::Null, Value::Null)
    } else {
        (
            json!(encode_cursor(window.end - 1)),
            json!(encode_cursor(window.start)),
        )
    };
    let link = |name: &str, cursor: &Value| -> Value {
        let Some(cursor) = cursor.as_str() else {
            return Value::Null;
        };
        // The size the request left out is spelled out, so every page link keeps it.
        let size = query.size.to_string();
        let mut added = Vec::new();
        if call.query("page[size]").is_none() {
            added.push(("page[size]", size.as_str()));
        }
        added.push((name, cursor));
        page_link(call, path, CURSOR_PARAMETERS, &added)
    };
    json!({
        key: page,
        "meta": {
            "has_more": window.has_more,
            "after_cursor": after_cursor,
            "before_cursor": before_cursor,
        },
        "links": {
            "prev": link("page[before]", &before_cursor),
            "next": link("page[after]", &after_cursor),
        },
    })
}

/// The query parameters that say which cursor page a request wants.
pub(crate) const CURSOR_PARAMETERS: &[&str] = &["page[after]", "page[before]"];

/// A link to another page of the same listing: the request's own query without `dropped`,
/// then `added`.
pub(crate) fn page_link(
    call: &Call,
    path: &str,
    dropped: &[&str],
    added: &[(&str, &str)],
) -> Value {
    let mut pairs: Vec<(String, String)> = call
        .query_pairs
        .iter()
        .filter(|(name, _)| !dropped.contains(&name.as_str()))
        .cloned()
        .collect();
    pairs.extend(
        added
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
    );
    json!(format!("{}{}?{}", call.origin, path, encode_query(&pairs)))
}

/// The largest position a cursor may carry. No list the simulator serves can hold more
/// items (a `Vec` holds at most `isize::MAX` bytes), so no cursor it issues exceeds this,
/// and `position + 1` cannot overflow.
const MAX_CURSOR_POSITION: usize = isize::MAX.unsigned_abs();

/// Cursors are opaque to clients; here they carry an item position.
pub(crate) fn encode_cursor(position: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("p:{position}"))
}

/// The position of a cursor the simulator could have issued, or `None` (Zendesk's 400
/// `InvalidPaginationParameter`). Only the exact spelling `encode_cursor` produces is
/// accepted, so `p:+1`, `p:01` or padded variants are refused like any forged cursor.
pub(crate) fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let position: usize = text.strip_prefix("p:")?.parse().ok()?;
    (position <= MAX_CURSOR_POSITION && encode_cursor(position) == cursor).then_some(position)
}

/// Encodes query pairs the way a browser would (`page%5Bsize%5D=2`).
pub(crate) fn encode_query(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_windows_walk_forward_and_back() {
        let query = |after, before| CursorQuery {
            size: 2,
            after,
            before,
        };
        let table = [
            // (total, after, before, start, end, has_more)
            (5, None, None, 0, 2, true),
            (5, Some(1), None, 2, 4, true),
            (5, Some(3), None, 4, 5, false),
            (5, None, Some(4), 2, 4, true),
            (5, None, Some(2), 0, 2, false),
            (0, None, None, 0, 0, false),
        ];
        for (total, after, before, start, end, has_more) in table {
            let window = cursor_window(total, query(after, before));
            assert_eq!(
                (window.start, window.end, window.has_more),
                (start, end, has_more),
                "total {total} after {after:?} before {before:?}"
            );
        }
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(
            decode_cursor(&encode_cursor(MAX_CURSOR_POSITION)),
            Some(MAX_CURSOR_POSITION)
        );
        assert_eq!(decode_cursor(&encode_cursor(MAX_CURSOR_POSITION + 1)), None);
        assert_eq!(decode_cursor("garbage!"), None);
    }

    #[test]
    fn windows_are_defined_at_the_edges() {
        let window = cursor_window(
            3,
            CursorQuery {
                size: MAX_PAGE_SIZE,
                after: Some(usize::MAX),
                before: None,
            },
        );
        assert_eq!((window.start, window.end, window.has_more), (3, 3, false));
    }
}
