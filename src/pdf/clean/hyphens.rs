//! Line-end hyphens: which belong to the word ("après-midi", "peut-être", "Jean-Claude") and
//! which a typesetter added to break it ("mai-son", "Ma-dame", "Aujour-d'hui").

use crate::lexicon::lexicon;

/// Whether a plain hyphen ending a line, between `head` (the word before it) and `tail` (the
/// first word of the next line), belongs to the word and must stay. The fixtures use this to
/// only split compounds where the clean-up can restore them.
///
/// The lexicon decides where it knows either form: a compound it lists keeps its hyphen
/// ("après-midi", "nouveau-né"), a word it lists is joined ("madame", "aujourd'hui"). Names it
/// does not know are joined ("Bré-ville" is Bréville), unless both halves are words on their
/// own and the whole is not ("ex-paresseuse").
pub fn keeps_line_end_hyphen(head: &str, tail: &str) -> bool {
    let Some(first) = tail.chars().next() else {
        return true;
    };
    // A capital, digit or punctuation after the break is never the rest of a split word.
    if !first.is_lowercase() {
        return true;
    }
    if is_compound_tail(tail) || COMPOUND_HEADS.contains(&last_part(head).to_lowercase().as_str()) {
        return true;
    }
    let head = last_part(head);
    let tail = tail.trim_end_matches(|c: char| !c.is_alphanumeric());
    let (head_lower, tail_lower) = (head.to_lowercase(), tail.to_lowercase());
    let lexicon = lexicon();
    let joined = format!("{head_lower}{tail_lower}");
    if lexicon.is_word(&format!("{head_lower}-{tail_lower}")) {
        return true;
    }
    if lexicon.is_word(&joined) || head.chars().next().is_some_and(char::is_uppercase) {
        return false;
    }
    // The first piece of a word split after its first syllable is rarely a word of its own of
    // two letters or more, and its rest even more rarely one of three.
    head.chars().count() >= 2
        && tail.chars().count() >= 3
        && lexicon.is_word(&head_lower)
        && lexicon.is_word(tail_part(&tail_lower))
}

/// The word the hyphen ends: after the last hyphen and any elision ("l'ex" -> "ex").
fn last_part(head: &str) -> &str {
    let part = head.rsplit('-').next().unwrap_or(head);
    let part = part.rsplit(['\'', '’']).next().unwrap_or(part);
    part.trim_start_matches(|c: char| !c.is_alphanumeric())
}

/// The tail up to its own next hyphen ("paresseuse-là" -> "paresseuse").
fn tail_part(tail: &str) -> &str {
    tail.split('-').next().unwrap_or(tail)
}

// Words that follow a hyphen in French compounds and inversions; a line starting with one of
// them after a hyphen continues a compound, not a split word.
#[rustfmt::skip]
const COMPOUND_TAILS: &[&str] = &[
    "être", "là", "ci", "même", "mêmes", "t-il", "t-ils", "t-elle", "t-elles", "t-on", "il",
    "ils", "elle", "elles", "on", "je", "tu", "nous", "vous", "moi", "toi", "lui", "leur", "y",
    "en", "ce", "dessus", "dessous", "delà", "devant", "derrière",
];

fn is_compound_tail(tail: &str) -> bool {
    let word = tail
        .trim_end_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    if COMPOUND_TAILS.contains(&word.as_str()) {
        return true;
    }
    // "en-ciel", "là-bas", "ci-dessous": the part before the next hyphen decides.
    word.split_once('-')
        .is_some_and(|(part, _)| COMPOUND_TAILS.contains(&part))
}

// Words that only ever stand before a hyphen at the start of a compound ("là-bas",
// "c’est-à-dire", "vis-à-vis"); no ordinary word is split right after them.
const COMPOUND_HEADS: &[&str] = &["là", "à", "c’est", "c'est"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lexicon_tells_compounds_from_broken_words() {
        for (head, tail) in [
            ("après", "midi"),
            ("nouveau", "né"),
            ("l'ex", "paresseuse"),
            ("peut", "être"),
            ("dit", "il"),
            ("arc", "en-ciel"),
            ("Jean", "Claude"),
            ("c'est", "à-dire"),
            ("sous", "préfet"),
        ] {
            assert!(keeps_line_end_hyphen(head, tail), "{head}-{tail}");
        }
        for (head, tail) in [
            ("mai", "son"),
            ("Ma", "dame"),
            ("Aujour", "d'hui"),
            ("An", "drès"),
            ("Hoff", "mann"),
            ("Bré", "ville"),
            ("Mai", "sons-Alfort"),
            ("impa", "tience"),
            ("re", "garda."),
        ] {
            assert!(!keeps_line_end_hyphen(head, tail), "{head}-{tail}");
        }
    }
}
