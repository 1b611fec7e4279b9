//! Per-page text extraction that keeps the layout geometry the clean-up needs.
//!
//! pdf-extract decodes fonts (ToUnicode maps, /Differences, built-in encodings) well, but its
//! `PlainTextOutput` flattens every page into one string and throws away where each line sits.
//! Paragraphs, indents, running headers and page numbers can only be told apart by position,
//! so this module plugs its own [`OutputDev`] into pdf-extract and collects lines with their
//! baseline, horizontal extent and font size.
//!
//! pdf-extract (and lopdf below it) still `unwrap`s and `panic!`s on some malformed input.
//! Nothing here adds a panic, but a caller handling untrusted PDFs must run these functions
//! under `std::panic::catch_unwind`.

use std::collections::HashSet;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

use super::PdfError;
use super::fonts::FontCache;
use super::interpret;

/// One visual line of text as drawn on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct RawLine {
    pub text: String,
    /// Left edge of the first non-blank glyph, in points from the left of the page.
    pub x0: f32,
    /// Right edge of the last non-blank glyph, in points from the left of the page.
    pub x1: f32,
    /// Baseline, in points from the TOP of the page (so it grows down the page).
    pub y: f32,
    /// Largest font size on the line, in points, after the text and graphics matrices.
    pub size: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawPage {
    /// 1-based page number.
    pub number: u32,
    pub width: f32,
    pub height: f32,
    /// Lines in the order the content stream draws them.
    pub lines: Vec<RawLine>,
    /// Read by pdf-extract because our reader does not handle something on the page.
    pub fallback: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// lopdf could not decrypt the document with an empty password, so every string and
    /// stream in it is still ciphertext.
    #[error("the document is encrypted")]
    Encrypted,
    #[error("page {page} does not exist (the document has {page_count} pages)")]
    NoSuchPage { page: u32, page_count: usize },
    /// pdf-extract reported an error (bad object, unreadable content stream…) for this page.
    #[error("page {page} cannot be read: {message}")]
    Page { page: u32, message: String },
    /// Reading the page, or the book so far, passed a limit of [`super::limits`], or the
    /// page's forms draw themselves: it is not read.
    #[error("{0}")]
    Refused(PdfError),
}

impl From<ExtractError> for PdfError {
    fn from(e: ExtractError) -> Self {
        match e {
            ExtractError::Refused(e) => e,
            other => PdfError::Malformed {
                detail: other.to_string(),
            },
        }
    }
}

/// Extracts the lines of one page (1-based `page_number`).
///
/// May panic inside pdf-extract on malformed PDFs: see the module documentation.
pub fn extract_page(doc: &Document, page_number: u32) -> Result<RawPage, ExtractError> {
    extract_some_pages(doc, std::iter::once(page_number))
        .next()
        .unwrap_or(Err(ExtractError::NoSuchPage {
            page: page_number,
            page_count: 0,
        }))
}

/// Extracts some pages (1-based numbers), reading each font once for all of them.
///
/// May panic inside pdf-extract on malformed PDFs: see the module documentation.
pub(crate) fn extract_some_pages(
    doc: &Document,
    numbers: impl Iterator<Item = u32>,
) -> impl Iterator<Item = Result<RawPage, ExtractError>> {
    let pages = doc.get_pages();
    let mut reader = PageReader::new(doc);
    let encrypted = check_not_encrypted(doc);
    numbers.map(move |number| {
        encrypted.as_ref().map_err(|_| ExtractError::Encrypted)?;
        let id = *pages.get(&number).ok_or(ExtractError::NoSuchPage {
            page: number,
            page_count: pages.len(),
        })?;
        reader.read(number, id)
    })
}

/// Pages below which one thread does it all: starting threads would cost more than it saves.
const PAGES_PER_THREAD: usize = 16;
const MAX_THREADS: usize = 4;

/// Extracts every page, in page order; fails on the first page that cannot be read.
///
/// Pages are independent (pdf-extract starts every page afresh), so a long book is read by
/// up to one thread per core, each taking a run of consecutive pages.
///
/// May panic inside pdf-extract on malformed PDFs: see the module documentation. A panic in
/// a helper thread is carried over to the caller.
pub fn extract_pages(doc: &Document) -> Result<Vec<RawPage>, ExtractError> {
    check_not_encrypted(doc)?;
    let pages: Vec<(u32, ObjectId)> = doc.get_pages().into_iter().collect();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = cores
        .min(MAX_THREADS)
        .min(pages.len() / PAGES_PER_THREAD)
        .max(1);
    let extract_run = |run: &[(u32, ObjectId)]| -> Result<Vec<RawPage>, ExtractError> {
        let mut reader = PageReader::new(doc);
        run.iter()
            .map(|&(number, id)| reader.read(number, id))
            .collect()
    };
    if threads == 1 {
        return extract_run(&pages);
    }
    let runs: Vec<Result<Vec<RawPage>, ExtractError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pages
            .chunks(pages.len().div_ceil(threads))
            .map(|run| scope.spawn(move || extract_run(run)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(pages.len());
    for run in runs {
        all.extend(run?);
    }
    Ok(all)
}

fn check_not_encrypted(doc: &Document) -> Result<(), ExtractError> {
    // lopdf decrypts documents with an empty user password while loading and then removes
    // /Encrypt from the trailer; if it is still there, the content is unreadable.
    if doc.trailer.get(b"Encrypt").is_ok() {
        return Err(ExtractError::Encrypted);
    }
    Ok(())
}

/// What one thread needs to read pages of a document: the fonts read so far.
struct PageReader<'d> {
    doc: &'d Document,
    fonts: FontCache,
}

impl<'d> PageReader<'d> {
    fn new(doc: &'d Document) -> Self {
        Self {
            doc,
            fonts: FontCache::new(),
        }
    }

    /// Reads a page with our own reader, or, when the page uses something only pdf-extract
    /// handles (or passes one of our reader's ceilings), with pdf-extract. What pdf-extract
    /// does with a hostile page is bounded by the sandbox this runs in, not here.
    fn read(&mut self, page_number: u32, page_id: ObjectId) -> Result<RawPage, ExtractError> {
        let mut collector = LineCollector::default();
        let ours = interpret::read_page(
            self.doc,
            page_number,
            page_id,
            &mut self.fonts,
            &mut collector,
        );
        if ours.is_ok() {
            return Ok(collector.into_page(page_number));
        }
        super::tree::check_page_for_pdf_extract(self.doc, page_id)
            .map_err(ExtractError::Refused)?;
        with_pdf_extract(self.doc, page_number, page_id)
    }
}

pub(super) fn with_pdf_extract(
    doc: &Document,
    page_number: u32,
    page_id: ObjectId,
) -> Result<RawPage, ExtractError> {
    let mut collector = LineCollector::default();
    let result = match without_images(doc, page_id) {
        Some(stripped) => pdf_extract::output_doc_page(&stripped, &mut collector, 1),
        None => pdf_extract::output_doc_page(doc, &mut collector, page_number),
    };
    result.map_err(|e| ExtractError::Page {
        page: page_number,
        message: e.to_string(),
    })?;
    Ok(RawPage {
        fallback: true,
        ..collector.into_page(page_number)
    })
}

/// A gap between two glyphs of one baseline, in ems, beyond which they are two pieces of text.
const MAX_WORD_GAP: f64 = 1.5;

/// Collects glyphs into lines as pdf-extract reports them.
#[derive(Default)]
pub(super) struct LineCollector {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
    lines: Vec<RawLine>,
    current: Option<LineInProgress>,
}

struct LineInProgress {
    text: String,
    /// Extent of the inked glyphs; `None` while only blanks have been seen.
    ink: Option<(f64, f64)>,
    y: f64,
    size: f64,
    /// Where the pen stood after the last glyph, blank or not.
    pen: f64,
    /// Where the blank glyph that ends `text` stands, if one does.
    blank_at: Option<f64>,
}

impl LineCollector {
    pub(super) fn into_page(self, number: u32) -> RawPage {
        RawPage {
            number,
            fallback: false,
            width: self.width as f32,
            height: self.height as f32,
            lines: self.lines,
        }
    }

    fn finish_line(&mut self) {
        let Some(line) = self.current.take() else {
            return;
        };
        let Some((x0, x1)) = line.ink else {
            return;
        };
        let text = line.text.trim();
        if text.is_empty() {
            return;
        }
        self.lines.push(RawLine {
            text: text.to_owned(),
            x0: x0 as f32,
            x1: x1 as f32,
            y: line.y as f32,
            size: line.size as f32,
        });
    }
}

impl OutputDev for LineCollector {
    fn begin_page(
        &mut self,
        _page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        // Some producers write the corners in the other order.
        self.left = media_box.llx.min(media_box.urx);
        self.top = media_box.lly.max(media_box.ury);
        self.width = (media_box.urx - media_box.llx).abs();
        self.height = (media_box.ury - media_box.lly).abs();
        self.lines.clear();
        self.current = None;
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.finish_line();
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        char: &str,
    ) -> Result<(), OutputError> {
        // `trm` maps glyph space (without the font size) to PDF user space, whose y axis points
        // up from the bottom of the media box; we measure from the top instead, which is what
        // pdf-extract's own flipped CTM does, but without assuming the box starts at 0.
        let x = trm.m31 - self.left;
        let y = self.top - trm.m32;
        // Lengths of the glyph's unit vectors: they carry the Tm/CTM scaling (and survive
        // rotation), so the product with the font size is the size as seen on the page.
        let h_scale = trm.m11.hypot(trm.m12);
        let v_scale = trm.m21.hypot(trm.m22);
        let size = sanitize(font_size.abs() * v_scale);
        let advance = sanitize(width * font_size.abs() * h_scale);
        let (x, y) = (sanitize(x), sanitize(y));
        // Thresholds need a positive size even for degenerate (zero-size) text.
        let unit = if size > 0.0 { size } else { 1.0 };

        // A code no table explains still takes its room on the line.
        if char.is_empty() {
            if let Some(line) = &mut self.current {
                line.pen = x + advance;
            }
            return Ok(());
        }
        if let Some(line) = &self.current {
            let unit = unit.max(line.size);
            let moved_vertically = (y - line.y).abs() > 0.5 * unit;
            let jumped_back = x < line.pen - unit;
            // Wider than any justified word space: a gutter between columns, or a running
            // head's left and right parts ("II ... 7"). The clean-up joins pieces that turn out
            // to belong together.
            let far = x - line.pen > MAX_WORD_GAP * unit && line.ink.is_some();
            if moved_vertically || jumped_back || far {
                self.finish_line();
            }
        }

        let inked = char.chars().any(|c| !c.is_whitespace());
        // A note call: a digit or dagger set smaller and above the baseline of the text it
        // follows ("église¹"). It is the typesetting of a reference, not a word of the text.
        if inked
            && let Some(line) = &self.current
            && line.ink.is_some()
            && size < 0.85 * line.size
            && line.y - y > 0.15 * line.size
            && char
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '*' | '†' | '‡'))
        {
            if let Some(line) = &mut self.current {
                line.pen = x + advance;
            }
            return Ok(());
        }
        let line = self.current.get_or_insert_with(|| LineInProgress {
            text: String::new(),
            ink: None,
            y,
            size: 0.0,
            pen: x,
            blank_at: None,
        });
        // A space glyph narrowed to nothing by a negative Tw (Ghostscript writes some) counts
        // only if the glyphs on either side of it stand apart: "envo yé" is one word, while in
        // "a de" Tc makes the room the narrowed space does not.
        if inked
            && let Some(at) = line.blank_at.take()
            && x - at < 0.04 * unit
            && line
                .ink
                .is_some_and(|(_, ink_end)| x - ink_end <= 0.15 * unit)
            && line.text.ends_with(' ')
        {
            line.text.pop();
        }
        // Many PDFs position words individually instead of drawing space glyphs. French
        // typesetting puts a thin space (about 1/8 em, less than a word space) before ! ? ; :
        // and » and after «: there any visible room is a space.
        let gap = x - line.pen;
        let thin = char.starts_with(['!', '?', ';', ':', '»']) || line.text.ends_with('«');
        let space = if thin { 0.07 } else { 0.15 };
        if gap > space * unit
            && !line.text.is_empty()
            && !line.text.ends_with(char::is_whitespace)
            && !char.starts_with(char::is_whitespace)
        {
            line.text.push(' ');
        }
        line.text.push_str(char);
        if !inked {
            line.blank_at = Some(x);
        }
        if inked {
            let end = x + advance;
            line.ink = Some(match line.ink {
                None => {
                    // The baseline of a line is that of its first real glyph, not of a blank
                    // that happened to be drawn before it.
                    line.y = y;
                    (x, end)
                }
                Some((x0, x1)) => (x0.min(x), x1.max(end)),
            });
            line.size = line.size.max(size);
        }
        // What separates words is the room left between glyphs, whatever made it: Ghostscript
        // writes word spaces as character spacing (Tc) that TJ cancels inside words.
        line.pen = x + advance;
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        // pdf-extract calls this on every Td/Tm, including moves within a line (word-by-word
        // positioning); geometry decides line breaks instead.
        Ok(())
    }
}

fn sanitize(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

/// How deep we follow nested objects and page-tree parents, so that reference cycles and
/// absurd nesting in a hostile file cannot overflow the stack.
pub(crate) const MAX_DEPTH: usize = 64;

/// A one-page copy of `page_id` without image data, or `None` when the page draws no image.
///
/// pdf-extract runs `Do` on image XObjects as if they were content streams: it copies (and
/// inflates) the pixels and parses them as drawing operators. The parser usually gives up
/// after a few bytes, but pixels that happen to read as an operator without its operands
/// (" m ") make it panic and lose the page. Pages that draw images (scans with an OCR text
/// layer, illustrations) are therefore read from this copy, in which every image is an empty
/// form; it also spares copying megabytes of pixels per page.
fn without_images(doc: &Document, page_id: ObjectId) -> Option<Document> {
    let page = doc.get_dictionary(page_id).ok()?;
    let resources = inherited(doc, page, b"Resources")?;
    if !uses_images(doc, resources, &mut HashSet::new(), 0) {
        return None;
    }

    let mut out = Document::with_version(doc.version.clone());
    // New objects must not collide with copied ones, even if the xref undercounts.
    let highest = doc.objects.keys().next_back().map_or(0, |(id, _)| *id);
    out.max_id = doc.max_id.max(highest);
    let mut copied = HashSet::new();
    let mut new_page = Dictionary::new();
    new_page.set("Type", Object::Name(b"Page".to_vec()));
    for key in [&b"Resources"[..], b"MediaBox", b"Contents", b"ArtBox"] {
        let value = if key == b"Contents" || key == b"ArtBox" {
            page.get(key).ok()
        } else {
            inherited(doc, page, key)
        };
        if let Some(value) = value {
            copy_reachable(doc, value, &mut out, &mut copied, 0);
            new_page.set(key.to_vec(), value.clone());
        }
    }
    let pages_id = out.new_object_id();
    let new_page_id = out.new_object_id();
    new_page.set("Parent", Object::Reference(pages_id));
    out.objects
        .insert(new_page_id, Object::Dictionary(new_page));
    let mut pages = Dictionary::new();
    pages.set("Type", Object::Name(b"Pages".to_vec()));
    pages.set("Kids", Object::Array(vec![Object::Reference(new_page_id)]));
    pages.set("Count", Object::Integer(1));
    out.objects.insert(pages_id, Object::Dictionary(pages));
    let mut catalog = Dictionary::new();
    catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    catalog.set("Pages", Object::Reference(pages_id));
    let catalog_id = out.add_object(Object::Dictionary(catalog));
    out.trailer.set("Root", Object::Reference(catalog_id));
    Some(out)
}

/// Looks `key` up on the page, then up the page tree, as page attributes are inherited.
pub(super) fn inherited<'a>(
    doc: &'a Document,
    page: &'a Dictionary,
    key: &[u8],
) -> Option<&'a Object> {
    let mut node = page;
    for _ in 0..MAX_DEPTH {
        if let Ok(value) = node.get(key) {
            return Some(value);
        }
        let parent = node.get(b"Parent").ok()?.as_reference().ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

fn deref<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Object> {
    match obj {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    }
}

fn is_image(stream: &Stream) -> bool {
    matches!(stream.dict.get(b"Subtype"), Ok(Object::Name(name)) if name == b"Image")
}

/// Whether the resources (or those of the forms they hold) include an image XObject.
pub(crate) fn uses_images(
    doc: &Document,
    resources: &Object,
    seen: &mut HashSet<ObjectId>,
    depth: usize,
) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let Some(Object::Dictionary(resources)) = deref(doc, resources) else {
        return false;
    };
    let Some(Object::Dictionary(xobjects)) =
        resources.get(b"XObject").ok().and_then(|x| deref(doc, x))
    else {
        return false;
    };
    xobjects.iter().any(|(_, xobject)| {
        if let Object::Reference(id) = xobject
            && !seen.insert(*id)
        {
            return false;
        }
        match deref(doc, xobject) {
            Some(Object::Stream(stream)) if is_image(stream) => true,
            Some(Object::Stream(form)) => form
                .dict
                .get(b"Resources")
                .is_ok_and(|r| uses_images(doc, r, seen, depth + 1)),
            _ => false,
        }
    })
}

/// Copies every object `obj` refers to, directly or not, into `out` under the same ids,
/// replacing image streams by empty forms. `/Parent` links are not followed: they lead back
/// into the page tree, i.e. to every other page.
fn copy_reachable(
    doc: &Document,
    obj: &Object,
    out: &mut Document,
    copied: &mut HashSet<ObjectId>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match obj {
        Object::Reference(id) => {
            if !copied.insert(*id) {
                return;
            }
            let Ok(target) = doc.get_object(*id) else {
                return;
            };
            if let Object::Stream(stream) = target
                && is_image(stream)
            {
                out.objects.insert(*id, Object::Stream(empty_form()));
                return;
            }
            copy_reachable(doc, target, out, copied, depth + 1);
            out.objects.insert(*id, target.clone());
        }
        Object::Array(items) => {
            for item in items {
                copy_reachable(doc, item, out, copied, depth + 1);
            }
        }
        Object::Dictionary(dict) => copy_dict_refs(doc, dict, out, copied, depth),
        Object::Stream(stream) => copy_dict_refs(doc, &stream.dict, out, copied, depth),
        _ => {}
    }
}

fn copy_dict_refs(
    doc: &Document,
    dict: &Dictionary,
    out: &mut Document,
    copied: &mut HashSet<ObjectId>,
    depth: usize,
) {
    for (key, value) in dict.iter() {
        if key != b"Parent" {
            copy_reachable(doc, value, out, copied, depth + 1);
        }
    }
}

fn empty_form() -> Stream {
    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"XObject".to_vec()));
    dict.set("Subtype", Object::Name(b"Form".to_vec()));
    dict.set(
        "BBox",
        Object::Array(vec![0.into(), 0.into(), 1.into(), 1.into()]),
    );
    Stream::new(dict, Vec::new())
}

#[cfg(test)]
pub(super) mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use lopdf::dictionary;

    use super::*;

    fn glyph(c: &mut LineCollector, x: f64, y: f64, size: f64, width: f64, s: &str) {
        // Unscaled text matrix: the font size alone sets the glyph size.
        let trm = Transform::row_major(1.0, 0.0, 0.0, 1.0, x, y);
        c.output_character(&trm, width, 0.0, size, s).unwrap();
    }

    fn collector() -> LineCollector {
        let mut c = LineCollector::default();
        let media_box = MediaBox {
            llx: 0.0,
            lly: 0.0,
            urx: 595.0,
            ury: 842.0,
        };
        c.begin_page(1, &media_box, None).unwrap();
        c
    }

    /// Draws `text` from `x` with every glyph 0.5 em wide.
    fn word(c: &mut LineCollector, x: f64, y: f64, text: &str) -> f64 {
        let mut x = x;
        for ch in text.chars() {
            glyph(c, x, y, 10.0, 0.5, &ch.to_string());
            x += 5.0;
        }
        x
    }

    #[test]
    fn glyphs_become_lines_with_geometry() {
        let mut c = collector();
        // Words placed one by one, no space glyphs: the gaps make the spaces.
        let end = word(&mut c, 72.0, 742.0, "Il");
        let end = word(&mut c, end + 3.0, 742.0, "vint");
        // A kerning-sized gap is not a space; a ligature glyph carries two letters.
        let end = word(&mut c, end + 0.5, 742.0, ".");
        glyph(&mut c, end + 4.0, 742.0, 10.0, 0.5, "ﬁ");
        glyph(&mut c, end + 9.0, 742.0, 10.0, 0.5, "n");
        // Trailing blank glyphs do not widen the line.
        glyph(&mut c, end + 14.0, 742.0, 10.0, 0.25, " ");
        // Next baseline.
        word(&mut c, 90.0, 728.0, "Puis");
        // Same baseline, but back to the left: another line (e.g. a second column).
        word(&mut c, 72.0, 728.0, "x");
        c.end_page().unwrap();
        let texts: Vec<&str> = c.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Il vint. ﬁn", "Puis", "x"]);
        let first = &c.lines[0];
        assert_eq!((first.x0, first.y, first.size), (72.0, 100.0, 10.0));
        assert_eq!(first.x1 as f64, end + 14.0);
        assert_eq!(c.lines[1].y, 114.0);
        assert_eq!(c.lines[1].x0, 90.0);
    }

    #[test]
    fn size_comes_from_the_text_matrix_too() {
        let mut c = collector();
        // Tf 1 with a 12× text matrix, as many producers write it.
        let trm = Transform::row_major(12.0, 0.0, 0.0, 12.0, 100.0, 700.0);
        c.output_character(&trm, 0.5, 0.0, 1.0, "A").unwrap();
        c.end_page().unwrap();
        let line = &c.lines[0];
        assert_eq!((line.size, line.x1), (12.0, 106.0));
    }

    fn helvetica() -> Dictionary {
        dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        }
    }

    /// A one-page document; `media_box` goes on the page tree root, as it may.
    pub(in crate::pdf) fn one_page(
        content: &[u8],
        resources: Dictionary,
        media_box: [i64; 4],
    ) -> Document {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let content_id = doc.add_object(Stream::new(Dictionary::new(), content.to_vec()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => resources,
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => vec![Object::Reference(page_id)],
                "Count" => 1,
                "MediaBox" => media_box.iter().map(|&v| Object::Integer(v)).collect::<Vec<_>>(),
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        doc
    }

    #[test]
    fn extracts_a_hand_made_page() {
        // Word-by-word placement with a scaled text matrix, TJ kerning, a second line set
        // with T*, and a media box that does not start at 0.
        let content = b"BT /F1 1 Tf 12 0 0 12 72 842 Tm (Bonjour) Tj \
            12 0 0 12 125 842 Tm (le) Tj 12 0 0 12 142 842 Tm [(m) 20 (onde)] TJ \
            ET BT /F1 10 Tf 14 TL 90 842 Td T* (Deuxi\\350me ligne) Tj ET";
        let resources = dictionary! { "Font" => dictionary! { "F1" => helvetica() } };
        let doc = one_page(content, resources, [0, 100, 595, 942]);
        let page = extract_page(&doc, 1).unwrap();
        assert_eq!((page.number, page.width, page.height), (1, 595.0, 842.0));
        let texts: Vec<&str> = page.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Bonjour le monde", "Deuxième ligne"]);
        let (a, b) = (&page.lines[0], &page.lines[1]);
        assert_eq!((a.x0, a.y, a.size), (72.0, 100.0, 12.0));
        assert_eq!((b.x0, b.y, b.size), (90.0, 114.0, 10.0));
        assert_eq!(extract_pages(&doc).unwrap(), vec![page]);
    }

    #[test]
    fn missing_pages_and_encryption_are_errors() {
        let doc = one_page(b"", Dictionary::new(), [0, 0, 595, 842]);
        assert!(matches!(
            extract_page(&doc, 2),
            Err(ExtractError::NoSuchPage {
                page: 2,
                page_count: 1
            })
        ));
        assert!(extract_page(&doc, 1).unwrap().lines.is_empty());
        let mut encrypted = doc.clone();
        let dict = encrypted.add_object(dictionary! { "Filter" => "Standard" });
        encrypted.trailer.set("Encrypt", dict);
        assert!(matches!(
            extract_pages(&encrypted),
            Err(ExtractError::Encrypted)
        ));
        assert!(matches!(
            extract_page(&encrypted, 1),
            Err(ExtractError::Encrypted)
        ));
    }

    #[test]
    fn image_data_is_never_parsed_as_drawing_operators() {
        // Pixels that happen to read as a path operator without operands.
        let image_id = (100, 0);
        let resources = dictionary! {
            "Font" => dictionary! { "F1" => helvetica() },
            "XObject" => dictionary! { "Im1" => image_id },
        };
        let content =
            b"q 100 0 0 100 72 600 cm /Im1 Do Q BT /F1 11 Tf 72 700 Td (Sous l'image) Tj ET";
        let mut page_doc = one_page(content, resources, [0, 0, 595, 842]);
        page_doc.objects.insert(
            image_id,
            Object::Stream(Stream::new(
                dictionary! {
                    "Type" => "XObject",
                    "Subtype" => "Image",
                    "Width" => 3,
                    "Height" => 1,
                    "ColorSpace" => "DeviceGray",
                    "BitsPerComponent" => 8,
                },
                b" m ".to_vec(),
            )),
        );
        page_doc.max_id = 100;

        // pdf-extract on its own runs the image as a content stream and panics.
        let direct = catch_unwind(AssertUnwindSafe(|| {
            let mut text = String::new();
            let mut out = pdf_extract::PlainTextOutput::new(&mut text);
            pdf_extract::output_doc_page(&page_doc, &mut out, 1)
        }));
        assert!(direct.is_err());

        let page = extract_page(&page_doc, 1).unwrap();
        let texts: Vec<&str> = page.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Sous l'image"]);
    }
}
