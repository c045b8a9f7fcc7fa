//! Zendesk's two pagination styles.
//!
//! - Cursor (`page[size]`, `page[after]`): the answer has `meta {has_more, after_cursor}` and `links {next}`.
//!   `links.next` is still present on the last page, so the only stop signal is `meta.has_more == false`.
//! - Offset (`page`, `per_page`): the answer has `next_page` (a URL or null). Zendesk refuses to go past 10,000
//!   records (400 `InvalidPaginationDepth`); this client stops there itself with [`Error::PaginationDepth`].
//!
//! `links.next` / `next_page` may name another host (the account's canonical subdomain); they are followed by
//! path and query on the configured base URL (see `Client::url_for`).

use std::collections::HashMap;

use futures::future::{FutureExt, RemoteHandle};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::client::{Answer, Request};
use crate::error::OFFSET_PAGINATION_LIMIT;
use crate::{Client, Error};

/// The largest page Zendesk serves, for both styles.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A guard against a server that keeps answering `has_more` without moving on.
const MAX_PAGES: usize = 10_000;

/// One page of a cursor-paginated list.
#[derive(Debug, Clone)]
pub struct CursorPage<T> {
    /// The page's records.
    pub items: Vec<T>,
    /// Whether another page follows. The only reliable stop signal.
    pub has_more: bool,
    /// The cursor for `page[after]`.
    pub after_cursor: Option<String>,
    /// `links.next`, as Zendesk sent it (possibly on another host).
    pub next: Option<String>,
}

impl<T: DeserializeOwned> CursorPage<T> {
    /// Reads a cursor page whose records are under `key` (e.g. `ticket_fields`), the way the client's streams
    /// read every page.
    pub fn from_slice(body: &[u8], key: &str) -> Result<CursorPage<T>, Error> {
        let members = serde_json::from_slice(body).map_err(|err| Error::decode(key, err))?;
        let page = RawCursorPage::from_members(members, key)?;
        Ok(CursorPage {
            items: page.decode_items(key)?,
            has_more: page.has_more,
            after_cursor: page.after_cursor,
            next: page.next,
        })
    }
}

fn take_items<T: DeserializeOwned>(body: &mut Value, key: &str) -> Result<Vec<T>, Error> {
    let items = body
        .get_mut(key)
        .map(Value::take)
        .ok_or_else(|| Error::Decode {
            detail: format!("the answer has no `{key}` list"),
        })?;
    serde_json::from_value(items).map_err(|err| Error::decode(key, err))
}

/// Where a cursor stream stands: the request for the next page, and that request already on its way (dropping
/// the [`RemoteHandle`] cancels it).
struct Ahead {
    next: Option<Request>,
    pages: usize,
    in_flight: Option<RemoteHandle<Result<Answer, Error>>>,
}

/// A cursor page with its records still undecoded JSON: its cursor is known before the records are decoded.
struct RawCursorPage {
    items: Box<RawValue>,
    has_more: bool,
    after_cursor: Option<String>,
    next: Option<String>,
}

impl RawCursorPage {
    fn read(answer: &Answer, key: &str) -> Result<RawCursorPage, Error> {
        RawCursorPage::from_members(answer.decode(key)?, key)
    }

    /// The page's shape. `has_more` is the only stop signal; a missing or odd `meta` reads as the last page.
    /// `meta` and `links` are small, so they go through a `Value`.
    fn from_members(
        mut members: HashMap<String, Box<RawValue>>,
        key: &str,
    ) -> Result<RawCursorPage, Error> {
        let items = members.remove(key).ok_or_else(|| Error::Decode {
            detail: format!("the answer has no `{key}` list"),
        })?;
        let small = |name: &str| -> Value {
            members
                .get(name)
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                .unwrap_or(Value::Null)
        };
        let (meta, links) = (small("meta"), small("links"));
        Ok(RawCursorPage {
            items,
            has_more: meta
                .get("has_more")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            after_cursor: meta
                .get("after_cursor")
                .and_then(Value::as_str)
                .map(str::to_owned),
            next: links.get("next").and_then(Value::as_str).map(str::to_owned),
        })
    }

    fn decode_items<T: DeserializeOwned>(&self, key: &str) -> Result<Vec<T>, Error> {
        serde_json::from_str(self.items.get()).map_err(|err| Error::decode(key, err))
    }
}

/// `path?k=v&…` with the values form-encoded (`page[size]` becomes `page%5Bsize%5D`).
pub(crate) fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{query}")
}

/// Replaces (or adds) `page[after]` in a path-and-query.
fn with_after_cursor(path_and_query: &str, cursor: &str) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key != "page[after]" && key != "page[before]")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let mut pairs: Vec<(&str, &str)> = kept
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    pairs.push(("page[after]", cursor));
    with_query(path, &pairs)
}

impl Client {
    /// Every record of a cursor-paginated list, page by page, as a stream.
    ///
    /// The next page is asked for as soon as this page's cursor is read, before its records are decoded: on a
    /// long list the decoding of page n overlaps the round trip of page n+1, so the whole read costs about one
    /// round trip per page. At most one request runs ahead, and it is cancelled if the stream is dropped.
    pub(crate) fn cursor_stream<T>(
        &self,
        first: Request,
        key: &'static str,
    ) -> BoxStream<'static, Result<T, Error>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let client = self.clone();
        let start = Ahead {
            next: Some(first),
            pages: 0,
            in_flight: None,
        };
        stream::try_unfold(start, move |ahead| {
            let client = client.clone();
            async move {
                let Some(request) = ahead.next else {
                    return Ok(None);
                };
                if ahead.pages >= MAX_PAGES {
                    return Err(Error::Decode {
                        detail: format!(
                            "{key}: more than {MAX_PAGES} pages; the server keeps saying has_more"
                        ),
                    });
                }
                let answer = match ahead.in_flight {
                    Some(in_flight) => in_flight.await?,
                    None => client.send(&request).await?,
                };
                let page = RawCursorPage::read(&answer, key)?;
                drop(answer);
                let following = if page.has_more {
                    let target = match (&page.next, &page.after_cursor) {
                        (Some(next), _) => next.clone(),
                        (None, Some(cursor)) => with_after_cursor(&request.path_and_query, cursor),
                        (None, None) => {
                            return Err(Error::Decode {
                                detail: format!("{key}: has_more without a next link or cursor"),
                            })
                        }
                    };
                    if target == request.path_and_query {
                        return Err(Error::Decode {
                            detail: format!("{key}: the next page is the page just read"),
                        });
                    }
                    Some(Request {
                        path_and_query: target,
                        ..request
                    })
                } else {
                    None
                };
                let in_flight = following.clone().map(|next| {
                    let client = client.clone();
                    let (remote, handle) = async move { client.send(&next).await }.remote_handle();
                    tokio::spawn(remote);
                    handle
                });
                let items: Vec<T> = page.decode_items(key)?;
                let ahead = Ahead {
                    next: following,
                    pages: ahead.pages + 1,
                    in_flight,
                };
                Ok(Some((items, ahead)))
            }
        })
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
    }

    /// Every record of an offset-paginated list, stopping with [`Error::PaginationDepth`] rather than asking
    /// Zendesk for more than 10,000 records.
    pub(crate) async fn collect_offset<T: DeserializeOwned>(
        &self,
        first: Request,
        key: &str,
    ) -> Result<Vec<T>, Error> {
        let mut request = first;
        let mut all = Vec::new();
        loop {
            let mut body: Value = self.json(&request).await?;
            let items: Vec<T> = take_items(&mut body, key)?;
            let fetched_nothing = items.is_empty();
            all.extend(items);
            let next = body.get("next_page").and_then(Value::as_str);
            let Some(next) = next else {
                return Ok(all);
            };
            if fetched_nothing || next == request.path_and_query {
                return Err(Error::Decode {
                    detail: format!("{key}: next_page does not move on"),
                });
            }
            if all.len() >= OFFSET_PAGINATION_LIMIT as usize {
                return Err(Error::PaginationDepth {
                    limit: OFFSET_PAGINATION_LIMIT,
                });
            }
            request = Request {
                path_and_query: next.to_owned(),
                ..request
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (path, pairs, expected path and query)
    type QueryCase = (
        &'static str,
        &'static [(&'static str, &'static str)],
        &'static str,
    );

    #[test]
    fn query_building() {
        let table: &[QueryCase] = &[
            (
                "/api/v2/ticket_fields",
                &[("page[size]", "100")],
                "/api/v2/ticket_fields?page%5Bsize%5D=100",
            ),
            (
                "/api/v2/users/search",
                &[("query", "email:a b@x.com")],
                "/api/v2/users/search?query=email%3Aa+b%40x.com",
            ),
            ("/api/v2/triggers", &[], "/api/v2/triggers"),
        ];
        for (path, pairs, expected) in table {
            assert_eq!(with_query(path, pairs), *expected);
        }
        assert_eq!(
            with_after_cursor(
                "/api/v2/triggers?page%5Bsize%5D=100&page%5Bafter%5D=old",
                "new"
            ),
            "/api/v2/triggers?page%5Bsize%5D=100&page%5Bafter%5D=new"
        );
    }

    #[test]
    fn the_last_cursor_page_still_has_a_next_link() {
        // Shape recorded in TestTriggers.test_values.json: has_more false, links.next present.
        let body = serde_json::json!({
            "triggers": [{"id": 1}],
            "meta": {"has_more": false, "after_cursor": "eyJvIjoi", "before_cursor": "eyJvIjoi"},
            "links": {"next": "https://z3n.zendesk.com/api/v2/triggers.json?page%5Bafter%5D=eyJvIjoi&page%5Bsize%5D=100", "prev": null}
        });
        let page: CursorPage<Value> =
            CursorPage::from_slice(body.to_string().as_bytes(), "triggers").unwrap();
        assert!(!page.has_more);
        assert!(page.next.is_some());
        assert_eq!(page.items.len(), 1);
    }
}
