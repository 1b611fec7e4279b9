//! The `Caller` extractor: who a request acts for. With accounts, an access token from the
//! `Authorization: Bearer` header (or, for WebSocket and EventSource clients, which cannot set
//! headers, the `access_token` query parameter), checked against its live session.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::{AuthMode, Role};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::db::LOCAL_USER_ID;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub role: Role,
    /// The sign-in session, `None` for the built-in local user.
    pub session_id: Option<String>,
}

impl Caller {
    pub fn local() -> Self {
        Self {
            user_id: LOCAL_USER_ID.to_owned(),
            role: Role::Admin,
            session_id: None,
        }
    }
}

fn presented_token(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .ok()?
        .get("access_token")
        .cloned()
}

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
            let session = state.core.db.live_session(&claims.sid).await?;
            if session.is_none_or(|s| s.user_id != claims.sub) {
                return Err(ApiError::unauthorized(
                    "the session has ended: sign in again",
                ));
            }
            Ok(Caller {
                user_id: claims.sub,
                role: Role::parse(&claims.role),
                session_id: Some(claims.sid),
            })
        })
    }
}

/// A caller who is an admin; anyone else gets 403.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

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
