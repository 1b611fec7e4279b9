//! Page-range PDFs: a chunk of a book as a PDF of its own, for engines that read PDFs (books
//! without a text layer, which only such an engine can read).

use std::collections::HashSet;

use base64::Engine as _;
use lopdf::{Document, Object, ObjectId};

use super::PdfError;
use super::plan::ChunkPlan;
use crate::engine::{ChunkInput, PdfPages};

/// A PDF holding pages `first..=last` (1-based) of `doc`, with what only other pages used
/// pruned away.
pub fn page_range_pdf(doc: &Document, first: u32, last: u32) -> Result<Vec<u8>, PdfError> {
    let mut part = doc.clone();
    let outside: Vec<u32> = part
        .get_pages()
        .keys()
        .copied()
        .filter(|p| *p < first || *p > last)
        .collect();
    part.delete_pages(&outside);
    prune(&mut part);
    let mut bytes = Vec::new();
    part.save_to(&mut bytes).map_err(|e| PdfError::Malformed {
        detail: format!("writing pages {first}-{last} failed: {e}"),
    })?;
    Ok(bytes)
}

/// Drops the objects nothing reaches from the trailer any more. lopdf's `prune_objects`
/// does the same but keeps its list of seen objects in a `Vec`, which is quadratic in the
/// number of objects.
fn prune(doc: &mut Document) {
    let mut seen: HashSet<ObjectId> = HashSet::new();
    let mut todo: Vec<&Object> = doc.trailer.iter().map(|(_, v)| v).collect();
    while let Some(obj) = todo.pop() {
        match obj {
            Object::Reference(id) => {
                if seen.insert(*id)
                    && let Some(target) = doc.objects.get(id)
                {
                    todo.push(target);
                }
            }
            Object::Array(items) => todo.extend(items),
            Object::Dictionary(dict) => todo.extend(dict.iter().map(|(_, v)| v)),
            Object::Stream(stream) => todo.extend(stream.dict.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    doc.objects.retain(|id, _| seen.contains(id));
}

/// The plan's chunks as PDFs: each holds its own pages plus `overlap_pages` of context on
/// both sides, and says which book page its first page is.
pub fn pdf_chunk_inputs(
    bytes: &[u8],
    plan: &ChunkPlan,
    overlap_pages: u32,
) -> Result<Vec<ChunkInput>, PdfError> {
    let doc = super::load(bytes)?;
    let page_count = u32::try_from(doc.get_pages().len()).unwrap_or(u32::MAX);
    if page_count == 0 {
        return Err(PdfError::NoPages);
    }
    plan.ranges
        .iter()
        .zip(0u32..)
        .map(|(range, index)| {
            let (first, last) = (*range.start(), *range.end());
            let context = super::plan::context_pages(range, overlap_pages, page_count);
            let (ctx_first, ctx_last) = (*context.start(), *context.end());
            let pdf = super::guarded(|| page_range_pdf(&doc, ctx_first, ctx_last))??;
            Ok(ChunkInput {
                pdf: Some(PdfPages {
                    first_page: ctx_first,
                    data: base64::engine::general_purpose::STANDARD.encode(pdf),
                }),
                ..super::plan::empty_chunk(index, first, last)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::clean::CleanOptions;
    use crate::pdf::plan::{PlanConfig, plan};
    use fnt_testkit::novel;
    use fnt_testkit::pdf::{FixtureOptions, book_pdf};

    #[test]
    fn a_page_range_holds_exactly_those_pages() {
        let fixture = book_pdf(&novel::novel(8), &FixtureOptions::default());
        let doc = Document::load_mem(&fixture.pdf).unwrap();
        // Five pages, so that each of the two alternating running headers repeats and is
        // recognised as a header in the part as in the whole book.
        let part = page_range_pdf(&doc, 3, 7).unwrap();
        let (book, pages) = crate::pdf::read_book(&part, CleanOptions::default()).unwrap();
        assert_eq!(pages, 5);
        let (whole, _) = crate::pdf::read_book(&fixture.pdf, CleanOptions::default()).unwrap();
        // Page 5 of the book is page 3 of the part, word for word.
        let page = |b: &crate::pdf::clean::Book, i: usize| {
            let end = b.page_starts.get(i + 1).copied().unwrap_or(b.text.len());
            b.text[b.page_starts[i]..end].trim().to_owned()
        };
        assert_eq!(page(&book, 2), page(&whole, 4));
    }

    #[test]
    fn pdf_chunks_carry_their_pages_and_context() {
        let fixture = book_pdf(&novel::novel(8), &FixtureOptions::default());
        let cfg = PlanConfig {
            single_chunk_max_pages: 2,
            medium_chunk_pages: 3,
            ..PlanConfig::default()
        };
        let chunk_plan = plan(fixture.page_count, &cfg);
        let inputs = pdf_chunk_inputs(&fixture.pdf, &chunk_plan, 1).unwrap();
        assert_eq!(inputs.len(), chunk_plan.ranges.len());
        let second = &inputs[1];
        assert_eq!((second.first_page, second.last_page), (4, 6));
        let pdf = second.pdf.as_ref().unwrap();
        assert_eq!(pdf.first_page, 3);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&pdf.data)
            .unwrap();
        let doc = Document::load_mem(&bytes).unwrap();
        assert_eq!(doc.get_pages().len(), 5);
    }
}
