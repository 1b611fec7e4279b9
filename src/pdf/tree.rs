//! What the sandboxed reader checks on a loaded document before anything walks it. Shapes
//! that make a PDF malformed rather than merely large (a page tree whose links go round in
//! circles, a form that draws itself) are named for what they are: lopdf loads them without
//! complaint and pdf-extract would recurse until its stack ran out. And streams that
//! pdf-extract or lopdf's writer would inflate whole are held to the byte caps our own reader
//! keeps, so a bomb is refused as such, not only once it has run into the sandbox's limits.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use super::PdfError;
use super::content::Ops;
use super::decode::decode;
use super::limits::{
    MAX_FORM_DEPTH, MAX_FORM_DRAWS, MAX_OBJECT_STREAM_BYTES, MAX_PAGE_TREE_DEPTH, MAX_STREAM_BYTES,
};

fn malformed(detail: impl Into<String>) -> PdfError {
    PdfError::Malformed {
        detail: detail.into(),
    }
}

/// The page tree from the catalog down: every node reached once, and every page's /Parent
/// chain ending at the root.
pub(super) fn check_page_tree(doc: &Document) -> Result<(), PdfError> {
    let Ok(root) = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
    else {
        // No tree: there are no pages, which whoever counts them says.
        return Ok(());
    };
    let mut seen = HashSet::new();
    let mut todo = vec![root];
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            return Err(malformed(format!(
                "page tree node {id:?} is reached twice (a loop or a shared node)"
            )));
        }
        let Ok(node) = doc.get_dictionary(id) else {
            continue;
        };
        check_parents(doc, id, node)?;
        if let Ok((_, kids)) = node.get(b"Kids").and_then(|k| doc.dereference(k))
            && let Ok(kids) = kids.as_array()
        {
            todo.extend(kids.iter().filter_map(|k| k.as_reference().ok()));
        }
    }
    Ok(())
}

/// Follows `node`'s /Parent links up: they must end without a loop (malformed), within the
/// depth the upload's cheap checks allow a tree they walk (too complex past it).
fn check_parents(doc: &Document, id: ObjectId, node: &Dictionary) -> Result<(), PdfError> {
    let mut visited = HashSet::from([id]);
    let mut parent = node.get(b"Parent").and_then(Object::as_reference).ok();
    while let Some(up) = parent {
        if !visited.insert(up) {
            return Err(malformed(format!("the /Parent links above {id:?} loop")));
        }
        if visited.len() > MAX_PAGE_TREE_DEPTH {
            return Err(too_complex(format!(
                "a page tree deeper than {MAX_PAGE_TREE_DEPTH} levels"
            )));
        }
        parent = doc
            .get_dictionary(up)
            .and_then(|d| d.get(b"Parent"))
            .and_then(Object::as_reference)
            .ok();
    }
    Ok(())
}

/// A page our own reader could not read, before pdf-extract reads it: pdf-extract inflates
/// every stream whole and follows every `Do` by recursion, so the page's content streams and
/// forms must inflate within the byte caps our reader keeps, no form may draw itself, and
/// the forms drawn within forms, each `Do` counted as often as it runs, may not multiply
/// past [`MAX_FORM_DRAWS`].
pub(super) fn check_page_for_pdf_extract(doc: &Document, page: ObjectId) -> Result<(), PdfError> {
    let mut drawn = HashMap::new();
    for id in doc.get_page_contents(page) {
        if let Ok(Object::Stream(stream)) = doc.get_object(id) {
            count_draws(&inflated(stream, MAX_STREAM_BYTES)?, &mut drawn);
        }
    }
    let Ok(page) = doc.get_dictionary(page) else {
        return Ok(());
    };
    let Some(resources) = super::extract::inherited(doc, page, b"Resources") else {
        return Ok(());
    };
    let draws = FormWalk::default().visit(doc, resources, &drawn)?;
    if draws > MAX_FORM_DRAWS {
        return Err(too_complex(format!(
            "forms drawing forms make more than {MAX_FORM_DRAWS} drawings on one page"
        )));
    }
    Ok(())
}

/// Object streams lopdf could not unpack stay in the document as they are; one that would
/// inflate past the cap is a bomb waiting for whatever writes the document out again (the
/// page-range PDFs of `input_mode=pdf`).
pub(super) fn check_object_streams(doc: &Document) -> Result<(), PdfError> {
    for object in doc.objects.values() {
        if let Object::Stream(stream) = object
            && matches!(stream.dict.get(b"Type"), Ok(Object::Name(n)) if n == b"ObjStm")
        {
            inflated(stream, MAX_OBJECT_STREAM_BYTES)?;
        }
    }
    Ok(())
}

fn inflated(stream: &Stream, cap: usize) -> Result<Cow<'_, [u8]>, PdfError> {
    decode(&stream.dict, &stream.content, cap).map_err(|e| too_complex(e.to_string()))
}

fn too_complex(detail: String) -> PdfError {
    PdfError::TooComplex { detail }
}

/// Adds how many times `content` runs `Do` on each name to `drawn`.
fn count_draws(content: &[u8], drawn: &mut HashMap<Vec<u8>, u64>) {
    let mut ops = Ops::new(content);
    while let Some(op) = ops.next_op() {
        if op == b"Do"
            && let Some(name) = ops.first_name()
        {
            let count = drawn.entry(name.to_vec()).or_insert(0);
            *count = count.saturating_add(1);
        }
    }
}

/// A depth-first walk over forms: the forms on the current path, and how many drawings each
/// form makes (itself and those below it) in the resources it was drawn with, each worked
/// out once however many ways it is reached.
#[derive(Default)]
struct FormWalk {
    path: Vec<ObjectId>,
    draws: HashMap<(ObjectId, *const Object), u64>,
}

impl FormWalk {
    /// The drawings made by content that runs `Do` on the names of `drawn`, as often as it
    /// says, with `resources`, all levels of forms down.
    fn visit(
        &mut self,
        doc: &Document,
        resources: &Object,
        drawn: &HashMap<Vec<u8>, u64>,
    ) -> Result<u64, PdfError> {
        let Ok((_, resources)) = doc.dereference(resources) else {
            return Ok(0);
        };
        let Ok(xobjects) = resources
            .as_dict()
            .and_then(|r| r.get(b"XObject"))
            .and_then(|x| doc.dereference(x))
            .and_then(|(_, x)| x.as_dict())
        else {
            return Ok(0);
        };
        let mut total: u64 = 0;
        for (name, &times) in drawn {
            let Ok(id) = xobjects.get(name).and_then(Object::as_reference) else {
                continue;
            };
            let each = self.form(doc, id, resources)?;
            total = total.saturating_add(each.saturating_mul(times));
        }
        Ok(total)
    }

    /// The drawings one `Do` of form `id` makes, itself included (none for an image), with
    /// `resources` as those of whatever draws it.
    fn form(&mut self, doc: &Document, id: ObjectId, resources: &Object) -> Result<u64, PdfError> {
        if self.path.contains(&id) {
            return Err(malformed(format!("form {id:?} draws itself")));
        }
        let key = (id, std::ptr::from_ref(resources));
        if let Some(&known) = self.draws.get(&key) {
            return Ok(known);
        }
        let Ok(Object::Stream(form)) = doc.get_object(id) else {
            return Ok(0);
        };
        if !matches!(form.dict.get(b"Subtype"), Ok(Object::Name(n)) if n == b"Form") {
            return Ok(0);
        }
        let content = inflated(form, MAX_STREAM_BYTES)?;
        let mut draws = 1;
        if self.path.len() < MAX_FORM_DEPTH {
            let mut drawn = HashMap::new();
            count_draws(&content, &mut drawn);
            self.path.push(id);
            // A form without resources of its own uses those of whatever draws it.
            let inner = form.dict.get(b"Resources").unwrap_or(resources);
            let below = self.visit(doc, inner, &drawn);
            self.path.pop();
            draws = below?.saturating_add(1);
        }
        self.draws.insert(key, draws);
        Ok(draws)
    }
}

#[cfg(test)]
mod tests {
    use fnt_testkit::hostile;

    use super::*;

    fn first_page_check(pdf: &[u8]) -> Result<(), PdfError> {
        let doc = Document::load_mem(pdf).unwrap();
        let page = *doc.get_pages().values().next().unwrap();
        check_page_for_pdf_extract(&doc, page)
    }

    /// What the upload's cheap walk of a page tree would refuse, the sandbox refuses the same
    /// way when the tree's root declared a count and the cheap checks did not walk it.
    #[test]
    fn a_tree_too_deep_is_too_complex_and_a_loop_malformed() {
        let tree = |pdf: &[u8]| check_page_tree(&Document::load_mem(pdf).unwrap());
        assert!(matches!(
            tree(&hostile::deep_page_tree_pdf(500)),
            Err(PdfError::TooComplex { .. })
        ));
        tree(&hostile::deep_page_tree_pdf(20)).unwrap();
        assert!(matches!(
            tree(&hostile::parent_cycle_pdf()),
            Err(PdfError::Malformed { .. })
        ));
        assert!(matches!(
            tree(&hostile::page_tree_cycle_pdf()),
            Err(PdfError::Malformed { .. })
        ));
    }

    #[test]
    fn each_do_counts_as_often_as_it_runs() {
        // Twelve levels, each drawing the next ten times: one name per level, 10^11 drawings.
        match first_page_check(&hostile::form_fan_out_pdf()) {
            Err(PdfError::TooComplex { detail }) => {
                assert!(detail.contains("drawings on one page"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        // 9,999 drawings of one form are within the cap, however heavy the form.
        first_page_check(&hostile::heavy_form_drawn_often_pdf()).unwrap();
    }

    #[test]
    fn a_form_that_draws_itself_is_malformed() {
        for pdf in [
            hostile::inherited_form_cycle_pdf(),
            hostile::form_cycle_pdf(),
        ] {
            let outcome = first_page_check(&pdf);
            assert!(
                matches!(&outcome, Err(PdfError::Malformed { detail }) if detail.contains("draws itself")),
                "{outcome:?}"
            );
        }
    }
}
