//! A1 notation: column letters, sheet-name quoting and ranges. The client builds ranges and
//! reads Google's `updatedRange` with it; the fake parses what clients send with the same code,
//! so both ends agree on the notation.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters: a range is one path segment, and `!`, `'`,
/// `:` and `/` in it must not be read as URL syntax.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Sheets has at most 18,278 columns (`ZZZ`); longer runs of letters are not columns.
const MAX_COLUMN_LETTERS: usize = 3;

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
pub fn column_letters(index: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(index) + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// `A` → `0`; case-insensitive like Google.
pub fn column_index(letters: &str) -> Option<u32> {
    if letters.is_empty() || letters.len() > MAX_COLUMN_LETTERS {
        return None;
    }
    let mut n: u32 = 0;
    for c in letters.bytes() {
        if !c.is_ascii_alphabetic() {
            return None;
        }
        n = n * 26 + u32::from(c.to_ascii_uppercase() - b'A') + 1;
    }
    Some(n - 1)
}

/// A sheet name as it must appear before `!`: bare when it is a plain identifier that cannot be
/// mistaken for a cell, else in single quotes with embedded quotes doubled.
pub fn quote_sheet_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && parse_cell(name).is_none();
    if plain {
        name.to_owned()
    } else {
        format!("'{}'", name.replace('\'', "''"))
    }
}

/// A range ready to go into a URL path as one segment.
pub fn encode_path_segment(range: &str) -> String {
    utf8_percent_encode(range, PATH_SEGMENT).to_string()
}

/// One corner of a range; a missing part is unbounded (`A` is a whole column, `3` a whole row).
/// Both are 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellRef {
    pub column: Option<u32>,
    pub row: Option<u32>,
}

impl CellRef {
    pub fn at(column: u32, row: u32) -> Self {
        Self {
            column: Some(column),
            row: Some(row),
        }
    }
}

/// The cells part of a range: one reference, or two joined by `:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cells {
    pub start: CellRef,
    pub end: Option<CellRef>,
}

/// `Sheet!A1:B2`, `'My sheet'!A:C`, `A1` (first visible sheet) or `Sheet` (the whole sheet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct A1Range {
    pub sheet: Option<String>,
    /// `None`: every cell of the sheet.
    pub cells: Option<Cells>,
}

impl A1Range {
    /// A rectangle on a named sheet, corners inclusive and 0-based.
    pub fn rectangle(sheet: &str, first: (u32, u32), last: (u32, u32)) -> Self {
        let start = CellRef::at(first.0, first.1);
        let end = (first != last).then(|| CellRef::at(last.0, last.1));
        Self {
            sheet: Some(sheet.to_owned()),
            cells: Some(Cells { start, end }),
        }
    }

    /// Reads A1 notation; `None` where Google would answer "Unable to parse range".
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if let Some(rest) = text.strip_prefix('\'') {
            let (name, after) = unquote(rest)?;
            return match after {
                "" => Some(Self {
                    sheet: Some(name),
                    cells: None,
                }),
                _ => Some(Self {
                    sheet: Some(name),
                    cells: Some(parse_cells(after.strip_prefix('!')?)?),
                }),
            };
        }
        match text.split_once('!') {
            Some((name, cells)) => {
                if name.is_empty() || name.contains('\'') {
                    return None;
                }
                Some(Self {
                    sheet: Some(name.to_owned()),
                    cells: Some(parse_cells(cells)?),
                })
            }
            // A bare token is cells if it reads as cells, else the name of a sheet.
            None => Some(match parse_cells(text) {
                Some(cells) => Self {
                    sheet: None,
                    cells: Some(cells),
                },
                None => Self {
                    sheet: Some(text.to_owned()),
                    cells: None,
                },
            }),
        }
    }

    /// The bottom-right corner written as the end of `self`, keeping `self`'s start: joins the
    /// `updatedRange`s of consecutive batches into one range.
    pub fn extended_to(&self, other: &A1Range) -> Option<A1Range> {
        let start = self.cells?.start;
        let other_cells = other.cells?;
        let end = other_cells.end.unwrap_or(other_cells.start);
        (self.sheet == other.sheet).then(|| A1Range {
            sheet: self.sheet.clone(),
            cells: Some(Cells {
                start,
                end: (end != start).then_some(end),
            }),
        })
    }
}

impl fmt::Display for CellRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(column) = self.column {
            f.write_str(&column_letters(column))?;
        }
        if let Some(row) = self.row {
            write!(f, "{}", u64::from(row) + 1)?;
        }
        Ok(())
    }
}

impl fmt::Display for A1Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.sheet, &self.cells) {
            (Some(sheet), None) => f.write_str(&quote_sheet_name(sheet)),
            (sheet, Some(cells)) => {
                if let Some(sheet) = sheet {
                    write!(f, "{}!", quote_sheet_name(sheet))?;
                }
                write!(f, "{}", cells.start)?;
                if let Some(end) = cells.end {
                    write!(f, ":{end}")?;
                }
                Ok(())
            }
            (None, None) => Ok(()),
        }
    }
}

/// The inside of a quoted name up to its closing quote (`''` is a quote), and what follows.
fn unquote(rest: &str) -> Option<(String, &str)> {
    let mut name = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\'' {
            name.push(c);
            continue;
        }
        if chars.peek().is_some_and(|&(_, next)| next == '\'') {
            chars.next();
            name.push('\'');
            continue;
        }
        return (!name.is_empty()).then(|| (name, &rest[i + 1..]));
    }
    None
}

fn parse_cells(text: &str) -> Option<Cells> {
    match text.split_once(':') {
        Some((start, end)) => Some(Cells {
            start: parse_cell(start)?,
            end: Some(parse_cell(end)?),
        }),
        None => Some(Cells {
            start: parse_cell(text)?,
            end: None,
        }),
    }
}

/// `B3`, `B` or `3`; `$` anchors are allowed and mean nothing here.
fn parse_cell(text: &str) -> Option<CellRef> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(text.len());
    let (letters, digits) = text.split_at(split);
    let letters = letters.replace('$', "");
    let column = match letters.as_str() {
        "" => None,
        letters => Some(column_index(letters)?),
    };
    let row = match digits {
        "" => None,
        digits => {
            let n: u32 = digits.parse().ok()?;
            Some(n.checked_sub(1)?)
        }
    };
    (column.is_some() || row.is_some()).then_some(CellRef { column, row })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_round_trip() {
        for (index, letters) in [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")] {
            assert_eq!(column_letters(index), letters);
            assert_eq!(column_index(letters), Some(index));
        }
        assert_eq!(column_index("a"), Some(0));
        assert_eq!(column_index("ABCD"), None);
    }

    #[test]
    fn sheet_names_are_quoted_when_they_need_it() {
        assert_eq!(quote_sheet_name("Sentences"), "Sentences");
        assert_eq!(quote_sheet_name("Sheet1"), "Sheet1");
        assert_eq!(quote_sheet_name("My Sheet"), "'My Sheet'");
        assert_eq!(quote_sheet_name("L'Étranger"), "'L''Étranger'");
        // Looks like a cell: bare, it would be read as one.
        assert_eq!(quote_sheet_name("AB12"), "'AB12'");
    }

    #[test]
    fn ranges_are_percent_encoded_as_one_segment() {
        assert_eq!(encode_path_segment("'Sheet1'!B1"), "%27Sheet1%27%21B1");
        assert_eq!(encode_path_segment("A:C"), "A%3AC");
        assert_eq!(encode_path_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn ranges_parse_and_print_back() {
        for text in [
            "Sheet1!A1:D5",
            "Sentences!A:C",
            "'My Sheet'!A1",
            "A1:B2",
            "'L''Étranger'!B2:C",
            "Sheet1",
            "3:4",
        ] {
            let range = A1Range::parse(text).unwrap_or_else(|| panic!("{text} parses"));
            assert_eq!(range.to_string(), text);
        }
        let quoted = A1Range::parse("'L''Étranger'!B2").unwrap();
        assert_eq!(quoted.sheet.as_deref(), Some("L'Étranger"));
        assert_eq!(quoted.cells.unwrap().start, CellRef::at(1, 1));
    }

    #[test]
    fn garbage_does_not_parse() {
        for text in [
            "",
            "'unclosed!A1",
            "Sheet1!",
            "Sheet1!A0",
            "Sheet1!1A",
            "'x'A1",
        ] {
            assert_eq!(A1Range::parse(text), None, "{text}");
        }
    }

    #[test]
    fn batches_join_into_one_range() {
        let first = A1Range::parse("Sentences!A2:C5001").unwrap();
        let last = A1Range::parse("Sentences!A10002:C12000").unwrap();
        assert_eq!(
            first.extended_to(&last).unwrap().to_string(),
            "Sentences!A2:C12000"
        );
        assert_eq!(
            A1Range::rectangle("My Sheet", (0, 0), (2, 0)).to_string(),
            "'My Sheet'!A1:C1"
        );
    }
}
