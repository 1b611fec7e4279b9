//! The Gemini engine: `generateContent` over REST with awc.
//!
//! A chunk is one request. An answer that was blocked or cut at the token limit is asked
//! again on each half of the chunk; a piece too small to split is written by the local engine
//! and its sentences say so. Every answer is checked before it is accepted: readable JSON (one
//! repair attempt), nothing silently dropped, and every sentence within the limit (one
//! targeted re-ask, then a local split).

pub mod client;
pub mod generation;
mod models;
pub mod prompt;
pub mod protocol;
pub mod wire;

use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

use super::local::segment::{SegmentOptions, segment};
use super::local::{rewrite_chunk, split, words::word_count};
use super::rate_gate::{RateGate, RateLimits};
use super::{
    ChunkInput, ChunkOutput, Engine, EngineError, Meter, PageStart, PieceKind, Sentence, Usage,
};
use crate::clock::Clock;
use crate::config::Secret;
use crate::metrics::{CallOutcome, EngineCall};
use crate::settings::{ModelPreference, Settings};
use client::{CallFailure, Client};
use models::{Models, Move};
use wire::{ApiFailure, ContentFailure, GenerateContentRequest, Part};

pub const GEMINI: &str = "gemini";

/// A chunk body shorter than this is not split further; the local engine writes it instead.
const MIN_SPLIT_BYTES: usize = 400;
/// An answer whose originals cover less than this share of the chunk's words dropped text.
const MIN_WORD_RATIO: f64 = 0.6;

#[derive(Debug, Clone)]
pub struct GeminiConfig {
    pub base_url: String,
    /// Kept wrapped so that printing the configuration never shows it.
    pub api_key: Secret,
    /// Candidate models per preference, in order.
    pub models_speed: Vec<String>,
    pub models_balanced: Vec<String>,
    pub models_quality: Vec<String>,
    /// How often the model list is read again.
    pub models_refresh: Duration,
    pub limits: RateLimits,
    pub request_timeout: Duration,
    pub max_output_tokens: i32,
    /// Park a chunk this long on a daily-quota error instead of until the quota resets.
    pub quota_park: Option<Duration>,
    pub clock: Clock,
}

pub struct GeminiEngine {
    config: GeminiConfig,
    client: Client,
    gate: RateGate,
    models: Models,
    key: Mutex<KeyState>,
    /// Held by the one call that tests a key not known to work yet, so that a bad key costs
    /// one call, not one per chunk in flight.
    probe: tokio::sync::Mutex<()>,
}

/// What the last answers said about the API key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyState {
    Unverified,
    Accepted,
    /// Refused (invalid, revoked, not allowed): no call is made until a model listing works.
    Refused(String),
}

/// Why one request did not give sentences.
enum Ask {
    /// Blocked or cut short: try again on smaller pieces.
    Split(String),
    /// Refused for reciting the book: every smaller request would ask for the same copies
    /// of the originals, so the local engine writes this one.
    Recited(String),
    /// The model does not exist (any more): try the preference's next one.
    ModelGone(String),
    Fail(EngineError),
}

/// The model that answered last during one chunk's rewrite.
type Used = RefCell<Option<String>>;

#[derive(Deserialize)]
struct Reply {
    sentences: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    normalized: String,
    original: String,
    /// Only asked for with PDF input, where the client cannot find the page itself.
    #[serde(default)]
    page: Option<u32>,
}

impl GeminiEngine {
    pub fn new(config: GeminiConfig) -> Result<Self, String> {
        Ok(Self {
            client: Client::new(
                &config.base_url,
                config.api_key.expose(),
                config.request_timeout,
                config.clock,
            )?,
            gate: RateGate::new(config.limits),
            models: Models::new(
                [
                    config.models_speed.clone(),
                    config.models_balanced.clone(),
                    config.models_quality.clone(),
                ],
                config.clock,
            ),
            key: Mutex::new(KeyState::Unverified),
            probe: tokio::sync::Mutex::new(()),
            config,
        })
    }

    /// The model these settings' preference uses now, if any is left.
    pub fn model_for(&self, settings: &Settings) -> Option<String> {
        self.models.current(settings.model_preference)
    }

    fn key_state(&self) -> KeyState {
        self.key
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_key_state(&self, state: KeyState) {
        *self.key.lock().unwrap_or_else(PoisonError::into_inner) = state;
    }

    /// Reads Google's model list: which candidates exist and their token limits. A refused
    /// key is remembered (jobs then fail at once, without calls); a listing that works clears
    /// it. Fails when no preference has a model left.
    pub async fn refresh_models(&self) -> Result<(), String> {
        match self.client.list_models().await {
            Ok(listed) => {
                // Listing proves the key reaches Google, not that it may generate: the next
                // call still goes alone.
                if matches!(self.key_state(), KeyState::Refused(_)) {
                    tracing::info!("the Gemini API key works again");
                    self.set_key_state(KeyState::Unverified);
                }
                for moved in self.models.listed(listed) {
                    log_move(&moved, "not listed by Google");
                }
            }
            Err(CallFailure::Api(
                failure @ (ApiFailure::InvalidKey { .. } | ApiFailure::PermissionDenied { .. }),
            )) => {
                let message = key_message(&failure);
                tracing::error!("{message}; Gemini jobs fail until it is fixed");
                self.set_key_state(KeyState::Refused(message));
                return Ok(());
            }
            Err(failure) => {
                // Google unreachable for now: every candidate stays a candidate, and a 404
                // still moves a preference on.
                tracing::warn!(error = %describe(&failure), "could not list the Gemini models; keeping the candidates");
                return Ok(());
            }
        }
        let exhausted = self.models.exhausted();
        for (preference, candidates) in &exhausted {
            tracing::error!(
                preference = preference.as_str(),
                candidates = %candidates.join(","),
                "no candidate model of this preference is offered by Google"
            );
        }
        if exhausted.len() == 3 {
            return Err(format!(
                "none of the configured Gemini models is offered by Google (speed: {}; balanced: {}; \
                 quality: {}). Set FNT_GEMINI_MODELS_SPEED / _BALANCED / _QUALITY to current ids; \
                 offered now: {}",
                self.models.candidates(ModelPreference::Speed).join(","),
                self.models.candidates(ModelPreference::Balanced).join(","),
                self.models.candidates(ModelPreference::Quality).join(","),
                self.models.some_listed().join(", "),
            ));
        }
        Ok(())
    }

    /// Rewrites the body of `input`, halving it while answers are blocked or cut short.
    fn rewrite_body<'a>(
        &'a self,
        input: ChunkInput,
        settings: &'a Settings,
        meter: &'a Meter,
        used: &'a Used,
    ) -> LocalBoxFuture<'a, Result<Vec<Sentence>, EngineError>> {
        Box::pin(async move {
            // A chunk inside a sentence begun earlier, or a part cut around a long sentence,
            // may have no text of its own: nothing to ask.
            let body = input.text.get(input.body_start..input.body_end);
            if input.pdf.is_none() && body.is_none_or(|b| b.trim().is_empty()) {
                return Ok(Vec::new());
            }
            // The answer repeats a sentence's original beside each of its pieces: a sentence
            // of pages would need more output than a request may give. It is rewritten here,
            // by the local engine's rules, and what stands around it goes to the model.
            if input.pdf.is_none()
                && let Some((before, long, after)) =
                    around_unanswerable(&input, settings, self.answer_budget())
            {
                tracing::info!(
                    chunk = input.index,
                    bytes = long.body_end - long.body_start,
                    "a sentence too long for one answer is rewritten locally"
                );
                let mut sentences = self.rewrite_body(before, settings, meter, used).await?;
                sentences.extend(local_fallback(&long, settings));
                sentences.extend(self.rewrite_body(after, settings, meter, used).await?);
                return Ok(sentences);
            }
            match self.ask(&input, settings, meter, used).await {
                Ok(sentences) => Ok(sentences),
                Err(Ask::Fail(e)) => Err(e),
                Err(Ask::ModelGone(message)) => Err(EngineError::NoModel(message)),
                Err(Ask::Recited(why)) => {
                    tracing::info!(chunk = input.index, %why, "the local engine writes what Gemini would not recite");
                    Ok(local_fallback(&input, settings))
                }
                Err(Ask::Split(why)) => match halves(&input) {
                    Some((first, second)) => {
                        tracing::info!(chunk = input.index, %why, "splitting the chunk in halves");
                        // Side by side, under the rate gate: a chunk split many times over
                        // then takes the time of its depth, not of its leaves.
                        let (first, second) = futures_util::future::join(
                            self.rewrite_body(first, settings, meter, used),
                            self.rewrite_body(second, settings, meter, used),
                        )
                        .await;
                        let mut sentences = first?;
                        sentences.extend(second?);
                        Ok(sentences)
                    }
                    None => {
                        tracing::info!(chunk = input.index, %why, "falling back to the local engine");
                        Ok(local_fallback(&input, settings))
                    }
                },
            }
        })
    }

    /// The output, in bytes, one answer may hold: half the token cap (the model thinks inside
    /// it too), at four bytes a token.
    fn answer_budget(&self) -> usize {
        usize::try_from(self.config.max_output_tokens.max(0)).unwrap_or(0) * 4 / 2
    }

    async fn ask(
        &self,
        input: &ChunkInput,
        settings: &Settings,
        meter: &Meter,
        used: &Used,
    ) -> Result<Vec<Sentence>, Ask> {
        let items = self.request_items(input, settings, meter, used).await?;
        let mut sentences = if input.pdf.is_some() {
            // No text to compare with: the model's pages are trusted within the chunk.
            pages_from_answer(input, items)
        } else {
            check_coverage(expected_words(input), &items).map_err(Ask::Fail)?;
            place_on_pages(input, items)
        };
        self.enforce_limit(input, settings, &mut sentences, meter, used)
            .await
            .map_err(Ask::Fail)?;
        Ok(sentences)
    }

    /// One request for `input`'s body; the answer's items, or why there are none. A model
    /// that answers 404 gives way to the preference's next candidate, at once.
    async fn request_items(
        &self,
        input: &ChunkInput,
        settings: &Settings,
        meter: &Meter,
        used: &Used,
    ) -> Result<Vec<Item>, Ask> {
        let prompt = prompt::prompt(input, settings);
        let (parts, schema, estimate) = match &input.pdf {
            None => (
                vec![Part::text(prompt.user)],
                prompt::response_schema(),
                (prompt.system.len() + input.text.len()) as u64 / 4,
            ),
            Some(pdf) => (
                vec![
                    Part {
                        inline_data: Some(wire::Blob {
                            mime_type: "application/pdf".into(),
                            data: pdf.data.clone(),
                        }),
                        ..Part::default()
                    },
                    Part::text(prompt.user),
                ],
                prompt::response_schema_with_pages(),
                // Google's documented rate for documents: 258 tokens a page.
                u64::from(input.last_page - input.first_page + 3) * 258,
            ),
        };
        let preference = settings.model_preference;
        // Each candidate at most once: a 404 moves on, anything else ends the loop.
        for _ in 0..=self.models.candidates(preference).len() {
            let Some(model) = self.models.current(preference) else {
                break;
            };
            let generation = generation::for_model(
                &model,
                self.config.max_output_tokens,
                self.models.output_limit(&model),
            );
            let mut request = GenerateContentRequest::text_json(
                &prompt.system,
                parts.clone(),
                schema.clone(),
                generation.max_output_tokens,
                0.2,
            );
            if let Some(config) = request.generation_config.as_mut() {
                config.temperature = generation.temperature;
                config.thinking_config = generation.thinking;
            }
            match self.call(&model, &request, estimate, meter).await {
                Err(Ask::ModelGone(_)) => {
                    report_moves(self.models.not_found(&model), "not_found", meter);
                }
                Ok(items) => {
                    *used.borrow_mut() = Some(model);
                    return Ok(items);
                }
                Err(other) => return Err(other),
            }
        }
        Err(Ask::Fail(EngineError::NoModel(format!(
            "no Gemini model of the {} preference is available (tried {}); \
             set FNT_GEMINI_MODELS_{} to current ids",
            preference.as_str(),
            self.models.candidates(preference).join(", "),
            preference.as_str().to_uppercase(),
        ))))
    }

    /// One call to `model`, through the rate gate and the key check.
    async fn call(
        &self,
        model: &str,
        request: &GenerateContentRequest,
        estimate: u64,
        meter: &Meter,
    ) -> Result<Vec<Item>, Ask> {
        if let KeyState::Refused(message) = self.key_state() {
            return Err(Ask::Fail(EngineError::InvalidKey(message)));
        }
        let pass = self.gate.admit(estimate).await;
        let pass_waited = pass.waited;
        // Until a call has shown the key works, calls go one at a time; the key may have been
        // refused while this one waited.
        let _probe = match self.key_state() {
            KeyState::Unverified => Some(self.probe.lock().await),
            _ => None,
        };
        if let KeyState::Refused(message) = self.key_state() {
            return Err(Ask::Fail(EngineError::InvalidKey(message)));
        }
        // Another call may have found the model gone while this one waited its turn.
        if !self.models.available(model) {
            return Err(Ask::ModelGone(format!(
                "{model} answered 404 to another call"
            )));
        }
        let sent = std::time::Instant::now();
        let mut call_usage = Usage::default();
        let answer = self.client.generate(model, request, &mut call_usage).await;
        let took = sent.elapsed();
        drop(pass);
        meter.add(call_usage);
        self.note_key(&answer);
        self.note_model(model, &answer, meter);
        let result = match answer {
            Ok(text) => parse_items(&text).ok_or_else(|| {
                // The same request would get the same answer from a model at rest: a smaller
                // one is a different question.
                Ask::Split("the answer is not the JSON that was asked for".into())
            }),
            Err(CallFailure::Transport(m)) => Err(Ask::Fail(EngineError::Unavailable(m))),
            // An answer too long to write within the timeout would be as long next time: a
            // smaller request is answered sooner.
            Err(CallFailure::TimedOut(m)) => Err(Ask::Split(m)),
            Err(CallFailure::BadBody(m)) => Err(Ask::Fail(EngineError::Malformed(m))),
            Err(CallFailure::Content(failure)) => match failure {
                ContentFailure::Refused { ref finish_reason } if finish_reason == "RECITATION" => {
                    Err(Ask::Recited(failure.to_string()))
                }
                ContentFailure::PromptBlocked { .. } | ContentFailure::Refused { .. } => {
                    Err(Ask::Split(failure.to_string()))
                }
                ContentFailure::Truncated { .. } => Err(Ask::Split(failure.to_string())),
                ContentFailure::Empty => {
                    Err(Ask::Fail(EngineError::Malformed(failure.to_string())))
                }
            },
            Err(CallFailure::Api(ApiFailure::ModelNotFound { message })) => {
                Err(Ask::ModelGone(message))
            }
            Err(CallFailure::Api(failure)) => Err(Ask::Fail(self.engine_error(failure))),
        };
        meter.observe(&EngineCall {
            engine: GEMINI,
            model,
            outcome: call_outcome(&result),
            took,
            gate_wait: pass_waited,
            input_tokens: call_usage.input_tokens,
            output_tokens: call_usage.output_tokens,
        });
        result
    }

    /// A key refused by Google stops every further call; any answer proves it works.
    fn note_key(&self, answer: &Result<String, CallFailure>) {
        match answer {
            Err(CallFailure::Api(
                failure @ (ApiFailure::InvalidKey { .. } | ApiFailure::PermissionDenied { .. }),
            )) => {
                let message = key_message(failure);
                tracing::error!("{message}; no more Gemini calls until it is fixed");
                self.set_key_state(KeyState::Refused(message));
            }
            // A 404 for the model or a 400 for the request come after the key was accepted.
            Ok(_)
            | Err(
                CallFailure::Content(_)
                | CallFailure::BadBody(_)
                | CallFailure::Api(
                    ApiFailure::ModelNotFound { .. } | ApiFailure::InvalidArgument { .. },
                ),
            ) => {
                if self.key_state() == KeyState::Unverified {
                    self.set_key_state(KeyState::Accepted);
                }
            }
            Err(CallFailure::Api(_) | CallFailure::Transport(_) | CallFailure::TimedOut(_)) => {}
        }
    }

    /// Keeps each model's overload streak.
    fn note_model(&self, model: &str, answer: &Result<String, CallFailure>, meter: &Meter) {
        match answer {
            Err(CallFailure::Api(ApiFailure::Unavailable { .. })) => {
                report_moves(self.models.overloaded(model), "overloaded", meter);
            }
            Ok(_) => self.models.answered(model),
            Err(_) => {}
        }
    }

    fn engine_error(&self, failure: ApiFailure) -> EngineError {
        match failure {
            failure @ (ApiFailure::InvalidKey { .. } | ApiFailure::PermissionDenied { .. }) => {
                EngineError::InvalidKey(key_message(&failure))
            }
            ApiFailure::QuotaPerMinute { retry_after } => EngineError::RateLimited {
                retry_after: retry_after.unwrap_or(Duration::from_secs(60)),
            },
            ApiFailure::QuotaPerDay { .. } => EngineError::QuotaExhausted {
                until: match self.config.quota_park {
                    Some(park) => Utc::now() + chrono::Duration::from_std(park).unwrap_or_default(),
                    None => next_quota_reset(Utc::now()),
                },
            },
            ApiFailure::Internal { message }
            | ApiFailure::Unavailable { message }
            | ApiFailure::DeadlineExceeded { message } => EngineError::Unavailable(message),
            ApiFailure::Other {
                http_status,
                message,
            } if http_status >= 500 => EngineError::Unavailable(message),
            other => EngineError::Permanent(other.to_string()),
        }
    }

    /// Sentences over the limit get one targeted re-ask; what is still too long is split
    /// locally. Dialogue kept whole on request is left alone.
    async fn enforce_limit(
        &self,
        input: &ChunkInput,
        settings: &Settings,
        sentences: &mut Vec<Sentence>,
        meter: &Meter,
        used: &Used,
    ) -> Result<(), EngineError> {
        let limit = settings.sentence_length_limit as usize;
        let too_long = |s: &Sentence| {
            word_count(&s.normalized) > limit
                && !(settings.ignore_dialogue && is_dialogue(&s.original))
        };
        if !sentences.iter().any(too_long) {
            return Ok(());
        }
        let long: Vec<String> = sentences
            .iter()
            .filter(|s| too_long(s))
            .map(|s| s.normalized.clone())
            .collect();
        let text = long.join("\n");
        let body_end = text.len();
        let reask = ChunkInput {
            index: input.index,
            first_page: input.first_page,
            last_page: input.first_page,
            text,
            body_start: 0,
            body_end,
            pages: vec![PageStart {
                offset: 0,
                page: input.first_page,
            }],
            chapters: Vec::new(),
            pdf: None,
        };
        let answers = match self.request_items(&reask, settings, meter, used).await {
            Ok(answers) => answers,
            // An outage is waited out like any other: splitting locally instead would make
            // the result depend on the weather.
            Err(Ask::Fail(e)) if e.is_retryable() || e.fails_job() || e.snooze().is_some() => {
                return Err(e);
            }
            // Refused, or an answer that cannot be used: the local split below.
            Err(_) => Vec::new(),
        };
        let mut out = Vec::with_capacity(sentences.len());
        for sentence in sentences.drain(..) {
            if !too_long(&sentence) {
                out.push(sentence);
                continue;
            }
            let pieces: Vec<(String, Option<PieceKind>)> = answers
                .iter()
                .filter(|a| a.original == sentence.normalized)
                .map(|a| (a.normalized.clone(), None))
                .collect();
            let pieces = if !pieces.is_empty() && pieces.iter().all(|p| word_count(&p.0) <= limit) {
                pieces
            } else {
                split::split_sentence(
                    &sentence.normalized,
                    split::SplitOptions {
                        max_words: limit,
                        min_words: settings.min_sentence_length as usize,
                        keep_dialogue_whole: settings.ignore_dialogue,
                    },
                )
                .into_iter()
                .map(|p| (p.text, Some(p.kind)))
                .collect()
            };
            out.extend(pieces.into_iter().map(|(normalized, kind)| Sentence {
                normalized,
                kind,
                ..sentence.clone()
            }));
        }
        *sentences = out;
        Ok(())
    }
}

impl Engine for GeminiEngine {
    fn name(&self) -> &str {
        GEMINI
    }

    fn reads_pdf(&self) -> bool {
        true
    }

    fn model(&self, settings: &Settings) -> Option<String> {
        self.model_for(settings)
    }

    fn cache_identity(&self, settings: &Settings) -> Option<String> {
        Some(format!(
            "{GEMINI}|{}|{}",
            self.model_for(settings)?,
            prompt::PROMPT_VERSION
        ))
    }

    fn refresh(self: Arc<Self>) -> LocalBoxFuture<'static, Result<(), String>> {
        Box::pin(async move { self.refresh_models().await })
    }

    fn refresh_every(&self) -> Option<Duration> {
        Some(self.config.models_refresh)
    }

    fn rewrite(
        self: Arc<Self>,
        input: Arc<ChunkInput>,
        settings: Arc<Settings>,
        meter: Meter,
    ) -> LocalBoxFuture<'static, Result<ChunkOutput, EngineError>> {
        Box::pin(async move {
            let used = Used::default();
            let sentences = self
                .rewrite_body((*input).clone(), &settings, &meter, &used)
                .await?;
            Ok(ChunkOutput {
                sentences,
                model: used.into_inner(),
            })
        })
    }
}

/// How one call went, for the metrics.
fn call_outcome<T>(result: &Result<T, Ask>) -> CallOutcome {
    match result {
        Ok(_) => CallOutcome::Ok,
        Err(Ask::Split(_) | Ask::Recited(_)) => CallOutcome::Blocked,
        Err(Ask::ModelGone(_)) => CallOutcome::Rejected,
        Err(Ask::Fail(e)) => match e {
            EngineError::RateLimited { .. } => CallOutcome::RateLimited,
            EngineError::QuotaExhausted { .. } => CallOutcome::QuotaExhausted,
            EngineError::Unavailable(_) => CallOutcome::Unavailable,
            EngineError::Malformed(_) => CallOutcome::Malformed,
            EngineError::InvalidKey(_) => CallOutcome::InvalidKey,
            EngineError::Permanent(_) | EngineError::NoModel(_) => CallOutcome::Rejected,
        },
    }
}

/// The answer's items, after one repair attempt on JSON that does not parse.
fn parse_items(text: &str) -> Option<Vec<Item>> {
    let text = wire::strip_json_fences(text);
    serde_json::from_str::<Reply>(text)
        .or_else(|_| serde_json::from_str::<Reply>(&repair_json(text)))
        .ok()
        .map(|reply| reply.sentences)
}

/// Mends what models commonly break in JSON: trailing commas and unclosed brackets.
fn repair_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut closers = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => closers.push('}'),
            '[' => closers.push(']'),
            '}' | ']' => {
                closers.pop();
                drop_trailing_comma(&mut out);
            }
            _ => {}
        }
        out.push(c);
    }
    if in_string {
        out.push('"');
    }
    drop_trailing_comma(&mut out);
    while let Some(closer) = closers.pop() {
        out.push(closer);
    }
    out
}

fn drop_trailing_comma(out: &mut String) {
    let trimmed = out.trim_end().len();
    if out[..trimmed].ends_with(',') {
        out.truncate(trimmed - 1);
    }
}

/// The words of the sentences that start in the chunk's body, as the local segmenter sees
/// them: headings and page furniture don't count, so a chunk of only a chapter title may
/// rightly come back empty.
fn expected_words(input: &ChunkInput) -> usize {
    segment(&input.text, SegmentOptions::default())
        .into_iter()
        .filter(|s| input.owns(s.start))
        .filter_map(|s| input.text.get(s.start..s.end))
        .map(word_count)
        .sum()
}

/// The first body sentence whose answer would outgrow `budget` bytes (its original repeated
/// beside each of its pieces), cut out of `input`: the body before it, it, the body after.
fn around_unanswerable(
    input: &ChunkInput,
    settings: &Settings,
    budget: usize,
) -> Option<(ChunkInput, ChunkInput, ChunkInput)> {
    let limit = (settings.sentence_length_limit as usize).max(1);
    let long = segment(&input.text, super::local::segment_options(settings))
        .into_iter()
        .filter(|s| input.owns(s.start))
        .find(|s| {
            let text = input.text.get(s.start..s.end).unwrap_or_default();
            word_count(text).div_ceil(limit).saturating_mul(text.len()) > budget
        })?;
    // The next sentence starts where this one's text ends, spaces aside.
    let end = input.text[long.end..]
        .find(|c: char| !c.is_whitespace())
        .map_or(input.text.len(), |at| long.end + at)
        .min(input.body_end);
    let part = |start: usize, end: usize| ChunkInput {
        body_start: start,
        body_end: end,
        ..input.clone()
    };
    Some((
        part(input.body_start, long.start),
        part(long.start, end),
        part(end, input.body_end),
    ))
}

/// An answer that covers too little of the chunk silently dropped text.
fn check_coverage(body_words: usize, items: &[Item]) -> Result<(), EngineError> {
    if body_words == 0 {
        return Ok(());
    }
    if items.is_empty() {
        return Err(EngineError::Malformed(
            "the answer has no sentences for a chunk with text".into(),
        ));
    }
    let mut covered = 0;
    let mut last: Option<&str> = None;
    for item in items {
        if last != Some(item.original.as_str()) {
            covered += word_count(&item.original);
        }
        last = Some(&item.original);
    }
    if (covered as f64) < body_words as f64 * MIN_WORD_RATIO {
        return Err(EngineError::Malformed(format!(
            "the answer covers {covered} of the chunk's {body_words} words"
        )));
    }
    Ok(())
}

/// Finds each original in the chunk, in order, to give its sentences a page.
fn place_on_pages(input: &ChunkInput, items: Vec<Item>) -> Vec<Sentence> {
    let mut cursor = input.body_start;
    let mut shared = Originals::default();
    items
        .into_iter()
        .map(|item| {
            let found = input
                .text
                .get(cursor..)
                .and_then(|rest| rest.find(&item.original))
                .map(|at| cursor + at);
            if let Some(at) = found {
                cursor = at;
            }
            Sentence {
                page: input.page_at(found.unwrap_or(cursor)),
                chapter: input.chapter_at(found.unwrap_or(cursor)),
                normalized: item.normalized,
                original: shared.get(item.original),
                engine: None,
                kind: None,
            }
        })
        .collect()
}

fn pages_from_answer(input: &ChunkInput, items: Vec<Item>) -> Vec<Sentence> {
    let mut shared = Originals::default();
    items
        .into_iter()
        .map(|item| Sentence {
            page: item
                .page
                .unwrap_or(input.first_page)
                .clamp(input.first_page, input.last_page),
            // Scanned books are read by the model alone: no headings are known.
            chapter: None,
            normalized: item.normalized,
            original: shared.get(item.original),
            engine: None,
            kind: None,
        })
        .collect()
}

/// The answer repeats a source sentence's original beside each of its pieces: consecutive
/// copies become one shared text, so the pieces are stored as one source sentence.
#[derive(Default)]
struct Originals {
    last: Option<Arc<str>>,
}

impl Originals {
    fn get(&mut self, original: String) -> Arc<str> {
        match &self.last {
            Some(last) if **last == *original => Arc::clone(last),
            _ => {
                let shared: Arc<str> = original.into();
                self.last = Some(Arc::clone(&shared));
                shared
            }
        }
    }
}

/// A PDF chunk split by its own pages; the attached PDF (and its context) stays the same.
fn page_halves(input: &ChunkInput) -> Option<(ChunkInput, ChunkInput)> {
    if input.last_page <= input.first_page {
        return None;
    }
    let middle = input.first_page + (input.last_page - input.first_page) / 2;
    Some((
        ChunkInput {
            last_page: middle,
            ..input.clone()
        },
        ChunkInput {
            first_page: middle + 1,
            ..input.clone()
        },
    ))
}

/// The body cut near its middle at a paragraph break, else after a sentence end.
fn halves(input: &ChunkInput) -> Option<(ChunkInput, ChunkInput)> {
    if input.pdf.is_some() {
        return page_halves(input);
    }
    let (start, end) = (input.body_start, input.body_end);
    if end.saturating_sub(start) < MIN_SPLIT_BYTES {
        return None;
    }
    let body = input.text.get(start..end)?;
    let middle = body.len() / 2;
    let nearest = |pattern: &str| {
        body.match_indices(pattern)
            .map(|(at, m)| at + m.len())
            .filter(|&at| at > 0 && at < body.len())
            .min_by_key(|&at| at.abs_diff(middle))
    };
    let cut = start + nearest("\n").or_else(|| nearest(". "))?;
    let first = ChunkInput {
        body_end: cut,
        ..input.clone()
    };
    let second = ChunkInput {
        body_start: cut,
        ..input.clone()
    };
    Some((first, second))
}

fn local_fallback(input: &ChunkInput, settings: &Settings) -> Vec<Sentence> {
    if input.pdf.is_some() {
        // A page the model refuses and that has no text layer cannot be rewritten at all;
        // one with a text layer is read here and written locally.
        return pdf_text_input(input)
            .map(|text_input| local_fallback(&text_input, settings))
            .unwrap_or_default();
    }
    rewrite_chunk(input, settings)
        .sentences
        .into_iter()
        .map(|s| Sentence {
            engine: Some(super::LOCAL.to_owned()),
            ..s
        })
        .collect()
}

/// The chunk's attached PDF read as text, body = the chunk's own pages.
fn pdf_text_input(input: &ChunkInput) -> Option<ChunkInput> {
    use base64::Engine as _;
    let pdf = input.pdf.as_ref()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&pdf.data)
        .ok()?;
    let (book, _) =
        crate::pdf::read_book(&bytes, crate::pdf::clean::CleanOptions::default()).ok()?;
    Some(crate::pdf::plan::book_chunk(
        &book,
        pdf.first_page,
        input.index,
        input.first_page..=input.last_page,
    ))
}

/// What the learner and the log read when Google refuses the key.
fn key_message(failure: &ApiFailure) -> String {
    match failure {
        ApiFailure::InvalidKey { .. } => {
            "the Gemini API key is not valid: check GEMINI_API_KEY".to_owned()
        }
        _ => "Google refused the Gemini API key (permission denied): check that \
              GEMINI_API_KEY is allowed to use the Generative Language API"
            .to_owned(),
    }
}

/// Logs and counts each preference that moved to another model, and why.
fn report_moves(moves: Vec<Move>, reason: &str, meter: &Meter) {
    for moved in moves {
        log_move(&moved, reason);
        meter.model_fallback(
            GEMINI,
            &moved.from,
            moved.to.as_deref().unwrap_or("none"),
            reason,
        );
    }
}

fn log_move(moved: &Move, why: &str) {
    match &moved.to {
        Some(to) => tracing::warn!(from = %moved.from, %to, why, "Gemini model replaced"),
        None => {
            tracing::error!(from = %moved.from, why, "Gemini model gone and no candidate is left")
        }
    }
}

fn describe(failure: &CallFailure) -> String {
    match failure {
        CallFailure::Transport(m) | CallFailure::TimedOut(m) | CallFailure::BadBody(m) => m.clone(),
        CallFailure::Api(f) => f.to_string(),
        CallFailure::Content(f) => f.to_string(),
    }
}

fn is_dialogue(original: &str) -> bool {
    original.starts_with(['«', '“', '"', '—', '–'])
}

/// Gemini's daily quotas reset at midnight Pacific time. PST (UTC−8) is used all year, so in
/// summer the wait is an hour longer than it needs to be, never shorter.
pub fn next_quota_reset(now: DateTime<Utc>) -> DateTime<Utc> {
    let pacific = now - chrono::Duration::hours(8);
    let next_day = pacific
        .date_naive()
        .checked_add_days(Days::new(1))
        .unwrap_or(pacific.date_naive());
    Utc.from_utc_datetime(&next_day.and_time(NaiveTime::MIN)) + chrono::Duration::hours(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(normalized: &str, original: &str) -> Item {
        Item {
            normalized: normalized.into(),
            original: original.into(),
            page: None,
        }
    }

    #[test]
    fn broken_json_is_repaired_once() {
        let good = r#"{"sentences":[{"normalized":"Il pleut.","original":"Il pleut."}]}"#;
        assert_eq!(parse_items(good).unwrap().len(), 1);
        let fenced = format!("```json\n{good}\n```");
        assert_eq!(parse_items(&fenced).unwrap().len(), 1);
        let trailing = r#"{"sentences":[{"normalized":"Il pleut.","original":"Il pleut."},]}"#;
        assert_eq!(parse_items(trailing).unwrap().len(), 1);
        let unclosed = r#"{"sentences":[{"normalized":"Il pleut.","original":"Il pleut."}"#;
        assert_eq!(parse_items(unclosed).unwrap().len(), 1);
        assert!(parse_items("Voici les phrases : …").is_none());
    }

    #[test]
    fn an_answer_that_drops_text_is_refused() {
        let body = "Il pleuvait depuis le matin. Elle attendait le train de huit heures. \
                    Personne ne vint.";
        let all = vec![
            item(
                "Il pleuvait depuis le matin.",
                "Il pleuvait depuis le matin.",
            ),
            item(
                "Elle attendait le train.",
                "Elle attendait le train de huit heures.",
            ),
            item("Personne ne vint.", "Personne ne vint."),
        ];
        let words = word_count(body);
        assert!(check_coverage(words, &all).is_ok());
        assert!(check_coverage(words, &all[..1]).is_err());
        assert!(check_coverage(words, &[]).is_err());
        assert!(check_coverage(0, &[]).is_ok());
    }

    #[test]
    fn a_chunk_of_only_a_heading_expects_no_sentences() {
        let text = "Fin du chapitre.\nCHAPITRE III\nIl pleuvait.";
        let input = ChunkInput {
            index: 0,
            first_page: 1,
            last_page: 1,
            body_start: text.find("CHAPITRE").unwrap(),
            body_end: text.find("Il").unwrap(),
            text: text.into(),
            pages: vec![PageStart { offset: 0, page: 1 }],
            chapters: Vec::new(),
            pdf: None,
        };
        assert_eq!(expected_words(&input), 0);
        let whole = ChunkInput {
            body_start: 0,
            body_end: text.len(),
            ..input
        };
        assert_eq!(expected_words(&whole), 5);
    }

    /// A one-page chunk whose whole text is its body.
    fn one_page(text: String) -> ChunkInput {
        ChunkInput {
            index: 0,
            first_page: 1,
            last_page: 1,
            body_start: 0,
            body_end: text.len(),
            text,
            pages: vec![PageStart { offset: 0, page: 1 }],
            chapters: Vec::new(),
            pdf: None,
        }
    }

    #[test]
    fn a_sentence_too_long_for_one_answer_is_cut_out_with_its_neighbours_kept_apart() {
        let long = format!("Alors {}.", vec!["et le vent soufflait"; 200].join(", "));
        let input = one_page(format!("Il pleuvait. {long} Le jour vint. Il partit.\n"));
        let settings = Settings::default();
        let (before, cut, after) = around_unanswerable(&input, &settings, 16 * 1024).unwrap();
        let body = |c: &ChunkInput| c.text[c.body_start..c.body_end].to_owned();
        assert_eq!(body(&before), "Il pleuvait. ");
        assert_eq!(body(&cut).trim_end(), long);
        assert_eq!(body(&after), "Le jour vint. Il partit.\n");
        // What the local engine makes of the cut part is that sentence alone, whole.
        let pieces = local_fallback(&cut, &settings);
        assert!(pieces.iter().all(|p| *p.original == *long));
        assert!(pieces.iter().all(|p| p.engine.as_deref() == Some("local")));
        // A budget the sentence fits in leaves the chunk alone.
        assert!(around_unanswerable(&input, &settings, 1 << 30).is_none());
    }

    #[test]
    fn a_chunk_is_halved_at_a_paragraph_break() {
        let para = "Une phrase assez longue pour compter dans le morceau. ".repeat(5);
        let input = one_page(format!("{para}\n{para}\n{para}\n{para}"));
        let (a, b) = halves(&input).unwrap();
        assert_eq!(a.body_end, b.body_start);
        assert!(input.text[..a.body_end].ends_with('\n'));
        assert_eq!((a.body_start, b.body_end), (0, input.text.len()));
        let small = ChunkInput {
            body_end: 100,
            ..input
        };
        assert!(halves(&small).is_none());
    }

    #[test]
    fn api_failures_map_to_what_the_actors_do_next() {
        let engine = GeminiEngine::new(GeminiConfig {
            base_url: "http://127.0.0.1:9".into(),
            api_key: Secret::new("k"),
            models_speed: vec!["s".into()],
            models_balanced: vec!["b".into()],
            models_quality: vec!["q".into()],
            models_refresh: Duration::from_secs(3600),
            clock: Clock::wall(),
            limits: RateLimits {
                requests_per_window: 10,
                tokens_per_window: 10,
                max_concurrent: 1,
                window: Duration::from_secs(60),
            },
            request_timeout: Duration::from_secs(1),
            max_output_tokens: 1024,
            quota_park: None,
        })
        .unwrap();
        let m = |message: &str| message.to_owned();
        let key = engine.engine_error(ApiFailure::InvalidKey { message: m("x") });
        assert!(key.fails_job() && key.to_string().contains("GEMINI_API_KEY"));
        let minute = engine.engine_error(ApiFailure::QuotaPerMinute {
            retry_after: Some(Duration::from_secs(26)),
        });
        assert!(minute.is_retryable() && minute.snooze().is_none());
        assert!(matches!(
            minute,
            EngineError::RateLimited { retry_after } if retry_after == Duration::from_secs(26)
        ));
        let day = engine.engine_error(ApiFailure::QuotaPerDay {
            retry_after: Some(Duration::from_secs(22)),
        });
        // The short retryDelay Google sends with a daily quota is not trusted.
        assert!(day.snooze().unwrap() > Duration::from_secs(60));
        for transient in [
            ApiFailure::Internal { message: m("x") },
            ApiFailure::Unavailable { message: m("x") },
            ApiFailure::DeadlineExceeded { message: m("x") },
            ApiFailure::Other {
                http_status: 502,
                message: m("x"),
            },
        ] {
            assert!(engine.engine_error(transient).is_retryable());
        }
        let denied = engine.engine_error(ApiFailure::PermissionDenied { message: m("x") });
        assert!(denied.fails_job() && denied.to_string().contains("permission denied"));
        for permanent in [
            ApiFailure::ModelNotFound { message: m("x") },
            ApiFailure::InvalidArgument { message: m("x") },
            ApiFailure::NoQuotaOnTier { message: m("x") },
        ] {
            let e = engine.engine_error(permanent);
            assert!(
                !e.is_retryable() && e.snooze().is_none() && !e.fails_job(),
                "{e}"
            );
        }
    }

    #[test]
    fn the_daily_quota_resets_at_pacific_midnight() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 17, 30, 0).unwrap();
        assert_eq!(
            next_quota_reset(now),
            Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap()
        );
        let late = Utc.with_ymd_and_hms(2026, 11, 24, 7, 59, 0).unwrap();
        assert_eq!(
            next_quota_reset(late),
            Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap()
        );
    }
}
