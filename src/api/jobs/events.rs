//! `GET /api/v1/jobs/{id}/events`: the job's events as Server-Sent Events, each with its `seq`
//! as the event id. `Last-Event-ID` (or `?after_seq=`) resumes right after that event: the
//! stored events come first, then live ones, each exactly once and in order. The stream ends
//! after the job's final event.

use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;
use serde::Deserialize;

use super::owned_job;
use crate::actors::subscription::{Next, Options, Overflow, Room, Subscription};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::events::JobEvent;
use crate::metrics::Open;

/// A comment line this often keeps proxies from closing an idle stream.
const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct After {
    after_seq: Option<i64>,
    /// For EventSource clients, which cannot send headers; read by the `Caller` extractor.
    #[serde(rename = "access_token")]
    _access_token: Option<String>,
}

pub async fn job_events(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: web::Query<After>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let job = owned_job(&state, &id, &caller.user_id).await?;
    let after = match req.headers().get("Last-Event-ID") {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|seq| *seq >= 0)
            .ok_or_else(|| {
                ApiError::bad_request("invalid_request", "Last-Event-ID must be an event seq")
            })?,
        None => query.after_seq.unwrap_or(0).max(0),
    };
    if after > job.event_seq {
        return Err(ApiError::bad_request(
            "invalid_request",
            format!("the job's last event is {}", job.event_seq),
        ));
    }
    let subscription = match job.status {
        // The client has the final event already: nothing will follow.
        status if status.is_terminal() && after >= job.event_seq => None,
        _ => {
            // Joined after the job was read, but before its log is: whatever was committed
            // meanwhile is in the log, and what comes later reaches the room.
            let room = Room::join(
                &state.core.hub,
                &job.id,
                usize::try_from(state.core.config.ws_buffer_events).unwrap_or(usize::MAX),
            )
            .await
            .map_err(|e| ApiError::internal(format!("progress hub: {e}")))?;
            let subscription = room.follow(
                state.core.db.clone(),
                after,
                Options {
                    overflow: Overflow::Replay,
                    until_final: true,
                    keep_alive: Some(HEARTBEAT),
                },
            );
            Some(Box::new(subscription))
        }
    };
    let feed = Feed {
        subscription,
        _open: Open::track(&state.core.metrics.sse_streams),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .streaming(stream::unfold(feed, Feed::next)))
}

struct Feed {
    /// `None` once nothing more will come.
    subscription: Option<Box<Subscription>>,
    /// Counted in the open-streams gauge until the client goes and the stream is dropped.
    _open: Open,
}

impl Feed {
    async fn next(mut self) -> Option<(Result<Bytes, actix_web::Error>, Self)> {
        let subscription = self.subscription.as_mut()?;
        let bytes = match subscription.next().await {
            Ok(Next::Events(events)) => frames(events.iter().map(|live| &live.event)),
            // A comment line keeps proxies from closing an idle stream.
            Ok(Next::Idle) => Bytes::from_static(b": keep-alive\n\n"),
            Ok(Next::Ended) => return None,
            Err(e) => {
                tracing::error!(job = %subscription.job_id(), error = %e, "event replay failed");
                return None;
            }
        };
        Some((Ok(bytes), self))
    }
}

fn frames<'a>(events: impl IntoIterator<Item = &'a JobEvent>) -> Bytes {
    let mut out = String::new();
    for event in events {
        let data = serde_json::to_string(event).unwrap_or_default();
        out.push_str(&format!(
            "id: {}\nevent: progress\ndata: {data}\n\n",
            event.seq
        ));
    }
    Bytes::from(out)
}
