//! The local path's text work, in pages per second: extraction + clean-up
//! (`pdf::read_book`) + sentence segmentation, in-process on one core, next to poppler's
//! `pdftotext` on the same PDF in the same run (apt-get install poppler-utils).
//!
//! cargo bench --bench extract -- [pages] [rounds]
//! (defaults: 300 pages, 5 rounds; the best round of each is reported)

use std::process::Command;
use std::time::{Duration, Instant};

use fnt::engine::local::segment::{SegmentOptions, segment};
use fnt::pdf::clean::CleanOptions;
use fnt::testkit::novel;
use fnt::testkit::pdf::{FixtureOptions, book_pdf};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let pages: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(300);
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(5);
    let fixture = book_pdf(&novel::novel(pages), &FixtureOptions::default());
    let dir = tempfile::tempdir()?;
    let pdf_path = dir.path().join("book.pdf");
    std::fs::write(&pdf_path, &fixture.pdf)?;
    println!(
        "pdf: {} pages, {:.2} MB, best of {rounds} rounds",
        fixture.page_count,
        fixture.pdf.len() as f64 / 1e6
    );

    // What an upload request does to the PDF before its 202.
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        fnt::pdf::inspect(
            &fixture.pdf,
            fnt::pdf::Requirements {
                max_pages: 1000,
                text_layer: true,
            },
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        best = best.min(start.elapsed());
    }
    let mut load_best = Duration::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        fnt::pdf::page_count(&fixture.pdf).map_err(|e| anyhow::anyhow!("{e}"))?;
        load_best = load_best.min(start.elapsed());
    }
    println!(
        "fnt: upload check (pdf::inspect): {:.2} ms, of which loading the document {:.2} ms",
        best.as_secs_f64() * 1000.0,
        load_best.as_secs_f64() * 1000.0
    );

    let mut best = Duration::MAX;
    let mut sentences = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        let (book, _) = fnt::pdf::read_book(&fixture.pdf, CleanOptions::default())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        sentences = segment(
            &book.text,
            SegmentOptions {
                keep_dialogue_whole: false,
            },
        )
        .len();
        best = best.min(start.elapsed());
    }
    report("fnt: extract + clean + segment", fixture.page_count, best);
    let (book, _) = fnt::pdf::read_book(&fixture.pdf, CleanOptions::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut segment_best = Duration::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        segment(
            &book.text,
            SegmentOptions {
                keep_dialogue_whole: false,
            },
        );
        segment_best = segment_best.min(start.elapsed());
    }
    println!(
        "  of which segmentation: {:.1} ms",
        segment_best.as_secs_f64() * 1000.0
    );
    println!("  ({sentences} sentences)");

    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        let status = Command::new("pdftotext")
            .arg(&pdf_path)
            .arg(dir.path().join("book.txt"))
            .status();
        match status {
            Ok(s) if s.success() => best = best.min(start.elapsed()),
            Ok(s) => anyhow::bail!("pdftotext failed: {s}"),
            Err(e) => {
                println!("pdftotext: not run ({e}; apt-get install poppler-utils)");
                return Ok(());
            }
        }
    }
    report(
        "pdftotext (poppler), extraction only",
        fixture.page_count,
        best,
    );
    Ok(())
}

fn report(what: &str, pages: u32, took: Duration) {
    println!(
        "{what}: {:.3} s, {:.0} pages/s",
        took.as_secs_f64(),
        f64::from(pages) / took.as_secs_f64()
    );
}
