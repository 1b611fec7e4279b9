//! Writes the seed corpus of the `pdf_ingest` fuzz target (see fuzz/README.md): small real
//! books in the shapes the testkit can write, and the hostile files small enough to be
//! worth mutating. The fuzzer starts from these instead of from nothing, so it spends its
//! time inside the parser rather than rediscovering `%PDF-`.
//!
//! cargo run --example fuzz_seeds -- [dir]   (default: fuzz/corpus/pdf_ingest)

use std::path::PathBuf;

use fnt_testkit::hostile;
use fnt_testkit::novel;
use fnt_testkit::pdf::{FixtureOptions, FontKind, book_pdf, image_only_pdf};

/// libFuzzer runs with `-max_len=65536`: a longer seed would only be cut short.
const MAX_SEED_BYTES: usize = 64 * 1024;

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus/pdf_ingest".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let small = novel::novel(2);
    let mut seeds: Vec<(String, Vec<u8>)> = vec![
        (
            "book".into(),
            book_pdf(&small, &FixtureOptions::default()).pdf,
        ),
        (
            "book-no-tounicode".into(),
            book_pdf(
                &small,
                &FixtureOptions {
                    font: FontKind::NoToUnicode,
                    ..FixtureOptions::default()
                },
            )
            .pdf,
        ),
        (
            "book-object-streams".into(),
            hostile::object_streams_book(2),
        ),
        (
            "book-owner-password".into(),
            hostile::owner_password_only_book(),
        ),
        ("image-only".into(), image_only_pdf(2)),
        // Smaller versions of the hostile files that are too big as they are in `all`.
        (
            "hostile-deep-nesting-small".into(),
            hostile::deep_nesting_pdf(200),
        ),
        (
            "hostile-deep-page-tree-small".into(),
            hostile::deep_page_tree_pdf(80),
        ),
        (
            "comment-without-eol".into(),
            hostile::comment_without_eol_pdf(),
        ),
    ];
    seeds.extend(
        hostile::all()
            .into_iter()
            .map(|h| (format!("hostile-{}", h.name.replace('_', "-")), h.pdf)),
    );
    for (name, pdf) in seeds {
        if pdf.len() > MAX_SEED_BYTES {
            eprintln!("skipped {name}: {} bytes", pdf.len());
            continue;
        }
        let path = dir.join(format!("{name}.pdf"));
        std::fs::write(&path, &pdf)?;
        eprintln!("wrote {} ({} bytes)", path.display(), pdf.len());
    }
    Ok(())
}
