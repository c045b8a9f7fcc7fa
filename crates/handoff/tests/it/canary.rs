//! The secrets canary for the CLI: every secret-bearing flow of the `handoff` binary, run as a child process
//! with `HANDOFF_LOG=trace` (the CLI, the core and every library under them log everything they ever would),
//! then every byte it printed and every file of its data folder grepped for every secret of the run: the API
//! token, the wrong token, the confidential client's secret and a wrong one, and every code, PKCE verifier,
//! access and refresh token the simulator handed out (`Simulator::secrets`), the sandbox's included.
//!
//! Each run's standard output and error go to files (a trace-level log outgrows a pipe), kept under
//! `$HANDOFF_TEST_ARTIFACTS/cli-canary` when that is set, so `scripts/test`'s final sweep reads them too.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use zendesk_sim::{ConsentMode, FaultKind, RunningSimulator, CONSOLE_CLIENT, RELAY_CLIENT};

use crate::oauth::{oauth_simulator, RELAY_SECRET};
use crate::{assert_no_file_contains, CANARY_TOKEN};

/// Typed where the API token belongs, refused, and then kept out of everything like a real one.
const WRONG_TOKEN: &str = "canaryWr0ngTok3nR4tLq8mXz2vPk6sJd9hNc3bYe";
/// Typed where the confidential client's secret belongs.
const WRONG_SECRET: &str = "canaryWr0ngSecr3tF7kPz3qMv8xLt1sRd6hBn4cWy";

/// One `handoff` process as the canary saw it.
struct Ran {
    what: String,
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Every run of one test, and the data folders they wrote.
struct Canary {
    outputs: PathBuf,
    _scratch: Option<tempfile::TempDir>,
    runs: Vec<Ran>,
    data_dirs: Vec<PathBuf>,
}

impl Canary {
    fn new(test: &str) -> Canary {
        let (outputs, scratch) = match std::env::var_os("HANDOFF_TEST_ARTIFACTS") {
            Some(artifacts) => (PathBuf::from(artifacts).join("cli-canary").join(test), None),
            None => {
                let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
                (scratch.path().to_owned(), Some(scratch))
            }
        };
        std::fs::create_dir_all(&outputs).unwrap_or_else(|e| panic!("{}: {e}", outputs.display()));
        Canary {
            outputs,
            _scratch: scratch,
            runs: Vec::new(),
            data_dirs: Vec::new(),
        }
    }

    /// Starts `handoff --data-dir <data_dir> <args>` at trace level, its output going to files named after
    /// `what`.
    fn spawn(
        &mut self,
        what: &str,
        data_dir: &Path,
        args: &[&str],
        stdin: &str,
        env: &[(&str, &str)],
    ) -> (Child, PathBuf, PathBuf) {
        if !self.data_dirs.iter().any(|known| known == data_dir) {
            self.data_dirs.push(data_dir.to_owned());
        }
        let name = format!("{:02}-{what}", self.runs.len());
        let (stdout, stderr) = (
            self.outputs.join(format!("{name}.stdout")),
            self.outputs.join(format!("{name}.stderr")),
        );
        let file = |path: &Path| {
            std::fs::File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_handoff"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .envs(env.iter().copied())
            .env("HANDOFF_LOG", "trace")
            .env_remove("DISPLAY")
            .env_remove("HANDOFF_SECRET_STORE")
            .stdin(Stdio::piped())
            .stdout(file(&stdout))
            .stderr(file(&stderr))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run handoff: {e}"));
        if let Some(mut input) = child.stdin.take() {
            input
                .write_all(stdin.as_bytes())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        (child, stdout, stderr)
    }

    /// Runs `handoff` to its end (60 s at most) and keeps what it printed.
    fn run(
        &mut self,
        what: &str,
        data_dir: &Path,
        args: &[&str],
        stdin: &str,
        env: &[(&str, &str)],
    ) -> &Ran {
        let (child, stdout, stderr) = self.spawn(what, data_dir, args, stdin, env);
        self.finish(what, child, &stdout, &stderr)
    }

    fn finish(&mut self, what: &str, mut child: Child, stdout: &Path, stderr: &Path) -> &Ran {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("handoff ({what}) hung for 60 s; see {}", stderr.display());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let read = |path: &Path| {
            String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
        };
        self.runs.push(Ran {
            what: what.to_owned(),
            status,
            stdout: read(stdout),
            stderr: read(stderr),
        });
        self.runs.last().unwrap_or_else(|| unreachable!())
    }

    /// No output of any run and no file of any data folder holds any of `secrets`. The runs must have logged at
    /// trace level, or the grep proves little.
    fn assert_kept(&self, secrets: &[String]) {
        assert!(
            secrets.iter().all(|secret| secret.len() >= 16),
            "each secret is long enough not to match by chance: {secrets:?}"
        );
        note_secrets(secrets);
        assert!(
            self.runs.iter().any(|ran| ran.stderr.contains("TRACE")),
            "the runs logged at trace level"
        );
        for ran in &self.runs {
            for secret in secrets {
                assert!(
                    !ran.text().contains(secret.as_str()),
                    "`{}` printed a secret (see {})",
                    ran.what,
                    self.outputs.display()
                );
            }
        }
        for dir in &self.data_dirs {
            for secret in secrets {
                assert_no_file_contains(dir, secret);
            }
        }
    }
}

/// Adds `secrets` to the file `$HANDOFF_TEST_SECRETS` names, for `scripts/test`'s final sweep.
fn note_secrets(secrets: &[String]) {
    let Some(path) = std::env::var_os("HANDOFF_TEST_SECRETS") else {
        return;
    };
    let lines: String = secrets.iter().map(|secret| format!("{secret}\n")).collect();
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(lines.as_bytes()))
        .unwrap_or_else(|e| panic!("{}: {e}", PathBuf::from(path).display()));
}

/// A stand-in for the system browser (`HANDOFF_BROWSER`): follows the authorize URL's redirects, so the
/// simulator's consent mode decides whether the admin approved.
fn browser_script(dir: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("play-browser.sh");
    std::fs::write(&path, "#!/bin/sh\nexec curl -sL -o /dev/null \"$1\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    path.to_string_lossy().into_owned()
}

fn connect_args<'a>(sim: &'a RunningSimulator, method: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "connect",
        "--zendesk-url",
        &sim.base_url,
        "--subdomain",
        "d3v-sim",
    ];
    args.extend_from_slice(method);
    args
}

const TOKEN: &[&str] = &["--email", "admin@example.com", "--token-stdin"];
const BROWSER_SIGN_IN: &[&str] = &["--oauth", "--client-id", CONSOLE_CLIENT];
const CLIENT_CREDENTIALS: &[&str] = &[
    "--client-credentials",
    "--client-id",
    RELAY_CLIENT,
    "--client-secret-stdin",
];
const CONFIDENTIAL_SIGN_IN: &[&str] = &[
    "--oauth",
    "--client-id",
    RELAY_CLIENT,
    "--client-secret-stdin",
];

/// Every way in and every way it fails, on one account: a wrong token, Zendesk failing and unreachable, the
/// token; a denied and an approved browser sign-in, a refresh, a wrong and a right client secret, a
/// confidential client in the browser, and the refused refresh that ends in "reconnect required".
#[tokio::test(flavor = "multi_thread")]
async fn no_secret_of_any_cli_flow_reaches_an_output_or_a_file() {
    let sim = oauth_simulator().await;
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let browser = browser_script(scratch.path());
    let with_browser = [("HANDOFF_BROWSER", browser.as_str())];
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = data.path();
    crate::any_redirect_port(&crate::profile(&data));
    let mut canary = Canary::new("cli-flows");
    let token = |secret: &str| format!("{secret}\n");

    // (what, arguments, standard input, simulator set-up, the exit code it must end with)
    let unreachable = format!("http://127.0.0.1:{}", closed_port());
    let table: Vec<(&str, Vec<&str>, String, Setup, i32)> = vec![
        (
            "wrong-token",
            connect_args(&sim, TOKEN),
            token(WRONG_TOKEN),
            Setup::None,
            3,
        ),
        (
            "zendesk-failing",
            connect_args(&sim, TOKEN),
            token(CANARY_TOKEN),
            Setup::ServerError,
            3,
        ),
        (
            "zendesk-unreachable",
            vec![
                "connect",
                "--zendesk-url",
                &unreachable,
                "--subdomain",
                "d3v-sim",
                "--email",
                "admin@example.com",
                "--token-stdin",
            ],
            token(CANARY_TOKEN),
            Setup::None,
            3,
        ),
        (
            "api-token",
            connect_args(&sim, TOKEN),
            token(CANARY_TOKEN),
            Setup::None,
            0,
        ),
        (
            "api-token-verified",
            vec!["status", "--verify", "--json"],
            String::new(),
            Setup::None,
            crate::CONNECTED_NOT_SET_UP,
        ),
        (
            "browser-denied",
            connect_args(&sim, BROWSER_SIGN_IN),
            String::new(),
            Setup::Consent(ConsentMode::Deny),
            3,
        ),
        (
            "browser-sign-in",
            connect_args(&sim, BROWSER_SIGN_IN),
            String::new(),
            Setup::Consent(ConsentMode::Approve),
            0,
        ),
        // Zendesk's clock passes the access token's life: the first call earns a 401 and a refresh.
        (
            "refreshed",
            vec!["status", "--verify"],
            String::new(),
            Setup::Advance(1801),
            crate::CONNECTED_NOT_SET_UP,
        ),
        (
            "wrong-client-secret",
            connect_args(&sim, CLIENT_CREDENTIALS),
            token(WRONG_SECRET),
            Setup::None,
            3,
        ),
        (
            "client-credentials",
            connect_args(&sim, CLIENT_CREDENTIALS),
            token(RELAY_SECRET),
            Setup::None,
            0,
        ),
        (
            "confidential-browser-sign-in",
            connect_args(&sim, CONFIDENTIAL_SIGN_IN),
            token(RELAY_SECRET),
            Setup::None,
            0,
        ),
        (
            "status-json",
            vec!["status", "--json"],
            String::new(),
            Setup::None,
            crate::CONNECTED_NOT_SET_UP,
        ),
        // Past the refresh token's life too: Zendesk refuses the refresh, the connection needs a new sign-in.
        (
            "reconnect-required",
            vec!["status", "--verify"],
            String::new(),
            Setup::Advance(31 * 24 * 3600),
            6,
        ),
    ];
    for (what, args, stdin, setup, code) in table {
        setup.apply(&sim);
        let ran = canary.run(what, data_dir, &args, &stdin, &with_browser);
        assert_eq!(ran.code(), Some(code), "{what}: {}", ran.text());
        sim.sim.clear_faults();
    }
    let reconnect = canary.runs.last().map(Ran::text).unwrap_or_default();
    assert!(reconnect.contains("RECONNECT REQUIRED"), "{reconnect}");
    assert_eq!(
        crate::oauth::token_requests(&sim, "refresh_token"),
        2,
        "one refresh renewed the pair, one was refused: both carried a refresh token to grep for"
    );

    let mut secrets = sim.sim.secrets();
    assert!(
        secrets.len() >= 12,
        "the run handed out codes, verifiers and pairs to look for: {}",
        secrets.len()
    );
    secrets.extend([WRONG_TOKEN.to_owned(), WRONG_SECRET.to_owned()]);
    canary.assert_kept(&secrets);
}

/// What the simulator does before a run.
enum Setup {
    None,
    /// `users/me` answers 500 until cleared (after the run).
    ServerError,
    /// The consent page answers at once.
    Consent(ConsentMode),
    /// Zendesk's clock moves on by this many seconds.
    Advance(u64),
}

impl Setup {
    fn apply(&self, sim: &RunningSimulator) {
        match self {
            Setup::None => {}
            Setup::ServerError => {
                sim.sim
                    .inject_fault(None, "/api/v2/users/me", FaultKind::ServerError(500), None);
            }
            Setup::Consent(mode) => sim.sim.set_oauth_consent(*mode),
            Setup::Advance(seconds) => sim.sim.clock().advance(Duration::from_secs(*seconds)),
        }
    }
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `handoff demo`: the sandbox runs inside the CLI, connected with its confidential client. Its simulator is
/// asked for its secrets (`/_sim/secrets`) while it runs; then Ctrl-C ends it.
#[tokio::test(flavor = "multi_thread")]
async fn no_secret_of_the_sandbox_reaches_an_output_or_a_file() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut canary = Canary::new("cli-sandbox");
    let (child, stdout, stderr) = canary.spawn("demo", data.path(), &["demo", "--json"], "", &[]);

    let deadline = Instant::now() + Duration::from_secs(60);
    let started = loop {
        let printed = std::fs::File::open(&stdout)
            .map(|file| std::io::BufReader::new(file).lines().next())
            .ok()
            .flatten()
            .and_then(Result::ok);
        if let Some(line) = printed {
            break line;
        }
        assert!(
            Instant::now() < deadline,
            "the sandbox never started; see {}",
            stderr.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let value: serde_json::Value =
        serde_json::from_str(&started).unwrap_or_else(|e| panic!("{e}: {started}"));
    let base_url = value["simulator"]
        .as_str()
        .unwrap_or_else(|| panic!("the simulator's address: {value}"))
        .trim_end_matches('/')
        .to_owned();
    assert_eq!(value["connection"]["demo"], true, "{value}");
    let listed: serde_json::Value = reqwest::get(format!("{base_url}/_sim/secrets"))
        .await
        .and_then(reqwest::Response::error_for_status)
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let secrets: Vec<String> = listed["secrets"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        secrets.len() >= 3,
        "the sandbox's API tokens, client secret and access token: {listed}"
    );

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(interrupted.success());
    let ran = canary.finish("demo", child, &stdout, &stderr);
    assert_eq!(
        ran.code(),
        Some(0),
        "Ctrl-C ends the sandbox: {}",
        ran.text()
    );
    canary.assert_kept(&secrets);
}

/// A panic while a token response is in scope (`HANDOFF_FAULT=panic:token_response`, honoured by debug builds
/// only, puts its `Debug` form in the message, as a careless `expect` would): the panic output, the
/// trace-level log beside it and the data folder hold neither the token nor the client secret.
#[tokio::test(flavor = "multi_thread")]
async fn a_panic_with_a_token_in_scope_prints_no_secret() {
    let sim = oauth_simulator().await;
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut canary = Canary::new("cli-panic");
    let before = sim.sim.secrets().len();

    let ran = canary.run(
        "panic",
        data.path(),
        &connect_args(&sim, CLIENT_CREDENTIALS),
        &format!("{RELAY_SECRET}\n"),
        &[("HANDOFF_FAULT", "panic:token_response")],
    );
    assert_eq!(
        ran.code(),
        Some(101),
        "a panic ends the process: {}",
        ran.text()
    );
    assert!(
        ran.stderr
            .contains("HANDOFF_FAULT panics at panic:token_response while holding TokenResponse")
            && ran
                .stderr
                .contains("access_token: SecretString(<redacted>)"),
        "the panic message shows the response, its token redacted: {}",
        ran.stderr
    );
    let secrets = sim.sim.secrets();
    assert_eq!(
        secrets.len(),
        before + 1,
        "the access token the panic held joins the seeded tokens and the client secret"
    );
    canary.assert_kept(&secrets);
}

/// The AI Fields LLM key: typed without echo on a terminal, piped in, used by `fields preview` against an
/// endpoint that answers well, fails and refuses; it is in no output and no file of the data folder, at
/// trace level.
#[tokio::test(flavor = "multi_thread")]
async fn the_llm_key_reaches_no_output_and_no_file() {
    use crate::fields::{create_reason_field, LlmReply, LlmServer, REASON_DESCRIPTION};
    const LLM_KEY: &str = "canaryLlmK3yT8wQ3zPm5vXc2sLd9hRb6nYf1gJe";
    let sim = crate::simulator().await;
    let field_id = create_reason_field(&sim).await;
    let server = LlmServer::start(LLM_KEY, "canary-model", field_id).await;
    let mut canary = Canary::new("llm-key");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path();
    let data_arg = data.to_string_lossy().into_owned();
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let conversation = scratch.path().join("conversation.txt");
    std::fs::write(
        &conversation,
        "Customer: I want a refund for my broken blender\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let conversation = conversation.to_string_lossy().into_owned();

    let ran = canary.run(
        "connect",
        data,
        &connect_args(&sim, TOKEN),
        CANARY_TOKEN,
        &[],
    );
    assert_eq!(ran.code(), Some(0), "{}", ran.text());
    // Typed on a terminal: not echoed (then replaced by the piped one below, which is the same key).
    let (shown, code) = crate::cli::on_a_terminal(
        &["--data-dir", &data_arg, "llm-key", "set", "--stdin"],
        "LLM key: ",
        LLM_KEY,
    );
    assert_eq!(code, Some(0), "{shown}");
    assert!(!shown.contains(LLM_KEY), "the key was echoed:\n{shown}");
    for (what, args, stdin) in [
        ("llm-key", vec!["llm-key", "set", "--stdin"], LLM_KEY),
        ("llm-url", vec!["config", "set", "llm-url", &server.url], ""),
        (
            "llm-model",
            vec!["config", "set", "llm-model", "canary-model"],
            "",
        ),
    ] {
        let ran = canary.run(what, data, &args, stdin, &[]);
        assert_eq!(ran.code(), Some(0), "{what}: {}", ran.text());
    }
    let id = field_id.to_string();
    let ran = canary.run(
        "map",
        data,
        &["fields", "map", &id, "--description", REASON_DESCRIPTION],
        "",
        &[],
    );
    assert_eq!(ran.code(), Some(0), "{}", ran.text());
    // (the endpoint's answers, the value the preview shows, words of its why)
    let table = [
        (
            vec![LlmReply::Answer(Some("billing"), 0.9)],
            "billing",
            "LLM:",
        ),
        (
            vec![LlmReply::Status(500), LlmReply::Status(500)],
            "refund_request",
            "the LLM failed: the endpoint answered HTTP 500",
        ),
        (vec![LlmReply::Status(401)], "refund_request", "HTTP 401"),
    ];
    for (index, (replies, value, why)) in table.into_iter().enumerate() {
        server.answer(&replies);
        let ran = canary.run(
            &format!("preview-{index}"),
            data,
            &[
                "--json",
                "fields",
                "preview",
                "--conversation",
                &conversation,
            ],
            "",
            &[],
        );
        assert_eq!(ran.code(), Some(0), "{}", ran.text());
        let fills: serde_json::Value =
            serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{e}: {}", ran.stdout));
        assert_eq!(fills[0]["field_id"], serde_json::json!(field_id));
        assert_eq!(fills[0]["value"], serde_json::json!(value), "{fills}");
        assert!(
            fills[0]["why"].as_str().unwrap_or_default().contains(why),
            "{fills}"
        );
    }
    assert_eq!(
        server.problems(),
        Vec::<String>::new(),
        "the key went as a bearer token, with the model and enum"
    );
    canary.assert_kept(&[LLM_KEY.to_owned(), CANARY_TOKEN.to_owned()]);
}
