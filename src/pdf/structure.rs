//! Checks on a loaded document before anything walks its pages, and before pdf-extract
//! reads one.
//!
//! - The page tree ([`check_page_tree`], when the document is loaded): lopdf's `get_pages`
//!   sizes a vector from the /Count the file claims (a /Count of 10^13 aborts the process),
//!   and pdf-extract follows /Parent links by recursion without noticing loops. The tree is
//!   walked here once, iteratively: loops, shared nodes and absurd depth or size are
//!   refused, and every /Count and /Parent is rewritten to what the walk found, so that
//!   later code sees an honest tree.
//! - The work of reading a page as pdf-extract will do it ([`Guard`], just before a page
//!   falls back to pdf-extract): content streams inflated and parsed, forms drawn
//!   (recursively, again on every `Do`), fonts loaded once per page, colour spaces on every
//!   use. A form that draws itself, directly or through inherited resources, makes
//!   pdf-extract recurse until the stack overflows; forms drawing forms ten times over
//!   multiply the work exponentially. Both are refused before pdf-extract runs. Pages our
//!   own reader reads never pay for this: it bounds its own work as it goes.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::PdfError;
use super::budget::Budget;
use super::decode::decode;
use super::extract::uses_images;
use super::lex::{Lexer, MAX_NESTING, is_whitespace};
use super::limits::{
    MAX_CONTENT_VALUES, MAX_FORM_DEPTH, MAX_PAGE_INFLATED, MAX_PAGE_TREE_DEPTH,
    MAX_PAGE_TREE_NODES, MAX_PAGE_VALUES, MAX_STREAM_BYTES, max_content_read_bytes,
};

fn too_complex(detail: impl Into<String>) -> PdfError {
    PdfError::TooComplex {
        detail: detail.into(),
    }
}

fn malformed(detail: impl Into<String>) -> PdfError {
    PdfError::Malformed {
        detail: detail.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Page tree

/// One node being walked: its id, its kids, how far through them, pages found under it.
struct Level {
    id: ObjectId,
    kids: Vec<Object>,
    next: usize,
    pages: i64,
}

fn kids_of(doc: &Document, id: ObjectId) -> Vec<Object> {
    doc.get_dictionary(id)
        .and_then(|node| node.get_deref(b"Kids", doc))
        .and_then(Object::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Counts a little off are common and get fixed by [`page_tree`]; a count no book could have
/// is a lie aimed at whatever sizes a buffer from it (lopdf's `get_pages` does).
fn check_claimed_count(doc: &Document, node: &Dictionary) -> Result<(), PdfError> {
    match node.get_deref(b"Count", doc).and_then(Object::as_i64) {
        Ok(claimed) if claimed > MAX_PAGE_TREE_NODES as i64 => {
            Err(too_complex(format!("the page tree claims {claimed} pages")))
        }
        _ => Ok(()),
    }
}

/// Makes the page tree safe to walk: walks it the way lopdf's `PageTreeIter` does (kids in
/// order; `/Type /Page` is a page, `/Type /Pages` a node, anything else skipped), refusing
/// what it would loop on or overflow with, then writes the real counts and parents back.
/// Returns the pages in order (what `get_pages` will return from now on).
pub(crate) fn check_page_tree(doc: &mut Document) -> Result<Vec<ObjectId>, PdfError> {
    let Some(root) = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .ok()
    else {
        return Ok(Vec::new());
    };
    if let Ok(node) = doc.get_dictionary(root) {
        check_claimed_count(doc, node)?;
    }
    let mut pages = Vec::new();
    let mut seen = HashSet::from([root]);
    let mut counts: Vec<(ObjectId, i64)> = Vec::new();
    let mut parents: Vec<(ObjectId, ObjectId)> = Vec::new();
    let mut stack = vec![Level {
        id: root,
        kids: kids_of(doc, root),
        next: 0,
        pages: 0,
    }];
    let mut visited = 0usize;
    while let Some(level) = stack.last_mut() {
        let Some(kid) = level.kids.get(level.next).cloned() else {
            let done = stack.pop().map(|l| (l.id, l.pages));
            if let Some((id, n)) = done {
                counts.push((id, n));
                if let Some(parent) = stack.last_mut() {
                    parent.pages += n;
                }
            }
            continue;
        };
        level.next += 1;
        let parent = level.id;
        visited += 1;
        if visited > MAX_PAGE_TREE_NODES {
            return Err(too_complex(format!(
                "the page tree has more than {MAX_PAGE_TREE_NODES} entries"
            )));
        }
        let Ok(kid) = kid.as_reference() else {
            continue;
        };
        let Ok(node) = doc.get_dictionary(kid) else {
            continue;
        };
        let kind = match node.get_type() {
            Ok(b"Page") => true,
            Ok(b"Pages") => false,
            _ => continue,
        };
        check_claimed_count(doc, node)?;
        if !seen.insert(kid) {
            return Err(malformed(format!(
                "the page tree reaches object {} {} twice",
                kid.0, kid.1
            )));
        }
        parents.push((kid, parent));
        if kind {
            pages.push(kid);
            level.pages += 1;
        } else {
            if stack.len() >= MAX_PAGE_TREE_DEPTH {
                return Err(too_complex(format!(
                    "the page tree is more than {MAX_PAGE_TREE_DEPTH} levels deep"
                )));
            }
            let kids = kids_of(doc, kid);
            stack.push(Level {
                id: kid,
                kids,
                next: 0,
                pages: 0,
            });
        }
    }
    let mut nodes: Vec<ObjectId> = parents.iter().map(|(id, _)| *id).collect();
    nodes.push(root);
    check_parent_links(doc, &nodes)?;
    for (id, count) in counts {
        if let Ok(node) = doc.get_dictionary_mut(id) {
            node.set("Count", Object::Integer(count));
        }
    }
    for (id, parent) in parents {
        if let Ok(node) = doc.get_dictionary_mut(id) {
            node.set("Parent", Object::Reference(parent));
        }
    }
    if let Ok(node) = doc.get_dictionary_mut(root) {
        node.remove(b"Parent");
    }
    Ok(pages)
}

/// The /Parent links as the file wrote them must end, and soon: pdf-extract follows them
/// by recursion. They are rewritten afterwards anyway, but a file whose links loop is
/// broken (or built to hurt), not a book to guess at.
fn check_parent_links(doc: &Document, nodes: &[ObjectId]) -> Result<(), PdfError> {
    let mut done: HashSet<ObjectId> = HashSet::new();
    for &start in nodes {
        let mut path = Vec::new();
        let mut on_path = HashSet::new();
        let mut current = Some(start);
        while let Some(id) = current {
            if done.contains(&id) {
                break;
            }
            if !on_path.insert(id) {
                return Err(malformed(format!(
                    "the /Parent links loop through object {} {}",
                    id.0, id.1
                )));
            }
            path.push(id);
            if path.len() > MAX_PAGE_TREE_DEPTH + 1 {
                return Err(too_complex(format!(
                    "a chain of /Parent links is more than {MAX_PAGE_TREE_DEPTH} long"
                )));
            }
            current = doc
                .get_dictionary(id)
                .ok()
                .and_then(|d| d.get(b"Parent").ok())
                .and_then(|p| p.as_reference().ok());
        }
        done.extend(path);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Page work

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Do,
    Font,
    ColorSpace,
    GraphicsState,
}

/// A content stream as pdf-extract sees it: its inflated size, how many values parsing it
/// creates, and the resource-naming operators in it.
#[derive(Default)]
struct Summary {
    inflated: u64,
    values: u64,
    ops: HashMap<(Op, Vec<u8>), u64>,
    /// Operands nested deeper than lopdf parses.
    too_deep: bool,
    /// Reading it took more than [`max_content_read_bytes`]; it was not read to the end.
    too_costly: bool,
}

/// Operators and operands of a content stream, read like lopdf's content parser would, but
/// counting instead of building. Where this reading is unsure it reads more (a byte it
/// cannot place is skipped and counted; inline image data ends at the first `EI`), so it
/// never finds fewer operators than lopdf.
fn summarize(content: &[u8]) -> Summary {
    let mut summary = Summary {
        inflated: content.len() as u64,
        ..Summary::default()
    };
    let mut l = Lexer::new(content, 0);
    let mut first_name: Option<Vec<u8>> = None;
    let mut operands = 0u64;
    let mut read = 0u64;
    loop {
        l.skip_space();
        let Some(&c) = content.get(l.pos) else {
            break;
        };
        if c.is_ascii_alphabetic() || b"*'\"".contains(&c) {
            let start = l.pos;
            while content
                .get(l.pos)
                .is_some_and(|c| c.is_ascii_alphabetic() || b"*'\"".contains(c))
            {
                l.pos += 1;
            }
            let operator = &content[start..l.pos];
            summary.values += 1;
            let op = match operator {
                b"Do" => Some(Op::Do),
                b"Tf" => Some(Op::Font),
                b"cs" | b"CS" => Some(Op::ColorSpace),
                b"gs" => Some(Op::GraphicsState),
                b"ID" => {
                    skip_inline_image(content, &mut l.pos);
                    None
                }
                _ => None,
            };
            if let (Some(op), Some(name)) = (op, first_name.take()) {
                *summary.ops.entry((op, name)).or_insert(0) += 1;
            }
            first_name = None;
            operands = 0;
            continue;
        }
        let start = l.pos;
        let before = l.values;
        if c == b'/' && operands == 0 {
            let mut n = l.at(start);
            if let Some(Object::Name(name)) = n.direct_object(MAX_NESTING, true) {
                first_name = Some(name);
            }
        }
        l.restart_measure();
        let parsed = l.direct_object(MAX_NESTING, false);
        summary.too_deep |= l.too_deep;
        // A value that fails is read again from the next byte, so content that fails far
        // from where it starts (unclosed strings, endless numbers) costs a read to the end
        // for each of its bytes.
        read = read.saturating_add(l.examined_since(start) as u64);
        if read > max_content_read_bytes(content.len()) {
            summary.too_costly = true;
            break;
        }
        if parsed.is_none() || l.pos == start {
            // Skip the byte, and the run of it: nesting too deep to parse is a run of `[`,
            // and reparsing it from every position would be quadratic.
            l.pos = start + 1;
            while content.get(l.pos) == Some(&c) {
                l.pos += 1;
            }
            summary.values += 1;
        } else {
            summary.values += (l.values - before).max(1);
        }
        operands += 1;
    }
    summary
}

/// Past inline image data: to the first `EI` after white space.
fn skip_inline_image(content: &[u8], pos: &mut usize) {
    let rest = &content[(*pos).min(content.len())..];
    match rest
        .windows(3)
        .position(|w| is_whitespace(w[0]) && &w[1..] == b"EI")
    {
        Some(at) => *pos += at + 3,
        None => *pos = content.len(),
    }
}

/// What reading one page costs so far.
#[derive(Default)]
struct PageCost {
    values: u64,
    inflated: u64,
    fonts: HashSet<Vec<u8>>,
}

impl PageCost {
    fn charge(&mut self, values: u64, inflated: u64) -> Result<(), PdfError> {
        self.values = self.values.saturating_add(values);
        self.inflated = self.inflated.saturating_add(inflated);
        if self.values > MAX_PAGE_VALUES {
            return Err(too_complex(format!(
                "reading a page would parse more than {MAX_PAGE_VALUES} values"
            )));
        }
        if self.inflated > MAX_PAGE_INFLATED {
            return Err(too_complex(format!(
                "reading a page would inflate more than {MAX_PAGE_INFLATED} bytes"
            )));
        }
        Ok(())
    }
}

/// The least a form drawing costs pdf-extract, whatever the form holds: it keeps the
/// simulation of deeply fanned-out forms from outrunning the budget.
const FORM_CALL_VALUES: u64 = 16;

/// What pdf-extract would do to read a page, measured before it is let loose on one; the
/// document's totals are kept in the [`Budget`] shared by every thread reading the book.
pub(crate) struct Guard<'d> {
    doc: &'d Document,
    budget: Arc<Budget>,
    summaries: HashMap<ObjectId, Rc<Summary>>,
    inflated_sizes: HashMap<ObjectId, u64>,
}

impl<'d> Guard<'d> {
    pub(crate) fn new(doc: &'d Document, budget: Arc<Budget>) -> Self {
        Self {
            doc,
            budget,
            summaries: HashMap::new(),
            inflated_sizes: HashMap::new(),
        }
    }

    fn deref(&self, obj: &'d Object) -> Option<(Option<ObjectId>, &'d Object)> {
        self.doc.dereference(obj).ok()
    }

    fn dict_entry(&self, dict: Option<&'d Dictionary>, key: &[u8]) -> Option<&'d Object> {
        self.deref(dict?.get(key).ok()?).map(|(_, o)| o)
    }

    /// `resources[category][name]`, as pdf-extract looks it up.
    fn resource(
        &self,
        resources: Option<&'d Dictionary>,
        category: &[u8],
        name: &[u8],
    ) -> Option<(Option<ObjectId>, &'d Object)> {
        let category = self.dict_entry(resources, category)?.as_dict().ok()?;
        self.deref(category.get(name).ok()?)
    }

    /// Size of a stream once inflated; over [`MAX_STREAM_BYTES`] it is refused.
    fn inflated_size(&mut self, id: Option<ObjectId>, obj: &Object) -> Result<u64, PdfError> {
        let Ok(stream) = obj.as_stream() else {
            return Ok(0);
        };
        if let Some(size) = id.and_then(|id| self.inflated_sizes.get(&id)) {
            return Ok(*size);
        }
        let size = decode(&stream.dict, &stream.content, MAX_STREAM_BYTES)?.len() as u64;
        if let Some(id) = id {
            self.inflated_sizes.insert(id, size);
        }
        Ok(size)
    }

    fn summary(&mut self, id: ObjectId) -> Result<Rc<Summary>, PdfError> {
        if let Some(s) = self.summaries.get(&id) {
            return Ok(Rc::clone(s));
        }
        let summary = match self.doc.get_object(id).and_then(Object::as_stream) {
            Ok(stream) => {
                let content = decode(&stream.dict, &stream.content, MAX_STREAM_BYTES)?;
                let summary = summarize(&content);
                if summary.too_deep {
                    return Err(too_complex(format!(
                        "a content stream nests values more than {MAX_NESTING} levels deep"
                    )));
                }
                if summary.too_costly {
                    return Err(too_complex(format!(
                        "reading a content stream of {} bytes would read more than {} bytes",
                        content.len(),
                        max_content_read_bytes(content.len())
                    )));
                }
                summary
            }
            Err(_) => Summary::default(),
        };
        let summary = Rc::new(summary);
        self.summaries.insert(id, Rc::clone(&summary));
        Ok(summary)
    }

    /// Streams pdf-extract inflates to load a font: its ToUnicode and Encoding CMaps and
    /// the font programs named by its descriptor, for the font and its descendants.
    fn font_cost(&mut self, font: &'d Object) -> Result<u64, PdfError> {
        let mut total = 0u64;
        let mut fonts = vec![font];
        if let Some(descendants) = font
            .as_dict()
            .ok()
            .and_then(|f| self.dict_entry(Some(f), b"DescendantFonts"))
            .and_then(|d| d.as_array().ok())
        {
            fonts.extend(
                descendants
                    .iter()
                    .take(8)
                    .filter_map(|d| Some(self.deref(d)?.1)),
            );
        }
        for font in fonts {
            let Ok(dict) = font.as_dict() else {
                continue;
            };
            for key in [&b"ToUnicode"[..], b"Encoding"] {
                if let Some(obj) = dict.get(key).ok().and_then(|o| self.deref(o)) {
                    total += self.inflated_size(obj.0, obj.1)?;
                }
            }
            let descriptor = self
                .dict_entry(Some(dict), b"FontDescriptor")
                .and_then(|d| d.as_dict().ok());
            for key in [&b"FontFile"[..], b"FontFile2", b"FontFile3"] {
                if let Some(obj) = descriptor
                    .and_then(|d| d.get(key).ok())
                    .and_then(|o| self.deref(o))
                {
                    total += self.inflated_size(obj.0, obj.1)?;
                }
            }
            // Widths and encodings are copied into tables: count their values.
            total += weight(self.doc, font, 2);
        }
        Ok(total)
    }

    /// Streams a colour space makes pdf-extract inflate each time it is selected (ICC
    /// profiles, sampled tint functions).
    fn colorspace_cost(&mut self, cs: &'d Object) -> Result<u64, PdfError> {
        let mut total = 0u64;
        let Ok(items) = cs.as_array() else {
            return Ok(0);
        };
        for item in items.iter().take(8) {
            if let Some((id, obj)) = self.deref(item) {
                total += self.inflated_size(id, obj)?;
            }
        }
        Ok(total)
    }

    /// Refuses the page when reading it with pdf-extract would pass a limit.
    pub(crate) fn page(&mut self, page_id: ObjectId) -> Result<(), PdfError> {
        let doc = self.doc;
        let page = doc.get_dictionary(page_id).ok();
        let resources_obj = page.and_then(|p| inherited(doc, p, b"Resources"));
        let resources = resources_obj
            .and_then(|r| self.deref(r))
            .and_then(|(_, r)| r.as_dict().ok());
        let mut cost = PageCost::default();
        // Pages that draw images are read from a copy of everything their resources
        // reach (see `extract::without_images`).
        if let Some(r) = resources_obj
            && uses_images(doc, r, &mut HashSet::new(), 0)
        {
            let (values, bytes) = reach(doc, r);
            cost.charge(values, bytes)?;
        }
        let mut ops: HashMap<(Op, Vec<u8>), u64> = HashMap::new();
        let mut values = 0u64;
        for id in doc.get_page_contents(page_id) {
            let s = self.summary(id)?;
            cost.charge(s.values, s.inflated)?;
            values = values.saturating_add(s.values);
            for (k, n) in &s.ops {
                *ops.entry(k.clone()).or_insert(0) += n;
            }
        }
        // pdf-extract parses all of a page's content streams as one.
        if values > MAX_CONTENT_VALUES {
            return Err(too_complex(format!(
                "a page's content has more than {MAX_CONTENT_VALUES} values"
            )));
        }
        let mut stack = Vec::new();
        self.run(&ops, resources, &mut stack, 1, &mut cost)?;
        self.budget.parse(cost.values)?;
        self.budget.inflate(cost.inflated)
    }

    /// The cost of running `ops` `times` times with `resources`, forms included.
    fn run(
        &mut self,
        ops: &HashMap<(Op, Vec<u8>), u64>,
        resources: Option<&'d Dictionary>,
        stack: &mut Vec<ObjectId>,
        times: u64,
        cost: &mut PageCost,
    ) -> Result<(), PdfError> {
        for ((op, name), &count) in ops {
            let n = times.saturating_mul(count);
            match op {
                Op::Do => {
                    let Some((Some(id), obj)) = self.resource(resources, b"XObject", name) else {
                        continue;
                    };
                    let Ok(form) = obj.as_stream() else {
                        continue;
                    };
                    // Images never reach pdf-extract: they are swapped for empty forms.
                    if matches!(form.dict.get(b"Subtype"), Ok(Object::Name(s)) if s == b"Image") {
                        continue;
                    }
                    if stack.contains(&id) {
                        return Err(malformed(format!("form {} {} draws itself", id.0, id.1)));
                    }
                    if stack.len() >= MAX_FORM_DEPTH {
                        return Err(too_complex(format!(
                            "forms are nested more than {MAX_FORM_DEPTH} deep"
                        )));
                    }
                    let s = self.summary(id)?;
                    if s.values > MAX_CONTENT_VALUES {
                        return Err(too_complex(format!(
                            "a form has more than {MAX_CONTENT_VALUES} values"
                        )));
                    }
                    cost.charge(
                        n.saturating_mul(s.values + FORM_CALL_VALUES),
                        n.saturating_mul(s.inflated),
                    )?;
                    let inner = form
                        .dict
                        .get(b"Resources")
                        .ok()
                        .and_then(|r| self.deref(r))
                        .and_then(|(_, r)| r.as_dict().ok())
                        .or(resources);
                    stack.push(id);
                    self.run(&s.ops, inner, stack, n, cost)?;
                    stack.pop();
                }
                Op::Font => {
                    // pdf-extract loads each font name once per page.
                    if !cost.fonts.insert(name.clone()) {
                        continue;
                    }
                    if let Some((_, font)) = self.resource(resources, b"Font", name) {
                        let bytes = self.font_cost(font)?;
                        cost.charge(0, bytes)?;
                    }
                }
                Op::ColorSpace => {
                    if let Some((_, cs)) = self.resource(resources, b"ColorSpace", name) {
                        let bytes = self.colorspace_cost(cs)?;
                        cost.charge(n, n.saturating_mul(bytes))?;
                    }
                }
                Op::GraphicsState => {
                    // pdf-extract copies the state's soft mask dictionary every time.
                    if let Some((_, gs)) = self.resource(resources, b"ExtGState", name) {
                        cost.charge(n.saturating_mul(weight(self.doc, gs, 1)), 0)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `key` on the page or, failing that, up the (already checked) page tree.
fn inherited<'d>(doc: &'d Document, page: &'d Dictionary, key: &[u8]) -> Option<&'d Object> {
    let mut node = page;
    for _ in 0..=MAX_PAGE_TREE_DEPTH {
        if let Ok(value) = node.get(key) {
            return Some(value);
        }
        let parent = node.get(b"Parent").ok()?.as_reference().ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

/// Values in `obj`, following references `depth` levels.
fn weight(doc: &Document, obj: &Object, depth: usize) -> u64 {
    match obj {
        Object::Array(items) => items
            .iter()
            .map(|o| weight(doc, o, depth))
            .fold(1, u64::saturating_add),
        Object::Dictionary(dict) => dict
            .iter()
            .map(|(_, o)| weight(doc, o, depth))
            .fold(1, u64::saturating_add),
        Object::Stream(stream) => weight(doc, &Object::Dictionary(stream.dict.clone()), depth),
        Object::Reference(id) if depth > 0 => {
            doc.get_object(*id).map_or(1, |o| weight(doc, o, depth - 1))
        }
        _ => 1,
    }
}

/// Values and stream bytes `extract::without_images` copies for a page: everything its
/// resources reach except through /Parent, to the same depth.
fn reach(doc: &Document, resources: &Object) -> (u64, u64) {
    let mut seen = HashSet::new();
    let mut values = 0u64;
    let mut bytes = 0u64;
    let mut todo = vec![(resources, 0usize)];
    while let Some((obj, depth)) = todo.pop() {
        if depth > super::extract::MAX_DEPTH {
            continue;
        }
        values = values.saturating_add(1);
        match obj {
            Object::Reference(id) => {
                if seen.insert(*id)
                    && let Ok(target) = doc.get_object(*id)
                {
                    todo.push((target, depth + 1));
                }
            }
            Object::Array(items) => todo.extend(items.iter().map(|o| (o, depth + 1))),
            Object::Dictionary(dict) => todo.extend(
                dict.iter()
                    .filter(|(k, _)| k.as_slice() != b"Parent")
                    .map(|(_, o)| (o, depth + 1)),
            ),
            Object::Stream(stream) => {
                bytes = bytes.saturating_add(stream.content.len() as u64);
                todo.extend(
                    stream
                        .dict
                        .iter()
                        .filter(|(k, _)| k.as_slice() != b"Parent")
                        .map(|(_, o)| (o, depth + 1)),
                );
            }
            _ => {}
        }
    }
    (values, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_summaries_find_resource_operators() {
        let s = summarize(
            b"q /Fm0 Do Q BT /F1 12 Tf (Do) Tj ET /Fm0 Do /CS0 cs /GS1 gs \
              BI /W 2 /H 1 /BPC 8 /CS /G ID \x00/Fm1 Do\n EI /Fm2 Do",
        );
        let count = |op, name: &str| s.ops.get(&(op, name.as_bytes().to_vec())).copied();
        assert_eq!(count(Op::Do, "Fm0"), Some(2));
        assert_eq!(count(Op::Font, "F1"), Some(1));
        assert_eq!(count(Op::ColorSpace, "CS0"), Some(1));
        assert_eq!(count(Op::GraphicsState, "GS1"), Some(1));
        // Inline image data is not read as operators, what follows it is.
        assert_eq!(count(Op::Do, "Fm1"), None);
        assert_eq!(count(Op::Do, "Fm2"), Some(1));
    }
}
