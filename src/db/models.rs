//! Rows as stored, and the conversions to and from the domain types.

use diesel::prelude::*;

use crate::lifecycle::{ChunkStatus, JobStatus, StoredSettings};

use super::schema::{
    chapters, google_accounts, history, job_chunks, jobs, pieces, sessions, source_sentences, users,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct JobRow {
    pub id: String,
    pub owner_id: String,
    pub status: JobStatus,
    pub file_name: String,
    pub input_hash: String,
    pub file_size: i64,
    pub page_count: i32,
    pub settings: StoredSettings,
    pub engine: String,
    pub progress_percent: i32,
    pub current_step: String,
    pub total_chunks: i32,
    pub processed_chunks: i32,
    pub failed_chunks: i32,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub claims: i32,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub api_calls: i64,
    // Source sentences mended, as `crate::engine::Usage` counts them.
    pub reasks: i64,
    pub local_fallbacks: i64,
    pub refusals: i64,
    pub event_seq: i64,
}

impl JobRow {
    /// Time since the upload: what a reader has waited when the job ends now.
    pub fn age(&self) -> std::time::Duration {
        let ms = (super::now_ms() - self.created_at).max(0);
        std::time::Duration::from_millis(ms.unsigned_abs())
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub refresh_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = jobs)]
pub struct NewJob {
    pub id: String,
    pub owner_id: String,
    pub status: JobStatus,
    pub file_name: String,
    pub input_hash: String,
    pub file_size: i64,
    pub page_count: i32,
    pub settings: StoredSettings,
    pub engine: String,
    pub current_step: String,
    pub created_at: i64,
}

#[cfg(test)]
impl NewJob {
    /// A queued job of `owner` for the database's tests (a 2-page `livre.pdf`, default settings).
    pub(crate) fn queued(id: &str, owner: &str) -> Self {
        Self {
            id: id.into(),
            owner_id: owner.into(),
            status: JobStatus::Queued,
            file_name: "livre.pdf".into(),
            input_hash: "abc".into(),
            file_size: 3,
            page_count: 2,
            settings: crate::settings::Settings::default().into(),
            engine: "local".into(),
            current_step: "queued".into(),
            created_at: super::now_ms(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = job_chunks)]
pub struct ChunkRow {
    pub job_id: String,
    pub idx: i32,
    pub first_page: i32,
    pub last_page: i32,
    pub status: ChunkStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub input: String,
    pub result: Option<String>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub api_calls: i64,
    // Source sentences mended, as `crate::engine::Usage` counts them.
    pub reasks: i64,
    pub local_fallbacks: i64,
    pub refusals: i64,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = job_chunks)]
pub struct NewChunk {
    pub job_id: String,
    pub idx: i32,
    pub first_page: i32,
    pub last_page: i32,
    pub status: ChunkStatus,
    pub input: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = history)]
pub struct HistoryRow {
    pub id: String,
    pub job_id: String,
    pub owner_id: String,
    pub file_name: String,
    pub status: JobStatus,
    pub page_count: i32,
    pub sentence_count: i32,
    pub settings: StoredSettings,
    pub engine: String,
    pub processing_ms: i64,
    pub created_at: i64,
    /// The file name as searches compare it: [`crate::db::history::search_key`].
    pub search_key: String,
}

/// A sentence of the book as the PDF reader found it, stored once for all its pieces.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = source_sentences)]
pub struct SourceRow {
    pub history_id: String,
    /// 0-based, in book order.
    pub idx: i32,
    pub page: i32,
    /// `ChapterRow::idx` of the chapter it stands in.
    pub chapter: Option<i32>,
    pub text: String,
}

/// A piece as a finished job writes it.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pieces)]
pub struct PieceRow {
    pub history_id: String,
    /// 0-based, in book order across all pieces.
    pub position: i32,
    /// `SourceRow::idx` of the sentence it was made from.
    pub source_idx: i32,
    /// 0-based order within its source sentence.
    pub piece_idx: i32,
    pub normalized: String,
    /// [`crate::engine::PieceKind`] as stored.
    pub kind: Option<String>,
    pub engine: String,
    pub model: Option<String>,
    pub edited: bool,
}

/// A stored piece with its edit trail.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = pieces)]
pub struct PieceEntry {
    pub position: i32,
    pub source_idx: i32,
    pub piece_idx: i32,
    pub normalized: String,
    pub kind: Option<String>,
    pub engine: String,
    pub model: Option<String>,
    pub edited: bool,
    /// What the engine wrote, kept once the learner edits `normalized`.
    pub engine_text: Option<String>,
    pub edited_at: Option<i64>,
}

/// Where a chapter's sentences stand in an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChapterSpan {
    /// `ChapterRow::idx`.
    pub chapter: i32,
    pub sentences: usize,
    /// 0-based positions of its first and last sentences.
    pub first: i32,
    pub last: i32,
}

/// A chapter of a result's book: its heading as printed and the page it stands on.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = chapters)]
pub struct ChapterRow {
    pub history_id: String,
    /// 1-based, in book order.
    pub idx: i32,
    pub title: String,
    pub first_page: i32,
}

/// A history entry as the API shows it: what [`HistoryRow`] stores at completion, plus what
/// happened to it afterwards (token counts copied from the job, the Sheets export).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = history)]
pub struct HistoryEntry {
    pub id: String,
    pub job_id: String,
    pub owner_id: String,
    pub file_name: String,
    pub status: JobStatus,
    pub page_count: i32,
    pub sentence_count: i32,
    pub settings: StoredSettings,
    pub engine: String,
    pub processing_ms: i64,
    pub created_at: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub api_calls: i64,
    // Source sentences mended, as `crate::engine::Usage` counts them.
    pub reasks: i64,
    pub local_fallbacks: i64,
    pub refusals: i64,
    pub exported_to_sheets: bool,
    pub spreadsheet_id: Option<String>,
    pub sheet_url: Option<String>,
    pub exported_at: Option<i64>,
}

/// A piece beside its source sentence: one row of a flat view or an export. The pieces of a
/// source share its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentenceEntry {
    pub position: i32,
    pub normalized: String,
    pub original: std::sync::Arc<str>,
    pub page: i32,
    pub engine: String,
    pub edited: bool,
    /// What the engine wrote, kept once the learner edits `normalized`.
    pub engine_text: Option<String>,
    pub edited_at: Option<i64>,
    /// `ChapterRow::idx` of the chapter the sentence stands in.
    pub chapter: Option<i32>,
    /// `SourceRow::idx` and the order within it.
    pub source_idx: i32,
    pub piece_idx: i32,
    pub kind: Option<String>,
    pub model: Option<String>,
}

impl SentenceEntry {
    /// `piece` beside `source` (its text shared, not copied).
    pub fn new(piece: PieceEntry, source: &SourceRow, text: &std::sync::Arc<str>) -> Self {
        Self {
            position: piece.position,
            normalized: piece.normalized,
            original: std::sync::Arc::clone(text),
            page: source.page,
            engine: piece.engine,
            edited: piece.edited,
            engine_text: piece.engine_text,
            edited_at: piece.edited_at,
            chapter: source.chapter,
            source_idx: piece.source_idx,
            piece_idx: piece.piece_idx,
            kind: piece.kind,
            model: piece.model,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = google_accounts)]
pub struct GoogleAccountRow {
    pub user_id: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub access_expires_at: i64,
    pub scope: String,
    pub connected_at: i64,
    pub needs_reconnect: bool,
}
