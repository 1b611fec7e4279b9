//! `POST /api/v1/jobs/{id}/cancel`: stop a queued or running job for good.

use actix_web::{HttpResponse, web};

use super::{JobView, owned_job};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::lifecycle::JobStatus;
use crate::lifecycle::transition::CancelOutcome;

pub async fn cancel_job(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // The database decides: once the row says cancelled, no worker can move it again.
    match state.core.db.cancel_job(&id, &caller.user_id).await? {
        CancelOutcome::Cancelled => state.core.cancel_running(&id),
        CancelOutcome::NotFound => return Err(ApiError::not_found("job")),
        CancelOutcome::AlreadyFinished(JobStatus::Cancelled) => {}
        CancelOutcome::AlreadyFinished(status) => {
            return Err(ApiError::conflict(
                "job_finished",
                format!("the job has already finished ({status})"),
            ));
        }
    }
    let job = owned_job(&state, &id, &caller.user_id).await?;
    Ok(HttpResponse::Ok().json(JobView::from(job)))
}
