//! Fonts read once per document for the text reader in [`super::interpret`].
//!
//! pdf-extract builds every font again on every page, parsing its ToUnicode CMap and encoding
//! each time; for a book that is most of the extraction time. Here a font is read the first time
//! a page selects it and shared by every later page. What real books use is covered: simple
//! fonts (Type1, Type1C, TrueType, the standard 14 with or without widths) through ToUnicode,
//! /Encoding and /Differences or the encoding built into the embedded program, and composite
//! fonts (Type0) with Identity-H codes, CFF or TrueType descendants. A font outside that (Type3,
//! vertical writing, other CMaps) is [`Unsupported`], and its pages go to pdf-extract.

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object, Stream};

use super::cmap::{Mapped, ToUnicode};
use super::decode::decode;
use super::glyphs::{base_encoding_names, glyph_text};
use super::limits::MAX_STREAM_BYTES;

/// The text reader does not handle something on this page; pdf-extract reads it instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unsupported;

/// One code of a shown string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Glyph<'f> {
    /// Advance in thousandths of an em.
    pub(crate) width: f64,
    /// What the code stands for; `None` for a code no table explains.
    pub(crate) text: Option<Mapped<'f>>,
    /// A single-byte code 32, to which word spacing (Tw) applies.
    pub(crate) word_space: bool,
}

pub(crate) enum Font {
    // Fonts are few and shared behind an `Rc`: the simple font's tables stay inline.
    Simple(Box<Simple>),
    Composite(Composite),
}

pub(crate) struct Simple {
    /// Glyph widths in thousandths of an em, by code.
    widths: [f64; 256],
    texts: [Option<Box<str>>; 256],
}

/// A Type0 font with two-byte Identity-H codes: the code is the CID.
pub(crate) struct Composite {
    widths: HashMap<u16, f64>,
    default_width: f64,
    texts: ToUnicode,
}

impl Font {
    /// The codes of a shown string, in order.
    pub(crate) fn glyphs<'f>(&'f self, bytes: &'f [u8]) -> impl Iterator<Item = Glyph<'f>> + 'f {
        let (simple, composite) = match self {
            Font::Simple(s) => (Some(&**s), None),
            Font::Composite(c) => (None, Some(c)),
        };
        let one = simple.into_iter().flat_map(move |font| {
            bytes.iter().map(move |&code| Glyph {
                width: font.widths[usize::from(code)],
                text: font.texts[usize::from(code)].as_deref().map(Mapped::Text),
                word_space: code == 32,
            })
        });
        let two = composite.into_iter().flat_map(move |font| {
            bytes.chunks(2).map(move |pair| {
                let cid = match *pair {
                    [hi, lo] => u16::from_be_bytes([hi, lo]),
                    [lo] => u16::from(lo),
                    _ => 0,
                };
                Glyph {
                    width: font.widths.get(&cid).copied().unwrap_or(font.default_width),
                    text: font.texts.get(u32::from(cid)),
                    word_space: false,
                }
            })
        });
        one.chain(two)
    }
}

/// The fonts of one document, each read the first time a page selects it.
#[derive(Default)]
pub(crate) struct FontCache {
    fonts: HashMap<*const Dictionary, Result<Rc<Font>, Unsupported>>,
}

impl FontCache {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The font `dict` describes. The key is the dictionary's address in the document, which
    /// is borrowed for as long as the cache is used.
    pub(crate) fn get(
        &mut self,
        doc: &Document,
        dict: &Dictionary,
    ) -> Result<Rc<Font>, Unsupported> {
        self.fonts
            .entry(std::ptr::from_ref(dict))
            .or_insert_with(|| read_font(doc, dict).map(Rc::new))
            .clone()
    }
}

/// `obj`, or the object it refers to.
pub(super) fn deref<'a>(doc: &'a Document, obj: &'a Object) -> Result<&'a Object, Unsupported> {
    match obj {
        Object::Reference(id) => doc.get_object(*id).map_err(|_| Unsupported),
        other => Ok(other),
    }
}

fn entry<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Result<Option<&'a Object>, Unsupported> {
    match dict.get(key) {
        Ok(obj) => deref(doc, obj).map(Some),
        Err(_) => Ok(None),
    }
}

fn name<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Result<Option<&'a [u8]>, Unsupported> {
    match entry(doc, dict, key)? {
        Some(Object::Name(name)) => Ok(Some(name)),
        None => Ok(None),
        Some(_) => Err(Unsupported),
    }
}

pub(super) fn number(obj: &Object) -> Result<f64, Unsupported> {
    match obj {
        Object::Integer(i) => Ok(*i as f64),
        Object::Real(r) => Ok(f64::from(*r)),
        _ => Err(Unsupported),
    }
}

fn read_font(doc: &Document, font: &Dictionary) -> Result<Font, Unsupported> {
    match name(doc, font, b"Subtype")?.ok_or(Unsupported)? {
        b"Type1" | b"MMType1" => read_simple(doc, font, false).map(|f| Font::Simple(Box::new(f))),
        b"TrueType" => read_simple(doc, font, true).map(|f| Font::Simple(Box::new(f))),
        b"Type0" => read_composite(doc, font).map(Font::Composite),
        _ => Err(Unsupported),
    }
}

/// The embedded font program, if any: (`/FontFile`, `/FontFile2` or `/FontFile3`, its bytes).
fn font_program<'d>(
    doc: &'d Document,
    descriptor: Option<&'d Dictionary>,
) -> Option<(u8, Cow<'d, [u8]>)> {
    let descriptor = descriptor?;
    [(1, &b"FontFile"[..]), (2, b"FontFile2"), (3, b"FontFile3")]
        .into_iter()
        .find_map(|(kind, key)| match entry(doc, descriptor, key) {
            Ok(Some(Object::Stream(stream))) => Some((kind, contents(stream).ok()?)),
            _ => None,
        })
}

fn descriptor<'a>(
    doc: &'a Document,
    font: &'a Dictionary,
) -> Result<Option<&'a Dictionary>, Unsupported> {
    match entry(doc, font, b"FontDescriptor")? {
        Some(Object::Dictionary(d)) => Ok(Some(d)),
        None => Ok(None),
        Some(_) => Err(Unsupported),
    }
}

fn read_simple(doc: &Document, font: &Dictionary, true_type: bool) -> Result<Simple, Unsupported> {
    let descriptor = descriptor(doc, font)?;
    let has_program = descriptor.is_some_and(|d| {
        [&b"FontFile"[..], b"FontFile2", b"FontFile3"]
            .iter()
            .any(|key| d.has(key))
    });
    let base_font = name(doc, font, b"BaseFont")?.unwrap_or_default();
    let standard = super::std14::widths(base_font);
    // Symbolic fonts (bit 3 of /Flags) have no standard encoding underneath.
    let symbolic = descriptor
        .and_then(|d| d.get(b"Flags").ok())
        .and_then(|f| f.as_i64().ok())
        .is_some_and(|flags| flags & 4 != 0);

    // The glyph name of every code: the font's own encoding first, then /Differences.
    let mut names: [Option<Vec<u8>>; 256] = [const { None }; 256];
    let encoding = entry(doc, font, b"Encoding")?;
    let base = match encoding {
        Some(Object::Name(base)) => Some(base.as_slice()),
        Some(Object::Dictionary(dict)) => name(doc, dict, b"BaseEncoding")?,
        None => None,
        Some(_) => return Err(Unsupported),
    };
    match base.and_then(base_encoding_names) {
        Some(table) => fill_names(&mut names, table),
        // The program is inflated only when its own encoding is what counts.
        None => match builtin_encoding(font_program(doc, descriptor).as_ref()) {
            Some(table) => names = table,
            // Without a program to ask, a non-symbolic font uses the standard encoding
            // (TrueType ones WinAnsi, as readers do).
            None if !symbolic || !has_program => {
                let fallback: &[u8] = if true_type {
                    b"WinAnsiEncoding"
                } else {
                    b"StandardEncoding"
                };
                if let Some(table) = base_encoding_names(fallback) {
                    fill_names(&mut names, table);
                }
            }
            None => {}
        },
    }
    if let Some(Object::Dictionary(dict)) = encoding
        && let Some(differences) = entry(doc, dict, b"Differences")?
    {
        apply_differences(
            doc,
            differences.as_array().map_err(|_| Unsupported)?,
            &mut names,
        )?;
    }

    let unicode = to_unicode(doc, font)?;
    if unicode.is_none() && names.iter().all(Option::is_none) {
        return Err(Unsupported);
    }
    let texts = std::array::from_fn(|code| {
        let key = u32::try_from(code).unwrap_or_default();
        match unicode.as_ref().and_then(|u| u.get(key)) {
            Some(Mapped::Text(text)) => return Some(text.into()),
            Some(Mapped::Char(c)) => return Some(c.to_string().into_boxed_str()),
            None => {}
        }
        names[code]
            .as_deref()
            .and_then(glyph_text)
            .map(String::into_boxed_str)
    });

    let listed = listed_widths(doc, font)?;
    let missing_width = match descriptor
        .map(|d| entry(doc, d, b"MissingWidth"))
        .transpose()?
    {
        Some(Some(obj)) => number(obj)?,
        _ => 0.0,
    };
    let widths = match (listed, standard) {
        (Some(listed), _) => listed.map(|w| w.unwrap_or(missing_width)),
        (None, Some(standard)) => std::array::from_fn(|code| {
            names[code]
                .as_deref()
                .and_then(|n| std::str::from_utf8(n).ok())
                .and_then(|n| standard.get(n))
                .map_or(missing_width, |&w| f64::from(w))
        }),
        // Without widths every glyph would stand on the same spot.
        (None, None) => return Err(Unsupported),
    };
    Ok(Simple { widths, texts })
}

fn fill_names(names: &mut [Option<Vec<u8>>; 256], table: &[&str; 256]) {
    for (slot, glyph) in names.iter_mut().zip(table) {
        if !glyph.is_empty() {
            *slot = Some(glyph.as_bytes().to_vec());
        }
    }
}

/// The encoding built into an embedded Type1 or CFF program.
fn builtin_encoding(program: Option<&(u8, Cow<'_, [u8]>)>) -> Option<[Option<Vec<u8>>; 256]> {
    let (kind, bytes) = program?;
    match kind {
        1 => type1_encoding(bytes),
        3 => cff_encoding(bytes),
        _ => None,
    }
}

/// The `/Encoding` of a Type1 program's clear-text part: `StandardEncoding`, or an array filled
/// by `dup <code> /<name> put`.
fn type1_encoding(program: &[u8]) -> Option<[Option<Vec<u8>>; 256]> {
    let at = memchr::memmem::find(program, b"/Encoding")?;
    let rest = &program[at + b"/Encoding".len()..];
    let head = rest.get(..rest.len().min(32)).unwrap_or_default();
    if memchr::memmem::find(head, b"StandardEncoding").is_some() {
        let mut names: [Option<Vec<u8>>; 256] = [const { None }; 256];
        fill_names(&mut names, base_encoding_names(b"StandardEncoding")?);
        return Some(names);
    }
    // The array ends at "readonly def" or "def"; the encrypted part never comes before it.
    let end = memchr::memmem::find(rest, b"def").unwrap_or(rest.len());
    let body = std::str::from_utf8(rest.get(..end)?).ok()?;
    let mut names: [Option<Vec<u8>>; 256] = [const { None }; 256];
    let tokens: Vec<&str> = body.split_ascii_whitespace().collect();
    for window in tokens.windows(4) {
        if let ["dup", code, glyph, "put"] = window
            && let (Ok(code), Some(glyph)) = (code.parse::<usize>(), glyph.strip_prefix('/'))
            && let Some(slot) = names.get_mut(code)
        {
            *slot = Some(glyph.as_bytes().to_vec());
        }
    }
    names.iter().any(Option::is_some).then_some(names)
}

/// A bare CFF program's encoding, through its charset's glyph names.
fn cff_encoding(program: &[u8]) -> Option<[Option<Vec<u8>>; 256]> {
    let table = ttf_parser::cff::Table::parse(program)?;
    let mut names: [Option<Vec<u8>>; 256] = [const { None }; 256];
    for (code, slot) in (0u8..=255).zip(names.iter_mut()) {
        if let Some(glyph) = table.glyph_index(code)
            && glyph.0 != 0
            && let Some(name) = table.glyph_name(glyph)
        {
            *slot = Some(name.as_bytes().to_vec());
        }
    }
    names.iter().any(Option::is_some).then_some(names)
}

/// Applies /Differences: each name sets its code.
fn apply_differences(
    doc: &Document,
    differences: &[Object],
    names: &mut [Option<Vec<u8>>; 256],
) -> Result<(), Unsupported> {
    let mut code: i64 = 0;
    for item in differences {
        match deref(doc, item)? {
            Object::Integer(i) => code = *i,
            Object::Name(glyph) => {
                if let Some(slot) = usize::try_from(code).ok().and_then(|i| names.get_mut(i)) {
                    *slot = Some(glyph.clone());
                }
                code = code.saturating_add(1);
            }
            _ => return Err(Unsupported),
        }
    }
    Ok(())
}

/// /FirstChar, /LastChar and /Widths, which the standard 14 fonts may leave out.
fn listed_widths(
    doc: &Document,
    font: &Dictionary,
) -> Result<Option<[Option<f64>; 256]>, Unsupported> {
    let (Some(first), Some(list)) = (
        entry(doc, font, b"FirstChar")?,
        entry(doc, font, b"Widths")?,
    ) else {
        return Ok(None);
    };
    let (Object::Integer(first), Object::Array(list)) = (first, list) else {
        return Err(Unsupported);
    };
    let mut widths = [None; 256];
    for (i, width) in list.iter().enumerate() {
        let code = i64::try_from(i).ok().and_then(|i| first.checked_add(i));
        if let Some(slot) = code
            .and_then(|c| usize::try_from(c).ok())
            .and_then(|c| widths.get_mut(c))
        {
            *slot = Some(number(deref(doc, width)?)?);
        }
    }
    Ok(Some(widths))
}

fn read_composite(doc: &Document, font: &Dictionary) -> Result<Composite, Unsupported> {
    // Other CMaps (vertical writing, CJK encodings) are not what a French novel uses.
    if name(doc, font, b"Encoding")? != Some(b"Identity-H") {
        return Err(Unsupported);
    }
    let descendant = match entry(doc, font, b"DescendantFonts")? {
        Some(Object::Array(list)) => deref(doc, list.first().ok_or(Unsupported)?)?,
        _ => return Err(Unsupported),
    };
    let descendant = descendant.as_dict().map_err(|_| Unsupported)?;
    let default_width = match entry(doc, descendant, b"DW")? {
        Some(obj) => number(obj)?,
        None => 1000.0,
    };
    let widths = match entry(doc, descendant, b"W")? {
        Some(Object::Array(list)) => cid_widths(doc, list)?,
        None => HashMap::new(),
        Some(_) => return Err(Unsupported),
    };
    let texts = match to_unicode(doc, font)? {
        Some(map) => map,
        None => cid_texts_from_program(doc, descendant).ok_or(Unsupported)?,
    };
    Ok(Composite {
        widths,
        default_width,
        texts,
    })
}

/// /W: `c [w1 w2 …]` gives consecutive CIDs from c; `c_first c_last w` one width to a range.
fn cid_widths(doc: &Document, list: &[Object]) -> Result<HashMap<u16, f64>, Unsupported> {
    // A range can claim all 65,536 CIDs; a book's fonts use a few hundred.
    const MAX_RANGE: i64 = 4096;
    let mut widths = HashMap::new();
    let mut i = 0;
    while i < list.len() {
        let first = deref(doc, &list[i])?.as_i64().map_err(|_| Unsupported)?;
        match list.get(i + 1).map(|o| deref(doc, o)).transpose()? {
            Some(Object::Array(each)) => {
                for (i, w) in each.iter().enumerate() {
                    let cid = i64::try_from(i).ok().and_then(|i| first.checked_add(i));
                    if let Some(Ok(cid)) = cid.map(u16::try_from) {
                        widths.insert(cid, number(deref(doc, w)?)?);
                    }
                }
                i += 2;
            }
            Some(last) => {
                let last = last.as_i64().map_err(|_| Unsupported)?;
                let w = number(deref(doc, list.get(i + 2).ok_or(Unsupported)?)?)?;
                for cid in first..=last.min(first.saturating_add(MAX_RANGE)) {
                    if let Ok(cid) = u16::try_from(cid) {
                        widths.insert(cid, w);
                    }
                }
                i += 3;
            }
            None => break,
        }
    }
    Ok(widths)
}

/// Without a ToUnicode map, a TrueType descendant whose CIDs are its glyph ids can still be
/// read through the program's own character map.
fn cid_texts_from_program(doc: &Document, descendant: &Dictionary) -> Option<ToUnicode> {
    let identity = match descendant.get(b"CIDToGIDMap").ok() {
        None => true,
        Some(obj) => matches!(deref(doc, obj).ok()?, Object::Name(n) if n == b"Identity"),
    };
    let (kind, program) = font_program(doc, descriptor(doc, descendant).ok()?)?;
    if kind != 2 || !identity {
        return None;
    }
    let face = ttf_parser::Face::parse(&program, 0).ok()?;
    let mut texts = ToUnicode::default();
    for subtable in face.tables().cmap?.subtables {
        if !subtable.is_unicode() {
            continue;
        }
        subtable.codepoints(|cp| {
            if let (Some(gid), Some(c)) = (subtable.glyph_index(cp), char::from_u32(cp)) {
                texts
                    .singles
                    .entry(u32::from(gid.0))
                    .or_insert_with(|| c.to_string());
            }
        });
    }
    (!texts.singles.is_empty()).then_some(texts)
}

/// The /ToUnicode CMap as text by code.
fn to_unicode(doc: &Document, font: &Dictionary) -> Result<Option<ToUnicode>, Unsupported> {
    match entry(doc, font, b"ToUnicode")? {
        Some(Object::Stream(stream)) => Ok(parse_cmap(&contents(stream)?)),
        _ => Ok(None),
    }
}

/// A stream's data as lopdf would inflate it, within the ceiling of one stream; past it the
/// page is not ours to read.
fn contents(stream: &Stream) -> Result<Cow<'_, [u8]>, Unsupported> {
    decode(&stream.dict, &stream.content, MAX_STREAM_BYTES).map_err(|_| Unsupported)
}

/// A map that cannot be parsed counts as absent: the encoding may still explain the codes.
fn parse_cmap(cmap: &[u8]) -> Option<ToUnicode> {
    super::cmap::parse_to_unicode(cmap)
}
