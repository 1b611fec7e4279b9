//! `POST /api/v1/jobs`: upload a PDF (multipart field `file`, settings as other fields) and get
//! a job id at once; the work happens in the background.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::upload::read_job_form;
use crate::submit::submit;

pub async fn create_job(
    state: web::Data<AppState>,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let core = &state.core;
    let form = read_job_form(
        payload,
        core.default_settings(),
        &core.config.uploads_dir(),
        core.config.max_upload_bytes(),
    )
    .await?;
    let job_id = submit(core, &state.owner, form.upload, form.settings).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/jobs/{job_id}")))
        .json(json!({ "job_id": job_id })))
}
