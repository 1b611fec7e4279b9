//! The cross-reference table of an upload, read the way lopdf reads it (the section at
//! `startxref`, then its /Prev chain, tables and streams alike), for the cheap checks the
//! upload request makes. Streams are inflated under a cap and the entries counted: a file
//! that asks for more is refused before anything large is allocated.

use std::collections::{BTreeMap, HashSet};

use lopdf::encryption::EncryptionState;
use lopdf::{Dictionary, Document, Object};
use memchr::memmem;

use super::PdfError;
use super::decode::{TooBig, decode};
use super::lex::{Body, Lexer, MAX_NESTING};
use super::limits::{MAX_OBJECT_STREAM_BYTES, MAX_XREF_ENTRIES, MAX_XREF_FIELD_WIDTH};

pub(super) fn too_complex(detail: impl Into<String>) -> PdfError {
    PdfError::TooComplex {
        detail: detail.into(),
    }
}

fn malformed(detail: impl Into<String>) -> PdfError {
    PdfError::Malformed {
        detail: detail.into(),
    }
}

impl From<TooBig> for PdfError {
    fn from(e: TooBig) -> Self {
        too_complex(e.to_string())
    }
}

#[derive(Clone, Copy)]
pub(super) enum Entry {
    Normal { offset: u32 },
    Compressed { container: u32 },
}

pub(super) struct Xref {
    pub(super) entries: BTreeMap<u32, Entry>,
    pub(super) trailer: Dictionary,
}

/// Reads cross-references from a file's bytes (counted from its `%PDF-` header).
pub(super) struct XrefReader<'a> {
    b: &'a [u8],
    /// Every lexer on `b` is made from this one, which knows where `b`'s last end of line is.
    lexer: Lexer<'a>,
}

impl<'a> XrefReader<'a> {
    pub(super) fn new(b: &'a [u8]) -> Self {
        Self {
            b,
            lexer: Lexer::new(b, 0),
        }
    }

    pub(super) fn lexer(&self, pos: usize) -> Lexer<'a> {
        self.lexer.at(pos)
    }

    /// Whether the file ends the way lopdf needs to find its cross-references at all.
    pub(super) fn has_start(&self) -> bool {
        xref_start(self.b).is_some()
    }

    /// `None` when lopdf would fail to read it (and so fail to load the file).
    pub(super) fn read_xref(&mut self) -> Result<Option<Xref>, PdfError> {
        let Some(start) = xref_start(self.b) else {
            return Ok(None);
        };
        let mut xref = Xref {
            entries: BTreeMap::new(),
            trailer: Dictionary::new(),
        };
        let mut total = 0u64;
        let Some(mut trailer) = self.read_section(start, &mut xref, &mut total)? else {
            return Ok(None);
        };
        let mut seen = HashSet::new();
        let mut prev = trailer.remove(b"Prev");
        let mut xref_stream = trailer.remove(b"XRefStm");
        xref.trailer = trailer;
        while let Some(offset) = prev.as_ref().and_then(|o| o.as_i64().ok()) {
            if !seen.insert(offset) {
                break;
            }
            let Some(at) = usize::try_from(offset)
                .ok()
                .filter(|&at| at <= self.b.len())
            else {
                return Ok(None);
            };
            let Some(prev_trailer) = self.read_section(at, &mut xref, &mut total)? else {
                return Ok(None);
            };
            if let Some(offset) = xref_stream.take().and_then(|o| o.as_i64().ok()) {
                let Some(at) = usize::try_from(offset)
                    .ok()
                    .filter(|&at| at <= self.b.len())
                else {
                    return Ok(None);
                };
                if self.read_section(at, &mut xref, &mut total)?.is_none() {
                    return Ok(None);
                }
            }
            prev = prev_trailer.get(b"Prev").ok().cloned();
        }
        Ok(Some(xref))
    }

    /// One cross-reference section and its trailer; earlier sections win, as in lopdf's
    /// `Xref::merge`.
    fn read_section(
        &mut self,
        at: usize,
        xref: &mut Xref,
        total: &mut u64,
    ) -> Result<Option<Dictionary>, PdfError> {
        let mut section = BTreeMap::new();
        let trailer = match self.xref_table(at, &mut section, total)? {
            Some(trailer) => Some(trailer),
            None => self.xref_stream(at, &mut section, total)?,
        };
        for (id, entry) in section {
            xref.entries.entry(id).or_insert(entry);
        }
        Ok(trailer)
    }

    fn count_entries(total: &mut u64, n: u64) -> Result<(), PdfError> {
        *total = total.saturating_add(n);
        if *total > MAX_XREF_ENTRIES {
            return Err(too_complex(format!(
                "the cross-reference sections have more than {MAX_XREF_ENTRIES} entries"
            )));
        }
        Ok(())
    }

    /// lopdf's `xref` and `trailer` parsers: `xref`, then sections of `start count` lines
    /// followed by as many `offset generation n|f` entries as there are.
    fn xref_table(
        &mut self,
        at: usize,
        section: &mut BTreeMap<u32, Entry>,
        total: &mut u64,
    ) -> Result<Option<Dictionary>, PdfError> {
        let b = self.b;
        let mut l = self.lexer(at);
        if !lex_tag(&mut l, b, b"xref") {
            return Ok(None);
        }
        lex_tag(&mut l, b, b" ");
        if !l.eol() {
            return Ok(None);
        }
        let mut sections = 0;
        loop {
            let save = l.pos;
            let Some(start) = lex_uint::<usize>(&mut l, b)
                .filter(|_| lex_tag(&mut l, b, b" "))
                .and_then(|s| lex_uint::<u32>(&mut l, b).map(|_| s))
                .filter(|_| {
                    lex_tag(&mut l, b, b" ");
                    l.eol()
                })
            else {
                l.pos = save;
                break;
            };
            sections += 1;
            let mut index = 0usize;
            loop {
                let save = l.pos;
                let entry = lex_uint::<u32>(&mut l, b)
                    .filter(|_| lex_tag(&mut l, b, b" "))
                    .and_then(|offset| lex_uint::<u32>(&mut l, b).map(|g| (offset, g)))
                    .filter(|_| lex_tag(&mut l, b, b" "))
                    .and_then(|(offset, g)| {
                        let kind = *b.get(l.pos)?;
                        if kind != b'n' && kind != b'f' {
                            return None;
                        }
                        l.pos += 1;
                        let eol = lex_tag(&mut l, b, b" \r")
                            || lex_tag(&mut l, b, b" \n")
                            || lex_tag(&mut l, b, b"\r\n");
                        eol.then_some((offset, g, kind == b'n'))
                    });
                let Some((offset, generation, normal)) = entry else {
                    l.pos = save;
                    break;
                };
                Self::count_entries(total, 1)?;
                if normal && u16::try_from(generation).is_ok() {
                    section.insert((start + index) as u32, Entry::Normal { offset });
                }
                index += 1;
            }
        }
        if sections == 0 {
            return Ok(None);
        }
        l.skip_space();
        if !lex_tag(&mut l, b, b"trailer") {
            return Ok(None);
        }
        l.skip_space();
        let Some(trailer) = l.dictionary(MAX_NESTING, true) else {
            return Ok(None);
        };
        // lopdf insists on /Size.
        if trailer.get(b"Size").and_then(Object::as_i64).is_err() {
            return Ok(None);
        }
        Ok(Some(trailer))
    }

    /// lopdf's `decode_xref_stream`, with the allocation and the loop it runs bounded.
    fn xref_stream(
        &mut self,
        at: usize,
        section: &mut BTreeMap<u32, Entry>,
        total: &mut u64,
    ) -> Result<Option<Dictionary>, PdfError> {
        let mut l = self.lexer(at);
        if l.object_header().is_none() {
            return Ok(None);
        }
        let Some(Body::Stream { dict, data_start }) = l.indirect_body(false) else {
            return Ok(None);
        };
        // Nothing is loaded yet, so lopdf can only use a direct /Length here.
        let data = match dict.get(b"Length").and_then(Object::as_i64) {
            Ok(len) => {
                let rest = self.b.get(data_start..).unwrap_or_default();
                usize::try_from(len).map_or(&rest[..0], |len| &rest[..len.min(rest.len())])
            }
            Err(_) => &[][..],
        };
        let decoded = decode(&dict, data, MAX_OBJECT_STREAM_BYTES)?;
        let Ok(size) = dict.get(b"Size").and_then(Object::as_i64) else {
            return Ok(None);
        };
        let ints = |key: &[u8]| -> Option<Vec<i64>> {
            dict.get(key)
                .ok()?
                .as_array()
                .ok()?
                .iter()
                .map(|o| o.as_i64().ok())
                .collect()
        };
        let index = match dict.get(b"Index") {
            Ok(_) => ints(b"Index").unwrap_or_else(|| vec![0, size]),
            Err(_) => vec![0, size],
        };
        let Some(widths) = ints(b"W") else {
            return Ok(None);
        };
        if widths.len() < 3 || widths[..3].iter().any(|w| *w < 0) {
            return Ok(None);
        }
        if let Some(w) = widths[..3].iter().find(|w| **w > MAX_XREF_FIELD_WIDTH) {
            return Err(malformed(format!("a cross-reference field {w} bytes wide")));
        }
        let claimed: u64 = index
            .chunks_exact(2)
            .map(|pair| u64::try_from(pair[1]).unwrap_or(0))
            .fold(0, u64::saturating_add);
        Self::count_entries(total, claimed)?;
        let w = [widths[0] as usize, widths[1] as usize, widths[2] as usize];
        let mut cursor = &decoded[..];
        let mut field = |width: usize| -> Option<u64> {
            let (bytes, rest) = cursor.split_at_checked(width)?;
            cursor = rest;
            Some(bytes.iter().fold(0u64, |v, b| v << 8 | u64::from(*b)))
        };
        'sections: for pair in index.chunks_exact(2) {
            for j in 0..pair[1].max(0) {
                let kind = if w[0] == 0 { Some(1) } else { field(w[0]) };
                let (Some(kind), Some(second), Some(_third)) = (kind, field(w[1]), field(w[2]))
                else {
                    break 'sections;
                };
                let id = (pair[0] + j) as u32;
                match kind {
                    1 => {
                        section.insert(
                            id,
                            Entry::Normal {
                                offset: second as u32,
                            },
                        );
                    }
                    2 => {
                        section.insert(
                            id,
                            Entry::Compressed {
                                container: second as u32,
                            },
                        );
                    }
                    _ => {}
                }
            }
        }
        Ok(Some(dict))
    }

    /// lopdf's key for an encrypted file, if the empty user password opens it; a file that
    /// needs a password is refused here, before anything is parsed.
    pub(super) fn encryption(&mut self, xref: &Xref) -> Result<Option<EncryptionState>, PdfError> {
        let Ok(encrypt) = xref.trailer.get(b"Encrypt") else {
            return Ok(None);
        };
        let Ok(encrypt_id) = encrypt.as_reference() else {
            return Err(PdfError::Encrypted);
        };
        let Some(Entry::Normal { offset }) = xref.entries.get(&encrypt_id.0).copied() else {
            return Err(PdfError::Encrypted);
        };
        let mut l = self.lexer(offset as usize);
        let dict = l
            .object_header()
            .and_then(|_| l.direct_object(MAX_NESTING, true));
        let Some(dict) = dict else {
            return Err(PdfError::Encrypted);
        };
        let mut doc = Document::new();
        doc.trailer = xref.trailer.clone();
        doc.objects.insert(encrypt_id, dict);
        if doc.authenticate_password("").is_err() {
            return Err(PdfError::Encrypted);
        }
        EncryptionState::decode(&doc, "")
            .map(Some)
            .map_err(|_| PdfError::Encrypted)
    }
}

fn lex_tag(l: &mut Lexer, b: &[u8], t: &[u8]) -> bool {
    if b.get(l.pos..).is_some_and(|r| r.starts_with(t)) {
        l.pos += t.len();
        true
    } else {
        false
    }
}

fn lex_uint<T: std::str::FromStr>(l: &mut Lexer, b: &[u8]) -> Option<T> {
    let rest = b.get(l.pos..)?;
    let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let value = std::str::from_utf8(&rest[..n]).ok()?.parse().ok()?;
    l.pos += n;
    Some(value)
}

/// lopdf's `Reader::get_xref_start`: `startxref` within 25 bytes before the last `%%EOF`
/// of the file's final 512 bytes.
fn xref_start(b: &[u8]) -> Option<usize> {
    let seek = b.len() - b.len().min(512);
    let eof = seek + memmem::rfind(&b[seek..], b"%%EOF")?;
    if eof <= 25 {
        return None;
    }
    let from = eof - 25;
    let at = from + memmem::rfind(&b[from..eof], b"startxref")?;
    let mut l = Lexer::new(b, at + 9);
    lex_tag(&mut l, b, b" ");
    if !l.eol() {
        return None;
    }
    while lex_tag(&mut l, b, b" ") {}
    let sign = lex_tag(&mut l, b, b"-") || {
        lex_tag(&mut l, b, b"+");
        false
    };
    let value: usize = lex_uint(&mut l, b)?;
    while lex_tag(&mut l, b, b" ") {}
    if sign || !l.eol() || !lex_tag(&mut l, b, b"%%EOF") {
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cross_reference_start_is_found_as_lopdf_finds_it() {
        assert_eq!(
            xref_start(b"%PDF-1.4\n...........................\nstartxref\n123\n%%EOF\n"),
            Some(123)
        );
        assert_eq!(xref_start(b"startxref\n123\n%%EOF"), None);
    }
}
