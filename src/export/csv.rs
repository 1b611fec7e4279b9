//! CSV: one row per sentence, RFC 4180 quoting, UTF-8 with a byte-order mark.

use super::{COLUMNS, ExportDoc, ExportError, neutralize};

/// The text columns, where a cell could start a formula.
const TEXT_COLUMNS: [usize; 3] = [2, 3, 6];

/// Excel reads a CSV without a BOM in the machine's legacy code page (Windows-1252 on a
/// French Windows), turning "é" into "Ã©"; the BOM is what makes it decode UTF-8. Other
/// readers (LibreOffice, pandas, the `csv` crate) skip it.
const UTF8_BOM: &[u8] = "\u{feff}".as_bytes();

pub(super) fn render(doc: &ExportDoc<'_>) -> Result<Vec<u8>, ExportError> {
    // About 2.5 times the text is a fair guess for the quoting and the numbers.
    let guess = doc
        .sentences
        .iter()
        .map(|s| s.normalized.len() + s.original.len().min(super::REPEATED_ORIGINAL_MAX_CHARS) + 16)
        .sum::<usize>();
    let mut buf = Vec::with_capacity(UTF8_BOM.len() + guess + guess / 2);
    buf.extend_from_slice(UTF8_BOM);

    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(buf);
    writer.write_record(COLUMNS)?;
    for row in doc.rows() {
        let mut cells = doc.cells(row);
        for i in TEXT_COLUMNS {
            if let std::borrow::Cow::Owned(safe) = neutralize(&cells[i]) {
                cells[i] = safe;
            }
        }
        writer.write_record(&cells)?;
    }
    writer
        .into_inner()
        .map_err(|e| ExportError::Io(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{ExportDoc, testdata};
    use crate::export::{Format, render as render_format};

    fn parse(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
        let mut reader = ::csv::Reader::from_reader(bytes);
        let header = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        (header, rows)
    }

    /// A text with no full stop, cut into hundreds of pieces: its original is written whole
    /// once, and each later row shows the stretch where its piece stands, so the file grows
    /// with the text, not with its square.
    #[test]
    fn a_long_original_is_whole_once_then_excerpted_around_each_piece() {
        let clauses: Vec<String> = (1..=400)
            .map(|i| format!("et la clause numéro{i} suivait la précédente"))
            .collect();
        let original = clauses.join(", ");
        let sentences: Vec<crate::export::ExportSentence> = clauses
            .iter()
            .zip(1..)
            .map(|(clause, position)| crate::export::ExportSentence {
                source: 1,
                ..testdata::sentence(position, clause, &original, 1)
            })
            .collect();
        let bytes = render_format(Format::Csv, &testdata::doc(&sentences)).unwrap();
        let (_, rows) = parse(&bytes);
        assert_eq!(rows.len(), 400);
        assert_eq!(rows[0][3], original);
        for (row, i) in rows.iter().zip(1..).skip(1) {
            let cell = &row[3];
            assert!(cell.chars().count() <= 250, "{cell}");
            assert!(cell.contains(&format!("numéro{i} ")), "row {i}: {cell}");
            assert!(cell.starts_with("[…] ") || cell.ends_with(" […]"), "{cell}");
        }
        assert!(bytes.len() < 30 * original.len(), "{} bytes", bytes.len());
        // Short originals stay whole on every row.
        let short = [
            crate::export::ExportSentence {
                source: 1,
                ..testdata::sentence(1, "Il pleut.", "Il pleut, dit-il.", 1)
            },
            crate::export::ExportSentence {
                source: 1,
                ..testdata::sentence(2, "Il le dit.", "Il pleut, dit-il.", 1)
            },
        ];
        let (_, rows) = parse(&render_format(Format::Csv, &testdata::doc(&short)).unwrap());
        assert!(rows.iter().all(|r| &r[3] == "Il pleut, dit-il."));
    }

    #[test]
    fn round_trips_through_a_csv_reader() {
        let sentences = testdata::tricky();
        let bytes = render_format(Format::Csv, &testdata::doc(&sentences)).unwrap();
        assert!(bytes.starts_with(UTF8_BOM), "BOM first");
        assert!(std::str::from_utf8(&bytes).is_ok());

        let (header, rows) = parse(&bytes);
        assert_eq!(header, COLUMNS, "the reader strips the BOM");
        assert_eq!(rows.len(), sentences.len());
        for (row, s) in rows.iter().zip(&sentences) {
            assert_eq!(row.len(), 7);
            assert_eq!((&row[5], &row[6]), (&String::new(), &String::new()));
            assert_eq!(row[0], s.position.to_string());
            assert_eq!(row[1], s.page.to_string());
            assert_eq!(row[2], neutralize(&s.normalized));
            assert_eq!(row[3], neutralize(&s.original));
            assert_eq!(row[4], s.edited.to_string());
        }
        // Commas, quotes, a newline, accents: exact after the round trip.
        assert_eq!(rows[2][2], "Elle dit \"non\", puis partit.");
        assert_eq!(rows[2][3], "Elle répondit « non »;\npuis elle partit.");
        assert_eq!(rows[2][4], "true");
        assert_eq!(rows[5][2], "Cœur, façon, œuvre, Noël.");
    }

    #[test]
    fn formula_cells_are_neutralised() {
        let sentences = testdata::tricky();
        let bytes = render_format(Format::Csv, &testdata::doc(&sentences)).unwrap();
        let (_, rows) = parse(&bytes);
        assert_eq!(rows[1][2], "'-Bonjour, dit-il.");
        assert_eq!(rows[1][3], "'- Bonjour, dit-il en ôtant son chapeau.");
        assert_eq!(rows[3][2], "'=HYPERLINK(\"http://x\")");
        assert_eq!(rows[3][3], "'+33 1 23 45 67 89");
        assert_eq!(rows[4][2], "'@moi\tet <toi> & lui");
        assert_eq!(rows[4][3], "#hashtag\r\nsuite");
        // No cell of the file, as a spreadsheet splits it, starts a formula.
        for row in &rows {
            for cell in row {
                assert!(!crate::export::is_formula_like(cell), "{cell:?}");
            }
        }
    }

    #[test]
    fn quotes_only_what_needs_it() {
        let sentences = [testdata::sentence(7, "Oui.", "Non, dit-il.", 3)];
        let bytes = render_format(Format::Csv, &testdata::doc(&sentences)).unwrap();
        let text = std::str::from_utf8(&bytes[UTF8_BOM.len()..]).unwrap();
        assert_eq!(
            text,
            "position,page,normalized,original,edited,chapter,chapter_title\r\n\
             7,3,Oui.,\"Non, dit-il.\",false,,\r\n"
        );
    }

    #[test]
    fn each_row_names_its_chapter() {
        let sentences = testdata::tricky_in_chapters();
        let chapters = testdata::chapters();
        let doc = ExportDoc {
            chapters: &chapters,
            ..testdata::doc(&sentences)
        };
        let (_, rows) = parse(&render_format(Format::Csv, &doc).unwrap());
        let named: Vec<(&str, &str)> = rows.iter().map(|r| (&r[5][..], &r[6][..])).collect();
        assert_eq!(
            named,
            [
                ("", ""),
                ("", ""),
                ("1", "Chapitre premier — Le départ"),
                ("1", "Chapitre premier — Le départ"),
                ("2", "II. « Où vont-ils ? »"),
                ("2", "II. « Où vont-ils ? »"),
            ]
        );
    }

    #[test]
    fn empty_book_is_a_header() {
        let bytes = render_format(Format::Csv, &testdata::doc(&[])).unwrap();
        let (header, rows) = parse(&bytes);
        assert_eq!(header, COLUMNS);
        assert!(rows.is_empty());
    }

    #[test]
    fn renders_a_long_book() {
        let sentences = testdata::many(20_000);
        let bytes = render_format(Format::Csv, &testdata::doc(&sentences)).unwrap();
        let (_, rows) = parse(&bytes);
        assert_eq!(rows.len(), 20_000);
        assert_eq!(rows[19_999][0], "20000");
    }
}
