//! How much of the uploads' bytes this process holds in memory at once.
//!
//! An upload is streamed to disk as it arrives, and its bytes come into memory only to be
//! checked cheaply and, on PostgreSQL, written into the database with its job (where the
//! driver copies them once more). Fifty 45 MB uploads arriving together would otherwise hold
//! gigabytes; here each waits for its share of a fixed budget, and once the last of a burst
//! is done the allocator is asked to give the freed memory back to the system.

use std::sync::Arc;

use tokio::sync::{Semaphore, SemaphorePermit};

const MIB: u64 = 1 << 20;

/// The budget, in MiB.
#[derive(Clone)]
pub struct UploadMemory {
    permits: Arc<Semaphore>,
    total: u32,
}

/// A share of the budget, given back when dropped.
pub struct Held<'a> {
    permit: Option<SemaphorePermit<'a>>,
    memory: &'a UploadMemory,
}

impl UploadMemory {
    pub fn new(budget_mib: u64) -> Self {
        let total = u32::try_from(budget_mib.max(1)).unwrap_or(u32::MAX);
        Self {
            permits: Arc::new(Semaphore::new(total as usize)),
            total,
        }
    }

    /// Waits until `copies` copies of an upload of `bytes` may be held (2 where a database
    /// driver copies the bytes it stores), at most the whole budget, so that one file larger
    /// than the budget still goes through, alone.
    pub async fn hold(&self, bytes: u64, copies: u64) -> Held<'_> {
        let share = (bytes.saturating_mul(copies).div_ceil(MIB)).clamp(1, u64::from(self.total));
        let share = u32::try_from(share).unwrap_or(self.total);
        Held {
            // The semaphore is never closed.
            permit: self.permits.acquire_many(share).await.ok(),
            memory: self,
        }
    }

    /// MiB held right now.
    pub fn held_mib(&self) -> u32 {
        self.total
            .saturating_sub(u32::try_from(self.permits.available_permits()).unwrap_or(0))
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        drop(self.permit.take());
        if self.memory.held_mib() == 0 {
            give_back_freed_memory();
        }
    }
}

/// glibc keeps freed memory in its arenas for reuse; after a burst of large uploads that is
/// hundreds of megabytes the process no longer needs (measured in BENCHMARKS.md).
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn uploads_wait_for_their_share_and_one_larger_than_the_budget_goes_alone() {
        let memory = UploadMemory::new(100);
        let first = memory.hold(30 * MIB, 2).await;
        assert_eq!(memory.held_mib(), 60);
        // 2 × 30 MiB more does not fit beside the first.
        let second = memory.hold(30 * MIB, 2);
        let waited = tokio::time::timeout(std::time::Duration::from_millis(50), second).await;
        assert!(waited.is_err(), "the second upload did not wait");
        drop(first);
        assert_eq!(memory.held_mib(), 0);
        let huge = memory.hold(500 * MIB, 1).await;
        assert_eq!(memory.held_mib(), 100);
        drop(huge);
        let tiny = memory.hold(10, 2).await;
        assert_eq!(memory.held_mib(), 1);
        drop(tiny);
        // One copy each: three of 30 MiB fit.
        let held: Vec<_> =
            futures_util::future::join_all((0..3).map(|_| memory.hold(30 * MIB, 1))).await;
        assert_eq!(memory.held_mib(), 90);
        drop(held);
    }
}
