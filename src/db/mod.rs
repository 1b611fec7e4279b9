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
            }
        })
        .await
    }};
}

/// Like `on_conn!`, inside one write transaction (`BEGIN IMMEDIATE` on SQLite, so two
/// writers queue on the lock up front instead of failing when a read turns into a write).
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
                $crate::db::schema::job_events::payload.eq(payload),
                $crate::db::schema::job_events::created_at.eq(now),
            ))
            .execute($conn)
            .await?;
        event
    }};
}

pub mod cache;
pub mod chunks;
pub mod events;
pub mod history;
pub mod jobs;
pub mod models;
pub mod schema;
pub mod users;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryResult, RunQueryDsl as _};
use diesel_async::pooled_connection::deadpool::Pool as DeadPool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::FutureExt;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

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
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: Pool,
    runtime: Arc<DbRuntime>,
    /// Job events, sent after the transaction that stored them commits.
    events: tokio::sync::broadcast::Sender<crate::events::JobEvent>,
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
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, DbError> {
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
                "unsupported database scheme in '{}': use sqlite://PATH",
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
    /// Opens the database, creating it if needed, and runs pending migrations.
    pub async fn connect(url: &DatabaseUrl, max_connections: usize) -> Result<Self, DbError> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        DbError::Url(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let path = path.to_string_lossy().into_owned();
                let migrate_path = path.clone();
                tokio::task::spawn_blocking(move || migrate_sqlite(&migrate_path))
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
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .max_blocking_threads(max_connections.max(1) + 2)
                    .thread_name("fnt-db")
                    .enable_all()
                    .build()
                    .map_err(|e| DbError::Task(e.to_string()))?;
                let manager = AsyncDieselConnectionManager::new_with_config(path, config);
                let pool = DeadPool::builder(manager)
                    .max_size(max_connections.max(1))
                    .build()
                    .map_err(|e| DbError::Pool(e.to_string()))?;
                let db = Self {
                    pool: Pool::Sqlite(pool),
                    runtime: Arc::new(DbRuntime(Some(runtime))),
                    events: tokio::sync::broadcast::channel(EVENT_BUFFER).0,
                };
                db.ping().await?;
                Ok(db)
            }
        }
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

/// Multi-row inserts. Diesel's SQLite batch insert exists only on the synchronous connection,
/// so on SQLite it runs on the wrapped one; a backend that batches natively implements this
/// with a plain async insert.
pub(crate) trait BatchInsert {
    async fn insert_sentences(&mut self, rows: Vec<models::SentenceRow>) -> QueryResult<()>;
    async fn insert_chunks(&mut self, rows: Vec<models::NewChunk>) -> QueryResult<()>;
}

// SQLite allows 32766 bound parameters per statement; 1000 rows of at most 7 columns fit.
const ROWS_PER_INSERT: usize = 1000;

impl BatchInsert for SqliteConn {
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
        assert!(DatabaseUrl::parse("mysql://root@localhost/x").is_err());
    }
}
