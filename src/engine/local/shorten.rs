//! Shortening, the last resort after cutting: complete sentences within the limit made of a
//! long piece's own words, in their order, at the cost of its details. A clause loses its
//! opening "et", then its details one at a time, the longest first, as long as it stays a
//! complete sentence: asides between commas ("Jeanne, ayant fini ses malles, s'approcha de la
//! fenêtre." → "Jeanne s'approcha de la fenêtre.") and prepositional phrases ("Le ronflement
//! des ruisseaux débordés emplissait les rues." → "Le ronflement emplissait les rues."); what is
//! still too long keeps its longest complete beginning. The local engine itself never drops a
//! word; this is for a writer that must stay within the limit (Gemini's fallback, and the fake
//! model's answers).

use super::clause::is_complete;
use super::tag::{Class, Tok, tag};
use super::words::word_count;
use crate::engine::Sentence;
use crate::settings::Settings;

/// Most details taken out of one clause: past that, the clause is cut to its complete
/// beginning instead (each removal re-reads the clause).
const MAX_REMOVALS: usize = 16;
/// A clause longer than this is cut to its beginning at once: trying every detail of a
/// sentence of pages would cost the square of its length.
const MAX_CLAUSE_WORDS: usize = 80;

/// Complete sentences of at most `limit` words from `piece`, each in the piece's order; empty
/// when no part of it can stand alone within the limit.
pub fn shorten(piece: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(1);
    let bare: String = piece
        .chars()
        .filter(|c| !matches!(c, '«' | '»' | '“' | '”' | '"'))
        .collect();
    let bare = bare.trim_start_matches(['—', '–', ' ']);
    clauses(bare)
        .into_iter()
        .filter_map(|clause| fit(&clause, limit))
        .collect()
}

/// `sentences` with every piece over the job's limit shortened; speech kept whole on request
/// stays whole, and so does a piece nothing complete can be made of.
pub fn within_limit(sentences: Vec<Sentence>, settings: &Settings) -> Vec<Sentence> {
    let limit = (settings.sentence_length_limit as usize).max(1);
    let mut out = Vec::with_capacity(sentences.len());
    for sentence in sentences {
        let speech = sentence
            .original
            .trim_start()
            .starts_with(['«', '“', '"', '—', '–']);
        if word_count(&sentence.normalized) <= limit || (settings.ignore_dialogue && speech) {
            out.push(sentence);
            continue;
        }
        let short = shorten(&sentence.normalized, limit);
        if short.is_empty() {
            out.push(sentence);
            continue;
        }
        out.extend(short.into_iter().map(|normalized| Sentence {
            normalized,
            // Words were dropped: the kind is told from the words by the writer.
            kind: None,
            ..sentence.clone()
        }));
    }
    out
}

/// The piece cut where a new clause may start: after `;` and `:`, and before a coordinator
/// that follows a comma.
fn clauses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for token in text.split_whitespace() {
        let opens = current.last().is_some_and(|last| last.ends_with(','))
            && matches!(
                token.to_lowercase().as_str(),
                "mais" | "et" | "car" | "puis" | "donc" | "or" | "ensuite"
            );
        if opens && !current.is_empty() {
            out.push(current.join(" "));
            current.clear();
        }
        let ends = token.ends_with([';', ':']) || token == "—";
        current.push(token);
        if ends {
            out.push(current.join(" "));
            current.clear();
        }
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out.into_iter()
        .map(|clause| {
            clause
                .trim_end_matches([',', ';', ':', '—', ' '])
                .trim()
                .to_owned()
        })
        .filter(|clause| clause.chars().any(char::is_alphanumeric))
        .collect()
}

/// One clause within the limit: as it is, without details, or its complete beginning.
fn fit(clause: &str, limit: usize) -> Option<String> {
    // "et" opening a clause ties it to the one before; alone it goes, as the cuts drop it.
    let clause = match clause.split_once(' ') {
        Some((first, rest)) if first.eq_ignore_ascii_case("et") => rest,
        _ => clause,
    };
    let sentence = closed(clause);
    if word_count(&sentence) <= limit && is_complete(&sentence) {
        return Some(sentence);
    }
    if word_count(&sentence) > MAX_CLAUSE_WORDS {
        return complete_beginning(&sentence, limit);
    }
    let without = without_details(&sentence, limit);
    if word_count(&without) <= limit && stands(&without) {
        return Some(without);
    }
    complete_beginning(&without, limit).or_else(|| complete_beginning(&sentence, limit))
}

/// A shortened sentence that is complete and whose relative clauses still follow a word they
/// can refer to: taking out a detail must not leave "qui ne vendait plus" hanging on a verb.
fn stands(text: &str) -> bool {
    if !is_complete(text) {
        return false;
    }
    let tagged = tag(text);
    let mut previous: Option<Class> = None;
    for tok in &tagged.toks {
        let Tok::Word(word) = tok else {
            continue;
        };
        if word.class == Class::Relative
            && !previous.is_some_and(|class| {
                matches!(
                    class,
                    Class::Noun
                        | Class::ProperNoun
                        | Class::Pronoun
                        | Class::Adjective
                        | Class::Participle
                        | Class::Ce
                )
            })
        {
            return false;
        }
        previous = Some(word.class);
    }
    true
}

/// A capital first letter and a closing mark.
fn closed(text: &str) -> String {
    let text = text.trim().trim_end_matches([',', ';', ':', '—', ' ']);
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?', '…']) {
        out.push('.');
    }
    out
}

/// The sentence with details taken out, the last first, while it is over the limit and stays
/// complete.
fn without_details(sentence: &str, limit: usize) -> String {
    let mut tokens: Vec<String> = sentence.split_whitespace().map(str::to_owned).collect();
    for _ in 0..MAX_REMOVALS {
        let current = closed(&tokens.join(" "));
        if word_count(&current) <= limit {
            return current;
        }
        let mut spans = details(&tokens);
        // Asides first, then the last details: a sentence says its main thing early.
        spans.sort_by_key(|(span, aside)| (!aside, std::cmp::Reverse((span.start, span.len()))));
        let Some(next) = spans
            .into_iter()
            .map(|(span, _)| removed(&tokens, span))
            .find(|rest| stands(&closed(&rest.join(" "))))
        else {
            break;
        };
        tokens = next;
    }
    closed(&tokens.join(" "))
}

/// Token ranges that are details, each marked whether it is an aside: a run between two
/// commas (or from the start to a comma), and a prepositional phrase (a preposition and what follows it up to the next verb,
/// conjunction, relative, preposition or punctuation).
fn details(tokens: &[String]) -> Vec<(std::ops::Range<usize>, bool)> {
    let tagged = tag(&tokens.join(" "));
    let mut first: Vec<Option<Class>> = vec![None; tokens.len()];
    for (tok, &ws) in tagged.toks.iter().zip(&tagged.ws) {
        if let (Tok::Word(word), Some(slot)) = (tok, first.get_mut(ws)) {
            slot.get_or_insert(word.class);
        }
    }
    let comma = |i: usize| tokens[i].ends_with(',');
    let mut spans = Vec::new();
    for start in 0..tokens.len() {
        let opened = start == 0 || comma(start - 1);
        if opened {
            // Up to a later comma, never the whole rest.
            for end in start..tokens.len().saturating_sub(1) {
                if comma(end) {
                    spans.push((start..end + 1, true));
                }
            }
        }
        let object_follows = first
            .get(start + 1)
            .copied()
            .flatten()
            .is_some_and(|class| {
                matches!(
                    class,
                    Class::Determiner
                        | Class::Noun
                        | Class::ProperNoun
                        | Class::Number
                        | Class::Pronoun
                        | Class::Infinitive
                        | Class::Adjective
                )
            });
        let opens_phrase =
            first[start] == Some(Class::Preposition) || tokens[start].eq_ignore_ascii_case("comme");
        if start > 0 && opens_phrase && object_follows {
            let mut end = start + 1;
            while end < tokens.len() && !tokens[end - 1].ends_with([',', ';', ':']) {
                let goes_on = match first[end] {
                    // "entre une mercerie et une boulangerie": the phrase goes on.
                    Some(Class::Coordinator) => {
                        first.get(end + 1).copied().flatten().is_some_and(|next| {
                            matches!(next, Class::Determiner | Class::Noun | Class::ProperNoun)
                        })
                    }
                    Some(
                        Class::Finite
                        | Class::Relative
                        | Class::Subordinator
                        | Class::Preposition
                        | Class::Subject
                        | Class::Negation
                        | Class::Clitic,
                    ) => false,
                    _ => true,
                };
                if !goes_on {
                    break;
                }
                end += 1;
            }
            spans.push((start..end, false));
        }
    }
    spans
}

/// `tokens` without `span`; a comma left dangling before the gap goes too, unless the span
/// ended on one of its own (an aside closes where it opened).
fn removed(tokens: &[String], span: std::ops::Range<usize>) -> Vec<String> {
    let mut out: Vec<String> = tokens[..span.start].to_vec();
    let span_closed = tokens[span.end - 1].ends_with(',');
    if let Some(last) = out.last_mut()
        && span_closed
        && last.ends_with(',')
    {
        last.pop();
    }
    out.extend_from_slice(&tokens[span.end..]);
    out
}

/// The longest beginning of at most `limit` words that is a complete sentence and does not
/// end on a word that announces more ("…depuis la", "…sur l'établi sans").
fn complete_beginning(sentence: &str, limit: usize) -> Option<String> {
    let tokens: Vec<&str> = sentence.split_whitespace().collect();
    let tagged = tag(sentence);
    // Per whitespace token: the class of its first word and of its last.
    let mut first: Vec<Option<Class>> = vec![None; tokens.len()];
    let mut last: Vec<Option<Class>> = vec![None; tokens.len()];
    for (tok, &ws) in tagged.toks.iter().zip(&tagged.ws) {
        if let (Tok::Word(word), Some(end)) = (tok, last.get_mut(ws)) {
            *end = Some(word.class);
            if let Some(slot) = first.get_mut(ws) {
                slot.get_or_insert(word.class);
            }
        }
    }
    // A beginning may not end on a word that announces more, nor inside a noun phrase
    // ("…comme deux | firmaments").
    let phrase_ends_after = |n: usize| {
        let announces = last[n - 1].is_some_and(|class| {
            matches!(
                class,
                Class::Determiner
                    | Class::Preposition
                    | Class::Coordinator
                    | Class::Subordinator
                    | Class::Relative
                    | Class::Clitic
                    | Class::Negation
                    | Class::Subject
                    | Class::Ce
            )
        });
        let inside_noun_phrase = !tokens[n - 1].ends_with([',', ';', ':'])
            && matches!(last[n - 1], Some(Class::Number | Class::Adjective))
            && matches!(first.get(n).copied().flatten(), Some(Class::Noun));
        !announces && !inside_noun_phrase
    };
    (1..=tokens.len().min(limit + 1))
        .rev()
        .filter(|&n| phrase_ends_after(n))
        .map(|n| closed(&tokens[..n].join(" ")))
        .find(|candidate| word_count(candidate) <= limit && stands(candidate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(pieces: &[String], limit: usize) {
        for piece in pieces {
            assert!(word_count(piece) <= limit, "{piece}");
            assert!(is_complete(piece), "{piece}");
        }
    }

    #[test]
    fn asides_go_first() {
        let got = shorten(
            "Jeanne, ayant fini ses malles, s'approcha de la fenêtre, mais la pluie ne cessait pas.",
            8,
        );
        within(&got, 8);
        assert_eq!(got[0], "Jeanne s'approcha de la fenêtre.");
        assert_eq!(
            got.last().map(String::as_str),
            Some("Mais la pluie ne cessait pas.")
        );
    }

    #[test]
    fn a_long_clause_keeps_its_complete_beginning() {
        let got = shorten(
            "La boutique de M. Lambert se trouvait au fond de la rue des Carmes entre une \
             mercerie et une boulangerie.",
            8,
        );
        within(&got, 8);
        assert!(!got.is_empty());
        assert!(
            got[0].starts_with("La boutique de M. Lambert se trouvait"),
            "{got:?}"
        );
    }

    #[test]
    fn prepositional_phrases_and_an_opening_et_go_before_the_end_is_cut() {
        let got = shorten(
            "Le couvre-pied et la tenture du ciel de lit scintillaient comme deux firmaments.",
            8,
        );
        within(&got, 8);
        assert_eq!(got, ["Le couvre-pied et la tenture du ciel scintillaient."]);
        assert_eq!(
            shorten("Et elle se précipita vers la chambre de la baronne.", 8),
            ["Elle se précipita vers la chambre."]
        );
        assert_eq!(
            shorten(
                "Le ronflement des ruisseaux débordés emplissait les rues désertes de la ville.",
                8
            ),
            ["Le ronflement emplissait les rues désertes."]
        );
    }

    #[test]
    fn a_beginning_ends_where_a_phrase_ends() {
        assert_eq!(
            shorten("Je n'en ai pas vu autant depuis la guerre.", 8),
            ["Je n'en ai pas vu autant."]
        );
        assert_eq!(
            shorten("Puis il la posa sur l'établi sans un mot.", 8),
            ["Puis il la posa sur l'établi."]
        );
    }

    #[test]
    fn what_cannot_stand_alone_gives_nothing_and_short_pieces_stay() {
        assert!(
            shorten(
                "Les pinces, les tournevis, les brucelles, rangés par taille.",
                4
            )
            .is_empty()
        );
        assert_eq!(shorten("Il pleuvait.", 8), ["Il pleuvait."]);
        assert_eq!(shorten("« Il pleuvait. »", 8), ["Il pleuvait."]);
    }
}
