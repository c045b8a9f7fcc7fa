//! The Zendesk subdomain an admin types, normalized.
//!
//! Admins paste all sorts of things into the subdomain field: `acme`, `acme.zendesk.com`, the address of the
//! agent workspace in any case (`HTTPS://ACME.ZENDESK.COM/agent`). All of those mean the account `acme`;
//! anything that is not a Zendesk account's address (another scheme, a user name or password, a port, another
//! domain, a path with no account in it) is refused with a message that says what is wrong, before a single
//! request is sent.

use std::fmt;

use crate::message::quote;

/// A valid Zendesk subdomain: lowercase letters, digits and inner hyphens, 1 to 63 characters (one DNS label).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subdomain(String);

/// Why an input is not a Zendesk subdomain. Messages quote the input with [`quote`], so a control character
/// or a huge paste never reaches the screen raw.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubdomainError {
    #[error("the subdomain is empty: enter the `acme` part of acme.zendesk.com")]
    Empty,
    #[error("{} is not a zendesk.com address: enter the `acme` part of acme.zendesk.com", quote(.host))]
    OtherDomain { host: String },
    #[error(
        "zendesk.com is Zendesk's own address, not an account's: enter the `acme` part of your account's \
         address, acme.zendesk.com"
    )]
    ZendeskItself,
    #[error(
        "{} is not how a Zendesk account is reached: enter `acme`, or the account's address such as \
         https://acme.zendesk.com",
        quote(&format!("{}://", .scheme))
    )]
    Scheme { scheme: String },
    /// The input itself is not echoed: it holds a password.
    #[error(
        "the address carries a user name or password, which does not belong here: enter only `acme` or \
         https://acme.zendesk.com (the email and token have their own fields)"
    )]
    Credentials,
    #[error(
        "{} names port {port}: a Zendesk account is reached at acme.zendesk.com without a port; for a \
         simulator or proxy on this machine, keep the subdomain here and enter its address as the base URL \
         (`--zendesk-url`, or Advanced on the Connect screen)",
        quote(.input)
    )]
    Port { input: String, port: u16 },
    #[error(
        "{} has characters a Zendesk subdomain cannot have: use only letters, digits and hyphens, like `acme` \
         or `acme-support`",
        quote(.input)
    )]
    InvalidCharacters { input: String },
    #[error(
        "{} is more than one name: a Zendesk subdomain is one name, like `acme` in acme.zendesk.com",
        quote(.label)
    )]
    Nested { label: String },
    #[error(
        "{} starts or ends with a hyphen, which a Zendesk subdomain cannot: hyphens go between letters or \
         digits, like `acme-support`",
        quote(.input)
    )]
    HyphenAtEnds { input: String },
    #[error("the subdomain is longer than 63 characters, which no Zendesk account has")]
    TooLong,
}

/// The host Zendesk's own web site answers on, which is no account.
const ZENDESK_ITSELF: [&str; 2] = ["zendesk.com", "www.zendesk.com"];

impl Subdomain {
    /// Accepts `acme`, `Acme`, `acme.zendesk.com`, `https://acme.zendesk.com/agent/...` (the scheme in any case)
    /// and normalizes them to `acme`.
    pub fn parse(input: &str) -> Result<Subdomain, SubdomainError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(SubdomainError::Empty);
        }
        let invalid = || SubdomainError::InvalidCharacters {
            input: trimmed.to_owned(),
        };
        // Schemes are case-insensitive (RFC 3986 §3.1): `Https://` is `https://`. `//host` is an address too.
        let (is_address, rest) = match trimmed.split_once("://") {
            Some((scheme, rest)) => {
                let well_formed = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
                if !well_formed {
                    return Err(invalid());
                }
                let scheme = scheme.to_ascii_lowercase();
                if scheme != "https" && scheme != "http" {
                    return Err(SubdomainError::Scheme { scheme });
                }
                (true, rest)
            }
            None => match trimmed.strip_prefix("//") {
                Some(rest) => (true, rest),
                None => (false, trimmed),
            },
        };
        // The authority ends at the path, query or fragment.
        let (authority, after) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
        if authority.contains('@') {
            return Err(SubdomainError::Credentials);
        }
        if authority.is_empty() {
            return Err(if is_address {
                SubdomainError::Empty
            } else {
                invalid()
            });
        }
        let (host, port) = split_port(authority).ok_or_else(invalid)?;
        let host = host.to_ascii_lowercase();
        // One trailing dot is a fully qualified name (`acme.zendesk.com.`), the same host.
        let host = host.strip_suffix('.').unwrap_or(&host);
        if ZENDESK_ITSELF.contains(&host) {
            return Err(SubdomainError::ZendeskItself);
        }
        let on_zendesk = host.strip_suffix(".zendesk.com");
        // Only the account's own address, on the standard ports, names the account.
        if let Some(port) = port.filter(|port| on_zendesk.is_none() || !matches!(port, 80 | 443)) {
            return Err(SubdomainError::Port {
                input: trimmed.to_owned(),
                port,
            });
        }
        let label = match on_zendesk {
            Some(label) => label,
            None if !is_host_name(host) => return Err(invalid()),
            None if is_address || host.contains('.') || host.starts_with('[') => {
                return Err(SubdomainError::OtherDomain {
                    host: host.to_owned(),
                })
            }
            // A bare name followed by a path or query is no address: `acme/agent`.
            None if !after.is_empty() => return Err(invalid()),
            None => host,
        };
        if label.is_empty() {
            return Err(SubdomainError::Empty);
        }
        if label.contains('.') {
            return Err(match label.split('.').all(is_dns_label) {
                true => SubdomainError::Nested {
                    label: label.to_owned(),
                },
                false => invalid(),
            });
        }
        if label.len() > 63 {
            return Err(SubdomainError::TooLong);
        }
        if !is_dns_label(label) {
            return Err(invalid());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(SubdomainError::HyphenAtEnds {
                input: trimmed.to_owned(),
            });
        }
        Ok(Subdomain(label.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `acme.zendesk.com`.
    pub fn host(&self) -> String {
        format!("{}.zendesk.com", self.0)
    }
}

impl fmt::Display for Subdomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Splits `host:port` (`[v6]:port` too). `None` when the port is not a number a URL can carry; an empty port
/// (`acme.zendesk.com:`) is no port, as in a URL.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (address, after) = v6.split_once(']')?;
            let port = match after {
                "" => None,
                after => Some(after.strip_prefix(':')?),
            };
            (&authority[..address.len() + 2], port)
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    match port.filter(|port| !port.is_empty()) {
        None => Some((host, None)),
        Some(port) if port.bytes().all(|b| b.is_ascii_digit()) => {
            Some((host, Some(port.parse().ok()?)))
        }
        Some(_) => None,
    }
}

/// Letters, digits and hyphens, at least one: what one name of a host may hold (hyphens are checked apart, to
/// say so).
fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A host name made of such names, or an IP literal in brackets.
fn is_host_name(host: &str) -> bool {
    (host.starts_with('[') && host.ends_with(']')) || host.split('.').all(is_dns_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_inputs_normalize_to_the_label() {
        let table = [
            ("acme", "acme"),
            ("  Acme ", "acme"),
            ("\tacme\n", "acme"),
            ("ACME", "acme"),
            ("acme.zendesk.com", "acme"),
            ("ACME.Zendesk.com.", "acme"),
            ("acme.", "acme"),
            ("https://acme.zendesk.com", "acme"),
            ("Https://acme.zendesk.com", "acme"),
            ("HTTPS://ACME.ZENDESK.COM/agent", "acme"),
            ("hTtP://acme.zendesk.com", "acme"),
            ("//acme.zendesk.com/agent", "acme"),
            ("https://acme.zendesk.com/agent/tickets/12", "acme"),
            ("http://acme.zendesk.com:443/", "acme"),
            ("acme.zendesk.com:443", "acme"),
            ("https://acme.zendesk.com./agent", "acme"),
            ("acme-support", "acme-support"),
            ("d3v-zenpydev", "d3v-zenpydev"),
            ("acme.zendesk.com/admin?x=1", "acme"),
            ("https://acme.zendesk.com?x=1#top", "acme"),
            ("https://acme.zendesk.com#/tickets", "acme"),
            ("a", "a"),
            (&"a".repeat(63), &"a".repeat(63)),
        ];
        for (input, expected) in table {
            assert_eq!(
                Subdomain::parse(input).map(|s| s.0),
                Ok(expected.to_owned()),
                "input {input:?}"
            );
        }
    }

    /// (what the admin typed, what the message must say)
    #[test]
    fn rejected_inputs_say_what_is_wrong() {
        let table: &[(&str, &[&str])] = &[
            ("", &["the subdomain is empty"]),
            ("   ", &["the subdomain is empty"]),
            ("https://", &["the subdomain is empty"]),
            ("https:///agent", &["the subdomain is empty"]),
            (".zendesk.com", &["the subdomain is empty"]),
            (
                "acme.example.com",
                &["`acme.example.com` is not a zendesk.com address"],
            ),
            (
                "https://acme.zendesk.co/agent",
                &["`acme.zendesk.co` is not a zendesk.com address"],
            ),
            (
                "acme.zendesk.com.evil.test",
                &["is not a zendesk.com address"],
            ),
            ("127.0.0.1", &["`127.0.0.1` is not a zendesk.com address"]),
            ("https://acme", &["`acme` is not a zendesk.com address"]),
            (
                "zendesk.com",
                &["zendesk.com is Zendesk's own address", "the `acme` part"],
            ),
            (
                "https://www.Zendesk.com/",
                &["zendesk.com is Zendesk's own address"],
            ),
            ("ftp://acme.zendesk.com", &["`ftp://`", "https://"]),
            ("file:///etc/passwd", &["`file://`"]),
            ("javascript://acme", &["`javascript://`"]),
            ("user:pw@acme.zendesk.com", &["a user name or password"]),
            (
                "https://admin@acme.zendesk.com/agent",
                &["a user name or password"],
            ),
            ("localhost:4010", &["port 4010", "--zendesk-url"]),
            ("acme.zendesk.com:8443", &["port 8443"]),
            ("https://[::1]:4010/", &["port 4010"]),
            ("acme:443", &["port 443"]),
            (
                "acme.zendesk.com:http",
                &["`acme.zendesk.com:http`", "letters, digits and hyphens"],
            ),
            ("../../etc", &["`../../etc`", "letters, digits and hyphens"]),
            (
                "acme/agent",
                &["`acme/agent`", "letters, digits and hyphens"],
            ),
            ("acme?x=1", &["`acme?x=1`", "letters, digits and hyphens"]),
            ("acme corp", &["`acme corp`", "letters, digits and hyphens"]),
            ("acme_support", &["`acme_support`"]),
            ("acme..zendesk.com", &["`acme..zendesk.com`"]),
            ("help.acme.zendesk.com", &["`help.acme`", "one name"]),
            (
                "bücher.zendesk.com",
                &["`bücher.zendesk.com`", "letters, digits and hyphens"],
            ),
            ("ａｃｍｅ", &["letters, digits and hyphens"]),
            ("acme\ncorp", &[r"`acme\ncorp`"]),
            ("ac\u{1b}[31mme", &[r"`ac\u{1b}[31mme`"]),
            ("-rf", &["`-rf`", "hyphen"]),
            ("acme-", &["`acme-`", "hyphen"]),
            ("--oauth", &["`--oauth`", "hyphen"]),
        ];
        for (input, says) in table {
            let message = match Subdomain::parse(input) {
                Ok(subdomain) => panic!("{input:?} was accepted as {subdomain}"),
                Err(error) => error.to_string(),
            };
            for said in *says {
                assert!(
                    message.contains(said),
                    "{input:?}: the message should say {said:?}: {message}"
                );
            }
            assert!(
                !message.chars().any(char::is_control),
                "{input:?}: a control character reached the message: {message:?}"
            );
        }
        let long = "a".repeat(64);
        assert_eq!(Subdomain::parse(&long), Err(SubdomainError::TooLong));
        let secret_free = Subdomain::parse("user:s3cr3t-pw@acme.zendesk.com")
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default();
        assert!(
            !secret_free.contains("s3cr3t-pw"),
            "a password typed into the address is never echoed: {secret_free}"
        );
        let huge = format!("{}!", "x".repeat(10_000));
        let echoed = Subdomain::parse(&huge)
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default();
        assert!(
            echoed.len() < 400,
            "a huge input is shortened in the message: {} bytes",
            echoed.len()
        );
    }

    #[test]
    fn host_is_the_zendesk_address() {
        assert_eq!(
            Subdomain::parse("acme").map(|s| s.host()),
            Ok("acme.zendesk.com".to_owned())
        );
    }
}
