//! A string that must never be printed: API tokens, OAuth tokens, signing secrets, passwords.

use std::fmt;

/// A secret value. `Debug` and `Display` print `SecretString(<redacted>)`; the only way to read the value is
/// [`SecretString::expose_secret`], so every place that reads it is easy to find.
///
/// Deliberately not `Serialize`: a secret must not end up in a JSON document by accident; request bodies that
/// need one put it in explicitly with `expose_secret`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// The secret value itself; callers must not log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        SecretString(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        SecretString(value.to_owned())
    }
}

/// Secrets arrive in answers (signing secrets, OAuth tokens) and are wrapped as soon as they are read.
impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SecretString)
    }
}

#[cfg(test)]
mod tests {
    use super::SecretString;

    #[test]
    fn debug_and_display_never_contain_the_value() {
        let value = "wMZJ-super-secret-7zs=";
        let secret = SecretString::from(value);
        let nested = Some(vec![secret.clone()]);
        for printed in [
            format!("{secret:?}"),
            format!("{secret:#?}"),
            format!("{secret}"),
            format!("{nested:?}"),
        ] {
            assert!(!printed.contains(value), "{printed} leaks the secret");
            assert!(
                !printed.contains("super"),
                "{printed} leaks part of the secret"
            );
            assert!(printed.contains("SecretString(<redacted>)"), "{printed}");
        }
        assert_eq!(secret.expose_secret(), value);
        assert_eq!(SecretString::from(value.to_owned()), secret);
    }
}
