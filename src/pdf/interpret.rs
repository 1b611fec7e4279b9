//! Reads the text of a page from its content stream, with the fonts of [`super::fonts`] read
//! once per document.
//!
//! It draws what pdf-extract draws, with the same arithmetic (text space, Tc/Tw/Tz/Ts/TL, TJ
//! offsets), into the same [`OutputDev`], so a page gives the same lines either way; a test
//! holds the two side by side. It also shows text set with `'` and `"`, which pdf-extract
//! skips. Anything else it does not handle, forms and unsupported fonts above all, ends the
//! attempt with [`Unsupported`] before any guess is made, and the caller reads the page with
//! pdf-extract from the start.

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use pdf_extract::{MediaBox, OutputDev, Transform};

use super::cmap::Mapped;
use super::content::{Operand, Ops};
use super::decode::decode;
use super::extract;
use super::fonts::{Font, FontCache, Unsupported, deref, number};
use super::limits::{MAX_FORM_DEPTH, MAX_PAGE_INFLATED, MAX_PAGE_OPERATIONS, MAX_STREAM_BYTES};

#[derive(Clone)]
struct TextState {
    font: Option<Rc<Font>>,
    font_size: f64,
    character_spacing: f64,
    word_spacing: f64,
    horizontal_scaling: f64,
    leading: f64,
    rise: f64,
    tm: Transform,
}

#[derive(Clone)]
struct GraphicsState {
    ts: TextState,
    ctm: Transform,
}

/// Draws page `page_id` (numbered `page_number`) into `out`.
pub(crate) fn read_page(
    doc: &Document,
    page_number: u32,
    page_id: ObjectId,
    fonts: &mut FontCache,
    out: &mut dyn OutputDev,
) -> Result<(), Unsupported> {
    let page = doc.get_dictionary(page_id).map_err(|_| Unsupported)?;
    let empty = Dictionary::new();
    let resources = match inherited(doc, page, b"Resources") {
        Some(obj) => obj.as_dict().map_err(|_| Unsupported)?,
        None => &empty,
    };
    let media_box = media_box(doc, page)?;
    // A page with a font this reader cannot read goes to pdf-extract before its content is
    // parsed, so that such a page costs no more than it did before this reader existed.
    check_fonts(doc, resources, fonts)?;
    let mut reader = Reader {
        doc,
        fonts,
        out,
        operations_left: MAX_PAGE_OPERATIONS,
        inflated: 0,
        forms: HashMap::new(),
        spans: Vec::new(),
    };
    reader.read(page_number, page_id, &media_box, resources)
}

/// A page attribute, looked up the page tree and resolved.
fn inherited<'a>(doc: &'a Document, page: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    deref(doc, extract::inherited(doc, page, key)?).ok()
}

/// Reads (or finds in the cache) every font the page's resources name.
fn check_fonts(
    doc: &Document,
    resources: &Dictionary,
    fonts: &mut FontCache,
) -> Result<(), Unsupported> {
    let Ok(group) = resources.get(b"Font") else {
        return Ok(());
    };
    let group = deref(doc, group)?.as_dict().map_err(|_| Unsupported)?;
    for (_, font) in group.iter() {
        let font = deref(doc, font)?.as_dict().map_err(|_| Unsupported)?;
        fonts.get(doc, font)?;
    }
    Ok(())
}

fn media_box(doc: &Document, page: &Dictionary) -> Result<MediaBox, Unsupported> {
    let corners = inherited(doc, page, b"MediaBox")
        .and_then(|b| b.as_array().ok())
        .ok_or(Unsupported)?;
    let n = |i: usize| corners.get(i).ok_or(Unsupported).and_then(number);
    Ok(MediaBox {
        llx: n(0)?,
        lly: n(1)?,
        urx: n(2)?,
        ury: n(3)?,
    })
}

/// A resource of the page: `/Kind /Name`.
fn resource<'a>(
    doc: &'a Document,
    resources: &'a Dictionary,
    kind: &[u8],
    name: &[u8],
) -> Result<&'a Object, Unsupported> {
    let group = deref(doc, resources.get(kind).map_err(|_| Unsupported)?)?;
    let group = group.as_dict().map_err(|_| Unsupported)?;
    deref(doc, group.get(name).map_err(|_| Unsupported)?)
}

impl GraphicsState {
    fn initial() -> Self {
        GraphicsState {
            ts: TextState {
                font: None,
                font_size: f64::NAN,
                character_spacing: 0.0,
                word_spacing: 0.0,
                horizontal_scaling: 1.0,
                leading: 0.0,
                rise: 0.0,
                tm: Transform::identity(),
            },
            ctm: Transform::identity(),
        }
    }
}

struct Reader<'a, 'o> {
    doc: &'a Document,
    fonts: &'o mut FontCache,
    out: &'o mut dyn OutputDev,
    operations_left: u64,
    /// Bytes of content and forms inflated for this page, each stream once.
    inflated: u64,
    /// Forms already inflated, by their place in the document (borrowed for as long as the
    /// reader lives): a form drawn again costs operators, not another inflation.
    forms: HashMap<*const Stream, Rc<[u8]>>,
    /// Marked-content spans open at this point; each holds its /ActualText, if any, and
    /// whether that text has been drawn yet.
    spans: Vec<Option<(String, bool)>>,
}

impl<'a> Reader<'a, '_> {
    /// The page's content streams, read as one.
    fn read(
        &mut self,
        page_number: u32,
        page_id: ObjectId,
        media_box: &MediaBox,
        resources: &'a Dictionary,
    ) -> Result<(), Unsupported> {
        let mut content = Vec::new();
        for id in self.doc.get_page_contents(page_id) {
            let stream = self
                .doc
                .get_object(id)
                .and_then(Object::as_stream)
                .map_err(|_| Unsupported)?;
            let data = self.inflate(stream)?;
            content.extend_from_slice(&data);
            // Streams may split a page only between tokens.
            content.push(b'\n');
        }
        self.out
            .begin_page(page_number, media_box, None)
            .map_err(|_| Unsupported)?;
        self.run(&content, resources, GraphicsState::initial(), 0)?;
        self.out.end_page().map_err(|_| Unsupported)
    }

    /// A content stream or form inflated within the page's ceiling.
    fn inflate<'s>(&mut self, stream: &'s Stream) -> Result<Cow<'s, [u8]>, Unsupported> {
        let data =
            decode(&stream.dict, &stream.content, MAX_STREAM_BYTES).map_err(|_| Unsupported)?;
        if let Cow::Owned(inflated) = &data {
            self.inflated = self.inflated.saturating_add(inflated.len() as u64);
            if self.inflated > MAX_PAGE_INFLATED {
                return Err(Unsupported);
            }
        }
        Ok(data)
    }

    fn run(
        &mut self,
        content: &[u8],
        resources: &'a Dictionary,
        mut gs: GraphicsState,
        depth: usize,
    ) -> Result<(), Unsupported> {
        let mut stack: Vec<GraphicsState> = Vec::new();
        let mut tlm = Transform::identity();
        let mut ops = Ops::new(content);
        while let Some(op) = ops.next_op() {
            self.operations_left = self.operations_left.checked_sub(1).ok_or(Unsupported)?;
            let num = |i: usize| ops.number(i).ok_or(Unsupported);
            match op {
                b"BT" | b"ET" => {
                    tlm = Transform::identity();
                    gs.ts.tm = tlm;
                }
                b"cm" => {
                    let m = matrix(&ops)?;
                    gs.ctm = gs.ctm.pre_transform(&m);
                }
                b"q" => stack.push(gs.clone()),
                b"Q" => {
                    if let Some(saved) = stack.pop() {
                        gs = saved;
                    }
                }
                b"Tc" => gs.ts.character_spacing = num(0)?,
                b"Tw" => gs.ts.word_spacing = num(0)?,
                b"Tz" => gs.ts.horizontal_scaling = num(0)? / 100.0,
                b"TL" => gs.ts.leading = num(0)?,
                b"Ts" => gs.ts.rise = num(0)?,
                b"Tf" => {
                    let name = ops.first_name().ok_or(Unsupported)?;
                    let dict = resource(self.doc, resources, b"Font", name)?
                        .as_dict()
                        .map_err(|_| Unsupported)?;
                    gs.ts.font = Some(self.fonts.get(self.doc, dict)?);
                    gs.ts.font_size = num(1)?;
                }
                b"Tm" => {
                    tlm = matrix(&ops)?;
                    gs.ts.tm = tlm;
                }
                b"Td" | b"TD" => {
                    if ops.operands.len() != 2 {
                        return Err(Unsupported);
                    }
                    let (tx, ty) = (num(0)?, num(1)?);
                    if op == b"TD" {
                        gs.ts.leading = -ty;
                    }
                    tlm = tlm.pre_transform(&Transform::create_translation(tx, ty));
                    gs.ts.tm = tlm;
                }
                b"T*" => next_line(&mut gs, &mut tlm),
                b"Tj" => self.show(&mut gs, string_at(&ops, 0)?)?,
                b"'" => {
                    next_line(&mut gs, &mut tlm);
                    self.show(&mut gs, string_at(&ops, 0)?)?;
                }
                b"\"" => {
                    gs.ts.word_spacing = num(0)?;
                    gs.ts.character_spacing = num(1)?;
                    next_line(&mut gs, &mut tlm);
                    self.show(&mut gs, string_at(&ops, 2)?)?;
                }
                b"TJ" => {
                    for item in &ops.operands {
                        match item {
                            Operand::Str(range) => self.show(&mut gs, ops.slice(range))?,
                            Operand::Number(tj) => {
                                let ts = &mut gs.ts;
                                let tx =
                                    ts.horizontal_scaling * ((0.0 - tj / 1000.0) * ts.font_size);
                                ts.tm =
                                    ts.tm.pre_transform(&Transform::create_translation(tx, 0.0));
                            }
                            _ => {}
                        }
                    }
                }
                b"Do" => {
                    let name = ops.first_name().ok_or(Unsupported)?;
                    let xobject = resource(self.doc, resources, b"XObject", name)?;
                    self.draw_xobject(xobject, resources, &gs, depth)?;
                }
                // Chromium draws a soft hyphen as a space glyph whose /ActualText says U+00AD;
                // tagged PDFs spell out ligatures and expansions the same way.
                b"BMC" => self.spans.push(None),
                b"BDC" => {
                    let actual = self.actual_text(&ops, resources);
                    self.spans.push(actual.map(|text| (text, false)));
                }
                b"EMC" => {
                    self.spans.pop();
                }
                b"gs" => {
                    let name = ops.first_name().ok_or(Unsupported)?;
                    let sets_font = resource(self.doc, resources, b"ExtGState", name)
                        .ok()
                        .and_then(|s| s.as_dict().ok())
                        .is_some_and(|s| s.has(b"Font"));
                    if sets_font {
                        return Err(Unsupported);
                    }
                }
                // Paths, colours and the rest draw no text.
                _ => {}
            }
        }
        Ok(())
    }

    /// The /ActualText of a `BDC`'s properties: written inline, or named in the resources.
    fn actual_text(&self, ops: &Ops<'_>, resources: &Dictionary) -> Option<String> {
        match ops.operands.get(1)? {
            Operand::Name(name) => {
                let props = resource(self.doc, resources, b"Properties", ops.slice(name)).ok()?;
                match deref(self.doc, props.as_dict().ok()?.get(b"ActualText").ok()?).ok()? {
                    Object::String(bytes, _) => Some(text_string(bytes)),
                    _ => None,
                }
            }
            Operand::DictStart => ops.operands.windows(2).find_map(|pair| match pair {
                [Operand::Name(key), Operand::Str(text)] if ops.slice(key) == b"ActualText" => {
                    Some(text_string(ops.slice(text)))
                }
                _ => None,
            }),
            _ => None,
        }
    }

    /// `Do`: images hold no text; a form's content is drawn with its own matrix and resources
    /// (or the caller's), in a copy of the current state.
    fn draw_xobject(
        &mut self,
        xobject: &'a Object,
        resources: &'a Dictionary,
        gs: &GraphicsState,
        depth: usize,
    ) -> Result<(), Unsupported> {
        let stream = xobject.as_stream().map_err(|_| Unsupported)?;
        match stream.dict.get(b"Subtype") {
            Ok(Object::Name(n)) if n == b"Image" => return Ok(()),
            Ok(Object::Name(n)) if n == b"Form" => {}
            _ => return Err(Unsupported),
        }
        if depth >= MAX_FORM_DEPTH {
            return Err(Unsupported);
        }
        let own = match stream.dict.get(b"Resources") {
            Ok(obj) => deref(self.doc, obj)?.as_dict().map_err(|_| Unsupported)?,
            Err(_) => resources,
        };
        let mut inner = gs.clone();
        if let Ok(m) = stream.dict.get(b"Matrix").and_then(Object::as_array) {
            inner.ctm = inner.ctm.pre_transform(&form_matrix(m)?);
        }
        let key = std::ptr::from_ref(stream);
        let bytes = match self.forms.get(&key) {
            Some(bytes) => Rc::clone(bytes),
            None => {
                let bytes: Rc<[u8]> = Rc::from(self.inflate(stream)?);
                self.forms.insert(key, Rc::clone(&bytes));
                bytes
            }
        };
        self.run(&bytes, own, inner, depth + 1)
    }

    /// `Tj`: each code of the string drawn at the text matrix, which then moves past it.
    fn show(&mut self, gs: &mut GraphicsState, bytes: &[u8]) -> Result<(), Unsupported> {
        let ts = &mut gs.ts;
        let font = ts.font.clone().ok_or(Unsupported)?;
        // Inside an /ActualText span the first glyph stands for the whole text, the rest for
        // nothing.
        let mut actual = self.spans.iter_mut().rev().find_map(Option::as_mut);
        for glyph in font.glyphs(bytes) {
            let mut buf = [0u8; 4];
            let text = match actual.as_deref_mut() {
                Some((text, drawn)) => {
                    let first = !*drawn;
                    *drawn = true;
                    if first { text.as_str() } else { "" }
                }
                None => match glyph.text {
                    Some(Mapped::Text(text)) => text,
                    Some(Mapped::Char(c)) => c.encode_utf8(&mut buf),
                    None => "",
                },
            };
            let tsm = Transform::row_major(ts.horizontal_scaling, 0.0, 0.0, 1.0, 0.0, ts.rise);
            let trm = tsm.post_transform(&ts.tm.post_transform(&gs.ctm));
            let w0 = glyph.width / 1000.0;
            let mut spacing = ts.character_spacing;
            if glyph.word_space {
                spacing += ts.word_spacing;
            }
            self.out
                .output_character(&trm, w0, spacing, ts.font_size, text)
                .map_err(|_| Unsupported)?;
            let tx = ts.horizontal_scaling * (w0 * ts.font_size + spacing);
            ts.tm = ts.tm.pre_transform(&Transform::create_translation(tx, 0.0));
        }
        Ok(())
    }
}

/// A PDF text string: UTF-16BE after a byte-order mark, else PDFDocEncoding, which agrees
/// with Latin-1 on the characters a text span spells out.
fn text_string(bytes: &[u8]) -> String {
    match bytes {
        [0xFE, 0xFF, rest @ ..] => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

fn next_line(gs: &mut GraphicsState, tlm: &mut Transform) {
    *tlm = tlm.pre_transform(&Transform::create_translation(0.0, -gs.ts.leading));
    gs.ts.tm = *tlm;
}

/// The six numbers of `cm` or `Tm`.
fn matrix(ops: &Ops<'_>) -> Result<Transform, Unsupported> {
    if ops.operands.len() != 6 {
        return Err(Unsupported);
    }
    let n = |i: usize| ops.number(i).ok_or(Unsupported);
    Ok(Transform::row_major(
        n(0)?,
        n(1)?,
        n(2)?,
        n(3)?,
        n(4)?,
        n(5)?,
    ))
}

/// A form's /Matrix.
fn form_matrix(items: &[Object]) -> Result<Transform, Unsupported> {
    let [a, b, c, d, e, f] = items else {
        return Err(Unsupported);
    };
    Ok(Transform::row_major(
        number(a)?,
        number(b)?,
        number(c)?,
        number(d)?,
        number(e)?,
        number(f)?,
    ))
}

/// The string operand at `i`.
fn string_at<'o>(ops: &'o Ops<'_>, i: usize) -> Result<&'o [u8], Unsupported> {
    match ops.operands.get(i) {
        Some(Operand::Str(range)) => Ok(ops.slice(range)),
        _ => Err(Unsupported),
    }
}

#[cfg(test)]
mod tests {
    use lopdf::{Stream, dictionary};

    use super::*;
    use crate::pdf::extract::tests::one_page;
    use crate::pdf::extract::{RawPage, extract_page, with_pdf_extract};
    use fnt_testkit::novel;
    use fnt_testkit::pdf::{FixtureOptions, FontKind, book_pdf};

    /// Every page read by both readers; they must agree exactly, geometry included.
    fn assert_same_as_pdf_extract(doc: &Document) -> Vec<RawPage> {
        let mut fonts = FontCache::default();
        let mut pages = Vec::new();
        for (number, id) in doc.get_pages() {
            let ours = {
                let mut collector = crate::pdf::extract::LineCollector::default();
                read_page(doc, number, id, &mut fonts, &mut collector)
                    .unwrap_or_else(|_| panic!("page {number} not read by our reader"));
                collector.into_page(number)
            };
            let theirs = with_pdf_extract(doc, number, id).unwrap();
            assert!(theirs.fallback && !ours.fallback);
            assert_eq!(ours.lines.len(), theirs.lines.len(), "page {number}");
            // lopdf reads numbers as f32 and our content reader as f64: the geometry agrees
            // to far below a point.
            let near = |a: f32, b: f32| (a - b).abs() < 0.01;
            for (a, b) in ours.lines.iter().zip(&theirs.lines) {
                assert_eq!(a.text, b.text, "page {number}");
                assert!(
                    near(a.x0, b.x0) && near(a.x1, b.x1) && near(a.y, b.y) && near(a.size, b.size),
                    "page {number}: {a:?} vs {b:?}"
                );
            }
            assert_eq!((ours.width, ours.height), (theirs.width, theirs.height));
            pages.push(ours);
        }
        pages
    }

    #[test]
    fn fixture_books_read_exactly_as_pdf_extract_reads_them() {
        for font in [FontKind::ToUnicode, FontKind::NoToUnicode] {
            let options = FixtureOptions {
                font,
                ..FixtureOptions::default()
            };
            let fixture = book_pdf(&novel::novel(24), &options);
            let doc = Document::load_mem(&fixture.pdf).unwrap();
            let pages = assert_same_as_pdf_extract(&doc);
            assert_eq!(pages.len(), 24);
            assert!(pages.iter().all(|p| !p.lines.is_empty()), "{font:?}");
        }
    }

    /// A page drawing every code from 32 to 255 on a line of its own with `font`.
    fn every_code(font: Dictionary) -> Document {
        let mut content = String::from("BT /F1 10 Tf 12 TL 20 820 Td ");
        for code in 32..=255u8 {
            content.push_str(&format!("(\\{code:03o}) ' "));
            if code % 60 == 0 {
                content.push_str("ET BT /F1 10 Tf 12 TL 200 820 Td ");
            }
        }
        // pdf-extract does not show text set with ', so each line is also set with Tj.
        let content = content.replace("' ", "Tj T* ");
        one_page(
            content.as_bytes(),
            dictionary! { "Font" => dictionary! { "F1" => font } },
            [0, 0, 595, 3000],
        )
    }

    fn font(encoding: Object) -> Dictionary {
        dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
            "FirstChar" => 32,
            "LastChar" => 255,
            "Widths" => (32..=255).map(|c| Object::Integer(400 + c)).collect::<Vec<_>>(),
            "Encoding" => encoding,
        }
    }

    /// The text of `codes` drawn one line each with `font`, read by our reader alone.
    fn read_codes(font: Dictionary, codes: &[u8]) -> Vec<String> {
        let mut content = String::from("BT /F1 10 Tf 12 TL 20 820 Td ");
        for code in codes {
            content.push_str(&format!("(\\{code:03o}) Tj T* "));
        }
        content.push_str("ET");
        let doc = one_page(
            content.as_bytes(),
            dictionary! { "Font" => dictionary! { "F1" => font } },
            [0, 0, 595, 842],
        );
        let (number, id) = doc.get_pages().into_iter().next().unwrap();
        let mut collector = crate::pdf::extract::LineCollector::default();
        read_page(&doc, number, id, &mut FontCache::default(), &mut collector).unwrap();
        collector
            .into_page(number)
            .lines
            .into_iter()
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn base_encodings_differences_and_glyph_names_give_the_right_characters() {
        // é « œ in each encoding, then the same codes renamed by /Differences.
        let win = font(Object::Name(b"WinAnsiEncoding".to_vec()));
        assert_eq!(read_codes(win, &[0xE9, 0xAB, 0x9C]), ["é", "«", "œ"]);
        let mac = font(Object::Name(b"MacRomanEncoding".to_vec()));
        assert_eq!(read_codes(mac, &[0x8E, 0xC7, 0xCF]), ["é", "«", "œ"]);
        let standard = font(Object::Name(b"StandardEncoding".to_vec()));
        assert_eq!(read_codes(standard, &[0xAB, 0xFA, 0xAE]), ["«", "œ", "ﬁ"]);
        // TeX-style names: ligatures, uniXXXX, an underscore ligature, a small-cap variant.
        let differences = vec![
            Object::Integer(40),
            Object::Name(b"ffi".to_vec()),
            Object::Name(b"uni00E9".to_vec()),
            Object::Name(b"f_f".to_vec()),
            Object::Name(b"a.sc".to_vec()),
            Object::Name(b"guillemotright".to_vec()),
            Object::Name(b"g123".to_vec()),
        ];
        let tex = font(Object::Dictionary(dictionary! {
            "Type" => "Encoding",
            "BaseEncoding" => "WinAnsiEncoding",
            "Differences" => differences,
        }));
        // An unknown name draws nothing but keeps its room: the line holds only "x".
        assert_eq!(
            read_codes(tex, &[40, 41, 42, 43, 44, 45, b'x']),
            ["ﬃ", "é", "ff", "a", "»", "x"]
        );
    }

    #[test]
    fn standard_fonts_without_widths_take_them_from_the_metrics() {
        // ReportLab names Times-Roman without /Widths; words set with Tj and spaces.
        let times = dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Times-Roman",
            "Encoding" => "WinAnsiEncoding",
        };
        let content = b"BT /F1 12 Tf 72 700 Td (Il vint.) Tj ( Puis) Tj ET";
        let doc = one_page(
            content,
            dictionary! { "Font" => dictionary! { "F1" => times } },
            [0, 0, 595, 842],
        );
        let page = extract_page(&doc, 1).unwrap();
        assert_eq!(page.lines.len(), 1);
        assert_eq!(page.lines[0].text, "Il vint. Puis");
        // I 333 + l 278 + space 250 + v 500 + i 278 + n 500 + t 278 + . 250, and so on.
        let width: f64 = [
            333, 278, 250, 500, 278, 500, 278, 250, 250, 556, 500, 278, 389,
        ]
        .iter()
        .map(|w| f64::from(*w) * 12.0 / 1000.0)
        .sum();
        assert!((f64::from(page.lines[0].x1) - (72.0 + width)).abs() < 0.01);
    }

    #[test]
    fn composite_identity_h_fonts_read_through_to_unicode_and_cid_widths() {
        let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap \
            1 begincodespacerange <0000> <FFFF> endcodespacerange \
            3 beginbfchar <0003> <00E9> <0004> <0074> <0005> <0020> endbfchar \
            1 beginbfrange <0010> <0011> <0049> endbfrange \
            endcmap end end";
        let mut doc = one_page(b"", Dictionary::new(), [0, 0, 595, 842]);
        let to_unicode = doc.add_object(Stream::new(Dictionary::new(), cmap.to_vec()));
        let descendant = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "ABCDEF+Liberation",
            "CIDSystemInfo" => dictionary! { "Registry" => Object::string_literal("Adobe"),
                "Ordering" => Object::string_literal("Identity"), "Supplement" => 0 },
            "DW" => 500,
            "W" => vec![3.into(), vec![444.into(), 278.into(), 250.into()].into(),
                        16.into(), 17.into(), 600.into()],
        });
        let type0 = dictionary! {
            "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "ABCDEF+Liberation",
            "Encoding" => "Identity-H", "DescendantFonts" => vec![descendant.into()],
            "ToUnicode" => to_unicode,
        };
        // "été Il": é t é, space, I l; Tw must not widen a two-byte space.
        let content = b"BT /F1 10 Tf 5 Tw 72 700 Td <0003000400030005> Tj <00100011> Tj ET";
        let content_id = doc.add_object(Stream::new(Dictionary::new(), content.to_vec()));
        let (_, page_id) = doc.get_pages().into_iter().next().unwrap();
        let page = doc.get_dictionary_mut(page_id).unwrap();
        page.set("Contents", content_id);
        page.set(
            "Resources",
            dictionary! { "Font" => dictionary! { "F1" => type0 } },
        );
        let mut collector = crate::pdf::extract::LineCollector::default();
        read_page(&doc, 1, page_id, &mut FontCache::default(), &mut collector).unwrap();
        let page = collector.into_page(1);
        assert_eq!(page.lines.len(), 1);
        assert_eq!(page.lines[0].text, "été IJ");
        let advance = (444 + 278 + 444 + 250 + 600 + 600) as f32 * 10.0 / 1000.0;
        assert!((page.lines[0].x1 - (72.0 + advance)).abs() < 0.01);
    }

    #[test]
    fn word_gaps_come_from_where_glyphs_stand() {
        // Ghostscript's way: character spacing (Tc) makes the word spaces and TJ takes it
        // back inside words ("à la g"), and slight letter spacing (0.03 em) keeps a word whole.
        // A negative Tw narrowing the spaces of a tight line still leaves them spaces.
        let content = b"BT /F1 10 Tf 3.7 Tc 72 700 Td [(\\340l) 370 (ag)] TJ ET \
            BT /F1 10 Tf 0.3 Tc 72 680 Td (envoyaient) Tj ET \
            BT /F1 10 Tf -1.5 Tw 72 660 Td (sav ez-vous) Tj ET";
        assert_eq!(
            winansi_lines(content),
            ["à la g", "envoyaient", "sav ez-vous"]
        );
    }

    #[test]
    fn quote_operators_show_their_text() {
        let content =
            b"BT /F1 10 Tf 12 TL 72 700 Td (Il dit :) Tj (Bonjour.) ' 2 0 (Puis il partit.) \" ET";
        assert_eq!(
            winansi_lines(content),
            ["Il dit :", "Bonjour.", "Puis il partit."]
        );
    }

    /// The lines `content` draws with a WinAnsi Helvetica as /F1, as `extract_page` reads them.
    fn winansi_lines(content: &[u8]) -> Vec<String> {
        let mut doc = every_code(font(Object::Name(b"WinAnsiEncoding".to_vec())));
        let content_id = doc.add_object(Stream::new(Dictionary::new(), content.to_vec()));
        let (_, page_id) = doc.get_pages().into_iter().next().unwrap();
        doc.get_dictionary_mut(page_id)
            .unwrap()
            .set("Contents", content_id);
        let page = extract_page(&doc, 1).unwrap();
        page.lines.into_iter().map(|l| l.text).collect()
    }

    /// Checks that our reader turns the page down, and returns its lines as extract_page
    /// reads them.
    fn read_by_pdf_extract(doc: &Document, page_id: ObjectId) -> Vec<String> {
        let mut collector = crate::pdf::extract::LineCollector::default();
        assert_eq!(
            read_page(doc, 1, page_id, &mut FontCache::default(), &mut collector),
            Err(Unsupported)
        );
        let page = extract_page(doc, 1).unwrap();
        page.lines.into_iter().map(|l| l.text).collect()
    }

    #[test]
    fn forms_are_drawn_and_what_it_does_not_handle_goes_to_pdf_extract_whole() {
        // A form draws part of the text, moved by its matrix: our reader draws it.
        let mut doc = one_page(
            b"BT /F1 10 Tf 72 700 Td (Avant) Tj ET /Fm1 Do",
            Dictionary::new(),
            [0, 0, 595, 842],
        );
        let form = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                "Matrix" => vec![1.into(), 0.into(), 0.into(), 1.into(), 0.into(), (-100).into()],
            },
            b"BT /F1 10 Tf 72 700 Td (Dans la forme) Tj ET".to_vec(),
        ));
        let (_, page_id) = doc.get_pages().into_iter().next().unwrap();
        doc.get_dictionary_mut(page_id).unwrap().set(
            "Resources",
            dictionary! {
                "Font" => dictionary! { "F1" => font(Object::Name(b"WinAnsiEncoding".to_vec())) },
                "XObject" => dictionary! { "Fm1" => form },
            },
        );
        let mut collector = crate::pdf::extract::LineCollector::default();
        read_page(&doc, 1, page_id, &mut FontCache::default(), &mut collector).unwrap();
        let page = collector.into_page(1);
        let lines: Vec<(&str, f32)> = page.lines.iter().map(|l| (l.text.as_str(), l.y)).collect();
        assert_eq!(lines, [("Avant", 142.0), ("Dans la forme", 242.0)]);

        // A Type3 font among the page's resources: the page goes to pdf-extract before its
        // content is parsed, even where the text uses only fonts this reader reads.
        let type3 = dictionary! { "Type" => "Font", "Subtype" => "Type3", "BaseFont" => "X" };
        doc.get_dictionary_mut(page_id).unwrap().set(
            "Resources",
            dictionary! {
                "Font" => dictionary! {
                    "F1" => font(Object::Name(b"WinAnsiEncoding".to_vec())),
                    "F2" => type3,
                },
            },
        );
        let content = doc.add_object(Stream::new(
            Dictionary::new(),
            b"BT /F1 10 Tf 72 700 Td (Avant) Tj ET".to_vec(),
        ));
        doc.get_dictionary_mut(page_id)
            .unwrap()
            .set("Contents", content);
        let texts = read_by_pdf_extract(&doc, page_id);
        assert_eq!(texts, ["Avant"]);
    }
}
