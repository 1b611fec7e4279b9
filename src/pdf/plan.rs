//! The chunk plan: how many pages each chunk holds, how many run at once, and the text each
//! chunk is given (the sentences that start on its own pages, plus overlap pages of context
//! on both sides, cut between sentences).

use std::ops::RangeInclusive;

use super::clean::Book;
use crate::engine::local::segment::{SegmentOptions, segment};
use crate::engine::{ChapterStart, ChunkInput, PageStart};

/// Defaults from the spec; every value is configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// The pages chunk `own` is given: its own, and `overlap_pages` of context on each side that
/// the book has. Text chunks, PDF chunks and the estimate all take their context from here.
pub fn context_pages(
    own: &RangeInclusive<u32>,
    overlap_pages: u32,
    page_count: u32,
) -> RangeInclusive<u32> {
    let last_page = page_count.max(1);
    let first = own.start().saturating_sub(overlap_pages).max(1);
    let last = (*own.end())
        .min(last_page)
        .saturating_add(overlap_pages)
        .min(last_page);
    first..=last
}

/// Cuts the book's text into the plan's chunk inputs.
///
/// A sentence belongs to the chunk in whose pages it starts, however far it runs: a chunk's
/// body is the whole sentences that start on its pages, so the sentence that starts on its
/// last line is given whole however many pages it takes, and a chunk whose pages all lie
/// inside a sentence begun earlier owns nothing and is given no text. Context on each side is
/// the whole sentences within the overlap pages. Every cut falls between two sentences as
/// `segment` finds them in the whole book (with `options`, the engine's), so each chunk cuts
/// its text exactly as a reading of the whole book would, and the bodies tile the book: the
/// text stored for a job's chunks is the book plus the overlap pages, never a long sentence
/// once per chunk it crosses.
pub fn chunk_inputs(
    book: &Book,
    plan: &ChunkPlan,
    overlap_pages: u32,
    options: SegmentOptions,
) -> Vec<ChunkInput> {
    let page_count = u32::try_from(book.page_starts.len()).unwrap_or(u32::MAX);
    let cuts = sentence_cuts(&book.text, options);
    // Byte offset where page `p` (1-based) starts; one past the last page is the text's end.
    let start_of = |p: u32| -> usize {
        let i = p.saturating_sub(1) as usize;
        let offset = book.page_starts.get(i).copied().unwrap_or(book.text.len());
        floor_char_boundary(&book.text, offset)
    };
    // The first cut at or after `offset`, and the last at or before it.
    let cut_after = |offset: usize| cuts[cuts.partition_point(|&c| c < offset)];
    let cut_before = |offset: usize| cuts[cuts.partition_point(|&c| c <= offset) - 1];
    plan.ranges
        .iter()
        .zip(0u32..)
        .map(|(range, index)| {
            let (first, last) = (*range.start(), (*range.end()).min(page_count.max(1)));
            let context = context_pages(range, overlap_pages, page_count);
            let (ctx_first, ctx_last) = (*context.start(), *context.end());
            let body_start = cut_after(start_of(first));
            let body_end = cut_after(start_of(last + 1));
            if body_start >= body_end {
                return empty_chunk(index, first, last);
            }
            let text_start = cut_after(start_of(ctx_first)).min(body_start);
            let text_end = cut_before(start_of(ctx_last + 1)).max(body_end);
            // Every page the text reaches, so that any offset in it has its page.
            let first_seen = page_of(book, text_start);
            let last_seen = page_of(book, text_end.saturating_sub(1)).max(first_seen);
            ChunkInput {
                index,
                first_page: first,
                last_page: last,
                text: book
                    .text
                    .get(text_start..text_end)
                    .unwrap_or_default()
                    .to_owned(),
                body_start: body_start - text_start,
                body_end: body_end - text_start,
                pages: (first_seen..=last_seen)
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

/// Where the book's text may be cut without cutting a sentence, ascending: paragraph starts,
/// the sentence starts `segment` finds, and the text's end.
fn sentence_cuts(text: &str, options: SegmentOptions) -> Vec<usize> {
    let mut cuts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(at, _)| at + 1))
        .chain(segment(text, options).into_iter().map(|s| s.start))
        .chain(std::iter::once(text.len()))
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// A chunk of pages `first..=last` with no text: its pages hold no sentence start (a sentence
/// begun in an earlier chunk covers them, and that chunk rewrites it), or they go to the
/// engine as a PDF.
pub(crate) fn empty_chunk(index: u32, first: u32, last: u32) -> ChunkInput {
    ChunkInput {
        index,
        first_page: first,
        last_page: last,
        text: String::new(),
        body_start: 0,
        body_end: 0,
        pages: vec![PageStart {
            offset: 0,
            page: first,
        }],
        chapters: Vec::new(),
        pdf: None,
    }
}

/// The 1-based page on which the text at `offset` stands.
fn page_of(book: &Book, offset: usize) -> u32 {
    let i = book.page_starts.partition_point(|&start| start <= offset);
    u32::try_from(i.max(1)).unwrap_or(u32::MAX)
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
        // Page n's text is the paragraph "pn.", so offsets are easy to check.
        let mut text = String::new();
        let mut page_starts = Vec::new();
        for n in 1..=7 {
            page_starts.push(text.len());
            text.push_str(&format!("p{n}.\n"));
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
        let inputs = chunk_inputs(&book, &plan(7, &cfg), 1, SegmentOptions::default());
        assert_eq!(inputs.len(), 3);
        let second = &inputs[1];
        assert_eq!((second.first_page, second.last_page), (4, 6));
        assert_eq!(second.text, "p3.\np4.\np5.\np6.\np7.\n");
        assert_eq!(
            &second.text[second.body_start..second.body_end],
            "p4.\np5.\np6.\n"
        );
        assert_eq!(second.page_at(second.body_start), 4);
        assert_eq!(second.page_at(0), 3);
        let last = &inputs[2];
        assert_eq!(&last.text[last.body_start..last.body_end], "p7.\n");
        assert_eq!(last.body_end, last.text.len());
        // Bodies tile the book exactly: nothing lost, nothing owned twice.
        let bodies: String = inputs
            .iter()
            .map(|c| &c.text[c.body_start..c.body_end])
            .collect();
        assert_eq!(bodies, book.text);
    }

    /// A book of `pages` pages of about `PAGE` bytes: ordinary paragraphs, with `long`
    /// inserted so that it starts on the last line of page `at`.
    const PAGE: usize = 2000;

    fn book_with(long: &str, at: usize, pages: usize) -> Book {
        let filler = "Le matin était clair et la rue encore vide. Il marchait sans hâte vers le port, \
                      où les bateaux attendaient la marée. ";
        let mut text = String::new();
        let mut paragraph = 0;
        while text.len() + 400 < at * PAGE - 60 {
            text.push_str(filler);
            paragraph += 1;
            if paragraph % 4 == 0 {
                text.pop();
                text.push('\n');
            }
        }
        while text.len() < at * PAGE - 60 {
            text.push_str("Il attendit. ");
        }
        text.push_str(long);
        text.push('\n');
        while text.len() < pages * PAGE {
            text.push_str(filler);
            text.pop();
            text.push('\n');
        }
        // Pages break inside paragraphs, between words, as printed pages do.
        let mut page_starts = vec![0];
        for p in 1..pages {
            let mut at = (p * PAGE).min(text.len());
            while !text.is_char_boundary(at) || !text[..at].ends_with([' ', '\n']) {
                at += 1;
            }
            page_starts.push(at);
        }
        Book {
            text,
            page_starts,
            chapters: Vec::new(),
        }
    }

    /// One sentence of `clauses` numbered clauses, ending with a full stop when `stop`.
    fn long_sentence(clauses: usize, stop: bool) -> String {
        let mut s = String::from("Alors il se mit à raconter");
        for i in 1..=clauses {
            s.push_str(&format!(", et la clause numéro {i} suivait la précédente"));
        }
        if stop {
            s.push('.');
        }
        s
    }

    fn run(book: &Book, cfg: &PlanConfig) -> Vec<crate::engine::Sentence> {
        let pages = u32::try_from(book.page_starts.len()).unwrap();
        let settings = crate::settings::Settings::default();
        let options = crate::engine::local::segment_options(&settings);
        chunk_inputs(book, &plan(pages, cfg), cfg.overlap_pages, options)
            .iter()
            .flat_map(|input| crate::engine::local::rewrite_chunk(input, &settings).sentences)
            .collect()
    }

    fn single_chunk() -> PlanConfig {
        PlanConfig {
            single_chunk_max_pages: 10_000,
            ..PlanConfig::default()
        }
    }

    /// Sentences of 1, 2.5 and 10 pages starting on the last line of a chunk's last page
    /// come out whole, once, and the chunked run gives exactly the single-chunk run.
    #[test]
    fn a_sentence_starting_on_a_chunks_last_line_is_never_cut() {
        // About 55 bytes a clause: 1 page is ~36 clauses.
        for (clauses, what) in [(36, "1 page"), (91, "2.5 pages"), (364, "10 pages")] {
            let long = long_sentence(clauses, true);
            let book = book_with(&long, 20, 60);
            let start = book.text.find("Alors il se mit").unwrap();
            assert_eq!(page_of(&book, start), 20, "{what}");
            let chunked = run(&book, &PlanConfig::default());
            assert_eq!(chunked, run(&book, &single_chunk()), "{what}");
            let text: String = chunked.iter().map(|s| s.normalized.as_str()).collect();
            for i in 1..=clauses {
                let clause = format!("clause numéro {i} ");
                assert_eq!(text.matches(&clause).count(), 1, "{what}: {clause}");
            }
            let originals: Vec<&str> = chunked
                .iter()
                .filter(|s| s.original.starts_with("Alors il se mit"))
                .map(|s| &*s.original)
                .collect();
            assert!(!originals.is_empty(), "{what}");
            assert!(originals.iter().all(|o| *o == long), "{what}");
        }
    }

    /// A hundred pages without a full stop or a paragraph break: read whole, every clause
    /// once, the same in chunks as in one piece.
    #[test]
    fn a_hundred_pages_without_a_full_stop_lose_nothing() {
        let long = long_sentence(3_700, false);
        let book = book_with(&long, 1, 102);
        let chunked = run(&book, &PlanConfig::default());
        assert_eq!(chunked, run(&book, &single_chunk()));
        let text: String = chunked.iter().map(|s| s.normalized.as_str()).collect();
        for i in [1, 2, 1_000, 2_500, 3_699, 3_700] {
            let clause = format!("clause numéro {i} ");
            assert_eq!(text.matches(&clause).count(), 1, "{clause}");
        }
    }

    /// Chunk texts are cut between sentences, their bodies tile the book, and what all the
    /// chunks hold together stays near the book's size (the overlap pages aside), even when
    /// one sentence or one paragraph runs through many chunks.
    #[test]
    fn chunk_texts_are_whole_sentences_and_add_up_to_the_book() {
        let one_paragraph = {
            let mut book = book_with(&long_sentence(91, true), 20, 60);
            book.text = book.text.replace('\n', " ");
            book
        };
        let books = [
            ("ordinary", book_with(&long_sentence(91, true), 20, 60), 1.2),
            (
                "no full stop",
                book_with(&long_sentence(3_700, false), 1, 102),
                1.05,
            ),
            ("one paragraph", one_paragraph, 1.2),
        ];
        for (what, book, bound) in books {
            let pages = u32::try_from(book.page_starts.len()).unwrap();
            let inputs = chunk_inputs(
                &book,
                &plan(pages, &PlanConfig::default()),
                1,
                SegmentOptions::default(),
            );
            let cuts = sentence_cuts(&book.text, SegmentOptions::default());
            let mut bodies = String::new();
            let mut stored = 0;
            for input in &inputs {
                stored += input.text.len();
                bodies.push_str(&input.text[input.body_start..input.body_end]);
                if input.text.is_empty() {
                    continue;
                }
                // Where the text starts in the book, from a page that starts inside it.
                let Some(inside) = input.pages.iter().find(|p| p.offset > 0) else {
                    continue;
                };
                let start = book.page_starts[inside.page as usize - 1] - inside.offset;
                assert!(
                    book.text[start..start + input.text.len()] == input.text,
                    "{what}: chunk {} is not the book's text",
                    input.index
                );
                assert!(cuts.binary_search(&start).is_ok(), "{what}");
                assert!(
                    cuts.binary_search(&(start + input.text.len())).is_ok(),
                    "{what}"
                );
                // Every offset has its page.
                assert_eq!(input.pages[0].offset, 0);
                assert_eq!(
                    input.page_at(input.text.len() - 1),
                    page_of(&book, start + input.text.len() - 1)
                );
            }
            assert!(
                bodies == book.text,
                "{what}: the bodies do not tile the book"
            );
            let ratio = stored as f64 / book.text.len() as f64;
            assert!(ratio <= bound, "{what}: chunks hold {ratio:.2}× the book");
        }
    }

    /// Real books, dialogue and quotations included: the chunked run is the single-chunk run.
    #[test]
    fn real_books_read_the_same_in_chunks_as_whole() {
        for name in ["pdftex-long.pdf", "chromium-long.pdf"] {
            let path = format!("{}/benches/books/{name}", env!("CARGO_MANIFEST_DIR"));
            let bytes = std::fs::read(&path).unwrap();
            let (book, _) =
                crate::pdf::read_book(&bytes, crate::pdf::clean::CleanOptions::default()).unwrap();
            let chunked = run(&book, &PlanConfig::default());
            let whole = run(&book, &single_chunk());
            assert!(whole.len() > 3_000, "{name}: {}", whole.len());
            assert_eq!(chunked, whole, "{name}");
        }
    }
}
