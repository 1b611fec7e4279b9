//! Reads the text of a page from its content stream, with the fonts of [`super::fonts`] read
//! once per document.
//!
//! It draws what pdf-extract draws, with the same arithmetic (text space, Tc/Tw/Tz/Ts/TL, TJ
//! offsets), into the same [`OutputDev`], so a page gives the same lines either way; a test
//! holds the two side by side. It also shows text set with `'` and `"`, which pdf-extract
//! skips. Anything else it does not handle, forms and unsupported fonts above all, ends the
//! attempt with [`Unsupported`] before any guess is made, and the caller reads the page with
//! pdf-extract from the start.

use std::rc::Rc;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};
use pdf_extract::{MediaBox, OutputDev, Transform};

use super::extract;
use super::fonts::{Font, FontCache, Unsupported, deref, number};

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
    let content = doc.get_page_content(page_id).map_err(|_| Unsupported)?;
    let content = Content::decode(&content).map_err(|_| Unsupported)?;
    out.begin_page(page_number, &media_box, None)
        .map_err(|_| Unsupported)?;
    Reader {
        doc,
        resources,
        fonts,
        out,
    }
    .run(&content)?;
    out.end_page().map_err(|_| Unsupported)
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

struct Reader<'a, 'o> {
    doc: &'a Document,
    resources: &'a Dictionary,
    fonts: &'o mut FontCache,
    out: &'o mut dyn OutputDev,
}

impl Reader<'_, '_> {
    fn run(&mut self, content: &Content) -> Result<(), Unsupported> {
        let mut gs = GraphicsState {
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
        };
        let mut stack: Vec<GraphicsState> = Vec::new();
        let mut tlm = Transform::identity();
        for op in &content.operations {
            let args = &op.operands;
            let num = |i: usize| args.get(i).ok_or(Unsupported).and_then(number);
            match op.operator.as_str() {
                "BT" | "ET" => {
                    tlm = Transform::identity();
                    gs.ts.tm = tlm;
                }
                "cm" => {
                    let m = matrix(args)?;
                    gs.ctm = gs.ctm.pre_transform(&m);
                }
                "q" => stack.push(gs.clone()),
                "Q" => {
                    if let Some(saved) = stack.pop() {
                        gs = saved;
                    }
                }
                "Tc" => gs.ts.character_spacing = num(0)?,
                "Tw" => gs.ts.word_spacing = num(0)?,
                "Tz" => gs.ts.horizontal_scaling = num(0)? / 100.0,
                "TL" => gs.ts.leading = num(0)?,
                "Ts" => gs.ts.rise = num(0)?,
                "Tf" => {
                    let name = args
                        .first()
                        .and_then(|n| n.as_name().ok())
                        .ok_or(Unsupported)?;
                    let dict = resource(self.doc, self.resources, b"Font", name)?
                        .as_dict()
                        .map_err(|_| Unsupported)?;
                    gs.ts.font = Some(self.fonts.get(self.doc, dict)?);
                    gs.ts.font_size = num(1)?;
                }
                "Tm" => {
                    tlm = matrix(args)?;
                    gs.ts.tm = tlm;
                }
                "Td" | "TD" => {
                    if args.len() != 2 {
                        return Err(Unsupported);
                    }
                    let (tx, ty) = (num(0)?, num(1)?);
                    if op.operator == "TD" {
                        gs.ts.leading = -ty;
                    }
                    tlm = tlm.pre_transform(&Transform::create_translation(tx, ty));
                    gs.ts.tm = tlm;
                }
                "T*" => next_line(&mut gs, &mut tlm),
                "Tj" => self.show(&mut gs, args.first())?,
                "'" => {
                    next_line(&mut gs, &mut tlm);
                    self.show(&mut gs, args.first())?;
                }
                "\"" => {
                    gs.ts.word_spacing = num(0)?;
                    gs.ts.character_spacing = num(1)?;
                    next_line(&mut gs, &mut tlm);
                    self.show(&mut gs, args.get(2))?;
                }
                "TJ" => {
                    let Some(Object::Array(items)) = args.first() else {
                        continue;
                    };
                    for item in items {
                        match item {
                            Object::String(..) => self.show(&mut gs, Some(item))?,
                            Object::Integer(_) | Object::Real(_) => {
                                let ts = &mut gs.ts;
                                let tj = number(item)?;
                                let tx =
                                    ts.horizontal_scaling * ((0.0 - tj / 1000.0) * ts.font_size);
                                ts.tm =
                                    ts.tm.pre_transform(&Transform::create_translation(tx, 0.0));
                            }
                            _ => {}
                        }
                    }
                }
                "Do" => {
                    let name = args
                        .first()
                        .and_then(|n| n.as_name().ok())
                        .ok_or(Unsupported)?;
                    let xobject = resource(self.doc, self.resources, b"XObject", name)?;
                    let is_image = xobject.as_stream().is_ok_and(
                        |s| matches!(s.dict.get(b"Subtype"), Ok(Object::Name(n)) if n == b"Image"),
                    );
                    // Images hold no text; forms are drawn the way only pdf-extract does.
                    if !is_image {
                        return Err(Unsupported);
                    }
                }
                "gs" => {
                    let name = args
                        .first()
                        .and_then(|n| n.as_name().ok())
                        .ok_or(Unsupported)?;
                    let sets_font = resource(self.doc, self.resources, b"ExtGState", name)
                        .ok()
                        .and_then(|s| s.as_dict().ok())
                        .is_some_and(|s| s.has(b"Font"));
                    if sets_font {
                        return Err(Unsupported);
                    }
                }
                // Paths, colours, marked content and the rest draw no text.
                _ => {}
            }
        }
        Ok(())
    }

    /// `Tj`: each code of the string drawn at the text matrix, which then moves past it.
    fn show(&mut self, gs: &mut GraphicsState, text: Option<&Object>) -> Result<(), Unsupported> {
        let Some(Object::String(bytes, _)) = text else {
            return Err(Unsupported);
        };
        let ts = &mut gs.ts;
        let font = ts.font.clone().ok_or(Unsupported)?;
        for &code in bytes {
            let tsm = Transform::row_major(ts.horizontal_scaling, 0.0, 0.0, 1.0, 0.0, ts.rise);
            let trm = tsm.post_transform(&ts.tm.post_transform(&gs.ctm));
            let w0 = font.width(code) / 1000.0;
            let mut spacing = ts.character_spacing;
            if code == 32 {
                spacing += ts.word_spacing;
            }
            let text = font.text(code)?;
            self.out
                .output_character(&trm, w0, spacing, ts.font_size, text)
                .map_err(|_| Unsupported)?;
            let tx = ts.horizontal_scaling * (w0 * ts.font_size + spacing);
            ts.tm = ts.tm.pre_transform(&Transform::create_translation(tx, 0.0));
        }
        Ok(())
    }
}

fn next_line(gs: &mut GraphicsState, tlm: &mut Transform) {
    *tlm = tlm.pre_transform(&Transform::create_translation(0.0, -gs.ts.leading));
    gs.ts.tm = *tlm;
}

fn matrix(args: &[Object]) -> Result<Transform, Unsupported> {
    let [a, b, c, d, e, f] = args else {
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

#[cfg(test)]
mod tests {
    use lopdf::{Stream, dictionary};

    use super::*;
    use crate::pdf::extract::tests::one_page;
    use crate::pdf::extract::{RawPage, extract_page, with_pdf_extract};
    use crate::pdf::glyphs::WINANSI_GLYPHS;
    use crate::testkit::novel;
    use crate::testkit::pdf::{FixtureOptions, FontKind, book_pdf};

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
            for (a, b) in ours.lines.iter().zip(&theirs.lines) {
                assert_eq!(a, b, "page {number}");
            }
            assert_eq!(ours, theirs, "page {number}");
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

    #[test]
    fn base_encodings_and_glyph_names_match_pdf_extract_code_by_code() {
        let mut differences = vec![Object::Integer(32)];
        differences.extend(WINANSI_GLYPHS.iter().map(|g| {
            Object::Name(if g.is_empty() {
                b"fi".to_vec()
            } else {
                g.as_bytes().to_vec()
            })
        }));
        differences.extend([Object::Integer(127), Object::Name(b"fl".to_vec())]);
        let fonts = [
            font(Object::Name(b"WinAnsiEncoding".to_vec())),
            // No /BaseEncoding: PDFDocEncoding underneath.
            font(Object::Dictionary(dictionary! { "Type" => "Encoding" })),
            font(Object::Dictionary(dictionary! {
                "BaseEncoding" => "WinAnsiEncoding",
                "Differences" => differences,
            })),
        ];
        for font in fonts {
            let pages = assert_same_as_pdf_extract(&every_code(font));
            let text: String = pages[0].lines.iter().map(|l| l.text.as_str()).collect();
            assert!(text.contains('é') && text.contains('«'), "{text}");
        }
    }

    #[test]
    fn quote_operators_show_their_text() {
        let content =
            b"BT /F1 10 Tf 12 TL 72 700 Td (Il dit :) Tj (Bonjour.) ' 2 0 (Puis il partit.) \" ET";
        let mut doc = every_code(font(Object::Name(b"WinAnsiEncoding".to_vec())));
        let content_id = doc.add_object(Stream::new(Dictionary::new(), content.to_vec()));
        let (_, page_id) = doc.get_pages().into_iter().next().unwrap();
        doc.get_dictionary_mut(page_id)
            .unwrap()
            .set("Contents", content_id);
        let page = extract_page(&doc, 1).unwrap();
        let texts: Vec<&str> = page.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Il dit :", "Bonjour.", "Puis il partit."]);
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
    fn what_it_does_not_handle_goes_to_pdf_extract_whole() {
        // A form draws part of the text: our reader gives up on the page, and the page read
        // through extract_page is pdf-extract's, form text included.
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
            },
            b"BT /F1 10 Tf 72 600 Td (Dans la forme) Tj ET".to_vec(),
        ));
        let (_, page_id) = doc.get_pages().into_iter().next().unwrap();
        doc.get_dictionary_mut(page_id).unwrap().set(
            "Resources",
            dictionary! {
                "Font" => dictionary! { "F1" => font(Object::Name(b"WinAnsiEncoding".to_vec())) },
                "XObject" => dictionary! { "Fm1" => form },
            },
        );
        let texts = read_by_pdf_extract(&doc, page_id);
        assert!(texts.iter().any(|t| t == "Avant"), "{texts:?}");
        assert!(texts.iter().any(|t| t == "Dans la forme"), "{texts:?}");

        // A composite font among the page's resources: the page goes to pdf-extract before
        // its content is parsed, even where the text uses only fonts this reader reads.
        let type0 = dictionary! { "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "X" };
        doc.get_dictionary_mut(page_id).unwrap().set(
            "Resources",
            dictionary! {
                "Font" => dictionary! {
                    "F1" => font(Object::Name(b"WinAnsiEncoding".to_vec())),
                    "F2" => type0,
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
