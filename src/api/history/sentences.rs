//! `GET /api/v1/history/{id}/sentences?offset=0&limit=100&chapter=3&q=chien`: a page of the
//! book's source sentences, each with the pieces made of it, in book order; by chapter, and
//! searched by whole words whatever their accents and case.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use super::owned_entry;
use crate::api::AppState;
use crate::api::book::{self, PageView, PieceView, SourceView, Window};
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::db::models::SentenceEntry;
use crate::engine::local::words::words;

/// Longer than any phrase a learner looks for; bounds the work a query string can ask.
const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    offset: Option<i64>,
    limit: Option<i64>,
    chapter: Option<i32>,
    q: Option<String>,
}

/// The pieces (in book order) gathered under their source sentences.
fn source_views(rows: Vec<SentenceEntry>) -> Vec<SourceView> {
    let mut out: Vec<SourceView> = Vec::new();
    for row in rows {
        let piece = PieceView::from(&row);
        match out.last_mut() {
            Some(open) if open.index == row.source_idx + 1 => open.pieces.push(piece),
            _ => out.push(SourceView {
                index: row.source_idx + 1,
                page: row.page,
                chapter: row.chapter,
                original: row.original.to_string(),
                pieces: vec![piece],
            }),
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
fn matches(sentence: &SourceView, query: &[String]) -> bool {
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
    let window = book::window(query.offset, query.limit, query.chapter)?;
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
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    let db = &state.core.db;
    let page = match terms {
        None => book::page(db, &entry.id, window).await?,
        Some(terms) => {
            let rows = db.sentence_entries(&entry.id).await?;
            web::block(move || search(rows, &terms, window))
                .await
                .map_err(ApiError::internal)?
        }
    };
    Ok(HttpResponse::Ok().json(page))
}

/// The page `window` of the source sentences holding every word of `terms`.
fn search(rows: Vec<SentenceEntry>, terms: &[String], window: Window) -> PageView {
    let wanted: Vec<SourceView> = source_views(rows)
        .into_iter()
        .filter(|s| window.chapter.is_none_or(|c| s.chapter == Some(c)))
        .filter(|s| matches(s, terms))
        .collect();
    let total = i64::try_from(wanted.len()).unwrap_or(i64::MAX);
    let skip = usize::try_from(window.offset).unwrap_or(usize::MAX);
    let take = usize::try_from(window.limit).unwrap_or(0);
    PageView {
        total,
        offset: window.offset,
        limit: window.limit,
        sources: wanted.into_iter().skip(skip).take(take).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(position: i32, source_idx: i32, normalized: &str, original: &str) -> SentenceEntry {
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

    #[test]
    fn pieces_are_gathered_under_their_source_sentence() {
        let a = "Il pleut, et le chien dort.";
        let b = "Oui.";
        let rows = vec![
            row(0, 0, "Il pleut.", a),
            row(1, 0, "Le chien dort.", a),
            row(2, 1, "Oui.", b),
            // The same sentence twice in a row is two sentences.
            row(3, 2, "Oui.", b),
        ];
        let shape: Vec<(i32, String, Vec<i32>)> = source_views(rows)
            .into_iter()
            .map(|s| {
                (
                    s.index,
                    s.original,
                    s.pieces.iter().map(|p| p.position).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (1, a.to_owned(), vec![1, 2]),
                (2, b.to_owned(), vec![3]),
                (3, b.to_owned(), vec![4])
            ]
        );
    }

    #[test]
    fn search_takes_whole_words_whatever_their_accents_and_case() {
        let s = source_views(vec![row(
            0,
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
