//! New jobs on SQLite, stored together: uploads that arrive while the database's one writer is
//! busy queue here, and whichever of them gets the writers' turn first stores every queued job
//! in one transaction, run start to end on one blocking thread.
//!
//! One transaction per job, each statement a hop to a blocking thread and each turn handed to
//! the next upload only after its commit, made fifty uploads at once wait for each other most
//! of their time to the 202 (BENCHMARKS.md, twelfth session). SQLite in WAL mode with
//! `synchronous = NORMAL` does not sync at commit, so a group costs about its statements.
//! Each job keeps its own savepoint and admission: one refused or failing job does not take
//! the others with it.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use tokio::sync::oneshot;

use super::events::StoredEvent;
use super::models::{JobRow, NewJob};
use super::schema::{job_events, jobs};
use super::{Db, DbError, DeadPool, SqliteConn};
use crate::events::JobEvent;
use crate::lifecycle::admission::{Admission, Quota};

/// At most this many jobs in one transaction, so that other writers (workers storing a
/// chunk's sentences) wait for a bounded time.
const MAX_GROUP: usize = 64;

/// What storing one job came to: its first event, or the admission that refused it.
pub(crate) type Stored = Result<Result<JobEvent, Admission>, DbError>;

/// Jobs waiting to be stored.
#[derive(Default)]
pub(crate) struct NewJobs {
    queue: std::sync::Mutex<Vec<Waiting>>,
}

struct Waiting {
    job: NewJob,
    quota: Quota,
    stored: oneshot::Sender<Stored>,
}

impl NewJobs {
    fn push(&self, waiting: Waiting) {
        self.lock().push(waiting);
    }

    fn take(&self) -> Vec<Waiting> {
        let mut queue = self.lock();
        let n = queue.len().min(MAX_GROUP);
        queue.drain(..n).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
        // A panic while pushing or draining leaves the vector whole.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Db {
    /// Stores `job` if `quota` admits it, with the jobs queued beside it (see the module's
    /// comment). Its first event is published once committed.
    pub(super) async fn store_with_others(
        &self,
        pool: &DeadPool<SqliteConn>,
        job: NewJob,
        quota: Quota,
    ) -> Stored {
        let (stored, mut outcome) = oneshot::channel();
        self.new_jobs.push(Waiting { job, quota, stored });
        loop {
            tokio::select! {
                // Stored by whoever had the turn before: no turn of its own needed.
                biased;
                outcome = &mut outcome => {
                    return outcome.unwrap_or_else(|_| {
                        Err(DbError::Task("the job's group was dropped".into()))
                    });
                }
                turn = self.writers.lock() => {
                    let group = self.new_jobs.take();
                    if !group.is_empty() {
                        self.store_group(pool, group).await;
                    }
                    drop(turn);
                }
            }
        }
    }

    async fn store_group(&self, pool: &DeadPool<SqliteConn>, group: Vec<Waiting>) {
        let (jobs, replies): (Vec<_>, Vec<_>) = group
            .into_iter()
            .map(|w| ((w.job, w.quota), w.stored))
            .unzip();
        let written = match pool.get().await {
            Ok(mut conn) => conn
                .spawn_blocking(move |conn| Ok(store_all(conn, &jobs)))
                .await
                .map_err(DbError::from)
                .and_then(|stored| stored),
            Err(e) => Err(DbError::from(e)),
        };
        match written {
            Ok(stored) => {
                let events = stored
                    .iter()
                    .filter_map(|s| s.as_ref().ok().and_then(|s| s.as_ref().ok()).cloned());
                self.publish(events);
                self.jobs_ready();
                for (reply, stored) in replies.into_iter().zip(stored) {
                    // A caller that went away leaves a stored job: its events went out.
                    let _ = reply.send(stored);
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(for_each(&e)));
                }
            }
        }
    }
}

/// One write transaction for the group, a savepoint for each job.
fn store_all(
    conn: &mut SqliteConnection,
    jobs: &[(NewJob, Quota)],
) -> Result<Vec<Stored>, DbError> {
    conn.immediate_transaction(|conn| {
        Ok(jobs
            .iter()
            .map(|(job, quota)| conn.transaction(|conn| store(conn, job, *quota)))
            .collect())
    })
}

fn store(conn: &mut SqliteConnection, job: &NewJob, quota: Quota) -> Stored {
    let admission = admission!(conn, &job.owner_id, quota, 0);
    if admission != Admission::Admitted {
        return Ok(Err(admission));
    }
    // The job's first event is counted as it is inserted.
    let row: JobRow = diesel::insert_into(jobs::table)
        .values((job, jobs::event_seq.eq(1)))
        .returning(JobRow::as_returning())
        .get_result(conn)?;
    let (event, stored) = StoredEvent::of(&row, None, &[])?;
    diesel::insert_into(job_events::table)
        .values(&stored)
        .execute(conn)?;
    Ok(Ok(event))
}

/// The group's failure, told to each job in it.
fn for_each(e: &DbError) -> DbError {
    match e {
        DbError::Pool(message) => DbError::Pool(message.clone()),
        other => DbError::Task(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::db::{DatabaseUrl, LOCAL_USER_ID};

    fn job(n: usize, owner: &str) -> NewJob {
        NewJob::queued(&format!("c0000000-0000-4000-8000-{n:012}"), owner)
    }

    fn quota(active_jobs: u32) -> Quota {
        Quota {
            active_jobs: Some(active_jobs),
            ..Quota::default()
        }
    }

    #[test]
    fn each_job_of_a_group_is_admitted_after_those_before_it_and_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fnt.sqlite3");
        let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            super::super::SQLITE_PRAGMAS,
        )
        .unwrap();
        diesel_migrations::MigrationHarness::run_pending_migrations(
            &mut conn,
            super::super::SQLITE_MIGRATIONS,
        )
        .unwrap();
        // Five of one owner under a limit of three active jobs; between them, one of an owner
        // who does not exist, which the schema refuses.
        let mut group: Vec<(NewJob, Quota)> =
            (0..5).map(|n| (job(n, LOCAL_USER_ID), quota(3))).collect();
        group.insert(2, (job(9, "no-such-user"), quota(3)));

        let stored = store_all(&mut conn, &group).unwrap();

        let outcomes: Vec<&str> = stored
            .iter()
            .map(|s| match s {
                Ok(Ok(_)) => "stored",
                Ok(Err(_)) => "refused",
                Err(_) => "failed",
            })
            .collect();
        assert_eq!(
            outcomes,
            ["stored", "stored", "failed", "stored", "refused", "refused"]
        );
        // The failed one left nothing; each stored one has its row and its first event.
        let ids: Vec<String> = jobs::table
            .order(jobs::id.asc())
            .select(jobs::id)
            .load(&mut conn)
            .unwrap();
        assert_eq!(ids, [job(0, "").id, job(1, "").id, job(2, "").id]);
        let events: Vec<(String, i64)> = job_events::table
            .order(job_events::job_id.asc())
            .select((job_events::job_id, job_events::seq))
            .load(&mut conn)
            .unwrap();
        assert_eq!(
            events,
            ids.iter().map(|id| (id.clone(), 1)).collect::<Vec<_>>()
        );
        let first = stored[0].as_ref().unwrap().as_ref().unwrap();
        assert_eq!((first.seq, first.job_id.as_str()), (1, ids[0].as_str()));
    }

    /// Stages a PDF for job `n` and stores it through the queue.
    async fn insert(db: &Db, dir: &Path, n: usize, owner: &str) -> Result<Admission, DbError> {
        let staged = dir.join(format!(".upload-{n}.part"));
        tokio::fs::write(&staged, b"%PDF-1.7").await.unwrap();
        db.insert_job(job(n, owner), Vec::new(), &staged, Quota::default())
            .await
    }

    #[tokio::test]
    async fn uploads_waiting_for_the_writer_are_all_stored_once_it_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&DatabaseUrl::sqlite_in(dir.path()), 2)
            .await
            .unwrap();
        let mut events = db.subscribe_events();
        // Another writer holds the turn while eight uploads arrive.
        let busy = db.writers.lock().await;
        let inserts: Vec<_> = (0..8)
            .map(|n| {
                let (db, dir) = (db.clone(), dir.path().to_owned());
                let owner = if n == 5 {
                    "no-such-user"
                } else {
                    LOCAL_USER_ID
                };
                tokio::spawn(async move { insert(&db, &dir, n, owner).await })
            })
            .collect();
        let queued = std::time::Instant::now();
        while db.new_jobs.lock().len() < 8 {
            assert!(queued.elapsed() < std::time::Duration::from_secs(10));
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        drop(busy);

        let mut stored = 0;
        for (n, insert) in inserts.into_iter().enumerate() {
            match insert.await.unwrap() {
                Ok(Admission::Admitted) => stored += 1,
                Err(_) if n == 5 => {
                    assert!(
                        db.pdf_files.as_ref().unwrap().get(&job(n, "").id).is_none(),
                        "a failed job kept its PDF"
                    );
                }
                other => panic!("upload {n}: {other:?}"),
            }
        }
        assert_eq!(stored, 7);
        for n in (0..8).filter(|n| *n != 5) {
            let id = job(n, "").id;
            assert!(db.job(&id, LOCAL_USER_ID).await.unwrap().is_some());
            assert!(
                db.pdf_files.as_ref().unwrap().get(&id).is_some(),
                "job {n} has no PDF"
            );
        }
        // Each stored job's first event went out live.
        for _ in 0..7 {
            let event = tokio::time::timeout(std::time::Duration::from_secs(10), events.recv())
                .await
                .unwrap()
                .unwrap();
            assert!(matches!(event, crate::db::events::EventFeed::Event(e) if e.seq == 1));
        }
        assert!(db.new_jobs.lock().is_empty());
    }
}
