//! `Outbox`: where the progress hub leaves events for one listener (a WebSocket session or an
//! SSE stream) until the listener is ready for them.
//!
//! The hub must never wait for a listener, and a listener that stops reading must not make
//! the server hold more and more events for it. So each job's queue is bounded: when it is
//! full, what it holds is replaced by the newest event alone, which carries the job's latest
//! state, and a job's final event, being its last, is never the one dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use bytestring::ByteString;
use tokio::sync::Notify;

use super::ws_protocol::ServerMessage;
use crate::events::JobEvent;

/// An event on its way to listeners, with its WebSocket message rendered once for all of them.
#[derive(Debug, PartialEq, Eq)]
pub struct LiveEvent {
    pub event: JobEvent,
    pub ws_text: ByteString,
}

impl LiveEvent {
    pub fn new(event: JobEvent) -> Arc<Self> {
        let message = ServerMessage::Event(event);
        let ws_text = ByteString::from(message.to_json());
        let ServerMessage::Event(event) = message else {
            unreachable!("built as an event just above")
        };
        Arc::new(Self { event, ws_text })
    }
}

pub struct Outbox {
    queues: Mutex<HashMap<String, Pending>>,
    ready: Notify,
    capacity: usize,
}

/// What piled up for one job since the listener last looked.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pending {
    pub events: VecDeque<Arc<LiveEvent>>,
    /// Events were dropped to keep the queue bounded: only the newest are here.
    pub coalesced: bool,
    /// The hub itself fell behind the event feed: events of this job may be missing.
    pub lagged: bool,
}

impl Pending {
    /// The events follow `last` with nothing missing in between.
    pub fn continues(&self, last: i64) -> bool {
        let mut expected = last;
        !self.lagged
            && self.events.iter().all(|e| {
                let next = e.event.seq <= expected.saturating_add(1);
                expected = expected.max(e.event.seq);
                next
            })
    }
}

impl Outbox {
    pub fn new(capacity: usize) -> Self {
        Self {
            queues: Mutex::new(HashMap::new()),
            ready: Notify::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&self, event: Arc<LiveEvent>) {
        {
            let mut queues = self.lock();
            let pending = queues.entry(event.event.job_id.clone()).or_default();
            if pending.events.len() >= self.capacity {
                pending.events.clear();
                pending.coalesced = true;
            }
            pending.events.push_back(event);
        }
        self.ready.notify_one();
    }

    pub fn mark_lagged(&self, job_id: &str) {
        self.lock().entry(job_id.to_owned()).or_default().lagged = true;
        self.ready.notify_one();
    }

    /// Takes what is waiting for `job_id`, leaving its queue empty.
    pub fn take(&self, job_id: &str) -> Pending {
        self.lock().remove(job_id).unwrap_or_default()
    }

    /// Whether anything waits for `job_id`.
    #[cfg(test)]
    pub fn has(&self, job_id: &str) -> bool {
        self.lock().contains_key(job_id)
    }

    /// Resolves once something was pushed since the last wake-up (a push that came before
    /// this call counts, so a listener that takes and then waits misses nothing).
    pub async fn ready(&self) {
        self.ready.notified().await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        // A panic while holding this lock leaves plain queues behind, still consistent.
        self.queues
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(job: &str, seq: i64, status: &str) -> Arc<LiveEvent> {
        LiveEvent::new(crate::events::bare_event(
            job,
            seq,
            crate::lifecycle::JobStatus::parse(status).unwrap(),
        ))
    }

    #[test]
    fn a_listener_that_keeps_up_gets_every_event_in_order() {
        let outbox = Outbox::new(4);
        for seq in 1..=3 {
            outbox.push(event("a", seq, "running"));
        }
        outbox.push(event("b", 1, "queued"));
        let a = outbox.take("a");
        assert_eq!(
            a.events.iter().map(|e| e.event.seq).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(!a.coalesced && a.continues(0));
        assert!(outbox.has("b") && !outbox.has("a"));
    }

    #[test]
    fn a_listener_that_stops_reading_holds_at_most_capacity_and_keeps_the_final_event() {
        let outbox = Outbox::new(8);
        for seq in 1..=10_000 {
            outbox.push(event("a", seq, "running"));
        }
        outbox.push(event("a", 10_001, "completed"));
        let a = outbox.take("a");
        assert!(a.events.len() <= 8);
        assert!(a.coalesced);
        assert!(!a.continues(0), "the gap is visible");
        let last = &a.events.back().unwrap().event;
        assert_eq!(
            (last.seq, last.progress.status.as_str()),
            (10_001, "completed")
        );
    }

    #[test]
    fn a_hole_anywhere_in_the_queue_is_a_gap() {
        let outbox = Outbox::new(8);
        for seq in [3, 5, 4] {
            outbox.push(event("a", seq, "running"));
        }
        assert!(!outbox.take("a").continues(2));
        outbox.push(event("a", 3, "running"));
        outbox.push(event("a", 4, "running"));
        assert!(outbox.take("a").continues(2));
        assert!(Pending::default().continues(i64::MAX), "no overflow");
    }

    #[test]
    fn a_lag_is_reported_even_without_events() {
        let outbox = Outbox::new(8);
        outbox.mark_lagged("a");
        let a = outbox.take("a");
        assert!(a.lagged && a.events.is_empty() && !a.continues(5));
    }

    #[actix_rt::test]
    async fn a_push_before_waiting_is_not_missed() {
        let outbox = Outbox::new(8);
        outbox.push(event("a", 1, "queued"));
        tokio::time::timeout(std::time::Duration::from_secs(1), outbox.ready())
            .await
            .expect("woken by the earlier push");
    }
}
