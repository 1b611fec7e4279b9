//! What `/metrics` reads from the database at scrape time: the queue as every instance sees
//! it, and this process's connection pool.

use diesel::dsl::{count_star, max, min};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{history, job_chunks, job_events, jobs, pieces, source_sentences};
use super::{Db, DbError, Pool, now_ms};
use crate::lifecycle::{ChunkStatus, JobStatus};

// The readings are the metrics' own types: the database fills them, the metrics render them.
pub(crate) use crate::metrics::{Pool as PoolUsage, Queue as QueueSnapshot};

/// What a job may store ([`Db::stored_bytes`]) per byte of its book's extracted text. A
/// running or partial job keeps its chunks' inputs (the text plus overlap pages of context)
/// and results (each source sentence once, its pieces beside it, in JSON) for resuming and
/// retrying: about 6 measured. A completed job keeps only its entry: about 2. Before the
/// book model each piece carried its whole original: 770 MB for a 15 KB file.
pub const STORED_PER_TEXT: usize = 8;
/// Plus this much for any book, however short.
pub const STORED_OVERHEAD: usize = 64 * 1024;

diesel::define_sql_function! {
    /// Bytes of a text (`octet_length`: PostgreSQL, and SQLite since 3.43).
    fn octet_length(text: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Integer>;
}

/// How long the running job that has waited longest for progress has waited: since its last
/// event, or since it started when it has none yet.
fn longest_stall(
    now: i64,
    running: &[(String, Option<i64>, i64)],
    last_events: &[(String, Option<i64>)],
) -> i64 {
    running
        .iter()
        .map(|(id, started, created)| {
            let event = last_events
                .iter()
                .find(|(job, _)| job == id)
                .and_then(|(_, at)| *at);
            let last = event.into_iter().chain(*started).max().unwrap_or(*created);
            (now - last).max(0)
        })
        .max()
        .unwrap_or(0)
}

impl Db {
    /// The bytes of text a job keeps: its chunks' inputs and results, its entry's source
    /// sentences and pieces (edits included). What storage grows with, per book.
    pub async fn stored_bytes(&self, job_id: &str) -> Result<i64, DbError> {
        use diesel::dsl::sum;
        let job_id = job_id.to_owned();
        on_conn!(self, |conn| {
            // SUM skips NULLs: a chunk without a result counts its input only.
            let chunks = job_chunks::table.filter(job_chunks::job_id.eq(&job_id));
            let inputs: Option<i64> = chunks
                .select(sum(octet_length(job_chunks::input.nullable())))
                .first(conn)
                .await?;
            let results: Option<i64> = chunks
                .select(sum(octet_length(job_chunks::result)))
                .first(conn)
                .await?;
            let entry: Option<String> = history::table
                .filter(history::job_id.eq(&job_id))
                .select(history::id)
                .first(conn)
                .await
                .optional()?;
            let (mut sources, mut texts, mut engine_texts) = (None, None, None);
            if let Some(entry) = entry {
                sources = source_sentences::table
                    .filter(source_sentences::history_id.eq(&entry))
                    .select(sum(octet_length(source_sentences::text.nullable())))
                    .first(conn)
                    .await?;
                let entry_pieces = pieces::table.filter(pieces::history_id.eq(&entry));
                texts = entry_pieces
                    .select(sum(octet_length(pieces::normalized.nullable())))
                    .first(conn)
                    .await?;
                engine_texts = entry_pieces
                    .select(sum(octet_length(pieces::engine_text)))
                    .first(conn)
                    .await?;
            }
            Ok([inputs, results, sources, texts, engine_texts]
                .into_iter()
                .map(Option::unwrap_or_default)
                .sum())
        })
    }

    pub async fn queue_snapshot(&self) -> Result<QueueSnapshot, DbError> {
        let now = now_ms();
        on_conn!(self, |conn| {
            let counts: Vec<(String, i64)> = jobs::table
                .group_by(jobs::status)
                .select((jobs::status, count_star()))
                .load(conn)
                .await?;
            let oldest_queued: Option<i64> = jobs::table
                .filter(jobs::status.eq(JobStatus::Queued.as_str()))
                .select(min(jobs::created_at))
                .first(conn)
                .await?;
            let unfinished = jobs::table
                .filter(
                    jobs::status.eq_any([JobStatus::Queued.as_str(), JobStatus::Running.as_str()]),
                )
                .select(jobs::id);
            let chunks_queued: i64 = job_chunks::table
                .filter(job_chunks::job_id.eq_any(unfinished))
                .filter(
                    job_chunks::status
                        .eq_any([ChunkStatus::Pending.as_str(), ChunkStatus::Running.as_str()]),
                )
                .select(count_star())
                .first(conn)
                .await?;
            let running: Vec<(String, Option<i64>, i64)> = jobs::table
                .filter(jobs::status.eq(JobStatus::Running.as_str()))
                .select((jobs::id, jobs::started_at, jobs::created_at))
                .load(conn)
                .await?;
            let ids: Vec<&str> = running.iter().map(|(id, _, _)| id.as_str()).collect();
            let last_events: Vec<(String, Option<i64>)> = if ids.is_empty() {
                Vec::new()
            } else {
                job_events::table
                    .filter(job_events::job_id.eq_any(&ids))
                    .group_by(job_events::job_id)
                    .select((job_events::job_id, max(job_events::created_at)))
                    .load(conn)
                    .await?
            };
            let stalled_ms = longest_stall(now, &running, &last_events);
            let jobs = JobStatus::ALL
                .iter()
                .map(|status| {
                    let count = counts
                        .iter()
                        .find(|(s, _)| s == status.as_str())
                        .map_or(0, |(_, n)| *n);
                    (*status, count)
                })
                .collect();
            Ok(QueueSnapshot {
                jobs,
                oldest_queued_ms: oldest_queued.map_or(0, |at| (now - at).max(0)),
                chunks_queued,
                stalled_ms,
            })
        })
    }

    pub fn pool_usage(&self) -> PoolUsage {
        let status = match &self.pool {
            Pool::Sqlite(pool) => pool.status(),
            Pool::Postgres(pool) => pool.status(),
        };
        // `available` counts idle connections; `size` those open, idle or lent out.
        PoolUsage {
            in_use: status.size.saturating_sub(status.available),
            idle: status.available,
            max: status.max_size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn a_stall_runs_from_the_last_event_or_the_start() {
        let now = 100 * MIN;
        let running = vec![
            ("quiet".to_owned(), Some(now - 30 * MIN), now - 40 * MIN),
            ("busy".to_owned(), Some(now - 50 * MIN), now - 50 * MIN),
            ("claimed".to_owned(), None, now - 2 * MIN),
        ];
        let events = vec![
            ("quiet".to_owned(), Some(now - 11 * MIN)),
            ("busy".to_owned(), Some(now - MIN)),
        ];
        assert_eq!(longest_stall(now, &running, &events), 11 * MIN);
        assert_eq!(longest_stall(now, &running[1..], &events), 2 * MIN);
        assert_eq!(longest_stall(now, &[], &events), 0);
    }
}
