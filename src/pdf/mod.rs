//! PDF input: validation, per-page text extraction, clean-up and the chunk plan.

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
mod lex;
pub mod limits;
pub mod pages;
pub mod plan;
mod scan;
mod std14;
mod structure;

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

/// Checks an upload cheaply enough to answer the request: it parses the document and reads the
/// text of a sample of pages, not the whole book.
pub fn inspect(bytes: &[u8], req: Requirements) -> Result<PdfInfo, PdfError> {
    let doc = load(bytes)?;
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
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
    if req.text_layer {
        let step = pages.len().div_ceil(TEXT_SAMPLE_PAGES).max(1);
        let mut letters = 0;
        let mut readable = 0;
        let mut sample = extract::extract_some_pages(&doc, pages.iter().copied().step_by(step));
        // A page that panics pdf-extract is one unreadable page of the sample, not the end of it.
        loop {
            let page = match guarded(|| sample.next()) {
                Ok(None) => break,
                Ok(Some(page)) => page,
                Err(_) => continue,
            };
            if let Ok(raw) = page {
                readable += 1;
                letters += raw
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
        if readable == 0 {
            return Err(PdfError::Malformed {
                detail: "no sampled page could be read".into(),
            });
        }
        if letters < MIN_SAMPLE_LETTERS {
            return Err(PdfError::NoTextLayer);
        }
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
    guarded(|| extract::extract_pages(&doc))?.map_err(|e| PdfError::Malformed {
        detail: e.to_string(),
    })
}

/// Parses an upload, refusing what would make lopdf or pdf-extract use unbounded memory,
/// time or stack (see [`limits`]). Every path that reads an uploaded PDF starts here.
pub(crate) fn load(bytes: &[u8]) -> Result<Document, PdfError> {
    if bytes.is_empty() {
        return Err(PdfError::Empty);
    }
    // The header may be preceded by junk, which readers tolerate within the first kilobyte.
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(PdfError::NotPdf);
    }
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
    guarded(|| structure::check(&mut doc))??;
    Ok(doc)
}

/// pdf-extract (and, on hostile input, lopdf) can panic; a panic there is a malformed PDF,
/// not a crashed worker.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, PdfError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| PdfError::Malformed {
        detail: crate::util::panic_message(&*panic),
    })
}
