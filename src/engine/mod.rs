//! Engines rewrite one chunk of a book into short sentences, behind one trait.

pub mod local;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};

use crate::settings::Settings;

/// The offline engine's name: the embedded default.
pub const LOCAL: &str = "local";

/// One output sentence, linked to the original sentence it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    pub normalized: String,
    pub original: String,
    pub page: u32,
}

/// Where a page's text starts inside a chunk's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageStart {
    pub offset: usize,
    pub page: u32,
}

/// What an engine gets: the chunk's own pages plus context on both sides. A sentence belongs
/// to the chunk in whose body it starts, so the context only completes sentences and is never
/// rewritten twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkInput {
    pub index: u32,
    pub first_page: u32,
    pub last_page: u32,
    /// Clean text, paragraphs separated by '\n'.
    pub text: String,
    /// Byte range of `text` this chunk owns.
    pub body_start: usize,
    pub body_end: usize,
    /// Ascending; the first entry is at offset 0.
    pub pages: Vec<PageStart>,
}

impl ChunkInput {
    /// The page on which the text at `offset` stands.
    pub fn page_at(&self, offset: usize) -> u32 {
        let i = self.pages.partition_point(|p| p.offset <= offset);
        self.pages
            .get(i.saturating_sub(1))
            .map_or(self.first_page, |p| p.page)
    }

    pub fn owns(&self, offset: usize) -> bool {
        (self.body_start..self.body_end).contains(&offset)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkOutput {
    pub sentences: Vec<Sentence>,
}

/// Why an engine could not rewrite a chunk. Typed, so retries are decided by kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// Worth another try later (a busy service, a timeout, a crashed worker thread).
    #[error("engine unavailable: {0}")]
    Unavailable(String),
    /// Trying again cannot help.
    #[error("{0}")]
    Permanent(String),
}

impl EngineError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// An engine's futures may hold thread-bound clients (awc), so they are local futures; the
/// chunk actor runs them on its own arbiter.
pub trait Engine: Send + Sync + 'static {
    fn name(&self) -> &str;

    fn rewrite(
        self: Arc<Self>,
        input: Arc<ChunkInput>,
        settings: Arc<Settings>,
    ) -> LocalBoxFuture<'static, Result<ChunkOutput, EngineError>>;
}

/// The engines this server can run, by name.
#[derive(Clone, Default)]
pub struct Engines {
    by_name: BTreeMap<String, Arc<dyn Engine>>,
}

impl Engines {
    /// The engines available with no configuration at all.
    pub fn builtin() -> Self {
        let mut engines = Self::default();
        engines.insert(Arc::new(local::LocalEngine));
        engines
    }

    /// Adds an engine, replacing one of the same name.
    pub fn insert(&mut self, engine: Arc<dyn Engine>) {
        self.by_name.insert(engine.name().to_owned(), engine);
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn Engine>> {
        self.by_name.get(name).cloned()
    }

    pub fn names(&self) -> Vec<&str> {
        self.by_name.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_found_by_offset() {
        let input = ChunkInput {
            index: 0,
            first_page: 4,
            last_page: 5,
            text: "a".repeat(30),
            body_start: 10,
            body_end: 20,
            pages: vec![
                PageStart { offset: 0, page: 3 },
                PageStart {
                    offset: 10,
                    page: 4,
                },
                PageStart {
                    offset: 20,
                    page: 5,
                },
                PageStart {
                    offset: 20,
                    page: 6,
                },
            ],
        };
        assert_eq!(input.page_at(0), 3);
        assert_eq!(input.page_at(9), 3);
        assert_eq!(input.page_at(10), 4);
        // An empty page shares its offset with the next one: text there is on the later page.
        assert_eq!(input.page_at(25), 6);
        assert!(input.owns(10) && input.owns(19) && !input.owns(20) && !input.owns(9));
    }
}
