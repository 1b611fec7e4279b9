//! `PUT /api/v1/settings`: changes some of the caller's defaults (fields left out keep their
//! value); the whole result is validated before anything is saved.

use actix_web::{HttpResponse, web};

use super::SettingsView;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::settings::SettingsPatch;
use crate::submit::check_settings;

pub async fn update_settings(
    state: web::Data<AppState>,
    caller: Caller,
    patch: web::Json<SettingsPatch>,
) -> Result<HttpResponse, ApiError> {
    let core = &state.core;
    let mut settings = core.settings_for(&caller.user_id).await?;
    patch.into_inner().apply_to(&mut settings);
    check_settings(core, &settings)?;
    core.db.save_settings(&caller.user_id, &settings).await?;
    Ok(HttpResponse::Ok().json(SettingsView {
        settings: &settings,
        engines: core.engines.names(),
        defaults: core.default_settings(),
    }))
}
