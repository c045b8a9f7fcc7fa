//! A conversation as the fillers read it: turns with who wrote them. Built from a session, or parsed from a
//! pasted transcript for the preview.

use crate::session::{Role, Session};

/// Longest pasted conversation, in characters: a preview is about one conversation, not a log file.
pub const MAX_CONVERSATION_CHARS: usize = 200_000;

/// One turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub role: Role,
    pub text: String,
}

/// The conversation a filler reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conversation {
    pub lines: Vec<Line>,
}

impl Conversation {
    /// A session's turns (its summary, when it has one, counts as the AI's first words: it says what the
    /// conversation was about).
    pub fn of_session(session: &Session) -> Conversation {
        let mut lines: Vec<Line> = session
            .turns
            .iter()
            .map(|turn| Line {
                role: turn.role,
                text: turn.text.clone(),
            })
            .collect();
        if let Some(summary) = session.summary.as_deref().filter(|s| !s.trim().is_empty()) {
            lines.insert(
                0,
                Line {
                    role: Role::Ai,
                    text: summary.to_owned(),
                },
            );
        }
        Conversation { lines }
    }

    /// Parses a pasted transcript: one turn per line, `Customer: ...`, `AI: ...` or `Agent: ...` (also
    /// `User:`, `Contact:`, `Bot:`, `Assistant:`, `Rep:`, any case); a line without a prefix continues the
    /// turn above it, and text with no prefix at all is one customer turn.
    pub fn parse(text: &str) -> Conversation {
        let text: String = text.chars().take(MAX_CONVERSATION_CHARS).collect();
        let mut lines: Vec<Line> = Vec::new();
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            match speaker(line) {
                Some((role, rest)) => lines.push(Line {
                    role,
                    text: rest.trim().to_owned(),
                }),
                None => match lines.last_mut() {
                    Some(last) => {
                        if !last.text.is_empty() {
                            last.text.push('\n');
                        }
                        last.text.push_str(line);
                    }
                    None => lines.push(Line {
                        role: Role::Customer,
                        text: line.to_owned(),
                    }),
                },
            }
        }
        lines.retain(|line| !line.text.is_empty());
        Conversation { lines }
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The whole conversation as `Role: text` lines (what the LLM filler sends).
    pub fn transcript(&self) -> String {
        self.lines
            .iter()
            .map(|line| {
                let who = match line.role {
                    Role::Customer => "Customer",
                    Role::Ai => "AI",
                    Role::Agent => "Agent",
                };
                format!("{who}: {}", line.text)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `Customer: hello` -> (Customer, " hello").
fn speaker(line: &str) -> Option<(Role, &str)> {
    let (head, rest) = line.split_once(':')?;
    let role = match head.trim().to_lowercase().as_str() {
        "customer" | "user" | "contact" | "client" | "visitor" => Role::Customer,
        "ai" | "bot" | "assistant" => Role::Ai,
        "agent" | "rep" | "human" | "support" => Role::Agent,
        _ => return None,
    };
    Some((role, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcripts_parse_by_speaker_prefix() {
        // (pasted, expected (role, text) lines)
        let table: [(&str, &[(Role, &str)]); 5] = [
            (
                "Customer: I was charged twice\nAI: Sorry to hear that\nAgent: Refunded",
                &[
                    (Role::Customer, "I was charged twice"),
                    (Role::Ai, "Sorry to hear that"),
                    (Role::Agent, "Refunded"),
                ],
            ),
            (
                "my order never came",
                &[(Role::Customer, "my order never came")],
            ),
            (
                "customer: first\nsecond line\n\nAI:  ok ",
                &[(Role::Customer, "first\nsecond line"), (Role::Ai, "ok")],
            ),
            (
                "Note: not a speaker\nUser: hi",
                &[
                    (Role::Customer, "Note: not a speaker"),
                    (Role::Customer, "hi"),
                ],
            ),
            ("AI:\n\n", &[]),
        ];
        for (pasted, expected) in table {
            let parsed = Conversation::parse(pasted);
            let got: Vec<(Role, &str)> = parsed
                .lines
                .iter()
                .map(|l| (l.role, l.text.as_str()))
                .collect();
            assert_eq!(got, expected, "{pasted:?}");
        }
    }
}
