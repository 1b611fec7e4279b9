//! The `google_accounts` and `oauth_states` tables: a user's connection to Google for the
//! Sheets export, and the consent requests in flight.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::GoogleAccountRow;
use super::schema::{google_accounts, oauth_states};
use super::{Db, DbError, now_ms};

/// A consent request the callback may complete once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingConsent {
    pub user_id: String,
    pub code_verifier: String,
}

impl Db {
    /// Remembers a consent request; expired ones are dropped on the way.
    pub async fn save_oauth_state(
        &self,
        state_hash: &str,
        user: &str,
        code_verifier: &str,
        ttl_ms: i64,
    ) -> Result<(), DbError> {
        let (hash, user, verifier) = (
            state_hash.to_owned(),
            user.to_owned(),
            code_verifier.to_owned(),
        );
        in_transaction!(self, |conn| {
            let now = now_ms();
            diesel::delete(oauth_states::table.filter(oauth_states::expires_at.lt(now)))
                .execute(conn)
                .await?;
            diesel::insert_into(oauth_states::table)
                .values((
                    oauth_states::state_hash.eq(&hash),
                    oauth_states::user_id.eq(&user),
                    oauth_states::code_verifier.eq(&verifier),
                    oauth_states::created_at.eq(now),
                    oauth_states::expires_at.eq(now + ttl_ms),
                ))
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    /// Takes a consent request: it can be used once, and only before it expires.
    pub async fn take_oauth_state(
        &self,
        state_hash: &str,
    ) -> Result<Option<PendingConsent>, DbError> {
        let hash = state_hash.to_owned();
        in_transaction!(self, |conn| {
            let row: Option<(String, String, i64)> = oauth_states::table
                .filter(oauth_states::state_hash.eq(&hash))
                .select((
                    oauth_states::user_id,
                    oauth_states::code_verifier,
                    oauth_states::expires_at,
                ))
                .first(conn)
                .await
                .optional()?;
            diesel::delete(oauth_states::table.filter(oauth_states::state_hash.eq(&hash)))
                .execute(conn)
                .await?;
            Ok(row
                .filter(|(_, _, expires_at)| *expires_at >= now_ms())
                .map(|(user_id, code_verifier, _)| PendingConsent {
                    user_id,
                    code_verifier,
                }))
        })
    }

    pub async fn google_account(&self, user: &str) -> Result<Option<GoogleAccountRow>, DbError> {
        let user = user.to_owned();
        on_conn!(self, |conn| {
            Ok(google_accounts::table
                .filter(google_accounts::user_id.eq(&user))
                .select(GoogleAccountRow::as_select())
                .first(conn)
                .await
                .optional()?)
        })
    }

    /// Stores a fresh grant. Google sends a refresh token only on some consents; without one,
    /// the one already stored is kept.
    pub async fn save_google_account(&self, account: GoogleAccountRow) -> Result<(), DbError> {
        in_transaction!(self, |conn| {
            let kept: Option<Option<String>> = google_accounts::table
                .filter(google_accounts::user_id.eq(&account.user_id))
                .select(google_accounts::refresh_token)
                .first(conn)
                .await
                .optional()?;
            let mut account = account;
            if account.refresh_token.is_none() {
                account.refresh_token = kept.flatten();
            }
            diesel::delete(
                google_accounts::table.filter(google_accounts::user_id.eq(&account.user_id)),
            )
            .execute(conn)
            .await?;
            diesel::insert_into(google_accounts::table)
                .values(&account)
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    /// Records an access token obtained with the refresh token.
    pub async fn update_google_access(
        &self,
        user: &str,
        access_token: &str,
        expires_at: i64,
    ) -> Result<(), DbError> {
        let (user, token) = (user.to_owned(), access_token.to_owned());
        on_conn!(self, |conn| {
            diesel::update(google_accounts::table.filter(google_accounts::user_id.eq(&user)))
                .set((
                    google_accounts::access_token.eq(&token),
                    google_accounts::access_expires_at.eq(expires_at),
                    google_accounts::needs_reconnect.eq(false),
                ))
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    /// Google refused the refresh token: the user must consent again before the next export.
    pub async fn mark_google_reconnect(&self, user: &str) -> Result<(), DbError> {
        let user = user.to_owned();
        on_conn!(self, |conn| {
            diesel::update(google_accounts::table.filter(google_accounts::user_id.eq(&user)))
                .set(google_accounts::needs_reconnect.eq(true))
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    /// Forgets the connection; returns the row that was removed (to revoke its tokens).
    pub async fn delete_google_account(
        &self,
        user: &str,
    ) -> Result<Option<GoogleAccountRow>, DbError> {
        let user = user.to_owned();
        in_transaction!(self, |conn| {
            let row = google_accounts::table
                .filter(google_accounts::user_id.eq(&user))
                .select(GoogleAccountRow::as_select())
                .first(conn)
                .await
                .optional()?;
            diesel::delete(google_accounts::table.filter(google_accounts::user_id.eq(&user)))
                .execute(conn)
                .await?;
            Ok(row)
        })
    }
}
