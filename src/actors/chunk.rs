//! `ChunkActor`: rewrites one chunk under an `actix::Supervisor`.
//!
//! `actix::Supervisor` restarts an actor that stops, but it does not catch panics inside
//! handlers. So each attempt runs as its own task: a panic there ends the task with a
//! `JoinError` we observe, a hang ends at the time limit, and an error comes back typed. All
//! three become a failed attempt; the actor reports it and stops, and the supervisor restarts
//! it after a backoff, until the attempts are used up. The actor holds a strong address of
//! itself while it still has work to do: that is what makes the supervisor restart it, and
//! dropping it before the final stop is what lets the actor end for good.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use tokio::sync::Semaphore;
use tokio::task::AbortHandle;
use tracing::Instrument;

use super::messages::{ChunkEvent, ChunkReport, StopChunk};
use super::retry::RetryPolicy;
use crate::engine::{ChunkInput, ChunkOutput, Engine, EngineError, Meter};
use crate::metrics::{ChunkOutcome, Metrics, RetryReason};
use crate::settings::Settings;

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttemptFailure {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the engine panicked: {0}")]
    Panicked(String),
    #[error("the attempt exceeded its time limit of {0:?}")]
    TimedOut(Duration),
}

impl AttemptFailure {
    /// Why the chunk goes for another attempt, if it does.
    pub fn retry_reason(&self) -> Option<RetryReason> {
        Some(match self {
            Self::Engine(EngineError::RateLimited { .. }) => RetryReason::RateLimited,
            Self::Engine(EngineError::QuotaExhausted { .. }) => RetryReason::QuotaExhausted,
            Self::Engine(EngineError::Unavailable(_)) => RetryReason::Unavailable,
            Self::Engine(EngineError::Malformed(_)) => RetryReason::Malformed,
            Self::Engine(
                EngineError::InvalidKey(_) | EngineError::Permanent(_) | EngineError::NoModel(_),
            ) => return None,
            Self::Panicked(_) => RetryReason::Panic,
            Self::TimedOut(_) => RetryReason::Timeout,
        })
    }

    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Engine(e) => e.is_retryable(),
            Self::Panicked(_) | Self::TimedOut(_) => true,
        }
    }

    /// What the learner is told about this attempt: its kind in a few words, never a panic's
    /// text or an upstream body (the log keeps those).
    pub fn public_message(&self) -> String {
        match self {
            Self::Engine(EngineError::RateLimited { .. }) => {
                "the model service asked us to slow down".to_owned()
            }
            Self::Engine(EngineError::QuotaExhausted { until }) => {
                format!("the daily quota is used up until {}", until.to_rfc3339())
            }
            Self::Engine(EngineError::Unavailable(_)) => {
                "the model service is unavailable".to_owned()
            }
            Self::Engine(EngineError::Malformed(_)) => {
                "the model's answer could not be used".to_owned()
            }
            Self::Engine(EngineError::InvalidKey(_)) => "the API key was refused".to_owned(),
            Self::Engine(EngineError::NoModel(_)) => "no model is available".to_owned(),
            Self::Engine(EngineError::Permanent(_)) => {
                "the engine could not rewrite this chunk".to_owned()
            }
            Self::Panicked(_) => "the engine panicked (the server log has the details)".to_owned(),
            Self::TimedOut(limit) => format!(
                "the attempt exceeded its time limit of {} s",
                limit.as_secs_f64()
            ),
        }
    }
}

pub struct ChunkActor {
    job_id: Arc<str>,
    index: usize,
    input: Arc<ChunkInput>,
    settings: Arc<Settings>,
    engine: Arc<dyn Engine>,
    report_to: Recipient<ChunkReport>,
    policy: RetryPolicy,
    permits: Arc<Semaphore>,
    /// Attempts made so far, including those of earlier runs of the job.
    attempts: u32,
    /// Failed attempts that count against the limit of a panicking engine.
    failures: u32,
    /// Transient failures in a row, for the backoff.
    transient: u32,
    /// When the current run of transient failures began, on the policy's clock: the retry
    /// budget is measured from there.
    first_failure: Option<Duration>,
    next_delay: Duration,
    task: Option<AbortHandle>,
    meter: Meter,
    metrics: Arc<Metrics>,
    keep_alive: Option<Addr<Self>>,
}

pub struct ChunkSpec {
    pub job_id: Arc<str>,
    pub index: usize,
    pub input: Arc<ChunkInput>,
    pub settings: Arc<Settings>,
    pub engine: Arc<dyn Engine>,
    pub report_to: Recipient<ChunkReport>,
    pub policy: RetryPolicy,
    pub permits: Arc<Semaphore>,
    pub attempts_so_far: u32,
    pub metrics: Arc<Metrics>,
}

impl ChunkActor {
    /// Starts the chunk under a supervisor on the current arbiter.
    pub fn launch(spec: ChunkSpec) -> Addr<Self> {
        actix::Supervisor::start(move |ctx: &mut Context<Self>| Self {
            job_id: spec.job_id,
            index: spec.index,
            input: spec.input,
            settings: spec.settings,
            engine: spec.engine,
            report_to: spec.report_to,
            policy: spec.policy,
            permits: spec.permits,
            attempts: spec.attempts_so_far,
            failures: spec.attempts_so_far,
            transient: 0,
            first_failure: None,
            next_delay: Duration::ZERO,
            task: None,
            meter: Meter::observed(Arc::clone(&spec.metrics)),
            metrics: spec.metrics,
            keep_alive: Some(ctx.address()),
        })
    }

    fn run_attempt(&mut self, ctx: &mut Context<Self>) {
        self.attempts += 1;
        self.report(ChunkEvent::Started {
            attempt: self.attempts,
        });
        if self.keep_alive.is_none() {
            ctx.stop();
            return;
        }
        let engine = Arc::clone(&self.engine);
        let input = Arc::clone(&self.input);
        let settings = Arc::clone(&self.settings);
        let permits = Arc::clone(&self.permits);
        let limit = self.policy.timeout;
        let clock = self.policy.clock;
        // A fresh meter per attempt: what a failed, hung or panicking attempt spent is still
        // read from it afterwards.
        let meter = Meter::observed(Arc::clone(&self.metrics));
        self.meter = meter.clone();
        // The engine's own log lines (and a panic's) then name the job and the chunk.
        let span = tracing::info_span!("chunk", job_id = %self.job_id, chunk = self.index);
        let task = actix_rt::spawn(
            async move {
                let _permit = permits.acquire_owned().await.map_err(|_| {
                    AttemptFailure::Engine(EngineError::Unavailable("worker shutting down".into()))
                })?;
                // Timed from here: waiting for a permit is not the engine's time.
                let started = std::time::Instant::now();
                match clock
                    .timeout(limit, engine.rewrite(input, settings, meter))
                    .await
                {
                    Some(result) => result
                        .map(|output| (output, started.elapsed()))
                        .map_err(AttemptFailure::from),
                    None => Err(AttemptFailure::TimedOut(limit)),
                }
            }
            .instrument(span),
        );
        self.task = Some(task.abort_handle());
        ctx.spawn(task.into_actor(self).map(|joined, act, ctx| match joined {
            Ok(Ok((output, took))) => act.succeed(output, took, ctx),
            Ok(Err(failure)) => act.fail(failure, ctx),
            Err(e) if e.is_panic() => {
                let message = crate::util::panic_message(&*e.into_panic());
                act.fail(AttemptFailure::Panicked(message), ctx);
            }
            // Aborted by `StopChunk`: the actor is already stopping.
            Err(_) => {}
        }));
    }

    fn succeed(&mut self, output: ChunkOutput, took: Duration, ctx: &mut Context<Self>) {
        self.task = None;
        self.metrics.chunk_settled(ChunkOutcome::Done);
        self.metrics.chunk_took(self.engine.name(), took);
        self.report(ChunkEvent::Done {
            attempts: self.attempts,
            output,
            took,
            usage: self.meter.total(),
        });
        self.finish(ctx);
    }

    fn fail(&mut self, failure: AttemptFailure, ctx: &mut Context<Self>) {
        self.task = None;
        // Events and the stored chunk say what kind of failure it was; the log says all.
        let detail = failure.to_string();
        let error = failure.public_message();
        if let AttemptFailure::Engine(engine_error) = &failure {
            if let EngineError::QuotaExhausted { .. } = engine_error
                && let Some(wait) = engine_error.snooze()
            {
                // The daily quota is not an outage: it parks the chunk, budget untouched.
                tracing::info!(job_id = %self.job_id, chunk = self.index, ?wait, error = %detail, "chunk parked until the quota resets");
                self.metrics.retry(RetryReason::QuotaExhausted);
                self.restart_after(wait, ctx, |attempt, delay, next_attempt_at, usage| {
                    ChunkEvent::Snoozed {
                        attempt,
                        error,
                        delay,
                        next_attempt_at,
                        usage,
                    }
                });
                return;
            }
            if engine_error.fails_job() {
                self.metrics.chunk_settled(ChunkOutcome::Fatal);
                // Our own words (a refused key, no model left): the job's error, told whole.
                self.report(ChunkEvent::Fatal {
                    attempts: self.attempts,
                    error: detail,
                    usage: self.meter.total(),
                });
                self.finish(ctx);
                return;
            }
        }
        match self.retry_delay(&failure) {
            Some(delay) => {
                tracing::warn!(job_id = %self.job_id, chunk = self.index, attempt = self.attempts, ?delay, error = %detail, "chunk attempt failed; retrying");
                if let Some(reason) = failure.retry_reason() {
                    self.metrics.retry(reason);
                }
                self.restart_after(delay, ctx, |attempt, delay, next_attempt_at, usage| {
                    ChunkEvent::Retrying {
                        attempt,
                        error,
                        delay,
                        next_attempt_at,
                        usage,
                    }
                });
            }
            None => {
                tracing::warn!(job_id = %self.job_id, chunk = self.index, attempts = self.attempts, error = %detail, "chunk failed");
                self.metrics.chunk_settled(ChunkOutcome::Failed);
                self.report(ChunkEvent::Failed {
                    attempts: self.attempts,
                    error,
                    usage: self.meter.total(),
                });
                self.finish(ctx);
            }
        }
    }

    /// The wait before the next attempt, or `None` when the chunk has failed for good:
    /// transient failures retry while the time budget lasts, a panicking engine a few times.
    fn retry_delay(&mut self, failure: &AttemptFailure) -> Option<Duration> {
        if !failure.is_retryable() {
            return None;
        }
        if let AttemptFailure::Panicked(_) = failure {
            self.failures += 1;
            return (self.failures < self.policy.max_attempts)
                .then(|| self.policy.delay_after(self.failures));
        }
        self.transient += 1;
        let since = *self.first_failure.get_or_insert(self.policy.clock.now());
        let delay = match failure {
            AttemptFailure::Engine(EngineError::RateLimited { retry_after }) => {
                self.policy.delay_after_hint(*retry_after, self.transient)
            }
            _ => self.policy.delay_after(self.transient),
        };
        self.policy.within_budget(since, delay).then_some(delay)
    }

    /// Reports the wait (`event` gets the attempt, the delay, when it ends on the wall clock,
    /// and what the attempt spent) and stops: the supervisor restarts us, as we still hold
    /// our own address, and `started` waits `delay` before the next attempt.
    fn restart_after(
        &mut self,
        delay: Duration,
        ctx: &mut Context<Self>,
        event: impl FnOnce(
            u32,
            Duration,
            chrono::DateTime<chrono::Utc>,
            crate::engine::Usage,
        ) -> ChunkEvent,
    ) {
        self.next_delay = delay.max(Duration::from_millis(1));
        let next_attempt_at = self.wall_time_after(self.next_delay);
        self.report(event(
            self.attempts,
            self.next_delay,
            next_attempt_at,
            self.meter.total(),
        ));
        ctx.stop();
    }

    /// When, on the wall clock, a wait of `delay` on the policy's clock ends.
    fn wall_time_after(&self, delay: Duration) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
            + chrono::Duration::from_std(self.policy.clock.real(delay)).unwrap_or_default()
    }

    /// Stops for good: without our own address the supervisor lets us go.
    fn finish(&mut self, ctx: &mut Context<Self>) {
        self.keep_alive = None;
        ctx.stop();
    }

    /// Tells the job actor. If it is gone (it died without stopping us), nobody would store
    /// this chunk's work: we stop for good, and the job's next run does the chunk again.
    fn report(&mut self, event: ChunkEvent) {
        if !self.report_to.connected() {
            if self.keep_alive.take().is_some() {
                tracing::warn!(job_id = %self.job_id, chunk = self.index, "the job actor is gone; chunk stops");
            }
            return;
        }
        self.report_to.do_send(ChunkReport {
            index: self.index,
            event,
        });
    }

    fn abort_task(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Actor for ChunkActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if self.keep_alive.is_none() {
            ctx.stop();
            return;
        }
        if self.next_delay.is_zero() {
            self.run_attempt(ctx);
        } else {
            let wait = self.policy.clock.real(self.next_delay);
            ctx.run_later(wait, |act, ctx| act.run_attempt(ctx));
        }
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.abort_task();
    }
}

impl Supervised for ChunkActor {
    fn restarting(&mut self, _: &mut Self::Context) {
        self.abort_task();
        if self.keep_alive.is_some() {
            self.metrics.actor_restarted("chunk");
        }
    }
}

impl Handler<StopChunk> for ChunkActor {
    type Result = ();

    fn handle(&mut self, _: StopChunk, ctx: &mut Self::Context) {
        self.abort_task();
        self.finish(ctx);
    }
}
