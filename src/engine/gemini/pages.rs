//! PDF input (scanned books): the model reads the attached pages itself and answers per book
//! page, each source sentence once with its rewrites.
//!
//! Every page of the chunk is accounted for: answered (a page without text says so with no
//! sources), or asked again alone, or read from its text layer by the local engine. Pages the
//! answer names outside the request (the context pages of the PDF) are dropped and counted,
//! so nothing is doubled in the neighbouring chunk. A source whose pieces fail the checks
//! gets its page asked again once with the reason; failing again, its transcription is cut
//! by the local engine.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::{LocalBoxFuture, join_all};
use serde::{Deserialize, Serialize};

use super::protocol::{self, Asked, PageAnswer, Request};
use super::sources;
use super::text::{KeptPiece, tidy};
use super::{Ask, Rewrite};
use crate::engine::local::check;
use crate::engine::local::rewrite_chunk;
use crate::engine::local::shorten::within_limit;
use crate::engine::{ChunkInput, EngineError, LOCAL, PageStart, PdfPages, RepairAction, Sentence};
use crate::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    First,
    /// The page asked again alone: with the reasons, or in the model's own words.
    Again,
}

/// One page's pieces.
type PageWritten = (u32, Vec<Sentence>);

#[derive(Serialize, Deserialize)]
struct KeptPage {
    page: u32,
    sources: Vec<KeptSource>,
}

#[derive(Serialize, Deserialize)]
struct KeptSource {
    original: String,
    pieces: Vec<KeptPiece>,
}

impl Rewrite<'_> {
    pub(super) async fn pages(&self, pdf: &PdfPages) -> Result<Vec<Sentence>, EngineError> {
        let pages: Vec<u32> = (self.input.first_page..=self.input.last_page).collect();
        let runs = sources::plan_by_size(
            pages.iter().map(|_| sources::SCANNED_PAGE_TOKENS),
            self.budget(),
        );
        let results = join_all(
            runs.iter()
                .map(|run| self.page_request(pdf, &pages[run.clone()])),
        )
        .await;
        let mut sentences = Vec::new();
        for result in results {
            sentences.extend(result?.into_iter().flat_map(|(_, pieces)| pieces));
        }
        Ok(sentences)
    }

    /// One planned request of consecutive pages: from the cache, or asked and kept.
    async fn page_request(
        &self,
        pdf: &PdfPages,
        pages: &[u32],
    ) -> Result<Vec<PageWritten>, EngineError> {
        let first = self.ask_pages(pdf, pages, Vec::new(), false);
        let model = self.engine.model_for(self.settings);
        let key = model
            .as_deref()
            .map(|model| self.cache_key(model, &first, Some(pdf)));
        if let Some(key) = &key
            && let Some(stored) = self.cached(key).await
            && let Some(written) = restore_pages(&stored, pages)
        {
            return Ok(written);
        }
        let written = self
            .page_attempt(pdf, pages, Stage::First, Vec::new(), false)
            .await?;
        if let (Some(key), Some(model)) = (&key, &model) {
            self.keep(key, model, keep_pages(&written)).await;
        }
        Ok(written)
    }

    fn ask_pages(
        &self,
        pdf: &PdfPages,
        pages: &[u32],
        corrections: Vec<(u32, String)>,
        paraphrase: bool,
    ) -> Request {
        Request {
            first_page: pages.first().copied().unwrap_or(self.input.first_page),
            last_page: pages.last().copied().unwrap_or(self.input.last_page),
            what: Asked::Pages {
                pdf_first_page: pdf.first_page,
            },
            corrections,
            paraphrase,
        }
    }

    fn page_attempt<'b>(
        &'b self,
        pdf: &'b PdfPages,
        pages: &'b [u32],
        stage: Stage,
        corrections: Vec<(u32, String)>,
        paraphrase: bool,
    ) -> LocalBoxFuture<'b, Result<Vec<PageWritten>, EngineError>> {
        Box::pin(async move {
            let request = self.ask_pages(pdf, pages, corrections, paraphrase);
            let (text, truncated) = match self.send(&request, Some(pdf)).await {
                Ok(text) => (text, false),
                Err(Ask::Truncated(partial)) => (partial, true),
                Err(Ask::Refused(reason, why)) => {
                    tracing::info!(chunk = self.input.index, pages = pages.len(), %why, "the model refused a request");
                    self.repair(RepairAction::Refused, reason, pages.len());
                    if stage == Stage::First {
                        return self.each_page_again(pdf, pages, HashMap::new(), true).await;
                    }
                    self.repair(RepairAction::Local, reason, pages.len());
                    return Ok(pages
                        .iter()
                        .map(|&p| (p, self.page_text_layer(p)))
                        .collect());
                }
                Err(Ask::Fail(e)) => return Err(e),
                Err(Ask::ModelGone(message)) => return Err(EngineError::NoModel(message)),
            };
            let answers = self.judge_pages(pages, &text, truncated);
            let mut written = Vec::with_capacity(pages.len());
            let mut again: HashMap<u32, String> = HashMap::new();
            for (&page, answer) in pages.iter().zip(answers) {
                match answer {
                    PageVerdict::Missing(reason) if stage == Stage::First => {
                        self.repair(RepairAction::Reask, reason, 1);
                        again.insert(page, "this page was not answered".to_owned());
                        written.push((page, Vec::new()));
                    }
                    PageVerdict::Missing(reason) => {
                        self.repair(RepairAction::Local, reason, 1);
                        written.push((page, self.page_text_layer(page)));
                    }
                    PageVerdict::Answered(sources) => {
                        let (pieces, faults) = self.accept_page(page, sources, stage);
                        if !faults.is_empty() {
                            again.insert(page, faults.join("; "));
                        }
                        written.push((page, pieces));
                    }
                }
            }
            if again.is_empty() {
                return Ok(written);
            }
            let asked: Vec<u32> = pages
                .iter()
                .copied()
                .filter(|p| again.contains_key(p))
                .collect();
            let mended = self.each_page_again(pdf, &asked, again, false).await?;
            for (page, pieces) in mended {
                if let Some(slot) = written.iter_mut().find(|(p, _)| *p == page) {
                    slot.1 = pieces;
                }
            }
            Ok(written)
        })
    }

    /// Each page asked again alone, side by side.
    async fn each_page_again(
        &self,
        pdf: &PdfPages,
        pages: &[u32],
        mut corrections: HashMap<u32, String>,
        paraphrase: bool,
    ) -> Result<Vec<PageWritten>, EngineError> {
        let asked = join_all(pages.iter().map(|page| {
            let correction = corrections
                .remove(page)
                .map(|why| vec![(*page, why)])
                .unwrap_or_default();
            self.page_attempt(
                pdf,
                std::slice::from_ref(page),
                Stage::Again,
                correction,
                paraphrase,
            )
        }))
        .await;
        let mut written = Vec::with_capacity(pages.len());
        for result in asked {
            written.extend(result?);
        }
        Ok(written)
    }

    /// Reads a page answer: each asked page's sources, or why it is missing.
    fn judge_pages(&self, pages: &[u32], text: &str, truncated: bool) -> Vec<PageVerdict> {
        let missing_reason = if truncated { "truncated" } else { "missing" };
        let Some(read) = protocol::read_page_answer(text) else {
            let reason = if truncated { "truncated" } else { "malformed" };
            return pages.iter().map(|_| PageVerdict::Missing(reason)).collect();
        };
        self.repair(RepairAction::Dropped, "unreadable", read.unreadable);
        let mut entries = read.entries;
        if truncated {
            entries.pop();
        }
        let mut by_page: HashMap<u32, PageAnswer> = HashMap::new();
        let (mut context, mut duplicate) = (0, 0);
        for entry in entries {
            if !pages.contains(&entry.page) {
                context += 1;
                continue;
            }
            match by_page.entry(entry.page) {
                std::collections::hash_map::Entry::Occupied(_) => duplicate += 1,
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(entry);
                }
            }
        }
        self.repair(RepairAction::Dropped, "context_page", context);
        self.repair(RepairAction::Dropped, "duplicate_page", duplicate);
        pages
            .iter()
            .map(|page| match by_page.remove(page) {
                Some(answer) => PageVerdict::Answered(answer.sources),
                None => PageVerdict::Missing(missing_reason),
            })
            .collect()
    }

    /// A page's sources turned into pieces: those that pass the checks as the model wrote
    /// them; on a second ask, the others cut locally. The faults, for the model.
    fn accept_page(
        &self,
        page: u32,
        sources: Vec<protocol::PageSource>,
        stage: Stage,
    ) -> (Vec<Sentence>, Vec<String>) {
        let rules = self.rules();
        let mut pieces = Vec::new();
        let mut faults = Vec::new();
        for source in sources {
            let original = source
                .original
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if !original.chars().any(char::is_alphanumeric) {
                continue;
            }
            let shared: Arc<str> = original.as_str().into();
            let checked = check::Source::new(&original);
            let texts = tidy(&source.sentences, self.settings);
            let fault = if texts.is_empty() {
                Some((
                    "missing",
                    format!("\"{original}\" has no rewritten sentence"),
                ))
            } else {
                texts.iter().find_map(|piece| {
                    checked
                        .check(piece, rules)
                        .map(|f| (f.reason(), f.correction(piece, rules.limit)))
                })
            };
            match fault {
                None => pieces.extend(texts.into_iter().map(|text| Sentence {
                    normalized: text,
                    original: Arc::clone(&shared),
                    page,
                    // Scanned books are read by the model alone: no headings are known.
                    chapter: None,
                    engine: None,
                    kind: None,
                })),
                Some((reason, correction)) if stage == Stage::First => {
                    self.repair(RepairAction::Reask, reason, 1);
                    faults.push(correction);
                }
                Some((reason, _)) => {
                    self.repair(RepairAction::Local, reason, 1);
                    pieces.extend(self.local_text(&original, page));
                }
            }
        }
        (pieces, faults)
    }

    /// The local engine's pieces of a text the model transcribed.
    fn local_text(&self, text: &str, page: u32) -> Vec<Sentence> {
        let input = ChunkInput {
            index: self.input.index,
            first_page: page,
            last_page: page,
            text: text.to_owned(),
            body_start: 0,
            body_end: text.len(),
            pages: vec![PageStart { offset: 0, page }],
            chapters: Vec::new(),
            pdf: None,
        };
        as_local(
            rewrite_chunk(&input, self.settings).sentences,
            self.settings,
        )
    }

    /// The page's own text layer through the local engine; nothing for a page without one.
    fn page_text_layer(&self, page: u32) -> Vec<Sentence> {
        let Some(pdf) = &self.input.pdf else {
            return Vec::new();
        };
        use base64::Engine as _;
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&pdf.data) else {
            return Vec::new();
        };
        let Ok((book, _)) =
            crate::pdf::read_book(&bytes, crate::pdf::clean::CleanOptions::default())
        else {
            return Vec::new();
        };
        let input =
            crate::pdf::plan::book_chunk(&book, pdf.first_page, self.input.index, page..=page);
        as_local(
            rewrite_chunk(&input, self.settings).sentences,
            self.settings,
        )
    }
}

enum PageVerdict {
    Answered(Vec<protocol::PageSource>),
    Missing(&'static str),
}

/// Marked as the local engine's, and shortened where they pass the limit.
fn as_local(sentences: Vec<Sentence>, settings: &Settings) -> Vec<Sentence> {
    let marked = sentences
        .into_iter()
        .map(|s| Sentence {
            engine: Some(LOCAL.to_owned()),
            ..s
        })
        .collect();
    within_limit(marked, settings)
}

fn keep_pages(written: &[PageWritten]) -> Result<String, serde_json::Error> {
    let pages: Vec<KeptPage> = written
        .iter()
        .map(|(page, pieces)| {
            let sources = crate::engine::source_groups(pieces)
                .into_iter()
                .map(|group| KeptSource {
                    original: pieces[group.start].original.to_string(),
                    pieces: pieces[group]
                        .iter()
                        .map(|s| KeptPiece {
                            text: s.normalized.clone(),
                            engine: s.engine.clone(),
                            kind: s.kind,
                        })
                        .collect(),
                })
                .collect();
            KeptPage {
                page: *page,
                sources,
            }
        })
        .collect();
    serde_json::to_string(&pages)
}

fn restore_pages(stored: &str, pages: &[u32]) -> Option<Vec<PageWritten>> {
    let kept: Vec<KeptPage> = serde_json::from_str(stored).ok()?;
    if kept.iter().map(|p| p.page).ne(pages.iter().copied()) {
        return None;
    }
    Some(
        kept.into_iter()
            .map(|page| {
                let pieces = page
                    .sources
                    .into_iter()
                    .flat_map(|source| {
                        let original: Arc<str> = source.original.into();
                        source.pieces.into_iter().map(move |p| Sentence {
                            normalized: p.text,
                            original: Arc::clone(&original),
                            page: page.page,
                            chapter: None,
                            engine: p.engine,
                            kind: p.kind,
                        })
                    })
                    .collect();
                (page.page, pieces)
            })
            .collect(),
    )
}
