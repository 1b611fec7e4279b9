//! The chunk plan: how many pages each chunk holds, how many run at once, and the text each
//! chunk is given (its own pages plus overlap pages of context on both sides).

use std::ops::RangeInclusive;

use super::clean::Book;
use crate::engine::{ChapterStart, ChunkInput, PageStart};

/// Defaults from the spec; every value is configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanConfig {
    /// Books up to this many pages are one chunk.
    pub single_chunk_max_pages: u32,
    /// Books up to this many pages use medium chunks; longer ones large chunks.
    pub medium_max_pages: u32,
    pub medium_chunk_pages: u32,
    pub medium_parallelism: u32,
    pub large_chunk_pages: u32,
    pub large_parallelism: u32,
    /// Pages of context given on each side of a chunk.
    pub overlap_pages: u32,
}

impl Default for PlanConfig {
    fn default() -> Self {
        Self {
            single_chunk_max_pages: 30,
            medium_max_pages: 100,
            medium_chunk_pages: 20,
            medium_parallelism: 3,
            large_chunk_pages: 15,
            large_parallelism: 5,
            overlap_pages: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkPlan {
    /// How many of this job's chunks may run at once.
    pub parallelism: u32,
    /// 1-based inclusive page ranges, in book order.
    pub ranges: Vec<RangeInclusive<u32>>,
}

pub fn plan(page_count: u32, cfg: &PlanConfig) -> ChunkPlan {
    let page_count = page_count.max(1);
    let (size, parallelism) = if page_count <= cfg.single_chunk_max_pages {
        (page_count, 1)
    } else if page_count <= cfg.medium_max_pages {
        (cfg.medium_chunk_pages, cfg.medium_parallelism)
    } else {
        (cfg.large_chunk_pages, cfg.large_parallelism)
    };
    let size = size.max(1);
    let ranges = (0..page_count.div_ceil(size))
        .map(|i| {
            let first = i * size + 1;
            first..=(first + size - 1).min(page_count)
        })
        .collect();
    ChunkPlan {
        parallelism: parallelism.max(1),
        ranges,
    }
}

/// Cuts the book's text into the plan's chunk inputs.
pub fn chunk_inputs(book: &Book, plan: &ChunkPlan, overlap_pages: u32) -> Vec<ChunkInput> {
    let page_count = u32::try_from(book.page_starts.len()).unwrap_or(u32::MAX);
    // Byte offset where page `p` (1-based) starts; one past the last page is the text's end.
    let start_of = |p: u32| -> usize {
        let i = p.saturating_sub(1) as usize;
        let offset = book.page_starts.get(i).copied().unwrap_or(book.text.len());
        floor_char_boundary(&book.text, offset)
    };
    plan.ranges
        .iter()
        .zip(0u32..)
        .map(|(range, index)| {
            let (first, last) = (*range.start(), (*range.end()).min(page_count.max(1)));
            let ctx_first = first.saturating_sub(overlap_pages).max(1);
            let ctx_last = last.saturating_add(overlap_pages).min(page_count.max(1));
            let text_start = start_of(ctx_first);
            let text_end = start_of(ctx_last + 1).max(text_start);
            ChunkInput {
                index,
                first_page: first,
                last_page: last,
                text: book
                    .text
                    .get(text_start..text_end)
                    .unwrap_or_default()
                    .to_owned(),
                body_start: start_of(first).saturating_sub(text_start),
                body_end: start_of(last + 1).saturating_sub(text_start),
                pages: (ctx_first..=ctx_last)
                    .map(|page| PageStart {
                        offset: start_of(page).saturating_sub(text_start),
                        page,
                    })
                    .collect(),
                chapters: chapter_starts(book, text_start, text_end),
                pdf: None,
            }
        })
        .collect()
}

/// The chapters of `book` that the text `start..end` stands in, with offsets from `start`.
fn chapter_starts(book: &Book, start: usize, end: usize) -> Vec<ChapterStart> {
    let first = book.chapter_at(start);
    book.chapters
        .iter()
        .enumerate()
        .filter(|&(i, c)| Some(i) == first || (c.start > start && c.start < end))
        .map(|(i, c)| ChapterStart {
            offset: c.start.saturating_sub(start),
            index: u32::try_from(i + 1).unwrap_or(u32::MAX),
            title: c.title.clone(),
            first_page: c.first_page,
        })
        .collect()
}

/// A chunk made of all of `part`, a text extracted from some pages of a book: `part`'s first
/// page is book page `first_page`; the body is the book pages `own`, the rest is context.
pub fn book_chunk(
    part: &Book,
    first_page: u32,
    index: u32,
    own: RangeInclusive<u32>,
) -> ChunkInput {
    let start_of = |book_page: u32| -> usize {
        let i = book_page.saturating_sub(first_page) as usize;
        let offset = part.page_starts.get(i).copied().unwrap_or(part.text.len());
        floor_char_boundary(&part.text, offset)
    };
    ChunkInput {
        index,
        first_page: *own.start(),
        last_page: *own.end(),
        text: part.text.clone(),
        body_start: start_of(*own.start()),
        body_end: start_of(own.end() + 1).max(start_of(*own.start())),
        pages: (0u32..)
            .zip(&part.page_starts)
            .map(|(i, &offset)| PageStart {
                offset: floor_char_boundary(&part.text, offset),
                page: first_page + i,
            })
            .collect(),
        chapters: Vec::new(),
        pdf: None,
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(p: &ChunkPlan) -> Vec<u32> {
        p.ranges.iter().map(|r| r.end() - r.start() + 1).collect()
    }

    #[test]
    fn the_spec_plan_by_book_length() {
        let cfg = PlanConfig::default();
        let p = plan(30, &cfg);
        assert_eq!((p.parallelism, p.ranges.clone()), (1, vec![1..=30]));
        let p = plan(31, &cfg);
        assert_eq!((p.parallelism, sizes(&p)), (3, vec![20, 11]));
        let p = plan(100, &cfg);
        assert_eq!((p.parallelism, sizes(&p)), (3, vec![20; 5]));
        let p = plan(101, &cfg);
        assert_eq!(p.parallelism, 5);
        assert_eq!(sizes(&p), vec![15, 15, 15, 15, 15, 15, 11]);
        let p = plan(500, &cfg);
        assert_eq!(p.ranges.len(), 34);
        assert_eq!(p.ranges.last(), Some(&(496..=500)));
        assert_eq!(plan(1, &cfg).ranges, vec![1..=1]);
    }

    #[test]
    fn chunks_own_their_pages_and_see_one_page_of_context() {
        // Page n's text is "pn. " so offsets are easy to check.
        let mut text = String::new();
        let mut page_starts = Vec::new();
        for n in 1..=7 {
            page_starts.push(text.len());
            text.push_str(&format!("p{n}. "));
        }
        let book = Book {
            text,
            page_starts,
            chapters: Vec::new(),
        };
        let cfg = PlanConfig {
            single_chunk_max_pages: 2,
            medium_chunk_pages: 3,
            ..PlanConfig::default()
        };
        let inputs = chunk_inputs(&book, &plan(7, &cfg), 1);
        assert_eq!(inputs.len(), 3);
        let second = &inputs[1];
        assert_eq!((second.first_page, second.last_page), (4, 6));
        assert_eq!(second.text, "p3. p4. p5. p6. p7. ");
        assert_eq!(
            &second.text[second.body_start..second.body_end],
            "p4. p5. p6. "
        );
        assert_eq!(second.page_at(second.body_start), 4);
        assert_eq!(second.page_at(0), 3);
        let last = &inputs[2];
        assert_eq!(&last.text[last.body_start..last.body_end], "p7. ");
        assert_eq!(last.body_end, last.text.len());
        // Bodies tile the book exactly: nothing lost, nothing owned twice.
        let bodies: String = inputs
            .iter()
            .map(|c| &c.text[c.body_start..c.body_end])
            .collect();
        assert_eq!(bodies, book.text);
    }
}
