//! The signed webhook URL (SPEC §4): `{public_url}/zendesk/{org_id}/{key_id}.{tag}`, where
//! `tag = base64url(HMAC-SHA256(url_key[key_id], org_id + key_id))`.
//!
//! The URL is the webhook's only credential on Zendesk's side (its authentication is "None"), so the tag is a
//! full 256-bit MAC: unguessable, and tied to both the organization and the key that made it. The URL key is
//! its own secret, apart from the Zendesk credentials, so rotating those never changes the URL; rotating the
//! URL key keeps the previous key valid for a grace period so deliveries in flight are not refused.
//!
//! Invariants: a tag is compared in constant time against the tag of every active key, whichever matches
//! (no early exit that would tell which key, or how many bytes, matched); a rejection names what was wrong for
//! the logs and the console but never the expected tag; parsing never panics, whatever the path.
//! `org_id` is the installation's id (26 characters) and `key_id` is `[a-z0-9]{1,16}`, so `org_id + key_id`
//! is unambiguous without a separator.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zendesk::SecretString;

/// The path prefix Zendesk posts to.
pub const PATH_PREFIX: &str = "/zendesk/";

/// A URL key's bytes: 32 random bytes, base64url in the keychain.
pub const URL_KEY_BYTES: usize = 32;

/// The length of a tag: base64url of 32 bytes, without padding.
const TAG_LEN: usize = 43;

/// One URL key: its id (in the URL) and its secret (in the keychain), valid until `retired_at` plus the
/// grace period when it has been replaced.
#[derive(Clone)]
pub struct UrlKey {
    pub id: String,
    pub secret: SecretString,
    /// When a rotation replaced this key; `None` for the current key.
    pub retired_at: Option<Timestamp>,
}

impl std::fmt::Debug for UrlKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UrlKey")
            .field("id", &self.id)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// Why a URL key cannot be used. The relay refuses to start rather than accept everything or nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlKeyError {
    #[error(
        "the webhook URL key `{0}` is empty or too short; rotate it (`handoff rotate url-key`)"
    )]
    Weak(String),
    #[error("the webhook URL key id `{0}` is not 1 to 16 lowercase letters or digits")]
    BadId(String),
}

impl UrlKey {
    /// A new random key with `id`.
    pub fn generate(id: &str) -> Result<UrlKey, UrlKeyError> {
        check_key_id(id)?;
        Ok(UrlKey {
            id: id.to_owned(),
            secret: SecretString::from(
                URL_SAFE_NO_PAD.encode(rand::random::<[u8; URL_KEY_BYTES]>()),
            ),
            retired_at: None,
        })
    }

    /// Checks a key read back from the keychain: an empty or short secret would make every tag guessable.
    pub fn check(&self) -> Result<(), UrlKeyError> {
        check_key_id(&self.id)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(self.secret.expose_secret())
            .map_err(|_| UrlKeyError::Weak(self.id.clone()))?;
        if bytes.len() < 16 {
            return Err(UrlKeyError::Weak(self.id.clone()));
        }
        Ok(())
    }

    /// The tag of `org_id` under this key.
    pub fn tag(&self, org_id: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(org_id))
    }

    fn mac(&self, org_id: &str) -> [u8; 32] {
        // Any key length is accepted by HMAC, so this cannot fail; the fallback keeps the code panic-free.
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.secret.expose_secret().as_bytes()) {
            Ok(mac) => mac,
            Err(_) => return [0; 32],
        };
        mac.update(org_id.as_bytes());
        mac.update(self.id.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Whether this key still opens the URL at `now`: the current key always, a retired one for `grace`.
    pub fn active(&self, now: Timestamp, grace: jiff::SignedDuration) -> bool {
        match self.retired_at {
            None => true,
            Some(retired_at) => retired_at.checked_add(grace).is_ok_and(|until| now < until),
        }
    }
}

fn check_key_id(id: &str) -> Result<(), UrlKeyError> {
    let ok = (1..=16).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(UrlKeyError::BadId(id.to_owned()))
    }
}

/// The path of the webhook URL for `org_id` under `key`: `/zendesk/{org_id}/{key_id}.{tag}`.
pub fn webhook_path(org_id: &str, key: &UrlKey) -> String {
    format!("{PATH_PREFIX}{org_id}/{}.{}", key.id, key.tag(org_id))
}

/// The full webhook URL under `public_url` (which may carry a path prefix, e.g. behind a proxy).
pub fn webhook_url(public_url: &url::Url, org_id: &str, key: &UrlKey) -> String {
    format!(
        "{}{}",
        public_url.as_str().trim_end_matches('/'),
        webhook_path(org_id, key)
    )
}

/// The same URL for logs and the console before it is revealed: the tag's last characters only.
pub fn redacted(url: &str) -> String {
    match url.rsplit_once('.') {
        Some((head, tag)) if tag.len() == TAG_LEN => format!("{head}.…{}", &tag[TAG_LEN - 4..]),
        _ => url.to_owned(),
    }
}

/// What a request path claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPath {
    pub org_id: String,
    pub key_id: String,
    pub tag: String,
}

/// Why a request's URL is refused. Shown in the console and logged; the answer to Zendesk is a plain 4xx.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRejection {
    #[error("the path is not a webhook URL of this relay")]
    NotWebhookPath,
    #[error("the URL names another organization")]
    WrongOrganization,
    #[error("the URL's key `{0}` is unknown or its grace period is over")]
    UnknownKey(String),
    #[error("the URL's tag does not match (a forged or mistyped URL)")]
    BadTag,
}

/// Splits `/zendesk/{org_id}/{key_id}.{tag}`; anything else is [`UrlRejection::NotWebhookPath`].
pub fn parse_path(path: &str) -> Result<SignedPath, UrlRejection> {
    let rest = path
        .strip_prefix(PATH_PREFIX)
        .ok_or(UrlRejection::NotWebhookPath)?;
    let (org_id, last) = rest.split_once('/').ok_or(UrlRejection::NotWebhookPath)?;
    let (key_id, tag) = last.split_once('.').ok_or(UrlRejection::NotWebhookPath)?;
    let well_formed = !org_id.is_empty()
        && org_id.len() <= 64
        && org_id.bytes().all(|b| b.is_ascii_alphanumeric())
        && check_key_id(key_id).is_ok()
        && tag.len() == TAG_LEN
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(UrlRejection::NotWebhookPath);
    }
    Ok(SignedPath {
        org_id: org_id.to_owned(),
        key_id: key_id.to_owned(),
        tag: tag.to_owned(),
    })
}

/// Checks `path` against this relay's organization and its active keys; returns the id of the key that
/// signed it. Every active key's tag is computed and compared in constant time, whichever matches.
pub fn verify(
    path: &SignedPath,
    org_id: &str,
    keys: &[UrlKey],
    now: Timestamp,
    grace: jiff::SignedDuration,
) -> Result<String, UrlRejection> {
    if !bool::from(path.org_id.as_bytes().ct_eq(org_id.as_bytes())) {
        return Err(UrlRejection::WrongOrganization);
    }
    let mut matched: Option<&UrlKey> = None;
    let mut named_key_active = false;
    for key in keys.iter().filter(|key| key.active(now, grace)) {
        let expected = key.tag(org_id);
        let tag_matches = bool::from(expected.as_bytes().ct_eq(path.tag.as_bytes()));
        let id_matches = key.id == path.key_id;
        named_key_active |= id_matches;
        if tag_matches && id_matches {
            matched = Some(key);
        }
    }
    match matched {
        Some(key) => Ok(key.id.clone()),
        None if !named_key_active => Err(UrlRejection::UnknownKey(path.key_id.clone())),
        None => Err(UrlRejection::BadTag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;
    use proptest::prelude::*;

    const ORG: &str = "01jdz3k7m8n9p0q1r2s3t4v5w6";
    const GRACE: SignedDuration = SignedDuration::from_hours(24);

    fn key(id: &str, secret: &str, retired_at: Option<&str>) -> UrlKey {
        UrlKey {
            id: id.into(),
            secret: SecretString::from(secret),
            retired_at: retired_at.map(|t| t.parse().unwrap_or_else(|e| panic!("{e}"))),
        }
    }

    fn now() -> Timestamp {
        "2026-12-03T12:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Pinned to a value computed outside the project:
    /// `printf '%s' "01jdz3k7m8n9p0q1r2s3t4v5w6k1" | openssl dgst -sha256 -hmac "url-key-for-tests-0123456789abcdef" -binary | base64 | tr '+/' '-_' | tr -d '='`
    #[test]
    fn the_tag_is_the_base64url_hmac_of_org_and_key_id() {
        let key = key("k1", "url-key-for-tests-0123456789abcdef", None);
        assert_eq!(key.tag(ORG), "nB43kErMZgZUR_jw58yIldjGRenZgoIw1P52GcMRwOE");
        assert_eq!(
            webhook_path(ORG, &key),
            format!("/zendesk/{ORG}/k1.{}", key.tag(ORG))
        );
    }

    #[test]
    fn paths_and_keys_are_checked_as_the_table_says() {
        let current = key("k2", "current-url-key-0123456789abcdefgh", None);
        let retired = key(
            "k1",
            "retired-url-key-0123456789abcdefgh",
            Some("2026-12-03T00:00:00Z"),
        );
        let expired = key(
            "k0",
            "expired-url-key-0123456789abcdefgh",
            Some("2026-12-01T00:00:00Z"),
        );
        let keys = [current.clone(), retired.clone(), expired.clone()];
        let path = |org: &str, key: &UrlKey| {
            parse_path(&format!("/zendesk/{org}/{}.{}", key.id, key.tag(org)))
        };
        let forged = UrlKey {
            secret: SecretString::from("someone-else-0123456789abcdefghijk"),
            ..current.clone()
        };
        type Case = (
            &'static str,
            Result<SignedPath, UrlRejection>,
            Result<String, UrlRejection>,
        );
        let table: Vec<Case> = vec![
            ("current key", path(ORG, &current), Ok("k2".into())),
            (
                "retired key within its grace",
                path(ORG, &retired),
                Ok("k1".into()),
            ),
            (
                "retired key after its grace",
                path(ORG, &expired),
                Err(UrlRejection::UnknownKey("k0".into())),
            ),
            (
                "tag made with another secret",
                path(ORG, &forged),
                Err(UrlRejection::BadTag),
            ),
            (
                "another organization's URL",
                path("01jdz3k7m8n9p0q1r2s3t4v5w7", &current),
                Err(UrlRejection::WrongOrganization),
            ),
        ];
        for (case, parsed, expected) in table {
            let parsed = parsed.unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(
                verify(&parsed, ORG, &keys, now(), GRACE),
                expected,
                "{case}"
            );
        }
        let tag = current.tag(ORG);
        let mut flipped = tag.clone().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap_or_default();
        for (case, raw, expected) in [
            (
                "a tag with one character changed",
                format!("/zendesk/{ORG}/k2.{flipped}"),
                Err(UrlRejection::BadTag),
            ),
            (
                "the current tag under the retired key's id",
                format!("/zendesk/{ORG}/k1.{tag}"),
                Err(UrlRejection::BadTag),
            ),
            (
                "the tag truncated",
                format!("/zendesk/{ORG}/k2.{}", &tag[..42]),
                Err(UrlRejection::NotWebhookPath),
            ),
            (
                "no tag",
                format!("/zendesk/{ORG}/k2."),
                Err(UrlRejection::NotWebhookPath),
            ),
            (
                "no key id",
                format!("/zendesk/{ORG}/.{tag}"),
                Err(UrlRejection::NotWebhookPath),
            ),
            (
                "another path",
                "/v1/sessions".to_owned(),
                Err(UrlRejection::NotWebhookPath),
            ),
            (
                "a query-like suffix",
                format!("/zendesk/{ORG}/k2.{tag}?x"),
                Err(UrlRejection::NotWebhookPath),
            ),
            (
                "an extra segment",
                format!("/zendesk/{ORG}/k2.{tag}/x"),
                Err(UrlRejection::NotWebhookPath),
            ),
        ] {
            let verdict = parse_path(&raw).and_then(|p| verify(&p, ORG, &keys, now(), GRACE));
            assert_eq!(verdict, expected, "{case}");
        }
    }

    #[test]
    fn weak_keys_and_bad_ids_are_refused() {
        assert!(UrlKey::generate("k1").and_then(|k| k.check()).is_ok());
        assert_eq!(
            key("k1", "", None).check(),
            Err(UrlKeyError::Weak("k1".into()))
        );
        assert_eq!(
            key("k1", "c2hvcnQ", None).check(),
            Err(UrlKeyError::Weak("k1".into()))
        );
        assert!(UrlKey::generate("K1").is_err());
        assert!(UrlKey::generate("").is_err());
        assert!(UrlKey::generate("k1.x").is_err());
    }

    #[test]
    fn the_redacted_url_keeps_only_the_tags_last_characters() {
        let key = key("k1", "url-key-for-tests-0123456789abcdef", None);
        let url = webhook_url(
            &url::Url::parse("https://relay.example.com/").unwrap_or_else(|e| panic!("{e}")),
            ORG,
            &key,
        );
        let tag = key.tag(ORG);
        let shown = redacted(&url);
        assert!(!shown.contains(&tag[..8]), "{shown}");
        assert!(shown.ends_with(&tag[39..]), "{shown}");
        assert!(
            shown.starts_with(&format!("https://relay.example.com/zendesk/{ORG}/k1.")),
            "{shown}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Whatever the path, parsing and checking answer without panicking, and only the real tag passes.
        #[test]
        fn no_path_panics_and_only_the_real_tag_passes(path in "\\PC{0,120}") {
            let keys = [key("k2", "current-url-key-0123456789abcdefgh", None)];
            if let Ok(parsed) = parse_path(&path) {
                let verdict = verify(&parsed, ORG, &keys, now(), GRACE);
                prop_assert!(verdict.is_err() || path == webhook_path(ORG, &keys[0]));
            }
        }

        /// Near misses of a real path (one byte changed, cut, or extended) never pass.
        #[test]
        fn near_misses_never_pass(index in 0usize..80, byte in any::<u8>(), cut in 0usize..80) {
            let keys = [key("k2", "current-url-key-0123456789abcdefgh", None)];
            let real = webhook_path(ORG, &keys[0]);
            let mut bytes = real.clone().into_bytes();
            let index = index % bytes.len();
            bytes[index] = byte;
            let mutated = String::from_utf8_lossy(&bytes).into_owned();
            let cut = &real[..cut.min(real.len() - 1)];
            for candidate in [mutated, cut.to_owned(), format!("{real}A")] {
                if candidate == real { continue; }
                let verdict = parse_path(&candidate).and_then(|p| verify(&p, ORG, &keys, now(), GRACE));
                prop_assert!(verdict.is_err(), "{candidate}");
            }
        }
    }
}
