//! `GET /api/v1/auth/me`: who the caller is, and whether this server has accounts at all
//! (the web UI shows a sign-in form only when it does).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::{AuthMode, Caller};

pub async fn me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let user = state
        .core
        .db
        .user(&caller.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
    let auth = match state.auth.mode {
        AuthMode::None => "none",
        AuthMode::Accounts => "accounts",
    };
    Ok(HttpResponse::Ok().json(json!({
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "auth": auth,
    })))
}
