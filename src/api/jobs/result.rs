//! `GET /api/v1/jobs/{id}/result`: the sentences of a finished job, in book order.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::owned_job;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::status::JobStatus;

#[derive(Serialize)]
struct SentenceView {
    normalized: String,
    original: String,
    page: i32,
    /// The engine that wrote it (differs from the job's when a fallback was needed).
    engine: String,
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
    match JobStatus::parse(&job.status) {
        Some(JobStatus::Completed | JobStatus::Partial) => {}
        Some(JobStatus::Queued | JobStatus::Running) => {
            return Err(ApiError::conflict(
                "job_not_finished",
                format!("the job is {}; its result is not ready yet", job.status),
            ));
        }
        _ => {
            return Err(ApiError::conflict(
                "no_result",
                format!("the job ended {} and has no result", job.status),
            ));
        }
    }
    let entry = state
        .core
        .db
        .history_for_job(&job.id, &caller.user_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("job {} finished without history", job.id)))?;
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
        })
        .collect();
    Ok(HttpResponse::Ok().json(ResultView {
        job_id: job.id,
        status: job.status,
        sentences,
    }))
}
