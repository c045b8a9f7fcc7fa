//! Injected faults: for requests matching a method and path pattern, add latency, answer
//! 429 storms or 5xx, never answer (timeout), or cut the connection.

use std::time::Duration;

use serde_json::{json, Value};

/// What a fault does to a matching request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Wait this long before handling the request normally.
    Latency(Duration),
    /// Answer Zendesk's 429 with this `Retry-After` (seconds).
    RateLimit {
        /// The `Retry-After` value in seconds.
        retry_after: u64,
    },
    /// Answer this 5xx status with an HTML error page.
    ServerError(u16),
    /// Never answer (the client's timeout fires).
    Timeout,
    /// Send headers, then cut the connection mid-body.
    Drop,
    /// Answer Zendesk's plain-text 429 without `Retry-After` (FACTS §12: it is sometimes missing).
    RateLimitWithoutRetryAfter,
    /// Handle the request (the change is made), then cut the connection instead of answering: the
    /// caller cannot tell whether it happened.
    DropAfterWrite,
    /// Handle the request (the change is made), then never answer.
    TimeoutAfterWrite,
}

/// One injected fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Identifies the fault in the control API.
    pub id: u64,
    /// `GET`, `PUT`, ... or `None` for any method.
    pub method: Option<String>,
    /// A path pattern (without `.json`); `*` matches any run of characters.
    pub path: String,
    /// What happens.
    pub kind: FaultKind,
    /// How many more requests it affects (`None`: until cleared).
    pub remaining: Option<u32>,
}

impl Fault {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method))
            && glob_matches(&self.path, path)
    }

    /// The fault as control-API JSON.
    pub fn to_json(&self) -> Value {
        let (kind, detail) = match &self.kind {
            FaultKind::Latency(latency) => {
                ("latency", json!({"latency_ms": latency.as_millis() as u64}))
            }
            FaultKind::RateLimit { retry_after } => {
                ("rate_limit", json!({"retry_after": retry_after}))
            }
            FaultKind::ServerError(status) => ("server_error", json!({"status": status})),
            FaultKind::Timeout => ("timeout", json!({})),
            FaultKind::Drop => ("drop", json!({})),
            FaultKind::RateLimitWithoutRetryAfter => ("rate_limit_without_retry_after", json!({})),
            FaultKind::DropAfterWrite => ("drop_after_write", json!({})),
            FaultKind::TimeoutAfterWrite => ("timeout_after_write", json!({})),
        };
        let mut value = json!({"id": self.id, "method": self.method, "path": self.path, "kind": kind, "remaining": self.remaining});
        if let (Some(object), Value::Object(extra)) = (value.as_object_mut(), detail) {
            object.extend(extra);
        }
        value
    }

    /// Parses a control-API fault request:
    /// `{"path","method"?,"kind","count"?,"latency_ms"?,"status"?,"retry_after"?}`.
    pub fn from_json(id: u64, value: &Value) -> Result<Fault, String> {
        let path = value
            .get("path")
            .and_then(Value::as_str)
            .ok_or("path is required")?
            .to_owned();
        let number = |key: &str| value.get(key).and_then(Value::as_u64);
        let kind = match value.get("kind").and_then(Value::as_str) {
            Some("latency") => FaultKind::Latency(Duration::from_millis(
                number("latency_ms").ok_or("latency_ms is required")?,
            )),
            Some("rate_limit") => FaultKind::RateLimit {
                retry_after: number("retry_after").unwrap_or(1),
            },
            Some("server_error") => {
                let status = number("status").unwrap_or(500);
                if !(500..600).contains(&status) {
                    return Err("status must be 5xx".to_owned());
                }
                FaultKind::ServerError(status as u16)
            }
            Some("timeout") => FaultKind::Timeout,
            Some("drop") => FaultKind::Drop,
            Some("rate_limit_without_retry_after") => FaultKind::RateLimitWithoutRetryAfter,
            Some("drop_after_write") => FaultKind::DropAfterWrite,
            Some("timeout_after_write") => FaultKind::TimeoutAfterWrite,
            other => {
                return Err(format!(
                "unknown kind {other:?}; use latency, rate_limit, rate_limit_without_retry_after, server_error, timeout, drop, drop_after_write or timeout_after_write"
            ))
            }
        };
        let remaining = match number("count") {
            Some(count) => Some(u32::try_from(count).map_err(|_| "count is too large")?),
            None => None,
        };
        Ok(Fault {
            id,
            method: value
                .get("method")
                .and_then(Value::as_str)
                .map(str::to_uppercase),
            path,
            kind,
            remaining,
        })
    }
}

/// The active faults.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub list: Vec<Fault>,
    pub next_id: u64,
}

impl Faults {
    /// The first fault matching the request, consuming one of its uses.
    pub fn take(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let index = self
            .list
            .iter()
            .position(|fault| fault.matches(method, path))?;
        let fault = &mut self.list[index];
        let kind = fault.kind.clone();
        if let Some(remaining) = &mut fault.remaining {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                self.list.remove(index);
            }
        }
        Some(kind)
    }
}

/// `*` matches any run of characters (including `/`); everything else literally.
pub(crate) fn glob_matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (index, part) in parts.iter().enumerate() {
        if index == 0 {
            let Some(after) = rest.strip_prefix(part) else {
                return false;
            };
            rest = after;
        } else if index == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(found) = rest.find(part) else {
                return false;
            };
            rest = &rest[found + part.len()..];
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_paths() {
        let table = [
            ("/api/v2/tickets/*", "/api/v2/tickets/12", true),
            ("/api/v2/tickets/*", "/api/v2/tickets", false),
            ("/api/v2/*/comments", "/api/v2/tickets/3/comments", true),
            ("*", "/anything", true),
            ("/api/v2/users/me", "/api/v2/users/me", true),
            ("/api/v2/users/me", "/api/v2/users/mex", false),
        ];
        for (pattern, path, expected) in table {
            assert_eq!(glob_matches(pattern, path), expected, "{pattern} vs {path}");
        }
    }

    #[test]
    fn counted_faults_run_out() {
        let mut faults = Faults::default();
        faults.list.push(
            Fault::from_json(
                1,
                &json!({"path": "/api/*", "kind": "rate_limit", "count": 2}),
            )
            .unwrap(),
        );
        assert!(faults.take("GET", "/api/v2/users/me").is_some());
        assert!(faults.take("GET", "/api/v2/users/me").is_some());
        assert!(faults.take("GET", "/api/v2/users/me").is_none());
    }
}
