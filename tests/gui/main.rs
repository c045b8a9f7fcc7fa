//! The console window, driven for real: WebDriver clicks and types into the app a user would run, which talks
//! to a simulator this test started, stores its token in the real keychain and its settings in real SQLite.
//!
//! Every launch logs at `trace` (`HANDOFF_LOG`) and records what it sends its window (`HANDOFF_IPC_LOG`); each
//! test ends with [`assert_kept_secret`], which greps that record, the app's output and every file of the data
//! folder (SQLite, logs) for every secret of the run: the simulator's tokens, codes and client secrets, and the
//! wrong ones the test typed.

mod console;
mod fields;
mod sessions;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use e2e::{App, LaunchRecord};
use handoff::keychain::{SecretName, SecretStoreKind};
use handoff::profile::Profile;
use tokio::sync::Mutex;
use zendesk_sim::{ConsentMode, RunningSimulator, SimConfig, CONSOLE_CLIENT, RELAY_CLIENT};

/// A token no test types by accident, grepped for in every file and IPC response the app produced.
const CANARY_TOKEN: &str = "canaryGuiTok3nV7pQ2xLm9sKd4hRw8bNc1tYf6jZe";
/// The token of the wrong-token path: refused, and then kept out of everything like a real one.
const WRONG_TOKEN: &str = "canaryGuiWr0ngTok3nQ5vLx8mZp2sKd7hRb4nYc1";
/// The confidential client's secret, and a wrong one typed before it.
const CLIENT_SECRET: &str = "canaryGuiCl1entSecr3tH6wPq9zXm2vLk5sRd8nBt";
const WRONG_CLIENT_SECRET: &str = "canaryGuiWr0ngSecr3tT3yMv6pQz9xLc2kSd5hRn";

/// One window at a time: two WebKit windows at once on a 2-core machine only make each other time out.
static ONE_WINDOW: Mutex<()> = Mutex::const_new(());

async fn simulator() -> RunningSimulator {
    let config = SimConfig {
        admin_token: Some(CANARY_TOKEN.to_owned()),
        oauth_relay_secret: Some(CLIENT_SECRET.to_owned()),
        ..SimConfig::default()
    };
    zendesk_sim::spawn(config)
        .await
        .unwrap_or_else(|error| panic!("simulator: {error}"))
}

async fn launch(label: &str, data_dir: &tempfile::TempDir) -> App {
    launch_with(label, data_dir, &[]).await
}

/// Opens the app on `data_dir`, logging at `trace` so the canary sees everything the app, the core and their
/// libraries would ever log.
async fn launch_with(label: &str, data_dir: &tempfile::TempDir, env: &[(&str, &str)]) -> App {
    let dir = data_dir.path().to_str().unwrap_or_default().to_owned();
    let mut env = env.to_vec();
    env.push(("HANDOFF_DATA_DIR", &dir));
    env.push(("HANDOFF_LOG", "trace"));
    App::launch(label, &env).await
}

/// Gives the app of `data_dir` a listen address of its own (a free port) before it launches, so the relay it
/// starts once connected never meets another program on the default 127.0.0.1:8750. Returns `IP:port`.
fn own_listen_address(data_dir: &Path) -> String {
    let address = format!("127.0.0.1:{}", free_port());
    set_before_launch(
        data_dir,
        handoff::settings::SettingKey::ListenAddress,
        &address,
    );
    address
}

/// Gives the app of `data_dir` a sign-in redirect port of its own (a free one) before it launches, so its browser
/// sign-in never meets another program on the default 8751. Returns the redirect URL the window must show.
fn own_redirect_url(data_dir: &Path) -> String {
    let port = free_port();
    set_before_launch(
        data_dir,
        handoff::settings::SettingKey::OAuthRedirectPort,
        &port.to_string(),
    );
    format!("http://127.0.0.1:{port}/oauth/callback")
}

/// A loopback port nothing listens on (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|error| panic!("no free port: {error}"))
}

fn set_before_launch(data_dir: &Path, key: handoff::settings::SettingKey, value: &str) {
    let profile =
        Profile::open(data_dir, SecretStoreKind::Keychain).unwrap_or_else(|e| panic!("{e}"));
    handoff::settings::Settings::new(profile.store().clone())
        .set(key, value)
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The system browser's stand-in: `HANDOFF_BROWSER` names a script that only writes down the URL the app asks
/// to open; the test then plays the admin in the browser (see [`visit_in_browser`]).
struct StandInBrowser {
    _dir: tempfile::TempDir,
    script: String,
    urls: std::path::PathBuf,
    /// How many URLs the test has taken, so each sign-in waits for its own.
    taken: AtomicUsize,
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
            taken: AtomicUsize::new(0),
        }
    }

    /// The next URL the app asked to open (one it has not returned before), waiting up to 30 s.
    async fn opened(&self, app: &App) -> reqwest::Url {
        let wanted = self.taken.fetch_add(1, Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let written = std::fs::read_to_string(&self.urls).unwrap_or_default();
            if let Some(line) = written.lines().nth(wanted) {
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

/// Plays the admin in the browser: checks the sign-in URL the app opened for `client`, answers the consent page
/// with `consent`, and follows the redirect to the app's loopback listener. Returns that page's text.
async fn visit_in_browser(
    sim: &RunningSimulator,
    url: &reqwest::Url,
    client: &str,
    consent: ConsentMode,
) -> String {
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
    assert_eq!(param("client_id"), client);
    assert_eq!(param("code_challenge_method"), "S256");
    assert!(
        param("redirect_uri").starts_with("http://127.0.0.1:"),
        "{url}"
    );
    assert!(
        !param("redirect_uri").starts_with("http://127.0.0.1:8751/"),
        "each test signs in on a port of its own, never on the default one another run may hold: {url}"
    );
    assert!(param("scope").contains("tickets:write"), "{url}");
    sim.sim.set_oauth_consent(consent);
    let page = reqwest::get(url.as_str())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    page.text().await.unwrap_or_default()
}

/// The `redirect_uri` a sign-in URL carries.
fn redirect_uri(url: &reqwest::Url) -> String {
    url.query_pairs()
        .find(|(key, _)| key == "redirect_uri")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no redirect_uri in {url}"))
}

/// Approves the sign-in of the console's public client in the browser.
async fn approve_in_browser(sim: &RunningSimulator, url: &reqwest::Url) {
    let text = visit_in_browser(sim, url, CONSOLE_CLIENT, ConsentMode::Approve).await;
    assert!(text.contains("You can close this tab"), "{text}");
}

/// The access and refresh tokens the profile's keychain holds for the connection.
async fn stored_tokens(data_dir: &Path) -> Vec<String> {
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

/// Every secret of the sandbox the app runs for `data_dir`, asked of its simulator (`/_sim/secrets`) while the
/// app, and so the simulator, still runs.
async fn sandbox_secrets(data_dir: &Path) -> Vec<String> {
    let profile =
        Profile::open(data_dir, SecretStoreKind::Keychain).unwrap_or_else(|e| panic!("{e}"));
    let connection = profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the sandbox is saved"));
    let url = format!(
        "{}/_sim/secrets",
        connection.base_url.as_str().trim_end_matches('/')
    );
    let listed: serde_json::Value = reqwest::get(&url)
        .await
        .and_then(reqwest::Response::error_for_status)
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let secrets: Vec<String> = listed["secrets"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !secrets.is_empty(),
        "the sandbox has secrets to look for: {listed}"
    );
    secrets
}

/// Scrolls the screen (the `main` area, which scrolls on its own) so the element is at its top, for a screenshot.
async fn scroll_to(app: &App, test_id: &str) {
    let scrolled = app
        .client
        .execute(
            "const main = document.querySelector('main');
             const element = document.querySelector(`[data-testid='${arguments[0]}']`);
             if (main === null || element === null) { return null; }
             main.style.scrollBehavior = 'auto';
             main.scrollTop += element.getBoundingClientRect().top - main.getBoundingClientRect().top - 16;
             return main.scrollTop;",
            vec![serde_json::Value::from(test_id)],
        )
        .await
        .unwrap_or_else(|e| panic!("scroll to {test_id}: {e}"));
    assert!(scrolled.is_number(), "{test_id} is on the screen");
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

/// What a flow must have sent its window: answers to these commands, and with `streamed`, checks on a channel.
/// The canary is only as good as its record: an empty or partial record fails here.
struct Crossed<'a> {
    commands: &'a [&'a str],
    streamed: bool,
}

/// Nothing the app sent its window (every command's answer and channel message, from the start-up
/// `get_connection` on), nothing it printed, and no file of its data folder (SQLite, the trace-level log) holds
/// any of `secrets`. Call it after [`App::quit`], when the app has written everything it will.
fn assert_kept_secret(
    record: &LaunchRecord,
    data_dir: &Path,
    secrets: &[String],
    crossed: Crossed<'_>,
) {
    assert!(
        !secrets.is_empty() && secrets.iter().all(|secret| secret.len() >= 16),
        "secrets to look for, each long enough not to match by chance: {secrets:?}"
    );
    e2e::note_secrets(secrets);

    let log = record.ipc_log();
    for command in crossed.commands {
        assert!(
            log.iter().any(|entry| entry["command"] == *command
                && (entry.get("ok").is_some() || entry.get("error").is_some())),
            "the IPC record holds no answer to `{command}`: {log:#?}"
        );
    }
    if crossed.streamed {
        assert!(
            log.iter()
                .any(|entry| entry.get("channel").is_some() && entry["message"]["id"].is_string()),
            "the IPC record holds no streamed check: {log:#?}"
        );
    }
    for entry in &log {
        let line = entry.to_string();
        for secret in secrets {
            assert!(
                !line.contains(secret.as_str()),
                "the app sent its window a secret: {line}"
            );
        }
    }

    let output = record.output();
    assert!(
        output.contains("handoff_console"),
        "the app's terminal log is captured (else this grep proves nothing): {}",
        record.dir.display()
    );
    for secret in secrets {
        assert!(
            !output.contains(secret.as_str()),
            "the app printed a secret (see {})",
            record.dir.join("output.log").display()
        );
    }

    let mut pending = vec![data_dir.to_owned()];
    let mut log_files = 0;
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                pending.push(entry.path());
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            if path.extension().is_some_and(|ext| ext == "log") && !bytes.is_empty() {
                log_files += 1;
            }
            for secret in secrets {
                let leaked = bytes
                    .windows(secret.len())
                    .any(|window| window == secret.as_bytes());
                assert!(!leaked, "{} holds a secret", path.display());
            }
        }
    }
    assert!(
        log_files > 0,
        "the app's log file is in the data folder (else this grep proves nothing)"
    );
    // The data folder goes with the test; its logs stay beside the launch's record for `scripts/test`'s sweep.
    let kept = record.dir.join("logs");
    std::fs::create_dir_all(&kept).unwrap_or_else(|e| panic!("{}: {e}", kept.display()));
    for entry in std::fs::read_dir(data_dir.join("logs"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let copy = kept.join(entry.file_name());
        std::fs::copy(entry.path(), &copy).unwrap_or_else(|e| panic!("{}: {e}", copy.display()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_with_an_api_token_and_find_it_after_a_restart() {
    let _window = ONE_WINDOW.lock().await;
    let sim = simulator().await;
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));

    let app = launch("api-token", &data_dir).await;
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
    let record = app.record.clone();
    app.quit().await;
    let crossed = Crossed {
        commands: &["get_connection", "normalize_subdomain", "verify_and_save"],
        streamed: true,
    };
    assert_kept_secret(&record, data_dir.path(), &sim.sim.secrets(), crossed);

    let restarted = launch("api-token-restarted", &data_dir).await;
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
    let record = restarted.record.clone();
    restarted.quit().await;
    let crossed = Crossed {
        commands: &["get_connection"],
        streamed: false,
    };
    assert_kept_secret(&record, data_dir.path(), &sim.sim.secrets(), crossed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_is_named_and_nothing_is_saved() {
    let _window = ONE_WINDOW.lock().await;
    let sim = simulator().await;
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));

    let app = launch("wrong-token", &data_dir).await;
    fill_token_form(&app, &sim, WRONG_TOKEN).await;
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
    let record = app.record.clone();
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
    let mut secrets = sim.sim.secrets();
    secrets.push(WRONG_TOKEN.to_owned());
    let crossed = Crossed {
        commands: &["get_connection", "verify_and_save"],
        streamed: true,
    };
    assert_kept_secret(&record, data_dir.path(), &secrets, crossed);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_account_connects_in_one_click() {
    let _window = ONE_WINDOW.lock().await;
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));

    let app = launch("sandbox", &data_dir).await;
    app.click("welcome-demo").await;
    app.wait_for_text("connected", &["Connected", "Ada Admin"])
        .await;
    app.wait_for_text("status-bar", &["Demo"]).await;
    app.screenshot("06-demo").await;
    let mut secrets = sandbox_secrets(data_dir.path()).await;
    let record = app.record.clone();
    app.quit().await;
    let crossed = Crossed {
        commands: &["get_connection", "start_demo"],
        streamed: false,
    };
    assert_kept_secret(&record, data_dir.path(), &secrets, crossed);

    // The sandbox's simulator ended with the app; a restart brings up a new one and reconnects.
    let restarted = launch("sandbox-restarted", &data_dir).await;
    restarted
        .wait_for_text("connected", &["Connected", "Ada Admin"])
        .await;
    secrets.extend(sandbox_secrets(data_dir.path()).await);
    let record = restarted.record.clone();
    restarted.quit().await;
    let crossed = Crossed {
        commands: &["get_connection"],
        streamed: false,
    };
    assert_kept_secret(&record, data_dir.path(), &secrets, crossed);
}

async fn fill_oauth_form(app: &App, sim: &RunningSimulator, client: &str) {
    app.type_into("connect-oauth-subdomain", "d3v-sim").await;
    app.wait_for_text(
        "connect-oauth-subdomain-normalized",
        &["d3v-sim.zendesk.com"],
    )
    .await;
    app.type_into("connect-oauth-client-id", client).await;
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
    let redirect = own_redirect_url(data_dir.path());

    let app = launch_with("oauth", &data_dir, &[("HANDOFF_BROWSER", &browser.script)]).await;
    app.click("welcome-connect").await;
    app.wait_for_attribute("connect-tab-oauth", "aria-selected", "true")
        .await;
    // The redirect URL to register in the OAuth client, exactly as the sign-in will send it.
    app.wait_for_text("connect-oauth-redirect-url", &[&redirect])
        .await;
    fill_oauth_form(&app, &sim, CONSOLE_CLIENT).await;
    app.screenshot("07-oauth-form").await;
    app.click("connect-oauth-submit").await;

    let url = browser.opened(&app).await;
    assert_eq!(redirect_uri(&url), redirect);
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
    let stored = stored_tokens(data_dir.path()).await;
    assert_eq!(stored.len(), 2, "the token pair is in the keychain");
    let secrets = sim.sim.secrets();
    assert!(
        stored.iter().all(|token| secrets.contains(token)),
        "the simulator lists the pair it issued"
    );
    let record = app.record.clone();
    app.quit().await;
    let crossed = Crossed {
        commands: &["get_connection", "sign_in_with_zendesk"],
        streamed: true,
    };
    assert_kept_secret(&record, data_dir.path(), &secrets, crossed);

    let restarted = launch("oauth-restarted", &data_dir).await;
    restarted
        .wait_for_text(
            "connected",
            &["Connected", "Ada Admin", "OAuth, client handoff_console"],
        )
        .await;
    restarted.quit().await;
}

/// Another program holds the redirect port: the sign-in fails before any browser opens, naming the port, and its
/// fix offers the window's own way out ("choose another port", not a CLI command). That opens the port field
/// under the redirect URL; the new port is saved (checked by the core), the URL shown changes, and the sign-in
/// then goes through on it while the old port is still held.
#[tokio::test(flavor = "multi_thread")]
async fn a_taken_redirect_port_is_changed_in_the_window_and_the_sign_in_goes_through() {
    let _window = ONE_WINDOW.lock().await;
    let sim = simulator().await;
    let browser = StandInBrowser::new();
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let taken = holder.local_addr().unwrap_or_else(|e| panic!("{e}")).port();
    set_before_launch(
        data_dir.path(),
        handoff::settings::SettingKey::OAuthRedirectPort,
        &taken.to_string(),
    );

    let app = launch_with(
        "oauth-port-taken",
        &data_dir,
        &[("HANDOFF_BROWSER", &browser.script)],
    )
    .await;
    app.click("welcome-connect").await;
    app.wait_for_text(
        "connect-oauth-redirect-url",
        &[&format!("http://127.0.0.1:{taken}/oauth/callback")],
    )
    .await;
    fill_oauth_form(&app, &sim, CONSOLE_CLIENT).await;
    app.click("connect-oauth-submit").await;
    app.wait_for_attribute("check-authorization", "data-status", "failed")
        .await;
    let failure = app
        .wait_for_text(
            "check-authorization",
            &[
                &format!("Port {taken} is in use by another program"),
                &format!("Another program already listens on 127.0.0.1:{taken}"),
                "choose another port",
            ],
        )
        .await;
    assert!(
        !failure.contains("handoff config"),
        "the window offers its own way, not a CLI command: {failure}"
    );
    app.wait_for_text("connect-not-saved", &["Nothing was saved"])
        .await;
    scroll_to(&app, "check-authorization").await;
    app.screenshot("15-oauth-port-taken").await;

    app.click("connect-oauth-port-taken-change").await;
    let port = free_port();
    app.type_into("connect-oauth-redirect-port", &port.to_string())
        .await;
    app.screenshot("16-oauth-port-field").await;
    app.click("connect-oauth-redirect-save").await;
    let redirect = format!("http://127.0.0.1:{port}/oauth/callback");
    app.wait_for_text("connect-oauth-redirect-url", &[&redirect])
        .await;
    app.wait_for_text(
        "connect-oauth-redirect-message",
        &["register this new URL in your OAuth client"],
    )
    .await;
    scroll_to(&app, "connect-oauth-redirect").await;
    app.screenshot("17-oauth-port-changed").await;

    scroll_to(&app, "connect-oauth-submit").await;
    app.click("connect-oauth-submit").await;
    let url = browser.opened(&app).await;
    assert_eq!(redirect_uri(&url), redirect);
    approve_in_browser(&sim, &url).await;
    app.wait_for_text("connected", &["Connected", "OAuth, client handoff_console"])
        .await;
    drop(holder);
    let saved = Profile::open(data_dir.path(), SecretStoreKind::Keychain)
        .and_then(|profile| handoff::oauth::redirect(profile.store()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(saved.url.as_deref(), Some(redirect.as_str()));
    let record = app.record.clone();
    app.quit().await;
    let crossed = Crossed {
        commands: &[
            "get_connection",
            "oauth_redirect",
            "set_oauth_redirect_port",
            "sign_in_with_zendesk",
        ],
        streamed: true,
    };
    assert_kept_secret(&record, data_dir.path(), &sim.sim.secrets(), crossed);
}

/// A confidential client through the window, after its two failure paths: the admin denies in the browser,
/// then the secret typed is wrong, then it is right. The client secret, the wrong one and every token and code
/// the simulator handed out stay out of everything the app wrote.
#[tokio::test(flavor = "multi_thread")]
async fn a_confidential_client_signs_in_after_a_denial_and_a_wrong_secret() {
    let _window = ONE_WINDOW.lock().await;
    let sim = simulator().await;
    let browser = StandInBrowser::new();
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    own_redirect_url(data_dir.path());

    let app = launch_with(
        "oauth-confidential",
        &data_dir,
        &[("HANDOFF_BROWSER", &browser.script)],
    )
    .await;
    app.click("welcome-connect").await;
    fill_oauth_form(&app, &sim, RELAY_CLIENT).await;
    app.type_into("connect-oauth-client-secret", CLIENT_SECRET)
        .await;
    app.click("connect-oauth-submit").await;
    let url = browser.opened(&app).await;
    visit_in_browser(&sim, &url, RELAY_CLIENT, ConsentMode::Deny).await;
    app.wait_for_text("check-authorization", &["Access was denied in Zendesk"])
        .await;
    app.wait_for_text("connect-not-saved", &["Nothing was saved"])
        .await;
    app.screenshot("12-oauth-denied").await;

    app.type_into("connect-oauth-client-secret", WRONG_CLIENT_SECRET)
        .await;
    app.click("connect-oauth-submit").await;
    let url = browser.opened(&app).await;
    visit_in_browser(&sim, &url, RELAY_CLIENT, ConsentMode::Approve).await;
    app.wait_for_text(
        "check-authorization",
        &["Zendesk refused to exchange the authorization code"],
    )
    .await;
    app.wait_for_text("connect-not-saved", &["Nothing was saved"])
        .await;
    app.screenshot("13-oauth-wrong-secret").await;

    app.type_into("connect-oauth-client-secret", CLIENT_SECRET)
        .await;
    app.click("connect-oauth-submit").await;
    let url = browser.opened(&app).await;
    visit_in_browser(&sim, &url, RELAY_CLIENT, ConsentMode::Approve).await;
    app.wait_for_text("connected", &["Connected", "OAuth, client handoff_relay"])
        .await;
    app.screenshot("14-oauth-confidential-connected").await;
    let mut secrets = sim.sim.secrets();
    assert!(secrets.iter().any(|secret| secret == CLIENT_SECRET));
    secrets.push(WRONG_CLIENT_SECRET.to_owned());
    let record = app.record.clone();
    app.quit().await;
    let crossed = Crossed {
        commands: &["get_connection", "sign_in_with_zendesk"],
        streamed: true,
    };
    assert_kept_secret(&record, data_dir.path(), &secrets, crossed);
}

/// A panic while a token response is in scope (`HANDOFF_FAULT=panic:token_response`, honoured by debug builds
/// only, puts the response's `Debug` form in the message as a careless `expect` would) reaches the app's log
/// file through its panic hook, and neither that log, the app's output nor its IPC record holds a secret.
#[tokio::test(flavor = "multi_thread")]
async fn a_panic_in_a_command_reaches_the_log_without_a_secret() {
    let _window = ONE_WINDOW.lock().await;
    let sim = simulator().await;
    let browser = StandInBrowser::new();
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    own_redirect_url(data_dir.path());
    let env = [
        ("HANDOFF_BROWSER", browser.script.as_str()),
        ("HANDOFF_FAULT", "panic:token_response"),
    ];

    let app = launch_with("panic", &data_dir, &env).await;
    let before = sim.sim.secrets().len();
    app.click("welcome-connect").await;
    fill_oauth_form(&app, &sim, RELAY_CLIENT).await;
    app.type_into("connect-oauth-client-secret", CLIENT_SECRET)
        .await;
    app.click("connect-oauth-submit").await;
    let url = browser.opened(&app).await;
    visit_in_browser(&sim, &url, RELAY_CLIENT, ConsentMode::Approve).await;

    let logs = data_dir.path().join("logs");
    let deadline = Instant::now() + Duration::from_secs(30);
    let panic_line = loop {
        let logged = std::fs::read_dir(&logs)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
            .collect::<String>();
        if let Some(line) = logged
            .lines()
            .find(|line| line.contains("handoff::panic") && line.contains("panicked"))
        {
            break line.to_owned();
        }
        if Instant::now() >= deadline {
            let shot = app.screenshot("failed-panic-not-logged").await;
            panic!(
                "no panic reached the log in {} (see {})",
                logs.display(),
                shot.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        panic_line.contains("HANDOFF_FAULT panics at panic:token_response")
            && panic_line.contains("SecretString(<redacted>)"),
        "the log holds the panic with its token response redacted: {panic_line}"
    );
    let record = app.record.clone();
    app.quit().await;
    assert!(
        record
            .output()
            .contains("HANDOFF_FAULT panics at panic:token_response"),
        "the panic message reached the terminal too"
    );
    let secrets = sim.sim.secrets();
    assert_eq!(
        secrets.len(),
        before + 4,
        "the sign-in's code and verifier, and the pair the panic held, join the seeded tokens and secret"
    );
    let crossed = Crossed {
        commands: &["get_connection"],
        streamed: true,
    };
    assert_kept_secret(&record, data_dir.path(), &secrets, crossed);
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
    own_redirect_url(data_dir.path());
    let env = [
        ("HANDOFF_BROWSER", browser.script.as_str()),
        ("HANDOFF_NOW", "2027-03-31T12:00:00Z"),
    ];

    let app = launch_with("move-to-oauth", &data_dir, &env).await;
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
    let record = app.record.clone();
    app.quit().await;
    let crossed = Crossed {
        commands: &[
            "get_connection",
            "lookup_agent",
            "verify_and_save",
            "sign_in_with_zendesk",
        ],
        streamed: true,
    };
    assert_kept_secret(&record, data_dir.path(), &sim.sim.secrets(), crossed);
}
