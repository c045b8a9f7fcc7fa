//! One-click setup and the live checklist against the simulator (SPEC §5): the exact calls of a first run, no
//! write on the second, adoption, the dry run, every kind of drift found and repaired without touching
//! anything that is not ours, the double-delivery guard on Zendesk's default triggers, and the relay probe.

use std::sync::Arc;
use std::time::Duration;

use handoff::clock::Clock;
use handoff::connect::{self, ConnectInput, ConnectOptions};
use handoff::profile::Profile;
use handoff::relay::keys::RelaySecrets;
use handoff::service::{Service, WorkerSeat};
use handoff::settings::{SettingKey, Settings};
use handoff::setup::checklist::{self, Checklist, FixAction, ItemId, ItemState, NoMappedFields};
use handoff::setup::{self, spec, Scope, SetupEvent, SetupOptions, SetupReport, StepKind, Target};
use handoff::SecretString;
use serde_json::{json, Value};
use zendesk::{Client, NewTrigger, WebhookPatch, WebhookStatus};
use zendesk_sim::{LoggedRequest, RunningSimulator, Seed, SeedDump, SimConfig};

use crate::{profile, CANARY_TOKEN};

pub struct SetupRig {
    pub sim: RunningSimulator,
    pub _dir: tempfile::TempDir,
    pub profile: Profile,
    pub clock: Clock,
    /// The connected admin's client, for changing the account behind setup's back.
    pub admin: Client,
}

/// A simulator seeded with `seed`, connected with an API token; the public URL is a loopback port nothing
/// listens on (so no other relay on this machine answers the probe).
pub async fn setup_rig(seed: Seed) -> SetupRig {
    let sim = zendesk_sim::spawn(SimConfig {
        admin_token: Some(CANARY_TOKEN.to_owned()),
        seed,
        ..SimConfig::default()
    })
    .await
    .unwrap_or_else(|e| panic!("simulator: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = profile(&dir);
    let report = connect::verify_and_save(
        &profile,
        ConnectInput {
            subdomain: sim.sim.subdomain().to_owned(),
            email: sim.sim.admin().email,
            token: SecretString::from(CANARY_TOKEN),
            default_agent_id: None,
            base_url: Some(sim.base_url.clone()),
        },
        ConnectOptions::default(),
        jiff::Timestamp::now(),
        |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("connect: {e}"));
    assert!(report.saved(), "{:?}", report.checks);
    let clock = Clock::system();
    set_public_url(&profile, &dead_url().await);
    let admin = handoff::account::open(&profile, &clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("connected"))
        .client;
    SetupRig {
        sim,
        _dir: dir,
        profile,
        clock,
        admin,
    }
}

/// A loopback address where nothing listens.
pub async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    drop(listener);
    format!("http://{address}")
}

pub fn set_public_url(profile: &Profile, url: &str) {
    Settings::new(profile.store().clone())
        .set(SettingKey::PublicUrl, url)
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The account dump of Zendesk's standard triggers ("Notify requester of comment update", ...).
pub fn default_triggers() -> Seed {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/zendesk/fixtures/default-triggers");
    Seed::Dump(Arc::new(
        SeedDump::from_dir(&dir).unwrap_or_else(|e| panic!("{e}")),
    ))
}

impl SetupRig {
    pub async fn setup(&self, scope: Scope, dry_run: bool) -> (SetupReport, Vec<SetupEvent>) {
        let mut events = Vec::new();
        let report = setup::run(
            &self.profile,
            &self.clock,
            SetupOptions { dry_run, scope },
            |event| events.push(event),
        )
        .await
        .unwrap_or_else(|e| panic!("setup: {e}"));
        (report, events)
    }

    pub async fn checklist(&self) -> Checklist {
        // The webhook test endpoint allows 20 calls a minute; a console refreshes every 30 s, this test far
        // more often.
        reqwest::Client::new()
            .post(format!("{}/_sim/rate-limits/reset", self.sim.base_url))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        checklist::refresh(&self.profile, &self.clock, &NoMappedFields)
            .await
            .unwrap_or_else(|e| panic!("checklist: {e}"))
    }

    /// The requests Zendesk received since the log was last cleared, then clears it.
    pub fn take_requests(&self) -> Vec<LoggedRequest> {
        let requests = self.sim.sim.requests();
        self.sim.sim.clear_requests();
        requests
    }

    pub fn webhook_id(&self) -> String {
        self.profile
            .store()
            .setup_object(setup::WEBHOOK)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no webhook recorded"))
            .zendesk_id
    }

    pub fn trigger_id(&self) -> u64 {
        self.profile
            .store()
            .setup_object(setup::TRIGGER)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no trigger recorded"))
            .zendesk_id
            .parse()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn target(&self) -> Target {
        let secrets = RelaySecrets::new(
            self.profile.keychain().unwrap_or_else(|e| panic!("{e}")),
            self.profile.store().clone(),
            self.clock.clone(),
        );
        Target::read(&self.profile, &secrets, true)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn local_secret(&self) -> Option<String> {
        RelaySecrets::new(
            self.profile.keychain().unwrap_or_else(|e| panic!("{e}")),
            self.profile.store().clone(),
            self.clock.clone(),
        )
        .current_signing_secret()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|s| s.expose_secret().to_owned())
    }

    pub async fn zendesk_secret(&self) -> String {
        self.admin
            .webhook_signing_secret(&self.webhook_id())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .secret
            .expose_secret()
            .to_owned()
    }
}

/// `METHOD path` of each request, ids replaced by `{id}` (ULIDs and numbers).
pub fn calls(requests: &[LoggedRequest]) -> Vec<String> {
    requests
        .iter()
        .map(|r| {
            let path: Vec<String> = r
                .path
                .trim_end_matches(".json")
                .split('/')
                .map(|segment| {
                    let ulid =
                        segment.len() == 26 && segment.bytes().all(|b| b.is_ascii_alphanumeric());
                    let number = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
                    if ulid || number {
                        "{id}".to_owned()
                    } else {
                        segment.to_owned()
                    }
                })
                .collect();
            format!("{} {}", r.method, path.join("/"))
        })
        .collect()
}

/// The requests that changed something in Zendesk.
pub fn writes(requests: &[LoggedRequest]) -> Vec<String> {
    calls(
        &requests
            .iter()
            .filter(|r| r.method != "GET")
            .cloned()
            .collect::<Vec<_>>(),
    )
}

fn kinds(report: &SetupReport) -> Vec<&'static str> {
    report.steps.iter().map(|s| s.action()).collect()
}

fn state(checklist: &Checklist, id: ItemId) -> ItemState {
    checklist
        .item(id)
        .map(|item| item.state)
        .unwrap_or_else(|| panic!("no item {id:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_from_nothing_makes_exactly_these_calls_and_a_second_run_writes_nothing() {
    let rig = setup_rig(Seed::Minimal).await;
    rig.take_requests();
    let (report, events) = rig.setup(Scope::All, false).await;
    let requests = rig.take_requests();
    assert_eq!(
        calls(&requests),
        [
            "GET /api/v2/webhooks",
            "POST /api/v2/webhooks",
            "GET /api/v2/webhooks/{id}/signing_secret",
            "POST /api/v2/triggers",
        ],
        "a first run: look for a webhook to adopt, make one, fetch its secret, make the trigger"
    );
    println!("setup from nothing: {} Zendesk requests", requests.len());
    assert_eq!(
        kinds(&report),
        [
            "make_url_key",
            "create_webhook",
            "store_signing_secret",
            "create_trigger"
        ]
    );
    assert!(report.changed_zendesk());
    // Progress: reading, the plan, then each step running and done, in order.
    assert_eq!(events[0], SetupEvent::Reading);
    assert!(matches!(&events[1], SetupEvent::Planned(steps) if steps.len() == 4));
    let states: Vec<(usize, &str)> = events[2..]
        .iter()
        .map(|e| match e {
            SetupEvent::Step { index, state, .. } => (*index, state.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        states,
        [
            (0, "running"),
            (0, "done"),
            (1, "running"),
            (1, "done"),
            (2, "running"),
            (2, "done"),
            (3, "running"),
            (3, "done")
        ]
    );

    // What was made is what spec.rs says, pointing at the relay's current URL.
    let target = rig.target().await;
    let url = target.url.clone().unwrap_or_else(|| panic!("a URL"));
    let webhook_body: Value =
        serde_json::from_str(&requests[1].body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        webhook_body,
        json!({"webhook": {
            "name": spec::WEBHOOK_NAME,
            "description": spec::webhook(&url).description,
            "endpoint": url,
            "http_method": "POST",
            "request_format": "json",
            "status": "active",
            "subscriptions": ["conditional_ticket_events"],
        }})
    );
    let webhook = rig
        .admin
        .show_webhook(&rig.webhook_id())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(webhook.endpoint, url);
    assert!(
        webhook.authentication.is_none(),
        "auth none: the URL is signed"
    );
    let trigger = rig
        .admin
        .show_trigger(rig.trigger_id())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        spec::trigger_drift(&trigger, &webhook.id).is_empty(),
        "{trigger:?}"
    );
    assert_eq!(
        rig.local_secret().await.as_deref(),
        Some(rig.zendesk_secret().await.as_str()),
        "the signing secret is in the keychain"
    );
    let recorded = rig
        .profile
        .store()
        .setup_object(setup::WEBHOOK)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("recorded"));
    assert_eq!(recorded.origin, "created");
    assert_eq!(report.webhook_id.as_deref(), Some(webhook.id.as_str()));
    assert_eq!(report.trigger_id, Some(trigger.id));
    assert!(
        report
            .url
            .as_deref()
            .is_some_and(|shown| !shown.contains(&url[url.len() - 20..])),
        "the report shows the URL redacted: {:?}",
        report.url
    );
    rig.take_requests();

    let (again, events) = rig.setup(Scope::All, false).await;
    let requests = rig.take_requests();
    assert!(again.steps.is_empty(), "{:?}", again.steps);
    assert!(!again.changed_zendesk());
    assert_eq!(
        writes(&requests),
        Vec::<String>::new(),
        "no write to Zendesk"
    );
    assert_eq!(
        calls(&requests),
        [
            "GET /api/v2/webhooks/{id}",
            "GET /api/v2/webhooks/{id}/signing_secret",
            "GET /api/v2/triggers/{id}",
        ],
        "one read per object"
    );
    println!(
        "setup over a healthy setup: {} Zendesk requests, no write",
        requests.len()
    );
    assert_eq!(
        events,
        [SetupEvent::Reading, SetupEvent::Planned(Vec::new())]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_lists_the_plan_and_writes_nothing() {
    let rig = setup_rig(Seed::Minimal).await;
    rig.take_requests();
    let (report, _) = rig.setup(Scope::All, true).await;
    assert_eq!(
        kinds(&report),
        [
            "make_url_key",
            "create_webhook",
            "store_signing_secret",
            "create_trigger"
        ]
    );
    assert!(report.done.is_empty() && !report.changed_zendesk());
    assert_eq!(
        rig.take_requests(),
        Vec::new(),
        "nothing to read yet: no URL exists"
    );
    let store = rig.profile.store();
    assert_eq!(store.setup_object(setup::WEBHOOK).ok(), Some(None));
    assert_eq!(store.setup_object(setup::TRIGGER).ok(), Some(None));
    assert!(
        store
            .url_keys()
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty(),
        "no key made"
    );
    assert_eq!(rig.local_secret().await, None);

    // Over a drifted setup, the dry run names the repair and leaves the drift.
    rig.setup(Scope::All, false).await;
    let webhook_id = rig.webhook_id();
    rig.admin
        .patch_webhook(
            &webhook_id,
            &WebhookPatch {
                status: Some(WebhookStatus::Inactive),
                ..WebhookPatch::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    rig.take_requests();
    let (report, _) = rig.setup(Scope::All, true).await;
    assert_eq!(kinds(&report), ["repair_webhook"]);
    assert!(
        report.steps[0].summary.contains("reactivate it"),
        "{}",
        report.steps[0].summary
    );
    assert_eq!(writes(&rig.take_requests()), Vec::<String>::new());
    let webhook = rig
        .admin
        .show_webhook(&webhook_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(webhook.status, WebhookStatus::Inactive, "still as it was");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_already_at_our_url_is_adopted_and_a_look_alike_is_left_alone() {
    let rig = setup_rig(Seed::Minimal).await;
    let url = rig.target().await.url.unwrap_or_else(|| panic!("a URL"));
    // The manual guide gives that URL and the account's own Admin Center pages.
    let guide = setup::manual::for_profile(&rig.profile, &rig.clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let endpoint = guide.steps[0]
        .fields
        .iter()
        .find(|f| f.label == "Endpoint URL")
        .map(|f| f.value.clone());
    assert_eq!(endpoint.as_deref(), Some(url.as_str()));
    assert_eq!(
        guide.steps[0]
            .open
            .as_ref()
            .map(|u| u.to_string())
            .as_deref(),
        Some("https://d3v-sim.zendesk.com/admin/apps-integrations/webhooks/webhooks")
    );
    // Made by hand from the manual guide: our URL, another name, created before setup ran.
    let mut by_hand = spec::webhook(&url);
    by_hand.name = "Replies to the AI (made by hand)".to_owned();
    let by_hand = rig
        .admin
        .create_webhook(&by_hand)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A look-alike: our exact name, another endpoint.
    let look_alike = rig
        .admin
        .create_webhook(&spec::webhook("https://elsewhere.example.com/hook"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    rig.take_requests();

    let (report, _) = rig.setup(Scope::All, false).await;
    let requests = rig.take_requests();
    assert_eq!(
        kinds(&report),
        ["adopt_webhook", "store_signing_secret", "create_trigger"]
    );
    assert_eq!(
        calls(&requests),
        [
            "GET /api/v2/webhooks",
            "GET /api/v2/triggers",
            "GET /api/v2/webhooks/{id}/signing_secret",
            "POST /api/v2/triggers",
        ]
    );
    assert_eq!(rig.webhook_id(), by_hand.id);
    let recorded = rig
        .profile
        .store()
        .setup_object(setup::WEBHOOK)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("recorded"));
    assert_eq!(recorded.origin, "adopted");
    assert!(
        requests.iter().all(|r| !r.path.contains(&look_alike.id)),
        "the look-alike is never touched"
    );
    let trigger = rig
        .admin
        .show_trigger(rig.trigger_id())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(trigger.actions[0].webhook_id(), Some(by_hand.id.as_str()));

    // A data folder lost and set up again: the webhook and the trigger are both adopted, nothing is made.
    rig.profile
        .store()
        .forget_setup_object(setup::WEBHOOK)
        .unwrap_or_else(|e| panic!("{e}"));
    rig.profile
        .store()
        .forget_setup_object(setup::TRIGGER)
        .unwrap_or_else(|e| panic!("{e}"));
    rig.take_requests();
    let (report, _) = rig.setup(Scope::All, false).await;
    assert_eq!(
        kinds(&report),
        ["adopt_webhook", "store_signing_secret", "adopt_trigger"]
    );
    assert_eq!(writes(&rig.take_requests()), Vec::<String>::new());
    assert_eq!(rig.trigger_id(), trigger.id);
}

/// How the account is changed behind setup's back.
#[derive(Clone, Copy, Debug)]
enum Drift {
    WebhookInactive,
    WebhookEndpoint,
    WebhookMethod,
    WebhookFormat,
    WebhookDeleted,
    SigningSecretReset,
    TriggerInactive,
    TriggerLatestComment,
    TriggerBrokenJson,
    TriggerConditions,
    TriggerElsewhere,
    TriggerDeleted,
}

async fn drift(rig: &SetupRig, drift: Drift, look_alike: &str) {
    let webhook = rig.webhook_id();
    let trigger = rig.trigger_id();
    let patch = |patch: WebhookPatch| async move {
        rig.admin
            .patch_webhook(&rig.webhook_id(), &patch)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let put = |edit: &dyn Fn(&mut NewTrigger)| {
        let mut new = spec::trigger(&webhook);
        edit(&mut new);
        async move {
            rig.admin
                .update_trigger(trigger, &new)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
    };
    match drift {
        Drift::WebhookInactive => {
            patch(WebhookPatch {
                status: Some(WebhookStatus::Inactive),
                ..WebhookPatch::default()
            })
            .await
        }
        Drift::WebhookEndpoint => {
            patch(WebhookPatch {
                endpoint: Some("https://moved.example.com/zendesk".to_owned()),
                ..WebhookPatch::default()
            })
            .await
        }
        Drift::WebhookMethod => {
            patch(WebhookPatch {
                http_method: Some("PUT".to_owned()),
                ..WebhookPatch::default()
            })
            .await
        }
        Drift::WebhookFormat => {
            patch(WebhookPatch {
                request_format: Some("form_encoded".to_owned()),
                ..WebhookPatch::default()
            })
            .await
        }
        Drift::WebhookDeleted => rig
            .admin
            .delete_webhook(&webhook)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        Drift::SigningSecretReset => {
            rig.admin
                .reset_webhook_signing_secret(&webhook)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        Drift::TriggerInactive => put(&|t| t.active = Some(false)).await,
        Drift::TriggerLatestComment => {
            put(&|t| {
                let body = handoff::relay::payload::TRIGGER_BODY
                    .replace("latest_public_comment", "latest_comment");
                t.actions = vec![zendesk::Action::notify_webhook(&webhook, &body)];
            })
            .await
        }
        Drift::TriggerBrokenJson => {
            put(&|t| {
                let body = handoff::relay::payload::TRIGGER_BODY.replace(
                    "\"{{ticket.latest_public_comment}}\"",
                    "{{ticket.latest_public_comment}}",
                );
                t.actions = vec![zendesk::Action::notify_webhook(&webhook, &body)];
            })
            .await
        }
        Drift::TriggerConditions => {
            put(&|t| t.conditions.all[1].value = json!("not_relevant")).await
        }
        Drift::TriggerElsewhere => {
            put(&|t| {
                t.actions = vec![zendesk::Action::notify_webhook(
                    look_alike,
                    handoff::relay::payload::TRIGGER_BODY,
                )]
            })
            .await
        }
        Drift::TriggerDeleted => rig
            .admin
            .delete_trigger(trigger)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_drift_is_found_and_repaired_touching_only_our_objects() {
    let rig = setup_rig(Seed::Minimal).await;
    rig.setup(Scope::All, false).await;
    // Objects that are not ours, made to look like ours: our webhook's name (plus " (copy)", as Zendesk's
    // clone names it), our trigger's title, calling the look-alike, and inactive.
    let mut look_alike = spec::webhook("https://elsewhere.example.com/hook");
    look_alike.name = format!("{} (copy)", spec::WEBHOOK_NAME);
    look_alike.status = WebhookStatus::Inactive;
    let look_alike = rig
        .admin
        .create_webhook(&look_alike)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut twin = spec::trigger(&look_alike.id);
    twin.active = Some(false);
    let twin = rig
        .admin
        .create_trigger(&twin)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // (drift, the item it makes fail, the scope of its fix, the writes the repair makes)
    let table: [(Drift, ItemId, FixAction, &[&str]); 12] = [
        (
            Drift::WebhookInactive,
            ItemId::WebhookActive,
            FixAction::RepairWebhook,
            &["PATCH /api/v2/webhooks/{id}"],
        ),
        (
            Drift::WebhookEndpoint,
            ItemId::WebhookEndpoint,
            FixAction::RepairWebhook,
            &["PATCH /api/v2/webhooks/{id}"],
        ),
        (
            Drift::WebhookMethod,
            ItemId::WebhookMethodFormat,
            FixAction::RepairWebhook,
            &["PATCH /api/v2/webhooks/{id}"],
        ),
        (
            Drift::WebhookFormat,
            ItemId::WebhookMethodFormat,
            FixAction::RepairWebhook,
            &["PATCH /api/v2/webhooks/{id}"],
        ),
        (
            Drift::WebhookDeleted,
            ItemId::WebhookExists,
            FixAction::RepairWebhook,
            &["POST /api/v2/webhooks", "PUT /api/v2/triggers/{id}"],
        ),
        (
            Drift::SigningSecretReset,
            ItemId::SigningSecret,
            FixAction::FetchSigningSecret,
            &[],
        ),
        (
            Drift::TriggerInactive,
            ItemId::TriggerActive,
            FixAction::RepairTrigger,
            &["PUT /api/v2/triggers/{id}"],
        ),
        (
            Drift::TriggerLatestComment,
            ItemId::TriggerBody,
            FixAction::RepairTrigger,
            &["PUT /api/v2/triggers/{id}"],
        ),
        (
            Drift::TriggerBrokenJson,
            ItemId::TriggerBodyJson,
            FixAction::RepairTrigger,
            &["PUT /api/v2/triggers/{id}"],
        ),
        (
            Drift::TriggerConditions,
            ItemId::TriggerConditions,
            FixAction::RepairTrigger,
            &["PUT /api/v2/triggers/{id}"],
        ),
        (
            Drift::TriggerElsewhere,
            ItemId::TriggerWebhook,
            FixAction::RepairTrigger,
            &["PUT /api/v2/triggers/{id}"],
        ),
        (
            Drift::TriggerDeleted,
            ItemId::TriggerExists,
            FixAction::RepairTrigger,
            &["POST /api/v2/triggers"],
        ),
    ];
    for (kind, failing, fix, repair) in table {
        let ours = (rig.webhook_id(), rig.trigger_id());
        drift(&rig, kind, &look_alike.id).await;
        let found = rig.checklist().await;
        let item = found.item(failing).unwrap_or_else(|| panic!("{kind:?}"));
        assert_eq!(item.state, ItemState::Failing, "{kind:?}: {item:?}");
        assert_eq!(item.fix, Some(fix), "{kind:?}: {item:?}");
        if let Drift::TriggerLatestComment = kind {
            assert!(item.evidence.contains("internal notes"), "{item:?}");
        }
        rig.take_requests();

        // Both the item's own fix and the whole setup repair it; the item's fix is tried first.
        let scope = fix
            .scope()
            .unwrap_or_else(|| panic!("{fix:?} is a setup fix"));
        let (report, _) = rig.setup(scope, false).await;
        let requests = rig.take_requests();
        assert_eq!(writes(&requests), repair, "{kind:?}: {:?}", kinds(&report));
        // PUTs of a trigger always carry conditions and actions together.
        for put in requests.iter().filter(|r| r.method == "PUT") {
            let body: Value = serde_json::from_str(&put.body).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                body["trigger"]["conditions"]["all"].is_array()
                    && body["trigger"]["actions"].is_array(),
                "{kind:?}: {body}"
            );
        }
        let touched: Vec<&LoggedRequest> = requests
            .iter()
            .filter(|r| {
                r.path.contains(&look_alike.id)
                    || r.path.ends_with(&format!("/triggers/{}", twin.id))
            })
            .collect();
        assert!(
            touched.is_empty(),
            "{kind:?}: touched what is not ours: {touched:?}"
        );
        let after = rig.checklist().await;
        assert_eq!(
            state(&after, failing),
            ItemState::Ok,
            "{kind:?}: {:?}",
            after.item(failing)
        );
        for id in [
            ItemId::WebhookExists,
            ItemId::WebhookActive,
            ItemId::WebhookEndpoint,
            ItemId::WebhookMethodFormat,
            ItemId::WebhookConnected,
            ItemId::SigningSecret,
            ItemId::TriggerExists,
            ItemId::TriggerActive,
            ItemId::TriggerWebhook,
            ItemId::TriggerConditions,
            ItemId::TriggerBody,
            ItemId::TriggerBodyJson,
        ] {
            assert_eq!(
                state(&after, id),
                ItemState::Ok,
                "{kind:?}: {:?}",
                after.item(id)
            );
        }
        assert_eq!(
            rig.local_secret().await.as_deref(),
            Some(rig.zendesk_secret().await.as_str()),
            "{kind:?}"
        );
        match kind {
            Drift::WebhookDeleted => assert_ne!(rig.webhook_id(), ours.0, "a new webhook"),
            Drift::TriggerDeleted => assert_ne!(rig.trigger_id(), ours.1, "a new trigger"),
            _ => assert_eq!(
                (rig.webhook_id(), rig.trigger_id()),
                ours,
                "{kind:?}: repaired in place"
            ),
        }
        rig.take_requests();
        let (again, _) = rig.setup(Scope::All, false).await;
        assert!(again.steps.is_empty(), "{kind:?}: {:?}", again.steps);
        assert_eq!(
            writes(&rig.take_requests()),
            Vec::<String>::new(),
            "{kind:?}"
        );
    }
    // The look-alikes are as they were made.
    let still = rig
        .admin
        .show_webhook(&look_alike.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (still.status, still.endpoint.as_str(), still.name.as_str()),
        (
            WebhookStatus::Inactive,
            "https://elsewhere.example.com/hook",
            look_alike.name.as_str()
        )
    );
    let still = rig
        .admin
        .show_trigger(twin.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!still.active);
    assert_eq!(still.actions[0].webhook_id(), Some(look_alike.id.as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn zendesks_notify_requester_trigger_is_named_and_guarded_only_with_consent() {
    let rig = setup_rig(default_triggers()).await;
    rig.setup(Scope::All, false).await;
    let notify_id = 360056295734u64;
    let before = rig
        .admin
        .show_trigger(notify_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let found = rig.checklist().await;
    let item = found
        .item(ItemId::DoubleDelivery)
        .unwrap_or_else(|| panic!("item"));
    assert_eq!(item.state, ItemState::Warning, "{item:?}");
    assert_eq!(item.fix, Some(FixAction::GuardNotifyTriggers));
    assert!(
        item.evidence
            .contains("“Notify requester of comment update” (360056295734)"),
        "{item:?}"
    );
    assert!(
        !item.evidence.contains("received request") && !item.evidence.contains("assignee"),
        "only the trigger that emails replies is named: {item:?}"
    );

    // Plain setup never changes it; the dry run of the fix names it and changes nothing.
    rig.take_requests();
    let (plain, _) = rig.setup(Scope::All, false).await;
    assert!(plain.steps.is_empty());
    let (dry, _) = rig.setup(Scope::DoubleDelivery, true).await;
    assert_eq!(
        dry.steps.iter().map(|s| &s.kind).collect::<Vec<_>>(),
        [&StepKind::GuardNotifyTrigger {
            id: notify_id,
            title: "Notify requester of comment update".to_owned(),
            guard: "opencx".to_owned(),
        }]
    );
    assert_eq!(writes(&rig.take_requests()), Vec::<String>::new());

    let (fixed, _) = rig.setup(Scope::DoubleDelivery, false).await;
    assert_eq!(fixed.steps.len(), 1);
    let requests = rig.take_requests();
    assert_eq!(writes(&requests), ["PUT /api/v2/triggers/{id}"]);
    let put = requests
        .iter()
        .find(|r| r.method == "PUT")
        .unwrap_or_else(|| panic!("put"));
    assert!(put.path.ends_with(&notify_id.to_string()), "{}", put.path);
    let after = rig
        .admin
        .show_trigger(notify_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after.actions, before.actions, "its email is unchanged");
    let mut expected = before.conditions.all.clone();
    expected.push(zendesk::Condition {
        field: "current_tags".to_owned(),
        operator: Some("not_includes".to_owned()),
        value: json!("opencx"),
    });
    assert_eq!(after.conditions.all, expected, "only the guard was added");
    assert_eq!(
        state(&rig.checklist().await, ItemId::DoubleDelivery),
        ItemState::Ok
    );
    let (again, _) = rig.setup(Scope::DoubleDelivery, false).await;
    assert!(again.steps.is_empty());

    // Zendesk's email is to deliver the email channel: the guard now silences it, and the fix narrows it.
    Settings::new(rig.profile.store().clone())
        .set(SettingKey::ZendeskDelivers, "email")
        .unwrap_or_else(|e| panic!("{e}"));
    let found = rig.checklist().await;
    let item = found
        .item(ItemId::DoubleDelivery)
        .unwrap_or_else(|| panic!("item"));
    assert_eq!(item.state, ItemState::Warning, "{item:?}");
    assert!(item.evidence.contains("reach nobody"), "{item:?}");
    rig.setup(Scope::DoubleDelivery, false).await;
    let after = rig
        .admin
        .show_trigger(notify_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let guards: Vec<String> = after
        .conditions
        .all
        .iter()
        .filter(|c| c.field == "current_tags")
        .map(|c| spec::value_text(&c.value))
        .collect();
    assert_eq!(
        guards,
        ["opencx_channel_whatsapp opencx_channel_sms opencx_channel_web opencx_channel_phone"]
    );
    assert_eq!(
        state(&rig.checklist().await, ItemId::DoubleDelivery),
        ItemState::Ok
    );
}

/// Starts the relay (`Service`) on a loopback listener and makes it the public URL.
pub async fn start_relay(rig: &SetupRig) -> tokio::sync::oneshot::Sender<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    set_public_url(&rig.profile, &base);
    let service = Service::open(&rig.profile, &rig.clock, WorkerSeat::Required, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(service.run(listener, async {
        let _ = stopped.await;
    }));
    stop
}

#[tokio::test(flavor = "multi_thread")]
async fn the_relay_probe_reaches_a_running_relay_and_explains_a_dead_or_private_one() {
    let rig = setup_rig(Seed::Minimal).await;
    let stop = start_relay(&rig).await;
    rig.setup(Scope::All, false).await;
    rig.take_requests();
    let healthy = rig.checklist().await;
    let requests = rig.take_requests();
    println!(
        "checklist refresh: {} Zendesk requests: {:?}",
        requests.len(),
        calls(&requests)
    );
    assert_eq!(
        calls(&requests)
            .iter()
            .filter(|c| c.starts_with("POST"))
            .collect::<Vec<_>>(),
        ["POST /api/v2/webhooks/test"],
        "the probe is the only non-read"
    );
    assert_eq!(healthy.zendesk_requests, requests.len());
    let reads: Vec<String> = calls(&requests);
    for object in [
        "GET /api/v2/users/me",
        "GET /api/v2/webhooks/{id}",
        "GET /api/v2/webhooks/{id}/signing_secret",
        "GET /api/v2/triggers",
        "GET /api/v2/webhooks/{id}/invocations",
    ] {
        assert_eq!(
            reads.iter().filter(|c| *c == object).count(),
            1,
            "one read of {object}: {reads:?}"
        );
    }
    for item in &healthy.items {
        let expected = match item.id {
            ItemId::Verification | ItemId::Deliveries => ItemState::Unknown,
            _ => ItemState::Ok,
        };
        assert_eq!(item.state, expected, "{item:?}");
    }
    assert_eq!(
        healthy
            .item(ItemId::Verification)
            .map(|i| i.evidence.as_str()),
        Some("never run")
    );

    // A rep's reply makes a delivery: the deliveries item judges it.
    let ticket = rig
        .admin
        .create_ticket(
            &zendesk::NewTicket {
                subject: Some("Probe".into()),
                comment: zendesk::NewComment {
                    body: Some("Hello".into()),
                    ..zendesk::NewComment::default()
                },
                ..zendesk::NewTicket::default()
            },
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let answered = reqwest::Client::new()
        .post(format!(
            "{}/_sim/tickets/{}/comments",
            rig.sim.base_url, ticket.ticket.id
        ))
        .json(&json!({"author": "agent@example.com", "body": "On it.", "public": true}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answered.status().as_u16(), 200);
    assert!(rig.sim.sim.settle(Duration::from_secs(20)).await);
    let delivered = rig.checklist().await;
    assert_eq!(
        state(&delivered, ItemId::Deliveries),
        ItemState::Ok,
        "{:?}",
        delivered.item(ItemId::Deliveries)
    );

    // The relay stops: Zendesk's test call cannot reach it, and the item says how to fix it.
    let _ = stop.send(());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dead = rig.checklist().await;
    let item = dead
        .item(ItemId::RelayReachable)
        .unwrap_or_else(|| panic!("item"));
    assert_eq!(item.state, ItemState::Failing, "{item:?}");
    assert_eq!(item.fix, Some(FixAction::StartRelay));
    assert!(item.evidence.contains("could not reach"), "{item:?}");

    // Against a real Zendesk, a loopback public URL is never probed: it is explained.
    rig.take_requests();
    let public = url::Url::parse("http://127.0.0.1:8750").unwrap_or_else(|e| panic!("{e}"));
    let zendesk = url::Url::parse("https://acme.zendesk.com").unwrap_or_else(|e| panic!("{e}"));
    let probe = checklist::probe_relay(&rig.admin, &zendesk, &public).await;
    assert_eq!(
        probe,
        checklist::RelayProbe::Unreachable {
            why: "a loopback address"
        }
    );
    assert_eq!(
        rig.take_requests(),
        Vec::new(),
        "Zendesk was not asked to call a loopback address"
    );
}

/// `handoff setup` and `handoff status` as scripts drive them: the plan, the changes, the checklist's keys and
/// the exit codes that tell ok (0), warnings (11) and failing (12) apart; no secret in any output.
#[tokio::test(flavor = "multi_thread")]
async fn setup_and_the_status_checklist_through_the_cli() {
    let rig = setup_rig(Seed::Minimal).await;
    let data_dir = rig._dir.path().to_str().unwrap_or_default().to_owned();
    let today = [("HANDOFF_NOW", "2026-12-03T10:00:00Z")];
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["--data-dir", data_dir.as_str()];
        all.extend_from_slice(args);
        crate::handoff(&all, "", env)
    };
    let json_of = |output: &std::process::Output| -> Value {
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", crate::text(output)))
    };
    let mut outputs = Vec::new();

    let before = run(&["status", "--json"], &today);
    assert_eq!(before.status.code(), Some(12), "{}", crate::text(&before));
    let value = json_of(&before);
    for key in [
        "connected",
        "connection",
        "verified",
        "unreachable",
        "checklist",
        "summary",
    ] {
        assert!(
            value.get(key).is_some(),
            "status --json keeps {key}: {value}"
        );
    }
    let items = value["checklist"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        ItemId::ALL.map(|id| id.as_str()),
    );
    for item in &items {
        for key in ["id", "state", "evidence", "fix"] {
            assert!(item.get(key).is_some(), "{key} in {item}");
        }
    }
    assert_eq!(value["checklist"][1]["state"], "failing");
    assert_eq!(value["checklist"][1]["fix"], "setup");
    outputs.push(before);

    rig.take_requests();
    let dry = run(&["setup", "--dry-run", "--json"], &[]);
    assert_eq!(dry.status.code(), Some(0), "{}", crate::text(&dry));
    let value = json_of(&dry);
    assert_eq!(value["dry_run"], true);
    assert_eq!(value["changed"], false);
    let actions: Vec<&str> = value["steps"]
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        actions,
        [
            "make_url_key",
            "create_webhook",
            "store_signing_secret",
            "create_trigger"
        ]
    );
    assert_eq!(
        writes(&rig.take_requests()),
        Vec::<String>::new(),
        "the dry run wrote nothing"
    );
    outputs.push(dry);
    let dry_text = run(&["setup", "--dry-run"], &[]);
    assert!(
        crate::text(&dry_text).contains("Setup would:"),
        "{}",
        crate::text(&dry_text)
    );
    assert!(crate::text(&dry_text).contains("Dry run: nothing was changed"));
    outputs.push(dry_text);

    rig.take_requests();
    let made = run(&["setup", "--json"], &[]);
    assert_eq!(made.status.code(), Some(0), "{}", crate::text(&made));
    let value = json_of(&made);
    assert_eq!(value["changed"], true);
    assert!(
        value["webhook_id"].is_string() && value["trigger_id"].is_u64(),
        "{value}"
    );
    assert!(
        value["steps"]
            .as_array()
            .is_some_and(|s| s.iter().all(|s| s["state"] == "done")),
        "{value}"
    );
    assert_eq!(
        writes(&rig.take_requests()),
        ["POST /api/v2/webhooks", "POST /api/v2/triggers"]
    );
    outputs.push(made);

    let again = run(&["setup"], &[]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        crate::text(&again).contains("Nothing to do"),
        "{}",
        crate::text(&again)
    );
    assert_eq!(
        writes(&rig.take_requests()),
        Vec::<String>::new(),
        "no write on the second run"
    );
    outputs.push(again);

    // Set up, but the public URL is a dead port: failing, and the text says what to do.
    let dead = run(&["status"], &today);
    assert_eq!(dead.status.code(), Some(12), "{}", crate::text(&dead));
    for says in [
        "Setup checklist:",
        "[FAIL] Zendesk can reach the relay",
        "fix:   handoff serve",
    ] {
        assert!(
            crate::text(&dead).contains(says),
            "{says}: {}",
            crate::text(&dead)
        );
    }
    outputs.push(dead);

    // The relay runs at a new public URL: the webhook's endpoint drifted; its fix repairs it; all is well.
    let stop = start_relay(&rig).await;
    let moved = run(&["status", "--json"], &today);
    assert_eq!(moved.status.code(), Some(12));
    let value = json_of(&moved);
    let endpoint = value["checklist"]
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i["id"] == "webhook_endpoint")
                .cloned()
        })
        .unwrap_or_default();
    assert_eq!(
        (endpoint["state"].as_str(), endpoint["fix"].as_str()),
        (Some("failing"), Some("setup:webhook"))
    );
    outputs.push(moved);
    rig.take_requests();
    let fixed = run(&["setup", "--fix", "webhook", "--json"], &[]);
    assert_eq!(fixed.status.code(), Some(0), "{}", crate::text(&fixed));
    assert_eq!(
        writes(&rig.take_requests()),
        ["PATCH /api/v2/webhooks/{id}"]
    );
    outputs.push(fixed);
    let healthy = run(&["status", "--json"], &today);
    assert_eq!(healthy.status.code(), Some(0), "{}", crate::text(&healthy));
    outputs.push(healthy);

    // Weeks before the API-token deadline: a warning, exit 11.
    let late = run(
        &["status", "--json"],
        &[("HANDOFF_NOW", "2027-03-15T10:00:00Z")],
    );
    assert_eq!(late.status.code(), Some(11), "{}", crate::text(&late));
    assert_eq!(json_of(&late)["summary"]["warning"], 1);
    outputs.push(late);

    // The trigger deactivated in Zendesk: failing; its own fix repairs it.
    let mut off = spec::trigger(&rig.webhook_id());
    off.active = Some(false);
    rig.admin
        .update_trigger(rig.trigger_id(), &off)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let broken = run(&["status"], &today);
    assert_eq!(broken.status.code(), Some(12));
    assert!(
        crate::text(&broken).contains("fix:   handoff setup --fix trigger"),
        "{}",
        crate::text(&broken)
    );
    outputs.push(broken);
    let repaired = run(&["setup", "--fix", "trigger"], &[]);
    assert_eq!(
        repaired.status.code(),
        Some(0),
        "{}",
        crate::text(&repaired)
    );
    assert!(
        crate::text(&repaired).contains("[ok  ] Repaired the trigger"),
        "{}",
        crate::text(&repaired)
    );
    outputs.push(repaired);
    assert_eq!(run(&["status"], &today).status.code(), Some(0));

    let usage = run(&["setup", "--fix", "everything"], &[]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(crate::text(&usage).contains("use webhook, trigger, signing-secret or double-delivery"));
    let _ = stop.send(());

    // No secret of the run in any output: the token, the signing secret, the URL's tag.
    let url = rig.target().await.url.unwrap_or_default();
    let tag = url.rsplit('.').next().unwrap_or_default().to_owned();
    let secrets = [CANARY_TOKEN.to_owned(), rig.zendesk_secret().await, tag];
    for output in &outputs {
        for secret in &secrets {
            assert!(
                !crate::text(output).contains(secret.as_str()),
                "a secret leaked: {}",
                crate::text(output)
            );
        }
    }
    for secret in &secrets[..2] {
        crate::assert_no_file_contains(rig._dir.path(), secret);
    }
}
