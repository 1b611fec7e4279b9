//! Storage: diesel + diesel-async behind one repository API.
//!
//! Every query is written once against the shared schema and compiled for each backend by
//! the `on_conn!` / `in_transaction!` macros, so a second backend is one more `Pool` arm, not
//! a second copy of the repository. Each database operation runs in its own spawned task:
//! an actor or request that is dropped half-way can then never leave a transaction open on a
//! pooled connection (which, on SQLite, would hold the write lock for everyone).

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend is configured.
/// For reads: anything that writes goes through `in_transaction!`, which takes SQLite's
/// writers in turn.
macro_rules! on_conn {
    ($db:expr, |$conn:ident| $body:block) => {{
        let pool = $db.pool.clone();
        $db.detach(async move {
            match pool {
                $crate::db::Pool::Sqlite(pool) => {
                    let mut guard = pool.get().await?;
                    let $conn = &mut *guard;
                    $body
                }
                $crate::db::Pool::Postgres(pool) => {
                    let mut guard = pool.get().await?;
                    let $conn = &mut *guard;
                    $body
                }
            }
        })
        .await
    }};
}

/// Like `on_conn!`, inside one write transaction (`BEGIN IMMEDIATE` on SQLite, so two
/// writers queue on the lock up front instead of failing when a read turns into a write;
/// PostgreSQL's default isolation elsewhere). On SQLite the writers of this process first take
/// their turn on `Db::writers`.
macro_rules! in_transaction {
    ($db:expr, |$conn:ident| $body:block) => {{
        let pool = $db.pool.clone();
        let writers = std::sync::Arc::clone(&$db.writers);
        $db.detach(async move {
            match pool {
                $crate::db::Pool::Sqlite(pool) => {
                    let _turn = writers.lock().await;
                    let mut guard = pool.get().await?;
                    guard
                        .immediate_transaction(
                            async move |$conn| -> Result<_, $crate::db::DbError> { $body },
                        )
                        .await
                }
                // Read committed: rows are locked by the statements that change them, and a
                // claim skips the rows another instance has locked.
                $crate::db::Pool::Postgres(pool) => {
                    let mut guard = pool.get().await?;
                    diesel_async::AsyncConnection::transaction(
                        &mut *guard,
                        async move |$conn| -> Result<_, $crate::db::DbError> { $body },
                    )
                    .await
                }
            }
        })
        .await
    }};
}

/// Inside a transaction: bumps the job's event sequence and stores the event describing the
/// job as it now stands. Evaluates to the event, to broadcast once the transaction commits.
/// Inside `on_conn!`/`in_transaction!`: how each chunk of job `$job_id` stands, for its ETA.
macro_rules! chunk_timings {
    ($conn:expr, $job_id:expr) => {{
        use $crate::db::schema::job_chunks;
        job_chunks::table
            .filter(job_chunks::job_id.eq($job_id))
            .select((
                job_chunks::status,
                job_chunks::started_at,
                job_chunks::duration_ms,
                job_chunks::next_attempt_at,
            ))
            .load::<(String, Option<i64>, i64, Option<i64>)>($conn)
            .await?
            .into_iter()
            .map(
                |(status, started_at, duration_ms, next_attempt_at)| $crate::events::ChunkTiming {
                    status,
                    started_at,
                    duration_ms,
                    next_attempt_at,
                },
            )
            .collect::<Vec<_>>()
    }};
}

macro_rules! append_event {
    ($conn:expr, $job_id:expr, $chunk:expr) => {{
        let row: $crate::db::models::JobRow = diesel::update(
            $crate::db::schema::jobs::table.filter($crate::db::schema::jobs::id.eq($job_id)),
        )
        .set($crate::db::schema::jobs::event_seq.eq($crate::db::schema::jobs::event_seq + 1))
        .returning($crate::db::models::JobRow::as_returning())
        .get_result($conn)
        .await?;
        // Only a running job has an ETA, and only it needs its chunks' times.
        let timings = if row.status == $crate::lifecycle::JobStatus::Running {
            chunk_timings!($conn, &row.id)
        } else {
            Vec::new()
        };
        let (event, stored) = $crate::db::events::StoredEvent::of(&row, $chunk, &timings)?;
        diesel::insert_into($crate::db::schema::job_events::table)
            .values(&stored)
            .execute($conn)
            .await?;
        $crate::db::Dialect::announce(
            $conn,
            $crate::db::notify::EVENTS_CHANNEL,
            &$crate::db::notify::event_payload(&stored.payload, &row.id, row.event_seq),
        )
        .await?;
        event
    }};
}

/// Inside `on_conn!`/`in_transaction!` (ending in `await`), or on a synchronous SQLite
/// connection: the owner's admission under `quota`, decided by `lifecycle::admission` from what
/// the owner has running and uploaded this hour.
macro_rules! admission {
    ($conn:expr, $owner:expr, $quota:expr, $pending:expr $(, $aw:tt)?) => {{
        use $crate::lifecycle::admission::{self, Admission};
        use $crate::db::schema::jobs;
        let quota: $crate::lifecycle::admission::Quota = $quota;
        // Uploads of the owner still being received: jobs (and uploads) in a moment.
        let pending: usize = $pending;
        let mut admission = Admission::Admitted;
        if quota.active_jobs.is_some() {
            let active: i64 = jobs::table
                .filter(jobs::owner_id.eq($owner))
                .filter(jobs::status.eq_any([
                    $crate::lifecycle::JobStatus::Queued,
                    $crate::lifecycle::JobStatus::Running,
                ]))
                .count()
                .get_result($conn)
                $(.$aw)??;
            let pending_jobs = i64::try_from(pending).unwrap_or(i64::MAX);
            admission = admission::by_active_jobs(quota, active.saturating_add(pending_jobs));
        }
        if admission == Admission::Admitted && quota.uploads_per_hour.is_some() {
            let now = $crate::db::now_ms();
            let mut recent: Vec<i64> = jobs::table
                .filter(jobs::owner_id.eq($owner))
                .filter(jobs::created_at.gt(now - admission::HOUR_MS))
                .order(jobs::created_at.asc())
                .select(jobs::created_at)
                .load($conn)
                $(.$aw)??;
            recent.extend(std::iter::repeat_n(now, pending));
            admission = admission::by_recent_uploads(quota, &recent, now);
        }
        admission
    }};
}

/// Inside a transaction: tells idle instances that a job can be claimed (at commit).
macro_rules! announce_job_ready {
    ($conn:expr) => {
        $crate::db::Dialect::announce($conn, $crate::db::notify::JOBS_CHANNEL, "").await?
    };
}

pub(crate) mod cache;
pub(crate) mod chunks;
pub(crate) mod events;
pub(crate) mod google;
pub(crate) mod history;
pub mod jobs;
pub mod models;
mod new_jobs;
mod notify;
pub(crate) mod pdf_files;
pub(crate) mod schema;
pub(crate) mod sessions;
pub mod stats;
pub(crate) mod uploads;
pub use uploads::StoredPdf;
pub(crate) mod user_settings;
pub(crate) mod users;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryResult, RunQueryDsl as _};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::Pool as DeadPool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::FutureExt;
use tokio::sync::broadcast;

use events::EventFeed;
use sessions::SessionFeed;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The id of the built-in local user (seeded by the first migration).
pub const LOCAL_USER_ID: &str = "00000000-0000-0000-0000-000000000001";

pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database connection unavailable: {0}")]
    Pool(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("stored data could not be decoded: {0}")]
    Decode(String),
    #[error("database task failed: {0}")]
    Task(String),
    #[error("invalid database url: {0}")]
    Url(String),
    #[error("migrations failed: {0}")]
    Migration(String),
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for DbError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Self::Pool(e.to_string())
    }
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(DeadPool<SqliteConn>),
    Postgres(DeadPool<AsyncPgConnection>),
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: Pool,
    runtime: Arc<DbRuntime>,
    /// Job events, after the transaction that stored them commits. On PostgreSQL they arrive
    /// through LISTEN/NOTIFY, from every instance (this one included), in commit order.
    events: broadcast::Sender<EventFeed>,
    /// A job became claimable (queued, re-queued or released), here or on another instance.
    jobs_ready: broadcast::Sender<()>,
    /// Sign-in sessions that ended (logout, revocation), here or on another instance.
    sessions_ended: broadcast::Sender<SessionFeed>,
    /// SQLite writes one transaction at a time. Writers of this process wait their turn here,
    /// in order, and are woken the moment the previous one commits; left to SQLite's busy
    /// handler they would sleep and poll, for up to 100 ms a round under load.
    writers: Arc<tokio::sync::Mutex<()>>,
    /// SQLite: new jobs waiting for the writers' turn, stored together by whoever gets it.
    new_jobs: Arc<new_jobs::NewJobs>,
    /// Counts the metric of each transition this process makes (see `lifecycle::transition`).
    /// Set once by whoever owns the metrics, which themselves read the database.
    counter: Arc<std::sync::OnceLock<Counter>>,
    /// Where a SQLite database keeps its jobs' PDFs; PostgreSQL keeps them in a table.
    pdf_files: Option<Arc<pdf_files::PdfFiles>>,
}

type Counter = Box<dyn Fn(crate::lifecycle::transition::Metric, std::time::Duration) + Send + Sync>;

/// Live events buffered per listener; one that falls further behind replays from the table.
const EVENT_BUFFER: usize = 1024;

/// The runtime every database operation runs on. Dropped from async code too, so it shuts
/// down in the background instead of blocking (which tokio forbids there).
struct DbRuntime(Option<tokio::runtime::Runtime>);

impl Drop for DbRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Where the database lives, parsed from `DATABASE_URL` or derived from the data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(DbError::Url("sqlite url has no file path".into()));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.contains("://") {
            return Err(DbError::Url(format!(
                "unsupported database scheme in '{}': use sqlite://PATH or postgres://…",
                url.split("://").next().unwrap_or_default()
            )));
        }
        Ok(Self::Sqlite(PathBuf::from(url)))
    }

    pub fn sqlite_in(data_dir: &Path) -> Self {
        Self::Sqlite(data_dir.join("fnt.sqlite3"))
    }
}

impl Db {
    /// Opens the database, creating it if needed (SQLite), and runs pending migrations.
    pub async fn connect(url: &DatabaseUrl, max_connections: usize) -> Result<Self, DbError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(max_connections.max(1) + 2)
            .thread_name("fnt-db")
            .enable_all()
            .build()
            .map_err(|e| DbError::Task(e.to_string()))?;
        // Owned by the guard from here: a failure below drops it inside async code, where a
        // plain runtime's drop would panic and hide the error.
        let guard = DbRuntime(Some(runtime));
        let runtime = guard
            .0
            .as_ref()
            .ok_or_else(|| DbError::Task("no runtime".into()))?;
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let (jobs_ready, _) = broadcast::channel(16);
        let (sessions_ended, _) = broadcast::channel(64);
        let mut kept_pdfs = None;
        let pool = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        DbError::Url(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let files = pdf_files::PdfFiles::beside(path).map_err(|e| {
                    DbError::Url(format!(
                        "cannot create the PDFs' directory beside {}: {e}",
                        path.display()
                    ))
                })?;
                kept_pdfs = Some(Arc::new(files));
                let path = path.to_string_lossy().into_owned();
                let migrate_path = path.clone();
                runtime
                    .spawn_blocking(move || migrate_sqlite(&migrate_path))
                    .await
                    .map_err(|e| DbError::Task(e.to_string()))??;
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.custom_setup = Box::new(|url| {
                    async move {
                        let mut conn = SqliteConn::establish(url).await?;
                        conn.batch_execute(SQLITE_PRAGMAS)
                            .await
                            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                        Ok(conn)
                    }
                    .boxed()
                });
                let manager = AsyncDieselConnectionManager::new_with_config(path, config);
                let pool = DeadPool::builder(manager)
                    .max_size(max_connections.max(1))
                    .build()
                    .map_err(|e| DbError::Pool(e.to_string()))?;
                let weak = pool.weak();
                runtime.spawn(async move {
                    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tick.tick().await;
                        // Ends with the pool, that is with the last handle on the database.
                        let Some(pool) = weak.upgrade() else {
                            return;
                        };
                        checkpoint_sqlite(&pool).await;
                    }
                });
                Pool::Sqlite(pool)
            }
            DatabaseUrl::Postgres(url) => {
                let migrate_url = url.clone();
                runtime
                    .spawn_blocking(move || migrate_postgres(&migrate_url))
                    .await
                    .map_err(|e| DbError::Task(e.to_string()))??;
                let (listening, ready) = tokio::sync::oneshot::channel();
                runtime.spawn(notify::listen(
                    url.clone(),
                    events.clone(),
                    jobs_ready.clone(),
                    sessions_ended.clone(),
                    listening,
                ));
                // Serving before the relay listens would miss the first events live.
                tokio::time::timeout(std::time::Duration::from_secs(15), ready)
                    .await
                    .map_err(|_| DbError::Pool("LISTEN did not start within 15 s".into()))?
                    .map_err(|_| DbError::Task("the LISTEN task ended".into()))?;
                let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
                Pool::Postgres(
                    DeadPool::builder(manager)
                        .max_size(max_connections.max(1))
                        .build()
                        .map_err(|e| DbError::Pool(e.to_string()))?,
                )
            }
        };
        let db = Self {
            pool,
            runtime: Arc::new(guard),
            events,
            jobs_ready,
            sessions_ended,
            writers: Arc::new(tokio::sync::Mutex::new(())),
            new_jobs: Arc::default(),
            counter: Arc::new(std::sync::OnceLock::new()),
            pdf_files: kept_pdfs,
        };
        db.ping().await?;
        Ok(db)
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// Runs a database future to completion on the database runtime, whatever happens to
    /// the caller in the meantime.
    pub(crate) async fn detach<T, F>(&self, fut: F) -> Result<T, DbError>
    where
        F: std::future::Future<Output = Result<T, DbError>> + Send + 'static,
        T: Send + 'static,
    {
        let handle = match &self.runtime.0 {
            Some(runtime) => runtime.spawn(fut),
            None => return Err(DbError::Task("the database runtime is shut down".into())),
        };
        handle.await.map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Checks that a connection can be had and answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        on_conn!(self, |conn| {
            conn.batch_execute("SELECT 1").await?;
            Ok(())
        })
    }

    /// Wakes up when a job may be waiting to be claimed.
    pub fn subscribe_job_wakeups(&self) -> broadcast::Receiver<()> {
        self.jobs_ready.subscribe()
    }

    /// Has `count` told of each transition's metric from now on (the first call wins: one
    /// process has one set of metrics).
    pub fn count_transitions_with(
        &self,
        count: impl Fn(crate::lifecycle::transition::Metric, std::time::Duration)
        + Send
        + Sync
        + 'static,
    ) {
        let _ = self.counter.set(Box::new(count));
    }

    pub(crate) fn count(
        &self,
        metric: crate::lifecycle::transition::Metric,
        took: std::time::Duration,
    ) {
        if let Some(count) = self.counter.get() {
            count(metric, took);
        }
    }

    /// After a commit that made a job claimable. On PostgreSQL the commit's NOTIFY also reaches
    /// this instance; waking twice costs one empty claim.
    pub(crate) fn jobs_ready(&self) {
        let _ = self.jobs_ready.send(());
    }
}

// busy_timeout first: it makes every later statement (the journal-mode switch included) queue
// behind another connection's lock instead of failing at once. WAL lets readers proceed while a
// writer commits; foreign keys are off by default in SQLite and the schema relies on cascades.
// Checkpoints: by default the commit that takes the WAL past 1,000 pages copies it into the
// database and syncs it, 10-20 ms spent inside a job's transaction (the one storing a book's
// sentences, often) before its progress event can go out. `checkpoint_sqlite` does that work
// in the background instead; the much higher automatic threshold only bounds the WAL should
// it fall behind.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 20000;";

/// How often the background checkpoint runs.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Copies committed WAL pages into the database file, without waiting for readers or
/// writers (PASSIVE).
async fn checkpoint_sqlite(pool: &DeadPool<SqliteConn>) {
    let Ok(mut conn) = pool.get().await else {
        return;
    };
    if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)").await {
        tracing::debug!(error = %e, "WAL checkpoint failed; the next one retries");
    }
}

fn migrate_sqlite(path: &str) -> Result<(), DbError> {
    let mut conn = SqliteConnection::establish(path)
        .map_err(|e| DbError::Pool(format!("cannot open {path}: {e}")))?;
    diesel::connection::SimpleConnection::batch_execute(&mut conn, SQLITE_PRAGMAS)?;
    conn.run_pending_migrations(SQLITE_MIGRATIONS)
        .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(())
}

/// Instances starting together take turns: the first migrates, the others find nothing to do.
const MIGRATION_LOCK: i64 = 0x0066_6e74_5f6d_6967;

fn migrate_postgres(url: &str) -> Result<(), DbError> {
    let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(url)
        .map_err(|e| DbError::Pool(format!("cannot connect to PostgreSQL: {e}")))?;
    diesel::connection::SimpleConnection::batch_execute(
        &mut conn,
        &format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"),
    )?;
    let migrated = conn
        .run_pending_migrations(POSTGRES_MIGRATIONS)
        .map(|_| ())
        .map_err(|e| DbError::Migration(e.to_string()));
    diesel::connection::SimpleConnection::batch_execute(
        &mut conn,
        &format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"),
    )?;
    migrated
}

/// What the two backends do differently, behind one interface the repository calls inside
/// its shared queries.
pub(crate) trait Dialect {
    async fn insert_sources(&mut self, rows: Vec<models::SourceRow>) -> QueryResult<()>;
    async fn insert_pieces(&mut self, rows: Vec<models::PieceRow>) -> QueryResult<()>;
    async fn insert_chunks(&mut self, rows: Vec<models::NewChunk>) -> QueryResult<()>;
    /// The oldest job that may be claimed at `now`, locked for the transaction where the
    /// backend can lock rows (PostgreSQL skips rows another instance is claiming).
    async fn claimable_job(&mut self, now: i64) -> QueryResult<Option<String>>;
    /// Tells the other instances, at commit (PostgreSQL NOTIFY). SQLite serves one process.
    async fn announce(&mut self, channel: &str, payload: &str) -> QueryResult<()>;
    /// Serialises the transactions that count and add one owner's jobs (SQLite's
    /// `BEGIN IMMEDIATE` already serialises every writer).
    async fn lock_owner(&mut self, owner: &str) -> QueryResult<()>;
}

// SQLite allows 32766 bound parameters per statement, PostgreSQL 65535; 1000 rows of at most
// 10 columns fit both.
const ROWS_PER_INSERT: usize = 1000;

impl Dialect for SqliteConn {
    // Diesel's SQLite batch insert exists only on the synchronous connection.
    async fn insert_sources(&mut self, rows: Vec<models::SourceRow>) -> QueryResult<()> {
        self.spawn_blocking(move |conn| {
            for batch in rows.chunks(ROWS_PER_INSERT) {
                diesel::insert_into(schema::source_sentences::table)
                    .values(batch)
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn insert_pieces(&mut self, rows: Vec<models::PieceRow>) -> QueryResult<()> {
        self.spawn_blocking(move |conn| {
            for batch in rows.chunks(ROWS_PER_INSERT) {
                diesel::insert_into(schema::pieces::table)
                    .values(batch)
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn insert_chunks(&mut self, rows: Vec<models::NewChunk>) -> QueryResult<()> {
        self.spawn_blocking(move |conn| {
            for batch in rows.chunks(ROWS_PER_INSERT) {
                diesel::insert_into(schema::job_chunks::table)
                    .values(batch)
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn claimable_job(&mut self, now: i64) -> QueryResult<Option<String>> {
        use diesel::OptionalExtension;
        // BEGIN IMMEDIATE already holds the write lock: no other claim runs meanwhile.
        diesel_async::RunQueryDsl::first(jobs::claimable(now), self)
            .await
            .optional()
    }

    async fn announce(&mut self, _channel: &str, _payload: &str) -> QueryResult<()> {
        Ok(())
    }

    async fn lock_owner(&mut self, _owner: &str) -> QueryResult<()> {
        Ok(())
    }
}

impl Dialect for AsyncPgConnection {
    async fn insert_sources(&mut self, rows: Vec<models::SourceRow>) -> QueryResult<()> {
        for batch in rows.chunks(ROWS_PER_INSERT) {
            let insert = diesel::insert_into(schema::source_sentences::table).values(batch);
            diesel_async::RunQueryDsl::execute(insert, self).await?;
        }
        Ok(())
    }

    async fn insert_pieces(&mut self, rows: Vec<models::PieceRow>) -> QueryResult<()> {
        for batch in rows.chunks(ROWS_PER_INSERT) {
            let insert = diesel::insert_into(schema::pieces::table).values(batch);
            diesel_async::RunQueryDsl::execute(insert, self).await?;
        }
        Ok(())
    }

    async fn insert_chunks(&mut self, rows: Vec<models::NewChunk>) -> QueryResult<()> {
        for batch in rows.chunks(ROWS_PER_INSERT) {
            let insert = diesel::insert_into(schema::job_chunks::table).values(batch);
            diesel_async::RunQueryDsl::execute(insert, self).await?;
        }
        Ok(())
    }

    async fn claimable_job(&mut self, now: i64) -> QueryResult<Option<String>> {
        use diesel::OptionalExtension;
        use diesel::QueryDsl;
        let query = jobs::claimable(now).for_update().skip_locked();
        diesel_async::RunQueryDsl::first(query, self)
            .await
            .optional()
    }

    async fn announce(&mut self, channel: &str, payload: &str) -> QueryResult<()> {
        use diesel::sql_types::Text;
        let notify = diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(channel)
            .bind::<Text, _>(payload);
        diesel_async::RunQueryDsl::execute(notify, self)
            .await
            .map(|_| ())
    }

    async fn lock_owner(&mut self, owner: &str) -> QueryResult<()> {
        use diesel::sql_types::Text;
        let lock =
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))").bind::<Text, _>(owner);
        diesel_async::RunQueryDsl::execute(lock, self)
            .await
            .map(|_| ())
    }
}

/// Current time as stored in the database: unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_checkpoints_in_the_background_not_in_commits() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&DatabaseUrl::sqlite_in(dir.path()), 2)
            .await
            .unwrap();
        let file = dir.path().join("fnt.sqlite3");
        let before = std::fs::metadata(&file).unwrap().len();
        // About 5 MB in one commit: past the 1,000 pages at which SQLite would checkpoint
        // inside it by default.
        let threshold: i64 = on_conn!(db, |conn| {
            conn.batch_execute(
                "CREATE TABLE bulk(x BLOB); \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600) \
                 INSERT INTO bulk SELECT randomblob(8192) FROM n;",
            )
            .await?;
            #[derive(diesel::QueryableByName)]
            struct Setting {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                wal_autocheckpoint: i64,
            }
            let setting: Setting = diesel_async::RunQueryDsl::get_result(
                diesel::sql_query("PRAGMA wal_autocheckpoint"),
                conn,
            )
            .await?;
            Ok::<_, DbError>(setting.wal_autocheckpoint)
        })
        .unwrap();
        assert_eq!(threshold, 20_000);
        // The background checkpoint moves the pages into the database file.
        let mut grown = 0;
        for _ in 0..100 {
            grown = std::fs::metadata(&file).unwrap().len() - before;
            if grown > 4_000_000 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(grown > 4_000_000, "the database file grew by {grown} bytes");
    }

    #[tokio::test]
    async fn sqlite_writers_take_turns_in_the_order_they_came() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&DatabaseUrl::sqlite_in(dir.path()), 8)
            .await
            .unwrap();
        on_conn!(db, |conn| {
            conn.batch_execute("CREATE TABLE turns(name TEXT)").await?;
            Ok::<_, DbError>(())
        })
        .unwrap();
        let insert = |db: Db, name: &'static str| async move {
            in_transaction!(db, |conn| {
                conn.batch_execute(&format!("INSERT INTO turns VALUES ('{name}')"))
                    .await?;
                Ok::<_, DbError>(())
            })
        };
        // The first writer holds SQLite's write lock until told to commit. Left to SQLite's
        // busy handler, the writers queued behind it would each wake on their own backoff
        // schedule, and the last to come would be first to retry.
        let (held_tx, held) = tokio::sync::oneshot::channel::<()>();
        let (release, hold) = tokio::sync::oneshot::channel::<()>();
        let first = tokio::spawn({
            let db = db.clone();
            async move {
                in_transaction!(db, |conn| {
                    conn.batch_execute("INSERT INTO turns VALUES ('a')").await?;
                    let _ = held_tx.send(());
                    let _ = hold.await;
                    Ok::<_, DbError>(())
                })
            }
        });
        held.await.unwrap();
        let mut waiting = Vec::new();
        for name in ["b", "c", "d", "e"] {
            waiting.push(tokio::spawn(insert(db.clone(), name)));
            // Let each arrive before the next.
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        }
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        for writer in waiting {
            writer.await.unwrap().unwrap();
        }
        let order: Vec<String> = on_conn!(db, |conn| {
            #[derive(diesel::QueryableByName)]
            struct Turn {
                #[diesel(sql_type = diesel::sql_types::Text)]
                name: String,
            }
            let turns: Vec<Turn> = diesel_async::RunQueryDsl::load(
                diesel::sql_query("SELECT name FROM turns ORDER BY rowid"),
                conn,
            )
            .await?;
            Ok::<_, DbError>(turns.into_iter().map(|t| t.name).collect())
        })
        .unwrap();
        assert_eq!(order, ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn database_urls_are_parsed() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("/tmp/y.sqlite3").unwrap(),
            DatabaseUrl::Sqlite("/tmp/y.sqlite3".into())
        );
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        for url in [
            "postgres://postgres@127.0.0.1/fnt",
            "postgresql://u:p@db:5432/fnt",
        ] {
            assert_eq!(
                DatabaseUrl::parse(url).unwrap(),
                DatabaseUrl::Postgres(url.into())
            );
        }
        assert!(DatabaseUrl::parse("mysql://root@localhost/x").is_err());
    }
}
