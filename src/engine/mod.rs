//! Engines rewrite one chunk of a book into short sentences, behind one trait.

pub(crate) mod cache;
pub mod gemini;
mod kind;
pub mod local;
pub(crate) mod rate_gate;
mod stored;

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};

pub use kind::{Kinds, PieceKind};

use crate::settings::Settings;

/// The offline engine's name: the embedded default.
pub const LOCAL: &str = crate::settings::LOCAL_ENGINE;

/// One output sentence, linked to the original sentence it came from.
///
/// The pieces of one source sentence share its text (one `Arc`): a 90 KB sentence cut into
/// 4,000 pieces is held once, not 4,000 times. [`source_groups`] finds them by that sharing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    pub normalized: String,
    pub original: Arc<str>,
    pub page: u32,
    /// The book's chapter (1-based, as `ChapterStart::index`) the sentence stands in; `None`
    /// before the first heading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chapter: Option<u32>,
    /// Set when another engine than the chunk's wrote this sentence (a fallback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// What the engine did to its source; `None` when it does not say (the writer tells it
    /// from the words).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<PieceKind>,
}

/// Where a page's text starts inside a chunk's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageStart {
    pub offset: usize,
    pub page: u32,
}

/// Where a chapter starts inside a chunk's text. The chapter a chunk opens in started before
/// it: its entry stands at offset 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChapterStart {
    pub offset: usize,
    /// 1-based, in book order.
    pub index: u32,
    pub title: String,
    pub first_page: u32,
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
    /// Ascending; empty for a book without headings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chapters: Vec<ChapterStart>,
    /// In `input_mode=pdf`: the chunk's pages (with context pages) as a PDF; `text` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf: Option<PdfPages>,
}

/// A page-range PDF of the book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PdfPages {
    /// The book page that is the PDF's first page.
    pub first_page: u32,
    /// Standard base64.
    pub data: String,
}

impl ChunkInput {
    /// The page on which the text at `offset` stands.
    pub fn page_at(&self, offset: usize) -> u32 {
        let i = self.pages.partition_point(|p| p.offset <= offset);
        self.pages
            .get(i.saturating_sub(1))
            .map_or(self.first_page, |p| p.page)
    }

    /// The chapter in which the text at `offset` stands.
    pub fn chapter_at(&self, offset: usize) -> Option<u32> {
        let i = self.chapters.partition_point(|c| c.offset <= offset);
        self.chapters.get(i.checked_sub(1)?).map(|c| c.index)
    }

    pub fn owns(&self, offset: usize) -> bool {
        (self.body_start..self.body_end).contains(&offset)
    }
}

/// What an engine made of a chunk. It is stored (and cached) in the compact form of
/// [`stored`]: each source sentence once, its pieces pointing to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkOutput {
    pub sentences: Vec<Sentence>,
    /// The model that wrote it, where the engine has models and it may differ from the one
    /// the job started with (a retired or overloaded model gave way to another).
    pub model: Option<String>,
}

/// `sentences` cut into runs of pieces of one source sentence: the ranges, in order.
///
/// Pieces belong together when they share their original's allocation, as engines and
/// [`stored`] make them; two equal sentences in a row ("Oui. Oui.") stay two sources.
pub fn source_groups(sentences: &[Sentence]) -> Vec<std::ops::Range<usize>> {
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, sentence) in sentences.iter().enumerate() {
        match groups.last_mut() {
            Some(last) if Arc::ptr_eq(&sentences[last.start].original, &sentence.original) => {
                last.end = i + 1;
            }
            _ => groups.push(i..i + 1),
        }
    }
    groups
}

/// Counts what an engine spends on one attempt as it goes, so that an attempt that fails,
/// hangs or panics half-way is still paid for in the accounts. A meter made with
/// [`Meter::observed`] also reports every call to the service's metrics.
#[derive(Clone, Default)]
pub struct Meter {
    usage: Arc<std::sync::Mutex<Usage>>,
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter")
            .field("usage", &self.total())
            .finish()
    }
}

impl Meter {
    pub fn observed(metrics: Arc<crate::metrics::Metrics>) -> Self {
        Self {
            usage: Arc::default(),
            metrics: Some(metrics),
        }
    }

    pub fn add(&self, usage: Usage) {
        let mut total = self
            .usage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *total += usage;
    }

    /// Reports one engine call to the metrics (what it spent goes through [`Meter::add`]).
    pub fn observe(&self, call: &crate::metrics::EngineCall<'_>) {
        if let Some(metrics) = &self.metrics {
            metrics.engine_call(call);
        }
    }

    /// The engine mended an answer (see [`Repair`]): counted in this attempt's usage and in
    /// `fnt_engine_repairs_total`.
    pub fn repair(&self, engine: &str, repair: Repair, sentences: usize) {
        if sentences == 0 {
            return;
        }
        let n = i64::try_from(sentences).unwrap_or(i64::MAX);
        let mut usage = Usage::default();
        match repair.action {
            RepairAction::Reask => usage.reasks = n,
            RepairAction::Local => usage.local_fallbacks = n,
            RepairAction::Refused => usage.refusals = n,
            RepairAction::Dropped | RepairAction::Reordered => {}
        }
        self.add(usage);
        if let Some(metrics) = &self.metrics {
            metrics.engine_repair(engine, repair.action.as_str(), repair.reason, n);
        }
    }

    /// A model gave way to another (see `fnt_engine_model_fallbacks_total`).
    pub fn model_fallback(&self, engine: &str, from: &str, to: &str, reason: &str) {
        if let Some(metrics) = &self.metrics {
            metrics.model_fallback(engine, from, to, reason);
        }
    }

    pub fn total(&self) -> Usage {
        *self
            .usage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What rewriting a chunk cost, and how much of the model's answer had to be mended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub api_calls: i64,
    /// Source sentences asked again because their answer failed a check.
    #[serde(default)]
    pub reasks: i64,
    /// Source sentences the local engine wrote because the model's answers kept failing.
    #[serde(default)]
    pub local_fallbacks: i64,
    /// Source sentences in a request the model refused (RECITATION, SAFETY, a blocked prompt).
    #[serde(default)]
    pub refusals: i64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Self) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.api_calls += other.api_calls;
        self.reasks += other.reasks;
        self.local_fallbacks += other.local_fallbacks;
        self.refusals += other.refusals;
    }
}

/// What an engine did about answers that failed its checks, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repair {
    pub action: RepairAction,
    /// A short label: `missing`, `over_limit`, `incomplete`, `foreign_words`, `malformed`,
    /// `unknown_id`, `duplicate_id`, `recitation`, `safety`, `blocked`, `truncated`, …
    pub reason: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepairAction {
    /// Asked again, for just these sentences.
    Reask,
    /// Written by the local engine instead.
    Local,
    /// Refused by the model.
    Refused,
    /// An answer entry thrown away (an id not asked for, or answered twice).
    Dropped,
    /// Answers that came back out of order, put back in order.
    Reordered,
}

impl RepairAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reask => "reask",
            Self::Local => "local",
            Self::Refused => "refused",
            Self::Dropped => "dropped",
            Self::Reordered => "reordered",
        }
    }
}

/// Why an engine could not rewrite a chunk. Typed, so what happens next is decided by kind,
/// never by the wording of a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// Too many requests right now: wait this long, then try again (within the retry budget).
    #[error("rate limited; retry in {retry_after:?}")]
    RateLimited { retry_after: std::time::Duration },
    /// The daily quota is used up: park until it resets (no attempt is spent).
    #[error("daily quota exhausted until {until}")]
    QuotaExhausted {
        until: chrono::DateTime<chrono::Utc>,
    },
    /// Worth another try after a backoff (5xx, timeouts, dropped connections).
    #[error("engine unavailable: {0}")]
    Unavailable(String),
    /// The answer could not be read (bad JSON, a reply that drops text): try again.
    #[error("unusable answer: {0}")]
    Malformed(String),
    /// The API key is not valid or not allowed: nothing this job sends can succeed.
    #[error("{0}")]
    InvalidKey(String),
    /// No model is left to answer (every candidate retired): nothing this job sends can succeed.
    #[error("{0}")]
    NoModel(String),
    /// Trying again cannot help.
    #[error("{0}")]
    Permanent(String),
}

impl EngineError {
    /// Worth another attempt while the chunk's retry budget lasts.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable(_) | Self::Malformed(_) | Self::RateLimited { .. }
        )
    }

    /// A wait that does not spend the retry budget: the daily quota's reset.
    pub fn snooze(&self) -> Option<std::time::Duration> {
        match self {
            Self::QuotaExhausted { until } => Some(
                (*until - chrono::Utc::now())
                    .to_std()
                    .unwrap_or(std::time::Duration::ZERO),
            ),
            _ => None,
        }
    }

    /// Fails the whole job at once, not just this chunk.
    pub fn fails_job(&self) -> bool {
        matches!(self, Self::InvalidKey(_) | Self::NoModel(_))
    }
}

/// An engine's futures may hold thread-bound clients (awc), so they are local futures; the
/// chunk actor runs them on its own arbiter.
pub trait Engine: Send + Sync + 'static {
    fn name(&self) -> &str;

    /// Gives the engine the store where it keeps results worth paying for once (Gemini: each
    /// request's checked answer). Called once, at start; the default keeps nothing.
    fn use_cache(&self, _cache: cache::ResultCache) {}

    /// The model that writes for these settings, where the engine has models.
    fn model(&self, _settings: &Settings) -> Option<String> {
        None
    }

    /// Whether the engine can read a chunk given as a PDF (`input_mode=pdf`).
    fn reads_pdf(&self) -> bool {
        false
    }

    /// Reads again what the engine depends on outside this process (Gemini: which models
    /// exist). Run at start, where an error stops the service with its message, and then
    /// every [`Engine::refresh_every`].
    fn refresh(self: Arc<Self>) -> LocalBoxFuture<'static, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    fn refresh_every(&self) -> Option<std::time::Duration> {
        None
    }

    /// Rewrites the sentences that start in the chunk's body; what the attempt costs is added
    /// to `meter` as it is spent.
    fn rewrite(
        self: Arc<Self>,
        input: Arc<ChunkInput>,
        settings: Arc<Settings>,
        meter: Meter,
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

    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn Engine>> {
        self.by_name.values()
    }

    pub fn names(&self) -> Vec<&str> {
        self.by_name.keys().map(String::as_str).collect()
    }

    /// Lets every engine keep its results in `store` (the database's cache).
    pub fn with_cache(
        self,
        store: Arc<dyn cache::CacheStore>,
        metrics: &Arc<crate::metrics::Metrics>,
    ) -> Self {
        for engine in self.by_name.values() {
            engine.use_cache(cache::ResultCache::new(
                Arc::clone(&store),
                Arc::clone(metrics),
            ));
        }
        self
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
            chapters: Vec::new(),
            pdf: None,
        };
        assert_eq!(input.page_at(0), 3);
        assert_eq!(input.page_at(9), 3);
        assert_eq!(input.page_at(10), 4);
        // An empty page shares its offset with the next one: text there is on the later page.
        assert_eq!(input.page_at(25), 6);
        assert!(input.owns(10) && input.owns(19) && !input.owns(20) && !input.owns(9));
    }
}
