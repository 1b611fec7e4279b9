//! The `job_events` table, and the live feed of new events.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tokio::sync::broadcast;

use super::schema::job_events;
use super::{Db, DbError};
use crate::events::JobEvent;

/// What live listeners receive: committed events, or word that some were missed.
#[derive(Debug, Clone)]
pub enum EventFeed {
    Event(JobEvent),
    /// Events of this job were committed but not relayed (too big for a notification).
    Missed {
        job_id: String,
    },
    /// Events of any job may have been missed (the relay reconnected).
    Gap,
}

impl Db {
    /// Stored events of a job with `seq > after`, in order, at most `limit`.
    pub async fn events_after(
        &self,
        job_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<JobEvent>, DbError> {
        let job_id = job_id.to_owned();
        let payloads: Vec<String> = on_conn!(self, |conn| {
            Ok(job_events::table
                .filter(job_events::job_id.eq(&job_id))
                .filter(job_events::seq.gt(after))
                .order(job_events::seq.asc())
                .limit(limit)
                .select(job_events::payload)
                .load(conn)
                .await?)
        })?;
        payloads
            .iter()
            .map(|p| serde_json::from_str(p).map_err(|e| DbError::Decode(e.to_string())))
            .collect()
    }

    /// Events as they are committed, from now on. A listener that lags gets
    /// `RecvError::Lagged` and catches up with [`Db::events_after`].
    pub fn subscribe_events(&self) -> broadcast::Receiver<EventFeed> {
        self.events.subscribe()
    }

    /// Hands committed events to live listeners (none listening is fine). On PostgreSQL the
    /// NOTIFY relay delivers them instead, to every instance in one order.
    pub(crate) fn publish(&self, events: impl IntoIterator<Item = JobEvent>) {
        if self.is_postgres() {
            return;
        }
        for event in events {
            let _ = self.events.send(EventFeed::Event(event));
        }
    }
}
