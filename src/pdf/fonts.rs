//! Simple fonts (Type1, TrueType) read once per document for the text reader in
//! [`super::interpret`].
//!
//! pdf-extract builds every font again on every page, parsing its ToUnicode CMap and encoding
//! each time; for a book that is most of the extraction time. These are the same rules, read
//! once and shared by every page that uses the font. A font these rules do not cover (composite
//! and Type3 fonts, embedded Type1C programs, widths taken from the standard 14 metrics, glyph
//! names outside [`super::glyphs`]) is [`Unsupported`], and the page goes to pdf-extract.

use std::collections::HashMap;
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object, Stream};

use super::glyphs::{glyph_char, pdf_doc, win_ansi};

/// The text reader does not handle something on this page; pdf-extract reads it instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unsupported;

pub(crate) struct Font {
    /// Glyph widths in thousandths of an em, by code.
    widths: [Option<f64>; 256],
    missing_width: f64,
    /// The text each code stands for, worked out once; `None` where pdf-extract would fail.
    texts: [Option<String>; 256],
}

impl Font {
    /// Width of `code` in thousandths of an em.
    pub(crate) fn width(&self, code: u8) -> f64 {
        self.widths[usize::from(code)].unwrap_or(self.missing_width)
    }

    /// The text `code` stands for.
    pub(crate) fn text(&self, code: u8) -> Result<&str, Unsupported> {
        self.texts[usize::from(code)].as_deref().ok_or(Unsupported)
    }
}

/// What pdf-extract gives for `code`: the ToUnicode entry, else the encoding's character (the
/// encoding, or PDFDocEncoding when there is neither a map nor an encoding).
fn code_text(
    code: u8,
    unicode: Option<&HashMap<u32, String>>,
    encoding: Option<&[u16; 256]>,
    pdf_doc: &[u16; 256],
) -> Option<String> {
    if let Some(unicode) = unicode {
        if let Some(text) = unicode.get(&u32::from(code)) {
            return Some(text.clone());
        }
        // pdf-extract falls back to the encoding, and gives up when there is none.
        encoding?;
    }
    let table = encoding.unwrap_or(pdf_doc);
    String::from_utf16(&[table[usize::from(code)]]).ok()
}

/// The fonts of one document, each read the first time a page selects it.
#[derive(Default)]
pub(crate) struct FontCache {
    fonts: HashMap<*const Dictionary, Result<Rc<Font>, Unsupported>>,
}

impl FontCache {
    /// The font `dict` describes. The key is the dictionary's address in the document, which
    /// is borrowed for as long as the cache is used.
    pub(crate) fn get(
        &mut self,
        doc: &Document,
        dict: &Dictionary,
    ) -> Result<Rc<Font>, Unsupported> {
        self.fonts
            .entry(std::ptr::from_ref(dict))
            .or_insert_with(|| read_simple_font(doc, dict).map(Rc::new))
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

fn read_simple_font(doc: &Document, font: &Dictionary) -> Result<Font, Unsupported> {
    let subtype = name(doc, font, b"Subtype")?.ok_or(Unsupported)?;
    let true_type = match subtype {
        b"Type1" | b"MMType1" => false,
        b"TrueType" => true,
        _ => return Err(Unsupported),
    };
    if let Some(descriptor) = entry(doc, font, b"FontDescriptor")? {
        let descriptor = descriptor.as_dict().map_err(|_| Unsupported)?;
        // An embedded CFF program gives pdf-extract its own code-to-name table.
        if entry(doc, descriptor, b"FontFile3")?.is_some() {
            return Err(Unsupported);
        }
    }
    let encoding_obj = entry(doc, font, b"Encoding")?;
    let mut unicode = to_unicode(doc, font)?;
    let encoding = match encoding_obj {
        Some(Object::Name(base)) => Some(base_encoding(base)?),
        Some(Object::Dictionary(dict)) => {
            let mut table = match name(doc, dict, b"BaseEncoding")? {
                Some(base) => base_encoding(base)?,
                None => pdf_doc(),
            };
            if let Some(differences) = entry(doc, dict, b"Differences")? {
                let differences = differences.as_array().map_err(|_| Unsupported)?;
                apply_differences(doc, differences, &mut table, unicode.as_mut())?;
            }
            Some(table)
        }
        None if entry(doc, font, b"FontDescriptor")?
            .and_then(|d| d.as_dict().ok())
            .is_some_and(|d| d.has(b"FontFile") && !true_type) =>
        {
            // The encoding is the one built into the embedded Type1 program.
            return Err(Unsupported);
        }
        None if true_type => Some(win_ansi()),
        None => None,
        Some(_) => return Err(Unsupported),
    };
    let widths = widths(doc, font)?;
    let missing_width = match entry(doc, font, b"MissingWidth")? {
        Some(obj) => number(obj)?,
        None => 0.0,
    };
    let pdf_doc = pdf_doc();
    let texts = std::array::from_fn(|code| {
        let code = u8::try_from(code).unwrap_or_default();
        code_text(code, unicode.as_ref(), encoding.as_ref(), &pdf_doc)
    });
    Ok(Font {
        widths,
        missing_width,
        texts,
    })
}

fn base_encoding(name: &[u8]) -> Result<[u16; 256], Unsupported> {
    match name {
        b"WinAnsiEncoding" => Ok(win_ansi()),
        _ => Err(Unsupported),
    }
}

/// Applies /Differences: each name sets its code in the table and, where the ToUnicode map
/// says nothing about the code, there too.
fn apply_differences(
    doc: &Document,
    differences: &[Object],
    table: &mut [u16; 256],
    mut unicode: Option<&mut HashMap<u32, String>>,
) -> Result<(), Unsupported> {
    let mut code: i64 = 0;
    for item in differences {
        match deref(doc, item)? {
            Object::Integer(i) => code = *i,
            Object::Name(glyph) => {
                let c = glyph_char(glyph).ok_or(Unsupported)?;
                let slot = usize::try_from(code)
                    .ok()
                    .and_then(|i| table.get_mut(i))
                    .ok_or(Unsupported)?;
                *slot = u16::try_from(u32::from(c)).map_err(|_| Unsupported)?;
                if let Some(unicode) = unicode.as_deref_mut() {
                    let key = u32::try_from(code).map_err(|_| Unsupported)?;
                    unicode.entry(key).or_insert_with(|| c.to_string());
                }
                code += 1;
            }
            _ => return Err(Unsupported),
        }
    }
    Ok(())
}

/// /FirstChar, /LastChar and /Widths, which the standard 14 fonts may leave out (their widths
/// then come from metrics pdf-extract has built in).
fn widths(doc: &Document, font: &Dictionary) -> Result<[Option<f64>; 256], Unsupported> {
    let first = entry(doc, font, b"FirstChar")?;
    let last = entry(doc, font, b"LastChar")?;
    let list = entry(doc, font, b"Widths")?;
    let (Some(Object::Integer(first)), Some(Object::Integer(last)), Some(Object::Array(list))) =
        (first, last, list)
    else {
        return Err(Unsupported);
    };
    if *first < 0 || *first + list.len() as i64 - 1 != *last {
        return Err(Unsupported);
    }
    let mut widths = [None; 256];
    for (code, width) in (*first..).zip(list) {
        if let Some(slot) = usize::try_from(code).ok().and_then(|i| widths.get_mut(i)) {
            *slot = Some(number(width)?);
        }
    }
    Ok(widths)
}

/// The /ToUnicode CMap as text by code.
fn to_unicode(
    doc: &Document,
    font: &Dictionary,
) -> Result<Option<HashMap<u32, String>>, Unsupported> {
    match entry(doc, font, b"ToUnicode")? {
        None => Ok(None),
        Some(Object::Name(name)) if name == b"Identity-H" => Ok(None),
        Some(Object::Stream(stream)) => parse_cmap(&contents(stream)).map(Some),
        Some(_) => Err(Unsupported),
    }
}

fn contents(stream: &Stream) -> Vec<u8> {
    stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone())
}

fn parse_cmap(cmap: &[u8]) -> Result<HashMap<u32, String>, Unsupported> {
    let map = adobe_cmap_parser::get_unicode_map(cmap).map_err(|_| Unsupported)?;
    let mut unicode = HashMap::with_capacity(map.len());
    for (code, bytes) in map {
        if bytes.len() % 2 != 0 {
            return Err(Unsupported);
        }
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect();
        // A lone surrogate says nothing; pdf-extract skips it too.
        if let [0xD800..=0xDFFF] = units[..] {
            continue;
        }
        unicode.insert(code, String::from_utf16(&units).map_err(|_| Unsupported)?);
    }
    Ok(unicode)
}
