//! Conformance 3: round-trips of every call against the simulator (a separate implementation held to the same
//! recordings), pagination over many pages, and rate-limit behaviour. Every request the client sent is read
//! back from the simulator's request log and validated against the contracts.

use std::time::Duration;

use futures::TryStreamExt;
use serde_json::json;
use zendesk::{
    Action, Auth, Client, ClientConfig, Condition, Conditions, CustomFieldValue, Error, NewComment,
    NewTicket, NewTrigger, NewWebhook, Plan, Requester, Role, SecretString, TicketStatus,
    TicketUpdate, UserInput, UserQuery, WebhookPatch, WebhookStatus, WebhookTest,
};
use zendesk_sim::{FaultKind, RunningSimulator, Seed, SimConfig};

use crate::scripted::{Reply, Scripted, Seen};
use crate::spec;

async fn simulator(seed: Seed) -> (RunningSimulator, Client) {
    let running = zendesk_sim::spawn(SimConfig {
        seed,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let admin = running.sim.admin();
    let config = ClientConfig::new(
        url::Url::parse(&running.base_url).unwrap(),
        Auth::ApiToken {
            email: admin.email.clone(),
            token: SecretString::from(admin.token.clone()),
        },
    );
    let client = Client::new(config).unwrap();
    (running, client)
}

/// The simulator's request log, as the validator reads requests.
fn logged(running: &RunningSimulator) -> Vec<Seen> {
    running
        .sim
        .requests()
        .into_iter()
        .filter(|logged| logged.path.starts_with("/api/") || logged.path.starts_with("/oauth/"))
        .map(|logged| Seen {
            method: logged.method,
            path: logged.path,
            query: (!logged.query.is_empty()).then_some(logged.query),
            headers: Default::default(),
            body: logged.body,
        })
        .collect()
}

#[tokio::test]
async fn every_call_round_trips() {
    let (running, client) = simulator(Seed::AccountDump).await;
    let admin = running.sim.admin();

    // Users.
    let me = client.current_user().await.unwrap();
    assert_eq!((me.id, &me.role), (admin.user_id, &Role::Admin));
    assert_eq!(
        client
            .show_user(admin.user_id)
            .await
            .unwrap()
            .email
            .as_deref(),
        Some(admin.email.as_str())
    );
    assert!(matches!(
        client.show_user(9_999_999_999).await,
        Err(Error::NotFound { .. })
    ));
    let input = UserInput {
        name: "Ada Customer".to_owned(),
        email: Some("ada@example.org".to_owned()),
        external_id: Some("contact-ada".to_owned()),
        skip_verify_email: Some(true),
        ..UserInput::default()
    };
    let created = client.create_or_update_user(&input).await.unwrap();
    assert!(created.created);
    assert_eq!(created.user.role, Role::EndUser);
    let again = client.create_or_update_user(&input).await.unwrap();
    assert!(!again.created, "the second call matches the user by email");
    assert_eq!(again.user.id, created.user.id);
    let both = client
        .show_many_users(&[admin.user_id, created.user.id])
        .await
        .unwrap();
    assert_eq!(both.len(), 2);
    let found = client
        .search_users(&UserQuery::ExternalId("CONTACT-ADA".to_owned()))
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![created.user.id],
        "external ids match case-insensitively"
    );

    // Ticket fields.
    let fields = client.all_ticket_fields().await.unwrap();
    assert!(
        fields.iter().any(|f| !f.is_custom() && f.kind == "status"),
        "system fields are listed"
    );
    let dropdown = fields
        .iter()
        .find(|f| {
            f.kind == "tagger"
                && f.custom_field_options
                    .as_ref()
                    .is_some_and(|o| !o.is_empty())
        })
        .expect("the account dump has dropdowns");
    let option = dropdown.custom_field_options.as_ref().unwrap()[0]
        .value
        .clone();
    assert_eq!(
        client.show_ticket_field(dropdown.id).await.unwrap().title,
        dropdown.title
    );

    // Tickets: create (idempotent), read back every way, update, comments, close, delete.
    let new = NewTicket {
        subject: Some("Refund for order 1234".to_owned()),
        comment: NewComment {
            body: Some("Transcript of the conversation".to_owned()),
            public: Some(false),
            ..NewComment::default()
        },
        requester: Some(Requester {
            name: "Bo Requester".to_owned(),
            email: Some("bo@example.org".to_owned()),
            locale_id: None,
        }),
        external_id: Some("session-7".to_owned()),
        tags: vec!["handoff".to_owned()],
        custom_fields: vec![CustomFieldValue {
            id: dropdown.id,
            value: json!(option),
        }],
        ..NewTicket::default()
    };
    let first = client
        .create_ticket(&new, Some("session-7-handoff"))
        .await
        .unwrap();
    assert!(!first.idempotency_hit);
    let replay = client
        .create_ticket(&new, Some("session-7-handoff"))
        .await
        .unwrap();
    assert!(
        replay.idempotency_hit,
        "the same key returns the original ticket"
    );
    assert_eq!(replay.ticket.id, first.ticket.id);
    let ticket_id = first.ticket.id;
    assert_eq!(
        first.ticket.via.as_ref().map(|via| via.channel.as_str()),
        Some("api")
    );
    assert!(first
        .ticket
        .custom_fields
        .iter()
        .any(|f| f.id == dropdown.id && f.value == json!(option)));

    assert_eq!(
        client
            .show_ticket(ticket_id)
            .await
            .unwrap()
            .external_id
            .as_deref(),
        Some("session-7")
    );
    assert_eq!(
        client.show_many_tickets(&[ticket_id]).await.unwrap().len(),
        1
    );
    let by_external = client.tickets_by_external_id("session-7").await.unwrap();
    assert_eq!(
        by_external.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![ticket_id]
    );

    let updated = client
        .update_ticket(
            ticket_id,
            &TicketUpdate {
                comment: Some(NewComment {
                    body: Some("AI summary".to_owned()),
                    public: Some(false),
                    ..NewComment::default()
                }),
                additional_tags: vec!["ai_summarised".to_owned()],
                ..TicketUpdate::default()
            },
        )
        .await
        .unwrap();
    assert!(
        updated.ticket.tags.contains(&"handoff".to_owned())
            && updated.ticket.tags.contains(&"ai_summarised".to_owned()),
        "tags were added, not replaced: {:?}",
        updated.ticket.tags
    );
    let comments = client.ticket_comments(ticket_id).await.unwrap();
    assert_eq!(
        comments
            .iter()
            .map(|c| (c.body.as_str(), c.public))
            .collect::<Vec<_>>(),
        vec![
            ("Transcript of the conversation", false),
            ("AI summary", false)
        ]
    );

    client
        .update_ticket(
            ticket_id,
            &TicketUpdate {
                status: Some(TicketStatus::Closed),
                ..TicketUpdate::default()
            },
        )
        .await
        .unwrap();
    let closed = client
        .update_ticket(
            ticket_id,
            &TicketUpdate {
                additional_tags: vec!["late".to_owned()],
                ..TicketUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(closed, Error::ClosedTicket { ticket_id: Some(id) } if id == ticket_id),
        "{closed:?}"
    );
    client.delete_ticket(ticket_id).await.unwrap();
    assert!(matches!(
        client.show_ticket(ticket_id).await,
        Err(Error::NotFound { .. })
    ));

    // Webhooks and triggers: the whole provisioning loop, with a real receiver.
    let receiver = Scripted::start(vec![Reply::json("POST", 200, "{}")]).await;
    let endpoint = format!("{}hook", receiver.base_url);
    let webhook = client
        .create_webhook(&NewWebhook::for_triggers("Handoff relay", &endpoint))
        .await
        .unwrap();
    assert_eq!(webhook.id.len(), 26, "a ULID");
    assert_eq!(
        client.show_webhook(&webhook.id).await.unwrap().endpoint,
        endpoint
    );
    let listed = client.list_webhooks(Some("Handoff")).await.unwrap();
    assert_eq!(
        listed.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(),
        vec![webhook.id.as_str()]
    );
    client
        .patch_webhook(
            &webhook.id,
            &WebhookPatch {
                name: Some("Handoff relay (prod)".to_owned()),
                ..WebhookPatch::default()
            },
        )
        .await
        .unwrap();
    let patched = client.show_webhook(&webhook.id).await.unwrap();
    assert_eq!(
        (patched.name.as_str(), &patched.status),
        ("Handoff relay (prod)", &WebhookStatus::Active)
    );
    let secret = client.webhook_signing_secret(&webhook.id).await.unwrap();
    let reset = client
        .reset_webhook_signing_secret(&webhook.id)
        .await
        .unwrap();
    assert_ne!(secret.secret, reset.secret, "a reset makes a new secret");
    assert_eq!(
        client
            .webhook_signing_secret(&webhook.id)
            .await
            .unwrap()
            .secret,
        reset.secret
    );

    let tested = client
        .test_webhook(&WebhookTest {
            webhook_id: Some(webhook.id.clone()),
            payload: Some(r#"{"ping":true}"#.to_owned()),
            ..WebhookTest::default()
        })
        .await
        .unwrap();
    assert_eq!(tested.status_code, Some(200));

    let trigger = NewTrigger {
        title: "Handoff: public replies to the AI platform".to_owned(),
        conditions: Conditions {
            all: vec![
                Condition {
                    field: "update_type".to_owned(),
                    operator: Some("is".to_owned()),
                    value: json!("Change"),
                },
                Condition {
                    field: "comment_is_public".to_owned(),
                    operator: Some("is".to_owned()),
                    value: json!("true"),
                },
                Condition {
                    field: "current_via_id".to_owned(),
                    operator: Some("is_not".to_owned()),
                    value: json!("5"),
                },
            ],
            any: Vec::new(),
        },
        actions: vec![Action::notify_webhook(
            &webhook.id,
            r#"{"ticket_id": {{ticket.id}}, "comment": "{{ticket.latest_public_comment}}"}"#,
        )],
        active: Some(true),
        description: None,
        category_id: None,
        position: None,
    };
    let created_trigger = client.create_trigger(&trigger).await.unwrap();
    assert_eq!(
        created_trigger.actions[0].webhook_id(),
        Some(webhook.id.as_str())
    );
    assert_eq!(
        client.show_trigger(created_trigger.id).await.unwrap().title,
        trigger.title
    );
    assert!(client
        .all_triggers()
        .await
        .unwrap()
        .iter()
        .any(|t| t.id == created_trigger.id));
    let renamed = NewTrigger {
        title: "Handoff: replies".to_owned(),
        ..trigger.clone()
    };
    assert_eq!(
        client
            .update_trigger(created_trigger.id, &renamed)
            .await
            .unwrap()
            .title,
        "Handoff: replies"
    );

    // A public agent reply (through the simulator's agent UI) fires the trigger, which calls the webhook.
    let ticket = client
        .create_ticket(
            &NewTicket {
                comment: NewComment {
                    body: Some("Hi".to_owned()),
                    ..NewComment::default()
                },
                subject: Some("Loop".to_owned()),
                ..NewTicket::default()
            },
            None,
        )
        .await
        .unwrap();
    let agent_reply = reqwest::Client::new()
        .post(format!(
            "{}/_sim/tickets/{}/comments",
            running.base_url, ticket.ticket.id
        ))
        .json(&json!({"body": "Agent reply", "public": true}))
        .send()
        .await
        .unwrap();
    assert!(
        agent_reply.status().is_success(),
        "{}",
        agent_reply.status()
    );
    assert!(running.sim.settle(Duration::from_secs(20)).await);
    let delivered: Vec<Seen> = receiver.seen();
    assert!(
        delivered.iter().any(|seen| seen
            .body
            .contains(&format!("\"ticket_id\": {}", ticket.ticket.id))
            && seen.body.contains("Agent reply")),
        "the receiver got the rendered body: {delivered:?}"
    );
    let invocations: Vec<_> = client
        .webhook_invocations(&webhook.id)
        .try_collect()
        .await
        .unwrap();
    assert!(!invocations.is_empty(), "the trigger called the webhook");
    let attempts = client
        .webhook_invocation_attempts(&webhook.id, &invocations[0].id)
        .await
        .unwrap();
    let headers = &attempts[0].request.as_ref().unwrap().headers;
    assert!(
        headers
            .iter()
            .any(|h| h.key == "X-Zendesk-Webhook-Signature"),
        "{headers:?}"
    );

    client.delete_trigger(created_trigger.id).await.unwrap();
    assert!(matches!(
        client.show_trigger(created_trigger.id).await,
        Err(Error::NotFound { .. })
    ));
    client.delete_webhook(&webhook.id).await.unwrap();
    assert!(matches!(
        client.show_webhook(&webhook.id).await,
        Err(Error::NotFound { .. })
    ));

    let sent = logged(&running);
    spec::assert_all_valid(&sent);
    println!(
        "simulator round-trip: {} requests, all validated against the contracts",
        sent.len()
    );
}

#[tokio::test]
async fn pagination_over_many_pages() {
    let (running, client) = simulator(Seed::Generated {
        tickets: 0,
        users: 250,
        fields: 350,
    })
    .await;
    let fields = client.all_ticket_fields().await.unwrap();
    assert!(fields.len() >= 350, "{}", fields.len());
    let mut ids: Vec<u64> = fields.iter().map(|f| f.id).collect();
    ids.dedup();
    assert_eq!(
        ids.len(),
        fields.len(),
        "no field is read twice across pages"
    );
    let field_pages = logged(&running)
        .iter()
        .filter(|s| s.path.starts_with("/api/v2/ticket_fields"))
        .count();
    assert_eq!(
        field_pages,
        fields.len().div_ceil(100),
        "one request per page of 100"
    );

    // The stream asks for page n+1 while page n is decoded, but never further ahead, and a stream dropped
    // after its first records asks for nothing more.
    let before = logged(&running).len();
    let first_five: Vec<_> = futures::StreamExt::take(client.ticket_fields(), 5)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first_five.len(), 5);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = logged(&running)[before..]
        .iter()
        .filter(|s| s.path.starts_with("/api/v2/ticket_fields"))
        .count();
    assert!(
        (1..=2).contains(&asked),
        "the first page and at most one ahead, not {asked}"
    );

    let users = client
        .search_users(&UserQuery::Query("role:end-user".to_owned()))
        .await
        .unwrap();
    assert!(users.len() >= 250, "{}", users.len());
    spec::assert_all_valid(&logged(&running));
}

#[tokio::test(start_paused = true)]
async fn rate_limits_and_faults() {
    let (running, client) = simulator(Seed::Minimal).await;
    client.current_user().await.unwrap();
    assert_eq!(
        client.rate_limit_per_minute(),
        700,
        "sized from the simulator's X-Rate-Limit"
    );

    // Two 429s with Retry-After, then success: waited and retried.
    running.sim.inject_fault(
        Some("GET"),
        "/api/v2/users/me",
        FaultKind::RateLimit { retry_after: 3 },
        Some(2),
    );
    let start = tokio::time::Instant::now();
    client.current_user().await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );

    // A 503 on ticket create: without a key it is not repeated; with one it is, and nothing is duplicated.
    let new = NewTicket {
        subject: Some("x".to_owned()),
        comment: NewComment {
            body: Some("y".to_owned()),
            ..NewComment::default()
        },
        ..NewTicket::default()
    };
    running.sim.inject_fault(
        Some("POST"),
        "/api/v2/tickets",
        FaultKind::ServerError(503),
        Some(1),
    );
    assert!(matches!(
        client.create_ticket(&new, None).await,
        Err(Error::Server { status: 503, .. })
    ));
    running.sim.inject_fault(
        Some("POST"),
        "/api/v2/tickets",
        FaultKind::ServerError(503),
        Some(1),
    );
    let created = client.create_ticket(&new, Some("key-1")).await.unwrap();
    assert!(!created.idempotency_hit);

    // An endpoint that never answers: each attempt times out, GETs are retried, then Timeout.
    let mut config = ClientConfig::new(
        url::Url::parse(&running.base_url).unwrap(),
        Auth::ApiToken {
            email: running.sim.admin().email,
            token: SecretString::from(running.sim.admin().token),
        },
    );
    config.timeout = Duration::from_secs(5);
    config.retry.max_attempts = 2;
    let impatient = Client::new(config).unwrap();
    running
        .sim
        .inject_fault(Some("GET"), "/api/v2/tickets/*", FaultKind::Timeout, None);
    let start = tokio::time::Instant::now();
    assert!(matches!(
        impatient.show_ticket(1).await,
        Err(Error::Timeout)
    ));
    assert!(
        start.elapsed() >= Duration::from_secs(10),
        "two attempts of 5 s: {:?}",
        start.elapsed()
    );

    // A storm longer than the retry budget ends with RateLimited, not an endless wait.
    running.sim.inject_fault(
        Some("GET"),
        "/api/v2/ticket_fields",
        FaultKind::RateLimit { retry_after: 50 },
        None,
    );
    let error = client.all_ticket_fields().await.unwrap_err();
    assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
    spec::assert_all_valid(&logged(&running));
}

#[tokio::test]
async fn bad_credentials_and_foreign_subdomains() {
    let (running, _) = simulator(Seed::Minimal).await;
    let base = url::Url::parse(&running.base_url).unwrap();
    let wrong = Client::new(ClientConfig::new(
        base.clone(),
        Auth::ApiToken {
            email: running.sim.admin().email,
            token: SecretString::from("not-the-token"),
        },
    ))
    .unwrap();
    assert!(matches!(
        wrong.current_user().await,
        Err(Error::BadCredentials { .. })
    ));
    let anonymous = Client::new(ClientConfig::new(base.clone(), Auth::Anonymous)).unwrap();
    assert!(
        matches!(
            anonymous.current_user().await,
            Err(Error::BadCredentials { .. })
        ),
        "users/me answers 200 anonymous"
    );

    let other_account = base
        .join(&format!(
            "{}no-such-account/",
            zendesk_sim::ACCOUNT_PREFIX.trim_start_matches('/')
        ))
        .unwrap();
    let stranger = Client::new(ClientConfig::new(other_account, Auth::Anonymous)).unwrap();
    let error = stranger.current_user().await.unwrap_err();
    assert!(matches!(error, Error::NotZendesk { .. }), "{error:?}");
    let plan = Plan::Team;
    assert_eq!(plan.requests_per_minute().get(), 200);
}

/// The handoff engine's calls, shaped as it sends them, against the spec: a new contact's ticket (requester by
/// name and email, HTML transcript, external id, tags, assignee, Idempotency-Key), a contact without email
/// (create_or_update by external id with a phone), the update of a returning contact (internal note,
/// `additional_tags`), the 422 of a closed ticket, and its follow-up (`via_followup_source_id`).
#[tokio::test]
async fn the_handoff_calls_conform() {
    let (running, client) = simulator(Seed::Minimal).await;
    let html = "<p><strong>Summary</strong><br>Broken parcel</p><p><a href=\"https://relay.example/sessions/x?t=y\">View session</a></p>";
    let created = client
        .create_ticket(
            &NewTicket {
                subject: Some("My parcel arrived broken".to_owned()),
                comment: NewComment {
                    html_body: Some(html.to_owned()),
                    ..NewComment::default()
                },
                requester: Some(Requester {
                    name: "Ana Lima".to_owned(),
                    email: Some("ana@example.com".to_owned()),
                    locale_id: None,
                }),
                external_id: Some("0b8f6c1e-2f4a-4c7e-9d3b-5a1e2f3c4d5e".to_owned()),
                tags: vec![
                    "opencx".to_owned(),
                    "opencx_ticket_created_on_handoff".to_owned(),
                ],
                assignee_id: Some(running.sim.admin().user_id),
                ..NewTicket::default()
            },
            Some("handoff-0b8f6c1e-2f4a-4c7e-9d3b-5a1e2f3c4d5e-1a2b3c4d5e6f7a8b"),
        )
        .await
        .unwrap();
    assert_eq!(
        created.ticket.status,
        TicketStatus::Open,
        "assigned at creation"
    );
    let user = client
        .create_or_update_user(&UserInput {
            name: "Customer +14155550123".to_owned(),
            external_id: Some("phone:+14155550123".to_owned()),
            phone: Some("+14155550123".to_owned()),
            ..UserInput::default()
        })
        .await
        .unwrap();
    assert!(user.created);
    let note = TicketUpdate {
        comment: Some(NewComment {
            html_body: Some("<p>New messages</p>".to_owned()),
            public: Some(false),
            ..NewComment::default()
        }),
        additional_tags: vec!["opencx_handedoff".to_owned()],
        ..TicketUpdate::default()
    };
    client
        .update_ticket(created.ticket.id, &note)
        .await
        .unwrap();
    client
        .update_ticket(
            created.ticket.id,
            &TicketUpdate {
                status: Some(TicketStatus::Closed),
                ..TicketUpdate::default()
            },
        )
        .await
        .unwrap();
    let refused = client.update_ticket(created.ticket.id, &note).await;
    assert!(
        matches!(refused, Err(Error::ClosedTicket { ticket_id: Some(id) }) if id == created.ticket.id),
        "{refused:?}"
    );
    let follow_up = client
        .create_ticket(
            &NewTicket {
                subject: Some("It broke again".to_owned()),
                comment: NewComment {
                    html_body: Some(html.to_owned()),
                    ..NewComment::default()
                },
                requester_id: created.ticket.requester_id,
                external_id: Some("9c1d1e0a-0000-4000-8000-000000000000".to_owned()),
                via_followup_source_id: Some(created.ticket.id),
                ..NewTicket::default()
            },
            Some("handoff-9c1d1e0a-0000-4000-8000-000000000000-0011223344556677-followup-1"),
        )
        .await
        .unwrap();
    assert_eq!(follow_up.ticket.requester_id, created.ticket.requester_id);
    let source = client.show_ticket(created.ticket.id).await.unwrap();
    assert_eq!(source.followup_ids, vec![follow_up.ticket.id]);
    spec::assert_all_valid(&logged(&running));
}

/// The calls one-click setup, its repairs and the checklist send, in the shapes they send them, validated
/// against the recordings and the Webhooks API spec: a webhook with a description and no authentication, a
/// PATCH that restores status, endpoint, method and format, a trigger written whole (conditions and actions),
/// a guard added to another trigger, the lists and invocations the checklist reads, and the relay probe (a GET
/// test call to an endpoint, the recorded request shape).
#[tokio::test]
async fn the_setup_calls_conform() {
    let (running, client) = simulator(Seed::Minimal).await;
    let receiver = Scripted::start(vec![Reply::json("GET", 200, "{}")]).await;
    let mut webhook = NewWebhook::for_triggers(
        "Zendesk Handoff Console: reply sync",
        "https://relay.example.com/zendesk/01jdz3k7m8n9p0q1r2s3t4v5w6/k1.tag",
    );
    webhook.description = Some("Created by setup: the URL is signed.".to_owned());
    let listed = client.list_webhooks(None).await.unwrap();
    assert!(listed.is_empty());
    let made = client.create_webhook(&webhook).await.unwrap();
    client.webhook_signing_secret(&made.id).await.unwrap();
    let conditions = Conditions {
        all: vec![
            Condition {
                field: "update_type".to_owned(),
                operator: Some("is".to_owned()),
                value: json!("Change"),
            },
            Condition {
                field: "comment_is_public".to_owned(),
                operator: Some("is".to_owned()),
                value: json!("true"),
            },
        ],
        any: Vec::new(),
    };
    let ours = NewTrigger {
        title: "Zendesk Handoff Console: send public replies to the AI platform".to_owned(),
        conditions: conditions.clone(),
        actions: vec![Action::notify_webhook(
            &made.id,
            "{\"ticket\": {\"id\": {{ticket.id}}}, \"comment\": {\"body\": \"{{ticket.latest_public_comment}}\"}}",
        )],
        active: Some(true),
        description: Some("Created by setup.".to_owned()),
        category_id: None,
        position: None,
    };
    let trigger = client.create_trigger(&ours).await.unwrap();
    // Drift, then its repair: one PATCH with every field setup restores, one PUT of the whole trigger.
    client
        .patch_webhook(
            &made.id,
            &WebhookPatch {
                status: Some(WebhookStatus::Inactive),
                http_method: Some("PUT".to_owned()),
                ..WebhookPatch::default()
            },
        )
        .await
        .unwrap();
    client
        .patch_webhook(
            &made.id,
            &WebhookPatch {
                status: Some(WebhookStatus::Active),
                endpoint: Some(webhook.endpoint.clone()),
                http_method: Some("POST".to_owned()),
                request_format: Some("json".to_owned()),
                ..WebhookPatch::default()
            },
        )
        .await
        .unwrap();
    let repaired = client.show_webhook(&made.id).await.unwrap();
    assert_eq!(
        (repaired.status, repaired.http_method.as_str()),
        (WebhookStatus::Active, "POST")
    );
    let updated = client.update_trigger(trigger.id, &ours).await.unwrap();
    assert_eq!(updated.actions, ours.actions);
    // Zendesk's own "Notify requester of comment update", with the guard added: every condition and action sent.
    let notify = client
        .create_trigger(&NewTrigger {
            title: "Notify requester of comment update".to_owned(),
            conditions: Conditions {
                all: vec![Condition {
                    field: "comment_is_public".to_owned(),
                    operator: Some("is".to_owned()),
                    value: json!("requester_can_see_comment"),
                }],
                any: Vec::new(),
            },
            actions: vec![Action {
                field: "notification_user".to_owned(),
                value: json!([
                    "requester_id",
                    "Re: {{ticket.title}}",
                    "{{ticket.comments_formatted}}"
                ]),
            }],
            active: None,
            description: None,
            category_id: None,
            position: None,
        })
        .await
        .unwrap();
    let mut guarded = notify.conditions.clone();
    guarded.all.push(Condition {
        field: "current_tags".to_owned(),
        operator: Some("not_includes".to_owned()),
        value: json!("opencx"),
    });
    let guarded = client
        .update_trigger(
            notify.id,
            &NewTrigger {
                title: notify.title.clone(),
                conditions: guarded,
                actions: notify.actions.clone(),
                active: None,
                description: None,
                category_id: None,
                position: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(guarded.conditions.all.len(), 2);
    assert_eq!(guarded.actions, notify.actions);
    // What the checklist reads, and the probe.
    assert_eq!(client.all_triggers().await.unwrap().len(), 2);
    let invocations: Vec<_> = client
        .webhook_invocations(&made.id)
        .try_collect()
        .await
        .unwrap();
    assert!(invocations.is_empty());
    let probe = client
        .test_webhook(&WebhookTest {
            endpoint: Some(format!("{}healthz", receiver.base_url)),
            http_method: Some("GET".to_owned()),
            request_format: Some("json".to_owned()),
            ..WebhookTest::default()
        })
        .await
        .unwrap();
    assert_eq!(probe.status_code, Some(200));
    spec::assert_all_valid(&logged(&running));
}

/// The calls verification, rotation and disconnect send: the staff list (to pick the rep who replies), a
/// public reply with `author_id` (a rep's reply through the API), the clean-up of the verification ticket and
/// the user it created, the webhook's endpoint moved to a new URL, its signing secret reset, then our trigger
/// and our webhook deleted. Validated against the official spec and the webhook recordings.
#[tokio::test]
async fn the_verify_rotate_and_disconnect_calls_conform() {
    let (running, client) = simulator(Seed::Minimal).await;
    let staff = client.staff_users().await.unwrap();
    assert!(!staff.is_empty());
    assert!(
        staff
            .iter()
            .all(|u| matches!(u.role, Role::Agent | Role::Admin)),
        "{staff:?}"
    );
    let agent = staff
        .iter()
        .find(|u| u.role == Role::Agent && u.is_active_staff() && u.role_type != Some(1))
        .expect("a full agent");
    let created = client
        .create_ticket(
            &NewTicket {
                subject: Some("Verification".to_owned()),
                comment: NewComment {
                    body: Some("Checking the loop".to_owned()),
                    ..NewComment::default()
                },
                requester: Some(Requester {
                    name: "Verification contact".to_owned(),
                    email: Some("verify-contact@example.com".to_owned()),
                    locale_id: None,
                }),
                external_id: Some("verification-session".to_owned()),
                ..NewTicket::default()
            },
            None,
        )
        .await
        .unwrap();
    let reply = client
        .update_ticket(
            created.ticket.id,
            &TicketUpdate {
                comment: Some(NewComment {
                    body: Some("A rep's reply".to_owned()),
                    public: Some(true),
                    author_id: Some(agent.id),
                    ..NewComment::default()
                }),
                ..TicketUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(reply.ticket.id, created.ticket.id);
    let comments = client.ticket_comments(created.ticket.id).await.unwrap();
    assert_eq!(comments.last().map(|c| c.author_id), Some(agent.id));
    client.delete_ticket(created.ticket.id).await.unwrap();
    let deleted = client
        .delete_user(created.ticket.requester_id.expect("a requester"))
        .await
        .unwrap();
    assert!(!deleted.active, "Zendesk deletes softly: {deleted:?}");

    let webhook = client
        .create_webhook(&NewWebhook::for_triggers(
            "Zendesk Handoff Console: reply sync",
            "https://relay.example.com/zendesk/org/k1.tag",
        ))
        .await
        .unwrap();
    client
        .patch_webhook(
            &webhook.id,
            &WebhookPatch {
                endpoint: Some("https://relay.example.com/zendesk/org/k2.tag".to_owned()),
                ..WebhookPatch::default()
            },
        )
        .await
        .unwrap();
    let before = client.webhook_signing_secret(&webhook.id).await.unwrap();
    let after = client
        .reset_webhook_signing_secret(&webhook.id)
        .await
        .unwrap();
    assert_ne!(before.secret.expose_secret(), after.secret.expose_secret());
    let trigger = client
        .create_trigger(&NewTrigger {
            title: "Zendesk Handoff Console: send public replies to the AI platform".to_owned(),
            conditions: Conditions {
                all: vec![Condition {
                    field: "update_type".to_owned(),
                    operator: Some("is".to_owned()),
                    value: json!("Change"),
                }],
                any: Vec::new(),
            },
            actions: vec![Action::notify_webhook(&webhook.id, "{}")],
            active: Some(true),
            description: None,
            category_id: None,
            position: None,
        })
        .await
        .unwrap();
    client.delete_trigger(trigger.id).await.unwrap();
    client.delete_webhook(&webhook.id).await.unwrap();
    assert!(matches!(
        client.show_webhook(&webhook.id).await,
        Err(Error::NotFound { .. })
    ));
    spec::assert_all_valid(&logged(&running));
}
