//! A book's plan for a job: what an upload must be for the job's settings, and the chunks the
//! job runs (their pages, how many at once, the text or the pages each is given). The upload,
//! the estimate and the job actor all ask here, so that what the upload accepts and what the
//! estimate promises is what the job does.

use std::ops::RangeInclusive;

use crate::engine::ChunkInput;
use crate::pdf::clean::{Book, CleanOptions};
use crate::pdf::plan::{self, ChunkPlan, PlanConfig};
use crate::pdf::{self, PdfError, PdfInfo, Requirements};
use crate::settings::{InputMode, Settings};

/// What an upload must be for a job with `settings`: an engine given the text needs a text
/// layer; one given the pages does not.
pub(crate) fn requirements(settings: &Settings, max_pages: u32) -> Requirements {
    Requirements {
        max_pages,
        text_layer: settings.input_mode == InputMode::Text,
    }
}

/// The cheap checks an upload gets before a job is created or estimated.
pub(crate) fn inspect(
    bytes: &[u8],
    settings: &Settings,
    max_pages: u32,
) -> Result<PdfInfo, PdfError> {
    pdf::inspect(bytes, requirements(settings, max_pages))
}

/// How many chunks of a `page_count`-page book run at once: for a job resumed from its stored
/// chunks, which plans nothing again.
pub(crate) fn parallelism(page_count: i32, cfg: &PlanConfig) -> usize {
    let pages = u32::try_from(page_count).unwrap_or(1);
    plan::plan(pages, cfg).parallelism as usize
}

/// A book read for a job's settings and cut into chunks of pages.
pub(crate) struct BookPlan {
    pub pages: u32,
    /// The chunks' own pages and how many run at once.
    pub chunks: ChunkPlan,
    overlap_pages: u32,
    content: Content,
}

/// What the chunks are made of.
enum Content {
    /// The book's cleaned text, which the chunks share out between them.
    Text(Book),
    /// The PDF's pages themselves (a book without a text layer): nothing is read yet.
    Pages,
}

impl BookPlan {
    /// Reads the book as `settings` ask (its whole text, or only its page count when the
    /// engine is given pages) and plans its chunks. As slow as extracting the book.
    pub(crate) fn read(
        bytes: &[u8],
        settings: &Settings,
        cfg: &PlanConfig,
    ) -> Result<Self, PdfError> {
        let (pages, content) = match settings.input_mode {
            InputMode::Text => {
                let options = CleanOptions {
                    fix_hyphenation: settings.fix_hyphenation,
                };
                let (book, pages) = pdf::read_book(bytes, options)?;
                (pages, Content::Text(book))
            }
            InputMode::Pdf => (pdf::page_count(bytes)?, Content::Pages),
        };
        Ok(Self {
            pages,
            chunks: plan::plan(pages, cfg),
            overlap_pages: cfg.overlap_pages,
            content,
        })
    }

    /// The book's text, when its chunks are given text.
    pub(crate) fn book(&self) -> Option<&Book> {
        match &self.content {
            Content::Text(book) => Some(book),
            Content::Pages => None,
        }
    }

    /// How many chunks run at once.
    pub(crate) fn parallelism(&self) -> u32 {
        self.chunks.parallelism
    }

    /// Each chunk's own pages with the pages it is given as context, in book order.
    pub(crate) fn pages(&self) -> impl Iterator<Item = (RangeInclusive<u32>, RangeInclusive<u32>)> {
        self.chunks.ranges.iter().map(|own| {
            let context = plan::context_pages(own, self.overlap_pages, self.pages);
            (own.clone(), context)
        })
    }

    /// What each chunk is given: its share of the text (cut where the engine's reading of the
    /// whole book would cut, so it depends on `settings`), or its pages as a PDF of their own.
    /// `bytes` are the PDF this plan was read from.
    pub(crate) fn chunk_inputs(
        &self,
        bytes: &[u8],
        settings: &Settings,
    ) -> Result<Vec<ChunkInput>, PdfError> {
        match &self.content {
            Content::Text(book) => Ok(plan::chunk_inputs(
                book,
                &self.chunks,
                self.overlap_pages,
                crate::engine::local::segment_options(settings),
            )),
            Content::Pages => pdf::pages::pdf_chunk_inputs(bytes, &self.chunks, self.overlap_pages),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fnt_testkit::{novel, pdf as fixtures};

    fn book(pages: usize) -> Vec<u8> {
        fixtures::book_pdf(&novel::novel(pages), &fixtures::FixtureOptions::default()).pdf
    }

    fn pdf_mode() -> Settings {
        Settings {
            input_mode: InputMode::Pdf,
            ..Settings::default()
        }
    }

    /// Small chunks, so that an eight-page book has several.
    fn small() -> PlanConfig {
        PlanConfig {
            single_chunk_max_pages: 2,
            medium_chunk_pages: 3,
            ..PlanConfig::default()
        }
    }

    #[test]
    fn only_a_job_given_text_needs_a_text_layer() {
        let text = requirements(&Settings::default(), 40);
        assert!(text.text_layer);
        assert_eq!(text.max_pages, 40);
        assert!(!requirements(&pdf_mode(), 40).text_layer);
    }

    #[test]
    fn a_text_plan_cuts_the_text_the_engine_reads() {
        let bytes = book(8);
        let settings = Settings {
            ignore_dialogue: true,
            fix_hyphenation: false,
            ..Settings::default()
        };
        let planned = BookPlan::read(&bytes, &settings, &small()).unwrap();
        let inputs = planned.chunk_inputs(&bytes, &settings).unwrap();
        // The same text, cleaned and cut with the settings' options, as each part does alone.
        let (book, pages) = pdf::read_book(
            &bytes,
            CleanOptions {
                fix_hyphenation: false,
            },
        )
        .unwrap();
        assert_eq!(planned.pages, pages);
        assert_eq!(planned.book(), Some(&book));
        let chunk_plan = plan::plan(pages, &small());
        let expected = plan::chunk_inputs(
            &book,
            &chunk_plan,
            1,
            crate::engine::local::segment_options(&settings),
        );
        assert_eq!(planned.chunks, chunk_plan);
        assert_eq!(inputs, expected);
        assert!(inputs.len() > 1 && inputs.iter().all(|i| i.pdf.is_none()));
    }

    #[test]
    fn a_pdf_plan_reads_no_text_and_gives_each_chunk_its_pages() {
        let bytes = book(8);
        let planned = BookPlan::read(&bytes, &pdf_mode(), &small()).unwrap();
        assert!(planned.book().is_none());
        let inputs = planned.chunk_inputs(&bytes, &pdf_mode()).unwrap();
        assert_eq!(inputs.len(), planned.chunks.ranges.len());
        for (input, (own, context)) in inputs.iter().zip(planned.pages()) {
            assert_eq!(
                (input.first_page, input.last_page),
                (*own.start(), *own.end())
            );
            let pdf = input.pdf.as_ref().unwrap();
            assert_eq!(pdf.first_page, *context.start());
            assert!(input.text.is_empty());
        }
    }

    #[test]
    fn context_is_one_page_each_side_within_the_book() {
        let bytes = book(8);
        let planned = BookPlan::read(&bytes, &pdf_mode(), &small()).unwrap();
        let pages: Vec<_> = planned.pages().collect();
        let last = planned.pages;
        assert_eq!(pages.first(), Some(&(1..=3, 1..=4)));
        assert_eq!(pages[1], (4..=6, 3..=7));
        let (own, context) = pages.last().unwrap();
        assert_eq!(*own.end(), last);
        assert_eq!((*context.start(), *context.end()), (own.start() - 1, last));
    }

    #[test]
    fn a_resumed_job_runs_as_many_chunks_at_once_as_a_new_one() {
        let cfg = PlanConfig::default();
        for pages in [1, 30, 31, 100, 101, 500] {
            assert_eq!(
                parallelism(pages, &cfg),
                plan::plan(pages as u32, &cfg).parallelism as usize,
                "{pages}"
            );
        }
        // A page count that never made sense plans one chunk rather than failing.
        assert_eq!(parallelism(-1, &cfg), 1);
    }

    #[test]
    fn what_is_not_a_pdf_is_refused_before_any_plan() {
        for settings in [Settings::default(), pdf_mode()] {
            let err = BookPlan::read(b"hello", &settings, &PlanConfig::default())
                .err()
                .unwrap();
            assert_eq!(err.code(), "not_a_pdf");
            assert_eq!(
                inspect(b"hello", &settings, 10).unwrap_err().code(),
                "not_a_pdf"
            );
        }
    }
}
