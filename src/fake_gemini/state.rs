//! What the fake remembers and decides across requests: counters for tests, scripted and
//! per-page faults, and the seeded fault draw. Shared by all workers, so everything is behind
//! atomics or mutexes.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::faults::{Fault, OUTCOMES};
use super::{FakeGeminiArgs, Latency};
use crate::engine::gemini::wire::GenerateContentRequest;

pub struct FakeState {
    api_key: String,
    latency: Latency,
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
    replies: AtomicU64,
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
            Fault::ALL.to_vec()
        } else {
            args.faults.clone()
        };
        Self {
            api_key: args.api_key.clone(),
            latency: args.latency_ms,
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

    /// The last valid `generateContent` request, to check what a client sends.
    pub fn last_request(&self) -> Option<GenerateContentRequest> {
        lock(&self.last_request).clone()
    }

    // --- Server side -----------------------------------------------------------------------

    pub(crate) fn api_key(&self) -> &str {
        &self.api_key
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

    pub(crate) fn remember(&self, request: &GenerateContentRequest, first_page: u32) {
        let pdf = request.contents.iter().flat_map(|c| &c.parts).any(|p| {
            p.inline_data
                .as_ref()
                .is_some_and(|b| b.mime_type == "application/pdf")
        });
        if pdf {
            self.pdf_requests.fetch_add(1, Ordering::Relaxed);
        }
        *lock(&self.last_request) = Some(request.clone());
        *lock(&self.first_pages).entry(first_page).or_default() += 1;
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
