//! Rotation and disconnect against the simulator (SPEC §10): a URL-key rotation with deliveries in flight
//! (none lost, the old URL accepted during the grace period, our webhook moved), a signing-secret reset the
//! relay accepts at once, new credentials verified before they replace the old ones (the webhook untouched),
//! and a disconnect that removes exactly our objects and secrets.

use std::time::{Duration, Instant};

use handoff::clock::Clock;
use handoff::connect::CheckStatus;
use handoff::disconnect::{self, DisconnectOptions, StepId, StepState};
use handoff::keychain::SecretName;
use handoff::oauth::GrantKind;
use handoff::relay::keys::RelaySecrets;
use handoff::rotate::{self, NewCredentials, WebhookMove};
use handoff::setup::{self, Scope};
use handoff::SecretString;
use serde_json::json;
use zendesk::{NewTrigger, NewWebhook};
use zendesk_sim::Seed;

use crate::relay::{relay_rig, TriggerKind};
use crate::setup::{calls, setup_rig, writes};

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_url_key_rotation_with_deliveries_in_flight_loses_none() {
    let rig = relay_rig(TriggerKind::AsSetupMakesIt).await;
    let (session, ticket) = rig.handed_off("rotation@example.com").await;
    let clock = Clock::system();
    let replies: Vec<String> = (1..=6)
        .map(|n| format!("Reply {n} around the rotation"))
        .collect();
    // Replies fire deliveries while the key rotates and the webhook moves: the ones Zendesk sends before the
    // move go to the old URL, the others to the new one.
    let (rotation, ()) = tokio::join!(
        async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            rotate::url_key(&rig.profile, &clock).await
        },
        async {
            for reply in &replies {
                rig.comment(ticket, "agent@example.com", reply, true).await;
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
        }
    );
    let rotation = rotation.unwrap_or_else(|e| panic!("rotate: {e}"));
    assert_eq!(rotation.key_id, "k2");
    assert_eq!(
        rotation.webhook,
        WebhookMove::Moved {
            id: rig.webhook_id.clone()
        }
    );
    let account = handoff::account::open(&rig.profile, &clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("connected"));
    let webhook = account
        .client
        .show_webhook(&rig.webhook_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let secrets = RelaySecrets::new(
        rig.profile.keychain().unwrap_or_else(|e| panic!("{e}")),
        rig.profile.store().clone(),
        clock.clone(),
    );
    let current = secrets
        .current_url_key()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let new_path = handoff::relay::url::webhook_path(rig.profile.install_id(), &current);
    assert!(
        webhook.endpoint.ends_with(&new_path),
        "the webhook moved to the new URL"
    );
    assert_ne!(new_path, rig.webhook_path);

    // A delivery Zendesk queued before the move and retries now, signed, to the old URL: accepted.
    let body =
        serde_json::to_vec(&json!({"ticket": {"id": ticket, "external_id": session.to_string()}}))
            .unwrap_or_default();
    let (status, _) = rig
        .post(
            &rig.webhook_path,
            &rig.signed(&body, jiff::Timestamp::now(), "01HRETRIEDTOTHEOLDURL00000"),
            body.clone(),
        )
        .await;
    assert_eq!(status, 200, "the old URL is open during the grace period");

    // Every reply arrives, in order, once.
    eventually("every reply", || {
        rig.agent_turns(session).len() >= replies.len()
    })
    .await;
    rig.settled().await;
    assert_eq!(rig.agent_turns(session), replies);
    let deliveries = rig
        .profile
        .store()
        .recent_deliveries(0, 100)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        deliveries.iter().all(|d| d.verdict == "accepted"),
        "none refused: {deliveries:?}"
    );
    assert!(rig
        .sim
        .sim
        .deliveries()
        .iter()
        .all(|d| d.status == "success"));
    // The relay was fed through both URLs.
    let after = rig.sim.sim.deliveries().len();
    rig.comment(ticket, "agent@example.com", "After the move", true)
        .await;
    eventually("the reply after the move", || {
        rig.agent_turns(session).last().map(String::as_str) == Some("After the move")
    })
    .await;
    let last = rig.sim.sim.deliveries();
    assert!(last.len() > after);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signing_secret_reset_is_accepted_at_once_and_the_previous_one_still_is() {
    let rig = relay_rig(TriggerKind::AsSetupMakesIt).await;
    let (session, ticket) = rig.handed_off("secret@example.com").await;
    let clock = Clock::system();
    let reset = rotate::signing_secret(&rig.profile, &clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reset.webhook_id, rig.webhook_id);
    let secrets = RelaySecrets::new(
        rig.profile.keychain().unwrap_or_else(|e| panic!("{e}")),
        rig.profile.store().clone(),
        clock.clone(),
    );
    let stored = secrets
        .current_signing_secret()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("stored"));
    assert_ne!(stored.expose_secret(), rig.signing_secret.expose_secret());
    // The very next reply is signed with the new secret and accepted (no 401 that Zendesk would not retry).
    rig.comment(
        ticket,
        "agent@example.com",
        "Signed with the new secret",
        true,
    )
    .await;
    eventually("the reply", || {
        rig.agent_turns(session) == ["Signed with the new secret"]
    })
    .await;
    assert!(rig
        .sim
        .sim
        .deliveries()
        .iter()
        .all(|d| d.status == "success"));
    // A delivery signed with the previous secret (sent before the reset, retried now) is still accepted.
    let body = serde_json::to_vec(&json!({"ticket": {"id": ticket}})).unwrap_or_default();
    let (status, _) = rig
        .post(
            &rig.webhook_path,
            &rig.signed(&body, jiff::Timestamp::now(), "01HSIGNEDWITHTHEOLDSECRET0"),
            body.clone(),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn new_credentials_are_verified_before_they_replace_the_old_and_the_webhook_is_untouched() {
    let rig = setup_rig(Seed::Minimal).await;
    rig.setup(Scope::All, false).await;
    let url_before = rig.target().await.url;
    rig.take_requests();

    // A wrong token: the check fails, nothing is saved, the old token still works.
    let wrong = rotate::credentials(
        &rig.profile,
        &rig.clock,
        NewCredentials::ApiToken {
            email: rig.sim.sim.admin().email,
            token: SecretString::from("not-the-token-zendesk-issued"),
        },
        None,
        |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!wrong.saved());
    assert!(wrong.checks.iter().any(|c| c.status == CheckStatus::Failed));
    assert!(matches!(
        handoff::account::verify(&rig.profile, &rig.clock).await,
        Ok(Some((_, handoff::account::Liveness::Working { .. })))
    ));

    // The move to OAuth (client credentials): verified, saved; the account's webhook and trigger untouched.
    let relay_client = rig
        .sim
        .sim
        .oauth_clients()
        .into_iter()
        .find(|c| c.secret.is_some())
        .unwrap_or_else(|| panic!("a confidential client"));
    let moved = rotate::credentials(
        &rig.profile,
        &rig.clock,
        NewCredentials::OAuth {
            client_id: relay_client.identifier.clone(),
            client_secret: relay_client.secret.clone().map(SecretString::from),
            grant: GrantKind::ClientCredentials,
        },
        None,
        |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(moved.saved(), "{:#?}", moved.checks);
    let requests = rig.take_requests();
    assert!(
        calls(&requests)
            .iter()
            .all(|c| !c.contains("/webhooks") && !c.contains("/triggers")),
        "the webhook and trigger are untouched: {:?}",
        calls(&requests)
    );
    assert_eq!(rig.target().await.url, url_before, "the URL is unchanged");
    let connection = rig
        .profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("saved"));
    assert_eq!(connection.auth_method, handoff::connect::AuthMethod::OAuth);
    assert_eq!(
        crate::stored_secret(&rig.profile, SecretName::ZendeskApiToken).await,
        None,
        "the old token left the keychain with its generation"
    );
    // The webhook, its secret and the trigger are as healthy as before (no relay runs in this test).
    let checklist = rig.checklist().await;
    let failing: Vec<_> = checklist
        .items
        .iter()
        .filter(|i| i.state == handoff::setup::checklist::ItemState::Failing)
        .map(|i| i.id)
        .collect();
    assert_eq!(
        failing,
        [handoff::setup::checklist::ItemId::RelayReachable],
        "{:#?}",
        checklist.items
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_removes_exactly_our_objects_and_secrets_and_keeps_the_tickets() {
    let rig = setup_rig(Seed::Minimal).await;
    rig.setup(Scope::All, false).await;
    let (ours_webhook, ours_trigger) = (rig.webhook_id(), rig.trigger_id());
    // Look-alikes an admin made by hand: same name and endpoint, same title.
    let url = rig.target().await.url.unwrap_or_default();
    let twin = rig
        .admin
        .create_webhook(&NewWebhook::for_triggers(setup::spec::WEBHOOK_NAME, &url))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut look_alike: NewTrigger = setup::spec::trigger(&twin.id);
    look_alike.title = setup::spec::TRIGGER_TITLE.to_owned();
    let twin_trigger = rig
        .admin
        .create_trigger(&look_alike)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ticket = rig
        .admin
        .create_ticket(
            &zendesk::NewTicket {
                subject: Some("Stays".into()),
                comment: zendesk::NewComment {
                    body: Some("A ticket of a past handoff".into()),
                    ..zendesk::NewComment::default()
                },
                ..zendesk::NewTicket::default()
            },
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The secrets the run made: the outbound secret and the session link key too.
    let secrets = RelaySecrets::new(
        rig.profile.keychain().unwrap_or_else(|e| panic!("{e}")),
        rig.profile.store().clone(),
        rig.clock.clone(),
    );
    secrets
        .outbound_secret()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    handoff::handoff::SessionLinks::open(&rig.profile.keychain().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let plan = disconnect::plan(&rig.profile, DisconnectOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.trigger, Some(ours_trigger.to_string()));
    assert_eq!(plan.webhook.as_deref(), Some(ours_webhook.as_str()));
    assert!(
        !plan.revoke_token,
        "an API token cannot be revoked by the API"
    );
    rig.take_requests();
    let mut seen = Vec::new();
    let report = disconnect::run(
        &rig.profile,
        &rig.clock,
        DisconnectOptions::default(),
        |s| seen.push((s.id, s.state)),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        writes(&rig.take_requests()),
        [
            "DELETE /api/v2/triggers/{id}",
            "DELETE /api/v2/webhooks/{id}"
        ],
        "the trigger first, then the webhook, nothing else"
    );
    assert_eq!(
        report
            .steps
            .iter()
            .map(|s| (s.id, s.state))
            .collect::<Vec<_>>(),
        [
            (StepId::DeleteTrigger, StepState::Done),
            (StepId::DeleteWebhook, StepState::Done),
            (StepId::RevokeToken, StepState::Warning),
            (StepId::WipeKeychain, StepState::Done),
            (StepId::ForgetConnection, StepState::Done),
        ]
    );
    assert!(seen.contains(&(StepId::DeleteTrigger, StepState::Running)));
    assert!(matches!(
        rig.admin.show_trigger(ours_trigger).await,
        Err(zendesk::Error::NotFound { .. })
    ));
    assert!(matches!(
        rig.admin.show_webhook(&ours_webhook).await,
        Err(zendesk::Error::NotFound { .. })
    ));
    assert!(
        rig.admin.show_webhook(&twin.id).await.is_ok(),
        "the look-alike webhook stays"
    );
    assert!(
        rig.admin.show_trigger(twin_trigger.id).await.is_ok(),
        "the look-alike trigger stays"
    );
    assert!(
        rig.admin.show_ticket(ticket.ticket.id).await.is_ok(),
        "tickets stay"
    );
    for gone in [
        SecretName::ZendeskApiToken,
        SecretName::UrlKeys,
        SecretName::WebhookSigningSecret,
        SecretName::OutboundSigningSecret,
    ] {
        assert_eq!(
            rig.profile
                .keychain()
                .unwrap_or_else(|e| panic!("{e}"))
                .with_generation(None)
                .get(gone)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            None,
            "{gone:?} wiped"
        );
    }
    assert!(
        crate::stored_secret(&rig.profile, SecretName::SessionLinkKey)
            .await
            .is_some(),
        "the link key stays with the data"
    );
    assert!(rig
        .profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .is_none());
    assert!(rig
        .profile
        .store()
        .setup_object(setup::WEBHOOK)
        .unwrap_or_else(|e| panic!("{e}"))
        .is_none());
    assert!(matches!(
        disconnect::plan(&rig.profile, DisconnectOptions::default()),
        Err(disconnect::DisconnectError::NotConnected)
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oauth_disconnect_revokes_the_token_and_forget_data_takes_the_conversations() {
    let sim = crate::oauth::oauth_simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = crate::profile(&dir);
    let mut input = crate::oauth::console_input(&sim);
    input.client_id = zendesk_sim::RELAY_CLIENT.into();
    input.grant = GrantKind::ClientCredentials;
    input.client_secret = Some(SecretString::from(crate::oauth::RELAY_SECRET));
    let browser = crate::oauth::PlayedBrowser::new(crate::oauth::Visit::Follow);
    let (report, _) = crate::oauth::sign_in(&profile, input, &browser, &Clock::system()).await;
    assert!(report.saved(), "{:#?}", report.checks);
    let tokens = crate::oauth::stored_tokens(&profile)
        .await
        .unwrap_or_else(|| panic!("tokens"));
    assert!(crate::oauth::accepted(&sim, &tokens.access_token).await);
    let sessions = handoff::session::Sessions::new(profile.store().clone(), Clock::system());
    sessions
        .create(handoff::session::NewSession {
            contact: handoff::session::NewContact {
                email: Some("kept-or-not@example.com".into()),
                ..Default::default()
            },
            channel: handoff::session::Channel::Email,
            mode: handoff::session::Mode::Handoff,
            turns: Vec::new(),
            summary: None,
            sentiment: None,
            language: None,
        })
        .unwrap_or_else(|e| panic!("{e}"));

    let options = DisconnectOptions {
        forget_data: true,
        local_only: false,
    };
    assert!(
        disconnect::plan(&profile, options)
            .unwrap_or_else(|e| panic!("{e}"))
            .revoke_token
    );
    let report = disconnect::run(&profile, &Clock::system(), options, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let revoke = report
        .steps
        .iter()
        .find(|s| s.id == StepId::RevokeToken)
        .unwrap_or_else(|| panic!("a revoke step"));
    assert_eq!(revoke.state, StepState::Done, "{revoke:?}");
    assert!(
        !crate::oauth::accepted(&sim, &tokens.access_token).await,
        "Zendesk no longer accepts the token"
    );
    assert!(sim
        .sim
        .requests()
        .iter()
        .any(|r| r.method == "DELETE" && r.path.ends_with("/oauth/tokens/current")));
    assert_eq!(report.steps.last().map(|s| s.id), Some(StepId::ForgetData));
    assert!(sessions
        .list(10)
        .unwrap_or_else(|e| panic!("{e}"))
        .is_empty());
    assert!(
        crate::stored_secret(&profile, SecretName::SessionLinkKey)
            .await
            .is_none(),
        "--forget-data takes the link key"
    );
}

/// `handoff disconnect` as scripts and people drive it: `--json` without `--yes` is refused (exit 2) and
/// changes nothing; with `--yes` the JSON lists the plan and the steps; afterwards, exit 5.
#[tokio::test(flavor = "multi_thread")]
async fn the_disconnect_cli_asks_or_requires_yes() {
    let rig = setup_rig(Seed::Minimal).await;
    rig.setup(Scope::All, false).await;
    let data_dir = rig._dir.path().to_str().unwrap_or_default().to_owned();
    let run = |args: &[&str]| {
        let mut all = vec!["--data-dir", data_dir.as_str()];
        all.extend_from_slice(args);
        crate::handoff(&all, "", &[])
    };
    let refused = run(&["disconnect", "--json"]);
    assert_eq!(refused.status.code(), Some(2), "{}", crate::text(&refused));
    assert!(crate::text(&refused).contains("--yes"));
    let piped = run(&["disconnect"]);
    assert_eq!(piped.status.code(), Some(2), "{}", crate::text(&piped));
    assert!(
        crate::text(&piped).contains("delete our trigger"),
        "the plan is shown"
    );
    assert!(rig
        .profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .is_some());

    let done = run(&["disconnect", "--yes", "--json"]);
    assert_eq!(done.status.code(), Some(0), "{}", crate::text(&done));
    let value: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap_or_default();
    for key in ["disconnected", "plan", "steps"] {
        assert!(value.get(key).is_some(), "{key} in {value}");
    }
    for key in [
        "account",
        "trigger",
        "webhook",
        "revoke_token",
        "keychain",
        "kept",
    ] {
        assert!(value["plan"].get(key).is_some(), "{key} in {value}");
    }
    assert_eq!(value["steps"][0]["id"], "delete_trigger");
    let again = run(&["disconnect", "--yes", "--json"]);
    assert_eq!(again.status.code(), Some(5), "{}", crate::text(&again));
}
