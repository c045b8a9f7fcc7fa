//! The offline filler: no network, deterministic, in any language the admin's description covers.
//!
//! For a dropdown it scores each option by the *terms* that name it — words of the option's name and value
//! (`billing_refund` gives "billing" and "refund"), and the synonyms the admin lists for it in the description —
//! found in the conversation. Text is folded (lowercase, accents removed), split into words, stop words of
//! English, Spanish, French, German, Portuguese, Italian and Dutch dropped, and each word reduced to a stem (a
//! light suffix stripper for those languages, then its first six letters), so "refunded", "refunds" and
//! "refund" meet, as do "reembolso" and "reembolsar".
//!
//! **Synonyms in the description.** A clause that starts with an option's name or value followed by `:`, `=`,
//! `-` or `(` lists words and phrases for it, separated by commas, slashes or "or":
//!
//! ```text
//! The primary reason the contact is writing.
//! Refund request: refund, money back, reembolso, remboursement, Rückerstattung
//! Billing (invoice, charged twice, factura, Rechnung)
//! ```
//!
//! Clauses end at a line break or `;`. A term found in a customer's turn weighs 1, in an AI or agent turn
//! 0.6 (the customer says why they write; the AI's words echo all options it offered); repeats add a quarter
//! each, up to four; a multi-word phrase weighs 1.5. A term shared by several options is divided among them.
//!
//! **Score.** With `best` and `second` the two highest evidences, `score = best / (best + second + 0.5)`:
//! one clear term alone scores 0.67, two options with equal evidence score at most 0.4, nothing scores 0.
//! Below [`super::filler::CONFIDENCE_THRESHOLD`] (0.5) the field stays empty.
//!
//! For text it picks the customer's sentence that shares most stems with the description (at least one, and at
//! least half of the description's first two terms), so "The order number" fills "My order 4411 never came".

use std::collections::{BTreeMap, BTreeSet};

use futures::future::BoxFuture;

use super::catalog::Fillable;
use super::conversation::Conversation;
use super::filler::{short_text, Fill, Filler, Target, CONFIDENCE_THRESHOLD};
use crate::session::Role;

/// The offline filler. See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineFiller;

impl Filler for OfflineFiller {
    fn fill<'a>(
        &'a self,
        conversation: &'a Conversation,
        targets: &'a [Target],
    ) -> BoxFuture<'a, Vec<Fill>> {
        Box::pin(async move {
            targets
                .iter()
                .map(|target| self.fill_one(conversation, target))
                .collect()
        })
    }
}

/// A term that names an option: a stem sequence, where it came from, and how it was written there.
#[derive(Debug, Clone)]
struct Term {
    stems: Vec<String>,
    from_description: bool,
}

/// An option's index, its evidence, and the words that matched (as written, by whom, from the description).
type Scored = (usize, f64, Vec<(String, Role, bool)>);

/// A conversation's turns as stem sequences, each with the words as written (for the "why").
struct Stemmed {
    turns: Vec<(Role, Vec<(String, String)>)>,
}

impl Stemmed {
    fn of(conversation: &Conversation) -> Stemmed {
        Stemmed {
            turns: conversation
                .lines
                .iter()
                .map(|line| (line.role, stems_with_words(&line.text)))
                .collect(),
        }
    }

    /// The evidence for `term`, and the conversation's words that matched it (first match).
    fn evidence(&self, term: &Term) -> (f64, Option<(String, Role)>) {
        let mut best_weight: f64 = 0.0;
        let mut hits = 0usize;
        let mut first = None;
        for (role, words) in &self.turns {
            let weight = match role {
                Role::Customer => 1.0,
                Role::Ai | Role::Agent => 0.6,
            };
            let n = term.stems.len();
            if n == 0 || words.len() < n {
                continue;
            }
            for start in 0..=(words.len() - n) {
                if words[start..start + n]
                    .iter()
                    .zip(&term.stems)
                    .all(|((stem, _), wanted)| stem == wanted)
                {
                    hits += 1;
                    if weight > best_weight {
                        best_weight = weight;
                        let written: Vec<&str> = words[start..start + n]
                            .iter()
                            .map(|(_, w)| w.as_str())
                            .collect();
                        first = Some((written.join(" "), *role));
                    }
                }
            }
        }
        if hits == 0 {
            return (0.0, None);
        }
        let phrase = if term.stems.len() > 1 { 1.5 } else { 1.0 };
        let repeats = 1.0 + 0.25 * (hits.saturating_sub(1).min(4) as f64);
        (best_weight * phrase * repeats, first)
    }
}

impl OfflineFiller {
    /// The fill for one field.
    pub fn fill_one(&self, conversation: &Conversation, target: &Target) -> Fill {
        let stemmed = Stemmed::of(conversation);
        match target.kind {
            Fillable::Dropdown => dropdown(&stemmed, target),
            Fillable::Text => text(conversation, target),
        }
    }
}

fn dropdown(stemmed: &Stemmed, target: &Target) -> Fill {
    let synonyms = description_synonyms(&target.description, target);
    // Each option's terms, deduplicated by stems.
    let mut terms: Vec<Vec<Term>> = Vec::with_capacity(target.options.len());
    for (index, option) in target.options.iter().enumerate() {
        let mut seen = BTreeSet::new();
        let mut list = Vec::new();
        let own = stems(&option.name)
            .into_iter()
            .chain(stems(&option.value.replace(['_', '-', ':'], " ")));
        for stem in own {
            if seen.insert(vec![stem.clone()]) {
                list.push(Term {
                    stems: vec![stem],
                    from_description: false,
                });
            }
        }
        for phrase in synonyms.get(&index).into_iter().flatten() {
            if seen.insert(phrase.clone()) {
                list.push(Term {
                    stems: phrase.clone(),
                    from_description: true,
                });
            }
        }
        terms.push(list);
    }
    // How many options share each term: a term naming three options says a third as much about each.
    let mut shared: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for list in &terms {
        for term in list {
            *shared.entry(term.stems.clone()).or_default() += 1;
        }
    }
    let mut scored: Vec<Scored> = terms
        .iter()
        .enumerate()
        .map(|(index, list)| {
            let mut total = 0.0;
            let mut matched = Vec::new();
            for term in list {
                let (evidence, written) = stemmed.evidence(term);
                if evidence > 0.0 {
                    let share = shared.get(&term.stems).copied().unwrap_or(1).max(1) as f64;
                    total += evidence / share;
                    if let Some((word, role)) = written {
                        matched.push((word, role, term.from_description));
                    }
                }
            }
            (index, total, matched)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let best = scored.first();
    let second = scored.get(1).map_or(0.0, |s| s.1);
    let Some((index, evidence, matched)) = best.filter(|b| b.1 > 0.0) else {
        return Fill::empty(
            target.field_id,
            0.0,
            "no option's name, value or description synonyms appear in the conversation",
        );
    };
    let score = round(evidence / (evidence + second + 0.5));
    let Some(option) = target.options.get(*index) else {
        return Fill::empty(target.field_id, 0.0, "no option");
    };
    let words: Vec<String> = matched
        .iter()
        .take(3)
        .map(|(word, role, from_description)| {
            let source = if *from_description {
                ", a synonym from the description"
            } else {
                ""
            };
            format!("\"{word}\" ({}{source})", who(*role))
        })
        .collect();
    let runner_up = scored
        .get(1)
        .filter(|s| s.1 > 0.0)
        .and_then(|s| target.options.get(s.0))
        .map(|o| format!("; next best \"{}\"", o.name))
        .unwrap_or_default();
    let why = format!(
        "\"{}\" matched {}{runner_up}",
        option.name,
        words.join(", ")
    );
    if score < CONFIDENCE_THRESHOLD {
        return Fill::empty(
            target.field_id,
            score,
            format!("not sure: {why} (score {score:.2}, below {CONFIDENCE_THRESHOLD:.2})"),
        );
    }
    Fill {
        field_id: target.field_id,
        value: Some(option.value.clone()),
        score,
        why,
    }
}

fn text(conversation: &Conversation, target: &Target) -> Fill {
    let wanted: Vec<String> = {
        let mut seen = BTreeSet::new();
        stems(&target.description)
            .into_iter()
            .filter(|stem| {
                !GENERIC_DESCRIPTION_WORDS
                    .iter()
                    .any(|word| super::offline::stem(word) == *stem)
                    && seen.insert(stem.clone())
            })
            .collect()
    };
    if wanted.is_empty() {
        return Fill::empty(
            target.field_id,
            0.0,
            "the description names nothing to look for; describe what the field holds",
        );
    }
    let mut best: Option<(f64, String, Vec<String>)> = None;
    for line in conversation
        .lines
        .iter()
        .filter(|l| l.role == Role::Customer)
    {
        for sentence in line
            .text
            .split(['.', '!', '?', '\n', '。', '？', '！'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let found: BTreeSet<String> = stems(sentence).into_iter().collect();
            let shared: Vec<String> = wanted
                .iter()
                .filter(|w| found.contains(*w))
                .cloned()
                .collect();
            if shared.is_empty() {
                continue;
            }
            let score = round((shared.len() as f64 / wanted.len().min(2) as f64).min(1.0));
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, sentence.to_owned(), shared));
            }
        }
    }
    match best {
        Some((score, sentence, shared)) if score >= CONFIDENCE_THRESHOLD => {
            match short_text(&sentence) {
                Some(value) => Fill {
                    field_id: target.field_id,
                    value: Some(value),
                    score,
                    why: format!(
                        "the customer's sentence sharing {} with the description",
                        shared
                            .iter()
                            .map(|s| format!("\"{s}…\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
                None => Fill::empty(target.field_id, 0.0, "the matching sentence is empty"),
            }
        }
        Some((score, _, _)) => Fill::empty(
            target.field_id,
            score,
            format!("no customer sentence matches the description well enough (score {score:.2})"),
        ),
        None => Fill::empty(
            target.field_id,
            0.0,
            "no customer sentence shares a word with the description",
        ),
    }
}

fn who(role: Role) -> &'static str {
    match role {
        Role::Customer => "customer",
        Role::Ai => "AI",
        Role::Agent => "agent",
    }
}

fn round(score: f64) -> f64 {
    (score * 100.0).round() / 100.0
}

/// Synonym phrases (as stem sequences) per option index, from the description's clauses.
fn description_synonyms(description: &str, target: &Target) -> BTreeMap<usize, Vec<Vec<String>>> {
    let mut out: BTreeMap<usize, Vec<Vec<String>>> = BTreeMap::new();
    let labels: Vec<(usize, String)> = target
        .options
        .iter()
        .enumerate()
        .flat_map(|(index, option)| [(index, fold(&option.name)), (index, fold(&option.value))])
        .filter(|(_, label)| !label.trim().is_empty())
        .collect();
    for clause in description.split(['\n', ';']) {
        let folded = fold(clause.trim().trim_start_matches(['-', '*', '•', ' ']));
        // The longest label the clause starts with, followed by a separator.
        let mut found: Option<(usize, usize)> = None;
        for (index, label) in &labels {
            if let Some(rest) = folded.strip_prefix(label.as_str()) {
                let rest = rest.trim_start();
                if rest.starts_with([':', '=', '(', '-', '–'])
                    && found.is_none_or(|(_, len)| label.len() > len)
                {
                    found = Some((*index, label.len()));
                }
            }
        }
        let Some((index, len)) = found else { continue };
        let rest = folded[len..]
            .trim_start()
            .trim_start_matches([':', '=', '(', '-', '–'])
            .trim_end_matches([')', '.']);
        for phrase in rest
            .split([',', '/', '|', '(', ')'])
            .flat_map(|part| part.split(" or "))
        {
            let phrase = stems(phrase);
            if !phrase.is_empty() {
                out.entry(index).or_default().push(phrase);
            }
        }
    }
    out
}

/// Lowercase, with the accents of Latin letters removed (`Rückerstattung` -> `ruckerstattung`).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => out.push('a'),
            'æ' => out.push_str("ae"),
            'ç' | 'ć' | 'č' => out.push('c'),
            'ď' | 'đ' => out.push('d'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => out.push('e'),
            'ğ' => out.push('g'),
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => out.push('i'),
            'ł' => out.push('l'),
            'ñ' | 'ń' | 'ň' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => out.push('o'),
            'œ' => out.push_str("oe"),
            'ř' => out.push('r'),
            'ß' => out.push_str("ss"),
            'ś' | 'š' | 'ş' => out.push('s'),
            'ť' | 'ţ' => out.push('t'),
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            other => out.push(other),
        }
    }
    out
}

/// The stems of `text`'s words, stop words left out.
pub fn stems(text: &str) -> Vec<String> {
    stems_with_words(text)
        .into_iter()
        .map(|(stem, _)| stem)
        .collect()
}

/// Each kept word's stem with the word as written.
fn stems_with_words(text: &str) -> Vec<(String, String)> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .filter_map(|word| {
            let folded = fold(word);
            if folded.chars().count() < 2 || STOP_WORDS.contains(&folded.as_str()) {
                return None;
            }
            Some((stem(&folded), word.to_owned()))
        })
        .collect()
}

/// Endings stripped (longest first) when at least four letters remain.
const SUFFIXES: [&str; 36] = [
    "aciones", "amente", "ements", "ations", "ungen", "acion", "acoes", "ement", "ments", "ation",
    "mente", "acao", "ment", "ings", "ando", "endo", "ing", "ung", "ado", "ada", "ido", "ida",
    "ies", "ed", "es", "er", "en", "ar", "ir", "os", "as", "ly", "e", "s", "n", "o",
];

/// A word's stem: a common ending stripped, a doubled final consonant undone, then the first six letters.
pub fn stem(folded: &str) -> String {
    let mut word = folded;
    if word.chars().all(|c| c.is_ascii_alphabetic()) {
        for suffix in SUFFIXES {
            if let Some(rest) = word.strip_suffix(suffix) {
                if rest.len() >= 4 {
                    word = rest;
                    break;
                }
            }
        }
        let bytes = word.as_bytes();
        if bytes.len() >= 5 {
            let (a, b) = (bytes[bytes.len() - 2], bytes[bytes.len() - 1]);
            if a == b && !b"aeiou".contains(&b) {
                word = &word[..word.len() - 1];
            }
        }
    }
    word.chars().take(6).collect()
}

/// Words of a description that say nothing about what to look for ("the field the customer ...").
const GENERIC_DESCRIPTION_WORDS: [&str; 20] = [
    "customer",
    "contact",
    "field",
    "value",
    "ticket",
    "write",
    "writing",
    "mention",
    "conversation",
    "pick",
    "closest",
    "match",
    "allowed",
    "fill",
    "short",
    "primary",
    "describe",
    "text",
    "says",
    "given",
];

/// Words too common to say anything, folded, in the languages the module docs name.
const STOP_WORDS: &[&str] = &[
    // English
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do",
    "does", "for", "from", "had", "has", "have", "he", "her", "hi", "hello", "how", "i", "if",
    "im", "in", "into", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our",
    "please", "she", "so", "thank", "thanks", "that", "the", "their", "them", "then", "there",
    "they", "this", "to", "was", "we", "were", "what", "when", "which", "who", "why", "will",
    "with", "would", "you", "your", "yes", "other", "any", "all", "just", "get", "got", "need",
    "want", "still", "also", "about", "one", "two", "dont", "cant", "n", "na", "us", "am",
    // Spanish
    "el", "la", "los", "las", "un", "una", "unos", "unas", "y", "o", "de", "del", "al", "en", "que",
    "es", "por", "para", "con", "se", "su", "sus", "lo", "le", "les", "mi", "mis", "muy", "pero",
    "hola", "gracias", "como", "esta", "este", "estoy", "tengo", "si", "ya", "favor",
    // French
    "le", "les", "une", "des", "du", "et", "ou", "est", "pour", "avec", "dans", "sur", "je", "vous",
    "nous", "il", "elle", "ce", "cette", "mon", "ma", "mes", "pas", "ne", "bonjour", "merci", "ai",
    "suis", "au", "aux", // German
    "der", "die", "das", "den", "dem", "ein", "eine", "einen", "und", "oder", "ist", "ich", "sie",
    "wir", "mit", "fur", "auf", "nicht", "mein", "meine", "hallo", "danke", "bitte", "habe", "zu",
    "von", "es", // Portuguese
    "os", "um", "uma", "do", "da", "dos", "das", "na", "no", "com", "nao", "ola", "obrigado",
    "meu", "minha", "eu", "voce", // Italian
    "il", "gli", "di", "che", "non", "per", "sono", "ciao", "grazie", "mio", // Dutch
    "het", "een", "en", "ik", "je", "niet", "van", "voor", "met", "mijn", "dank",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_meet_across_word_forms() {
        // (words that must share one stem)
        let table: [&[&str]; 10] = [
            &["refund", "refunds", "refunded", "refunding"],
            &["billing", "bill", "bills"],
            &["shipping", "shipment", "ship"],
            &["invoice", "invoices", "invoiced"],
            &[
                "cancel",
                "cancelled",
                "cancellation",
                "cancelar",
                "cancelación",
            ],
            &["reembolso", "reembolsar"],
            &["remboursement", "rembourser", "remboursé"],
            &["Rückerstattung", "rückerstatten"],
            &["Rechnung", "Rechnungen"],
            &["factura", "facturas", "facturación"],
        ];
        for words in table {
            let stems: BTreeSet<String> = words.iter().map(|w| stem(&fold(w))).collect();
            assert_eq!(stems.len(), 1, "{words:?} -> {stems:?}");
        }
    }
}
