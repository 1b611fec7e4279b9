//! `GET /api/v1/google`: whether the export is available here and the caller is connected.

use actix_web::{HttpResponse, web};
use chrono::DateTime;
use serde_json::json;

use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;

pub async fn google_status(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let account = match &state.google {
        Some(_) => state.core.db.google_account(&caller.user_id).await?,
        None => None,
    };
    Ok(HttpResponse::Ok().json(json!({
        "configured": state.google.is_some(),
        "connected": account.is_some(),
        "needs_reconnect": account.as_ref().is_some_and(|a| a.needs_reconnect),
        "scope": account.as_ref().map(|a| a.scope.clone()),
        "connected_at": account.and_then(|a| DateTime::from_timestamp_millis(a.connected_at)),
    })))
}
