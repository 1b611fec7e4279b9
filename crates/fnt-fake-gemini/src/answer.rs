//! What the model reads (the prompt's numbered sentences, or the attached PDF's pages) and the
//! responses it answers with, in the shape and with the defaults Google uses.

use std::ops::RangeInclusive;

use super::errors;
use super::model::{Read, Source};
use super::models::ModelSpec;
use super::thinking::Thinking;
use fnt::engine::gemini::protocol::ParsedPrompt;
use fnt::engine::gemini::wire::{
    Candidate, CandidateContent, CandidatePart, ErrorBody, GenerateContentRequest,
    GenerateContentResponse, ModalityTokenCount, PromptFeedback, SafetyRating, UsageMetadata,
};
use fnt::engine::local::segment::{SegmentOptions, segment};
use fnt::engine::local::shorten::within_limit;
use fnt::engine::local::{rewrite_chunk, segment_options};
use fnt::engine::{ChunkInput, PageStart, Sentence, source_groups};
use fnt::settings::Settings;

/// Sent as a thought part when the request asks for thoughts, so clients prove they skip it.
const THOUGHT: &str = "**Rewriting the chunk**\n\nI cut each long sentence at its clauses, \
                       keeping the author's words and their order.";

/// More book pages than any book has: a `pages=` range this long is refused rather than
/// answered page by page.
const MAX_PAGES: u32 = 100_000;

/// What the model read: the text it was shown (what a recitation check compares the answer
/// with), and its sources, each with the pieces the local engine makes of it.
pub(crate) struct Reading {
    pub(crate) text: String,
    pub(crate) read: Read,
}

/// What there is to read, taken out of the request so that the reading can run off the
/// worker.
enum Input {
    Sentences {
        before: String,
        sentences: Vec<(u32, String)>,
        after: String,
        page: u32,
    },
    Pages {
        pdf: Vec<u8>,
        pdf_first_page: u32,
        pages: RangeInclusive<u32>,
    },
}

/// Reads the numbered sentences the prompt carries (or, in PDF mode, the attached pages it
/// names).
pub(crate) async fn read(
    prompt: &ParsedPrompt<'_>,
    pdf: Option<Vec<u8>>,
) -> Result<Reading, ErrorBody> {
    let settings = prompt.settings.clone();
    let input = match (prompt.pdf_first_page, pdf) {
        (None, _) => Input::Sentences {
            before: prompt.before.to_owned(),
            sentences: prompt
                .sentences
                .iter()
                .map(|&(id, text)| (id, text.to_owned()))
                .collect(),
            after: prompt.after.to_owned(),
            page: prompt.first_page,
        },
        (Some(_), None) => {
            return Err(errors::invalid_argument(
                "fake: the prompt names attached pages but no application/pdf part was sent",
            ));
        }
        (Some(_), Some(_)) if prompt.last_page.saturating_sub(prompt.first_page) > MAX_PAGES => {
            return Err(errors::invalid_argument(format!(
                "fake: pages={}-{} names more pages than a book has",
                prompt.first_page, prompt.last_page
            )));
        }
        (Some(pdf_first_page), Some(pdf)) => Input::Pages {
            pdf,
            pdf_first_page,
            pages: prompt.first_page..=prompt.last_page,
        },
    };
    // Extraction and segmentation are CPU work: keep them off the worker serving requests.
    actix_web::web::block(move || match input {
        Input::Sentences {
            before,
            sentences,
            after,
            page,
        } => read_sentences(&before, &sentences, &after, page, &settings),
        Input::Pages {
            pdf,
            pdf_first_page,
            pages,
        } => read_pages(&pdf, pdf_first_page, pages, &settings),
    })
    .await
    .map_err(|_| errors::internal())
}

/// Each numbered sentence answered on its own: the model sees the context, but its pieces for
/// a sentence are the local engine's for that sentence alone, whatever surrounds it.
fn read_sentences(
    before: &str,
    sentences: &[(u32, String)],
    after: &str,
    page: u32,
    settings: &Settings,
) -> Reading {
    let sources = sentences
        .iter()
        .map(|(id, text)| Source {
            id: *id,
            original: text.clone(),
            pieces: pieces_of(text, page, settings),
            page,
        })
        .collect();
    let text = std::iter::once(before)
        .chain(sentences.iter().map(|(_, text)| text.as_str()))
        .chain([after])
        .collect::<Vec<_>>()
        .join("\n");
    let options = segment_options(settings);
    let context = segmented(after, options)
        .first()
        .or(segmented(before, options).last())
        .map(|sentence| pieces_of(sentence, page, settings))
        .unwrap_or_default();
    Reading {
        text,
        read: Read::Sentences { sources, context },
    }
}

/// The sentences of `text`, as the engine segments them.
fn segmented(text: &str, options: SegmentOptions) -> Vec<&str> {
    segment(text, options)
        .into_iter()
        .filter_map(|s| text.get(s.start..s.end))
        .collect()
}

/// The local engine's pieces for `sentence` alone.
fn pieces_of(sentence: &str, page: u32, settings: &Settings) -> Vec<String> {
    let input = ChunkInput {
        index: 0,
        first_page: page,
        last_page: page,
        text: sentence.to_owned(),
        body_start: 0,
        body_end: sentence.len(),
        pages: vec![PageStart { offset: 0, page }],
        chapters: Vec::new(),
        pdf: None,
    };
    // A model shortens what the local engine could not cut within the limit.
    let pieces: Vec<String> = within_limit(rewrite_chunk(&input, settings).sentences, settings)
        .into_iter()
        .map(|s| s.normalized)
        .collect();
    // Alone on its line, a short sentence can look like a heading to the segmenter, which
    // then skips it; a model asked to rewrite it still writes it.
    if pieces.is_empty() && sentence.chars().any(char::is_alphanumeric) {
        return vec![sentence.split_whitespace().collect::<Vec<_>>().join(" ")];
    }
    pieces
}

/// The sentences that start on book pages `pages` of the attached PDF, per page: every page of
/// the range once, none outside it; and those of the page before, when the PDF holds it.
fn read_pages(
    pdf: &[u8],
    pdf_first_page: u32,
    pages: RangeInclusive<u32>,
    settings: &Settings,
) -> Reading {
    let options = fnt::pdf::clean::CleanOptions {
        fix_hyphenation: settings.fix_hyphenation,
    };
    // A scan without text reads as nothing: this fake cannot see images.
    let book = fnt::pdf::read_book(pdf, options)
        .map(|(book, _)| book)
        .unwrap_or(fnt::pdf::clean::Book {
            text: String::new(),
            page_starts: Vec::new(),
            chapters: Vec::new(),
        });
    let sources_per_page = |pages: RangeInclusive<u32>| {
        let input = fnt::pdf::plan::book_chunk(&book, pdf_first_page, 0, pages.clone());
        let written = within_limit(rewrite_chunk(&input, settings).sentences, settings);
        let sources = sources_of(&written);
        let per_page = pages
            .map(|page| {
                let on_page = sources.iter().filter(|s| s.page == page).cloned().collect();
                (page, on_page)
            })
            .collect::<Vec<_>>();
        (input.text, per_page)
    };
    let before = pages
        .start()
        .checked_sub(1)
        .filter(|&page| page >= pdf_first_page)
        .and_then(|page| sources_per_page(page..=page).1.pop());
    let (text, pages) = sources_per_page(pages);
    Reading {
        text,
        read: Read::Pages { pages, before },
    }
}

/// A chunk's output as source sentences, each with its pieces.
fn sources_of(sentences: &[Sentence]) -> Vec<Source> {
    source_groups(sentences)
        .into_iter()
        .filter_map(|group| {
            let pieces = sentences.get(group)?;
            let first = pieces.first()?;
            Some(Source {
                id: 0,
                original: first.original.to_string(),
                pieces: pieces.iter().map(|s| s.normalized.clone()).collect(),
                page: first.page,
            })
        })
        .collect()
}

/// Google's rough rate of four characters a token, rounded up.
pub(crate) fn tokens(text: &str) -> i64 {
    i64::try_from(text.chars().count().div_ceil(4)).unwrap_or(i64::MAX)
}

/// What one answer depends on in the request, and the names it goes out under.
pub(crate) struct Turn {
    model: String,
    response_id: String,
    prompt_tokens: i64,
    thinking: Thinking,
    /// `maxOutputTokens`, or the model's own limit when the request sets none.
    max_output_tokens: i64,
}

impl Turn {
    pub(crate) fn new(
        request: &GenerateContentRequest,
        model: &ModelSpec,
        response_id: String,
    ) -> Self {
        let config = request.generation_config.as_ref();
        Self {
            model: model.id.clone(),
            response_id,
            prompt_tokens: request.texts().map(tokens).sum(),
            thinking: Thinking::of(request, model),
            max_output_tokens: config
                .and_then(|c| c.max_output_tokens)
                .map_or(model.output_limit, i64::from),
        }
    }

    /// The whole answer, or as much as `maxOutputTokens` leaves after thinking (thoughts count
    /// against it, as field reports say they do at Google). Thinking that eats the whole
    /// budget leaves no text at all.
    pub(crate) fn answer(&self, json: &str) -> GenerateContentResponse {
        let answer_tokens = tokens(json);
        let thoughts = self.thinking.tokens(answer_tokens);
        if thoughts + answer_tokens <= self.max_output_tokens {
            return self.reply(json, "STOP", thoughts);
        }
        let thoughts = thoughts.min(self.max_output_tokens);
        let room = self.max_output_tokens - thoughts;
        let chars = usize::try_from(room.saturating_mul(4)).unwrap_or(usize::MAX);
        let cut: String = json.chars().take(chars).collect();
        self.reply(&cut, "MAX_TOKENS", thoughts)
    }

    /// `text` after the thinking a full answer of `full` would take.
    pub(crate) fn reply_for(
        &self,
        text: &str,
        full: &str,
        finish_reason: &str,
    ) -> GenerateContentResponse {
        let thoughts = self.thinking.tokens(tokens(full));
        self.reply(text, finish_reason, thoughts)
    }

    /// One candidate with `text` (omitted when empty, as Google does) and usage to match.
    fn reply(&self, text: &str, finish_reason: &str, thoughts: i64) -> GenerateContentResponse {
        let mut parts = Vec::new();
        if self.thinking.include_thoughts && thoughts > 0 {
            parts.push(CandidatePart {
                text: Some(THOUGHT.to_owned()),
                thought: Some(true),
                thought_signature: None,
            });
        }
        if !text.is_empty() {
            parts.push(CandidatePart::text(text));
        }
        GenerateContentResponse {
            candidates: vec![Candidate {
                content: Some(CandidateContent {
                    role: Some("model".to_owned()),
                    parts,
                }),
                finish_reason: Some(finish_reason.to_owned()),
                ..Candidate::default()
            }],
            usage_metadata: Some(self.usage(tokens(text), thoughts)),
            model_version: Some(self.model.clone()),
            response_id: Some(self.response_id.clone()),
            ..GenerateContentResponse::default()
        }
    }

    /// What Google sends when the answer would recite a published text: a candidate without
    /// content, finishReason RECITATION, and, when known, where the reciting text stands in
    /// the answer. The thinking was done, and is billed.
    pub(crate) fn recitation(&self, full: &str, reciting: Option<&str>) -> GenerateContentResponse {
        let thoughts = self.thinking.tokens(tokens(full));
        // The text as it stands inside the JSON answer: escaped, without its quotes.
        let citation = reciting
            .and_then(|text| serde_json::to_string(text).ok())
            .and_then(|quoted| {
                let escaped = quoted.get(1..quoted.len().saturating_sub(1))?.to_owned();
                let start = full.find(&escaped)?;
                Some(serde_json::json!({"citationSources": [{
                    "startIndex": start,
                    "endIndex": start + escaped.len(),
                }]}))
            });
        GenerateContentResponse {
            candidates: vec![Candidate {
                finish_reason: Some("RECITATION".to_owned()),
                citation_metadata: citation,
                ..Candidate::default()
            }],
            usage_metadata: Some(self.usage(0, thoughts)),
            model_version: Some(self.model.clone()),
            response_id: Some(self.response_id.clone()),
            ..GenerateContentResponse::default()
        }
    }

    fn usage(&self, candidates: i64, thoughts: i64) -> UsageMetadata {
        UsageMetadata {
            prompt_token_count: self.prompt_tokens,
            candidates_token_count: candidates,
            thoughts_token_count: thoughts,
            total_token_count: self.prompt_tokens + candidates + thoughts,
            prompt_tokens_details: vec![ModalityTokenCount {
                modality: "TEXT".to_owned(),
                token_count: self.prompt_tokens,
            }],
            ..UsageMetadata::default()
        }
    }

    /// The recorded output block: empty content, SAFETY, one rating marked blocked.
    pub(crate) fn safety_block(&self) -> GenerateContentResponse {
        let rating = |category: &str, probability: &str, blocked| SafetyRating {
            category: category.to_owned(),
            probability: probability.to_owned(),
            blocked,
        };
        GenerateContentResponse {
            candidates: vec![Candidate {
                content: Some(CandidateContent::default()),
                finish_reason: Some("SAFETY".to_owned()),
                safety_ratings: vec![
                    rating("HARM_CATEGORY_HATE_SPEECH", "LOW", true),
                    rating("HARM_CATEGORY_HARASSMENT", "NEGLIGIBLE", false),
                ],
                ..Candidate::default()
            }],
            usage_metadata: Some(self.prompt_only_usage()),
            model_version: Some(self.model.clone()),
            ..GenerateContentResponse::default()
        }
    }

    /// The reference's prompt block: feedback and usage, no candidates at all.
    pub(crate) fn prompt_block(&self) -> GenerateContentResponse {
        GenerateContentResponse {
            prompt_feedback: Some(PromptFeedback {
                block_reason: Some("PROHIBITED_CONTENT".to_owned()),
                ..PromptFeedback::default()
            }),
            usage_metadata: Some(self.prompt_only_usage()),
            ..GenerateContentResponse::default()
        }
    }

    fn prompt_only_usage(&self) -> UsageMetadata {
        UsageMetadata {
            prompt_token_count: self.prompt_tokens,
            total_token_count: self.prompt_tokens,
            ..UsageMetadata::default()
        }
    }
}
