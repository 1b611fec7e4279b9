//! Whether an owner may start one more job: the per-user limits, decided from counts the
//! database reads.

/// How many jobs one owner may start; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quota {
    pub uploads_per_hour: Option<u32>,
    pub active_jobs: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    TooManyUploads { retry_after_secs: u64 },
    TooManyJobs,
}

pub(crate) const HOUR_MS: i64 = 3_600_000;

/// Uploads of each owner whose bodies this process is receiving: counted with the owner's jobs,
/// so that many uploads sent at once are refused before their bodies are read, not after (the
/// insert checks again, atomically, against what is stored).
#[derive(Debug, Default)]
pub struct InFlight(std::sync::Mutex<std::collections::HashMap<String, usize>>);

/// One upload being received; its place is freed when it is dropped.
#[derive(Debug)]
pub struct Reservation<'a> {
    in_flight: &'a InFlight,
    owner: String,
    /// The owner's other uploads in flight when this one began.
    others: usize,
}

impl InFlight {
    pub fn reserve(&self, owner: &str) -> Reservation<'_> {
        let mut counts = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(owner.to_owned()).or_insert(0);
        let others = *count;
        *count += 1;
        Reservation {
            in_flight: self,
            owner: owner.to_owned(),
            others,
        }
    }
}

impl Reservation<'_> {
    pub fn others(&self) -> usize {
        self.others
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut counts = (self.in_flight.0)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.owner) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.owner);
            }
        }
    }
}

/// Against the limit on jobs queued or running at once.
pub(crate) fn by_active_jobs(quota: Quota, active: i64) -> Admission {
    match quota.active_jobs {
        Some(limit) if active >= i64::from(limit) => Admission::TooManyJobs,
        _ => Admission::Admitted,
    }
}

/// Against the hourly upload limit, from the creation times of the owner's jobs in the last
/// hour, oldest first. A refusal says when the oldest upload that must leave the window has.
pub(crate) fn by_recent_uploads(quota: Quota, recent: &[i64], now_ms: i64) -> Admission {
    let Some(limit) = quota.uploads_per_hour else {
        return Admission::Admitted;
    };
    // A limit of 0 is refused at start; read as "none" here rather than index before the list.
    let limit = usize::try_from(limit).unwrap_or(usize::MAX).max(1);
    if recent.len() < limit {
        return Admission::Admitted;
    }
    let frees_at = recent[recent.len() - limit] + HOUR_MS;
    Admission::TooManyUploads {
        retry_after_secs: u64::try_from((frees_at - now_ms).max(0) / 1000 + 1).unwrap_or(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 10 * HOUR_MS;

    #[test]
    fn active_jobs_are_refused_at_the_limit_and_no_limit_admits_all() {
        let quota = Quota {
            active_jobs: Some(3),
            ..Quota::default()
        };
        assert_eq!(by_active_jobs(quota, 2), Admission::Admitted);
        assert_eq!(by_active_jobs(quota, 3), Admission::TooManyJobs);
        assert_eq!(by_active_jobs(Quota::default(), 1_000), Admission::Admitted);
    }

    #[test]
    fn the_hourly_limit_waits_for_the_upload_that_must_leave_the_window() {
        let quota = Quota {
            uploads_per_hour: Some(2),
            ..Quota::default()
        };
        assert_eq!(
            by_recent_uploads(quota, &[NOW - 10_000], NOW),
            Admission::Admitted
        );
        // Two in the window: the older one (made 40 min ago) frees its place in 20 min.
        let recent = [NOW - 40 * 60_000, NOW - 60_000];
        assert_eq!(
            by_recent_uploads(quota, &recent, NOW),
            Admission::TooManyUploads {
                retry_after_secs: 20 * 60 + 1
            }
        );
        // Three in the window (a limit lowered since): the second oldest decides.
        let recent = [NOW - 50 * 60_000, NOW - 30 * 60_000, NOW - 60_000];
        assert_eq!(
            by_recent_uploads(quota, &recent, NOW),
            Admission::TooManyUploads {
                retry_after_secs: 30 * 60 + 1
            }
        );
    }

    #[test]
    fn uploads_in_flight_count_until_they_end() {
        let in_flight = InFlight::default();
        let first = in_flight.reserve("alice");
        let second = in_flight.reserve("alice");
        let bob = in_flight.reserve("bob");
        assert_eq!((first.others(), second.others(), bob.others()), (0, 1, 0));
        drop(first);
        drop(second);
        assert_eq!(in_flight.reserve("alice").others(), 0);
        assert_eq!(in_flight.0.lock().unwrap().get("bob"), Some(&1));
        drop(bob);
        assert!(in_flight.0.lock().unwrap().is_empty());
    }

    #[test]
    fn a_zero_limit_never_indexes_before_the_list() {
        let quota = Quota {
            uploads_per_hour: Some(0),
            ..Quota::default()
        };
        assert_eq!(by_recent_uploads(quota, &[], NOW), Admission::Admitted);
        assert!(matches!(
            by_recent_uploads(quota, &[NOW - 1], NOW),
            Admission::TooManyUploads { .. }
        ));
    }
}
