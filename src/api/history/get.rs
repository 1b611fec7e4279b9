//! `GET /api/v1/history/{id}?offset=0&limit=100&chapter=3`: one entry with a page of its
//! source sentences (each with its pieces), and whether its PDF is still kept (re-processing
//! needs it).

use actix_web::{HttpResponse, web};
use chrono::DateTime;
use serde_json::json;

use super::{HistoryView, owned_entry};
use crate::api::AppState;
use crate::api::book::{self, PageQuery};
use crate::api::error::ApiError;
use crate::auth::Caller;

pub async fn get_history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let window = query.window()?;
    let db = &state.core.db;
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    let page = book::page(db, &entry.id, window).await?;
    let pdf_kept = db.has_upload(&entry.job_id).await?;
    let retention_ms = i64::try_from(state.core.config.upload_retention_secs.saturating_mul(1000))
        .unwrap_or(i64::MAX);
    // Uploads expire counting from the job's end (a retry ends it again).
    let finished_at = db
        .job(&entry.job_id, &caller.user_id)
        .await?
        .and_then(|job| job.finished_at)
        .unwrap_or(entry.created_at);
    let pdf_kept_until = pdf_kept
        .then(|| DateTime::from_timestamp_millis(finished_at.saturating_add(retention_ms)))
        .flatten();
    Ok(HttpResponse::Ok().json(json!({
        "entry": HistoryView::from(entry),
        "pdf_available": pdf_kept,
        "pdf_kept_until": pdf_kept_until,
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
        "sources": page.sources,
    })))
}

/// `GET /api/v1/history/{id}/pieces`: every piece, one JSON object per line, streamed.
pub async fn history_pieces(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    Ok(book::flat_view(state.core.db.clone(), entry.id))
}
