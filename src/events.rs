//! Job events: every change of a job, numbered per job. Stored in `job_events` in the same
//! transaction as the change, broadcast to live listeners after the commit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::models::JobRow;
use crate::status::JobStatus;

/// Where a job stands: shared by the job's JSON view and its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobProgress {
    pub status: String,
    pub progress_percent: i32,
    pub current_step: String,
    pub processed_chunks: i32,
    pub total_chunks: i32,
    pub failed_chunks: i32,
}

impl JobProgress {
    pub fn of(row: &JobRow) -> Self {
        Self {
            status: row.status.clone(),
            progress_percent: row.progress_percent,
            current_step: row.current_step.clone(),
            processed_chunks: row.processed_chunks,
            total_chunks: row.total_chunks,
            failed_chunks: row.failed_chunks,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobEvent {
    pub seq: i64,
    pub job_id: String,
    #[serde(flatten)]
    pub progress: JobProgress,
    /// The chunk whose change this event reports, if one did.
    pub chunk: Option<ChunkNote>,
    pub eta_seconds: Option<i64>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkNote {
    pub index: i32,
    pub status: String,
    pub attempts: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When a chunk that is `retrying` (or `waiting` for the daily quota) tries again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl JobEvent {
    /// The event for `row` as it stands after the change (its `event_seq` already bumped).
    pub fn from_row(row: &JobRow, chunk: Option<ChunkNote>, at: DateTime<Utc>) -> Self {
        Self {
            seq: row.event_seq,
            job_id: row.id.clone(),
            progress: JobProgress::of(row),
            chunk,
            eta_seconds: eta_seconds(row, at.timestamp_millis()),
            at,
        }
    }

    pub fn is_final(&self) -> bool {
        JobStatus::parse(&self.progress.status).is_some_and(JobStatus::is_terminal)
    }
}

/// Time left at the pace so far: the share of chunks still to do times the time per chunk.
fn eta_seconds(row: &JobRow, now_ms: i64) -> Option<i64> {
    let settled = i64::from(row.processed_chunks + row.failed_chunks);
    let total = i64::from(row.total_chunks);
    let started = row.started_at?;
    if row.status != JobStatus::Running.as_str() || settled == 0 || total <= settled {
        return None;
    }
    let elapsed = (now_ms - started).max(0);
    Some(elapsed * (total - settled) / settled / 1000)
}
