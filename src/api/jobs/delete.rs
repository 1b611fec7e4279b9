//! `DELETE /api/v1/jobs/{id}`: removes an ended job (cancelled, failed, rejected or finished)
//! with its stored PDF and, if it made one, its history entry. A queued or running job must
//! be cancelled first.

use actix_web::{HttpResponse, web};

use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::db::history::Deletion;

pub async fn delete_job(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // Ids are UUIDs; anything else cannot exist, so skip the query.
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::not_found("job"));
    }
    match state.core.db.delete_job(&id, &caller.user_id).await? {
        Deletion::Deleted => Ok(HttpResponse::NoContent().finish()),
        Deletion::NotFound => Err(ApiError::not_found("job")),
        Deletion::JobRunning => Err(ApiError::conflict(
            "job_running",
            "the job is still queued or running; cancel it first",
        )),
    }
}
