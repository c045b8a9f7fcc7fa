//! How messages are worded when they show what an admin typed, or join a cause to more text.
//!
//! Every user-facing message (a check's detail, cause and fix, an error) may quote the input it refuses. The
//! input can hold anything: a newline that would forge a second line of output, a terminal escape sequence, a
//! megabyte pasted by mistake. [`quote`] makes it safe to show; [`sentence`] ends a fragment with exactly one
//! full stop, so a cause that already ends with one does not get two. [`moment`] and [`moment_of`] show a time
//! the way the checklist, the doctor and Verify all say it: `2026-12-03 12:28:38 UTC`.

use jiff::Timestamp;

/// At most this many characters of an input are shown; a subdomain or an ID is far shorter, and more would
/// drown the message.
const SHOWN: usize = 80;

/// The input in backticks, control characters escaped (`\n`, `\u{1b}`) and cut to [`SHOWN`] characters.
pub fn quote(input: &str) -> String {
    let mut shown = String::from("`");
    for (index, character) in input.chars().enumerate() {
        if index == SHOWN {
            shown.push('…');
            break;
        }
        if character.is_control() {
            shown.extend(character.escape_debug());
        } else {
            shown.push(character);
        }
    }
    shown.push('`');
    shown
}

/// `text` as one sentence on one line: capitalized, line breaks and tabs as spaces and other control characters
/// escaped (it may hold words from elsewhere: an error, Zendesk's description, a web page's first bytes), ending
/// with exactly one full stop (or its own `?`, `!` or `…`).
pub fn sentence(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for character in text.trim().chars() {
        match character {
            '\n' | '\r' | '\t' => line.push(' '),
            control if control.is_control() => line.extend(control.escape_debug()),
            other => line.push(other),
        }
    }
    let mut chars = line.trim_end().chars();
    let mut sentence: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !sentence.ends_with(['.', '?', '!', '…']) {
        sentence.push('.');
    }
    sentence
}

/// A moment as an admin reads it in evidence: to the second, in UTC (`2026-12-03 12:28:38 UTC`), from an RFC 3339
/// text as Zendesk and the store give it; text that is not a timestamp is shown as it came.
pub fn moment(rfc3339: &str) -> String {
    match rfc3339.trim().parse::<Timestamp>() {
        Ok(at) => moment_of(at),
        Err(_) => rfc3339.to_owned(),
    }
}

/// [`moment`] of a timestamp: `2026-12-03 12:28:38 UTC` (rounded to the second).
pub fn moment_of(at: Timestamp) -> String {
    at.round(jiff::Unit::Second)
        .unwrap_or(at)
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_reads_to_the_second_in_utc() {
        let table = [
            ("2026-12-03T12:28:38Z", "2026-12-03 12:28:38 UTC"),
            ("2026-12-03T12:28:38.600Z", "2026-12-03 12:28:39 UTC"),
            ("2026-12-03T13:28:38+01:00", "2026-12-03 12:28:38 UTC"),
            (" 2026-12-03T12:28:38Z ", "2026-12-03 12:28:38 UTC"),
            ("an unknown time", "an unknown time"),
            ("", ""),
        ];
        for (text, shown) in table {
            assert_eq!(moment(text), shown, "{text:?}");
        }
        let at: Timestamp = "2026-12-03T12:28:38.2Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(moment_of(at), "2026-12-03 12:28:38 UTC");
    }

    #[test]
    fn quoting_escapes_control_characters_and_bounds_the_length() {
        let table = [
            ("acme", "`acme`"),
            ("acme\ncorp", r"`acme\ncorp`"),
            ("a\tb\r", r"`a\tb\r`"),
            ("\u{1b}[2J", r"`\u{1b}[2J`"),
            ("bücher", "`bücher`"),
        ];
        for (input, shown) in table {
            assert_eq!(quote(input), shown, "{input:?}");
        }
        let long = quote(&"x".repeat(1_000_000));
        assert_eq!(long.chars().count(), SHOWN + 3, "{long}");
        assert!(long.ends_with("…`"));
    }

    #[test]
    fn a_sentence_ends_with_one_full_stop() {
        let table = [
            ("the token is wrong", "The token is wrong."),
            ("the token is wrong.", "The token is wrong."),
            ("Zendesk answered 429 ", "Zendesk answered 429."),
            ("is it on?", "Is it on?"),
            ("Waiting…", "Waiting…"),
            (
                "<html>\n<h1>Bad gateway</h1>",
                "<html> <h1>Bad gateway</h1>.",
            ),
            ("bell\u{7}", r"Bell\u{7}."),
            ("", ""),
        ];
        for (text, expected) in table {
            assert_eq!(sentence(text), expected, "{text:?}");
        }
    }
}
