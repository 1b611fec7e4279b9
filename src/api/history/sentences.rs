//! `GET /api/v1/history/{id}/sentences?offset=0&limit=100&chapter=3&q=chien&complete_only=true`:
//! a page of the book's source sentences, each with the pieces made of it, in book order; by
//! chapter, searched by whole words whatever their accents and case, and narrowed by the study
//! filters (`complete_only`, `hide_over_limit`, `hide_duplicates`, `edited_only`; see
//! [`super::study`]).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::owned_entry;
use super::study::{Study, StudyQuery};
use crate::api::AppState;
use crate::api::book::{self, PageView, PieceView, SourceView, Window};
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::db::models::SentenceEntry;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    offset: Option<i64>,
    limit: Option<i64>,
    chapter: Option<i32>,
    q: Option<String>,
    #[serde(default)]
    complete_only: bool,
    #[serde(default)]
    hide_over_limit: bool,
    #[serde(default)]
    hide_duplicates: bool,
    #[serde(default)]
    edited_only: bool,
}

impl Query {
    fn study(&self) -> StudyQuery<'_> {
        StudyQuery {
            q: self.q.as_deref(),
            complete_only: self.complete_only,
            hide_over_limit: self.hide_over_limit,
            hide_duplicates: self.hide_duplicates,
            edited_only: self.edited_only,
        }
    }
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

pub async fn list_sentences(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    let window = book::window(query.offset, query.limit, query.chapter)?;
    let study = Study::parse(&query.study())?;
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    let db = &state.core.db;
    let page = if study.is_active() {
        let rows = db.sentence_entries(&entry.id).await?;
        web::block(move || studied_page(rows, &study, window))
            .await
            .map_err(ApiError::internal)?
    } else {
        book::page(db, &entry.id, window).await?
    };
    Ok(HttpResponse::Ok().json(page))
}

/// The page `window` of what `study` keeps of the book.
fn studied_page(rows: Vec<SentenceEntry>, study: &Study, window: Window) -> PageView {
    let in_chapter: Vec<SentenceEntry> = rows
        .into_iter()
        .filter(|row| window.chapter.is_none_or(|c| row.chapter == Some(c)))
        .collect();
    let wanted = source_views(study.apply(in_chapter));
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
    use crate::api::history::study::tests::row;

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
}
