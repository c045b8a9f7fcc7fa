//! The diagnostics bundle (SPEC §10): a connection with known secrets (OAuth tokens, a client secret, the URL
//! key, Zendesk's signing secret, the outbound signing secret, the LLM key, a password in the outbound URL, a
//! sessions API key), real traffic (a handoff, a rep's reply delivered to the relay, its outbound attempts), a
//! log file that leaked them all; the bundle is written, unzipped, and no file holds any secret or the webhook
//! URL's tag, while every expected file is there with its records.

use std::io::Read as _;
use std::time::Duration;

use handoff::bundle;
use handoff::keychain::SecretName;
use handoff::relay::keys::RelaySecrets;
use handoff::session::{
    Channel, HandoffRequest, Mode, NewContact, NewSession, NewTurn, Role, Sessions,
};
use handoff::settings::{SettingKey, Settings};
use handoff::setup::Scope;
use handoff::SecretString;
use serde_json::{json, Value};

use crate::oauth::{connected, oauth_simulator, sim_clock, RELAY_SECRET};
use crate::setup::{dead_url, start_relay, SetupRig};

const LLM_KEY: &str = "sk-canaryLlmKey7Rt2Wq9Zx4Vb1Nm8Lp";
const CLIENT_SECRET: &str = "canaryClientSecr3tHy6Uj1Ik8Ol3Pz";
const URL_PASSWORD: &str = "canaryUrlPassw0rd5Gb2Nh7";

/// Every file of the zip, by name.
fn unzip(path: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut archive = zip::ZipArchive::new(file).unwrap_or_else(|e| panic!("{e}"));
    (0..archive.len())
        .map(|index| {
            let mut entry = archive.by_index(index).unwrap_or_else(|e| panic!("{e}"));
            let mut bytes = Vec::new();
            entry
                .read_to_end(&mut bytes)
                .unwrap_or_else(|e| panic!("{e}"));
            let name = entry.name().unwrap_or_else(|e| panic!("{e}")).into_owned();
            (name, bytes)
        })
        .collect()
}

fn json_file(files: &[(String, Vec<u8>)], name: &str) -> Value {
    let (_, bytes) = files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} is in the bundle"));
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bundle_holds_what_troubleshooting_needs_and_no_secret() {
    let sim = oauth_simulator().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = crate::profile(&dir);
    let clock = sim_clock(&sim);
    let tokens = connected(&sim, &profile, &clock).await;
    let admin = handoff::account::open(&profile, &clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("connected"))
        .client;
    let rig = SetupRig {
        sim,
        _dir: dir,
        profile,
        clock,
        admin,
    };
    let _relay = start_relay(&rig).await;
    rig.setup(Scope::All, false).await;

    // The other secrets the product keeps, known to the test.
    let keychain = rig.profile.keychain().unwrap_or_else(|e| panic!("{e}"));
    keychain
        .put(SecretName::LlmApiKey, &SecretString::from(LLM_KEY))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    keychain
        .put(
            SecretName::OAuthClientSecret,
            &SecretString::from(CLIENT_SECRET),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let relay_secrets = RelaySecrets::new(
        keychain.clone(),
        rig.profile.store().clone(),
        rig.clock.clone(),
    );
    let outbound_secret = relay_secrets
        .outbound_secret()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url_key = relay_secrets
        .current_url_key()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let webhook_url = rig
        .target()
        .await
        .url
        .unwrap_or_else(|| panic!("a webhook URL"));
    let tag = url_key.tag(rig.profile.install_id());
    assert!(webhook_url.ends_with(&tag));
    let signing_secret = rig
        .local_secret()
        .await
        .unwrap_or_else(|| panic!("fetched by setup"));
    let link_key = crate::stored_secret(&rig.profile, SecretName::SessionLinkKey).await;
    // Replies go to a platform endpoint that is down, with a password in its URL: attempts fail and are kept.
    let dead = dead_url().await;
    let outbound_url = format!(
        "http://platform:{URL_PASSWORD}@{}/hook",
        dead.trim_start_matches("http://")
    );
    Settings::new(rig.profile.store().clone())
        .set(SettingKey::OutboundUrl, &outbound_url)
        .unwrap_or_else(|e| panic!("{e}"));

    // Traffic: a handoff becomes a ticket, a rep replies publicly, Zendesk delivers to the relay, the reply
    // worker records it and tries the platform.
    let sessions = Sessions::new(rig.profile.store().clone(), rig.clock.clone());
    let session = sessions
        .create(NewSession {
            contact: NewContact {
                name: Some("Bundle Contact".to_owned()),
                email: Some("bundle@example.com".to_owned()),
                ..NewContact::default()
            },
            channel: Channel::Web,
            mode: Mode::Handoff,
            turns: vec![NewTurn {
                role: Role::Customer,
                text: "Where is my parcel?".to_owned(),
                at: None,
            }],
            summary: None,
            sentiment: None,
            language: None,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    sessions
        .request_handoff(
            session.id,
            HandoffRequest {
                request_id: "r1".to_owned(),
                summary: None,
                sentiment: None,
                language: None,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let ticket = sessions
        .wait_for_ticket(session.id, Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .ticket_id
        .unwrap_or_else(|| panic!("the handoff made a ticket"));
    reqwest::Client::new()
        .post(format!(
            "{}/_sim/tickets/{ticket}/comments",
            rig.sim.base_url
        ))
        .json(&json!({"author": "agent@example.com", "body": "It ships today.", "public": true}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .error_for_status()
        .unwrap_or_else(|e| panic!("{e}"));
    rig.sim.sim.settle(Duration::from_secs(10)).await;
    let mut attempted = false;
    for _ in 0..200 {
        let outbound = rig
            .profile
            .store()
            .outbound_messages(5)
            .unwrap_or_else(|e| panic!("{e}"));
        if outbound.iter().any(|o| o.attempts > 0) {
            attempted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        attempted,
        "the reply reached the outbound queue and was tried"
    );

    // A log that leaked every secret the profile holds (a line no code of the product writes, but a bundle
    // must survive it); the bundle is then searched for those and for every secret the account handed out.
    let oauth_pair = crate::stored_secret(&rig.profile, SecretName::OAuthTokens)
        .await
        .unwrap_or_else(|| panic!("the OAuth pair"));
    let mut held: Vec<String> = vec![
        tokens.access_token.expose_secret().to_owned(),
        tokens
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned())
            .unwrap_or_else(|| panic!("a refresh token")),
        oauth_pair.expose_secret().to_owned(),
        CLIENT_SECRET.to_owned(),
        LLM_KEY.to_owned(),
        outbound_secret.expose_secret().to_owned(),
        url_key.secret.expose_secret().to_owned(),
        signing_secret,
        tag.clone(),
        URL_PASSWORD.to_owned(),
    ];
    held.extend(link_key.map(|k| k.expose_secret().to_owned()));
    // A sessions API key: only its hash is stored, so the bundle knows it by its shape alone.
    let api_key = handoff::api::ApiKeys::new(rig.profile.store().clone(), rig.clock.clone())
        .create("the AI platform")
        .unwrap_or_else(|e| panic!("{e}"));
    held.push(api_key.key.expose_secret().to_owned());
    let logs = rig.profile.logs_dir();
    std::fs::create_dir_all(&logs).unwrap_or_else(|e| panic!("{e}"));
    let leaked: Vec<String> = held
        .iter()
        .map(|s| format!("2026-12-03T10:00:00Z WARN leaked {s} while posting to {webhook_url} and {outbound_url}"))
        .collect();
    std::fs::write(logs.join("handoff.2026-12-03.log"), leaked.join("\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut secrets = held;
    secrets.extend([RELAY_SECRET.to_owned(), crate::CANARY_TOKEN.to_owned()]);
    secrets.extend(rig.sim.sim.secrets());

    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let written = bundle::export(&rig.profile, &rig.clock, out.path())
        .await
        .unwrap_or_else(|e| panic!("bundle: {e}"));
    assert!(
        written.path.starts_with(out.path()),
        "a folder gets a named zip inside it"
    );
    assert!(
        written
            .path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("handoff-diagnostics-")),
        "{}",
        written.path.display()
    );
    let files = unzip(&written.path);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "manifest.json",
        "settings.json",
        "checklist.json",
        "doctor.json",
        "deliveries.json",
        "outbound.json",
        "handoff-jobs.json",
        "verification.json",
        "logs/handoff.2026-12-03.log",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert_eq!(names, written.files, "the manifest's list is the zip's");

    // No file holds a secret, the URL's tag, or the password in the outbound URL.
    for (name, bytes) in &files {
        for (index, secret) in secrets.iter().enumerate().filter(|(_, s)| s.len() >= 6) {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(
                !found,
                "{name} holds secret #{index} of the list ({} characters)",
                secret.len()
            );
        }
    }
    let log = String::from_utf8_lossy(
        &files
            .iter()
            .find(|(n, _)| n.starts_with("logs/"))
            .map(|(_, b)| b.clone())
            .unwrap_or_default(),
    )
    .into_owned();
    assert!(
        log.contains("leaked [redacted]"),
        "the log is there, redacted: {log}"
    );
    assert!(
        log.contains("/zendesk/") && log.contains(".[redacted]"),
        "{log}"
    );

    // The records are there.
    let manifest = json_file(&files, "manifest.json");
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"));
    assert!(manifest["created_at"].is_string());
    let deliveries = json_file(&files, "deliveries.json");
    assert!(
        deliveries.as_array().is_some_and(|d| d
            .iter()
            .any(|d| d["ticket_id"] == ticket && d["verdict"] == "accepted")),
        "{deliveries}"
    );
    let jobs = json_file(&files, "handoff-jobs.json");
    assert!(
        jobs.as_array().is_some_and(|j| j
            .iter()
            .any(|j| j["ticket_id"] == ticket && j["state"] == "done")),
        "{jobs}"
    );
    let outbound = json_file(&files, "outbound.json");
    assert!(
        outbound
            .as_array()
            .is_some_and(|o| o.iter().any(|o| o["attempts"].as_i64() > Some(0))),
        "{outbound}"
    );
    let doctor = json_file(&files, "doctor.json");
    assert_eq!(
        doctor["findings"].as_array().map(Vec::len),
        Some(handoff::doctor::Symptom::ALL.len())
    );
    let checklist = json_file(&files, "checklist.json");
    assert!(checklist["items"].as_array().is_some_and(|i| !i.is_empty()));
    let settings = json_file(&files, "settings.json");
    assert_eq!(settings["connection"]["auth_method"], "oauth");
    assert!(
        settings["settings"]["outbound-url"]
            .as_str()
            .is_some_and(|u| u.contains("[redacted]")),
        "{settings}"
    );

    // The CLI writes the same bundle beside the findings.
    let target = out.path().join("from-cli.zip");
    let data_dir = rig._dir.path().to_str().unwrap_or_default().to_owned();
    let cli = crate::handoff(
        &[
            "--data-dir",
            &data_dir,
            "doctor",
            "--json",
            "--bundle",
            target.to_str().unwrap_or_default(),
        ],
        "",
        &[],
    );
    assert!(
        matches!(cli.status.code(), Some(0 | 15)),
        "{}",
        crate::text(&cli)
    );
    let value: Value = serde_json::from_slice(&cli.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", crate::text(&cli)));
    assert_eq!(value["bundle"]["path"], target.display().to_string());
    assert!(value["findings"].is_array());
    for (name, bytes) in unzip(&target) {
        for secret in secrets.iter().filter(|s| s.len() >= 6) {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{name} (CLI) holds a secret"
            );
        }
    }
}
