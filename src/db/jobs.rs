//! The `jobs` table: creation, claiming with a lease, progress, and the guarded end states.
//!
//! Every write a worker makes is guarded by `status = 'running' AND lease_owner = me`, so a job
//! that was cancelled (or taken over after its lease expired) can never be moved by a worker
//! that has not noticed yet: a cancelled job never becomes anything else.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::{ChapterRow, HistoryRow, JobRow, NewJob, PieceRow, SourceRow};
use super::schema::{chapters, history, job_chunks, jobs, pieces, source_sentences, uploads};
use super::{Db, DbError, Dialect, now_ms};
use crate::status::{ChunkStatus, JobStatus};

/// How many jobs one owner may start; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quota {
    pub uploads_per_hour: Option<u32>,
    pub active_jobs: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    TooManyUploads { retry_after_secs: u64 },
    TooManyJobs,
}

const HOUR_MS: i64 = 3_600_000;

/// Inside `on_conn!`/`in_transaction!`: the owner's admission under `quota`.
macro_rules! admission {
    ($conn:expr, $owner:expr, $quota:expr) => {{
        let quota: Quota = $quota;
        let now = now_ms();
        let mut admission = Admission::Admitted;
        if let Some(limit) = quota.active_jobs {
            let active: i64 = jobs::table
                .filter(jobs::owner_id.eq($owner))
                .filter(
                    jobs::status.eq_any([JobStatus::Queued.as_str(), JobStatus::Running.as_str()]),
                )
                .count()
                .get_result($conn)
                .await?;
            if active >= i64::from(limit) {
                admission = Admission::TooManyJobs;
            }
        }
        if let (Admission::Admitted, Some(limit)) = (admission, quota.uploads_per_hour) {
            let recent: Vec<i64> = jobs::table
                .filter(jobs::owner_id.eq($owner))
                .filter(jobs::created_at.gt(now - HOUR_MS))
                .order(jobs::created_at.asc())
                .select(jobs::created_at)
                .load($conn)
                .await?;
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            if recent.len() >= limit {
                // The upload that must leave the window before one more fits.
                let frees_at = recent[recent.len() - limit.max(1)] + HOUR_MS;
                admission = Admission::TooManyUploads {
                    retry_after_secs: u64::try_from((frees_at - now).max(0) / 1000 + 1)
                        .unwrap_or(1),
                };
            }
        }
        admission
    }};
}

/// What `cancel` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    NotFound,
    AlreadyFinished(String),
}

/// What `retry_failed_chunks` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryOutcome {
    /// The failed chunks are pending again and the job is queued.
    Requeued {
        chunks: usize,
    },
    NotFound,
    /// Only a finished job with failed chunks can be retried.
    NothingToRetry(String),
}

/// A learner's edit as a retry carries it over: (position, text, engine's text, edited at,
/// source sentence's text).
type Edit = (i32, String, Option<String>, Option<i64>, String);

/// How a job ends, with what it leaves behind.
#[derive(Debug, Clone)]
pub enum Ending {
    /// `completed` or `partial`: a history entry with its source sentences and their pieces.
    WithResult {
        status: JobStatus,
        history: Box<HistoryRow>,
        sources: Vec<SourceRow>,
        pieces: Vec<PieceRow>,
        chapters: Vec<ChapterRow>,
    },
    Failed {
        code: String,
        message: String,
    },
}

/// Progress a worker reports; applied only while the worker still holds the job.
#[derive(Debug, Clone)]
pub struct Progress {
    pub percent: i32,
    pub step: String,
    pub processed_chunks: i32,
    pub failed_chunks: i32,
}

impl Db {
    /// Whether `owner` may start a job now (a cheap check before an upload is read; the
    /// insert checks again, atomically).
    pub async fn admission(&self, owner: &str, quota: Quota) -> Result<Admission, DbError> {
        let owner = owner.to_owned();
        on_conn!(self, |conn| { Ok(admission!(conn, &owner, quota)) })
    }

    /// Stores a queued job together with its PDF, so that any instance can run it, if the
    /// owner's quota allows it: counting and inserting are one transaction, so two uploads
    /// at once cannot both take the last place.
    pub async fn insert_job(
        &self,
        job: NewJob,
        pdf: Vec<u8>,
        quota: Quota,
    ) -> Result<Admission, DbError> {
        // Once committed, its events go out even if the caller is dropped meanwhile.
        let db = self.clone();
        self.detach(async move {
            let event = in_transaction!(db, |conn| {
                conn.lock_owner(&job.owner_id).await?;
                let admission = admission!(conn, &job.owner_id, quota);
                if admission != Admission::Admitted {
                    return Ok(Err(admission));
                }
                diesel::insert_into(jobs::table)
                    .values(&job)
                    .execute(conn)
                    .await?;
                diesel::insert_into(uploads::table)
                    .values((
                        uploads::job_id.eq(&job.id),
                        uploads::bytes.eq(&pdf),
                        uploads::created_at.eq(job.created_at),
                    ))
                    .execute(conn)
                    .await?;
                announce_job_ready!(conn);
                Ok(Ok(append_event!(conn, &job.id, None)))
            })?;
            match event {
                Ok(event) => {
                    db.publish([event]);
                    db.jobs_ready();
                    Ok(Admission::Admitted)
                }
                Err(refused) => Ok(refused),
            }
        })
        .await
    }

    pub async fn job(&self, id: &str, owner: &str) -> Result<Option<JobRow>, DbError> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        on_conn!(self, |conn| {
            Ok(jobs::table
                .filter(jobs::id.eq(&id))
                .filter(jobs::owner_id.eq(&owner))
                .select(JobRow::as_select())
                .first(conn)
                .await
                .optional()?)
        })
    }

    /// Every user's jobs, counted by status.
    pub async fn job_counts(&self) -> Result<Vec<(String, i64)>, DbError> {
        on_conn!(self, |conn| {
            Ok(jobs::table
                .group_by(jobs::status)
                .select((jobs::status, diesel::dsl::count_star()))
                .order(jobs::status.asc())
                .load(conn)
                .await?)
        })
    }

    /// The owner's jobs, newest first.
    pub async fn list_jobs(
        &self,
        owner: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<JobRow>, DbError> {
        let owner = owner.to_owned();
        on_conn!(self, |conn| {
            Ok(jobs::table
                .filter(jobs::owner_id.eq(&owner))
                .order((jobs::created_at.desc(), jobs::id.desc()))
                .limit(limit)
                .offset(offset)
                .select(JobRow::as_select())
                .load(conn)
                .await?)
        })
    }

    pub async fn cancel_job(&self, id: &str, owner: &str) -> Result<CancelOutcome, DbError> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        // Once committed, its events go out even if the caller is dropped meanwhile.
        let db = self.clone();
        self.detach(async move {
            let (outcome, event) = in_transaction!(db, |conn| {
                let now = now_ms();
                let changed = diesel::update(
                    jobs::table
                        .filter(jobs::id.eq(&id))
                        .filter(jobs::owner_id.eq(&owner))
                        .filter(
                            jobs::status
                                .eq_any([JobStatus::Queued.as_str(), JobStatus::Running.as_str()]),
                        ),
                )
                .set((
                    jobs::status.eq(JobStatus::Cancelled.as_str()),
                    jobs::current_step.eq("cancelled"),
                    jobs::finished_at.eq(now),
                    jobs::lease_owner.eq(None::<String>),
                    jobs::lease_expires_at.eq(None::<i64>),
                ))
                .execute(conn)
                .await?;
                if changed == 1 {
                    let event = append_event!(conn, &id, None);
                    return Ok((CancelOutcome::Cancelled, Some(event)));
                }
                let status: Option<String> = owned_by(&id, &owner)
                    .select(jobs::status)
                    .first(conn)
                    .await
                    .optional()?;
                let outcome = match status {
                    None => CancelOutcome::NotFound,
                    Some(s) => CancelOutcome::AlreadyFinished(s),
                };
                Ok((outcome, None))
            })?;
            db.publish(event);
            Ok(outcome)
        })
        .await
    }

    /// Queues a partial (or failed) job again with only its failed chunks pending: chunks that
    /// succeeded keep their stored results and are never sent again. The history entry stays
    /// and gets the new run's sentences (with the learner's edits) when the job ends.
    pub async fn retry_failed_chunks(
        &self,
        id: &str,
        owner: &str,
    ) -> Result<RetryOutcome, DbError> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        // Once committed, its events go out even if the caller is dropped meanwhile.
        let db = self.clone();
        self.detach(async move {
            let (outcome, event) = in_transaction!(db, |conn| {
                let status: Option<String> = owned_by(&id, &owner)
                    .select(jobs::status)
                    .first(conn)
                    .await
                    .optional()?;
                let Some(status) = status else {
                    return Ok((RetryOutcome::NotFound, None));
                };
                let retryable = [JobStatus::Partial.as_str(), JobStatus::Failed.as_str()];
                if !retryable.contains(&status.as_str()) {
                    return Ok((RetryOutcome::NothingToRetry(status), None));
                }
                let failed = job_chunks::table
                    .filter(job_chunks::job_id.eq(&id))
                    .filter(job_chunks::status.eq(ChunkStatus::Failed.as_str()));
                let chunks = diesel::update(failed)
                    .set((
                        job_chunks::status.eq(ChunkStatus::Pending.as_str()),
                        job_chunks::attempts.eq(0),
                        job_chunks::last_error.eq(None::<String>),
                        job_chunks::finished_at.eq(None::<i64>),
                    ))
                    .execute(conn)
                    .await?;
                if chunks == 0 {
                    return Ok((RetryOutcome::NothingToRetry(status), None));
                }
                let (total, done): (i32, i64) = (
                    jobs::table
                        .filter(jobs::id.eq(&id))
                        .select(jobs::total_chunks)
                        .first(conn)
                        .await?,
                    job_chunks::table
                        .filter(job_chunks::job_id.eq(&id))
                        .filter(job_chunks::status.eq(ChunkStatus::Done.as_str()))
                        .count()
                        .get_result(conn)
                        .await?,
                );
                // The entry stays (with the learner's edits) until the run replaces it.
                // A retry is a new run: its progress starts from what is already done.
                let percent = 5 + i32::try_from(done * 90 / i64::from(total.max(1))).unwrap_or(90);
                diesel::update(jobs::table.filter(jobs::id.eq(&id)))
                    .set((
                        jobs::status.eq(JobStatus::Queued.as_str()),
                        jobs::current_step.eq("queued for retry"),
                        jobs::progress_percent.eq(percent),
                        jobs::failed_chunks.eq(0),
                        jobs::error_code.eq(None::<String>),
                        jobs::error_message.eq(None::<String>),
                        jobs::finished_at.eq(None::<i64>),
                        jobs::claims.eq(0),
                        jobs::lease_owner.eq(None::<String>),
                        jobs::lease_expires_at.eq(None::<i64>),
                    ))
                    .execute(conn)
                    .await?;
                announce_job_ready!(conn);
                let event = append_event!(conn, &id, None);
                Ok((RetryOutcome::Requeued { chunks }, Some(event)))
            })?;
            db.publish(event);
            db.jobs_ready();
            Ok(outcome)
        })
        .await
    }

    /// Claims the oldest job that is queued or whose worker stopped renewing its lease.
    pub async fn claim_next_job(
        &self,
        worker: &str,
        lease_ms: i64,
    ) -> Result<Option<JobRow>, DbError> {
        let worker = worker.to_owned();
        // Once committed, its events go out even if the caller is dropped meanwhile.
        let db = self.clone();
        self.detach(async move {
            let claimed = in_transaction!(db, |conn| {
                let now = now_ms();
                let Some(id) = conn.claimable_job(now).await? else {
                    return Ok(None);
                };
                let row = diesel::update(jobs::table.filter(jobs::id.eq(&id)))
                    .set((
                        jobs::status.eq(JobStatus::Running.as_str()),
                        jobs::lease_owner.eq(&worker),
                        jobs::lease_expires_at.eq(now + lease_ms),
                        jobs::claims.eq(jobs::claims + 1),
                        jobs::started_at.eq(diesel::dsl::sql::<
                            diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
                        >(&format!(
                            "COALESCE(started_at, {now})"
                        ))),
                    ))
                    .returning(JobRow::as_returning())
                    .get_result(conn)
                    .await?;
                let event = append_event!(conn, &id, None);
                Ok(Some((row, event)))
            })?;
            Ok(claimed.map(|(row, event)| {
                db.publish([event]);
                row
            }))
        })
        .await
    }

    /// Extends the lease; `false` means the job is no longer this worker's to run.
    pub async fn renew_lease(
        &self,
        id: &str,
        worker: &str,
        lease_ms: i64,
    ) -> Result<bool, DbError> {
        let (id, worker) = (id.to_owned(), worker.to_owned());
        in_transaction!(self, |conn| {
            let changed = diesel::update(held_by(&id, &worker))
                .set(jobs::lease_expires_at.eq(now_ms() + lease_ms))
                .execute(conn)
                .await?;
            Ok(changed == 1)
        })
    }

    /// Gives the job back so that any worker (this one included) claims it again at once.
    pub async fn release_lease(&self, id: &str, worker: &str) -> Result<(), DbError> {
        let (id, worker) = (id.to_owned(), worker.to_owned());
        in_transaction!(self, |conn| {
            diesel::update(held_by(&id, &worker))
                .set(jobs::lease_expires_at.eq(0_i64))
                .execute(conn)
                .await?;
            announce_job_ready!(conn);
            Ok(())
        })?;
        self.jobs_ready();
        Ok(())
    }

    /// Ends the job and, for a result, writes its history entry and sentences, all in one
    /// transaction. Returns `false` (and writes nothing) if the worker no longer holds the job.
    pub async fn finish_job(
        &self,
        id: &str,
        worker: &str,
        ending: Ending,
    ) -> Result<bool, DbError> {
        let (id, worker) = (id.to_owned(), worker.to_owned());
        // Once committed, its events go out even if the caller is dropped meanwhile.
        let db = self.clone();
        self.detach(async move {
            let event = in_transaction!(db, |conn| {
                let now = now_ms();
                let (status, code, message) = match &ending {
                    Ending::WithResult { status, .. } => (*status, None, None),
                    Ending::Failed { code, message } => {
                        (JobStatus::Failed, Some(code.clone()), Some(message.clone()))
                    }
                };
                let changed = diesel::update(held_by(&id, &worker))
                    .set((
                        jobs::status.eq(status.as_str()),
                        jobs::current_step.eq(status.as_str()),
                        jobs::progress_percent.eq(100),
                        jobs::error_code.eq(code),
                        jobs::error_message.eq(message),
                        jobs::finished_at.eq(now),
                        jobs::lease_owner.eq(None::<String>),
                        jobs::lease_expires_at.eq(None::<i64>),
                    ))
                    .execute(conn)
                    .await?;
                if changed != 1 {
                    return Ok(None);
                }
                if let Ending::WithResult {
                    status,
                    history: entry,
                    sources,
                    pieces: piece_rows,
                    chapters: chapter_rows,
                } = &ending
                {
                    // A completed job is never run again (a retry takes only partial or failed
                    // ones): its entry holds the book now, and the chunks' copies of the text
                    // would only double what it keeps.
                    if *status == JobStatus::Completed {
                        diesel::update(job_chunks::table.filter(job_chunks::job_id.eq(&id)))
                            .set((
                                job_chunks::input.eq(""),
                                job_chunks::result.eq(None::<String>),
                            ))
                            .execute(conn)
                            .await?;
                    }
                    // A retried job already has an entry: it keeps its id, its export record
                    // and the learner's edits; its sentences are the new run's.
                    let earlier: Option<String> = history::table
                        .filter(history::job_id.eq(&id))
                        .select(history::id)
                        .first(conn)
                        .await
                        .optional()?;
                    let (entry_id, edits) = match earlier {
                        None => {
                            diesel::insert_into(history::table)
                                .values(&**entry)
                                .execute(conn)
                                .await?;
                            (entry.id.clone(), Vec::new())
                        }
                        Some(earlier) => {
                            // Each edit with the text of its source sentence, to find it again.
                            let edits: Vec<Edit> = pieces::table
                                .inner_join(
                                    source_sentences::table.on(source_sentences::history_id
                                        .eq(pieces::history_id)
                                        .and(source_sentences::idx.eq(pieces::source_idx))),
                                )
                                .filter(pieces::history_id.eq(&earlier))
                                .filter(pieces::edited.eq(true))
                                .select((
                                    pieces::position,
                                    pieces::normalized,
                                    pieces::engine_text,
                                    pieces::edited_at,
                                    source_sentences::text,
                                ))
                                .load(conn)
                                .await?;
                            // Pieces go with their sources (ON DELETE CASCADE).
                            diesel::delete(
                                source_sentences::table
                                    .filter(source_sentences::history_id.eq(&earlier)),
                            )
                            .execute(conn)
                            .await?;
                            diesel::update(history::table.filter(history::id.eq(&earlier)))
                                .set((
                                    history::status.eq(&entry.status),
                                    history::sentence_count.eq(entry.sentence_count),
                                    history::engine.eq(&entry.engine),
                                    history::processing_ms.eq(entry.processing_ms),
                                ))
                                .execute(conn)
                                .await?;
                            (earlier, edits)
                        }
                    };
                    // What every attempt of every chunk cost and mended, as the job counted it.
                    let (tokens_in, tokens_out, api_calls, reasks, local_fallbacks, refusals) =
                        jobs::table
                            .filter(jobs::id.eq(&id))
                            .select((
                                jobs::tokens_in,
                                jobs::tokens_out,
                                jobs::api_calls,
                                jobs::reasks,
                                jobs::local_fallbacks,
                                jobs::refusals,
                            ))
                            .first::<(i64, i64, i64, i64, i64, i64)>(conn)
                            .await?;
                    diesel::update(history::table.filter(history::id.eq(&entry_id)))
                        .set((
                            history::tokens_in.eq(tokens_in),
                            history::tokens_out.eq(tokens_out),
                            history::api_calls.eq(api_calls),
                            history::reasks.eq(reasks),
                            history::local_fallbacks.eq(local_fallbacks),
                            history::refusals.eq(refusals),
                        ))
                        .execute(conn)
                        .await?;
                    let sources = sources
                        .iter()
                        .map(|row| SourceRow {
                            history_id: entry_id.clone(),
                            ..row.clone()
                        })
                        .collect();
                    conn.insert_sources(sources).await?;
                    let piece_rows = piece_rows
                        .iter()
                        .map(|row| PieceRow {
                            history_id: entry_id.clone(),
                            ..row.clone()
                        })
                        .collect();
                    conn.insert_pieces(piece_rows).await?;
                    diesel::delete(chapters::table.filter(chapters::history_id.eq(&entry_id)))
                        .execute(conn)
                        .await?;
                    // A book has tens of chapters: one row at a time serves both backends.
                    for row in chapter_rows {
                        diesel::insert_into(chapters::table)
                            .values(ChapterRow {
                                history_id: entry_id.clone(),
                                ..row.clone()
                            })
                            .execute(conn)
                            .await?;
                    }
                    // Chunks done before the retry were not run again, so their sentences
                    // come back identical and each edit finds its sentence.
                    // A repeated line ("— Oui.") has several candidates: the edit goes to the
                    // one nearest its old place, once.
                    for (old_position, text, engine_text, edited_at, source_text) in edits {
                        let Some(engine_text) = engine_text else {
                            continue;
                        };
                        let candidates: Vec<i32> = pieces::table
                            .inner_join(
                                source_sentences::table.on(source_sentences::history_id
                                    .eq(pieces::history_id)
                                    .and(source_sentences::idx.eq(pieces::source_idx))),
                            )
                            .filter(pieces::history_id.eq(&entry_id))
                            .filter(source_sentences::text.eq(&source_text))
                            .filter(pieces::normalized.eq(&engine_text))
                            .filter(pieces::edited.eq(false))
                            .select(pieces::position)
                            .load(conn)
                            .await?;
                        let Some(position) = candidates
                            .into_iter()
                            .min_by_key(|p| (i64::from(*p) - i64::from(old_position)).abs())
                        else {
                            continue;
                        };
                        diesel::update(
                            pieces::table
                                .filter(pieces::history_id.eq(&entry_id))
                                .filter(pieces::position.eq(position)),
                        )
                        .set((
                            pieces::normalized.eq(&text),
                            pieces::engine_text.eq(Some(&engine_text)),
                            pieces::edited.eq(true),
                            pieces::edited_at.eq(edited_at),
                        ))
                        .execute(conn)
                        .await?;
                    }
                }
                Ok(Some(append_event!(conn, &id, None)))
            })?;
            let finished = event.is_some();
            db.publish(event);
            Ok(finished)
        })
        .await
    }
}

type OwnedBy<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<jobs::table, diesel::dsl::Eq<jobs::id, &'a str>>,
    diesel::dsl::Eq<jobs::owner_id, &'a str>,
>;

/// The job row, only for its owner.
/// Jobs a worker may claim at `now`, oldest first: queued ones, and running ones whose
/// worker stopped renewing the lease.
#[diesel::dsl::auto_type]
pub(super) fn claimable(now: i64) -> _ {
    let queued: diesel::dsl::Eq<jobs::status, &'static str> =
        jobs::status.eq(JobStatus::Queued.as_str());
    let running: diesel::dsl::Eq<jobs::status, &'static str> =
        jobs::status.eq(JobStatus::Running.as_str());
    jobs::table
        .filter(queued.or(running.and(jobs::lease_expires_at.lt(now))))
        .order((jobs::created_at.asc(), jobs::id.asc()))
        .select(jobs::id)
}

fn owned_by<'a>(id: &'a str, owner: &'a str) -> OwnedBy<'a> {
    jobs::table
        .filter(jobs::id.eq(id))
        .filter(jobs::owner_id.eq(owner))
}

type HeldBy<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<jobs::table, diesel::dsl::Eq<jobs::id, &'a str>>,
        diesel::dsl::Eq<jobs::status, &'static str>,
    >,
    diesel::dsl::Eq<jobs::lease_owner, &'a str>,
>;

/// The job row, only while `worker` runs it.
pub(super) fn held_by<'a>(id: &'a str, worker: &'a str) -> HeldBy<'a> {
    jobs::table
        .filter(jobs::id.eq(id))
        .filter(jobs::status.eq(JobStatus::Running.as_str()))
        .filter(jobs::lease_owner.eq(worker))
}
