//! Every hostile file from `testkit::hostile`, through every entry point that reads an
//! upload: each is refused with the expected error by every entry point that reaches its
//! target, everything is quick, and honest files that look unusual still pass.

use std::time::{Duration, Instant};

use super::plan::{PlanConfig, plan};
use super::{PdfError, Requirements, clean::CleanOptions, inspect, page_count, read_book};
use crate::testkit::hostile::{self, Hostile, Target};

/// Far more than any refusal takes in a debug build; far less than inflating a bomb or
/// walking a loop would.
const QUICK: Duration = Duration::from_secs(10);

fn timed<T>(what: &str, h: &Hostile, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    assert!(took < QUICK, "{what} took {took:?} on {h:?}");
    out
}

/// Refused with the file's code when `reached`, read without error otherwise.
fn assert_answer(
    what: &str,
    h: &Hostile,
    reached: bool,
    result: Result<impl std::fmt::Debug, PdfError>,
) {
    match (reached, result) {
        (true, Err(e)) => assert_eq!(e.code(), h.code, "{what} on {h:?}: {e:?}"),
        (true, Ok(v)) => panic!("{what} accepted {h:?}: {v:?}"),
        (false, Err(e)) => panic!("{what} refused {h:?}, which it does not reach: {e:?}"),
        (false, Ok(_)) => {}
    }
}

#[test]
fn every_hostile_file_is_refused_by_every_entry_point_that_reaches_it() {
    for h in hostile::all() {
        for text_layer in [true, false] {
            let req = Requirements {
                max_pages: 1000,
                text_layer,
            };
            let r = timed("inspect", &h, || inspect(&h.pdf, req));
            match h.target {
                Target::Load | Target::Page => assert_answer("inspect", &h, true, r),
                Target::LopdfContentParser => assert_answer("inspect", &h, false, r),
                // Harmless to the sample: any answer will do, as long as it is quick.
                Target::WholeFile => {}
            }
        }
        let r = timed("read_book", &h, || {
            read_book(&h.pdf, CleanOptions::default()).map(|(_, n)| n)
        });
        assert_answer("read_book", &h, h.target != Target::LopdfContentParser, r);
        let loads = matches!(h.target, Target::Load | Target::WholeFile);
        let r = timed("page_count", &h, || page_count(&h.pdf));
        assert_answer("page_count", &h, loads, r);
        let chunk_plan = plan(3, &PlanConfig::default());
        let r = timed("pdf_chunk_inputs", &h, || {
            super::pages::pdf_chunk_inputs(&h.pdf, &chunk_plan, 1).map(|c| c.len())
        });
        assert_answer("pdf_chunk_inputs", &h, loads, r);
    }
}

/// A tree of one node with tens of thousands of pages is read once, not once per page.
#[test]
fn a_wide_page_tree_is_read_once() {
    let h = Hostile {
        name: "wide_page_tree",
        pdf: hostile::wide_page_tree_pdf(30_000),
        code: "too_many_pages",
        target: Target::Load,
    };
    let req = Requirements {
        max_pages: 1000,
        text_layer: true,
    };
    let r = timed("inspect", &h, || inspect(&h.pdf, req));
    assert_answer("inspect", &h, true, r);
}

/// The upload reads a sample of pages, so a bad page elsewhere in a real book passes it; the
/// job's reading of the book refuses it before it costs more than the limits allow.
#[test]
fn a_bad_page_the_sample_misses_is_refused_when_the_book_is_read() {
    let req = Requirements {
        max_pages: 1000,
        text_layer: true,
    };
    for (name, pdf) in [
        (
            "bomb",
            hostile::book_with_bad_page(7, hostile::BadPage::Bomb),
        ),
        (
            "form cycle",
            hostile::book_with_bad_page(7, hostile::BadPage::FormCycle),
        ),
    ] {
        let info = inspect(&pdf, req).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(info.page_count > 7, "{name}");
        let started = Instant::now();
        let refused = read_book(&pdf, CleanOptions::default()).map(|(_, n)| n);
        assert!(started.elapsed() < QUICK, "{name}");
        let expected = match name {
            "bomb" => "pdf_too_complex",
            _ => "malformed_pdf",
        };
        assert_eq!(refused.map_err(|e| e.code()), Err(expected), "{name}");
    }
}

/// Content that fails to parse (and so is read again from the next byte) only after the
/// end of line of a comment is looked for: each comment used to be read to the end of the
/// stream, for hours on a mebibyte. lopdf stops at the first comment, so the file is just a
/// readable first page and an unreadable second one.
#[test]
fn comments_without_an_end_of_line_are_read_once() {
    let h = Hostile {
        name: "comment_without_eol",
        pdf: hostile::comment_without_eol_pdf(),
        code: "",
        target: Target::LopdfContentParser,
    };
    for text_layer in [true, false] {
        let req = Requirements {
            max_pages: 1000,
            text_layer,
        };
        let _ = timed("inspect", &h, || inspect(&h.pdf, req));
    }
    let _ = timed("read_book", &h, || {
        read_book(&h.pdf, CleanOptions::default())
    });
}

/// Peak resident memory of this process, where Linux reports it.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn bombs_cannot_blow_up_the_job_side() {
    // read_book is what a job runs on a stored upload; these inflate to 4 GiB each.
    for pdf in [
        hostile::content_bomb_pdf(),
        hostile::object_stream_bomb_pdf(),
        hostile::xref_stream_bomb_pdf(),
    ] {
        let started = Instant::now();
        let result = read_book(&pdf, CleanOptions::default());
        assert!(
            matches!(result, Err(PdfError::TooComplex { .. })),
            "{:?}",
            result.map(|(_, n)| n)
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    // Other tests run alongside, but none comes near a gigabyte.
    if let Some(peak) = peak_rss_bytes() {
        assert!(peak < 1 << 30, "peak resident memory {peak} bytes");
    }
}

#[test]
fn honest_files_that_look_unusual_pass() {
    let req = Requirements {
        max_pages: 1000,
        text_layer: true,
    };
    let packed = hostile::object_streams_book(30);
    assert!(packed.windows(6).any(|w| w == b"ObjStm"));
    let info = inspect(&packed, req).unwrap();
    let (_, pages) = read_book(&packed, CleanOptions::default()).unwrap();
    assert_eq!(info.page_count, pages);

    let restricted = hostile::owner_password_only_book();
    assert!(restricted.windows(8).any(|w| w == b"/Encrypt"));
    let info = inspect(&restricted, req).unwrap();
    let (book, pages) = read_book(&restricted, CleanOptions::default()).unwrap();
    assert_eq!(info.page_count, pages);
    assert!(book.text.contains("boutique"), "{}", &book.text[..200]);
}

#[test]
fn a_500_page_book_passes_every_check_in_reasonable_time() {
    use crate::testkit::novel::novel;
    use crate::testkit::pdf::{FixtureOptions, book_pdf};
    let fixture = book_pdf(&novel(500), &FixtureOptions::default());
    let req = Requirements {
        max_pages: 1000,
        text_layer: true,
    };
    let started = Instant::now();
    let mut doc = lopdf::Document::load_mem(&fixture.pdf).unwrap();
    let loaded = started.elapsed();
    let started = Instant::now();
    super::scan::prescan(&fixture.pdf).unwrap();
    let scanned = started.elapsed();
    let started = Instant::now();
    let pages = super::structure::check_page_tree(&mut doc).unwrap();
    let checked = started.elapsed();
    assert_eq!(pages.len() as u32, fixture.page_count);
    let started = Instant::now();
    let info = inspect(&fixture.pdf, req).unwrap();
    let inspected = started.elapsed();
    assert_eq!(info.page_count, fixture.page_count);
    assert_eq!(page_count(&fixture.pdf).unwrap(), fixture.page_count);
    eprintln!(
        "{} pages, {} KiB: lopdf load {loaded:?}, scan {scanned:?}, structure {checked:?}, \
         inspect {inspected:?}",
        fixture.page_count,
        fixture.pdf.len() / 1024
    );
    // The checks cost about as much as loading, not a multiple of reading the book.
    assert!(scanned + checked < loaded * 4 + Duration::from_secs(2));
}

/// An encrypted file where lopdf's reading finds another object than the cross-references
/// name (found by the fuzzer): the upload counts the pages the job will read.
#[test]
fn the_upload_and_the_job_count_the_same_pages_of_an_encrypted_file() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/hostile/encrypted-object-mismatch.pdf"
    );
    let bytes = std::fs::read(path).unwrap();
    let req = Requirements {
        max_pages: 1000,
        text_layer: true,
    };
    if let (Ok(info), Ok((_, pages))) = (
        inspect(&bytes, req),
        read_book(&bytes, CleanOptions::default()),
    ) {
        assert_eq!(info.page_count, pages);
    }
    assert_eq!(
        inspect(
            &bytes,
            Requirements {
                text_layer: false,
                ..req
            }
        )
        .map(|i| i.page_count),
        page_count(&bytes)
    );
}
