//! `GET /api/v1/history/{id}/export?format=csv|xlsx|json|anki&positions=1-20,25`: the entry, or
//! the selected sentences of it, as a file to download.

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
use crate::export::{self, ExportDoc, ExportSentence, Format};
use crate::settings::Settings;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    format: String,
    positions: Option<String>,
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
    let selection = parse_selection(query.positions.as_deref())?;
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    let sentences = selected_sentences(&state, &entry, selection.as_ref()).await?;
    let bytes = web::block(move || {
        let doc = export_doc(&entry, &sentences);
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

/// The entry's sentences in book order, only the selected ones when there is a selection.
pub(super) async fn selected_sentences(
    state: &AppState,
    entry: &HistoryEntry,
    selection: Option<&Selection>,
) -> Result<Vec<ExportSentence>, ApiError> {
    let rows = state.core.db.sentence_entries(&entry.id).await?;
    let sentences: Vec<ExportSentence> = rows
        .into_iter()
        .map(|s| ExportSentence {
            position: s.position + 1,
            normalized: s.normalized,
            original: s.original,
            page: s.page,
            edited: s.edited,
        })
        .filter(|s| selection.is_none_or(|sel| sel.contains(s.position)))
        .collect();
    if sentences.is_empty() && selection.is_some() {
        return Err(ApiError::bad_request(
            "invalid_selection",
            format!(
                "positions: none of them exists; this entry has sentences 1 to {}",
                entry.sentence_count
            ),
        ));
    }
    Ok(sentences)
}

pub(super) fn export_doc<'a>(
    entry: &'a HistoryEntry,
    sentences: &'a [ExportSentence],
) -> ExportDoc<'a> {
    let limit = serde_json::from_str::<Settings>(&entry.settings)
        .ok()
        .map(|s| s.sentence_length_limit);
    ExportDoc {
        file_name: &entry.file_name,
        engine: &entry.engine,
        created_at_ms: entry.created_at,
        exported_at_ms: Some(now_ms()),
        sentence_length_limit: limit,
        sentences,
    }
}
