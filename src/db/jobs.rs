//! The `jobs` table: creation, claiming with a lease, progress, and the guarded end states.
//!
//! Every write a worker makes is guarded by `status = 'running' AND lease_owner = me`, so a job
//! that was cancelled (or taken over after its lease expired) can never be moved by a worker
//! that has not noticed yet: a cancelled job never becomes anything else.

use std::path::Path;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::history::Deletion;
use super::models::{ChapterRow, HistoryRow, JobRow, NewJob, PieceRow, SourceRow};
use super::schema::{chapters, history, job_chunks, jobs, pieces, source_sentences, uploads};
use super::{Db, DbError, Dialect, now_ms};
use crate::events::{ChunkTiming, JobEvent};
use crate::lifecycle::admission::{Admission, Quota};
use crate::lifecycle::outcome::Outcome;
use crate::lifecycle::transition::{
    self, CancelOutcome, Claims, Guard, JobError, Lease, Metric, Release, RetryOutcome, RowChange,
    Transition,
};
use crate::lifecycle::{ChunkStatus, JobStatus};
use diesel::expression::SqlLiteral;
use diesel::sql_types::{BigInt, Integer, Nullable};

/// The columns a transition sets; `None` leaves a column as it is.
#[derive(AsChangeset)]
#[diesel(table_name = jobs)]
struct JobChangeset<'a> {
    status: Option<JobStatus>,
    current_step: Option<&'a str>,
    progress_percent: Option<i32>,
    failed_chunks: Option<i32>,
    error_code: Option<Option<&'a str>>,
    error_message: Option<Option<&'a str>>,
    finished_at: Option<Option<i64>>,
    lease_owner: Option<Option<&'a str>>,
    lease_expires_at: Option<Option<i64>>,
}

type ClaimsSet = diesel::dsl::Eq<jobs::claims, SqlLiteral<Integer>>;
type StartedSet = diesel::dsl::Eq<jobs::started_at, SqlLiteral<Nullable<BigInt>>>;

/// A transition's row change as diesel sets it. The claim count and the first start are
/// computed from the row itself, so they are SQL; everything else is a value.
fn changeset(change: &RowChange) -> (JobChangeset<'_>, ClaimsSet, StartedSet) {
    let (lease_owner, lease_expires_at) = match &change.lease {
        Lease::Keep => (None, None),
        Lease::Take { worker, until } => (Some(Some(worker.as_str())), Some(Some(*until))),
        Lease::Expire => (None, Some(Some(0))),
        Lease::Drop => (Some(None), Some(None)),
    };
    let error = change.error.as_ref();
    let claims = match change.claims {
        Claims::Keep => "claims",
        Claims::Add => "claims + 1",
        Claims::GiveBack => "CASE WHEN claims > 0 THEN claims - 1 ELSE 0 END",
        Claims::Reset => "0",
    };
    let started = match change.started_at {
        Some(now) => format!("COALESCE(started_at, {now})"),
        None => "started_at".to_owned(),
    };
    (
        JobChangeset {
            status: change.status,
            current_step: change.step.as_deref(),
            progress_percent: change.percent,
            failed_chunks: change.failed_chunks,
            error_code: error.map(|e| e.as_ref().map(|e| e.code.as_str())),
            error_message: error.map(|e| e.as_ref().map(|e| e.message.as_str())),
            finished_at: change.finished_at,
            lease_owner,
            lease_expires_at,
        },
        jobs::claims.eq(diesel::dsl::sql::<Integer>(claims)),
        jobs::started_at.eq(diesel::dsl::sql::<Nullable<BigInt>>(&started)),
    )
}

/// Inside a transaction: makes transition `$t` on job `$id` if the row is in one of the
/// states it starts from and `$guard` allows it, stores its event and reads what its metric
/// needs. Evaluates to an [`Applied`] for `Db::made_known` once the transaction commits.
macro_rules! apply_transition {
    ($conn:expr, $id:expr, $guard:expr, $t:expr) => {{
        let t: &Transition = $t;
        let id: &str = $id;
        let target = jobs::table
            .filter(jobs::id.eq(id))
            .filter(jobs::status.eq_any(t.from));
        let set = changeset(&t.change);
        let moved = match $guard {
            Guard::Owner(owner) => {
                diesel::update(target.filter(jobs::owner_id.eq(owner)))
                    .set(set)
                    .execute($conn)
                    .await?
            }
            Guard::Holder(worker) => {
                diesel::update(target.filter(jobs::lease_owner.eq(worker)))
                    .set(set)
                    .execute($conn)
                    .await?
            }
            Guard::Claimer | Guard::Checker => {
                diesel::update(target).set(set).execute($conn).await?
            }
        } == 1;
        if moved && t.wakes_workers {
            announce_job_ready!($conn);
        }
        let event = if moved && t.announce {
            Some(append_event!($conn, id, None))
        } else {
            None
        };
        let metric = match (moved, t.metric) {
            (true, Some(metric)) => {
                let created_at: i64 = jobs::table
                    .filter(jobs::id.eq(id))
                    .select(jobs::created_at)
                    .first($conn)
                    .await?;
                Some((metric, created_at))
            }
            _ => None,
        };
        Applied {
            moved,
            event,
            metric,
            wakes_workers: moved && t.wakes_workers,
        }
    }};
}

/// What executing a transition did, to make known once the transaction commits.
#[must_use]
struct Applied {
    moved: bool,
    event: Option<JobEvent>,
    /// With the job's creation time: a finished job counts how long its reader waited.
    metric: Option<(Metric, i64)>,
    wakes_workers: bool,
}

impl Applied {
    const NOTHING: Self = Self {
        moved: false,
        event: None,
        metric: None,
        wakes_workers: false,
    };
}

/// A learner's edit as a retry carries it over: (position, text, engine's text, edited at,
/// source sentence's text).
type Edit = (i32, String, Option<String>, Option<i64>, String);

/// What a job that ends with a result leaves behind: its history entry with the book.
#[derive(Debug, Clone)]
pub struct Book {
    pub history: HistoryRow,
    pub sources: Vec<SourceRow>,
    pub pieces: Vec<PieceRow>,
    pub chapters: Vec<ChapterRow>,
}

impl Db {
    /// Whether `owner` may start a job now, with `pending` more of theirs on the way (a cheap
    /// check before an upload is read; the insert checks again, atomically).
    pub async fn admission(
        &self,
        owner: &str,
        quota: Quota,
        pending: usize,
    ) -> Result<Admission, DbError> {
        // Nothing to count: no connection taken, none waited for in a burst of uploads.
        if quota == Quota::default() {
            return Ok(Admission::Admitted);
        }
        let owner = owner.to_owned();
        on_conn!(self, |conn| {
            Ok(admission!(conn, &owner, quota, pending, await))
        })
    }

    /// Stores a queued job together with its PDF (`pdf`, staged at `staged`), if the owner's
    /// quota allows it: counting and inserting are one transaction, so two uploads at once
    /// cannot both take the last place. On PostgreSQL the bytes go into that transaction, for
    /// any instance to run the job; on SQLite the staged file is kept beside the database
    /// before it (see `pdf_files`), deleted again if the job is refused, and the job is stored
    /// with the others arriving meanwhile (see `new_jobs`).
    pub async fn insert_job(
        &self,
        job: NewJob,
        pdf: Vec<u8>,
        staged: &Path,
        quota: Quota,
    ) -> Result<Admission, DbError> {
        // Once committed, its events go out even if the caller is dropped meanwhile.
        let db = self.clone();
        let staged = staged.to_owned();
        self.detach(async move {
            let id = job.id.clone();
            let inserted = match &db.pool {
                super::Pool::Sqlite(pool) => {
                    db.keep_pdf_file(&staged, &id).await?;
                    // The file is the PDF's copy there: the bytes are not held through the insert.
                    drop(pdf);
                    db.store_with_others(pool, job, quota).await
                }
                super::Pool::Postgres(_) => db.insert_with_pdf(job, pdf, quota).await,
            };
            match inserted {
                Ok(Ok(_)) => Ok(Admission::Admitted),
                Ok(Err(refused)) => {
                    db.forget_pdf_file(&id);
                    Ok(refused)
                }
                Err(e) => {
                    db.forget_pdf_file(&id);
                    Err(e)
                }
            }
        })
        .await
    }

    /// PostgreSQL: the job and its PDF's bytes in one transaction.
    async fn insert_with_pdf(
        &self,
        job: NewJob,
        pdf: Vec<u8>,
        quota: Quota,
    ) -> Result<Result<JobEvent, Admission>, DbError> {
        let inserted = in_transaction!(self, |conn| {
            conn.lock_owner(&job.owner_id).await?;
            let admission = admission!(conn, &job.owner_id, quota, 0, await);
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
        if let Ok(event) = &inserted {
            self.publish([event.clone()]);
            self.jobs_ready();
        }
        Ok(inserted)
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

    /// How each chunk of job `id` stands (for an ETA outside an event).
    pub async fn chunk_timings(&self, id: &str) -> Result<Vec<ChunkTiming>, DbError> {
        let id = id.to_owned();
        on_conn!(self, |conn| { Ok(chunk_timings!(conn, &id)) })
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

    /// The owner's cancel: the database decides, so once the row says cancelled no worker can
    /// move it again.
    pub async fn cancel_job(&self, id: &str, owner: &str) -> Result<CancelOutcome, DbError> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        // Once committed, its events go out even if the caller is dropped meanwhile.
        let db = self.clone();
        self.detach(async move {
            let (outcome, applied) = in_transaction!(db, |conn| {
                let cancel = transition::cancel(now_ms());
                let applied = apply_transition!(conn, &id, Guard::Owner(&owner), &cancel);
                if applied.moved {
                    return Ok((CancelOutcome::Cancelled, applied));
                }
                let status: Option<JobStatus> = owned_by(&id, &owner)
                    .select(jobs::status)
                    .first(conn)
                    .await
                    .optional()?;
                let outcome = match status {
                    None => CancelOutcome::NotFound,
                    Some(s) => CancelOutcome::AlreadyFinished(s),
                };
                Ok((outcome, applied))
            })?;
            db.made_known(applied);
            Ok(outcome)
        })
        .await
    }

    /// Ends a queued or running job whose PDF was refused after its upload was answered (the
    /// sandboxed check): `rejected`, with the refusal's `code` and `message`, whoever holds it.
    /// What was made of the PDF goes in the same transaction (the stored upload, the chunks,
    /// any book model), so only the job row and its events are left and no history entry
    /// exists. `false` when the job had already ended or does not exist: nothing changes then.
    pub async fn reject_job(&self, id: &str, code: &str, message: &str) -> Result<bool, DbError> {
        let id = id.to_owned();
        let error = JobError {
            code: code.to_owned(),
            message: message.to_owned(),
        };
        // Once committed, its events go out even if the caller is dropped meanwhile.
        let db = self.clone();
        let file_of = id.clone();
        self.detach(async move {
            let applied = in_transaction!(db, |conn| {
                let reject = transition::reject(error, now_ms());
                let applied = apply_transition!(conn, &id, Guard::Checker, &reject);
                if applied.moved {
                    // Explicit rather than left to the cascades: nothing of a refused file may
                    // stay behind, whatever the schema's foreign keys do.
                    let entries = history::table
                        .filter(history::job_id.eq(&id))
                        .select(history::id);
                    diesel::delete(pieces::table.filter(pieces::history_id.eq_any(entries)))
                        .execute(conn)
                        .await?;
                    diesel::delete(
                        source_sentences::table
                            .filter(source_sentences::history_id.eq_any(entries)),
                    )
                    .execute(conn)
                    .await?;
                    diesel::delete(chapters::table.filter(chapters::history_id.eq_any(entries)))
                        .execute(conn)
                        .await?;
                    diesel::delete(history::table.filter(history::job_id.eq(&id)))
                        .execute(conn)
                        .await?;
                    diesel::delete(job_chunks::table.filter(job_chunks::job_id.eq(&id)))
                        .execute(conn)
                        .await?;
                    diesel::delete(uploads::table.filter(uploads::job_id.eq(&id)))
                        .execute(conn)
                        .await?;
                }
                Ok(applied)
            })?;
            if applied.moved {
                db.forget_pdf_file(&file_of);
            }
            Ok(db.made_known(applied))
        })
        .await
    }

    /// Records the page count the sandboxed check read after the upload was answered (the
    /// upload's cheap look may have guessed it). A job that has ended keeps what it had.
    pub async fn set_page_count(&self, id: &str, pages: u32) -> Result<(), DbError> {
        let id = id.to_owned();
        let pages = i32::try_from(pages).unwrap_or(i32::MAX);
        in_transaction!(self, |conn| {
            let active = [JobStatus::Queued, JobStatus::Running];
            diesel::update(
                jobs::table
                    .filter(jobs::id.eq(&id))
                    .filter(jobs::status.eq_any(active)),
            )
            .set(jobs::page_count.eq(pages))
            .execute(conn)
            .await?;
            Ok(())
        })
    }

    /// Deletes a job that has ended, however it ended (rejected included), with everything
    /// made of it: chunks, events, stored PDF and history entry (the schema cascades). A queued
    /// or running job stays: it must be cancelled first.
    pub async fn delete_job(&self, id: &str, owner: &str) -> Result<Deletion, DbError> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        let file_of = id.clone();
        let deletion = in_transaction!(self, |conn| {
            let active = [JobStatus::Queued, JobStatus::Running];
            let deleted = diesel::delete(owned_by(&id, &owner).filter(jobs::status.ne_all(active)))
                .execute(conn)
                .await?;
            if deleted == 1 {
                return Ok(Deletion::Deleted);
            }
            let exists: Option<String> = owned_by(&id, &owner)
                .select(jobs::id)
                .first(conn)
                .await
                .optional()?;
            Ok(if exists.is_some() {
                Deletion::JobRunning
            } else {
                Deletion::NotFound
            })
        })?;
        if deletion == Deletion::Deleted {
            self.forget_pdf_file(&file_of);
        }
        Ok(deletion)
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
            let (outcome, applied) = in_transaction!(db, |conn| {
                let status: Option<JobStatus> = owned_by(&id, &owner)
                    .select(jobs::status)
                    .first(conn)
                    .await
                    .optional()?;
                let Some(status) = status else {
                    return Ok((RetryOutcome::NotFound, Applied::NOTHING));
                };
                if !transition::RETRYABLE.contains(&status) {
                    return Ok((RetryOutcome::NothingToRetry(status), Applied::NOTHING));
                }
                let failed = job_chunks::table
                    .filter(job_chunks::job_id.eq(&id))
                    .filter(job_chunks::status.eq(ChunkStatus::Failed));
                let chunks = diesel::update(failed)
                    .set((
                        job_chunks::status.eq(ChunkStatus::Pending),
                        job_chunks::attempts.eq(0),
                        job_chunks::last_error.eq(None::<String>),
                        job_chunks::finished_at.eq(None::<i64>),
                    ))
                    .execute(conn)
                    .await?;
                if chunks == 0 {
                    return Ok((RetryOutcome::NothingToRetry(status), Applied::NOTHING));
                }
                let (total, done): (i32, i64) = (
                    jobs::table
                        .filter(jobs::id.eq(&id))
                        .select(jobs::total_chunks)
                        .first(conn)
                        .await?,
                    job_chunks::table
                        .filter(job_chunks::job_id.eq(&id))
                        .filter(job_chunks::status.eq(ChunkStatus::Done))
                        .count()
                        .get_result(conn)
                        .await?,
                );
                // The entry stays (with the learner's edits) until the run replaces it.
                let retry = transition::retry(
                    usize::try_from(done).unwrap_or(0),
                    usize::try_from(total).unwrap_or(0),
                );
                let applied = apply_transition!(conn, &id, Guard::Owner(&owner), &retry);
                Ok((RetryOutcome::Requeued { chunks }, applied))
            })?;
            db.made_known(applied);
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
                let claim = transition::claim(&worker, now, lease_ms);
                let applied = apply_transition!(conn, &id, Guard::Claimer, &claim);
                let row = jobs::table
                    .filter(jobs::id.eq(&id))
                    .select(JobRow::as_select())
                    .first(conn)
                    .await?;
                Ok(applied.moved.then_some((row, applied)))
            })?;
            Ok(claimed.map(|(row, applied)| {
                db.made_known(applied);
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

    /// Gives the job back so that any worker (this one included) claims it again at once; see
    /// `transition::release` for how each reason counts toward `--max-job-claims`.
    pub async fn release_lease(
        &self,
        id: &str,
        worker: &str,
        release: Release,
    ) -> Result<(), DbError> {
        let (id, worker) = (id.to_owned(), worker.to_owned());
        let applied = in_transaction!(self, |conn| {
            let release = transition::release(release);
            Ok(apply_transition!(
                conn,
                &id,
                Guard::Holder(&worker),
                &release
            ))
        })?;
        self.made_known(applied);
        Ok(())
    }

    /// Ends the job and, for a result, writes its history entry and sentences, all in one
    /// transaction. Returns `false` (and writes nothing) if the worker no longer holds the job.
    pub async fn finish_job(
        &self,
        id: &str,
        worker: &str,
        outcome: Outcome,
        book: Option<Book>,
    ) -> Result<bool, DbError> {
        let (id, worker) = (id.to_owned(), worker.to_owned());
        // Once committed, its events go out even if the caller is dropped meanwhile.
        let db = self.clone();
        self.detach(async move {
            let applied = in_transaction!(db, |conn| {
                let finish = transition::finish(&outcome, now_ms());
                let applied = apply_transition!(conn, &id, Guard::Holder(&worker), &finish);
                if !applied.moved {
                    return Ok(applied);
                }
                let status = outcome.status();
                if let (
                    Outcome::Finished(_),
                    Some(Book {
                        history: entry,
                        sources,
                        pieces: piece_rows,
                        chapters: chapter_rows,
                    }),
                ) = (&outcome, &book)
                {
                    // A completed job is never run again (a retry takes only partial or failed
                    // ones): its entry holds the book now, and the chunks' copies of the text
                    // would only double what it keeps.
                    if status == JobStatus::Completed {
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
                                .values(entry)
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
                Ok(applied)
            })?;
            Ok(db.made_known(applied))
        })
        .await
    }
}

impl Db {
    /// After the commit: the transition's event goes to listeners, its metric is counted,
    /// idle workers hear of a claimable job. Returns whether the job moved.
    fn made_known(&self, applied: Applied) -> bool {
        self.publish(applied.event);
        if let Some((metric, created_at)) = applied.metric {
            let waited = u64::try_from((now_ms() - created_at).max(0)).unwrap_or(0);
            self.count(metric, std::time::Duration::from_millis(waited));
        }
        if applied.wakes_workers {
            self.jobs_ready();
        }
        applied.moved
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

#[cfg(test)]
mod tests {
    /// Through the database: rows written before versions, by a later version, or broken, all
    /// load; only the broken one has no settings.
    #[tokio::test]
    async fn stored_rows_of_every_age_load_through_the_database() {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;

        use crate::db::models::NewJob;
        use crate::db::schema::jobs;
        use crate::db::{DatabaseUrl, Db, LOCAL_USER_ID};
        use crate::lifecycle::admission::Quota;

        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&DatabaseUrl::sqlite_in(dir.path()), 2)
            .await
            .unwrap();
        let id = "5f0c2b1e-0000-4000-8000-00000000beef".to_owned();
        let job = NewJob::queued(&id, LOCAL_USER_ID);
        let pdf = dir.path().join("staged.pdf");
        std::fs::write(&pdf, b"pdf").unwrap();
        db.insert_job(job, b"pdf".to_vec(), &pdf, Quota::default())
            .await
            .unwrap();
        let stored: String = {
            let id = id.clone();
            on_conn!(db, |conn| {
                Ok(jobs::table
                    .filter(jobs::id.eq(&id))
                    .select(jobs::settings)
                    .first(conn)
                    .await?)
            })
            .unwrap()
        };
        assert!(stored.starts_with(r#"{"version":1,"#), "{stored}");

        let rows = [
            (r#"{"sentence_length_limit":5,"engine":"local"}"#, Some(5)),
            (
                r#"{"version":9,"sentence_length_limit":7,"gone":true}"#,
                Some(7),
            ),
            ("{broken", None),
        ];
        for (json, limit) in rows {
            let (target, text) = (id.clone(), json.to_owned());
            on_conn!(db, |conn| {
                diesel::update(jobs::table.filter(jobs::id.eq(&target)))
                    .set(jobs::settings.eq(&text))
                    .execute(conn)
                    .await?;
                Ok(())
            })
            .unwrap();
            let row = db.job(&id, LOCAL_USER_ID).await.unwrap().unwrap();
            assert_eq!(
                row.settings.settings().map(|s| s.sentence_length_limit),
                limit,
                "{json}"
            );
        }
    }
}
