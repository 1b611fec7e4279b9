//! PDF input: validation, per-page text extraction, clean-up and the chunk plan.

mod budget;
pub mod clean;
mod cmap;
mod content;
mod decode;
pub mod extract;
mod fonts;
pub(crate) mod glyphs;
#[cfg(test)]
mod hostile_tests;
mod interpret;
mod lazy;
mod lex;
pub mod limits;
pub mod pages;
pub mod plan;
mod scan;
mod std14;
mod structure;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::Document;

use clean::{Book, CleanOptions};

/// Why a PDF cannot be used. The messages are written for the reader who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
#[derive(Debug, Clone, Copy)]
pub struct Requirements {
    pub max_pages: u32,
    /// The engine reads text, so the PDF must have a text layer.
    pub text_layer: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfInfo {
    pub page_count: u32,
}

// Enough spread-out pages to tell a real text layer from a scan with a stray caption.
const TEXT_SAMPLE_PAGES: usize = 12;
const MIN_SAMPLE_LETTERS: usize = 40;

/// Checks an upload cheaply enough to answer the request: it reads the page tree and the
/// text of a sample of pages, not the whole book (see [`lazy`]). The sample is read whether
/// or not a text layer is required, so that a page built to hurt its reader is most often
/// refused here; what the sample misses is refused when the job reads the whole book.
pub fn inspect(bytes: &[u8], req: Requirements) -> Result<PdfInfo, PdfError> {
    check_header(bytes)?;
    if let Some(mut partial) = guarded(|| lazy::Partial::open(bytes))?? {
        guarded(|| structure::check_page_tree(&mut partial.doc))??;
        let pages = guarded(|| partial.doc.get_pages())?;
        let outcome = check_sample(&pages, req, |number, id| {
            guarded(|| partial.read_page(id))??;
            if partial.damaged() {
                return Err(Sampling::Damaged);
            }
            Ok(read_sampled(&partial.doc, number)?)
        });
        match outcome {
            Err(Sampling::Damaged) => {}
            Err(Sampling::Refused(e)) => return Err(e),
            Ok(info) => return Ok(info),
        }
    }
    let doc = load(bytes)?;
    let pages = doc.get_pages();
    check_sample(&pages, req, |number, _| Ok(read_sampled(&doc, number)?)).map_err(|e| match e {
        Sampling::Refused(e) => e,
        Sampling::Damaged => PdfError::Malformed {
            detail: "a whole document cannot be damaged".into(),
        },
    })
}

/// Why the sample was not read to its end.
enum Sampling {
    Refused(PdfError),
    /// The partial view found the file's cross-references wrong: it is read whole instead.
    Damaged,
}

impl From<PdfError> for Sampling {
    fn from(e: PdfError) -> Self {
        Self::Refused(e)
    }
}

/// One sampled page: `None` when it cannot be read (a page lopdf or pdf-extract trips on is
/// one unreadable page of the sample, not the end of it), an error when it is refused.
fn read_sampled(doc: &lopdf::Document, number: u32) -> Result<Option<extract::RawPage>, PdfError> {
    match guarded(|| extract::extract_page(doc, number)) {
        Ok(Ok(page)) => Ok(Some(page)),
        Ok(Err(extract::ExtractError::Refused(e))) => Err(e),
        Ok(Err(_)) | Err(_) => Ok(None),
    }
}

/// The page count against the limit, then pages spread over the book read until enough
/// letters show that it has a text layer.
fn check_sample(
    pages: &BTreeMap<u32, lopdf::ObjectId>,
    req: Requirements,
    mut read: impl FnMut(u32, lopdf::ObjectId) -> Result<Option<extract::RawPage>, Sampling>,
) -> Result<PdfInfo, Sampling> {
    let page_count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    if page_count == 0 {
        return Err(PdfError::NoPages.into());
    }
    if page_count > req.max_pages {
        return Err(PdfError::TooManyPages {
            pages: page_count,
            max: req.max_pages,
        }
        .into());
    }
    let step = pages.len().div_ceil(TEXT_SAMPLE_PAGES).max(1);
    let mut letters = 0;
    let mut readable = 0;
    for (&number, &id) in pages.iter().step_by(step) {
        if let Some(page) = read(number, id)? {
            readable += 1;
            letters += page
                .lines
                .iter()
                .flat_map(|l| l.text.chars())
                .filter(|c| c.is_alphabetic())
                .count();
        }
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
        }
        .into());
    }
    if letters < MIN_SAMPLE_LETTERS {
        return Err(PdfError::NoTextLayer.into());
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

/// Parses an upload, refusing what would make lopdf or pdf-extract use unbounded memory,
/// time or stack (see [`limits`]). Every path that reads an uploaded PDF starts here.
pub(crate) fn load(bytes: &[u8]) -> Result<Document, PdfError> {
    check_header(bytes)?;
    // lopdf loads without limits, so what it would do is measured first.
    guarded(|| scan::prescan(bytes))??;
    let mut doc = match guarded(|| Document::load_mem(bytes))? {
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
    guarded(|| structure::check_page_tree(&mut doc))??;
    Ok(doc)
}

fn check_header(bytes: &[u8]) -> Result<(), PdfError> {
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
