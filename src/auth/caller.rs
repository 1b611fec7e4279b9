//! `Caller`: who a request acts for. With accounts, an access token from the
//! `Authorization: Bearer` header (or, for WebSocket and EventSource clients, which cannot set
//! headers, the `access_token` query parameter), checked against its live session. The
//! extractors that do this are the HTTP layer's (`api::extract`).

use actix_web::{HttpRequest, web};

use super::Role;
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

pub(crate) fn presented_token(req: &HttpRequest) -> Option<String> {
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

/// A caller who is an admin; anyone else gets 403.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);
