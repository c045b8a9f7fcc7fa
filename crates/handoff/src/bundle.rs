//! The diagnostics bundle (SPEC §10): one zip an admin sends to whoever helps them, with what troubleshooting
//! needs and no secret.
//!
//! Files: `manifest.json` (product, version, time, the files, what was redacted), `settings.json` (the
//! non-secret settings and the connection without its credentials), `checklist.json`, `doctor.json` (every
//! symptom's findings), `deliveries.json` and `outbound.json` (the newest 200 of each, without bodies or
//! payloads: those are customers' messages), `handoff-jobs.json` (the newest 200, without drafts),
//! `verification.json` (the last run with its steps), and `logs/` (the newest files of the logs folder, their
//! last MiB each).
//!
//! Invariant: nothing leaves unredacted. Every file passes through one [`Redactor`] just before it is zipped,
//! whatever produced it: every keychain entry of the profile (the API token, the OAuth access and refresh
//! tokens, the client secret, the session link key, the URL keys, Zendesk's signing secrets, the outbound
//! signing secret, the LLM key), the tags the URL keys make, and a password in a URL setting are replaced
//! wherever they appear, and by shape, whether or not the keychain
//! knows it, the webhook URL's tag (`/zendesk/{org}/{key}.[redacted]`), sessions API keys (`hk_...`) and
//! "View session" link tags (`?t=`), bearer tokens, passwords in URLs and keys in URL queries (`key=`,
//! `token=`, ...). When the keychain cannot be read, the logs (free text) are left out,
//! since only shapes could be redacted in them. URL settings lose their user info and query.

use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::{json, Value};
use zendesk::SecretString;

use crate::clock::Clock;
use crate::doctor::{self, DoctorError, Report};
use crate::keychain::SecretName;
use crate::profile::Profile;
use crate::relay::url::PATH_PREFIX;
use crate::settings::{SettingKey, Settings};
use crate::setup::checklist::Item;
use crate::store::StoreError;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";
/// Rows of each table the bundle keeps.
pub const RECENT_ROWS: usize = 200;
/// Log files kept, newest first.
const LOG_FILES: usize = 5;
/// The tail of each log file kept.
const LOG_TAIL_BYTES: u64 = 1024 * 1024;
/// A secret out of a JSON keychain entry shorter than this is a field (a scope, a kind), not a credential.
const MIN_EMBEDDED_SECRET: usize = 16;
/// No credential is this short (the product's own are 32 bytes and more; Zendesk's tokens are 40 characters):
/// replacing shorter strings would only mangle the text.
const MIN_SECRET: usize = 6;

/// Why the bundle could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path} is not a folder or a .zip file that can be written: {why}")]
    Path { path: String, why: String },
    #[error("the bundle could not be written to {path}: {why}; pick another place (a folder you can write to)")]
    Write { path: String, why: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the troubleshooting part of the bundle holds.
pub enum Looked<'a> {
    /// The doctor ran: its findings and the checklist it judged with.
    Doctor(&'a Report),
    /// It could not run (not connected, the keychain locked, ...): why, in one line.
    NotLooked(String),
}

/// A written bundle.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    /// The files inside, in order.
    pub files: Vec<String>,
    pub bytes: u64,
}

/// Runs the doctor (when it can) and writes the bundle to `path` (a `.zip` file, or a folder to put
/// `handoff-diagnostics-<time>.zip` in). What the console's "Save diagnostics bundle" and `handoff doctor
/// --bundle` call.
pub async fn export(profile: &Profile, clock: &Clock, path: &Path) -> Result<Written, BundleError> {
    let report = doctor::run(profile, clock, &[]).await;
    let looked = match &report {
        Ok(report) => Looked::Doctor(report),
        Err(DoctorError::NotConnected) => Looked::NotLooked(DoctorError::NotConnected.to_string()),
        Err(error) => Looked::NotLooked(format!("the doctor could not run: {error}")),
    };
    write(profile, looked, path, clock.now()).await
}

/// The console's "Save diagnostics bundle": [`export`] into the profile's `diagnostics` folder (made when
/// missing), so no path comes from the window; the admin opens that folder to send the file.
pub async fn save(profile: &Profile, clock: &Clock) -> Result<Written, BundleError> {
    let folder = crate::profile::Folder::Diagnostics.path(profile);
    std::fs::create_dir_all(&folder).map_err(|error| BundleError::Write {
        path: folder.display().to_string(),
        why: error.to_string(),
    })?;
    export(profile, clock, &folder).await
}

/// Writes the bundle from what `looked` found and the data folder, redacting every file.
pub async fn write(
    profile: &Profile,
    looked: Looked<'_>,
    path: &Path,
    now: Timestamp,
) -> Result<Written, BundleError> {
    let target = target_path(path, now)?;
    let (redactor, keychain_note) = Redactor::for_profile(profile).await;
    let mut notes: Vec<String> = keychain_note.into_iter().collect();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let pretty = |value: &Value| serde_json::to_vec_pretty(value).unwrap_or_default();

    files.push(("settings.json".to_owned(), pretty(&settings_json(profile)?)));
    match &looked {
        Looked::Doctor(report) => {
            files.push((
                "checklist.json".to_owned(),
                pretty(&json!({
                    "refreshed_at": report.checklist.refreshed_at.to_string(),
                    "zendesk_requests": report.checklist.zendesk_requests,
                    "items": report.checklist.items.iter().map(Item::json).collect::<Vec<_>>(),
                })),
            ));
            files.push((
                "doctor.json".to_owned(),
                pretty(&doctor::report_json(report)),
            ));
        }
        Looked::NotLooked(why) => {
            notes.push(format!("no checklist or findings: {why}"));
            let absent = json!({ "looked": false, "why": why });
            files.push(("checklist.json".to_owned(), pretty(&absent)));
            files.push(("doctor.json".to_owned(), pretty(&absent)));
        }
    }
    let store = profile.store().clone();
    let (deliveries, outbound, jobs, verification, steps) = store
        .call(|store| {
            Ok((
                store.recent_deliveries(0, RECENT_ROWS)?,
                store.outbound_messages(RECENT_ROWS)?,
                store.recent_jobs(RECENT_ROWS)?,
                store.last_verification()?,
                store.last_verification_steps()?,
            ))
        })
        .await?;
    files.push((
        "deliveries.json".to_owned(),
        pretty(&Value::Array(
            deliveries
                .iter()
                .rev()
                .map(|d| {
                    json!({
                        "id": d.id,
                        "invocation_id": d.invocation_id,
                        "received_at": d.received_at,
                        "verdict": d.verdict,
                        "reason": d.reason,
                        "signed": d.signed,
                        "ticket_id": d.ticket_id,
                        "state": d.state,
                        "outcome": d.outcome,
                        "duplicates": d.duplicates,
                        "attempts": d.attempts,
                        "body_bytes": d.body.len(),
                    })
                })
                .collect(),
        )),
    ));
    files.push((
        "outbound.json".to_owned(),
        pretty(&Value::Array(
            outbound
                .iter()
                .map(|o| {
                    json!({
                        "id": o.id,
                        "comment_id": o.comment_id,
                        "session_id": o.session_id,
                        "state": o.state,
                        "attempts": o.attempts,
                        "last_error": o.last_error,
                        "created_at": o.created_at,
                        "delivered_at": o.delivered_at,
                    })
                })
                .collect(),
        )),
    ));
    files.push((
        "handoff-jobs.json".to_owned(),
        pretty(&Value::Array(
            jobs.iter()
                .map(|j| {
                    json!({
                        "id": j.id,
                        "session_id": j.session_id,
                        "kind": j.kind,
                        "request_id": j.request_id,
                        "state": j.state,
                        "attempts": j.attempts,
                        "reason": j.reason,
                        "ticket_id": j.ticket_id,
                        "created": j.created,
                        "requested_at": j.requested_at,
                        "finished_at": j.finished_at,
                    })
                })
                .collect(),
        )),
    ));
    files.push((
        "verification.json".to_owned(),
        pretty(&json!({
            "last": verification.map(|v| json!({
                "started_at": v.started_at,
                "finished_at": v.finished_at,
                "passed": v.passed,
                "failed_step": v.failed_step,
                "detail": v.detail,
            })),
            "steps": steps.and_then(|text| serde_json::from_str::<Value>(&text).ok()),
        })),
    ));
    if redactor.complete {
        let logs = recent_logs(&profile.logs_dir());
        if logs.is_empty() {
            notes.push("the logs folder holds no log file".to_owned());
        }
        files.extend(logs);
    } else {
        notes.push(
            "the logs are left out: the keychain could not be read, so the secrets in them could not be known"
                .to_owned(),
        );
    }
    let mut names: Vec<String> = vec!["manifest.json".to_owned()];
    names.extend(files.iter().map(|(name, _)| name.clone()));
    let manifest = json!({
        "product": "Zendesk Handoff Console",
        "version": env!("CARGO_PKG_VERSION"),
        "created_at": now.to_string(),
        "install_id": profile.install_id(),
        "files": names,
        "redacted": {
            "keychain_entries": SecretName::ALL.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            "by_shape": ["the webhook URL's tag", "sessions API keys (hk_...)", "View session link tags (?t=)",
                         "bearer tokens", "passwords in URLs", "keys in URL queries (key=, token=, secret=, ...)",
                         "user info and query of URL settings"],
            "replaced_by": REDACTED,
        },
        "left_out": ["delivery bodies", "outbound payloads", "ticket drafts", "session transcripts"],
        "notes": notes,
    });
    files.insert(0, ("manifest.json".to_owned(), pretty(&manifest)));
    let files: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|(name, bytes)| {
            let text = String::from_utf8_lossy(&bytes);
            (name, redactor.redact(&text).into_bytes())
        })
        .collect();
    let written_to = target.clone();
    tokio::task::spawn_blocking(move || zip_files(&written_to, &files))
        .await
        .map_err(|error| BundleError::Write {
            path: target.display().to_string(),
            why: error.to_string(),
        })??;
    let bytes = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
    Ok(Written {
        path: target,
        files: names,
        bytes,
    })
}

/// Where the zip goes: `path` itself when it names a file, a timestamped name inside it when it is a folder.
fn target_path(path: &Path, now: Timestamp) -> Result<PathBuf, BundleError> {
    if path.is_dir() {
        let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
        return Ok(path.join(format!("handoff-diagnostics-{stamp}.zip")));
    }
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() && !parent.is_dir() => {
            Err(BundleError::Path {
                path: path.display().to_string(),
                why: format!("the folder {} does not exist", parent.display()),
            })
        }
        _ => Ok(path.to_owned()),
    }
}

/// Writes the files into a zip next to `path`, then moves it into place, so a failure leaves no half bundle.
fn zip_files(path: &Path, files: &[(String, Vec<u8>)]) -> Result<(), BundleError> {
    let failed = |why: String| BundleError::Write {
        path: path.display().to_string(),
        why,
    };
    let partial = path.with_extension("zip.partial");
    let file = std::fs::File::create(&partial).map_err(|e| failed(e.to_string()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options)
            .map_err(|e| failed(e.to_string()))?;
        zip.write_all(bytes).map_err(|e| failed(e.to_string()))?;
    }
    let file = zip.finish().map_err(|e| failed(e.to_string()))?;
    file.sync_all().map_err(|e| failed(e.to_string()))?;
    drop(file);
    std::fs::rename(&partial, path).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        failed(e.to_string())
    })
}

/// The settings as the admin set them, and the connection without its credentials.
fn settings_json(profile: &Profile) -> Result<Value, StoreError> {
    let settings = Settings::new(profile.store().clone());
    let mut values = serde_json::Map::new();
    for key in SettingKey::ALL {
        let value = match settings.get(*key) {
            Ok(value) => json!(shown_setting(*key, &value)),
            Err(error) => json!({ "unreadable": error.to_string() }),
        };
        values.insert(key.as_str().to_owned(), value);
    }
    let connection = profile.connection()?.map(|c| {
        json!({
            "subdomain": c.subdomain.as_str(),
            "base_url": c.base_url.as_str(),
            "auth_method": c.auth_method.as_str(),
            "user": { "id": c.user.id, "name": c.user.name, "role": c.user.role },
            "default_agent": c.default_agent.as_ref().map(|a| json!({"id": a.id, "name": a.name})),
            "demo": c.demo,
            "connected_at": c.connected_at.to_string(),
            "oauth": c.oauth.as_ref().map(|o| json!({
                "client_id": o.client_id,
                "grant": o.grant.as_str(),
                "scopes": o.scopes,
                "token_expires_at": o.token_expires_at.map(|t| t.to_string()),
                "refresh_expires_at": o.refresh_expires_at.map(|t| t.to_string()),
            })),
            "reconnect_required": c.reconnect_required,
            "refresh_interrupted": c.refresh_interrupted,
        })
    });
    Ok(json!({
        "settings": values,
        "connection": connection,
        "data_folder": profile.data_dir().display().to_string(),
        "secret_store": match profile.secret_store() {
            crate::keychain::SecretStoreKind::Keychain => "keychain",
            crate::keychain::SecretStoreKind::Keyutils => "keyutils",
        },
    }))
}

/// A setting's value as shown: URLs without user info or query (where a key could hide).
fn shown_setting(key: SettingKey, value: &str) -> String {
    match key {
        SettingKey::PublicUrl | SettingKey::OutboundUrl | SettingKey::LlmUrl => {
            match url::Url::parse(value) {
                Ok(mut url) => {
                    let hidden = !url.username().is_empty() || url.password().is_some();
                    let _ = url.set_username("");
                    let _ = url.set_password(None);
                    let query = url.query().is_some();
                    url.set_query(None);
                    let mut shown = url.to_string();
                    if hidden || query {
                        shown.push_str(&format!(" (user info and query {REDACTED})"));
                    }
                    shown
                }
                Err(_) => value.to_owned(),
            }
        }
        _ => value.to_owned(),
    }
}

/// The newest log files, their last [`LOG_TAIL_BYTES`] each, as `logs/<name>`.
fn recent_logs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter_map(|entry| {
            let metadata = entry.metadata().ok()?;
            metadata.is_file().then(|| {
                (
                    metadata.modified().unwrap_or(std::time::UNIX_EPOCH),
                    entry.path(),
                )
            })
        })
        .collect();
    files.sort_by_key(|file| std::cmp::Reverse(file.0));
    files
        .into_iter()
        .take(LOG_FILES)
        .filter_map(|(_, path)| {
            let name = path.file_name()?.to_string_lossy().into_owned();
            let mut file = std::fs::File::open(&path).ok()?;
            let length = file.metadata().ok()?.len();
            if length > LOG_TAIL_BYTES {
                file.seek(SeekFrom::Start(length - LOG_TAIL_BYTES)).ok()?;
            }
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).ok()?;
            Some((format!("logs/{name}"), bytes))
        })
        .collect()
}

/// Replaces secrets in text: every keychain entry of the profile by value, and secret-bearing shapes.
pub struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    secrets: Vec<String>,
    /// Every keychain entry could be read.
    complete: bool,
}

impl Redactor {
    /// The redactor for `profile`'s keychain entries; with a note when the keychain could not be read.
    pub async fn for_profile(profile: &Profile) -> (Redactor, Option<String>) {
        let keychain = match profile.keychain() {
            Ok(keychain) => keychain,
            Err(error) => {
                return (
                    Redactor::new(Vec::new(), false),
                    Some(format!("the keychain could not be opened: {error}")),
                )
            }
        };
        let mut secrets = Vec::new();
        let mut failures = Vec::new();
        for name in SecretName::ALL {
            match keychain.get(name).await {
                Ok(Some(secret)) if name == SecretName::UrlKeys => {
                    secrets.extend(url_tags(&secret, profile.install_id()));
                    secrets.extend(secrets_of(&secret));
                }
                Ok(Some(secret)) => secrets.extend(secrets_of(&secret)),
                Ok(None) => {}
                Err(error) => failures.push(format!("{}: {error}", name.as_str())),
            }
        }
        // A password in a URL setting (an outbound endpoint behind basic auth) is a credential too.
        let settings = Settings::new(profile.store().clone());
        for key in [
            SettingKey::PublicUrl,
            SettingKey::OutboundUrl,
            SettingKey::LlmUrl,
        ] {
            if let Some(password) = settings
                .get(key)
                .ok()
                .and_then(|value| url::Url::parse(&value).ok())
                .and_then(|url| url.password().map(str::to_owned))
            {
                secrets.push(password);
            }
        }
        let complete = failures.is_empty();
        let note = (!complete).then(|| {
            format!(
                "some keychain entries could not be read ({})",
                failures.join("; ")
            )
        });
        (Redactor::new(secrets, complete), note)
    }

    /// A redactor for these secrets (`complete`: they are all the secrets there are).
    pub fn new(mut secrets: Vec<String>, complete: bool) -> Redactor {
        secrets.retain(|s| s.trim().len() >= MIN_SECRET);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets, complete }
    }

    /// `text` with every known secret and every secret-bearing shape replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        let mut out = redact_webhook_tags(&redact_url_passwords(&out));
        for marker in SHAPES {
            out = redact_after(&out, marker);
        }
        out
    }
}

/// The tags the URL keys make (`{key id: secret}`): each authenticates a webhook URL, wherever it is written.
fn url_tags(entry: &SecretString, org_id: &str) -> Vec<String> {
    let Ok(keys) =
        serde_json::from_str::<std::collections::BTreeMap<String, String>>(entry.expose_secret())
    else {
        return Vec::new();
    };
    keys.into_iter()
        .map(|(id, secret)| {
            crate::relay::url::UrlKey {
                id,
                secret: SecretString::from(secret),
                retired_at: None,
            }
            .tag(org_id)
        })
        .collect()
}

/// The secret strings of a keychain entry: the whole value, and for a JSON entry (the OAuth pair, the URL
/// keys, the signing secrets) each string in it long enough to be a credential (timestamps are not).
fn secrets_of(secret: &SecretString) -> Vec<String> {
    let raw = secret.expose_secret();
    let mut found = vec![raw.to_owned()];
    if let Ok(value) = serde_json::from_str::<Value>(raw) {
        let mut pending = vec![&value];
        while let Some(value) = pending.pop() {
            match value {
                Value::String(text)
                    if text.len() >= MIN_EMBEDDED_SECRET && text.parse::<Timestamp>().is_err() =>
                {
                    found.push(text.clone())
                }
                Value::Array(list) => pending.extend(list),
                Value::Object(map) => pending.extend(map.values()),
                _ => {}
            }
        }
    }
    found
}

/// What a secret follows when it is written in a shape: a sessions API key, a "View session" link's tag, a
/// bearer token, and the query parameters URLs carry keys in.
const SHAPES: [&str; 12] = [
    crate::api::KEY_PREFIX,
    "?t=",
    "&t=",
    "Bearer ",
    "bearer ",
    "?key=",
    "&key=",
    "token=",
    "secret=",
    "api_key=",
    "password=",
    "code=",
];

/// A base64url (or redacted-form `…`) character: what a tag or key is made of.
fn tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '…')
}

/// `/zendesk/{org}/{key}.{tag}` becomes `/zendesk/{org}/{key}.[redacted]`: the tag authenticates the URL.
fn redact_webhook_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(PATH_PREFIX) {
        let after = at + PATH_PREFIX.len();
        out.push_str(&rest[..after]);
        rest = &rest[after..];
        let org_len = rest.find(|c: char| !tag_char(c)).unwrap_or(rest.len());
        let key_start = org_len + 1;
        if rest[org_len..].starts_with('/') {
            let key_part = &rest[key_start..];
            let id_len = key_part
                .find(|c: char| !tag_char(c))
                .unwrap_or(key_part.len());
            if key_part[id_len..].starts_with('.') {
                let tag = &key_part[id_len + 1..];
                let tag_len = tag.find(|c: char| !tag_char(c)).unwrap_or(tag.len());
                out.push_str(&rest[..key_start + id_len + 1]);
                if tag_len > 0 {
                    out.push_str(REDACTED);
                }
                rest = &tag[tag_len..];
                continue;
            }
        }
        out.push_str(&rest[..org_len]);
        rest = &rest[org_len..];
    }
    out.push_str(rest);
    out
}

/// `scheme://user:password@host` becomes `scheme://user:[redacted]@host`: a URL's user info is a credential.
fn redact_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let after = at + 3;
        out.push_str(&rest[..after]);
        rest = &rest[after..];
        // The authority ends at the path, the query or anything a URL cannot hold unescaped.
        let authority_len = rest
            .find(|c: char| {
                matches!(c, '/' | '?' | '#')
                    || c.is_whitespace()
                    || matches!(c, '"' | '\'' | '<' | '>' | ')')
            })
            .unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        match authority.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, password)) if !password.is_empty() && password != REDACTED => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(REDACTED);
                    out.push('@');
                    out.push_str(host);
                }
                _ => out.push_str(authority),
            },
            None => out.push_str(authority),
        }
        rest = &rest[authority_len..];
    }
    out.push_str(rest);
    out
}

/// Whatever base64url run follows `marker` becomes [`REDACTED`] (the marker stays, so the shape is readable).
fn redact_after(text: &str, marker: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let after = at + marker.len();
        out.push_str(&rest[..after]);
        rest = &rest[after..];
        let run = rest.find(|c: char| !tag_char(c)).unwrap_or(rest.len());
        if run > 0 {
            out.push_str(REDACTED);
        }
        rest = &rest[run..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_secret_shapes_are_redacted() {
        let redactor = Redactor::new(vec!["s3cretTokenValue42".to_owned(), "ab".to_owned()], true);
        // "ab" is too short to be a credential: text is not mangled by it.
        let tag = "Zq3Jt0mG8hV2uXc7bN1pRk5sLw9yDf4eHa6QiTo0PAw";
        // (text, expected)
        let table = [
            ("token s3cretTokenValue42 leaked", "token [redacted] leaked"),
            (
                "POST https://relay.example.com/zendesk/01JDX5W0000000000000000000/k1.Zq3Jt0mG8hV2uXc7bN1pRk5sLw9yDf4eHa6QiTo0PAw then",
                "POST https://relay.example.com/zendesk/01JDX5W0000000000000000000/k1.[redacted] then",
            ),
            (
                "points at http://127.0.0.1:8750/zendesk/01JDX/k2.…0PAw\"",
                "points at http://127.0.0.1:8750/zendesk/01JDX/k2.[redacted]\"",
            ),
            ("key hk_AbCdEf0123456789_-xyz ok", "key hk_[redacted] ok"),
            ("Authorization: Bearer abc123def456", "Authorization: Bearer [redacted]"),
            (
                "url (http://bot:pa55w0rd@127.0.0.1:9/hook)",
                "url (http://bot:[redacted]@127.0.0.1:9/hook)",
            ),
            (
                "error sending request for url (http://127.0.0.1:9/hook?key=k3yK3y&x=1)",
                "error sending request for url (http://127.0.0.1:9/hook?key=[redacted]&x=1)",
            ),
            (
                "https://relay.example.com/sessions/3f1c?t=Xy_z-09 and /x?a=1&t=abc",
                "https://relay.example.com/sessions/3f1c?t=[redacted] and /x?a=1&t=[redacted]",
            ),
            ("/zendesk/ alone, /zendesk/org only", "/zendesk/ alone, /zendesk/org only"),
            ("a short ab stays", "a short ab stays"),
        ];
        for (text, expected) in table {
            assert_eq!(redactor.redact(text), expected, "{text}");
            assert_eq!(
                redactor.redact(expected),
                expected,
                "redacting twice changes nothing"
            );
        }
        assert!(!redactor
            .redact(&format!("/zendesk/o/k1.{tag}"))
            .contains(tag));
    }

    #[test]
    fn json_entries_give_their_credentials_not_their_times() {
        let entry = SecretString::from(
            json!({
                "access_token": "access-0123456789abcdef",
                "refresh_token": "refresh-0123456789abcdef",
                "expires_at": "2026-12-03T10:00:00Z",
                "scope": "read write",
            })
            .to_string(),
        );
        let found = secrets_of(&entry);
        assert!(found.contains(&"access-0123456789abcdef".to_owned()));
        assert!(found.contains(&"refresh-0123456789abcdef".to_owned()));
        assert!(!found.contains(&"2026-12-03T10:00:00Z".to_owned()));
        assert!(!found.contains(&"read write".to_owned()));
    }

    #[test]
    fn url_settings_lose_user_info_and_query() {
        let shown = shown_setting(
            SettingKey::OutboundUrl,
            "https://bot:pass@platform.example.com/hook?key=k3y",
        );
        assert!(
            shown.starts_with("https://platform.example.com/hook"),
            "{shown}"
        );
        assert!(!shown.contains("pass") && !shown.contains("k3y"), "{shown}");
        assert_eq!(shown_setting(SettingKey::TagPrefix, "opencx"), "opencx");
    }
}
