//! How much of the uploads' bytes this process holds in memory at once.
//!
//! An upload is streamed to disk as it arrives, and its bytes come into memory only to be
//! checked cheaply and, on PostgreSQL, written into the database with its job (where the
//! driver copies them once more). Fifty 45 MB uploads arriving together would otherwise hold
//! gigabytes; here each waits for its share of a fixed budget, and once the last of a burst
//! is done the allocator is asked to give the freed memory back to the system.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

const MIB: u64 = 1 << 20;

/// How long the budget must stay unused before the freed memory is given back: a burst of
/// small uploads empties it between two of them, and giving back (walking the allocator's
/// free lists) after each would cost the burst's requests their time.
const QUIET: Duration = Duration::from_millis(20);

/// The budget, in MiB.
#[derive(Clone)]
pub struct UploadMemory {
    permits: Arc<Semaphore>,
    total: u32,
    /// Tells the thread that gives memory back that the budget was emptied.
    emptied: SyncSender<()>,
}

/// A share of the budget, given back when dropped.
pub struct Held<'a> {
    permit: Option<SemaphorePermit<'a>>,
    memory: &'a UploadMemory,
}

impl UploadMemory {
    pub fn new(budget_mib: u64) -> Self {
        let total = u32::try_from(budget_mib.max(1)).unwrap_or(u32::MAX);
        let permits = Arc::new(Semaphore::new(total as usize));
        // One note pending is enough: more of them say the same.
        let (emptied, notes) = sync_channel(1);
        let watched = Arc::clone(&permits);
        let spawned = std::thread::Builder::new()
            .name("fnt-give-back".into())
            .spawn(move || {
                give_back_when_quiet(&notes, &watched, total, QUIET, give_back_freed_memory);
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "freed upload memory will not be given back");
        }
        Self {
            permits,
            total,
            emptied,
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
        held_mib(&self.permits, self.total)
    }
}

fn held_mib(permits: &Semaphore, total: u32) -> u32 {
    total.saturating_sub(u32::try_from(permits.available_permits()).unwrap_or(0))
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        drop(self.permit.take());
        if self.memory.held_mib() == 0 {
            // Full: a note is already on its way.
            let _ = self.memory.emptied.try_send(());
        }
    }
}

/// The thread that gives memory back, once the budget has been empty for `quiet`; it ends
/// with the last handle on the budget.
fn give_back_when_quiet(
    notes: &Receiver<()>,
    permits: &Semaphore,
    total: u32,
    quiet: Duration,
    give_back: impl Fn(),
) {
    while notes.recv().is_ok() {
        // Emptied again meanwhile: quiet counts from that moment.
        loop {
            std::thread::sleep(quiet);
            match notes.try_recv() {
                Ok(()) => {}
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        if held_mib(permits, total) == 0 {
            give_back();
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

    #[test]
    fn memory_is_given_back_once_the_budget_has_been_quiet_not_after_each_upload() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // Long beside the pauses between notes below, so that a busy machine does not
        // make a pause look like quiet.
        let quiet = Duration::from_millis(300);
        let permits = Arc::new(Semaphore::new(10));
        let (emptied, notes) = sync_channel(1);
        let given_back = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&given_back);
        let watched = Arc::clone(&permits);
        let thread = std::thread::spawn(move || {
            give_back_when_quiet(&notes, &watched, 10, quiet, || {
                counted.fetch_add(1, Ordering::SeqCst);
            });
        });
        let wait_for = |n: usize| {
            let started = std::time::Instant::now();
            while given_back.load(Ordering::SeqCst) < n && started.elapsed() < quiet * 30 {
                std::thread::sleep(quiet / 10);
            }
        };

        // Emptied while a share is held again: nothing to give back.
        let held = permits.try_acquire_many(3).ok();
        let _ = emptied.try_send(());
        std::thread::sleep(quiet * 3);
        assert_eq!(given_back.load(Ordering::SeqCst), 0);
        drop(held);
        let _ = emptied.try_send(());
        wait_for(1);
        assert_eq!(given_back.load(Ordering::SeqCst), 1);

        // A burst empties the budget twenty times, closer together than `quiet`: memory is
        // given back once, after it.
        for _ in 0..20 {
            let _ = emptied.try_send(());
            std::thread::sleep(Duration::from_millis(10));
        }
        wait_for(2);
        std::thread::sleep(quiet * 2);
        assert_eq!(given_back.load(Ordering::SeqCst), 2);

        // The thread ends with the last handle on the budget.
        drop(emptied);
        assert!(thread.join().is_ok());
    }
}
