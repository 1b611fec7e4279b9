//! PDF input: the upload's cheap checks ([`precheck`]), then, in the sandboxed child
//! ([`crate::sandbox`]), the whole file's checks, per-page text extraction, clean-up and the
//! chunk plan.

pub mod clean;
mod cmap;
mod content;
mod decode;
pub mod extract;
mod fonts;
// Public for fnt-testkit's PDF writer, which must encode text the way this reader decodes it.
pub mod glyphs;
mod interpret;
mod lex;
pub(crate) mod limits;
pub mod pages;
pub mod plan;
mod precheck;
#[cfg(test)]
mod quality;
mod std14;
mod tree;
mod xref;

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};

use lopdf::Document;

use clean::{Book, CleanOptions};
pub use precheck::{Precheck, precheck};

/// Why a PDF cannot be used. The messages are written for the reader who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PdfError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not a PDF")]
    NotPdf,
    #[error("the PDF is password-protected; remove the protection and upload it again")]
    Encrypted,
    /// `detail` is for the logs, not for the reader.
    #[error("the PDF is damaged or truncated and cannot be read")]
    Malformed { detail: String },
    #[error("the PDF has no pages")]
    NoPages,
    #[error("the PDF has {pages} pages; this server accepts at most {max}")]
    TooManyPages { pages: u32, max: u32 },
    #[error(
        "the PDF has no text layer (a scanned book?): the local engine can only read PDFs with \
         selectable text"
    )]
    NoTextLayer,
    /// Reading it would take more memory or time than any book needs: a decompression bomb,
    /// absurd nesting, a page tree or forms that multiply the work. `detail` is for the logs.
    #[error("the PDF is built in a way that would take too much memory or time to read")]
    TooComplex { detail: String },
}

impl PdfError {
    /// Stable machine-readable code for the API.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty_file",
            Self::NotPdf => "not_a_pdf",
            Self::Encrypted => "encrypted_pdf",
            Self::Malformed { .. } => "malformed_pdf",
            Self::NoPages => "no_pages",
            Self::TooManyPages { .. } => "too_many_pages",
            Self::NoTextLayer => "no_text_layer",
            Self::TooComplex { .. } => "pdf_too_complex",
        }
    }
}

/// What an upload is checked for before a job is created.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Requirements {
    pub max_pages: u32,
    /// The engine reads text, so the PDF must have a text layer.
    pub text_layer: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PdfInfo {
    pub page_count: u32,
}

// Enough spread-out pages to tell a real text layer from a scan with a stray caption.
const TEXT_SAMPLE_PAGES: usize = 12;
const MIN_SAMPLE_LETTERS: usize = 40;

/// The expensive checks on an upload: the whole file parsed, its page tree checked and
/// counted, pages spread over the book read until they show a text layer. Runs in the
/// sandboxed child ([`crate::sandbox`]): what it costs on a hostile file is bounded there.
pub fn inspect(bytes: &[u8], req: Requirements) -> Result<PdfInfo, PdfError> {
    let doc = load(bytes)?;
    let pages = guarded(|| doc.get_pages())?;
    let page_count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    if page_count == 0 {
        return Err(PdfError::NoPages);
    }
    if page_count > req.max_pages {
        return Err(PdfError::TooManyPages {
            pages: page_count,
            max: req.max_pages,
        });
    }
    // The sample is read whether or not a text layer is needed: a page built to hurt its
    // reader is then refused before the job starts, in either input mode.
    let step = pages.len().div_ceil(TEXT_SAMPLE_PAGES).max(1);
    let mut letters = 0;
    let mut readable = 0;
    for &number in pages.keys().step_by(step) {
        // A page lopdf or pdf-extract trips on is one unreadable page of the sample, not the
        // end of it; a page refused outright refuses the book.
        let page = match guarded(|| extract::extract_page(&doc, number)) {
            Ok(Ok(page)) => page,
            Ok(Err(extract::ExtractError::Refused(e))) => return Err(e),
            Ok(Err(_)) | Err(_) => continue,
        };
        readable += 1;
        letters += page
            .lines
            .iter()
            .flat_map(|l| l.text.chars())
            .filter(|c| c.is_alphabetic())
            .count();
        if letters >= MIN_SAMPLE_LETTERS {
            break;
        }
    }
    if !req.text_layer {
        return Ok(PdfInfo { page_count });
    }
    if readable == 0 {
        return Err(PdfError::Malformed {
            detail: "no sampled page could be read".into(),
        });
    }
    if letters < MIN_SAMPLE_LETTERS {
        return Err(PdfError::NoTextLayer);
    }
    Ok(PdfInfo { page_count })
}

/// The number of pages, for a PDF already accepted by [`inspect`].
pub fn page_count(bytes: &[u8]) -> Result<u32, PdfError> {
    let doc = load(bytes)?;
    match u32::try_from(doc.get_pages().len()).unwrap_or(u32::MAX) {
        0 => Err(PdfError::NoPages),
        n => Ok(n),
    }
}

/// Extracts and cleans the whole book.
pub fn read_book(bytes: &[u8], options: CleanOptions) -> Result<(Book, u32), PdfError> {
    let pages = read_lines(bytes)?;
    let count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    if count == 0 {
        return Err(PdfError::NoPages);
    }
    Ok((clean::clean_book(&pages, options), count))
}

/// Every page's lines as drawn, before any clean-up: for looking at what a producer wrote.
pub fn read_lines(bytes: &[u8]) -> Result<Vec<extract::RawPage>, PdfError> {
    let doc = load(bytes)?;
    Ok(guarded(|| extract::extract_pages(&doc))??)
}

/// Parses a PDF whole. lopdf has no limits of its own: on an upload, this runs in the
/// sandboxed child, whose operating-system limits bound it.
pub(crate) fn load(bytes: &[u8]) -> Result<Document, PdfError> {
    check_header(bytes)?;
    precheck::check_every_object(bytes)?;
    let doc = match guarded(|| Document::load_mem(bytes))? {
        Ok(doc) => doc,
        Err(lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword) => {
            return Err(PdfError::Encrypted);
        }
        Err(e) => {
            return Err(PdfError::Malformed {
                detail: e.to_string(),
            });
        }
    };
    // lopdf decrypts documents protected by an empty user password by itself and then drops
    // /Encrypt from the trailer; one that is still there needs a password we don't have.
    if doc.trailer.get(b"Encrypt").is_ok() {
        return Err(PdfError::Encrypted);
    }
    tree::check_page_tree(&doc)?;
    tree::check_object_streams(&doc)?;
    Ok(doc)
}

pub(crate) fn check_header(bytes: &[u8]) -> Result<(), PdfError> {
    if bytes.is_empty() {
        return Err(PdfError::Empty);
    }
    // The header may be preceded by junk, which readers tolerate within the first kilobyte.
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(PdfError::NotPdf);
    }
    Ok(())
}

/// pdf-extract (and, on hostile input, lopdf) can panic; a panic there is a malformed PDF,
/// not a crashed worker.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, PdfError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| PdfError::Malformed {
        detail: crate::util::panic_message(&*panic),
    })
}
