//! The store's rows as the exports take them: the one conversion the web export and
//! `fnt process` share, so that both write the same file.

use super::{ExportChapter, ExportSentence};
use crate::db::models::{ChapterRow, SentenceEntry};
use crate::lifecycle::StoredSettings;

pub fn sentence(s: SentenceEntry) -> ExportSentence {
    ExportSentence {
        position: s.position + 1,
        normalized: s.normalized,
        original: s.original,
        source: s.source_idx + 1,
        page: s.page,
        edited: s.edited,
        chapter: s.chapter,
    }
}

pub fn chapter(c: ChapterRow) -> ExportChapter {
    ExportChapter {
        index: c.idx,
        title: c.title,
        first_page: c.first_page,
    }
}

/// The longest sentence the job asked for, from its stored settings.
pub fn sentence_length_limit(settings: &StoredSettings) -> Option<u32> {
    settings.settings().map(|s| s.sentence_length_limit)
}
