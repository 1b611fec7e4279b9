//! `GET /api/v1/jobs/{id}/events`: the job's events as Server-Sent Events, each with its `seq`
//! as the event id. `Last-Event-ID` (or `?after_seq=`) resumes right after that event: the
//! stored events come first, then live ones, each exactly once and in order. The stream ends
//! after the job's final event.

use std::collections::VecDeque;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;
use serde::Deserialize;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::owned_job;
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::db::Db;
use crate::events::JobEvent;
use crate::status::JobStatus;

/// A comment line this often keeps proxies from closing an idle stream.
const HEARTBEAT: Duration = Duration::from_secs(15);
const REPLAY_BATCH: i64 = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct After {
    after_seq: Option<i64>,
}

pub async fn job_events(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<After>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let job = owned_job(&state, &id, &state.owner).await?;
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
    // Subscribe before reading the table, so nothing committed in between is missed.
    let live = state.core.db.subscribe_events();
    let ended =
        JobStatus::parse(&job.status).is_some_and(JobStatus::is_terminal) && after >= job.event_seq;
    let feed = Feed {
        db: state.core.db.clone(),
        job_id: job.id,
        last: after,
        pending: VecDeque::new(),
        live,
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
    live: Receiver<JobEvent>,
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
            // The table holds every committed event in order: catch up from it first.
            match self
                .db
                .events_after(&self.job_id, self.last, REPLAY_BATCH)
                .await
            {
                Ok(events) if !events.is_empty() => {
                    self.pending.extend(events);
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(job = %self.job_id, error = %e, "event replay failed");
                    return None;
                }
            }
            // Wait for this job's next event; other jobs' events pass by without touching the
            // table, and the heartbeat keeps its own deadline however busy the feed is.
            let deadline = tokio::time::Instant::now() + HEARTBEAT;
            loop {
                match tokio::time::timeout_at(deadline, self.live.recv()).await {
                    Ok(Ok(event)) if event.job_id != self.job_id => continue,
                    // Only the very next event is taken live; after a gap (or a lag) the table,
                    // which cannot skip one, is read again.
                    Ok(Ok(event)) => {
                        if event.seq == self.last + 1 {
                            self.pending.push_back(event);
                        }
                        break;
                    }
                    Ok(Err(RecvError::Lagged(_))) => break,
                    Ok(Err(RecvError::Closed)) => return None,
                    Err(_) => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), self)),
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
