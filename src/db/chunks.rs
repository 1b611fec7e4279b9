//! The `job_chunks` table: a job's plan, and each chunk's attempts and result, stored the
//! moment they happen so that a restarted job resumes from what is already done.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::jobs::{Progress, held_by};
use super::models::{ChunkRow, NewChunk};
use super::schema::{job_chunks, jobs};
use super::{Db, DbError, Dialect, now_ms};
use crate::engine::Usage;
use crate::events::ChunkNote;
use crate::status::ChunkStatus;

/// A change to one chunk, as the chunk's supervisor reports it.
#[derive(Debug, Clone)]
pub enum ChunkChange {
    Started {
        attempt: i32,
    },
    Retrying {
        attempt: i32,
        error: String,
        usage: Usage,
        next_attempt_at: chrono::DateTime<chrono::Utc>,
        /// Waiting for the daily quota rather than after a failure.
        quota: bool,
    },
    Done {
        attempts: i32,
        result: String,
        usage: Usage,
        duration_ms: i64,
    },
    Failed {
        attempts: i32,
        error: String,
        usage: Usage,
    },
}

impl ChunkChange {
    /// How the change reads in a job event.
    fn note(&self, index: i32) -> ChunkNote {
        // Stored as pending; the event says why it waits and until when.
        let (status, attempts, error, next_attempt_at) = match self {
            Self::Started { attempt } => (ChunkStatus::Running.as_str(), *attempt, None, None),
            Self::Retrying {
                attempt,
                error,
                next_attempt_at,
                quota,
                ..
            } => (
                if *quota { "waiting" } else { "retrying" },
                *attempt,
                Some(error.clone()),
                Some(*next_attempt_at),
            ),
            Self::Done { attempts, .. } => (ChunkStatus::Done.as_str(), *attempts, None, None),
            Self::Failed {
                attempts, error, ..
            } => (
                ChunkStatus::Failed.as_str(),
                *attempts,
                Some(error.clone()),
                None,
            ),
        };
        ChunkNote {
            index,
            status: status.to_owned(),
            attempts,
            error,
            next_attempt_at,
        }
    }

    /// What the attempt behind this change spent (nothing for a start).
    fn usage(&self) -> Usage {
        match self {
            Self::Started { .. } => Usage::default(),
            Self::Retrying { usage, .. }
            | Self::Done { usage, .. }
            | Self::Failed { usage, .. } => *usage,
        }
    }
}

impl Db {
    /// Stores the chunk plan of a job that has none yet.
    pub async fn insert_plan(
        &self,
        job_id: &str,
        worker: &str,
        chunks: Vec<NewChunk>,
        step: &str,
    ) -> Result<bool, DbError> {
        let (job_id, worker, step) = (job_id.to_owned(), worker.to_owned(), step.to_owned());
        // Once committed, its events go out even if the caller is dropped meanwhile.
        let db = self.clone();
        self.detach(async move {
            let event = in_transaction!(db, |conn| {
                let total = i32::try_from(chunks.len()).unwrap_or(i32::MAX);
                let changed = diesel::update(held_by(&job_id, &worker))
                    .set((jobs::total_chunks.eq(total), jobs::current_step.eq(&step)))
                    .execute(conn)
                    .await?;
                if changed != 1 {
                    return Ok(None);
                }
                conn.insert_chunks(chunks).await?;
                Ok(Some(append_event!(conn, &job_id, None)))
            })?;
            let held = event.is_some();
            db.publish(event);
            Ok(held)
        })
        .await
    }

    pub async fn chunks(&self, job_id: &str) -> Result<Vec<ChunkRow>, DbError> {
        let job_id = job_id.to_owned();
        on_conn!(self, |conn| {
            Ok(job_chunks::table
                .filter(job_chunks::job_id.eq(&job_id))
                .order(job_chunks::idx.asc())
                .select(ChunkRow::as_select())
                .load(conn)
                .await?)
        })
    }

    /// Records a chunk change together with the job's new progress, in one transaction and
    /// only while `worker` holds the job. Returns `false` if it no longer does.
    pub async fn record_chunk(
        &self,
        job_id: &str,
        worker: &str,
        idx: i32,
        change: ChunkChange,
        progress: Progress,
    ) -> Result<bool, DbError> {
        let (job_id, worker) = (job_id.to_owned(), worker.to_owned());
        // Once committed, its events go out even if the caller is dropped meanwhile.
        let db = self.clone();
        self.detach(async move {
            let event = in_transaction!(db, |conn| {
                let held = diesel::update(held_by(&job_id, &worker))
                    .set((
                        jobs::progress_percent.eq(diesel::dsl::sql::<diesel::sql_types::Integer>(
                            &format!(
                                "CASE WHEN progress_percent > {p} THEN progress_percent ELSE {p} END",
                                p = progress.percent
                            ),
                        )),
                        jobs::current_step.eq(&progress.step),
                        jobs::processed_chunks.eq(progress.processed_chunks),
                        jobs::failed_chunks.eq(progress.failed_chunks),
                    ))
                    .execute(conn)
                    .await?;
                if held != 1 {
                    return Ok(None);
                }
                let note = change.note(idx);
                let target = job_chunks::table
                    .filter(job_chunks::job_id.eq(&job_id))
                    .filter(job_chunks::idx.eq(idx));
                let now = now_ms();
                // Every attempt is paid for, whether it succeeded or not.
                let spent = change.usage();
                if spent != Usage::default() {
                    diesel::update(jobs::table.filter(jobs::id.eq(&job_id)))
                        .set((
                            jobs::tokens_in.eq(jobs::tokens_in + spent.input_tokens),
                            jobs::tokens_out.eq(jobs::tokens_out + spent.output_tokens),
                            jobs::api_calls.eq(jobs::api_calls + spent.api_calls),
                        ))
                        .execute(conn)
                        .await?;
                    diesel::update(target)
                        .set((
                            job_chunks::tokens_in.eq(job_chunks::tokens_in + spent.input_tokens),
                            job_chunks::tokens_out.eq(job_chunks::tokens_out + spent.output_tokens),
                            job_chunks::api_calls.eq(job_chunks::api_calls + spent.api_calls),
                        ))
                        .execute(conn)
                        .await?;
                }
                match change {
                    ChunkChange::Started { attempt } => {
                        diesel::update(target)
                            .set((
                                job_chunks::status.eq(ChunkStatus::Running.as_str()),
                                job_chunks::attempts.eq(attempt),
                                job_chunks::started_at.eq(now),
                            ))
                            .execute(conn)
                            .await?
                    }
                    ChunkChange::Retrying { attempt, error, .. } => {
                        diesel::update(target)
                            .set((
                                job_chunks::status.eq(ChunkStatus::Pending.as_str()),
                                job_chunks::attempts.eq(attempt),
                                job_chunks::last_error.eq(error),
                            ))
                            .execute(conn)
                            .await?
                    }
                    ChunkChange::Done {
                        attempts,
                        result,
                        duration_ms,
                        ..
                    } => {
                        diesel::update(target)
                            .set((
                                job_chunks::status.eq(ChunkStatus::Done.as_str()),
                                job_chunks::attempts.eq(attempts),
                                job_chunks::result.eq(result),
                                job_chunks::finished_at.eq(now),
                                job_chunks::duration_ms.eq(duration_ms),
                            ))
                            .execute(conn)
                            .await?
                    }
                    ChunkChange::Failed {
                        attempts, error, ..
                    } => {
                        diesel::update(target)
                            .set((
                                job_chunks::status.eq(ChunkStatus::Failed.as_str()),
                                job_chunks::attempts.eq(attempts),
                                job_chunks::last_error.eq(error),
                                job_chunks::finished_at.eq(now),
                            ))
                            .execute(conn)
                            .await?
                    }
                };
                Ok(Some(append_event!(conn, &job_id, Some(note))))
            })?;
            let held = event.is_some();
            db.publish(event);
            Ok(held)
        })
        .await
    }
}
