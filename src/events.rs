//! Job events: every change of a job, numbered per job. Stored in `job_events` in the same
//! transaction as the change, broadcast to live listeners after the commit.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::lifecycle::transition::JobError;
use crate::lifecycle::{ChunkStatus, JobStatus};

/// Where a job stands: shared by the job's JSON view and its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobProgress {
    pub status: JobStatus,
    pub progress_percent: i32,
    pub current_step: String,
    pub processed_chunks: i32,
    pub total_chunks: i32,
    pub failed_chunks: i32,
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
    /// Why the job ended without a result (`failed`, `rejected`): the `error` of its JSON
    /// view, so a client following the events can say so without asking for the job. Boxed:
    /// only a final event has one, and every event travels by value through the feeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Box<JobError>>,
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
    pub fn is_final(&self) -> bool {
        self.progress.status.is_terminal()
    }
}

/// How one chunk of a running job stands, for the ETA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkTiming {
    pub status: String,
    /// When its current attempt started.
    pub started_at: Option<i64>,
    /// How long it took, once done.
    pub duration_ms: i64,
    /// When a chunk waiting after a failed attempt, or parked for the engine's quota, tries
    /// again (epoch milliseconds).
    pub next_attempt_at: Option<i64>,
}

/// Time left, from how long done chunks took and where the others stand: chunks already
/// running end one chunk's time after they started, chunks waiting to try again (after a
/// failure, or parked until the engine's daily quota resets) end one chunk's time after that
/// moment, and the pending ones follow in the slots they free. Counting running chunks as not
/// started would announce a whole chunk's time while the last one is about to end; counting
/// parked ones as pending would announce seconds for a job that cannot end before tomorrow.
/// Before any chunk is done only a park says anything: the job ends no sooner than it.
pub(crate) fn eta_seconds(status: JobStatus, chunks: &[ChunkTiming], now_ms: i64) -> Option<i64> {
    if status != JobStatus::Running {
        return None;
    }
    let is = |c: &ChunkTiming, s: ChunkStatus| c.status == s.as_str();
    let parked_until = |c: &ChunkTiming| {
        c.next_attempt_at
            .filter(|&at| is(c, ChunkStatus::Pending) && at > now_ms)
    };
    let done: Vec<i64> = chunks
        .iter()
        .filter(|c| is(c, ChunkStatus::Done) && c.duration_ms > 0)
        .map(|c| c.duration_ms)
        .collect();
    let Some(per_chunk) = i64::try_from(done.len())
        .ok()
        .filter(|n| *n > 0)
        .map(|n| done.iter().sum::<i64>() / n)
    else {
        let until = chunks.iter().filter_map(parked_until).max()?;
        return Some(whole_seconds(until - now_ms));
    };
    // A waiting chunk keeps its place among those the job runs at once.
    let mut slots: std::collections::BinaryHeap<std::cmp::Reverse<i64>> = chunks
        .iter()
        .filter_map(|c| {
            if is(c, ChunkStatus::Running) {
                Some(c.started_at.map_or(now_ms, |t| t + per_chunk).max(now_ms))
            } else {
                parked_until(c).map(|at| at + per_chunk)
            }
        })
        .map(std::cmp::Reverse)
        .collect();
    if slots.is_empty() {
        slots.push(std::cmp::Reverse(now_ms));
    }
    let pending = chunks
        .iter()
        .filter(|c| is(c, ChunkStatus::Pending) && parked_until(c).is_none())
        .count();
    for _ in 0..pending {
        let std::cmp::Reverse(free) = slots.pop()?;
        slots.push(std::cmp::Reverse(free + per_chunk));
    }
    let end = slots.into_iter().map(|std::cmp::Reverse(t)| t).max()?;
    Some(whole_seconds(end - now_ms))
}

/// Whole seconds, rounded up: "0 s" only once nothing is left.
fn whole_seconds(ms: i64) -> i64 {
    (ms.max(0) + 999) / 1000
}

/// A bare event of `job` at `seq` in `status`, for the tests of what carries events.
#[cfg(test)]
pub(crate) fn bare_event(job: &str, seq: i64, status: JobStatus) -> JobEvent {
    JobEvent {
        seq,
        job_id: job.to_owned(),
        progress: JobProgress {
            status,
            progress_percent: 0,
            current_step: String::new(),
            processed_chunks: 0,
            total_chunks: 0,
            failed_chunks: 0,
        },
        chunk: None,
        eta_seconds: None,
        error: None,
        at: DateTime::UNIX_EPOCH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(status: ChunkStatus, started_at: Option<i64>, duration_ms: i64) -> ChunkTiming {
        ChunkTiming {
            status: status.as_str().to_owned(),
            started_at,
            duration_ms,
            next_attempt_at: None,
        }
    }

    /// A chunk that tries again at `at`, as the database keeps it meanwhile: pending.
    fn waiting_until(at: i64) -> ChunkTiming {
        ChunkTiming {
            next_attempt_at: Some(at),
            ..chunk(ChunkStatus::Pending, Some(0), 0)
        }
    }

    const HOUR_MS: i64 = 3_600_000;

    const RUNNING: JobStatus = JobStatus::Running;

    #[test]
    fn the_last_chunk_running_beside_a_finished_one_is_nearly_done() {
        // Two chunks side by side from 0: one took 24 s; the other has run 23 s.
        let chunks = [
            chunk(ChunkStatus::Done, Some(0), 24_000),
            chunk(ChunkStatus::Running, Some(0), 0),
        ];
        assert_eq!(eta_seconds(RUNNING, &chunks, 23_000), Some(1));
        assert_eq!(eta_seconds(RUNNING, &chunks, 30_000), Some(0));
    }

    #[test]
    fn pending_chunks_follow_in_the_slots_running_ones_free() {
        // Two at a time, 10 s each: two done, two running since 10 s, six waiting.
        let mut chunks = vec![
            chunk(ChunkStatus::Done, Some(0), 10_000),
            chunk(ChunkStatus::Done, Some(0), 10_000),
            chunk(ChunkStatus::Running, Some(10_000), 0),
            chunk(ChunkStatus::Running, Some(10_000), 0),
        ];
        chunks.extend((0..6).map(|_| chunk(ChunkStatus::Pending, None, 0)));
        assert_eq!(eta_seconds(RUNNING, &chunks, 15_000), Some(35));
    }

    #[test]
    fn no_eta_before_a_chunk_is_done_or_once_the_job_is_not_running() {
        let chunks = [chunk(ChunkStatus::Running, Some(0), 0)];
        assert_eq!(eta_seconds(RUNNING, &chunks, 5_000), None);
        let done = [chunk(ChunkStatus::Done, Some(0), 1_000)];
        assert_eq!(eta_seconds(RUNNING, &done, 500), Some(0));
        assert_eq!(eta_seconds(JobStatus::Completed, &done, 500), None);
    }

    #[test]
    fn a_chunk_parked_for_the_quota_holds_the_job_until_it_can_run() {
        // One chunk done in 3 s, the other parked 20 h for the daily quota: the job cannot
        // end before the park is over and the chunk has run.
        let chunks = [
            chunk(ChunkStatus::Done, Some(0), 3_000),
            waiting_until(20 * HOUR_MS),
        ];
        assert_eq!(eta_seconds(RUNNING, &chunks, 1_000), Some(20 * 3_600 + 2));
        // Pending chunks queue behind it when it holds the only slot.
        let mut queued = chunks.to_vec();
        queued.push(chunk(ChunkStatus::Pending, None, 0));
        assert_eq!(eta_seconds(RUNNING, &queued, 1_000), Some(20 * 3_600 + 5));
        // Beside a running chunk, they take the slot that frees first.
        let mut beside = queued.clone();
        beside.push(chunk(ChunkStatus::Running, Some(0), 0));
        assert_eq!(eta_seconds(RUNNING, &beside, 1_000), Some(20 * 3_600 + 2));
    }

    #[test]
    fn a_park_is_a_floor_even_before_any_chunk_is_done() {
        let chunks = [
            chunk(ChunkStatus::Running, Some(0), 0),
            waiting_until(2 * HOUR_MS),
        ];
        assert_eq!(eta_seconds(RUNNING, &chunks, 0), Some(2 * 3_600));
    }

    #[test]
    fn a_retry_whose_moment_has_passed_is_an_ordinary_pending_chunk() {
        // Two at a time, 10 s each: one running since 10 s, one whose retry was due at 12 s.
        let chunks = [
            chunk(ChunkStatus::Done, Some(0), 10_000),
            chunk(ChunkStatus::Running, Some(10_000), 0),
            waiting_until(12_000),
        ];
        assert_eq!(eta_seconds(RUNNING, &chunks, 15_000), Some(15));
        // A backoff still ahead counts from its end.
        let chunks = [
            chunk(ChunkStatus::Done, Some(0), 10_000),
            waiting_until(40_000),
        ];
        assert_eq!(eta_seconds(RUNNING, &chunks, 15_000), Some(35));
    }
}
