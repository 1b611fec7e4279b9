//! What a learner studies of a book: the pieces left once the study filters are applied
//! (complete sentences only, nothing over the limit, no repeats, edited only) and, with a
//! search, the source sentences holding every word asked for. The results view, the file
//! exports and the Sheets export all take this same selection.

use std::collections::HashSet;

use unicode_normalization::UnicodeNormalization;

use crate::api::error::ApiError;
use crate::db::models::SentenceEntry;
use crate::engine::local::reads_as_sentence;
use crate::engine::local::words::words;

/// Longer than any phrase a learner looks for; bounds the work a query string can ask.
const MAX_QUERY_CHARS: usize = 200;

/// The filters as a request names them; every one is off when absent.
#[derive(Debug, Default, Clone)]
pub(crate) struct StudyQuery<'a> {
    pub(crate) q: Option<&'a str>,
    pub(crate) complete_only: bool,
    pub(crate) hide_over_limit: bool,
    pub(crate) hide_duplicates: bool,
    pub(crate) edited_only: bool,
}

/// A checked [`StudyQuery`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Study {
    /// Folded words that must all be in a source sentence or its pieces, each as " word "
    /// to be found in a [`searchable`] line.
    terms: Vec<String>,
    complete_only: bool,
    hide_over_limit: bool,
    hide_duplicates: bool,
    edited_only: bool,
}

impl Study {
    pub(crate) fn parse(query: &StudyQuery<'_>) -> Result<Self, ApiError> {
        let terms = match query.q.map(str::trim) {
            Some(q) if q.chars().count() > MAX_QUERY_CHARS => {
                return Err(ApiError::bad_request(
                    "invalid_request",
                    format!("q: at most {MAX_QUERY_CHARS} characters"),
                ));
            }
            Some(q) if !q.is_empty() => {
                let terms: Vec<String> = folded_words(q)
                    .into_iter()
                    .map(|w| format!(" {w} "))
                    .collect();
                if terms.is_empty() {
                    return Err(ApiError::bad_request(
                        "invalid_request",
                        "q: name at least one word",
                    ));
                }
                terms
            }
            _ => Vec::new(),
        };
        Ok(Self {
            terms,
            complete_only: query.complete_only,
            hide_over_limit: query.hide_over_limit,
            hide_duplicates: query.hide_duplicates,
            edited_only: query.edited_only,
        })
    }

    /// Whether anything is filtered out: without it, the book is read page by page as stored.
    pub(crate) fn is_active(&self) -> bool {
        *self != Self::default()
    }

    /// The pieces kept from `rows` (a book, or part of it, in book order). Pieces are judged
    /// one by one; a repeat is a piece whose words were already kept earlier in the
    /// selection. A search then keeps the source sentences whose original or kept pieces hold
    /// every word.
    pub(crate) fn apply(&self, rows: Vec<SentenceEntry>) -> Vec<SentenceEntry> {
        let mut seen: HashSet<String> = HashSet::new();
        let kept = rows.into_iter().filter(|row| {
            (!self.edited_only || row.edited)
                && (!self.hide_over_limit || row.kind.as_deref() != Some("over_limit"))
                && (!self.complete_only || reads_as_sentence(&row.normalized))
                && (!self.hide_duplicates || seen.insert(folded_words(&row.normalized).join(" ")))
        });
        if self.terms.is_empty() {
            return kept.collect();
        }
        let mut out = Vec::new();
        let mut group: Vec<SentenceEntry> = Vec::new();
        // One buffer for every source sentence's line: a book has thousands.
        let mut line = String::new();
        for row in kept {
            if group
                .first()
                .is_some_and(|g| g.source_idx != row.source_idx)
            {
                self.keep_if_found(&mut group, &mut line, &mut out);
            }
            group.push(row);
        }
        self.keep_if_found(&mut group, &mut line, &mut out);
        out
    }

    /// Moves one source sentence's pieces to `out` when they, with their original, hold
    /// every search word.
    fn keep_if_found(
        &self,
        group: &mut Vec<SentenceEntry>,
        line: &mut String,
        out: &mut Vec<SentenceEntry>,
    ) {
        let Some(first) = group.first() else {
            return;
        };
        line.clear();
        line.push(' ');
        searchable(&first.original, line);
        for piece in group.iter() {
            searchable(&piece.normalized, line);
        }
        if self.terms.iter().all(|t| line.contains(t.as_str())) {
            out.append(group);
        } else {
            group.clear();
        }
    }
}

/// Words folded for search: lower case, accents dropped, `œ` and `æ` spelled out.
pub(crate) fn folded_words(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .map(|w| {
            let mut folded = String::with_capacity(w.len());
            fold_into(w, &mut folded);
            folded
        })
        .collect()
}

fn fold_into(word: &str, out: &mut String) {
    if word.is_ascii() {
        out.extend(word.chars().map(|c| c.to_ascii_lowercase()));
        return;
    }
    for c in word.nfd() {
        match c {
            c if unicode_normalization::char::is_combining_mark(c) => {}
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            '’' => out.push('\''),
            c => out.extend(c.to_lowercase()),
        }
    }
}

/// Appends the folded words `text` is found by to `line`, each followed by a space:
/// "l'homme" is found as itself and as "homme".
fn searchable(text: &str, line: &mut String) {
    for word in words(text) {
        let start = line.len();
        fold_into(word, line);
        let folded = &line[start..];
        if let Some((_, after)) = folded.rsplit_once('\'') {
            let after = after.to_owned();
            line.push(' ');
            line.push_str(&after);
        }
        line.push(' ');
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A stored piece of chapter 1, page 1, by the local engine.
    pub(in crate::api::history) fn row(
        position: i32,
        source_idx: i32,
        normalized: &str,
        original: &str,
    ) -> SentenceEntry {
        SentenceEntry {
            position,
            normalized: normalized.into(),
            original: original.into(),
            page: 1,
            engine: "local".into(),
            edited: false,
            engine_text: None,
            edited_at: None,
            chapter: Some(1),
            source_idx,
            piece_idx: 0,
            kind: None,
            model: None,
        }
    }

    fn study(q: Option<&str>) -> Study {
        Study::parse(&StudyQuery {
            q,
            ..StudyQuery::default()
        })
        .unwrap()
    }

    fn positions(rows: &[SentenceEntry]) -> Vec<i32> {
        rows.iter().map(|r| r.position).collect()
    }

    #[test]
    fn search_takes_whole_words_whatever_their_accents_and_case() {
        let original = "Les Autrichiennes passèrent devant l'Église et le cœur battait.";
        let rows = || vec![row(0, 0, "Les autrichiennes passèrent.", original)];
        let found = |q: &str| !study(Some(q)).apply(rows()).is_empty();
        assert!(found("eglise"));
        assert!(found("ÉGLISE coeur"));
        assert!(found("l'église"));
        assert!(found("passerent"));
        assert!(!found("chien"), "a piece of a word is not the word");
        assert!(!found("eglise chien"), "every word must be there");
    }

    #[test]
    fn a_search_keeps_every_piece_of_a_source_it_finds() {
        let a = "Il pleut, et le chien dort.";
        let rows = vec![
            row(0, 0, "Il pleut.", a),
            row(1, 0, "Le chien dort.", a),
            row(2, 1, "Oui.", "Oui."),
        ];
        assert_eq!(positions(&study(Some("pleut")).apply(rows)), vec![0, 1]);
    }

    #[test]
    fn each_filter_drops_the_pieces_it_names() {
        let mut edited = row(1, 1, "Le chien dort.", "Le chien dort au soleil.");
        edited.edited = true;
        let mut long = row(
            2,
            2,
            "Il marchait longtemps dans les rues sombres de la ville endormie.",
            "Il marchait longtemps dans les rues sombres de la ville endormie.",
        );
        long.kind = Some("over_limit".into());
        let rows = || {
            vec![
                row(0, 0, "Oui.", "Oui."),
                edited.clone(),
                long.clone(),
                row(3, 3, "et puis dans la", "Et puis, dans la nuit, rien."),
                row(4, 4, "oui !", "Oui !"),
            ]
        };
        let with =
            |query: StudyQuery<'static>| positions(&Study::parse(&query).unwrap().apply(rows()));
        assert_eq!(
            with(StudyQuery {
                edited_only: true,
                ..StudyQuery::default()
            }),
            vec![1]
        );
        assert_eq!(
            with(StudyQuery {
                hide_over_limit: true,
                ..StudyQuery::default()
            }),
            vec![0, 1, 3, 4]
        );
        assert_eq!(
            with(StudyQuery {
                hide_duplicates: true,
                ..StudyQuery::default()
            }),
            vec![0, 1, 2, 3],
            "\"oui !\" repeats \"Oui.\" word for word"
        );
        let complete = with(StudyQuery {
            complete_only: true,
            ..StudyQuery::default()
        });
        assert!(complete.contains(&1), "{complete:?}");
        assert!(
            !complete.contains(&3),
            "a fragment is not a sentence: {complete:?}"
        );
    }

    #[test]
    fn a_query_without_words_or_too_long_is_refused() {
        for q in ["…", "!!", &"mot ".repeat(60)] {
            let refused = Study::parse(&StudyQuery {
                q: Some(q),
                ..StudyQuery::default()
            });
            assert!(refused.is_err(), "{q}");
        }
        assert!(!study(Some("  ")).is_active(), "blank is no search");
        assert!(study(Some("chien")).is_active());
    }
}
