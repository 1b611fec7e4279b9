//! The job runtime: one `JobSupervisor` per process, a `JobActor` per running job, and
//! supervised `ChunkActor`s that rewrite the chunks.

pub mod chunk;
pub mod hub;
pub mod job;
pub(crate) mod messages;
pub(crate) mod outbox;
pub(crate) mod retry;
pub(crate) mod subscription;
pub(crate) mod supervisor;
pub(crate) mod ws_protocol;
pub(crate) mod ws_session;

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::Config;
use crate::db::Db;
use crate::engine::Engines;
use crate::metrics::Metrics;

/// What every actor of the runtime shares.
pub struct Deps {
    pub db: Db,
    pub engines: Engines,
    pub config: Arc<Config>,
    /// This process's name in job leases.
    pub worker_id: String,
    /// The global cap on chunks being rewritten at once, across all jobs.
    pub chunk_permits: Arc<Semaphore>,
    pub metrics: Arc<Metrics>,
    /// Where jobs read their books (shared with the upload's checks).
    pub sandbox: crate::sandbox::Sandbox,
}

impl Deps {
    pub fn new(
        db: Db,
        engines: Engines,
        config: Arc<Config>,
        metrics: Arc<Metrics>,
        sandbox: crate::sandbox::Sandbox,
    ) -> Arc<Self> {
        Arc::new(Self {
            chunk_permits: Arc::new(Semaphore::new(config.max_parallel_chunks.max(1))),
            worker_id: format!("worker-{}", uuid::Uuid::new_v4()),
            db,
            engines,
            config,
            metrics,
            sandbox,
        })
    }
}
