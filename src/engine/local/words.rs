//! Word counting shared by segmentation, splitting and the output check.
//!
//! Everything downstream (sentence length limits, the "no word lost" check)
//! relies on these two functions agreeing exactly, so both are built on the
//! same notion of a word token.

/// A word is a whitespace-separated token containing at least one alphanumeric char
/// ("l'homme", "peut-être", "a-t-il", "1.000" are one word each; "—", "«", "»", "…", ";" are not words).
pub fn word_count(s: &str) -> usize {
    s.split_whitespace().filter(|t| is_word_token(t)).count()
}

/// The words of `s` in order, each stripped of leading/trailing non-alphanumeric chars (used by tests and by an output check).
pub fn words(s: &str) -> Vec<&str> {
    s.split_whitespace()
        .filter(|t| is_word_token(t))
        .map(strip_token)
        .collect()
}

fn is_word_token(t: &str) -> bool {
    t.chars().any(char::is_alphanumeric)
}

/// A char that belongs to a word: a letter, a digit, or an accent written apart (NFD).
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Combining marks are kept so that decomposed (NFD) accents at the end of a
/// word ("cafe\u{301}") stay part of it instead of being trimmed like punctuation.
fn strip_token(t: &str) -> &str {
    t.trim_matches(|c: char| !is_word_char(c))
}

fn is_combining_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

/// How deep inside quotation marks the text is, fed one char at a time. The ASCII `"` has no
/// direction, so it toggles; an unclosed quote runs on.
#[derive(Debug, Default, Clone, Copy)]
pub struct QuoteDepth {
    depth: u32,
    ascii_open: bool,
}

impl QuoteDepth {
    /// Takes the next char and returns the depth after it.
    pub fn feed(&mut self, c: char) -> u32 {
        match c {
            '«' | '“' => self.depth = self.depth.saturating_add(1),
            '»' | '”' => self.depth = self.depth.saturating_sub(1),
            '"' => {
                self.depth = if self.ascii_open {
                    self.depth.saturating_sub(1)
                } else {
                    self.depth.saturating_add(1)
                };
                self.ascii_open = !self.ascii_open;
            }
            _ => {}
        }
        self.depth
    }

    pub fn depth(&self) -> u32 {
        self.depth
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_french_compounds_as_single_words() {
        assert_eq!(word_count("l'homme peut-être a-t-il 1.000 aujourd’hui"), 5);
    }

    #[test]
    fn punctuation_tokens_are_not_words() {
        assert_eq!(word_count("— « » … ; : ! ? ... –"), 0);
        assert_eq!(word_count("« Viens ! » dit-il ; puis il partit."), 5);
    }

    #[test]
    fn words_are_stripped_of_outer_punctuation_only() {
        assert_eq!(
            words("« Viens ! » dit-il, l'homme… (peut-être) 3,14."),
            vec!["Viens", "dit-il", "l'homme", "peut-être", "3,14"]
        );
        assert_eq!(words("«qu'»"), vec!["qu"]);
    }

    #[test]
    fn words_and_word_count_agree() {
        for s in [
            "",
            "   ",
            "a",
            "— Oui, dit-il.",
            "« » … ;",
            "n° 5, J.-C.",
            "😀 ok 😀",
            "\u{301}",
        ] {
            assert_eq!(words(s).len(), word_count(s), "{s:?}");
        }
    }

    #[test]
    fn combining_accents_stay_in_the_word() {
        assert_eq!(words("un cafe\u{301}."), vec!["un", "cafe\u{301}"]);
        assert_eq!(word_count("\u{301} \u{301}"), 0);
    }

    #[test]
    fn empty_and_whitespace() {
        assert_eq!(word_count(""), 0);
        assert!(words(" \t\u{a0} ").is_empty());
    }
}
