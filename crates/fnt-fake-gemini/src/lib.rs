//! `fnt-fake-gemini`: a local server that speaks Gemini's `generateContent` the way
//! shared/reference/gemini-rest.md describes it, quirks included, so the Gemini engine can be
//! tested offline, against every failure Google produces, deterministically.
//!
//! It reads the prompts of the rewriting protocol v2 (`engine::gemini::protocol`). A normal
//! answer is what a simulated model says (`model`): for each numbered source sentence, the
//! local engine's pieces (per page with PDF input), with model-like mistakes at
//! `--model-error-rate`, all seeded from the content so that a retry gets the same answer; a
//! re-ask is answered afresh. Content verdicts are tied to the content too:
//! an answer that would copy a long run of the source is refused with RECITATION. Thinking is
//! billed, and replies take time in proportion to their tokens.
//!
//! The weather is separate: transient faults (quota, 5xx, overload bursts, dropped
//! connections) come from a script, a per-page rule or a seeded random draw, in that order;
//! see [`FakeState`]. Content faults (safety, prompt-block, max-tokens, malformed, recitation)
//! can be scripted by name but are never drawn at random by default.
//!
//! Like Google, it serves a list of models (`GET /v1beta/models`), answers 404 for an id that
//! is not (or no longer) listed, validates the generation config against the model, and
//! refuses a revoked key.

mod answer;
mod errors;
mod faults;
mod model;
mod models;
mod server;
mod state;
mod thinking;
mod validate;

#[cfg(test)]
mod tests;

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use rand::Rng;

pub use faults::Fault;
pub use model::{Mistake, ModelError};
pub use models::ModelSpec;
pub use state::FakeState;

use fnt::clock::Clock;

#[derive(Debug, Clone, clap::Args)]
pub struct FakeGeminiArgs {
    #[arg(long, default_value = "127.0.0.1:8089")]
    pub bind: SocketAddr,
    /// Fixed latency ("200") or a uniform range ("100-400"), milliseconds.
    #[arg(long, default_value = "0")]
    pub latency_ms: Latency,
    /// Fraction of requests that get a fault, 0.0–1.0.
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Fault mix for the random draw, comma-separated. Default: the transient kinds
    /// 429,500,503,504,timeout,truncated,burst. Also known by name: 429-day, safety,
    /// prompt-block, max-tokens, malformed, recitation.
    #[arg(long, value_delimiter = ',')]
    pub faults: Vec<Fault>,
    /// How long a `burst` fault keeps the model overloaded (every request 503), milliseconds.
    #[arg(long, default_value_t = 5_000)]
    pub burst_ms: u64,
    /// How often the simulated model errs, 0.0–1.0: per source sentence, and per answer for
    /// `malformed`.
    #[arg(long, default_value_t = 0.05)]
    pub model_error_rate: f64,
    /// The model's mistakes, comma-separated (default: all):
    /// over-limit,fragment,merge,drop,reorder,invent,duplicate-id,unknown-id,malformed
    #[arg(long, value_delimiter = ',')]
    pub model_errors: Vec<ModelError>,
    /// An answer copying this many consecutive words of the source is refused with
    /// RECITATION (0: never).
    #[arg(long, default_value_t = 25)]
    pub recitation_words: usize,
    /// Output speed: a reply waits (thoughts + answer tokens) / this many seconds (0: no wait).
    #[arg(long, default_value_t = 300.0)]
    pub tokens_per_sec: f64,
    /// The models served and listed, comma-separated `id=inputLimit/outputLimit` (or `id`).
    #[arg(long, value_delimiter = ',', default_values_t = ModelSpec::defaults())]
    pub models: Vec<ModelSpec>,
    /// The API key clients must send as x-goog-api-key.
    #[arg(long, env = "FNT_FAKE_GEMINI_KEY", default_value = "fake-key")]
    pub api_key: String,
    /// retryDelay sent with 429s, seconds.
    #[arg(long, default_value_t = 1.0)]
    pub retry_delay_secs: f64,
    /// How long a `timeout` fault holds the request before dropping it, milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub hang_ms: u64,
    /// Seed for the fault draw (the rewriting itself is always deterministic).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Every wait of the fake (latency, output pacing, hangs, bursts) runs on this clock;
    /// tests accelerate it.
    #[arg(skip)]
    pub clock: Clock,
}

impl Default for FakeGeminiArgs {
    /// The command's defaults, except on a free port (for tests).
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            latency_ms: Latency::default(),
            fault_rate: 0.0,
            faults: Vec::new(),
            api_key: "fake-key".to_owned(),
            retry_delay_secs: 1.0,
            hang_ms: 30_000,
            seed: 1,
            burst_ms: 5_000,
            model_error_rate: 0.05,
            model_errors: Vec::new(),
            recitation_words: 25,
            tokens_per_sec: 300.0,
            models: ModelSpec::defaults(),
            clock: Clock::default(),
        }
    }
}

impl FakeGeminiArgs {
    /// Refuses settings that would make the fake lie about what it does.
    fn check(&self) -> std::io::Result<()> {
        let invalid =
            |message: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, message);
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err(invalid(format!(
                "--fault-rate must be between 0 and 1, not {}",
                self.fault_rate
            )));
        }
        if !(0.0..=1.0).contains(&self.model_error_rate) {
            return Err(invalid(format!(
                "--model-error-rate must be between 0 and 1, not {}",
                self.model_error_rate
            )));
        }
        if !(self.tokens_per_sec.is_finite() && self.tokens_per_sec >= 0.0) {
            return Err(invalid(format!(
                "--tokens-per-sec must be a non-negative number, not {}",
                self.tokens_per_sec
            )));
        }
        if self.models.is_empty() {
            return Err(invalid("--models must name at least one model".to_owned()));
        }
        for (i, spec) in self.models.iter().enumerate() {
            if self.models[..i].iter().any(|other| other.id == spec.id) {
                return Err(invalid(format!("--models names {} twice", spec.id)));
            }
        }
        if Duration::try_from_secs_f64(self.retry_delay_secs).is_err() {
            return Err(invalid(format!(
                "--retry-delay-secs must be a non-negative number of seconds, not {}",
                self.retry_delay_secs
            )));
        }
        Ok(())
    }
}

/// A reply delay: fixed, or drawn uniformly from a range, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latency {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl Latency {
    pub(crate) fn pick(self) -> Duration {
        let ms = if self.max_ms > self.min_ms {
            rand::rng().random_range(self.min_ms..=self.max_ms)
        } else {
            self.min_ms
        };
        Duration::from_millis(ms)
    }
}

impl FromStr for Latency {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let number = |text: &str| {
            text.trim()
                .parse::<u64>()
                .map_err(|_| format!("latency must be milliseconds like 200 or 100-400, not '{s}'"))
        };
        let (min_ms, max_ms) = match s.split_once('-') {
            Some((low, high)) => (number(low)?, number(high)?),
            None => {
                let ms = number(s)?;
                (ms, ms)
            }
        };
        if min_ms > max_ms {
            return Err(format!("latency range '{s}' runs backwards"));
        }
        Ok(Self { min_ms, max_ms })
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min_ms == self.max_ms {
            write!(f, "{}", self.min_ms)
        } else {
            write!(f, "{}-{}", self.min_ms, self.max_ms)
        }
    }
}

/// Serves until the process is stopped (Ctrl-C / SIGTERM).
pub async fn run(args: FakeGeminiArgs) -> std::io::Result<()> {
    args.check()?;
    let state = Arc::new(FakeState::new(&args));
    let (server, addr) = server::build(&args, state, true)?;
    tracing::info!(
        %addr,
        "fake Gemini listening: GET /v1beta/models, POST /v1beta/models/{{model}}:generateContent"
    );
    server.await
}

/// A fake running in the background of the current actix runtime, for tests.
pub struct FakeGemini {
    pub addr: SocketAddr,
    pub state: Arc<FakeState>,
    handle: ServerHandle,
}

impl FakeGemini {
    /// Binds `args.bind` (port 0 picks a free port) and serves in the background.
    pub async fn start(args: FakeGeminiArgs) -> std::io::Result<Self> {
        args.check()?;
        let state = Arc::new(FakeState::new(&args));
        let (server, addr) = server::build(&args, Arc::clone(&state), false)?;
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Ok(Self {
            addr,
            state,
            handle,
        })
    }

    /// `http://127.0.0.1:PORT`, without the `/v1beta` prefix.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}
