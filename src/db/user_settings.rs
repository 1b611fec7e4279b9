//! The `user_settings` table: each user's saved defaults for new jobs, as JSON.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::user_settings;
use super::{Db, DbError, now_ms};

impl Db {
    /// The user's saved settings as stored (JSON), if they ever saved any.
    pub async fn saved_settings(&self, user: &str) -> Result<Option<String>, DbError> {
        let user = user.to_owned();
        on_conn!(self, |conn| {
            Ok(user_settings::table
                .filter(user_settings::user_id.eq(&user))
                .select(user_settings::settings)
                .first(conn)
                .await
                .optional()?)
        })
    }

    pub async fn save_settings(&self, user: &str, settings_json: &str) -> Result<(), DbError> {
        let (user, json) = (user.to_owned(), settings_json.to_owned());
        in_transaction!(self, |conn| {
            let now = now_ms();
            diesel::insert_into(user_settings::table)
                .values((
                    user_settings::user_id.eq(&user),
                    user_settings::settings.eq(&json),
                    user_settings::updated_at.eq(now),
                ))
                .on_conflict(user_settings::user_id)
                .do_update()
                .set((
                    user_settings::settings.eq(&json),
                    user_settings::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
            Ok(())
        })
    }
}
