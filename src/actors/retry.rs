//! Retry timing for chunks: exponential backoff with full jitter, capped.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
    pub timeout: Duration,
}

impl RetryPolicy {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            max_attempts: config.chunk_attempts.max(1),
            base: Duration::from_millis(config.retry_base_ms),
            cap: Duration::from_millis(config.retry_max_ms.max(config.retry_base_ms)),
            timeout: config.chunk_timeout(),
        }
    }

    /// The wait before the attempt that follows failed attempt `attempt` (1-based): a random
    /// duration up to `base · 2^(attempt-1)`, capped. Full jitter spreads the retries of many
    /// chunks that failed together, so they don't hit a recovering service all at once.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling_after(attempt);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }

    fn ceiling_after(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.base.saturating_mul(factor).min(self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_within_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1_000),
            timeout: Duration::from_secs(1),
        };
        assert_eq!(policy.ceiling_after(1), Duration::from_millis(100));
        assert_eq!(policy.ceiling_after(2), Duration::from_millis(200));
        assert_eq!(policy.ceiling_after(4), Duration::from_millis(800));
        assert_eq!(policy.ceiling_after(5), Duration::from_millis(1_000));
        assert_eq!(policy.ceiling_after(60), Duration::from_millis(1_000));
        for attempt in 1..10 {
            assert!(policy.delay_after(attempt) <= policy.ceiling_after(attempt));
        }
    }
}
