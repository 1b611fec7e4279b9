//! `JobSupervisor`: one per process. It claims jobs from the database (queued ones, and
//! running ones whose worker stopped renewing the lease), keeps at most `max_running_jobs`
//! running here, starts a `JobActor` for each, and gives back the lease of a job actor that
//! stopped before its job ended, so that the job is resumed from its stored chunks.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use tokio::sync::broadcast::error::RecvError;

use super::Deps;
use super::job::JobActor;
use super::messages::{Cancel, CancelJob, Drain, DrainJob, Halt, JobEnded, Wake};
use crate::db::jobs::Ending;
use crate::db::models::JobRow;
use crate::settings::Settings;
use crate::status::JobStatus;

pub struct JobSupervisor {
    deps: Arc<Deps>,
    running: HashMap<String, Addr<JobActor>>,
    claiming: bool,
    /// Shutting down: claim nothing more.
    draining: bool,
    /// Told when the last running job has stopped.
    drained: Vec<tokio::sync::oneshot::Sender<()>>,
    /// A wake came while claiming: claim again even if that claim found nothing.
    rewake: bool,
    /// Jobs being handed back.
    pending_releases: usize,
}

impl JobSupervisor {
    pub fn new(deps: Arc<Deps>) -> Self {
        Self {
            deps,
            running: HashMap::new(),
            claiming: false,
            draining: false,
            drained: Vec::new(),
            rewake: false,
            pending_releases: 0,
        }
    }

    /// A job no longer runs here: make room for another, and end a drain that waited for it.
    fn forget(&mut self, job_id: &str, ctx: &mut Context<Self>) {
        self.running.remove(job_id);
        self.check_drained();
        self.claim(ctx);
    }

    /// Gives a job back (its lease expires at once) and then forgets it.
    fn release(&mut self, job_id: String, ctx: &mut Context<Self>) {
        let deps = Arc::clone(&self.deps);
        let id = job_id.clone();
        // Counted as running until released, so that a drain waits for the release.
        self.pending_releases += 1;
        ctx.spawn(
            async move {
                if let Err(e) = deps.db.release_lease(&id, &deps.worker_id).await {
                    tracing::error!(job_id = %id, error = %e, "could not release the lease");
                }
            }
            .into_actor(self)
            .map(move |(), act, ctx| {
                act.pending_releases -= 1;
                act.forget(&job_id, ctx);
            }),
        );
    }

    /// Ends a drain once nothing here holds or is about to hold a job.
    fn check_drained(&mut self) {
        if self.running.is_empty() && !self.claiming && self.pending_releases == 0 {
            for done in self.drained.drain(..) {
                let _ = done.send(());
            }
        }
    }

    /// Starts the supervisor on an arbiter of its own, where its job and chunk actors run too,
    /// at the lower priority of job work (the blocking threads it starts inherit it).
    pub fn start_on_own_arbiter(deps: Arc<Deps>) -> (Addr<Self>, Arbiter) {
        let arbiter = Arbiter::new();
        arbiter.spawn_fn(crate::background::run_as_job_thread);
        let addr = Self::start_in_arbiter(&arbiter.handle(), move |_| Self::new(deps));
        (addr, arbiter)
    }

    /// Claims jobs one at a time until this process is full or the queue is empty.
    fn claim(&mut self, ctx: &mut Context<Self>) {
        // `max_running_jobs = 0` makes an instance that serves HTTP and runs no jobs.
        if self.claiming {
            // A wake during a claim may be for a job that claim did not see.
            self.rewake = true;
            return;
        }
        if self.draining || self.running.len() >= self.deps.config.max_running_jobs {
            return;
        }
        self.claiming = true;
        self.rewake = false;
        let deps = Arc::clone(&self.deps);
        let lease_ms = i64::try_from(deps.config.lease().as_millis()).unwrap_or(i64::MAX);
        ctx.spawn(
            async move { deps.db.claim_next_job(&deps.worker_id, lease_ms).await }
                .into_actor(self)
                .map(|claimed, act, ctx| {
                    act.claiming = false;
                    match claimed {
                        // Claimed while a drain began: hand it straight back.
                        Ok(Some(job)) if act.draining => act.release(job.id, ctx),
                        Ok(Some(job)) => {
                            act.start_job(job, ctx);
                            act.claim(ctx);
                        }
                        Ok(None) if act.rewake => act.claim(ctx),
                        Ok(None) => {}
                        Err(e) => tracing::error!(error = %e, "claiming a job failed"),
                    }
                    act.check_drained();
                }),
        );
    }

    fn start_job(&mut self, job: JobRow, ctx: &mut Context<Self>) {
        // Our own job, reclaimed after a missed heartbeat: it is still running here.
        if self.running.contains_key(&job.id) {
            return;
        }
        let refusal =
            if u32::try_from(job.claims).unwrap_or(u32::MAX) > self.deps.config.max_job_claims {
                Some((
                    "job_crashed",
                    "this job stopped its worker too many times and was given up".to_owned(),
                ))
            } else {
                None
            };
        let settings = serde_json::from_str::<Settings>(&job.settings);
        let engine = settings
            .as_ref()
            .ok()
            .and_then(|s| self.deps.engines.get(&s.engine));
        match (refusal, settings, engine) {
            (None, Ok(settings), Some(engine)) => {
                let id = job.id.clone();
                let actor = JobActor::new(
                    Arc::clone(&self.deps),
                    job,
                    settings,
                    engine,
                    ctx.address().recipient(),
                );
                self.running.insert(id, actor.start());
            }
            (refusal, settings, _) => {
                let (code, message) = refusal.unwrap_or_else(|| match settings {
                    Ok(s) => (
                        "engine_unavailable",
                        format!("the engine '{}' is not available on this server", s.engine),
                    ),
                    Err(_) => (
                        "internal",
                        "the job's stored settings could not be read".into(),
                    ),
                });
                tracing::warn!(job_id = %job.id, code, "job refused");
                let deps = Arc::clone(&self.deps);
                let ending = Ending::Failed {
                    code: code.to_owned(),
                    message,
                };
                ctx.spawn(
                    async move {
                        match deps.db.finish_job(&job.id, &deps.worker_id, ending).await {
                            Ok(true) => {
                                (deps.metrics).job_finished(JobStatus::Failed, job.age());
                            }
                            Ok(false) => {}
                            Err(e) => {
                                tracing::error!(job_id = %job.id, error = %e, "could not fail the job")
                            }
                        }
                    }
                    .into_actor(self),
                );
            }
        }
    }
}

impl Actor for JobSupervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let every = Duration::from_millis(self.deps.config.poll_interval_ms.max(10));
        ctx.run_interval(every, |act, ctx| act.claim(ctx));
        // Uploaded PDFs are kept for a while after their job ends, then deleted.
        let retention = Duration::from_secs(self.deps.config.upload_retention_secs);
        let sweep_every = (retention / 4).clamp(Duration::from_secs(1), Duration::from_secs(600));
        ctx.run_interval(sweep_every, move |act, ctx| {
            let db = act.deps.db.clone();
            let retention_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
            ctx.spawn(actix::fut::wrap_future(async move {
                match db.delete_expired_uploads(retention_ms).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(uploads = n, "deleted uploads past their retention"),
                    Err(e) => tracing::warn!(error = %e, "deleting old uploads failed"),
                }
            }));
        });
        // Jobs queued or released anywhere (on PostgreSQL, by any instance) wake us at once;
        // the poll above is the fallback, and what finds expired leases.
        let wakeups = self.deps.db.subscribe_job_wakeups();
        ctx.add_stream(futures_util::stream::unfold(wakeups, |mut rx| async move {
            match rx.recv().await {
                Ok(()) | Err(RecvError::Lagged(_)) => Some((Wake, rx)),
                Err(RecvError::Closed) => None,
            }
        }));
        self.claim(ctx);
    }
}

impl StreamHandler<Wake> for JobSupervisor {
    fn handle(&mut self, _: Wake, ctx: &mut Self::Context) {
        self.claim(ctx);
    }

    fn finished(&mut self, _: &mut Self::Context) {}
}

impl Handler<Drain> for JobSupervisor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, msg: Drain, _: &mut Self::Context) -> Self::Result {
        self.draining = true;
        tracing::info!(jobs = self.running.len(), grace = ?msg.grace, "draining: no new jobs");
        let (done, drained) = tokio::sync::oneshot::channel();
        self.drained.push(done);
        for job in self.running.values() {
            job.do_send(DrainJob);
        }
        self.check_drained();
        Box::pin(
            async move {
                let _ = tokio::time::timeout(msg.grace, drained).await;
            }
            .into_actor(self)
            .then(|(), act, _| {
                // Out of time: stop what still runs and give its jobs back now, so another
                // instance resumes them without waiting for the leases to expire.
                let left: Vec<String> = act.running.keys().cloned().collect();
                for job in act.running.values() {
                    job.do_send(Halt);
                }
                if !left.is_empty() {
                    tracing::warn!(
                        jobs = left.len(),
                        "grace period over: releasing running jobs"
                    );
                }
                let deps = Arc::clone(&act.deps);
                async move {
                    for id in left {
                        if let Err(e) = deps.db.release_lease(&id, &deps.worker_id).await {
                            tracing::error!(job_id = %id, error = %e, "could not release the lease");
                        }
                    }
                }
                .into_actor(act)
            }),
        )
    }
}

impl Handler<Wake> for JobSupervisor {
    type Result = ();

    fn handle(&mut self, _: Wake, ctx: &mut Self::Context) {
        self.claim(ctx);
    }
}

impl Handler<CancelJob> for JobSupervisor {
    type Result = ();

    fn handle(&mut self, msg: CancelJob, _: &mut Self::Context) {
        if let Some(job) = self.running.get(&msg.job_id) {
            job.do_send(Cancel);
        }
    }
}

impl Handler<JobEnded> for JobSupervisor {
    type Result = ();

    fn handle(&mut self, msg: JobEnded, ctx: &mut Self::Context) {
        if msg.settled {
            self.forget(&msg.job_id, ctx);
        } else {
            // The job actor stopped before its job ended (it died, or drained): give the job
            // back before forgetting it, so that a drain ends only once its leases are released.
            self.release(msg.job_id, ctx);
        }
    }
}
