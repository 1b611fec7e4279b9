//! What the fake remembers and decides across requests: counters for tests, scripted and
//! per-page faults, the seeded fault draw, overload bursts, the served models and the key.
//! Shared by all workers, so everything is behind atomics or mutexes.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::faults::{Fault, OUTCOMES};
use super::model::{Behaviour, Mistake, ModelError};
use super::models::ModelSpec;
use super::{FakeGeminiArgs, Latency};
use fnt::clock::Clock;
use fnt::engine::gemini::protocol::ParsedPrompt;
use fnt::engine::gemini::wire::GenerateContentRequest;

pub struct FakeState {
    api_key: Mutex<String>,
    revoked: AtomicBool,
    clock: Clock,
    latency: Latency,
    tokens_per_sec: f64,
    burst: Duration,
    /// Per model id: the virtual time (on `clock`) until which it is overloaded.
    overloaded_until: Mutex<HashMap<String, Duration>>,
    behaviour: Mutex<Behaviour>,
    recitation_words: usize,
    models: Mutex<Vec<ModelSpec>>,
    model_calls: Mutex<HashMap<String, u64>>,
    list_calls: AtomicU64,
    model_errors: [AtomicU64; ModelError::ALL.len()],
    mistakes: Mutex<VecDeque<Mistake>>,
    recitations: AtomicU64,
    /// The numbered sentences of each request refused for recitation (none with PDF input).
    recited: Mutex<VecDeque<Vec<String>>>,
    retry_delay: Duration,
    hang: Duration,
    mix: Vec<Fault>,
    seed: u64,
    fault_rate: Mutex<f64>,
    rng: Mutex<StdRng>,
    script: Mutex<VecDeque<Fault>>,
    page_faults: Mutex<HashMap<u32, Fault>>,
    requests: AtomicU64,
    rewrites: AtomicU64,
    rejected: AtomicU64,
    outcomes: [AtomicU64; OUTCOMES],
    first_pages: Mutex<BTreeMap<u32, u64>>,
    last_request: Mutex<Option<GenerateContentRequest>>,
    pdf_requests: AtomicU64,
    correction_requests: AtomicU64,
    paraphrase_requests: AtomicU64,
    corrections: Mutex<VecDeque<(u32, String)>>,
    replies: AtomicU64,
}

/// How many entries a log keeps: all of a test's, without growing for ever in a long run of
/// `fnt-fake-gemini`.
const LOG_LIMIT: usize = 10_000;

/// Appends to a log, forgetting its oldest entry when it is full.
fn push_capped<T>(log: &mut VecDeque<T>, entry: T) {
    if log.len() >= LOG_LIMIT {
        log.pop_front();
    }
    log.push_back(entry);
}

/// A panic elsewhere must not take the fake down with it: the data behind these locks stays
/// consistent (single assignments), so a poisoned lock is simply used.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// NaN and out-of-range rates become the nearest meaningful one.
fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

impl FakeState {
    pub(crate) fn new(args: &FakeGeminiArgs) -> Self {
        let mix = if args.faults.is_empty() {
            Fault::TRANSIENT.to_vec()
        } else {
            args.faults.clone()
        };
        let kinds = if args.model_errors.is_empty() {
            ModelError::ALL.to_vec()
        } else {
            args.model_errors.clone()
        };
        Self {
            api_key: Mutex::new(args.api_key.clone()),
            revoked: AtomicBool::new(false),
            clock: args.clock,
            latency: args.latency_ms,
            tokens_per_sec: args.tokens_per_sec,
            burst: Duration::from_millis(args.burst_ms),
            overloaded_until: Mutex::default(),
            behaviour: Mutex::new(Behaviour {
                rate: clamp_rate(args.model_error_rate),
                kinds,
            }),
            recitation_words: args.recitation_words,
            models: Mutex::new(args.models.clone()),
            model_calls: Mutex::default(),
            list_calls: AtomicU64::new(0),
            model_errors: std::array::from_fn(|_| AtomicU64::new(0)),
            mistakes: Mutex::default(),
            recitations: AtomicU64::new(0),
            recited: Mutex::default(),
            retry_delay: Duration::try_from_secs_f64(args.retry_delay_secs)
                .unwrap_or(Duration::from_secs(1)),
            hang: Duration::from_millis(args.hang_ms),
            mix,
            seed: args.seed,
            fault_rate: Mutex::new(clamp_rate(args.fault_rate)),
            rng: Mutex::new(StdRng::seed_from_u64(args.seed)),
            script: Mutex::default(),
            page_faults: Mutex::default(),
            requests: AtomicU64::new(0),
            rewrites: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            outcomes: std::array::from_fn(|_| AtomicU64::new(0)),
            first_pages: Mutex::default(),
            last_request: Mutex::default(),
            pdf_requests: AtomicU64::new(0),
            correction_requests: AtomicU64::new(0),
            paraphrase_requests: AtomicU64::new(0),
            corrections: Mutex::default(),
            replies: AtomicU64::new(0),
        }
    }

    // --- Steering (tests) ------------------------------------------------------------------

    /// Forces the outcomes of the next valid `generateContent` requests, in order, before any
    /// per-page rule or random draw. `Fault::None` forces a normal answer.
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.script).extend(faults);
    }

    /// Outcomes scripted but not used yet.
    pub fn scripted(&self) -> usize {
        lock(&self.script).len()
    }

    pub fn set_fault_rate(&self, rate: f64) {
        *lock(&self.fault_rate) = clamp_rate(rate);
    }

    pub fn fault_rate(&self) -> f64 {
        *lock(&self.fault_rate)
    }

    /// Every request whose prompt's `pages=` range starts at `page` gets `fault` (after the
    /// script, before the random draw), so one chunk can fail for good. `Fault::None` makes that
    /// chunk always succeed.
    pub fn fault_for_first_page(&self, page: u32, fault: Fault) {
        lock(&self.page_faults).insert(page, fault);
    }

    pub fn clear_first_page_faults(&self) {
        lock(&self.page_faults).clear();
    }

    /// Changes how often the simulated model errs (its kinds stay as configured).
    pub fn set_model_error_rate(&self, rate: f64) {
        lock(&self.behaviour).rate = clamp_rate(rate);
    }

    /// Takes `id` out of service now: no longer listed, and 404 for every call naming it.
    /// False if it was not served.
    pub fn retire_model(&self, id: &str) -> bool {
        let mut models = lock(&self.models);
        let before = models.len();
        models.retain(|m| m.id != id);
        models.len() < before
    }

    /// Serves (and lists) one more model, or changes the limits of a served one.
    pub fn add_model(&self, spec: ModelSpec) {
        let mut models = lock(&self.models);
        match models.iter_mut().find(|m| m.id == spec.id) {
            Some(existing) => *existing = spec,
            None => models.push(spec),
        }
    }

    /// Blocks the accepted key: from now on every call that sends it (list, get, generate,
    /// count) gets 403 PERMISSION_DENIED, `API_KEY_SERVICE_BLOCKED`, until `set_api_key`.
    pub fn revoke_key(&self) {
        self.revoked.store(true, Ordering::Relaxed);
    }

    /// Accepts `key` from now on instead of the old one (a rotated key is not revoked).
    pub fn set_api_key(&self, key: &str) {
        *lock(&self.api_key) = key.to_owned();
        self.revoked.store(false, Ordering::Relaxed);
    }
    // --- Counters (tests) ------------------------------------------------------------------

    /// Every request that reached the server, whatever became of it.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Normal answers sent (no fault).
    pub fn rewrites(&self) -> u64 {
        self.rewrites.load(Ordering::Relaxed)
    }

    /// Requests refused before any fault draw: bad key, bad route, invalid body or prompt.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }

    /// How often `fault` was chosen (`Fault::None`: normal outcomes drawn).
    pub fn faults(&self, fault: Fault) -> u64 {
        self.outcomes[fault.index()].load(Ordering::Relaxed)
    }

    pub fn total_faults(&self) -> u64 {
        Fault::ALL.iter().map(|&f| self.faults(f)).sum()
    }

    /// Valid `generateContent` requests per first page of the prompt (retries included).
    pub fn attempts_for_first_page(&self, page: u32) -> u64 {
        lock(&self.first_pages).get(&page).copied().unwrap_or(0)
    }

    /// Valid requests that carried a PDF (`inline_data` of type `application/pdf`).
    pub fn pdf_requests(&self) -> u64 {
        self.pdf_requests.load(Ordering::Relaxed)
    }

    /// Valid requests whose prompt carried a CORRECTIONS section (a re-ask), whatever became
    /// of them.
    pub fn correction_requests(&self) -> u64 {
        self.correction_requests.load(Ordering::Relaxed)
    }

    /// Valid requests whose prompt asked to paraphrase (`paraphrase=true`), whatever became of
    /// them.
    pub fn paraphrase_requests(&self) -> u64 {
        self.paraphrase_requests.load(Ordering::Relaxed)
    }

    /// Every correction received, `(id, reason)`, in the order they came (the latest 10,000).
    pub fn corrections(&self) -> Vec<(u32, String)> {
        lock(&self.corrections).iter().cloned().collect()
    }

    /// The last valid `generateContent` request, to check what a client sends.
    pub fn last_request(&self) -> Option<GenerateContentRequest> {
        lock(&self.last_request).clone()
    }

    /// `generateContent` requests that named `id` (whatever became of them: 404s, 503s and
    /// invalid bodies included).
    pub fn model_calls(&self, id: &str) -> u64 {
        lock(&self.model_calls).get(id).copied().unwrap_or(0)
    }

    /// `models.list` requests received.
    pub fn list_calls(&self) -> u64 {
        self.list_calls.load(Ordering::Relaxed)
    }

    /// How often the simulated model made mistake `kind` (`merge` and `reorder` count once per
    /// pair; `malformed` once per damaged answer).
    pub fn model_errors(&self, kind: ModelError) -> u64 {
        self.model_errors[kind.index()].load(Ordering::Relaxed)
    }

    /// Every kind of mistake the simulated model made, with how often; kinds never made are
    /// left out.
    pub fn model_error_counts(&self) -> BTreeMap<ModelError, u64> {
        ModelError::ALL
            .into_iter()
            .map(|kind| (kind, self.model_errors(kind)))
            .filter(|&(_, count)| count > 0)
            .collect()
    }

    /// All the mistakes the simulated model made, of every kind.
    pub fn total_model_errors(&self) -> u64 {
        ModelError::ALL.iter().map(|&k| self.model_errors(k)).sum()
    }

    /// The mistakes the simulated model made, in the order of the answers that carried them,
    /// with the ids and sentences they concern (the latest 10,000; the counts above are
    /// exact). Only answers the model was let to give count: a RECITATION refusal or a
    /// scripted content fault (max-tokens, malformed, truncated) makes none.
    pub fn mistakes(&self) -> Vec<Mistake> {
        lock(&self.mistakes).iter().cloned().collect()
    }

    /// RECITATION replies sent, scripted or because an answer copied the source.
    pub fn recitations(&self) -> u64 {
        self.recitations.load(Ordering::Relaxed)
    }

    /// For each request refused with RECITATION (the latest 10,000), the sentences it asked
    /// for: which sentences a refusal was about.
    pub fn recited_requests(&self) -> Vec<Vec<String>> {
        lock(&self.recited).iter().cloned().collect()
    }

    /// The ids served now, in listing order.
    pub fn models(&self) -> Vec<String> {
        lock(&self.models).iter().map(|m| m.id.clone()).collect()
    }

    // --- Server side -----------------------------------------------------------------------

    pub(crate) fn key_matches(&self, key: &str) -> bool {
        *lock(&self.api_key) == key
    }

    pub(crate) fn key_revoked(&self) -> bool {
        self.revoked.load(Ordering::Relaxed)
    }

    pub(crate) fn clock(&self) -> Clock {
        self.clock
    }

    pub(crate) fn model(&self, id: &str) -> Option<ModelSpec> {
        lock(&self.models).iter().find(|m| m.id == id).cloned()
    }

    pub(crate) fn model_specs(&self) -> Vec<ModelSpec> {
        lock(&self.models).clone()
    }

    pub(crate) fn behaviour(&self) -> Behaviour {
        lock(&self.behaviour).clone()
    }

    pub(crate) fn recitation_words(&self) -> usize {
        self.recitation_words
    }

    pub(crate) fn count_model_call(&self, id: &str) {
        *lock(&self.model_calls).entry(id.to_owned()).or_default() += 1;
    }

    pub(crate) fn count_list_call(&self) {
        self.list_calls.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_mistakes(&self, mistakes: &[Mistake]) {
        if mistakes.is_empty() {
            return;
        }
        let mut log = lock(&self.mistakes);
        for mistake in mistakes {
            self.model_errors[mistake.kind.index()].fetch_add(1, Ordering::Relaxed);
            push_capped(&mut log, mistake.clone());
        }
    }

    pub(crate) fn count_recitation(&self, sentences: Vec<String>) {
        self.recitations.fetch_add(1, Ordering::Relaxed);
        push_capped(&mut lock(&self.recited), sentences);
    }

    /// How long a reply of `output_tokens` takes to generate, on the fake's clock's terms.
    pub(crate) fn generation_time(&self, output_tokens: i64) -> Duration {
        if self.tokens_per_sec <= 0.0 || output_tokens <= 0 {
            return Duration::ZERO;
        }
        Duration::try_from_secs_f64(output_tokens as f64 / self.tokens_per_sec)
            .unwrap_or(Duration::ZERO)
    }

    /// Whether `model` is inside an overload burst now; each request turned away counts as a
    /// `burst` outcome.
    pub(crate) fn overloaded(&self, model: &str) -> bool {
        let now = self.clock.now();
        let overloaded = lock(&self.overloaded_until)
            .get(model)
            .is_some_and(|until| now < *until);
        if overloaded {
            self.outcomes[Fault::Burst.index()].fetch_add(1, Ordering::Relaxed);
        }
        overloaded
    }

    /// Starts an overload burst on `model`, lasting `--burst-ms` from now.
    pub(crate) fn start_burst(&self, model: &str) {
        let until = self.clock.now() + self.burst;
        lock(&self.overloaded_until).insert(model.to_owned(), until);
    }

    pub(crate) fn latency(&self) -> Latency {
        self.latency
    }

    pub(crate) fn retry_delay(&self) -> Duration {
        self.retry_delay
    }

    pub(crate) fn hang(&self) -> Duration {
        self.hang
    }

    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_rewrite(&self) {
        self.rewrites.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn remember(&self, request: &GenerateContentRequest, prompt: &ParsedPrompt<'_>) {
        let pdf = request.contents.iter().flat_map(|c| &c.parts).any(|p| {
            p.inline_data
                .as_ref()
                .is_some_and(|b| b.mime_type == "application/pdf")
        });
        if pdf {
            self.pdf_requests.fetch_add(1, Ordering::Relaxed);
        }
        if !prompt.corrections.is_empty() {
            self.correction_requests.fetch_add(1, Ordering::Relaxed);
            let mut log = lock(&self.corrections);
            for &(id, reason) in &prompt.corrections {
                push_capped(&mut log, (id, reason.to_owned()));
            }
        }
        if prompt.paraphrase {
            self.paraphrase_requests.fetch_add(1, Ordering::Relaxed);
        }
        *lock(&self.last_request) = Some(request.clone());
        *lock(&self.first_pages)
            .entry(prompt.first_page)
            .or_default() += 1;
    }

    /// This request's outcome: the script, then the page rule, then the seeded draw.
    pub(crate) fn draw(&self, first_page: u32) -> Fault {
        let fault = lock(&self.script)
            .pop_front()
            .or_else(|| lock(&self.page_faults).get(&first_page).copied())
            .unwrap_or_else(|| self.random_fault());
        self.outcomes[fault.index()].fetch_add(1, Ordering::Relaxed);
        fault
    }

    fn random_fault(&self) -> Fault {
        let rate = self.fault_rate();
        let mut rng = lock(&self.rng);
        // `random::<f64>()` is in [0, 1): a rate of 0 never faults and 1 always does.
        if rng.random::<f64>() >= rate {
            return Fault::None;
        }
        let pick = rng.random_range(0..self.mix.len().max(1));
        self.mix.get(pick).copied().unwrap_or(Fault::None)
    }

    /// Unique, Google-looking ids (URL-safe base64), stable for a given seed.
    pub(crate) fn next_response_id(&self) -> String {
        let n = self.replies.fetch_add(1, Ordering::Relaxed);
        let mixed = (self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes();
        let mut bytes = [0u8; 17];
        bytes[..8].copy_from_slice(&mixed);
        bytes[8..16].copy_from_slice(&n.to_be_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }
}
