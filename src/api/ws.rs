//! `GET /api/v1/ws`: live progress over a WebSocket, one [`WsSession`] actor per socket.
//! The protocol is in [`crate::actors::ws_protocol`].

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_actors::ws;

use super::AppState;
use super::error::ApiError;
use crate::actors::ws_session::{SessionConfig, SessionOwner, WsSession};
use crate::auth::Caller;
use crate::metrics::Open;

/// Client messages are small JSON objects; anything bigger closes the socket.
const MAX_FRAME_BYTES: usize = 4 * 1024;

pub async fn progress_socket(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    stream: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Checked here first so a plain GET gets the API's error shape, not an empty 400.
    ws::handshake(&req).map_err(|e| {
        ApiError::bad_request(
            "websocket_required",
            format!("this endpoint speaks WebSocket only: {e}"),
        )
    })?;
    let config = &state.core.config;
    let session = WsSession::new(
        state.core.db.clone(),
        state.core.hub.clone(),
        SessionOwner {
            user_id: caller.user_id,
            session_id: caller.session_id,
        },
        SessionConfig {
            ping_every: Duration::from_millis(config.ws_ping_interval_ms),
            client_timeout: Duration::from_millis(config.ws_client_timeout_ms),
            buffer_events: usize::try_from(config.ws_buffer_events).unwrap_or(usize::MAX),
        },
        Open::track(&state.core.metrics.websocket_sessions),
    );
    ws::WsResponseBuilder::new(session, &req, stream)
        .frame_size(MAX_FRAME_BYTES)
        .start()
        .map_err(|e| ApiError::bad_request("websocket_required", e.to_string()))
}
