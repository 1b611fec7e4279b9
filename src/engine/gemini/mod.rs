//! The Gemini engine: `generateContent` over REST with awc, speaking protocol v2.
//!
//! A chunk's source sentences are numbered and sent in requests sized by their expected
//! answers (see [`sources`]); the requests of a chunk run side by side under the rate gate,
//! and each one's result is kept in the result cache as it lands, so a chunk tried again
//! redoes only the requests that had not finished. Every answer is checked per source
//! sentence ([`text`], [`pages`]): failures are asked again once, for just those sentences,
//! with the reason; what still fails, and what the model refuses to write, is written by the
//! local engine and says so.

pub(crate) mod client;
pub(crate) mod generation;
mod models;
mod pages;
pub mod protocol;
pub(crate) mod sources;
mod text;
pub mod wire;

use std::cell::RefCell;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use futures_util::future::LocalBoxFuture;

use super::cache::ResultCache;
use super::rate_gate::{RateGate, RateLimits};
use super::{
    ChunkInput, ChunkOutput, Engine, EngineError, Meter, PdfPages, Repair, RepairAction, Usage,
};
use crate::clock::Clock;
use crate::metrics::{CallOutcome, EngineCall};
use crate::secret::Secret;
use crate::settings::{ModelPreference, Settings};
use client::{CallFailure, Client};
use models::{Models, Move};
use wire::{ApiFailure, ContentFailure, GenerateContentRequest, Part};

pub const GEMINI: &str = "gemini";

/// Tries of one call before an outage is handed to the chunk's retries.
const CALL_TRIES: u32 = 5;
const CALL_RETRY_BASE: Duration = Duration::from_millis(500);
const CALL_RETRY_CAP: Duration = Duration::from_secs(20);

/// A random wait up to `ceiling` (full jitter: calls that failed together come back apart).
fn jitter(ceiling: Duration) -> Duration {
    use rand::Rng;
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=millis))
}

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
    /// Where each request's checked result is kept (set once at start; tests may run without).
    cache: OnceLock<ResultCache>,
}

/// What the last answers said about the API key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyState {
    Unverified,
    Accepted,
    /// Refused (invalid, revoked, not allowed): no call is made until a model listing works.
    Refused(String),
}

/// Why one call gave no answer text.
enum Ask {
    /// The model would not write it (RECITATION, SAFETY, a blocked prompt): a label for the
    /// counts, and Google's words.
    Refused(&'static str, String),
    /// Cut at the output token limit: what had arrived.
    Truncated(String),
    /// The model does not exist (any more): try the preference's next one.
    ModelGone(String),
    Fail(EngineError),
}

/// The model that answered last during one chunk's rewrite.
type Used = RefCell<Option<String>>;

/// One chunk's rewrite: what every request of it shares.
struct Rewrite<'a> {
    engine: &'a GeminiEngine,
    input: &'a ChunkInput,
    settings: &'a Settings,
    meter: &'a Meter,
    used: &'a Used,
}

impl Rewrite<'_> {
    /// One call, tried again a few times on an outage (5xx, a dropped connection, a
    /// per-minute quota): a request's re-asks and refusal groups make a chain of calls, and
    /// one outage anywhere in it would otherwise throw the whole chunk attempt away. What
    /// outlasts these tries goes to the chunk's own retries and their time budget.
    async fn call_with_retries(
        &self,
        model: &str,
        call: &GenerateContentRequest,
        estimate: u64,
    ) -> Result<String, Ask> {
        let mut tries = 1;
        loop {
            let answer = self.engine.call(model, call, estimate, self.meter).await;
            let wait = match &answer {
                Err(Ask::Fail(EngineError::RateLimited { retry_after })) => {
                    (*retry_after).min(CALL_RETRY_CAP) + jitter(CALL_RETRY_BASE)
                }
                Err(Ask::Fail(EngineError::Unavailable(_) | EngineError::Malformed(_))) => jitter(
                    CALL_RETRY_BASE
                        .saturating_mul(1 << tries.min(5))
                        .min(CALL_RETRY_CAP),
                ),
                _ => return answer,
            };
            if tries >= CALL_TRIES {
                return answer;
            }
            tries += 1;
            self.engine.config.clock.sleep(wait).await;
        }
    }

    fn repair(&self, action: RepairAction, reason: &'static str, sentences: usize) {
        self.meter
            .repair(GEMINI, Repair { action, reason }, sentences);
    }

    /// The output tokens one request may be expected to take: the protocol's target, or half
    /// the configured cap or of the model's listed limit if lower (an estimate is no promise).
    fn budget(&self) -> u64 {
        let cap = u64::try_from(self.engine.config.max_output_tokens.max(0)).unwrap_or(0);
        let listed = self
            .engine
            .model_for(self.settings)
            .and_then(|model| self.engine.models.output_limit(&model))
            .and_then(|limit| u64::try_from(limit).ok())
            .unwrap_or(u64::MAX);
        sources::REQUEST_OUTPUT_TOKENS.min(cap / 2).min(listed / 2)
    }

    /// The cache key of a request's answer: the model that writes it, the prompt version,
    /// the settings and the request's own text (with its context).
    fn cache_key(
        &self,
        model: &str,
        request: &protocol::Request,
        pdf: Option<&PdfPages>,
    ) -> String {
        super::cache::key(&[
            GEMINI.as_bytes(),
            model.as_bytes(),
            protocol::PROMPT_VERSION.as_bytes(),
            serde_json::to_string(self.settings)
                .unwrap_or_default()
                .as_bytes(),
            protocol::user_text(request, self.settings).as_bytes(),
            pdf.map_or(&[][..], |pdf| pdf.data.as_bytes()),
        ])
    }

    async fn cached(&self, key: &str) -> Option<String> {
        self.engine.cache.get()?.get(key).await
    }

    /// Keeps a request's checked result, unless the model changed while it was written (it
    /// would then be filed under a model that did not write it).
    async fn keep(&self, key: &str, model: &str, json: Result<String, serde_json::Error>) {
        let Some(cache) = self.engine.cache.get() else {
            return;
        };
        if self
            .used
            .borrow()
            .as_deref()
            .is_some_and(|used| used != model)
        {
            return;
        }
        match json {
            Ok(json) => cache.put(key, GEMINI, json).await,
            Err(e) => tracing::warn!(error = %e, "could not encode a result for the cache"),
        }
    }

    /// Sends one request; the answer's text, or why there is none. A model that answers 404
    /// gives way to the preference's next candidate, at once.
    async fn send(
        &self,
        request: &protocol::Request,
        pdf: Option<&PdfPages>,
    ) -> Result<String, Ask> {
        let prompt = protocol::prompt(request, self.settings);
        let text_tokens = (prompt.system.len() + prompt.user.len()) as u64 / 4;
        let (parts, schema, estimate) = match pdf {
            None => (
                vec![Part::text(prompt.user)],
                protocol::response_schema(),
                text_tokens,
            ),
            Some(pdf) => {
                // Google's documented rate for documents: 258 tokens a page.
                let estimate =
                    text_tokens + u64::from(self.input.last_page - self.input.first_page + 3) * 258;
                (
                    vec![
                        Part {
                            inline_data: Some(wire::Blob {
                                mime_type: wire::PDF_MIME.into(),
                                data: pdf.data.clone(),
                            }),
                            ..Part::default()
                        },
                        Part::text(prompt.user),
                    ],
                    protocol::response_schema_for_pages(),
                    estimate,
                )
            }
        };
        let engine = self.engine;
        let preference = self.settings.model_preference;
        // Each candidate at most once: a 404 moves on, anything else ends the loop.
        for _ in 0..=engine.models.candidates(preference).len() {
            let Some(model) = engine.models.current(preference) else {
                break;
            };
            let generation = generation::for_model(
                &model,
                engine.config.max_output_tokens,
                engine.models.output_limit(&model),
            );
            let mut call = GenerateContentRequest::text_json(
                &prompt.system,
                parts.clone(),
                schema.clone(),
                generation.max_output_tokens,
                0.2,
            );
            if let Some(config) = call.generation_config.as_mut() {
                config.temperature = generation.temperature;
                config.thinking_config = generation.thinking;
            }
            match self.call_with_retries(&model, &call, estimate).await {
                Err(Ask::ModelGone(_)) => {
                    report_moves(engine.models.not_found(&model), "not_found", self.meter);
                }
                answer => {
                    if matches!(answer, Ok(_) | Err(Ask::Truncated(_))) {
                        *self.used.borrow_mut() = Some(model);
                    }
                    return answer;
                }
            }
        }
        Err(Ask::Fail(EngineError::NoModel(format!(
            "no Gemini model of the {} preference is available (tried {}); \
             set FNT_GEMINI_MODELS_{} to current ids",
            preference.as_str(),
            engine.models.candidates(preference).join(", "),
            preference.as_str().to_uppercase(),
        ))))
    }
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
            cache: OnceLock::new(),
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

    /// One call to `model`, through the rate gate and the key check.
    async fn call(
        &self,
        model: &str,
        request: &GenerateContentRequest,
        estimate: u64,
        meter: &Meter,
    ) -> Result<String, Ask> {
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
            Ok(text) => Ok(text),
            Err(CallFailure::Transport(m)) => Err(Ask::Fail(EngineError::Unavailable(m))),
            // Requests are sized to be answered well within the timeout: one that is not met
            // is an outage, waited out like the others.
            Err(CallFailure::TimedOut(m)) => Err(Ask::Fail(EngineError::Unavailable(m))),
            Err(CallFailure::BadBody(m)) => Err(Ask::Fail(EngineError::Malformed(m))),
            Err(CallFailure::Content(failure)) => match failure {
                ContentFailure::Refused { ref finish_reason } => {
                    let label = match finish_reason.as_str() {
                        "RECITATION" => "recitation",
                        "SAFETY" => "safety",
                        _ => "blocked",
                    };
                    Err(Ask::Refused(label, failure.to_string()))
                }
                ContentFailure::PromptBlocked { .. } => {
                    Err(Ask::Refused("blocked", failure.to_string()))
                }
                ContentFailure::Truncated { partial } => Err(Ask::Truncated(partial)),
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

    fn use_cache(&self, cache: ResultCache) {
        // Set once at start; a second call (none today) keeps the first store.
        let _ = self.cache.set(cache);
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
            let rewrite = Rewrite {
                engine: &self,
                input: &input,
                settings: &settings,
                meter: &meter,
                used: &used,
            };
            let sentences = match &input.pdf {
                None => {
                    // The local engine's reading of the chunk is CPU work: off the arbiter.
                    let (chunk, rules) = (Arc::clone(&input), Arc::clone(&settings));
                    let all =
                        tokio::task::spawn_blocking(move || sources::chunk_sources(&chunk, &rules))
                            .await
                            .map_err(|e| {
                                EngineError::Unavailable(format!(
                                    "reading the chunk's sentences failed: {e}"
                                ))
                            })?;
                    rewrite.text(all).await?
                }
                Some(pdf) => rewrite.pages(pdf).await?,
            };
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
        Err(Ask::Refused(..) | Ask::Truncated(_)) => CallOutcome::Blocked,
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

/// An engine that calls nowhere, for tests of what it does with answers.
#[cfg(test)]
pub(crate) fn offline_engine() -> GeminiEngine {
    GeminiEngine::new(GeminiConfig {
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
        max_output_tokens: 65_536,
        quota_park: None,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_failures_map_to_what_the_actors_do_next() {
        let engine = offline_engine();
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
