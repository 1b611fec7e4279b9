//! The preflight estimate: what a job on this PDF would be (pages, chunks) and cost (tokens and
//! dollars per Gemini model), computed from the same chunk plan and prompts the job would use,
//! without running anything.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::book_plan::BookPlan;
use crate::engine::ChunkInput;
use crate::engine::gemini::generation::thinking_allowance;
use crate::engine::gemini::{protocol, sources};
#[cfg(test)]
use crate::pdf::{self, clean::CleanOptions};
use crate::pdf::{PdfError, plan};
pub use crate::price::Price;
use crate::settings::{InputMode, ModelPreference, Settings};

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

/// What a job on a PDF would be and send, counted by the sandboxed reader
/// ([`crate::sandbox`]), which reads and plans the book as the job would (the same
/// [`BookPlan`]) and plans the requests the Gemini engine would send (the same numbering,
/// sizing and prompts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measured {
    pub pages: u32,
    pub chunks: usize,
    pub parallelism: u32,
    pub input_mode: InputMode,
    pub words: usize,
    pub tokens_in: u64,
    pub tokens_out: u64,
}

/// Measures a job on `bytes` with `settings`: as slow as the extraction step of a real job.
pub fn measure(
    bytes: &[u8],
    settings: &Settings,
    plan_cfg: &plan::PlanConfig,
) -> Result<Measured, PdfError> {
    let limit = settings.sentence_length_limit.max(1) as usize;
    let planned = BookPlan::read(bytes, settings, plan_cfg)?;
    let mut tokens = Tokens::default();
    let words = match planned.book() {
        Some(book) => {
            for input in &planned.chunk_inputs(bytes, settings)? {
                tokens += text_requests(input, settings, limit);
            }
            count_words(&book.text)
        }
        None => {
            for (own, context) in planned.pages() {
                tokens += pdf_requests(&own, &context, settings);
            }
            0
        }
    };
    Ok(Measured {
        pages: planned.pages,
        chunks: planned.chunks.ranges.len(),
        parallelism: planned.parallelism(),
        input_mode: settings.input_mode,
        words,
        tokens_in: tokens.input,
        tokens_out: tokens.output,
    })
}

/// The estimate of a measured job: its cost with each model.
pub fn price(measured: Measured, models: &[PricedModel]) -> Estimate {
    let models = models
        .iter()
        .map(|m| ModelCost {
            preference: m.preference,
            model: m.model.clone(),
            price: m.price,
            estimated_cost_usd: cost(measured.tokens_in, measured.tokens_out, m.price),
        })
        .collect();
    Estimate {
        pages: measured.pages,
        chunks: measured.chunks,
        parallelism: measured.parallelism,
        input_mode: measured.input_mode,
        words: measured.words,
        estimated_tokens_in: measured.tokens_in,
        estimated_tokens_out: measured.tokens_out,
        models,
    }
}

/// Measures and prices a job in this process, for the tests below.
#[cfg(test)]
fn estimate(
    bytes: &[u8],
    settings: &Settings,
    plan_cfg: &plan::PlanConfig,
    models: &[PricedModel],
) -> Result<Estimate, PdfError> {
    Ok(price(measure(bytes, settings, plan_cfg)?, models))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tokens {
    input: u64,
    output: u64,
}

impl std::ops::AddAssign for Tokens {
    fn add_assign(&mut self, other: Self) {
        self.input += other.input;
        self.output += other.output;
    }
}

/// The requests the engine would send for one chunk given as text: their prompts, and the
/// answers (with thinking) expected for their sentences.
fn text_requests(input: &ChunkInput, settings: &Settings, limit: usize) -> Tokens {
    let numbered = sources::numbered_segments(input, settings);
    let refs: Vec<&sources::Source> = numbered.iter().collect();
    let mut tokens = Tokens::default();
    for run in sources::plan_requests(&refs, limit, sources::REQUEST_OUTPUT_TOKENS) {
        let part = &refs[run];
        let (before, sentences, after) = sources::request_text(input, part);
        let request = protocol::Request {
            first_page: input.first_page,
            last_page: input.last_page,
            what: protocol::Asked::Sentences {
                before,
                sentences,
                after,
            },
            corrections: Vec::new(),
            paraphrase: false,
        };
        let answer: u64 = part.iter().map(|s| s.expected_tokens(limit)).sum();
        tokens += Tokens {
            input: prompt_tokens(&request, settings),
            output: answer + thinking_allowance(answer),
        };
    }
    tokens
}

/// The requests the engine would send for one chunk given as pages (`own`), each attaching
/// the chunk's PDF (its `context` pages).
fn pdf_requests(
    own: &RangeInclusive<u32>,
    context: &RangeInclusive<u32>,
    settings: &Settings,
) -> Tokens {
    let attached = u64::from(context.end() - context.start() + 1) * TOKENS_PER_PDF_PAGE;
    let own_tokens = own.clone().map(|_| sources::SCANNED_PAGE_TOKENS);
    let mut tokens = Tokens::default();
    for run in sources::plan_by_size(own_tokens, sources::REQUEST_OUTPUT_TOKENS) {
        let request = protocol::Request {
            first_page: *own.start() + run.start as u32,
            last_page: *own.start() + run.end.saturating_sub(1) as u32,
            what: protocol::Asked::Pages {
                pdf_first_page: *context.start(),
            },
            corrections: Vec::new(),
            paraphrase: false,
        };
        let answer = run.len() as u64 * sources::SCANNED_PAGE_TOKENS;
        tokens += Tokens {
            input: prompt_tokens(&request, settings) + attached,
            output: answer + thinking_allowance(answer),
        };
    }
    tokens
}

fn prompt_tokens(request: &protocol::Request, settings: &Settings) -> u64 {
    let prompt = protocol::prompt(request, settings);
    ((prompt.system.len() + prompt.user.len()) / BYTES_PER_TOKEN) as u64
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

#[cfg(test)]
mod tests {
    use super::*;
    use fnt_testkit::{novel, pdf as fixtures};

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
        // Each sentence is sent once, numbered; the answer holds its rewrite and no copy.
        assert!(e.estimated_tokens_in > e.words as u64, "{e:?}");
        assert!(e.estimated_tokens_out > e.words as u64, "{e:?}");
        let lite = &e.models[0];
        let expected =
            e.estimated_tokens_in as f64 * 0.10 / 1e6 + e.estimated_tokens_out as f64 * 0.40 / 1e6;
        assert!(
            (lite.estimated_cost_usd - expected).abs() < 0.0001,
            "{lite:?}"
        );
        assert!(e.models[1].estimated_cost_usd > lite.estimated_cost_usd);
    }

    /// Protocol v1's answer, as its estimate counted it: each piece beside a copy of its
    /// original, one request per chunk, each with its thinking.
    fn protocol_v1_output_tokens(text: &str, chunks: u64, limit: usize) -> u64 {
        let words = count_words(text);
        let sentences = text
            .split(['.', '!', '?', '…'])
            .filter(|s| s.chars().any(char::is_alphabetic))
            .count()
            .max(1);
        let pieces = words.div_ceil(sentences).max(1).div_ceil(limit).max(1);
        let text_tokens = (text.len() / BYTES_PER_TOKEN) as f64;
        let answers = (text_tokens * 1.15 + text_tokens * pieces as f64) as u64
            + (sentences * pieces) as u64 * 12;
        answers + chunks * thinking_allowance(answers / chunks)
    }

    #[test]
    fn protocol_v2_expects_at_most_half_the_output_of_v1() {
        let cfg = plan::PlanConfig::default();
        for pages in [20, 120, 300] {
            let bytes = book(pages);
            let e = estimate(&bytes, &Settings::default(), &cfg, &models()).unwrap();
            let text = pdf::read_book(&bytes, CleanOptions::default())
                .unwrap()
                .0
                .text;
            let v1 = protocol_v1_output_tokens(&text, e.chunks as u64, 8);
            assert!(
                e.estimated_tokens_out * 2 <= v1,
                "{pages} pages: v2 {} against v1 {v1}",
                e.estimated_tokens_out
            );
        }
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
