//! The cheap checks an upload gets in its request, before the 202: what can be told from
//! the file's first kilobyte, its last ones, its cross-references, catalog and the root of
//! its page tree (the whole tree only when the root does not say how many pages it holds),
//! each object read on demand under the byte caps of [`super::limits`], without parsing
//! the rest of the file.
//!
//! These checks answer what is clear at once (not a PDF, no cross-references to find,
//! password-protected, more pages than allowed) with a 4xx. They decide nothing they cannot
//! tell cheaply: a file whose page tree this reader cannot follow is left to the sandboxed
//! reader ([`crate::sandbox`]), which parses it whole and refuses it after the 202 if it
//! must.

use std::collections::{HashMap, HashSet};

use lopdf::encryption::{EncryptionState, decrypt_object};
use lopdf::{Dictionary, Object, ObjectId, Stream};
use memchr::memmem;

use super::PdfError;
use super::decode::decode;
use super::lex::{Body, Lexer, MAX_NESTING};
use super::limits::{MAX_OBJECT_STREAM_BYTES, MAX_PAGE_TREE_DEPTH, MAX_PAGE_TREE_NODES};
use super::xref::{Entry, Xref, XrefReader};

/// What the cheap checks found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Precheck {
    /// The pages of the page tree, when it could be followed; the sandboxed reader counts
    /// them otherwise.
    pub pages: Option<u32>,
}

/// The cheap checks on an upload's bytes: refuses what is clearly not a usable PDF, and
/// counts its pages when its page tree can be read directly.
pub fn precheck(bytes: &[u8], max_pages: u32) -> Result<Precheck, PdfError> {
    super::check_header(bytes)?;
    // lopdf drops everything before the header and counts offsets from it.
    let start = memmem::find(bytes, b"%PDF-").unwrap_or(0);
    let b = &bytes[start..];
    let reader = XrefReader::new(b);
    if !reader.has_start() {
        // lopdf cannot load a file without `startxref … %%EOF` at its end: a truncated
        // upload, most often.
        return Err(PdfError::Malformed {
            detail: "no startxref at the end of the file".into(),
        });
    }
    let mut outline = Outline {
        b,
        reader,
        xref: None,
        crypt: None,
        objects: HashMap::new(),
        containers: HashMap::new(),
        missing: HashSet::new(),
    };
    let Some(xref) = outline.reader.read_xref()? else {
        return Ok(Precheck { pages: None });
    };
    // A password we do not have is a 4xx here; the empty one opens the file.
    outline.crypt = outline.reader.encryption(&xref)?;
    outline.xref = Some(xref);
    let pages = outline.count_pages()?;
    if let Some(pages) = pages
        && pages > max_pages
    {
        return Err(PdfError::TooManyPages {
            pages,
            max: max_pages,
        });
    }
    Ok(Precheck { pages })
}

/// Every object the cross-references name, read once each with this reader before lopdf
/// parses the file (in the sandbox): nesting deeper than lopdf parses, or an object stream
/// that inflates past [`MAX_OBJECT_STREAM_BYTES`], is refused as too complex. lopdf skips
/// such objects on its own, but a bomb it skips is still in the file for whatever writes
/// the document out again (the page-range PDFs of `input_mode=pdf`), so the answer is the
/// same whatever the job does with the file.
pub(crate) fn check_every_object(bytes: &[u8]) -> Result<(), PdfError> {
    let start = memmem::find(bytes, b"%PDF-").unwrap_or(0);
    let b = &bytes[start..];
    let mut reader = XrefReader::new(b);
    let Some(xref) = reader.read_xref()? else {
        // lopdf decides what a file without readable cross-references is.
        return Ok(());
    };
    // An encrypted file's object streams are encrypted too: lopdf keeps them as streams,
    // and they are checked on the loaded document.
    if xref.trailer.get(b"Encrypt").is_ok() {
        return Ok(());
    }
    // Entries pointing at one place are one object, read once.
    let offsets: std::collections::BTreeSet<u32> = xref
        .entries
        .values()
        .filter_map(|entry| match entry {
            Entry::Normal { offset } => Some(*offset),
            Entry::Compressed { .. } => None,
        })
        .collect();
    let mut outline = Outline {
        b,
        reader,
        // Indirect stream lengths are looked up through it.
        xref: Some(xref),
        crypt: None,
        objects: HashMap::new(),
        containers: HashMap::new(),
        missing: HashSet::new(),
    };
    for offset in offsets {
        let mut l = outline.reader.lexer(offset as usize);
        if l.object_header().is_none() {
            continue;
        }
        let body = l.indirect_body(false);
        if l.too_deep {
            return Err(super::xref::too_complex(format!(
                "an object is nested more than {MAX_NESTING} levels deep"
            )));
        }
        if let Some(Body::Stream { dict, data_start }) = body
            && matches!(dict.get(b"Type"), Ok(Object::Name(n)) if n == b"ObjStm")
        {
            let data = outline.stream_data(&dict, data_start)?;
            decode(&dict, data, MAX_OBJECT_STREAM_BYTES)?;
        }
    }
    Ok(())
}

/// The objects read so far, and the means to read more.
struct Outline<'a> {
    b: &'a [u8],
    reader: XrefReader<'a>,
    xref: Option<Xref>,
    crypt: Option<EncryptionState>,
    objects: HashMap<ObjectId, Object>,
    /// Object streams inflated so far: their data and where each object starts in it.
    containers: HashMap<u32, Option<Container>>,
    /// Objects looked for and not found, so that a dangling reference costs one look.
    missing: HashSet<ObjectId>,
}

struct Container {
    data: Vec<u8>,
    starts: HashMap<u32, usize>,
}

impl<'a> Outline<'a> {
    /// The pages under the catalog's page tree: the count its root declares, or else the
    /// leaves found visiting each node once; `None` when there is no tree to follow, or it
    /// has no page this reader can find.
    fn count_pages(&mut self) -> Result<Option<u32>, PdfError> {
        let Some(root) = self
            .xref
            .as_ref()
            .and_then(|x| x.trailer.get(b"Root").and_then(Object::as_reference).ok())
        else {
            return Ok(None);
        };
        let Some(catalog) = self.object(root)? else {
            return Ok(None);
        };
        let Ok(pages) = catalog.as_dict().and_then(|c| c.get(b"Pages")).cloned() else {
            return Ok(None);
        };
        // The root's own count, as every producer writes it: one object read instead of one
        // per page (most of this check's time on a real book, and it runs before the 202). A
        // count that lies is the sandbox's to find: it counts the pages it reads, and what it
        // counts replaces this.
        if let Some(count) = self.declared_count(&pages)? {
            return Ok(Some(count));
        }
        let mut todo: Vec<(Object, usize)> = vec![(pages, 0)];
        let mut seen = HashSet::new();
        let mut count: u32 = 0;
        while let Some((node, depth)) = todo.pop() {
            let Ok(id) = node.as_reference() else {
                continue;
            };
            if !seen.insert(id) {
                // A node reached twice: lopdf and the sandboxed reader decide what that
                // tree is.
                return Ok(None);
            }
            if depth > MAX_PAGE_TREE_DEPTH || seen.len() > MAX_PAGE_TREE_NODES {
                return Err(super::xref::too_complex(format!(
                    "a page tree deeper than {MAX_PAGE_TREE_DEPTH} or larger than \
                     {MAX_PAGE_TREE_NODES} nodes"
                )));
            }
            let Some(Object::Dictionary(dict)) = self.object(id)? else {
                return Ok(None);
            };
            match dict.get(b"Type") {
                Ok(Object::Name(kind)) if kind == b"Page" => {
                    count = count.saturating_add(1);
                    continue;
                }
                Ok(Object::Name(kind)) if kind == b"Pages" => {}
                _ => return Ok(None),
            }
            let kids = match dict.get(b"Kids") {
                Ok(Object::Reference(kids_id)) => self.object(*kids_id)?,
                Ok(direct) => Some(direct.clone()),
                Err(_) => None,
            };
            let Some(Ok(kids)) = kids.as_ref().map(Object::as_array) else {
                return Ok(None);
            };
            todo.extend(kids.iter().rev().map(|kid| (kid.clone(), depth + 1)));
        }
        Ok((count > 0).then_some(count))
    }

    /// The /Count of page tree root `root`, when it is a `Pages` node with a count above 0.
    fn declared_count(&mut self, root: &Object) -> Result<Option<u32>, PdfError> {
        let Ok(id) = root.as_reference() else {
            return Ok(None);
        };
        if !self.load(id)? {
            return Ok(None);
        }
        let Some(Object::Dictionary(node)) = self.objects.get(&id) else {
            return Ok(None);
        };
        if !matches!(node.get(b"Type"), Ok(Object::Name(kind)) if kind == b"Pages") {
            return Ok(None);
        }
        Ok(match node.get(b"Count") {
            Ok(Object::Integer(n)) => u32::try_from(*n).ok().filter(|n| *n > 0),
            _ => None,
        })
    }

    /// Object `id`, read into the document the first time it is asked for.
    fn object(&mut self, id: ObjectId) -> Result<Option<Object>, PdfError> {
        if !self.load(id)? {
            return Ok(None);
        }
        Ok(self.objects.get(&id).cloned())
    }

    /// Reads object `id` into the document unless it is there; whether it is now.
    fn load(&mut self, id: ObjectId) -> Result<bool, PdfError> {
        if self.objects.contains_key(&id) {
            return Ok(true);
        }
        if self.missing.contains(&id) {
            return Ok(false);
        }
        let obj = match self
            .xref
            .as_ref()
            .and_then(|x| x.entries.get(&id.0).copied())
        {
            Some(Entry::Normal { offset }) => self.read_at(id, offset as usize)?,
            Some(Entry::Compressed { container }) => self.read_packed(id, container)?,
            None => None,
        };
        match obj {
            Some(obj) => {
                self.objects.insert(id, obj);
                Ok(true)
            }
            None => {
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
        let mut l: Lexer<'a> = self.reader.lexer(offset);
        if l.object_header() != Some(id) {
            return Ok(None);
        }
        let body = l.indirect_body(true);
        if l.too_deep {
            return Err(PdfError::TooComplex {
                detail: format!("an object is nested more than {MAX_NESTING} levels deep"),
            });
        }
        let mut obj = match body {
            Some(Body::Object(obj)) => obj,
            Some(Body::Stream { dict, data_start }) => {
                let data = self.stream_data(&dict, data_start)?;
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
        if l.too_deep {
            return Err(PdfError::TooComplex {
                detail: format!("an object is nested more than {MAX_NESTING} levels deep"),
            });
        }
        Ok(obj)
    }

    /// An object stream inflated, with the start of every object it lists.
    fn unpack(&mut self, container: u32) -> Result<Option<Container>, PdfError> {
        let Some(Entry::Normal { offset }) = self
            .xref
            .as_ref()
            .and_then(|x| x.entries.get(&container).copied())
        else {
            return Ok(None);
        };
        let Some(Object::Stream(stream)) = self.read_at((container, 0), offset as usize)? else {
            return Ok(None);
        };
        let data = decode(&stream.dict, &stream.content, MAX_OBJECT_STREAM_BYTES)?.into_owned();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::quality::producer_corpus;
    use fnt_testkit::novel::novel;
    use fnt_testkit::pdf::{FixtureOptions, book_pdf, encrypted_pdf};

    /// Every producer's file passes the cheap checks, and where they count its pages (in all
    /// but a few files) they count what lopdf counts.
    #[test]
    fn every_producer_passes_and_is_counted_as_lopdf_counts_it() {
        let long = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/books"))
            .unwrap()
            .map(|e| e.unwrap().path());
        let corpus = producer_corpus()
            .unwrap()
            .into_iter()
            .map(|(_, path, _)| path);
        let (mut files, mut counted) = (0, 0);
        for path in corpus.chain(long) {
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            let checked = precheck(&bytes, 1000).unwrap_or_else(|e| panic!("{path:?}: {e:?}"));
            let whole = crate::pdf::load(&bytes).unwrap();
            if let Some(pages) = checked.pages {
                counted += 1;
                assert_eq!(pages as usize, whole.get_pages().len(), "{path:?}");
            }
        }
        assert!(files >= 27, "{files} files");
        assert!(counted * 10 >= files * 9, "{counted} of {files} counted");
    }

    #[test]
    fn what_is_clear_at_once_is_refused() {
        let book = book_pdf(&novel(12), &FixtureOptions::default()).pdf;
        assert_eq!(precheck(&book, 1000).unwrap().pages, Some(12));
        let code = |bytes: &[u8], max| precheck(bytes, max).unwrap_err().code();
        assert_eq!(code(&book, 11), "too_many_pages");
        assert_eq!(code(b"", 10), "empty_file");
        assert_eq!(code(b"hello, not a pdf", 10), "not_a_pdf");
        assert_eq!(code(&book[..book.len() / 2], 10), "malformed_pdf");
        assert_eq!(code(&encrypted_pdf(), 10), "encrypted_pdf");
    }

    /// A root that declares its count is read alone (the sandbox walks the tree); a tree
    /// whose root declares none is walked, within the depth the caps allow.
    #[test]
    fn the_declared_count_is_read_and_only_a_tree_without_one_is_walked() {
        let deep = fnt_testkit::hostile::deep_page_tree_pdf(20_000);
        assert_eq!(precheck(&deep, 1000).unwrap().pages, Some(2));
        // The same file, its root's count blanked out in place (offsets unchanged).
        let at = memmem::find(&deep, b"/Count 2 /MediaBox").unwrap();
        let mut undeclared = deep.clone();
        undeclared[at..at + 8].fill(b' ');
        assert_eq!(
            precheck(&undeclared, 1000).unwrap_err().code(),
            "pdf_too_complex"
        );
    }

    /// The checks read the trailer, the catalog and the page tree: a file whose pages'
    /// contents are garbage passes them (the sandbox reads those), quickly.
    #[test]
    fn page_contents_are_not_read() {
        let book = book_pdf(&novel(30), &FixtureOptions::default()).pdf;
        let whole = lopdf::Document::load_mem(&book).unwrap();
        let mut damaged = book.clone();
        for (_, id) in whole.get_pages() {
            for content in whole.get_page_contents(id) {
                let Ok(lopdf::Object::Stream(stream)) = whole.get_object(content) else {
                    continue;
                };
                let at = memmem::find(&book, &stream.content).unwrap();
                damaged[at..at + stream.content.len()].fill(b'!');
            }
        }
        assert_eq!(precheck(&damaged, 1000).unwrap().pages, Some(30));
    }
}
