//! The answers a perfect model would give: the local engine's rewrite of the prompt's chunk,
//! wrapped in a `GenerateContentResponse` with the shape and defaults Google uses.

use serde::Serialize;

use super::errors;
use crate::engine::gemini::prompt::ParsedPrompt;
use crate::engine::gemini::wire::{
    Candidate, CandidateContent, CandidatePart, ErrorBody, GenerateContentRequest,
    GenerateContentResponse, ModalityTokenCount, PromptFeedback, SafetyRating, UsageMetadata,
};
use crate::engine::local::rewrite_chunk;
use crate::engine::{ChunkInput, ChunkOutput, PageStart};

/// Sent as a thought part when the request asks for thoughts, so clients prove they skip it.
const THOUGHT: &str = "**Rewriting the chunk**\n\nI cut each long sentence at its clauses, \
                       keeping the author's words and their order.";

/// Rewrites the chunk the prompt carries (or, in PDF mode, the attached pages it names); the
/// JSON text a model would answer with.
pub(crate) async fn rewrite(
    prompt: &ParsedPrompt<'_>,
    pdf: Option<Vec<u8>>,
) -> Result<String, ErrorBody> {
    let settings = prompt.settings.clone();
    let with_pages = prompt.pdf_first_page.is_some();
    let input = match (prompt.pdf_first_page, pdf) {
        (None, _) => Ok(chunk_input(prompt)),
        (Some(first), Some(bytes)) => Err((bytes, first, prompt.first_page..=prompt.last_page)),
        (Some(_), None) => {
            return Err(errors::invalid_argument(
                "fake: the prompt names attached pages but no application/pdf part was sent",
            ));
        }
    };
    // Extraction and segmentation are CPU work: keep them off the worker serving requests.
    let output = actix_web::web::block(move || {
        let input = match input {
            Ok(input) => input,
            Err((bytes, first, own)) => {
                let options = crate::pdf::clean::CleanOptions {
                    fix_hyphenation: settings.fix_hyphenation,
                };
                // A scan without text reads as nothing: this fake cannot see images.
                let book = crate::pdf::read_book(&bytes, options)
                    .map(|(book, _)| book)
                    .unwrap_or(crate::pdf::clean::Book {
                        text: String::new(),
                        page_starts: Vec::new(),
                        chapters: Vec::new(),
                    });
                crate::pdf::plan::book_chunk(&book, first, 0, own)
            }
        };
        rewrite_chunk(&input, &settings)
    })
    .await
    .map_err(|_| errors::internal())?;
    answer_json(&output, with_pages)
}

/// The chunk as the engine saw it: context and body joined back, one page start.
pub(crate) fn chunk_input(prompt: &ParsedPrompt<'_>) -> ChunkInput {
    let body_start = prompt.before.len();
    ChunkInput {
        index: 0,
        first_page: prompt.first_page,
        last_page: prompt.last_page,
        text: format!("{}{}{}", prompt.before, prompt.chunk, prompt.after),
        body_start,
        body_end: body_start + prompt.chunk.len(),
        pages: vec![PageStart {
            offset: 0,
            page: prompt.first_page,
        }],
        chapters: Vec::new(),
        pdf: None,
    }
}

/// `{"sentences":[{"normalized":…,"original":…}]}`, the prompt's response schema; with PDF
/// input each sentence also has its `page` (the client cannot know it then).
pub(crate) fn answer_json(output: &ChunkOutput, with_pages: bool) -> Result<String, ErrorBody> {
    #[derive(Serialize)]
    struct Sentence<'a> {
        normalized: &'a str,
        original: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        page: Option<u32>,
    }
    #[derive(Serialize)]
    struct Answer<'a> {
        sentences: Vec<Sentence<'a>>,
    }
    let answer = Answer {
        sentences: output
            .sentences
            .iter()
            .map(|s| Sentence {
                normalized: &s.normalized,
                original: &s.original,
                page: with_pages.then_some(s.page),
            })
            .collect(),
    };
    serde_json::to_string(&answer).map_err(|_| errors::internal())
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
    include_thoughts: bool,
    max_output_tokens: Option<i64>,
}

impl Turn {
    pub(crate) fn new(request: &GenerateContentRequest, model: &str, response_id: String) -> Self {
        let config = request.generation_config.as_ref();
        Self {
            model: model.to_owned(),
            response_id,
            prompt_tokens: request.texts().map(tokens).sum(),
            include_thoughts: config
                .and_then(|c| c.thinking_config.as_ref())
                .and_then(|t| t.include_thoughts)
                .unwrap_or(false),
            max_output_tokens: config.and_then(|c| c.max_output_tokens).map(i64::from),
        }
    }

    /// The whole answer, or as much as `maxOutputTokens` allows (thoughts count against it, as
    /// field reports say they do at Google).
    pub(crate) fn answer(&self, json: &str) -> GenerateContentResponse {
        let needed = self.thoughts_tokens() + tokens(json);
        match self.max_output_tokens {
            Some(max) if needed > max => {
                let room = (max - self.thoughts_tokens()).max(0);
                let chars = usize::try_from(room.saturating_mul(4)).unwrap_or(usize::MAX);
                let cut: String = json.chars().take(chars).collect();
                self.reply(&cut, "MAX_TOKENS")
            }
            _ => self.reply(json, "STOP"),
        }
    }

    /// One candidate with `text` (omitted when empty, as Google does) and usage to match.
    pub(crate) fn reply(&self, text: &str, finish_reason: &str) -> GenerateContentResponse {
        let mut parts = Vec::new();
        if self.include_thoughts {
            parts.push(CandidatePart {
                text: Some(THOUGHT.to_owned()),
                thought: Some(true),
                thought_signature: None,
            });
        }
        if !text.is_empty() {
            parts.push(CandidatePart::text(text));
        }
        let candidates_tokens = tokens(text);
        let thoughts_tokens = self.thoughts_tokens();
        GenerateContentResponse {
            candidates: vec![Candidate {
                content: Some(CandidateContent {
                    role: Some("model".to_owned()),
                    parts,
                }),
                finish_reason: Some(finish_reason.to_owned()),
                ..Candidate::default()
            }],
            usage_metadata: Some(UsageMetadata {
                prompt_token_count: self.prompt_tokens,
                candidates_token_count: candidates_tokens,
                thoughts_token_count: thoughts_tokens,
                total_token_count: self.prompt_tokens + candidates_tokens + thoughts_tokens,
                prompt_tokens_details: vec![ModalityTokenCount {
                    modality: "TEXT".to_owned(),
                    token_count: self.prompt_tokens,
                }],
                ..UsageMetadata::default()
            }),
            model_version: Some(self.model.clone()),
            response_id: Some(self.response_id.clone()),
            ..GenerateContentResponse::default()
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

    fn thoughts_tokens(&self) -> i64 {
        if self.include_thoughts {
            tokens(THOUGHT)
        } else {
            0
        }
    }
}
