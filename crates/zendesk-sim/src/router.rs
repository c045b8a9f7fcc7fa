//! The request path: account/host check, `.json` suffixes, latency, authentication, rate
//! limits, dispatch to the resource handlers, and Zendesk's common response headers.
//!
//! Routing is a `match` on (method, path segments) rather than axum routes, because Zendesk
//! accepts every path with or without `.json`, answers unknown paths with its own JSON 404,
//! and the rate-limit bucket and API family depend on the matched endpoint.

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, Request};
use axum::response::Response;
use jiff::Timestamp;
use serde_json::Value;

use crate::account::Account;
use crate::auth::authenticate;
use crate::ratelimit::{self, Bucket};
use crate::reply::{unknown_account_page, ApiError, ApiFamily, ApiResult};
use crate::users::{self, Role, User};
use crate::Simulator;

/// Largest request body the simulator reads.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Path prefix that makes a request look as if it were sent to `{subdomain}.zendesk.com`:
/// `/_account/{subdomain}/api/v2/...`. Lets a client on `127.0.0.1` try a wrong subdomain.
pub const ACCOUNT_PREFIX: &str = "/_account/";

/// Who is calling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Caller {
    /// No (or password-style) credentials.
    Anonymous,
    /// An authenticated user.
    User(u64),
}

/// One API request as the handlers see it.
#[derive(Debug)]
pub(crate) struct Call {
    pub method: Method,
    /// The path without the account prefix and without a `.json` suffix.
    pub path: String,
    pub query_pairs: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// `http://host[:port][/_account/sub]`, used for `url`, `Location` and page links.
    pub origin: String,
    pub caller: Caller,
    pub now: Timestamp,
}

impl Call {
    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query_pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of query parameter `name`.
    pub fn query_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.query_pairs
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body parsed as JSON (an empty body is `{}`).
    pub fn json_body(&self) -> Result<Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(serde_json::Map::new()));
        }
        serde_json::from_slice(&self.body)
            .map_err(|error| ApiError::bad_json(format!("Request body is not valid JSON: {error}")))
    }

    /// The authenticated user, or 401.
    pub fn user<'a>(&self, account: &'a Account) -> Result<&'a User, ApiError> {
        match self.caller {
            Caller::Anonymous => Err(ApiError::Unauthenticated),
            Caller::User(id) => account.users.get(&id).ok_or(ApiError::Unauthenticated),
        }
    }

    /// The authenticated user if staff (agent or admin): 401 anonymous, 403 end user.
    pub fn require_staff<'a>(&self, account: &'a Account) -> Result<&'a User, ApiError> {
        let user = self.user(account)?;
        if user.role.is_staff() {
            Ok(user)
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The authenticated user if admin: 401 anonymous, 403 otherwise.
    pub fn require_admin<'a>(&self, account: &'a Account) -> Result<&'a User, ApiError> {
        let user = self.user(account)?;
        if user.role == Role::Admin {
            Ok(user)
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// Every endpoint the simulator serves, with its path parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // Only users endpoints exist in this first cut.
pub(crate) enum Route {
    UsersMe,
    UsersList,
    UsersShow(String),
    UsersShowMany,
    UsersSearch,
    UsersCreate,
    UsersCreateOrUpdate,
    UsersUpdate(String),
    UsersDelete(String),
}

impl Route {
    /// Matches a method and a path (without `.json`) to an endpoint.
    pub fn find(method: &Method, path: &str) -> Option<Route> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let rest = segments.strip_prefix(&["api", "v2"])?;
        let get = method == Method::GET;
        let post = method == Method::POST;
        let put = method == Method::PUT;
        let delete = method == Method::DELETE;
        let route = match rest {
            ["users", "me"] if get => Route::UsersMe,
            ["users"] if get => Route::UsersList,
            ["users"] if post => Route::UsersCreate,
            ["users", "show_many"] if get => Route::UsersShowMany,
            ["users", "search"] if get => Route::UsersSearch,
            ["users", "create_or_update"] if post => Route::UsersCreateOrUpdate,
            ["users", id] if get => Route::UsersShow((*id).to_owned()),
            ["users", id] if put => Route::UsersUpdate((*id).to_owned()),
            ["users", id] if delete => Route::UsersDelete((*id).to_owned()),
            _ => return None,
        };
        Some(route)
    }

    /// Which API family answers this endpoint.
    pub fn family(&self) -> ApiFamily {
        ApiFamily::Support
    }

    /// The rate-limit buckets this request counts against; the first one's numbers go in
    /// the response headers.
    pub fn buckets(&self, sim: &Simulator, _caller: Caller) -> Vec<Bucket> {
        vec![Bucket::per_minute(
            "account",
            sim.state.config.plan.requests_per_minute(),
        )]
    }

    /// Runs the endpoint against the account.
    pub fn execute(&self, account: &mut Account, call: &Call) -> ApiResult {
        match self {
            Route::UsersMe => users::me(account, call),
            Route::UsersList => users::list(account, call),
            Route::UsersShow(id) => users::show(account, call, id),
            Route::UsersShowMany => users::show_many(account, call),
            Route::UsersSearch => users::search(account, call),
            Route::UsersCreate => users::create(account, call),
            Route::UsersCreateOrUpdate => users::create_or_update(account, call),
            Route::UsersUpdate(id) => users::update(account, call, id),
            Route::UsersDelete(id) => users::delete(account, call, id),
        }
    }
}

/// Where a request was addressed: which subdomain (if the host names one) and the origin
/// to build URLs from.
struct Addressee {
    subdomain: Option<String>,
    origin: String,
    path: String,
}

fn addressee(headers: &HeaderMap, path: &str) -> Addressee {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    if let Some(rest) = path.strip_prefix(ACCOUNT_PREFIX) {
        let (subdomain, remainder) = rest.split_once('/').unwrap_or((rest, ""));
        return Addressee {
            subdomain: Some(subdomain.to_owned()),
            origin: format!("http://{host}{ACCOUNT_PREFIX}{subdomain}"),
            path: format!("/{remainder}"),
        };
    }
    Addressee {
        subdomain: host_subdomain(&host),
        origin: format!("http://{host}"),
        path: path.to_owned(),
    }
}

/// The subdomain a `Host` names: its first label, unless the host is an IP address or
/// `localhost` (then any request is for the simulated account).
fn host_subdomain(host: &str) -> Option<String> {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => return bracketed.split(']').next().and(None),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    if name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    name.split('.').next().map(str::to_ascii_lowercase)
}

/// The axum fallback handler: every request goes through here.
pub(crate) async fn handle(State(sim): State<Simulator>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, BODY_LIMIT).await {
        Ok(body) => body,
        Err(_) => {
            return ApiError::BadRequest {
                error: "RequestTooLarge",
                description: "Request body is too large".to_owned(),
            }
            .into_reply()
            .into_response(ApiFamily::Support)
        }
    };
    let addressee = addressee(&parts.headers, parts.uri.path());
    if let Some(subdomain) = &addressee.subdomain {
        if !subdomain.eq_ignore_ascii_case(&sim.state.config.subdomain) {
            return unknown_account_page().into_response(ApiFamily::Support);
        }
    }
    if !sim.state.config.latency.is_zero() {
        tokio::time::sleep(sim.state.config.latency).await;
    }
    let path = addressee
        .path
        .strip_suffix(".json")
        .unwrap_or(&addressee.path)
        .to_owned();
    let query_pairs: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let mut call = Call {
        method: parts.method,
        path,
        query_pairs,
        headers: parts.headers,
        body,
        origin: addressee.origin,
        caller: Caller::Anonymous,
        now: sim.state.clock.now(),
    };
    let Some(route) = Route::find(&call.method, &call.path) else {
        return ApiError::InvalidEndpoint
            .into_reply()
            .into_response(ApiFamily::Support);
    };
    let family = route.family();
    let caller = {
        let account = sim.account();
        authenticate(&account, &call.headers)
    };
    call.caller = match caller {
        Ok(caller) => caller,
        Err(error) => return error.into_reply().into_response(family),
    };
    let buckets = route.buckets(&sim, call.caller);
    let verdict = sim.rate_limits().admit(&buckets, call.now);
    let reply = match verdict {
        Some(verdict) if !verdict.allowed => ratelimit::too_many_requests(verdict),
        verdict => {
            let result = {
                let mut account = sim.account();
                route.execute(&mut account, &call)
            };
            let reply = result.unwrap_or_else(ApiError::into_reply);
            let reply = match verdict {
                Some(verdict) => {
                    ratelimit::with_headers(reply, verdict, family == ApiFamily::Support)
                }
                None => reply,
            };
            match family {
                ApiFamily::Support => reply.with_header("x-zendesk-api-version", "v2"),
                ApiFamily::Webhooks => reply,
            }
        }
    };
    reply.into_response(family)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_name_a_subdomain_unless_loopback() {
        let table = [
            ("127.0.0.1:8080", None),
            ("localhost:3000", None),
            ("[::1]:3000", None),
            ("d3v-sim.zendesk.com", Some("d3v-sim")),
            ("Other.zendesk.com:443", Some("other")),
        ];
        for (host, expected) in table {
            assert_eq!(host_subdomain(host).as_deref(), expected, "{host}");
        }
    }

    #[test]
    fn json_suffix_and_ids_route_alike() {
        let table = [
            (Method::GET, "/api/v2/users/me", Some(Route::UsersMe)),
            (
                Method::GET,
                "/api/v2/users/42",
                Some(Route::UsersShow("42".into())),
            ),
            (
                Method::POST,
                "/api/v2/users/create_or_update",
                Some(Route::UsersCreateOrUpdate),
            ),
            (Method::GET, "/api/v2/nothing", None),
            (Method::PATCH, "/api/v2/users/me", None),
        ];
        for (method, path, expected) in table {
            assert_eq!(Route::find(&method, path), expected, "{method} {path}");
        }
    }
}
