//! The harness for end-to-end tests that drive the real console window: tauri-driver in front of
//! WebKitWebDriver, under Xvfb, inside a D-Bus session with an unlocked keyring (`scripts/test` arranges the
//! display and the keyring; this crate starts the driver and the app).
//!
//! Each [`App`] launch gets its own tauri-driver on free ports, with the app's environment (data folder) set
//! on the driver, because WebKitWebDriver passes its environment on to the app it starts. Each launch also
//! gets a folder under the artifacts: `ipc.jsonl`, the app's record of every answer and channel message it
//! sent the window (`HANDOFF_IPC_LOG`, kept by debug builds), and `output.log`, what the driver, WebKitWebDriver
//! and the app wrote to their standard output and error. Tests grep both for secrets.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

/// The built console binary: `$HANDOFF_APP_BINARY`, else `<target dir>/debug/handoff-console`.
pub fn app_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HANDOFF_APP_BINARY") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("debug/handoff-console")
}

/// Where screenshots go: `$HANDOFF_TEST_ARTIFACTS`, else `<repo>/test-artifacts`.
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("HANDOFF_TEST_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-artifacts"));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn tauri_driver() -> PathBuf {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(path);
    }
    let in_cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .map(|home| home.join("bin/tauri-driver"));
    in_cargo_home
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("tauri-driver"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|error| panic!("no free port: {error}"))
}

fn wait_for_port(port: u16, deadline: Instant) -> bool {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// A running tauri-driver; stopped with SIGTERM on drop, so WebKitWebDriver frees its port for the next launch.
struct Driver(Child);

impl Driver {
    fn stop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One launch of the console window.
pub struct App {
    pub client: Client,
    driver: Driver,
    /// What this launch sent its window and printed; outlives [`App::quit`].
    pub record: LaunchRecord,
}

/// A launch's folder under the artifacts: `ipc.jsonl` and `output.log`.
#[derive(Debug, Clone)]
pub struct LaunchRecord {
    pub dir: PathBuf,
}

impl LaunchRecord {
    /// Every answer and channel message the app sent its window since it started, one JSON object each
    /// (`{"command", "ok" | "error"}` or `{"channel", "index", "message"}`), as the app recorded them.
    pub fn ipc_log(&self) -> Vec<serde_json::Value> {
        let path = self.dir.join("ipc.jsonl");
        std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{}: {e}: {line}", path.display()))
            })
            .collect()
    }

    /// What the app (and the driver in front of it) printed: the app's terminal log among it.
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.dir.join("output.log")).unwrap_or_default()
    }
}

/// Numbers launches, so two launches of one test keep apart folders.
static LAUNCHES: AtomicUsize = AtomicUsize::new(0);

impl App {
    /// Starts tauri-driver with `env` and opens the app, recording what it sends its window and prints under
    /// `<artifacts>/launches/<label>-<pid>-<n>`. Panics with what to install when a part is missing.
    pub async fn launch(label: &str, env: &[(&str, &str)]) -> App {
        let binary = app_binary();
        assert!(
            binary.exists(),
            "{} is missing: run `cargo build -p handoff-console` first",
            binary.display()
        );
        let launch = LAUNCHES.fetch_add(1, Ordering::Relaxed);
        let record_dir = artifacts_dir()
            .join("launches")
            .join(format!("{label}-{}-{launch}", std::process::id()));
        std::fs::create_dir_all(&record_dir)
            .unwrap_or_else(|e| panic!("{}: {e}", record_dir.display()));
        let ipc_log = record_dir.join("ipc.jsonl");
        let output = std::fs::File::create(record_dir.join("output.log"))
            .unwrap_or_else(|e| panic!("{}: {e}", record_dir.display()));
        let output_too = output.try_clone().unwrap_or_else(|e| panic!("{e}"));
        let (port, native_port) = (free_port(), free_port());
        let driver = Driver(Command::new(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .envs(env.iter().copied())
            .env("HANDOFF_IPC_LOG", &ipc_log)
            .stdout(output)
            .stderr(output_too)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tauri-driver (cargo install tauri-driver --version '^2'): {e}")));
        // tauri-driver listens before WebKitWebDriver does, and a session request sent in between fails.
        let deadline = Instant::now() + Duration::from_secs(20);
        let ready = wait_for_port(port, deadline) && wait_for_port(native_port, deadline);
        if !ready {
            panic!("tauri-driver did not open ports {port} and {native_port} (is webkit2gtk-driver installed?)");
        }
        let mut capabilities = serde_json::Map::new();
        // No browserName: WebKitGTK 2.5x reports "MiniBrowser" and rejects "wry".
        capabilities.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": binary.to_string_lossy() }),
        );
        let mut last_error = String::new();
        for _ in 0..3 {
            // The driver is on loopback: plain HTTP, no TLS stack to configure.
            let mut builder = ClientBuilder::new(HttpConnector::new());
            match builder
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => {
                    let app = App {
                        client,
                        driver,
                        record: LaunchRecord { dir: record_dir },
                    };
                    app.wait_for_document().await;
                    return app;
                }
                Err(error) => last_error = error.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        drop(driver);
        panic!("cannot open a WebDriver session on the app: {last_error}");
    }

    async fn wait_for_document(&self) {
        self.find("status-bar").await;
    }

    /// The element with `data-testid`, waiting up to 20 s for it to appear.
    pub async fn find(&self, test_id: &str) -> Element {
        let selector = format!("[data-testid='{test_id}']");
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(&selector))
            .await
            .unwrap_or_else(|e| panic!("[data-testid={test_id}] did not appear: {e}"))
    }

    pub async fn click(&self, test_id: &str) {
        self.find(test_id)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {test_id}: {e}"));
    }

    pub async fn type_into(&self, test_id: &str, text: &str) {
        let input = self.find(test_id).await;
        input
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {test_id}: {e}"));
        input
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {test_id}: {e}"));
    }

    pub async fn text(&self, test_id: &str) -> String {
        self.find(test_id)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("text of {test_id}: {e}"))
    }

    /// Waits until the element's text contains every one of `parts`.
    pub async fn wait_for_text(&self, test_id: &str, parts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.text(test_id).await;
            if parts.iter().all(|part| text.contains(part)) {
                return text;
            }
            if Instant::now() >= deadline {
                let shot = self.screenshot(&format!("failed-{test_id}")).await;
                panic!(
                    "[data-testid={test_id}] never showed {parts:?}; it shows {text:?} (see {})",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the element's attribute has `value`.
    pub async fn wait_for_attribute(&self, test_id: &str, attribute: &str, value: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let current = self
                .find(test_id)
                .await
                .attr(attribute)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if current.as_deref() == Some(value) {
                return;
            }
            if Instant::now() >= deadline {
                let shot = self.screenshot(&format!("failed-{test_id}")).await;
                panic!(
                    "{test_id}[{attribute}] stayed {current:?}, expected {value:?} (see {})",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Saves a PNG of the window as a test artifact, and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        // WebKit paints asynchronously: a scroll or re-render the test just caused shows only after the next frames,
        // and a capture taken before them shows the window as it was. Wait for two frames (a second at most).
        let frames = self.client.execute_async(
            "const done = arguments[arguments.length - 1]; \
             requestAnimationFrame(() => requestAnimationFrame(() => done(null)));",
            Vec::new(),
        );
        let _ = tokio::time::timeout(Duration::from_secs(1), frames).await;
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let path = artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }

    /// Closes the window and stops the driver.
    pub async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        self.driver.stop();
    }
}

/// Names the file (outside the artifacts) where tests list every secret of their run, one a line, so
/// `scripts/test`'s final sweep greps everything the run left behind for each of them.
pub const TEST_SECRETS_VAR: &str = "HANDOFF_TEST_SECRETS";

/// Appends `secrets` to the file [`TEST_SECRETS_VAR`] names; nothing when it is unset (a single test run by hand).
pub fn note_secrets(secrets: &[String]) {
    use std::io::Write;
    let Some(path) = std::env::var_os(TEST_SECRETS_VAR) else {
        return;
    };
    let lines: String = secrets.iter().map(|secret| format!("{secret}\n")).collect();
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(lines.as_bytes()));
    if let Err(error) = written {
        panic!(
            "cannot note the run's secrets in {}: {error}",
            PathBuf::from(path).display()
        );
    }
}
