//! `GET /api/v1/jobs/{id}`: a job's status and progress.

use actix_web::{HttpResponse, web};

use super::{JobView, owned_job};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;

pub async fn get_job(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = owned_job(&state, &id, &caller.user_id).await?;
    Ok(HttpResponse::Ok().json(JobView::from(job)))
}
