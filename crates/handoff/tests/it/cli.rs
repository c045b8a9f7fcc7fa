//! The `handoff` binary as a script would drive it: exit codes, `--json`, and no secret in any output.

use std::process::Output;

use crate::{assert_no_file_contains, handoff, simulator, text, CANARY_TOKEN};

fn assert_no_token(output: &Output) {
    assert!(
        !text(output).contains(CANARY_TOKEN),
        "the token leaked into the output:\n{}",
        text(output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_then_status_through_the_cli() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().to_str().unwrap_or_default().to_owned();
    let connect = |token: &str, json: bool| {
        let mut args = vec![
            "--data-dir",
            &data_dir,
            "connect",
            "--zendesk-url",
            &sim.base_url,
            "--subdomain",
            "d3v-sim",
            "--email",
            "admin@example.com",
            "--token-stdin",
        ];
        if json {
            args.push("--json");
        }
        handoff(&args, &format!("{token}\n"), &[])
    };

    let status = handoff(&["--data-dir", &data_dir, "status"], "", &[]);
    assert_eq!(
        status.status.code(),
        Some(5),
        "not connected yet: {}",
        text(&status)
    );

    let wrong = connect("wrong-token", false);
    assert_eq!(wrong.status.code(), Some(3), "{}", text(&wrong));
    assert!(
        text(&wrong).contains("Nothing was saved"),
        "{}",
        text(&wrong)
    );
    assert!(
        text(&wrong).contains("[FAIL] Credentials authenticate"),
        "{}",
        text(&wrong)
    );

    let ok = connect(CANARY_TOKEN, false);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(
        text(&ok).contains("Connected to d3v-sim.zendesk.com as Ada Admin (admin)"),
        "{}",
        text(&ok)
    );
    assert!(
        text(&ok).contains("API tokens stop working on 2027-04-30"),
        "{}",
        text(&ok)
    );

    let json = handoff(&["--data-dir", &data_dir, "status", "--json"], "", &[]);
    assert_eq!(
        json.status.code(),
        Some(crate::CONNECTED_NOT_SET_UP),
        "{}",
        text(&json)
    );
    let value: serde_json::Value =
        serde_json::from_slice(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&json)));
    assert_eq!(value["connected"], true);
    assert_eq!(value["connection"]["user"]["name"], "Ada Admin");
    assert_eq!(value["connection"]["auth_method"], "api_token");
    assert_eq!(
        value["connection"]["api_token_deadline"]["date"],
        "2027-04-30"
    );

    let again = connect(CANARY_TOKEN, true);
    let report: serde_json::Value =
        serde_json::from_slice(&again.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report["saved"], true);
    assert_eq!(report["checks"].as_array().map(Vec::len), Some(6));

    for output in [&status, &wrong, &ok, &json, &again] {
        assert_no_token(output);
    }
    assert_no_file_contains(dir.path(), CANARY_TOKEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_usage_and_input_exit_with_2() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().to_str().unwrap_or_default();
    let table: [(&[&str], &str, &str); 7] = [
        (
            &[
                "--data-dir",
                data_dir,
                "connect",
                "--subdomain",
                "acme",
                "--email",
                "a@b.c",
                "--token-stdin",
            ],
            "",
            "no API token on standard input",
        ),
        (
            &["--data-dir", data_dir, "--secret-store", "memory", "status"],
            "",
            "unknown secret store `memory`",
        ),
        (
            &["--data-dir", data_dir, "connect", "--subdomain", "acme"],
            "",
            "--oauth",
        ),
        (
            &[
                "--data-dir",
                data_dir,
                "connect",
                "--subdomain",
                "acme",
                "--oauth",
            ],
            "",
            "--client-id",
        ),
        (
            &[
                "--data-dir",
                data_dir,
                "connect",
                "--subdomain",
                "acme",
                "--token-stdin",
            ],
            "",
            "--email",
        ),
        (
            &[
                "--data-dir",
                data_dir,
                "connect",
                "--subdomain",
                "acme",
                "--client-credentials",
                "--client-id",
                "handoff_relay",
            ],
            "",
            "--client-secret-stdin",
        ),
        (
            &[
                "--data-dir",
                data_dir,
                "connect",
                "--subdomain",
                "acme",
                "--client-credentials",
                "--client-id",
                "handoff_relay",
                "--client-secret-stdin",
            ],
            "",
            "no OAuth client secret on standard input",
        ),
    ];
    for (args, stdin, message) in table {
        let output = handoff(args, stdin, &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains(message),
            "{args:?} should say {message:?}: {}",
            text(&output)
        );
    }
}

/// A stand-in for the system browser, as `HANDOFF_BROWSER` names it: fetches the URL it is given and follows
/// the redirects (the simulator's consent approves at once), like an admin clicking Allow.
fn browser_script(dir: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("play-browser.sh");
    std::fs::write(&path, "#!/bin/sh\nexec curl -sfL -o /dev/null \"$1\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    path.to_string_lossy().into_owned()
}

/// The access and refresh tokens the profile in `data_dir` holds, to grep outputs for.
async fn stored_secrets(data_dir: &str) -> Vec<String> {
    let profile = handoff::profile::Profile::open(
        std::path::Path::new(data_dir),
        handoff::keychain::SecretStoreKind::Keychain,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    crate::oauth::stored_tokens(&profile)
        .await
        .map(|t| {
            let mut secrets = vec![t.access_token.expose_secret().to_owned()];
            secrets.extend(t.refresh_token.map(|r| r.expose_secret().to_owned()));
            secrets
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_with_oauth_and_client_credentials_through_the_cli() {
    let sim = crate::oauth::oauth_simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = data.path().to_str().unwrap_or_default().to_owned();
    let browser = browser_script(dir.path());
    let env = [("HANDOFF_BROWSER", browser.as_str())];
    let base = [
        "--data-dir",
        &data_dir,
        "connect",
        "--zendesk-url",
        &sim.base_url,
        "--subdomain",
        "d3v-sim",
    ];

    let oauth_args: Vec<&str> = base
        .iter()
        .copied()
        .chain(["--oauth", "--client-id", zendesk_sim::CONSOLE_CLIENT])
        .collect();
    let oauth = handoff(&oauth_args, "", &env);
    assert_eq!(oauth.status.code(), Some(0), "{}", text(&oauth));
    for says in [
        "Sign in with Zendesk at this address",
        "/oauth/authorizations/new?response_type=code",
        "[ok  ] Zendesk granted access",
        "[ok  ] Token has the scopes the console needs",
        "Connected to d3v-sim.zendesk.com as Ada Admin (admin)",
        "Auth method: OAuth, client handoff_console (browser sign-in)",
        // The one test that signs in on the default redirect port: the URL to register, and the one sent.
        "Redirect URL (it must be one of the OAuth client's redirect URLs in Admin Center): \
         http://127.0.0.1:8751/oauth/callback",
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A8751%2Foauth%2Fcallback",
    ] {
        assert!(
            text(&oauth).contains(says),
            "should say {says:?}:\n{}",
            text(&oauth)
        );
    }
    assert!(
        !text(&oauth).contains("API tokens stop working"),
        "{}",
        text(&oauth)
    );
    let signed_in = stored_secrets(&data_dir).await;
    assert_eq!(signed_in.len(), 2, "the pair is in the keychain");

    let status = handoff(
        &["--data-dir", &data_dir, "status", "--verify", "--json"],
        "",
        &[],
    );
    assert_eq!(
        status.status.code(),
        Some(crate::CONNECTED_NOT_SET_UP),
        "{}",
        text(&status)
    );
    let value: serde_json::Value =
        serde_json::from_slice(&status.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&status)));
    assert_eq!(value["connection"]["auth_method"], "oauth");
    assert_eq!(value["connection"]["state"], "connected");
    assert_eq!(
        value["connection"]["oauth"]["client_id"],
        zendesk_sim::CONSOLE_CLIENT
    );
    assert_eq!(
        value["connection"]["api_token_deadline"],
        serde_json::Value::Null
    );
    assert_eq!(value["verified"], true);

    let relay_args: Vec<&str> = base
        .iter()
        .copied()
        .chain([
            "--client-credentials",
            "--client-id",
            zendesk_sim::RELAY_CLIENT,
            "--client-secret-stdin",
            "--json",
        ])
        .collect();
    let relay = handoff(
        &relay_args,
        &format!("{}\n", crate::oauth::RELAY_SECRET),
        &[],
    );
    assert_eq!(relay.status.code(), Some(0), "{}", text(&relay));
    let report: serde_json::Value =
        serde_json::from_slice(&relay.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&relay)));
    assert_eq!(report["saved"], true);
    assert_eq!(report["connection"]["oauth"]["grant"], "client_credentials");
    assert_eq!(report["checks"].as_array().map(Vec::len), Some(8));

    let mut secrets = signed_in;
    secrets.extend(stored_secrets(&data_dir).await);
    secrets.push(crate::oauth::RELAY_SECRET.to_owned());
    for output in [&oauth, &status, &relay] {
        for secret in &secrets {
            assert!(
                !text(output).contains(secret.as_str()),
                "a secret leaked:\n{}",
                text(output)
            );
        }
    }
    for secret in &secrets {
        assert_no_file_contains(data.path(), secret);
    }
}

/// The process dies at each point of a token refresh (`HANDOFF_FAULT` aborts it there, as `kill -9` would).
/// On restart the product either works with the pair it stored, or says "reconnect required" (exit 6): never
/// a connection that looks fine and fails.
#[tokio::test(flavor = "multi_thread")]
async fn a_crash_at_any_point_of_a_refresh_leaves_a_working_pair_or_the_reconnect_state() {
    use std::os::unix::process::ExitStatusExt;

    // (fault point, whether the stored pair still works after the restart)
    let table = [
        // Marker written, Zendesk not asked yet: the old pair is alive, and renews on the next call.
        ("after_marker", true),
        // Zendesk renewed (and so killed the old pair), the answer died with the process: reconnect.
        ("after_token_response", false),
        // The new pair reached the keychain, SQLite still has the marker and the old expiry: the new pair works.
        ("after_keychain_write", true),
        // Everything stored; the process died after.
        ("after_store_update", true),
    ];
    assert_eq!(
        table.map(|(point, _)| point).as_slice(),
        handoff::oauth::REFRESH_FAULT_POINTS,
        "every fault point is covered"
    );
    for (point, survives) in table {
        let sim = crate::oauth::oauth_simulator().await;
        let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let data_dir = data.path().to_str().unwrap_or_default().to_owned();
        let profile = crate::profile(&data);
        crate::oauth::connected(&sim, &profile, &handoff::clock::Clock::system()).await;
        // Zendesk's clock moves past the token's life; the CLI's does not, so its first call earns a 401 and a
        // refresh.
        sim.sim
            .clock()
            .advance(std::time::Duration::from_secs(1801));

        let fault = format!("refresh:{point}");
        let crashed = handoff(
            &["--data-dir", &data_dir, "status", "--verify"],
            "",
            &[("HANDOFF_FAULT", fault.as_str())],
        );
        assert_eq!(
            crashed.status.signal(),
            Some(6),
            "{point}: aborted at the fault: {}",
            text(&crashed)
        );

        let restarted = handoff(&["--data-dir", &data_dir, "status", "--json"], "", &[]);
        let verified = handoff(&["--data-dir", &data_dir, "status", "--verify"], "", &[]);
        let value: serde_json::Value = serde_json::from_slice(&restarted.stdout)
            .unwrap_or_else(|e| panic!("{point}: {e}: {}", text(&restarted)));
        let connection = &value["connection"];
        assert_eq!(
            connection["refresh_interrupted"], false,
            "{point}: start-up resolved the marker"
        );
        // A surviving point restarts connected with a working pair; the others say "reconnect required" (exit 6).
        let (code, state) = if survives {
            (crate::CONNECTED_NOT_SET_UP, "connected")
        } else {
            (6, "reconnect_required")
        };
        assert_eq!(
            restarted.status.code(),
            Some(code),
            "{point}: {}",
            text(&restarted)
        );
        assert_eq!(connection["state"], state, "{point}");
        assert_eq!(
            verified.status.code(),
            Some(code),
            "{point}: {}",
            text(&verified)
        );
        if survives {
            let tokens = crate::oauth::stored_tokens(&profile)
                .await
                .unwrap_or_else(|| panic!("{point}: pair"));
            assert!(
                crate::oauth::accepted(&sim, &tokens.access_token).await,
                "{point}"
            );
        } else {
            assert!(
                text(&verified).contains("RECONNECT REQUIRED"),
                "{point}: {}",
                text(&verified)
            );
        }
        let secrets = stored_secrets(&data_dir).await;
        for output in [&crashed, &restarted, &verified] {
            for secret in &secrets {
                assert!(
                    !text(output).contains(secret.as_str()),
                    "{point}: a token leaked"
                );
            }
        }
    }
}

/// The CLI is one module per command group, and `main.rs` only parses and dispatches: every group that
/// `handoff --help` lists has its `src/cli/<group>.rs`, and `main.rs` prints nothing and renders nothing itself,
/// so the groups that come next each add one file and one line of dispatch.
#[test]
fn each_command_group_lives_in_its_own_module() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let help = handoff(&["--help"], "", &[]);
    let help = text(&help);
    let groups: Vec<&str> = help
        .split("Commands:")
        .nth(1)
        .unwrap_or_else(|| panic!("no command list in --help:\n{help}"))
        .lines()
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .collect();
    assert!(
        groups.len() >= 3 && groups[..3] == ["connect", "status", "demo"],
        "{help}"
    );
    for group in &groups {
        let module = src
            .join("cli")
            .join(format!("{}.rs", group.replace('-', "_")));
        assert!(
            module.is_file(),
            "`handoff {group}` has no module of its own: {}",
            module.display()
        );
    }
    assert!(
        src.join("cli").join("mod.rs").is_file(),
        "the shared exit codes and output helpers live in src/cli/mod.rs"
    );
    let main = std::fs::read_to_string(src.join("main.rs")).unwrap_or_else(|e| panic!("{e}"));
    for rendering in [
        "println!",
        "eprintln!",
        "print!",
        "json!",
        "fn print_",
        "fn fail",
    ] {
        assert!(
            !main.contains(rendering),
            "main.rs only parses and dispatches, yet it holds `{rendering}`"
        );
    }
}

/// Runs `handoff args` on a pseudo-terminal (util-linux `script`, its slave echoing as a terminal does), waits
/// for `prompt`, types `typed` and returns everything the terminal showed, with the exit code.
pub fn on_a_terminal(args: &[&str], prompt: &str, typed: &str) -> (String, Option<i32>) {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_handoff"))
        .chain(args.iter().copied())
        .map(|arg| format!("'{}'", arg.replace('\'', r"'\''")))
        .collect();
    let mut child = Command::new("script")
        .args(["--quiet", "--return", "--echo", "always", "--command"])
        .arg(quoted.join(" "))
        .arg("/dev/null")
        .env_remove("DISPLAY")
        .env_remove("HANDOFF_SECRET_STORE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run script (util-linux): {e}"));
    let shown = Arc::new(Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let reader = {
        let shown = Arc::clone(&shown);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read @ 1..) = stdout.read(&mut buffer) {
                shown
                    .lock()
                    .unwrap_or_else(|e| panic!("{e}"))
                    .extend_from_slice(&buffer[..read]);
            }
        })
    };
    let now_shown =
        || String::from_utf8_lossy(&shown.lock().unwrap_or_else(|e| panic!("{e}"))).into_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !now_shown().contains(prompt) {
        assert!(
            Instant::now() < deadline,
            "no {prompt:?} prompt:\n{}",
            now_shown()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Typed a moment after the prompt, as a person would: the terminal is set up by then.
    std::thread::sleep(Duration::from_millis(300));
    let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("stdin"));
    // Enter, then Ctrl-D: a reader that waits for the end of input gets it too.
    stdin
        .write_all(format!("{typed}\n\u{4}").as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("handoff hung on the terminal:\n{}", now_shown());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    let _ = reader.join();
    (now_shown(), status.code())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_typed_on_a_terminal_is_not_echoed() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().to_str().unwrap_or_default().to_owned();
    let args = [
        "--data-dir",
        &data_dir,
        "connect",
        "--zendesk-url",
        &sim.base_url,
        "--subdomain",
        "d3v-sim",
        "--email",
        "admin@example.com",
        "--token-stdin",
    ];
    let (shown, code) = on_a_terminal(&args, "API token: ", CANARY_TOKEN);
    assert!(
        !shown.contains(CANARY_TOKEN),
        "the typed token was echoed on the terminal:\n{shown}"
    );
    assert_eq!(code, Some(0), "{shown}");
    assert!(
        shown.contains("Connected to d3v-sim.zendesk.com as Ada Admin"),
        "the token typed on the terminal was read: {shown}"
    );
    assert_no_file_contains(dir.path(), CANARY_TOKEN);
}

/// A value that starts with a hyphen is the flag's value, refused for what it is, not swallowed by the parser
/// as an unknown flag (`--subdomain -rf` would otherwise say "unexpected argument '-r'").
#[tokio::test(flavor = "multi_thread")]
async fn values_that_start_with_a_hyphen_are_taken_as_values_and_judged() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().to_str().unwrap_or_default().to_owned();
    // (flag, value, what the refusal says)
    let table = [
        ("--subdomain", "-rf", "`-rf` starts or ends with a hyphen"),
        ("--default-agent-id", "-5", "`-5` is not a number"),
        ("--email", "-admin", "`-admin` is not an email address"),
        (
            "--zendesk-url",
            "-http://x",
            "`-http://x` is not a usable base URL",
        ),
    ];
    for (flag, value, says) in table {
        let mut args = vec![
            "--data-dir",
            &data_dir,
            "connect",
            "--zendesk-url",
            &sim.base_url,
            "--subdomain",
            "d3v-sim",
            "--email",
            "admin@example.com",
            "--token-stdin",
        ];
        match args.iter().position(|arg| *arg == flag) {
            Some(at) => args[at + 1] = value,
            None => args.extend([flag, value]),
        }
        let output = handoff(&args, &format!("{CANARY_TOKEN}\n"), &[]);
        assert_eq!(
            output.status.code(),
            Some(3),
            "{flag} {value}: {}",
            text(&output)
        );
        assert!(
            text(&output).contains(says),
            "{flag} {value} should say {says:?}:\n{}",
            text(&output)
        );
        assert_no_token(&output);
    }
}

/// A secret no Zendesk account could have issued is refused on this machine, saying why, instead of travelling
/// to Zendesk and coming back as an HTTP 431; standard input is read only up to a bound.
#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_token_on_stdin_is_refused_locally() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data_dir = dir.path().to_str().unwrap_or_default().to_owned();
    let args = [
        "--data-dir",
        &data_dir,
        "connect",
        "--zendesk-url",
        &sim.base_url,
        "--subdomain",
        "d3v-sim",
        "--email",
        "admin@example.com",
        "--token-stdin",
    ];
    // (what is piped in, exit code, what the refusal says)
    let table = [
        (
            "a".repeat(1_000_000),
            3,
            "1000000 bytes long, longer than any Zendesk API token",
        ),
        ("a".repeat(5 << 20), 2, "more than 1 MiB"),
    ];
    for (stdin, code, says) in table {
        let output = handoff(&args, &stdin, &[]);
        let shown = text(&output);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{} bytes: {}",
            stdin.len(),
            &shown[..shown.len().min(2000)]
        );
        assert!(
            shown.contains(says),
            "{} bytes should say {says:?}: {}",
            stdin.len(),
            &shown[..shown.len().min(2000)]
        );
        assert!(!shown.contains("431"), "{shown}");
        assert!(!shown.contains("aaaaaaaaaa"), "the secret is never echoed");
    }
    assert!(
        sim.sim.requests().is_empty(),
        "nothing reached Zendesk: {:?}",
        sim.sim.requests()
    );
}

/// In text mode each check is printed as it starts, and each retry as it begins its wait, so a slow account is
/// never silence. Zendesk's 429s come from the simulator's fault injection (`/_sim/faults`, as a script would
/// set it), and the lines are timed as they arrive from the child process.
#[tokio::test(flavor = "multi_thread")]
async fn text_mode_shows_each_check_as_it_starts_and_each_retry_with_its_wait() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let sim = simulator().await;
    let fault = reqwest::Client::new()
        .post(format!(
            "{}/_sim/faults",
            sim.base_url.trim_end_matches('/')
        ))
        .json(&serde_json::json!({
            "path": "/api/v2/users/me", "kind": "rate_limit", "retry_after": 2, "count": 2,
        }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fault.status().as_u16(), 201);

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_handoff"))
        .args([
            "--data-dir",
            dir.path().to_str().unwrap_or_default(),
            "connect",
        ])
        .args(["--zendesk-url", &sim.base_url, "--subdomain", "d3v-sim"])
        .args(["--email", "admin@example.com", "--token-stdin"])
        .env_remove("DISPLAY")
        .env_remove("HANDOFF_SECRET_STORE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    child
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(format!("{CANARY_TOKEN}\n").as_bytes()))
        .transpose()
        .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    // Each line with when it arrived: a line printed after the wait it announces would arrive too late.
    let lines: Vec<(Duration, String)> = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .map(|line| (started.elapsed(), line))
            .collect()
    })
    .join()
    .unwrap_or_else(|_| panic!("reader"));
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    let shown = lines
        .iter()
        .map(|(_, l)| l.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(status.code(), Some(0), "{shown}");
    let at = |wanted: &str| {
        lines
            .iter()
            .position(|(_, line)| line.contains(wanted))
            .unwrap_or_else(|| panic!("no line says {wanted:?}:\n{shown}"))
    };
    let expected_order = [
        "[....] Subdomain is well formed…",
        "[ok  ] Subdomain is well formed",
        "[....] Subdomain is a Zendesk account…",
        "… Zendesk answered 429 (rate limit), retrying in 2 s (attempt 2 of 4)",
        "… Zendesk answered 429 (rate limit), retrying in 2 s (attempt 3 of 4)",
        "[ok  ] Subdomain is a Zendesk account",
        "[....] Credentials authenticate…",
        "[ok  ] Credentials authenticate",
        "[....] Token stored in the OS keychain…",
        "[ok  ] Token stored in the OS keychain",
    ];
    let positions: Vec<usize> = expected_order.iter().map(|wanted| at(wanted)).collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "the lines come in the order the checks run:\n{shown}"
    );
    let first_retry = lines[at("(attempt 2 of 4)")].0;
    let verdict = lines[at("[ok  ] Subdomain is a Zendesk account")].0;
    assert!(
        verdict - first_retry >= Duration::from_secs(3),
        "each retry is printed as its wait begins ({first_retry:?}), not after ({verdict:?}):\n{shown}"
    );
    assert!(!shown.contains(CANARY_TOKEN));
}
