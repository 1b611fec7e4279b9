//! The `Caller` and `Admin` extractors: who a request acts for, refused with the API's errors.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::AppState;
use super::error::ApiError;
use crate::auth::caller::presented_token;
use crate::auth::{Admin, AuthMode, Caller, Role, session_watch};

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = presented_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            if state.auth.mode == AuthMode::None {
                return Ok(Caller::local());
            }
            let token = token.ok_or_else(|| {
                ApiError::unauthorized("sign in first: send Authorization: Bearer <access_token>")
            })?;
            let claims =
                state.auth.keys.verify(&token).ok_or_else(|| {
                    ApiError::unauthorized("the access token is invalid or expired")
                })?;
            // A token outlives neither its session (logout, a stolen refresh token) nor its user.
            if !session_watch::signed_in(&state.core.db, &claims.sid, &claims.sub).await? {
                return Err(ApiError::unauthorized(session_watch::SESSION_ENDED));
            }
            Ok(Caller {
                user_id: claims.sub,
                role: Role::parse(&claims.role),
                session_id: Some(claims.sid),
            })
        })
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload);
        Box::pin(async move {
            let caller = caller.await?;
            if caller.role == Role::Admin {
                Ok(Admin(caller))
            } else {
                Err(ApiError::forbidden("this endpoint is for admins"))
            }
        })
    }
}
