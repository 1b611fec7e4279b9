//! Time as the retry logic sees it. Production runs on the wall clock; tests that must wait as
//! production waits (backoffs of minutes, a 180 s request timeout, a 15 min retry budget) run
//! the same code on an accelerated clock, where one real millisecond stands for many.

use std::future::Future;
use std::time::{Duration, Instant};

/// Converts between the durations the code reasons in ("virtual") and the real ones it waits.
#[derive(Clone, Copy, PartialEq)]
pub struct Clock {
    /// Virtual seconds per real second; 1 on the wall clock.
    speed: f64,
    origin: Instant,
}

/// Two clocks of one speed behave the same: where each started is not worth printing.
impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock").field("speed", &self.speed).finish()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::wall()
    }
}

impl Clock {
    pub fn wall() -> Self {
        Self {
            speed: 1.0,
            origin: Instant::now(),
        }
    }

    /// A clock on which `speed` virtual seconds pass per real second (tests only make sense of
    /// this; nothing in production sets it). Speeds below 1 are taken as 1.
    pub fn accelerated(speed: f64) -> Self {
        Self {
            speed: if speed.is_finite() {
                speed.max(1.0)
            } else {
                1.0
            },
            origin: Instant::now(),
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The real time a virtual wait takes.
    pub fn real(&self, wait: Duration) -> Duration {
        wait.div_f64(self.speed)
    }

    /// Virtual time since the clock was made: a monotonic "now" to measure budgets against.
    pub fn now(&self) -> Duration {
        self.origin.elapsed().mul_f64(self.speed)
    }

    pub async fn sleep(&self, wait: Duration) {
        tokio::time::sleep(self.real(wait)).await;
    }

    /// `future`, or `None` once `limit` of virtual time has passed.
    pub async fn timeout<F: Future>(&self, limit: Duration, future: F) -> Option<F::Output> {
        tokio::time::timeout(self.real(limit), future).await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accelerated_clock_shrinks_waits_and_stretches_elapsed_time() {
        let clock = Clock::accelerated(100.0);
        assert_eq!(
            clock.real(Duration::from_secs(180)),
            Duration::from_millis(1_800)
        );
        let real = Clock::wall();
        assert_eq!(real.real(Duration::from_secs(3)), Duration::from_secs(3));
        assert_eq!(Clock::accelerated(0.1).speed(), 1.0);
        assert_eq!(Clock::accelerated(f64::NAN).speed(), 1.0);
        let before = clock.now();
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.now() - before >= Duration::from_secs(2));
    }
}
