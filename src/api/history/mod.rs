//! `/api/v1/history`: what finished jobs left for their owner. One handler per file.

pub(crate) mod chapters;
pub(crate) mod delete;
pub(crate) mod edit_sentence;
pub(crate) mod export;
pub(crate) mod get;
pub(crate) mod list;
pub(crate) mod reprocess;
pub(crate) mod selection;
pub(crate) mod sentences;
pub(crate) mod sheets;
pub(crate) mod study;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::lifecycle::JobStatus;

use super::AppState;
use super::error::ApiError;
use crate::db::models::{HistoryEntry, SentenceEntry};

#[derive(Debug, Serialize)]
pub struct HistoryView {
    pub id: String,
    pub job_id: String,
    pub file_name: String,
    /// `completed`, or `partial` when some chunks failed after their retries.
    pub status: JobStatus,
    pub page_count: i32,
    pub sentence_count: i32,
    pub settings: Value,
    pub engine: String,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub api_calls: i64,
    // Source sentences asked again, written by the local engine instead, refused by the model.
    pub reasks: i64,
    pub local_fallbacks: i64,
    pub refusals: i64,
    pub processing_ms: i64,
    pub created_at: Option<DateTime<Utc>>,
    pub exported_to_sheets: bool,
    pub sheet_url: Option<String>,
    pub exported_at: Option<DateTime<Utc>>,
}

impl From<HistoryEntry> for HistoryView {
    fn from(e: HistoryEntry) -> Self {
        Self {
            settings: e
                .settings
                .settings()
                .and_then(|s| serde_json::to_value(s).ok())
                .unwrap_or(Value::Null),
            id: e.id,
            job_id: e.job_id,
            file_name: e.file_name,
            status: e.status,
            page_count: e.page_count,
            sentence_count: e.sentence_count,
            engine: e.engine,
            tokens_in: e.tokens_in,
            tokens_out: e.tokens_out,
            api_calls: e.api_calls,
            reasks: e.reasks,
            local_fallbacks: e.local_fallbacks,
            refusals: e.refusals,
            processing_ms: e.processing_ms,
            created_at: DateTime::from_timestamp_millis(e.created_at),
            exported_to_sheets: e.exported_to_sheets,
            sheet_url: e.sheet_url,
            exported_at: e.exported_at.and_then(DateTime::from_timestamp_millis),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct SentenceView {
    /// 1-based, in book order; the address of the sentence in `PATCH …/sentences/{position}`.
    pub position: i32,
    pub normalized: String,
    pub original: String,
    pub page: i32,
    pub engine: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The learner changed `normalized`; `engine_text` is what the engine wrote.
    pub edited: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    /// The `index` of its chapter in `GET …/chapters`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chapter: Option<i32>,
    /// The `index` of its source sentence in the book's pages.
    pub source: i32,
    /// Whether it reads as a complete sentence, as it stands now.
    pub complete: bool,
}

impl From<SentenceEntry> for SentenceView {
    fn from(s: SentenceEntry) -> Self {
        Self {
            complete: crate::engine::local::reads_as_sentence(&s.normalized),
            position: s.position + 1,
            normalized: s.normalized,
            original: s.original.to_string(),
            page: s.page,
            engine: s.engine,
            kind: s.kind,
            model: s.model,
            edited: s.edited,
            engine_text: s.engine_text,
            edited_at: s.edited_at.and_then(DateTime::from_timestamp_millis),
            chapter: s.chapter,
            source: s.source_idx + 1,
        }
    }
}

/// The caller's entry, or 404 (for a missing id and for someone else's entry alike).
async fn owned_entry(state: &AppState, id: &str, owner: &str) -> Result<HistoryEntry, ApiError> {
    // Ids are UUIDs; anything else cannot exist, so skip the query.
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::not_found("history entry"));
    }
    state
        .core
        .db
        .history_entry(id, owner)
        .await?
        .ok_or_else(|| ApiError::not_found("history entry"))
}
