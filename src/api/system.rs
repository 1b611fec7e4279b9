//! `GET /api/v1/system/status` (admins): the whole service at a glance, every user's jobs
//! counted by status and the live progress listeners of this instance.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use crate::actors::hub::CountListeners;
use crate::auth::Admin;

pub async fn status(state: web::Data<AppState>, _: Admin) -> Result<HttpResponse, ApiError> {
    let jobs = state.core.db.job_counts().await?;
    let listeners = state
        .core
        .hub
        .send(CountListeners)
        .await
        .map_err(ApiError::internal)?;
    let by_status: serde_json::Map<String, serde_json::Value> = jobs
        .into_iter()
        .map(|(status, count)| (status, json!(count)))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "jobs": by_status,
        "progress_listeners": listeners.listeners,
        "progress_rooms": listeners.rooms,
    })))
}
