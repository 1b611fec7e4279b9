//! `POST /api/v1/auth/refresh` `{refresh_token}` → a new token pair; the presented refresh
//! token stops working (rotation), and presenting it again ends the session.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{guard, signed_in};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::tokens::{new_refresh_token, parse_refresh_token};
use crate::db::sessions::Rotation;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &req)?;
    let refused = || ApiError::unauthorized("the refresh token is invalid, used or expired");
    let (session_id, presented) = parse_refresh_token(&body.refresh_token).ok_or_else(refused)?;
    let (next_token, next_hash) = new_refresh_token(&session_id);
    let db = &state.core.db;
    match db
        .rotate_session(&session_id, &presented, &next_hash)
        .await?
    {
        Rotation::Rotated { user_id } => {
            let user = db.user(&user_id).await?.ok_or_else(refused)?;
            Ok(HttpResponse::Ok().json(signed_in(&state, &user, &session_id, next_token)?))
        }
        Rotation::Reused => {
            tracing::warn!(session = %session_id, "a used refresh token came back: session revoked");
            Err(refused())
        }
        Rotation::Refused => Err(refused()),
    }
}
