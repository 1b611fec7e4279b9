//! A chunk's source sentences, numbered, and the requests they are sent in: sized by the
//! output tokens their answers are expected to take, not by pages, so that every answer stays
//! well under the model's limit and the timeout.

use std::ops::Range;
use std::sync::Arc;

use super::generation::thinking_allowance;
use super::protocol::Numbered;
use crate::engine::local::segment::segment;
use crate::engine::local::{SourcePieces, rewrite_sources, segment_options};
use crate::engine::{ChunkInput, Sentence};
use crate::settings::Settings;

/// What one request's answer should stay under, thinking included: about 30 s of writing at
/// Gemini Flash's pace, far from the 180 s timeout and from every model's output limit.
pub const REQUEST_OUTPUT_TOKENS: u64 = 8_192;

/// The output a scanned page is expected to take (PDF input): about 300 words, transcribed
/// once and rewritten once.
pub const SCANNED_PAGE_TOKENS: u64 = 1_000;

// Gemini's tokenizer averages about four bytes of French text per token.
const BYTES_PER_TOKEN: u64 = 4;
// A rewrite says the same thing in slightly more words (repeated subjects, split clauses).
const REWRITE_GROWTH: f64 = 1.15;
// `{"id":123,"sentences":[` and `]},` around each entry's sentences.
const TOKENS_PER_ENTRY: u64 = 8;
// The quotes and the comma around each sentence.
const TOKENS_PER_PIECE: u64 = 2;
/// Context sent on each side of a request: enough to resolve a pronoun, no more.
const CONTEXT_BYTES: usize = 320;

/// One sentence of the chunk's body.
#[derive(Debug, Clone)]
pub struct Source {
    /// 1-based, in the chunk's order: with the chunk index it names one sentence of the book.
    pub id: u32,
    pub start: usize,
    pub end: usize,
    pub text: Arc<str>,
    /// What the local engine makes of it: the fallback, and its page and chapter.
    pub local: Vec<Sentence>,
}

impl Source {
    /// The tokens its answer entry is expected to take, without thinking.
    pub fn expected_tokens(&self, limit: usize) -> u64 {
        expected_answer_tokens(&self.text, limit)
    }
}

/// The expected size of the answer entry for a source sentence of `text`.
pub fn expected_answer_tokens(text: &str, limit: usize) -> u64 {
    let words = crate::engine::local::words::word_count(text);
    let pieces = words.div_ceil(limit.max(1)).max(1) as u64;
    let rewritten = (text.len() as f64 * REWRITE_GROWTH) as u64 / BYTES_PER_TOKEN;
    rewritten + TOKENS_PER_ENTRY + pieces * TOKENS_PER_PIECE
}

/// The chunk's body sentences, numbered, each with its local rewrite.
pub fn chunk_sources(input: &ChunkInput, settings: &Settings) -> Vec<Source> {
    rewrite_sources(input, settings)
        .into_iter()
        .enumerate()
        .filter_map(|(i, SourcePieces { segment, pieces })| {
            Some(Source {
                id: u32::try_from(i + 1).ok()?,
                start: segment.start,
                end: segment.end,
                text: input.text.get(segment.start..segment.end)?.into(),
                local: pieces,
            })
        })
        .collect()
}

/// The chunk's body sentences numbered as [`chunk_sources`] numbers them, without their
/// local rewrite: what planning alone needs (the estimate).
pub fn numbered_segments(input: &ChunkInput, settings: &Settings) -> Vec<Source> {
    segment(&input.text, segment_options(settings))
        .into_iter()
        .filter(|seg| input.owns(seg.start))
        .enumerate()
        .filter_map(|(i, seg)| {
            Some(Source {
                id: u32::try_from(i + 1).ok()?,
                start: seg.start,
                end: seg.end,
                text: input.text.get(seg.start..seg.end)?.into(),
                local: Vec::new(),
            })
        })
        .collect()
}

/// Consecutive runs of `sources` whose answers, with the thinking they take, fit in
/// `budget` output tokens. A sentence too long for a budget of its own goes alone.
pub fn plan_requests(sources: &[&Source], limit: usize, budget: u64) -> Vec<Range<usize>> {
    plan_by_size(sources.iter().map(|s| s.expected_tokens(limit)), budget)
}

/// [`plan_requests`] over the sizes alone (the estimate has no `Source`s).
pub fn plan_by_size(sizes: impl IntoIterator<Item = u64>, budget: u64) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    let mut run_tokens = 0;
    for (i, size) in sizes.into_iter().enumerate() {
        let grown = run_tokens + size;
        match runs.last_mut() {
            Some(run) if run.end == i && grown + thinking_allowance(grown) <= budget => {
                run.end = i + 1;
                run_tokens = grown;
            }
            _ => {
                runs.push(i..i + 1);
                run_tokens = size;
            }
        }
    }
    runs
}

/// The numbered sentences of a request, and the context on both sides of them.
pub fn request_text(input: &ChunkInput, sources: &[&Source]) -> (String, Vec<Numbered>, String) {
    let (Some(first), Some(last)) = (sources.first(), sources.last()) else {
        return (String::new(), Vec::new(), String::new());
    };
    let before = context_before(&input.text, first.start);
    let after = context_after(&input.text, last.end);
    let numbered = sources
        .iter()
        .map(|s| Numbered::new(s.id, &s.text))
        .collect();
    (before.to_owned(), numbered, after.to_owned())
}

/// Up to [`CONTEXT_BYTES`] before `at`, from the start of a sentence where one can be found.
fn context_before(text: &str, at: usize) -> &str {
    let mut from = at.saturating_sub(CONTEXT_BYTES);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let window = text.get(from..at).unwrap_or_default();
    let start = if from == 0 {
        0
    } else {
        sentence_starts(window).next().unwrap_or(0)
    };
    window[start..].trim()
}

/// Up to [`CONTEXT_BYTES`] after `at`, to the end of a sentence where one can be found.
fn context_after(text: &str, at: usize) -> &str {
    let mut to = (at + CONTEXT_BYTES).min(text.len());
    while !text.is_char_boundary(to) {
        to -= 1;
    }
    let window = text.get(at..to).unwrap_or_default();
    let end = if to == text.len() {
        window.len()
    } else {
        sentence_starts(window).last().unwrap_or(window.len())
    };
    window[..end].trim()
}

/// Offsets just after a sentence mark followed by a space or a line break.
fn sentence_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.char_indices()
        .filter(|&(_, c)| matches!(c, '.' | '!' | '?' | '…' | '\n'))
        .map(|(at, c)| at + c.len_utf8())
        .filter(|&at| text[at..].starts_with([' ', '\n']) || text[..at].ends_with('\n'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::PageStart;

    fn input(text: &str, body: Range<usize>) -> ChunkInput {
        ChunkInput {
            index: 0,
            first_page: 1,
            last_page: 1,
            text: text.to_owned(),
            body_start: body.start,
            body_end: body.end,
            pages: vec![PageStart { offset: 0, page: 1 }],
            chapters: Vec::new(),
            pdf: None,
        }
    }

    #[test]
    fn body_sentences_are_numbered_in_order_with_their_local_rewrite() {
        let text = "Il pleuvait. Elle attendait le train.\nLe train arriva enfin. Il partit.";
        let start = text.find("Elle").unwrap();
        let end = text.find("Il partit").unwrap();
        let sources = chunk_sources(&input(text, start..end), &Settings::default());
        let got: Vec<(u32, &str)> = sources.iter().map(|s| (s.id, &*s.text)).collect();
        assert_eq!(
            got,
            [
                (1, "Elle attendait le train."),
                (2, "Le train arriva enfin.")
            ]
        );
        assert!(sources.iter().all(|s| !s.local.is_empty()));
        let refs: Vec<&Source> = sources.iter().collect();
        let (before, numbered, after) = request_text(&input(text, start..end), &refs);
        assert_eq!(before, "Il pleuvait.");
        assert_eq!(numbered[1], Numbered::new(2, "Le train arriva enfin."));
        assert_eq!(after, "Il partit.");
    }

    #[test]
    fn requests_fill_up_to_the_budget_and_a_giant_goes_alone() {
        let sizes = [1_000, 1_000, 1_000, 9_000, 500, 500];
        // 1000 + 1000 + 1000 = 3000, + thinking (512 + 300) = 3812 ≤ 4096.
        assert_eq!(plan_by_size(sizes, 4_096), [0..3, 3..4, 4..6]);
        assert!(plan_by_size([], 4_096).is_empty());
        // Every run fits, unless a single sentence does not.
        for run in plan_by_size(sizes, 4_096) {
            let total: u64 = sizes[run.clone()].iter().sum();
            assert!(total + thinking_allowance(total) <= 4_096 || run.len() == 1);
        }
    }

    #[test]
    fn a_long_sentence_expects_more_than_a_short_one() {
        let short = expected_answer_tokens("Il pleuvait.", 8);
        let long = expected_answer_tokens(&"et le vent soufflait ".repeat(40), 8);
        assert!(short < 20 && long > 200, "{short} {long}");
    }

    #[test]
    fn context_stops_at_sentence_edges() {
        let text = format!(
            "{}Fin. Juste avant. ICI Après un peu. {}",
            "x".repeat(400),
            "y".repeat(400)
        );
        let at = text.find("ICI").unwrap();
        assert_eq!(context_before(&text, at), "Juste avant.");
        let after = context_after(&text, at + 3);
        assert_eq!(after, "Après un peu.");
    }
}
