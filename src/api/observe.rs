//! What every request goes through first: an id, a tracing span that carries it onto every
//! log line the request causes, one access-log line, and its count and time in the metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use tracing::Instrument;

use super::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// A request id the client sent is kept (so its logs and ours line up) when it is short and
/// plain; anything else gets a fresh one, so a header can never forge or break a log line.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request_id(&req);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        job_id = tracing::field::Empty,
        history_id = tracing::field::Empty,
    );
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| std::sync::Arc::clone(&state.core.metrics));
    let method = req.method().to_string();
    // The path without its query: a WebSocket's access token travels there.
    let path = req.path().to_owned();
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let took = started.elapsed();
    let _entered = span.enter();
    let (status, route) = match &result {
        Ok(res) => (
            res.status().as_u16(),
            res.request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned()),
        ),
        Err(e) => (
            e.as_response_error().status_code().as_u16(),
            "unmatched".to_owned(),
        ),
    };
    let ms = took.as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(%method, %path, status, ms, "request");
    } else {
        tracing::info!(%method, %path, status, ms, "request");
    }
    if let Some(metrics) = metrics {
        metrics.http_request(method_label(&method), &route, status, took);
    }
    result.map(|mut res| {
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut().insert(REQUEST_ID, value);
        }
        // The server's own share of the latency, for browsers' dev tools and the benchmarks.
        if let Ok(value) = HeaderValue::from_str(&format!("app;dur={ms:.3}")) {
            res.headers_mut().insert(SERVER_TIMING, value);
        }
        res
    })
}

/// HTTP allows any token as a method; a label per made-up method would let a client grow the
/// metrics without bound.
fn method_label(method: &str) -> &str {
    match method {
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => method,
        _ => "OTHER",
    }
}

/// Inside `/jobs/{id}`: names the job on the request's span, so every line the handler logs
/// carries it.
pub async fn name_job(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    record_id(&req, "job_id");
    next.call(req).await
}

/// Inside `/history/{id}`: the same for the history entry.
pub async fn name_history_entry(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    record_id(&req, "history_id");
    next.call(req).await
}

fn record_id(req: &ServiceRequest, field: &str) {
    if let Some(id) = req.match_info().get("id") {
        // Ids are UUIDs; anything longer is not worth a log line's space.
        let id: String = id.chars().take(64).collect();
        tracing::Span::current().record(field, id.as_str());
    }
}
