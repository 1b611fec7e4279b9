//! The `history` and `sentences` tables: what a finished job leaves for its owner.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::{HistoryRow, SentenceRow};
use super::schema::{history, sentences};
use super::{Db, DbError};

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
}
