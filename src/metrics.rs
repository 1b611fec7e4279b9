//! Prometheus metrics. Counters and histograms count what this process did; the queue gauges
//! are read from the database when `/metrics` is scraped, so every instance reports the same
//! queue and none of them keeps a copy that could drift.
//!
//! One `Metrics` per running service (not a process-wide registry): tests that run several
//! services in one process then each see only their own numbers.

use std::collections::HashMap;
use std::time::Duration;

use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::lifecycle::JobStatus;
use crate::lifecycle::transition::Metric;
use crate::price::Price;

/// What one call to an engine's API came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    Ok,
    RateLimited,
    QuotaExhausted,
    Unavailable,
    Malformed,
    /// Refused or cut short for its content (safety block, recitation, truncation).
    Blocked,
    InvalidKey,
    /// Any other error that trying again cannot fix.
    Rejected,
}

impl CallOutcome {
    pub const ALL: [Self; 8] = [
        Self::Ok,
        Self::RateLimited,
        Self::QuotaExhausted,
        Self::Unavailable,
        Self::Malformed,
        Self::Blocked,
        Self::InvalidKey,
        Self::Rejected,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::RateLimited => "rate_limited",
            Self::QuotaExhausted => "quota_exhausted",
            Self::Unavailable => "unavailable",
            Self::Malformed => "malformed",
            Self::Blocked => "blocked",
            Self::InvalidKey => "invalid_key",
            Self::Rejected => "rejected",
        }
    }
}

/// One API call an engine made, as the engine reports it through its `Meter`.
#[derive(Debug, Clone, Copy)]
pub struct EngineCall<'a> {
    pub engine: &'a str,
    pub model: &'a str,
    pub outcome: CallOutcome,
    /// From sending the request to having the answer (the rate gate excluded).
    pub took: Duration,
    /// Time spent waiting at the rate gate before sending.
    pub gate_wait: Duration,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

/// Why a chunk goes for another attempt (or waits without spending one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryReason {
    Unavailable,
    Malformed,
    Timeout,
    Panic,
    RateLimited,
    QuotaExhausted,
}

impl RetryReason {
    pub const ALL: [Self; 6] = [
        Self::Unavailable,
        Self::Malformed,
        Self::Timeout,
        Self::Panic,
        Self::RateLimited,
        Self::QuotaExhausted,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Malformed => "malformed",
            Self::Timeout => "timeout",
            Self::Panic => "panic",
            Self::RateLimited => "rate_limited",
            Self::QuotaExhausted => "quota_exhausted",
        }
    }
}

/// How a chunk ended on this instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkOutcome {
    Done,
    /// Failed after its attempts; the job goes on without it.
    Failed,
    /// An error that fails the whole job (an invalid API key).
    Fatal,
}

impl ChunkOutcome {
    pub const ALL: [Self; 3] = [Self::Done, Self::Failed, Self::Fatal];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Fatal => "fatal",
        }
    }
}

/// Counts one open connection in a gauge for as long as it lives.
pub struct Open(IntGauge);

impl Open {
    pub fn track(gauge: &IntGauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.dec();
    }
}

const SECONDS_FAST: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const SECONDS_SLOW: &[f64] = &[
    0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];
const SECONDS_JOBS: &[f64] = &[
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0,
];

pub struct Metrics {
    registry: Registry,
    /// Every family registered, sorted, including those with no sample yet (which `gather`
    /// leaves out).
    declared: Vec<String>,
    /// Prices by model, to turn tokens into dollars.
    prices: HashMap<String, Price>,
    // Read from the database at scrape time.
    jobs: IntGaugeVec,
    queue_depth: IntGauge,
    queue_oldest_seconds: Gauge,
    jobs_running: IntGauge,
    chunks_queued: IntGauge,
    job_stalled_seconds: Gauge,
    db_pool_connections: IntGaugeVec,
    db_pool_max: IntGauge,
    // This process.
    jobs_finished: IntCounterVec,
    job_duration: HistogramVec,
    pub jobs_active: IntGauge,
    chunks: IntCounterVec,
    chunk_duration: HistogramVec,
    engine_requests: IntCounterVec,
    engine_request_duration: HistogramVec,
    engine_tokens: IntCounterVec,
    engine_cost: prometheus::CounterVec,
    retries: IntCounterVec,
    cache_lookups: IntCounterVec,
    rate_gate_wait: HistogramVec,
    actor_restarts: IntCounterVec,
    model_fallbacks: IntCounterVec,
    repairs: IntCounterVec,
    pub websocket_sessions: IntGauge,
    pub sse_streams: IntGauge,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
}

fn opts(name: &str, help: &str) -> Opts {
    Opts::new(name, help)
}

fn histogram(name: &str, help: &str, buckets: &[f64]) -> HistogramOpts {
    HistogramOpts::new(name, help).buckets(buckets.to_vec())
}

impl Metrics {
    /// A fresh registry with every metric of the service (and the process collector).
    pub fn new(
        prices: impl IntoIterator<Item = (String, Price)>,
    ) -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let mut metrics = Self {
            prices: prices.into_iter().collect(),
            jobs: IntGaugeVec::new(
                opts("fnt_jobs", "Jobs in the database by status."),
                &["status"],
            )?,
            queue_depth: IntGauge::with_opts(opts(
                "fnt_queue_depth",
                "Jobs queued and waiting to be claimed.",
            ))?,
            queue_oldest_seconds: Gauge::with_opts(opts(
                "fnt_queue_oldest_seconds",
                "How long the oldest queued job has waited (0 when none waits).",
            ))?,
            jobs_running: IntGauge::with_opts(opts(
                "fnt_jobs_running",
                "Jobs running on any instance.",
            ))?,
            chunks_queued: IntGauge::with_opts(opts(
                "fnt_chunks_queued",
                "Chunks of queued or running jobs still to be rewritten.",
            ))?,
            job_stalled_seconds: Gauge::with_opts(opts(
                "fnt_job_stalled_seconds",
                "The longest time a running job has gone without progress (0 when none runs).",
            ))?,
            db_pool_connections: IntGaugeVec::new(
                opts(
                    "fnt_db_pool_connections",
                    "This process's database connections by state.",
                ),
                &["state"],
            )?,
            db_pool_max: IntGauge::with_opts(opts(
                "fnt_db_pool_max_connections",
                "The most database connections this process may open.",
            ))?,
            jobs_finished: IntCounterVec::new(
                opts(
                    "fnt_jobs_finished_total",
                    "Jobs this instance finished, by final status.",
                ),
                &["status"],
            )?,
            job_duration: HistogramVec::new(
                histogram(
                    "fnt_job_duration_seconds",
                    "Processing time of jobs this instance finished, by final status.",
                    SECONDS_JOBS,
                ),
                &["status"],
            )?,
            jobs_active: IntGauge::with_opts(opts(
                "fnt_jobs_active",
                "Jobs this instance is running now.",
            ))?,
            chunks: IntCounterVec::new(
                opts(
                    "fnt_chunks_total",
                    "Chunks this instance settled, by outcome.",
                ),
                &["outcome"],
            )?,
            chunk_duration: HistogramVec::new(
                histogram(
                    "fnt_chunk_duration_seconds",
                    "Time of a chunk's successful attempt, by engine.",
                    SECONDS_SLOW,
                ),
                &["engine"],
            )?,
            engine_requests: IntCounterVec::new(
                opts(
                    "fnt_engine_requests_total",
                    "Engine API calls by engine, model and outcome.",
                ),
                &["engine", "model", "outcome"],
            )?,
            engine_request_duration: HistogramVec::new(
                histogram(
                    "fnt_engine_request_duration_seconds",
                    "Engine API call time, the rate gate excluded.",
                    SECONDS_SLOW,
                ),
                &["engine", "model"],
            )?,
            engine_tokens: IntCounterVec::new(
                opts(
                    "fnt_engine_tokens_total",
                    "Tokens sent (input) and received (output).",
                ),
                &["engine", "model", "direction"],
            )?,
            engine_cost: prometheus::CounterVec::new(
                opts(
                    "fnt_engine_cost_dollars_total",
                    "What the engine calls cost at the configured prices, in US dollars.",
                ),
                &["engine", "model"],
            )?,
            retries: IntCounterVec::new(
                opts(
                    "fnt_retries_total",
                    "Chunk attempts retried or snoozed, by reason.",
                ),
                &["reason"],
            )?,
            cache_lookups: IntCounterVec::new(
                opts(
                    "fnt_cache_lookups_total",
                    "Result cache lookups, by hit or miss.",
                ),
                &["result"],
            )?,
            rate_gate_wait: HistogramVec::new(
                histogram(
                    "fnt_rate_gate_wait_seconds",
                    "Time calls waited at an engine's rate gate.",
                    SECONDS_SLOW,
                ),
                &["engine"],
            )?,
            actor_restarts: IntCounterVec::new(
                opts(
                    "fnt_actor_restarts_total",
                    "Supervised actors restarted, by kind.",
                ),
                &["actor"],
            )?,
            model_fallbacks: IntCounterVec::new(
                opts(
                    "fnt_engine_model_fallbacks_total",
                    "A model preference moved from one model to another, by reason \
                     (not_found: retired for the whole process; overloaded: for a while).",
                ),
                &["engine", "from", "to", "reason"],
            )?,
            repairs: IntCounterVec::new(
                opts(
                    "fnt_engine_repairs_total",
                    "Source sentences whose answer the engine mended, by action (reask, \
                     local, refused, dropped, reordered) and reason.",
                ),
                &["engine", "action", "reason"],
            )?,
            websocket_sessions: IntGauge::with_opts(opts(
                "fnt_websocket_sessions",
                "Open WebSocket sessions.",
            ))?,
            sse_streams: IntGauge::with_opts(opts(
                "fnt_sse_streams",
                "Open SSE progress streams.",
            ))?,
            http_requests: IntCounterVec::new(
                opts(
                    "fnt_http_requests_total",
                    "HTTP requests by method, route and status.",
                ),
                &["method", "route", "status"],
            )?,
            http_duration: HistogramVec::new(
                histogram(
                    "fnt_http_request_duration_seconds",
                    "HTTP request time until the response head, by method and route.",
                    SECONDS_FAST,
                ),
                &["method", "route"],
            )?,
            registry,
            declared: Vec::new(),
        };
        metrics.register_all()?;
        metrics.zero_known_series();
        Ok(metrics)
    }

    fn register_all(&mut self) -> Result<(), prometheus::Error> {
        let build = IntGaugeVec::new(
            opts(
                "fnt_build_info",
                "Always 1; the running version is in the label.",
            ),
            &["version"],
        )?;
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        #[allow(unused_mut, reason = "only Linux adds the process metrics")]
        let mut collectors: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(build),
            Box::new(self.jobs.clone()),
            Box::new(self.queue_depth.clone()),
            Box::new(self.queue_oldest_seconds.clone()),
            Box::new(self.jobs_running.clone()),
            Box::new(self.chunks_queued.clone()),
            Box::new(self.job_stalled_seconds.clone()),
            Box::new(self.db_pool_connections.clone()),
            Box::new(self.db_pool_max.clone()),
            Box::new(self.jobs_finished.clone()),
            Box::new(self.job_duration.clone()),
            Box::new(self.jobs_active.clone()),
            Box::new(self.chunks.clone()),
            Box::new(self.chunk_duration.clone()),
            Box::new(self.engine_requests.clone()),
            Box::new(self.engine_request_duration.clone()),
            Box::new(self.engine_tokens.clone()),
            Box::new(self.engine_cost.clone()),
            Box::new(self.retries.clone()),
            Box::new(self.cache_lookups.clone()),
            Box::new(self.rate_gate_wait.clone()),
            Box::new(self.actor_restarts.clone()),
            Box::new(self.model_fallbacks.clone()),
            Box::new(self.repairs.clone()),
            Box::new(self.websocket_sessions.clone()),
            Box::new(self.sse_streams.clone()),
            Box::new(self.http_requests.clone()),
            Box::new(self.http_duration.clone()),
        ];
        // Linux only; elsewhere the process metrics are simply absent.
        #[cfg(target_os = "linux")]
        collectors.push(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ));
        for collector in collectors {
            self.declared
                .extend(collector.desc().iter().map(|desc| desc.fq_name.clone()));
            self.registry.register(collector)?;
        }
        self.declared.sort();
        self.declared.dedup();
        Ok(())
    }

    /// Series with a known, small set of labels exist from the start, at zero: a dashboard
    /// then shows "none yet" instead of "no data", and `rate()` sees the first increase.
    fn zero_known_series(&self) {
        for status in JobStatus::ALL {
            self.jobs.with_label_values(&[status.as_str()]).set(0);
            if status.is_terminal() {
                self.jobs_finished.with_label_values(&[status.as_str()]);
            }
        }
        for outcome in ChunkOutcome::ALL {
            self.chunks.with_label_values(&[outcome.as_str()]);
        }
        for reason in RetryReason::ALL {
            self.retries.with_label_values(&[reason.as_str()]);
        }
        for result in ["hit", "miss"] {
            self.cache_lookups.with_label_values(&[result]);
        }
        for state in ["in_use", "idle"] {
            self.db_pool_connections.with_label_values(&[state]).set(0);
        }
        self.actor_restarts.with_label_values(&["chunk"]);
    }

    /// A job transition's metric, as `db` reports it after the commit.
    pub fn count(&self, metric: Metric, took: Duration) {
        match metric {
            Metric::JobFinished(status) => self.job_finished(status, took),
        }
    }

    fn job_finished(&self, status: JobStatus, took: Duration) {
        self.jobs_finished
            .with_label_values(&[status.as_str()])
            .inc();
        self.job_duration
            .with_label_values(&[status.as_str()])
            .observe(took.as_secs_f64());
    }

    pub fn chunk_settled(&self, outcome: ChunkOutcome) {
        self.chunks.with_label_values(&[outcome.as_str()]).inc();
    }

    pub fn chunk_took(&self, engine: &str, took: Duration) {
        self.chunk_duration
            .with_label_values(&[engine])
            .observe(took.as_secs_f64());
    }

    pub fn retry(&self, reason: RetryReason) {
        self.retries.with_label_values(&[reason.as_str()]).inc();
    }

    pub fn cache_lookup(&self, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.cache_lookups.with_label_values(&[result]).inc();
    }

    pub fn actor_restarted(&self, actor: &str) {
        self.actor_restarts.with_label_values(&[actor]).inc();
    }

    pub fn model_fallback(&self, engine: &str, from: &str, to: &str, reason: &str) {
        self.model_fallbacks
            .with_label_values(&[engine, from, to, reason])
            .inc();
    }

    /// `action` and `reason` as the engine names them (`engine::Repair`).
    pub fn engine_repair(&self, engine: &str, action: &str, reason: &str, sentences: i64) {
        self.repairs
            .with_label_values(&[engine, action, reason])
            .inc_by(u64::try_from(sentences).unwrap_or(0));
    }

    pub fn engine_call(&self, call: &EngineCall<'_>) {
        let (engine, model) = (call.engine, call.model);
        self.engine_requests
            .with_label_values(&[engine, model, call.outcome.as_str()])
            .inc();
        self.engine_request_duration
            .with_label_values(&[engine, model])
            .observe(call.took.as_secs_f64());
        self.rate_gate_wait
            .with_label_values(&[engine])
            .observe(call.gate_wait.as_secs_f64());
        let (input, output) = (call.input_tokens.max(0), call.output_tokens.max(0));
        self.engine_tokens
            .with_label_values(&[engine, model, "input"])
            .inc_by(input.unsigned_abs());
        self.engine_tokens
            .with_label_values(&[engine, model, "output"])
            .inc_by(output.unsigned_abs());
        if let Some(price) = self.prices.get(model) {
            let dollars = (input as f64 * price.input_per_million
                + output as f64 * price.output_per_million)
                / 1_000_000.0;
            self.engine_cost
                .with_label_values(&[engine, model])
                .inc_by(dollars);
        }
    }

    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let status = status.to_string();
        self.http_requests
            .with_label_values(&[method, route, status.as_str()])
            .inc();
        self.http_duration
            .with_label_values(&[method, route])
            .observe(took.as_secs_f64());
    }

    /// Refreshes the gauges read at scrape time, then renders everything in Prometheus's
    /// text format.
    pub fn render(&self, queue: &Queue, pool: Pool) -> Result<String, RenderError> {
        for (status, count) in &queue.jobs {
            self.jobs.with_label_values(&[status.as_str()]).set(*count);
            match status {
                JobStatus::Queued => self.queue_depth.set(*count),
                JobStatus::Running => self.jobs_running.set(*count),
                _ => {}
            }
        }
        self.queue_oldest_seconds
            .set(queue.oldest_queued_ms as f64 / 1000.0);
        self.chunks_queued.set(queue.chunks_queued);
        self.job_stalled_seconds
            .set(queue.stalled_ms as f64 / 1000.0);
        self.db_pool_connections
            .with_label_values(&["in_use"])
            .set(gauge_value(pool.in_use));
        self.db_pool_connections
            .with_label_values(&["idle"])
            .set(gauge_value(pool.idle));
        self.db_pool_max.set(gauge_value(pool.max));
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| RenderError::Encode(e.to_string()))
    }

    /// The name of every metric family this service exports, samples or not yet (histograms
    /// by their base name).
    pub fn names(&self) -> &[String] {
        &self.declared
    }
}

fn gauge_value(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The queue as the database sees it at scrape time (read by the caller: metrics know nothing
/// of storage).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queue {
    /// Jobs by status, every status present (zero when none).
    pub jobs: Vec<(JobStatus, i64)>,
    /// How long the oldest queued job has waited, in milliseconds (0 when none waits).
    pub oldest_queued_ms: i64,
    /// Chunks of queued or running jobs that still have to be rewritten.
    pub chunks_queued: i64,
    /// The longest time a running job has gone without progress, in milliseconds.
    pub stalled_ms: i64,
}

/// The database pool's connections at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pool {
    pub in_use: usize,
    pub idle: usize,
    pub max: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("metrics could not be encoded: {0}")]
    Encode(String),
}

impl From<prometheus::Error> for RenderError {
    fn from(e: prometheus::Error) -> Self {
        Self::Encode(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> Metrics {
        let price = Price {
            input_per_million: 1.0,
            output_per_million: 4.0,
        };
        Metrics::new([("m".to_owned(), price)]).expect("metrics register")
    }

    fn text(m: &Metrics) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&m.registry.gather(), &mut out)
            .expect("encode");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn an_engine_call_counts_tokens_cost_and_waits() {
        let m = metrics();
        m.engine_call(&EngineCall {
            engine: "gemini",
            model: "m",
            outcome: CallOutcome::Ok,
            took: Duration::from_millis(300),
            gate_wait: Duration::from_millis(20),
            input_tokens: 1_000_000,
            output_tokens: 500_000,
        });
        let text = text(&m);
        assert!(
            text.contains(r#"fnt_engine_requests_total{engine="gemini",model="m",outcome="ok"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"fnt_engine_tokens_total{direction="input",engine="gemini",model="m"} 1000000"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"fnt_engine_cost_dollars_total{engine="gemini",model="m"} 3"#),
            "{text}"
        );
        assert!(
            text.contains(r#"fnt_rate_gate_wait_seconds_count{engine="gemini"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn a_model_without_a_price_costs_nothing_rather_than_guessing() {
        let m = metrics();
        m.engine_call(&EngineCall {
            engine: "local",
            model: "local",
            outcome: CallOutcome::Ok,
            took: Duration::ZERO,
            gate_wait: Duration::ZERO,
            input_tokens: 0,
            output_tokens: 0,
        });
        assert!(!text(&m).contains(r#"fnt_engine_cost_dollars_total{engine="local""#));
    }

    #[test]
    fn known_series_start_at_zero() {
        let text = text(&metrics());
        for line in [
            r#"fnt_jobs_finished_total{status="failed"} 0"#,
            r#"fnt_retries_total{reason="quota_exhausted"} 0"#,
            r#"fnt_chunks_total{outcome="done"} 0"#,
            r#"fnt_cache_lookups_total{result="hit"} 0"#,
            r#"fnt_actor_restarts_total{actor="chunk"} 0"#,
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        assert!(!text.contains(r#"fnt_jobs_finished_total{status="queued"}"#));
    }
}
