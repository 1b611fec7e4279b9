//! `POST /api/v1/auth/register` `{email, password}` → 201 with a token pair.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Credentials, guard, open_session};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::{Role, passwords};
use crate::db::models::{NewUser, UserRow};
use crate::db::now_ms;

pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Credentials>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &req)?;
    let (email, password) = body.into_inner().checked()?;
    let password_hash = passwords::hash(password)
        .await
        .map_err(ApiError::internal)?;
    let user = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        email,
        password_hash: Some(password_hash),
        role: Role::User.as_str().to_owned(),
        created_at: now_ms(),
    };
    let created = state
        .core
        .db
        .insert_user(NewUser {
            id: user.id.clone(),
            email: user.email.clone(),
            password_hash: user.password_hash.clone(),
            role: user.role.clone(),
            created_at: user.created_at,
        })
        .await?;
    if !created {
        return Err(ApiError::conflict(
            "email_taken",
            "an account with this email exists; sign in instead",
        ));
    }
    Ok(HttpResponse::Created().json(open_session(&state, &user).await?))
}
