//! The `uploads` table: each job's PDF, stored with the job.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::uploads;
use super::{Db, DbError};

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
}
