//! How a job that has run every chunk ends, from what its chunks left.

use super::JobStatus;
use super::transition::JobError;

/// The end a job reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `completed` or `partial`: there is a result to keep.
    Finished(JobStatus),
    Failed(JobError),
}

impl Outcome {
    pub fn failed(code: &str, message: impl Into<String>) -> Self {
        Self::Failed(JobError {
            code: code.to_owned(),
            message: message.into(),
        })
    }

    pub fn status(&self) -> JobStatus {
        match self {
            Self::Finished(status) => *status,
            Self::Failed(_) => JobStatus::Failed,
        }
    }
}

/// What a job's stored chunks came to.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tally<'a> {
    pub chunks: usize,
    pub failed: usize,
    /// Done chunks whose stored result could not be read back.
    pub unreadable: usize,
    /// Sentences the done chunks found.
    pub sentences: usize,
    /// The last failed chunk's error, as clients may see it.
    pub last_error: Option<&'a str>,
}

pub(crate) fn decide(tally: Tally<'_>) -> Outcome {
    if tally.unreadable > 0 {
        return Outcome::failed("internal", "stored chunk results could not be read");
    }
    // A chunk inside a sentence begun earlier has no text and always succeeds: when the
    // chunks that had text all failed, that is the job's failure, not an empty book.
    if tally.failed == tally.chunks || (tally.failed > 0 && tally.sentences == 0) {
        return Outcome::failed(
            "all_chunks_failed",
            format!(
                "every chunk failed after its retries (last error: {})",
                tally.last_error.unwrap_or_default()
            ),
        );
    }
    if tally.sentences == 0 {
        return Outcome::failed("no_sentences", "no sentences were found in this PDF");
    }
    Outcome::Finished(if tally.failed == 0 {
        JobStatus::Completed
    } else {
        JobStatus::Partial
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(outcome: &Outcome) -> &str {
        match outcome {
            Outcome::Failed(e) => &e.code,
            Outcome::Finished(s) => s.as_str(),
        }
    }

    #[test]
    fn every_chunk_done_completes_and_some_failed_is_partial() {
        let all = Tally {
            chunks: 4,
            sentences: 120,
            ..Tally::default()
        };
        assert_eq!(decide(all), Outcome::Finished(JobStatus::Completed));
        let some = Tally { failed: 1, ..all };
        assert_eq!(decide(some), Outcome::Finished(JobStatus::Partial));
    }

    #[test]
    fn a_job_without_usable_text_fails_with_the_reason() {
        let all_failed = Tally {
            chunks: 2,
            failed: 2,
            last_error: Some("the engine timed out"),
            ..Tally::default()
        };
        let outcome = decide(all_failed);
        assert_eq!(code(&outcome), "all_chunks_failed");
        assert!(matches!(&outcome, Outcome::Failed(e) if e.message.contains("timed out")));
        // The only chunk that succeeded held the end of a sentence begun before: no text.
        let only_empty_done = Tally {
            chunks: 3,
            failed: 2,
            ..Tally::default()
        };
        assert_eq!(code(&decide(only_empty_done)), "all_chunks_failed");
        let empty = Tally {
            chunks: 3,
            ..Tally::default()
        };
        assert_eq!(code(&decide(empty)), "no_sentences");
        let unreadable = Tally {
            chunks: 3,
            unreadable: 1,
            sentences: 50,
            ..Tally::default()
        };
        assert_eq!(code(&decide(unreadable)), "internal");
        assert_eq!(decide(unreadable).status(), JobStatus::Failed);
    }
}
