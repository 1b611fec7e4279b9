//! The preflight estimate: what a job on this PDF would be (pages, chunks) and cost (tokens and
//! dollars per Gemini model), computed from the same chunk plan and prompts the job would use,
//! without running anything.

use serde::Serialize;

use crate::engine::gemini::generation::thinking_allowance;
use crate::engine::gemini::prompt;
use crate::pdf::{self, PdfError, clean::CleanOptions, plan};
use crate::settings::{InputMode, ModelPreference, Settings};

/// Dollars per million tokens, input and output, as Google lists them for a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Price {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

impl std::str::FromStr for Price {
    type Err = String;

    /// `"0.30/2.50"`: input and output dollars per million tokens.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (input, output) = s
            .split_once('/')
            .ok_or_else(|| format!("'{s}': expected INPUT/OUTPUT dollars per million tokens"))?;
        let parse = |v: &str| {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|p| p.is_finite() && *p >= 0.0)
                .ok_or_else(|| format!("'{v}' is not a price"))
        };
        Ok(Self {
            input_per_million: parse(input)?,
            output_per_million: parse(output)?,
        })
    }
}

impl std::fmt::Display for Price {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.input_per_million, self.output_per_million)
    }
}

/// A model the estimate prices.
#[derive(Debug, Clone)]
pub struct PricedModel {
    pub preference: ModelPreference,
    pub model: String,
    pub price: Price,
}

#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    pub pages: u32,
    pub chunks: usize,
    /// Chunks that run at once.
    pub parallelism: u32,
    pub input_mode: InputMode,
    /// Words of text found in the book (0 when it has no text layer).
    pub words: usize,
    /// Tokens a Gemini job would send and receive: the same for every model, since they share
    /// the prompt and the tokenizer.
    pub estimated_tokens_in: u64,
    pub estimated_tokens_out: u64,
    pub models: Vec<ModelCost>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelCost {
    pub preference: ModelPreference,
    pub model: String,
    pub price: Price,
    pub estimated_cost_usd: f64,
}

// Gemini's tokenizer averages about four bytes of French text per token; the engine's rate
// gate counts the same way, so the estimate and the budget agree.
const BYTES_PER_TOKEN: usize = 4;
// Google's documented rate for a PDF page given as a document.
const TOKENS_PER_PDF_PAGE: u64 = 258;
// A book page without a text layer holds about this many words (for the output estimate only).
const WORDS_PER_SCANNED_PAGE: usize = 300;
// What one answer item costs beyond its two texts: the JSON keys, quotes and punctuation.
const TOKENS_PER_ITEM: u64 = 12;
// A rewrite says the same thing in slightly more words (repeated subjects, split clauses).
const REWRITE_GROWTH: f64 = 1.15;

/// Estimates a job on `bytes` with `settings`. Reads the text like the job would: as slow as
/// the extraction step of a real job, and bounded the same way.
pub fn estimate(
    bytes: &[u8],
    settings: &Settings,
    plan_cfg: &plan::PlanConfig,
    models: &[PricedModel],
) -> Result<Estimate, PdfError> {
    let limit = settings.sentence_length_limit.max(1) as usize;
    let (pages, chunk_plan, tokens_in, body_text) = match settings.input_mode {
        InputMode::Text => {
            let options = CleanOptions {
                fix_hyphenation: settings.fix_hyphenation,
            };
            let (book, pages) = pdf::read_book(bytes, options)?;
            let chunk_plan = plan::plan(pages, plan_cfg);
            let inputs = plan::chunk_inputs(
                &book,
                &chunk_plan,
                plan_cfg.overlap_pages,
                crate::engine::local::segment_options(settings),
            );
            let tokens_in: u64 = inputs
                .iter()
                .map(|input| {
                    let p = prompt::prompt(input, settings);
                    ((p.system.len() + p.user.len()) / BYTES_PER_TOKEN) as u64
                })
                .sum();
            (pages, chunk_plan, tokens_in, Some(book.text))
        }
        InputMode::Pdf => {
            let pages = pdf::page_count(bytes)?;
            let chunk_plan = plan::plan(pages, plan_cfg);
            let system = prompt::system_instruction(settings).len() / BYTES_PER_TOKEN;
            let tokens_in = chunk_plan
                .ranges
                .iter()
                .map(|range| {
                    // The chunk's pages plus the context pages on each side that exist.
                    let first = range.start().saturating_sub(plan_cfg.overlap_pages).max(1);
                    let last = (range.end() + plan_cfg.overlap_pages).min(pages);
                    u64::from(last - first + 1) * TOKENS_PER_PDF_PAGE + system as u64
                })
                .sum();
            (pages, chunk_plan, tokens_in, None)
        }
    };
    let (words, sentences) = match &body_text {
        Some(text) => (count_words(text), count_sentences(text)),
        None => {
            let words = pages as usize * WORDS_PER_SCANNED_PAGE;
            (words, words / 15)
        }
    };
    let answers = output_tokens(words, sentences, limit, body_text.as_deref());
    // Gemini thinks before each answer and bills it as output: one allowance per request.
    let requests = chunk_plan.ranges.len().max(1) as u64;
    let tokens_out = answers + requests * thinking_allowance(answers / requests);
    let models = models
        .iter()
        .map(|m| ModelCost {
            preference: m.preference,
            model: m.model.clone(),
            price: m.price,
            estimated_cost_usd: cost(tokens_in, tokens_out, m.price),
        })
        .collect();
    Ok(Estimate {
        pages,
        chunks: chunk_plan.ranges.len(),
        parallelism: chunk_plan.parallelism,
        input_mode: settings.input_mode,
        words: body_text.as_deref().map(count_words).unwrap_or(0),
        estimated_tokens_in: tokens_in,
        estimated_tokens_out: tokens_out,
        models,
    })
}

/// Every answer item carries a rewritten sentence and a copy of its original; an original cut
/// into k pieces is copied k times.
fn output_tokens(words: usize, sentences: usize, limit: usize, text: Option<&str>) -> u64 {
    let sentences = sentences.max(1);
    let words_per_sentence = words.div_ceil(sentences).max(1);
    let pieces = words_per_sentence.div_ceil(limit).max(1);
    let text_tokens = match text {
        Some(text) => text.len() / BYTES_PER_TOKEN,
        // French words average about six bytes with the space.
        None => words * 6 / BYTES_PER_TOKEN,
    } as f64;
    let rewritten = text_tokens * REWRITE_GROWTH;
    let originals = text_tokens * pieces as f64;
    let items = (sentences * pieces) as u64;
    (rewritten + originals) as u64 + items * TOKENS_PER_ITEM
}

fn cost(tokens_in: u64, tokens_out: u64, price: Price) -> f64 {
    let dollars = tokens_in as f64 * price.input_per_million / 1e6
        + tokens_out as f64 * price.output_per_million / 1e6;
    // Cents are what a reader compares; more digits would suggest a precision we do not have.
    (dollars * 10_000.0).round() / 10_000.0
}

fn count_words(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

fn count_sentences(text: &str) -> usize {
    text.split(['.', '!', '?', '…'])
        .filter(|s| s.chars().any(char::is_alphabetic))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{novel, pdf as fixtures};

    fn book(pages: usize) -> Vec<u8> {
        fixtures::book_pdf(&novel::novel(pages), &fixtures::FixtureOptions::default()).pdf
    }

    fn models() -> Vec<PricedModel> {
        vec![
            PricedModel {
                preference: ModelPreference::Speed,
                model: "gemini-2.5-flash-lite".into(),
                price: "0.10/0.40".parse().unwrap(),
            },
            PricedModel {
                preference: ModelPreference::Quality,
                model: "gemini-2.5-pro".into(),
                price: "1.25/10".parse().unwrap(),
            },
        ]
    }

    #[test]
    fn prices_parse_and_refuse_nonsense() {
        let p: Price = "0.30/2.50".parse().unwrap();
        assert_eq!(p.input_per_million, 0.30);
        assert_eq!(p.output_per_million, 2.50);
        for bad in ["", "0.3", "a/b", "-1/2", "1/inf", "NaN/1"] {
            assert!(bad.parse::<Price>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_estimate_follows_the_plan_and_the_prices() {
        let book = book(60);
        let pages = pdf::page_count(&book).unwrap();
        assert!((50..=100).contains(&pages), "{pages}");
        let cfg = plan::PlanConfig::default();
        let e = estimate(&book, &Settings::default(), &cfg, &models()).unwrap();
        assert_eq!(e.pages, pages);
        assert_eq!(e.chunks, plan::plan(pages, &cfg).ranges.len());
        assert_eq!(e.parallelism, cfg.medium_parallelism);
        assert!(e.words > 60 * 100, "{} words", e.words);
        // Every page is sent once as its chunk's body and again as a neighbour's context.
        assert!(e.estimated_tokens_in > e.words as u64, "{e:?}");
        assert!(e.estimated_tokens_out > e.words as u64, "{e:?}");
        // Each request's thinking is billed as output and counted.
        let text = pdf::read_book(&book, CleanOptions::default())
            .unwrap()
            .0
            .text;
        let answers = output_tokens(count_words(&text), count_sentences(&text), 8, Some(&text));
        let requests = e.chunks as u64;
        assert_eq!(
            e.estimated_tokens_out,
            answers + requests * thinking_allowance(answers / requests)
        );
        let lite = &e.models[0];
        let expected =
            e.estimated_tokens_in as f64 * 0.10 / 1e6 + e.estimated_tokens_out as f64 * 0.40 / 1e6;
        assert!(
            (lite.estimated_cost_usd - expected).abs() < 0.0001,
            "{lite:?}"
        );
        assert!(e.models[1].estimated_cost_usd > lite.estimated_cost_usd);
    }

    #[test]
    fn longer_books_and_shorter_sentences_cost_more() {
        let cfg = plan::PlanConfig::default();
        let short = estimate(&book(20), &Settings::default(), &cfg, &models()).unwrap();
        let long = estimate(&book(120), &Settings::default(), &cfg, &models()).unwrap();
        assert!(long.estimated_tokens_in > short.estimated_tokens_in * 4);
        let tight = Settings {
            sentence_length_limit: 3,
            min_sentence_length: 1,
            ..Settings::default()
        };
        let tight = estimate(&book(20), &tight, &cfg, &models()).unwrap();
        assert!(tight.estimated_tokens_out > short.estimated_tokens_out);
    }

    #[test]
    fn pdf_input_is_priced_per_page() {
        let settings = Settings {
            input_mode: InputMode::Pdf,
            ..Settings::default()
        };
        let cfg = plan::PlanConfig::default();
        let e = estimate(&book(10), &settings, &cfg, &models()).unwrap();
        assert_eq!(e.chunks, 1);
        assert!(
            e.estimated_tokens_in >= u64::from(e.pages) * TOKENS_PER_PDF_PAGE,
            "{e:?}"
        );
    }

    #[test]
    fn what_is_not_a_book_is_refused() {
        let cfg = plan::PlanConfig::default();
        let err = estimate(b"hello", &Settings::default(), &cfg, &models()).unwrap_err();
        assert_eq!(err.code(), "not_a_pdf");
    }
}
