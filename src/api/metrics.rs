//! `GET /metrics`: Prometheus's text format. The queue gauges are read from the database now,
//! so every instance answers with the same queue.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use crate::config::Secret;

/// Who may read `/metrics` on the port that serves the API. Its own port (`--metrics-bind`)
/// is reachable only from where the operator lets it be; the public one, with accounts on,
/// would tell anyone about every user's jobs.
#[derive(Debug, Clone)]
pub enum MetricsAccess {
    /// No accounts: a loopback or trusted deployment, as before.
    Open,
    /// Accounts on: only a request bearing this token.
    Token(Secret),
    /// Accounts on and no token: not served here.
    Closed,
}

impl MetricsAccess {
    fn allows(&self, request: &HttpRequest) -> Result<(), ApiError> {
        match self {
            Self::Open => Ok(()),
            Self::Closed => Err(ApiError::not_found("route")),
            Self::Token(token) => {
                let given = request
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .unwrap_or_default();
                // Digests compared, so the time taken says nothing about the token.
                if Sha256::digest(given.as_bytes()) == Sha256::digest(token.expose().as_bytes()) {
                    Ok(())
                } else {
                    Err(ApiError::unauthorized("/metrics needs the metrics token"))
                }
            }
        }
    }
}

/// `/metrics` on the API's port, behind `access`.
pub async fn guarded_metrics(
    state: web::Data<AppState>,
    access: web::Data<MetricsAccess>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    access.allows(&request)?;
    metrics(state).await
}

pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db = &state.core.db;
    let queue = db.queue_snapshot().await?;
    let text = (state.core.metrics)
        .render(&queue, db.pool_usage())
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(prometheus::TEXT_FORMAT)
        .body(text))
}
