//! The Zendesk subdomain an admin types, normalized.
//!
//! Admins paste all sorts of things into the subdomain field: `acme`, `acme.zendesk.com`, the address of the
//! agent workspace. All of those mean the account `acme`; anything else is rejected with a message that says
//! what is wrong, before a single request is sent.

use std::fmt;

/// A valid Zendesk subdomain: lowercase letters, digits and inner hyphens, 1 to 63 characters (one DNS label).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subdomain(String);

/// Why an input is not a Zendesk subdomain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubdomainError {
    #[error("the subdomain is empty: enter the `acme` part of acme.zendesk.com")]
    Empty,
    #[error("`{host}` is not a zendesk.com address: enter the `acme` part of acme.zendesk.com")]
    OtherDomain { host: String },
    #[error(
        "`{input}` has characters a Zendesk subdomain cannot have: use only letters, digits and hyphens, \
         like `acme` or `acme-support`"
    )]
    InvalidCharacters { input: String },
    #[error("the subdomain is longer than 63 characters, which no Zendesk account has")]
    TooLong,
}

impl Subdomain {
    /// Accepts `acme`, `Acme`, `acme.zendesk.com`, `https://acme.zendesk.com/agent/...` and normalizes them to
    /// `acme`.
    pub fn parse(input: &str) -> Result<Subdomain, SubdomainError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(SubdomainError::Empty);
        }
        let without_scheme = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .or_else(|| trimmed.strip_prefix("//"))
            .unwrap_or(trimmed);
        // The host ends at the first path, query, fragment or port separator.
        let host = without_scheme
            .split(['/', '?', '#', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let host = host.trim_end_matches('.');
        let label = match host.strip_suffix(".zendesk.com") {
            Some(label) => label,
            None if host.contains('.') => {
                return Err(SubdomainError::OtherDomain {
                    host: host.to_owned(),
                })
            }
            None => host,
        };
        if label.is_empty() {
            return Err(SubdomainError::Empty);
        }
        if label.len() > 63 {
            return Err(SubdomainError::TooLong);
        }
        let valid_characters = label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_characters || label.starts_with('-') || label.ends_with('-') {
            return Err(SubdomainError::InvalidCharacters {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_inputs_normalize_to_the_label() {
        let table = [
            ("acme", "acme"),
            ("  Acme ", "acme"),
            ("acme.zendesk.com", "acme"),
            ("ACME.Zendesk.com.", "acme"),
            ("https://acme.zendesk.com", "acme"),
            ("https://acme.zendesk.com/agent/tickets/12", "acme"),
            ("http://acme.zendesk.com:443/", "acme"),
            ("acme-support", "acme-support"),
            ("d3v-zenpydev", "d3v-zenpydev"),
            ("acme.zendesk.com/admin?x=1", "acme"),
        ];
        for (input, expected) in table {
            assert_eq!(
                Subdomain::parse(input).map(|s| s.0),
                Ok(expected.to_owned()),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn rejected_inputs_say_what_is_wrong() {
        let table: [(&str, SubdomainError); 7] = [
            ("", SubdomainError::Empty),
            ("   ", SubdomainError::Empty),
            ("https://", SubdomainError::Empty),
            (
                "acme.example.com",
                SubdomainError::OtherDomain {
                    host: "acme.example.com".into(),
                },
            ),
            (
                "acme corp",
                SubdomainError::InvalidCharacters {
                    input: "acme corp".into(),
                },
            ),
            (
                "-acme",
                SubdomainError::InvalidCharacters {
                    input: "-acme".into(),
                },
            ),
            (
                "acme_support",
                SubdomainError::InvalidCharacters {
                    input: "acme_support".into(),
                },
            ),
        ];
        for (input, expected) in table {
            assert_eq!(Subdomain::parse(input), Err(expected), "input {input:?}");
        }
        assert_eq!(
            Subdomain::parse(&"a".repeat(64)),
            Err(SubdomainError::TooLong)
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
