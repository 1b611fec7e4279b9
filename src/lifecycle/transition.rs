//! Every move of a job between states, as a pure function: the states it may start from, the
//! change to the job's row, whether it is announced as an event, and the metric it counts.
//! `db` executes a transition under a guard (who may make it) in one transaction; nothing
//! here touches a database, a clock or an actor.

use super::JobStatus;
use super::outcome::Outcome;
use super::progress;

/// Who may make a move, on top of the states it starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard<'a> {
    /// The job's owner: a learner's request.
    Owner(&'a str),
    /// The worker whose lease the job is under.
    Holder(&'a str),
    /// A worker claiming the row, picked as claimable in the same transaction.
    Claimer,
    /// The check of the uploaded PDF, which speaks for the file whoever runs the job (or
    /// nobody yet): a refused PDF is refused whatever state the worker thinks it is in.
    Checker,
}

/// A move, decided; `db` makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Transition {
    /// The states the row must be in; otherwise nothing changes.
    pub from: &'static [JobStatus],
    pub change: RowChange,
    /// Whether clients hear of it (a job event).
    pub announce: bool,
    /// Whether other workers should look for work (the job became claimable).
    pub wakes_workers: bool,
    pub metric: Option<Metric>,
}

/// The columns a move sets; `None` leaves one as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RowChange {
    pub status: Option<JobStatus>,
    pub step: Option<String>,
    pub percent: Option<i32>,
    pub failed_chunks: Option<i32>,
    pub error: Option<Option<JobError>>,
    pub finished_at: Option<Option<i64>>,
    /// Set once: a job's first start stays its start through retries and resumes.
    pub started_at: Option<i64>,
    pub lease: Lease,
    pub claims: Claims,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Lease {
    #[default]
    Keep,
    Take {
        worker: String,
        until: i64,
    },
    /// Expired at once: the owner stays recorded, any worker may claim it now.
    Expire,
    /// No lease at all: the job is not running.
    Drop,
}

/// How many times the job has been claimed, which `--max-job-claims` bounds: a job whose
/// workers keep dying is failed instead of being claimed forever.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Claims {
    #[default]
    Keep,
    Add,
    /// A claim ended on purpose takes itself back.
    GiveBack,
    Reset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A job reached an end state (counted with how long it took since the upload).
    JobFinished(JobStatus),
}

/// Why a worker gives a job back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// On purpose, the job unharmed: a drain or a restart.
    HandedBack,
    /// Its job actor stopped before the job ended.
    Died,
}

/// What asking to cancel found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    NotFound,
    AlreadyFinished(JobStatus),
}

/// What asking to retry found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryOutcome {
    /// The failed chunks are pending again and the job is queued.
    Requeued {
        chunks: usize,
    },
    NotFound,
    /// Only a finished job with failed chunks can be retried.
    NothingToRetry(JobStatus),
}

const ACTIVE: &[JobStatus] = &[JobStatus::Queued, JobStatus::Running];
const RUNNING: &[JobStatus] = &[JobStatus::Running];
/// A job retry can take: one that ended with failed chunks.
pub(crate) const RETRYABLE: &[JobStatus] = &[JobStatus::Partial, JobStatus::Failed];

/// A worker takes a queued job, or a running one whose lease expired.
pub(crate) fn claim(worker: &str, now: i64, lease_ms: i64) -> Transition {
    Transition {
        from: ACTIVE,
        change: RowChange {
            status: Some(JobStatus::Running),
            // Not "queued" beside "running" until the book is planned.
            step: Some("starting".into()),
            started_at: Some(now),
            lease: Lease::Take {
                worker: worker.to_owned(),
                until: now + lease_ms,
            },
            claims: Claims::Add,
            ..RowChange::default()
        },
        announce: true,
        wakes_workers: false,
        metric: None,
    }
}

/// The owner stops a job for good: a cancelled job never becomes anything else.
pub(crate) fn cancel(now: i64) -> Transition {
    let status = JobStatus::Cancelled;
    Transition {
        from: ACTIVE,
        change: RowChange {
            status: Some(status),
            step: Some(status.as_str().into()),
            finished_at: Some(Some(now)),
            lease: Lease::Drop,
            ..RowChange::default()
        },
        announce: true,
        wakes_workers: false,
        metric: Some(Metric::JobFinished(status)),
    }
}

/// The owner runs a job's failed chunks again; `done` of `total` chunks keep their results, so
/// the new run's bar starts there. Its claims start over: it is a new run.
pub(crate) fn retry(done: usize, total: usize) -> Transition {
    Transition {
        from: RETRYABLE,
        change: RowChange {
            status: Some(JobStatus::Queued),
            step: Some("queued for retry".into()),
            percent: Some(progress::percent(done, total)),
            failed_chunks: Some(0),
            error: Some(None),
            finished_at: Some(None),
            lease: Lease::Drop,
            claims: Claims::Reset,
            ..RowChange::default()
        },
        announce: true,
        wakes_workers: true,
        metric: None,
    }
}

/// A worker gives a running job back so that any worker claims it at once. A hand-back takes
/// back the claim it ends, so rolling restarts never add up to `--max-job-claims`; a death
/// keeps it counted, as a lost lease does.
pub(crate) fn release(why: Release) -> Transition {
    Transition {
        from: RUNNING,
        change: RowChange {
            lease: Lease::Expire,
            claims: match why {
                Release::HandedBack => Claims::GiveBack,
                Release::Died => Claims::Keep,
            },
            ..RowChange::default()
        },
        announce: false,
        wakes_workers: true,
        metric: None,
    }
}

/// The PDF behind a queued or running job was refused after its upload was answered: the job
/// ends `rejected` with the refusal's code and message, held by nobody. What was made of the
/// PDF goes with it (`db` deletes it in the same transaction), so nothing can move it again.
pub(crate) fn reject(error: JobError, now: i64) -> Transition {
    let status = JobStatus::Rejected;
    Transition {
        from: ACTIVE,
        change: RowChange {
            status: Some(status),
            step: Some(status.as_str().into()),
            error: Some(Some(error)),
            finished_at: Some(Some(now)),
            lease: Lease::Drop,
            ..RowChange::default()
        },
        announce: true,
        wakes_workers: false,
        metric: Some(Metric::JobFinished(status)),
    }
}

/// The worker holding a job ends it as `outcome` says.
pub(crate) fn finish(outcome: &Outcome, now: i64) -> Transition {
    let (status, error) = match outcome {
        Outcome::Finished(status) => (*status, None),
        Outcome::Failed(error) => (JobStatus::Failed, Some(error.clone())),
    };
    Transition {
        from: RUNNING,
        change: RowChange {
            status: Some(status),
            step: Some(status.as_str().into()),
            percent: Some(100),
            error: Some(error),
            finished_at: Some(Some(now)),
            lease: Lease::Drop,
            ..RowChange::default()
        },
        announce: true,
        wakes_workers: false,
        metric: Some(Metric::JobFinished(status)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(t: &Transition, status: JobStatus) -> bool {
        t.from.contains(&status)
    }

    #[test]
    fn only_active_jobs_are_claimed_or_cancelled_and_a_cancelled_one_never_moves_again() {
        for t in [claim("w", 0, 10), cancel(0), reject(refusal(), 0)] {
            assert!(allows(&t, JobStatus::Queued) && allows(&t, JobStatus::Running));
            for ended in JobStatus::ALL.into_iter().filter(|s| s.is_terminal()) {
                assert!(!allows(&t, ended), "{ended} moved by {t:?}");
            }
        }
        let retry = retry(1, 2);
        assert!(!allows(&retry, JobStatus::Cancelled));
        assert!(!allows(
            &finish(&Outcome::Finished(JobStatus::Completed), 0),
            JobStatus::Cancelled
        ));
        assert!(!allows(&release(Release::Died), JobStatus::Cancelled));
    }

    fn refusal() -> JobError {
        JobError {
            code: "no_text_layer".into(),
            message: "the PDF has no text layer".into(),
        }
    }

    #[test]
    fn a_rejection_ends_a_queued_or_running_job_with_its_error_and_counts_it() {
        let t = reject(refusal(), 7);
        assert_eq!(
            t.from, ACTIVE,
            "from queued (nobody holds it) or running (anyone does)"
        );
        assert_eq!(t.change.status, Some(JobStatus::Rejected));
        assert_eq!(t.change.step.as_deref(), Some("rejected"));
        assert_eq!(t.change.error, Some(Some(refusal())));
        assert_eq!(t.change.finished_at, Some(Some(7)));
        assert_eq!(t.change.lease, Lease::Drop, "held by nobody from now on");
        assert_eq!(t.change.claims, Claims::Keep);
        assert!(t.announce && !t.wakes_workers);
        assert_eq!(t.metric, Some(Metric::JobFinished(JobStatus::Rejected)));
    }

    #[test]
    fn a_rejected_job_is_never_retried_released_or_finished() {
        for t in [
            retry(0, 1),
            release(Release::HandedBack),
            release(Release::Died),
            finish(&Outcome::Finished(JobStatus::Completed), 0),
            claim("w", 0, 10),
            cancel(0),
            reject(refusal(), 0),
        ] {
            assert!(!allows(&t, JobStatus::Rejected), "{t:?}");
        }
        assert!(!RETRYABLE.contains(&JobStatus::Rejected));
    }

    #[test]
    fn a_claim_takes_the_lease_counts_a_claim_and_keeps_the_first_start() {
        let t = claim("worker-a", 1_000, 30_000);
        assert_eq!(t.change.status, Some(JobStatus::Running));
        assert_eq!(t.change.step.as_deref(), Some("starting"));
        assert_eq!(
            t.change.lease,
            Lease::Take {
                worker: "worker-a".into(),
                until: 31_000
            }
        );
        assert_eq!(t.change.claims, Claims::Add);
        assert_eq!(t.change.started_at, Some(1_000));
        assert!(t.announce);
        assert_eq!(t.metric, None);
    }

    #[test]
    fn a_hand_back_gives_its_claim_back_and_a_death_keeps_it() {
        let back = release(Release::HandedBack);
        let died = release(Release::Died);
        assert_eq!(back.change.claims, Claims::GiveBack);
        assert_eq!(died.change.claims, Claims::Keep);
        for t in [back, died] {
            assert_eq!(t.from, RUNNING);
            assert_eq!(t.change.status, None, "still running, only claimable");
            assert_eq!(t.change.lease, Lease::Expire);
            assert!(t.wakes_workers && !t.announce);
        }
    }

    #[test]
    fn cancel_ends_the_job_and_counts_it() {
        let t = cancel(5);
        assert_eq!(t.change.status, Some(JobStatus::Cancelled));
        assert_eq!(t.change.finished_at, Some(Some(5)));
        assert_eq!(t.change.lease, Lease::Drop);
        assert_eq!(t.metric, Some(Metric::JobFinished(JobStatus::Cancelled)));
    }

    #[test]
    fn a_retry_queues_a_new_run_from_what_is_done() {
        let t = retry(3, 4);
        assert_eq!(t.from, RETRYABLE);
        assert_eq!(t.change.status, Some(JobStatus::Queued));
        assert_eq!(t.change.percent, Some(progress::percent(3, 4)));
        assert_eq!(t.change.error, Some(None));
        assert_eq!(t.change.finished_at, Some(None));
        assert_eq!(t.change.failed_chunks, Some(0));
        assert_eq!(t.change.claims, Claims::Reset);
        assert!(t.announce && t.wakes_workers);
    }

    #[test]
    fn finishing_sets_the_status_the_outcome_names_with_its_error() {
        let done = finish(&Outcome::Finished(JobStatus::Partial), 9);
        assert_eq!(done.change.status, Some(JobStatus::Partial));
        assert_eq!(done.change.step.as_deref(), Some("partial"));
        assert_eq!(done.change.percent, Some(100));
        assert_eq!(done.change.error, Some(None));
        assert_eq!(done.metric, Some(Metric::JobFinished(JobStatus::Partial)));
        let error = JobError {
            code: "no_sentences".into(),
            message: "none".into(),
        };
        let failed = finish(&Outcome::Failed(error.clone()), 9);
        assert_eq!(failed.change.status, Some(JobStatus::Failed));
        assert_eq!(failed.change.error, Some(Some(error)));
        assert_eq!(failed.metric, Some(Metric::JobFinished(JobStatus::Failed)));
    }
}
