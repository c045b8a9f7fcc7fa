//! The core's integration tests: whole operations against the simulator on loopback, the real keychain (run
//! under `scripts/with-keyring`) and a real SQLite file.

mod cli;
mod connect;
mod keychain;
mod oauth;

use handoff::keychain::SecretStoreKind;
use handoff::profile::Profile;
use zendesk_sim::{RunningSimulator, SimConfig};

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

pub fn profile(dir: &tempfile::TempDir) -> Profile {
    Profile::open(dir.path(), SecretStoreKind::Keychain)
        .unwrap_or_else(|error| panic!("profile: {error}"))
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
