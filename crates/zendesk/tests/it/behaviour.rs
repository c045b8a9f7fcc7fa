//! Pagination, retries, rate limits, idempotency and error classification through real HTTP calls.
//! Time is paused (`start_paused`), so backoffs and limiter waits are measured exactly and cost nothing.

use std::num::NonZeroU32;
use std::time::Duration;

use futures::TryStreamExt;
use serde_json::json;
use tokio::time::Instant;
use zendesk::{
    Auth, Client, ClientConfig, Error, Forbidden, Grant, NewComment, NewTicket, NewWebhook, Plan,
    SecretString, TicketUpdate, TokenRequest, UserQuery,
};

use crate::scripted::{Reply, Scripted};
use crate::spec;

fn token() -> Auth {
    Auth::ApiToken {
        email: "admin@example.com".to_owned(),
        token: SecretString::from("behaviour-token"),
    }
}

fn client_with(server: &Scripted, plan: Plan) -> Client {
    let mut config = ClientConfig::new(server.base_url.clone(), token());
    config.plan = plan;
    Client::new(config).unwrap()
}

fn field(id: u64) -> serde_json::Value {
    json!({"id": id, "type": "text", "title": format!("Field {id}"), "removable": true})
}

#[tokio::test(start_paused = true)]
async fn cursor_pagination_stops_on_has_more_and_keeps_links_on_the_configured_host() {
    // Page 1 links to page 2 on the account's canonical host (as recorded); page 2 is the last page and still
    // carries links.next (as recorded).
    let page_one = json!({
        "ticket_fields": [field(1), field(2)],
        "meta": {"has_more": true, "after_cursor": "c2"},
        "links": {"next": "https://z3n-canonical.zendesk.com/api/v2/ticket_fields.json?page%5Bafter%5D=c2&page%5Bsize%5D=100"}
    });
    let page_two = json!({
        "ticket_fields": [field(3)],
        "meta": {"has_more": false, "after_cursor": "c3"},
        "links": {"next": "https://z3n-canonical.zendesk.com/api/v2/ticket_fields.json?page%5Bafter%5D=c3&page%5Bsize%5D=100"}
    });
    let server = Scripted::start(vec![
        Reply::json("GET /api/v2/ticket_fields.json", 200, &page_two.to_string()),
        Reply::json("GET /api/v2/ticket_fields", 200, &page_one.to_string()),
    ])
    .await;
    let fields = client_with(&server, Plan::Enterprise)
        .all_ticket_fields()
        .await
        .unwrap();
    assert_eq!(
        fields.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );

    let seen = server.seen();
    let asked: Vec<(String, Option<String>)> = seen
        .iter()
        .map(|s| (s.path.clone(), s.query.clone()))
        .collect();
    assert_eq!(
        asked,
        vec![
            (
                "/api/v2/ticket_fields".to_owned(),
                Some("page%5Bsize%5D=100".to_owned())
            ),
            (
                "/api/v2/ticket_fields.json".to_owned(),
                Some("page%5Bafter%5D=c2&page%5Bsize%5D=100".to_owned())
            ),
        ],
        "two pages, the second fetched from the configured host, none after has_more=false"
    );
    assert!(seen.iter().all(|s| s.headers.contains_key("authorization")));
    spec::assert_all_valid(&seen);
}

fn users_page(first_id: u64, count: u64, next: Option<&str>) -> String {
    let users: Vec<_> = (first_id..first_id + count)
        .map(|id| json!({"id": id, "name": format!("User {id}"), "role": "end-user"}))
        .collect();
    json!({"users": users, "next_page": next, "previous_page": null, "count": 20_000}).to_string()
}

#[tokio::test(start_paused = true)]
async fn offset_pagination_follows_next_page_and_stops_at_the_depth_cap() {
    // Three pages, then null.
    let server = Scripted::start(vec![
        Reply::json("GET /api/v2/users/search", 200, &users_page(1, 100, Some("https://other.zendesk.com/api/v2/users/search.json?page=2&per_page=100&query=a"))).times(1),
        Reply::json("GET /api/v2/users/search", 200, &users_page(101, 100, Some("https://other.zendesk.com/api/v2/users/search.json?page=3&per_page=100&query=a"))).times(1),
        Reply::json("GET /api/v2/users/search", 200, &users_page(201, 5, None)).times(1),
    ])
    .await;
    let users = client_with(&server, Plan::EnterprisePlus)
        .search_users(&UserQuery::Query("a".to_owned()))
        .await
        .unwrap();
    assert_eq!(users.len(), 205);
    assert_eq!(server.seen().len(), 3);
    spec::assert_all_valid(&server.seen());

    // An endless list: the client stops itself after 10,000 records rather than looping or asking for more.
    // (Two alternating next links, so each page does move on.)
    let endless = Scripted::start(vec![
        Reply::json(
            "GET /api/v2/users/search.json?page=odd",
            200,
            &users_page(
                1,
                100,
                Some("/api/v2/users/search.json?page=even&per_page=100&query=a"),
            ),
        ),
        Reply::json(
            "GET /api/v2/users/search",
            200,
            &users_page(
                1,
                100,
                Some("/api/v2/users/search.json?page=odd&per_page=100&query=a"),
            ),
        ),
    ])
    .await;
    let error = client_with(&endless, Plan::EnterprisePlus)
        .search_users(&UserQuery::Query("a".to_owned()))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::PaginationDepth { limit: 10_000 }),
        "{error:?}"
    );
    assert_eq!(
        endless.seen().len(),
        100,
        "exactly 100 pages of 100 were read"
    );

    // Zendesk's own refusal is the same error.
    let refused = Scripted::start(vec![Reply::json(
        "GET",
        400,
        r#"{"error":"InvalidPaginationDepth","description":"Offset pagination depth exceeded"}"#,
    )])
    .await;
    let error = client_with(&refused, Plan::Enterprise)
        .search_users(&UserQuery::ExternalId("x".to_owned()))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::PaginationDepth { .. }), "{error:?}");
}

/// The recorded 429: plain text, 50 bytes, `retry-after: 1`.
fn too_many(retry_after: &str) -> Reply {
    Reply::typed(
        "",
        429,
        "text/plain",
        "Number of allowed API requests per minute exceeded",
    )
    .header("retry-after", retry_after)
    .header("x-rate-limit", "700")
    .header("x-rate-limit-remaining", "0")
    .times(1)
}

/// (first answers, call, expected requests sent, succeeds, minimum wait) — which calls are repeated after what.
#[tokio::test(start_paused = true)]
async fn retries_follow_idempotency_and_retry_after() {
    let me = r#"{"user":{"id":1,"name":"A","role":"admin","active":true}}"#;
    let ticket = r#"{"ticket":{"id":7,"status":"new"},"audit":{"id":9,"events":[]}}"#;
    let webhook = r#"{"webhook":{"id":"01HANAHAFTBVF1NA2AVFK4W763","name":"n","status":"active","endpoint":"https://e","http_method":"POST","request_format":"json"}}"#;
    let unavailable = || Reply::typed("", 503, "text/html", "<h1>down</h1>").times(1);

    #[derive(Clone, Copy, Debug)]
    enum Call {
        Me,
        CreateTicket { keyed: bool },
        CommentOnTicket,
        TagTicket,
        CreateWebhook,
    }
    let table: Vec<(Vec<Reply>, Call, usize, bool, Duration)> = vec![
        // GET after a 429 waits Retry-After, then succeeds.
        (
            vec![too_many("1"), Reply::json("", 200, me)],
            Call::Me,
            2,
            true,
            Duration::from_secs(1),
        ),
        // GET after 503s backs off and retries, up to 4 attempts in all.
        (
            vec![unavailable(), unavailable(), Reply::json("", 200, me)],
            Call::Me,
            3,
            true,
            Duration::from_millis(750),
        ),
        (
            vec![
                unavailable(),
                unavailable(),
                unavailable(),
                unavailable(),
                Reply::json("", 200, me),
            ],
            Call::Me,
            4,
            false,
            Duration::ZERO,
        ),
        // Retry-After beyond the call's time budget: give up at once with the wait in the error.
        (
            vec![too_many("600"), Reply::json("", 200, me)],
            Call::Me,
            1,
            false,
            Duration::ZERO,
        ),
        // POST ticket without a key: a 503 may have created it, so no repeat.
        (
            vec![unavailable(), Reply::json("", 201, ticket)],
            Call::CreateTicket { keyed: false },
            1,
            false,
            Duration::ZERO,
        ),
        // ... but a 429 was refused before anything happened: repeated.
        (
            vec![too_many("2"), Reply::json("", 201, ticket)],
            Call::CreateTicket { keyed: false },
            2,
            true,
            Duration::from_secs(2),
        ),
        // POST ticket with an Idempotency-Key is repeatable.
        (
            vec![
                unavailable(),
                Reply::json("", 201, ticket).header("x-idempotency-lookup", "hit"),
            ],
            Call::CreateTicket { keyed: true },
            2,
            true,
            Duration::ZERO,
        ),
        // A PUT that appends a comment is not repeated after an ambiguous failure (the comment would post twice).
        (
            vec![unavailable(), Reply::json("", 200, ticket)],
            Call::CommentOnTicket,
            1,
            false,
            Duration::ZERO,
        ),
        // A PUT that only adds tags is.
        (
            vec![unavailable(), Reply::json("", 200, ticket)],
            Call::TagTicket,
            2,
            true,
            Duration::ZERO,
        ),
        // Webhooks API: a 429 is repeated for the POST too.
        (
            vec![too_many("1"), Reply::json("", 201, webhook)],
            Call::CreateWebhook,
            2,
            true,
            Duration::from_secs(1),
        ),
    ];
    for (replies, call, expected_requests, succeeds, minimum_wait) in table {
        let server = Scripted::start(replies).await;
        let client = client_with(&server, Plan::Enterprise);
        let start = Instant::now();
        let outcome: Result<(), Error> = match call {
            Call::Me => client.current_user().await.map(|_| ()),
            Call::CreateTicket { keyed } => {
                let new = NewTicket {
                    subject: Some("Help".to_owned()),
                    comment: NewComment {
                        body: Some("Hello".to_owned()),
                        ..NewComment::default()
                    },
                    ..NewTicket::default()
                };
                let key = keyed.then_some("handoff-session-42");
                client.create_ticket(&new, key).await.map(|created| {
                    assert_eq!(
                        created.idempotency_hit, keyed,
                        "the replay reports the idempotency hit"
                    );
                })
            }
            Call::CommentOnTicket | Call::TagTicket => {
                let update = TicketUpdate {
                    comment: matches!(call, Call::CommentOnTicket).then(|| NewComment {
                        body: Some("Note".to_owned()),
                        public: Some(false),
                        ..NewComment::default()
                    }),
                    additional_tags: vec!["handed_off".to_owned()],
                    ..TicketUpdate::default()
                };
                client.update_ticket(7, &update).await.map(|_| ())
            }
            Call::CreateWebhook => client
                .create_webhook(&NewWebhook::for_triggers(
                    "Relay",
                    "https://relay.example.com/hook",
                ))
                .await
                .map(|_| ()),
        };
        let seen = server.seen();
        assert_eq!(seen.len(), expected_requests, "{call:?}: {outcome:?}");
        assert_eq!(outcome.is_ok(), succeeds, "{call:?}: {outcome:?}");
        assert!(
            start.elapsed() >= minimum_wait,
            "{call:?} waited {:?}",
            start.elapsed()
        );
        if let Call::CreateTicket { keyed: true } = call {
            let keys: Vec<_> = seen
                .iter()
                .map(|s| s.headers["idempotency-key"].to_str().unwrap().to_owned())
                .collect();
            assert_eq!(
                keys,
                vec!["handoff-session-42"; 2],
                "the repeat carries the same key"
            );
        }
        spec::assert_all_valid(&seen);
    }
}

#[tokio::test(start_paused = true)]
async fn the_limiter_paces_requests_and_follows_the_rate_limit_headers() {
    let me = r#"{"user":{"id":1,"name":"A","role":"admin","active":true}}"#;
    let server =
        Scripted::start(vec![Reply::json("GET", 200, me).header("x-rate-limit", "3")]).await;
    let client = client_with(&server, Plan::Enterprise);
    assert_eq!(client.rate_limit_per_minute(), 700);
    client.current_user().await.unwrap();
    assert_eq!(
        client.rate_limit_per_minute(),
        3,
        "resized from X-Rate-Limit"
    );
    let start = Instant::now();
    for _ in 0..4 {
        client.current_user().await.unwrap();
    }
    // The resized bucket allows a burst of 3, then one request per 20 s.
    assert_eq!(start.elapsed(), Duration::from_secs(20));

    let plan_server = Scripted::start(vec![Reply::json("GET", 200, me)]).await;
    let essential = client_with(&plan_server, Plan::Custom(NonZeroU32::new(2).unwrap()));
    let start = Instant::now();
    for _ in 0..3 {
        essential.current_user().await.unwrap();
    }
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(30),
        "sized from the plan before any header arrives"
    );
}

#[tokio::test(start_paused = true)]
async fn a_zero_remaining_budget_holds_everyone_until_the_reset() {
    let me = r#"{"user":{"id":1,"name":"A","role":"admin","active":true}}"#;
    let server = Scripted::start(vec![
        Reply::json("GET", 200, me)
            .header("ratelimit-limit", "700")
            .header("ratelimit-remaining", "0")
            .header("ratelimit-reset", "7")
            .times(1),
        Reply::json("GET", 200, me),
    ])
    .await;
    let client = client_with(&server, Plan::Enterprise);
    client.current_user().await.unwrap();
    let start = Instant::now();
    let clone = client.clone();
    let (first, second) = tokio::join!(client.current_user(), clone.current_user());
    first.unwrap();
    second.unwrap();
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(7),
        "both waited for ratelimit-reset"
    );
}

/// What the client learned of the rate limit, for troubleshooting: the size and the requests left as Zendesk
/// reported them, the pause a 429 imposed, and how many 429s it got.
#[tokio::test(start_paused = true)]
async fn the_rate_limit_state_reports_what_zendesk_said() {
    let me = r#"{"user":{"id":1,"name":"A","role":"admin","active":true}}"#;
    let server = Scripted::start(vec![
        Reply::json("GET", 200, me)
            .header("x-rate-limit", "700")
            .header("x-rate-limit-remaining", "650")
            .times(1),
        too_many("30"),
        Reply::json("GET", 200, me),
    ])
    .await;
    let client = client_with(&server, Plan::Enterprise);
    assert_eq!(
        client.rate_limit_state(),
        zendesk::RateLimitState {
            per_minute: 700,
            remaining: None,
            paused_for: None,
            refused: 0,
        },
        "nothing reported before the first answer"
    );
    client.current_user().await.unwrap();
    let state = client.rate_limit_state();
    assert_eq!(
        (state.remaining, state.paused_for, state.refused),
        (Some(650), None, 0)
    );
    let clone = client.clone();
    let waiting = tokio::spawn(async move { clone.current_user().await });
    // The 429 arrives; the call then waits out its Retry-After of 30 s.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let state = client.rate_limit_state();
    assert_eq!(state.remaining, Some(0), "the 429 said none are left");
    assert_eq!(state.refused, 1, "clones share the count");
    assert!(
        state
            .paused_for
            .is_some_and(|wait| wait > Duration::from_secs(20)),
        "{state:?}"
    );
    waiting.await.unwrap().unwrap();
    assert_eq!(
        client.rate_limit_state().paused_for,
        None,
        "sends freely after the wait"
    );
}

#[tokio::test]
async fn ticket_and_access_errors_are_classified_through_the_calls() {
    let closed_status = r#"{"error":"RecordInvalid","description":"Record validation errors","details":{"status":[{"description":"Status: closed prevents ticket update"}]}}"#;
    let closed_base = r#"{"error":"RecordInvalid","description":"Record validation errors","details":{"base":[{"description":"Status: closed prevents ticket update","error":"ClosedTicket"}]}}"#;
    for body in [closed_status, closed_base] {
        let server = Scripted::start(vec![Reply::json("PUT /api/v2/tickets/42", 422, body)]).await;
        let error = client_with(&server, Plan::Enterprise)
            .update_ticket(
                42,
                &TicketUpdate {
                    additional_tags: vec!["x".to_owned()],
                    ..TicketUpdate::default()
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::ClosedTicket {
                    ticket_id: Some(42)
                }
            ),
            "{error:?}"
        );
        assert_eq!(server.seen().len(), 1, "a 422 is final");
    }

    let scope = r#"{"error":"Forbidden","description":"You are missing the following required scopes: webhooks:write"}"#;
    let plan = r#"{"error":{"title":"Forbidden","message":"You do not have access to this page. Please contact the account owner of this help desk for further help."}}"#;
    let server = Scripted::start(vec![
        Reply::json("POST /api/v2/webhooks", 403, scope).times(1),
        Reply::json("POST", 403, plan),
    ])
    .await;
    let client = client_with(&server, Plan::Enterprise);
    let webhook = NewWebhook::for_triggers("Relay", "https://relay.example.com/hook");
    let first = client.create_webhook(&webhook).await.unwrap_err();
    assert!(
        matches!(&first, Error::Forbidden { reason: Forbidden::MissingScopes(scopes) } if scopes == &["webhooks:write"]),
        "{first:?}"
    );
    let second = client.create_webhook(&webhook).await.unwrap_err();
    assert!(
        matches!(
            second,
            Error::Forbidden {
                reason: Forbidden::NoAccess { .. }
            }
        ),
        "{second:?}"
    );
}

#[tokio::test]
async fn the_token_endpoint_gets_no_client_credentials_and_refusals_are_bad_credentials() {
    let issued = r#"{"access_token":"gErypPlm4dOVgGRvA1ZzMH5MQ3nLo8bo","token_type":"bearer","scope":"read write","expires_in":1800,"refresh_token":"af3t24tfj34h43s","refresh_token_expires_in":2592000}"#;
    let refused = r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}"#;
    let server = Scripted::start(vec![
        Reply::json("POST /oauth/tokens", 201, issued).times(1),
        Reply::json("POST /oauth/tokens", 400, refused),
    ])
    .await;
    let client = client_with(&server, Plan::Enterprise);
    let request = TokenRequest {
        grant: Grant::RefreshToken {
            refresh_token: SecretString::from("old-refresh"),
        },
        client_id: "handoff_console".to_owned(),
        client_secret: None,
        scope: None,
        expires_in: Some(1800),
        refresh_token_expires_in: None,
    };
    let tokens = client.exchange_token(&request).await.unwrap();
    assert_eq!(
        tokens.access_token.expose_secret(),
        "gErypPlm4dOVgGRvA1ZzMH5MQ3nLo8bo"
    );
    assert_eq!(tokens.expires_in, Some(1800));
    assert!(
        !format!("{tokens:?}").contains("gEryp"),
        "Debug of the token answer hides the tokens"
    );

    let error = client.exchange_token(&request).await.unwrap_err();
    assert!(matches!(error, Error::BadCredentials { .. }), "{error:?}");
    assert!(!error.to_string().contains("old-refresh"));

    let seen = server.seen();
    assert_eq!(seen.len(), 2, "a refused refresh is not repeated");
    assert!(
        seen.iter()
            .all(|s| !s.headers.contains_key("authorization")),
        "the API token never goes to /oauth/tokens"
    );
    spec::assert_all_valid(&seen);
}

#[tokio::test]
async fn list_streams_can_stop_early() {
    let page = json!({
        "triggers": [{"id": 1, "title": "a", "conditions": {"all": [], "any": []}, "actions": []},
                     {"id": 2, "title": "b", "conditions": {"all": [], "any": []}, "actions": []}],
        "meta": {"has_more": true, "after_cursor": "next"},
        "links": {"next": null}
    });
    let server = Scripted::start(vec![Reply::json(
        "GET /api/v2/triggers",
        200,
        &page.to_string(),
    )
    .times(1)])
    .await;
    let first: Vec<_> = client_with(&server, Plan::Enterprise)
        .triggers()
        .try_take_while(|trigger| std::future::ready(Ok(trigger.id < 2)))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(
        server.seen().len(),
        1,
        "no page is fetched that is not read"
    );
}

/// Every retry is told to `on_retry` as its wait begins, with the attempt to come, the wait and the cause: a
/// caller can say why a call takes long. The first wait is Zendesk's `Retry-After`, the second the backoff.
#[tokio::test(start_paused = true)]
async fn each_retry_is_told_to_the_observer_before_its_wait() {
    use std::sync::{Arc, Mutex};
    use zendesk::{Retry, RetryCause, RetryObserver};

    let me = r#"{"user":{"id":1,"name":"A","role":"admin","active":true}}"#;
    let server = Scripted::start(vec![
        too_many("12"),
        Reply::typed("", 503, "text/html", "<h1>down</h1>").times(1),
        Reply::json("", 200, me),
    ])
    .await;
    let told: Arc<Mutex<Vec<(Duration, Retry)>>> = Arc::default();
    let started = Instant::now();
    let mut config = ClientConfig::new(server.base_url.clone(), token());
    config.on_retry = Some(RetryObserver::new({
        let told = Arc::clone(&told);
        move |retry| told.lock().unwrap().push((started.elapsed(), *retry))
    }));
    let user = Client::new(config).unwrap().current_user().await.unwrap();
    assert_eq!(user.id, 1);
    let finished = started.elapsed();

    let told = told.lock().unwrap().clone();
    assert_eq!(told.len(), 2, "{told:?}");
    let (first_at, first) = told[0];
    assert_eq!(
        (first.attempt, first.max_attempts, first.cause),
        (2, 4, RetryCause::RateLimited)
    );
    assert!(
        first.wait >= Duration::from_secs(12) && first.wait <= Duration::from_millis(12_250),
        "Retry-After plus jitter: {first:?}"
    );
    assert!(
        first_at < Duration::from_secs(1),
        "told before the wait, not after: {first_at:?}"
    );
    let (second_at, second) = told[1];
    assert_eq!(
        (second.attempt, second.cause),
        (3, RetryCause::Server { status: 503 })
    );
    assert!(
        second.wait >= Duration::from_millis(500) && second.wait <= Duration::from_secs(1),
        "the second backoff, half to all of 1 s: {second:?}"
    );
    assert!(second_at >= first.wait && finished >= second_at + second.wait);
    assert_eq!(
        first.cause.to_string(),
        "Zendesk answered 429 (rate limit)",
        "the cause reads as what happened"
    );
}
