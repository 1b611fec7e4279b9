//! `GET /api/v1/history/{id}`: one entry with its sentences, and whether its PDF is still kept
//! (re-processing needs it).

use actix_web::{HttpResponse, web};
use chrono::DateTime;
use serde_json::json;

use super::{HistoryView, SentenceView, owned_entry};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;

pub async fn get_history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let db = &state.core.db;
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    let sentences: Vec<SentenceView> = db
        .sentence_entries(&entry.id)
        .await?
        .into_iter()
        .map(SentenceView::from)
        .collect();
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
        "sentences": sentences,
    })))
}
