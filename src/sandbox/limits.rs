//! The operating-system limits a PDF-reading child runs under.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What one child may use. Far above what reading a real book needs (a 500-page novel is
/// read in a few seconds and a few hundred megabytes), far below what would hurt the
/// machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Address space (`RLIMIT_AS`): an allocation past it fails and the child aborts.
    pub memory_bytes: u64,
    /// CPU seconds (`RLIMIT_CPU`): the kernel sends SIGXCPU when they are spent.
    pub cpu_secs: u64,
    /// Elapsed time, kept by the parent, which kills the child when it passes: a child
    /// blocked rather than busy spends no CPU.
    pub wall: Duration,
    /// Largest file the child may write (`RLIMIT_FSIZE`): its answer.
    pub file_bytes: u64,
}

impl Limits {
    /// The part the child sets on itself.
    pub(super) fn for_child(self) -> ChildLimits {
        ChildLimits {
            memory_bytes: self.memory_bytes,
            cpu_secs: self.cpu_secs,
            file_bytes: self.file_bytes,
        }
    }
}

/// The limits the child sets on itself, first thing, before it opens the PDF. They are not
/// set between `fork` and `exec` by the server: a `pre_exec` hook makes the standard library
/// fork, which copies the page tables of the whole server and write-protects its memory (a
/// stall of every server thread per child, measured in BENCHMARKS.md); without one it uses
/// `posix_spawn`, which shares them until `exec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ChildLimits {
    memory_bytes: u64,
    cpu_secs: u64,
    file_bytes: u64,
}

impl ChildLimits {
    /// Applies the limits to the calling process; an error means the child must not go on.
    pub(super) fn apply(self) -> std::io::Result<()> {
        set_limit(libc::RLIMIT_AS, self.memory_bytes, self.memory_bytes)?;
        // SIGXCPU at the soft limit; the hard one, a second later, is SIGKILL for a child
        // that ignores it.
        set_limit(
            libc::RLIMIT_CPU,
            self.cpu_secs,
            self.cpu_secs.saturating_add(1),
        )?;
        set_limit(libc::RLIMIT_FSIZE, self.file_bytes, self.file_bytes)?;
        // A child killed by a limit leaves no core file behind.
        set_limit(libc::RLIMIT_CORE, 0, 0)?;
        // Reading books gives way to requests, like the job threads do. Failing to lower it
        // costs only latency.
        // SAFETY: setpriority takes plain integers.
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, 0, crate::background::JOB_NICE);
        }
        Ok(())
    }
}

fn set_limit(resource: libc::__rlimit_resource_t, soft: u64, hard: u64) -> std::io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: setrlimit reads the struct we pass and nothing else.
    if unsafe { libc::setrlimit(resource, &limit) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
