//! What a handoff derives when the AI platform did not say: the language, the sentiment and a summary, all
//! offline and deterministic (the same conversation always gives the same ticket).
//!
//! - **Language**: `whatlang` (trigram models for 69 languages) over the customer's turns, or every turn when
//!   the customer wrote fewer than 24 letters, mapped from ISO 639-3 to the shortest BCP 47 code (`eng` → `en`, `por` →
//!   `pt`, `cmn` → `zh`). Text too short or too mixed to tell gives `und` (BCP 47 "undetermined").
//! - **Sentiment**: a small lexicon of positive and negative words and emoji in English, French, Spanish,
//!   Portuguese, German, Italian and Dutch, counted over the customer's turns with later turns weighing more
//!   (the mood at handoff matters most), a negation just before a word flipping it ("not happy"), and
//!   repeated `!` or shouting in capitals strengthening a negative turn. Score above zero is `happy`, below
//!   zero `negative`, else `neutral`. It is a cue for views and triggers, not a verdict.
//! - **Summary**: extractive. The first customer message (what the contact came for), the latest customer
//!   message when it differs (where things stand), and the count of messages, each cut at a word boundary.
//! - **Subject**: the first sentence of the first customer message, at most 80 characters, else
//!   "Conversation on <channel>".

use super::{Channel, Language, Role, Sentiment, Session, Turn};

/// The values a handoff fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    pub summary: String,
    pub sentiment: Sentiment,
    pub language: Language,
}

/// Fewer letters than this and the detector guesses ("Hello, I need help" comes out Danish); the guess is
/// not worth a tag.
const MIN_LETTERS_FOR_LANGUAGE: usize = 24;
/// whatlang's confidence is the gap to the runner-up; below this the two are a coin toss.
const MIN_CONFIDENCE: f64 = 0.01;

/// The conversation's language; `und` when it cannot be told.
pub fn language(turns: &[Turn]) -> Language {
    let customer = text_of(turns, Some(Role::Customer));
    let text = if letters(&customer) >= MIN_LETTERS_FOR_LANGUAGE {
        customer
    } else {
        text_of(turns, None)
    };
    if letters(&text) < MIN_LETTERS_FOR_LANGUAGE {
        return Language::undetermined();
    }
    whatlang::detect(&text)
        .filter(|info| info.confidence() >= MIN_CONFIDENCE)
        .and_then(|info| bcp47(info.lang()))
        .and_then(|code| Language::parse(code).ok())
        .unwrap_or_else(Language::undetermined)
}

/// ISO 639-3 (whatlang) to BCP 47's shortest form: the ISO 639-1 code where one exists.
fn bcp47(lang: whatlang::Lang) -> Option<&'static str> {
    use whatlang::Lang::*;
    Some(match lang {
        Epo => "eo",
        Eng => "en",
        Rus => "ru",
        Cmn => "zh",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Ben => "bn",
        Fra => "fr",
        Deu => "de",
        Ukr => "uk",
        Kat => "ka",
        Ara => "ar",
        Hin => "hi",
        Jpn => "ja",
        Heb => "he",
        Yid => "yi",
        Pol => "pl",
        Amh => "am",
        Jav => "jv",
        Kor => "ko",
        Nob => "nb",
        Dan => "da",
        Swe => "sv",
        Fin => "fi",
        Tur => "tr",
        Nld => "nl",
        Hun => "hu",
        Ces => "cs",
        Ell => "el",
        Bul => "bg",
        Bel => "be",
        Mar => "mr",
        Kan => "kn",
        Ron => "ro",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Tam => "ta",
        Vie => "vi",
        Urd => "ur",
        Tha => "th",
        Guj => "gu",
        Uzb => "uz",
        Pan => "pa",
        Aze => "az",
        Ind => "id",
        Tel => "te",
        Pes => "fa",
        Mal => "ml",
        Ori => "or",
        Mya => "my",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Tuk => "tk",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Slk => "sk",
        Cat => "ca",
        Tgl => "tl",
        Hye => "hy",
    })
}

const POSITIVE: &[&str] = &[
    // en
    "thanks",
    "thank",
    "great",
    "awesome",
    "perfect",
    "love",
    "excellent",
    "happy",
    "glad",
    "helpful",
    "amazing",
    "wonderful",
    "appreciate",
    "resolved",
    "works",
    "fantastic",
    "brilliant",
    "nice",
    // fr
    "merci",
    "parfait",
    "génial",
    "super",
    "excellent",
    "content",
    "contente",
    "ravi",
    "ravie",
    "formidable",
    // es
    "gracias",
    "perfecto",
    "genial",
    "excelente",
    "contento",
    "contenta",
    "encantado",
    "maravilloso",
    // pt
    "obrigado",
    "obrigada",
    "ótimo",
    "otimo",
    "perfeito",
    "excelente",
    "feliz",
    "adorei",
    "maravilha",
    // de
    "danke",
    "super",
    "toll",
    "perfekt",
    "prima",
    "wunderbar",
    "zufrieden",
    "hervorragend",
    // it
    "grazie",
    "perfetto",
    "ottimo",
    "fantastico",
    "felice",
    "contento",
    // nl
    "bedankt",
    "dank",
    "geweldig",
    "perfect",
    "top",
    "blij",
    // emoji
    "🙂",
    "😀",
    "😊",
    "😃",
    "👍",
    "❤️",
    "🎉",
    "🙏",
];

const NEGATIVE: &[&str] = &[
    // en
    "angry",
    "terrible",
    "awful",
    "horrible",
    "worst",
    "bad",
    "broken",
    "refund",
    "cancel",
    "useless",
    "disappointed",
    "frustrated",
    "furious",
    "ridiculous",
    "unacceptable",
    "annoyed",
    "hate",
    "scam",
    "never",
    "complaint",
    "waiting",
    "still",
    "wrong",
    "problem",
    "issue",
    "fail",
    "failed",
    "upset",
    // fr
    "nul",
    "nulle",
    "inadmissible",
    "inacceptable",
    "remboursement",
    "déçu",
    "déçue",
    "furieux",
    "furieuse",
    "énervé",
    "arnaque",
    "honte",
    "problème",
    "toujours",
    "jamais",
    "colère",
    "pire",
    // es
    "terrible",
    "horrible",
    "pésimo",
    "pesimo",
    "reembolso",
    "enfadado",
    "enojado",
    "decepcionado",
    "inaceptable",
    "estafa",
    "problema",
    "nunca",
    "peor",
    "vergüenza",
    // pt
    "péssimo",
    "pessimo",
    "horrível",
    "horrivel",
    "reembolso",
    "irritado",
    "decepcionado",
    "absurdo",
    "inaceitável",
    "golpe",
    "problema",
    "nunca",
    "pior",
    "raiva",
    // de
    "schlecht",
    "schrecklich",
    "furchtbar",
    "wütend",
    "enttäuscht",
    "inakzeptabel",
    "betrug",
    "problem",
    "erstattung",
    "nie",
    "ärgerlich",
    "kaputt",
    // it
    "pessimo",
    "orribile",
    "rimborso",
    "arrabbiato",
    "deluso",
    "inaccettabile",
    "truffa",
    "problema",
    "mai",
    // nl
    "slecht",
    "verschrikkelijk",
    "boos",
    "teleurgesteld",
    "terugbetaling",
    "oplichting",
    "probleem",
    "nooit",
    // emoji
    "😡",
    "😠",
    "🤬",
    "👎",
    "😤",
    "😞",
    "😢",
];

const NEGATIONS: &[&str] = &[
    "not", "no", "don't", "dont", "isn't", "isnt", "wasn't", "never", "pas", "ne", "nem", "não",
    "nao", "nicht", "kein", "keine", "non", "niet", "geen",
];

/// The contact's mood, by the lexicon method in the module docs.
pub fn sentiment(turns: &[Turn]) -> Sentiment {
    let customer: Vec<&Turn> = turns.iter().filter(|t| t.role == Role::Customer).collect();
    let count = customer.len();
    let mut score = 0.0_f64;
    for (index, turn) in customer.iter().enumerate() {
        // Later turns weigh more: the last counts twice as much as the first.
        let weight = if count > 1 {
            1.0 + index as f64 / (count - 1) as f64
        } else {
            1.0
        };
        let mut turn_score = 0.0;
        let words = words(&turn.text);
        for (at, word) in words.iter().enumerate() {
            let polarity = if POSITIVE.contains(&word.as_str()) {
                1.0
            } else if NEGATIVE.contains(&word.as_str()) {
                -1.0
            } else {
                continue;
            };
            let negated = at > 0 && NEGATIONS.contains(&words[at - 1].as_str())
                || at > 1 && NEGATIONS.contains(&words[at - 2].as_str());
            turn_score += if negated { -polarity } else { polarity };
        }
        if turn_score < 0.0 && (turn.text.contains("!!") || shouting(&turn.text)) {
            turn_score *= 1.5;
        }
        score += turn_score * weight;
    }
    if score > 0.0 {
        Sentiment::Happy
    } else if score < 0.0 {
        Sentiment::Negative
    } else {
        Sentiment::Neutral
    }
}

/// Longest summary derived, in characters.
const SUMMARY_PART_CHARS: usize = 240;

/// An extractive summary, by the method in the module docs.
pub fn summary(session: &Session) -> String {
    let customer: Vec<&Turn> = session
        .turns
        .iter()
        .filter(|t| t.role == Role::Customer)
        .collect();
    let (Some(first), Some(last)) = (customer.first(), customer.last()) else {
        return format!(
            "Conversation on {} with no message from the contact yet ({} in all).",
            channel_name(session.channel),
            messages(session.turns.len())
        );
    };
    let mut summary = format!(
        "The contact wrote: \u{201c}{}\u{201d}",
        cut(&first.text, SUMMARY_PART_CHARS)
    );
    if last.seq != first.seq {
        summary.push_str(&format!(
            " Latest: \u{201c}{}\u{201d}",
            cut(&last.text, SUMMARY_PART_CHARS)
        ));
    }
    summary.push_str(&format!(
        " ({} on {}, {} from the contact.)",
        messages(session.turns.len()),
        channel_name(session.channel),
        customer.len()
    ));
    summary
}

fn messages(count: usize) -> String {
    if count == 1 {
        "1 message".to_owned()
    } else {
        format!("{count} messages")
    }
}

/// Longest subject, in characters.
const SUBJECT_CHARS: usize = 80;

/// The ticket's subject, by the method in the module docs.
pub fn subject(session: &Session) -> String {
    let first = session.turns.iter().find(|t| t.role == Role::Customer);
    match first {
        Some(turn) => {
            let line = turn
                .text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or(&turn.text);
            let sentence_end = line
                .char_indices()
                .find(|(at, c)| matches!(c, '.' | '?' | '!' | '。' | '？' | '！') && *at > 8)
                .map(|(at, c)| at + c.len_utf8())
                .unwrap_or(line.len());
            cut(line[..sentence_end].trim(), SUBJECT_CHARS)
        }
        None => format!("Conversation on {}", channel_name(session.channel)),
    }
}

/// How a channel is written in prose.
pub fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Whatsapp => "WhatsApp",
        Channel::Sms => "SMS",
        Channel::Web => "web chat",
        Channel::Phone => "phone",
    }
}

/// `text` on one line, cut at a word boundary to at most `max` characters (with `…` when cut).
pub(crate) fn cut(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let hard: String = line.chars().take(max.saturating_sub(1)).collect();
    let soft = match hard.rfind(' ') {
        Some(at) if at > max / 2 => &hard[..at],
        _ => hard.as_str(),
    };
    format!("{}…", soft.trim_end_matches([',', ';', ':', ' ']))
}

fn text_of(turns: &[Turn], role: Option<Role>) -> String {
    turns
        .iter()
        .filter(|t| role.is_none_or(|r| t.role == r))
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn letters(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphabetic()).count()
}

/// Lowercase words; emoji and apostrophes kept, other punctuation split off.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| c.is_whitespace() || (c.is_ascii_punctuation() && c != '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .flat_map(split_emoji)
        .collect()
}

/// "thanks🙂" is a word and an emoji.
fn split_emoji(word: String) -> Vec<String> {
    let emoji: Vec<&&str> = POSITIVE
        .iter()
        .chain(NEGATIVE)
        .filter(|e| !e.is_ascii() && !e.chars().all(char::is_alphabetic))
        .collect();
    let mut parts = Vec::new();
    let mut rest = word.as_str();
    'outer: while !rest.is_empty() {
        for e in &emoji {
            if let Some(at) = rest.find(**e) {
                if at > 0 {
                    parts.push(rest[..at].to_owned());
                }
                parts.push((**e).to_owned());
                rest = &rest[at + e.len()..];
                continue 'outer;
            }
        }
        parts.push(rest.to_owned());
        break;
    }
    parts
}

fn shouting(text: &str) -> bool {
    let upper = text.chars().filter(|c| c.is_uppercase()).count();
    let alpha = text.chars().filter(|c| c.is_alphabetic()).count();
    alpha >= 8 && upper * 10 >= alpha * 7
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn turns(script: &[(Role, &str)]) -> Vec<Turn> {
        script
            .iter()
            .enumerate()
            .map(|(seq, (role, text))| Turn {
                seq,
                role: *role,
                text: (*text).to_owned(),
                at: Timestamp::UNIX_EPOCH,
            })
            .collect()
    }

    use Role::{Ai, Customer};

    /// A conversation as (who, text) pairs.
    type Script<'a> = &'a [(Role, &'a str)];

    #[test]
    fn languages_are_detected_and_named_in_bcp47() {
        let table: &[(&[(Role, &str)], &str)] = &[
            (&[(Customer, "Hello, my order has not arrived yet and I would like to know where it is.")], "en"),
            (&[(Customer, "Bonjour, ma commande n'est toujours pas arrivée, pouvez-vous m'aider s'il vous plaît ?")], "fr"),
            (&[(Customer, "Olá, o meu pedido ainda não chegou e eu gostaria de saber onde ele está.")], "pt"),
            (&[(Customer, "Hola, mi pedido todavía no ha llegado y quisiera saber dónde está.")], "es"),
            (&[(Customer, "Hallo, meine Bestellung ist immer noch nicht angekommen, können Sie mir helfen?")], "de"),
            (&[(Customer, "こんにちは、注文した商品がまだ届いていません。確認していただけますか？")], "ja"),
            (&[(Customer, "Здравствуйте, мой заказ до сих пор не пришёл, хотя прошло уже две недели. Что мне делать?")], "ru"),
            // Too short to tell from the customer: the AI's turns decide.
            (&[(Customer, "ok"), (Ai, "Votre colis est en route et arrivera demain matin, bonne journée.")], "fr"),
            (&[(Customer, "ok")], "und"),
            (&[(Customer, "Hello, I need help")], "und"),
            (&[(Customer, "Bonjour, ma commande est arrivée cassée, c'est inadmissible.")], "fr"),
            (&[], "und"),
        ];
        for (script, expected) in table {
            assert_eq!(language(&turns(script)).as_str(), *expected, "{script:?}");
        }
    }

    #[test]
    fn sentiment_follows_the_contact_and_weighs_the_latest_turns() {
        let table: &[(&[(Role, &str)], Sentiment)] = &[
            (
                &[(Customer, "Thanks, that was really helpful!")],
                Sentiment::Happy,
            ),
            (
                &[(Customer, "This is unacceptable, I want a refund!!")],
                Sentiment::Negative,
            ),
            (
                &[(Customer, "What are your opening hours?")],
                Sentiment::Neutral,
            ),
            (
                &[(Customer, "I am not happy with this")],
                Sentiment::Negative,
            ),
            (
                &[(Customer, "C'est inadmissible, je veux un remboursement.")],
                Sentiment::Negative,
            ),
            (
                &[(Customer, "Merci beaucoup, c'est parfait !")],
                Sentiment::Happy,
            ),
            (
                &[(Customer, "Péssimo atendimento, quero o reembolso.")],
                Sentiment::Negative,
            ),
            (
                &[(Customer, "Muchas gracias, excelente servicio.")],
                Sentiment::Happy,
            ),
            (&[(Customer, "Danke, das ist perfekt.")], Sentiment::Happy),
            (&[(Customer, "Tout va bien 👍")], Sentiment::Happy),
            // The AI's words do not count; the contact's mood at the end outweighs the start.
            (
                &[
                    (Customer, "Thanks"),
                    (Ai, "Sorry, this is terrible."),
                    (Customer, "It is still broken, worst service ever"),
                ],
                Sentiment::Negative,
            ),
            (
                &[
                    (Customer, "My parcel is broken"),
                    (Customer, "Great, thanks a lot, perfect!"),
                ],
                Sentiment::Happy,
            ),
        ];
        for (script, expected) in table {
            assert_eq!(sentiment(&turns(script)), *expected, "{script:?}");
        }
    }

    fn session(script: &[(Role, &str)]) -> Session {
        Session {
            id: super::super::SessionId::new(),
            contact: super::super::Contact::default(),
            channel: Channel::Whatsapp,
            mode: super::super::Mode::Autopilot,
            turns: turns(script),
            summary: None,
            sentiment: None,
            language: None,
            human_active: false,
            ticket: None,
            synced_turns: 0,
            handoff: super::super::HandoffState::None,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn summaries_and_subjects_quote_the_contact() {
        let long = "word ".repeat(100);
        let table: &[(Script, &str, &str)] = &[
            (
                &[(Customer, "Where is my order? It was due Monday."), (Ai, "Let me check."), (Customer, "Please hurry")],
                "The contact wrote: \u{201c}Where is my order? It was due Monday.\u{201d} Latest: \u{201c}Please hurry\u{201d} (3 messages on WhatsApp, 2 from the contact.)",
                "Where is my order?",
            ),
            (
                &[(Customer, "Mon colis est arrivé cassé. Je veux un échange.")],
                "The contact wrote: \u{201c}Mon colis est arrivé cassé. Je veux un échange.\u{201d} (1 message on WhatsApp, 1 from the contact.)",
                "Mon colis est arrivé cassé.",
            ),
            (
                &[(Ai, "Hello! How can I help?")],
                "Conversation on WhatsApp with no message from the contact yet (1 message in all).",
                "Conversation on WhatsApp",
            ),
        ];
        for (script, expected_summary, expected_subject) in table {
            let session = session(script);
            assert_eq!(summary(&session), *expected_summary);
            assert_eq!(subject(&session), *expected_subject);
        }
        let session = session(&[(Customer, long.as_str())]);
        assert!(subject(&session).chars().count() <= 80);
        assert!(subject(&session).ends_with('…'));
        assert!(summary(&session).chars().count() < 320);
    }
}
