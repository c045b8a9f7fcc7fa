//! The handoff engine against the simulator (SPEC §7): what each kind of contact costs in Zendesk calls and
//! what lands on the ticket, asserted on the simulator's request log and state; faults (429 storms, 5xx, lost
//! answers, an expiring OAuth token, a restart) never lose a handoff nor duplicate a ticket.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use handoff::account;
use handoff::clock::Clock;
use handoff::connect::{self, ConnectInput, ConnectOptions};
use handoff::handoff::{SessionLinks, Worker, WorkerConfig};
use handoff::profile::Profile;
use handoff::session::{
    Channel, HandoffRequest, HandoffState, Mode, NewContact, NewSession, NewTurn, Role, Sentiment,
    Session, SessionId, Sessions,
};
use handoff::settings::{SettingKey, Settings};
use handoff::SecretString;
use jiff::Timestamp;
use serde_json::{json, Value};
use tempfile::TempDir;
use zendesk::{Auth, Client, ClientConfig};
use zendesk_sim::{FaultKind, LoggedRequest, RunningSimulator, SimConfig};

use crate::{profile, CANARY_TOKEN};

pub const START: &str = "2026-11-24T10:00:00Z";

/// A simulator on a manual clock, a profile connected to it as the admin (with the full agent as Default
/// Agent), and the engine on the simulator's clock: advancing one advances both.
pub struct Rig {
    pub sim: RunningSimulator,
    pub dir: TempDir,
    pub profile: Profile,
    pub clock: Clock,
    pub sessions: Sessions,
    pub worker: Option<Worker>,
    pub agent_id: u64,
    /// Set by tests on paused tokio time: `drain` then moves tokio's clock with the simulator's, as real time
    /// moves both (the client's rate limiter waits on tokio time).
    pub paused: bool,
}

pub async fn rig() -> Rig {
    let start: Timestamp = START.parse().unwrap_or_else(|e| panic!("{e}"));
    let sim = zendesk_sim::spawn(SimConfig {
        admin_token: Some(CANARY_TOKEN.to_owned()),
        clock: zendesk_sim::Clock::manual(start),
        ..SimConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("simulator: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let agent_id = sim
        .sim
        .credential_of("agent@example.com")
        .map(|c| c.user_id)
        .unwrap_or_else(|| panic!("seeded agent"));
    let input = ConnectInput {
        subdomain: sim.sim.subdomain().to_owned(),
        email: sim.sim.admin().email,
        token: SecretString::from(CANARY_TOKEN),
        default_agent_id: Some(agent_id.to_string()),
        base_url: Some(sim.base_url.clone()),
    };
    let report =
        connect::verify_and_save(&profile, input, ConnectOptions::default(), start, |_| {})
            .await
            .unwrap_or_else(|e| panic!("connect: {e}"));
    assert!(report.saved(), "{:#?}", report.checks);
    let clock = sim_clock(&sim);
    let mut rig = Rig {
        sessions: Sessions::new(profile.store().clone(), clock.clone()),
        sim,
        dir,
        profile,
        clock,
        worker: None,
        agent_id,
        paused: false,
    };
    rig.start_worker().await;
    rig.sim.sim.clear_requests();
    rig
}

pub fn sim_clock(sim: &RunningSimulator) -> Clock {
    let clock = sim.sim.clock().clone();
    Clock::from_fn(move || clock.now())
}

impl Rig {
    /// (Re)starts the worker on the profile's saved account, as a restarted process would.
    pub async fn start_worker(&mut self) {
        self.worker = None;
        let account = account::open(&self.profile, &self.clock)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("connected"));
        let links = SessionLinks::open(&self.profile.keychain().unwrap_or_else(|e| panic!("{e}")))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let worker = Worker::new(
            self.profile.store().clone(),
            self.clock.clone(),
            account.client,
            links,
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .with_config(WorkerConfig {
            concurrency: 8,
            ..WorkerConfig::default()
        });
        self.sessions = Sessions::new(self.profile.store().clone(), self.clock.clone())
            .with_wake(worker.wake());
        self.worker = Some(worker);
    }

    pub fn worker(&self) -> &Worker {
        self.worker
            .as_ref()
            .unwrap_or_else(|| panic!("worker started"))
    }

    /// Runs the worker until nothing is pending, moving the clock to each retry's due time; returns how many
    /// times the clock had to move.
    pub async fn drain(&self) -> usize {
        for round in 0..500 {
            let idle = self
                .worker()
                .run_until_idle()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let Some(due) = idle.next_due else {
                assert_eq!(idle.pending, 0);
                return round;
            };
            let wait = due.duration_since(self.clock.now());
            if wait > jiff::SignedDuration::ZERO {
                let wait = Duration::try_from(wait).unwrap_or_default() + Duration::from_millis(1);
                self.sim.sim.clock().advance(wait);
                if self.paused {
                    tokio::time::advance(wait).await;
                }
            }
        }
        let stuck = self
            .profile
            .store()
            .due_jobs(i64::MAX, 5)
            .map(|jobs| jobs.into_iter().map(|j| j.reason).collect::<Vec<_>>());
        panic!("the queue never drained: {stuck:?}")
    }

    pub fn create(
        &self,
        contact: NewContact,
        channel: Channel,
        mode: Mode,
        turns: &[(Role, &str)],
    ) -> Session {
        self.sessions
            .create(NewSession {
                contact,
                channel,
                mode,
                turns: turns
                    .iter()
                    .map(|(role, text)| NewTurn {
                        role: *role,
                        text: (*text).to_owned(),
                        at: None,
                    })
                    .collect(),
                summary: None,
                sentiment: None,
                language: None,
            })
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn handoff(&self, id: SessionId, request_id: &str) {
        self.sessions
            .request_handoff(
                id,
                HandoffRequest {
                    request_id: request_id.to_owned(),
                    ..HandoffRequest::default()
                },
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }

    pub fn session(&self, id: SessionId) -> Session {
        self.sessions.get(id).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The API calls made since the log was last cleared, as "METHOD /path".
    pub fn calls(&self) -> Vec<String> {
        self.sim
            .sim
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.sim.sim.requests()
    }

    /// An admin client straight to the simulator, for reading what landed (not the product's path).
    pub fn admin(&self) -> Client {
        let url = url::Url::parse(&self.sim.base_url).unwrap_or_else(|e| panic!("{e}"));
        let auth = Auth::ApiToken {
            email: self.sim.sim.admin().email,
            token: SecretString::from(CANARY_TOKEN),
        };
        Client::new(ClientConfig::new(url, auth)).unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn tickets_of(&self, id: SessionId) -> Vec<zendesk::Ticket> {
        self.admin()
            .tickets_by_external_id(&id.to_string())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn ticket(&self, ticket_id: u64) -> zendesk::Ticket {
        self.admin()
            .show_ticket(ticket_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A rep works on the ticket in Zendesk's UI.
    pub async fn agent_update(&self, ticket_id: u64, body: Value) {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/_sim/tickets/{ticket_id}/comments",
                self.sim.base_url
            ))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            response.status().as_u16(),
            200,
            "{:?}",
            response.text().await
        );
    }
}

pub fn email(name: Option<&str>, email: &str) -> NewContact {
    NewContact {
        name: name.map(str::to_owned),
        email: Some(email.to_owned()),
        ..NewContact::default()
    }
}

pub fn phone(phone: &str) -> NewContact {
    NewContact {
        phone: Some(phone.to_owned()),
        ..NewContact::default()
    }
}

fn body(request: &LoggedRequest) -> Value {
    serde_json::from_str(&request.body).unwrap_or_else(|e| panic!("{e}: {}", request.body))
}

fn tag_set(tags: &[&str]) -> BTreeSet<String> {
    tags.iter().map(|t| (*t).to_owned()).collect()
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

const SCRIPT: &[(Role, &str)] = &[
    (
        Role::Customer,
        "My order #1042 arrived broken. <script>alert('x')</script> & I want a refund!",
    ),
    (Role::Ai, "I am sorry to hear that. Could you send a photo?"),
    (Role::Customer, "This is unacceptable, it is still broken."),
];

#[tokio::test(flavor = "multi_thread")]
async fn a_new_contact_is_one_call_with_every_field() {
    let rig = rig().await;
    let session = rig.create(
        email(Some("Ana Lima"), "Ana.Lima@Example.com"),
        Channel::Whatsapp,
        Mode::Autopilot,
        SCRIPT,
    );
    rig.handoff(session.id, "req-1");

    rig.drain().await;

    assert_eq!(rig.calls(), ["POST /api/v2/tickets"], "exactly one call");
    let request = &rig.requests()[0];
    let sent = body(request);
    let ticket = &sent["ticket"];
    assert_eq!(
        ticket["requester"],
        json!({"name": "Ana Lima", "email": "ana.lima@example.com"})
    );
    assert_eq!(ticket["external_id"], json!(session.id.to_string()));
    assert_eq!(ticket["subject"], json!("My order #1042 arrived broken."));
    assert_eq!(ticket["assignee_id"], json!(rig.agent_id));
    assert_eq!(
        strings(&ticket["tags"]),
        tag_set(&[
            "opencx",
            "opencx_autopilot",
            "opencx_handedoff",
            "opencx_channel_whatsapp",
            "opencx_sentiment_negative",
            "opencx_language_en",
            "opencx_ticket_created_on_handoff",
        ])
    );
    let html = ticket["comment"]["html_body"].as_str().unwrap_or_default();
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; I want a refund!"),
        "{html}"
    );
    assert!(
        !html.contains("<script>"),
        "no markup from the conversation: {html}"
    );
    assert!(html.contains("<strong>Summary</strong>"), "{html}");
    assert!(
        html.contains("Could you send a photo?"),
        "the AI's turns are in the transcript"
    );
    let key = request.idempotency_key.clone().unwrap_or_default();
    assert!(
        key.starts_with(&format!("handoff-{}-", session.id)),
        "{key}"
    );

    // The link opens the session's page with its tag; the id alone, or another session's tag, opens nothing.
    let prefix = format!("http://127.0.0.1:8750/sessions/{}?t=", session.id);
    let at = html
        .find(&prefix)
        .unwrap_or_else(|| panic!("View session link in {html}"));
    let tag: String = html[at + prefix.len()..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let links = SessionLinks::open(&rig.profile.keychain().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(links.verify_link(&session.id.to_string(), &tag));
    assert!(!links.verify_link(&SessionId::new().to_string(), &tag));
    assert!(!links.verify_link(&session.id.to_string(), ""));
    let mut tampered = tag.clone().into_bytes();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    assert!(!links.verify_link(&session.id.to_string(), &String::from_utf8_lossy(&tampered)));
    assert!(tag.len() >= 43, "256-bit tag: {tag}");

    let stored = rig.session(session.id);
    assert_eq!(stored.handoff, HandoffState::Done);
    let ticket_id = stored
        .ticket
        .as_ref()
        .map(|t| t.id)
        .unwrap_or_else(|| panic!("ticket recorded"));
    let status = rig
        .sessions
        .handoff_status(session.id)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (status.ticket_id, status.created),
        (Some(ticket_id), Some(true))
    );
    let landed = rig.ticket(ticket_id).await;
    assert_eq!(landed.assignee_id, Some(rig.agent_id));
    assert_eq!(
        stored.sentiment,
        Some(Sentiment::Negative),
        "derived and kept"
    );
    assert_eq!(stored.language.as_ref().map(|l| l.as_str()), Some("en"));
    assert_no_secret_in_files(&rig).await;
}

async fn assert_no_secret_in_files(rig: &Rig) {
    crate::assert_no_file_contains(rig.dir.path(), CANARY_TOKEN);
    let key = rig
        .profile
        .keychain()
        .unwrap_or_else(|e| panic!("{e}"))
        .get(handoff::keychain::SecretName::SessionLinkKey)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("link key made on first use"));
    crate::assert_no_file_contains(rig.dir.path(), key.expose_secret());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_returning_contact_is_one_update_that_adds_tags_and_keeps_the_agents() {
    let rig = rig().await;
    let first = rig.create(
        email(Some("Ana"), "ana@example.com"),
        Channel::Email,
        Mode::Autopilot,
        SCRIPT,
    );
    rig.handoff(first.id, "r1");
    rig.drain().await;
    let ticket_id = rig
        .session(first.id)
        .ticket
        .map(|t| t.id)
        .unwrap_or_else(|| panic!("ticket"));
    rig.agent_update(
        ticket_id,
        json!({"body": "On it", "public": true, "additional_tags": ["vip"]}),
    )
    .await;
    rig.sim.sim.clear_requests();

    let again = rig.create(
        email(None, "ANA@example.com"),
        Channel::Sms,
        Mode::Autopilot,
        &[(Role::Customer, "Hi again, any news about my refund? Thanks")],
    );
    rig.handoff(again.id, "r1");
    rig.drain().await;

    assert_eq!(
        rig.calls(),
        [format!("PUT /api/v2/tickets/{ticket_id}")],
        "one update, no create, no search"
    );
    let sent = body(&rig.requests()[0]);
    let update = &sent["ticket"];
    assert!(
        update.get("tags").is_none(),
        "tags are never replaced: {update}"
    );
    assert_eq!(
        strings(&update["additional_tags"]),
        tag_set(&[
            "opencx",
            "opencx_autopilot",
            "opencx_handedoff",
            "opencx_channel_sms",
            "opencx_sentiment_neutral",
            "opencx_language_en"
        ])
    );
    assert_eq!(
        update["comment"]["public"],
        json!(false),
        "context for the rep, never mailed to the contact"
    );
    assert_eq!(
        update["status"],
        json!("open"),
        "the contact is back: a rep must act"
    );
    assert!(update["comment"]["html_body"]
        .as_str()
        .unwrap_or_default()
        .contains("any news about my refund"));
    let tags: BTreeSet<String> = rig.ticket(ticket_id).await.tags.into_iter().collect();
    assert!(tags.contains("vip"), "the agent's tag survives: {tags:?}");
    assert!(
        tags.contains("opencx_channel_sms") && tags.contains("opencx_channel_email"),
        "{tags:?}"
    );
    assert_eq!(rig.session(again.id).ticket.map(|t| t.id), Some(ticket_id));
    let status = rig
        .sessions
        .handoff_status(again.id)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.created, Some(false));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_ticket_gets_a_follow_up_in_two_calls_and_the_next_visit_updates_that() {
    let rig = rig().await;
    let first = rig.create(phone("+14155550123"), Channel::Sms, Mode::Autopilot, SCRIPT);
    rig.handoff(first.id, "r1");
    rig.drain().await;
    let closed = rig
        .session(first.id)
        .ticket
        .unwrap_or_else(|| panic!("ticket"));
    rig.agent_update(closed.id, json!({"body": "Solved", "status": "closed"}))
        .await;
    rig.sim.sim.clear_requests();

    let second = rig.create(
        phone("+1 415 555 0123"),
        Channel::Sms,
        Mode::Autopilot,
        &[(Role::Customer, "It broke again")],
    );
    rig.handoff(second.id, "r1");
    rig.drain().await;

    assert_eq!(
        rig.calls(),
        [
            format!("PUT /api/v2/tickets/{}", closed.id),
            "POST /api/v2/tickets".to_owned()
        ]
    );
    assert_eq!(rig.requests()[0].status, 422);
    let sent = body(&rig.requests()[1]);
    assert_eq!(sent["ticket"]["via_followup_source_id"], json!(closed.id));
    assert_eq!(
        sent["ticket"]["requester_id"],
        json!(closed.requester_id.unwrap_or_default())
    );
    assert_eq!(sent["ticket"]["external_id"], json!(second.id.to_string()));
    let follow_up = rig
        .session(second.id)
        .ticket
        .unwrap_or_else(|| panic!("follow-up recorded"));
    assert_eq!(rig.ticket(closed.id).await.followup_ids, vec![follow_up.id]);

    // The contact comes back once more: the follow-up is the ticket now, one update.
    rig.sim.sim.clear_requests();
    let third = rig.create(
        phone("+14155550123"),
        Channel::Phone,
        Mode::Autopilot,
        &[(Role::Customer, "Hello?")],
    );
    rig.handoff(third.id, "r1");
    rig.drain().await;
    assert_eq!(
        rig.calls(),
        [format!("PUT /api/v2/tickets/{}", follow_up.id)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn contacts_without_email_get_their_user_by_phone_or_external_id_then_the_ticket() {
    let rig = rig().await;
    // (contact, the user's external id in Zendesk, the user's phone)
    let table = [
        (
            phone("+33612345678"),
            "phone:+33612345678",
            Some("+33612345678"),
        ),
        (
            NewContact {
                name: Some("Bo".into()),
                external_id: Some("crm-77".into()),
                ..NewContact::default()
            },
            "crm-77",
            None,
        ),
    ];
    for (contact, external_id, phone) in table {
        rig.sim.sim.clear_requests();
        let session = rig.create(contact, Channel::Web, Mode::Autopilot, SCRIPT);
        rig.handoff(session.id, "r1");
        rig.drain().await;
        assert_eq!(
            rig.calls(),
            [
                "POST /api/v2/users/create_or_update",
                "POST /api/v2/tickets"
            ],
            "{external_id}"
        );
        let user = body(&rig.requests()[0]);
        assert_eq!(user["user"]["external_id"], json!(external_id));
        assert_eq!(user["user"]["phone"], json!(phone));
        assert!(
            user["user"]["name"].as_str().is_some_and(|n| !n.is_empty()),
            "a name, so Zendesk makes the user"
        );
        let ticket = body(&rig.requests()[1]);
        let users = rig
            .admin()
            .search_users(&zendesk::UserQuery::ExternalId(external_id.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(users.len(), 1);
        assert_eq!(ticket["ticket"]["requester_id"], json!(users[0].id));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_only_contact_handed_off_twice_is_one_zendesk_user() {
    let rig = rig().await;
    let first = rig.create(
        phone("+447700900123"),
        Channel::Whatsapp,
        Mode::Autopilot,
        SCRIPT,
    );
    rig.handoff(first.id, "r1");
    rig.drain().await;
    // The ticket is deleted in Zendesk, so the next handoff cannot reuse it and makes a new one: the user must
    // still be the same.
    let ticket_id = rig
        .session(first.id)
        .ticket
        .map(|t| t.id)
        .unwrap_or_else(|| panic!("ticket"));
    rig.admin()
        .delete_ticket(ticket_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let second = rig.create(
        phone("+447700900123"),
        Channel::Whatsapp,
        Mode::Autopilot,
        &[(Role::Customer, "Hello again")],
    );
    rig.handoff(second.id, "r1");
    rig.drain().await;

    let users = rig
        .admin()
        .search_users(&zendesk::UserQuery::Query("+447700900123".into()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(users.len(), 1, "{users:?}");
    let made = rig.tickets_of(second.id).await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].requester_id, Some(users[0].id));
}

#[tokio::test(flavor = "multi_thread")]
async fn requester_names_fall_back_sensibly_and_existing_users_keep_theirs() {
    let rig = rig().await;
    // (contact, the requester's name in Zendesk afterwards)
    let table = [
        (email(None, "jane.doe@example.com"), "Jane Doe"),
        (
            email(Some("Someone Else"), "customer@example.com"),
            "Erin Enduser",
        ),
        (email(Some("Ana Lima"), "ana.l@example.com"), "Ana Lima"),
    ];
    for (contact, expected) in table {
        let session = rig.create(contact.clone(), Channel::Email, Mode::Autopilot, SCRIPT);
        rig.handoff(session.id, "r1");
        rig.drain().await;
        let tickets = rig.tickets_of(session.id).await;
        assert_eq!(tickets.len(), 1, "{contact:?}");
        let requester = rig
            .admin()
            .show_user(tickets[0].requester_id.unwrap_or_default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(requester.name, expected, "{contact:?}");
    }
}

/// (mode, channel, given sentiment, given language, expected tags besides the prefix and the created tag)
type TagCase = (
    Mode,
    Channel,
    Option<Sentiment>,
    Option<&'static str>,
    &'static [&'static str],
);

#[tokio::test(flavor = "multi_thread")]
async fn tags_follow_the_mode_channel_sentiment_and_language() {
    let rig = rig().await;
    Settings::new(rig.profile.store().clone())
        .set(SettingKey::TagPrefix, "acme")
        .unwrap_or_else(|e| panic!("{e}"));
    // (mode, channel, given sentiment, given language, expected tags besides `acme` and the created tag)
    let table: &[TagCase] = &[
        (
            Mode::Autopilot,
            Channel::Email,
            None,
            None,
            &[
                "acme_autopilot",
                "acme_handedoff",
                "acme_channel_email",
                "acme_sentiment_negative",
                "acme_language_en",
            ],
        ),
        (
            Mode::Assist,
            Channel::Whatsapp,
            Some(Sentiment::Happy),
            Some("pt-BR"),
            &[
                "acme_assist_mode",
                "acme_handedoff",
                "acme_channel_whatsapp",
                "acme_sentiment_happy",
                "acme_language_pt-br",
            ],
        ),
        (
            Mode::Handoff,
            Channel::Sms,
            Some(Sentiment::Neutral),
            Some("fr"),
            &[
                "acme_handedoff",
                "acme_channel_sms",
                "acme_sentiment_neutral",
                "acme_language_fr",
            ],
        ),
        (
            Mode::Autopilot,
            Channel::Web,
            Some(Sentiment::Happy),
            None,
            &[
                "acme_autopilot",
                "acme_handedoff",
                "acme_channel_web",
                "acme_sentiment_happy",
                "acme_language_en",
            ],
        ),
        (
            Mode::Handoff,
            Channel::Phone,
            None,
            Some("de"),
            &[
                "acme_handedoff",
                "acme_channel_phone",
                "acme_sentiment_negative",
                "acme_language_de",
            ],
        ),
    ];
    for (index, (mode, channel, sentiment, language, expected)) in table.iter().enumerate() {
        let session = rig.create(
            email(None, &format!("tags{index}@example.com")),
            *channel,
            *mode,
            SCRIPT,
        );
        rig.sessions
            .request_handoff(
                session.id,
                HandoffRequest {
                    request_id: "r1".into(),
                    sentiment: *sentiment,
                    language: language.map(str::to_owned),
                    ..HandoffRequest::default()
                },
            )
            .unwrap_or_else(|e| panic!("{e}"));
        rig.drain().await;
        let ticket = &rig.tickets_of(session.id).await[0];
        let mut want = tag_set(expected);
        want.insert("acme".into());
        want.insert("acme_ticket_created_on_handoff".into());
        assert_eq!(
            ticket.tags.iter().cloned().collect::<BTreeSet<_>>(),
            want,
            "{mode:?} {channel:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_ticket_for_every_conversation_it_is_made_at_the_start_and_updated_at_handoff() {
    let rig = rig().await;
    Settings::new(rig.profile.store().clone())
        .set(SettingKey::TicketEveryConversation, "true")
        .unwrap_or_else(|e| panic!("{e}"));
    let session = rig.create(
        email(Some("Cy"), "cy@example.com"),
        Channel::Web,
        Mode::Autopilot,
        &[(Role::Customer, "Hi, I have a question about billing")],
    );
    rig.drain().await;
    assert_eq!(rig.calls(), ["POST /api/v2/tickets"]);
    let created = body(&rig.requests()[0]);
    assert_eq!(
        strings(&created["ticket"]["tags"]),
        tag_set(&["opencx", "opencx_autopilot", "opencx_channel_web"])
    );
    let ticket_id = rig
        .session(session.id)
        .ticket
        .map(|t| t.id)
        .unwrap_or_else(|| panic!("ticket at start"));
    assert_eq!(
        rig.session(session.id).handoff,
        HandoffState::None,
        "no handoff yet"
    );

    rig.sessions
        .add_turn(
            session.id,
            NewTurn {
                role: Role::Ai,
                text: "Sure, what is it?".into(),
                at: None,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    rig.sessions
        .add_turn(
            session.id,
            NewTurn {
                role: Role::Customer,
                text: "I was charged twice, this is terrible".into(),
                at: None,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    rig.sim.sim.clear_requests();
    rig.handoff(session.id, "r1");
    rig.drain().await;

    assert_eq!(rig.calls(), [format!("PUT /api/v2/tickets/{ticket_id}")]);
    let update = body(&rig.requests()[0]);
    assert_eq!(
        strings(&update["ticket"]["additional_tags"]),
        tag_set(&[
            "opencx",
            "opencx_autopilot",
            "opencx_handedoff",
            "opencx_channel_web",
            "opencx_sentiment_negative",
            "opencx_language_en"
        ])
    );
    let html = update["ticket"]["comment"]["html_body"]
        .as_str()
        .unwrap_or_default();
    assert!(
        html.contains("New messages (web chat, 2 since the last update)"),
        "{html}"
    );
    assert!(
        html.contains("<br>I was charged twice, this is terrible</p>"),
        "{html}"
    );
    assert!(
        !html.contains("<br>Hi, I have a question about billing</p>"),
        "only the new turns: {html}"
    );
    let status = rig
        .sessions
        .handoff_status(session.id)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (status.state, status.ticket_id, status.created),
        (HandoffState::Done, Some(ticket_id), Some(false))
    );
}

/// 50 handoffs at once through a storm of 429s (with Retry-After) and bursts of 502/503: every one ends done,
/// each with exactly one ticket. Time is paused, so the client's own backoffs cost nothing.
#[tokio::test(start_paused = true)]
async fn fifty_concurrent_handoffs_through_a_429_storm_and_5xx_bursts_all_land_once() {
    let mut rig = rig().await;
    rig.paused = true;
    let sessions: Vec<Session> = (0..50)
        .map(|i| {
            let contact = if i % 5 == 0 {
                phone(&format!("+1415555{i:04}"))
            } else {
                email(None, &format!("storm{i}@example.com"))
            };
            rig.create(contact, Channel::ALL[i % 5], Mode::Autopilot, SCRIPT)
        })
        .collect();
    let sim = &rig.sim.sim;
    sim.inject_fault(
        Some("POST"),
        "/api/v2/tickets",
        FaultKind::RateLimit { retry_after: 3 },
        Some(60),
    );
    sim.inject_fault(
        Some("POST"),
        "/api/v2/tickets",
        FaultKind::ServerError(503),
        Some(15),
    );
    sim.inject_fault(
        Some("POST"),
        "/api/v2/tickets",
        FaultKind::ServerError(502),
        Some(15),
    );
    sim.inject_fault(
        Some("POST"),
        "/api/v2/users/create_or_update",
        FaultKind::ServerError(500),
        Some(5),
    );
    for session in &sessions {
        rig.handoff(session.id, "burst");
    }

    let moves = rig.drain().await;

    for session in &sessions {
        assert_eq!(
            rig.session(session.id).handoff,
            HandoffState::Done,
            "{}",
            session.id
        );
        assert_eq!(
            rig.tickets_of(session.id).await.len(),
            1,
            "one ticket for {}",
            session.id
        );
    }
    let refused = rig
        .requests()
        .iter()
        .filter(|r| r.status == 429 || r.status >= 500)
        .count();
    assert!(refused >= 90, "the storm hit: {refused} refusals");
    assert!(moves > 0, "some handoffs had to wait for a later try");
}

/// The ticket is created but the answer is lost. Whether the client's own retry (same Idempotency-Key) or the
/// worker's next attempt (which looks the ticket up by external id first) finds it, there is one ticket.
#[tokio::test(start_paused = true)]
async fn a_dropped_connection_after_zendesk_created_the_ticket_is_no_duplicate() {
    let mut rig = rig().await;
    rig.paused = true;
    // (answers lost in a row, whether the worker's look-up is needed)
    for (lost, looked_up) in [(1, false), (4, true)] {
        rig.sim.sim.clear_requests();
        let session = rig.create(
            email(None, &format!("drop{lost}@example.com")),
            Channel::Email,
            Mode::Autopilot,
            SCRIPT,
        );
        rig.sim.sim.inject_fault(
            Some("POST"),
            "/api/v2/tickets",
            FaultKind::DropAfterWrite,
            Some(lost),
        );
        rig.handoff(session.id, "r1");
        rig.drain().await;
        assert_eq!(
            rig.tickets_of(session.id).await.len(),
            1,
            "{lost} lost answers"
        );
        assert_eq!(rig.session(session.id).handoff, HandoffState::Done);
        let lookups = rig
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.query.contains("external_id"))
            .count();
        // The test's own look-up (tickets_of) is one of them.
        assert_eq!(lookups > 1, looked_up, "{lost}: {:?}", rig.calls());
    }
}

/// A plain-text 429 without Retry-After: the job waits, with the reason on the session, for an exponential
/// backoff with jitter (between half and all of 2 s, then 4 s, ...), then lands.
#[tokio::test(start_paused = true)]
async fn a_429_without_retry_after_backs_off_exponentially_with_jitter() {
    let mut rig = rig().await;
    rig.paused = true;
    let sessions: Vec<Session> = (0..6)
        .map(|i| {
            rig.create(
                email(None, &format!("bare{i}@example.com")),
                Channel::Email,
                Mode::Autopilot,
                SCRIPT,
            )
        })
        .collect();
    // Each attempt costs the client 4 tries: two rounds of refusals for each of the six.
    rig.sim.sim.inject_fault(
        Some("POST"),
        "/api/v2/tickets",
        FaultKind::RateLimitWithoutRetryAfter,
        Some(48),
    );
    for session in &sessions {
        rig.handoff(session.id, "r1");
    }
    // (round, lowest and highest wait in ms)
    for (round, low, high) in [(1, 1_000, 2_000), (2, 2_000, 4_000)] {
        let now = rig.clock.now();
        rig.worker()
            .run_until_idle()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut waits = BTreeSet::new();
        for session in &sessions {
            let job = &rig
                .profile
                .store()
                .session_jobs(session.id)
                .unwrap_or_else(|e| panic!("{e}"))[0];
            let wait = job.next_attempt_ms - now.as_millisecond();
            assert!(
                (low..=high).contains(&wait),
                "round {round}: waited {wait} ms"
            );
            assert!(job.attempts == round, "round {round}");
            let stored = rig.session(session.id);
            let reason = stored.handoff.reason().unwrap_or_default().to_owned();
            assert!(
                matches!(stored.handoff, HandoffState::Pending { .. })
                    && reason.contains("rate limit"),
                "{reason}"
            );
            waits.insert(wait);
        }
        assert!(waits.len() > 1, "jitter spreads the retries: {waits:?}");
        rig.sim
            .sim
            .clock()
            .advance(Duration::from_millis(high as u64 + 1));
    }
    rig.drain().await;
    for session in &sessions {
        assert_eq!(rig.tickets_of(session.id).await.len(), 1);
    }
}

/// A restart with a pending job completes it exactly once: the job waited for a retry (Zendesk was down), or
/// its call was in flight when the process died (the ticket was made, the answer never came).
#[tokio::test(flavor = "multi_thread")]
async fn a_restart_completes_pending_jobs_exactly_once() {
    let mut rig = rig().await;
    // Down: the job is pending with the reason when the process stops.
    let waiting = rig.create(
        email(None, "down@example.com"),
        Channel::Email,
        Mode::Autopilot,
        SCRIPT,
    );
    rig.sim.sim.inject_fault(
        Some("POST"),
        "/api/v2/tickets",
        FaultKind::ServerError(503),
        Some(4),
    );
    rig.handoff(waiting.id, "r1");
    rig.worker()
        .run_until_idle()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        rig.session(waiting.id).handoff,
        HandoffState::Pending { .. }
    ));

    // In flight: the ticket is created, the answer never comes, and the process dies meanwhile.
    let in_flight = rig.create(
        email(None, "crash@example.com"),
        Channel::Email,
        Mode::Autopilot,
        SCRIPT,
    );
    rig.sim.sim.inject_fault(
        Some("POST"),
        "/api/v2/tickets",
        FaultKind::TimeoutAfterWrite,
        Some(1),
    );
    rig.handoff(in_flight.id, "r1");
    let worker = Arc::new(rig.worker.take().unwrap_or_else(|| panic!("worker")));
    let running = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run_until_idle().await }
    });
    let admin = rig.admin();
    for _ in 0..500 {
        let made = admin
            .tickets_by_external_id(&in_flight.id.to_string())
            .await
            .unwrap_or_default();
        if !made.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    running.abort();
    let _ = running.await;
    drop(worker);

    // A new process: a new store handle, profile and worker on the same data folder.
    rig.profile = profile(&rig.dir);
    rig.sim.sim.clear_requests();
    rig.sim.sim.clock().advance(Duration::from_secs(600));
    rig.start_worker().await;
    rig.drain().await;

    for session in [&waiting, &in_flight] {
        assert_eq!(rig.session(session.id).handoff, HandoffState::Done);
        assert_eq!(rig.tickets_of(session.id).await.len(), 1, "exactly once");
    }
    let creates = rig
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/api/v2/tickets"))
        .count();
    assert_eq!(
        creates,
        1,
        "only the waiting job creates; the in-flight one is found: {:?}",
        rig.calls()
    );
}

/// The worker's own loop and the CLI's wait: a handoff requested while `run` works lands and is waited for.
#[tokio::test(flavor = "multi_thread")]
async fn run_picks_up_handoffs_at_once_and_wait_for_ticket_sees_them_land() {
    let mut rig = rig().await;
    let worker = rig.worker.take().unwrap_or_else(|| panic!("worker"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        worker
            .run(async move {
                let _ = stopped.await;
            })
            .await
    });
    let session = rig.create(
        email(None, "wait@example.com"),
        Channel::Web,
        Mode::Autopilot,
        SCRIPT,
    );
    rig.handoff(session.id, "r1");
    let status = rig
        .sessions
        .wait_for_ticket(session.id, Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.state, HandoffState::Done);
    assert_eq!(status.created, Some(true));
    assert!(status.ticket_id.is_some());
    let _ = stop.send(());
    running
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
}

/// OAuth access tokens expire (30 min here): a burst of handoffs that meets an expired token renews it once,
/// whether the core's clock says it is due or only Zendesk's 401 does, and every handoff lands once.
#[tokio::test(flavor = "multi_thread")]
async fn an_oauth_token_expiring_during_handoffs_is_renewed_once_and_nothing_is_duplicated() {
    for (name, follows_the_simulator) in [
        ("the clock says it is due", true),
        ("only Zendesk's 401 says so", false),
    ] {
        let sim = crate::oauth::oauth_simulator().await;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let profile = profile(&dir);
        let clock = if follows_the_simulator {
            crate::oauth::sim_clock(&sim)
        } else {
            Clock::system()
        };
        crate::oauth::connected(&sim, &profile, &clock).await;
        let account = account::open(&profile, &clock)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("connected"));
        let links = SessionLinks::open(&profile.keychain().unwrap_or_else(|e| panic!("{e}")))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let worker = Worker::new(
            profile.store().clone(),
            clock.clone(),
            account.client.clone(),
            links,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let sessions =
            Sessions::new(profile.store().clone(), clock.clone()).with_wake(worker.wake());
        let ids: Vec<SessionId> = (0..10)
            .map(|i| {
                let contact = if i % 2 == 0 {
                    email(None, &format!("oauth{i}@example.com"))
                } else {
                    phone(&format!("+4930123456{i}"))
                };
                let new = NewSession {
                    contact,
                    channel: Channel::Web,
                    mode: Mode::Autopilot,
                    turns: vec![NewTurn {
                        role: Role::Customer,
                        text: "Hello, I need help".into(),
                        at: None,
                    }],
                    summary: None,
                    sentiment: None,
                    language: None,
                };
                sessions.create(new).unwrap_or_else(|e| panic!("{e}")).id
            })
            .collect();
        for id in &ids {
            sessions
                .request_handoff(
                    *id,
                    HandoffRequest {
                        request_id: "r1".into(),
                        ..HandoffRequest::default()
                    },
                )
                .unwrap_or_else(|e| panic!("{e}"));
        }
        sim.sim.clock().advance(Duration::from_secs(1801));

        let idle = worker
            .run_until_idle()
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        assert_eq!(idle.pending, 0, "{name}");
        assert_eq!(
            account.oauth.as_ref().map(|s| s.refreshes()),
            Some(1),
            "{name}"
        );
        assert_eq!(
            crate::oauth::token_requests(&sim, "refresh_token"),
            1,
            "{name}"
        );
        let url = url::Url::parse(&sim.base_url).unwrap_or_else(|e| panic!("{e}"));
        let admin = Client::new(ClientConfig::new(
            url,
            Auth::ApiToken {
                email: sim.sim.admin().email,
                token: SecretString::from(CANARY_TOKEN),
            },
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        for id in &ids {
            assert_eq!(
                sessions.get(*id).map(|s| s.handoff).ok(),
                Some(HandoffState::Done),
                "{name}"
            );
            let made = admin
                .tickets_by_external_id(&id.to_string())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(made.len(), 1, "{name}: one ticket for {id}");
        }
    }
}

/// Fills fixed values, as the AI Fields work will through the same seam.
struct FixedFields(Vec<zendesk::CustomFieldValue>);

impl handoff::handoff::FieldValues for FixedFields {
    fn values<'a>(
        &'a self,
        _session: &'a Session,
    ) -> futures::future::BoxFuture<'a, Vec<zendesk::CustomFieldValue>> {
        Box::pin(async move { self.0.clone() })
    }
}

/// Mapped custom fields go on the new ticket through the `FieldValues` seam; a value Zendesk refuses for good
/// (a date field given a datetime: 422) fails the handoff at once with Zendesk's reason, without retrying.
#[tokio::test(flavor = "multi_thread")]
async fn mapped_fields_land_and_a_permanent_refusal_fails_the_handoff_with_the_reason() {
    let mut rig = rig().await;
    let fields = rig
        .admin()
        .all_ticket_fields()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let dropdown = fields
        .iter()
        .find(|f| {
            f.kind == "tagger"
                && f.active
                && f.custom_field_options
                    .as_ref()
                    .is_some_and(|o| !o.is_empty())
        })
        .unwrap_or_else(|| panic!("a dropdown in the seed"));
    let option = dropdown
        .custom_field_options
        .as_ref()
        .map(|o| o[0].value.clone())
        .unwrap_or_default();
    let date = fields
        .iter()
        .find(|f| f.kind == "date" && f.active)
        .unwrap_or_else(|| panic!("a date field in the seed"));
    // (the value filled, whether the handoff lands)
    let table = [
        (
            zendesk::CustomFieldValue {
                id: dropdown.id,
                value: json!(option),
            },
            true,
        ),
        (
            zendesk::CustomFieldValue {
                id: date.id,
                value: json!("2026-11-24T10:00:00Z"),
            },
            false,
        ),
    ];
    for (value, lands) in table {
        let worker = rig.worker.take().unwrap_or_else(|| panic!("worker"));
        rig.worker = Some(worker.with_fields(Arc::new(FixedFields(vec![value.clone()]))));
        rig.sim.sim.clear_requests();
        let session = rig.create(
            email(None, &format!("fields{}@example.com", value.id)),
            Channel::Email,
            Mode::Autopilot,
            SCRIPT,
        );
        rig.handoff(session.id, "r1");
        rig.drain().await;
        assert_eq!(
            rig.calls(),
            ["POST /api/v2/tickets"],
            "no retry of a permanent refusal"
        );
        let sent = body(&rig.requests()[0]);
        assert_eq!(
            sent["ticket"]["custom_fields"],
            json!([{"id": value.id, "value": value.value}])
        );
        let stored = rig.session(session.id);
        if lands {
            assert_eq!(stored.handoff, HandoffState::Done);
            let ticket = &rig.tickets_of(session.id).await[0];
            assert!(
                ticket.custom_fields.contains(&value),
                "{:?}",
                ticket.custom_fields
            );
        } else {
            match &stored.handoff {
                HandoffState::Failed { reason } => {
                    assert!(reason.contains("Zendesk refused the record"), "{reason}")
                }
                other => panic!("{other:?}"),
            }
            assert!(rig.tickets_of(session.id).await.is_empty());
        }
    }
}

/// A 429 whose Retry-After is longer than the client's own patience: the job waits at least that long, with the
/// reason on the session, then lands with one more call.
#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_by_the_queue() {
    let mut rig = rig().await;
    rig.paused = true;
    let session = rig.create(
        email(None, "later@example.com"),
        Channel::Email,
        Mode::Autopilot,
        SCRIPT,
    );
    rig.sim.sim.inject_fault(
        Some("POST"),
        "/api/v2/tickets",
        FaultKind::RateLimit { retry_after: 120 },
        Some(1),
    );
    rig.handoff(session.id, "r1");
    let now = rig.clock.now();

    rig.worker()
        .run_until_idle()
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let job = &rig
        .profile
        .store()
        .session_jobs(session.id)
        .unwrap_or_else(|e| panic!("{e}"))[0];
    let wait = job.next_attempt_ms - now.as_millisecond();
    assert!((120_000..=121_000).contains(&wait), "waited {wait} ms");
    let reason = rig
        .session(session.id)
        .handoff
        .reason()
        .unwrap_or_default()
        .to_owned();
    assert!(reason.contains("retry after 120 s"), "{reason}");
    rig.drain().await;
    assert_eq!(
        rig.calls(),
        ["POST /api/v2/tickets", "POST /api/v2/tickets"]
    );
    assert_eq!(rig.session(session.id).handoff, HandoffState::Done);
}

/// One worker per data folder: a second is refused while the first lives, and takes over once it is dropped.
#[tokio::test(flavor = "multi_thread")]
async fn one_worker_per_data_folder() {
    let mut rig = rig().await;
    let account = account::open(&rig.profile, &rig.clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("connected"));
    let links = SessionLinks::open(&rig.profile.keychain().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let second = Worker::new(
        rig.profile.store().clone(),
        rig.clock.clone(),
        account.client.clone(),
        links.clone(),
    );
    assert!(
        matches!(second, Err(handoff::handoff::WorkerError::Busy { .. })),
        "{second:?}"
    );
    rig.worker = None;
    let second = Worker::new(
        rig.profile.store().clone(),
        rig.clock.clone(),
        account.client,
        links,
    );
    assert!(second.is_ok(), "{second:?}");
}
