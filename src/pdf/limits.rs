//! How much work an uploaded PDF may make this server do. Every limit is far above what a
//! real book needs (a 500-page novel uses well under a tenth of each) and far below what
//! would hurt a worker: hostile files are refused with `pdf_too_complex` before lopdf or
//! pdf-extract start the expensive part, or as soon as our own reader passes a ceiling.

// ---- Loading (checked on the raw bytes by `scan`, before lopdf sees them) ----

/// Inflated size of one stream a page's reader inflates (page contents, forms, fonts,
/// CMaps, ICC profiles). A dense page is tens of kilobytes and an embedded font a few
/// megabytes; a decompression bomb is gigabytes from a few kilobytes.
pub(crate) const MAX_STREAM_BYTES: usize = 32 << 20;

/// Inflated size of one object stream or cross-reference stream: lopdf inflates and parses
/// all of them while loading, so their contents are held in full. Writers put at most a few
/// hundred objects (a few hundred kilobytes) in each.
pub(crate) const MAX_OBJECT_STREAM_BYTES: usize = 8 << 20;

/// All the object and cross-reference streams of one file, each inflated once. Bounds the
/// memory lopdf holds after loading and the time the scan spends inflating.
pub(crate) const MAX_INFLATED_BYTES: u64 = 256 << 20;

/// One row of a PNG predictor: lopdf allocates two of them before reading any data, sized
/// from /Columns, /Colors and /BitsPerComponent. A 10 000-pixel CMYK row at 16 bits is
/// 80 KB.
pub(crate) const MAX_PREDICTOR_ROW_BYTES: usize = 1 << 20;

/// Entries lopdf reads from cross-reference tables and streams. Each object of a file has
/// one; a 500-page novel has a few thousand.
pub(crate) const MAX_XREF_ENTRIES: u64 = 1_000_000;

/// Width of a cross-reference stream field (/W). lopdf allocates a buffer this wide and
/// reads numbers of at most 4 bytes; real files use 1 to 4.
pub(crate) const MAX_XREF_FIELD_WIDTH: i64 = 8;

/// Values (numbers, names, strings, arrays…) lopdf creates while loading. Each costs
/// about 120 bytes, so this caps the loaded document near 400 MB even for a file made of
/// nothing but tiny numbers; a tagged 500-page book has a few hundred thousand.
pub(crate) const MAX_LOAD_VALUES: u64 = 3_000_000;

/// Bytes lopdf parses while loading, as a multiple of the file size (plus some slack for
/// object streams). A well-formed file is parsed about once; cross-reference entries that
/// all point at one big object make lopdf parse it once per entry.
pub(crate) fn max_load_bytes(file_len: usize) -> u64 {
    4 * file_len as u64 + (16 << 20)
}

// ---- Structure (the page tree, checked on the loaded document before pages are read) ----

/// Levels of the page tree. Writers build balanced trees a handful of levels deep; lopdf
/// stops at 256 and pdf-extract follows /Parent links by recursion.
pub(crate) const MAX_PAGE_TREE_DEPTH: usize = 64;

/// Nodes and pages visited in the page tree (a page listed twice counts twice). Well above
/// any page limit a server would set.
pub(crate) const MAX_PAGE_TREE_NODES: usize = 100_000;

/// Forms drawn inside forms. pdf-extract and our reader recurse once per level; real files
/// nest two or three.
pub(crate) const MAX_FORM_DEPTH: usize = 12;

/// Content operators our reader runs for one page, forms included. A book page runs a few
/// thousand (a browser's, which places every glyph, tens of thousands); a form drawn
/// thousands of times by forms drawn thousands of times is not a book.
pub(crate) const MAX_PAGE_OPERATIONS: u64 = 2_000_000;

/// The same for the whole book: a 500-page novel runs a few million.
pub(crate) const MAX_DOCUMENT_OPERATIONS: u64 = 50_000_000;

/// Values in what pdf-extract parses at once (a page's content streams together, or one
/// form): all of it is held in memory, about 120 bytes a value. A dense page of text has a
/// few thousand.
pub(crate) const MAX_CONTENT_VALUES: u64 = 1_000_000;

/// Bytes the scan may read to summarize one content stream, as a multiple of its length.
/// A value that fails to parse is read again from the next byte, which real content, where
/// values almost never fail, does not notice; a stream of unclosed strings or endless
/// numbers would make each of its bytes cost a read to the end of the stream.
pub(crate) fn max_content_read_bytes(len: usize) -> u64 {
    8 * len as u64 + (1 << 20)
}

// ---- Reading pages (checked as each page is read) ----

/// What reading one page may cost: values parsed and bytes inflated, every form drawing
/// and font load counted as pdf-extract does them (our reader counts what it inflates
/// against the same ceiling). Bounds the time per page.
pub(crate) const MAX_PAGE_VALUES: u64 = 4_000_000;
pub(crate) const MAX_PAGE_INFLATED: u64 = 64 << 20;

/// The same for the whole book: a 500-page novel parses a few million values and inflates
/// a few hundred megabytes at most (fonts are inflated again on every page).
pub(crate) const MAX_DOCUMENT_VALUES: u64 = 40_000_000;
pub(crate) const MAX_DOCUMENT_INFLATED: u64 = 2 << 30;
