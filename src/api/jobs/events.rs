//! `GET /api/v1/jobs/{id}/events`: the job's events as Server-Sent Events, each with its `seq`
//! as the event id. `Last-Event-ID` (or `?after_seq=`) resumes right after that event: the
//! stored events come first, then live ones, each exactly once and in order. The stream ends
//! after the job's final event.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;
use serde::Deserialize;

use super::owned_job;
use crate::actors::hub::Membership;
use crate::actors::outbox::Outbox;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::auth::Caller;
use crate::db::Db;
use crate::events::JobEvent;
use crate::metrics::Open;
use crate::status::JobStatus;

/// A comment line this often keeps proxies from closing an idle stream.
const HEARTBEAT: Duration = Duration::from_secs(15);
const REPLAY_BATCH: i64 = 500;

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
    // Join the job's room before reading the table, so nothing committed in between is missed.
    let outbox = Arc::new(Outbox::new(
        usize::try_from(state.core.config.ws_buffer_events).unwrap_or(usize::MAX),
    ));
    let room = Membership::join(&state.core.hub, &job.id, &outbox)
        .await
        .map_err(|e| ApiError::internal(format!("progress hub: {e}")))?;
    let ended =
        JobStatus::parse(&job.status).is_some_and(JobStatus::is_terminal) && after >= job.event_seq;
    let feed = Feed {
        db: state.core.db.clone(),
        job_id: job.id,
        last: after,
        pending: VecDeque::new(),
        caught_up: false,
        outbox,
        _room: room,
        _open: Open::track(&state.core.metrics.sse_streams),
        finished: ended,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .streaming(stream::unfold(feed, Feed::next)))
}

struct Feed {
    db: Db,
    job_id: String,
    /// The last seq sent (or the one the client resumed after).
    last: i64,
    pending: VecDeque<JobEvent>,
    /// Nothing stored after `last` is left unread: new events come from the outbox alone.
    caught_up: bool,
    outbox: Arc<Outbox>,
    _room: Membership,
    /// Counted in the open-streams gauge until the client goes and the stream is dropped.
    _open: Open,
    finished: bool,
}

impl Feed {
    async fn next(mut self) -> Option<(Result<Bytes, actix_web::Error>, Self)> {
        loop {
            if self.finished {
                return None;
            }
            if let Some(event) = self.pending.pop_front() {
                if event.seq <= self.last {
                    continue;
                }
                self.last = event.seq;
                self.finished = event.is_final();
                return Some((Ok(frame(&event)), self));
            }
            // The table holds every committed event in order: catch up from it first, a
            // batch at a time, so a slow reader never makes the server hold its whole log.
            if !self.caught_up {
                match self
                    .db
                    .events_after(&self.job_id, self.last, REPLAY_BATCH)
                    .await
                {
                    Ok(events) => {
                        self.caught_up = (events.len() as i64) < REPLAY_BATCH;
                        self.pending.extend(events);
                        continue;
                    }
                    Err(e) => {
                        tracing::error!(job = %self.job_id, error = %e, "event replay failed");
                        return None;
                    }
                }
            }
            // Live: what the hub left, unless it skipped something (coalesced for a slow
            // reader, or lagged), in which case the table fills the gap. The heartbeat keeps
            // its own deadline however busy the outbox is.
            let deadline = tokio::time::Instant::now() + HEARTBEAT;
            loop {
                let waiting = self.outbox.take(&self.job_id);
                if !waiting.events.is_empty() || waiting.lagged {
                    if waiting.continues(self.last) {
                        self.pending
                            .extend(waiting.events.iter().map(|live| live.event.clone()));
                    } else {
                        self.caught_up = false;
                    }
                    break;
                }
                if tokio::time::timeout_at(deadline, self.outbox.ready())
                    .await
                    .is_err()
                {
                    return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), self));
                }
            }
        }
    }
}

fn frame(event: &JobEvent) -> Bytes {
    let data = serde_json::to_string(event).unwrap_or_default();
    Bytes::from(format!(
        "id: {}\nevent: progress\ndata: {data}\n\n",
        event.seq
    ))
}
