//! `fnt-sample-pdf`: writes a sample French novel as a PDF, to try the service with.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

/// Write a sample French novel as a PDF, to try the service with.
#[derive(Parser)]
#[command(name = "fnt-sample-pdf", version)]
struct Args {
    /// Where to write the PDF.
    #[arg(default_value = "book.pdf")]
    output: PathBuf,
    /// Roughly how many pages it should have.
    #[arg(long, default_value_t = 40)]
    pages: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let chapters = fnt_testkit::novel::novel(args.pages);
    let fixture = fnt_testkit::pdf::book_pdf(&chapters, &Default::default());
    std::fs::write(&args.output, &fixture.pdf)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!(
        "wrote {} ({} pages)",
        args.output.display(),
        fixture.page_count
    );
    Ok(())
}
