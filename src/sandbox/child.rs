//! The child's side: read the task, do it, leave the answer, exit.

use std::io::Read;
use std::process::ExitCode;

use serde::Serialize;

use super::protocol::{
    ANSWER_FILE, Answer, EXIT_NO_REQUEST, EXIT_OUR_PANIC, Planned, Request, STRICT_ENV, Task,
};
use crate::book_plan::{self, BookPlan};
use crate::pdf::{self, PdfError};

/// The body of `fnt sandbox`: one request on standard input, its answer in `answer.json`
/// in the working directory (the parent gives each child its own).
pub fn main() -> ExitCode {
    if std::env::var_os(STRICT_ENV).is_some() {
        abort_on_our_panics();
    }
    let mut input = Vec::new();
    if std::io::stdin().read_to_end(&mut input).is_err() {
        return ExitCode::from(EXIT_NO_REQUEST);
    }
    let Ok(request) = serde_json::from_slice::<Request>(&input) else {
        eprintln!("fnt sandbox: the request is not a task");
        return ExitCode::from(EXIT_NO_REQUEST);
    };
    // Nothing of the PDF is read before the limits hold.
    if let Err(e) = request.limits.apply() {
        eprintln!("fnt sandbox: cannot set the limits: {e}");
        return ExitCode::from(EXIT_NO_REQUEST);
    }
    let bytes = match std::fs::read(&request.pdf) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("fnt sandbox: {}: {e}", request.pdf.display());
            return ExitCode::from(EXIT_NO_REQUEST);
        }
    };
    let written = match request.task {
        Task::Check { requirements } => answer(pdf::inspect(&bytes, requirements)),
        Task::Plan {
            settings,
            plan,
            max_pages,
        } => answer(
            pdf::guarded(|| {
                book_plan::inspect(&bytes, &settings, max_pages)?;
                let planned = BookPlan::read(&bytes, &settings, &plan)?;
                let inputs = planned.chunk_inputs(&bytes, &settings)?;
                Ok(Planned {
                    pages: planned.pages,
                    parallelism: planned.parallelism(),
                    inputs,
                })
            })
            .and_then(|planned| planned),
        ),
        Task::Measure {
            settings,
            plan,
            max_pages,
        } => answer(
            pdf::guarded(|| {
                // Refused for what an upload would be refused for, so that an estimate never
                // promises a job that cannot start.
                book_plan::inspect(&bytes, &settings, max_pages)?;
                crate::estimate::measure(&bytes, &settings, &plan)
            })
            .and_then(|measured| measured),
        ),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fnt sandbox: cannot write the answer: {e}");
            ExitCode::from(EXIT_NO_REQUEST)
        }
    }
}

fn answer<T: Serialize>(outcome: Result<T, PdfError>) -> std::io::Result<()> {
    let answer = match outcome {
        Ok(value) => Answer::Done(value),
        Err(e) => Answer::Refused(e),
    };
    let json = serde_json::to_vec(&answer).map_err(std::io::Error::other)?;
    std::fs::write(ANSWER_FILE, json)
}

/// A panic raised in fnt's own sources (which the compiler names relative to the crate, as
/// `src/…`) ends the child with [`EXIT_OUR_PANIC`]; panics in lopdf and pdf-extract unwind
/// into [`pdf::guarded`] as they do in a server.
fn abort_on_our_panics() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        if info
            .location()
            .is_some_and(|l| l.file().starts_with("src/"))
        {
            std::process::exit(i32::from(EXIT_OUR_PANIC));
        }
    }));
}
