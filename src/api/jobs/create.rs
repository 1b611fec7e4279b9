//! `POST /api/v1/jobs`: upload a PDF (multipart field `file`, settings as other fields) and get
//! a job id at once; the work happens in the background.

use crate::lifecycle::admission::Admission;
use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::upload::read_job_form;
use crate::auth::Caller;
use crate::submit::submit;

pub async fn create_job(
    state: web::Data<AppState>,
    caller: Caller,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let core = &state.core;
    let quota = state.auth.quota();
    // Refuse before reading a 50 MB body, counting the caller's other uploads still being
    // received; the insert checks again, atomically.
    let upload = state.auth.in_flight.reserve(&caller.user_id);
    match core
        .db
        .admission(&caller.user_id, quota, upload.others())
        .await?
    {
        Admission::Admitted => {}
        refused => return Err(refused.into()),
    }
    let form = read_job_form(
        payload,
        core.settings_for(&caller.user_id).await?,
        &core.config.uploads_dir(),
        core.config.max_upload_bytes(),
    )
    .await?;
    let job_id = submit(core, &caller.user_id, form.upload, form.settings, quota).await?;
    drop(upload);
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/jobs/{job_id}")))
        .json(json!({ "job_id": job_id })))
}
