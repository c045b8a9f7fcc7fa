//! The fillers' one interface, and the validation every answer goes through before it can reach a ticket.
//!
//! Invariant: whatever a filler returns, [`validate`] lets through only an existing option `value` for a
//! dropdown (never its display name, never an unknown tag) and a short single line for text; everything else
//! becomes an empty fill that says why.

use futures::future::BoxFuture;

use super::catalog::{FieldOption, Fillable};
use super::conversation::Conversation;

/// A fill below this score leaves the field empty: a wrong value on a ticket misroutes it, an empty one only
/// waits for a rep. Scores are in `0..=1`; see `offline` for how the offline filler computes them.
pub const CONFIDENCE_THRESHOLD: f64 = 0.5;

/// Longest text value, in characters: a field value, not a summary.
pub const MAX_TEXT_CHARS: usize = 120;

/// A mapped field as the fillers see it: what it is, its options, and the admin's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub field_id: u64,
    pub title: String,
    pub kind: Fillable,
    /// A dropdown's options (empty for text).
    pub options: Vec<FieldOption>,
    pub description: String,
}

/// What a filler proposes for one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Fill {
    pub field_id: u64,
    /// The value to write (a dropdown's option `value`); `None` leaves the field empty.
    pub value: Option<String>,
    /// Confidence in `0..=1`.
    pub score: f64,
    /// One sentence: what matched, or why the field stays empty.
    pub why: String,
}

impl Fill {
    pub fn empty(field_id: u64, score: f64, why: impl Into<String>) -> Fill {
        Fill {
            field_id,
            value: None,
            score,
            why: why.into(),
        }
    }
}

/// Fills mapped fields from a conversation. Returns one fill per target, in the targets' order (a filler
/// that returns fewer leaves the others empty; see [`complete`]).
pub trait Filler: Send + Sync {
    fn fill<'a>(
        &'a self,
        conversation: &'a Conversation,
        targets: &'a [Target],
    ) -> BoxFuture<'a, Vec<Fill>>;
}

/// One validated fill per target, in order: a target the filler did not answer stays empty.
pub fn complete(targets: &[Target], fills: Vec<Fill>) -> Vec<Fill> {
    targets
        .iter()
        .map(
            |target| match fills.iter().find(|fill| fill.field_id == target.field_id) {
                Some(fill) => validate(target, fill.clone()),
                None => Fill::empty(
                    target.field_id,
                    0.0,
                    "the filler gave no answer for this field",
                ),
            },
        )
        .collect()
}

/// Checks a fill against its field. A dropdown keeps only an existing option `value`; text is trimmed to
/// one line of at most [`MAX_TEXT_CHARS`]; a fill below [`CONFIDENCE_THRESHOLD`] is emptied.
pub fn validate(target: &Target, fill: Fill) -> Fill {
    let score = if fill.score.is_finite() {
        fill.score.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let Some(value) = fill.value else {
        return Fill { score, ..fill };
    };
    if score < CONFIDENCE_THRESHOLD {
        return Fill::empty(
            target.field_id,
            score,
            format!(
                "not sure enough (score {score:.2}, below {CONFIDENCE_THRESHOLD:.2}): {}",
                fill.why
            ),
        );
    }
    match target.kind {
        Fillable::Dropdown => {
            if target.options.iter().any(|option| option.value == value) {
                Fill {
                    value: Some(value),
                    score,
                    ..fill
                }
            } else if let Some(option) = target.options.iter().find(|o| o.name == value) {
                Fill::empty(
                    target.field_id,
                    score,
                    format!(
                        "refused {value:?}: it is the display name of the option whose value is {:?}; only option values are written",
                        option.value
                    ),
                )
            } else {
                Fill::empty(
                    target.field_id,
                    score,
                    format!(
                        "refused {:?}: it is not one of the field's option values",
                        clip(&value, 60)
                    ),
                )
            }
        }
        Fillable::Text => match short_text(&value) {
            Some(text) => Fill {
                value: Some(text),
                score,
                ..fill
            },
            None => Fill::empty(target.field_id, score, "the proposed text was empty"),
        },
    }
}

/// One line, trimmed, quotes and control characters removed, at most [`MAX_TEXT_CHARS`] (cut at a word
/// boundary when there is one in the last third).
pub fn short_text(text: &str) -> Option<String> {
    let line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let line = line
        .trim_matches(|c: char| c == '"' || c == '\'' || c == '“' || c == '”' || c.is_whitespace())
        .to_owned();
    if line.is_empty() {
        return None;
    }
    if line.chars().count() <= MAX_TEXT_CHARS {
        return Some(line);
    }
    let cut: String = line.chars().take(MAX_TEXT_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(at) if at >= MAX_TEXT_CHARS * 2 / 3 => cut[..at].to_owned(),
        _ => cut,
    };
    Some(cut.trim_end().to_owned())
}

pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dropdown() -> Target {
        Target {
            field_id: 7,
            title: "Reason".into(),
            kind: Fillable::Dropdown,
            options: vec![
                FieldOption {
                    name: "Refund request".into(),
                    value: "refund_request".into(),
                },
                FieldOption {
                    name: "Billing".into(),
                    value: "billing".into(),
                },
            ],
            description: String::new(),
        }
    }

    fn text() -> Target {
        Target {
            kind: Fillable::Text,
            options: vec![],
            ..dropdown()
        }
    }

    #[test]
    fn only_option_values_and_short_text_pass() {
        let long = "word ".repeat(60);
        // (target, proposed value, score, expected value)
        let table: Vec<(Target, Option<&str>, f64, Option<&str>)> = vec![
            (
                dropdown(),
                Some("refund_request"),
                0.9,
                Some("refund_request"),
            ),
            (dropdown(), Some("Refund request"), 0.9, None),
            (dropdown(), Some("refund"), 0.9, None),
            (dropdown(), Some("REFUND_REQUEST"), 0.9, None),
            (dropdown(), Some("billing"), 0.3, None),
            (dropdown(), Some("billing"), f64::NAN, None),
            (dropdown(), None, 0.9, None),
            (
                text(),
                Some("  Order 1234\n never came  "),
                0.8,
                Some("Order 1234 never came"),
            ),
            (text(), Some("\"quoted\""), 0.8, Some("quoted")),
            (text(), Some(" \n\t "), 0.8, None),
        ];
        for (target, value, score, expected) in table {
            let fill = validate(
                &target,
                Fill {
                    field_id: 7,
                    value: value.map(str::to_owned),
                    score,
                    why: "because".into(),
                },
            );
            assert_eq!(
                fill.value.as_deref(),
                expected,
                "{value:?} at {score}: {}",
                fill.why
            );
        }
        let bounded = short_text(&long).unwrap_or_default();
        assert!(
            bounded.chars().count() <= MAX_TEXT_CHARS && !bounded.ends_with(' '),
            "{bounded:?}"
        );
    }
}
