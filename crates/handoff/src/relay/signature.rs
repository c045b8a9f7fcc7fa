//! Zendesk's own webhook signature (FACTS §5, §12): `X-Zendesk-Webhook-Signature` is
//! `base64(HMAC-SHA256(signing_secret, timestamp + body))`, where `timestamp` is the exact
//! `X-Zendesk-Webhook-Signature-Timestamp` string (`2023-09-18T23:38:13Z`) and `body` the raw bytes received.
//!
//! Fail closed: no secret, an empty secret, a missing, repeated or non-ASCII header, a timestamp in any other
//! format, a timestamp outside ±[`WINDOW`] (past or future), a signature that is not base64 of 32 bytes, or a
//! MAC that matches no known secret: each is a typed rejection, never a panic, and a rejection never carries
//! the expected signature. The secret is the HMAC key as the string it is (it looks like base64; it is not
//! decoded). MACs are compared in constant time (`Mac::verify_slice`).
//!
//! Zendesk documents the message as `timestamp + body`, and signs that way; an older page's own worked example
//! only reproduces as `body + timestamp`. Both orders are accepted (timestamp first is tried first), so a
//! documentation slip cannot switch reply sync off. Neither order can be forged without the secret, and one
//! signature cannot serve both: the other order would need a body ending in a timestamp inside the window.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use jiff::{SignedDuration, Timestamp};
use zendesk::SecretString;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-zendesk-webhook-signature";
/// The signed timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-zendesk-webhook-signature-timestamp";
/// How far a delivery's timestamp may be from the relay's clock, either way.
pub const WINDOW: SignedDuration = SignedDuration::from_mins(5);

/// The signing secrets a delivery may be signed with: the webhook's current one, and the previous one for a
/// while after a reset (deliveries already queued at Zendesk carry it).
#[derive(Clone)]
pub struct SigningSecrets(Vec<SecretString>);

impl std::fmt::Debug for SigningSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningSecrets({} secrets)", self.0.len())
    }
}

/// Why a set of signing secrets cannot be used: the relay refuses to start instead of accepting everything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretsError {
    #[error("no webhook signing secret is known; run `handoff setup` to fetch it from Zendesk")]
    None,
    #[error("a webhook signing secret is empty; reset it (`handoff rotate signing-secret`)")]
    Empty,
}

impl SigningSecrets {
    /// Secrets in order of preference (current first); none may be empty.
    pub fn new(secrets: Vec<SecretString>) -> Result<SigningSecrets, SecretsError> {
        if secrets.is_empty() {
            return Err(SecretsError::None);
        }
        if secrets.iter().any(|s| s.expose_secret().trim().is_empty()) {
            return Err(SecretsError::Empty);
        }
        Ok(SigningSecrets(secrets))
    }
}

/// Why a delivery's signature is refused (logged and shown in the relay console; Zendesk gets a plain 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureRejection {
    #[error("the {0} header is missing")]
    Missing(&'static str),
    #[error("the {0} header is sent more than once")]
    Repeated(&'static str),
    #[error("the {0} header is not plain ASCII text")]
    NotText(&'static str),
    #[error("the signature timestamp is not of the form 2023-09-18T23:38:13Z")]
    TimestampFormat,
    #[error("the signature timestamp is {0} s old, more than the 300 s allowed (a replay, or a clock far off)")]
    TooOld(i64),
    #[error("the signature timestamp is {0} s in the future, more than the 300 s allowed (check this machine's clock)")]
    InFuture(i64),
    #[error("the signature is not base64 of a SHA-256 MAC")]
    Malformed,
    #[error("the signature does not match the webhook's signing secret (forged, altered, or signed with another secret)")]
    Mismatch,
}

/// Checks a delivery's signature over its raw `body` at `now`.
pub fn verify(
    secrets: &SigningSecrets,
    headers: &HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> Result<(), SignatureRejection> {
    let timestamp = single_header(headers, TIMESTAMP_HEADER)?;
    let signature = single_header(headers, SIGNATURE_HEADER)?;
    let signed_at = parse_timestamp(timestamp)?;
    let age = now.duration_since(signed_at);
    if age > WINDOW {
        return Err(SignatureRejection::TooOld(age.as_secs()));
    }
    if age < -WINDOW {
        return Err(SignatureRejection::InFuture(-age.as_secs()));
    }
    let provided = STANDARD
        .decode(signature.trim())
        .map_err(|_| SignatureRejection::Malformed)?;
    if provided.len() != 32 {
        return Err(SignatureRejection::Malformed);
    }
    for secret in &secrets.0 {
        for message in [[timestamp.as_bytes(), body], [body, timestamp.as_bytes()]] {
            let Ok(mut mac) =
                Hmac::<sha2::Sha256>::new_from_slice(secret.expose_secret().as_bytes())
            else {
                continue;
            };
            mac.update(message[0]);
            mac.update(message[1]);
            if mac.verify_slice(&provided).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureRejection::Mismatch)
}

/// `base64(HMAC-SHA256(secret, timestamp + body))`: how Zendesk signs (the relay's own test deliveries).
pub fn sign(secret: &SecretString, timestamp: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(secret.expose_secret().as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.as_bytes());
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The timestamp format Zendesk sends, for the relay's own test deliveries.
pub fn timestamp(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &'static str,
) -> Result<&'a str, SignatureRejection> {
    let mut values = headers.get_all(name).iter();
    let value = values.next().ok_or(SignatureRejection::Missing(name))?;
    if values.next().is_some() {
        return Err(SignatureRejection::Repeated(name));
    }
    value
        .to_str()
        .map_err(|_| SignatureRejection::NotText(name))
}

/// Exactly `YYYY-MM-DDTHH:MM:SSZ`, as Zendesk sends it: Unix seconds, offsets and fractions are refused, so
/// a timestamp that does not parse can never skip the age check.
fn parse_timestamp(raw: &str) -> Result<Timestamp, SignatureRejection> {
    let shaped = raw.len() == 20
        && raw.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(SignatureRejection::TimestampFormat);
    }
    raw.parse::<Timestamp>()
        .map_err(|_| SignatureRejection::TimestampFormat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use proptest::prelude::*;

    const SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
    const TS: &str = "2026-12-03T12:00:00Z";
    const BODY: &str = "{\"ticket\":{\"id\":42}}";
    /// `printf '%s%s' "2026-12-03T12:00:00Z" '{"ticket":{"id":42}}' | openssl dgst -sha256 -hmac "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==" -binary | base64`
    const SIGNED: &str = "mgQG6sBQVy3NtPrwxbNWPRmSQpWjKLLkHsNF7T52dfA=";
    /// `printf '%s%s' '{"ticket":{"id":42}}' "2026-12-03T12:00:00Z" | openssl dgst -sha256 -hmac "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==" -binary | base64`
    const SIGNED_BODY_FIRST: &str = "nVnymtUIAy1v8XWJOCBpCwtxNSQ7VsszJjew2LJ/Mps=";

    fn secrets() -> SigningSecrets {
        SigningSecrets::new(vec![SecretString::from(SECRET)]).unwrap_or_else(|e| panic!("{e}"))
    }

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                *name,
                HeaderValue::from_bytes(value).unwrap_or_else(|e| panic!("{e}")),
            );
        }
        map
    }

    fn at(offset_secs: i64) -> Timestamp {
        TS.parse::<Timestamp>()
            .unwrap_or_else(|e| panic!("{e}"))
            .checked_add(SignedDuration::from_secs(offset_secs))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn signing_matches_openssl() {
        assert_eq!(
            sign(&SecretString::from(SECRET), TS, BODY.as_bytes()),
            SIGNED
        );
        assert_eq!(timestamp(at(0)), TS);
    }

    #[test]
    fn every_way_a_delivery_can_be_wrong_is_refused_with_its_reason() {
        let ok_sig: &[u8] = SIGNED.as_bytes();
        let forged = STANDARD.encode([7u8; 32]);
        let truncated = &SIGNED[..20];
        let prefix = format!("{SIGNED}AAAA");
        let other = sign(
            &SecretString::from("another-webhooks-secret"),
            TS,
            BODY.as_bytes(),
        );
        use SignatureRejection as R;
        // (case, headers, body, seconds the relay's clock is past the signature, verdict)
        type Case<'a> = (
            &'a str,
            HeaderMap,
            &'a str,
            i64,
            Result<(), SignatureRejection>,
        );
        let table: Vec<Case> = vec![
            (
                "a good delivery",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, ok_sig),
                ]),
                BODY,
                0,
                Ok(()),
            ),
            (
                "signed body first (the older page's example order)",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, SIGNED_BODY_FIRST.as_bytes()),
                ]),
                BODY,
                0,
                Ok(()),
            ),
            (
                "clock skew inside the window, behind",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, ok_sig),
                ]),
                BODY,
                299,
                Ok(()),
            ),
            (
                "clock skew inside the window, ahead",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, ok_sig),
                ]),
                BODY,
                -299,
                Ok(()),
            ),
            (
                "stale",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, ok_sig),
                ]),
                BODY,
                301,
                Err(R::TooOld(301)),
            ),
            (
                "from the future",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, ok_sig),
                ]),
                BODY,
                -301,
                Err(R::InFuture(301)),
            ),
            (
                "no signature",
                headers(&[(TIMESTAMP_HEADER, TS.as_bytes())]),
                BODY,
                0,
                Err(R::Missing(SIGNATURE_HEADER)),
            ),
            (
                "no timestamp",
                headers(&[(SIGNATURE_HEADER, ok_sig)]),
                BODY,
                0,
                Err(R::Missing(TIMESTAMP_HEADER)),
            ),
            (
                "signature sent twice",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, ok_sig),
                    (SIGNATURE_HEADER, ok_sig),
                ]),
                BODY,
                0,
                Err(R::Repeated(SIGNATURE_HEADER)),
            ),
            (
                "non-ASCII signature",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, b"\xc3\xa9abc"),
                ]),
                BODY,
                0,
                Err(R::NotText(SIGNATURE_HEADER)),
            ),
            (
                "Unix seconds",
                headers(&[
                    (TIMESTAMP_HEADER, b"1796212800"),
                    (SIGNATURE_HEADER, ok_sig),
                ]),
                BODY,
                0,
                Err(R::TimestampFormat),
            ),
            (
                "an offset instead of Z",
                headers(&[
                    (TIMESTAMP_HEADER, b"2026-12-03T12:00:00+00:00"),
                    (SIGNATURE_HEADER, ok_sig),
                ]),
                BODY,
                0,
                Err(R::TimestampFormat),
            ),
            (
                "an impossible date",
                headers(&[
                    (TIMESTAMP_HEADER, b"2026-13-45T12:00:00Z"),
                    (SIGNATURE_HEADER, ok_sig),
                ]),
                BODY,
                0,
                Err(R::TimestampFormat),
            ),
            (
                "empty signature",
                headers(&[(TIMESTAMP_HEADER, TS.as_bytes()), (SIGNATURE_HEADER, b"")]),
                BODY,
                0,
                Err(R::Malformed),
            ),
            (
                "truncated signature",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, truncated.as_bytes()),
                ]),
                BODY,
                0,
                Err(R::Malformed),
            ),
            (
                "the real signature as a prefix",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, prefix.as_bytes()),
                ]),
                BODY,
                0,
                Err(R::Malformed),
            ),
            (
                "forged",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, forged.as_bytes()),
                ]),
                BODY,
                0,
                Err(R::Mismatch),
            ),
            (
                "another webhook's secret",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, other.as_bytes()),
                ]),
                BODY,
                0,
                Err(R::Mismatch),
            ),
            (
                "body altered",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, ok_sig),
                ]),
                "{\"ticket\":{\"id\":43}}",
                0,
                Err(R::Mismatch),
            ),
            (
                "body re-serialized",
                headers(&[
                    (TIMESTAMP_HEADER, TS.as_bytes()),
                    (SIGNATURE_HEADER, ok_sig),
                ]),
                "{\"ticket\": {\"id\": 42}}",
                0,
                Err(R::Mismatch),
            ),
        ];
        for (case, headers, body, now_offset, expected) in table {
            let verdict = verify(&secrets(), &headers, body.as_bytes(), at(now_offset));
            assert_eq!(verdict, expected, "{case}");
            if let Err(rejection) = verdict {
                assert!(
                    !rejection.to_string().contains(SIGNED),
                    "{case}: the answer reveals the signature"
                );
            }
        }
    }

    #[test]
    fn a_previous_secret_still_verifies_and_empty_secrets_are_refused() {
        let both = SigningSecrets::new(vec![
            SecretString::from("the-new-secret"),
            SecretString::from(SECRET),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let h = headers(&[
            (TIMESTAMP_HEADER, TS.as_bytes()),
            (SIGNATURE_HEADER, SIGNED.as_bytes()),
        ]);
        assert_eq!(verify(&both, &h, BODY.as_bytes(), at(0)), Ok(()));
        assert_eq!(SigningSecrets::new(vec![]).err(), Some(SecretsError::None));
        assert_eq!(
            SigningSecrets::new(vec![SecretString::from(" ")]).err(),
            Some(SecretsError::Empty)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Arbitrary header bytes and bodies: an answer every time, and never a pass without the secret.
        #[test]
        fn arbitrary_headers_never_panic_or_pass(
            timestamp in proptest::collection::vec(any::<u8>(), 0..40),
            signature in proptest::collection::vec(any::<u8>(), 0..90),
            body in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let mut map = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_bytes(&timestamp) { map.append(TIMESTAMP_HEADER, value); }
            if let Ok(value) = HeaderValue::from_bytes(&signature) { map.append(SIGNATURE_HEADER, value); }
            prop_assert!(verify(&secrets(), &map, &body, at(0)).is_err());
        }

        /// A correctly signed delivery verifies whatever its body; one changed body byte never does.
        #[test]
        fn only_the_signed_bytes_verify(body in proptest::collection::vec(any::<u8>(), 1..300), flip in any::<usize>()) {
            let signature = sign(&SecretString::from(SECRET), TS, &body);
            let map = headers(&[(TIMESTAMP_HEADER, TS.as_bytes()), (SIGNATURE_HEADER, signature.as_bytes())]);
            prop_assert_eq!(verify(&secrets(), &map, &body, at(0)), Ok(()));
            let mut altered = body.clone();
            let index = flip % altered.len();
            altered[index] ^= 0x01;
            prop_assert!(verify(&secrets(), &map, &altered, at(0)).is_err());
        }
    }
}
