//! `POST /api/v1/history/{id}/reprocess` with settings to change (`{}` keeps them all): runs the
//! entry's book again as a new job, from the PDF the server kept. The entry stays as it is; the
//! new job gets its own when it finishes.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde_json::json;

use super::owned_entry;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::db::jobs::Admission;
use crate::settings::{Settings, SettingsPatch};
use crate::submit::{PdfFile, check_settings, enqueue};

pub async fn reprocess(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    patch: web::Json<SettingsPatch>,
) -> Result<HttpResponse, ApiError> {
    let core = &state.core;
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    let mut settings: Settings = match serde_json::from_str(&entry.settings) {
        Ok(settings) => settings,
        Err(_) => core.settings_for(&caller.user_id).await?,
    };
    if !core.engines.names().contains(&settings.engine.as_str()) {
        settings.engine = core.default_settings().engine;
    }
    patch.into_inner().apply_to(&mut settings);
    check_settings(core, &settings)?;
    let quota = state.auth.quota();
    match core.db.admission(&caller.user_id, quota).await? {
        Admission::Admitted => {}
        refused => return Err(refused.into()),
    }
    let job = core
        .db
        .job(&entry.job_id, &caller.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("history entry"))?;
    let Some(bytes) = core.db.upload(&entry.job_id).await? else {
        return Err(ApiError::new(
            StatusCode::GONE,
            "upload_expired",
            format!(
                "the PDF of this entry is no longer kept (uploads are deleted {} hours after \
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
    let job_id = enqueue(core, &caller.user_id, pdf, bytes, settings, quota).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/jobs/{job_id}")))
        .json(json!({ "job_id": job_id })))
}
