//! `GET /api/v1/history/{id}/export?format=csv|xlsx|json|anki&positions=1-20,25&chapters=2-4`:
//! the entry, or the selected sentences of it, as a file to download. A selection is by
//! position, by chapter, and by what the results view shows (`q`, `complete_only`,
//! `hide_over_limit`, `hide_duplicates`, `edited_only`; see [`super::study`]), all at once.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::owned_entry;
use super::selection::Selection;
use super::study::{Study, StudyQuery};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::db::models::{HistoryEntry, SentenceEntry};
use crate::db::now_ms;
use crate::export::{self, ExportChapter, ExportDoc, ExportSentence, Format};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    format: String,
    positions: Option<String>,
    chapters: Option<String>,
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

/// What an export takes: everything, or the sentences every selection keeps.
#[derive(Debug, Default)]
pub(super) struct Picked {
    pub(super) positions: Option<Selection>,
    pub(super) chapters: Option<Selection>,
    pub(super) study: Study,
}

impl Picked {
    fn any(&self) -> bool {
        self.positions.is_some() || self.chapters.is_some() || self.study.is_active()
    }

    fn takes(&self, row: &SentenceEntry) -> bool {
        self.positions
            .as_ref()
            .is_none_or(|sel| sel.contains(row.position + 1))
            && self
                .chapters
                .as_ref()
                .is_none_or(|sel| row.chapter.is_some_and(|c| sel.contains(c)))
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
        chapters: parse_chapters(query.chapters.as_deref())?,
        study: Study::parse(&StudyQuery {
            q: query.q.as_deref(),
            complete_only: query.complete_only,
            hide_over_limit: query.hide_over_limit,
            hide_duplicates: query.hide_duplicates,
            edited_only: query.edited_only,
        })?,
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

pub(super) fn parse_chapters(chapters: Option<&str>) -> Result<Option<Selection>, ApiError> {
    chapters
        .map(Selection::parse_chapters)
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
    let in_range: Vec<SentenceEntry> = rows.into_iter().filter(|r| picked.takes(r)).collect();
    let sentences: Vec<ExportSentence> = if picked.study.is_active() {
        let study = picked.study.clone();
        web::block(move || study.apply(in_range))
            .await
            .map_err(ApiError::internal)?
    } else {
        in_range
    }
    .into_iter()
    .map(export::stored::sentence)
    .collect();
    if sentences.is_empty() && picked.any() {
        let message = if picked.study.is_active() {
            "nothing matches this search and these filters; loosen them to export".to_owned()
        } else {
            format!(
                "none of the selected sentences exists; this entry has sentences 1 to {}{}",
                entry.sentence_count,
                if picked.chapters.is_some() {
                    " (GET …/chapters lists its chapters)"
                } else {
                    ""
                }
            )
        };
        return Err(ApiError::bad_request("invalid_selection", message));
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
