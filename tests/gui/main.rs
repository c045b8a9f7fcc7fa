//! The console window, driven for real: WebDriver clicks and types into the app a user would run, which talks
//! to a simulator this test started, stores its token in the real keychain and its settings in real SQLite.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use e2e::App;
use handoff::keychain::{SecretName, SecretStoreKind};
use handoff::profile::Profile;
use tokio::sync::Mutex;
use zendesk_sim::{ConsentMode, RunningSimulator, SimConfig, CONSOLE_CLIENT};

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
    launch_with(data_dir, &[]).await
}

async fn launch_with(data_dir: &tempfile::TempDir, env: &[(&str, &str)]) -> App {
    let dir = data_dir.path().to_str().unwrap_or_default().to_owned();
    let mut env = env.to_vec();
    env.push(("HANDOFF_DATA_DIR", &dir));
    let app = App::launch(&env).await;
    app.record_ipc().await;
    app
}

/// The system browser's stand-in: `HANDOFF_BROWSER` names a script that only writes down the URL the app asks
/// to open; the test then plays the admin in the browser (see [`approve_in_browser`]).
struct StandInBrowser {
    _dir: tempfile::TempDir,
    script: String,
    urls: PathBuf,
}

impl StandInBrowser {
    fn new() -> StandInBrowser {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let urls = dir.path().join("opened-urls.txt");
        let script = dir.path().join("browser.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", urls.display()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        StandInBrowser {
            script: script.to_string_lossy().into_owned(),
            _dir: dir,
            urls,
        }
    }

    /// The next URL the app asked to open, waiting up to 30 s.
    async fn opened(&self, app: &App) -> reqwest::Url {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let written = std::fs::read_to_string(&self.urls).unwrap_or_default();
            if let Some(line) = written.lines().next_back() {
                return reqwest::Url::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            }
            if Instant::now() >= deadline {
                let shot = app.screenshot("failed-browser-not-opened").await;
                panic!(
                    "the app never asked to open a browser (see {})",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Plays the admin in the browser: checks the sign-in URL the app opened, approves in the simulator, and
/// follows the redirect to the app's loopback listener, which answers "You can close this tab".
async fn approve_in_browser(sim: &RunningSimulator, url: &reqwest::Url) {
    let param = |key: &str| {
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    assert!(
        url.as_str()
            .starts_with(&format!("{}/oauth/authorizations/new?", sim.base_url)),
        "{url}"
    );
    assert_eq!(param("client_id"), CONSOLE_CLIENT);
    assert_eq!(param("code_challenge_method"), "S256");
    assert!(
        param("redirect_uri").starts_with("http://127.0.0.1:"),
        "{url}"
    );
    assert!(param("scope").contains("tickets:write"), "{url}");
    sim.sim.set_oauth_consent(ConsentMode::Approve);
    let page = reqwest::get(url.as_str())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status().as_u16(), 200);
    let text = page.text().await.unwrap_or_default();
    assert!(text.contains("You can close this tab"), "{text}");
}

/// Every secret the profile's keychain holds for the connection, to grep for.
async fn stored_secrets(data_dir: &Path) -> Vec<String> {
    let profile =
        Profile::open(data_dir, SecretStoreKind::Keychain).unwrap_or_else(|e| panic!("{e}"));
    let keychain = profile.keychain().unwrap_or_else(|e| panic!("{e}"));
    let mut secrets = Vec::new();
    if let Some(pair) = keychain
        .get(SecretName::OAuthTokens)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    {
        let value: serde_json::Value =
            serde_json::from_str(pair.expose_secret()).unwrap_or_else(|e| panic!("{e}"));
        for key in ["access_token", "refresh_token"] {
            if let Some(token) = value[key].as_str() {
                secrets.push(token.to_owned());
            }
        }
    }
    secrets
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
    assert_kept_secret(app, data_dir, CANARY_TOKEN).await;
}

/// Nothing the app wrote, and nothing it sent to its window, holds `secret`.
async fn assert_kept_secret(app: &App, data_dir: &tempfile::TempDir, secret: &str) {
    assert!(!secret.is_empty(), "a secret to look for");
    for response in app.ipc_log().await {
        assert!(
            !response.contains(secret),
            "an IPC response carried a secret: {response}"
        );
    }
    let mut pending = vec![data_dir.path().to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                pending.push(entry.path());
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            let leaked = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!leaked, "{} holds a secret", path.display());
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
        .unwrap_or_else(|e| panic!("{e}"))
        .get(handoff::keychain::SecretName::ZendeskApiToken)
        .await
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

async fn fill_oauth_form(app: &App, sim: &RunningSimulator) {
    app.type_into("connect-oauth-subdomain", "d3v-sim").await;
    app.wait_for_text(
        "connect-oauth-subdomain-normalized",
        &["d3v-sim.zendesk.com"],
    )
    .await;
    app.type_into("connect-oauth-client-id", CONSOLE_CLIENT)
        .await;
    app.click("connect-oauth-advanced").await;
    app.type_into("connect-oauth-base-url", &sim.base_url).await;
}

/// Connect with OAuth through the real window: the app opens "the browser" (the test's stand-in catches the
/// URL), says it is waiting, the test approves in the simulator, and the window shows the connected user.
#[tokio::test(flavor = "multi_thread")]
async fn connect_with_oauth_through_the_browser() {
    let _window = ONE_WINDOW.lock().await;
    let sim = simulator().await;
    let browser = StandInBrowser::new();
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));

    let app = launch_with(&data_dir, &[("HANDOFF_BROWSER", &browser.script)]).await;
    app.click("welcome-connect").await;
    app.wait_for_attribute("connect-tab-oauth", "aria-selected", "true")
        .await;
    fill_oauth_form(&app, &sim).await;
    app.screenshot("07-oauth-form").await;
    app.click("connect-oauth-submit").await;

    let url = browser.opened(&app).await;
    app.wait_for_text(
        "connect-oauth-waiting",
        &["Waiting for you to approve in the browser"],
    )
    .await;
    app.screenshot("08-oauth-waiting").await;
    approve_in_browser(&sim, &url).await;

    let connected = app
        .wait_for_text(
            "connected",
            &["Connected", "Ada Admin", "OAuth, client handoff_console"],
        )
        .await;
    assert!(
        !connected.contains("API tokens"),
        "no legacy banner: {connected}"
    );
    app.wait_for_text("connected-token-expiry", &["renewed automatically"])
        .await;
    app.wait_for_text("status-bar", &["d3v-sim.zendesk.com", "Ada Admin"])
        .await;
    app.screenshot("09-oauth-connected").await;
    let secrets = stored_secrets(data_dir.path()).await;
    assert_eq!(secrets.len(), 2, "the token pair is in the keychain");
    for secret in &secrets {
        assert_kept_secret(&app, &data_dir, secret).await;
    }
    app.quit().await;

    let restarted = launch(&data_dir).await;
    restarted
        .wait_for_text(
            "connected",
            &["Connected", "Ada Admin", "OAuth, client handoff_console"],
        )
        .await;
    restarted.quit().await;
}

/// The legacy banner counts the days from the app's clock (injected: 2027-03-31, 30 days before the deadline),
/// and "Move to OAuth" signs in with OAuth keeping the subdomain, the base URL and the Default Agent.
#[tokio::test(flavor = "multi_thread")]
async fn the_legacy_banner_counts_the_days_and_moves_the_connection_to_oauth() {
    let _window = ONE_WINDOW.lock().await;
    let sim = simulator().await;
    let agent = sim
        .sim
        .credential_of("agent@example.com")
        .unwrap_or_else(|| panic!("seeded agent"));
    let browser = StandInBrowser::new();
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let env = [
        ("HANDOFF_BROWSER", browser.script.as_str()),
        ("HANDOFF_NOW", "2027-03-31T12:00:00Z"),
    ];

    let app = launch_with(&data_dir, &env).await;
    fill_token_form(&app, &sim, CANARY_TOKEN).await;
    app.type_into("connect-default-agent", &agent.user_id.to_string())
        .await;
    app.wait_for_text("connect-default-agent-name", &["Aaron Agent"])
        .await;
    app.click("connect-submit").await;
    app.wait_for_text(
        "connected-legacy-banner",
        &["API tokens stop working on 2027-04-30 (30 days left)"],
    )
    .await;
    app.screenshot("10-legacy-banner").await;

    // The API token's keychain entries, as saved: the move to OAuth must delete them, not merely stop using them.
    let legacy_keychain = Profile::open(data_dir.path(), SecretStoreKind::Keychain)
        .and_then(|profile| profile.keychain())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        legacy_keychain
            .get(SecretName::ZendeskApiToken)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_some(),
        "the API token is saved before the move"
    );
    app.click("connected-move-to-oauth").await;
    app.wait_for_attribute("connect-tab-oauth", "aria-selected", "true")
        .await;
    app.wait_for_attribute("connect-oauth-subdomain", "value", "d3v-sim")
        .await;
    app.wait_for_attribute(
        "connect-oauth-default-agent",
        "value",
        &agent.user_id.to_string(),
    )
    .await;
    app.wait_for_attribute("connect-oauth-base-url", "value", &sim.base_url)
        .await;
    app.type_into("connect-oauth-client-id", CONSOLE_CLIENT)
        .await;
    app.click("connect-oauth-submit").await;
    let url = browser.opened(&app).await;
    approve_in_browser(&sim, &url).await;

    let connected = app
        .wait_for_text(
            "connected",
            &["OAuth, client handoff_console", "Aaron Agent"],
        )
        .await;
    assert!(
        !connected.contains("API tokens"),
        "the banner is gone: {connected}"
    );
    app.screenshot("11-moved-to-oauth").await;
    let legacy = legacy_keychain
        .get(SecretName::ZendeskApiToken)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(legacy.is_none(), "the retired API token left the keychain");
    assert_token_kept_secret(&app, &data_dir).await;
    app.quit().await;
}
