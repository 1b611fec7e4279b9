//! The `uploads` table: each job's PDF, stored with the job.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{jobs, uploads};
use super::{Db, DbError, now_ms};
use crate::lifecycle::JobStatus;

impl Db {
    /// The PDF uploaded for `job_id`, if it is still stored.
    pub async fn upload(&self, job_id: &str) -> Result<Option<Vec<u8>>, DbError> {
        let job_id = job_id.to_owned();
        on_conn!(self, |conn| {
            Ok(uploads::table
                .filter(uploads::job_id.eq(&job_id))
                .select(uploads::bytes)
                .first(conn)
                .await
                .optional()?)
        })
    }

    /// Whether the job's PDF is still stored.
    pub async fn has_upload(&self, job_id: &str) -> Result<bool, DbError> {
        let job_id = job_id.to_owned();
        on_conn!(self, |conn| {
            let n: i64 = uploads::table
                .filter(uploads::job_id.eq(&job_id))
                .count()
                .get_result(conn)
                .await?;
            Ok(n > 0)
        })
    }

    /// Deletes the PDFs of jobs that ended more than `retention_ms` ago; returns how many.
    pub async fn delete_expired_uploads(&self, retention_ms: i64) -> Result<usize, DbError> {
        let ended = [
            JobStatus::Completed.as_str(),
            JobStatus::Partial.as_str(),
            JobStatus::Failed.as_str(),
            JobStatus::Cancelled.as_str(),
            // Its upload went when it was rejected; listed so that no ended state is missed.
            JobStatus::Rejected.as_str(),
        ];
        in_transaction!(self, |conn| {
            let cutoff = now_ms().saturating_sub(retention_ms);
            let expired = jobs::table
                .filter(jobs::status.eq_any(ended))
                .filter(jobs::finished_at.le(cutoff))
                .select(jobs::id);
            Ok(
                diesel::delete(uploads::table.filter(uploads::job_id.eq_any(expired)))
                    .execute(conn)
                    .await?,
            )
        })
    }
}
