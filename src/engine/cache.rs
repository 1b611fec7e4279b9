//! The result cache: the same chunk text, settings, model and prompt version give the stored
//! result with no API call, so uploading the same PDF twice costs nothing the second time.

use std::sync::Arc;

use futures_util::future::LocalBoxFuture;
use sha2::{Digest, Sha256};

use super::{ChunkInput, ChunkOutput, Engine, EngineError, Meter};
use crate::db::Db;
use crate::metrics::Metrics;
use crate::settings::Settings;

/// Wraps an engine whose results are worth keeping (see [`Engine::cache_identity`]).
pub struct CachedEngine {
    inner: Arc<dyn Engine>,
    db: Db,
    metrics: Arc<Metrics>,
}

impl CachedEngine {
    pub fn new(inner: Arc<dyn Engine>, db: Db, metrics: Arc<Metrics>) -> Self {
        Self { inner, db, metrics }
    }
}

/// The cache key: everything that decides the answer, and nothing else.
pub fn cache_key(identity: &str, input: &ChunkInput, settings: &Settings) -> String {
    let mut hash = Sha256::new();
    for part in [
        identity.as_bytes(),
        // The engine name is part of `settings`; the rest of them shape the answer.
        serde_json::to_string(settings)
            .unwrap_or_default()
            .as_bytes(),
        input.body_start.to_string().as_bytes(),
        input.body_end.to_string().as_bytes(),
        input.first_page.to_string().as_bytes(),
        input.last_page.to_string().as_bytes(),
        input.text.as_bytes(),
        input
            .pdf
            .as_ref()
            .map_or(&[][..], |pdf| pdf.data.as_bytes()),
    ] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
    hex::encode(hash.finalize())
}

impl Engine for CachedEngine {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn cache_identity(&self, settings: &Settings) -> Option<String> {
        self.inner.cache_identity(settings)
    }

    fn model(&self, settings: &Settings) -> Option<String> {
        self.inner.model(settings)
    }

    fn reads_pdf(&self) -> bool {
        self.inner.reads_pdf()
    }

    fn refresh(self: Arc<Self>) -> LocalBoxFuture<'static, Result<(), String>> {
        Arc::clone(&self.inner).refresh()
    }

    fn refresh_every(&self) -> Option<std::time::Duration> {
        self.inner.refresh_every()
    }

    fn rewrite(
        self: Arc<Self>,
        input: Arc<ChunkInput>,
        settings: Arc<Settings>,
        meter: Meter,
    ) -> LocalBoxFuture<'static, Result<ChunkOutput, EngineError>> {
        Box::pin(async move {
            let Some(identity) = self.inner.cache_identity(&settings) else {
                return Arc::clone(&self.inner)
                    .rewrite(input, settings, meter)
                    .await;
            };
            let key = cache_key(&identity, &input, &settings);
            match self.db.cached_output(&key).await {
                Ok(Some(stored)) => {
                    // A hit costs nothing: the meter is left alone.
                    if let Ok(output) = serde_json::from_str::<ChunkOutput>(&stored) {
                        self.metrics.cache_lookup(true);
                        return Ok(output);
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cache lookup failed; calling the engine"),
            }
            self.metrics.cache_lookup(false);
            let output = Arc::clone(&self.inner)
                .rewrite(input, Arc::clone(&settings), meter)
                .await?;
            // A model that stood in for the key's one (overloaded, retired meanwhile) wrote
            // this: it is not what the key names.
            let same_model = output.model.is_none() || output.model == self.inner.model(&settings);
            if !same_model || self.inner.cache_identity(&settings).as_ref() != Some(&identity) {
                return Ok(output);
            }
            match serde_json::to_string(&output) {
                Ok(json) => {
                    if let Err(e) = self.db.store_output(&key, self.inner.name(), json).await {
                        tracing::warn!(error = %e, "could not cache a result");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not encode a result for the cache"),
            }
            Ok(output)
        })
    }
}
