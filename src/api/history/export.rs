//! `GET /api/v1/history/{id}/export?format=csv|xlsx|json|anki&positions=1-20,25&chapters=2-4`:
//! the entry, or the selected sentences of it (by position, by chapter, or both), as a file
//! to download.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::owned_entry;
use super::selection::Selection;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::db::models::HistoryEntry;
use crate::db::now_ms;
use crate::export::{self, ExportChapter, ExportDoc, ExportSentence, Format};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    format: String,
    positions: Option<String>,
    chapters: Option<String>,
}

/// What an export takes: everything, or the sentences both selections name.
#[derive(Debug, Default)]
pub(super) struct Picked {
    pub(super) positions: Option<Selection>,
    pub(super) chapters: Option<Selection>,
}

impl Picked {
    fn any(&self) -> bool {
        self.positions.is_some() || self.chapters.is_some()
    }

    fn takes(&self, s: &ExportSentence) -> bool {
        self.positions
            .as_ref()
            .is_none_or(|sel| sel.contains(s.position))
            && self
                .chapters
                .as_ref()
                .is_none_or(|sel| s.chapter.is_some_and(|c| sel.contains(c)))
    }
}

pub async fn export_history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    let format: Format = query.format.parse().map_err(|e: export::UnknownFormat| {
        ApiError::bad_request("invalid_format", e.to_string())
    })?;
    let picked = Picked {
        positions: parse_selection(query.positions.as_deref())?,
        chapters: query
            .chapters
            .as_deref()
            .map(Selection::parse_chapters)
            .transpose()
            .map_err(|e| ApiError::bad_request("invalid_selection", e.to_string()))?,
    };
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    let sentences = selected_sentences(&state, &entry, &picked).await?;
    let chapters = entry_chapters(&state, &entry).await?;
    let bytes = web::block(move || {
        let doc = export_doc(&entry, &sentences, &chapters);
        export::render(format, &doc).map(|bytes| (bytes, entry.file_name))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let (bytes, file_name) = bytes;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            export::content_disposition(&file_name, format),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

pub(super) fn parse_selection(positions: Option<&str>) -> Result<Option<Selection>, ApiError> {
    positions
        .map(Selection::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request("invalid_selection", e.to_string()))
}

/// The entry's sentences in book order, only the picked ones when something is picked.
pub(super) async fn selected_sentences(
    state: &AppState,
    entry: &HistoryEntry,
    picked: &Picked,
) -> Result<Vec<ExportSentence>, ApiError> {
    let rows = state.core.db.sentence_entries(&entry.id).await?;
    let sentences: Vec<ExportSentence> = rows
        .into_iter()
        .map(export::stored::sentence)
        .filter(|s| picked.takes(s))
        .collect();
    if sentences.is_empty() && picked.any() {
        return Err(ApiError::bad_request(
            "invalid_selection",
            format!(
                "none of the selected sentences exists; this entry has sentences 1 to {}{}",
                entry.sentence_count,
                if picked.chapters.is_some() {
                    " (GET …/chapters lists its chapters)"
                } else {
                    ""
                }
            ),
        ));
    }
    Ok(sentences)
}

/// The entry's chapters, as the exports show them.
pub(super) async fn entry_chapters(
    state: &AppState,
    entry: &HistoryEntry,
) -> Result<Vec<ExportChapter>, ApiError> {
    Ok(state
        .core
        .db
        .chapters(&entry.id)
        .await?
        .into_iter()
        .map(export::stored::chapter)
        .collect())
}

pub(super) fn export_doc<'a>(
    entry: &'a HistoryEntry,
    sentences: &'a [ExportSentence],
    chapters: &'a [ExportChapter],
) -> ExportDoc<'a> {
    let limit = export::stored::sentence_length_limit(&entry.settings);
    ExportDoc {
        file_name: &entry.file_name,
        engine: &entry.engine,
        created_at_ms: entry.created_at,
        exported_at_ms: Some(now_ms()),
        sentence_length_limit: limit,
        sentences,
        chapters,
    }
}
