//! The `users` table.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::{NewUser, UserRow};
use super::schema::users;
use super::{Db, DbError};

impl Db {
    /// Stores a new user; `Ok(false)` if the email is taken.
    pub async fn insert_user(&self, user: NewUser) -> Result<bool, DbError> {
        in_transaction!(self, |conn| {
            let inserted = diesel::insert_into(users::table)
                .values(&user)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            Ok(inserted == 1)
        })
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, DbError> {
        let email = email.to_owned();
        on_conn!(self, |conn| {
            Ok(users::table
                .filter(users::email.eq(&email))
                .select(UserRow::as_select())
                .first(conn)
                .await
                .optional()?)
        })
    }

    pub async fn user(&self, id: &str) -> Result<Option<UserRow>, DbError> {
        let id = id.to_owned();
        on_conn!(self, |conn| {
            Ok(users::table
                .filter(users::id.eq(&id))
                .select(UserRow::as_select())
                .first(conn)
                .await
                .optional()?)
        })
    }

    /// Sets a user's role; `false` if there is no such user.
    pub async fn set_role(&self, email: &str, role: &str) -> Result<bool, DbError> {
        let (email, role) = (email.to_owned(), role.to_owned());
        in_transaction!(self, |conn| {
            let changed = diesel::update(users::table.filter(users::email.eq(&email)))
                .set(users::role.eq(&role))
                .execute(conn)
                .await?;
            Ok(changed == 1)
        })
    }
}
