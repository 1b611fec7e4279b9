//! `Core`: the running service without its HTTP face: configuration, database, engines and the
//! job supervisor. `fnt serve` puts the HTTP API in front of it; `fnt process` uses it directly.

use std::sync::Arc;

use actix::{Actor, Addr, Arbiter};

use crate::actors::Deps;
use crate::actors::hub::ProgressHub;
use crate::actors::messages::{CancelJob, Drain, Wake};
use crate::actors::supervisor::JobSupervisor;
use crate::config::Config;
use crate::db::Db;
use crate::engine::Engines;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct Core {
    pub config: Arc<Config>,
    pub db: Db,
    pub engines: Engines,
    /// Routes committed job events to the WebSocket sessions and SSE streams following them.
    pub hub: Addr<ProgressHub>,
    pub metrics: Arc<Metrics>,
    /// Where uploads are checked, books read and estimates measured, one child process each.
    pub sandbox: crate::sandbox::Sandbox,
    /// The uploads' bytes held in memory at once.
    pub(crate) upload_memory: crate::upload_memory::UploadMemory,
    supervisor: Addr<JobSupervisor>,
    arbiter: actix::ArbiterHandle,
}

impl Core {
    /// Opens the database (running migrations), prepares the data directory and starts the
    /// job supervisor on an arbiter of its own. Must run inside an actix system.
    pub async fn start(config: Config, engines: Engines) -> anyhow::Result<Self> {
        let config = Arc::new(config);
        let uploads = config.uploads_dir();
        tokio::fs::create_dir_all(&uploads).await?;
        remove_stale_parts(&uploads).await;
        let db = Db::connect(&config.database()?, config.db_max_connections).await?;
        let metrics = Arc::new(Metrics::new(config.model_prices())?);
        let counted = Arc::clone(&metrics);
        db.count_transitions_with(move |metric, took| counted.count(metric, took));
        check_engines(&engines, config.clock).await?;
        let engines = engines.with_cache(Arc::new(db.clone()), &metrics);
        let sandbox = config.sandbox();
        let deps = Deps::new(
            db.clone(),
            engines.clone(),
            Arc::clone(&config),
            Arc::clone(&metrics),
            sandbox.clone(),
        );
        let (supervisor, arbiter): (_, Arbiter) = JobSupervisor::start_on_own_arbiter(deps);
        // On an arbiter of its own: listeners keep their progress when the workers halt.
        let hub_arbiter = Arbiter::new();
        let hub_db = db.clone();
        let hub =
            ProgressHub::start_in_arbiter(&hub_arbiter.handle(), move |_| ProgressHub::new(hub_db));
        let upload_memory = crate::upload_memory::UploadMemory::new(config.upload_memory_mb);
        Ok(Self {
            config,
            db,
            engines,
            hub,
            metrics,
            sandbox,
            upload_memory,
            supervisor,
            arbiter: arbiter.handle(),
        })
    }

    /// Settings for a new job before the upload's own fields are applied.
    pub fn default_settings(&self) -> crate::settings::Settings {
        crate::settings::Settings {
            engine: self.config.default_engine().to_owned(),
            ..Default::default()
        }
    }

    /// The settings a new job of `user` starts from: the ones they saved, or the server's
    /// defaults. A saved engine this server no longer runs gives way to the default one.
    pub async fn settings_for(
        &self,
        user: &str,
    ) -> Result<crate::settings::Settings, crate::db::DbError> {
        let defaults = self.default_settings();
        let Some(stored) = self.db.saved_settings(user).await? else {
            return Ok(defaults);
        };
        let Some(mut saved) = stored.into_settings() else {
            tracing::warn!(user, "saved settings unreadable; using the defaults");
            return Ok(defaults);
        };
        if !self.engines.names().contains(&saved.engine.as_str()) {
            saved.engine = defaults.engine;
        }
        if saved.input_mode == crate::settings::InputMode::Pdf
            && !self
                .engines
                .get(&saved.engine)
                .is_some_and(|e| e.reads_pdf())
        {
            saved.input_mode = crate::settings::InputMode::Text;
        }
        Ok(saved)
    }

    pub fn wake_workers(&self) {
        self.supervisor.do_send(Wake);
    }

    pub fn cancel_running(&self, job_id: &str) {
        self.supervisor.do_send(CancelJob {
            job_id: job_id.to_owned(),
        });
    }

    /// Stops claiming jobs and lets the running ones finish their chunks in flight within the
    /// grace period; whatever is left is handed back for another instance (or the next start)
    /// to resume. Returns once this process holds no job.
    pub async fn drain(&self) {
        let grace = std::time::Duration::from_secs(self.config.shutdown_grace_secs);
        if let Err(e) = self.supervisor.send(Drain { grace }).await {
            tracing::error!(error = %e, "the job supervisor is gone; leases expire on their own");
        }
    }

    /// Stops the supervisor's arbiter, and with it every job and chunk actor of this process,
    /// at once and without any clean-up: what a crash looks like to the database.
    pub fn halt_workers(&self) {
        self.arbiter.stop();
    }
}

/// Uploads interrupted by a crash leave `.part` files behind; no job refers to them.
async fn remove_stale_parts(dir: &std::path::Path) {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        if entry.file_name().to_string_lossy().ends_with(".part") {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
}

/// Each engine's view of the world outside (Gemini: which models exist) is read once before
/// any job runs, and a failure says why the service cannot start; then again in the background.
async fn check_engines(engines: &Engines, clock: crate::clock::Clock) -> anyhow::Result<()> {
    for engine in engines.all() {
        Arc::clone(engine)
            .refresh()
            .await
            .map_err(|message| anyhow::anyhow!("{} engine: {message}", engine.name()))?;
        if let Some(every) = engine.refresh_every() {
            let engine = Arc::clone(engine);
            actix_rt::spawn(async move {
                loop {
                    clock.sleep(every).await;
                    if let Err(message) = Arc::clone(&engine).refresh().await {
                        tracing::error!(engine = engine.name(), %message, "engine check failed");
                    }
                }
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::background::{JOB_NICE, current_nice};

    #[actix_web::test]
    async fn job_work_runs_at_a_lower_priority_than_requests() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let engines = Engines::from_config(&config).unwrap();
        let core = Core::start(config, engines).await.unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        // What a chunk does: runs on the supervisor's arbiter and hands CPU work to a
        // blocking thread.
        core.arbiter.spawn(async move {
            let blocking = tokio::task::spawn_blocking(current_nice).await.unwrap();
            let _ = tx.send((current_nice(), blocking));
        });
        let base = current_nice();
        assert_eq!(rx.await.unwrap(), (JOB_NICE.max(base), JOB_NICE.max(base)));
        assert_eq!(current_nice(), base);
    }
}
