//! PostgreSQL LISTEN/NOTIFY: how instances on one database hear about each other's work.
//!
//! Every job event is NOTIFYed in the transaction that stores it, so it is delivered at commit,
//! in commit order, to every instance, this one included: the relay is the only source of live
//! events on PostgreSQL, which keeps one order for everyone. A job that becomes claimable is
//! NOTIFYed too, waking idle instances before their next poll, and so is a sign-in session that
//! ends, closing its WebSockets wherever they are open.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::broadcast::Sender;

use super::events::EventFeed;
use super::sessions::SessionFeed;
use crate::events::JobEvent;

pub(crate) const EVENTS_CHANNEL: &str = "fnt_events";
pub(crate) const JOBS_CHANNEL: &str = "fnt_jobs";
/// Payload: the id of a sign-in session that ended.
pub(crate) const SESSIONS_CHANNEL: &str = "fnt_sessions";

/// NOTIFY payloads must stay under 8000 bytes; a bigger event goes as its job id alone and
/// listeners read it from the table.
const MAX_PAYLOAD: usize = 7900;

pub(crate) fn event_payload(json: &str, job_id: &str, seq: i64) -> String {
    if json.len() <= MAX_PAYLOAD {
        json.to_owned()
    } else {
        serde_json::json!({ "job_id": job_id, "seq": seq }).to_string()
    }
}

#[derive(Deserialize)]
struct EventRef {
    job_id: String,
}

fn relay(payload: &str, events: &Sender<EventFeed>) {
    let item = match serde_json::from_str::<JobEvent>(payload) {
        Ok(event) => EventFeed::Event(event),
        Err(_) => match serde_json::from_str::<EventRef>(payload) {
            Ok(reference) => EventFeed::Missed {
                job_id: reference.job_id,
            },
            Err(e) => {
                tracing::warn!(error = %e, "unreadable event notification");
                EventFeed::Gap
            }
        },
    };
    let _ = events.send(item);
}

/// Listens for as long as the process runs, reconnecting with backoff. After a reconnect the
/// events notified meanwhile are lost, so listeners are told to re-read the stored log, the
/// workers look for jobs, and open sockets check that their sessions still live.
pub(crate) async fn listen(
    url: String,
    events: Sender<EventFeed>,
    jobs: Sender<()>,
    sessions: Sender<SessionFeed>,
    listening: tokio::sync::oneshot::Sender<()>,
) {
    let mut listening = Some(listening);
    let mut delay = Duration::from_millis(100);
    let mut connected_before = false;
    loop {
        match AsyncPgConnection::establish(&url).await {
            Ok(mut conn) => match conn
                .batch_execute(&format!(
                    "LISTEN {EVENTS_CHANNEL}; LISTEN {JOBS_CHANNEL}; LISTEN {SESSIONS_CHANNEL}"
                ))
                .await
            {
                Ok(()) => {
                    delay = Duration::from_millis(100);
                    if connected_before {
                        let _ = events.send(EventFeed::Gap);
                        let _ = jobs.send(());
                        let _ = sessions.send(SessionFeed::Gap);
                    }
                    connected_before = true;
                    if let Some(listening) = listening.take() {
                        let _ = listening.send(());
                    }
                    let mut notifications = std::pin::pin!(conn.notifications_stream());
                    while let Some(notification) = notifications.next().await {
                        match notification {
                            Ok(n) if n.channel == EVENTS_CHANNEL => relay(&n.payload, &events),
                            Ok(n) if n.channel == SESSIONS_CHANNEL => {
                                let _ = sessions.send(SessionFeed::Ended {
                                    session_id: n.payload,
                                });
                            }
                            Ok(_) => {
                                let _ = jobs.send(());
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "LISTEN connection failed");
                                break;
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "LISTEN failed"),
            },
            Err(e) => tracing::warn!(error = %e, "LISTEN connection refused"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_events_travel_as_a_reference() {
        let small = r#"{"seq":1}"#;
        assert_eq!(event_payload(small, "j", 1), small);
        let big = "x".repeat(MAX_PAYLOAD + 1);
        let payload = event_payload(&big, "j", 7);
        assert!(payload.len() < 100);
        let (tx, mut rx) = tokio::sync::broadcast::channel(4);
        relay(&payload, &tx);
        assert!(matches!(rx.try_recv(), Ok(EventFeed::Missed { job_id }) if job_id == "j"));
        relay("garbage", &tx);
        assert!(matches!(rx.try_recv(), Ok(EventFeed::Gap)));
    }
}
