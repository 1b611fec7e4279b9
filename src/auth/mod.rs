//! Who is calling: accounts (argon2id passwords, short-lived JWT access tokens, rotating
//! refresh tokens backed by revocable sessions), or, in `--auth none` mode, the built-in local
//! user for every request.

pub(crate) mod caller;
pub(crate) mod passwords;
pub(crate) mod rate_limit;
pub(crate) mod session_watch;
pub(crate) mod tokens;

use std::net::SocketAddr;
use std::time::Duration;

pub use caller::{Admin, Caller};

use crate::db::{Db, DbError};
use crate::lifecycle::admission::{InFlight, Quota};
use rate_limit::RateLimiter;
use tokens::Keys;

/// What the API needs to know about sign-in: the mode, the signing key, lifetimes, limits.
pub struct AuthState {
    pub mode: AuthMode,
    pub keys: Keys,
    pub access_ttl_secs: i64,
    pub session_ttl_ms: i64,
    pub limits: Limits,
    /// Per client IP, on the sign-in endpoints.
    pub auth_limiter: Option<RateLimiter>,
    /// Per user, on the estimate: it reads a whole upload without making a job, so the
    /// upload limit does not cover it.
    pub estimate_limiter: Option<RateLimiter>,
    /// Uploads being received, per user: they count against the job limits before the body.
    pub in_flight: InFlight,
}

/// Per-user and per-client limits; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub uploads_per_hour: Option<u32>,
    pub jobs_per_user: Option<u32>,
    pub auth_requests_per_minute: Option<u32>,
}

/// What sign-in runs with; the configuration builds it (`Config::auth_options`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthOptions {
    pub access_token_secs: u64,
    pub refresh_token_days: u64,
    pub limits: Limits,
}

/// Estimates allowed per upload of the hourly limit: a reader compares a few settings per book.
const ESTIMATES_PER_UPLOAD: u32 = 6;

/// The name of the token signing key in `server_keys`.
const SIGNING_KEY: &str = "jwt_hs256";

impl AuthState {
    pub async fn new(mode: AuthMode, options: &AuthOptions, db: &Db) -> Result<Self, DbError> {
        let secret = db.server_key(SIGNING_KEY, &Keys::new_secret()).await?;
        let limits = options.limits;
        Ok(Self {
            mode,
            keys: Keys::from_secret(secret.as_bytes()),
            access_ttl_secs: i64::try_from(options.access_token_secs).unwrap_or(i64::MAX),
            session_ttl_ms: i64::try_from(options.refresh_token_days)
                .unwrap_or(i64::MAX)
                .saturating_mul(86_400_000),
            auth_limiter: limits
                .auth_requests_per_minute
                .map(|n| RateLimiter::new(n, Duration::from_secs(60))),
            estimate_limiter: limits.uploads_per_hour.map(|n| {
                RateLimiter::new(
                    n.saturating_mul(ESTIMATES_PER_UPLOAD),
                    Duration::from_secs(3600),
                )
            }),
            limits,
            in_flight: InFlight::default(),
        })
    }

    pub fn quota(&self) -> Quota {
        Quota {
            uploads_per_hour: self.limits.uploads_per_hour,
            active_jobs: self.limits.jobs_per_user,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// No sign-in: every request acts as the built-in local user (loopback only).
    None,
    /// Accounts, ownership and limits.
    Accounts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "admin" {
            Self::Admin
        } else {
            Self::User
        }
    }
}

/// The mode a server bound to `bind` runs in: accounts unless it only listens on loopback,
/// and never `none` on an address others can reach.
pub fn resolve_mode(requested: Option<AuthMode>, bind: SocketAddr) -> Result<AuthMode, String> {
    let loopback = bind.ip().is_loopback();
    match requested {
        Some(AuthMode::None) if !loopback => Err(format!(
            "--auth none is refused on {bind}: a server others can reach always requires \
             sign-in (bind to 127.0.0.1 to run without accounts)"
        )),
        Some(mode) => Ok(mode),
        None if loopback => Ok(AuthMode::None),
        None => Ok(AuthMode::Accounts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_servers_may_run_without_accounts() {
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let public: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let v6: SocketAddr = "[::1]:8080".parse().unwrap();
        assert_eq!(resolve_mode(None, local), Ok(AuthMode::None));
        assert_eq!(resolve_mode(None, v6), Ok(AuthMode::None));
        assert_eq!(resolve_mode(None, public), Ok(AuthMode::Accounts));
        assert_eq!(
            resolve_mode(Some(AuthMode::Accounts), local),
            Ok(AuthMode::Accounts)
        );
        assert!(resolve_mode(Some(AuthMode::None), public).is_err());
    }
}
