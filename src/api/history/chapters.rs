//! `GET /api/v1/history/{id}/chapters`: the book's chapters, in order, each with the
//! positions of its sentences, so that a client can show a table of contents and ask for one
//! chapter (`…/export?chapters=3`).

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::owned_entry;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::db::Db;
use crate::db::models::{ChapterRow, ChapterSpan};

#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct ChapterView {
    /// 1-based, in book order; what `chapter` on a sentence refers to.
    pub(crate) index: i32,
    /// The heading as printed ("Chapitre II — Le départ").
    pub(crate) title: String,
    pub(crate) first_page: i32,
    pub(crate) sentence_count: usize,
    /// 1-based positions of its first and last sentences; absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) first_position: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_position: Option<i32>,
}

/// The chapters with where their sentences stand; a chapter without a span has none.
pub(crate) fn chapter_views(chapters: Vec<ChapterRow>, spans: &[ChapterSpan]) -> Vec<ChapterView> {
    chapters
        .into_iter()
        .map(|c| {
            let span = spans.iter().find(|s| s.chapter == c.idx);
            ChapterView {
                index: c.idx,
                title: c.title,
                first_page: c.first_page,
                sentence_count: span.map_or(0, |s| s.sentences),
                first_position: span.map(|s| s.first + 1),
                last_position: span.map(|s| s.last + 1),
            }
        })
        .collect()
}

/// The chapters of history entry `history_id`, their sentences counted by the database.
pub(crate) async fn chapters_of(db: &Db, history_id: &str) -> Result<Vec<ChapterView>, ApiError> {
    let chapters = db.chapters(history_id).await?;
    let spans = db.chapter_spans(history_id).await?;
    Ok(chapter_views(chapters, &spans))
}

pub async fn history_chapters(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    let chapters = chapters_of(&state.core.db, &entry.id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "chapters": chapters })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapters_take_their_spans() {
        let chapter = |idx: i32| ChapterRow {
            history_id: "h".into(),
            idx,
            title: format!("Chapitre {idx}"),
            first_page: idx * 10,
        };
        let span = |chapter, sentences, first, last| ChapterSpan {
            chapter,
            sentences,
            first,
            last,
        };
        let spans = [span(3, 1, 3, 3), span(1, 2, 1, 2)];
        let views = chapter_views(vec![chapter(1), chapter(2), chapter(3)], &spans);
        let summary: Vec<_> = views
            .iter()
            .map(|v| (v.index, v.sentence_count, v.first_position, v.last_position))
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, 2, Some(2), Some(3)),
                (2, 0, None, None),
                (3, 1, Some(4), Some(4))
            ]
        );
    }
}
