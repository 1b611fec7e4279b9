//! ToUnicode CMaps: which text each character code of a font stands for.
//!
//! Only what ToUnicode maps use is read (`bfchar`, `bfrange`). Producers write the target text
//! as UTF-16BE, but some (MuPDF) write a code point above U+FFFF as its five or six hex digits;
//! both are accepted, and an entry that makes sense in neither way is skipped rather than
//! failing the font.

use std::collections::HashMap;

/// A range can claim every two-byte code; a book's font uses a few hundred.
const MAX_RANGE: u32 = 0x1_0000;
/// Ranges longer than this are kept as ranges, not spelled out code by code: OCR layers map
/// all 65,536 codes of their invisible font in one line.
const SPELLED_OUT: u32 = 256;

/// A font's ToUnicode map.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ToUnicode {
    pub(crate) singles: HashMap<u32, String>,
    /// `(first code, last code, character of the first code)`, sorted, for long ranges of
    /// single characters.
    ranges: Vec<(u32, u32, u32)>,
}

/// What a code stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Mapped<'a> {
    Text(&'a str),
    Char(char),
}

impl ToUnicode {
    pub(crate) fn get(&self, code: u32) -> Option<Mapped<'_>> {
        if let Some(text) = self.singles.get(&code) {
            return Some(Mapped::Text(text));
        }
        let i = self
            .ranges
            .partition_point(|r| r.0 <= code)
            .checked_sub(1)?;
        let (lo, hi, first) = self.ranges[i];
        (code <= hi)
            .then(|| char::from_u32(first + (code - lo)))
            .flatten()
            .filter(|&c| c != '\0')
            .map(Mapped::Char)
    }

    fn is_empty(&self) -> bool {
        self.singles.is_empty() && self.ranges.is_empty()
    }
}

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Hex(Vec<u8>),
    Open,
    Close,
    Word(&'a [u8]),
}

fn tokens(data: &[u8]) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'%' => {
                while i < data.len() && data[i] != b'\n' && data[i] != b'\r' {
                    i += 1;
                }
            }
            b'<' if data.get(i + 1) == Some(&b'<') => i += 2,
            b'>' if data.get(i + 1) == Some(&b'>') => i += 2,
            b'<' => {
                let end = data[i..]
                    .iter()
                    .position(|&b| b == b'>')
                    .map_or(data.len(), |p| i + p);
                let digits: Vec<u8> = data[i + 1..end]
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_hexdigit)
                    .collect();
                out.push(Token::Hex(digits));
                i = end + 1;
            }
            b'[' => {
                out.push(Token::Open);
                i += 1;
            }
            b']' => {
                out.push(Token::Close);
                i += 1;
            }
            b if b.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                while i < data.len()
                    && !data[i].is_ascii_whitespace()
                    && !matches!(data[i], b'<' | b'>' | b'[' | b']' | b'%')
                {
                    i += 1;
                }
                out.push(Token::Word(&data[start..i.max(start + 1)]));
                i = i.max(start + 1);
            }
        }
    }
    out
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// The text a destination string stands for: UTF-16BE, or a bare code point.
fn target(digits: &[u8]) -> Option<Vec<u32>> {
    if digits.len().is_multiple_of(4) {
        let units: Vec<u16> = digits
            .chunks(4)
            .map(|c| hex_value(c).and_then(|v| u16::try_from(v).ok()))
            .collect::<Option<_>>()?;
        return char::decode_utf16(units)
            .map(|c| c.map(u32::from))
            .collect::<Result<_, _>>()
            .ok();
    }
    let value = hex_value(digits)?;
    char::from_u32(value).map(|_| vec![value])
}

/// NUL carries no text; a map that says so for a code says nothing.
fn text(code_points: &[u32]) -> Option<String> {
    code_points
        .iter()
        .map(|&c| char::from_u32(c).filter(|&c| c != '\0'))
        .collect()
}

/// The map from character code to text, or `None` when nothing in `data` is a mapping.
pub(crate) fn parse_to_unicode(data: &[u8]) -> Option<ToUnicode> {
    let tokens = tokens(data);
    let mut out = ToUnicode::default();
    let map = &mut out.singles;
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i] {
            Token::Word(b"beginbfchar") => {
                i += 1;
                while let (Some(Token::Hex(src)), Some(Token::Hex(dst))) =
                    (tokens.get(i), tokens.get(i + 1))
                {
                    if let (Some(code), Some(t)) =
                        (hex_value(src), target(dst).and_then(|d| text(&d)))
                    {
                        map.insert(code, t);
                    }
                    i += 2;
                }
            }
            Token::Word(b"beginbfrange") => {
                i += 1;
                while let (Some(Token::Hex(lo)), Some(Token::Hex(hi))) =
                    (tokens.get(i), tokens.get(i + 1))
                {
                    let (lo, hi) = (hex_value(lo), hex_value(hi));
                    match tokens.get(i + 2) {
                        Some(Token::Hex(dst)) => {
                            if let (Some(lo), Some(hi), Some(&[one])) =
                                (lo, hi, target(dst).as_deref())
                                && hi > lo.saturating_add(SPELLED_OUT)
                            {
                                out.ranges
                                    .push((lo, hi.min(lo.saturating_add(MAX_RANGE)), one));
                            } else if let (Some(lo), Some(hi), Some(first)) = (lo, hi, target(dst))
                            {
                                for (n, code) in
                                    (lo..=hi.min(lo.saturating_add(MAX_RANGE))).enumerate()
                                {
                                    // Each code adds one to the last character of the first.
                                    let mut points = first.clone();
                                    if let Some(last) = points.last_mut() {
                                        *last = last.saturating_add(u32::try_from(n).unwrap_or(0));
                                    }
                                    if let Some(t) = text(&points) {
                                        map.insert(code, t);
                                    }
                                }
                            }
                            i += 3;
                        }
                        Some(Token::Open) => {
                            let mut j = i + 3;
                            let mut code = lo;
                            while let Some(Token::Hex(dst)) = tokens.get(j) {
                                if let (Some(c), Some(t)) =
                                    (code, target(dst).and_then(|d| text(&d)))
                                    && hi.is_some_and(|hi| c <= hi)
                                {
                                    map.insert(c, t);
                                }
                                code = code.and_then(|c| c.checked_add(1));
                                j += 1;
                            }
                            i = j + usize::from(matches!(tokens.get(j), Some(Token::Close)));
                        }
                        _ => break,
                    }
                }
            }
            _ => i += 1,
        }
    }
    out.ranges.sort_unstable();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_chars_ranges_and_arrays() {
        let cmap = b"/CIDInit /ProcSet findresource begin % a comment <00> here\n\
            12 dict begin begincmap /CMapName /Adobe-Identity-UCS def\n\
            1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
            3 beginbfchar <0003> <0020> <0004> <00E9> <0005> <00660069> endbfchar\n\
            2 beginbfrange <0010> <0012> <0041> <0020> <0021> [<00AB> <00BB>] endbfrange\n\
            1 beginbfchar <0030> <D835DD4C> endbfchar\n\
            endcmap CMapName currentdict /CMap defineresource pop end end";
        let map = parse_to_unicode(cmap).unwrap().singles;
        let get = |c: u32| map.get(&c).map(String::as_str);
        assert_eq!(get(3), Some(" "));
        assert_eq!(get(4), Some("é"));
        assert_eq!(get(5), Some("fi"));
        assert_eq!(
            (get(0x10), get(0x11), get(0x12)),
            (Some("A"), Some("B"), Some("C"))
        );
        assert_eq!((get(0x20), get(0x21)), (Some("«"), Some("»")));
        assert_eq!(get(0x30), Some("𝕌"));
    }

    #[test]
    fn odd_entries_are_skipped_or_read_as_code_points() {
        // MuPDF writes characters above U+FFFF as five hex digits; a lone surrogate and a
        // truncated entry say nothing. None of it fails the map.
        let cmap = b"2 beginbfchar <0d4c> <1d546> <0001> <0041> endbfchar \
            1 beginbfchar <0002> <D800> endbfchar 1 beginbfchar <0003> <00";
        let map = parse_to_unicode(cmap).unwrap().singles;
        assert_eq!(map.get(&0x0d4c).map(String::as_str), Some("𝕆"));
        assert_eq!(map.get(&1).map(String::as_str), Some("A"));
        assert!(!map.contains_key(&2) && !map.contains_key(&3));
        assert_eq!(parse_to_unicode(b"garbage"), None);
        // A range over every code is kept as a range, up to its cap.
        let huge =
            parse_to_unicode(b"1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange").unwrap();
        assert!(huge.singles.is_empty());
        assert_eq!(huge.get(0), Some(Mapped::Char('A')));
        assert_eq!(huge.get(2), Some(Mapped::Char('C')));
        assert_eq!(huge.get(MAX_RANGE + 1), None);
    }
}
