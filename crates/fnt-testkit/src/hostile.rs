//! Hostile PDFs: files made to hurt a parser rather than to be read. Each one targets a
//! specific weakness (unbounded inflation, recursion, loops, huge allocations from a claimed
//! size, broken cross-references), is small, and is built byte by byte so that nothing in a
//! PDF writer can "fix" it on the way out.
//!
//! The upload path and the job path must answer every one of them quickly and with bounded
//! memory: with a [`PdfError`] from whatever reads the part of the file it is aimed at, or,
//! for the few aimed at a parser this project no longer uses, by reading it. `src/pdf` tests
//! and `tests/api/hostile_pdf.rs` check that, and the fuzz corpus starts from them.
//!
//! [`PdfError`]: fnt::pdf::PdfError

use std::fmt::Write as _;
use std::io::Write as _;

use flate2::write::ZlibEncoder;
use flate2::{Compress, Compression, FlushCompress};

use super::novel;
use super::pdf::{FixtureOptions, book_pdf, encrypted_pdf};

/// One hostile file and what it is meant to break.
#[derive(Clone)]
pub struct Hostile {
    pub name: &'static str,
    pub pdf: Vec<u8>,
    /// The error code (`PdfError::code`) the entry points that reach its target answer with.
    pub code: &'static str,
    pub target: Target,
}

/// Where in a file its harm lies, which says who must refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The bytes, cross-references or page tree: every entry point reads those, so every
    /// one refuses the file.
    Load,
    /// Objects no page refers to (an object stream, cross-reference entries all pointing at
    /// one object), which only loading the whole file parses: the upload reads just the page
    /// tree and a sample of pages and may let the file through; everything that loads the
    /// whole file (the job) refuses it.
    WholeFile,
    /// A page's content, forms or fonts: refused by what reads the page's text (the upload
    /// check, when the page is in its sample, and the job's reading of the book); splitting
    /// pages for Gemini copies them without reading them.
    Page,
    /// lopdf's content parser, which is quadratic on it: our reader is not, so the file is
    /// read (its hostile page has no text) in linear time.
    LopdfContentParser,
}

impl std::fmt::Debug for Hostile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} bytes)", self.name, self.pdf.len())
    }
}

/// Every hostile file.
pub fn all() -> Vec<Hostile> {
    const MALFORMED: &str = "malformed_pdf";
    const TOO_COMPLEX: &str = "pdf_too_complex";
    let h = |name, code, pdf| Hostile {
        name,
        pdf,
        code,
        target: Target::Load,
    };
    let page = |name, code, pdf| Hostile {
        target: Target::Page,
        ..h(name, code, pdf)
    };
    let whole = |name, code, pdf| Hostile {
        target: Target::WholeFile,
        ..h(name, code, pdf)
    };
    let lopdf = |name, pdf| Hostile {
        target: Target::LopdfContentParser,
        ..h(name, "", pdf)
    };
    vec![
        h("truncated", MALFORMED, truncated_pdf()),
        h("broken_xref", "no_pages", broken_xref_pdf()),
        h("dangling_startxref", MALFORMED, dangling_startxref_pdf()),
        h("encrypted", "encrypted_pdf", encrypted_pdf()),
        page("content_bomb", TOO_COMPLEX, content_bomb_pdf()),
        whole("object_stream_bomb", TOO_COMPLEX, object_stream_bomb_pdf()),
        h("xref_stream_bomb", TOO_COMPLEX, xref_stream_bomb_pdf()),
        page("predictor_bomb", TOO_COMPLEX, predictor_bomb_pdf()),
        page(
            "encrypted_content_bomb",
            TOO_COMPLEX,
            encrypted_bomb_pdf(false),
        ),
        whole(
            "encrypted_object_stream_bomb",
            TOO_COMPLEX,
            encrypted_bomb_pdf(true),
        ),
        h(
            "xref_stream_huge_widths",
            MALFORMED,
            xref_stream_huge_widths_pdf(),
        ),
        h(
            "xref_stream_huge_index",
            TOO_COMPLEX,
            xref_stream_huge_index_pdf(),
        ),
        whole("xref_amplification", TOO_COMPLEX, xref_amplification_pdf()),
        whole("deep_nesting", TOO_COMPLEX, deep_nesting_pdf(100_000)),
        h("page_tree_cycle", MALFORMED, page_tree_cycle_pdf()),
        h("parent_cycle", MALFORMED, parent_cycle_pdf()),
        page("form_cycle", MALFORMED, form_cycle_pdf()),
        page(
            "inherited_form_cycle",
            MALFORMED,
            inherited_form_cycle_pdf(),
        ),
        page("form_fan_out", TOO_COMPLEX, form_fan_out_pdf()),
        h("huge_page_count", TOO_COMPLEX, huge_page_count_pdf()),
        h("deep_page_tree", TOO_COMPLEX, deep_page_tree_pdf(20_000)),
        lopdf("unclosed_strings", unclosed_strings_pdf()),
        lopdf("endless_number", endless_number_pdf()),
        h("obj_comments", MALFORMED, obj_comments_pdf()),
        whole(
            "object_stream_rescan",
            TOO_COMPLEX,
            object_stream_rescan_pdf(),
        ),
    ]
}

/// The hostile files the upload refuses: every one whose harm it reaches.
pub fn refused_at_upload() -> Vec<Hostile> {
    all()
        .into_iter()
        .filter(|h| matches!(h.target, Target::Load | Target::Page))
        .collect()
}

/// The hostile files the upload may let through and the job refuses.
pub fn refused_by_the_job() -> Vec<Hostile> {
    all()
        .into_iter()
        .filter(|h| h.target == Target::WholeFile)
        .collect()
}

/// How much the bombs inflate to: far more than any book, far more than a worker can hold.
pub const BOMB_BYTES: u64 = 4 << 30;

// ---------------------------------------------------------------------------------------------
// Broken files

/// A real book cut off before its cross-reference table, as an interrupted upload leaves it.
pub fn truncated_pdf() -> Vec<u8> {
    let mut pdf = small_book();
    pdf.truncate(pdf.len() * 3 / 5);
    pdf
}

/// A real book whose cross-reference offsets all point 7 bytes past their objects.
pub fn broken_xref_pdf() -> Vec<u8> {
    let pdf = small_book_with_xref_table();
    let Some(table) = last_xref_table(&pdf) else {
        return pdf;
    };
    let mut out = pdf[..table].to_vec();
    let mut lines = pdf[table..].split_inclusive(|&b| b == b'\n');
    for line in lines.by_ref() {
        // "0000001234 00000 n" entries: same width, so the trailer's startxref stays right.
        let is_entry =
            line.len() >= 18 && line[17] == b'n' && line[..10].iter().all(u8::is_ascii_digit);
        if is_entry {
            let offset: u64 = std::str::from_utf8(&line[..10])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            out.extend_from_slice(format!("{:010}", offset + 7).as_bytes());
            out.extend_from_slice(&line[10..]);
        } else {
            out.extend_from_slice(line);
            if line.starts_with(b"trailer") {
                break;
            }
        }
    }
    for line in lines {
        out.extend_from_slice(line);
    }
    out
}

/// A real book whose `startxref` points past the end of the file.
pub fn dangling_startxref_pdf() -> Vec<u8> {
    let pdf = small_book();
    let Some(at) = rfind(&pdf, b"startxref") else {
        return pdf;
    };
    let mut out = pdf[..at].to_vec();
    out.extend_from_slice(b"startxref\n99999999\n%%EOF\n");
    out
}

fn small_book() -> Vec<u8> {
    book_pdf(&novel::novel(3), &FixtureOptions::default()).pdf
}

/// The same book with a classic cross-reference table, whose offsets are plain text.
fn small_book_with_xref_table() -> Vec<u8> {
    let pdf = small_book();
    let Ok(mut doc) = lopdf::Document::load_mem(&pdf) else {
        return pdf;
    };
    doc.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
    let mut out = Vec::new();
    match doc.save_to(&mut out) {
        Ok(()) => out,
        Err(_) => pdf,
    }
}

fn last_xref_table(pdf: &[u8]) -> Option<usize> {
    let at = rfind(pdf, b"startxref")?;
    let digits: String = pdf[at + 9..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| char::from(b))
        .collect();
    let offset: usize = digits.parse().ok()?;
    pdf.get(offset..)?.starts_with(b"xref").then_some(offset)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Decompression bombs

/// A zlib stream that inflates to `bytes` zero bytes (rounded up to a mebibyte) at deflate's
/// best ratio (about 1:1000), without ever holding them: one mebibyte of zeros is compressed
/// once and its sync-flushed block repeated, which is valid because each copy only refers
/// back to zeros.
pub fn zlib_zeros(bytes: u64) -> Vec<u8> {
    const MIB: usize = 1 << 20;
    let zeros = vec![0u8; MIB];
    let mut c = Compress::new(Compression::best(), true);
    let segment = |c: &mut Compress| {
        let mut out = Vec::with_capacity(MIB / 64);
        let start = c.total_in();
        loop {
            let done = (c.total_in() - start) as usize;
            let before_out = c.total_out();
            out.reserve(MIB / 64);
            // Compressing into a Vec only fails on a broken stream state, which a fresh
            // compressor fed zeros never reaches; an error here just ends the segment.
            if c.compress_vec(&zeros[done..], &mut out, FlushCompress::Sync)
                .is_err()
            {
                break;
            }
            let all_in = c.total_in() - start == MIB as u64;
            if all_in && c.total_out() == before_out {
                break;
            }
            if all_in && out.len() < out.capacity() {
                break;
            }
        }
        out
    };
    // The first segment starts with a literal and the zlib header; the second one is the
    // steady state that can be repeated.
    let first = segment(&mut c);
    let steady = segment(&mut c);
    let copies = bytes.div_ceil(MIB as u64).max(2);
    let mut out = Vec::with_capacity(first.len() + steady.len() * copies as usize + 8);
    out.extend_from_slice(&first);
    for _ in 1..copies {
        out.extend_from_slice(&steady);
    }
    // An empty final block with fixed codes, then the Adler-32 of `copies` MiB of zeros:
    // a stays 1, b gains 1 per byte.
    out.extend_from_slice(&[0x03, 0x00]);
    let b = (copies * MIB as u64) % 65_521;
    out.extend_from_slice(&((b << 16) as u32 | 1).to_be_bytes());
    out
}

/// `zlib_zeros(bytes)` compressed once more: a few kilobytes that inflate, through
/// `/Filter [/FlateDecode /FlateDecode]`, to `bytes`.
pub fn double_zlib_zeros(bytes: u64) -> Vec<u8> {
    zlib(&zlib_zeros(bytes))
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
    // Writing into a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

const DOUBLE_FLATE: &str = "/Filter [/FlateDecode /FlateDecode]";

/// One page whose content stream inflates to [`BOMB_BYTES`].
pub fn content_bomb_pdf() -> Vec<u8> {
    let mut pdf = RawPdf::new();
    pdf.catalog_and_pages(&[3]);
    pdf.obj(3, page_dict(2, Some(4), &text_resources()));
    pdf.stream(4, DOUBLE_FLATE, &double_zlib_zeros(BOMB_BYTES));
    pdf.finish(1)
}

/// What [`book_with_bad_page`] hides in a page.
#[derive(Debug, Clone, Copy)]
pub enum BadPage {
    /// A second content stream that inflates to [`BOMB_BYTES`].
    Bomb,
    /// A form that draws itself.
    FormCycle,
}

/// A real 12-page book whose page `page` (1-based) also carries `bad`: the upload's sample
/// of pages has enough text long before it.
pub fn book_with_bad_page(page: u32, bad: BadPage) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let book = book_pdf(&novel::novel(12), &FixtureOptions::default()).pdf;
    let Ok(mut doc) = Document::load_mem(&book) else {
        return book;
    };
    let Some(&page_id) = doc.get_pages().get(&page) else {
        return book;
    };
    let extra = match bad {
        BadPage::Bomb => {
            let mut dict = lopdf::Dictionary::new();
            dict.set(
                "Filter",
                Object::Array(vec!["FlateDecode".into(), "FlateDecode".into()]),
            );
            doc.add_object(Stream::new(dict, double_zlib_zeros(BOMB_BYTES)))
        }
        BadPage::FormCycle => {
            let form = doc.new_object_id();
            let resources = dictionary! { "XObject" => dictionary! { "Fm9" => form } };
            let form_dict = dictionary! {
                "Type" => "XObject", "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()],
                "Resources" => resources.clone(),
            };
            doc.objects.insert(
                form,
                Object::Stream(Stream::new(form_dict, b"/Fm9 Do".to_vec())),
            );
            let drawn = doc.add_object(Stream::new(
                lopdf::Dictionary::new(),
                b"q /Fm9 Do Q".to_vec(),
            ));
            // The page draws it through resources of its own.
            if let Ok(dict) = doc.get_dictionary_mut(page_id) {
                let mut own = dict
                    .get(b"Resources")
                    .and_then(Object::as_dict)
                    .cloned()
                    .unwrap_or_default();
                own.set("XObject", dictionary! { "Fm9" => form });
                dict.set("Resources", own);
            }
            drawn
        }
    };
    if let Ok(dict) = doc.get_dictionary_mut(page_id) {
        let mut contents = match dict.get(b"Contents") {
            Ok(Object::Array(items)) => items.clone(),
            Ok(other) => vec![other.clone()],
            Err(_) => Vec::new(),
        };
        contents.push(Object::Reference(extra));
        dict.set("Contents", Object::Array(contents));
    }
    let mut out = Vec::new();
    match doc.save_to(&mut out) {
        Ok(()) => out,
        Err(_) => book,
    }
}

/// A readable one-page book plus an object stream that inflates to [`BOMB_BYTES`]: lopdf
/// inflates every object stream while loading, whether anything refers to it or not.
pub fn object_stream_bomb_pdf() -> Vec<u8> {
    let mut pdf = readable_one_pager();
    pdf.stream(
        9,
        &format!("/Type /ObjStm /N 1 /First 4 {DOUBLE_FLATE}"),
        &double_zlib_zeros(BOMB_BYTES),
    );
    pdf.finish(1)
}

/// A readable one-page book whose cross-reference stream inflates to [`BOMB_BYTES`]: it is
/// inflated before any object is read.
pub fn xref_stream_bomb_pdf() -> Vec<u8> {
    let pdf = readable_one_pager();
    pdf.finish_with_xref_stream(
        1,
        &format!("/W [1 4 2] {DOUBLE_FLATE}"),
        &double_zlib_zeros(BOMB_BYTES),
    )
}

/// A readable page plus a bomb (as the page's second content stream, or as an object
/// stream), the whole file encrypted with an empty user password, which lopdf opens by
/// itself: the bomb only shows once decrypted.
pub fn encrypted_bomb_pdf(object_stream: bool) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let text = Stream::new(
        lopdf::Dictionary::new(),
        b"BT /F1 11 Tf 72 700 Td (Il etait une fois une petite boutique au coin de la rue.) Tj ET"
            .to_vec(),
    );
    let text = doc.add_object(text);
    let mut bomb_dict = dictionary! {
        "Filter" => vec![Object::Name(b"FlateDecode".to_vec()), Object::Name(b"FlateDecode".to_vec())],
    };
    if object_stream {
        // lopdf's writer drops object streams (it makes its own), so the type is written
        // under another name and put back in the bytes below; names are not encrypted.
        bomb_dict.set("Type", "FntBomb");
        bomb_dict.set("N", 1);
        bomb_dict.set("First", 4);
    }
    let mut bomb = Stream::new(bomb_dict, double_zlib_zeros(BOMB_BYTES));
    bomb.allows_compression = false;
    let bomb = doc.add_object(bomb);
    let contents = if object_stream {
        vec![Object::Reference(text)]
    } else {
        vec![Object::Reference(text), Object::Reference(bomb)]
    };
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => contents,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![Object::Reference(page)], "Count" => 1,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let id = Object::String(
        b"fnt-hostile-0001".to_vec(),
        lopdf::StringFormat::Hexadecimal,
    );
    doc.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    let state = lopdf::EncryptionState::try_from(lopdf::EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password: "",
        key_length: 128,
        permissions: lopdf::Permissions::default(),
    });
    let mut out = Vec::new();
    match state.map(|state| doc.encrypt(&state)) {
        Ok(Ok(())) if doc.save_to(&mut out).is_ok() => {}
        _ => return Vec::new(),
    }
    if let Some(at) = out.windows(8).position(|w| w == b"/FntBomb") {
        out[at..at + 8].copy_from_slice(b"/ObjStm ");
    }
    out
}

/// A content stream whose PNG predictor claims rows of 2^31 columns: the decoder allocates
/// two rows before reading any data.
pub fn predictor_bomb_pdf() -> Vec<u8> {
    let mut pdf = RawPdf::new();
    pdf.catalog_and_pages(&[3]);
    pdf.obj(3, page_dict(2, Some(4), &text_resources()));
    pdf.stream(
        4,
        "/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 2147483648 /Colors 1 >>",
        &zlib(b"\x02\x00\x00\x00"),
    );
    pdf.finish(1)
}

/// A cross-reference stream whose /W claims fields a terabyte wide.
pub fn xref_stream_huge_widths_pdf() -> Vec<u8> {
    readable_one_pager().finish_with_xref_stream(1, "/W [1 1099511627776 1]", b"\x01\x00\x00")
}

/// A cross-reference stream whose /Index claims four billion entries of zero width, so
/// reading them never runs out of data.
pub fn xref_stream_huge_index_pdf() -> Vec<u8> {
    readable_one_pager().finish_with_xref_stream(1, "/W [0 0 0] /Index [0 4000000000]", b"")
}

/// A cross-reference table with 200 000 entries that all point at the same 200 KB object,
/// so a reader that parses what each entry points to parses 40 GB.
pub fn xref_amplification_pdf() -> Vec<u8> {
    let mut pdf = readable_one_pager();
    let big: String = (0..40_000).map(|i| format!("{i} ")).collect();
    pdf.obj(9, format!("[{big}]"));
    let mut out = pdf.body();
    let offsets = pdf.offsets.clone();
    let big_at = offsets
        .iter()
        .find(|(id, _)| *id == 9)
        .map_or(0, |(_, at)| *at);
    let entries = 200_000u32;
    let xref_at = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", entries + 1);
    for id in 1..=entries {
        let at = offsets
            .iter()
            .find(|(o, _)| *o == id)
            .map_or(big_at, |(_, at)| *at);
        let _ = writeln!(table, "{at:010} 00000 n ");
    }
    out.extend_from_slice(table.as_bytes());
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
            entries + 1
        )
        .as_bytes(),
    );
    out
}

// ---------------------------------------------------------------------------------------------
// Quadratic reading: text that fails to parse far from where it starts, at every byte

/// How much text the quadratic files below are made of: reading it once takes milliseconds,
/// reading it again from every byte takes hours.
const RESCAN_BYTES: usize = 1 << 20;

/// A readable page followed by a content stream of `unit` repeated: it inflates to a
/// mebibyte from about a kilobyte.
fn rescan_content_pdf(unit: &[u8]) -> Vec<u8> {
    let mut pdf = readable_one_pager();
    pdf.obj(
        2,
        "<< /Type /Pages /Kids [3 0 R 9 0 R] /Count 2 /MediaBox [0 0 595 842] >>".into(),
    );
    pdf.obj(9, page_dict(2, Some(10), &text_resources()));
    let content = unit.repeat(RESCAN_BYTES / unit.len());
    pdf.stream(10, "/Filter /FlateDecode", &zlib(&content));
    pdf.finish(1)
}

/// Content of `(\(\(\…`: a literal string that never closes, read to the end of the stream,
/// and again from each escaped parenthesis, which starts a string too.
pub fn unclosed_strings_pdf() -> Vec<u8> {
    rescan_content_pdf(b"(\\")
}

/// Content of `121212…`: a number too long for any type, read to its end from every digit.
pub fn endless_number_pdf() -> Vec<u8> {
    rescan_content_pdf(b"12")
}

/// Content of `1 %1 %1 %…` without an end of line: after each number, lopdf's grammar tries
/// the comment as space, and a comment is space only once its end of line is found.
pub fn comment_without_eol_pdf() -> Vec<u8> {
    rescan_content_pdf(b"1 %")
}

/// `obj%obj%obj%…` after the header, without an end of line: every `obj` keyword is read as
/// the start of an object, first skipping the comment after it.
pub fn obj_comments_pdf() -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend_from_slice(&b"obj%".repeat(RESCAN_BYTES / 4));
    pdf
}

/// A readable page plus an object stream whose header lists a hundred thousand objects, one
/// every two bytes of a body that is one unclosed string: lopdf parses each of them to the
/// end of the stream.
pub fn object_stream_rescan_pdf() -> Vec<u8> {
    let mut pdf = readable_one_pager();
    let objects = 100_000;
    let header: String = (0..objects)
        .map(|i| format!("{} {} ", 100 + i, 2 * i))
        .collect();
    let mut data = header.clone().into_bytes();
    data.extend_from_slice(&b"(\\".repeat(RESCAN_BYTES / 2));
    pdf.stream(
        9,
        &format!(
            "/Type /ObjStm /N {objects} /First {} /Filter /FlateDecode",
            header.len()
        ),
        &zlib(&data),
    );
    pdf.finish(1)
}

// ---------------------------------------------------------------------------------------------
// Recursion and loops

/// A readable page plus an object nested `depth` levels deep, as arrays and as dictionaries,
/// and a content stream with operands nested as deep.
pub fn deep_nesting_pdf(depth: usize) -> Vec<u8> {
    let mut pdf = readable_one_pager();
    let mut arrays = "[".repeat(depth);
    arrays.push_str(&"]".repeat(depth));
    pdf.obj(9, arrays);
    let mut dicts = "<< /A ".repeat(depth);
    dicts.push('1');
    dicts.push_str(&" >>".repeat(depth));
    pdf.obj(10, dicts);
    let mut content = b"BT /F1 11 Tf 72 700 Td ".to_vec();
    content.extend_from_slice("[".repeat(depth).as_bytes());
    content.extend_from_slice("]".repeat(depth).as_bytes());
    content.extend_from_slice(b" TJ (Fin.) Tj ET");
    pdf.stream(11, "/Filter /FlateDecode", &zlib(&content));
    pdf.obj(3, page_dict(2, Some(11), &text_resources()));
    pdf.finish(1)
}

/// One node with `pages` pages as its kids, each naming it as its parent: every step from
/// a page up the tree reaches the same huge node.
pub fn wide_page_tree_pdf(pages: u32) -> Vec<u8> {
    let mut pdf = RawPdf::new();
    let kids: Vec<u32> = (3..3 + pages).collect();
    pdf.catalog_and_pages(&kids);
    for kid in kids {
        pdf.obj(kid, "<< /Type /Page /Parent 2 0 R >>".into());
    }
    pdf.finish(1)
}

/// A page tree whose second level lists the root among its kids.
pub fn page_tree_cycle_pdf() -> Vec<u8> {
    let mut pdf = readable_one_pager();
    pdf.obj(
        2,
        "<< /Type /Pages /Kids [3 0 R 9 0 R] /Count 2 /MediaBox [0 0 595 842] >>".into(),
    );
    pdf.obj(
        9,
        "<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 9 0 R] /Count 1 >>".into(),
    );
    pdf.finish(1)
}

/// A page without resources or media box whose /Parent chain loops (page → node → page), so
/// looking up an inherited attribute never ends.
pub fn parent_cycle_pdf() -> Vec<u8> {
    let mut pdf = RawPdf::new();
    pdf.obj(1, "<< /Type /Catalog /Pages 2 0 R >>".into());
    pdf.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into());
    pdf.obj(3, "<< /Type /Page /Parent 9 0 R /Contents 4 0 R >>".into());
    pdf.obj(
        9,
        "<< /Type /Pages /Parent 3 0 R /Kids [3 0 R] /Count 1 >>".into(),
    );
    pdf.stream(4, "", b"BT /F1 11 Tf 72 700 Td (Bonjour.) Tj ET");
    pdf.finish(1)
}

/// A page drawing a form that draws itself.
pub fn form_cycle_pdf() -> Vec<u8> {
    let mut pdf = RawPdf::new();
    pdf.catalog_and_pages(&[3]);
    let resources = "<< /Font << /F1 5 0 R >> /XObject << /Fm0 6 0 R >> >>";
    pdf.obj(3, page_dict(2, Some(4), resources));
    pdf.stream(4, "", b"BT /F1 11 Tf 72 700 Td (Bonjour.) Tj ET /Fm0 Do");
    pdf.obj(5, helvetica());
    pdf.stream(
        6,
        "/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /Fm0 6 0 R >> >>",
        b"/Fm0 Do",
    );
    pdf.finish(1)
}

/// A form without resources of its own, so it is read with the page's, where its name
/// points back at itself.
pub fn inherited_form_cycle_pdf() -> Vec<u8> {
    let mut pdf = RawPdf::new();
    pdf.catalog_and_pages(&[3]);
    let resources = "<< /Font << /F1 5 0 R >> /XObject << /Fm0 6 0 R >> >>";
    pdf.obj(3, page_dict(2, Some(4), resources));
    pdf.stream(4, "", b"BT /F1 11 Tf 72 700 Td (Bonjour.) Tj ET /Fm0 Do");
    pdf.obj(5, helvetica());
    pdf.stream(
        6,
        "/Type /XObject /Subtype /Form /BBox [0 0 10 10]",
        b"/Fm0 Do",
    );
    pdf.finish(1)
}

/// "Billion laughs" with forms: each of 12 levels draws the next one 10 times, and the last
/// one shows a word, so the page draws 10^12 words from a file of a few kilobytes.
pub fn form_fan_out_pdf() -> Vec<u8> {
    const LEVELS: u32 = 12;
    let mut pdf = RawPdf::new();
    pdf.catalog_and_pages(&[3]);
    let resources = "<< /Font << /F1 5 0 R >> /XObject << /L 10 0 R >> >>";
    pdf.obj(3, page_dict(2, Some(4), resources));
    pdf.stream(4, "", b"BT /F1 11 Tf 72 700 Td (Bonjour.) Tj ET /L Do");
    pdf.obj(5, helvetica());
    for level in 0..LEVELS {
        let id = 10 + level;
        if level + 1 == LEVELS {
            pdf.stream(
                id,
                "/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /Font << /F1 5 0 R >> >>",
                b"BT /F1 11 Tf 0 0 Td (rire) Tj ET",
            );
        } else {
            let dict = format!(
                "/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /L {} 0 R >> >>",
                id + 1
            );
            pdf.stream(id, &dict, "/L Do ".repeat(10).as_bytes());
        }
    }
    pdf.finish(1)
}

/// Within every cap and still slow: the page draws one form 9,999 times (just under the
/// form-drawing cap), and the form shows 100,000 words (a megabyte, under the stream caps).
/// Our reader gives up on the page at its operation budget; pdf-extract, which parses a
/// form's content again at each drawing, would parse ten gigabytes of operators. Only the
/// sandbox's CPU limit stops it, so it is not among [`all`] (every file there is refused
/// in moments).
pub fn heavy_form_drawn_often_pdf() -> Vec<u8> {
    let mut pdf = RawPdf::new();
    pdf.catalog_and_pages(&[3]);
    let resources = "<< /Font << /F1 5 0 R >> /XObject << /W 6 0 R >> >>";
    pdf.obj(3, page_dict(2, Some(4), resources));
    let mut page = b"BT /F1 11 Tf 72 700 Td (Bonjour.) Tj ET ".to_vec();
    page.extend_from_slice(&b"/W Do ".repeat(9_999));
    pdf.stream(4, "/Filter /FlateDecode", &zlib(&page));
    pdf.obj(5, helvetica());
    let mut words = b"BT /F1 11 Tf 0 0 Td ".to_vec();
    words.extend_from_slice(&b"(mot) Tj ".repeat(100_000));
    words.extend_from_slice(b"ET");
    pdf.stream(
        6,
        "/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /Font << /F1 5 0 R >> >> /Filter /FlateDecode",
        &zlib(&words),
    );
    pdf.finish(1)
}

/// A page tree claiming 10^13 pages in a subtree that holds one: lopdf sizes its page list
/// from the claimed /Count.
pub fn huge_page_count_pdf() -> Vec<u8> {
    let mut pdf = readable_one_pager();
    pdf.obj(
        2,
        "<< /Type /Pages /Kids [3 0 R 9 0 R] /Count 10000000000000 /MediaBox [0 0 595 842] >>"
            .into(),
    );
    pdf.obj(
        9,
        "<< /Type /Pages /Parent 2 0 R /Kids [10 0 R] /Count 10000000000000 >>".into(),
    );
    pdf.obj(10, page_dict(9, Some(4), "<< /Font << /F1 5 0 R >> >>"));
    pdf.finish(1)
}

/// A page tree `depth` nodes deep with one page at the bottom.
pub fn deep_page_tree_pdf(depth: u32) -> Vec<u8> {
    let mut pdf = readable_one_pager();
    // Nodes 100.. form the chain; the root keeps its readable page and adds the chain.
    let first = 100;
    pdf.obj(
        2,
        format!("<< /Type /Pages /Kids [3 0 R {first} 0 R] /Count 2 /MediaBox [0 0 595 842] >>"),
    );
    for level in 0..depth {
        let id = first + level;
        let parent = if level == 0 { 2 } else { id - 1 };
        let kid = if level + 1 == depth { 10 } else { id + 1 };
        pdf.obj(
            id,
            format!("<< /Type /Pages /Parent {parent} 0 R /Kids [{kid} 0 R] /Count 1 >>"),
        );
    }
    let bottom = first + depth.saturating_sub(1);
    pdf.obj(
        10,
        page_dict(bottom, Some(4), "<< /Font << /F1 5 0 R >> >>"),
    );
    pdf.finish(1)
}

// ---------------------------------------------------------------------------------------------
// Unusual but honest files, which the limits must let through

/// A real book saved the modern way: objects packed in object streams, a compressed
/// cross-reference stream.
pub fn object_streams_book(pages: usize) -> Vec<u8> {
    let pdf = book_pdf(&novel::novel(pages), &FixtureOptions::default()).pdf;
    let Ok(mut doc) = lopdf::Document::load_mem(&pdf) else {
        return pdf;
    };
    let mut out = Vec::new();
    let options = lopdf::SaveOptions::builder()
        .use_object_streams(true)
        .use_xref_streams(true)
        .build();
    match doc.save_with_options(&mut out, options) {
        Ok(()) => out,
        Err(_) => pdf,
    }
}

/// A real book encrypted with an owner password only, as publishers restrict printing:
/// anyone can open it, and lopdf decrypts it with the empty password.
pub fn owner_password_only_book() -> Vec<u8> {
    let pdf = small_book();
    let Ok(mut doc) = lopdf::Document::load_mem(&pdf) else {
        return pdf;
    };
    let state = lopdf::EncryptionState::try_from(lopdf::EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password: "",
        key_length: 128,
        permissions: lopdf::Permissions::default(),
    });
    let mut out = Vec::new();
    match state.map(|state| doc.encrypt(&state)) {
        Ok(Ok(())) if doc.save_to(&mut out).is_ok() => out,
        _ => pdf,
    }
}

// ---------------------------------------------------------------------------------------------
// Writing PDFs by hand

fn helvetica() -> String {
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into()
}

fn text_resources() -> String {
    "<< /Font << /F1 5 0 R >> >>".into()
}

fn page_dict(parent: u32, contents: Option<u32>, resources: &str) -> String {
    let contents = contents
        .map(|c| format!("/Contents {c} 0 R"))
        .unwrap_or_default();
    format!("<< /Type /Page /Parent {parent} 0 R {contents} /Resources {resources} >>")
}

/// Catalog 1, page tree 2, page 3 with content 4 and font 5: one page of real text, so the
/// file would be accepted if it were not for what the caller adds.
fn readable_one_pager() -> RawPdf {
    let mut pdf = RawPdf::new();
    pdf.catalog_and_pages(&[3]);
    pdf.obj(3, page_dict(2, Some(4), &text_resources()));
    let text =
        b"BT /F1 11 Tf 72 700 Td (Il \xe9tait une fois une petite boutique au coin de la rue, \
        et tout le monde y venait le matin.) Tj ET";
    pdf.stream(4, "/Filter /FlateDecode", &zlib(text));
    pdf.obj(5, helvetica());
    pdf
}

/// A PDF written object by object; objects written later with the same number win, as in
/// an incremental update.
struct RawPdf {
    objects: Vec<(u32, Vec<u8>)>,
    offsets: Vec<(u32, usize)>,
}

impl RawPdf {
    fn new() -> Self {
        Self {
            objects: Vec::new(),
            offsets: Vec::new(),
        }
    }

    fn set(&mut self, id: u32, body: Vec<u8>) {
        self.objects.retain(|(o, _)| *o != id);
        self.objects.push((id, body));
    }

    fn obj(&mut self, id: u32, body: String) {
        self.set(id, body.into_bytes());
    }

    fn stream(&mut self, id: u32, dict: &str, data: &[u8]) {
        let mut body = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.set(id, body);
    }

    fn catalog_and_pages(&mut self, kids: &[u32]) {
        self.obj(1, "<< /Type /Catalog /Pages 2 0 R >>".into());
        let kids: String = kids.iter().map(|k| format!("{k} 0 R ")).collect();
        self.obj(
            2,
            format!(
                "<< /Type /Pages /Kids [{kids}] /Count {} /MediaBox [0 0 595 842] >>",
                kids.matches(" R").count()
            ),
        );
    }

    /// Header and objects; records where each object starts.
    fn body(&mut self) -> Vec<u8> {
        let mut out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n".to_vec();
        self.offsets.clear();
        for (id, body) in &self.objects {
            self.offsets.push((*id, out.len()));
            out.extend_from_slice(format!("{id} 0 obj\n").as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        out
    }

    /// With a classic cross-reference table.
    fn finish(mut self, root: u32) -> Vec<u8> {
        let mut out = self.body();
        let size = self.objects.iter().map(|(id, _)| *id).max().unwrap_or(0) + 1;
        let xref_at = out.len();
        let mut table = format!("xref\n0 {size}\n0000000000 65535 f \n");
        for id in 1..size {
            match self.offsets.iter().find(|(o, _)| *o == id) {
                Some((_, at)) => {
                    let _ = writeln!(table, "{at:010} 00000 n ");
                }
                None => table.push_str("0000000000 00000 f \n"),
            }
        }
        out.extend_from_slice(table.as_bytes());
        out.extend_from_slice(
            format!("trailer\n<< /Size {size} /Root {root} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n")
                .as_bytes(),
        );
        out
    }

    /// With a cross-reference stream whose dictionary gets `dict` and whose data is `data`
    /// (the caller decides whether it is honest).
    fn finish_with_xref_stream(mut self, root: u32, dict: &str, data: &[u8]) -> Vec<u8> {
        let mut out = self.body();
        let id = self.objects.iter().map(|(id, _)| *id).max().unwrap_or(0) + 1;
        let xref_at = out.len();
        out.extend_from_slice(
            format!(
                "{id} 0 obj\n<< /Type /XRef /Size {} /Root {root} 0 R {dict} /Length {} >>\nstream\n",
                id + 1,
                data.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(data);
        out.extend_from_slice(
            format!("\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::ZlibDecoder;

    use super::*;

    /// Inflates at most `cap` bytes and says how many came out and whether the stream ended.
    fn inflate_prefix(data: &[u8], cap: u64) -> (u64, bool) {
        let mut d = ZlibDecoder::new(data).take(cap);
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0u64;
        loop {
            match d.read(&mut buf) {
                Ok(0) => return (total, total < cap),
                Ok(n) => {
                    assert!(buf[..n].iter().all(|&b| b == 0));
                    total += n as u64;
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn the_zlib_bomb_is_valid_and_inflates_as_promised() {
        let bomb = zlib_zeros(64 << 20);
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        // Inflates completely, checksum included, to exactly 64 MiB of zeros.
        assert_eq!(inflate_prefix(&bomb, 1 << 30), (64 << 20, true));
        let big = double_zlib_zeros(BOMB_BYTES);
        assert!(big.len() < 64 * 1024, "{}", big.len());
        let mut once = Vec::new();
        ZlibDecoder::new(&big[..]).read_to_end(&mut once).unwrap();
        assert!(once.len() < 8 << 20);
        // The first 256 MiB are zeros and there is more.
        assert_eq!(inflate_prefix(&once, 256 << 20), (256 << 20, false));
    }

    #[test]
    fn hostile_files_are_small() {
        for h in all() {
            assert!(h.pdf.starts_with(b"%PDF-"), "{h:?}");
            assert!(h.pdf.len() < 8 << 20, "{h:?}");
        }
    }

    #[test]
    fn the_broken_xref_keeps_its_size_and_moves_every_offset() {
        let good = small_book_with_xref_table();
        let bad = broken_xref_pdf();
        assert!(last_xref_table(&good).is_some());
        assert_eq!(good.len(), bad.len());
        assert!(good != bad);
        // The good one still reads.
        assert!(lopdf::Document::load_mem(&good).unwrap().get_pages().len() > 1);
    }
}

/// A book any parser reads easily but whose text asks for a huge output: what a result may
/// store must stay proportional to the text however it is cut.
#[derive(Clone)]
pub struct LargeOutput {
    pub name: &'static str,
    pub pdf: Vec<u8>,
}

impl std::fmt::Debug for LargeOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} bytes)", self.name, self.pdf.len())
    }
}

/// Books whose sentences are cut into thousands of pieces.
pub fn large_output() -> Vec<LargeOutput> {
    let one_paragraph = |paragraph: String| {
        let chapters = [novel::Chapter {
            title: "CHAPITRE PREMIER".into(),
            paragraphs: vec![paragraph],
        }];
        book_pdf(&chapters, &FixtureOptions::default()).pdf
    };
    // About 30 pages: clauses that differ only by their number, so the file compresses to
    // a few kilobytes while its text is a hundred times that.
    let no_full_stop: Vec<String> = (1..=2_000)
        .map(|i| format!("et le vent {i} soufflait encore sur la lande grise"))
        .collect();
    // Short clauses, each with its subject and verb: the engine cuts only into sentences.
    let short_clauses: Vec<String> = (1..=6_000).map(|i| format!("il rit {i}")).collect();
    vec![
        LargeOutput {
            name: "thirty pages without a full stop",
            pdf: one_paragraph(format!("Alors {}", no_full_stop.join(", "))),
        },
        LargeOutput {
            name: "one sentence of six thousand short clauses",
            pdf: one_paragraph(format!("Il rit {}.", short_clauses.join(", "))),
        },
    ]
}
