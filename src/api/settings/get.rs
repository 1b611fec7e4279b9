//! `GET /api/v1/settings`: the settings new jobs of the caller start from.

use actix_web::{HttpResponse, web};

use super::SettingsView;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;

pub async fn get_settings(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let settings = state.core.settings_for(&caller.user_id).await?;
    Ok(HttpResponse::Ok().json(SettingsView {
        settings: &settings,
        engines: state.core.engines.names(),
        defaults: state.core.default_settings(),
    }))
}
