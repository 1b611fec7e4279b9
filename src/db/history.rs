//! The `history` and `sentences` tables: what a finished job leaves for its owner, and what the
//! owner does with it afterwards (edits, exports, deletion).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::{
    ChapterRow, ChapterSpan, HistoryEntry, HistoryRow, SentenceEntry, SentenceRow,
};
use super::schema::{chapters, history, jobs, sentences};
use super::{Db, DbError, now_ms};
use crate::status::JobStatus;

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

    /// An entry's sentences in book order.
    pub async fn sentences(&self, history_id: &str) -> Result<Vec<SentenceRow>, DbError> {
        let history_id = history_id.to_owned();
        on_conn!(self, |conn| {
            Ok(sentences::table
                .filter(sentences::history_id.eq(&history_id))
                .order(sentences::position.asc())
                .select(SentenceRow::as_select())
                .load(conn)
                .await?)
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
            Ok(sentences::table
                .filter(sentences::history_id.eq(&history_id))
                .filter(sentences::chapter.is_not_null())
                .group_by(sentences::chapter)
                .select((
                    sentences::chapter,
                    count_star(),
                    min(sentences::position),
                    max(sentences::position),
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

    /// An entry's sentences in book order, with their edit trail.
    pub async fn sentence_entries(&self, history_id: &str) -> Result<Vec<SentenceEntry>, DbError> {
        let history_id = history_id.to_owned();
        on_conn!(self, |conn| {
            Ok(sentences::table
                .filter(sentences::history_id.eq(&history_id))
                .order(sentences::position.asc())
                .select(SentenceEntry::as_select())
                .load(conn)
                .await?)
        })
    }

    /// Deletes an entry together with the job it came from: its sentences, chunks, events and
    /// stored PDF go with it, so nothing of the book is left behind.
    pub async fn delete_history(&self, id: &str, owner: &str) -> Result<Deletion, DbError> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        in_transaction!(self, |conn| {
            let Some(job_id) = history::table
                .filter(history::id.eq(&id))
                .filter(history::owner_id.eq(&owner))
                .select(history::job_id)
                .first::<String>(conn)
                .await
                .optional()?
            else {
                return Ok(Deletion::NotFound);
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
                Deletion::Deleted
            } else {
                Deletion::JobRunning
            })
        })
    }

    /// Replaces a sentence's text. The engine's text is kept the first time; writing it back
    /// unmarks the sentence.
    pub async fn edit_sentence(
        &self,
        history_id: &str,
        owner: &str,
        position: i32,
        text: &str,
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
            let row = sentences::table
                .filter(sentences::history_id.eq(&history_id))
                .filter(sentences::position.eq(position));
            let Some(current) = row
                .select(SentenceEntry::as_select())
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
            let (kept, edited, edited_at) = if reverted {
                (None, false, None)
            } else {
                (Some(engine_text), true, Some(now_ms()))
            };
            let updated = diesel::update(row)
                .set((
                    sentences::normalized.eq(&text),
                    sentences::engine_text.eq(kept),
                    sentences::edited.eq(edited),
                    sentences::edited_at.eq(edited_at),
                ))
                .returning(SentenceEntry::as_returning())
                .get_result(conn)
                .await
                .optional()?;
            // On PostgreSQL a retry finishing meanwhile may have replaced the sentences.
            Ok(match updated {
                Some(updated) => SentenceEdit::Edited(Box::new(updated)),
                None => SentenceEdit::NoSuchSentence,
            })
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
