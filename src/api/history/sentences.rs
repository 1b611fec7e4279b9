//! `GET /api/v1/history/{id}/sentences?offset=0&limit=100&chapter=3&q=chien`: a page of the
//! book's source sentences, each with the pieces made of it, in book order; by chapter, and
//! searched by whole words whatever their accents and case.
//!
//! Source sentences are told apart from the stored pieces: consecutive pieces of one original
//! add up to exactly its words (which also separates two equal sentences in a row).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::owned_entry;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::db::models::SentenceEntry;
use crate::engine::local::words::words;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;
/// Longer than any phrase a learner looks for; bounds the work a query string can ask.
const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    offset: Option<usize>,
    limit: Option<usize>,
    chapter: Option<i32>,
    q: Option<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Piece {
    /// The address of the piece in `PATCH …/sentences/{position}` and in exports.
    position: i32,
    normalized: String,
    edited: bool,
    engine: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct SourceSentence {
    /// 1-based, in book order.
    index: usize,
    page: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    chapter: Option<i32>,
    original: String,
    pieces: Vec<Piece>,
}

/// The stored pieces regrouped by the source sentence they came from.
pub(crate) fn source_sentences(rows: Vec<SentenceEntry>) -> Vec<SourceSentence> {
    let mut out: Vec<SourceSentence> = Vec::new();
    // Words of the open sentence still to be covered by pieces.
    let mut missing = 0usize;
    for row in rows {
        // What the engine wrote counts, not the learner's edit of it.
        let piece_words = words(row.engine_text.as_deref().unwrap_or(&row.normalized)).len();
        let continues = missing > 0
            && out
                .last()
                .is_some_and(|s| s.original == row.original && s.page == row.page);
        let piece = Piece {
            position: row.position + 1,
            normalized: row.normalized,
            edited: row.edited,
            engine: row.engine,
        };
        match out.last_mut() {
            Some(open) if continues => {
                open.pieces.push(piece);
                missing = missing.saturating_sub(piece_words);
            }
            _ => {
                // An edit may change a piece's words: an original is then covered as soon
                // as a piece of another one starts, whatever the count says.
                missing = words(&row.original).len().saturating_sub(piece_words);
                out.push(SourceSentence {
                    index: out.len() + 1,
                    page: row.page,
                    chapter: row.chapter,
                    original: row.original,
                    pieces: vec![piece],
                });
            }
        }
    }
    out
}

/// Words folded for search: lower case, accents dropped, `œ` and `æ` spelled out.
fn folded_words(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .map(|w| {
            w.nfd()
                .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
                .flat_map(char::to_lowercase)
                .map(|c| match c {
                    'œ' => "oe".to_owned(),
                    'æ' => "ae".to_owned(),
                    '’' => "'".to_owned(),
                    c => c.to_string(),
                })
                .collect()
        })
        .collect()
}

/// Whether every word of the query is a whole word of the sentence or of one of its pieces.
fn matches(sentence: &SourceSentence, query: &[String]) -> bool {
    let mut haystack = folded_words(&sentence.original);
    for piece in &sentence.pieces {
        haystack.extend(folded_words(&piece.normalized));
    }
    // "l'homme" is searched as a word of its own and as "homme".
    let expanded: Vec<&str> = haystack
        .iter()
        .flat_map(|w| std::iter::once(w.as_str()).chain(w.rsplit_once('\'').map(|(_, b)| b)))
        .collect();
    query.iter().all(|q| expanded.contains(&q.as_str()))
}

pub async fn list_sentences(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_request",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    if query.chapter.is_some_and(|c| c < 1) {
        return Err(ApiError::bad_request(
            "invalid_request",
            "chapter: chapters are numbered from 1",
        ));
    }
    let terms = match query.q.as_deref().map(str::trim) {
        Some(q) if q.chars().count() > MAX_QUERY_CHARS => {
            return Err(ApiError::bad_request(
                "invalid_request",
                format!("q: at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        Some(q) if !q.is_empty() => {
            let terms = folded_words(q);
            if terms.is_empty() {
                return Err(ApiError::bad_request(
                    "invalid_request",
                    "q: name at least one word",
                ));
            }
            Some(terms)
        }
        _ => None,
    };
    let offset = query.offset.unwrap_or(0);
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    let rows = state.core.db.sentence_entries(&entry.id).await?;
    let (total, items) = web::block(move || {
        let wanted: Vec<SourceSentence> = source_sentences(rows)
            .into_iter()
            .filter(|s| query.chapter.is_none_or(|c| s.chapter == Some(c)))
            .filter(|s| terms.as_ref().is_none_or(|t| matches(s, t)))
            .collect();
        let total = wanted.len();
        let items: Vec<SourceSentence> = wanted.into_iter().skip(offset).take(limit).collect();
        (total, items)
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "total": total,
        "offset": offset,
        "limit": limit,
        "items": items,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(position: i32, normalized: &str, original: &str) -> SentenceEntry {
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
        }
    }

    #[test]
    fn pieces_are_regrouped_under_their_source_sentence() {
        let a = "Il pleut, et le chien dort.";
        let b = "Oui.";
        let rows = vec![
            row(0, "Il pleut.", a),
            row(1, "Le chien dort.", a),
            row(2, "Oui.", b),
            // The same sentence twice in a row is two sentences.
            row(3, "Oui.", b),
        ];
        let grouped = source_sentences(rows);
        let shape: Vec<(usize, &str, Vec<i32>)> = grouped
            .iter()
            .map(|s| {
                (
                    s.index,
                    s.original.as_str(),
                    s.pieces.iter().map(|p| p.position).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![(1, a, vec![1, 2]), (2, b, vec![3]), (3, b, vec![4])]
        );
    }

    #[test]
    fn search_takes_whole_words_whatever_their_accents_and_case() {
        let s = source_sentences(vec![row(
            0,
            "Les autrichiennes passèrent.",
            "Les Autrichiennes passèrent devant l'Église et le cœur battait.",
        )])
        .remove(0);
        let q = |text: &str| matches(&s, &folded_words(text));
        assert!(q("eglise"));
        assert!(q("ÉGLISE coeur"));
        assert!(q("passerent"));
        assert!(!q("chien"), "a piece of a word is not the word");
        assert!(!q("eglise chien"), "every word must be there");
    }
}
