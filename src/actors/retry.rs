//! Retry timing for chunks: exponential backoff with full jitter, capped, for as long as a
//! time budget lasts. Outages last minutes; a count of attempts would give up in seconds.

use std::time::Duration;

use rand::Rng;

use crate::clock::Clock;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts for failures that waiting does not cure (a panicking engine).
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
    /// Time limit of one attempt.
    pub timeout: Duration,
    /// How long transient failures are retried, from the first one.
    pub budget: Duration,
    pub clock: Clock,
}

impl RetryPolicy {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            max_attempts: config.chunk_attempts.max(1),
            base: Duration::from_millis(config.retry_base_ms),
            cap: Duration::from_millis(config.retry_max_ms.max(config.retry_base_ms)),
            timeout: config.chunk_timeout(),
            budget: Duration::from_secs(config.retry_budget_secs),
            clock: config.clock,
        }
    }

    /// The wait before the attempt that follows failed attempt `attempt` (1-based): a random
    /// duration up to `base · 2^(attempt-1)`, capped. Full jitter spreads the retries of many
    /// chunks that failed together, so they don't hit a recovering service all at once.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        jitter(self.ceiling_after(attempt))
    }

    /// The server's own wait (`RetryInfo`), plus a random share of the backoff so that the
    /// chunks it stopped together do not all come back in the same instant.
    pub fn delay_after_hint(&self, hint: Duration, attempt: u32) -> Duration {
        hint + jitter(self.ceiling_after(attempt).min(hint.max(self.base)))
    }

    /// Whether a retry after `delay` still starts within the budget that began at `since`
    /// (both on the policy's clock).
    pub fn within_budget(&self, since: Duration, delay: Duration) -> bool {
        self.clock.now().saturating_sub(since) + delay <= self.budget
    }

    fn ceiling_after(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.base.saturating_mul(factor).min(self.cap)
    }
}

fn jitter(ceiling: Duration) -> Duration {
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1_000),
            timeout: Duration::from_secs(1),
            budget: Duration::from_secs(900),
            clock: Clock::accelerated(10_000.0),
        }
    }

    #[test]
    fn delays_grow_exponentially_within_the_cap() {
        let policy = policy();
        assert_eq!(policy.ceiling_after(1), Duration::from_millis(100));
        assert_eq!(policy.ceiling_after(2), Duration::from_millis(200));
        assert_eq!(policy.ceiling_after(4), Duration::from_millis(800));
        assert_eq!(policy.ceiling_after(5), Duration::from_millis(1_000));
        assert_eq!(policy.ceiling_after(60), Duration::from_millis(1_000));
        for attempt in 1..10 {
            assert!(policy.delay_after(attempt) <= policy.ceiling_after(attempt));
        }
    }

    #[test]
    fn a_server_hint_is_honoured_with_jitter_added() {
        let policy = policy();
        let hint = Duration::from_secs(26);
        let delays: Vec<Duration> = (0..50).map(|_| policy.delay_after_hint(hint, 6)).collect();
        assert!(delays.iter().all(|&d| d >= hint && d <= hint + policy.cap));
        assert!(
            delays.iter().any(|&d| d != delays[0]),
            "fifty chunks told to wait 26 s do not all come back at once"
        );
    }

    #[test]
    fn the_budget_is_time_since_the_first_failure() {
        let policy = policy();
        let start = policy.clock.now();
        assert!(policy.within_budget(start, Duration::from_secs(60)));
        assert!(!policy.within_budget(start, Duration::from_secs(901)));
        // 0.1 s of real time is 1000 s on this clock: the budget has run out.
        std::thread::sleep(Duration::from_millis(100));
        assert!(!policy.within_budget(start, Duration::ZERO));
    }
}
