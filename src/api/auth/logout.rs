//! `POST /api/v1/auth/logout`: ends the caller's session; its tokens stop working at once.

use actix_web::{HttpResponse, web};

use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;

pub async fn logout(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    if let Some(session) = &caller.session_id {
        state.core.db.revoke_session(session).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}
