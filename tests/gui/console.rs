//! A new admin's whole path through the real window, in demo mode: the sandbox connects, "Create for me" sets up
//! the webhook and trigger, the checklist has nothing failing (the relay already runs), Verify proves the loop
//! with every step timed; then the trigger is broken behind the console's back (its body sends
//! `latest_comment`, which would leak internal notes), the checklist and Verify name exactly that, Repair puts it
//! right (Troubleshoot's "Reps' replies do not reach the contact" names it too, then nothing once repaired, and
//! saves the diagnostics bundle), Verify passes again, and Disconnect (after its plan) deletes our trigger and
//! webhook from the sandbox and returns to Connect. Screenshots 30–49 show each screen.

use std::path::Path;

use e2e::App;
use handoff::keychain::SecretStoreKind;
use handoff::profile::Profile;
use serde_json::Value;

use super::{
    assert_kept_secret, launch_with, own_listen_address, sandbox_secrets, scroll_to, Crossed,
    StandInBrowser, ONE_WINDOW,
};

/// The sandbox's address and account host, as the app saved them.
fn sandbox(data_dir: &Path) -> (String, String) {
    let profile =
        Profile::open(data_dir, SecretStoreKind::Keychain).unwrap_or_else(|e| panic!("{e}"));
    let connection = profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the sandbox is saved"));
    assert!(connection.demo, "the saved connection is the sandbox");
    (
        connection
            .base_url
            .as_str()
            .trim_end_matches('/')
            .to_owned(),
        connection.subdomain.host(),
    )
}

/// The ids of the webhook and trigger setup recorded as ours.
fn ours(data_dir: &Path) -> (String, String) {
    let profile =
        Profile::open(data_dir, SecretStoreKind::Keychain).unwrap_or_else(|e| panic!("{e}"));
    let id = |kind: &str| {
        profile
            .store()
            .setup_object(kind)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("setup recorded our {kind}"))
            .zendesk_id
    };
    (id("webhook"), id("trigger"))
}

/// The sandbox as its seeded admin, signed in with the admin's API token: the test plays an admin changing the
/// account in Admin Center, behind the console's back. The token is found among the sandbox's secrets (the app
/// runs the simulator, so the test does not know it otherwise).
struct SandboxAdmin {
    base_url: String,
    token: String,
    http: reqwest::Client,
}

impl SandboxAdmin {
    async fn sign_in(base_url: &str, secrets: &[String]) -> SandboxAdmin {
        let http = reqwest::Client::new();
        for secret in secrets {
            let me = http
                .get(format!("{base_url}/api/v2/users/me.json"))
                .basic_auth("admin@example.com/token", Some(secret))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if me.status().is_success() {
                let body: Value = me.json().await.unwrap_or_else(|e| panic!("{e}"));
                if body["user"]["role"] == "admin" {
                    return SandboxAdmin {
                        base_url: base_url.to_owned(),
                        token: secret.clone(),
                        http,
                    };
                }
            }
        }
        panic!("none of the sandbox's secrets is the seeded admin's API token");
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .basic_auth("admin@example.com/token", Some(&self.token));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }
}

/// The `data-state` of every step of the Verify timeline, in order, with each step's shown time.
async fn timeline(app: &App) -> Vec<(String, String, String)> {
    let steps = app
        .client
        .find_all(fantoccini::Locator::Css(
            "[data-testid='verify-steps'] > li",
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut seen = Vec::new();
    for step in steps {
        let id = step
            .attr("data-testid")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_default();
        let state = step
            .attr("data-state")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_default();
        let time = step
            .find(fantoccini::Locator::Css(
                "[data-testid^='verify-step-duration-']",
            ))
            .await
            .ok();
        let time = match time {
            Some(element) => element.text().await.unwrap_or_default(),
            None => String::new(),
        };
        seen.push((
            id.trim_start_matches("verify-step-").to_owned(),
            state,
            time,
        ));
    }
    seen
}

async fn assert_verified(app: &App) {
    app.wait_for_attribute("verify-outcome", "data-passed", "true")
        .await;
    let steps = timeline(app).await;
    let ids: Vec<&str> = steps.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "credentials",
            "setup",
            "session",
            "handoff",
            "ticket",
            "reply",
            "webhook",
            "session_reply",
            "cleanup"
        ]
    );
    for (id, state, time) in &steps {
        assert_eq!(state, "passed", "{id}: {steps:?}");
        assert!(
            time.ends_with(" ms") || time.ends_with(" s"),
            "{id} shows its time: {time:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_admin_sets_up_verifies_repairs_and_disconnects_the_sandbox() {
    let _window = ONE_WINDOW.lock().await;
    let browser = StandInBrowser::new();
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let listen = own_listen_address(data_dir.path());
    let app = launch_with(
        "console",
        &data_dir,
        &[("HANDOFF_BROWSER", &browser.script)],
    )
    .await;

    // Connect: the sandbox, in one click.
    app.click("welcome-demo").await;
    app.wait_for_text("connected", &["Connected", "Sandbox account"])
        .await;
    app.screenshot("30-connected-sandbox").await;
    let (base_url, host) = sandbox(data_dir.path());

    // Setup: nothing of ours exists yet; "Create for me" makes it, and nothing the loop needs is failing. The
    // relay already runs (it started with the connection), so Zendesk's probe reaches it without a click.
    app.click("nav-setup").await;
    app.wait_for_attribute("checklist-item-webhook_exists", "data-state", "failing")
        .await;
    app.screenshot("31-setup-not-set-up").await;
    app.click("setup-create").await;
    app.wait_for_attribute("setup-run", "data-finished", "done")
        .await;
    for item in [
        "webhook_exists",
        "webhook_endpoint",
        "signing_secret",
        "trigger_exists",
        "trigger_body",
        "relay_reachable",
    ] {
        app.wait_for_attribute(&format!("checklist-item-{item}"), "data-state", "ok")
            .await;
    }
    let summary = app.text("setup-summary").await;
    assert!(!summary.contains("failing"), "{summary}");
    app.screenshot("32-setup-green").await;

    // Verify: every step green, each with its time; the rep is named.
    app.click("nav-verify").await;
    app.wait_for_text("verify-never", &["No verification has run"])
        .await;
    app.screenshot("33-verify-ready").await;
    app.click("verify-run").await;
    assert_verified(&app).await;
    let reply = app.text("verify-step-reply").await;
    assert!(reply.contains("replied publicly"), "{reply}");
    app.screenshot("34-verify-passed").await;
    scroll_to(&app, "verify-step-webhook").await;
    app.screenshot("35-verify-passed-end").await;

    // Behind the console's back, an admin changes our trigger's body to latest_comment (internal notes would
    // reach the customer).
    let secrets = sandbox_secrets(data_dir.path()).await;
    let admin = SandboxAdmin::sign_in(&base_url, &secrets).await;
    let (webhook_id, trigger_id) = ours(data_dir.path());
    let (status, trigger) = admin
        .call(
            reqwest::Method::GET,
            &format!("/api/v2/triggers/{trigger_id}.json"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{trigger}");
    let actions: Value = serde_json::from_str(
        &trigger["trigger"]["actions"]
            .to_string()
            .replace("latest_public_comment", "latest_comment"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(actions.to_string().contains("latest_comment"), "{actions}");
    let (status, changed) = admin
        .call(
            reqwest::Method::PUT,
            &format!("/api/v2/triggers/{trigger_id}.json"),
            // Zendesk writes a trigger whole: its conditions go with the changed actions.
            Some(serde_json::json!({"trigger": {
                "conditions": trigger["trigger"]["conditions"],
                "actions": actions,
            }})),
        )
        .await;
    assert_eq!(status, 200, "{changed}");

    // The checklist names exactly that.
    app.click("nav-setup").await;
    app.click("setup-refresh").await;
    app.wait_for_attribute("checklist-item-trigger_body", "data-state", "failing")
        .await;
    let evidence = app.text("checklist-evidence-trigger_body").await;
    assert!(
        evidence.contains("latest_comment") && evidence.contains("internal notes"),
        "{evidence}"
    );
    scroll_to(&app, "checklist-item-trigger_body").await;
    app.screenshot("36-checklist-trigger-body-failing").await;

    // Troubleshoot: "Reps' replies do not reach the contact" names the same cause, with Repair.
    app.click("nav-troubleshoot").await;
    app.click("symptom-open-replies-not-reaching").await;
    app.wait_for_attribute("finding", "data-found", "true")
        .await;
    app.wait_for_attribute("probe-setup", "data-outcome", "problem")
        .await;
    let cause = app.text("finding-cause").await;
    assert!(
        cause.contains("latest_comment") && cause.contains("internal notes"),
        "{cause}"
    );
    assert_eq!(app.text("finding-action").await, "Repair");
    app.screenshot("37-troubleshoot-replies-not-reaching").await;

    // Verify stops at the setup step with the same cause, the fix, Repair and the triggers page in Zendesk.
    app.click("nav-verify").await;
    app.click("verify-run").await;
    app.wait_for_attribute("verify-outcome", "data-passed", "false")
        .await;
    app.wait_for_attribute("verify-step-setup", "data-state", "failed")
        .await;
    let cause = app.text("verify-cause").await;
    assert!(cause.contains("latest_comment"), "{cause}");
    let fix = app.text("verify-fix").await;
    assert!(fix.contains("handoff setup --fix trigger"), "{fix}");
    assert_eq!(app.text("verify-action").await, "Repair trigger");
    scroll_to(&app, "verify-panel").await;
    app.screenshot("38-verify-failed-trigger-body").await;
    app.click("verify-open-zendesk").await;
    let page = browser.opened(&app).await;
    assert_eq!(
        page.as_str(),
        format!("https://{host}/admin/objects-rules/rules/triggers")
    );

    // Repair, then verify again: green.
    app.click("verify-action").await;
    app.wait_for_attribute("setup-run", "data-finished", "done")
        .await;
    app.wait_for_text("verify-repaired", &["Run the verification again"])
        .await;
    scroll_to(&app, "verify-step-setup").await;
    app.screenshot("39-verify-repaired").await;
    app.click("verify-rerun").await;
    assert_verified(&app).await;
    app.screenshot("40-verify-green-again").await;
    let (_, repaired) = admin
        .call(
            reqwest::Method::GET,
            &format!("/api/v2/triggers/{trigger_id}.json"),
            None,
        )
        .await;
    assert!(
        repaired["trigger"]["actions"]
            .to_string()
            .contains("latest_public_comment"),
        "{repaired}"
    );

    app.click("nav-setup").await;
    app.click("setup-refresh").await;
    app.wait_for_attribute("checklist-item-trigger_body", "data-state", "ok")
        .await;
    app.wait_for_attribute("checklist-item-verification", "data-state", "ok")
        .await;
    app.screenshot("41-setup-green-after-repair").await;

    // Troubleshoot again: nothing explains the symptom any more; the diagnostics bundle goes into the data folder.
    app.click("nav-troubleshoot").await;
    app.click("symptom-open-replies-not-reaching").await;
    app.find("finding-healthy").await;
    app.click("troubleshoot-save-bundle").await;
    let saved = app
        .wait_for_text(
            "troubleshoot-bundle-path",
            &["handoff-diagnostics-", ".zip"],
        )
        .await;
    let bundle = std::path::PathBuf::from(saved.trim());
    assert!(
        bundle.starts_with(data_dir.path().join("diagnostics")) && bundle.is_file(),
        "{}",
        bundle.display()
    );
    app.screenshot("42-troubleshoot-healthy-bundle-saved").await;
    app.click("troubleshoot-open-bundle-folder").await;
    let opened = browser.opened(&app).await;
    let diagnostics = std::fs::canonicalize(data_dir.path().join("diagnostics"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        opened.as_str(),
        format!("file://{}/", diagnostics.display())
    );

    // Settings: the values as the engine reads them, the folders opened by name.
    app.click("nav-settings").await;
    app.wait_for_text("settings-listen-address", &[&listen])
        .await;
    app.screenshot("43-settings").await;
    app.click("settings-open-data").await;
    let folder = browser.opened(&app).await;
    let data = std::fs::canonicalize(data_dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(folder.as_str(), format!("file://{}/", data.display()));
    scroll_to(&app, "settings-keys").await;
    app.screenshot("44-settings-keys-and-folders").await;

    // Disconnect: the plan names our trigger and webhook; confirmed, it deletes them and returns to Connect.
    app.click("settings-disconnect").await;
    app.wait_for_text(
        "settings-disconnect-plan",
        &[&trigger_id, &webhook_id, "Revoke", "The tickets in Zendesk"],
    )
    .await;
    scroll_to(&app, "settings-disconnect-plan").await;
    app.screenshot("45-disconnect-plan").await;
    app.click("settings-disconnect-confirm").await;
    app.find("welcome-demo").await;
    assert_eq!(app.text("screen-title").await, "Connect");
    app.wait_for_text("status-bar", &["Not connected"]).await;
    app.wait_for_text(
        "connect-disconnected",
        &[
            &format!("Disconnected from {host}"),
            "Tickets stay in Zendesk",
        ],
    )
    .await;
    app.screenshot("46-disconnected").await;

    // The sandbox has no trigger or webhook of ours any more; its own triggers are untouched.
    let (_, triggers) = admin
        .call(reqwest::Method::GET, "/api/v2/triggers.json", None)
        .await;
    let trigger_ids: Vec<String> = triggers["triggers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["id"].to_string())
        .collect();
    assert!(!trigger_ids.is_empty(), "the sandbox's own triggers stay");
    assert!(
        !trigger_ids.contains(&trigger_id),
        "{trigger_id} in {trigger_ids:?}"
    );
    let (_, webhooks) = admin
        .call(reqwest::Method::GET, "/api/v2/webhooks", None)
        .await;
    assert!(
        !webhooks.to_string().contains(&webhook_id),
        "{webhook_id} in {webhooks}"
    );
    let profile =
        Profile::open(data_dir.path(), SecretStoreKind::Keychain).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        profile
            .connection()
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none(),
        "the connection is forgotten"
    );

    let mut secrets = secrets;
    secrets.extend(sandbox_secrets_after(&base_url).await);
    let record = app.record.clone();
    app.quit().await;
    let crossed = Crossed {
        commands: &[
            "get_connection",
            "start_demo",
            "setup_checklist",
            "run_setup",
            "last_verification",
            "verify_now",
            "open_fix_page",
            "get_settings",
            "open_folder",
            "disconnect_plan",
            "disconnect",
            "troubleshoot_symptoms",
            "diagnose_symptom",
            "save_diagnostics_bundle",
        ],
        // Disconnect's steps are streamed (each `{id, state, detail}`), as well as Verify's and setup's events.
        streamed: true,
    };
    assert_kept_secret(&record, data_dir.path(), &secrets, crossed);
}

/// The sandbox's secrets once disconnected (the revoked OAuth token among them), asked of the simulator the app
/// still runs.
async fn sandbox_secrets_after(base_url: &str) -> Vec<String> {
    let url = format!("{base_url}/_sim/secrets");
    let listed: Value = reqwest::get(&url)
        .await
        .and_then(reqwest::Response::error_for_status)
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    listed["secrets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}
