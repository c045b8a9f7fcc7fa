//! Every checklist item in each of its states, as a table: a healthy account as one observation, then one
//! change per row and the verdict it must give. Evaluation is pure (`checklist::evaluate`), so the table covers
//! states the simulator cannot easily produce (a deadline past, a circuit broken, a private public URL).

use std::collections::{BTreeSet, HashMap};

use handoff::account::Liveness;
use handoff::connect::{AuthMethod, Connection, UserSummary};
use handoff::relay::payload::TRIGGER_BODY;
use handoff::setup::checklist::{
    evaluate, Checklist, Facts, FieldsVerdict, FixAction, Item, ItemId, ItemState, RelayProbe,
};
use handoff::setup::observe::{Found, Observation, ReadError, ReadFailure};
use handoff::setup::{spec, Recorded, Target};
use handoff::store::{SetupObjectRow, VerificationRow};
use handoff::subdomain::Subdomain;
use handoff::SecretString;
use jiff::Timestamp;
use serde_json::{json, Value};

const WEBHOOK: &str = "01HWEBHOOK0000000000000000";
const URL: &str = "https://relay.example.com/zendesk/01jdz3k7m8n9p0q1r2s3t4v5w6/k2.nB43kErMZgZUR_jw58yIldjGRenZgoIw1P52GcMRwOE";
const OLD_URL: &str = "https://relay.example.com/zendesk/01jdz3k7m8n9p0q1r2s3t4v5w6/k1.aB43kErMZgZUR_jw58yIldjGRenZgoIw1P52GcMRwOE";

struct World {
    now: Timestamp,
    connection: Connection,
    liveness: Liveness,
    target: Target,
    recorded: Recorded,
    observation: Option<Observation>,
    local_secret: Option<SecretString>,
    probe: RelayProbe,
    last_verification: Option<VerificationRow>,
    fields: Option<FieldsVerdict>,
}

fn from<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
}

fn webhook(edit: impl FnOnce(&mut Value)) -> zendesk::Webhook {
    let mut value = json!({
        "id": WEBHOOK, "name": spec::WEBHOOK_NAME, "status": "active",
        "subscriptions": ["conditional_ticket_events"], "endpoint": URL,
        "http_method": "POST", "request_format": "json"
    });
    edit(&mut value);
    from(value)
}

fn our_trigger(edit: impl FnOnce(&mut Value)) -> zendesk::Trigger {
    let mut value = serde_json::to_value(spec::trigger(WEBHOOK)).unwrap_or_else(|e| panic!("{e}"));
    value["id"] = json!(7);
    edit(&mut value);
    from(value)
}

/// Zendesk's standard trigger, guarded (`edit` may take the guard away).
fn notify_requester(guarded: bool) -> zendesk::Trigger {
    let mut all = vec![
        json!({"field": "update_type", "operator": "is", "value": "Change"}),
        json!({"field": "comment_is_public", "operator": "is", "value": "requester_can_see_comment"}),
    ];
    if guarded {
        all.push(json!({"field": "current_tags", "operator": "not_includes", "value": "opencx"}));
    }
    from(json!({
        "id": 360056295734u64, "title": "Notify requester of comment update", "active": true,
        "conditions": {"all": all, "any": []},
        "actions": [{"field": "notification_user", "value": ["requester_id", "Re: {{ticket.title}}", "{{ticket.comments_formatted}}"]}]
    }))
}

fn invocation(status: &str, code: u16, at: &str) -> zendesk::Invocation {
    from(json!({"id": "01HINV", "status": status, "status_code": code, "latest_completed_at": at}))
}

fn unreachable() -> ReadError {
    ReadError {
        kind: ReadFailure::Unreachable,
        message: "could not reach Zendesk: connection refused".into(),
    }
}

impl World {
    fn healthy() -> World {
        World {
            now: "2026-12-03T10:00:00Z"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
            connection: Connection {
                subdomain: Subdomain::parse("acme").unwrap_or_else(|e| panic!("{e:?}")),
                base_url: url::Url::parse("https://acme.zendesk.com")
                    .unwrap_or_else(|e| panic!("{e}")),
                auth_method: AuthMethod::ApiToken,
                email: "admin@acme.com".into(),
                user: UserSummary {
                    id: 1,
                    name: "Ada Admin".into(),
                    email: Some("admin@acme.com".into()),
                    role: "admin".into(),
                },
                default_agent: None,
                demo: false,
                connected_at: Timestamp::UNIX_EPOCH,
                oauth: None,
                reconnect_required: None,
                refresh_interrupted: false,
            },
            liveness: Liveness::Working {
                user: Some(UserSummary {
                    id: 1,
                    name: "Ada Admin".into(),
                    email: Some("admin@acme.com".into()),
                    role: "admin".into(),
                }),
            },
            target: Target {
                url: Some(URL.into()),
                previous_urls: vec![OLD_URL.into()],
                public_url: url::Url::parse("https://relay.example.com")
                    .unwrap_or_else(|e| panic!("{e}")),
                tag_prefix: "opencx".into(),
                zendesk_delivers: Vec::new(),
            },
            recorded: Recorded {
                webhook: Some(row("webhook", WEBHOOK)),
                trigger: Some(row("trigger", "7")),
            },
            observation: Some(Observation {
                webhook: Found::Present(webhook(|_| {})),
                adoptable_webhook: None,
                signing_secret: Some(Ok(from(
                    json!({"secret": "c2VjcmV0LW9uZQ==", "algorithm": "SHA256"}),
                ))),
                trigger: Found::Present(our_trigger(|_| {})),
                adoptable_trigger: None,
                all_triggers: Some(Ok(vec![our_trigger(|_| {}), notify_requester(true)])),
                invocations: Some(Ok(vec![invocation("success", 200, "2026-12-03T09:00:00Z")])),
                reads: 5,
            }),
            local_secret: Some(SecretString::from("c2VjcmV0LW9uZQ==")),
            probe: RelayProbe::Answered { status: 200 },
            last_verification: Some(VerificationRow {
                started_at: "2026-12-02T10:00:00Z".into(),
                finished_at: "2026-12-02T10:00:03Z".into(),
                passed: true,
                failed_step: None,
                detail: None,
            }),
            fields: Some(FieldsVerdict {
                state: ItemState::Ok,
                evidence: "no fields mapped".into(),
            }),
        }
    }

    fn items(&self) -> Vec<Item> {
        evaluate(&Facts {
            now: self.now,
            connection: &self.connection,
            liveness: &self.liveness,
            target: &self.target,
            recorded: &self.recorded,
            observation: self.observation.as_ref(),
            local_secret: self.local_secret.as_ref(),
            probe: &self.probe,
            last_verification: self.last_verification.as_ref(),
            fields: self.fields.as_ref(),
        })
    }

    fn seen(&mut self) -> &mut Observation {
        self.observation
            .as_mut()
            .unwrap_or_else(|| panic!("observed"))
    }
}

fn row(kind: &str, id: &str) -> SetupObjectRow {
    SetupObjectRow {
        kind: kind.into(),
        zendesk_id: id.into(),
        origin: "created".into(),
        at: "2026-12-01T10:00:00Z".into(),
    }
}

type Change = fn(&mut World);

/// (case, change, item, state, words the evidence must hold, fix)
type Row = (
    &'static str,
    Change,
    ItemId,
    ItemState,
    &'static str,
    Option<FixAction>,
);

#[test]
fn each_item_in_each_of_its_states() {
    use ItemId::*;
    use ItemState::{Failing, Ok as Fine, Unknown, Warning};
    let healthy = World::healthy().items();
    assert_eq!(
        healthy.iter().map(|i| i.id).collect::<Vec<_>>(),
        ItemId::ALL,
        "every item, in order"
    );
    for item in &healthy {
        assert_eq!(item.state, Fine, "healthy: {item:?}");
    }

    let table: Vec<Row> = vec![
        (
            "API token, months before the deadline",
            |_| {},
            Connected,
            Fine,
            "148 days left",
            Some(FixAction::MoveToOAuth),
        ),
        (
            "API token, weeks before the deadline",
            |w| {
                w.now = "2027-03-15T00:00:00Z"
                    .parse()
                    .unwrap_or_else(|e| panic!("{e}"))
            },
            Connected,
            Warning,
            "46 days left",
            Some(FixAction::MoveToOAuth),
        ),
        (
            "API token past the deadline",
            |w| {
                w.now = "2027-05-01T00:00:00Z"
                    .parse()
                    .unwrap_or_else(|e| panic!("{e}"))
            },
            Connected,
            Failing,
            "stopped working on 2027-04-30",
            Some(FixAction::MoveToOAuth),
        ),
        (
            "an agent, not an admin",
            |w| w.connection.user.role = "agent".into(),
            Connected,
            Warning,
            "need an admin",
            Some(FixAction::Reconnect),
        ),
        (
            "credentials refused",
            |w| {
                w.liveness = Liveness::ReconnectRequired {
                    reason: "revoked".into(),
                };
                w.observation = None;
            },
            Connected,
            Failing,
            "no longer accepts",
            Some(FixAction::Reconnect),
        ),
        (
            "Zendesk unreachable",
            |w| {
                w.liveness = Liveness::Unknown {
                    reason: "timeout".into(),
                };
                w.observation = None;
            },
            Connected,
            Unknown,
            "could not be asked",
            Some(FixAction::Refresh),
        ),
        (
            "webhook not set up",
            |w| w.seen().webhook = Found::NotSetUp,
            WebhookExists,
            Failing,
            "not set up",
            Some(FixAction::Setup),
        ),
        (
            "webhook not set up, one to adopt",
            |w| {
                w.seen().webhook = Found::NotSetUp;
                w.seen().adoptable_webhook = Some(webhook(|_| {}));
            },
            WebhookExists,
            Failing,
            "setup adopts it",
            Some(FixAction::Setup),
        ),
        (
            "webhook deleted",
            |w| w.seen().webhook = Found::Gone { id: WEBHOOK.into() },
            WebhookExists,
            Failing,
            "deleted in Zendesk",
            Some(FixAction::RepairWebhook),
        ),
        (
            "webhook unreadable",
            |w| w.seen().webhook = Found::Unreadable(unreachable()),
            WebhookExists,
            Unknown,
            "did not show the webhook",
            Some(FixAction::Refresh),
        ),
        (
            "webhook inactive",
            |w| w.seen().webhook = Found::Present(webhook(|v| v["status"] = json!("inactive"))),
            WebhookActive,
            Failing,
            "deactivated",
            Some(FixAction::RepairWebhook),
        ),
        (
            "no webhook: active?",
            |w| w.seen().webhook = Found::NotSetUp,
            WebhookActive,
            Unknown,
            "no webhook",
            None,
        ),
        (
            "endpoint of a rotated key",
            |w| w.seen().webhook = Found::Present(webhook(|v| v["endpoint"] = json!(OLD_URL))),
            WebhookEndpoint,
            Warning,
            "rotated key",
            Some(FixAction::RepairWebhook),
        ),
        (
            "endpoint elsewhere",
            |w| {
                w.seen().webhook = Found::Present(webhook(|v| {
                    v["endpoint"] = json!("https://moved.example.com/z")
                }))
            },
            WebhookEndpoint,
            Failing,
            "not at the relay's current URL",
            Some(FixAction::RepairWebhook),
        ),
        (
            "no webhook: endpoint?",
            |w| w.seen().webhook = Found::NotSetUp,
            WebhookEndpoint,
            Unknown,
            "no webhook",
            None,
        ),
        (
            "method and format changed",
            |w| {
                w.seen().webhook = Found::Present(webhook(|v| {
                    v["http_method"] = json!("PUT");
                    v["request_format"] = json!("xml");
                }))
            },
            WebhookMethodFormat,
            Failing,
            "PUT, xml",
            Some(FixAction::RepairWebhook),
        ),
        (
            "no webhook: method?",
            |w| w.seen().webhook = Found::NotSetUp,
            WebhookMethodFormat,
            Unknown,
            "no webhook",
            None,
        ),
        (
            "no active trigger calls the webhook",
            |w| w.seen().all_triggers = Some(Ok(vec![our_trigger(|v| v["active"] = json!(false))])),
            WebhookConnected,
            Failing,
            "no active trigger",
            Some(FixAction::RepairTrigger),
        ),
        (
            "an event webhook",
            |w| {
                w.seen().webhook = Found::Present(webhook(|v| {
                    v["subscriptions"] = json!(["zen:event-type:user.deleted"])
                }))
            },
            WebhookConnected,
            Failing,
            "no trigger can call it",
            None,
        ),
        (
            "triggers unreadable: connected?",
            |w| w.seen().all_triggers = Some(Err(unreachable())),
            WebhookConnected,
            Unknown,
            "did not show the triggers",
            Some(FixAction::Refresh),
        ),
        (
            "signing secret never fetched",
            |w| w.local_secret = None,
            SigningSecret,
            Warning,
            "not fetched",
            Some(FixAction::FetchSigningSecret),
        ),
        (
            "signing secret reset in Zendesk",
            |w| w.local_secret = Some(SecretString::from("b2xkLXNlY3JldA==")),
            SigningSecret,
            Failing,
            "reset in Zendesk",
            Some(FixAction::FetchSigningSecret),
        ),
        (
            "no webhook: secret?",
            |w| w.seen().webhook = Found::NotSetUp,
            SigningSecret,
            Unknown,
            "no webhook",
            None,
        ),
        (
            "trigger not set up",
            |w| w.seen().trigger = Found::NotSetUp,
            TriggerExists,
            Failing,
            "not set up",
            Some(FixAction::Setup),
        ),
        (
            "trigger deleted",
            |w| w.seen().trigger = Found::Gone { id: "7".into() },
            TriggerExists,
            Failing,
            "deleted in Zendesk",
            Some(FixAction::RepairTrigger),
        ),
        (
            "trigger unreadable",
            |w| w.seen().trigger = Found::Unreadable(unreachable()),
            TriggerExists,
            Unknown,
            "did not show the trigger",
            Some(FixAction::Refresh),
        ),
        (
            "trigger inactive",
            |w| w.seen().trigger = Found::Present(our_trigger(|v| v["active"] = json!(false))),
            TriggerActive,
            Failing,
            "deactivated",
            Some(FixAction::RepairTrigger),
        ),
        (
            "no trigger: active?",
            |w| w.seen().trigger = Found::NotSetUp,
            TriggerActive,
            Unknown,
            "no trigger",
            None,
        ),
        (
            "trigger points elsewhere",
            |w| {
                w.seen().trigger = Found::Present(our_trigger(|v| {
                    v["actions"][0]["value"][0] = json!("01HOTHER0000000000000000000")
                }))
            },
            TriggerWebhook,
            Failing,
            "not our webhook",
            Some(FixAction::RepairTrigger),
        ),
        (
            "trigger does more",
            |w| {
                w.seen().trigger = Found::Present(our_trigger(|v| {
                    if let Some(a) = v["actions"].as_array_mut() {
                        a.push(json!({"field": "status", "value": "open"}))
                    }
                }))
            },
            TriggerWebhook,
            Warning,
            "1 other thing",
            Some(FixAction::RepairTrigger),
        ),
        (
            "no trigger: webhook?",
            |w| w.seen().trigger = Found::NotSetUp,
            TriggerWebhook,
            Unknown,
            "no trigger",
            None,
        ),
        (
            "conditions changed",
            |w| {
                w.seen().trigger = Found::Present(our_trigger(|v| {
                    v["conditions"]["all"][1]["value"] = json!("not_relevant")
                }))
            },
            TriggerConditions,
            Failing,
            "comment_is_public is not_relevant",
            Some(FixAction::RepairTrigger),
        ),
        (
            "no trigger: conditions?",
            |w| w.seen().trigger = Found::NotSetUp,
            TriggerConditions,
            Unknown,
            "no trigger",
            None,
        ),
        (
            "body on latest_comment",
            |w| {
                w.seen().trigger = Found::Present(our_trigger(|v| {
                    v["actions"][0]["value"][1] =
                        json!(TRIGGER_BODY.replace("latest_public_comment", "latest_comment"))
                }))
            },
            TriggerBody,
            Failing,
            "internal notes",
            Some(FixAction::RepairTrigger),
        ),
        (
            "body edited, still public",
            |w| {
                w.seen().trigger = Found::Present(our_trigger(|v| {
                    v["actions"][0]["value"][1] = json!(TRIGGER_BODY.replace("handoff.v1", "mine"))
                }))
            },
            TriggerBody,
            Warning,
            "edited by hand",
            Some(FixAction::RepairTrigger),
        ),
        (
            "no trigger: body?",
            |w| w.seen().trigger = Found::NotSetUp,
            TriggerBody,
            Unknown,
            "no trigger",
            None,
        ),
        (
            "body not JSON once rendered",
            |w| {
                w.seen().trigger = Found::Present(our_trigger(|v| {
                    v["actions"][0]["value"][1] = json!(TRIGGER_BODY.replace(
                        "\"{{ticket.latest_public_comment}}\"",
                        "{{ticket.latest_public_comment}}"
                    ))
                }))
            },
            TriggerBodyJson,
            Failing,
            "not valid JSON",
            Some(FixAction::RepairTrigger),
        ),
        (
            "body without a ticket id",
            |w| {
                w.seen().trigger = Found::Present(our_trigger(|v| {
                    v["actions"][0]["value"][1] =
                        json!("{\"comment\": \"{{ticket.latest_public_comment}}\"}")
                }))
            },
            TriggerBodyJson,
            Failing,
            "cannot read it",
            Some(FixAction::RepairTrigger),
        ),
        (
            "body with Liquid tags",
            |w| {
                w.seen().trigger = Found::Present(our_trigger(|v| {
                    v["actions"][0]["value"][1] =
                        json!(format!("{{% if true %}}{TRIGGER_BODY}{{% endif %}}"))
                }))
            },
            TriggerBodyJson,
            Warning,
            "Liquid tags",
            Some(FixAction::RepairTrigger),
        ),
        (
            "no trigger: JSON?",
            |w| w.seen().trigger = Found::NotSetUp,
            TriggerBodyJson,
            Unknown,
            "no trigger",
            None,
        ),
        (
            "public URL on loopback",
            |w| {
                w.probe = RelayProbe::Unreachable {
                    why: "a loopback address",
                }
            },
            RelayReachable,
            Failing,
            "handoff config set public-url",
            Some(FixAction::SetPublicUrl),
        ),
        (
            "relay down",
            |w| w.probe = RelayProbe::Answered { status: 502 },
            RelayReachable,
            Failing,
            "could not reach",
            Some(FixAction::StartRelay),
        ),
        (
            "another server at the URL",
            |w| w.probe = RelayProbe::Answered { status: 404 },
            RelayReachable,
            Failing,
            "something other than the relay",
            Some(FixAction::SetPublicUrl),
        ),
        (
            "probe refused",
            |w| w.probe = RelayProbe::NotProbed(unreachable()),
            RelayReachable,
            Unknown,
            "test call",
            Some(FixAction::Refresh),
        ),
        (
            "an older delivery failed",
            |w| {
                w.seen().invocations = Some(Ok(vec![
                    invocation("success", 200, "2026-12-03T09:00:00Z"),
                    invocation("failed", 503, "2026-12-03T08:00:00Z"),
                ]))
            },
            Deliveries,
            Warning,
            "1 of the last 2",
            Some(FixAction::StartRelay),
        ),
        (
            "the last delivery failed",
            |w| {
                w.seen().invocations = Some(Ok(vec![invocation(
                    "terminated",
                    404,
                    "2026-12-03T09:00:00Z",
                )]))
            },
            Deliveries,
            Failing,
            "terminated, HTTP 404",
            Some(FixAction::RepairWebhook),
        ),
        (
            "circuit broken",
            |w| {
                w.seen().invocations = Some(Ok(vec![invocation(
                    "circuit broken",
                    0,
                    "2026-12-03T09:00:00Z",
                )]))
            },
            Deliveries,
            Failing,
            "circuit broken",
            Some(FixAction::StartRelay),
        ),
        (
            "no deliveries yet",
            |w| w.seen().invocations = Some(Ok(Vec::new())),
            Deliveries,
            Unknown,
            "no deliveries",
            None,
        ),
        (
            "verification failed",
            |w| {
                w.last_verification = Some(VerificationRow {
                    started_at: "a".into(),
                    finished_at: "2026-12-03T08:00:00Z".into(),
                    passed: false,
                    failed_step: Some("webhook".into()),
                    detail: Some("no delivery in 30 s".into()),
                })
            },
            Verification,
            Failing,
            "at step webhook",
            Some(FixAction::Verify),
        ),
        (
            "verification never run",
            |w| w.last_verification = None,
            Verification,
            Unknown,
            "never run",
            Some(FixAction::Verify),
        ),
        (
            "a mapped field is gone",
            |w| {
                w.fields = Some(FieldsVerdict {
                    state: Failing,
                    evidence: "“Reason” (360013088874) was deleted".into(),
                })
            },
            AiFields,
            Failing,
            "was deleted",
            Some(FixAction::MapFields),
        ),
        (
            "an option is gone",
            |w| {
                w.fields = Some(FieldsVerdict {
                    state: Warning,
                    evidence: "“Reason” lost the option refund".into(),
                })
            },
            AiFields,
            Warning,
            "lost the option",
            Some(FixAction::MapFields),
        ),
        (
            "fields not checked",
            |w| w.fields = None,
            AiFields,
            Unknown,
            "not checked",
            None,
        ),
        (
            "notify-requester unguarded",
            |w| {
                w.seen().all_triggers = Some(Ok(vec![our_trigger(|_| {}), notify_requester(false)]))
            },
            DoubleDelivery,
            Warning,
            "“Notify requester of comment update” (360056295734) email the requester",
            Some(FixAction::GuardNotifyTriggers),
        ),
        (
            "triggers unreadable: double?",
            |w| w.seen().all_triggers = Some(Err(unreachable())),
            DoubleDelivery,
            Unknown,
            "did not show the triggers",
            Some(FixAction::Refresh),
        ),
    ];
    let mut covered: HashMap<ItemId, BTreeSet<&str>> = HashMap::new();
    for item in &healthy {
        covered.entry(item.id).or_default().insert("ok");
    }
    for (case, change, id, state, says, fix) in table {
        let mut world = World::healthy();
        change(&mut world);
        let items = world.items();
        let item = items
            .iter()
            .find(|i| i.id == id)
            .unwrap_or_else(|| panic!("{case}: no {id:?}"));
        assert_eq!(item.state, state, "{case}: {item:?}");
        assert!(
            item.evidence.contains(says),
            "{case}: should say {says:?}: {item:?}"
        );
        assert_eq!(item.fix, fix, "{case}: {item:?}");
        assert!(
            !item
                .evidence
                .contains("nB43kErMZgZUR_jw58yIldjGRenZgoIw1P52GcMRwOE"),
            "{case}: the URL's tag is never shown: {item:?}"
        );
        covered.entry(id).or_default().insert(state.as_str());
    }
    // The states each item can be in, all covered.
    let possible = |id: ItemId| -> &[&str] {
        match id {
            WebhookActive | WebhookMethodFormat | WebhookConnected | WebhookExists
            | TriggerExists | TriggerActive | TriggerConditions | RelayReachable | Verification => {
                &["failing", "ok", "unknown"]
            }
            DoubleDelivery => &["ok", "unknown", "warning"],
            _ => &["failing", "ok", "unknown", "warning"],
        }
    };
    for id in ItemId::ALL {
        let seen: Vec<&str> = covered
            .get(&id)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        assert_eq!(seen, possible(id), "{id:?}");
    }
}

#[test]
fn the_summary_tells_ok_warnings_failing_and_an_unreachable_zendesk_apart() {
    let summary = |world: World| {
        Checklist {
            items: world.items(),
            refreshed_at: world.now,
            connection: world.connection.clone(),
            liveness: world.liveness.clone(),
            zendesk_requests: 0,
        }
        .summary()
    };
    let healthy = summary(World::healthy());
    assert_eq!(
        (
            healthy.ok,
            healthy.warning,
            healthy.failing,
            healthy.unknown
        ),
        (18, 0, 0, 0)
    );
    assert!(!healthy.zendesk_unreachable);
    let mut warned = World::healthy();
    warned.local_secret = None;
    let warned = summary(warned);
    assert_eq!((warned.warning, warned.failing), (1, 0));
    let mut gone = World::healthy();
    gone.seen().webhook = Found::NotSetUp;
    let gone = summary(gone);
    assert_eq!((gone.failing, gone.zendesk_unreachable), (1, false));
    let mut cut_off = World::healthy();
    cut_off.seen().all_triggers = Some(Err(unreachable()));
    assert!(
        summary(cut_off).zendesk_unreachable,
        "a read that got no answer"
    );
    let mut down = World::healthy();
    down.liveness = Liveness::Unknown {
        reason: "timeout".into(),
    };
    down.observation = None;
    let down = summary(down);
    assert_eq!((down.failing, down.zendesk_unreachable), (0, true));
}
