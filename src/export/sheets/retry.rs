//! Backoff for Google's 429s and 5xx: a policy the caller can shorten (tests use milliseconds),
//! and the bookkeeping of one call's retries.

use std::time::Duration;

use rand::Rng;

use super::error::Retry;

/// How long to wait between attempts, and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay; each retry doubles it.
    pub first: Duration,
    /// The longest single delay.
    pub max_delay: Duration,
    /// Total waiting allowed for 429s before giving up. Sheets quotas refill every minute, so
    /// about a minute is enough to get through a refill and no longer is worth a user's wait.
    pub rate_limit_budget: Duration,
    /// Attempts, the first included, for 5xx and network failures.
    pub transient_attempts: u32,
    /// Wait a random 50–100 % of each delay, so exports that failed together do not retry in
    /// lockstep. Off in tests, where waits must be predictable.
    pub jitter: bool,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            max_delay: Duration::from_secs(32),
            rate_limit_budget: Duration::from_secs(60),
            transient_attempts: 4,
            jitter: true,
        }
    }
}

impl Backoff {
    /// Short, fixed delays for tests.
    pub fn immediate() -> Self {
        Self {
            first: Duration::from_millis(1),
            max_delay: Duration::from_millis(8),
            rate_limit_budget: Duration::from_millis(40),
            transient_attempts: 3,
            jitter: false,
        }
    }

    /// The delay before retry number `retry` (0-based).
    fn delay(&self, retry: u32) -> Duration {
        let doubled = self
            .first
            .saturating_mul(2u32.saturating_pow(retry.min(31)))
            .min(self.max_delay);
        if self.jitter {
            doubled.mul_f64(rand::rng().random_range(0.5..=1.0))
        } else {
            doubled
        }
    }
}

/// The retries of one request.
#[derive(Debug)]
pub(crate) struct Retrier {
    policy: Backoff,
    retries: u32,
    waited: Duration,
    transient_failures: u32,
}

impl Retrier {
    pub(crate) fn new(policy: Backoff) -> Self {
        Self {
            policy,
            retries: 0,
            waited: Duration::ZERO,
            transient_failures: 0,
        }
    }

    /// After a failure: how long to wait before the next attempt, or `None` to give up.
    pub(crate) fn next_delay(&mut self, kind: Retry) -> Option<Duration> {
        let delay = self.policy.delay(self.retries);
        match kind {
            Retry::No => return None,
            Retry::RateLimited => {
                if self.waited + delay > self.policy.rate_limit_budget {
                    return None;
                }
            }
            Retry::Transient => {
                self.transient_failures += 1;
                if self.transient_failures >= self.policy.transient_attempts {
                    return None;
                }
            }
        }
        self.retries += 1;
        self.waited += delay;
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_back_off_exponentially_within_the_budget() {
        let mut retrier = Retrier::new(Backoff::default());
        let mut delays = Vec::new();
        while let Some(delay) = retrier.next_delay(Retry::RateLimited) {
            assert!(delay <= Duration::from_secs(32));
            delays.push(delay);
        }
        let total: Duration = delays.iter().sum();
        assert!(total <= Duration::from_secs(60), "{total:?}");
        // Jittered 1, 2, 4, 8, 16 s at least: the budget is not given up after one short wait.
        assert!(delays.len() >= 4, "{delays:?}");
    }

    #[test]
    fn fixed_delays_double_and_stop_at_the_attempt_limit() {
        let policy = Backoff::immediate();
        let mut retrier = Retrier::new(policy);
        assert_eq!(
            retrier.next_delay(Retry::Transient),
            Some(Duration::from_millis(1))
        );
        assert_eq!(
            retrier.next_delay(Retry::Transient),
            Some(Duration::from_millis(2))
        );
        // Three attempts in all: two retries.
        assert_eq!(retrier.next_delay(Retry::Transient), None);

        let mut retrier = Retrier::new(policy);
        let delays: Vec<_> = std::iter::from_fn(|| retrier.next_delay(Retry::RateLimited))
            .map(|d| d.as_millis())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 8, 8, 8]);
        assert_eq!(Retrier::new(policy).next_delay(Retry::No), None);
    }
}
