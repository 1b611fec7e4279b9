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
        browser_hash: &str,
        user: &str,
        code_verifier: &str,
        ttl_ms: i64,
    ) -> Result<(), DbError> {
        let (hash, browser, user, verifier) = (
            state_hash.to_owned(),
            browser_hash.to_owned(),
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
                    oauth_states::browser_hash.eq(&browser),
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

    /// Takes a consent request, from the browser that started it: it can be used once, and
    /// only before it expires. Another browser's attempt leaves it in place.
    pub async fn take_oauth_state(
        &self,
        state_hash: &str,
        browser_hash: &str,
    ) -> Result<Option<PendingConsent>, DbError> {
        let (hash, browser) = (state_hash.to_owned(), browser_hash.to_owned());
        in_transaction!(self, |conn| {
            let this = oauth_states::table
                .filter(oauth_states::state_hash.eq(&hash))
                .filter(oauth_states::browser_hash.eq(&browser));
            let row: Option<(String, String, i64)> = this
                .select((
                    oauth_states::user_id,
                    oauth_states::code_verifier,
                    oauth_states::expires_at,
                ))
                .first(conn)
                .await
                .optional()?;
            // Whoever deletes the row owns the consent: two callbacks at once cannot both.
            let taken = diesel::delete(this).execute(conn).await?;
            if taken != 1 {
                return Ok(None);
            }
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
            let upsert = diesel::insert_into(google_accounts::table)
                .values(&account)
                .on_conflict(google_accounts::user_id)
                .do_update();
            let fresh = (
                google_accounts::access_token.eq(&account.access_token),
                google_accounts::access_expires_at.eq(account.access_expires_at),
                google_accounts::scope.eq(&account.scope),
                google_accounts::connected_at.eq(account.connected_at),
                google_accounts::needs_reconnect.eq(false),
            );
            match &account.refresh_token {
                Some(refresh) => {
                    upsert
                        .set((fresh, google_accounts::refresh_token.eq(refresh)))
                        .execute(conn)
                        .await?
                }
                None => upsert.set(fresh).execute(conn).await?,
            };
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
        in_transaction!(self, |conn| {
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
        in_transaction!(self, |conn| {
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
