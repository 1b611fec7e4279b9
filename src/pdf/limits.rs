//! Byte-level caps: those of the upload's cheap checks ([`super::precheck`]), which run
//! without the sandbox's limits, and those our own page reader keeps, which a page must also
//! keep to be given to pdf-extract when our reader cannot read it. Every cap is far above what a real book needs; what
//! passes them is bounded by the operating-system limits of the child process that reads
//! the whole book ([`crate::sandbox`]).

/// Inflated size of one stream our page reader inflates (page contents, forms, fonts,
/// CMaps). A dense page is tens of kilobytes and an embedded font a few megabytes; a
/// decompression bomb is gigabytes from a few kilobytes.
pub(crate) const MAX_STREAM_BYTES: usize = 32 << 20;

/// Inflated size of one object stream or cross-reference stream the cheap checks read.
/// Writers put at most a few hundred objects (a few hundred kilobytes) in each.
pub(crate) const MAX_OBJECT_STREAM_BYTES: usize = 8 << 20;

/// One row of a PNG predictor (two are allocated before any data is read, sized from
/// /Columns, /Colors and /BitsPerComponent). A 10 000-pixel CMYK row at 16 bits is 80 KB.
pub(crate) const MAX_PREDICTOR_ROW_BYTES: usize = 1 << 20;

/// Entries read from cross-reference tables and streams. Each object of a file has one; a
/// 500-page novel has a few thousand.
pub(crate) const MAX_XREF_ENTRIES: u64 = 1_000_000;

/// Width of a cross-reference stream field (/W): real files use 1 to 4 bytes.
pub(crate) const MAX_XREF_FIELD_WIDTH: i64 = 8;

/// Levels of the page tree. Writers build balanced trees a handful of levels deep.
pub(crate) const MAX_PAGE_TREE_DEPTH: usize = 64;

/// Nodes and pages of the page tree the cheap checks visit. Well above any page limit a
/// server would set.
pub(crate) const MAX_PAGE_TREE_NODES: usize = 100_000;

/// Forms drawn inside forms, in our page reader. Real files nest two or three.
pub(crate) const MAX_FORM_DEPTH: usize = 12;

/// Drawings of forms on one page, every level of forms within forms counted. A page of a
/// book draws a handful; forms drawing ten forms, ten levels deep, draw ten billion.
pub(crate) const MAX_FORM_DRAWS: u64 = 10_000;

/// Content operators our reader runs for one page, forms included. A book page runs a few
/// thousand (a browser's, which places every glyph, tens of thousands).
pub(crate) const MAX_PAGE_OPERATIONS: u64 = 2_000_000;

/// Bytes of content streams and forms our reader inflates for one page.
pub(crate) const MAX_PAGE_INFLATED: u64 = 64 << 20;
