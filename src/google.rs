//! A user's Google connection for the Sheets export: consent through the OAuth code flow (PKCE,
//! a single-use `state` tied to the user who asked), tokens kept fresh and stored, and the export
//! of sentences into a new or an existing spreadsheet.

use sha2::{Digest, Sha256};

use crate::db::models::GoogleAccountRow;
use crate::db::{Db, DbError, now_ms};
use crate::export::sheets::{
    GoogleConfig, OAuthClient, OAuthError, Pkce, REFRESH_MARGIN, Refreshing, SetupError,
    SheetsClient, SheetsError, grants_sheets_access, parse_callback, random_state,
};

/// How long a consent round trip may take, from the click to Google's redirect back.
const CONSENT_TTL_MS: i64 = 10 * 60 * 1000;

#[derive(Debug, thiserror::Error)]
pub enum GoogleError {
    #[error("connect your Google account before exporting to Google Sheets")]
    NotConnected,
    #[error("the Google connection has expired or was revoked; reconnect your Google account")]
    ReconnectRequired,
    /// The callback's `state` is unknown, used or expired.
    #[error("this Google consent is unknown or has expired; start again")]
    UnknownConsent,
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error(transparent)]
    Sheets(#[from] SheetsError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Where the rows of an export went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub spreadsheet_id: String,
    pub url: String,
    /// Added to an existing spreadsheet rather than a new one.
    pub appended: bool,
    pub rows: usize,
}

/// A consent round trip just started.
pub struct Consent {
    /// Google's consent screen, for the browser to open.
    pub url: String,
    /// Binds the round trip to the browser that asked; it must come back with the callback.
    pub browser_secret: String,
    pub max_age_secs: i64,
}

/// What to export and where.
pub struct SheetsExport<'a> {
    pub title: &'a str,
    pub header: &'a [&'a str],
    pub rows: &'a [Vec<String>],
    /// Append to this spreadsheet instead of creating one.
    pub append_to: Option<&'a str>,
}

pub struct Google {
    oauth: OAuthClient,
    sheets: SheetsClient,
}

impl Google {
    pub fn new(config: GoogleConfig) -> Result<Self, SetupError> {
        Ok(Self {
            sheets: SheetsClient::new(&config)?,
            oauth: OAuthClient::new(config)?,
        })
    }

    /// Starts a consent round trip for `user`: the URL of Google's consent screen, and a
    /// secret for the browser that asked (a cookie), without which the callback is refused.
    pub async fn start_consent(&self, db: &Db, user: &str) -> Result<Consent, DbError> {
        let state = random_state();
        let browser = random_state();
        let pkce = Pkce::new();
        db.save_oauth_state(
            &digest(&state),
            &digest(&browser),
            user,
            pkce.verifier.expose(),
            CONSENT_TTL_MS,
        )
        .await?;
        Ok(Consent {
            url: self.oauth.authorization_url(&state, &pkce.challenge),
            browser_secret: browser,
            max_age_secs: CONSENT_TTL_MS / 1000,
        })
    }

    /// Finishes a consent round trip from the query string Google's redirect brought back.
    /// Returns the user who connected.
    pub async fn complete_consent(
        &self,
        db: &Db,
        state: &str,
        browser_secret: &str,
        query: &str,
    ) -> Result<String, GoogleError> {
        let pending = db
            .take_oauth_state(&digest(state), &digest(browser_secret))
            .await?
            .ok_or(GoogleError::UnknownConsent)?;
        let code = parse_callback(query, state)?;
        let grant = self
            .oauth
            .exchange_code(code.code.expose(), &pending.code_verifier)
            .await?;
        // The token endpoint's list is the one that counts; the callback's could be edited.
        if !grants_sheets_access(&grant.scope) {
            return Err(OAuthError::MissingScope {
                granted: grant.scope,
            }
            .into());
        }
        let now = now_ms();
        db.save_google_account(GoogleAccountRow {
            user_id: pending.user_id.clone(),
            access_token: grant.access_token.expose().to_owned(),
            refresh_token: grant.refresh_token.map(|t| t.expose().to_owned()),
            access_expires_at: now + expires_in_ms(grant.expires_in),
            scope: grant.scope,
            connected_at: now,
            needs_reconnect: false,
        })
        .await?;
        Ok(pending.user_id)
    }

    /// Forgets the user's connection and asks Google to revoke its grant.
    pub async fn disconnect(&self, db: &Db, user: &str) -> Result<bool, DbError> {
        let Some(account) = db.delete_google_account(user).await? else {
            return Ok(false);
        };
        // Revoking the refresh token ends the whole grant. Failing to reach Google does not
        // keep the connection: it is gone from here either way.
        let token = account.refresh_token.unwrap_or(account.access_token);
        if let Err(e) = self.oauth.revoke(&token).await {
            tracing::warn!(user, error = %e, "revoking the Google grant failed");
        }
        Ok(true)
    }

    /// Writes the rows to Google Sheets on the user's behalf, refreshing the access token when
    /// it is about to expire or Google says it has.
    pub async fn export(
        &self,
        db: &Db,
        user: &str,
        export: SheetsExport<'_>,
    ) -> Result<Exported, GoogleError> {
        let account = db
            .google_account(user)
            .await?
            .ok_or(GoogleError::NotConnected)?;
        if account.needs_reconnect {
            return Err(GoogleError::ReconnectRequired);
        }
        let margin_ms = i64::try_from(REFRESH_MARGIN.as_millis()).unwrap_or(60_000);
        let mut token = account.access_token.clone();
        if account.access_expires_at - margin_ms <= now_ms() {
            token = self.refreshed_token(db, &account).await?;
        }
        let mut source = Refreshing::new(token, || self.refreshed_token(db, &account));
        let outcome = match export.append_to {
            None => self
                .sheets
                .create_spreadsheet_with(&mut source, export.title, export.header, export.rows)
                .await
                .map(|created| Exported {
                    spreadsheet_id: created.spreadsheet_id,
                    url: created.url,
                    appended: false,
                    rows: export.rows.len(),
                }),
            Some(id) => self
                .sheets
                .append_with(&mut source, id, export.rows)
                .await
                .map(|appended| Exported {
                    spreadsheet_id: id.to_owned(),
                    url: appended.url,
                    appended: true,
                    rows: appended.rows,
                }),
        };
        match outcome {
            Ok(exported) => Ok(exported),
            // Refused even with a fresh token: only a new consent can help.
            Err(SheetsError::Unauthenticated | SheetsError::InsufficientScope) => {
                db.mark_google_reconnect(user).await?;
                Err(GoogleError::ReconnectRequired)
            }
            Err(SheetsError::Refresh(OAuthError::InvalidGrant { .. })) => {
                Err(GoogleError::ReconnectRequired)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A new access token from the stored refresh token, saved for the next export. A dead
    /// refresh token marks the account for reconnection.
    async fn refreshed_token(
        &self,
        db: &Db,
        account: &GoogleAccountRow,
    ) -> Result<String, OAuthError> {
        let Some(refresh_token) = &account.refresh_token else {
            mark_reconnect(db, &account.user_id).await;
            return Err(OAuthError::InvalidGrant {
                description: "no refresh token is stored".into(),
            });
        };
        let grant = match self.oauth.refresh(refresh_token).await {
            Ok(grant) => grant,
            Err(e) => {
                if matches!(e, OAuthError::InvalidGrant { .. }) {
                    mark_reconnect(db, &account.user_id).await;
                }
                return Err(e);
            }
        };
        let token = grant.access_token.expose().to_owned();
        let expires_at = now_ms() + expires_in_ms(grant.expires_in);
        if let Err(e) = db
            .update_google_access(&account.user_id, &token, expires_at)
            .await
        {
            // The token still works for this export; the next one refreshes again.
            tracing::warn!(user = %account.user_id, error = %e, "storing a refreshed Google token failed");
        }
        Ok(token)
    }
}

async fn mark_reconnect(db: &Db, user: &str) {
    if let Err(e) = db.mark_google_reconnect(user).await {
        tracing::warn!(user, error = %e, "marking the Google account for reconnection failed");
    }
}

fn expires_in_ms(seconds: u64) -> i64 {
    i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX / 2)
}

/// Only hashes of a consent's secrets are stored: a database reader cannot complete it.
fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
