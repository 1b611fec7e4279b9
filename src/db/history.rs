//! The `history`, `source_sentences` and `pieces` tables: what a finished job leaves for its
//! owner, and what the owner does with it afterwards (edits, exports, deletion).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::{
    ChapterRow, ChapterSpan, HistoryEntry, HistoryRow, PieceEntry, SentenceEntry, SourceRow,
};
use super::schema::{chapters, history, jobs, pieces, source_sentences};
use super::{Db, DbError, now_ms};
use crate::engine::PieceKind;
use crate::lifecycle::JobStatus;

/// One page of an owner's history, newest first.
#[derive(Debug, Clone)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// How many entries match the search in all.
    pub total: i64,
}

/// What deleting an entry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    NotFound,
    /// Its job is running again (a retry): it can be deleted once that ends.
    JobRunning,
}

/// A page of a book's source sentences, each with its pieces in order.
#[derive(Debug, Clone)]
pub struct BookPage {
    /// How many source sentences match in all.
    pub total: i64,
    pub sources: Vec<(SourceRow, Vec<PieceEntry>)>,
}

/// Each piece beside its source sentence; `sources` and `pieces` in book order.
fn beside(sources: Vec<SourceRow>, pieces: Vec<PieceEntry>) -> Vec<SentenceEntry> {
    let mut sources = sources.into_iter().peekable();
    let mut current: Option<(SourceRow, std::sync::Arc<str>)> = None;
    let mut out = Vec::with_capacity(pieces.len());
    for piece in pieces {
        while current
            .as_ref()
            .is_none_or(|(source, _)| source.idx < piece.source_idx)
        {
            let Some(next) = sources.next_if(|s| s.idx <= piece.source_idx) else {
                break;
            };
            let text: std::sync::Arc<str> = next.text.as_str().into();
            current = Some((next, text));
        }
        // The foreign key makes every piece's source exist.
        if let Some((source, text)) = &current
            && source.idx == piece.source_idx
        {
            out.push(SentenceEntry::new(piece, source, text));
        }
    }
    out
}

/// What a sentence edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentenceEdit {
    Edited(Box<SentenceEntry>),
    NoSuchEntry,
    NoSuchSentence,
}

/// A file name or search term as searches compare them: composed (macOS sends "é" as "e" and
/// a combining accent) and lowercased, the same way whatever the database.
pub fn search_key(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect::<String>().to_lowercase()
}

/// `LIKE` pattern matching `term` anywhere, with the pattern characters in `term` taken
/// literally.
fn contains_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in search_key(term).chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Db {
    pub async fn history_for_job(
        &self,
        job_id: &str,
        owner: &str,
    ) -> Result<Option<HistoryRow>, DbError> {
        let (job_id, owner) = (job_id.to_owned(), owner.to_owned());
        on_conn!(self, |conn| {
            Ok(history::table
                .filter(history::job_id.eq(&job_id))
                .filter(history::owner_id.eq(&owner))
                .select(HistoryRow::as_select())
                .first(conn)
                .await
                .optional()?)
        })
    }

    /// For each chapter of an entry that has sentences: its index, how many it has, and the
    /// first and last of their (0-based) positions.
    pub async fn chapter_spans(&self, history_id: &str) -> Result<Vec<ChapterSpan>, DbError> {
        use diesel::dsl::{count_star, max, min};
        let history_id = history_id.to_owned();
        // (chapter, sentences, first position, last position), as SQL aggregates give them.
        type Row = (Option<i32>, i64, Option<i32>, Option<i32>);
        let rows: Vec<Row> = on_conn!(self, |conn| {
            Ok(pieces::table
                .inner_join(
                    source_sentences::table.on(source_sentences::history_id
                        .eq(pieces::history_id)
                        .and(source_sentences::idx.eq(pieces::source_idx))),
                )
                .filter(pieces::history_id.eq(&history_id))
                .filter(source_sentences::chapter.is_not_null())
                .group_by(source_sentences::chapter)
                .select((
                    source_sentences::chapter,
                    count_star(),
                    min(pieces::position),
                    max(pieces::position),
                ))
                .load(conn)
                .await?)
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(chapter, count, first, last)| {
                Some(ChapterSpan {
                    chapter: chapter?,
                    sentences: usize::try_from(count).unwrap_or(0),
                    first: first?,
                    last: last?,
                })
            })
            .collect())
    }

    /// An entry's chapters in book order.
    pub async fn chapters(&self, history_id: &str) -> Result<Vec<ChapterRow>, DbError> {
        let history_id = history_id.to_owned();
        on_conn!(self, |conn| {
            Ok(chapters::table
                .filter(chapters::history_id.eq(&history_id))
                .order(chapters::idx.asc())
                .select(ChapterRow::as_select())
                .load(conn)
                .await?)
        })
    }

    /// The owner's entries, newest first; `search` matches part of the file name, whatever
    /// its case.
    pub async fn list_history(
        &self,
        owner: &str,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<HistoryPage, DbError> {
        let owner = owner.to_owned();
        let pattern = search.map(contains_pattern);
        on_conn!(self, |conn| {
            let matching = || {
                let mut query = history::table
                    .filter(history::owner_id.eq(owner.clone()))
                    .into_boxed();
                if let Some(pattern) = &pattern {
                    query = query.filter(history::search_key.like(pattern.clone()).escape('\\'));
                }
                query
            };
            let total: i64 = matching().count().get_result(conn).await?;
            let entries = matching()
                .order((history::created_at.desc(), history::id.desc()))
                .limit(limit)
                .offset(offset)
                .select(HistoryEntry::as_select())
                .load(conn)
                .await?;
            Ok(HistoryPage { entries, total })
        })
    }

    pub async fn history_entry(
        &self,
        id: &str,
        owner: &str,
    ) -> Result<Option<HistoryEntry>, DbError> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        on_conn!(self, |conn| {
            Ok(history::table
                .filter(history::id.eq(&id))
                .filter(history::owner_id.eq(&owner))
                .select(HistoryEntry::as_select())
                .first(conn)
                .await
                .optional()?)
        })
    }

    /// An entry's pieces in book order, each beside its source sentence, with their edit
    /// trail. Each source's text is held once, however many pieces share it.
    pub async fn sentence_entries(&self, history_id: &str) -> Result<Vec<SentenceEntry>, DbError> {
        let history_id = history_id.to_owned();
        let (sources, pieces) = on_conn!(self, |conn| {
            let sources: Vec<SourceRow> = source_sentences::table
                .filter(source_sentences::history_id.eq(&history_id))
                .order(source_sentences::idx.asc())
                .select(SourceRow::as_select())
                .load(conn)
                .await?;
            let pieces: Vec<PieceEntry> = pieces::table
                .filter(pieces::history_id.eq(&history_id))
                .order(pieces::position.asc())
                .select(PieceEntry::as_select())
                .load(conn)
                .await?;
            Ok((sources, pieces))
        })?;
        Ok(beside(sources, pieces))
    }

    /// Up to `limit` pieces after `after` (a position; `-1` for the first), each beside its
    /// source: one batch of a streamed flat view.
    pub async fn sentence_batch(
        &self,
        history_id: &str,
        after: i32,
        limit: i64,
    ) -> Result<Vec<SentenceEntry>, DbError> {
        let history_id = history_id.to_owned();
        let (sources, pieces) = on_conn!(self, |conn| {
            let pieces: Vec<PieceEntry> = pieces::table
                .filter(pieces::history_id.eq(&history_id))
                .filter(pieces::position.gt(after))
                .order(pieces::position.asc())
                .limit(limit)
                .select(PieceEntry::as_select())
                .load(conn)
                .await?;
            // (A method call `first()` here would be diesel's query method.)
            let (Some(first), Some(last)) = (<[_]>::first(&pieces), <[_]>::last(&pieces)) else {
                return Ok((Vec::new(), pieces));
            };
            let sources: Vec<SourceRow> = source_sentences::table
                .filter(source_sentences::history_id.eq(&history_id))
                .filter(source_sentences::idx.between(first.source_idx, last.source_idx))
                .order(source_sentences::idx.asc())
                .select(SourceRow::as_select())
                .load(conn)
                .await?;
            Ok((sources, pieces))
        })?;
        Ok(beside(sources, pieces))
    }

    /// A page of an entry's source sentences (of one chapter, or all), each with its pieces.
    pub async fn book_page(
        &self,
        history_id: &str,
        chapter: Option<i32>,
        offset: i64,
        limit: i64,
    ) -> Result<BookPage, DbError> {
        let history_id = history_id.to_owned();
        let (total, sources, pieces) = on_conn!(self, |conn| {
            let matching = || {
                let mut query = source_sentences::table
                    .filter(source_sentences::history_id.eq(history_id.clone()))
                    .into_boxed();
                if let Some(chapter) = chapter {
                    query = query.filter(source_sentences::chapter.eq(chapter));
                }
                query
            };
            let total: i64 = matching().count().get_result(conn).await?;
            let sources: Vec<SourceRow> = matching()
                .order(source_sentences::idx.asc())
                .limit(limit)
                .offset(offset)
                .select(SourceRow::as_select())
                .load(conn)
                .await?;
            let (Some(first), Some(last)) = (<[_]>::first(&sources), <[_]>::last(&sources)) else {
                return Ok((total, sources, Vec::new()));
            };
            // A chapter's sentences follow one another: its pieces lie between the first's
            // and the last's.
            let pieces: Vec<PieceEntry> = pieces::table
                .filter(pieces::history_id.eq(&history_id))
                .filter(pieces::source_idx.between(first.idx, last.idx))
                .order(pieces::position.asc())
                .select(PieceEntry::as_select())
                .load(conn)
                .await?;
            Ok((total, sources, pieces))
        })?;
        let mut by_source: std::collections::BTreeMap<i32, Vec<PieceEntry>> = Default::default();
        for piece in pieces {
            by_source.entry(piece.source_idx).or_default().push(piece);
        }
        let sources = sources
            .into_iter()
            .map(|source| {
                let pieces = by_source.remove(&source.idx).unwrap_or_default();
                (source, pieces)
            })
            .collect();
        Ok(BookPage { total, sources })
    }

    /// Deletes an entry together with the job it came from: its sentences, chunks, events and
    /// stored PDF go with it, so nothing of the book is left behind.
    pub async fn delete_history(&self, id: &str, owner: &str) -> Result<Deletion, DbError> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        let (deletion, job_id) = in_transaction!(self, |conn| {
            let Some(job_id) = history::table
                .filter(history::id.eq(&id))
                .filter(history::owner_id.eq(&owner))
                .select(history::job_id)
                .first::<String>(conn)
                .await
                .optional()?
            else {
                return Ok((Deletion::NotFound, None));
            };
            // A job being retried is a worker's until it ends; however it ended otherwise
            // (even cancelled or failed after a retry), it goes.
            let active = [JobStatus::Queued.as_str(), JobStatus::Running.as_str()];
            let jobs_deleted = diesel::delete(
                jobs::table
                    .filter(jobs::id.eq(&job_id))
                    .filter(jobs::status.ne_all(active)),
            )
            .execute(conn)
            .await?;
            Ok(if jobs_deleted == 1 {
                (Deletion::Deleted, Some(job_id))
            } else {
                (Deletion::JobRunning, None)
            })
        })?;
        if let Some(job_id) = job_id {
            self.forget_pdf_file(&job_id);
        }
        Ok(deletion)
    }

    /// Replaces a sentence's text. The engine's text is kept the first time; writing it back
    /// unmarks the sentence.
    pub async fn edit_sentence(
        &self,
        history_id: &str,
        owner: &str,
        position: i32,
        text: &str,
        limit: usize,
    ) -> Result<SentenceEdit, DbError> {
        let (history_id, owner, text) = (history_id.to_owned(), owner.to_owned(), text.to_owned());
        in_transaction!(self, |conn| {
            let owned: i64 = history::table
                .filter(history::id.eq(&history_id))
                .filter(history::owner_id.eq(&owner))
                .count()
                .get_result(conn)
                .await?;
            if owned == 0 {
                return Ok(SentenceEdit::NoSuchEntry);
            }
            let row = pieces::table
                .filter(pieces::history_id.eq(&history_id))
                .filter(pieces::position.eq(position));
            let Some(current) = row
                .select(PieceEntry::as_select())
                .first(conn)
                .await
                .optional()?
            else {
                return Ok(SentenceEdit::NoSuchSentence);
            };
            let engine_text = current
                .engine_text
                .clone()
                .unwrap_or_else(|| current.normalized.clone());
            let reverted = text == engine_text;
            let source: SourceRow = source_sentences::table
                .filter(source_sentences::history_id.eq(&history_id))
                .filter(source_sentences::idx.eq(current.source_idx))
                .select(SourceRow::as_select())
                .first(conn)
                .await?;
            // The learner's text is judged like the engine's: shortened to the limit, it is no
            // longer `over_limit`; written back, it is what it was.
            let kind = PieceKind::of(&text, &source.text, limit).as_str();
            let (kept, edited, edited_at) = if reverted {
                (None, false, None)
            } else {
                (Some(engine_text), true, Some(now_ms()))
            };
            let updated = diesel::update(row)
                .set((
                    pieces::normalized.eq(&text),
                    pieces::engine_text.eq(kept),
                    pieces::edited.eq(edited),
                    pieces::edited_at.eq(edited_at),
                    pieces::kind.eq(kind),
                ))
                .returning(PieceEntry::as_returning())
                .get_result(conn)
                .await
                .optional()?;
            // On PostgreSQL a retry finishing meanwhile may have replaced the sentences.
            let Some(updated) = updated else {
                return Ok(SentenceEdit::NoSuchSentence);
            };
            let text: std::sync::Arc<str> = source.text.as_str().into();
            Ok(SentenceEdit::Edited(Box::new(SentenceEntry::new(
                updated, &source, &text,
            ))))
        })
    }

    /// Records an export to Google Sheets on the entry.
    pub async fn mark_exported_to_sheets(
        &self,
        id: &str,
        owner: &str,
        spreadsheet_id: &str,
        url: &str,
    ) -> Result<bool, DbError> {
        let (id, owner, spreadsheet_id, url) = (
            id.to_owned(),
            owner.to_owned(),
            spreadsheet_id.to_owned(),
            url.to_owned(),
        );
        in_transaction!(self, |conn| {
            let changed = diesel::update(
                history::table
                    .filter(history::id.eq(&id))
                    .filter(history::owner_id.eq(&owner)),
            )
            .set((
                history::exported_to_sheets.eq(true),
                history::spreadsheet_id.eq(Some(spreadsheet_id)),
                history::sheet_url.eq(Some(url)),
                history::exported_at.eq(Some(now_ms())),
            ))
            .execute(conn)
            .await?;
            Ok(changed == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn search_keys_are_composed_and_lowercased() {
        assert_eq!(
            super::search_key("Les MISÉRABLES.pdf"),
            "les misérables.pdf"
        );
        assert_eq!(super::search_key("E\u{301}mile.pdf"), "émile.pdf");
    }

    #[test]
    fn search_terms_are_literal_and_lowercased() {
        assert_eq!(contains_pattern("Zola"), "%zola%");
        assert_eq!(contains_pattern("100%_sûr"), "%100\\%\\_sûr%");
        assert_eq!(contains_pattern("a\\b"), "%a\\\\b%");
    }
}
