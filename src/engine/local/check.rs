//! What a piece written by another engine (a model) must be to reach a learner: within the
//! word limit, a complete sentence, and made mostly of its source sentence's own words. The
//! local engine's rules, applied to someone else's output.

use std::collections::HashSet;

use super::clause::is_complete;
use super::tag::{Class, Tok, tag};
use super::words::word_count;
use crate::lexicon::lexicon;

/// The least share of a piece's content words that must come from its source sentence (by
/// form or by lemma, so "marchait" may become "marche"). A rewrite may add a word or two; a
/// piece below this says something its source did not.
pub(crate) const MIN_OWN_WORDS: f64 = 0.7;

/// Why a piece is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fault {
    OverLimit {
        words: usize,
    },
    /// No main clause (no finite verb with its subject), or it opens or closes on a word that
    /// needs another sentence.
    Incomplete,
    /// Too many content words that are not its source's.
    ForeignWords {
        foreign: Vec<String>,
    },
}

impl Fault {
    /// A short label for metrics and logs.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Fault::OverLimit { .. } => "over_limit",
            Fault::Incomplete => "incomplete",
            Fault::ForeignWords { .. } => "foreign_words",
        }
    }

    /// What the model is told when it is asked again.
    pub(crate) fn correction(&self, piece: &str, limit: usize) -> String {
        match self {
            Fault::OverLimit { words } => {
                format!("\"{piece}\" has {words} words; the limit is {limit}")
            }
            Fault::Incomplete => format!(
                "\"{piece}\" is not a complete sentence (it needs a conjugated verb with its \
                 subject and must not start or end mid-clause)"
            ),
            Fault::ForeignWords { foreign } => format!(
                "\"{piece}\" uses words that are not in the source sentence ({}); use the \
                 source's own words",
                foreign.join(", ")
            ),
        }
    }
}

/// The rules of the job: its word limit and whether speech stays whole.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub(crate) limit: usize,
    pub(crate) keep_dialogue_whole: bool,
}

/// A source sentence as the checks read it, once for all its pieces.
pub(crate) struct Source {
    one_line: String,
    forms: HashSet<String>,
    lemmas: HashSet<String>,
    complete: bool,
    speech: bool,
}

impl Source {
    pub(crate) fn new(text: &str) -> Self {
        let mut forms = HashSet::new();
        let mut lemmas = HashSet::new();
        for tok in tag(text).toks {
            if let Tok::Word(word) = tok {
                lemmas.extend(lemmas_of(&word.lower));
                forms.insert(word.lower);
            }
        }
        Self {
            one_line: bare(text),
            forms,
            lemmas,
            complete: is_complete(text),
            speech: text.trim_start().starts_with(['«', '“', '"', '—', '–']),
        }
    }

    /// The first fault of `piece`, if any.
    pub(crate) fn check(&self, piece: &str, rules: Rules) -> Option<Fault> {
        let words = word_count(piece);
        let whole = bare(piece) == self.one_line;
        if words > rules.limit && !(rules.keep_dialogue_whole && self.speech) {
            return Some(Fault::OverLimit { words });
        }
        // A source without a main clause ("Quelle nuit !") cannot give one: given back whole,
        // it is the author's sentence. Any other piece must stand alone.
        let author_s_own = whole && !self.complete;
        if !is_complete(piece) && !author_s_own {
            return Some(Fault::Incomplete);
        }
        let tagged = tag(piece);
        let content: Vec<&str> = tagged
            .toks
            .iter()
            .filter_map(|tok| match tok {
                Tok::Word(word) if is_content(word.class) => Some(word.lower.as_str()),
                _ => None,
            })
            .collect();
        let foreign: Vec<String> = content
            .iter()
            .filter(|w| !self.forms.contains(**w) && lemmas_of(w).is_disjoint(&self.lemmas))
            .map(|w| (*w).to_owned())
            .collect();
        let own = content.len() - foreign.len();
        if !content.is_empty() && (own as f64) < content.len() as f64 * MIN_OWN_WORDS {
            return Some(Fault::ForeignWords { foreign });
        }
        None
    }
}

/// Words that carry the meaning: what a rewrite must keep from its source. Pronouns,
/// determiners and the like may change with the cut (a repeated subject is "il").
fn is_content(class: Class) -> bool {
    matches!(
        class,
        Class::Noun
            | Class::ProperNoun
            | Class::Adjective
            | Class::Participle
            | Class::Infinitive
            | Class::Finite
            | Class::Adverb
            | Class::Number
            | Class::Other
    )
}

fn lemmas_of(lower: &str) -> HashSet<String> {
    let mut lemmas: HashSet<String> = lexicon()
        .lookup(lower)
        .map(|a| a.lemma.to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    lemmas.insert(lower.to_owned());
    lemmas
}

/// The text without quotation marks, dashes or spacing differences: how two copies of one
/// sentence compare.
fn bare(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| !matches!(c, '«' | '»' | '“' | '”' | '"'))
        .collect();
    kept.trim_start_matches(['—', '–', ' '])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules {
        limit: 8,
        keep_dialogue_whole: false,
    };

    #[test]
    fn a_good_rewrite_passes_with_changed_forms_and_a_new_subject() {
        let source = Source::new(
            "Le vieil homme marchait lentement vers la gare, et il pensait à sa fille.",
        );
        assert_eq!(
            source.check("Le vieil homme marchait vers la gare.", RULES),
            None
        );
        assert_eq!(source.check("Il pense à sa fille.", RULES), None);
    }

    #[test]
    fn each_fault_is_found_and_worded_for_the_model() {
        let source = Source::new(
            "Le vieil homme marchait lentement vers la gare, et il pensait à sa fille qui \
             vivait à Paris depuis des années.",
        );
        let long = "Le vieil homme marchait lentement vers la gare de la ville.";
        let fault = source.check(long, RULES).unwrap();
        assert_eq!(fault, Fault::OverLimit { words: 11 });
        assert!(fault.correction(long, 8).contains("the limit is 8"));
        assert_eq!(
            source.check("Qui vivait à Paris.", RULES),
            Some(Fault::Incomplete)
        );
        assert_eq!(
            source.check("Le vieil homme.", RULES),
            Some(Fault::Incomplete)
        );
        let Some(Fault::ForeignWords { foreign }) =
            source.check("Le chien aboyait soudain furieusement.", RULES)
        else {
            panic!("foreign words not found");
        };
        assert!(foreign.contains(&"chien".to_owned()));
        // One new word among several of the source's is a rewrite, not an invention.
        assert_eq!(
            source.check("Le vieil homme marchait soudain vers la gare.", RULES),
            None
        );
    }

    #[test]
    fn a_short_source_without_a_verb_may_come_back_whole() {
        let source = Source::new("« Quelle nuit ! »");
        assert_eq!(source.check("Quelle nuit !", RULES), None);
        // Only whole: a part of a source that is not a clause is a fragment all the same.
        let odd = Source::new("Et lui, souriant, tendant la main vers la fenêtre.");
        assert_eq!(
            odd.check("Et lui, souriant.", RULES),
            Some(Fault::Incomplete)
        );
        // Speech kept whole on request may pass the limit.
        let reply = "— Je ne sais pas, répondit-elle, mais je reviendrai demain avant le jour.";
        let speech = Source::new(reply);
        let whole = Rules {
            keep_dialogue_whole: true,
            ..RULES
        };
        assert_eq!(speech.check(reply, whole), None);
        assert!(matches!(
            speech.check(reply, RULES),
            Some(Fault::OverLimit { .. })
        ));
    }
}
