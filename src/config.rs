//! Configuration: every option is a command-line flag with an `FNT_…` environment variable,
//! and the defaults are the embedded set-up (SQLite under ./data, local engine, no key).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::db::DatabaseUrl;
use crate::engine::gemini::GeminiConfig;
use crate::engine::rate_gate::RateLimits;
use crate::export::sheets::GoogleConfig;
use crate::pdf::plan::PlanConfig;
use crate::price::Price;
use crate::settings::ModelPreference;

// Defined where they are used; re-exported here, where the command line builds them.
pub use crate::auth::{AuthOptions, Limits};
pub use crate::secret::Secret;

mod defaults {
    pub const BIND: &str = "127.0.0.1:8080";
    pub const DATA_DIR: &str = "./data";
    pub const DB_MAX_CONNECTIONS: usize = 8;
    pub const MAX_UPLOAD_MB: u64 = 50;
    pub const MAX_PAGES: u32 = 1000;
    pub const MAX_RUNNING_JOBS: usize = 4;
    pub const MAX_PARALLEL_CHUNKS: usize = 8;
    pub const CHUNK_ATTEMPTS: u32 = 3;
    pub const CHUNK_TIMEOUT_SECS: u64 = 900;
    pub const RETRY_BASE_MS: u64 = 500;
    pub const RETRY_MAX_MS: u64 = 30_000;
    pub const LEASE_SECS: u64 = 30;
    pub const POLL_INTERVAL_MS: u64 = 2_000;
    pub const MAX_JOB_CLAIMS: u32 = 5;
    pub const SHUTDOWN_GRACE_SECS: u64 = 25;
    pub const UPLOAD_RETENTION_SECS: u64 = 24 * 3600;
    // A 500-page novel is read in a few seconds and a few hundred megabytes (a 45 MB file
    // loaded whole by lopdf, under a gigabyte): these leave it an order of magnitude.
    pub const SANDBOX_MEMORY_MB: u64 = 2048;
    pub const SANDBOX_CPU_SECS: u64 = 60;
    pub const SANDBOX_WALL_SECS: u64 = 120;
    pub const SANDBOX_PROCESSES: u16 = 2;
    pub const UPLOAD_MEMORY_MB: u64 = 160;
    pub const SOCKET_STALL_TIMEOUT_SECS: u64 = 60;
    pub const ACCESS_TOKEN_SECS: u64 = 900;
    pub const REFRESH_TOKEN_DAYS: u64 = 30;
    /// Limits that apply with accounts unless configured otherwise.
    pub const UPLOADS_PER_HOUR: u32 = 10;
    pub const JOBS_PER_USER: u32 = 3;
    pub const AUTH_REQUESTS_PER_MINUTE: u32 = 20;
    pub const WS_PING_INTERVAL_MS: u64 = 5_000;
    pub const WS_CLIENT_TIMEOUT_MS: u64 = 15_000;
    pub const WS_BUFFER_EVENTS: u64 = 64;
    pub const GEMINI_BASE_URL: &str = "https://generativelanguage.googleapis.com";
    pub const GEMINI_RPM: u32 = 60;
    pub const GEMINI_TPM: u64 = 1_000_000;
    pub const GEMINI_CONCURRENCY: usize = 4;
    pub const GEMINI_TIMEOUT_SECS: u64 = 180;
    pub const GEMINI_MAX_OUTPUT_TOKENS: i32 = 65_536;
    pub const GEMINI_MODELS_REFRESH_SECS: u64 = 6 * 3600;
    // The stable ids on Google's models page in December 2026, newest first; Pro exists only
    // as a preview, so quality falls back to the newest stable Flash.
    pub const MODELS_SPEED: &str = "gemini-3.5-flash-lite,gemini-3.1-flash-lite";
    pub const MODELS_BALANCED: &str =
        "gemini-3.8-flash,gemini-3.7-flash,gemini-3.6-flash,gemini-3.5-flash";
    pub const MODELS_QUALITY: &str = "gemini-3.1-pro-preview,gemini-3.8-flash";
    /// How long a chunk keeps retrying transient failures before it is marked failed.
    pub const RETRY_BUDGET_SECS: u64 = 15 * 60;
    // Google's list prices (paid tier, prompts under 200k tokens) when this was written.
    pub const PRICE_SPEED: &str = "0.10/0.40";
    pub const PRICE_BALANCED: &str = "0.30/2.50";
    pub const PRICE_QUALITY: &str = "1.25/10.00";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// Options shared by every command that runs jobs (`serve` and `process`).
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Directory for the SQLite database and uploaded PDFs.
    #[arg(long, env = "FNT_DATA_DIR", default_value = defaults::DATA_DIR)]
    pub data_dir: PathBuf,
    /// Database URL: sqlite://PATH, or postgres://USER@HOST:PORT/DB for several instances;
    /// defaults to DATA_DIR/fnt.sqlite3.
    #[arg(long, env = "FNT_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Connections in the database pool.
    #[arg(long, env = "FNT_DB_MAX_CONNECTIONS", default_value_t = defaults::DB_MAX_CONNECTIONS)]
    pub db_max_connections: usize,
    /// Largest accepted upload, in MiB.
    #[arg(long, env = "FNT_MAX_UPLOAD_MB", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::MAX_UPLOAD_MB)]
    pub max_upload_mb: u64,
    /// Most pages an uploaded PDF may have.
    #[arg(long, env = "FNT_MAX_PAGES", value_parser = clap::value_parser!(u32).range(1..), default_value_t = defaults::MAX_PAGES)]
    pub max_pages: u32,
    /// Jobs this process runs at once; more wait in the queue. 0: serve HTTP only, run no jobs.
    #[arg(long, env = "FNT_MAX_RUNNING_JOBS", default_value_t = defaults::MAX_RUNNING_JOBS)]
    pub max_running_jobs: usize,
    /// Chunks this process rewrites at once, across all jobs.
    #[arg(long, env = "FNT_MAX_PARALLEL_CHUNKS", default_value_t = defaults::MAX_PARALLEL_CHUNKS)]
    pub max_parallel_chunks: usize,
    /// Attempts per chunk before it is marked failed.
    #[arg(long, env = "FNT_CHUNK_ATTEMPTS", value_parser = clap::value_parser!(u32).range(1..), default_value_t = defaults::CHUNK_ATTEMPTS)]
    pub chunk_attempts: u32,
    /// Time limit for one attempt at one chunk, in seconds.
    #[arg(long, env = "FNT_CHUNK_TIMEOUT_SECS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::CHUNK_TIMEOUT_SECS)]
    pub chunk_timeout_secs: u64,
    /// First retry delay, in milliseconds (doubles per attempt, with full jitter).
    #[arg(long, env = "FNT_RETRY_BASE_MS", default_value_t = defaults::RETRY_BASE_MS)]
    pub retry_base_ms: u64,
    /// Longest retry delay, in milliseconds.
    #[arg(long, env = "FNT_RETRY_MAX_MS", default_value_t = defaults::RETRY_MAX_MS)]
    pub retry_max_ms: u64,
    /// How long a chunk keeps retrying transient failures (5xx, timeouts, dropped
    /// connections, per-minute quota), in seconds, before it is marked failed.
    #[arg(long, env = "FNT_RETRY_BUDGET_SECS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::RETRY_BUDGET_SECS)]
    pub retry_budget_secs: u64,
    /// The clock retries and timeouts wait on: the wall clock, except in tests.
    #[arg(skip)]
    pub clock: crate::clock::Clock,
    /// How long a claimed job stays this process's without a heartbeat, in seconds.
    #[arg(long, env = "FNT_LEASE_SECS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::LEASE_SECS)]
    pub lease_secs: u64,
    /// How often idle workers look for queued or abandoned jobs, in milliseconds.
    #[arg(long, env = "FNT_POLL_INTERVAL_MS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::POLL_INTERVAL_MS)]
    pub poll_interval_ms: u64,
    /// Times a job may be claimed before it is failed as poisoned (it keeps killing workers).
    #[arg(long, env = "FNT_MAX_JOB_CLAIMS", value_parser = clap::value_parser!(u32).range(1..), default_value_t = defaults::MAX_JOB_CLAIMS)]
    pub max_job_claims: u32,
    /// How long an uploaded PDF is kept once its job has ended, in seconds. Results, chunk
    /// inputs (so retry still works) and history stay.
    #[arg(long, env = "FNT_UPLOAD_RETENTION_SECS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::UPLOAD_RETENTION_SECS)]
    pub upload_retention_secs: u64,
    /// The program that reads PDFs in a child process under the limits below (`fnt
    /// sandbox`); defaults to this executable.
    #[arg(long, env = "FNT_SANDBOX_PROGRAM", hide = true)]
    pub sandbox_program: Option<PathBuf>,
    /// Address space of one PDF-reading child, in MiB; a PDF that needs more is refused as
    /// too complex.
    #[arg(long, env = "FNT_SANDBOX_MEMORY_MB", value_parser = clap::value_parser!(u64).range(64..), default_value_t = defaults::SANDBOX_MEMORY_MB)]
    pub sandbox_memory_mb: u64,
    /// CPU seconds of one PDF-reading child.
    #[arg(long, env = "FNT_SANDBOX_CPU_SECS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::SANDBOX_CPU_SECS)]
    pub sandbox_cpu_secs: u64,
    /// Seconds one PDF-reading child may take, however it spends them.
    #[arg(long, env = "FNT_SANDBOX_WALL_SECS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::SANDBOX_WALL_SECS)]
    pub sandbox_wall_secs: u64,
    /// PDF-reading children this process runs at once; more wait their turn.
    #[arg(long, env = "FNT_SANDBOX_PROCESSES", value_parser = clap::value_parser!(u16).range(1..), default_value_t = defaults::SANDBOX_PROCESSES)]
    pub sandbox_processes: u16,
    /// MiB of uploaded bytes held in memory at once while uploads are checked and stored;
    /// more uploads wait their turn. An upload holds twice its size.
    #[arg(long, env = "FNT_UPLOAD_MEMORY_MB", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::UPLOAD_MEMORY_MB)]
    pub upload_memory_mb: u64,
    /// `none`: no sign-in, every request acts as the built-in local user (the default on a
    /// loopback address, refused on any other). `accounts`: sign-in, ownership and limits.
    #[arg(long, env = "FNT_AUTH", value_enum)]
    pub auth: Option<crate::auth::AuthMode>,
    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "FNT_ACCESS_TOKEN_SECS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::ACCESS_TOKEN_SECS)]
    pub access_token_secs: u64,
    /// Lifetime of a sign-in session (its refresh token), in days.
    #[arg(long, env = "FNT_REFRESH_TOKEN_DAYS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::REFRESH_TOKEN_DAYS)]
    pub refresh_token_days: u64,
    /// Uploads per user per hour [with accounts: 10; without: no limit].
    // A limit of 0 would refuse everyone (for uploads, as a 500): refused at start instead.
    #[arg(long, env = "FNT_UPLOADS_PER_HOUR", value_parser = clap::value_parser!(u32).range(1..))]
    pub uploads_per_hour: Option<u32>,
    /// Queued and running jobs per user at once [with accounts: 3; without: no limit].
    // A limit of 0 would refuse everyone (for uploads, as a 500): refused at start instead.
    #[arg(long, env = "FNT_JOBS_PER_USER", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs_per_user: Option<u32>,
    /// Take the client's address from `Fly-Client-IP` or `X-Forwarded-For` (only behind a
    /// proxy that sets them, such as Fly's; anyone can send them otherwise).
    #[arg(long, env = "FNT_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Requests to the sign-in endpoints per client IP per minute [with accounts: 20].
    // A limit of 0 would refuse everyone (for uploads, as a 500): refused at start instead.
    #[arg(long, env = "FNT_AUTH_REQUESTS_PER_MINUTE", value_parser = clap::value_parser!(u32).range(1..))]
    pub auth_requests_per_minute: Option<u32>,
    /// On SIGTERM/SIGINT, how long chunks in flight may take to finish before their jobs are
    /// handed back, in seconds.
    #[arg(long, env = "FNT_SHUTDOWN_GRACE_SECS", default_value_t = defaults::SHUTDOWN_GRACE_SECS)]
    pub shutdown_grace_secs: u64,
    /// How often a WebSocket session pings its client, in milliseconds.
    #[arg(long, env = "FNT_WS_PING_INTERVAL_MS", value_parser = clap::value_parser!(u64).range(10..), default_value_t = defaults::WS_PING_INTERVAL_MS)]
    pub ws_ping_interval_ms: u64,
    /// A WebSocket client silent (no pong, no message) this long is disconnected, in milliseconds.
    #[arg(long, env = "FNT_WS_CLIENT_TIMEOUT_MS", value_parser = clap::value_parser!(u64).range(10..), default_value_t = defaults::WS_CLIENT_TIMEOUT_MS)]
    pub ws_client_timeout_ms: u64,
    /// Events held per job for a progress listener that is not keeping up; beyond this they
    /// are coalesced into the latest one.
    #[arg(long, env = "FNT_WS_BUFFER_EVENTS", value_parser = clap::value_parser!(u64).range(1..=10_000), default_value_t = defaults::WS_BUFFER_EVENTS)]
    pub ws_buffer_events: u64,
    /// Caps the kernel's send buffer of each HTTP connection, in bytes. Unset, the kernel sizes
    /// it (up to megabytes per socket when a client reads slowly); with thousands of open
    /// WebSockets a cap bounds what a stalled reader can hold.
    #[arg(long, env = "FNT_SOCKET_SEND_BUFFER", value_parser = clap::value_parser!(u32).range(4096..))]
    pub socket_send_buffer: Option<u32>,
    /// A connection whose peer takes none of our bytes for this long is closed, in seconds
    /// (TCP_USER_TIMEOUT): a WebSocket client that stopped reading cannot hold its buffers
    /// forever, since its session only runs when it reads.
    #[arg(long, env = "FNT_SOCKET_STALL_TIMEOUT_SECS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::SOCKET_STALL_TIMEOUT_SECS)]
    pub socket_stall_timeout_secs: u64,
    /// Books up to this many pages are processed as one chunk.
    #[arg(long, env = "FNT_SINGLE_CHUNK_MAX_PAGES", value_parser = clap::value_parser!(u32).range(1..), default_value_t = PlanConfig::default().single_chunk_max_pages)]
    pub single_chunk_max_pages: u32,
    /// Books up to this many pages use medium chunks; longer books use large chunks.
    #[arg(long, env = "FNT_MEDIUM_MAX_PAGES", value_parser = clap::value_parser!(u32).range(1..), default_value_t = PlanConfig::default().medium_max_pages)]
    pub medium_max_pages: u32,
    /// Pages per chunk for medium books.
    #[arg(long, env = "FNT_MEDIUM_CHUNK_PAGES", value_parser = clap::value_parser!(u32).range(1..), default_value_t = PlanConfig::default().medium_chunk_pages)]
    pub medium_chunk_pages: u32,
    /// Chunks of one medium book processed at once.
    #[arg(long, env = "FNT_MEDIUM_PARALLELISM", value_parser = clap::value_parser!(u32).range(1..), default_value_t = PlanConfig::default().medium_parallelism)]
    pub medium_parallelism: u32,
    /// Pages per chunk for large books.
    #[arg(long, env = "FNT_LARGE_CHUNK_PAGES", value_parser = clap::value_parser!(u32).range(1..), default_value_t = PlanConfig::default().large_chunk_pages)]
    pub large_chunk_pages: u32,
    /// Chunks of one large book processed at once.
    #[arg(long, env = "FNT_LARGE_PARALLELISM", value_parser = clap::value_parser!(u32).range(1..), default_value_t = PlanConfig::default().large_parallelism)]
    pub large_parallelism: u32,
    /// Pages of context given to a chunk on each side.
    #[arg(long, env = "FNT_OVERLAP_PAGES", default_value_t = PlanConfig::default().overlap_pages)]
    pub overlap_pages: u32,
    /// Log format.
    #[arg(long, env = "FNT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Gemini API key; when set, `gemini` is available and becomes the default engine.
    #[arg(long, env = "GEMINI_API_KEY", hide_env_values = true)]
    pub gemini_api_key: Option<Secret>,
    /// Gemini REST base URL (point it at `fnt-fake-gemini` to test without Google).
    #[arg(long, env = "FNT_GEMINI_BASE_URL", default_value = defaults::GEMINI_BASE_URL)]
    pub gemini_base_url: String,
    /// Models for `model_preference=speed`, in order of preference: a model Google no longer
    /// lists, or that answers 404, gives way to the next one for the whole process.
    #[arg(
        long,
        env = "FNT_GEMINI_MODELS_SPEED",
        value_delimiter = ',',
        default_value = defaults::MODELS_SPEED
    )]
    pub gemini_models_speed: Vec<String>,
    /// Models for `model_preference=balanced` (the default preference), as above.
    #[arg(
        long,
        env = "FNT_GEMINI_MODELS_BALANCED",
        value_delimiter = ',',
        default_value = defaults::MODELS_BALANCED
    )]
    pub gemini_models_balanced: Vec<String>,
    /// Models for `model_preference=quality`, as above.
    #[arg(
        long,
        env = "FNT_GEMINI_MODELS_QUALITY",
        value_delimiter = ',',
        default_value = defaults::MODELS_QUALITY
    )]
    pub gemini_models_quality: Vec<String>,
    /// How often the list of Gemini models (which exist, their token limits) is read again,
    /// in seconds.
    #[arg(long, env = "FNT_GEMINI_MODELS_REFRESH_SECS", value_parser = clap::value_parser!(u64).range(60..), default_value_t = defaults::GEMINI_MODELS_REFRESH_SECS)]
    pub gemini_models_refresh_secs: u64,
    /// Gemini requests per minute, across all jobs of this process.
    #[arg(long, env = "FNT_GEMINI_RPM", value_parser = clap::value_parser!(u32).range(1..), default_value_t = defaults::GEMINI_RPM)]
    pub gemini_rpm: u32,
    /// Gemini input tokens per minute, across all jobs of this process.
    #[arg(long, env = "FNT_GEMINI_TPM", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::GEMINI_TPM)]
    pub gemini_tpm: u64,
    /// Gemini calls in flight at once.
    #[arg(long, env = "FNT_GEMINI_CONCURRENCY", default_value_t = defaults::GEMINI_CONCURRENCY)]
    pub gemini_concurrency: usize,
    /// Time limit of one Gemini call, in seconds.
    #[arg(long, env = "FNT_GEMINI_TIMEOUT_SECS", value_parser = clap::value_parser!(u64).range(1..), default_value_t = defaults::GEMINI_TIMEOUT_SECS)]
    pub gemini_timeout_secs: u64,
    /// Output token budget of one Gemini call.
    #[arg(long, env = "FNT_GEMINI_MAX_OUTPUT_TOKENS", value_parser = clap::value_parser!(i32).range(256..), default_value_t = defaults::GEMINI_MAX_OUTPUT_TOKENS)]
    pub gemini_max_output_tokens: i32,
    /// On a daily-quota error, park chunks this many seconds instead of until the quota resets
    /// (midnight Pacific).
    #[arg(long, env = "FNT_GEMINI_QUOTA_PARK_SECS")]
    pub gemini_quota_park_secs: Option<u64>,
    /// With accounts and without `--metrics-bind`, `/metrics` on the public port answers only
    /// requests bearing this token (`Authorization: Bearer …`); without it, it is not served
    /// there at all.
    #[arg(long, env = "FNT_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,
    /// OAuth client id for the Google Sheets export (from the Google Cloud console); the export
    /// is off unless the id, the secret and the redirect URI are all set.
    #[arg(long, env = "FNT_GOOGLE_CLIENT_ID")]
    pub google_client_id: Option<String>,
    #[arg(long, env = "FNT_GOOGLE_CLIENT_SECRET", hide_env_values = true)]
    pub google_client_secret: Option<Secret>,
    /// This server's `/api/v1/google/callback` as browsers reach it, registered with the client.
    #[arg(long, env = "FNT_GOOGLE_REDIRECT_URI")]
    pub google_redirect_uri: Option<String>,
    /// Google's OAuth and Sheets endpoints on one base URL (point it at `fnt-fake-google` to
    /// test without Google).
    #[arg(long, env = "FNT_GOOGLE_BASE_URL")]
    pub google_base_url: Option<String>,
    /// Price of the speed model for the estimate: input/output dollars per million tokens.
    #[arg(long, env = "FNT_GEMINI_PRICE_SPEED", default_value = defaults::PRICE_SPEED)]
    pub gemini_price_speed: Price,
    /// Price of the balanced model, as above.
    #[arg(long, env = "FNT_GEMINI_PRICE_BALANCED", default_value = defaults::PRICE_BALANCED)]
    pub gemini_price_balanced: Price,
    /// Price of the quality model, as above.
    #[arg(long, env = "FNT_GEMINI_PRICE_QUALITY", default_value = defaults::PRICE_QUALITY)]
    pub gemini_price_quality: Price,
}

impl Config {
    /// The sandbox PDFs are read in, with this configuration's limits.
    pub fn sandbox(&self) -> crate::sandbox::Sandbox {
        crate::sandbox::Sandbox::new(
            crate::sandbox::Sandbox::default_program(self.sandbox_program.as_deref()),
            crate::sandbox::Limits {
                memory_bytes: self.sandbox_memory_mb.saturating_mul(1 << 20),
                cpu_secs: self.sandbox_cpu_secs,
                wall: std::time::Duration::from_secs(self.sandbox_wall_secs),
                file_bytes: ANSWER_FILE_BYTES,
            },
            usize::from(self.sandbox_processes),
        )
    }
}

/// Largest answer a PDF-reading child may write: a job's plan, whose chunks carry their
/// pages as base64 PDFs in PDF mode, is about a third larger than the upload.
const ANSWER_FILE_BYTES: u64 = 512 << 20;

impl Default for Config {
    fn default() -> Self {
        let plan = PlanConfig::default();
        Self {
            data_dir: PathBuf::from(defaults::DATA_DIR),
            database_url: None,
            db_max_connections: defaults::DB_MAX_CONNECTIONS,
            max_upload_mb: defaults::MAX_UPLOAD_MB,
            max_pages: defaults::MAX_PAGES,
            max_running_jobs: defaults::MAX_RUNNING_JOBS,
            max_parallel_chunks: defaults::MAX_PARALLEL_CHUNKS,
            chunk_attempts: defaults::CHUNK_ATTEMPTS,
            chunk_timeout_secs: defaults::CHUNK_TIMEOUT_SECS,
            retry_base_ms: defaults::RETRY_BASE_MS,
            retry_max_ms: defaults::RETRY_MAX_MS,
            retry_budget_secs: defaults::RETRY_BUDGET_SECS,
            clock: crate::clock::Clock::wall(),
            lease_secs: defaults::LEASE_SECS,
            poll_interval_ms: defaults::POLL_INTERVAL_MS,
            max_job_claims: defaults::MAX_JOB_CLAIMS,
            shutdown_grace_secs: defaults::SHUTDOWN_GRACE_SECS,
            upload_retention_secs: defaults::UPLOAD_RETENTION_SECS,
            sandbox_program: None,
            sandbox_memory_mb: defaults::SANDBOX_MEMORY_MB,
            sandbox_cpu_secs: defaults::SANDBOX_CPU_SECS,
            sandbox_wall_secs: defaults::SANDBOX_WALL_SECS,
            sandbox_processes: defaults::SANDBOX_PROCESSES,
            upload_memory_mb: defaults::UPLOAD_MEMORY_MB,
            auth: None,
            access_token_secs: defaults::ACCESS_TOKEN_SECS,
            refresh_token_days: defaults::REFRESH_TOKEN_DAYS,
            uploads_per_hour: None,
            jobs_per_user: None,
            auth_requests_per_minute: None,
            trust_proxy: false,
            ws_ping_interval_ms: defaults::WS_PING_INTERVAL_MS,
            ws_client_timeout_ms: defaults::WS_CLIENT_TIMEOUT_MS,
            ws_buffer_events: defaults::WS_BUFFER_EVENTS,
            socket_send_buffer: None,
            socket_stall_timeout_secs: defaults::SOCKET_STALL_TIMEOUT_SECS,
            single_chunk_max_pages: plan.single_chunk_max_pages,
            medium_max_pages: plan.medium_max_pages,
            medium_chunk_pages: plan.medium_chunk_pages,
            medium_parallelism: plan.medium_parallelism,
            large_chunk_pages: plan.large_chunk_pages,
            large_parallelism: plan.large_parallelism,
            overlap_pages: plan.overlap_pages,
            log_format: LogFormat::Human,
            gemini_api_key: None,
            gemini_base_url: defaults::GEMINI_BASE_URL.to_owned(),
            gemini_models_speed: models(defaults::MODELS_SPEED),
            gemini_models_balanced: models(defaults::MODELS_BALANCED),
            gemini_models_quality: models(defaults::MODELS_QUALITY),
            gemini_models_refresh_secs: defaults::GEMINI_MODELS_REFRESH_SECS,
            gemini_rpm: defaults::GEMINI_RPM,
            gemini_tpm: defaults::GEMINI_TPM,
            gemini_concurrency: defaults::GEMINI_CONCURRENCY,
            gemini_timeout_secs: defaults::GEMINI_TIMEOUT_SECS,
            gemini_max_output_tokens: defaults::GEMINI_MAX_OUTPUT_TOKENS,
            gemini_quota_park_secs: None,
            google_client_id: None,
            google_client_secret: None,
            metrics_token: None,
            google_redirect_uri: None,
            google_base_url: None,
            gemini_price_speed: price(defaults::PRICE_SPEED),
            gemini_price_balanced: price(defaults::PRICE_BALANCED),
            gemini_price_quality: price(defaults::PRICE_QUALITY),
        }
    }
}

impl Config {
    pub fn database(&self) -> Result<DatabaseUrl, crate::db::DbError> {
        match &self.database_url {
            Some(url) => DatabaseUrl::parse(url),
            None => Ok(DatabaseUrl::sqlite_in(&self.data_dir)),
        }
    }

    /// The limits in force in `mode`: with accounts every limit has a default; without, only
    /// what is configured applies.
    /// What sign-in runs with in `mode`.
    pub fn auth_options(&self, mode: crate::auth::AuthMode) -> AuthOptions {
        AuthOptions {
            access_token_secs: self.access_token_secs,
            refresh_token_days: self.refresh_token_days,
            limits: self.limits(mode),
        }
    }

    pub fn limits(&self, mode: crate::auth::AuthMode) -> Limits {
        let accounts = mode == crate::auth::AuthMode::Accounts;
        let default = |set: Option<u32>, value: u32| set.or(accounts.then_some(value));
        Limits {
            uploads_per_hour: default(self.uploads_per_hour, defaults::UPLOADS_PER_HOUR),
            jobs_per_user: default(self.jobs_per_user, defaults::JOBS_PER_USER),
            auth_requests_per_minute: default(
                self.auth_requests_per_minute,
                defaults::AUTH_REQUESTS_PER_MINUTE,
            ),
        }
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_mb.saturating_mul(1024 * 1024)
    }

    pub fn plan(&self) -> PlanConfig {
        PlanConfig {
            single_chunk_max_pages: self.single_chunk_max_pages,
            medium_max_pages: self.medium_max_pages,
            medium_chunk_pages: self.medium_chunk_pages,
            medium_parallelism: self.medium_parallelism,
            large_chunk_pages: self.large_chunk_pages,
            large_parallelism: self.large_parallelism,
            overlap_pages: self.overlap_pages,
        }
    }

    pub fn chunk_timeout(&self) -> Duration {
        Duration::from_secs(self.chunk_timeout_secs)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs.max(1))
    }

    /// The Google OAuth client for the Sheets export, if configured; an error for a partial
    /// configuration, which is a mistake rather than a choice.
    pub fn google(&self) -> Result<Option<GoogleConfig>, String> {
        match (
            &self.google_client_id,
            &self.google_client_secret,
            &self.google_redirect_uri,
        ) {
            (None, None, None) => Ok(None),
            (Some(id), Some(secret), Some(redirect)) => {
                let config = GoogleConfig::new(id, secret.clone(), redirect);
                Ok(Some(match &self.google_base_url {
                    Some(base) => config.with_base_url(base),
                    None => config,
                }))
            }
            _ => Err("the Google Sheets export needs --google-client-id, \
                      --google-client-secret and --google-redirect-uri together"
                .into()),
        }
    }

    /// Each preference's candidate models, in order, with the preference's price.
    pub fn gemini_preferences(&self) -> [(ModelPreference, &[String], Price); 3] {
        [
            (
                ModelPreference::Speed,
                &self.gemini_models_speed,
                self.gemini_price_speed,
            ),
            (
                ModelPreference::Balanced,
                &self.gemini_models_balanced,
                self.gemini_price_balanced,
            ),
            (
                ModelPreference::Quality,
                &self.gemini_models_quality,
                self.gemini_price_quality,
            ),
        ]
    }

    /// Every candidate model with the price of its preference (a model in two lists takes the
    /// first one's), for the cost metrics.
    pub fn model_prices(&self) -> Vec<(String, Price)> {
        let mut prices: Vec<(String, Price)> = Vec::new();
        for (_, models, price) in self.gemini_preferences() {
            for model in models {
                if !prices.iter().any(|(m, _)| m == model) {
                    prices.push((model.clone(), price));
                }
            }
        }
        prices
    }

    /// The Gemini engine's settings, when a key is configured.
    pub fn gemini(&self) -> Option<GeminiConfig> {
        let key = self.gemini_api_key.as_ref()?;
        Some(GeminiConfig {
            base_url: self.gemini_base_url.clone(),
            api_key: key.clone(),
            models_speed: self.gemini_models_speed.clone(),
            models_balanced: self.gemini_models_balanced.clone(),
            models_quality: self.gemini_models_quality.clone(),
            models_refresh: Duration::from_secs(self.gemini_models_refresh_secs),
            clock: self.clock,
            limits: RateLimits {
                requests_per_window: self.gemini_rpm,
                tokens_per_window: self.gemini_tpm,
                max_concurrent: self.gemini_concurrency.max(1),
                window: Duration::from_secs(60),
            },
            request_timeout: Duration::from_secs(self.gemini_timeout_secs),
            max_output_tokens: self.gemini_max_output_tokens,
            quota_park: self.gemini_quota_park_secs.map(Duration::from_secs),
        })
    }

    /// The engine a job uses when the upload does not name one.
    pub fn default_engine(&self) -> &'static str {
        if self.gemini_api_key.is_some() {
            crate::engine::gemini::GEMINI
        } else {
            crate::engine::LOCAL
        }
    }
}

/// `fnt serve` options.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeConfig {
    /// Address and port to listen on.
    #[arg(long, env = "FNT_BIND", default_value = defaults::BIND)]
    pub bind: SocketAddr,
    /// Serve `/metrics` on this address only, instead of on the public one (on Fly.io, the
    /// port its Prometheus scrapes over the private network).
    #[arg(long, env = "FNT_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    #[command(flatten)]
    pub core: Config,
}

/// A default model list, written as a constant above.
fn models(list: &str) -> Vec<String> {
    list.split(',').map(str::to_owned).collect()
}

/// A default price, written as a constant above and checked by a test.
fn price(text: &str) -> Price {
    text.parse().unwrap_or(Price {
        input_per_million: 0.0,
        output_per_million: 0.0,
    })
}

impl crate::engine::Engines {
    /// The built-in engines plus those the configuration enables (Gemini, with a key). Here
    /// rather than in `engine`, so that the engines take their own options and never read the
    /// configuration.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let mut engines = Self::builtin();
        if let Some(gemini) = config.gemini() {
            engines.insert(std::sync::Arc::new(
                crate::engine::gemini::GeminiEngine::new(gemini)?,
            ));
        }
        Ok(engines)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn default_prices_parse() {
        for p in [
            defaults::PRICE_SPEED,
            defaults::PRICE_BALANCED,
            defaults::PRICE_QUALITY,
        ] {
            assert!(p.parse::<Price>().is_ok(), "{p}");
        }
    }

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeConfig,
    }

    #[test]
    fn the_api_key_is_never_printed() {
        let config = Config {
            gemini_api_key: Some(Secret::new("AIza-very-secret")),
            ..Config::default()
        };
        assert!(!format!("{config:?}").contains("very-secret"));
        assert!(!format!("{:?}", config.gemini()).contains("very-secret"));
    }

    /// The PDF-reading children's limits and the upload memory budget refuse at start what
    /// would disable them (zero, an address space a process cannot start in) or is no number.
    #[test]
    fn limits_out_of_range_or_garbage_are_refused_at_start() {
        for (flag, bad) in [
            ("--sandbox-memory-mb", "0"),
            ("--sandbox-memory-mb", "63"),
            ("--sandbox-memory-mb", "abc"),
            ("--sandbox-cpu-secs", "0"),
            ("--sandbox-cpu-secs", "-1"),
            ("--sandbox-wall-secs", "0"),
            ("--sandbox-processes", "0"),
            ("--sandbox-processes", "70000"),
            ("--upload-memory-mb", "0"),
            ("--upload-memory-mb", "1e3"),
        ] {
            assert!(
                Cli::try_parse_from(["fnt", flag, bad]).is_err(),
                "{flag} {bad} was accepted"
            );
        }
        let good = Cli::try_parse_from([
            "fnt",
            "--sandbox-memory-mb",
            "64",
            "--sandbox-processes",
            "1",
        ])
        .unwrap()
        .serve
        .core;
        assert_eq!((good.sandbox_memory_mb, good.sandbox_processes), (64, 1));
    }

    #[test]
    fn hand_written_defaults_match_the_flag_defaults() {
        let parsed = Cli::parse_from(["fnt"]).serve;
        let default = Config::default();
        assert_eq!(parsed.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(format!("{:?}", parsed.core), format!("{default:?}"));
    }
}
