//! Exports of a finished book: the learner's sentences as CSV, XLSX, JSON or an Anki deck, and
//! to Google Sheets ([`sheets`]).
//!
//! The files are pure functions from an [`ExportDoc`] to bytes; the HTTP layer picks the
//! [`Format`], calls [`render`], and sends the bytes with [`Format::content_type`] and
//! [`content_disposition`].

pub mod sheets;

mod anki;
mod csv;
mod json;
mod names;
pub(crate) mod stored;
mod xlsx;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use names::{content_disposition, download_name, download_name_utf8};

/// A file format the sentences can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub enum Format {
    Csv,
    Xlsx,
    Json,
    /// Tab-separated text with Anki's import headers (one note per sentence).
    Anki,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Csv, Format::Xlsx, Format::Json, Format::Anki];

    /// The name used in `?format=` and in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Json => "json",
            Format::Anki => "anki",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            // RFC 8259 defines JSON as UTF-8 and gives the media type no charset parameter.
            Format::Json => "application/json",
            Format::Anki => "text/plain; charset=utf-8",
        }
    }

    /// What follows the book's name in the downloaded file's name.
    ///
    /// The Anki file gets a double extension: Anki's manual documents text imports as `.txt`,
    /// and `.anki.txt` keeps it apart from the CSV of the same book in a downloads folder.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Json => "json",
            Format::Anki => "anki.txt",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `format` that is none of [`Format::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnknownFormat {
    /// What was asked for, cut short: it comes straight from a query string.
    pub given: String,
}

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown export format {:?}; accepted: ", self.given)?;
        for (i, format) in Format::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(format.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Format::ALL
            .into_iter()
            .find(|format| format.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownFormat {
                given: wanted.chars().take(32).collect(),
            })
    }
}

impl TryFrom<String> for Format {
    type Error = UnknownFormat;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// One sentence as exported: the store's row without its keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSentence {
    /// 1-based order in the book.
    pub position: i32,
    /// The short rewritten sentence.
    pub normalized: String,
    /// The source sentence it came from, shared by the pieces of that sentence.
    pub original: std::sync::Arc<str>,
    /// 1-based index of that source sentence in the book: consecutive pieces with the same
    /// `source` were cut from one sentence.
    pub source: i32,
    /// 1-based page of the source sentence.
    pub page: i32,
    /// Whether the learner edited `normalized`.
    pub edited: bool,
    /// [`ExportChapter::index`] of the chapter the source sentence stands in.
    pub chapter: Option<i32>,
}

/// The longest original the one-row-per-piece formats (CSV, Anki, Sheets) repeat on every
/// piece's row. Real sentences stay under it (a 100-word sentence is about 600 characters);
/// past it a text with no full stop, cut into thousands of pieces, would make the file grow
/// with the square of its length.
pub const REPEATED_ORIGINAL_MAX_CHARS: usize = 600;
/// How much of a longer original the rows after its first show, around the piece.
const EXCERPT_CHARS: usize = 240;

/// A row of the one-row-per-piece formats: the piece, and its original as that row shows it.
pub struct Row<'a> {
    pub sentence: &'a ExportSentence,
    pub original: Cow<'a, str>,
}

/// Follows the pieces of one source sentence through its original, in order, to excerpt
/// the stretch where each stands.
#[derive(Default)]
struct Excerpts {
    source: Option<i32>,
    /// Byte offset in the original past the last piece found.
    cursor: usize,
}

impl Excerpts {
    /// The original whole on its source's first row and whenever it is short; otherwise the
    /// stretch of it where the piece's words stand, marked as an excerpt.
    fn original<'a>(&mut self, s: &'a ExportSentence) -> Cow<'a, str> {
        let original = &*s.original;
        if self.source != Some(s.source) {
            *self = Self {
                source: Some(s.source),
                cursor: 0,
            };
            return Cow::Borrowed(original);
        }
        if original.chars().count() <= REPEATED_ORIGINAL_MAX_CHARS {
            return Cow::Borrowed(original);
        }
        // The piece's longest word, found after the previous piece's: pieces come in order,
        // and a long word rarely stands inside another.
        let cursor = self.cursor.min(original.len());
        let longest = crate::engine::local::words::words(&s.normalized)
            .into_iter()
            .max_by_key(|w| w.len());
        let anchor = longest.and_then(|w| {
            original
                .get(cursor..)?
                .find(w)
                .map(|at| (cursor + at, w.len()))
        });
        let at = match anchor {
            Some((at, len)) => {
                self.cursor = at + len;
                at
            }
            None => cursor,
        };
        let lead = original[..at]
            .char_indices()
            .rev()
            .nth(EXCERPT_CHARS / 4)
            .map_or(0, |(i, _)| i);
        let excerpt: String = original[lead..].chars().take(EXCERPT_CHARS).collect();
        let more_after = lead + excerpt.len() < original.len();
        Cow::Owned(format!(
            "{}{}{}",
            if lead > 0 { "[…] " } else { "" },
            excerpt.trim(),
            if more_after { " […]" } else { "" }
        ))
    }
}

/// The columns of the tabular exports (CSV, XLSX, Google Sheets), in order. The chapter
/// columns come last, so that readers of the first five keep working.
pub const COLUMNS: [&str; 7] = [
    "position",
    "page",
    "normalized",
    "original",
    "edited",
    "chapter",
    "chapter_title",
];

/// A chapter of the book, as its heading is printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportChapter {
    /// 1-based, in book order.
    pub index: i32,
    /// The heading as printed ("Chapitre II — Le départ").
    pub title: String,
    /// 1-based page the heading stands on.
    pub first_page: i32,
}

/// Everything an export shows: the book's sentences and what they were made with.
#[derive(Debug, Clone, Copy)]
pub struct ExportDoc<'a> {
    /// The uploaded file's name, e.g. `Le Petit Prince.pdf`.
    pub file_name: &'a str,
    /// The engine that rewrote the book.
    pub engine: &'a str,
    /// When the book was processed, in Unix milliseconds.
    pub created_at_ms: i64,
    /// When the export was made, in Unix milliseconds. Passed in rather than read from the
    /// clock so that rendering stays a pure function (and tests get stable bytes).
    pub exported_at_ms: Option<i64>,
    /// The longest sentence asked for, in words, when the job's settings are known.
    pub sentence_length_limit: Option<u32>,
    pub sentences: &'a [ExportSentence],
    /// The book's chapters, in order; empty for a book without headings.
    pub chapters: &'a [ExportChapter],
}

impl ExportDoc<'_> {
    /// The book's title as far as we know it: its file name without the `.pdf`.
    pub fn title(&self) -> &str {
        names::strip_pdf(names::base_name(self.file_name))
    }

    /// A row's cells under [`COLUMNS`], as text and exact: each format keeps formulas from
    /// running its own way.
    pub fn cells(&self, row: Row<'_>) -> [String; 7] {
        let s = row.sentence;
        let chapter = self.chapter_of(s);
        [
            s.position.to_string(),
            s.page.to_string(),
            s.normalized.clone(),
            row.original.into_owned(),
            s.edited.to_string(),
            chapter.map(|c| c.index.to_string()).unwrap_or_default(),
            chapter.map(|c| c.title.clone()).unwrap_or_default(),
        ]
    }

    /// The sentences as rows of the one-row-per-piece formats, in order.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        let mut excerpts = Excerpts::default();
        self.sentences.iter().map(move |sentence| Row {
            original: excerpts.original(sentence),
            sentence,
        })
    }

    /// The sentences cut into runs of pieces of one source sentence: index ranges into
    /// `sentences`, in order.
    pub fn groups(&self) -> Vec<std::ops::Range<usize>> {
        let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
        for (i, s) in self.sentences.iter().enumerate() {
            match groups.last_mut() {
                Some(last) if self.sentences[last.start].source == s.source => last.end = i + 1,
                _ => groups.push(i..i + 1),
            }
        }
        groups
    }

    /// The chapter a sentence stands in.
    pub fn chapter_of(&self, sentence: &ExportSentence) -> Option<&ExportChapter> {
        let index = sentence.chapter?;
        // Chapters are stored 1..=n in order; a search copes with any gap.
        match self
            .chapters
            .get(usize::try_from(index).ok()?.checked_sub(1)?)
        {
            Some(c) if c.index == index => Some(c),
            _ => self.chapters.iter().find(|c| c.index == index),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing CSV: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("writing JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("writing XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("{sentences} sentences do not fit in a spreadsheet (at most {max} rows)")]
    TooManyRows { sentences: usize, max: usize },
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}

/// The export file's bytes.
pub fn render(format: Format, doc: &ExportDoc<'_>) -> Result<Vec<u8>, ExportError> {
    match format {
        Format::Csv => csv::render(doc),
        Format::Xlsx => xlsx::render(doc),
        Format::Json => json::render(doc),
        Format::Anki => anki::render(doc),
    }
}

/// Characters that make a spreadsheet read a cell as a formula when they start it (OWASP's
/// "CSV injection" list). Tab and carriage return are there because some spreadsheets skip
/// them and then see the formula behind.
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a spreadsheet could take this cell for a formula.
pub fn is_formula_like(cell: &str) -> bool {
    cell.starts_with(FORMULA_TRIGGERS)
}

/// The cell as text a spreadsheet will not evaluate: a leading `'`, which Excel and
/// LibreOffice read as "this is text", before anything [`is_formula_like`].
///
/// Used for the text formats (CSV, Anki) where there is no other way to say "text"; the
/// XLSX export keeps the text exact and marks the cell instead.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    if is_formula_like(cell) {
        let mut safe = String::with_capacity(cell.len() + 1);
        safe.push('\'');
        safe.push_str(cell);
        Cow::Owned(safe)
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
pub(crate) mod testdata {
    use super::{ExportChapter, ExportDoc, ExportSentence};

    pub fn sentence(position: i32, normalized: &str, original: &str, page: i32) -> ExportSentence {
        ExportSentence {
            position,
            normalized: normalized.to_owned(),
            original: original.into(),
            source: position,
            page,
            edited: false,
            chapter: None,
        }
    }

    /// Two chapters; the tricky sentences 1–2 stand before the first heading, 3–4 in the
    /// first chapter and 5–6 in the second.
    pub fn chapters() -> Vec<ExportChapter> {
        vec![
            ExportChapter {
                index: 1,
                title: "Chapitre premier — Le départ".into(),
                first_page: 2,
            },
            ExportChapter {
                index: 2,
                title: "II. « Où vont-ils ? »".into(),
                first_page: 12,
            },
        ]
    }

    /// [`tricky`] with the chapters of [`chapters`].
    pub fn tricky_in_chapters() -> Vec<ExportSentence> {
        tricky()
            .into_iter()
            .map(|s| ExportSentence {
                chapter: match s.position {
                    1 | 2 => None,
                    3 | 4 => Some(1),
                    _ => Some(2),
                },
                ..s
            })
            .collect()
    }

    /// The awkward cases every exporter must survive.
    pub fn tricky() -> Vec<ExportSentence> {
        vec![
            sentence(
                1,
                "Il était une fois.",
                "Il était une fois, dans un pays lointain.",
                1,
            ),
            sentence(
                2,
                "-Bonjour, dit-il.",
                "- Bonjour, dit-il en ôtant son chapeau.",
                1,
            ),
            ExportSentence {
                edited: true,
                ..sentence(
                    3,
                    "Elle dit \"non\", puis partit.",
                    "Elle répondit « non »;\npuis elle partit.",
                    2,
                )
            },
            sentence(4, "=HYPERLINK(\"http://x\")", "+33 1 23 45 67 89", 12),
            sentence(5, "@moi\tet <toi> & lui", "#hashtag\r\nsuite", 12),
            sentence(6, "Cœur, façon, œuvre, Noël.", "Ça va ? Où ça ?", 13),
        ]
    }

    pub fn doc(sentences: &[ExportSentence]) -> ExportDoc<'_> {
        ExportDoc {
            file_name: "Le Petit Prince – Édition 1943.pdf",
            engine: "gemini",
            created_at_ms: 1_700_000_000_000,
            exported_at_ms: Some(1_700_000_360_000),
            sentence_length_limit: Some(8),
            sentences,
            chapters: &[],
        }
    }

    /// A long book: enough rows that any per-row quadratic cost would show.
    pub fn many(count: i32) -> Vec<ExportSentence> {
        (1..=count)
            .map(|i| {
                sentence(
                    i,
                    &format!("Phrase courte numéro {i}."),
                    &format!(
                        "La phrase originale numéro {i}, un peu plus longue, page {}.",
                        i / 30 + 1
                    ),
                    i / 30 + 1,
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_parses_case_insensitively() {
        assert_eq!("CSV".parse::<Format>(), Ok(Format::Csv));
        assert_eq!("Xlsx".parse::<Format>(), Ok(Format::Xlsx));
        assert_eq!(" json ".parse::<Format>(), Ok(Format::Json));
        assert_eq!("anki".parse::<Format>(), Ok(Format::Anki));
        for format in Format::ALL {
            assert_eq!(format.as_str().parse::<Format>(), Ok(format));
            assert_eq!(format.to_string(), format.as_str());
        }
    }

    #[test]
    fn unknown_format_lists_the_accepted_ones() {
        let err = "pdf".parse::<Format>().unwrap_err();
        assert_eq!(err.given, "pdf");
        assert_eq!(
            err.to_string(),
            "unknown export format \"pdf\"; accepted: csv, xlsx, json, anki"
        );
        let long = "x".repeat(10_000);
        assert_eq!(long.parse::<Format>().unwrap_err().given.len(), 32);
    }

    #[test]
    fn format_deserializes_from_a_query_value() {
        #[derive(Deserialize)]
        struct Query {
            format: Format,
        }
        let q: Query = serde_json::from_str(r#"{"format":"XLSX"}"#).unwrap();
        assert_eq!(q.format, Format::Xlsx);
        let err = serde_json::from_str::<Query>(r#"{"format":"ods"}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("accepted: csv, xlsx, json, anki"), "{err}");
    }

    #[test]
    fn content_types_and_extensions() {
        assert_eq!(Format::Csv.content_type(), "text/csv; charset=utf-8");
        assert_eq!(
            Format::Xlsx.content_type(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(Format::Json.content_type(), "application/json");
        assert_eq!(Format::Anki.content_type(), "text/plain; charset=utf-8");
        let exts: Vec<_> = Format::ALL.iter().map(|f| f.extension()).collect();
        assert_eq!(exts, ["csv", "xlsx", "json", "anki.txt"]);
    }

    #[test]
    fn neutralize_prefixes_formula_starts_only() {
        for bad in ["=1+1", "+33", "-Bonjour", "@SUM(A1)", "\t=1", "\r=1"] {
            let safe = neutralize(bad);
            assert!(matches!(safe, Cow::Owned(_)), "{bad:?}");
            assert_eq!(safe, format!("'{bad}"));
        }
        for fine in ["Bonjour", "", " =1", "1-1", "« Non »", "'déjà"] {
            assert!(matches!(neutralize(fine), Cow::Borrowed(_)), "{fine:?}");
        }
    }

    #[test]
    fn title_is_the_file_name_without_pdf() {
        let sentences = [];
        let mut doc = testdata::doc(&sentences);
        assert_eq!(doc.title(), "Le Petit Prince – Édition 1943");
        doc.file_name = "C:\\Users\\moi\\Livres\\Candide.PDF";
        assert_eq!(doc.title(), "Candide");
    }
}
