//! `DELETE /api/v1/google`: forgets the caller's Google connection and revokes its grant.

use actix_web::{HttpResponse, web};

use super::configured;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;

pub async fn disconnect_google(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let google = configured(state.google.as_ref())?;
    if !google.disconnect(&state.core.db, &caller.user_id).await? {
        return Err(ApiError::not_found("Google connection"));
    }
    Ok(HttpResponse::NoContent().finish())
}
