//! XLSX: one "Sentences" sheet with a styled, frozen, filterable header row. A source sentence
//! cut into several pieces shows its original once, on its first piece's row.
//!
//! Cells are written with `write_string` and never as formulas, so nothing in a book can
//! run. Cells that would look like a formula if typed (`=`, `+`, `-`, `@`, tab, CR first)
//! additionally get a format with Excel's quote prefix, which is how Excel itself marks
//! "text, not formula": it keeps such a cell text when the learner edits it, or copies and
//! re-exports it to CSV. Unlike the `'` of the text formats, this leaves the text exact,
//! which matters here because French dialogue lines so often start with "-".

use rust_xlsxwriter::{
    Color, DocProperties, Format as CellFormat, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

use super::{ExportChapter, ExportDoc, ExportError, ExportSentence, is_formula_like};

pub(super) const SHEET_NAME: &str = "Sentences";

/// Column titles, the same as the CSV header.
const HEADER: [&str; 7] = super::COLUMNS;

/// Widths in Excel's character units: the numbers and the flag narrow, the two sentence
/// columns wide enough for a short sentence on one line and a long one wrapped on a few.
const WIDTHS: [f64; 7] = [10.0, 7.0, 60.0, 80.0, 9.0, 9.0, 40.0];

const LAST_COL: u16 = HEADER.len() as u16 - 1;

/// Excel's limit on the rows of a sheet, header included.
pub(super) const MAX_ROWS: usize = 1_048_576;

/// Excel's limit on a cell's text, in UTF-16 code units.
const MAX_CELL_UTF16: usize = 32_767;

struct Styles {
    header: CellFormat,
    number: CellFormat,
    text: CellFormat,
    /// `text`, marked as text for Excel: see the module comment.
    text_quoted: CellFormat,
}

impl Styles {
    fn new() -> Self {
        // Wrapped sentences make tall rows; top alignment keeps each row readable from its
        // first line, the number beside it included.
        let cell = CellFormat::new().set_align(FormatAlign::Top);
        let text = cell.clone().set_text_wrap();
        Styles {
            header: CellFormat::new()
                .set_bold()
                .set_background_color(Color::RGB(0xDD_EB_F7))
                .set_border_bottom(FormatBorder::Medium)
                .set_align(FormatAlign::VerticalCenter),
            number: cell,
            text_quoted: text.clone().set_quote_prefix(),
            text,
        }
    }
}

pub(super) fn render(doc: &ExportDoc<'_>) -> Result<Vec<u8>, ExportError> {
    let rows_of = |s| (s, doc.chapter_of(s));
    let rows = doc.sentences.len() + 1;
    if rows > MAX_ROWS {
        return Err(ExportError::TooManyRows {
            sentences: doc.sentences.len(),
            max: MAX_ROWS - 1,
        });
    }

    let mut workbook = Workbook::new();
    workbook.set_properties(&properties(doc));
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET_NAME)?;
    let styles = Styles::new();

    for (col, (title, width)) in (0u16..).zip(HEADER.iter().zip(WIDTHS)) {
        sheet.write_string_with_format(0, col, *title, &styles.header)?;
        sheet.set_column_width(col, width)?;
    }
    let mut row = 1u32;
    for group in doc.groups() {
        // The original once, on its first piece's row: the rows below it are its pieces.
        for (i, (sentence, chapter)) in doc.sentences[group].iter().map(rows_of).enumerate() {
            write_row(sheet, row, sentence, chapter, i == 0, &styles)?;
            row += 1;
        }
    }

    let last_row = u32::try_from(rows - 1).map_err(|_| ExportError::TooManyRows {
        sentences: doc.sentences.len(),
        max: MAX_ROWS - 1,
    })?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row, LAST_COL)?;
    // Printed, every page starts with the column titles.
    sheet.set_repeat_rows(0, 0)?;

    Ok(workbook.save_to_buffer()?)
}

fn write_row(
    sheet: &mut Worksheet,
    row: u32,
    s: &ExportSentence,
    chapter: Option<&ExportChapter>,
    with_original: bool,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.write_number_with_format(row, 0, s.position, &styles.number)?;
    sheet.write_number_with_format(row, 1, s.page, &styles.number)?;
    write_text(sheet, row, 2, &s.normalized, styles)?;
    if with_original {
        write_text(sheet, row, 3, &s.original, styles)?;
    }
    sheet.write_boolean_with_format(row, 4, s.edited, &styles.number)?;
    if let Some(chapter) = chapter {
        sheet.write_number_with_format(row, 5, chapter.index, &styles.number)?;
        write_text(sheet, row, 6, &chapter.title, styles)?;
    }
    Ok(())
}

fn write_text(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let format = if is_formula_like(text) {
        &styles.text_quoted
    } else {
        &styles.text
    };
    sheet.write_string_with_format(row, col, fit_cell(text), format)?;
    Ok(())
}

/// The text cut to what a cell holds. Only a PDF whose text never ends a sentence makes an
/// "original" this long; losing its tail beats failing the learner's whole export.
fn fit_cell(text: &str) -> &str {
    let mut units = 0;
    for (at, ch) in text.char_indices() {
        units += ch.len_utf16();
        if units > MAX_CELL_UTF16 {
            return &text[..at];
        }
    }
    text
}

fn properties(doc: &ExportDoc<'_>) -> DocProperties {
    let mut comment = format!("Sentences rewritten by {}", doc.engine);
    if let Some(limit) = doc.sentence_length_limit {
        comment.push_str(&format!(", at most {limit} words each"));
    }
    comment.push('.');
    DocProperties::new()
        .set_title(doc.title())
        .set_subject("Short sentences for French learners")
        .set_comment(comment)
        .set_author("french-novel-tool")
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

    use super::*;
    use crate::export::{Format, render as render_format, testdata};

    fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
        open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap()
    }

    /// One part of the xlsx package, as text.
    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut text = String::new();
        zip.by_name(name)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    fn text(data: Option<&Data>) -> &str {
        match data {
            Some(Data::String(s)) => s,
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[test]
    fn reads_back_header_and_rows() {
        let sentences = testdata::tricky();
        let bytes = render_format(Format::Xlsx, &testdata::doc(&sentences)).unwrap();
        let mut book = open(&bytes);
        assert_eq!(book.sheet_names(), [SHEET_NAME]);
        let range = book.worksheet_range(SHEET_NAME).unwrap();
        assert_eq!(range.height(), sentences.len() + 1);
        assert_eq!(range.width(), 7);

        let header: Vec<&str> = (0..7).map(|c| text(range.get((0, c)))).collect();
        assert_eq!(header, HEADER);

        // Row 3 (sentence 3): numbers as numbers, text exact with quotes and a newline.
        assert_eq!(range.get((3, 0)), Some(&Data::Float(3.0)));
        assert_eq!(range.get((3, 1)), Some(&Data::Float(2.0)));
        assert_eq!(text(range.get((3, 2))), "Elle dit \"non\", puis partit.");
        assert_eq!(
            text(range.get((3, 3))),
            "Elle répondit « non »;\npuis elle partit."
        );
        assert_eq!(range.get((3, 4)), Some(&Data::Bool(true)));
        assert_eq!(range.get((1, 4)), Some(&Data::Bool(false)));
        assert_eq!(text(range.get((6, 2))), "Cœur, façon, œuvre, Noël.");
        // No chapters: the chapter cells stay empty.
        assert_eq!(range.get((1, 5)), Some(&Data::Empty));
    }

    #[test]
    fn an_original_cut_in_pieces_is_written_once() {
        let original = "Il pleuvait sur la ville, et le vent soufflait fort sur les toits.";
        let piece = |position, text: &str| crate::export::ExportSentence {
            source: 1,
            ..testdata::sentence(position, text, original, 3)
        };
        let sentences = [
            piece(1, "Il pleuvait sur la ville."),
            piece(2, "Le vent soufflait fort sur les toits."),
            crate::export::ExportSentence {
                source: 2,
                ..testdata::sentence(3, "Oui.", "Oui.", 3)
            },
        ];
        let bytes = render_format(Format::Xlsx, &testdata::doc(&sentences)).unwrap();
        let range = open(&bytes).worksheet_range(SHEET_NAME).unwrap();
        assert_eq!(range.height(), 4);
        assert_eq!(text(range.get((1, 3))), original);
        assert_eq!(range.get((2, 3)), Some(&Data::Empty));
        assert_eq!(
            text(range.get((2, 2))),
            "Le vent soufflait fort sur les toits."
        );
        assert_eq!(text(range.get((3, 3))), "Oui.");
    }

    #[test]
    fn each_row_names_its_chapter() {
        let sentences = testdata::tricky_in_chapters();
        let chapters = testdata::chapters();
        let doc = crate::export::ExportDoc {
            chapters: &chapters,
            ..testdata::doc(&sentences)
        };
        let bytes = render_format(Format::Xlsx, &doc).unwrap();
        let range = open(&bytes).worksheet_range(SHEET_NAME).unwrap();
        assert_eq!(range.get((1, 5)), Some(&Data::Empty));
        assert_eq!(range.get((3, 5)), Some(&Data::Float(1.0)));
        assert_eq!(text(range.get((3, 6))), "Chapitre premier — Le départ");
        assert_eq!(range.get((6, 5)), Some(&Data::Float(2.0)));
        assert_eq!(text(range.get((6, 6))), "II. « Où vont-ils ? »");
    }

    #[test]
    fn formula_looking_cells_stay_exact_text() {
        let sentences = testdata::tricky();
        let bytes = render_format(Format::Xlsx, &testdata::doc(&sentences)).unwrap();
        let mut book = open(&bytes);
        let range = book.worksheet_range(SHEET_NAME).unwrap();
        assert_eq!(text(range.get((2, 2))), "-Bonjour, dit-il.");
        assert_eq!(text(range.get((4, 2))), "=HYPERLINK(\"http://x\")");
        assert_eq!(text(range.get((4, 3))), "+33 1 23 45 67 89");
        assert_eq!(text(range.get((5, 2))), "@moi\tet <toi> & lui");

        let formulas = book.worksheet_formula(SHEET_NAME).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "no cell is a formula"
        );
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(!sheet.contains("<f>"), "no formula element");
    }

    #[test]
    fn formula_looking_cells_carry_the_quote_prefix() {
        let sentences = testdata::tricky();
        let bytes = render_format(Format::Xlsx, &testdata::doc(&sentences)).unwrap();
        let styles = part(&bytes, "xl/styles.xml");
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");

        // The index, in cellXfs, of the one quote-prefixed format.
        let xfs = styles
            .split("<cellXfs")
            .nth(1)
            .and_then(|s| s.split("</cellXfs>").next())
            .unwrap();
        let quoted: Vec<usize> = xfs
            .split("<xf ")
            .skip(1)
            .enumerate()
            .filter(|(_, xf)| xf.contains("quotePrefix=\"1\""))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(quoted.len(), 1, "{xfs}");
        let marked = format!("s=\"{}\"", quoted[0]);

        // Exactly the formula-looking cells use it: C3, C5, D5, C6, D3.
        let mut cells: Vec<&str> = sheet
            .split("<c r=\"")
            .skip(1)
            .filter(|c| c.split('>').next().unwrap_or("").contains(&marked))
            .map(|c| c.split('"').next().unwrap())
            .collect();
        cells.sort_unstable();
        assert_eq!(cells, ["C3", "C5", "C6", "D3", "D5"]);
    }

    #[test]
    fn header_is_bold_filled_bordered_frozen_and_filtered() {
        let sentences = testdata::tricky();
        let bytes = render_format(Format::Xlsx, &testdata::doc(&sentences)).unwrap();
        let mut book = open(&bytes);
        let styles = book.worksheet_style(SHEET_NAME).unwrap();
        for col in 0..7 {
            let style = styles.get((0, col)).unwrap();
            assert!(
                style.font.as_ref().is_some_and(|f| f.is_bold()),
                "col {col}"
            );
            assert!(
                style.fill.as_ref().is_some_and(|f| f.is_visible()),
                "col {col}"
            );
            assert!(
                style
                    .borders
                    .as_ref()
                    .is_some_and(|b| b.bottom.is_visible()),
                "col {col}"
            );
        }
        let body = styles.get((1, 2)).unwrap();
        assert!(!body.font.as_ref().is_some_and(|f| f.is_bold()));

        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(
            sheet.contains(
                r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
            ),
            "{sheet}"
        );
        assert!(sheet.contains(r#"<autoFilter ref="A1:G7"/>"#), "{sheet}");
        assert!(
            sheet.contains(r#"<col min="3" max="3" width="60.7109375" customWidth="1"/>"#),
            "{sheet}"
        );
        let core = part(&bytes, "docProps/core.xml");
        assert!(
            core.contains("<dc:title>Le Petit Prince – Édition 1943</dc:title>"),
            "{core}"
        );
    }

    #[test]
    fn control_characters_keep_the_file_valid() {
        let sentences = [testdata::sentence(
            1,
            "a\u{0}b\u{1b}c\u{7}d",
            "x_x0041_y",
            1,
        )];
        let bytes = render_format(Format::Xlsx, &testdata::doc(&sentences)).unwrap();
        let mut book = open(&bytes);
        let range = book.worksheet_range(SHEET_NAME).unwrap();
        assert_eq!(text(range.get((1, 2))), "a\u{0}b\u{1b}c\u{7}d");
        assert_eq!(text(range.get((1, 3))), "x_x0041_y");
    }

    #[test]
    fn empty_book_has_the_header_only() {
        let bytes = render_format(Format::Xlsx, &testdata::doc(&[])).unwrap();
        let mut book = open(&bytes);
        let range = book.worksheet_range(SHEET_NAME).unwrap();
        assert_eq!(range.height(), 1);
    }

    #[test]
    fn overlong_cell_is_cut_to_excels_limit() {
        let long = "é".repeat(MAX_CELL_UTF16 + 10);
        let emoji = "😀".repeat(MAX_CELL_UTF16);
        assert_eq!(fit_cell(&long).chars().count(), MAX_CELL_UTF16);
        assert_eq!(fit_cell(&emoji).chars().count(), MAX_CELL_UTF16 / 2);
        assert_eq!(fit_cell("court"), "court");

        let sentences = [testdata::sentence(1, "Court.", &long, 1)];
        let bytes = render_format(Format::Xlsx, &testdata::doc(&sentences)).unwrap();
        let mut book = open(&bytes);
        let range = book.worksheet_range(SHEET_NAME).unwrap();
        assert_eq!(text(range.get((1, 3))).chars().count(), MAX_CELL_UTF16);
    }

    #[test]
    fn renders_a_long_book() {
        let sentences = testdata::many(20_000);
        let bytes = render_format(Format::Xlsx, &testdata::doc(&sentences)).unwrap();
        let mut book = open(&bytes);
        let range = book.worksheet_range(SHEET_NAME).unwrap();
        assert_eq!(range.height(), 20_001);
        assert_eq!(range.get((20_000, 0)), Some(&Data::Float(20_000.0)));
    }
}
