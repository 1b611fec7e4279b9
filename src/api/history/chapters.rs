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
use crate::db::models::{ChapterRow, SentenceEntry};

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

/// The chapters with their sentences counted; `sentences` in book order.
pub(crate) fn chapter_views(
    chapters: Vec<ChapterRow>,
    sentences: &[SentenceEntry],
) -> Vec<ChapterView> {
    chapters
        .into_iter()
        .map(|c| {
            let mut of_chapter = sentences.iter().filter(|s| s.chapter == Some(c.idx));
            let first = of_chapter.next().map(|s| s.position + 1);
            let (count, last) = of_chapter
                .fold((usize::from(first.is_some()), first), |(n, _), s| {
                    (n + 1, Some(s.position + 1))
                });
            ChapterView {
                index: c.idx,
                title: c.title,
                first_page: c.first_page,
                sentence_count: count,
                first_position: first,
                last_position: last,
            }
        })
        .collect()
}

/// The chapters of history entry `history_id`.
pub(crate) async fn chapters_of(db: &Db, history_id: &str) -> Result<Vec<ChapterView>, ApiError> {
    let chapters = db.chapters(history_id).await?;
    let sentences = db.sentence_entries(history_id).await?;
    Ok(chapter_views(chapters, &sentences))
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

    fn sentence(position: i32, chapter: Option<i32>) -> SentenceEntry {
        SentenceEntry {
            position,
            normalized: String::new(),
            original: String::new(),
            page: 1,
            engine: "local".into(),
            edited: false,
            engine_text: None,
            edited_at: None,
            chapter,
        }
    }

    #[test]
    fn chapters_count_their_sentences() {
        let chapter = |idx: i32| ChapterRow {
            history_id: "h".into(),
            idx,
            title: format!("Chapitre {idx}"),
            first_page: idx * 10,
        };
        let sentences = [
            sentence(0, None),
            sentence(1, Some(1)),
            sentence(2, Some(1)),
            sentence(3, Some(3)),
        ];
        let views = chapter_views(vec![chapter(1), chapter(2), chapter(3)], &sentences);
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
