//! `/api/v1/auth`: accounts and sign-in sessions, one handler per file.

pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod me;
pub(crate) mod refresh;
pub(crate) mod register;

use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;
use crate::auth::tokens::new_refresh_token;
use crate::auth::{AuthMode, Role};
use crate::db::models::{SessionRow, UserRow};
use crate::db::now_ms;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    email: String,
    password: String,
}

const MIN_PASSWORD: usize = 8;
/// Hashing cost grows with length; nobody types more.
const MAX_PASSWORD: usize = 1024;

impl Credentials {
    /// The email as stored (trimmed, lower case) and the password, if both are acceptable.
    fn checked(self) -> Result<(String, String), ApiError> {
        let email = self.email.trim().to_lowercase();
        let plausible = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
            })
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !plausible {
            return Err(ApiError::bad_request(
                "invalid_email",
                "that does not look like an email address",
            ));
        }
        let length = self.password.chars().count();
        if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&length) {
            return Err(ApiError::bad_request(
                "invalid_password",
                format!("a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters"),
            ));
        }
        Ok((email, self.password))
    }
}

#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub role: String,
}

impl From<&UserRow> for UserView {
    fn from(user: &UserRow) -> Self {
        Self {
            id: user.id.clone(),
            email: user.email.clone(),
            role: user.role.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct SignedIn {
    pub user: UserView,
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds the access token is valid.
    pub expires_in: i64,
}

/// Sign-in endpoints exist only with accounts, and answer each client IP a limited number of
/// times per minute (password guessing).
fn guard(state: &AppState, req: &HttpRequest) -> Result<(), ApiError> {
    if state.auth.mode != AuthMode::Accounts {
        return Err(ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "auth_disabled",
            "this server runs without accounts (--auth none)",
        ));
    }
    if let Some(limiter) = &state.auth.auth_limiter {
        let ip = client_ip(req, state.core.config.trust_proxy);
        limiter
            .check(&ip, std::time::Instant::now())
            .map_err(|wait| {
                ApiError::too_many(
                    "too_many_requests",
                    "too many sign-in attempts from this address; wait a little",
                    wait.as_secs() + 1,
                )
            })?;
    }
    Ok(())
}

/// The client's address: the TCP peer, or what a trusted proxy says it forwarded.
fn client_ip(req: &HttpRequest, trust_proxy: bool) -> String {
    let forwarded = || {
        let headers = req.headers();
        let fly = headers.get("fly-client-ip").and_then(|v| v.to_str().ok());
        let xff = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next());
        fly.or(xff)
            .map(str::trim)
            .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
    };
    trust_proxy
        .then(forwarded)
        .flatten()
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

/// Opens a session for `user` and issues its first token pair.
async fn open_session(state: &AppState, user: &UserRow) -> Result<SignedIn, ApiError> {
    let session_id = uuid::Uuid::new_v4().to_string();
    let (refresh_token, refresh_hash) = new_refresh_token(&session_id);
    let now = now_ms();
    state
        .core
        .db
        .insert_session(SessionRow {
            id: session_id.clone(),
            user_id: user.id.clone(),
            refresh_hash,
            created_at: now,
            expires_at: now.saturating_add(state.auth.session_ttl_ms),
            revoked_at: None,
        })
        .await?;
    signed_in(state, user, &session_id, refresh_token)
}

fn signed_in(
    state: &AppState,
    user: &UserRow,
    session_id: &str,
    refresh_token: String,
) -> Result<SignedIn, ApiError> {
    let access_token = state
        .auth
        .keys
        .issue(
            &user.id,
            Role::parse(&user.role),
            session_id,
            now_ms() / 1000,
            state.auth.access_ttl_secs,
        )
        .map_err(ApiError::internal)?;
    Ok(SignedIn {
        user: UserView::from(user),
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.auth.access_ttl_secs,
    })
}
