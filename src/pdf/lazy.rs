//! The upload's view of a PDF: the page tree and the few pages it samples, parsed on demand
//! through the cross-reference table, instead of the whole file.
//!
//! Loading a whole book with lopdf (and first measuring, in [`super::scan`], what that load
//! will cost) parses every object in it: a browser's tagged 300-page book has half a
//! megabyte of structure tree, annotations and outlines that no page read at upload needs,
//! and loading it made the upload of such a book cost five times the generated sample's.
//! Here only what the check reads is parsed: the trailer, the catalog, the page tree and,
//! for each sampled page, its resources and contents. Every parse is charged to the same
//! budget as the whole-file scan, every object stream is inflated under the same cap, and
//! objects are decrypted as lopdf would. A file whose cross-references cannot be read this
//! way (damaged, reconstructed, oddly built) is opened whole, as before.
//!
//! What this view never parses (an object stream no page refers to, a bomb in the
//! structure tree) is refused when the job loads the whole book, after the 202.

use std::collections::{HashMap, HashSet};

use lopdf::encryption::{EncryptionState, decrypt_object};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use memchr::memmem;

use super::PdfError;
use super::decode::decode;
use super::lex::{Body, Lexer, MAX_NESTING};
use super::limits::{MAX_OBJECT_STREAM_BYTES, MAX_PAGE_TREE_DEPTH, MAX_PAGE_TREE_NODES};
use super::scan::{Entry, Scan, Xref};

/// A document holding only the objects read so far, and the means to read more.
pub(crate) struct Partial<'a> {
    pub(crate) doc: Document,
    b: &'a [u8],
    scan: Scan<'a>,
    xref: Xref,
    crypt: Option<EncryptionState>,
    /// Object streams inflated so far: their data and where each object starts in it.
    containers: HashMap<u32, Option<Container>>,
    /// Objects looked for and not found, so that a dangling reference costs one look.
    missing: HashSet<ObjectId>,
    /// An entry of the cross-reference table did not lead to its object: lopdf copes with
    /// such files in ways of its own, so they are loaded whole.
    damaged: bool,
}

struct Container {
    data: Vec<u8>,
    starts: HashMap<u32, usize>,
}

/// Keys of a page (or page tree node) whose values the page's text needs.
const PAGE_KEYS: [&[u8]; 4] = [b"Resources", b"Contents", b"MediaBox", b"CropBox"];

impl<'a> Partial<'a> {
    /// The catalog and page tree of `bytes` (a file whose header is in its first kilobyte),
    /// or `None` when its cross-references cannot be read directly: then it must be loaded
    /// whole.
    pub(crate) fn open(bytes: &'a [u8]) -> Result<Option<Self>, PdfError> {
        // lopdf drops everything before the header and counts offsets from it.
        let start = memmem::find(bytes, b"%PDF-").unwrap_or(0);
        let b = &bytes[start..];
        // lopdf unpacks every object stream it loads into the document, over whatever the
        // cross-references say an object is: which version of an object it keeps cannot be
        // told without unpacking them all, so such files are loaded whole. (Found by the
        // fuzzer: a page read from its own definition here, from an object stream there.)
        if memmem::find(b, b"/ObjStm").is_some() {
            return Ok(None);
        }
        let mut scan = Scan::new(b);
        let Some(mut xref) = scan.read_xref()? else {
            return Ok(None);
        };
        let crypt = scan.encryption(&xref)?;
        // lopdf reads an encrypted file its own way (each object copied up to the next
        // `endobj`, then parsed): where that finds another object than the cross-references
        // name, only the whole load knows. Found by the fuzzer; such files are loaded whole.
        if crypt.is_some() {
            return Ok(None);
        }
        // lopdf drops /Encrypt once it has decrypted the file with the empty password.
        if crypt.is_some() {
            xref.trailer.remove(b"Encrypt");
        }
        let mut doc = Document::new();
        doc.trailer = xref.trailer.clone();
        let mut partial = Self {
            doc,
            b,
            scan,
            xref,
            crypt,
            containers: HashMap::new(),
            missing: HashSet::new(),
            damaged: false,
        };
        if !partial.read_page_tree()? || partial.damaged {
            return Ok(None);
        }
        Ok(Some(partial))
    }

    /// Whether an object the reading needed was not where the cross-references said: what
    /// was read cannot be trusted to be what lopdf reads.
    pub(crate) fn damaged(&self) -> bool {
        self.damaged
    }

    /// Reads the catalog and every node and page of the tree, each once; `false` when there
    /// is no catalog to start from.
    fn read_page_tree(&mut self) -> Result<bool, PdfError> {
        let Ok(root) = self.doc.trailer.get(b"Root").and_then(Object::as_reference) else {
            return Ok(false);
        };
        let Some(catalog) = self.object(root)? else {
            return Ok(false);
        };
        let Ok(pages) = catalog.as_dict().and_then(|c| c.get(b"Pages")).cloned() else {
            return Ok(false);
        };
        let mut todo: Vec<(Object, usize)> = vec![(pages, 0)];
        let mut seen = HashSet::new();
        while let Some((node, depth)) = todo.pop() {
            let Ok(id) = node.as_reference() else {
                continue;
            };
            // The tree is checked properly once it is read; this only keeps the reading
            // finite.
            if !seen.insert(id) || depth > MAX_PAGE_TREE_DEPTH || seen.len() > MAX_PAGE_TREE_NODES {
                continue;
            }
            let Some(Object::Dictionary(dict)) = self.object(id)? else {
                continue;
            };
            if let Ok(kids) = dict.get(b"Kids") {
                let kids = match kids {
                    Object::Reference(kids_id) => match self.object(*kids_id)? {
                        Some(obj) => obj,
                        None => continue,
                    },
                    direct => direct.clone(),
                };
                if let Ok(kids) = kids.as_array() {
                    todo.extend(kids.iter().rev().map(|kid| (kid.clone(), depth + 1)));
                }
            }
            if let Ok(Object::Reference(count)) = dict.get(b"Count") {
                self.object(*count)?;
            }
            // The /Parent links as written, however far they stray from the tree: the tree
            // check refuses those that loop. Each link is looked up, not copied: a node with
            // a hundred thousand kids is every kid's parent.
            let mut parent = dict.get(b"Parent").and_then(Object::as_reference).ok();
            for _ in 0..=MAX_PAGE_TREE_DEPTH {
                let Some(up) = parent.take() else { break };
                if !self.load(up)? {
                    break;
                }
                parent = self
                    .doc
                    .get_dictionary(up)
                    .and_then(|node| node.get(b"Parent"))
                    .and_then(Object::as_reference)
                    .ok();
            }
            if let Ok(Object::Reference(kind)) = dict.get(b"Type") {
                self.object(*kind)?;
            }
        }
        Ok(true)
    }

    /// Reads everything a page's text needs: its resources (its own or inherited), contents
    /// and boxes, with all they refer to, short of other pages.
    pub(crate) fn read_page(&mut self, page: ObjectId) -> Result<(), PdfError> {
        let mut todo: Vec<Object> = Vec::new();
        let mut node = Some(page);
        let mut levels = 0;
        while let Some(id) = node.take() {
            let Ok(dict) = self.doc.get_dictionary(id) else {
                break;
            };
            todo.extend(
                PAGE_KEYS
                    .iter()
                    .filter_map(|key| dict.get(key).ok().cloned()),
            );
            node = dict.get(b"Parent").and_then(Object::as_reference).ok();
            levels += 1;
            if levels > MAX_PAGE_TREE_DEPTH {
                break;
            }
        }
        let mut seen = HashSet::new();
        while let Some(obj) = todo.pop() {
            match obj {
                Object::Reference(id) => {
                    if !seen.insert(id) {
                        continue;
                    }
                    let Some(target) = self.object(id)? else {
                        continue;
                    };
                    if !is_tree_node(&target) {
                        todo.push(target);
                    }
                }
                Object::Array(items) => todo.extend(items),
                Object::Dictionary(dict) => todo.extend(children(&dict)),
                Object::Stream(stream) => todo.extend(children(&stream.dict)),
                _ => {}
            }
        }
        Ok(())
    }

    /// Object `id`, read into the document the first time it is asked for.
    fn object(&mut self, id: ObjectId) -> Result<Option<Object>, PdfError> {
        if !self.load(id)? {
            return Ok(None);
        }
        Ok(self.doc.get_object(id).ok().cloned())
    }

    /// Reads object `id` into the document unless it is there; whether it is now.
    fn load(&mut self, id: ObjectId) -> Result<bool, PdfError> {
        if self.doc.objects.contains_key(&id) {
            return Ok(true);
        }
        if self.missing.contains(&id) {
            return Ok(false);
        }
        let obj = match self.xref.entries.get(&id.0).copied() {
            Some(Entry::Normal { offset }) => self.read_at(id, offset as usize)?,
            Some(Entry::Compressed { container }) => self.read_packed(id, container)?,
            None => None,
        };
        match obj {
            Some(obj) => {
                self.doc.objects.insert(id, obj);
                Ok(true)
            }
            None => {
                self.damaged |= self.xref.entries.contains_key(&id.0);
                self.missing.insert(id);
                Ok(false)
            }
        }
    }

    /// The object whose `obj` header is at `offset`, decrypted.
    fn read_at(&mut self, id: ObjectId, offset: usize) -> Result<Option<Object>, PdfError> {
        if offset >= self.b.len() {
            return Ok(None);
        }
        let mut l: Lexer<'a> = self.scan.lexer(offset);
        if l.object_header() != Some(id) {
            return Ok(None);
        }
        let body = l.indirect_body(true);
        let too_deep = l.too_deep;
        self.scan
            .charge(l.examined_since(offset) as u64, l.values)?;
        if too_deep {
            return Err(PdfError::TooComplex {
                detail: format!("an object is nested more than {MAX_NESTING} levels deep"),
            });
        }
        let mut obj = match body {
            Some(Body::Object(obj)) => obj,
            Some(Body::Stream { dict, data_start }) => {
                let data = self.stream_data(&dict, data_start)?;
                self.scan.charge(data.len() as u64, 0)?;
                let mut stream = Stream::new(dict.clone(), data.to_vec());
                // `Stream::new` writes the data's length over a /Length reference.
                stream.dict = dict;
                Object::Stream(stream)
            }
            None => return Ok(None),
        };
        if let Some(state) = &self.crypt {
            // lopdf ignores decryption errors too and keeps the bytes as they are.
            let _ = decrypt_object(state, id, &mut obj);
        }
        Ok(Some(obj))
    }

    /// A stream's data: /Length bytes when they end at `endstream`, as lopdf reads them, or
    /// everything up to the next `endstream`.
    fn stream_data(&mut self, dict: &Dictionary, start: usize) -> Result<&'a [u8], PdfError> {
        let b = self.b;
        let rest = b.get(start..).unwrap_or_default();
        let length = match dict.get(b"Length") {
            Ok(Object::Integer(n)) => Some(*n),
            Ok(Object::Reference(id)) => match self.object(*id)? {
                Some(Object::Integer(n)) => Some(n),
                _ => None,
            },
            _ => None,
        };
        let ends_there = |len: usize| {
            rest.get(len..).is_some_and(|after| {
                let after = &after[..after.len().min(64)];
                let skip = after.iter().take_while(|c| c.is_ascii_whitespace()).count();
                after[skip..].starts_with(b"endstream")
            })
        };
        if let Some(len) = length.and_then(|n| usize::try_from(n).ok())
            && len <= rest.len()
            && ends_there(len)
        {
            return Ok(&rest[..len]);
        }
        let end = memmem::find(rest, b"endstream").unwrap_or(rest.len());
        // Streams without an end would each make this search run to the end of the file.
        self.scan.charge(end as u64, 0)?;
        let mut data = &rest[..end];
        // The end of line before `endstream` is not data.
        for eol in [&b"\r\n"[..], b"\n", b"\r"] {
            if let Some(trimmed) = data.strip_suffix(eol) {
                data = trimmed;
                break;
            }
        }
        Ok(data)
    }

    /// Object `id`, kept in object stream `container`.
    fn read_packed(&mut self, id: ObjectId, container: u32) -> Result<Option<Object>, PdfError> {
        if !self.containers.contains_key(&container) {
            let unpacked = self.unpack(container)?;
            self.containers.insert(container, unpacked);
        }
        let Some(Some(unpacked)) = self.containers.get(&container) else {
            return Ok(None);
        };
        let Some(&start) = unpacked.starts.get(&id.0) else {
            return Ok(None);
        };
        let mut l = Lexer::new(&unpacked.data, start);
        let obj = l.direct_object(MAX_NESTING, true);
        let (read, values, too_deep) = (l.examined_since(start), l.values, l.too_deep);
        self.scan.charge(read as u64, values)?;
        if too_deep {
            return Err(PdfError::TooComplex {
                detail: format!("an object is nested more than {MAX_NESTING} levels deep"),
            });
        }
        Ok(obj)
    }

    /// An object stream inflated, with the start of every object it lists.
    fn unpack(&mut self, container: u32) -> Result<Option<Container>, PdfError> {
        let Some(Entry::Normal { offset }) = self.xref.entries.get(&container).copied() else {
            return Ok(None);
        };
        let Some(Object::Stream(stream)) = self.read_at((container, 0), offset as usize)? else {
            return Ok(None);
        };
        let data = decode(&stream.dict, &stream.content, MAX_OBJECT_STREAM_BYTES)?.into_owned();
        self.scan.charge_inflated(data.len())?;
        let Some(first) = stream
            .dict
            .get(b"First")
            .and_then(Object::as_i64)
            .ok()
            .and_then(|f| usize::try_from(f).ok())
        else {
            return Ok(None);
        };
        let Some(Ok(header)) = data.get(..first).map(std::str::from_utf8) else {
            return Ok(None);
        };
        let numbers: Vec<Option<usize>> =
            header.split_whitespace().map(|n| n.parse().ok()).collect();
        self.scan.charge(first as u64, numbers.len() as u64)?;
        let starts = numbers
            .chunks_exact(2)
            .filter_map(|pair| {
                let number = u32::try_from(pair[0]?).ok()?;
                let start = first.checked_add(pair[1]?)?;
                (start < data.len()).then_some((number, start))
            })
            .collect();
        Ok(Some(Container { data, starts }))
    }
}

/// A page or page tree node: reached from a page's resources (an annotation's /P, a
/// structure element), it leads to every other page, which the upload does not read.
fn is_tree_node(obj: &Object) -> bool {
    let dict = match obj {
        Object::Dictionary(d) => d,
        _ => return false,
    };
    matches!(dict.get(b"Type"), Ok(Object::Name(t)) if t == b"Page" || t == b"Pages")
}

/// The values of a dictionary a page's reader may follow: all but the way back up the
/// tree.
fn children(dict: &Dictionary) -> impl Iterator<Item = Object> + '_ {
    dict.iter()
        .filter(|(key, _)| key.as_slice() != b"Parent")
        .map(|(_, value)| value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::extract::extract_page;
    use crate::testkit::novel::novel;
    use crate::testkit::pdf::{FixtureOptions, book_pdf};
    use crate::testkit::quality::producer_corpus;

    /// Producers' files without object streams open without loading them whole, and their
    /// sampled pages read exactly as from the whole file.
    #[test]
    fn every_producer_reads_the_same_from_the_partial_view() {
        let long = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/books"))
            .unwrap()
            .map(|e| e.unwrap().path());
        let corpus = producer_corpus()
            .unwrap()
            .into_iter()
            .map(|(_, path, _)| path);
        let (mut files, mut partial_files) = (0, 0);
        for path in corpus.chain(long) {
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            let mut whole = crate::pdf::load(&bytes).unwrap();
            crate::pdf::structure::check_page_tree(&mut whole).unwrap();
            let Some(mut partial) = Partial::open(&bytes).unwrap() else {
                // Object streams make the upload load the file whole.
                assert!(memmem::find(&bytes, b"/ObjStm").is_some(), "{path:?}");
                continue;
            };
            partial_files += 1;
            crate::pdf::structure::check_page_tree(&mut partial.doc).unwrap();
            let pages = partial.doc.get_pages();
            assert_eq!(pages, whole.get_pages(), "{path:?}");
            let count = pages.len() as u32;
            for number in [1, count / 2 + 1, count] {
                partial.read_page(pages[&number]).unwrap();
                assert!(!partial.damaged(), "{path:?}");
                let ours = extract_page(&partial.doc, number).unwrap();
                let theirs = extract_page(&whole, number).unwrap();
                assert_eq!(ours, theirs, "{path:?} page {number}");
            }
        }
        assert!(files >= 27, "{files} files");
        assert!(
            partial_files * 2 > files,
            "{partial_files} of {files} opened partially"
        );
    }

    #[test]
    fn the_tree_and_one_page_are_all_that_is_read() {
        let book = book_pdf(&novel(40), &FixtureOptions::default()).pdf;
        let whole = Document::load_mem(&book).unwrap();
        let mut partial = Partial::open(&book).unwrap().expect("a plain file");
        let pages = partial.doc.get_pages();
        assert_eq!(pages, whole.get_pages());
        let before = partial.doc.objects.len();
        let first = pages[&1];
        partial.read_page(first).unwrap();
        assert!(partial.doc.objects.len() > before);
        // No other page's content is read.
        for (&number, &id) in &pages {
            let read = whole
                .get_page_contents(id)
                .iter()
                .all(|c| partial.doc.objects.contains_key(c));
            assert_eq!(read, number == 1, "page {number}");
        }
        // What was read is what lopdf reads.
        for (id, obj) in &partial.doc.objects {
            let theirs = whole.get_object(*id).unwrap();
            match (obj, theirs) {
                (Object::Stream(a), Object::Stream(b)) => {
                    assert_eq!(a.dict, b.dict);
                    assert_eq!(a.content, b.content);
                }
                (a, b) => assert_eq!(a, b, "object {id:?}"),
            }
        }
    }
}
