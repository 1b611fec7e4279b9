//! The `users` table.

use diesel_async::RunQueryDsl;

use super::models::NewUser;
use super::schema::users;
use super::{Db, DbError};

impl Db {
    pub async fn insert_user(&self, user: NewUser) -> Result<(), DbError> {
        on_conn!(self, |conn| {
            diesel::insert_into(users::table)
                .values(&user)
                .execute(conn)
                .await?;
            Ok(())
        })
    }
}
