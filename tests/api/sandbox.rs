//! The sandbox itself: the `fnt sandbox` child that reads PDFs, under each of its limits.
//! Every limit it runs into refuses the PDF as too complex; a child that cannot run decides
//! nothing about the PDF; each child works in a directory of its own, removed after it.

use std::path::Path;
use std::time::Duration;

use fnt::pdf::{PdfInfo, Requirements};
use fnt::sandbox::{Input, Limits, Sandbox, SandboxError, Task};
use fnt_testkit::hostile;

const GENEROUS: Limits = Limits {
    memory_bytes: 2 << 30,
    cpu_secs: 30,
    wall: Duration::from_secs(60),
    file_bytes: 64 << 20,
};

fn sandbox(limits: Limits, scratch: &Path) -> Sandbox {
    Sandbox::new(env!("CARGO_BIN_EXE_fnt").into(), limits, 2).with_scratch_root(scratch.into())
}

fn check() -> Task {
    Task::Check {
        requirements: Requirements {
            max_pages: 1000,
            text_layer: true,
        },
    }
}

fn hostile_file(name: &str) -> Vec<u8> {
    hostile::all()
        .into_iter()
        .find(|h| h.name == name)
        .unwrap_or_else(|| panic!("no hostile file {name}"))
        .pdf
}

/// The refusal's detail, for a child stopped by a limit.
fn too_complex(outcome: Result<PdfInfo, SandboxError>) -> String {
    match outcome {
        Err(SandboxError::Refused(fnt::pdf::PdfError::TooComplex { detail })) => detail,
        other => panic!("not refused as too complex: {other:?}"),
    }
}

/// The server names files relative to its own directory (the default data directory is
/// `./data`); the child, working in a directory of its own, reads them all the same.
#[actix_web::test]
async fn a_file_named_relative_to_the_server_is_read_by_the_child() {
    let scratch = tempfile::tempdir().unwrap();
    let relative = Path::new("benches/books/lualatex-long.pdf");
    assert!(relative.is_relative() && relative.is_file());
    let sandbox = sandbox(GENEROUS, scratch.path());
    let info: PdfInfo = sandbox.run(&check(), Input::File(relative)).await.unwrap();
    assert_eq!(info.page_count, 276);
}

#[actix_web::test]
async fn a_book_is_read_in_a_directory_of_its_own_that_is_removed_after() {
    let scratch = tempfile::tempdir().unwrap();
    let book = fnt_testkit::pdf::book_pdf(
        &fnt_testkit::novel::novel(12),
        &fnt_testkit::pdf::FixtureOptions::default(),
    )
    .pdf;
    let sandbox = sandbox(GENEROUS, scratch.path());
    let info: PdfInfo = sandbox.run(&check(), Input::Bytes(&book)).await.unwrap();
    assert_eq!(info.page_count, 12);
    let left: Vec<_> = std::fs::read_dir(scratch.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// An allocation the address space cannot hold fails and the child aborts: a file whose
/// page tree claims ten trillion pages makes lopdf ask for that many at once.
#[actix_web::test]
async fn an_allocation_the_address_space_cannot_hold_refuses_the_pdf() {
    let scratch = tempfile::tempdir().unwrap();
    let claims = hostile_file("huge_page_count");
    let sandbox = sandbox(GENEROUS, scratch.path());
    let detail = too_complex(sandbox.run(&check(), Input::Bytes(&claims)).await);
    assert!(
        detail.contains("abort") && detail.contains("memory allocation"),
        "{detail}"
    );
}

#[actix_web::test]
async fn work_within_every_cap_runs_into_the_cpu_limit() {
    let scratch = tempfile::tempdir().unwrap();
    let limits = Limits {
        cpu_secs: 2,
        ..GENEROUS
    };
    let slow = hostile::heavy_form_drawn_often_pdf();
    let detail = too_complex(
        sandbox(limits, scratch.path())
            .run(&check(), Input::Bytes(&slow))
            .await,
    );
    assert!(detail.contains("CPU"), "{detail}");
}

/// A child that waits instead of working spends no CPU: the wall clock ends it. (Here it
/// waits on a pipe nobody writes to, given as its PDF.)
#[actix_web::test]
async fn a_child_that_hangs_runs_into_the_wall_clock() {
    let scratch = tempfile::tempdir().unwrap();
    let fifo = scratch.path().join("never-written.pdf");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let limits = Limits {
        wall: Duration::from_secs(2),
        ..GENEROUS
    };
    let sandbox = sandbox(limits, scratch.path());
    let detail = too_complex(sandbox.run(&check(), Input::File(&fifo)).await);
    assert!(detail.contains("took more than"), "{detail}");
}

#[actix_web::test]
async fn a_child_that_cannot_run_decides_nothing_about_the_pdf() {
    let scratch = tempfile::tempdir().unwrap();
    let missing = Sandbox::new(scratch.path().join("no-such-fnt"), GENEROUS, 1);
    let outcome: Result<PdfInfo, _> = missing.run(&check(), Input::Bytes(b"%PDF-1.4")).await;
    assert!(
        matches!(outcome, Err(SandboxError::Unavailable(_))),
        "{outcome:?}"
    );
    // A PDF the child cannot open is the server's problem too, not the file's.
    let present = sandbox(GENEROUS, scratch.path());
    let outcome: Result<PdfInfo, _> = present
        .run(&check(), Input::File(&scratch.path().join("gone.pdf")))
        .await;
    assert!(
        matches!(outcome, Err(SandboxError::Unavailable(_))),
        "{outcome:?}"
    );
}

/// The child sets its limits on itself before it opens the PDF; one that cannot (here its
/// hard file-size limit, lowered by `prlimit` before it starts, is below the one asked for)
/// reads nothing and decides nothing about the PDF.
#[actix_web::test]
async fn a_child_that_cannot_set_its_limits_reads_nothing() {
    let scratch = tempfile::tempdir().unwrap();
    let wrapper = scratch.path().join("fnt-with-low-hard-limits");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec prlimit --fsize=4096:4096 -- {} \"$@\"\n",
            env!("CARGO_BIN_EXE_fnt")
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let book = fnt_testkit::pdf::book_pdf(
        &fnt_testkit::novel::novel(2),
        &fnt_testkit::pdf::FixtureOptions::default(),
    )
    .pdf;
    let sandbox = Sandbox::new(wrapper, GENEROUS, 1).with_scratch_root(scratch.path().into());
    let outcome: Result<PdfInfo, _> = sandbox.run(&check(), Input::Bytes(&book)).await;
    match outcome {
        Err(SandboxError::Unavailable(detail)) => {
            assert!(detail.contains("cannot set the limits"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}
