//! `POST /api/v1/google/connect`: the URL of Google's consent screen for the caller. The
//! browser goes there; Google sends it back to `/api/v1/google/callback`.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::configured;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;

pub async fn connect_google(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let google = configured(state.google.as_ref())?;
    let url = google.consent_url(&state.core.db, &caller.user_id).await?;
    Ok(HttpResponse::Ok().json(json!({ "authorization_url": url })))
}
