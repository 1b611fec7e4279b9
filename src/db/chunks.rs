//! The `job_chunks` table: a job's plan, and each chunk's attempts and result, stored the
//! moment they happen so that a restarted job resumes from what is already done.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::jobs::held_by;
use super::models::{ChunkRow, NewChunk};
use super::schema::{job_chunks, jobs};
use super::{Db, DbError, Dialect, now_ms};
use crate::engine::Usage;
use crate::events::ChunkNote;
use crate::lifecycle::ChunkStatus;
use crate::lifecycle::progress::Progress;

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
                // Every attempt is paid for, whether it succeeded or not; so are its repairs.
                let spent = change.usage();
                if spent != Usage::default() {
                    diesel::update(jobs::table.filter(jobs::id.eq(&job_id)))
                        .set((
                            jobs::tokens_in.eq(jobs::tokens_in + spent.input_tokens),
                            jobs::tokens_out.eq(jobs::tokens_out + spent.output_tokens),
                            jobs::api_calls.eq(jobs::api_calls + spent.api_calls),
                            jobs::reasks.eq(jobs::reasks + spent.reasks),
                            jobs::local_fallbacks.eq(jobs::local_fallbacks + spent.local_fallbacks),
                            jobs::refusals.eq(jobs::refusals + spent.refusals),
                        ))
                        .execute(conn)
                        .await?;
                    diesel::update(target)
                        .set((
                            job_chunks::tokens_in.eq(job_chunks::tokens_in + spent.input_tokens),
                            job_chunks::tokens_out.eq(job_chunks::tokens_out + spent.output_tokens),
                            job_chunks::api_calls.eq(job_chunks::api_calls + spent.api_calls),
                            job_chunks::reasks.eq(job_chunks::reasks + spent.reasks),
                            job_chunks::local_fallbacks
                                .eq(job_chunks::local_fallbacks + spent.local_fallbacks),
                            job_chunks::refusals.eq(job_chunks::refusals + spent.refusals),
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
                                job_chunks::next_attempt_at.eq(None::<i64>),
                            ))
                            .execute(conn)
                            .await?
                    }
                    ChunkChange::Retrying {
                        attempt,
                        error,
                        next_attempt_at,
                        ..
                    } => {
                        diesel::update(target)
                            .set((
                                job_chunks::status.eq(ChunkStatus::Pending.as_str()),
                                job_chunks::attempts.eq(attempt),
                                job_chunks::last_error.eq(error),
                                job_chunks::next_attempt_at
                                    .eq(Some(next_attempt_at.timestamp_millis())),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::models::NewJob;
    use crate::db::{DatabaseUrl, LOCAL_USER_ID};
    use crate::lifecycle::admission::Quota;

    const WORKER: &str = "worker-1";

    fn progress() -> Progress {
        Progress {
            percent: 50,
            step: "processing chunks".into(),
            processed_chunks: 0,
            failed_chunks: 0,
        }
    }

    fn mended(api_calls: i64, reasks: i64, local_fallbacks: i64, refusals: i64) -> Usage {
        Usage {
            api_calls,
            reasks,
            local_fallbacks,
            refusals,
            ..Usage::default()
        }
    }

    /// (api_calls, reasks, local_fallbacks, refusals) of a chunk row.
    fn counts(row: &ChunkRow) -> (i64, i64, i64, i64) {
        (row.api_calls, row.reasks, row.local_fallbacks, row.refusals)
    }

    #[tokio::test]
    async fn every_attempt_adds_its_repairs_to_its_chunk_and_its_job() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&DatabaseUrl::sqlite_in(dir.path()), 2)
            .await
            .unwrap();
        let job = NewJob::queued("7d1c2b1e-0000-4000-8000-0000000000a1", LOCAL_USER_ID);
        let id = job.id.clone();
        let pdf = dir.path().join("staged.pdf");
        std::fs::write(&pdf, b"pdf").unwrap();
        db.insert_job(job, b"pdf".to_vec(), &pdf, Quota::default())
            .await
            .unwrap();
        db.claim_next_job(WORKER, 60_000).await.unwrap().unwrap();
        let plan = (0..2)
            .map(|idx| NewChunk {
                job_id: id.clone(),
                idx,
                first_page: idx + 1,
                last_page: idx + 1,
                status: ChunkStatus::Pending,
                input: "{}".into(),
            })
            .collect();
        assert!(db.insert_plan(&id, WORKER, plan, "planned").await.unwrap());

        // A failed attempt's repairs count as much as a successful one's.
        let changes = [
            (
                0,
                ChunkChange::Retrying {
                    attempt: 1,
                    error: "503".into(),
                    usage: mended(1, 2, 0, 1),
                    next_attempt_at: chrono::Utc::now(),
                    quota: false,
                },
            ),
            (
                0,
                ChunkChange::Done {
                    attempts: 2,
                    result: "{}".into(),
                    usage: mended(1, 1, 3, 0),
                    duration_ms: 5,
                },
            ),
            (
                1,
                ChunkChange::Failed {
                    attempts: 1,
                    error: "refused".into(),
                    usage: mended(1, 0, 0, 2),
                },
            ),
        ];
        for (idx, change) in changes {
            assert!(
                db.record_chunk(&id, WORKER, idx, change, progress())
                    .await
                    .unwrap()
            );
        }

        let chunks = db.chunks(&id).await.unwrap();
        assert_eq!(counts(&chunks[0]), (2, 3, 3, 1));
        assert_eq!(counts(&chunks[1]), (1, 0, 0, 2));
        let job = db.job(&id, LOCAL_USER_ID).await.unwrap().unwrap();
        assert_eq!(
            (job.api_calls, job.reasks, job.local_fallbacks, job.refusals),
            (3, 3, 3, 3)
        );
    }
}
