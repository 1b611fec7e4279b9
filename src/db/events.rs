//! The `job_events` table, and the live feed of new events.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tokio::sync::broadcast;

use super::schema::job_events;
use super::{Db, DbError};
use chrono::{DateTime, Utc};

use super::models::JobRow;
use crate::events::{ChunkNote, ChunkTiming, JobEvent, JobProgress, eta_seconds};
use crate::lifecycle::transition::JobError;

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

/// An event as the `job_events` table stores it.
#[derive(Insertable)]
#[diesel(table_name = job_events)]
pub(crate) struct StoredEvent {
    pub(crate) job_id: String,
    pub(crate) seq: i64,
    pub(crate) payload: String,
    pub(crate) created_at: i64,
}

impl StoredEvent {
    /// The event `row` (its `event_seq` already counted) makes now, and how it is stored.
    pub(crate) fn of(
        row: &JobRow,
        chunk: Option<ChunkNote>,
        chunks: &[ChunkTiming],
    ) -> Result<(JobEvent, Self), DbError> {
        let at = Utc::now();
        let event = JobEvent::from_row(row, chunk, chunks, at);
        let payload = serde_json::to_string(&event).map_err(|e| DbError::Decode(e.to_string()))?;
        let stored = Self {
            job_id: row.id.clone(),
            seq: row.event_seq,
            payload,
            created_at: at.timestamp_millis(),
        };
        Ok((event, stored))
    }
}

// Built here, where the rows are: the event types themselves know nothing of storage.
impl JobProgress {
    pub fn of(row: &JobRow) -> Self {
        Self {
            status: row.status,
            progress_percent: row.progress_percent,
            current_step: row.current_step.clone(),
            processed_chunks: row.processed_chunks,
            total_chunks: row.total_chunks,
            failed_chunks: row.failed_chunks,
        }
    }
}

impl JobEvent {
    /// The event for `row` as it stands after the change (its `event_seq` already bumped).
    pub fn from_row(
        row: &JobRow,
        chunk: Option<ChunkNote>,
        chunks: &[ChunkTiming],
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            seq: row.event_seq,
            job_id: row.id.clone(),
            progress: JobProgress::of(row),
            chunk,
            eta_seconds: eta_seconds(row.status, chunks, at.timestamp_millis()),
            error: row.error_code.as_ref().map(|code| {
                Box::new(JobError {
                    code: code.clone(),
                    message: row.error_message.clone().unwrap_or_default(),
                })
            }),
            at,
        }
    }
}
