//! What lopdf will do with an upload, measured on the raw bytes before it does it.
//!
//! `Document::load_mem` has no limits: it inflates every object stream and cross-reference
//! stream in full, allocates cross-reference buffers and page-count-sized vectors from
//! numbers in the file, and parses the object at every cross-reference entry, however many
//! entries point at the same place. So before lopdf runs, this scan:
//!
//! - finds every stream in the file (every `obj` keyword followed by a stream dictionary)
//!   and inflates, with a cap ([`super::decode`]), the object streams lopdf will inflate,
//!   decrypting first when the file is encrypted with an empty user password, as lopdf
//!   would; page contents, forms and fonts are inflated, capped, only by what reads a page;
//! - reads the cross-reference chain the way lopdf does (same start, same `/Prev` and
//!   `/XRefStm` links) and checks the numbers lopdf would allocate from;
//! - adds up what parsing every object lopdf will load costs, in bytes and in values,
//!   object streams included.
//!
//! Anything over the limits in [`super::limits`] is refused with
//! [`PdfError::TooComplex`]. Files lopdf cannot read at all are left to lopdf, which fails
//! fast on them.

use std::collections::{BTreeMap, HashMap, HashSet};

use lopdf::encryption::{EncryptionState, decrypt_object};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use memchr::memmem;

use super::PdfError;
use super::decode::{TooBig, decode};
use super::lex::{Body, Lexer, MAX_NESTING, is_regular, is_whitespace};
use super::limits::{
    MAX_INFLATED_BYTES, MAX_LOAD_VALUES, MAX_OBJECT_STREAM_BYTES, MAX_XREF_ENTRIES,
    MAX_XREF_FIELD_WIDTH, max_load_bytes,
};

/// Checks `bytes` (a file starting with, or containing in its first kilobyte, `%PDF-`).
pub(crate) fn prescan(bytes: &[u8]) -> Result<(), PdfError> {
    // lopdf drops everything before the header and counts offsets from it.
    let start = memmem::find(bytes, b"%PDF-").unwrap_or(0);
    let mut scan = Scan::new(&bytes[start..]);
    scan.find_objects()?;
    let xref = scan.read_xref()?;
    let crypt = match &xref {
        Some(xref) => scan.encryption(xref)?,
        None => None,
    };
    scan.check_streams(xref.as_ref(), crypt.as_ref())?;
    if let Some(xref) = &xref {
        scan.charge_loading(xref, crypt.is_some())?;
    }
    Ok(())
}

fn too_complex(detail: impl Into<String>) -> PdfError {
    PdfError::TooComplex {
        detail: detail.into(),
    }
}

fn too_deep() -> PdfError {
    too_complex(format!(
        "an object is nested more than {MAX_NESTING} levels deep"
    ))
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

/// A stream found in the file.
struct Found {
    id: Option<ObjectId>,
    dict: Dictionary,
    data_start: usize,
}

/// What parsing the object after one `obj` keyword costs.
#[derive(Clone, Copy)]
struct Cost {
    bytes: u64,
    values: u64,
    /// The stream found there, by index.
    stream: Option<usize>,
    /// lopdf would give up on it for being nested too deep.
    too_deep: bool,
}

#[derive(Clone, Copy)]
pub(super) enum Entry {
    Normal { offset: u32 },
    Compressed { container: u32 },
}

pub(super) struct Xref {
    pub(super) entries: BTreeMap<u32, Entry>,
    pub(super) trailer: Dictionary,
    /// Data offsets of the cross-reference streams read (already inflated and checked).
    streams: HashSet<usize>,
}

pub(super) struct Scan<'a> {
    b: &'a [u8],
    /// Every lexer on `b` is made from this one, which knows where `b`'s last end of line is.
    lexer: Lexer<'a>,
    streams: Vec<Found>,
    /// Cost of the object after each `obj` keyword, by the keyword's offset.
    objects: HashMap<usize, Cost>,
    /// Values of objects that are plain integers (stream lengths), the largest if a number
    /// is used twice.
    integers: HashMap<u32, i64>,
    parsed_bytes: u64,
    parsed_values: u64,
    inflated: u64,
}

impl<'a> Scan<'a> {
    pub(super) fn new(b: &'a [u8]) -> Self {
        Self {
            b,
            lexer: Lexer::new(b, 0),
            streams: Vec::new(),
            objects: HashMap::new(),
            integers: HashMap::new(),
            parsed_bytes: 0,
            parsed_values: 0,
            inflated: 0,
        }
    }

    pub(super) fn lexer(&self, pos: usize) -> Lexer<'a> {
        self.lexer.at(pos)
    }

    /// Counts parsing work, lopdf's and this scan's own, against one budget.
    pub(super) fn charge(&mut self, bytes: u64, values: u64) -> Result<(), PdfError> {
        self.parsed_bytes = self.parsed_bytes.saturating_add(bytes);
        self.parsed_values = self.parsed_values.saturating_add(values);
        if self.parsed_bytes > max_load_bytes(self.b.len()) {
            return Err(too_complex(format!(
                "loading would parse more than {} bytes",
                max_load_bytes(self.b.len())
            )));
        }
        if self.parsed_values > MAX_LOAD_VALUES {
            return Err(too_complex(format!(
                "loading would create more than {MAX_LOAD_VALUES} values"
            )));
        }
        Ok(())
    }

    pub(super) fn charge_inflated(&mut self, bytes: usize) -> Result<(), PdfError> {
        self.inflated = self.inflated.saturating_add(bytes as u64);
        if self.inflated > MAX_INFLATED_BYTES {
            return Err(too_complex(format!(
                "the streams inflate to more than {MAX_INFLATED_BYTES} bytes"
            )));
        }
        Ok(())
    }

    /// Reads the object after every `obj` keyword: lopdf can be pointed at any of them.
    fn find_objects(&mut self) -> Result<(), PdfError> {
        let b = self.b;
        for at in memmem::find_iter(b, b"obj") {
            if at >= 3 && &b[at - 3..at] == b"end" {
                continue;
            }
            let mut lexer = self.lexer(at + 3);
            lexer.skip_space();
            let body = lexer.indirect_body(false);
            let cost = Cost {
                // What was read, not only what the object turned out to span: after an
                // `obj` that starts nothing valid, lopdf (and this scan) may read far.
                bytes: lexer.examined_since(at) as u64,
                values: lexer.values,
                stream: None,
                too_deep: lexer.too_deep,
            };
            self.charge(cost.bytes, cost.values)?;
            let id = header_before(b, at);
            let cost = match body {
                Some(Body::Stream { dict, data_start }) => {
                    self.streams.push(Found {
                        id,
                        dict,
                        data_start,
                    });
                    Cost {
                        stream: Some(self.streams.len() - 1),
                        ..cost
                    }
                }
                Some(Body::Object(Object::Integer(n))) => {
                    if let Some((number, _)) = id {
                        let v = self.integers.entry(number).or_insert(n);
                        *v = (*v).max(n);
                    }
                    cost
                }
                _ => cost,
            };
            self.objects.insert(at, cost);
        }
        Ok(())
    }

    /// The stream's /Length as lopdf resolves it: direct, or an integer object.
    fn length(&self, dict: &Dictionary) -> Option<usize> {
        let n = match dict.get(b"Length").ok()? {
            Object::Integer(n) => *n,
            Object::Reference((id, _)) => *self.integers.get(id)?,
            _ => return None,
        };
        usize::try_from(n).ok()
    }

    /// The bytes lopdf takes as the stream's data, or, when it cannot know, everything to
    /// the end of the file (decoders stop at the end of their own data).
    fn data(&self, stream: &Found) -> &'a [u8] {
        let rest = self.b.get(stream.data_start..).unwrap_or_default();
        match self.length(&stream.dict) {
            Some(len) => &rest[..len.min(rest.len())],
            None => rest,
        }
    }

    /// Follows lopdf's `Reader::read`: the section at `startxref`, then its /Prev chain.
    /// `None` when lopdf would fail to read it (and so fail to load the file).
    pub(super) fn read_xref(&mut self) -> Result<Option<Xref>, PdfError> {
        let Some(start) = xref_start(self.b) else {
            return Ok(None);
        };
        let mut xref = Xref {
            entries: BTreeMap::new(),
            trailer: Dictionary::new(),
            streams: HashSet::new(),
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
            None => self.xref_stream(at, &mut section, total, &mut xref.streams)?,
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
        self.charge(l.examined_since(at) as u64, l.values)?;
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
        streams: &mut HashSet<usize>,
    ) -> Result<Option<Dictionary>, PdfError> {
        let mut l = self.lexer(at);
        if l.object_header().is_none() {
            return Ok(None);
        }
        let Some(Body::Stream { dict, data_start }) = l.indirect_body(false) else {
            return Ok(None);
        };
        self.charge(l.examined_since(at) as u64, l.values)?;
        streams.insert(data_start);
        // Nothing is loaded yet, so lopdf can only use a direct /Length here.
        let data = match dict.get(b"Length").and_then(Object::as_i64) {
            Ok(len) => {
                let rest = self.b.get(data_start..).unwrap_or_default();
                usize::try_from(len).map_or(&rest[..0], |len| &rest[..len.min(rest.len())])
            }
            Err(_) => &[][..],
        };
        let decoded = decode(&dict, data, MAX_OBJECT_STREAM_BYTES)?;
        self.charge_inflated(decoded.len())?;
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

    /// Inflates every object stream, as lopdf will while loading, and measures it the way
    /// lopdf parses it. Other streams wait for whatever reads a page, which caps them too:
    /// inflating a browser's 300-page book here cost more than loading it.
    fn check_streams(
        &mut self,
        xref: Option<&Xref>,
        crypt: Option<&EncryptionState>,
    ) -> Result<(), PdfError> {
        let containers: HashSet<u32> = xref
            .map(|x| {
                x.entries
                    .values()
                    .filter_map(|e| match e {
                        Entry::Compressed { container } => Some(*container),
                        Entry::Normal { .. } => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut extents: HashMap<usize, Cost> = HashMap::new();
        for i in 0..self.streams.len() {
            let stream = &self.streams[i];
            if xref.is_some_and(|x| x.streams.contains(&stream.data_start)) {
                continue;
            }
            let object_stream = has_name(&stream.dict, b"Type", b"ObjStm")
                || stream.id.is_some_and(|(n, _)| containers.contains(&n));
            if !object_stream {
                continue;
            }
            let data = self.data(stream);
            let decrypted;
            let data = match crypt {
                Some(state) => {
                    let Some(id) = stream.id else {
                        return Err(malformed("an encrypted stream has no object number"));
                    };
                    let mut object =
                        Object::Stream(Stream::new(stream.dict.clone(), data.to_vec()));
                    // lopdf ignores decryption errors too and keeps the bytes as they are.
                    let _ = decrypt_object(state, id, &mut object);
                    decrypted = match object {
                        Object::Stream(s) => s.content,
                        _ => Vec::new(),
                    };
                    &decrypted[..]
                }
                None => data,
            };
            let dict = stream.dict.clone();
            let decoded = decode(&dict, data, MAX_OBJECT_STREAM_BYTES)?;
            if matches!(decoded, std::borrow::Cow::Owned(_)) {
                self.charge_inflated(decoded.len())?;
            }
            self.charge_object_stream(&dict, &decoded, &mut extents)?;
            extents.clear();
        }
        Ok(())
    }

    /// lopdf's `ObjectStream::new`: the header's `number offset` pairs, and one parse per
    /// pair, however many pairs share an offset.
    fn charge_object_stream(
        &mut self,
        dict: &Dictionary,
        content: &[u8],
        extents: &mut HashMap<usize, Cost>,
    ) -> Result<(), PdfError> {
        if content.is_empty() {
            return Ok(());
        }
        let Some(first) = dict
            .get(b"First")
            .and_then(Object::as_i64)
            .ok()
            .and_then(|f| usize::try_from(f).ok())
        else {
            return Ok(());
        };
        let Some(Ok(header)) = content.get(..first).map(std::str::from_utf8) else {
            return Ok(());
        };
        if dict.get(b"N").and_then(Object::as_i64).is_err() {
            return Ok(());
        }
        let numbers: Vec<Option<u32>> = header.split_whitespace().map(|n| n.parse().ok()).collect();
        self.charge(first as u64, numbers.len() as u64)?;
        let lexer = Lexer::new(content, 0);
        for pair in numbers.chunks_exact(2) {
            let (Some(_), Some(offset)) = (pair[0], pair[1]) else {
                continue;
            };
            let mut start = first + offset as usize;
            if start >= content.len() {
                continue;
            }
            while content.get(start).is_some_and(u8::is_ascii_whitespace) {
                start += 1;
            }
            if start >= content.len() {
                continue;
            }
            let cost = *extents.entry(start).or_insert_with(|| {
                let mut l = lexer.at(start);
                let _ = l.direct_object(MAX_NESTING, false);
                Cost {
                    bytes: l.examined_since(start).max(1) as u64,
                    values: l.values.max(1),
                    stream: None,
                    too_deep: l.too_deep,
                }
            });
            if cost.too_deep {
                return Err(too_deep());
            }
            self.charge(cost.bytes, cost.values)?;
        }
        Ok(())
    }

    /// One parse of the object at every cross-reference entry, as lopdf does, plus the
    /// /Length objects those parses look up.
    fn charge_loading(&mut self, xref: &Xref, encrypted: bool) -> Result<(), PdfError> {
        let endobjs: Vec<usize> = if encrypted {
            memmem::find_iter(self.b, b"endobj").collect()
        } else {
            Vec::new()
        };
        let mut totals: HashMap<usize, (u64, u64)> = HashMap::new();
        for entry in xref.entries.values() {
            let Entry::Normal { offset } = *entry else {
                continue;
            };
            let offset = offset as usize;
            if offset > self.b.len() {
                continue;
            }
            if encrypted {
                // lopdf first copies everything up to the next `endobj`.
                let end = endobjs
                    .get(endobjs.partition_point(|&e| e < offset))
                    .copied()
                    .unwrap_or(self.b.len());
                self.charge((end - offset) as u64, 0)?;
            }
            let (bytes, values) = match totals.get(&offset) {
                Some(t) => *t,
                None => {
                    let t = self.object_cost(xref, offset, &mut HashSet::new())?;
                    totals.insert(offset, t);
                    t
                }
            };
            self.charge(bytes, values)?;
        }
        Ok(())
    }

    /// Bytes and values lopdf spends parsing the object at `offset`: the space before it,
    /// the object, the stream data it copies and the /Length object it looks up.
    fn object_cost(
        &self,
        xref: &Xref,
        offset: usize,
        seen: &mut HashSet<usize>,
    ) -> Result<(u64, u64), PdfError> {
        if !seen.insert(offset) {
            return Ok((0, 0));
        }
        let mut l = self.lexer(offset);
        if l.object_header().is_none() {
            return Ok((l.examined_since(offset).max(1) as u64, 0));
        }
        // The header ends with `obj` and the space after it.
        let body = l.pos;
        let mut keyword = body;
        while keyword > offset && is_whitespace(self.b[keyword - 1]) {
            keyword -= 1;
        }
        let Some(cost) = self.objects.get(&keyword.saturating_sub(3)).copied() else {
            // Space between `obj` and the object held a comment; count it from here.
            let mut l = self.lexer(body);
            let _ = l.indirect_body(false);
            if l.too_deep {
                return Err(too_deep());
            }
            return Ok((l.examined_since(offset) as u64, l.values));
        };
        if cost.too_deep {
            return Err(too_deep());
        }
        let mut bytes = (body - offset) as u64 + cost.bytes;
        let mut values = cost.values;
        if let Some(stream) = cost.stream.and_then(|i| self.streams.get(i)) {
            bytes += self.length(&stream.dict).unwrap_or(0) as u64;
            if let Ok(Object::Reference((id, _))) = stream.dict.get(b"Length")
                && let Some(Entry::Normal { offset }) = xref.entries.get(id).copied()
            {
                let (b, v) = self.object_cost(xref, offset as usize, seen)?;
                bytes += b;
                values += v;
            }
        }
        Ok((bytes, values))
    }
}

fn has_name(dict: &Dictionary, key: &[u8], value: &[u8]) -> bool {
    matches!(dict.get(key), Ok(Object::Name(n)) if n == value)
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

/// The `12 0` before an `obj` keyword at `at`, when written plainly (white space only).
fn header_before(b: &[u8], at: usize) -> Option<ObjectId> {
    let mut i = at;
    let skip_space = |i: &mut usize| {
        while *i > 0 && is_whitespace(b[*i - 1]) {
            *i -= 1;
        }
    };
    let number = |i: &mut usize| -> Option<u64> {
        let end = *i;
        while *i > 0 && b[*i - 1].is_ascii_digit() {
            *i -= 1;
        }
        std::str::from_utf8(&b[*i..end]).ok()?.parse().ok()
    };
    skip_space(&mut i);
    let generation = number(&mut i)?;
    let before = i;
    skip_space(&mut i);
    if i == before {
        return None;
    }
    let id = number(&mut i)?;
    if i > 0 && is_regular(b[i - 1]) {
        return None;
    }
    Some((u32::try_from(id).ok()?, u16::try_from(generation).ok()?))
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
    fn object_numbers_are_read_backwards() {
        assert_eq!(header_before(b"\n12 0 obj", 6), Some((12, 0)));
        assert_eq!(header_before(b"x12 0 obj", 6), None);
        assert_eq!(header_before(b"12 0obj", 4), Some((12, 0)));
        assert_eq!(header_before(b"120 obj", 4), None);
    }

    #[test]
    fn the_cross_reference_start_is_found_as_lopdf_finds_it() {
        assert_eq!(
            xref_start(b"%PDF-1.4\n...........................\nstartxref\n123\n%%EOF\n"),
            Some(123)
        );
        assert_eq!(xref_start(b"startxref\n123\n%%EOF"), None);
    }
}
