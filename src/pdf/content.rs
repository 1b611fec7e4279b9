//! A content stream read operation by operation, without building objects.
//!
//! lopdf parses a page into a vector of operations, each with a `String` operator and a vector
//! of boxed operands: for a browser's PDF, which positions every glyph with its own `Td` and
//! `Tj`, allocation was most of the time spent reading a book. This reader keeps one operand
//! list and one byte buffer and reuses them for every operation.

use std::ops::Range;

/// One operand of the current operation. Arrays and dictionaries are flattened into their
/// items between start and end markers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Number(f64),
    /// A name without its slash, in [`Ops::bytes`].
    Name(Range<usize>),
    /// A string's decoded bytes, in [`Ops::bytes`].
    Str(Range<usize>),
    ArrayStart,
    ArrayEnd,
    DictStart,
    DictEnd,
    /// `true`, `false`, `null` and anything else that is neither.
    Other,
}

/// Operands of one operation beyond this many are garbage, not a page.
const MAX_OPERANDS: usize = 4096;

pub(crate) struct Ops<'a> {
    data: &'a [u8],
    pos: usize,
    pub(crate) operands: Vec<Operand>,
    pub(crate) bytes: Vec<u8>,
}

fn is_white(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_white(b) && !is_delimiter(b)
}

impl<'a> Ops<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            operands: Vec::with_capacity(8),
            bytes: Vec::with_capacity(256),
        }
    }

    /// The bytes of a name or string operand.
    pub(crate) fn slice(&self, range: &Range<usize>) -> &[u8] {
        self.bytes.get(range.clone()).unwrap_or_default()
    }

    /// The `i`-th operand as a number.
    pub(crate) fn number(&self, i: usize) -> Option<f64> {
        match self.operands.get(i) {
            Some(Operand::Number(n)) => Some(*n),
            _ => None,
        }
    }

    /// The first operand as a name.
    pub(crate) fn first_name(&self) -> Option<&[u8]> {
        match self.operands.first() {
            Some(Operand::Name(r)) => Some(self.slice(r)),
            _ => None,
        }
    }

    /// Reads up to the next operator and returns it; its operands are in `operands`.
    pub(crate) fn next_op(&mut self) -> Option<&'a [u8]> {
        self.operands.clear();
        self.bytes.clear();
        loop {
            self.skip_space();
            let &b = self.data.get(self.pos)?;
            match b {
                b'/' => {
                    self.pos += 1;
                    let start = self.pos;
                    while self.data.get(self.pos).is_some_and(|&c| is_regular(c)) {
                        self.pos += 1;
                    }
                    let at = self.bytes.len();
                    self.bytes.extend_from_slice(&self.data[start..self.pos]);
                    self.push(Operand::Name(at..self.bytes.len()));
                }
                b'(' => {
                    let at = self.bytes.len();
                    self.literal_string();
                    self.push(Operand::Str(at..self.bytes.len()));
                }
                b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                    self.pos += 2;
                    self.push(Operand::DictStart);
                }
                b'>' if self.data.get(self.pos + 1) == Some(&b'>') => {
                    self.pos += 2;
                    self.push(Operand::DictEnd);
                }
                b'<' => {
                    let at = self.bytes.len();
                    self.hex_string();
                    self.push(Operand::Str(at..self.bytes.len()));
                }
                b'[' => {
                    self.pos += 1;
                    self.push(Operand::ArrayStart);
                }
                b']' => {
                    self.pos += 1;
                    self.push(Operand::ArrayEnd);
                }
                b'0'..=b'9' | b'+' | b'-' | b'.' => {
                    let start = self.pos;
                    self.pos += 1;
                    while self.data.get(self.pos).is_some_and(|&c| is_regular(c)) {
                        self.pos += 1;
                    }
                    let number = std::str::from_utf8(&self.data[start..self.pos])
                        .ok()
                        .and_then(|s| s.parse::<f64>().ok())
                        .filter(|n| n.is_finite());
                    self.push(number.map_or(Operand::Other, Operand::Number));
                }
                b if is_regular(b) => {
                    let start = self.pos;
                    while self.data.get(self.pos).is_some_and(|&c| is_regular(c)) {
                        self.pos += 1;
                    }
                    let word = &self.data[start..self.pos];
                    match word {
                        b"true" | b"false" | b"null" => self.push(Operand::Other),
                        b"ID" => {
                            self.skip_inline_image();
                            self.operands.clear();
                            self.bytes.clear();
                        }
                        _ => return Some(word),
                    }
                }
                // A stray delimiter (`)`, `>`, `{`, `}`): nothing a page can use.
                _ => self.pos += 1,
            }
        }
    }

    fn push(&mut self, operand: Operand) {
        if self.operands.len() >= MAX_OPERANDS {
            self.operands.clear();
            self.bytes.clear();
        }
        self.operands.push(operand);
    }

    fn skip_space(&mut self) {
        while let Some(&b) = self.data.get(self.pos) {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while self
                    .data
                    .get(self.pos)
                    .is_some_and(|&c| c != b'\n' && c != b'\r')
                {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// `(…)` with nested parentheses, escapes and line continuations, decoded into `bytes`.
    fn literal_string(&mut self) {
        self.pos += 1;
        let mut depth = 1usize;
        while let Some(&b) = self.data.get(self.pos) {
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    self.bytes.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                    self.bytes.push(b);
                }
                b'\\' => {
                    let Some(&e) = self.data.get(self.pos) else {
                        return;
                    };
                    self.pos += 1;
                    match e {
                        b'n' => self.bytes.push(b'\n'),
                        b'r' => self.bytes.push(b'\r'),
                        b't' => self.bytes.push(b'\t'),
                        b'b' => self.bytes.push(0x08),
                        b'f' => self.bytes.push(0x0C),
                        b'0'..=b'7' => {
                            let mut value = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.data.get(self.pos) {
                                    Some(&d @ b'0'..=b'7') => {
                                        value = value * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            self.bytes.push((value & 0xFF) as u8);
                        }
                        // A backslash at a line's end continues the string on the next line.
                        b'\r' => {
                            if self.data.get(self.pos) == Some(&b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => self.bytes.push(other),
                    }
                }
                other => self.bytes.push(other),
            }
        }
    }

    /// `<…>`: pairs of hex digits, white space ignored, an odd last digit followed by 0.
    fn hex_string(&mut self) {
        self.pos += 1;
        let mut high: Option<u8> = None;
        while let Some(&b) = self.data.get(self.pos) {
            self.pos += 1;
            let digit = match b {
                b'>' => break,
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => continue,
            };
            match high.take() {
                Some(h) => self.bytes.push(h << 4 | digit),
                None => high = Some(digit),
            }
        }
        if let Some(h) = high {
            self.bytes.push(h << 4);
        }
    }

    /// An inline image's data runs from after `ID` to `EI` standing alone.
    fn skip_inline_image(&mut self) {
        self.pos += 1;
        while self.pos + 2 <= self.data.len() {
            let at_ei = &self.data[self.pos..self.pos + 2] == b"EI"
                && self.pos > 0
                && is_white(self.data[self.pos - 1])
                && self.data.get(self.pos + 2).is_none_or(|&c| !is_regular(c));
            if at_ei {
                self.pos += 2;
                return;
            }
            self.pos += 1;
        }
        self.pos = self.data.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(data: &[u8]) -> Vec<(String, Vec<Operand>, Vec<u8>)> {
        let mut ops = Ops::new(data);
        let mut out = Vec::new();
        while let Some(op) = ops.next_op() {
            out.push((
                String::from_utf8_lossy(op).into_owned(),
                ops.operands.clone(),
                ops.bytes.clone(),
            ));
        }
        out
    }

    #[test]
    fn reads_operators_with_their_operands() {
        let ops = all(
            b"BT /F1 12 Tf 1 0 0 -1 72.5 .5 Tm (a\\(b\\)\\101\\\n c) Tj % comment\n\
              [(x) -250 <0041 42>] TJ T* 2 3 (y) \" ET",
        );
        let names: Vec<&str> = ops.iter().map(|o| o.0.as_str()).collect();
        assert_eq!(names, ["BT", "Tf", "Tm", "Tj", "TJ", "T*", "\"", "ET"]);
        assert_eq!(ops[1].1, [Operand::Name(0..2), Operand::Number(12.0)]);
        assert_eq!(ops[1].2, b"F1");
        assert_eq!(ops[2].1[5], Operand::Number(0.5));
        assert_eq!(ops[3].2, b"a(b)A c");
        assert_eq!(
            ops[4].1,
            [
                Operand::ArrayStart,
                Operand::Str(0..1),
                Operand::Number(-250.0),
                Operand::Str(1..4),
                Operand::ArrayEnd
            ]
        );
        assert_eq!(ops[4].2, b"x\0AB");
    }

    #[test]
    fn dictionaries_inline_images_and_garbage() {
        let ops = all(
            b"/Span <</ActualText <FEFF00AD>>> BDC EMC BI /W 2 /H 1 ID \x00EI\xff EI Q \
              ) } 1e9999 true q",
        );
        let names: Vec<&str> = ops.iter().map(|o| o.0.as_str()).collect();
        // BI is an operator like any other; the image data after ID is skipped whole.
        assert_eq!(names, ["BDC", "EMC", "BI", "Q", "q"]);
        assert_eq!(
            ops[0].1,
            [
                Operand::Name(0..4),
                Operand::DictStart,
                Operand::Name(4..14),
                Operand::Str(14..18),
                Operand::DictEnd
            ]
        );
        assert_eq!(&ops[0].2[14..], [0xFE, 0xFF, 0x00, 0xAD]);
        // An overlong number and a keyword are operands that are not numbers.
        assert_eq!(ops[4].1, [Operand::Other, Operand::Other]);
        // Unterminated strings end the stream without a panic.
        assert_eq!(all(b"(abc").len(), 0);
        assert_eq!(all(b"<41").len(), 0);
    }
}
