//! `RateGate`: one per engine, shared by every chunk actor, so the service as a whole keeps
//! within the API's requests per minute, tokens per minute and concurrent calls.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub requests_per_window: u32,
    pub tokens_per_window: u64,
    pub max_concurrent: usize,
    /// One minute in production; shorter in tests.
    pub window: Duration,
}

pub struct RateGate {
    limits: RateLimits,
    sent: Mutex<VecDeque<(Instant, u64)>>,
    concurrent: Arc<Semaphore>,
}

/// Held for the duration of one call; dropping it frees the concurrency slot.
pub struct Pass {
    _slot: OwnedSemaphorePermit,
    /// How long the caller waited at the gate.
    pub waited: Duration,
}

impl RateGate {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            concurrent: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
            sent: Mutex::new(VecDeque::new()),
            limits,
        }
    }

    /// Waits until a request of about `tokens` input tokens fits in every limit, and
    /// records it. A request larger than the whole token budget goes alone in an empty window.
    pub async fn admit(&self, tokens: u64) -> Pass {
        let start = Instant::now();
        let slot = loop {
            // The semaphore is never closed, so this only fails if it were; then go on unbounded.
            match Arc::clone(&self.concurrent).acquire_owned().await {
                Ok(slot) => break slot,
                Err(_) => continue,
            }
        };
        loop {
            let wait = {
                let mut sent = self.sent.lock().await;
                let now = Instant::now();
                while sent
                    .front()
                    .is_some_and(|(at, _)| now.duration_since(*at) >= self.limits.window)
                {
                    sent.pop_front();
                }
                let requests = sent.len() as u64;
                let used: u64 = sent.iter().map(|(_, t)| t).sum();
                let fits_requests = requests < u64::from(self.limits.requests_per_window.max(1));
                let fits_tokens = sent.is_empty() || used + tokens <= self.limits.tokens_per_window;
                if fits_requests && fits_tokens {
                    sent.push_back((now, tokens));
                    None
                } else {
                    // The oldest entry leaving the window is the earliest moment anything changes.
                    sent.front()
                        .map(|(at, _)| (*at + self.limits.window).saturating_duration_since(now))
                }
            };
            match wait {
                None => {
                    return Pass {
                        _slot: slot,
                        waited: start.elapsed(),
                    };
                }
                Some(wait) => tokio::time::sleep(wait.max(Duration::from_millis(1))).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(requests: u32, tokens: u64, concurrent: usize) -> RateLimits {
        RateLimits {
            requests_per_window: requests,
            tokens_per_window: tokens,
            max_concurrent: concurrent,
            window: Duration::from_millis(300),
        }
    }

    #[tokio::test]
    async fn requests_beyond_the_rate_wait_for_the_window() {
        let gate = RateGate::new(limits(2, 1_000_000, 10));
        let a = gate.admit(1).await;
        let b = gate.admit(1).await;
        assert!(a.waited < Duration::from_millis(100) && b.waited < Duration::from_millis(100));
        let c = gate.admit(1).await;
        assert!(c.waited >= Duration::from_millis(250), "{:?}", c.waited);
    }

    #[tokio::test]
    async fn tokens_beyond_the_budget_wait_but_a_huge_request_still_goes_alone() {
        let gate = RateGate::new(limits(100, 1_000, 10));
        assert!(gate.admit(800).await.waited < Duration::from_millis(100));
        assert!(gate.admit(300).await.waited >= Duration::from_millis(250));
        let fresh = RateGate::new(limits(100, 1_000, 10));
        assert!(fresh.admit(5_000).await.waited < Duration::from_millis(100));
    }

    #[tokio::test]
    async fn concurrent_calls_are_capped() {
        let gate = Arc::new(RateGate::new(limits(100, 1_000_000, 1)));
        let first = gate.admit(1).await;
        let g = Arc::clone(&gate);
        let second = tokio::spawn(async move { g.admit(1).await.waited });
        tokio::time::sleep(Duration::from_millis(150)).await;
        drop(first);
        let waited = second.await.unwrap();
        assert!(waited >= Duration::from_millis(120), "{waited:?}");
    }
}
