//! Shortening, the last resort after cutting: complete sentences within the limit made of a
//! long piece's own words, in their order, at the cost of its details. Asides between commas
//! go first ("Jeanne, ayant fini ses malles, s'approcha de la fenêtre." → "Jeanne s'approcha
//! de la fenêtre."), then what follows the longest complete beginning. The local engine itself
//! never drops a word; this is for a writer that must stay within the limit (Gemini's
//! fallback, and the fake model's answers).

use super::clause::is_complete;
use super::tag::{Class, Tok, tag};
use super::words::word_count;
use crate::engine::Sentence;
use crate::settings::Settings;

/// Most comma-separated asides tried for removal in one clause: past that, the clause is cut
/// to its complete beginning instead.
const MAX_ASIDES: usize = 24;

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

/// One clause within the limit: as it is, without its asides, or its complete beginning.
fn fit(clause: &str, limit: usize) -> Option<String> {
    let sentence = closed(clause);
    if word_count(&sentence) <= limit && is_complete(&sentence) {
        return Some(sentence);
    }
    let without = without_asides(&sentence, limit);
    if word_count(&without) <= limit && is_complete(&without) {
        return Some(without);
    }
    complete_beginning(&without, limit).or_else(|| complete_beginning(&sentence, limit))
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

/// The sentence with comma-separated asides taken out, longest first, while it stays complete
/// and is over the limit. An aside between two commas leaves its neighbours joined by a space
/// ("Jeanne, ayant fini ses malles, s'approcha" → "Jeanne s'approcha").
fn without_asides(sentence: &str, limit: usize) -> String {
    let parts: Vec<&str> = sentence.split(", ").collect();
    let mut kept = vec![true; parts.len()];
    let render = |kept: &[bool]| {
        let mut out = String::new();
        let mut last: Option<usize> = None;
        for (i, part) in parts.iter().enumerate().filter(|(i, _)| kept[*i]) {
            if let Some(last) = last {
                out.push_str(if last + 1 == i { ", " } else { " " });
            }
            out.push_str(part);
            last = Some(i);
        }
        closed(&out)
    };
    for _ in 0..MAX_ASIDES {
        let current = render(&kept);
        if word_count(&current) <= limit {
            return current;
        }
        let mut order: Vec<usize> = (0..parts.len()).filter(|&i| kept[i]).collect();
        if order.len() < 2 {
            break;
        }
        order.sort_by_key(|&i| std::cmp::Reverse(word_count(parts[i])));
        let removable = order.into_iter().find(|&i| {
            let mut trial = kept.clone();
            trial[i] = false;
            is_complete(&render(&trial))
        });
        match removable {
            Some(i) => kept[i] = false,
            None => break,
        }
    }
    render(&kept)
}

/// The longest beginning of at most `limit` words that is a complete sentence and ends where
/// a phrase ends: before a preposition, a conjunction or a relative, or at a comma, and never
/// on a word that announces more ("…depuis la", "…sur l'établi sans").
fn complete_beginning(sentence: &str, limit: usize) -> Option<String> {
    let tokens: Vec<&str> = sentence.split_whitespace().collect();
    let tagged = tag(sentence);
    // Per whitespace token: the class of its first word and of its last.
    let mut first: Vec<Option<Class>> = vec![None; tokens.len()];
    let mut last: Vec<Option<Class>> = vec![None; tokens.len()];
    for (tok, &ws) in tagged.toks.iter().zip(&tagged.ws) {
        if let (Tok::Word(word), Some(slot)) = (tok, first.get_mut(ws)) {
            slot.get_or_insert(word.class);
            if let Some(end) = last.get_mut(ws) {
                *end = Some(word.class);
            }
        }
    }
    let phrase_ends_after = |n: usize| {
        let closes = tokens[n - 1].ends_with([',', ';', ':']);
        let next_opens = first.get(n).copied().flatten().is_some_and(|class| {
            matches!(
                class,
                Class::Preposition | Class::Relative | Class::Subordinator | Class::Coordinator
            )
        });
        let ends_open = last[n - 1].is_some_and(|class| {
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
        (closes || next_opens || n == tokens.len()) && !ends_open
    };
    (1..=tokens.len().min(limit + 1))
        .rev()
        .filter(|&n| phrase_ends_after(n))
        .map(|n| closed(&tokens[..n].join(" ")))
        .find(|candidate| word_count(candidate) <= limit && is_complete(candidate))
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
