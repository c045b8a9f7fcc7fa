//! The core's integration tests: whole operations against the simulator on loopback, the real keychain (run
//! under `scripts/with-keyring`) and a real SQLite file.

mod api;
mod assist;
mod background;
mod bundle;
mod canary;
mod checklist;
mod cli;
mod connect;
mod console;
mod crash;
mod doctor;
mod fields;
mod handoffs;
mod host;
mod keychain;
mod messages;
mod oauth;
mod refresh;
mod relay;
mod relay_crash;
mod rotate;
mod save;
mod session_cli;
mod sessions;
mod setup;
mod verify;

use handoff::keychain::SecretStoreKind;
use handoff::profile::Profile;
use zendesk_sim::{RunningSimulator, SimConfig};

/// `handoff status` of a connected profile nobody ran `handoff setup` on: the checklist fails (no webhook,
/// no trigger), so the exit code is 12, not 0.
pub const CONNECTED_NOT_SET_UP: i32 = 12;

/// A token no test types by accident: it is grepped for in every file and output the tests produce.
pub const CANARY_TOKEN: &str = "canaryTok3nZ9qPvX4mWb7sLc2dRf8hJk5nYt1gUe";

pub async fn simulator() -> RunningSimulator {
    let config = SimConfig {
        admin_token: Some(CANARY_TOKEN.to_owned()),
        ..SimConfig::default()
    };
    zendesk_sim::spawn(config)
        .await
        .unwrap_or_else(|error| panic!("simulator did not start: {error}"))
}

/// A secret of the profile's saved connection, as the keychain holds it.
pub async fn stored_secret(
    profile: &Profile,
    name: handoff::keychain::SecretName,
) -> Option<zendesk::SecretString> {
    profile
        .keychain()
        .unwrap_or_else(|e| panic!("keychain: {e}"))
        .get(name)
        .await
        .unwrap_or_else(|e| panic!("keychain: {e}"))
}

/// Lets the browser sign-ins of a profile listen on any free port: tests sign in side by side, and the fixed
/// default port (`oauth-redirect-port`) is the one test's that checks it. A port already set is kept.
pub fn any_redirect_port(profile: &Profile) {
    let key = handoff::settings::SettingKey::OAuthRedirectPort;
    let unset = profile
        .store()
        .setting(key.as_str())
        .unwrap_or_else(|e| panic!("{e}"))
        .is_none();
    if unset {
        handoff::settings::Settings::new(profile.store().clone())
            .set(key, "0")
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

pub fn profile(dir: &tempfile::TempDir) -> Profile {
    Profile::open(dir.path(), SecretStoreKind::Keychain)
        .unwrap_or_else(|error| panic!("profile: {error}"))
}

/// Runs `program args` with `stdin`, without a display (so no keychain prompt can open) and without an inherited
/// store choice, and kills it after 60 s: a command that hangs is a failure, not a stuck suite.
pub fn run(
    program: &str,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("DISPLAY")
        .env_remove("HANDOFF_SECRET_STORE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    if let Some(mut input) = child.stdin.take() {
        // A program may stop reading early (it bounds what it reads): that is its answer, not a test failure.
        if let Err(error) = input.write_all(stdin.as_bytes()) {
            assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{program} {args:?} hung for 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

/// The `handoff` binary under test, run as [`run`] runs programs.
pub fn handoff(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> std::process::Output {
    run(env!("CARGO_BIN_EXE_handoff"), args, stdin, env)
}

/// Standard output and standard error, as a person would read them.
pub fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Every file under `dir`, read as bytes, must not contain `secret`.
pub fn assert_no_file_contains(dir: &std::path::Path, secret: &str) {
    let mut pending = vec![dir.to_owned()];
    let mut files = 0;
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in
                std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            {
                pending.push(entry.unwrap_or_else(|e| panic!("{e}")).path());
            }
        } else {
            files += 1;
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let found = bytes
                .windows(secret.len())
                .any(|window| window == secret.as_bytes());
            assert!(!found, "{} contains the secret", path.display());
        }
    }
    assert!(files > 0, "{} should hold files to search", dir.display());
}
