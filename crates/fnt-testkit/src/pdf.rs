//! Real PDF fixtures, written with lopdf: a typeset French novel (A4, Helvetica 11/14,
//! justified, indented paragraphs, chapters on new pages, running headers and folios,
//! hyphenation), a scanned-looking book without any text, and an encrypted file.
//!
//! Each book fixture comes with the paragraphs the clean-up must give back, so tests can
//! compare the whole extraction pipeline against what was typeset.

use std::collections::{HashMap, VecDeque};

use lopdf::content::{Content, Operation};
use lopdf::{
    Dictionary, Document, EncryptionState, EncryptionVersion, Object, ObjectId, Permissions,
    Stream, StringFormat, dictionary,
};

use super::lcg::Lcg;
use super::novel::{AUTHOR, Chapter, TITLE};
use fnt::pdf::clean::keeps_line_end_hyphen;
use fnt::pdf::glyphs::{CP1252_HIGH, WINANSI_GLYPHS, cp1252_char};

pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;
const HEADING_SIZE: f32 = 16.0;
const FURNITURE_SIZE: f32 = 9.0;
// Vertical positions are baselines measured from the top of the page. The running header and
// the folio sit in the top and bottom 10 % of the page, the text block outside them.
const HEADER_Y: f32 = 50.0;
const FOLIO_Y: f32 = 800.0;
const BODY_TOP: f32 = 100.0;
const BODY_BOTTOM: f32 = 744.0;
const HEADING_Y: f32 = 280.0;
/// Space between a chapter heading's baseline and the first line of text, in leadings.
const AFTER_HEADING: f32 = 3.0;
/// Shortest word split with a soft hyphen, and shortest piece on either side of the split.
const MIN_HYPHENATED_WORD: usize = 8;
const MIN_HYPHENATED_PART: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FontKind {
    /// Helvetica, WinAnsiEncoding, with a /ToUnicode CMap: what a word processor writes.
    ToUnicode,
    /// Helvetica with glyphs assigned to codes in order of first use through /Differences and
    /// no /ToUnicode, as OCR tools and old printer drivers write: only glyph names tell what
    /// the bytes mean.
    NoToUnicode,
}

#[derive(Debug, Clone)]
pub struct FixtureOptions {
    pub font: FontKind,
    /// Author name on even pages, title in capitals on odd pages.
    pub running_headers: bool,
    /// Centered folio at the bottom of every page.
    pub page_numbers: bool,
    /// Split long words at line ends with a soft hyphen (U+00AD, drawn as a hyphen).
    pub soft_hyphens: bool,
    /// Pad the file to at least this many bytes with an image of pseudo-random (so
    /// incompressible) pixels, drawn one point wide in a corner of the last page.
    pub pad_to_bytes: Option<usize>,
    pub title: String,
    pub author: String,
    /// Body font size, in points.
    pub font_size: f32,
    /// Baseline-to-baseline distance of the body, in points.
    pub leading: f32,
    /// First-line indent of paragraphs, in points.
    pub indent: f32,
    /// Left and right margins, in points.
    pub margin: f32,
}

impl Default for FixtureOptions {
    fn default() -> Self {
        Self {
            font: FontKind::ToUnicode,
            running_headers: true,
            page_numbers: true,
            soft_hyphens: true,
            pad_to_bytes: None,
            title: TITLE.to_owned(),
            author: AUTHOR.to_owned(),
            font_size: 11.0,
            leading: 14.0,
            indent: 18.0,
            margin: 72.0,
        }
    }
}

#[derive(Clone)]
pub struct Fixture {
    pub pdf: Vec<u8>,
    pub page_count: u32,
    /// The paragraphs the clean-up must return (default `CleanOptions`), in order; chapter
    /// headings are not among them.
    pub paragraphs: Vec<String>,
    /// 1-based page on which each paragraph starts.
    pub page_of_paragraph: Vec<u32>,
    /// Each chapter's title and the page its heading stands on.
    pub chapters: Vec<(String, u32)>,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture")
            .field("pdf_bytes", &self.pdf.len())
            .field("page_count", &self.page_count)
            .field("paragraphs", &self.paragraphs.len())
            .finish()
    }
}

/// Typesets `chapters` into a PDF.
///
/// Panics if the text has a character Windows-1252 cannot encode (the fonts are simple
/// WinAnsi fonts): fixture text is ours to fix.
pub fn book_pdf(chapters: &[Chapter], opts: &FixtureOptions) -> Fixture {
    let layout = layout(chapters, opts);
    let mut doc = render(&layout, opts);
    let mut pdf = save(&mut doc);
    if let Some(target) = opts.pad_to_bytes
        && pdf.len() < target
    {
        pad(&mut doc, target - pdf.len());
        pdf = save(&mut doc);
    }
    Fixture {
        pdf,
        page_count: layout.pages.len() as u32,
        paragraphs: layout.paragraphs,
        page_of_paragraph: layout.page_of_paragraph,
        chapters: layout.chapters,
    }
}

/// Pages `chapter` takes at this layout (every chapter starts on a new page).
pub fn chapter_page_count(chapter: &Chapter, opts: &FixtureOptions) -> usize {
    layout(std::slice::from_ref(chapter), opts).pages.len()
}

/// Pages showing a grey "scan" image, a frame and a few rules, and no text at all.
pub fn image_only_pdf(pages: u32) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut rng = Lcg(0x5eed);
    let mut kids = Vec::new();
    for _ in 0..pages {
        let (w, h) = (96u32, 128u32);
        // Paper-grey gradient with noise, like a low-resolution scan.
        let pixels: Vec<u8> = (0..w * h)
            .map(|i| {
                let row = (i / w) as u8;
                200u8
                    .saturating_add(row / 4)
                    .wrapping_sub((rng.next_u64() % 24) as u8)
            })
            .collect();
        let mut image = Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Image",
                "Width" => w as i64,
                "Height" => h as i64,
                "ColorSpace" => "DeviceGray",
                "BitsPerComponent" => 8,
            },
            pixels,
        );
        image.compress().expect("flate-compress the image");
        let image_id = doc.add_object(image);
        let ops = vec![
            op("q", vec![]),
            op("cm", nums(&[451.0, 0.0, 0.0, 640.0, 72.0, 110.0])),
            op("Do", vec![Object::Name(b"Scan".to_vec())]),
            op("Q", vec![]),
            op("w", nums(&[0.8])),
            op("re", nums(&[60.0, 98.0, 475.0, 664.0])),
            op("S", vec![]),
            op("m", nums(&[72.0, 80.0])),
            op("l", nums(&[523.0, 80.0])),
            op("S", vec![]),
            op("g", nums(&[0.6])),
            op("re", nums(&[72.0, 770.0, 451.0, 12.0])),
            op("f", vec![]),
        ];
        let content_id = doc.add_object(content_stream(ops));
        kids.push(doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => dictionary! { "XObject" => dictionary! { "Scan" => image_id } },
        }));
    }
    finish_document(&mut doc, pages_id, kids, None);
    save(&mut doc)
}

/// A short book encrypted with the standard security handler (RC4, 128 bits) and a user
/// password ("secret"), so nothing can be read without it.
pub fn encrypted_pdf() -> Vec<u8> {
    let chapters = super::novel::chapters();
    let opts = FixtureOptions::default();
    let mut doc = render(&layout(&chapters[..1], &opts), &opts);
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password: "secret",
        key_length: 128,
        permissions: Permissions::default(),
    })
    .expect("set up encryption");
    doc.encrypt(&state).expect("encrypt");
    save(&mut doc)
}

// ---------------------------------------------------------------------------------------------
// Layout

#[derive(Clone)]
struct PlacedLine {
    text: String,
    x: f32,
    /// Baseline from the top of the page.
    y: f32,
    size: f32,
    /// `Tw`: extra space added to each space character, to justify the line.
    word_spacing: f32,
}

#[derive(Default)]
struct PageLayout {
    lines: Vec<PlacedLine>,
}

struct Layout {
    pages: Vec<PageLayout>,
    paragraphs: Vec<String>,
    page_of_paragraph: Vec<u32>,
    chapters: Vec<(String, u32)>,
}

/// One line of a wrapped paragraph.
struct Wrapped {
    text: String,
    width: f32,
    available: f32,
    first: bool,
    last: bool,
}

fn layout(chapters: &[Chapter], opts: &FixtureOptions) -> Layout {
    let mut out = Layout {
        pages: Vec::new(),
        paragraphs: Vec::new(),
        page_of_paragraph: Vec::new(),
        chapters: Vec::new(),
    };
    let text_width = PAGE_WIDTH - 2.0 * opts.margin;
    for chapter in chapters {
        out.pages.push(PageLayout::default());
        let mut y = HEADING_Y - HEADING_SIZE * 1.5;
        out.chapters
            .push((chapter.title.clone(), out.pages.len() as u32));
        for line in wrap(&chapter.title, text_width, 0.0, HEADING_SIZE, false) {
            y += HEADING_SIZE * 1.5;
            push_line(
                &mut out,
                PlacedLine {
                    x: (PAGE_WIDTH - line.width) / 2.0,
                    y,
                    size: HEADING_SIZE,
                    word_spacing: 0.0,
                    text: line.text,
                },
            );
        }
        y += AFTER_HEADING * opts.leading;
        for paragraph in &chapter.paragraphs {
            let lines = wrap(
                paragraph,
                text_width,
                opts.indent,
                opts.font_size,
                opts.soft_hyphens,
            );
            for line in lines {
                if y > BODY_BOTTOM + 0.01 {
                    out.pages.push(PageLayout::default());
                    y = BODY_TOP;
                }
                if line.first {
                    out.paragraphs.push(paragraph.clone());
                    out.page_of_paragraph.push(out.pages.len() as u32);
                }
                let spaces = line.text.matches(' ').count();
                let word_spacing = if line.last || spaces == 0 {
                    0.0
                } else {
                    (line.available - line.width) / spaces as f32
                };
                let indent = if line.first { opts.indent } else { 0.0 };
                push_line(
                    &mut out,
                    PlacedLine {
                        text: line.text,
                        x: opts.margin + indent,
                        y,
                        size: opts.font_size,
                        word_spacing,
                    },
                );
                y += opts.leading;
            }
        }
    }
    out
}

fn push_line(layout: &mut Layout, line: PlacedLine) {
    if let Some(page) = layout.pages.last_mut() {
        page.lines.push(line);
    }
}

/// Greedy line filling. Spaces next to « » ? ! ; : and after a dialogue dash do not break
/// (French typesetting puts a no-break space there). A word that does not fit is split at
/// one of its own hyphens, or with a soft hyphen, only where the clean-up will restore it.
fn wrap(text: &str, width: f32, indent: f32, size: f32, soft_hyphens: bool) -> Vec<Wrapped> {
    let space = text_width(" ", size);
    let mut boxes: VecDeque<String> = glue(text).into();
    let mut lines: Vec<Wrapped> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut used = 0.0;
    while let Some(b) = boxes.pop_front() {
        let available = if lines.is_empty() {
            width - indent
        } else {
            width
        };
        let sep = if words.is_empty() { 0.0 } else { space };
        let box_width = text_width(&b, size);
        if used + sep + box_width <= available + 0.01 {
            words.push(b);
            used += sep + box_width;
            continue;
        }
        match split_word(&b, available - used - sep, size, soft_hyphens) {
            Some((head, tail)) => {
                used += sep + text_width(&head, size);
                words.push(head);
                boxes.push_front(tail);
            }
            // Wider than a whole line: let it overflow rather than loop.
            None if words.is_empty() => {
                used = box_width;
                words.push(b);
            }
            None => boxes.push_front(b),
        }
        let first = lines.is_empty();
        lines.push(Wrapped {
            text: std::mem::take(&mut words).join(" "),
            width: std::mem::take(&mut used),
            available,
            first,
            last: false,
        });
    }
    if !words.is_empty() {
        lines.push(Wrapped {
            available: if lines.is_empty() {
                width - indent
            } else {
                width
            },
            first: lines.is_empty(),
            text: words.join(" "),
            width: used,
            last: true,
        });
    } else if let Some(last) = lines.last_mut() {
        last.last = true;
    }
    lines
}

/// Words, with punctuation-only words glued to their neighbour.
fn glue(text: &str) -> Vec<String> {
    let mut boxes: Vec<String> = Vec::new();
    let mut carry: Option<String> = None;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let punctuation_only = !word.chars().any(char::is_alphanumeric);
        let word = match carry.take() {
            Some(prefix) => format!("{prefix} {word}"),
            None => word.to_owned(),
        };
        if punctuation_only && (word.starts_with('«') || word.starts_with('—')) {
            carry = Some(word);
        } else if punctuation_only && !boxes.is_empty() {
            if let Some(last) = boxes.last_mut() {
                last.push(' ');
                last.push_str(&word);
            }
        } else {
            boxes.push(word);
        }
    }
    if let Some(rest) = carry {
        boxes.push(rest);
    }
    boxes
}

/// Best split of a one-word box into a head that fits in `room` (hyphen included) and the
/// rest for the next line.
fn split_word(word: &str, room: f32, size: f32, soft_hyphens: bool) -> Option<(String, String)> {
    if word.contains(' ') || room <= 0.0 {
        return None;
    }
    let mut candidates: Vec<(String, String)> = Vec::new();
    // At the word's own hyphens.
    for (i, c) in word.char_indices() {
        if c != '-' {
            continue;
        }
        let (head, tail) = (&word[..i], &word[i + 1..]);
        let letter_before = head.chars().last().is_some_and(char::is_alphabetic);
        let letter_after = tail.chars().next().is_some_and(char::is_alphabetic);
        if letter_before && letter_after && keeps_line_end_hyphen(head, tail) {
            candidates.push((format!("{head}-"), tail.to_owned()));
        }
    }
    // With a soft hyphen, in a plain word (letters, then maybe punctuation). The break must
    // also be undone when the soft hyphen reads back as a plain hyphen (fonts without
    // /ToUnicode), so it goes only where a plain hyphen would be taken as a break.
    if soft_hyphens {
        let letters: Vec<(usize, char)> = word
            .char_indices()
            .take_while(|(_, c)| c.is_alphabetic())
            .collect();
        let rest_has_letters = word[letters.last().map_or(0, |(i, c)| i + c.len_utf8())..]
            .chars()
            .any(char::is_alphanumeric);
        if letters.len() >= MIN_HYPHENATED_WORD && !rest_has_letters {
            let chars: Vec<char> = letters
                .iter()
                .map(|(_, c)| c.to_lowercase().next().unwrap_or(*c))
                .collect();
            let splits = MIN_HYPHENATED_PART..=letters.len() - MIN_HYPHENATED_PART;
            for (k, &(at, _)) in letters.iter().enumerate() {
                if !splits.contains(&k) || !syllable_break(&chars, k) {
                    continue;
                }
                let (head, tail) = (&word[..at], &word[at..]);
                if !keeps_line_end_hyphen(head, tail) {
                    candidates.push((format!("{head}\u{AD}"), tail.to_owned()));
                }
            }
        }
    }
    candidates
        .into_iter()
        .filter(|(head, _)| text_width(head, size) <= room + 0.01)
        .max_by_key(|(head, _)| head.len())
}

fn is_vowel(c: char) -> bool {
    "aeiouyàâäéèêëîïôöùûüÿœæ".contains(c)
}

/// Whether a lowercase word may be split before `letters[k]`, roughly as a French
/// typesetter would: the next line starts with a consonant (or a consonant pair like "pr",
/// "ch") followed by a vowel, and no such pair is torn apart ("mar-quait", "com-prendre",
/// "fa-vo-rite"; never "marqu-ait").
fn syllable_break(letters: &[char], k: usize) -> bool {
    let pair = |x: char, y: char| {
        matches!((x, y), ('c', 'h') | ('p', 'h') | ('t', 'h') | ('g', 'n'))
            || ("bcdfgkptv".contains(x) && "lr".contains(y))
    };
    let at = |i: usize| letters.get(i).copied();
    let (Some(before), Some(first)) = (k.checked_sub(1).and_then(at), at(k)) else {
        return false;
    };
    if is_vowel(first) {
        return false;
    }
    let onset = match (at(k + 1), at(k + 2)) {
        (Some(v), _) if is_vowel(v) => true,
        (Some(c), Some(v)) => pair(first, c) && is_vowel(v),
        _ => false,
    };
    onset && (is_vowel(before) || !pair(before, first))
}

// ---------------------------------------------------------------------------------------------
// Rendering

fn render(layout: &Layout, opts: &FixtureOptions) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();

    // Lines as drawn, page by page: running header, text, folio.
    let mut drawn: Vec<Vec<PlacedLine>> = Vec::new();
    for (i, page) in layout.pages.iter().enumerate() {
        let number = i + 1;
        let mut lines = Vec::new();
        if opts.running_headers {
            let text = if number % 2 == 0 {
                opts.author.clone()
            } else {
                opts.title.to_uppercase()
            };
            lines.push(centered(text, HEADER_Y));
        }
        lines.extend(page.lines.iter().cloned());
        if opts.page_numbers {
            lines.push(centered(number.to_string(), FOLIO_Y));
        }
        drawn.push(lines);
    }

    let encoder = match opts.font {
        FontKind::ToUnicode => Encoder::WinAnsi,
        FontKind::NoToUnicode => Encoder::custom(drawn.iter().flatten().map(|l| &l.text)),
    };
    let font = match &encoder {
        Encoder::WinAnsi => {
            let cmap_id = doc.add_object(Stream::new(Dictionary::new(), to_unicode_cmap()));
            let (first, widths) = winansi_widths();
            dictionary! {
                "Type" => "Font",
                "Subtype" => "Type1",
                "BaseFont" => "Helvetica",
                "Encoding" => "WinAnsiEncoding",
                "FirstChar" => first,
                "LastChar" => first + widths.len() as i64 - 1,
                "Widths" => widths,
                "ToUnicode" => cmap_id,
            }
        }
        Encoder::Custom { glyphs, .. } => {
            let mut differences = vec![Object::Integer(32)];
            differences.extend(glyphs.iter().map(|g| Object::Name(g.as_bytes().to_vec())));
            let widths: Vec<Object> = glyphs
                .iter()
                .map(|g| Object::Integer(i64::from(glyph_width(g))))
                .collect();
            dictionary! {
                "Type" => "Font",
                "Subtype" => "Type1",
                "BaseFont" => "Helvetica",
                "FirstChar" => 32,
                "LastChar" => 31 + glyphs.len() as i64,
                "Widths" => widths,
                "Encoding" => dictionary! {
                    "Type" => "Encoding",
                    "Differences" => differences,
                },
            }
        }
    };
    let font_id = doc.add_object(font);
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });

    let mut kids = Vec::new();
    for lines in &drawn {
        let mut ops = vec![op("BT", vec![])];
        let (mut size, mut spacing) = (f32::NAN, 0.0);
        for line in lines {
            if line.size != size {
                size = line.size;
                ops.push(op("Tf", vec![Object::Name(b"F1".to_vec()), size.into()]));
            }
            if line.word_spacing != spacing {
                spacing = line.word_spacing;
                ops.push(op("Tw", nums(&[spacing])));
            }
            ops.push(op(
                "Tm",
                nums(&[1.0, 0.0, 0.0, 1.0, line.x, PAGE_HEIGHT - line.y]),
            ));
            ops.push(op(
                "Tj",
                vec![Object::String(
                    encoder.encode(&line.text),
                    StringFormat::Literal,
                )],
            ));
        }
        ops.push(op("ET", vec![]));
        let content_id = doc.add_object(content_stream(ops));
        kids.push(doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => resources_id,
        }));
    }
    let info = doc.add_object(dictionary! {
        "Title" => lopdf::text_string(&opts.title),
        "Author" => lopdf::text_string(&opts.author),
        "Producer" => "fnt testkit",
    });
    finish_document(&mut doc, pages_id, kids, Some(info));
    doc
}

fn centered(text: String, y: f32) -> PlacedLine {
    PlacedLine {
        x: (PAGE_WIDTH - text_width(&text, FURNITURE_SIZE)) / 2.0,
        y,
        size: FURNITURE_SIZE,
        word_spacing: 0.0,
        text,
    }
}

/// Adds the page tree (A4, inherited by every page), catalog, trailer and file ID.
fn finish_document(
    doc: &mut Document,
    pages_id: ObjectId,
    kids: Vec<ObjectId>,
    info: Option<ObjectId>,
) {
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids.into_iter().map(Object::Reference).collect::<Vec<_>>(),
            "Count" => count,
            "MediaBox" => nums(&[0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT]),
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    if let Some(info) = info {
        doc.trailer.set("Info", info);
    }
    // Encryption keys are derived from the file ID.
    let id = Object::String(b"fnt-testkit-0001".to_vec(), StringFormat::Hexadecimal);
    doc.trailer.set("ID", Object::Array(vec![id.clone(), id]));
}

/// Appends an image of `bytes` pseudo-random (so incompressible) bytes to the last page,
/// drawn one point wide in the corner.
fn pad(doc: &mut Document, bytes: usize) {
    let Some((_, &page_id)) = doc.get_pages().iter().next_back() else {
        return;
    };
    let width = 1024usize.min(bytes.max(1));
    let height = bytes.div_ceil(width).max(1);
    let mut rng = Lcg(0x0bad_5eed);
    let mut data = Vec::with_capacity(width * height + 8);
    while data.len() < width * height {
        data.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    data.truncate(width * height);
    let mut image = Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Image",
            "Width" => width as i64,
            "Height" => height as i64,
            "ColorSpace" => "DeviceGray",
            "BitsPerComponent" => 8,
        },
        data,
    );
    image.allows_compression = false;
    let image_id = doc.add_object(image);
    let draw = doc.add_object(content_stream(vec![
        op("q", vec![]),
        op("cm", nums(&[1.0, 0.0, 0.0, 1.0, 0.0, 0.0])),
        op("Do", vec![Object::Name(b"Pad".to_vec())]),
        op("Q", vec![]),
    ]));
    let Ok(page) = doc.get_dictionary(page_id) else {
        return;
    };
    let contents = page.get(b"Contents").ok().cloned();
    let fonts = page
        .get(b"Resources")
        .ok()
        .and_then(|r| r.as_reference().ok())
        .and_then(|id| doc.get_dictionary(id).ok())
        .and_then(|r| r.get(b"Font").ok().cloned());
    let mut resources = dictionary! { "XObject" => dictionary! { "Pad" => image_id } };
    if let Some(fonts) = fonts {
        resources.set("Font", fonts);
    }
    if let Ok(page) = doc.get_dictionary_mut(page_id) {
        let mut all = Vec::new();
        all.extend(contents);
        all.push(Object::Reference(draw));
        page.set("Contents", all);
        page.set("Resources", resources);
    }
}

fn save(doc: &mut Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("write the PDF to memory");
    out
}

fn op(operator: &str, operands: Vec<Object>) -> Operation {
    Operation::new(operator, operands)
}

fn nums(values: &[f32]) -> Vec<Object> {
    values.iter().map(|&v| Object::Real(v)).collect()
}

fn content_stream(operations: Vec<Operation>) -> Stream {
    let bytes = Content { operations }
        .encode()
        .expect("encode a content stream");
    let mut stream = Stream::new(Dictionary::new(), bytes);
    stream.compress().expect("flate-compress a content stream");
    stream
}

// ---------------------------------------------------------------------------------------------
// Fonts and encodings

enum Encoder {
    WinAnsi,
    /// Code 32 is the space (word spacing only applies to code 32); then one code per glyph
    /// in order of first use, from 33.
    Custom {
        glyphs: Vec<&'static str>,
        codes: HashMap<&'static str, u8>,
    },
}

impl Encoder {
    fn custom<'a>(texts: impl Iterator<Item = &'a String>) -> Self {
        let mut glyphs = Vec::new();
        let mut codes = HashMap::from([("space", 32u8)]);
        glyphs.push("space");
        for c in texts.flat_map(|t| t.chars()) {
            let name = glyph_name(c);
            if !codes.contains_key(name) {
                let code = u8::try_from(32 + glyphs.len()).expect("fewer than 224 glyphs");
                codes.insert(name, code);
                glyphs.push(name);
            }
        }
        Encoder::Custom { glyphs, codes }
    }

    fn encode(&self, text: &str) -> Vec<u8> {
        match self {
            Encoder::WinAnsi => text.chars().map(cp1252).collect(),
            Encoder::Custom { codes, .. } => text.chars().map(|c| codes[glyph_name(c)]).collect(),
        }
    }
}

// Windows-1252 0x80..=0x9F; the rest of the high half is Latin-1.

/// Windows-1252 code of `c`; panics on a character the fixtures' fonts cannot show.
fn cp1252(c: char) -> u8 {
    match c as u32 {
        0x20..=0x7E | 0xA0..=0xFF => c as u8,
        _ => match CP1252_HIGH.iter().position(|&h| h == Some(c)) {
            Some(i) => 0x80 + i as u8,
            None => panic!("{c:?} (U+{:04X}) is not in Windows-1252", c as u32),
        },
    }
}

fn glyph_name(c: char) -> &'static str {
    let name = WINANSI_GLYPHS[usize::from(cp1252(c)) - 32];
    assert!(!name.is_empty(), "no glyph for {c:?}");
    name
}

fn glyph_width(name: &str) -> u16 {
    WINANSI_GLYPHS
        .iter()
        .position(|g| *g == name)
        .map_or(0, |i| HELVETICA_WIDTHS[i])
}

fn char_width(c: char) -> f32 {
    f32::from(HELVETICA_WIDTHS[usize::from(cp1252(c)) - 32])
}

/// Width of `text` in Helvetica at `size` points (no kerning, like the PDF we write).
fn text_width(text: &str, size: f32) -> f32 {
    text.chars().map(char_width).sum::<f32>() * size / 1000.0
}

fn winansi_widths() -> (i64, Vec<Object>) {
    (
        32,
        HELVETICA_WIDTHS
            .iter()
            .map(|&w| Object::Integer(i64::from(w)))
            .collect(),
    )
}

/// ToUnicode CMap for every Windows-1252 code (soft hyphen included, as U+00AD). Runs where
/// codes and characters advance together are written as ranges, like most producers do: a
/// CMap is parsed again for every page, and one entry per code makes that slow.
fn to_unicode_cmap() -> Vec<u8> {
    let mapped: Vec<(u8, char)> = (0x20u8..=0xFF)
        .filter_map(|code| cp1252_char(code).map(|c| (code, c)))
        .collect();
    let mut ranges: Vec<(u8, u8, char)> = Vec::new();
    for &(code, c) in &mapped {
        match ranges.last_mut() {
            Some((first, last, start))
                if u32::from(code) == u32::from(*last) + 1
                    && c as u32 == *start as u32 + u32::from(code - *first) =>
            {
                *last = code;
            }
            _ => ranges.push((code, code, c)),
        }
    }
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<00> <FF>\nendcodespacerange\n",
    );
    for chunk in ranges.chunks(100) {
        cmap.push_str(&format!("{} beginbfrange\n", chunk.len()));
        for (first, last, c) in chunk {
            cmap.push_str(&format!("<{first:02X}> <{last:02X}> <{:04X}>\n", *c as u32));
        }
        cmap.push_str("endbfrange\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    cmap.into_bytes()
}

/// Helvetica advance widths (AFM, 1/1000 em) for WinAnsi codes 32..=255.
const HELVETICA_WIDTHS: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
    0, 556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 222, 222,
    333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556,
    260, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 556, 537, 278, 333,
    333, 365, 556, 834, 834, 834, 611, 667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667,
    278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667,
    611, 556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, 556, 556,
    556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::novel::{REFRAIN, chapters, novel};
    use fnt::pdf::clean::{Book, CleanOptions, clean_book};
    use fnt::pdf::extract::{ExtractError, RawPage, extract_pages};

    fn read(pdf: &[u8], opts: CleanOptions) -> (Vec<RawPage>, Book) {
        let doc = Document::load_mem(pdf).expect("lopdf loads the fixture");
        let pages = extract_pages(&doc).expect("every page extracts");
        let book = clean_book(&pages, opts);
        (pages, book)
    }

    /// The clean text gives back exactly the typeset paragraphs, each starting on its page.
    fn assert_round_trip(fixture: &Fixture, book: &Book) {
        let got: Vec<&str> = book.text.split('\n').collect();
        let want: Vec<&str> = fixture.paragraphs.iter().map(String::as_str).collect();
        if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
            panic!(
                "paragraph {i} differs\n got: {:?}\nwant: {:?}",
                got.get(i),
                want.get(i)
            );
        }
        let chapters: Vec<(String, u32)> = book
            .chapters
            .iter()
            .map(|c| (c.title.clone(), c.first_page))
            .collect();
        assert_eq!(chapters, fixture.chapters);
        assert_eq!(book.page_starts.len(), fixture.page_count as usize);
        assert_eq!(book.page_starts.first(), Some(&0));
        assert!(book.page_starts.windows(2).all(|w| w[0] <= w[1]));
        let mut offset = 0;
        for (i, paragraph) in got.iter().enumerate() {
            let page = book.page_starts.iter().rposition(|&s| s <= offset).unwrap() + 1;
            assert_eq!(
                page as u32, fixture.page_of_paragraph[i],
                "paragraph {i} ({paragraph:?}) is on the wrong page"
            );
            offset += paragraph.len() + 1;
        }
    }

    fn options(font: FontKind, headers: bool, numbers: bool, soft: bool) -> FixtureOptions {
        FixtureOptions {
            font,
            running_headers: headers,
            page_numbers: numbers,
            soft_hyphens: soft,
            ..Default::default()
        }
    }

    #[test]
    fn round_trip_with_both_fonts() {
        for font in [FontKind::ToUnicode, FontKind::NoToUnicode] {
            let fixture = book_pdf(&chapters(), &options(font, true, true, true));
            assert!(fixture.page_count >= 14);
            let (_, book) = read(&fixture.pdf, CleanOptions::default());
            assert_round_trip(&fixture, &book);
        }
    }

    #[test]
    fn round_trip_with_and_without_furniture_and_soft_hyphens() {
        for font in [FontKind::ToUnicode, FontKind::NoToUnicode] {
            for (headers, numbers, soft) in [
                (false, false, false),
                (true, false, true),
                (false, true, false),
                (true, true, false),
            ] {
                let fixture = book_pdf(&chapters(), &options(font, headers, numbers, soft));
                let (_, book) = read(&fixture.pdf, CleanOptions::default());
                assert_round_trip(&fixture, &book);
            }
        }
    }

    #[test]
    fn round_trip_without_fixing_hyphenation() {
        // Soft hyphens are still undone and compounds keep their hyphen: with a ToUnicode
        // font nothing else changes. (Without ToUnicode a soft hyphen reads back as "-", so
        // there the split words would stay split, as asked.)
        let fixture = book_pdf(&chapters(), &FixtureOptions::default());
        let (_, book) = read(
            &fixture.pdf,
            CleanOptions {
                fix_hyphenation: false,
            },
        );
        assert_round_trip(&fixture, &book);
    }

    #[test]
    fn the_fixture_exercises_the_hard_cases() {
        let fixture = book_pdf(&chapters(), &FixtureOptions::default());
        let (pages, book) = read(&fixture.pdf, CleanOptions::default());
        let lines: Vec<&str> = pages
            .iter()
            .flat_map(|p| p.lines.iter().map(|l| l.text.as_str()))
            .collect();
        // Long words split with a soft hyphen.
        assert!(lines.iter().filter(|l| l.ends_with('\u{AD}')).count() >= 3);
        // Compounds split at their own hyphen, kept whole in the text.
        let compound_breaks: Vec<String> = lines
            .windows(2)
            .filter(|w| w[0].ends_with('-'))
            .map(|w| {
                let head = w[0].rsplit(' ').next().unwrap_or_default();
                let tail = w[1].split(' ').next().unwrap_or_default();
                format!("{head}{tail}")
            })
            .collect();
        assert!(
            !compound_breaks.is_empty(),
            "no compound is split at a line end"
        );
        for word in &compound_breaks {
            assert!(book.text.contains(word.as_str()), "{word} not rejoined");
        }
        // Chapters flow over several pages.
        assert!(fixture.page_count as usize > chapters().len());
    }

    #[test]
    fn a_sentence_split_across_a_page_break_is_rejoined() {
        let fixture = book_pdf(&chapters(), &FixtureOptions::default());
        let (pages, book) = read(&fixture.pdf, CleanOptions::default());
        let mut rejoined = 0;
        for (p, &start) in book.page_starts.iter().enumerate().skip(1) {
            let before = &book.text[..start];
            // Mid-paragraph and mid-sentence: the page break fell inside a sentence.
            if !before.ends_with(' ') || before.trim_end().ends_with(['.', '!', '?', '…', '»']) {
                continue;
            }
            let sentence_start = before.rfind(['.', '?', '!', '\n']).map_or(0, |i| i + 1);
            let sentence_end = book.text[start..]
                .find(['.', '?', '!', '\n'])
                .map_or(book.text.len(), |i| start + i + 1);
            let sentence = book.text[sentence_start..sentence_end].trim();
            // Its two halves were drawn on two pages: the last text line of one page (before
            // the folio) and the first text line of the next (after the running header).
            let last_line = &pages[p - 1].lines[pages[p - 1].lines.len() - 2].text;
            let first_line = &pages[p].lines[1].text;
            let tail_of_last = last_line.trim_end_matches('\u{AD}');
            let tail_of_last = tail_of_last.rsplit(' ').next().unwrap_or_default();
            let head_of_first = first_line.split(' ').next().unwrap_or_default();
            assert!(sentence.contains(tail_of_last) && sentence.contains(head_of_first));
            assert!(
                fixture
                    .paragraphs
                    .iter()
                    .any(|para| para.contains(sentence)),
                "{sentence:?} is not in the source"
            );
            rejoined += 1;
        }
        assert!(
            rejoined >= 2,
            "only {rejoined} sentences cross a page break"
        );
    }

    #[test]
    fn the_refrain_appears_as_often_as_written() {
        let written: usize = chapters()
            .iter()
            .flat_map(|c| &c.paragraphs)
            .map(|p| p.matches(REFRAIN).count())
            .sum();
        assert!(written >= 4);
        for font in [FontKind::ToUnicode, FontKind::NoToUnicode] {
            let fixture = book_pdf(&chapters(), &options(font, true, true, true));
            let (_, book) = read(&fixture.pdf, CleanOptions::default());
            assert_eq!(book.text.matches(REFRAIN).count(), written);
        }
    }

    #[test]
    fn without_to_unicode_lopdf_glues_lines_and_trusts_the_encoding_type() {
        let fixture = book_pdf(
            &chapters(),
            &options(FontKind::NoToUnicode, false, false, false),
        );
        let (_, book) = read(&fixture.pdf, CleanOptions::default());
        // lopdf keeps the headings in the text; the clean-up makes them chapters.
        let mut with_titles = String::new();
        let mut at = 0;
        for chapter in &book.chapters {
            with_titles.push_str(&book.text[at..chapter.start]);
            with_titles.push_str(&chapter.title);
            at = chapter.start;
        }
        with_titles.push_str(&book.text[at..]);
        let ours: String = with_titles.chars().filter(|c| !c.is_whitespace()).collect();
        let mut doc = Document::load_mem(&fixture.pdf).unwrap();
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();

        // lopdf does decode /Differences glyph names (the characters match ours), but it
        // writes nothing where a line ends, so the last word of a line and the first word
        // of the next one are glued together.
        let theirs = doc.extract_text(&pages).unwrap();
        let theirs_compact: String = theirs.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(theirs_compact, ours);
        assert!(theirs.contains("merceriequi"), "{}", &theirs[..300]);
        assert!(book.text.contains("une mercerie qui ne vendait"));

        // The /Type entry of an encoding dictionary is optional, and many producers leave it
        // out; lopdf then ignores /Differences and falls back to StandardEncoding, returning
        // wrong characters. pdf-extract, and so our extraction, is unaffected.
        for object in doc.objects.values_mut() {
            if let Ok(font) = object.as_dict_mut()
                && let Ok(encoding) = font.get_mut(b"Encoding")
                && let Ok(encoding) = encoding.as_dict_mut()
            {
                encoding.remove(b"Type");
            }
        }
        let garbled = doc.extract_text(&pages).unwrap();
        assert!(!garbled.contains("La boutique de M. Lambert"));
        assert!(!garbled.contains("Lambert"));
        let again = clean_book(&extract_pages(&doc).unwrap(), CleanOptions::default());
        assert_eq!(again, book);
    }

    #[test]
    fn image_only_pages_have_no_text() {
        let pdf = image_only_pdf(3);
        let (pages, book) = read(&pdf, CleanOptions::default());
        assert_eq!(pages.len(), 3);
        assert!(
            pages
                .iter()
                .all(|p| p.lines.is_empty() && p.width == PAGE_WIDTH)
        );
        assert_eq!(book.text, "");
        assert_eq!(book.page_starts, vec![0, 0, 0]);
    }

    #[test]
    fn encrypted_pdf_needs_its_password() {
        let pdf = encrypted_pdf();
        match Document::load_mem(&pdf) {
            Ok(doc) => {
                assert!(doc.trailer.get(b"Encrypt").is_ok());
                assert!(matches!(extract_pages(&doc), Err(ExtractError::Encrypted)));
            }
            Err(e) => assert!(
                matches!(
                    e,
                    lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword
                ),
                "{e:?}"
            ),
        }
        // Real encryption, not just a flag: with the password the text comes back.
        let doc =
            Document::load_mem_with_options(&pdf, lopdf::LoadOptions::with_password("secret"))
                .unwrap();
        let book = clean_book(&extract_pages(&doc).unwrap(), CleanOptions::default());
        assert!(book.text.starts_with("La boutique de M. Lambert"));
        assert_eq!(book.chapters[0].title, "CHAPITRE I — La boutique");
    }

    #[test]
    fn padding_reaches_the_size_and_leaves_the_text_alone() {
        let target = 1_500_000;
        let fixture = book_pdf(
            &chapters(),
            &FixtureOptions {
                pad_to_bytes: Some(target),
                ..Default::default()
            },
        );
        assert!(fixture.pdf.len() >= target);
        assert!(
            fixture.pdf.len() < target + 64 * 1024,
            "{}",
            fixture.pdf.len()
        );
        let (_, book) = read(&fixture.pdf, CleanOptions::default());
        assert_round_trip(&fixture, &book);
    }

    #[test]
    fn a_500_page_novel_extracts_and_cleans() {
        let chapters = novel(500);
        let started = Instant::now();
        let fixture = book_pdf(&chapters, &FixtureOptions::default());
        let built = started.elapsed();
        assert!(
            (500..=510).contains(&fixture.page_count),
            "{}",
            fixture.page_count
        );
        let started = Instant::now();
        let doc = Document::load_mem(&fixture.pdf).unwrap();
        let pages = extract_pages(&doc).unwrap();
        let extracted = started.elapsed();
        let book = clean_book(&pages, CleanOptions::default());
        let cleaned = started.elapsed() - extracted;
        eprintln!(
            "{} pages, {} KiB: built in {built:?}, loaded+extracted in {extracted:?}, cleaned \
             in {cleaned:?}",
            fixture.page_count,
            fixture.pdf.len() / 1024
        );
        assert_round_trip(&fixture, &book);
    }

    #[test]
    fn round_trip_holds_across_layouts() {
        // Other margins and sizes move every line and page break: more compounds split at
        // their own hyphen, and split words across page breaks, whose joined word must count
        // for the earlier page.
        let mut straddling = 0;
        let mut compounds = Vec::new();
        for (margin, font_size, leading, indent) in [
            (60.0, 11.0, 14.0, 18.0),
            (80.0, 11.0, 13.0, 11.0),
            (90.0, 10.0, 12.5, 15.0),
            (72.0, 12.0, 15.0, 24.0),
            (66.0, 10.5, 13.5, 20.0),
        ] {
            let opts = FixtureOptions {
                margin,
                font_size,
                leading,
                indent,
                ..Default::default()
            };
            let fixture = book_pdf(&chapters(), &opts);
            let (pages, book) = read(&fixture.pdf, CleanOptions::default());
            assert_round_trip(&fixture, &book);
            let lines: Vec<&str> = pages
                .iter()
                .flat_map(|p| p.lines.iter().map(|l| l.text.as_str()))
                .collect();
            for pair in lines.windows(2).filter(|w| w[0].ends_with('-')) {
                let head = pair[0].rsplit(' ').next().unwrap_or_default();
                let tail = pair[1].split(' ').next().unwrap_or_default();
                let word = format!("{head}{tail}");
                assert!(book.text.contains(&word), "{word} not rejoined");
                compounds.push(word);
            }
            for (p, pair) in pages.windows(2).enumerate() {
                // The last line before the folio ends with a split word.
                let body = &pair[0].lines[..pair[0].lines.len() - 1];
                if body
                    .last()
                    .is_some_and(|l| l.text.ends_with(['\u{AD}', '-']))
                {
                    straddling += 1;
                    let start = book.page_starts[p + 1];
                    let next_text = &pair[1].lines[1].text;
                    let rest = next_text.split_once(' ').map_or("", |(_, rest)| rest);
                    assert!(book.text[start..].starts_with(rest), "page {}", p + 2);
                }
            }
        }
        assert!(straddling >= 1);
        for expected in ["peut-être", "arc-en-ciel", "disait-il,", "lui-même"] {
            assert!(compounds.iter().any(|c| c == expected), "{compounds:?}");
        }
    }

    #[test]
    fn layout_helpers() {
        assert_eq!(
            glue("« Tu viens ? » demanda-t-elle."),
            ["« Tu", "viens ? »", "demanda-t-elle."]
        );
        assert_eq!(glue("— Oui ; non !"), ["— Oui ;", "non !"]);
        let word: Vec<char> = "marquait".chars().collect();
        let breaks: Vec<usize> = (1..word.len())
            .filter(|&k| syllable_break(&word, k))
            .collect();
        assert_eq!(breaks, [3]); // "mar-quait", never "marqu-ait"
        let word: Vec<char> = "comprendre".chars().collect();
        let breaks: Vec<usize> = (1..word.len())
            .filter(|&k| syllable_break(&word, k))
            .collect();
        assert_eq!(breaks, [3, 7]); // "com-pren-dre"
        assert_eq!(cp1252('€'), 0x80);
        assert_eq!(cp1252('œ'), 0x9C);
        assert_eq!(cp1252('\u{AD}'), 0xAD);
        assert_eq!(cp1252_char(0x85), Some('…'));
        assert_eq!(glyph_name('«'), "guillemotleft");
        assert!((text_width("Helvetica", 10.0) - 41.12).abs() < 0.01);
    }
}
