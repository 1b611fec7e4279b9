//! Storage: diesel + diesel-async behind one repository API.
//!
//! Every query is written once against the shared schema and compiled for each backend by
//! the `on_conn!` / `in_transaction!` macros, so a second backend is one more `Pool` arm, not
//! a second copy of the repository. Each database operation runs in its own spawned task:
//! an actor or request that is dropped half-way can then never leave a transaction open on a
//! pooled connection (which, on SQLite, would hold the write lock for everyone).

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend is configured.
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
/// PostgreSQL's default isolation elsewhere).
macro_rules! in_transaction {
    ($db:expr, |$conn:ident| $body:block) => {{
        let pool = $db.pool.clone();
        $db.detach(async move {
            match pool {
                $crate::db::Pool::Sqlite(pool) => {
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
macro_rules! append_event {
    ($conn:expr, $job_id:expr, $chunk:expr) => {{
        let row: $crate::db::models::JobRow = diesel::update(
            $crate::db::schema::jobs::table.filter($crate::db::schema::jobs::id.eq($job_id)),
        )
        .set($crate::db::schema::jobs::event_seq.eq($crate::db::schema::jobs::event_seq + 1))
        .returning($crate::db::models::JobRow::as_returning())
        .get_result($conn)
        .await?;
        let at = chrono::Utc::now();
        let now = at.timestamp_millis();
        let event = $crate::events::JobEvent::from_row(&row, $chunk, at);
        let payload = serde_json::to_string(&event)
            .map_err(|e| $crate::db::DbError::Decode(e.to_string()))?;
        diesel::insert_into($crate::db::schema::job_events::table)
            .values((
                $crate::db::schema::job_events::job_id.eq(&row.id),
                $crate::db::schema::job_events::seq.eq(row.event_seq),
                $crate::db::schema::job_events::payload.eq(&payload),
                $crate::db::schema::job_events::created_at.eq(now),
            ))
            .execute($conn)
            .await?;
        $crate::db::Dialect::announce(
            $conn,
            $crate::db::notify::EVENTS_CHANNEL,
            &$crate::db::notify::event_payload(&payload, &row.id, row.event_seq),
        )
        .await?;
        event
    }};
}

/// Inside a transaction: tells idle instances that a job can be claimed (at commit).
macro_rules! announce_job_ready {
    ($conn:expr) => {
        $crate::db::Dialect::announce($conn, $crate::db::notify::JOBS_CHANNEL, "").await?
    };
}

pub mod cache;
pub mod chunks;
pub mod events;
pub mod google;
pub mod history;
pub mod jobs;
pub mod models;
mod notify;
pub mod schema;
pub mod sessions;
pub mod stats;
pub mod uploads;
pub mod user_settings;
pub mod users;

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
}

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
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let (jobs_ready, _) = broadcast::channel(16);
        let pool = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        DbError::Url(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
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
                Pool::Sqlite(
                    DeadPool::builder(manager)
                        .max_size(max_connections.max(1))
                        .build()
                        .map_err(|e| DbError::Pool(e.to_string()))?,
                )
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
            runtime: Arc::new(DbRuntime(Some(runtime))),
            events,
            jobs_ready,
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

    /// After a commit that made a job claimable. On PostgreSQL the commit's NOTIFY also reaches
    /// this instance; waking twice costs one empty claim.
    pub(crate) fn jobs_ready(&self) {
        let _ = self.jobs_ready.send(());
    }
}

// busy_timeout first: it makes every later statement (the journal-mode switch included) queue
// behind another connection's lock instead of failing at once. WAL lets readers proceed while a
// writer commits; foreign keys are off by default in SQLite and the schema relies on cascades.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

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
    async fn insert_sentences(&mut self, rows: Vec<models::SentenceRow>) -> QueryResult<()>;
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
// 7 columns fit both.
const ROWS_PER_INSERT: usize = 1000;

impl Dialect for SqliteConn {
    // Diesel's SQLite batch insert exists only on the synchronous connection.
    async fn insert_sentences(&mut self, rows: Vec<models::SentenceRow>) -> QueryResult<()> {
        self.spawn_blocking(move |conn| {
            for batch in rows.chunks(ROWS_PER_INSERT) {
                diesel::insert_into(schema::sentences::table)
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
    async fn insert_sentences(&mut self, rows: Vec<models::SentenceRow>) -> QueryResult<()> {
        for batch in rows.chunks(ROWS_PER_INSERT) {
            let insert = diesel::insert_into(schema::sentences::table).values(batch);
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
