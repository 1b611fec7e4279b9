//! `ProgressHub`: one per process. It reads the committed job events once and hands each to
//! the listeners in that job's room (WebSocket sessions, SSE streams), through their
//! [`Outbox`]es, without ever waiting for one of them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use actix::prelude::*;
use futures_util::stream;
use tokio::sync::broadcast::error::RecvError;

use super::outbox::{LiveEvent, Outbox};
use crate::db::Db;
use crate::db::events::EventFeed;
use crate::events::JobEvent;

/// One membership of one room: the same outbox may join a room again before an earlier
/// membership has left, and each leave must remove only its own.
type Member = (u64, Weak<Outbox>);

#[derive(Default)]
pub struct ProgressHub {
    rooms: HashMap<String, Vec<Member>>,
    db: Option<Db>,
}

impl ProgressHub {
    pub fn new(db: Db) -> Self {
        Self {
            rooms: HashMap::new(),
            db: Some(db),
        }
    }

    /// Open rooms and the listeners in them, for tests and metrics.
    fn census(&self) -> Census {
        Census {
            rooms: self.rooms.len(),
            listeners: self.rooms.values().map(Vec::len).sum(),
        }
    }

    fn deliver(&mut self, event: JobEvent) {
        let Some(room) = self.rooms.get_mut(&event.job_id) else {
            return;
        };
        let job_id = event.job_id.clone();
        let live = LiveEvent::new(event);
        // A listener that went away without leaving is dropped here.
        room.retain(|(_, listener)| match listener.upgrade() {
            Some(outbox) => {
                outbox.push(Arc::clone(&live));
                true
            }
            None => false,
        });
        if room.is_empty() {
            self.rooms.remove(&job_id);
        }
    }

    /// Events of one job were missed: its listeners re-read it from the stored log.
    fn missed(&mut self, job_id: &str) {
        for (_, member) in self.rooms.get(job_id).into_iter().flatten() {
            if let Some(outbox) = member.upgrade() {
                outbox.mark_lagged(job_id);
            }
        }
    }

    /// The hub missed events: every listener re-reads its jobs from the stored log.
    fn lagged(&mut self) {
        for (job_id, room) in &self.rooms {
            for outbox in room.iter().filter_map(|(_, member)| member.upgrade()) {
                outbox.mark_lagged(job_id);
            }
        }
    }
}

/// What the hub reads from the database's event feed.
enum Feed {
    Event(JobEvent),
    Missed(String),
    Lagged,
}

impl Actor for ProgressHub {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let Some(db) = self.db.take() else {
            return;
        };
        let feed = stream::unfold(db.subscribe_events(), |mut live| async move {
            match live.recv().await {
                Ok(EventFeed::Event(event)) => Some((Feed::Event(event), live)),
                Ok(EventFeed::Missed { job_id }) => Some((Feed::Missed(job_id), live)),
                Ok(EventFeed::Gap) | Err(RecvError::Lagged(_)) => Some((Feed::Lagged, live)),
                Err(RecvError::Closed) => None,
            }
        });
        ctx.add_stream(feed);
    }
}

impl StreamHandler<Feed> for ProgressHub {
    fn handle(&mut self, item: Feed, _: &mut Self::Context) {
        match item {
            Feed::Event(event) => self.deliver(event),
            Feed::Missed(job_id) => self.missed(&job_id),
            Feed::Lagged => {
                tracing::warn!("progress hub fell behind the event feed; listeners re-read");
                self.lagged();
            }
        }
    }

    /// The feed ends only with the database; the hub stays for its listeners' `Leave`s.
    fn finished(&mut self, _: &mut Self::Context) {}
}

/// Puts `outbox` in the room of `job_id`. Once this has been answered, every event of the job
/// that the hub has not yet handed out reaches the outbox.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Join {
    pub job_id: String,
    pub token: u64,
    pub outbox: Weak<Outbox>,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Leave {
    pub job_id: String,
    pub token: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, MessageResponse)]
pub struct Census {
    pub rooms: usize,
    pub listeners: usize,
}

#[derive(Message)]
#[rtype(result = "Census")]
pub struct CountListeners;

impl Handler<Join> for ProgressHub {
    type Result = ();

    fn handle(&mut self, msg: Join, _: &mut Self::Context) {
        self.rooms
            .entry(msg.job_id)
            .or_default()
            .push((msg.token, msg.outbox));
    }
}

impl Handler<Leave> for ProgressHub {
    type Result = ();

    fn handle(&mut self, msg: Leave, _: &mut Self::Context) {
        if let Some(room) = self.rooms.get_mut(&msg.job_id) {
            room.retain(|(token, member)| *token != msg.token && member.strong_count() > 0);
            if room.is_empty() {
                self.rooms.remove(&msg.job_id);
            }
        }
    }
}

impl Handler<CountListeners> for ProgressHub {
    type Result = Census;

    fn handle(&mut self, _: CountListeners, _: &mut Self::Context) -> Census {
        self.census()
    }
}

/// A listener's membership of one job's room; leaves the room when dropped.
pub struct Membership {
    hub: Addr<ProgressHub>,
    job_id: String,
    token: u64,
}

impl Membership {
    pub async fn join(
        hub: &Addr<ProgressHub>,
        job_id: &str,
        outbox: &Arc<Outbox>,
    ) -> Result<Self, MailboxError> {
        static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);
        let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        hub.send(Join {
            job_id: job_id.to_owned(),
            token,
            outbox: Arc::downgrade(outbox),
        })
        .await?;
        Ok(Self {
            hub: hub.clone(),
            job_id: job_id.to_owned(),
            token,
        })
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.hub.do_send(Leave {
            job_id: std::mem::take(&mut self.job_id),
            token: self.token,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(job: &str, seq: i64) -> JobEvent {
        crate::events::bare_event(job, seq, crate::lifecycle::JobStatus::Running)
    }

    #[test]
    fn events_reach_only_their_room_and_dead_listeners_are_dropped() {
        let mut hub = ProgressHub::default();
        let a = Arc::new(Outbox::new(8));
        let b = Arc::new(Outbox::new(8));
        let gone = Arc::new(Outbox::new(8));
        let members = [("j1", &a), ("j2", &b), ("j1", &gone)];
        for (token, (job, outbox)) in members.into_iter().enumerate() {
            hub.rooms
                .entry(job.to_owned())
                .or_default()
                .push((token as u64, Arc::downgrade(outbox)));
        }
        drop(gone);
        hub.deliver(event("j1", 1));
        assert_eq!(a.take("j1").events.len(), 1);
        assert!(!b.has("j1"));
        assert_eq!(
            hub.census(),
            Census {
                rooms: 2,
                listeners: 2
            }
        );

        hub.lagged();
        assert!(a.take("j1").lagged && b.take("j2").lagged);
    }
}
