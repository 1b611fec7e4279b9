//! `POST /api/v1/jobs/{id}/retry`: run a partial job's failed chunks again. Chunks that
//! succeeded keep their results and are never sent to the engine again.

use actix_web::{HttpResponse, web};

use super::{JobView, owned_job};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::lifecycle::transition::RetryOutcome;

pub async fn retry_job(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    owned_job(&state, &id, &caller.user_id).await?;
    match state
        .core
        .db
        .retry_failed_chunks(&id, &caller.user_id)
        .await?
    {
        RetryOutcome::Requeued { .. } => state.core.wake_workers(),
        RetryOutcome::NotFound => return Err(ApiError::not_found("job")),
        RetryOutcome::NothingToRetry(status) => {
            return Err(ApiError::conflict(
                "nothing_to_retry",
                format!(
                    "only a finished job with failed chunks can be retried (this one is {status})"
                ),
            ));
        }
    }
    let job = owned_job(&state, &id, &caller.user_id).await?;
    Ok(HttpResponse::Accepted().json(JobView::from(job)))
}
