//! Each job's PDF: in the `uploads` table on PostgreSQL, a file beside the database on SQLite
//! (see `pdf_files`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{jobs, uploads};
use super::{Db, DbError, now_ms};
use crate::lifecycle::JobStatus;

/// A job's PDF as it is kept.
#[derive(Debug)]
pub enum StoredPdf {
    /// A file beside the SQLite database.
    File(PathBuf),
    /// Bytes from the database.
    Bytes(Vec<u8>),
}

impl StoredPdf {
    pub async fn into_bytes(self) -> std::io::Result<Vec<u8>> {
        match self {
            Self::File(path) => tokio::fs::read(path).await,
            Self::Bytes(bytes) => Ok(bytes),
        }
    }
}

/// The states whose jobs keep their PDF until the retention ends (a rejected job's goes at
/// once; listed so that no ended state is missed).
const ENDED: [JobStatus; 5] = [
    JobStatus::Completed,
    JobStatus::Partial,
    JobStatus::Failed,
    JobStatus::Cancelled,
    JobStatus::Rejected,
];

impl Db {
    /// The PDF uploaded for `job_id`, if it is still kept.
    pub async fn upload(&self, job_id: &str) -> Result<Option<StoredPdf>, DbError> {
        if let Some(path) = self.pdf_files.as_ref().and_then(|f| f.get(job_id)) {
            return Ok(Some(StoredPdf::File(path)));
        }
        let job_id = job_id.to_owned();
        on_conn!(self, |conn| {
            Ok(uploads::table
                .filter(uploads::job_id.eq(&job_id))
                .select(uploads::bytes)
                .first(conn)
                .await
                .optional()?
                .map(StoredPdf::Bytes))
        })
    }

    /// Whether the job's PDF is still kept.
    pub async fn has_upload(&self, job_id: &str) -> Result<bool, DbError> {
        if self
            .pdf_files
            .as_ref()
            .is_some_and(|f| f.get(job_id).is_some())
        {
            return Ok(true);
        }
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

    /// Where a SQLite database keeps its jobs' PDFs (`None` on PostgreSQL).
    pub fn pdf_dir(&self) -> Option<&Path> {
        self.pdf_files.as_deref().map(|f| f.dir())
    }

    /// On SQLite, keeps the staged file as job `job_id`'s PDF before its row is written
    /// (blocking work, off the database's threads). PostgreSQL keeps no files: the bytes go
    /// into the job's transaction.
    pub(crate) async fn keep_pdf_file(&self, staged: &Path, job_id: &str) -> Result<(), DbError> {
        let files = self
            .pdf_files
            .clone()
            .ok_or_else(|| DbError::Task("this database keeps no PDF files".into()))?;
        let (staged, job_id) = (staged.to_owned(), job_id.to_owned());
        tokio::task::spawn_blocking(move || files.put(&staged, &job_id))
            .await
            .map_err(|e| DbError::Task(e.to_string()))?
            .map_err(|e| DbError::Task(format!("keeping the PDF failed: {e}")))
    }

    /// After a commit that deleted job `job_id`'s row or its PDF: its file goes too (a failure
    /// is left to the sweep).
    pub(crate) fn forget_pdf_file(&self, job_id: &str) {
        if let Some(files) = &self.pdf_files {
            files.remove(job_id);
        }
    }

    /// Deletes the PDFs of jobs that ended more than `retention_ms` ago, and on SQLite the
    /// files no job needs (of a rejected or deleted job whose file a crash left behind, or
    /// of an upload whose row was never written); returns how many went.
    pub async fn delete_expired_uploads(&self, retention_ms: i64) -> Result<usize, DbError> {
        let cutoff = now_ms().saturating_sub(retention_ms);
        let ended = ENDED.map(JobStatus::as_str);
        let in_table = in_transaction!(self, |conn| {
            let expired = jobs::table
                .filter(jobs::status.eq_any(ended))
                .filter(jobs::finished_at.le(cutoff))
                .select(jobs::id);
            Ok(
                diesel::delete(uploads::table.filter(uploads::job_id.eq_any(expired)))
                    .execute(conn)
                    .await?,
            )
        })?;
        Ok(in_table + self.sweep_pdf_files(cutoff).await?)
    }

    /// The SQLite half of [`Db::delete_expired_uploads`].
    async fn sweep_pdf_files(&self, cutoff: i64) -> Result<usize, DbError> {
        let Some(files) = self.pdf_files.clone() else {
            return Ok(0);
        };
        let listing = Arc::clone(&files);
        let kept = tokio::task::spawn_blocking(move || listing.list())
            .await
            .map_err(|e| DbError::Task(e.to_string()))?
            .map_err(|e| DbError::Task(format!("listing the kept PDFs failed: {e}")))?;
        let mut removed = 0;
        // Bounded batches: SQLite limits a statement's parameters.
        for batch in kept.chunks(500) {
            let ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
            let needed = self.jobs_needing_their_pdf(ids, cutoff).await?;
            for (id, age) in batch {
                let orphan_old_enough = *age >= super::pdf_files::ORPHAN_AFTER;
                let row = needed.get(id.as_str());
                // A row that no longer needs its PDF, or none at all for long enough.
                let goes = match row {
                    Some(needs) => !needs,
                    None => orphan_old_enough,
                };
                if goes && files.remove(id) {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// Of the jobs `ids`, those that exist, each with whether it still needs its PDF: one that
    /// has not ended, or ended (but not rejected) after `cutoff`.
    async fn jobs_needing_their_pdf(
        &self,
        ids: Vec<String>,
        cutoff: i64,
    ) -> Result<std::collections::HashMap<String, bool>, DbError> {
        let rows: Vec<(String, JobStatus, Option<i64>)> = on_conn!(self, |conn| {
            Ok(jobs::table
                .filter(jobs::id.eq_any(&ids))
                .select((jobs::id, jobs::status, jobs::finished_at))
                .load(conn)
                .await?)
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, status, finished_at)| {
                let needs = match status {
                    JobStatus::Rejected => false,
                    ended if ended.is_terminal() => finished_at.is_none_or(|at| at > cutoff),
                    _ => true,
                };
                (id, needs)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::db::models::NewJob;
    use crate::db::pdf_files::ORPHAN_AFTER;
    use crate::db::{DatabaseUrl, LOCAL_USER_ID};
    use crate::lifecycle::admission::{Admission, Quota};

    async fn sqlite() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&DatabaseUrl::sqlite_in(dir.path()), 2)
            .await
            .unwrap();
        (dir, db)
    }

    fn job(id: &str) -> NewJob {
        NewJob::queued(id, LOCAL_USER_ID)
    }

    /// Inserts job `id` with a PDF reading `bytes`, under `quota`.
    async fn insert(db: &Db, dir: &Path, id: &str, bytes: &[u8], quota: Quota) -> Admission {
        let staged = dir.join(format!(".upload-{id}.part"));
        std::fs::write(&staged, bytes).unwrap();
        let admission = db
            .insert_job(job(id), bytes.to_vec(), &staged, quota)
            .await
            .unwrap();
        std::fs::remove_file(staged).unwrap();
        admission
    }

    async fn rows_in_uploads(db: &Db) -> i64 {
        on_conn!(db, |conn| {
            Ok(uploads::table.count().get_result::<i64>(conn).await?)
        })
        .unwrap()
    }

    /// Ends job `id` as `status`, `ago_ms` ago.
    async fn end(db: &Db, id: &str, status: JobStatus, ago_ms: i64) {
        let id = id.to_owned();
        on_conn!(db, |conn| {
            diesel::update(jobs::table.filter(jobs::id.eq(&id)))
                .set((
                    jobs::status.eq(status.as_str()),
                    jobs::finished_at.eq(now_ms() - ago_ms),
                ))
                .execute(conn)
                .await?;
            Ok(())
        })
        .unwrap();
    }

    const A: &str = "a0000000-0000-4000-8000-000000000001";
    const B: &str = "b0000000-0000-4000-8000-000000000002";

    #[tokio::test]
    async fn on_sqlite_the_pdf_is_a_file_kept_before_the_row_and_none_is_in_the_transaction() {
        let (dir, db) = sqlite().await;
        let quota = Quota {
            uploads_per_hour: None,
            active_jobs: Some(1),
        };
        assert_eq!(
            insert(&db, dir.path(), A, b"%PDF-1.7 A", quota).await,
            Admission::Admitted
        );
        assert_eq!(rows_in_uploads(&db).await, 0, "no bytes in the database");
        let kept = db.pdf_dir().unwrap().join(format!("{A}.pdf"));
        assert_eq!(std::fs::read(&kept).unwrap(), b"%PDF-1.7 A");
        assert!(db.has_upload(A).await.unwrap());
        let stored = db.upload(A).await.unwrap().unwrap();
        assert!(matches!(&stored, StoredPdf::File(path) if *path == kept));
        assert_eq!(stored.into_bytes().await.unwrap(), b"%PDF-1.7 A");

        // Refused by the quota: its file goes with it.
        assert_eq!(
            insert(&db, dir.path(), B, b"%PDF-1.7 B", quota).await,
            Admission::TooManyJobs
        );
        assert!(!db.has_upload(B).await.unwrap());
        let names: Vec<_> = std::fs::read_dir(db.pdf_dir().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, [format!("{A}.pdf")]);
    }

    /// Of twelve uploads at once for an owner allowed three jobs, three become jobs and nine
    /// are refused, each told its own outcome, with no file left for a refused one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn uploads_at_once_are_counted_against_the_quota_and_a_refused_one_keeps_no_file() {
        let (dir, db) = sqlite().await;
        let quota = Quota {
            uploads_per_hour: None,
            active_jobs: Some(3),
        };
        let start = Arc::new(tokio::sync::Barrier::new(12));
        let uploads = (0..12).map(|n| {
            let (db, start) = (db.clone(), Arc::clone(&start));
            let dir = dir.path().to_owned();
            tokio::spawn(async move {
                let id = format!("c0000000-0000-4000-8000-{n:012}");
                start.wait().await;
                (insert(&db, &dir, &id, b"%PDF", quota).await, id)
            })
        });
        let outcomes: Vec<(Admission, String)> = futures_util::future::join_all(uploads)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let admitted: Vec<&String> = outcomes
            .iter()
            .filter(|(a, _)| *a == Admission::Admitted)
            .map(|(_, id)| id)
            .collect();
        assert_eq!(admitted.len(), 3, "{outcomes:?}");
        assert!(
            outcomes
                .iter()
                .all(|(a, _)| matches!(a, Admission::Admitted | Admission::TooManyJobs))
        );
        for (admission, id) in &outcomes {
            let kept = db.has_upload(id).await.unwrap();
            let row = db.job(id, LOCAL_USER_ID).await.unwrap();
            assert_eq!(kept, *admission == Admission::Admitted, "{id}");
            assert_eq!(row.is_some(), *admission == Admission::Admitted, "{id}");
        }
        assert_eq!(std::fs::read_dir(db.pdf_dir().unwrap()).unwrap().count(), 3);
    }

    #[tokio::test]
    async fn the_sweep_removes_what_no_job_needs_and_spares_an_insert_on_its_way() {
        let (dir, db) = sqlite().await;
        let quota = Quota::default();
        let hour = 3_600_000;
        for (id, status, ago) in [
            ("10000000-0000-4000-8000-000000000001", None, 0),
            (
                "20000000-0000-4000-8000-000000000002",
                Some(JobStatus::Completed),
                2 * hour,
            ),
            (
                "30000000-0000-4000-8000-000000000003",
                Some(JobStatus::Partial),
                10,
            ),
            // A rejection whose file a crash left behind.
            (
                "40000000-0000-4000-8000-000000000004",
                Some(JobStatus::Rejected),
                10,
            ),
        ] {
            insert(&db, dir.path(), id, b"%PDF", quota).await;
            if let Some(status) = status {
                end(&db, id, status, ago).await;
            }
        }
        // Files whose row was never written (a crash between the two): one old enough to be
        // an orphan, one whose insert may still be on its way.
        let orphan = db
            .pdf_dir()
            .unwrap()
            .join("50000000-0000-4000-8000-000000000005.pdf");
        std::fs::write(&orphan, b"%PDF").unwrap();
        let long_ago = SystemTime::now() - ORPHAN_AFTER - Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&orphan)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        let young = db
            .pdf_dir()
            .unwrap()
            .join("60000000-0000-4000-8000-000000000006.pdf");
        std::fs::write(&young, b"%PDF").unwrap();

        assert_eq!(db.delete_expired_uploads(hour).await.unwrap(), 3);
        let mut left: Vec<_> = std::fs::read_dir(db.pdf_dir().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "10000000-0000-4000-8000-000000000001.pdf",
                "30000000-0000-4000-8000-000000000003.pdf",
                "60000000-0000-4000-8000-000000000006.pdf",
            ]
        );
    }

    #[tokio::test]
    async fn a_pdf_stored_in_the_table_by_an_earlier_version_is_read_and_expires() {
        let (dir, db) = sqlite().await;
        insert(&db, dir.path(), A, b"%PDF", Quota::default()).await;
        db.forget_pdf_file(A);
        let id = A.to_owned();
        on_conn!(db, |conn| {
            diesel::insert_into(uploads::table)
                .values((
                    uploads::job_id.eq(&id),
                    uploads::bytes.eq(b"%PDF-1.4 ancien".to_vec()),
                    uploads::created_at.eq(now_ms()),
                ))
                .execute(conn)
                .await?;
            Ok(())
        })
        .unwrap();
        assert!(db.has_upload(A).await.unwrap());
        let stored = db.upload(A).await.unwrap().unwrap();
        assert!(matches!(&stored, StoredPdf::Bytes(b) if b == b"%PDF-1.4 ancien"));

        end(&db, A, JobStatus::Completed, 10).await;
        assert_eq!(db.delete_expired_uploads(-1).await.unwrap(), 1);
        assert!(!db.has_upload(A).await.unwrap());
        assert_eq!(rows_in_uploads(&db).await, 0);
    }
}
