//! Job work yields the CPU to requests.
//!
//! Reading a book and rewriting its chunks keeps both cores busy for as long as it lasts, while
//! the request path (an upload's check, a progress event's way to a thousand sockets) is short
//! and waited on. The threads that run jobs (the supervisor's arbiter and the blocking threads
//! it starts, and the threads those start, which inherit it) therefore run at a lower priority:
//! they still get every cycle nobody else wants, and give way when a request needs one.

/// Nice value of job threads: a request thread gets about ten times their share of a busy
/// core.
pub const JOB_NICE: i32 = 10;

/// Lowers the calling thread's priority to [`JOB_NICE`] (Linux: the nice value is per thread).
/// Raising it back needs a privilege the server does not have, so only threads that run
/// nothing but job work call this. Failing to lower it costs only latency, so it is not an
/// error.
pub fn run_as_job_thread() {
    #[cfg(target_os = "linux")]
    {
        // Never above where it already is (a server started with `nice` stays there).
        let nice = current_nice().max(JOB_NICE);
        // SAFETY: setpriority and gettid take and return plain integers and touch no memory
        // of ours.
        let done =
            unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, nice) };
        if done != 0 {
            tracing::debug!(
                error = %std::io::Error::last_os_error(),
                "could not lower a job thread's priority"
            );
        }
    }
}

/// The calling thread's nice value (0 where threads have none).
pub fn current_nice() -> i32 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: as above; getpriority may return -1 legitimately, which is fine here.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_thread_runs_lower_and_the_threads_it_starts_too() {
        let (job, child) = std::thread::spawn(|| {
            run_as_job_thread();
            let child = std::thread::spawn(current_nice).join().unwrap();
            (current_nice(), child)
        })
        .join()
        .unwrap();
        let base = current_nice();
        assert_eq!((job, child), (JOB_NICE.max(base), JOB_NICE.max(base)));
        // The calling thread is untouched.
        assert_eq!(current_nice(), base);
    }
}
