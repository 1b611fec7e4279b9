//! One listener's view of one job's events: the stored events after the seq it has, then the
//! live ones the hub hands out, in order and each once, whatever the relay does (reorders,
//! repeats, drops, reconnects). SSE streams and WebSocket sessions are thin adapters over
//! [`Subscription::next`]; the rules for gaps, duplicates and the final event live here only.
//!
//! The gap rule: live events must continue the last seq delivered. When they do not (the relay
//! lost some, the hub lagged, an event was too big to notify, the listener's outbox dropped
//! some to stay bounded), what they skipped is re-read from the stored log, and an event at or
//! below the last seq is a duplicate and dropped. The one exception is [`Overflow::Skip`]: a
//! live listener that cannot keep up takes the newest state as it is.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use actix::{Addr, MailboxError};

use super::hub::{Membership, ProgressHub};
use super::outbox::{LiveEvent, Outbox, Pending};
use crate::db::{Db, DbError};
use crate::events::JobEvent;

/// Stored events read per round while catching up: a slow reader never makes the server hold
/// its whole log, and the next batch is read only once the listener took this one.
const REPLAY_BATCH: i64 = 200;

/// Where the stored events come from: the database, or a test's list.
pub(crate) trait EventLog {
    /// Stored events of `job_id` with `seq > after`, in order, at most `limit`.
    fn events_after(
        &self,
        job_id: &str,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<JobEvent>, DbError>>;
}

impl EventLog for Db {
    fn events_after(
        &self,
        job_id: &str,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<JobEvent>, DbError>> {
        Db::events_after(self, job_id, after, limit)
    }
}

/// What a listener whose outbox overflowed gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// Every event still: what the outbox dropped is re-read from the log. SSE promises this
    /// (`Last-Event-ID` resumes are exactly-once), and costs nothing while the reader waits.
    Replay,
    /// The newest state: a live listener that cannot keep up gets the events its outbox kept,
    /// and the jump in `seq` tells it that it skipped some. The WebSocket does this, so a slow
    /// client ends up with the job's latest state instead of a growing backlog.
    Skip,
}

pub(crate) struct Options {
    pub overflow: Overflow,
    /// Ends after the job's first final event (SSE). A WebSocket follows on: a retried job
    /// runs again after its final event.
    pub until_final: bool,
    /// How long a live subscription waits for an event before [`Next::Idle`].
    pub keep_alive: Option<Duration>,
}

/// What [`Subscription::next`] found.
#[derive(Debug)]
pub(crate) enum Next {
    /// Events after the last ones delivered, in order, each once.
    Events(Vec<Arc<LiveEvent>>),
    /// Nothing happened for the keep-alive time.
    Idle,
    /// The job's final event was delivered (with `until_final`); nothing more comes.
    Ended,
}

/// A listener's membership of one job's room, with the outbox the hub fills. Joined before the
/// job or its log is read, so that every event committed after that read reaches the outbox.
pub(crate) struct Room {
    job_id: String,
    outbox: Arc<Outbox>,
    /// Leaves the room when dropped; `None` in tests, which fill the outbox themselves.
    _membership: Option<Membership>,
}

impl Room {
    /// `buffer_events`: live events held for the listener before older ones are dropped.
    pub(crate) async fn join(
        hub: &Addr<ProgressHub>,
        job_id: &str,
        buffer_events: usize,
    ) -> Result<Self, MailboxError> {
        let outbox = Arc::new(Outbox::new(buffer_events));
        let membership = Membership::join(hub, job_id, &outbox).await?;
        Ok(Self {
            job_id: job_id.to_owned(),
            outbox,
            _membership: Some(membership),
        })
    }

    /// Follows the job from just after `after`, the last seq the listener has.
    pub(crate) fn follow<L: EventLog>(
        self,
        log: L,
        after: i64,
        options: Options,
    ) -> Subscription<L> {
        Subscription {
            log,
            room: self,
            last: after,
            phase: Phase::CatchingUp,
            options,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Stored events after `last` may remain unread.
    CatchingUp,
    /// Nothing stored after `last` was unread when the log was last read: new events come from
    /// the outbox. `handover`: the outbox has not been looked at since.
    Live {
        handover: bool,
    },
    Ended,
}

pub(crate) struct Subscription<L = Db> {
    log: L,
    room: Room,
    /// The last seq delivered (or the one the listener resumed after).
    last: i64,
    phase: Phase,
    options: Options,
}

impl<L: EventLog> Subscription<L> {
    pub(crate) fn job_id(&self) -> &str {
        &self.room.job_id
    }

    /// The next events to deliver. Replays the stored log a batch per call, then waits for
    /// live events.
    pub(crate) async fn next(&mut self) -> Result<Next, DbError> {
        // One deadline per call: events that turn out to be duplicates do not postpone it.
        let idle_at = self
            .options
            .keep_alive
            .map(|idle| tokio::time::Instant::now() + idle);
        loop {
            match self.phase {
                Phase::Ended => return Ok(Next::Ended),
                Phase::CatchingUp => {
                    let stored = self
                        .log
                        .events_after(&self.room.job_id, self.last, REPLAY_BATCH)
                        .await?;
                    if (stored.len() as i64) < REPLAY_BATCH {
                        self.phase = Phase::Live { handover: true };
                    }
                    let fresh = self.admit(stored.into_iter().map(LiveEvent::new));
                    if !fresh.is_empty() {
                        return Ok(Next::Events(fresh));
                    }
                }
                Phase::Live { handover } => {
                    let pending = self.room.outbox.take(&self.room.job_id);
                    if pending.events.is_empty() && !pending.lagged {
                        self.phase = Phase::Live { handover: false };
                        let ready = self.room.outbox.ready();
                        match idle_at {
                            Some(at) => {
                                if tokio::time::timeout_at(at, ready).await.is_err() {
                                    return Ok(Next::Idle);
                                }
                            }
                            None => ready.await,
                        }
                        continue;
                    }
                    if self.must_reread(&pending, handover) {
                        self.phase = Phase::CatchingUp;
                        continue;
                    }
                    self.phase = Phase::Live { handover: false };
                    let fresh = self.admit(pending.events);
                    if !fresh.is_empty() {
                        return Ok(Next::Events(fresh));
                    }
                }
            }
        }
    }

    /// Whether the live events in `pending` skip some after `last`, to be read from the log.
    fn must_reread(&self, pending: &Pending, handover: bool) -> bool {
        if pending.continues(self.last) {
            return false;
        }
        // Events the outbox dropped while the listener was catching up were never meant to be
        // skipped: only a listener already live may fall behind to the newest state.
        let fell_behind = pending.coalesced && !pending.lagged && !handover;
        !(fell_behind && self.options.overflow == Overflow::Skip)
    }

    /// The events after `last`, in order, up to the final one when the subscription ends there.
    fn admit(&mut self, events: impl IntoIterator<Item = Arc<LiveEvent>>) -> Vec<Arc<LiveEvent>> {
        let mut fresh = Vec::new();
        for live in events {
            if live.event.seq <= self.last {
                continue;
            }
            self.last = live.event.seq;
            let ends = self.options.until_final && live.event.is_final();
            fresh.push(live);
            if ends {
                self.phase = Phase::Ended;
                break;
            }
        }
        fresh
    }
}

#[cfg(test)]
mod tests;
