//! `GET /metrics`: Prometheus's text format. The queue gauges are read from the database now,
//! so every instance answers with the same queue.

use actix_web::{HttpResponse, web};

use super::AppState;
use super::error::ApiError;

pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let text = state
        .core
        .metrics
        .render(&state.core.db)
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(prometheus::TEXT_FORMAT)
        .body(text))
}
