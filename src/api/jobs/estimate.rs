//! `POST /api/v1/jobs/estimate`: the same multipart form as a new job; answers what the job
//! would be (pages, chunks) and cost (tokens, dollars per Gemini model) without starting it.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::upload::read_job_form;
use crate::auth::Caller;
use crate::core::Core;
use crate::estimate::{Measured, PricedModel, price};
use crate::sandbox::{Input, Task};
use crate::submit::check_settings;

pub async fn estimate_job(
    state: web::Data<AppState>,
    caller: Caller,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let core = &state.core;
    if let Some(limiter) = &state.auth.estimate_limiter {
        limiter
            .check(&caller.user_id, std::time::Instant::now())
            .map_err(|wait| {
                ApiError::too_many(
                    "too_many_estimates",
                    "too many estimates in the last hour; wait a little",
                    wait.as_secs() + 1,
                )
            })?;
    }
    let form = read_job_form(
        payload,
        core.settings_for(&caller.user_id).await?,
        &core.config.uploads_dir(),
        core.config.max_upload_bytes(),
    )
    .await?;
    let settings = form.settings;
    check_settings(core, &settings)?;
    let task = Task::Measure {
        settings: Box::new(settings.clone()),
        plan: core.config.plan(),
        max_pages: core.config.max_pages,
    };
    // Refused for the same reasons an upload would be, so the estimate never promises a job
    // that cannot start; read in the sandbox, like a job's book.
    let measured: Measured = core
        .sandbox
        .run(&task, Input::File(&form.upload.temp))
        .await?;
    let estimated = price(measured, &priced_models(core));
    Ok(HttpResponse::Ok().json(json!({
        "file_name": form.upload.file_name,
        "file_size": form.upload.size,
        "engine": settings.engine,
        "estimate": estimated,
    })))
}

/// Each preference's price with the model it uses now (a retired first choice has given way to
/// the next), or its first choice when Gemini is not configured.
fn priced_models(core: &Core) -> Vec<PricedModel> {
    let gemini = core.engines.get(crate::engine::gemini::GEMINI);
    core.config
        .gemini_preferences()
        .into_iter()
        .map(|(preference, candidates, price)| {
            let in_use = gemini.as_ref().and_then(|engine| {
                engine.model(&crate::settings::Settings {
                    model_preference: preference,
                    ..crate::settings::Settings::default()
                })
            });
            PricedModel {
                preference,
                model: in_use
                    .or_else(|| candidates.first().cloned())
                    .unwrap_or_default(),
                price,
            }
        })
        .collect()
}
