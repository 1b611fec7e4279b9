//! A per-key sliding-window limiter (the auth endpoints, keyed by client IP). Each instance
//! counts on its own: with N instances a client gets at most N times the limit.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    limit: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: usize::try_from(limit).unwrap_or(usize::MAX).max(1),
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request from `key`; `Err(wait)` when it is over the limit.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut hits = self
            .hits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget keys that went quiet, so that many one-off clients do not pile up.
        if hits.len() > 10_000 {
            hits.retain(|_, times| times.back().is_some_and(|t| now - *t < self.window));
        }
        let times = hits.entry(key.to_owned()).or_default();
        while times.front().is_some_and(|t| now - *t >= self.window) {
            times.pop_front();
        }
        if times.len() >= self.limit {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(self.window.saturating_sub(now - oldest));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_per_key_and_frees_up_with_time() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(limiter.check("a", t0).is_ok());
        assert!(limiter.check("a", t0).is_ok());
        let wait = limiter
            .check("a", t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(
            limiter.check("b", t0).is_ok(),
            "another client is not limited"
        );
        assert!(limiter.check("a", t0 + Duration::from_secs(61)).is_ok());
    }
}
