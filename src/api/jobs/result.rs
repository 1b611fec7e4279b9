//! `GET /api/v1/jobs/{id}/result`: the sentences of a finished job, in book order.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{finished_entry, owned_job};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;

#[derive(Serialize)]
struct SentenceView {
    normalized: String,
    original: String,
    page: i32,
    /// The engine that wrote it (differs from the job's when a fallback was needed).
    engine: String,
    /// The `index` of its chapter in `GET …/chapters`.
    #[serde(skip_serializing_if = "Option::is_none")]
    chapter: Option<i32>,
}

#[derive(Serialize)]
struct ResultView {
    job_id: String,
    status: String,
    sentences: Vec<SentenceView>,
}

pub async fn job_result(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = owned_job(&state, &id, &caller.user_id).await?;
    let entry = finished_entry(&state, &job, &caller.user_id).await?;
    let sentences = state
        .core
        .db
        .sentences(&entry.id)
        .await?
        .into_iter()
        .map(|s| SentenceView {
            normalized: s.normalized,
            original: s.original,
            page: s.page,
            engine: s.engine,
            chapter: s.chapter,
        })
        .collect();
    Ok(HttpResponse::Ok().json(ResultView {
        job_id: job.id,
        status: job.status,
        sentences,
    }))
}
