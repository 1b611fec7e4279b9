//! `POST /api/v1/auth/login` `{email, password}` → a token pair for a new session.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Credentials, guard, open_session};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::passwords;

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &req)?;
    let invalid = || ApiError::unauthorized("wrong email or password");
    let (email, password) = body.into_inner().checked().map_err(|_| invalid())?;
    let user = state.core.db.user_by_email(&email).await?;
    // An unknown email costs one hash too: the answer's timing does not tell who has an account.
    let stored = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| passwords::DECOY_HASH.to_owned());
    let matches = passwords::verify(password, stored).await;
    match user {
        Some(user) if matches && user.password_hash.is_some() => {
            Ok(HttpResponse::Ok().json(open_session(&state, &user).await?))
        }
        _ => Err(invalid()),
    }
}
