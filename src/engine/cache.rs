//! The result cache: an engine keeps what it paid for under a key naming everything that
//! decided it (Gemini: the model, the prompt version, the settings and one request's text),
//! so the same book uploaded again, or a chunk tried again after a crash or an outage, costs
//! nothing for what was already answered.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};

use crate::metrics::Metrics;

/// Where cached results are kept: the database, in the service. A trait, so that engines do
/// not depend on the storage layer that depends on their types.
pub trait CacheStore: Send + Sync {
    fn cached_output<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, String>>;

    fn store_output<'a>(
        &'a self,
        key: &'a str,
        engine: &'a str,
        output: String,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// The store an engine reads and writes its results through.
#[derive(Clone)]
pub struct ResultCache {
    store: Arc<dyn CacheStore>,
    metrics: Arc<Metrics>,
}

impl ResultCache {
    pub fn new(store: Arc<dyn CacheStore>, metrics: Arc<Metrics>) -> Self {
        Self { store, metrics }
    }

    /// The stored result, if any; a failing lookup is a miss (the engine then asks again).
    pub async fn get(&self, key: &str) -> Option<String> {
        match self.store.cached_output(key).await {
            Ok(found) => {
                self.metrics.cache_lookup(found.is_some());
                found
            }
            Err(e) => {
                tracing::warn!(error = %e, "cache lookup failed; calling the engine");
                self.metrics.cache_lookup(false);
                None
            }
        }
    }

    /// Stores a result; failing to is logged, not fatal (the result itself is not lost).
    pub async fn put(&self, key: &str, engine: &str, value: String) {
        if let Err(e) = self.store.store_output(key, engine, value).await {
            tracing::warn!(error = %e, "could not cache a result");
        }
    }
}

/// A key over `parts`: each one length-prefixed, so no two lists of parts share a key.
pub fn key(parts: &[&[u8]]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
    hex::encode(hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tell_apart_what_plain_concatenation_would_not() {
        assert_ne!(key(&[b"ab", b"c"]), key(&[b"a", b"bc"]));
        assert_eq!(key(&[b"ab", b"c"]), key(&[b"ab", b"c"]));
        assert_eq!(key(&[]).len(), 64);
    }
}
