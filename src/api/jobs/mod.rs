//! `/api/v1/jobs`: one handler per file, and the job's JSON view.

pub(crate) mod cancel;
pub(crate) mod chapters;
pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod estimate;
pub(crate) mod events;
pub(crate) mod get;
pub(crate) mod list;
pub(crate) mod rerun;
pub(crate) mod result;
pub(crate) mod retry;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::AppState;
use super::error::ApiError;
use crate::db::models::{HistoryRow, JobRow};
use crate::events::JobProgress;
use crate::lifecycle::JobStatus;

#[derive(Debug, Serialize)]
pub struct JobView {
    pub id: String,
    #[serde(flatten)]
    pub progress: JobProgress,
    pub page_count: i32,
    pub file_name: String,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub api_calls: i64,
    // Source sentences asked again, written by the local engine instead, refused by the model.
    pub reasks: i64,
    pub local_fallbacks: i64,
    pub refusals: i64,
    pub settings: Value,
    pub created_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<JobErrorView>,
}

#[derive(Debug, Serialize)]
pub struct JobErrorView {
    pub code: String,
    pub message: String,
}

impl From<JobRow> for JobView {
    fn from(row: JobRow) -> Self {
        let progress = JobProgress::of(&row);
        let error = row.error_code.map(|code| JobErrorView {
            code,
            message: row.error_message.unwrap_or_default(),
        });
        Self {
            settings: row
                .settings
                .settings()
                .and_then(|s| serde_json::to_value(s).ok())
                .unwrap_or(Value::Null),
            progress,
            id: row.id,
            page_count: row.page_count,
            file_name: row.file_name,
            tokens_in: row.tokens_in,
            tokens_out: row.tokens_out,
            api_calls: row.api_calls,
            reasks: row.reasks,
            local_fallbacks: row.local_fallbacks,
            refusals: row.refusals,
            created_at: DateTime::from_timestamp_millis(row.created_at),
            started_at: row.started_at.and_then(DateTime::from_timestamp_millis),
            finished_at: row.finished_at.and_then(DateTime::from_timestamp_millis),
            error,
        }
    }
}

/// The caller's job, or 404 (for a missing id and for someone else's job alike).
/// The history entry a finished job left; 409 while it runs or when it ended without one.
async fn finished_entry(
    state: &AppState,
    job: &JobRow,
    owner: &str,
) -> Result<HistoryRow, ApiError> {
    match job.status {
        JobStatus::Completed | JobStatus::Partial => {}
        JobStatus::Queued | JobStatus::Running => {
            return Err(ApiError::conflict(
                "job_not_finished",
                format!("the job is {}; its result is not ready yet", job.status),
            ));
        }
        _ => {
            return Err(ApiError::conflict(
                "no_result",
                format!("the job ended {} and has no result", job.status),
            ));
        }
    }
    state
        .core
        .db
        .history_for_job(&job.id, owner)
        .await?
        .ok_or_else(|| ApiError::internal(format!("job {} finished without history", job.id)))
}

async fn owned_job(state: &AppState, id: &str, owner: &str) -> Result<JobRow, ApiError> {
    // Ids are UUIDs; anything else cannot exist, so skip the query.
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::not_found("job"));
    }
    state
        .core
        .db
        .job(id, owner)
        .await?
        .ok_or_else(|| ApiError::not_found("job"))
}
