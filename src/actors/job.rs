//! `JobActor`: runs one job. It extracts and plans the book (or picks up the plan a previous
//! run stored), runs the chunks with the plan's parallelism, stores every chunk result the
//! moment it lands, and finally merges the results in page order into the owner's history.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use actix::WeakAddr;
use actix::prelude::*;
use tracing::Instrument;

use super::Deps;
use super::chunk::{ChunkActor, ChunkSpec};
use super::messages::{Cancel, ChunkEvent, ChunkReport, DrainJob, Halt, JobEnded, StopChunk};
use super::retry::RetryPolicy;
use crate::book_plan;
use crate::db::StoredPdf;
use crate::db::chunks::ChunkChange;
use crate::db::jobs::Book;
use crate::db::models::{ChapterRow, ChunkRow, HistoryRow, JobRow, NewChunk, PieceRow, SourceRow};
use crate::db::{DbError, now_ms};
use crate::engine::{
    ChapterStart, ChunkInput, ChunkOutput, Engine, Kinds, Sentence, Usage, source_groups,
};
use crate::lifecycle::ChunkStatus;
use crate::lifecycle::outcome::{self, Outcome, Tally};
use crate::lifecycle::progress::{self, EXTRACTED_PERCENT, Progress};
use crate::pdf::PdfError;
use crate::sandbox::{Input, Planned, SandboxError, Task};
use crate::settings::Settings;

struct ChunkState {
    status: ChunkStatus,
    attempts: u32,
    /// `None` when the stored input could not be read back (the chunk is then failed).
    input: Option<Arc<ChunkInput>>,
}

pub struct JobActor {
    deps: Arc<Deps>,
    /// Shared with the chunk actors, for their log lines.
    job_id: Arc<str>,
    /// What the job's database and PDF work logs under.
    span: tracing::Span,
    job: JobRow,
    settings: Arc<Settings>,
    engine: Arc<dyn Engine>,
    supervisor: Recipient<JobEnded>,
    chunks: Vec<ChunkState>,
    waiting: VecDeque<usize>,
    running: HashMap<usize, WeakAddr<ChunkActor>>,
    parallelism: usize,
    percent: i32,
    /// The job reached an end state, or is no longer ours: nothing to release.
    settled: bool,
    /// The final merge has been scheduled.
    finishing: bool,
    /// Chunks parked until the engine's daily quota resets.
    waiting_for_quota: HashSet<usize>,
    /// Shutting down: finish the chunks in flight, start none, then stop.
    draining: bool,
    started: Instant,
}

/// What storing a batch of chunk changes led to.
enum Stored {
    Continue,
    Finished,
    Lost,
}

/// Why a job stops before it can end normally.
#[derive(Debug, thiserror::Error)]
enum Interruption {
    /// Cancelled, or its lease went to another worker.
    #[error("the job is no longer held by this worker")]
    Lost,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl JobActor {
    pub fn new(
        deps: Arc<Deps>,
        job: JobRow,
        settings: Settings,
        engine: Arc<dyn Engine>,
        supervisor: Recipient<JobEnded>,
    ) -> Self {
        Self {
            deps,
            job_id: Arc::from(job.id.as_str()),
            span: tracing::info_span!("job", job_id = %job.id),
            job,
            settings: Arc::new(settings),
            engine,
            supervisor,
            chunks: Vec::new(),
            waiting: VecDeque::new(),
            running: HashMap::new(),
            parallelism: 1,
            percent: 0,
            settled: false,
            finishing: false,
            waiting_for_quota: HashSet::new(),
            draining: false,
            started: Instant::now(),
        }
    }

    fn worker(&self) -> &str {
        &self.deps.worker_id
    }

    /// Loads the stored plan, or makes one from the PDF on the first run.
    async fn prepare(
        deps: Arc<Deps>,
        job: JobRow,
        settings: Arc<Settings>,
    ) -> Result<Result<(Vec<ChunkRow>, usize), PdfError>, Interruption> {
        let plan_cfg = deps.config.plan();
        let stored = deps.db.chunks(&job.id).await?;
        if !stored.is_empty() {
            let parallelism = book_plan::parallelism(job.page_count, &plan_cfg);
            return Ok(Ok((stored, parallelism)));
        }
        let Some(stored) = deps.db.upload(&job.id).await? else {
            return Ok(Err(PdfError::Malformed {
                detail: "the upload is no longer stored".into(),
            }));
        };
        // The book is read in the sandbox: a hostile file costs a child process, not this one.
        let task = Task::Plan {
            settings: Box::new(Settings::clone(&settings)),
            plan: plan_cfg,
            max_pages: deps.config.max_pages,
        };
        let pdf = match &stored {
            StoredPdf::File(path) => Input::File(path),
            StoredPdf::Bytes(bytes) => Input::Bytes(bytes),
        };
        let planned: Planned = match deps.sandbox.run(&task, pdf).await {
            Ok(planned) => planned,
            Err(SandboxError::Refused(e)) => return Ok(Err(e)),
            // Nothing was decided about the PDF: the job is resumed, here or elsewhere.
            Err(e @ SandboxError::Unavailable(_)) => {
                return Err(DbError::Task(e.to_string()).into());
            }
        };
        drop(stored);
        let (parallelism, inputs) = (planned.parallelism, planned.inputs);
        let mut rows = Vec::with_capacity(inputs.len());
        for input in &inputs {
            rows.push(NewChunk {
                job_id: job.id.clone(),
                idx: i32::try_from(input.index).unwrap_or(i32::MAX),
                first_page: i32::try_from(input.first_page).unwrap_or(i32::MAX),
                last_page: i32::try_from(input.last_page).unwrap_or(i32::MAX),
                status: ChunkStatus::Pending,
                input: serde_json::to_string(input).map_err(|e| DbError::Decode(e.to_string()))?,
            });
        }
        let step = format!("processing {} chunks", rows.len());
        if !deps
            .db
            .insert_plan(&job.id, &deps.worker_id, rows, &step)
            .await?
        {
            return Err(Interruption::Lost);
        }
        let stored = deps.db.chunks(&job.id).await?;
        Ok(Ok((stored, parallelism as usize)))
    }

    fn adopt_plan(&mut self, rows: Vec<ChunkRow>, parallelism: usize) {
        self.parallelism = parallelism.max(1);
        self.chunks = rows
            .into_iter()
            .map(|row| {
                let status = row.status;
                ChunkState {
                    // A chunk that was running when the previous worker stopped runs again.
                    status: if status == ChunkStatus::Running {
                        ChunkStatus::Pending
                    } else {
                        status
                    },
                    attempts: u32::try_from(row.attempts).unwrap_or(0),
                    input: serde_json::from_str(&row.input).ok().map(Arc::new),
                }
            })
            .collect();
        self.waiting = (0..self.chunks.len())
            .filter(|&i| self.chunks[i].status == ChunkStatus::Pending)
            .collect();
        self.percent = self.percent.max(self.progress().percent);
    }

    fn count(&self, status: ChunkStatus) -> usize {
        self.chunks.iter().filter(|c| c.status == status).count()
    }

    fn progress(&self) -> Progress {
        let (done, failed) = (
            self.count(ChunkStatus::Done),
            self.count(ChunkStatus::Failed),
        );
        Progress {
            percent: progress::percent(done + failed, self.chunks.len()).max(self.percent),
            step: if self.waiting_for_quota.is_empty() {
                format!(
                    "processing chunks ({}/{})",
                    done + failed,
                    self.chunks.len()
                )
            } else {
                format!(
                    "waiting for quota ({} chunks parked; {}/{} done)",
                    self.waiting_for_quota.len(),
                    done + failed,
                    self.chunks.len()
                )
            },
            processed_chunks: i32::try_from(done).unwrap_or(i32::MAX),
            failed_chunks: i32::try_from(failed).unwrap_or(i32::MAX),
        }
    }

    /// Starts waiting chunks until the job's parallelism is reached. Returns the changes of
    /// chunks that could not be started, for the caller to store.
    fn fill(&mut self, ctx: &mut Context<Self>) -> Vec<(usize, ChunkChange)> {
        let mut unstartable = Vec::new();
        while !self.draining && self.running.len() < self.parallelism {
            let Some(index) = self.waiting.pop_front() else {
                break;
            };
            let Some(input) = self.chunks[index].input.clone() else {
                self.chunks[index].status = ChunkStatus::Failed;
                unstartable.push((
                    index,
                    ChunkChange::Failed {
                        attempts: i32::try_from(self.chunks[index].attempts).unwrap_or(i32::MAX),
                        error: "the stored chunk input could not be read".into(),
                        usage: Usage::default(),
                    },
                ));
                continue;
            };
            let addr = ChunkActor::launch(ChunkSpec {
                job_id: Arc::clone(&self.job_id),
                index,
                input,
                settings: Arc::clone(&self.settings),
                engine: Arc::clone(&self.engine),
                report_to: ctx.address().recipient(),
                policy: RetryPolicy::from_config(&self.deps.config),
                permits: Arc::clone(&self.deps.chunk_permits),
                attempts_so_far: self.resumed_attempts(index),
                metrics: Arc::clone(&self.deps.metrics),
            });
            self.chunks[index].status = ChunkStatus::Running;
            self.running.insert(index, addr.downgrade());
        }
        unstartable
    }

    /// A chunk interrupted by a crash gets at least one more attempt, even if the crash came
    /// during its last one.
    fn resumed_attempts(&self, index: usize) -> u32 {
        let max = self.deps.config.chunk_attempts.max(1);
        self.chunks[index].attempts.min(max - 1)
    }

    /// Stores chunk changes in order and, once every chunk has settled, merges the results and
    /// ends the job. Everything goes into a single `ctx.wait` per call: actix polls pending
    /// waits last-in first-out, so two waits from one handler would run in reverse order.
    fn store(&mut self, changes: Vec<(usize, ChunkChange)>, ctx: &mut Context<Self>) {
        // A draining job has dropped its waiting chunks: it finishes only if none was left.
        let settled = self.count(ChunkStatus::Done) + self.count(ChunkStatus::Failed);
        let finish = !self.finishing
            && self.running.is_empty()
            && self.waiting.is_empty()
            && (!self.draining || settled == self.chunks.len());
        if changes.is_empty() && !finish {
            return;
        }
        self.finishing |= finish;
        let deps = Arc::clone(&self.deps);
        let job = self.job.clone();
        let engine = Writer {
            name: self.engine.name().to_owned(),
            model: self.engine.model(&self.settings),
            limit: self.settings.sentence_length_limit as usize,
        };
        let progress = self.progress();
        self.percent = progress.percent;
        let elapsed_ms = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let work = async move {
            for (index, change) in changes {
                let idx = i32::try_from(index).unwrap_or(i32::MAX);
                let held = deps
                    .db
                    .record_chunk(&job.id, &deps.worker_id, idx, change, progress.clone())
                    .await?;
                if !held {
                    return Ok(Stored::Lost);
                }
            }
            if !finish {
                return Ok(Stored::Continue);
            }
            let rows = deps.db.chunks(&job.id).await?;
            let (outcome, book) = ending_for(&job, &rows, &engine, elapsed_ms);
            let finished = (deps.db)
                .finish_job(&job.id, &deps.worker_id, outcome, book)
                .await?;
            Ok(if finished {
                Stored::Finished
            } else {
                Stored::Lost
            })
        };
        ctx.wait(work.instrument(self.span.clone()).into_actor(self).map(
            |stored: Result<Stored, DbError>, act, ctx| match stored {
                Ok(Stored::Continue) => act.stop_if_drained(ctx),
                Ok(Stored::Finished) => {
                    act.settled = true;
                    ctx.stop();
                }
                Ok(Stored::Lost) => act.interrupt(Interruption::Lost, ctx),
                Err(e) => act.interrupt(Interruption::Db(e), ctx),
            },
        ));
    }

    fn fail_job(&mut self, code: &str, message: String, ctx: &mut Context<Self>) {
        let db = self.deps.db.clone();
        let (job_id, worker) = (self.job.id.clone(), self.worker().to_owned());
        let outcome = Outcome::failed(code, message);
        ctx.wait(
            async move { db.finish_job(&job_id, &worker, outcome, None).await }
                .instrument(self.span.clone())
                .into_actor(self)
                .map(|finished, act, ctx| match finished {
                    Ok(true) => {
                        act.settled = true;
                        ctx.stop();
                    }
                    Ok(false) => act.interrupt(Interruption::Lost, ctx),
                    Err(e) => act.interrupt(Interruption::Db(e), ctx),
                }),
        );
    }

    fn interrupt(&mut self, why: Interruption, ctx: &mut Context<Self>) {
        match &why {
            Interruption::Lost => {
                tracing::info!(job_id = %self.job.id, "job no longer held here; stopping its work");
                self.settled = true;
            }
            Interruption::Db(e) => {
                tracing::error!(job_id = %self.job.id, error = %e, "job interrupted by a database error; it will be resumed");
            }
        }
        self.stop_chunks();
        ctx.stop();
    }

    /// Draining, with every chunk in flight stored: the rest waits for the next claim.
    fn stop_if_drained(&mut self, ctx: &mut Context<Self>) {
        if self.draining && self.running.is_empty() && !self.finishing {
            tracing::info!(job_id = %self.job.id, "job drained; it stays claimable");
            ctx.stop();
        }
    }

    fn stop_chunks(&mut self) {
        for (_, chunk) in self.running.drain() {
            if let Some(addr) = chunk.upgrade() {
                addr.do_send(StopChunk);
            }
        }
        self.waiting.clear();
    }
}

/// The book's chapters, as the chunks' inputs carry them (each chunk the ones its text stands
/// in; a chapter spanning chunks is in each).
fn chapters_of(rows: &[ChunkRow], history_id: &str) -> Vec<ChapterRow> {
    // Only the chapters of each stored input are read, not its text.
    #[derive(serde::Deserialize)]
    struct Chapters {
        #[serde(default)]
        chapters: Vec<ChapterStart>,
    }
    let mut chapters: BTreeMap<u32, ChapterStart> = BTreeMap::new();
    for row in rows {
        if let Ok(input) = serde_json::from_str::<Chapters>(&row.input) {
            for chapter in input.chapters {
                chapters.entry(chapter.index).or_insert(chapter);
            }
        }
    }
    chapters
        .into_values()
        .map(|c| ChapterRow {
            history_id: history_id.to_owned(),
            idx: i32::try_from(c.index).unwrap_or(i32::MAX),
            title: c.title,
            first_page: i32::try_from(c.first_page).unwrap_or(i32::MAX),
        })
        .collect()
}

/// What the job's engine stamps on the pieces it wrote.
struct Writer {
    name: String,
    model: Option<String>,
    /// The job's sentence length limit, in words.
    limit: usize,
}

/// The book model of a result: each source sentence once, its pieces pointing to it.
fn book_rows(
    sentences: &[Sentence],
    models: &[Option<Arc<str>>],
    engine: &Writer,
) -> (Vec<SourceRow>, Vec<PieceRow>) {
    let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let groups = source_groups(sentences);
    let mut sources = Vec::with_capacity(groups.len());
    let mut pieces = Vec::with_capacity(sentences.len());
    for (idx, group) in groups.into_iter().enumerate() {
        let first = &sentences[group.start];
        sources.push(SourceRow {
            history_id: String::new(),
            idx: to_i32(idx),
            page: i32::try_from(first.page).unwrap_or(i32::MAX),
            chapter: first.chapter.and_then(|c| i32::try_from(c).ok()),
            text: first.original.to_string(),
        });
        // Read the source's words only for an engine that does not say its pieces' kinds.
        let mut kinds: Option<Kinds> = None;
        for (piece_idx, (s, model)) in sentences[group.clone()]
            .iter()
            .zip(
                models
                    .get(group)
                    .unwrap_or_default()
                    .iter()
                    .chain(std::iter::repeat(&None)),
            )
            .enumerate()
        {
            // The local engine says what it did; for others the words tell.
            let kind = s.kind.unwrap_or_else(|| {
                kinds
                    .get_or_insert_with(|| Kinds::new(&first.original, engine.limit))
                    .of(&s.normalized)
            });
            pieces.push(PieceRow {
                history_id: String::new(),
                position: to_i32(pieces.len()),
                source_idx: to_i32(idx),
                piece_idx: to_i32(piece_idx),
                normalized: s.normalized.clone(),
                kind: Some(kind.as_str().to_owned()),
                // A fallback engine wrote this one: the job's model did not.
                model: if s.engine.is_some() {
                    None
                } else {
                    model
                        .as_deref()
                        .map(str::to_owned)
                        .or_else(|| engine.model.clone())
                },
                engine: s.engine.clone().unwrap_or_else(|| engine.name.clone()),
                edited: false,
            });
        }
    }
    (sources, pieces)
}

/// How the job ends, from its stored chunks, with the book when there is one.
fn ending_for(
    job: &JobRow,
    rows: &[ChunkRow],
    engine: &Writer,
    elapsed_ms: i64,
) -> (Outcome, Option<Book>) {
    let mut sentences: Vec<Sentence> = Vec::new();
    // The model that wrote each sentence, when its chunk says (a fallback model may have).
    let mut models: Vec<Option<Arc<str>>> = Vec::new();
    let mut unreadable = 0;
    for row in rows.iter().filter(|r| r.status == ChunkStatus::Done) {
        match row
            .result
            .as_deref()
            .map(serde_json::from_str::<ChunkOutput>)
        {
            Some(Ok(output)) => {
                let model: Option<Arc<str>> = output.model.map(Arc::from);
                models.extend(std::iter::repeat_n(model, output.sentences.len()));
                sentences.extend(output.sentences);
            }
            _ => unreadable += 1,
        }
    }
    let failed: Vec<&ChunkRow> = rows
        .iter()
        .filter(|r| r.status == ChunkStatus::Failed)
        .collect();
    let outcome = outcome::decide(Tally {
        chunks: rows.len(),
        failed: failed.len(),
        unreadable,
        sentences: sentences.len(),
        last_error: failed.iter().rev().find_map(|r| r.last_error.as_deref()),
    });
    let Outcome::Finished(status) = outcome else {
        return (outcome, None);
    };
    let history_id = uuid::Uuid::new_v4().to_string();
    let (sources, pieces) = book_rows(&sentences, &models, engine);
    drop(sentences);
    let book = Book {
        chapters: chapters_of(rows, &history_id),
        history: HistoryRow {
            id: history_id,
            job_id: job.id.clone(),
            owner_id: job.owner_id.clone(),
            file_name: job.file_name.clone(),
            status,
            page_count: job.page_count,
            sentence_count: i32::try_from(pieces.len()).unwrap_or(i32::MAX),
            settings: job.settings.clone(),
            engine: engine.name.clone(),
            processing_ms: elapsed_ms,
            created_at: now_ms(),
            search_key: crate::db::history::search_key(&job.file_name),
        },
        sources,
        pieces,
    };
    (outcome, Some(book))
}

impl Actor for JobActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.deps.metrics.jobs_active.inc();
        tracing::info!(job_id = %self.job.id, claims = self.job.claims, "job started");
        let heartbeat = self.deps.config.lease() / 3;
        ctx.run_interval(heartbeat, |act, ctx| {
            let db = act.deps.db.clone();
            let (job_id, worker) = (act.job.id.clone(), act.worker().to_owned());
            let lease_ms = i64::try_from(act.deps.config.lease().as_millis()).unwrap_or(i64::MAX);
            ctx.spawn(
                async move { db.renew_lease(&job_id, &worker, lease_ms).await }
                    .into_actor(act)
                    .map(|held, act, ctx| match held {
                        Ok(true) => {}
                        Ok(false) => act.interrupt(Interruption::Lost, ctx),
                        // A missed heartbeat is not fatal: the lease outlives several.
                        Err(e) => {
                            tracing::warn!(job_id = %act.job.id, error = %e, "lease renewal failed")
                        }
                    }),
            );
        });
        let prepare = Self::prepare(
            Arc::clone(&self.deps),
            self.job.clone(),
            Arc::clone(&self.settings),
        );
        // `spawn`, not `wait`: extracting a long book takes a while, and the heartbeat must go on.
        let prepare = prepare.instrument(self.span.clone());
        ctx.spawn(prepare.into_actor(self).map(|prepared, act, ctx| match prepared {
            Ok(Ok((rows, parallelism))) => {
                act.adopt_plan(rows, parallelism);
                act.percent = act.percent.max(EXTRACTED_PERCENT);
                let unstartable = act.fill(ctx);
                act.store(unstartable, ctx);
            }
            Ok(Err(pdf_error)) => {
                tracing::warn!(job_id = %act.job.id, error = ?pdf_error, "the PDF could not be read");
                // A refused PDF rejects the job: the learner hears why, and nothing of the
                // file is kept to retry or run again.
                let db = act.deps.db.clone();
                let job_id = act.job.id.clone();
                let (code, message) = (pdf_error.code(), pdf_error.to_string());
                ctx.wait(
                    async move { db.reject_job(&job_id, code, &message).await }
                        .instrument(act.span.clone())
                        .into_actor(act)
                        .map(|rejected, act, ctx| match rejected {
                            Ok(true) => {
                                act.settled = true;
                                ctx.stop();
                            }
                            // Ended meanwhile (a cancel): someone else settled it.
                            Ok(false) => act.interrupt(Interruption::Lost, ctx),
                            Err(e) => act.interrupt(Interruption::Db(e), ctx),
                        }),
                );
            }
            Err(why) => act.interrupt(why, ctx),
        }));
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.deps.metrics.jobs_active.dec();
        self.stop_chunks();
        self.supervisor.do_send(JobEnded {
            job_id: self.job.id.clone(),
            settled: self.settled,
        });
    }
}

impl Handler<ChunkReport> for JobActor {
    type Result = ();

    fn handle(&mut self, report: ChunkReport, ctx: &mut Self::Context) {
        if self.settled || report.index >= self.chunks.len() {
            return;
        }
        let index = report.index;
        let change = match report.event {
            ChunkEvent::Started { attempt } => {
                self.chunks[index].attempts = attempt;
                self.waiting_for_quota.remove(&index);
                ChunkChange::Started {
                    attempt: attempt as i32,
                }
            }
            ChunkEvent::Retrying {
                attempt,
                error,
                delay,
                next_attempt_at,
                usage,
            } => {
                tracing::info!(job_id = %self.job.id, chunk = index, attempt, ?delay, "chunk will be retried");
                ChunkChange::Retrying {
                    attempt: attempt as i32,
                    error,
                    usage,
                    next_attempt_at,
                    quota: false,
                }
            }
            ChunkEvent::Snoozed {
                attempt,
                error,
                delay,
                next_attempt_at,
                usage,
            } => {
                tracing::info!(job_id = %self.job.id, chunk = index, ?delay, "chunk waits for the daily quota");
                self.waiting_for_quota.insert(index);
                ChunkChange::Retrying {
                    attempt: attempt as i32,
                    error,
                    usage,
                    next_attempt_at,
                    quota: true,
                }
            }
            ChunkEvent::Fatal { error, .. } => {
                tracing::warn!(job_id = %self.job.id, chunk = index, %error, "the job cannot succeed");
                self.stop_chunks();
                self.fail_job("engine_rejected", error, ctx);
                return;
            }
            ChunkEvent::Done {
                attempts,
                output,
                took,
                usage,
            } => {
                self.running.remove(&index);
                self.chunks[index].status = ChunkStatus::Done;
                match serde_json::to_string(&output) {
                    Ok(result) => ChunkChange::Done {
                        attempts: attempts as i32,
                        result,
                        usage,
                        duration_ms: i64::try_from(took.as_millis()).unwrap_or(i64::MAX),
                    },
                    Err(e) => {
                        self.chunks[index].status = ChunkStatus::Failed;
                        ChunkChange::Failed {
                            attempts: attempts as i32,
                            error: format!("result could not be stored: {e}"),
                            usage,
                        }
                    }
                }
            }
            ChunkEvent::Failed {
                attempts,
                error,
                usage,
            } => {
                self.running.remove(&index);
                self.chunks[index].status = ChunkStatus::Failed;
                ChunkChange::Failed {
                    attempts: attempts as i32,
                    error,
                    usage,
                }
            }
        };
        let settles_a_chunk = matches!(
            change,
            ChunkChange::Done { .. } | ChunkChange::Failed { .. }
        );
        let mut changes = vec![(index, change)];
        if settles_a_chunk {
            changes.extend(self.fill(ctx));
        }
        self.store(changes, ctx);
    }
}

impl Handler<DrainJob> for JobActor {
    type Result = ();

    fn handle(&mut self, _: DrainJob, ctx: &mut Self::Context) {
        self.draining = true;
        self.waiting.clear();
        self.stop_if_drained(ctx);
    }
}

impl Handler<Halt> for JobActor {
    type Result = ();

    fn handle(&mut self, _: Halt, ctx: &mut Self::Context) {
        self.stop_chunks();
        ctx.stop();
    }
}

impl Handler<Cancel> for JobActor {
    type Result = ();

    fn handle(&mut self, _: Cancel, ctx: &mut Self::Context) {
        tracing::info!(job_id = %self.job.id, "job cancelled");
        self.settled = true;
        self.stop_chunks();
        ctx.stop();
    }
}
