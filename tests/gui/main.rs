//! The console window, driven for real: WebDriver clicks and types into the app a user would run, which talks
//! to a simulator this test started, stores its token in the real keychain and its settings in real SQLite.

use e2e::App;
use handoff::keychain::SecretStoreKind;
use handoff::profile::Profile;
use tokio::sync::Mutex;
use zendesk_sim::{RunningSimulator, SimConfig};

/// A token no test types by accident, grepped for in every file and IPC response the app produced.
const CANARY_TOKEN: &str = "canaryGuiTok3nV7pQ2xLm9sKd4hRw8bNc1tYf6jZe";

/// One window at a time: two WebKit windows at once on a 2-core machine only make each other time out.
static ONE_WINDOW: Mutex<()> = Mutex::const_new(());

async fn simulator() -> RunningSimulator {
    let config = SimConfig {
        admin_token: Some(CANARY_TOKEN.to_owned()),
        ..SimConfig::default()
    };
    zendesk_sim::spawn(config)
        .await
        .unwrap_or_else(|error| panic!("simulator: {error}"))
}

async fn launch(data_dir: &tempfile::TempDir) -> App {
    let dir = data_dir.path().to_str().unwrap_or_default().to_owned();
    let app = App::launch(&[("HANDOFF_DATA_DIR", &dir)]).await;
    app.record_ipc().await;
    app
}

async fn fill_token_form(app: &App, sim: &RunningSimulator, token: &str) {
    app.click("welcome-connect").await;
    app.click("connect-tab-token").await;
    app.type_into("connect-subdomain", "https://d3v-sim.zendesk.com/agent")
        .await;
    app.wait_for_text("connect-subdomain-normalized", &["d3v-sim.zendesk.com"])
        .await;
    app.type_into("connect-email", "admin@example.com").await;
    app.type_into("connect-token", token).await;
    app.click("connect-advanced").await;
    app.type_into("connect-base-url", &sim.base_url).await;
}

/// Nothing the app wrote, and nothing it sent to its window, holds the token.
async fn assert_token_kept_secret(app: &App, data_dir: &tempfile::TempDir) {
    for response in app.ipc_log().await {
        assert!(
            !response.contains(CANARY_TOKEN),
            "an IPC response carried the token: {response}"
        );
    }
    let mut pending = vec![data_dir.path().to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                pending.push(entry.path());
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            let leaked = bytes
                .windows(CANARY_TOKEN.len())
                .any(|w| w == CANARY_TOKEN.as_bytes());
            assert!(!leaked, "{} holds the token", path.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_with_an_api_token_and_find_it_after_a_restart() {
    let _window = ONE_WINDOW.lock().await;
    let sim = simulator().await;
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));

    let app = launch(&data_dir).await;
    app.find("welcome-demo").await;
    app.screenshot("01-welcome").await;
    fill_token_form(&app, &sim, CANARY_TOKEN).await;
    app.screenshot("02-connect-form").await;
    app.click("connect-submit").await;
    app.wait_for_text("connected", &["Connected", "Ada Admin"])
        .await;
    app.wait_for_text("status-bar", &["d3v-sim.zendesk.com"])
        .await;
    app.screenshot("03-connected").await;
    assert_token_kept_secret(&app, &data_dir).await;
    app.quit().await;

    let restarted = launch(&data_dir).await;
    let text = restarted
        .wait_for_text(
            "connected",
            &["Connected", "Ada Admin", "admin@example.com"],
        )
        .await;
    assert!(
        text.contains("2027-04-30"),
        "the legacy-token deadline is shown: {text}"
    );
    restarted.screenshot("04-connected-after-restart").await;
    assert_token_kept_secret(&restarted, &data_dir).await;
    restarted.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_is_named_and_nothing_is_saved() {
    let _window = ONE_WINDOW.lock().await;
    let sim = simulator().await;
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));

    let app = launch(&data_dir).await;
    fill_token_form(&app, &sim, "this-is-not-the-token").await;
    app.click("connect-submit").await;
    app.wait_for_attribute("check-credentials", "data-status", "failed")
        .await;
    let failure = app.text("check-credentials").await;
    assert!(
        failure.contains("Token access"),
        "the fix is shown: {failure}"
    );
    app.wait_for_text("connect-not-saved", &["Nothing was saved"])
        .await;
    app.wait_for_attribute("check-keychain", "data-status", "skipped")
        .await;
    app.screenshot("05-wrong-token").await;
    app.quit().await;

    let profile =
        Profile::open(data_dir.path(), SecretStoreKind::Keychain).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        profile
            .connection()
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none(),
        "nothing may be saved"
    );
    let stored = profile
        .keychain()
        .and_then(|k| k.get(handoff::keychain::SecretName::ZendeskApiToken))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(stored.is_none(), "no token may reach the keychain");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_account_connects_in_one_click() {
    let _window = ONE_WINDOW.lock().await;
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));

    let app = launch(&data_dir).await;
    app.click("welcome-demo").await;
    app.wait_for_text("connected", &["Connected", "Ada Admin"])
        .await;
    app.wait_for_text("status-bar", &["Demo"]).await;
    app.screenshot("06-demo").await;
    app.quit().await;

    // The sandbox's simulator ended with the app; a restart brings up a new one and reconnects.
    let restarted = launch(&data_dir).await;
    restarted
        .wait_for_text("connected", &["Connected", "Ada Admin"])
        .await;
    restarted.quit().await;
}
