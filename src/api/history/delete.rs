//! `DELETE /api/v1/history/{id}`: removes the entry, its sentences, and the job and PDF it came
//! from.

use actix_web::{HttpResponse, web};

use super::owned_entry;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::db::history::Deletion;

pub async fn delete_history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    match state
        .core
        .db
        .delete_history(&entry.id, &caller.user_id)
        .await?
    {
        Deletion::Deleted => Ok(HttpResponse::NoContent().finish()),
        // Deleted by another request meanwhile: the same answer as for any missing entry.
        Deletion::NotFound => Err(ApiError::not_found("history entry")),
        Deletion::JobRunning => Err(ApiError::conflict(
            "job_running",
            "the entry's job is being retried; delete the entry once it ends, or cancel it",
        )),
    }
}
