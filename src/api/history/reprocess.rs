//! `POST /api/v1/history/{id}/reprocess` with settings to change (`{}` keeps them all): runs the
//! entry's book again as a new job, from the PDF the server kept. The entry stays as it is; the
//! new job gets its own when it finishes.

use actix_web::{HttpResponse, web};

use super::owned_entry;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::jobs::rerun::run_again;
use crate::auth::Caller;
use crate::settings::SettingsPatch;

pub async fn reprocess(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    patch: web::Json<SettingsPatch>,
) -> Result<HttpResponse, ApiError> {
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    let job = state
        .core
        .db
        .job(&entry.job_id, &caller.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("history entry"))?;
    run_again(&state, &caller, job, patch.into_inner()).await
}
