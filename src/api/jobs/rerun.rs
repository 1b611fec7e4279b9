//! `POST /api/v1/jobs/{id}/rerun` with settings to change (`{}` keeps them all): runs an ended
//! job's book again as a new job, from the PDF the server kept. A cancelled or failed job is
//! not a dead end: the learner starts over without uploading again. A rejected one has no
//! PDF kept (it was refused): 409 `job_rejected`.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde_json::json;

use super::owned_job;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::db::StoredPdf;
use crate::db::models::JobRow;
use crate::lifecycle::JobStatus;
use crate::lifecycle::admission::Admission;
use crate::settings::{Settings, SettingsPatch};
use crate::submit::{PdfFile, Staged, check_settings, enqueue};

pub async fn rerun_job(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    patch: web::Json<SettingsPatch>,
) -> Result<HttpResponse, ApiError> {
    let job = owned_job(&state, &id, &caller.user_id).await?;
    let ended = job.status.is_terminal();
    if !ended {
        return Err(ApiError::conflict(
            "job_running",
            format!(
                "the job is still {}; cancel it or wait for it to end",
                job.status
            ),
        ));
    }
    if job.status == JobStatus::Rejected {
        // Its PDF was refused and deleted: there is nothing to run, and the same file would
        // be refused again.
        return Err(ApiError::conflict(
            "job_rejected",
            "the PDF of this job was refused and is not kept, so it cannot run again; \
             upload another file",
        ));
    }
    run_again(&state, &caller, job, patch.into_inner()).await
}

/// A new job for `job`'s book, from its kept PDF, with its settings changed by `patch`.
pub(crate) async fn run_again(
    state: &AppState,
    caller: &Caller,
    job: JobRow,
    patch: SettingsPatch,
) -> Result<HttpResponse, ApiError> {
    let core = &state.core;
    let mut settings: Settings = match job.settings.settings().cloned() {
        Some(settings) => settings,
        None => core.settings_for(&caller.user_id).await?,
    };
    if !core.engines.names().contains(&settings.engine.as_str()) {
        settings.engine = core.default_settings().engine;
    }
    patch.apply_to(&mut settings);
    check_settings(core, &settings)?;
    let quota = state.auth.quota();
    match core.db.admission(&caller.user_id, quota, 0).await? {
        Admission::Admitted => {}
        refused => return Err(refused.into()),
    }
    let Some(stored) = core.db.upload(&job.id).await? else {
        return Err(ApiError::new(
            StatusCode::GONE,
            "upload_expired",
            format!(
                "the PDF of this book is no longer kept (uploads are deleted {} hours after \
                 their job ends); upload the book again",
                core.config.upload_retention_secs / 3600
            ),
        ));
    };
    let pdf = PdfFile {
        file_name: job.file_name,
        sha256: job.input_hash,
        size: u64::try_from(job.file_size).unwrap_or_default(),
    };
    let job_id = enqueue(
        core,
        &caller.user_id,
        pdf,
        match stored {
            StoredPdf::File(path) => Staged::Kept(path),
            StoredPdf::Bytes(bytes) => Staged::Bytes(bytes),
        },
        settings,
        quota,
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/jobs/{job_id}")))
        .json(json!({ "job_id": job_id })))
}
