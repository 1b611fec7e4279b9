//! The `sessions` table (sign-ins, with rotating refresh tokens) and the shared `server_keys`.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tokio::sync::broadcast;

use super::models::SessionRow;
use super::notify::SESSIONS_CHANNEL;
use super::schema::{server_keys, sessions};
use super::{Db, DbError, Dialect, now_ms};

/// What the sockets a sign-in opened hear about sessions ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionFeed {
    /// The session was revoked (logout, a reused refresh token).
    Ended { session_id: String },
    /// Some news may have been missed (the relay reconnected): check the sessions again.
    Gap,
}

/// What a refresh did.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The presented token was the current one: it is replaced by the new hash.
    Rotated { user_id: String },
    /// The session is unknown, expired or revoked.
    Refused,
    /// An earlier token of a live session was presented again: someone holds a copy, so the
    /// session is revoked for everyone.
    Reused,
}

impl Db {
    pub async fn insert_session(&self, session: SessionRow) -> Result<(), DbError> {
        in_transaction!(self, |conn| {
            diesel::insert_into(sessions::table)
                .values(&session)
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    /// The session if it is live (not revoked, not expired).
    pub async fn live_session(&self, id: &str) -> Result<Option<SessionRow>, DbError> {
        let id = id.to_owned();
        on_conn!(self, |conn| {
            Ok(sessions::table
                .filter(sessions::id.eq(&id))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(now_ms()))
                .select(SessionRow::as_select())
                .first(conn)
                .await
                .optional()?)
        })
    }

    /// Replaces the session's refresh hash if `presented` is the current one.
    pub async fn rotate_session(
        &self,
        id: &str,
        presented: &str,
        next: &str,
    ) -> Result<Rotation, DbError> {
        let (id, presented, next) = (id.to_owned(), presented.to_owned(), next.to_owned());
        let session_id = id.clone();
        let rotation = in_transaction!(self, |conn| {
            let now = now_ms();
            let session: Option<SessionRow> = sessions::table
                .filter(sessions::id.eq(&id))
                .select(SessionRow::as_select())
                .first(conn)
                .await
                .optional()?;
            let Some(session) = session else {
                return Ok(Rotation::Refused);
            };
            if session.revoked_at.is_some() || session.expires_at <= now {
                return Ok(Rotation::Refused);
            }
            if session.refresh_hash != presented {
                diesel::update(sessions::table.filter(sessions::id.eq(&id)))
                    .set(sessions::revoked_at.eq(now))
                    .execute(conn)
                    .await?;
                Dialect::announce(conn, SESSIONS_CHANNEL, &id).await?;
                return Ok(Rotation::Reused);
            }
            diesel::update(sessions::table.filter(sessions::id.eq(&id)))
                .set(sessions::refresh_hash.eq(&next))
                .execute(conn)
                .await?;
            Ok(Rotation::Rotated {
                user_id: session.user_id,
            })
        })?;
        if rotation == Rotation::Reused {
            self.session_ended(session_id);
        }
        Ok(rotation)
    }

    pub async fn revoke_session(&self, id: &str) -> Result<(), DbError> {
        let id = id.to_owned();
        let session_id = id.clone();
        let revoked = in_transaction!(self, |conn| {
            let revoked = diesel::update(
                sessions::table
                    .filter(sessions::id.eq(&id))
                    .filter(sessions::revoked_at.is_null()),
            )
            .set(sessions::revoked_at.eq(now_ms()))
            .execute(conn)
            .await?;
            if revoked > 0 {
                Dialect::announce(conn, SESSIONS_CHANNEL, &id).await?;
            }
            Ok(revoked > 0)
        })?;
        if revoked {
            self.session_ended(session_id);
        }
        Ok(())
    }

    /// Sessions as they end, from now on, on this instance and (PostgreSQL) every other.
    pub fn subscribe_session_ends(&self) -> broadcast::Receiver<SessionFeed> {
        self.sessions_ended.subscribe()
    }

    /// After the commit that revoked a session. On PostgreSQL the commit's NOTIFY tells every
    /// instance, this one included.
    fn session_ended(&self, session_id: String) {
        if !self.is_postgres() {
            let _ = self.sessions_ended.send(SessionFeed::Ended { session_id });
        }
    }

    /// The stored value of a shared secret, storing `fresh` first if there is none yet (the
    /// first instance to ask decides, the others read its value).
    pub async fn server_key(&self, name: &str, fresh: &str) -> Result<String, DbError> {
        let (name, fresh) = (name.to_owned(), fresh.to_owned());
        in_transaction!(self, |conn| {
            diesel::insert_into(server_keys::table)
                .values((
                    server_keys::name.eq(&name),
                    server_keys::value.eq(&fresh),
                    server_keys::created_at.eq(now_ms()),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            Ok(server_keys::table
                .filter(server_keys::name.eq(&name))
                .select(server_keys::value)
                .first(conn)
                .await?)
        })
    }
}
