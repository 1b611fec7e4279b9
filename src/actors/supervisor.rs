//! `JobSupervisor`: one per process. It claims jobs from the database (queued ones, and
//! running ones whose worker stopped renewing the lease), keeps at most `max_running_jobs`
//! running here, starts a `JobActor` for each, and gives back the lease of a job actor that
//! stopped before its job ended, so that the job is resumed from its stored chunks.
//!
//! A job actor's end is watched on its task, not taken from what it says as it stops. After
//! a panic in a handler, actix happens to poll the dead actor once more and run `stopped`;
//! a panic in `stopped` itself ends the task without a word. A job this supervisor still
//! counted as running here would never be resumed by this instance (it ignores its own
//! reclaims, and a single SQLite instance has no other).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use tokio::sync::broadcast::error::RecvError;

use super::Deps;
use super::job::JobActor;
use super::messages::{Cancel, CancelJob, Drain, DrainJob, Halt, JobEnded, JobGone, Wake};
use crate::db::events::EventFeed;
use crate::db::models::JobRow;
use crate::lifecycle::JobStatus;
use crate::lifecycle::outcome::Outcome;
use crate::lifecycle::transition::Release;

/// How long a drain whose grace ran out waits for the halted jobs to be given back.
const HALT_GRACE: Duration = Duration::from_secs(5);

/// A job actor running here.
struct Running {
    addr: Addr<JobActor>,
    /// Which start of a job actor this is, to tell its end from a later one's.
    run: u64,
    /// What the actor said as it stopped: `Some(true)` when its job reached an end state or is
    /// no longer ours. `None` until then, and for good if it died without saying.
    settled: Option<bool>,
    /// Its end has been seen: the job is being given back or forgotten.
    gone: bool,
}

pub struct JobSupervisor {
    deps: Arc<Deps>,
    running: HashMap<String, Running>,
    runs: u64,
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
            runs: 0,
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
    fn release(&mut self, job_id: String, release: Release, ctx: &mut Context<Self>) {
        let deps = Arc::clone(&self.deps);
        let id = job_id.clone();
        // Counted as running until released, so that a drain waits for the release.
        self.pending_releases += 1;
        ctx.spawn(
            async move {
                if let Err(e) = deps.db.release_lease(&id, &deps.worker_id, release).await {
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

    /// Starts a job actor on this arbiter as a task of its own, and watches that task: however
    /// the actor ends (stopped, or a panic in a handler), `JobGone` follows. It is sent
    /// through our mailbox, behind the `JobEnded` the actor sent as it stopped, if it did.
    fn watch(&mut self, job_id: String, actor: JobActor, ctx: &mut Context<Self>) {
        self.runs += 1;
        let run = self.runs;
        let job_ctx = Context::<JobActor>::new();
        let addr = job_ctx.address();
        let task = actix_rt::spawn(job_ctx.into_future(actor));
        self.running.insert(
            job_id.clone(),
            Running {
                addr,
                run,
                settled: None,
                gone: false,
            },
        );
        ctx.spawn(task.into_actor(self).map(move |joined, _, ctx| {
            let panic = joined
                .err()
                .filter(tokio::task::JoinError::is_panic)
                .map(|e| crate::util::panic_message(&*e.into_panic()));
            // Not `notify`: that would skip the mailbox, where the actor's `JobEnded` waits.
            ctx.address().do_send(JobGone { job_id, run, panic });
        }));
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
                        Ok(Some(job)) if act.draining => {
                            act.release(job.id, Release::HandedBack, ctx)
                        }
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
        let settings = job.settings.settings().cloned().ok_or(());
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
                self.watch(id, actor, ctx);
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
                let outcome = Outcome::failed(code, message);
                ctx.spawn(
                    async move {
                        let failed = (deps.db)
                            .finish_job(&job.id, &deps.worker_id, outcome, None)
                            .await;
                        if let Err(e) = failed {
                            tracing::error!(job_id = %job.id, error = %e, "could not fail the job");
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
        // A cancel is an event like any other: on PostgreSQL it reaches every instance through
        // the event relay at once, so the one running the job stops it without waiting for
        // its next heartbeat to see the row. A rejection too: its PDF was refused and its
        // chunks deleted, so whatever still runs of it would only spend engine calls.
        let events = self.deps.db.subscribe_events();
        ctx.add_stream(futures_util::stream::unfold(events, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(EventFeed::Event(event))
                        if matches!(
                            event.progress.status,
                            JobStatus::Cancelled | JobStatus::Rejected
                        ) =>
                    {
                        return Some((
                            CancelJob {
                                job_id: event.job_id,
                            },
                            rx,
                        ));
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                }
            }
        }));
        self.claim(ctx);
    }
}

impl StreamHandler<CancelJob> for JobSupervisor {
    fn handle(&mut self, cancel: CancelJob, ctx: &mut Self::Context) {
        <Self as Handler<CancelJob>>::handle(self, cancel, ctx);
    }

    fn finished(&mut self, _: &mut Self::Context) {}
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
            job.addr.do_send(DrainJob);
        }
        self.check_drained();
        Box::pin(
            async move {
                let _ = tokio::time::timeout(msg.grace, drained).await;
            }
            .into_actor(self)
            .then(|(), act, _| {
                // Out of time: stop what still runs. Each halted actor's end gives its job
                // back (once: a second hand-back would take back a claim twice), so another
                // instance resumes it without waiting for the lease to expire.
                let (done, released) = tokio::sync::oneshot::channel();
                act.drained.push(done);
                if !act.running.is_empty() {
                    tracing::warn!(
                        jobs = act.running.len(),
                        "grace period over: releasing running jobs"
                    );
                }
                for job in act.running.values() {
                    job.addr.do_send(Halt);
                }
                act.check_drained();
                async move {
                    // A halted actor stops at its next turn; this bounds a database that
                    // no longer answers the releases.
                    let _ = tokio::time::timeout(HALT_GRACE, released).await;
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
            job.addr.do_send(Cancel);
        }
    }
}

impl Handler<JobEnded> for JobSupervisor {
    type Result = ();

    /// Noted only: the `JobGone` that follows from the actor's task acts on it.
    fn handle(&mut self, msg: JobEnded, _: &mut Self::Context) {
        if let Some(job) = self.running.get_mut(&msg.job_id)
            && !job.gone
        {
            job.settled = Some(msg.settled);
        }
    }
}

impl Handler<JobGone> for JobSupervisor {
    type Result = ();

    fn handle(&mut self, msg: JobGone, ctx: &mut Self::Context) {
        let Some(job) = self.running.get_mut(&msg.job_id) else {
            return;
        };
        if job.run != msg.run || job.gone {
            return;
        }
        job.gone = true;
        let settled = job.settled;
        if settled == Some(true) && msg.panic.is_none() {
            self.forget(&msg.job_id, ctx);
            return;
        }
        // The job actor stopped before its job ended (it drained, or it died): give the job
        // back before forgetting it, so that a drain ends only once its leases are released.
        // Only a death counts as a claim that went wrong. A job that ended before its actor
        // panicked is no longer held by us, and its release changes nothing.
        let died = msg.panic.is_some() || settled.is_none();
        if died {
            self.deps.metrics.actor_restarted("job");
            tracing::error!(
                job_id = %msg.job_id,
                panic = msg.panic.as_deref().unwrap_or("none"),
                "job actor died; its job will be resumed"
            );
        }
        let release = if self.draining && !died {
            Release::HandedBack
        } else {
            Release::Died
        };
        self.release(msg.job_id, release, ctx);
    }
}
