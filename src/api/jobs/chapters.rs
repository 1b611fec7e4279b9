//! `GET /api/v1/jobs/{id}/chapters`: the chapters of a finished job's book (the same as its
//! history entry's).

use actix_web::{HttpResponse, web};

use super::{finished_entry, owned_job};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::history::chapters::chapters_of;
use crate::auth::Caller;

pub async fn job_chapters(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = owned_job(&state, &id, &caller.user_id).await?;
    let entry = finished_entry(&state, &job, &caller.user_id).await?;
    let chapters = chapters_of(&state.core.db, &entry.id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "job_id": job.id, "chapters": chapters })))
}
