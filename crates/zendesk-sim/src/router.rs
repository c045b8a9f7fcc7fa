//! The request path: account/host check, `.json` suffixes, latency, authentication, rate
//! limits, dispatch to the resource handlers, and Zendesk's common response headers.
//!
//! Routing is a `match` on (method, path segments) rather than axum routes, because Zendesk
//! accepts every path with or without `.json`, answers unknown paths with its own JSON 404,
//! and the rate-limit bucket and API family depend on the matched endpoint.

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::response::Response;
use jiff::Timestamp;
use serde_json::Value;

use crate::account::Account;
use crate::auth::authenticate;
use crate::control::{self, LoggedRequest};
use crate::delivery;
use crate::faults::FaultKind;
use crate::oauth::{self, Access};
use crate::ratelimit::{self, Bucket};
use crate::reply::{unknown_account_page, ApiError, ApiFamily, ApiResult, Reply};
use crate::users::{self, Role, User};
use crate::Simulator;
use crate::{jobs, ticket_fields, tickets, triggers, webhooks};

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
    /// The OAuth token's id when the caller authenticated with a bearer token.
    pub token_id: Option<u64>,
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

    /// The object under `key` in the JSON body (`{"ticket": {...}}`), if there is one.
    pub fn body_object(
        &self,
        key: &str,
    ) -> Result<Option<serde_json::Map<String, Value>>, ApiError> {
        match self.json_body()?.get(key) {
            Some(Value::Object(object)) => Ok(Some(object.clone())),
            _ => Ok(None),
        }
    }

    /// The Support API's record body `{"<key>": {...}}`: 400 `InvalidParameter` without it.
    pub fn record_input(&self, key: &str) -> Result<serde_json::Map<String, Value>, ApiError> {
        self.body_object(key)?.ok_or_else(|| ApiError::BadRequest {
            error: "InvalidParameter",
            description: format!("{key} is required"),
        })
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
pub(crate) enum Route {
    UsersMe,
    UsersList,
    UserShow(String),
    UsersShowMany,
    UsersSearch,
    UserCreate,
    UserCreateOrUpdate,
    UsersCreateMany,
    UserUpdate(String),
    UserDelete(String),
    TicketsList,
    TicketCreate,
    TicketsCreateMany,
    TicketsShowMany,
    TicketShow(String),
    TicketUpdate(String),
    TicketDelete(String),
    TicketComments(String),
    TicketAudits(String),
    AuditsList,
    TagsList,
    JobStatus(String),
    CustomRole(String),
    TicketFieldsList,
    TicketFieldCreate,
    TicketFieldShow(String),
    TicketFieldUpdate(String),
    TicketFieldDelete(String),
    TriggersList,
    TriggerCreate,
    TriggerShow(String),
    TriggerUpdate(String),
    TriggerDelete(String),
    WebhooksList,
    WebhookCreate,
    WebhookTest,
    WebhookShow(String),
    WebhookUpdate(String),
    WebhookPatch(String),
    WebhookDelete(String),
    WebhookSecretShow(String),
    WebhookSecretReset(String),
    WebhookInvocations(String),
    WebhookAttempts(String, String),
    OAuthTokenCurrent,
    OAuthTokenRevoke(String),
}

impl Route {
    /// Matches a method and a path (without `.json`) to an endpoint.
    pub fn find(method: &Method, path: &str) -> Option<Route> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let rest = segments.strip_prefix(&["api", "v2"])?;
        let owned = |text: &&str| (*text).to_owned();
        let route = match (method.as_str(), rest) {
            ("GET", ["users", "me"]) => Route::UsersMe,
            ("GET", ["users"]) => Route::UsersList,
            ("POST", ["users"]) => Route::UserCreate,
            ("GET", ["users", "show_many"]) => Route::UsersShowMany,
            ("GET", ["users", "search"]) => Route::UsersSearch,
            ("POST", ["users", "create_or_update"]) => Route::UserCreateOrUpdate,
            ("POST", ["users", "create_many"]) => Route::UsersCreateMany,
            ("GET", ["users", id]) => Route::UserShow(owned(id)),
            ("PUT", ["users", id]) => Route::UserUpdate(owned(id)),
            ("DELETE", ["users", id]) => Route::UserDelete(owned(id)),
            ("GET", ["tickets"]) => Route::TicketsList,
            ("POST", ["tickets"]) => Route::TicketCreate,
            ("POST", ["tickets", "create_many"]) => Route::TicketsCreateMany,
            ("GET", ["tickets", "show_many"]) => Route::TicketsShowMany,
            ("GET", ["tickets", id]) => Route::TicketShow(owned(id)),
            ("PUT", ["tickets", id]) => Route::TicketUpdate(owned(id)),
            ("DELETE", ["tickets", id]) => Route::TicketDelete(owned(id)),
            ("GET", ["tickets", id, "comments"]) => Route::TicketComments(owned(id)),
            ("GET", ["tickets", id, "audits"]) => Route::TicketAudits(owned(id)),
            ("GET", ["ticket_audits"]) => Route::AuditsList,
            ("GET", ["tags"]) => Route::TagsList,
            ("GET", ["job_statuses", id]) => Route::JobStatus(owned(id)),
            ("GET", ["custom_roles", id]) => Route::CustomRole(owned(id)),
            ("GET", ["ticket_fields"]) => Route::TicketFieldsList,
            ("POST", ["ticket_fields"]) => Route::TicketFieldCreate,
            ("GET", ["ticket_fields", id]) => Route::TicketFieldShow(owned(id)),
            ("PUT", ["ticket_fields", id]) => Route::TicketFieldUpdate(owned(id)),
            ("DELETE", ["ticket_fields", id]) => Route::TicketFieldDelete(owned(id)),
            ("GET", ["triggers"]) => Route::TriggersList,
            ("POST", ["triggers"]) => Route::TriggerCreate,
            ("GET", ["triggers", id]) => Route::TriggerShow(owned(id)),
            ("PUT", ["triggers", id]) => Route::TriggerUpdate(owned(id)),
            ("DELETE", ["triggers", id]) => Route::TriggerDelete(owned(id)),
            ("GET", ["webhooks"]) => Route::WebhooksList,
            ("POST", ["webhooks"]) => Route::WebhookCreate,
            ("POST", ["webhooks", "test"]) => Route::WebhookTest,
            ("GET", ["webhooks", id]) => Route::WebhookShow(owned(id)),
            ("PUT", ["webhooks", id]) => Route::WebhookUpdate(owned(id)),
            ("PATCH", ["webhooks", id]) => Route::WebhookPatch(owned(id)),
            ("DELETE", ["webhooks", id]) => Route::WebhookDelete(owned(id)),
            ("GET", ["webhooks", id, "signing_secret"]) => Route::WebhookSecretShow(owned(id)),
            ("POST", ["webhooks", id, "signing_secret"]) => Route::WebhookSecretReset(owned(id)),
            ("GET", ["webhooks", id, "invocations"]) => Route::WebhookInvocations(owned(id)),
            ("GET", ["webhooks", id, "invocations", invocation, "attempts"]) => {
                Route::WebhookAttempts(owned(id), owned(invocation))
            }
            ("GET", ["oauth", "tokens", "current"]) => Route::OAuthTokenCurrent,
            ("DELETE", ["oauth", "tokens", id]) => Route::OAuthTokenRevoke(owned(id)),
            _ => return None,
        };
        Some(route)
    }

    /// Which API family answers this endpoint: the webhooks resource is the Webhooks API,
    /// everything else the Support API.
    pub fn family(&self) -> ApiFamily {
        if self.resource() == Some("webhooks") {
            ApiFamily::Webhooks
        } else {
            ApiFamily::Support
        }
    }

    /// The resource an OAuth `<resource>:read|write` scope must name to reach this
    /// endpoint; `None` for endpoints only `read`/`write` open.
    pub fn resource(&self) -> Option<&'static str> {
        match self {
            Route::UsersMe
            | Route::UsersList
            | Route::UserShow(_)
            | Route::UsersShowMany
            | Route::UsersSearch
            | Route::UserCreate
            | Route::UserCreateOrUpdate
            | Route::UsersCreateMany
            | Route::UserUpdate(_)
            | Route::UserDelete(_)
            | Route::CustomRole(_) => Some("users"),
            Route::TicketsList
            | Route::TicketCreate
            | Route::TicketsCreateMany
            | Route::TicketsShowMany
            | Route::TicketShow(_)
            | Route::TicketUpdate(_)
            | Route::TicketDelete(_)
            | Route::TicketComments(_)
            | Route::TicketAudits(_)
            | Route::AuditsList
            | Route::TagsList => Some("tickets"),
            Route::TicketFieldsList
            | Route::TicketFieldCreate
            | Route::TicketFieldShow(_)
            | Route::TicketFieldUpdate(_)
            | Route::TicketFieldDelete(_) => Some("ticket_fields"),
            Route::TriggersList
            | Route::TriggerCreate
            | Route::TriggerShow(_)
            | Route::TriggerUpdate(_)
            | Route::TriggerDelete(_) => Some("triggers"),
            Route::WebhooksList
            | Route::WebhookCreate
            | Route::WebhookTest
            | Route::WebhookShow(_)
            | Route::WebhookUpdate(_)
            | Route::WebhookPatch(_)
            | Route::WebhookDelete(_)
            | Route::WebhookSecretShow(_)
            | Route::WebhookSecretReset(_)
            | Route::WebhookInvocations(_)
            | Route::WebhookAttempts(_, _) => Some("webhooks"),
            Route::OAuthTokenCurrent | Route::OAuthTokenRevoke(_) => Some("oauth_tokens"),
            // A job can belong to tickets or users; only the plain scopes reach it.
            Route::JobStatus(_) => None,
        }
    }

    /// The rate-limit buckets this request counts against; the first one's numbers go in
    /// the response headers. The Webhooks API has its own limiter (100/min, test 20/min);
    /// ticket updates also count per user per ticket (30 per 10 min) and per account
    /// (100/min).
    pub fn buckets(&self, sim: &Simulator, caller: Caller) -> Vec<Bucket> {
        let account = Bucket::per_minute("account", sim.state.config.plan.requests_per_minute());
        match self {
            Route::WebhookTest => vec![Bucket::per_minute("webhooks-test", 20)],
            _ if self.family() == ApiFamily::Webhooks => vec![Bucket::per_minute("webhooks", 100)],
            Route::TicketUpdate(id) => {
                let user = match caller {
                    Caller::User(id) => id.to_string(),
                    Caller::Anonymous => "anonymous".to_owned(),
                };
                vec![
                    account,
                    Bucket::per_minute("ticket-update", 100),
                    Bucket {
                        key: format!("ticket-update:{user}:{id}"),
                        limit: 30,
                        period: std::time::Duration::from_secs(600),
                    },
                ]
            }
            _ => vec![account],
        }
    }

    /// Runs a synchronous endpoint against the account (every endpoint but the webhook
    /// test, which the router runs itself because it waits on the network).
    pub fn execute(&self, account: &mut Account, call: &Call) -> ApiResult {
        match self {
            Route::UsersMe => users::me(account, call),
            Route::UsersList => users::list(account, call),
            Route::UserShow(id) => users::show(account, call, id),
            Route::UsersShowMany => users::show_many(account, call),
            Route::UsersSearch => users::search(account, call),
            Route::UserCreate => users::create(account, call),
            Route::UserCreateOrUpdate => users::create_or_update(account, call),
            Route::UsersCreateMany => users::create_many(account, call),
            Route::UserUpdate(id) => users::update(account, call, id),
            Route::UserDelete(id) => users::delete(account, call, id),
            Route::TicketsList => tickets::list(account, call),
            Route::TicketCreate => tickets::create(account, call),
            Route::TicketsCreateMany => tickets::create_many(account, call),
            Route::TicketsShowMany => tickets::show_many(account, call),
            Route::TicketShow(id) => tickets::show(account, call, id),
            Route::TicketUpdate(id) => tickets::update(account, call, id),
            Route::TicketDelete(id) => tickets::delete(account, call, id),
            Route::TicketComments(id) => tickets::comments(account, call, id),
            Route::TicketAudits(id) => tickets::audits(account, call, id),
            Route::AuditsList => tickets::all_audits(account, call),
            Route::TagsList => tickets::tags(account, call),
            Route::JobStatus(id) => jobs::job_status(account, call, id),
            Route::CustomRole(id) => users::custom_role(account, call, id),
            Route::TicketFieldsList => ticket_fields::list(account, call),
            Route::TicketFieldCreate => ticket_fields::create(account, call),
            Route::TicketFieldShow(id) => ticket_fields::show(account, call, id),
            Route::TicketFieldUpdate(id) => ticket_fields::update(account, call, id),
            Route::TicketFieldDelete(id) => ticket_fields::delete(account, call, id),
            Route::TriggersList => triggers::list(account, call),
            Route::TriggerCreate => triggers::create(account, call),
            Route::TriggerShow(id) => triggers::show(account, call, id),
            Route::TriggerUpdate(id) => triggers::update(account, call, id),
            Route::TriggerDelete(id) => triggers::delete(account, call, id),
            Route::WebhooksList => webhooks::list(account, call),
            Route::WebhookCreate => webhooks::create(account, call),
            Route::WebhookShow(id) => webhooks::show(account, call, id),
            Route::WebhookUpdate(id) => webhooks::update(account, call, id, false),
            Route::WebhookPatch(id) => webhooks::update(account, call, id, true),
            Route::WebhookDelete(id) => webhooks::delete(account, call, id),
            Route::WebhookSecretShow(id) => webhooks::show_secret(account, call, id),
            Route::WebhookSecretReset(id) => webhooks::reset_secret(account, call, id),
            Route::WebhookInvocations(id) => webhooks::invocations(account, call, id),
            Route::WebhookAttempts(id, invocation) => {
                webhooks::attempts(account, call, id, invocation)
            }
            Route::OAuthTokenCurrent => oauth::current(account, call),
            Route::OAuthTokenRevoke(id) => oauth::revoke(account, call, id),
            Route::WebhookTest => Err(ApiError::InvalidEndpoint),
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
    if parts.uri.path().starts_with("/_sim/") {
        return control::handle(&sim, &parts.method, parts.uri.path(), &body)
            .await
            .into_response(ApiFamily::Support);
    }
    // The agent workspace's ticket page, for the ticket links a browser opens; not an API call, so not logged.
    if let Some(id) = parts.uri.path().strip_prefix("/agent/tickets/") {
        if parts.method == Method::GET {
            return crate::agent_page::page(&sim, id).into_response(ApiFamily::Support);
        }
    }
    let addressee = addressee(&parts.headers, parts.uri.path());
    if let Some(subdomain) = &addressee.subdomain {
        if !subdomain.eq_ignore_ascii_case(&sim.state.config.subdomain) {
            return unknown_account_page().into_response(ApiFamily::Support);
        }
    }
    let path = addressee
        .path
        .strip_suffix(".json")
        .unwrap_or(&addressee.path)
        .to_owned();
    let mut log = LoggedRequest {
        method: parts.method.to_string(),
        path: addressee.path.clone(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        status: 0,
        body: redacted_body(&body, path.starts_with("/oauth/")),
        at: crate::clock::seconds(sim.state.clock.now()),
        idempotency_key: parts
            .headers
            .get("idempotency-key")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        arrived: std::time::Instant::now(),
    };
    let fault = sim.faults().take(parts.method.as_str(), &path);
    let mut latency = sim.state.config.latency;
    if let Some(FaultKind::Latency(extra)) = &fault {
        latency += *extra;
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    // Faults that strike after the request was handled: the change is made, the answer is lost.
    let answer_lost = match &fault {
        Some(FaultKind::DropAfterWrite) => Some(LostAnswer::Dropped),
        Some(FaultKind::TimeoutAfterWrite) => Some(LostAnswer::NeverSent),
        _ => None,
    };
    match fault {
        Some(FaultKind::RateLimitWithoutRetryAfter) => {
            let limit = sim.state.config.plan.requests_per_minute();
            return sim.finish(
                log,
                ratelimit::too_many_requests_without_retry_after(limit),
                ApiFamily::Support,
            );
        }
        Some(FaultKind::RateLimit { retry_after }) => {
            let verdict = ratelimit::Verdict {
                allowed: false,
                limit: sim.state.config.plan.requests_per_minute(),
                remaining: 0,
                reset_seconds: retry_after,
            };
            return sim.finish(
                log,
                ratelimit::too_many_requests(verdict),
                ApiFamily::Support,
            );
        }
        Some(FaultKind::ServerError(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let page = format!(
                "<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"
            );
            return sim.finish(
                log,
                Reply::text(status, "text/html", page),
                ApiFamily::Support,
            );
        }
        Some(FaultKind::Timeout) => {
            log.status = 0;
            sim.log(log);
            // Never answer; the client's timeout decides. The task ends when the client
            // goes away and the connection is dropped.
            std::future::pending::<()>().await;
            return Response::new(Body::empty());
        }
        Some(FaultKind::Drop) => {
            log.status = 0;
            sim.log(log);
            let stream = futures_util_stream_error();
            let mut response = Response::new(Body::from_stream(stream));
            response.headers_mut().insert(
                header::CONTENT_LENGTH,
                axum::http::HeaderValue::from_static("100"),
            );
            return response;
        }
        _ => {}
    }
    let query_pairs: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    if let Some(reply) = oauth_endpoint(
        &sim,
        &parts.method,
        &path,
        &query_pairs,
        &body,
        &addressee.origin,
    ) {
        return sim.finish(log, reply, ApiFamily::Support);
    }
    let mut call = Call {
        method: parts.method,
        path,
        query_pairs,
        headers: parts.headers,
        body,
        origin: addressee.origin,
        caller: Caller::Anonymous,
        token_id: None,
        now: sim.state.clock.now(),
    };
    let Some(route) = Route::find(&call.method, &call.path) else {
        return sim.finish(
            log,
            ApiError::InvalidEndpoint.into_reply(),
            ApiFamily::Support,
        );
    };
    let family = route.family();
    let identity = {
        let mut account = sim.account();
        authenticate(&mut account, &call.headers, call.now)
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err(error) => return sim.finish(log, error.into_reply(), family),
    };
    call.caller = identity.caller;
    if let Some((token_id, scopes)) = identity.token {
        call.token_id = Some(token_id);
        let access = if matches!(call.method, Method::GET | Method::HEAD) {
            Access::Read
        } else {
            Access::Write
        };
        if let Err(missing) = scopes.permit(access, route.resource()) {
            return sim.finish(log, ApiError::MissingScope(missing).into_reply(), family);
        }
    }
    let buckets = route.buckets(&sim, call.caller);
    let verdict = sim.rate_limits().admit(&buckets, call.now);
    let reply = match verdict {
        Some(verdict) if !verdict.allowed => ratelimit::too_many_requests(verdict),
        verdict => {
            let result = if route == Route::WebhookTest {
                run_webhook_test(&sim, &call).await
            } else {
                let (result, dispatches) = {
                    let mut account = sim.account();
                    let result = route.execute(&mut account, &call);
                    (result, std::mem::take(&mut account.outbox))
                };
                sim.send_all(dispatches);
                result
            };
            let reply = result.unwrap_or_else(ApiError::into_reply);
            match verdict {
                Some(verdict) => {
                    ratelimit::with_headers(reply, verdict, family == ApiFamily::Support)
                }
                None => reply,
            }
        }
    };
    let reply = reply.with_header("x-zendesk-api-version", "v2");
    let reply = match api_warning(&route, &call) {
        Some((controller, action, keys)) => {
            tickets::with_api_warn(reply, controller, action, &keys)
        }
        None => reply,
    };
    if let Some(lost) = answer_lost {
        log.status = 0;
        sim.log(log);
        return lost.respond().await;
    }
    sim.finish(log, reply, family)
}

/// How the answer to a request that was handled gets lost.
#[derive(Clone, Copy)]
enum LostAnswer {
    /// Headers, then the connection is cut mid-body.
    Dropped,
    /// Nothing, ever; the client's timeout decides.
    NeverSent,
}

impl LostAnswer {
    async fn respond(self) -> Response {
        match self {
            LostAnswer::Dropped => {
                let mut response = Response::new(Body::from_stream(futures_util_stream_error()));
                response.headers_mut().insert(
                    header::CONTENT_LENGTH,
                    axum::http::HeaderValue::from_static("100"),
                );
                response
            }
            LostAnswer::NeverSent => {
                std::future::pending::<()>().await;
                Response::new(Body::empty())
            }
        }
    }
}

/// The `x-zendesk-api-warn` Zendesk adds (whatever the outcome) when a Support API body
/// carries keys the endpoint does not accept: `(controller, action, ["root.key", ...])`.
/// Delete endpoints accept no body at all, so every key in one is reported.
fn api_warning(route: &Route, call: &Call) -> Option<(&'static str, &'static str, Vec<String>)> {
    let (root, controller, action, permitted): (&str, &str, &str, Option<&[&str]>) = match route {
        Route::TicketCreate => (
            "ticket",
            "tickets",
            "create",
            Some(&tickets::PERMITTED_KEYS),
        ),
        Route::TicketUpdate(_) => (
            "ticket",
            "tickets",
            "update",
            Some(&tickets::PERMITTED_KEYS),
        ),
        Route::TriggerCreate => (
            "trigger",
            "triggers",
            "create",
            Some(&triggers::PERMITTED_KEYS),
        ),
        Route::TriggerUpdate(_) => (
            "trigger",
            "triggers",
            "update",
            Some(&triggers::PERMITTED_KEYS),
        ),
        Route::TicketFieldUpdate(_) => (
            "ticket_field",
            "ticket_fields",
            "update",
            Some(&ticket_fields::UPDATABLE_KEYS),
        ),
        Route::TicketDelete(_) => ("ticket", "tickets", "destroy", None),
        Route::UserDelete(_) => ("user", "users", "destroy", None),
        Route::TriggerDelete(_) => ("trigger", "triggers", "destroy", None),
        Route::TicketFieldDelete(_) => ("ticket_field", "ticket_fields", "destroy", None),
        _ => return None,
    };
    let body = call.json_body().ok()?;
    let object = body.get(root)?.as_object()?;
    let keys: Vec<String> = object
        .keys()
        .filter(|key| permitted.is_none_or(|permitted| !permitted.contains(&key.as_str())))
        .map(|key| format!("{root}.{key}"))
        .collect();
    if keys.is_empty() {
        None
    } else {
        Some((controller, action, keys))
    }
}

/// `POST /api/v2/webhooks/test`: really calls the endpoint and answers what it replied.
async fn run_webhook_test(sim: &Simulator, call: &Call) -> ApiResult {
    let test = {
        let account = sim.account();
        webhooks::prepare_test(&account, call)?
    };
    let exchange = delivery::send_once(sim, &test.target, &test.body, &test.query, None).await;
    Ok(match exchange.outcome {
        delivery::AttemptOutcome::Answered { status, .. } => webhooks::test_reply(
            status,
            &exchange.response_headers,
            &exchange.response_payload,
        ),
        delivery::AttemptOutcome::TimedOut => webhooks::test_reply(504, &[], "Gateway Timeout"),
        delivery::AttemptOutcome::Unreachable => webhooks::test_reply(502, &[], "Bad Gateway"),
    })
}

/// The OAuth endpoints outside `/api/v2` (consent page, its form, the token endpoint), or
/// `None` for any other path.
fn oauth_endpoint(
    sim: &Simulator,
    method: &Method,
    path: &str,
    query: &[(String, String)],
    body: &Bytes,
    origin: &str,
) -> Option<Reply> {
    let rest = path.strip_prefix("/oauth/")?;
    let now = sim.state.clock.now();
    let mut account = sim.account();
    let reply = match (method.as_str(), rest.trim_end_matches('/')) {
        ("GET", "authorizations/new") => {
            oauth::authorization_page(&mut account, query, origin, now)
        }
        ("POST", "authorizations") => oauth::decide(&mut account, body, now),
        ("POST", "tokens") => oauth::token(&mut account, body, now),
        _ => ApiError::InvalidEndpoint.into_reply(),
    };
    Some(reply)
}

/// Keys whose values are credentials; the request log shows them as `<redacted>`.
const SECRET_KEYS: [&str; 7] = [
    "password",
    "token",
    "secret",
    "access_token",
    "refresh_token",
    "client_secret",
    "signing_secret",
];

/// Further keys that are credentials on the OAuth endpoints (an authorization code and its
/// PKCE verifier can be exchanged for tokens).
const OAUTH_SECRET_KEYS: [&str; 2] = ["code", "code_verifier"];

/// The request body as the request log keeps it: JSON with credential values redacted
/// (webhook authentication, OAuth secrets), anything else as text. OAuth bodies may also be
/// form-encoded; their credential values are redacted the same way.
fn redacted_body(body: &Bytes, oauth: bool) -> String {
    let secret =
        |key: &str| SECRET_KEYS.contains(&key) || (oauth && OAUTH_SECRET_KEYS.contains(&key));
    fn redact(value: &mut serde_json::Value, secret: &dyn Fn(&str) -> bool) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    if secret(key) && !value.is_null() {
                        *value = serde_json::Value::String("<redacted>".to_owned());
                    } else {
                        redact(value, secret);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|item| redact(item, secret))
            }
            _ => {}
        }
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) => {
            redact(&mut value, &secret);
            value.to_string()
        }
        Err(_) if oauth => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (key, value) in url::form_urlencoded::parse(body) {
                let value = if secret(&key) {
                    "<redacted>".into()
                } else {
                    value
                };
                form.append_pair(&key, &value);
            }
            form.finish()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

/// A body stream that fails at once, so the connection is cut mid-response.
fn futures_util_stream_error() -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::once(async {
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection dropped by fault injection",
        ))
    })
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
                Some(Route::UserShow("42".into())),
            ),
            (
                Method::POST,
                "/api/v2/users/create_or_update",
                Some(Route::UserCreateOrUpdate),
            ),
            (Method::GET, "/api/v2/nothing", None),
            (Method::PATCH, "/api/v2/users/me", None),
        ];
        for (method, path, expected) in table {
            assert_eq!(Route::find(&method, path), expected, "{method} {path}");
        }
    }
}
