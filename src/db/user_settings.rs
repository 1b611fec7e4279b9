//! The `user_settings` table: each user's saved defaults for new jobs, as stored settings.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::user_settings;
use super::{Db, DbError, now_ms};
use crate::lifecycle::StoredSettings;
use crate::settings::Settings;

impl Db {
    /// The user's saved settings, if they ever saved any.
    pub async fn saved_settings(&self, user: &str) -> Result<Option<StoredSettings>, DbError> {
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

    pub async fn save_settings(&self, user: &str, settings: &Settings) -> Result<(), DbError> {
        let (user, stored) = (user.to_owned(), StoredSettings::new(settings.clone()));
        in_transaction!(self, |conn| {
            let now = now_ms();
            diesel::insert_into(user_settings::table)
                .values((
                    user_settings::user_id.eq(&user),
                    user_settings::settings.eq(&stored),
                    user_settings::updated_at.eq(now),
                ))
                .on_conflict(user_settings::user_id)
                .do_update()
                .set((
                    user_settings::settings.eq(&stored),
                    user_settings::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
            Ok(())
        })
    }
}
