//! What the server and its PDF-reading child say to each other.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitStatus;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::SandboxError;
use super::limits::ChildLimits;
use crate::engine::ChunkInput;
use crate::pdf::plan::PlanConfig;
use crate::pdf::{PdfError, Requirements};
use crate::settings::Settings;

/// Where the child leaves its answer, in its own directory.
pub(super) const ANSWER_FILE: &str = "answer.json";

/// Exit status of a child that could not read its request or its PDF, or could not set its
/// limits: nothing about the PDF was decided.
pub(super) const EXIT_NO_REQUEST: u8 = 3;

/// Exit status of a strict child (see [`super::Sandbox::strict`]) whose own code panicked.
pub(super) const EXIT_OUR_PANIC: u8 = 4;

/// Set in a strict child's environment.
pub(super) const STRICT_ENV: &str = "FNT_SANDBOX_STRICT";

#[derive(Serialize, Deserialize)]
pub(super) struct Request {
    pub pdf: PathBuf,
    pub task: Task,
    /// Set by the child on itself before it opens `pdf`.
    pub limits: ChildLimits,
}

/// One piece of work on a PDF.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Task {
    /// What an upload is checked for after its 202: the whole file parsed, its page tree
    /// counted, a sample of pages read for a text layer. Answers a [`crate::pdf::PdfInfo`].
    Check { requirements: Requirements },
    /// A job's chunk plan and what each chunk is given, after the checks of [`Task::Check`]:
    /// a job that starts before its upload's check has ended refuses what the check would.
    /// Answers [`Planned`].
    Plan {
        settings: Box<Settings>,
        plan: PlanConfig,
        max_pages: u32,
    },
    /// What an estimate counts: the job's plan and the requests its engine would send.
    /// Answers a [`crate::estimate::Measured`].
    Measure {
        settings: Box<Settings>,
        plan: PlanConfig,
        max_pages: u32,
    },
}

/// A job's plan as the child made it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Planned {
    pub pages: u32,
    pub parallelism: u32,
    pub inputs: Vec<ChunkInput>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Answer<T> {
    Done(T),
    Refused(PdfError),
}

/// The outcome of a child that has exited with `status`, leaving `answer` (if any) and
/// `errors` on its standard error.
pub(super) fn decode<T: DeserializeOwned>(
    status: ExitStatus,
    answer: Option<&[u8]>,
    errors: &str,
) -> Result<T, SandboxError> {
    if let Some(signal) = status.signal() {
        // Every limit ends the child with a signal: SIGXCPU for CPU time, SIGABRT for an
        // allocation past the address-space limit or a stack overflow, SIGKILL from the
        // kernel's OOM killer or from the wall clock.
        return Err(PdfError::TooComplex {
            detail: format!(
                "the reader was stopped by {} ({errors})",
                signal_name(signal)
            ),
        }
        .into());
    }
    if !status.success() {
        return Err(SandboxError::Unavailable(format!(
            "the reader exited with {status}: {errors}"
        )));
    }
    let Some(answer) = answer else {
        return Err(SandboxError::Unavailable(
            "the reader exited without an answer".into(),
        ));
    };
    match serde_json::from_slice(answer) {
        Ok(Answer::Done(value)) => Ok(value),
        Ok(Answer::Refused(e)) => Err(e.into()),
        Err(e) => Err(SandboxError::Unavailable(format!(
            "the reader's answer cannot be read: {e}"
        ))),
    }
}

fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGXCPU => "its CPU time limit".into(),
        libc::SIGABRT => "an abort (out of memory or stack)".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGSEGV => "a segmentation fault".into(),
        other => format!("signal {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exited(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    fn killed(signal: i32) -> ExitStatus {
        ExitStatus::from_raw(signal)
    }

    #[test]
    fn a_child_stopped_by_a_limit_has_refused_the_pdf_as_too_complex() {
        for signal in [libc::SIGXCPU, libc::SIGABRT, libc::SIGKILL, libc::SIGSEGV] {
            let outcome = decode::<u32>(killed(signal), None, "memory allocation failed");
            match outcome {
                Err(SandboxError::Refused(e)) => assert_eq!(e.code(), "pdf_too_complex"),
                other => panic!("{signal}: {other:?}"),
            }
        }
    }

    #[test]
    fn answers_and_refusals_are_read_back() {
        let done = serde_json::to_vec(&Answer::Done(7u32)).unwrap();
        assert_eq!(decode::<u32>(exited(0), Some(&done), "").unwrap(), 7);
        let refused = serde_json::to_vec(&Answer::<u32>::Refused(PdfError::NoTextLayer)).unwrap();
        match decode::<u32>(exited(0), Some(&refused), "") {
            Err(SandboxError::Refused(e)) => assert_eq!(e, PdfError::NoTextLayer),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_child_that_cannot_work_decides_nothing_about_the_pdf() {
        for (status, answer) in [
            (exited(i32::from(EXIT_NO_REQUEST)), None),
            (exited(0), None),
            (exited(0), Some(&b"{not json"[..])),
        ] {
            assert!(matches!(
                decode::<u32>(status, answer, "no such file"),
                Err(SandboxError::Unavailable(_))
            ));
        }
    }
}
