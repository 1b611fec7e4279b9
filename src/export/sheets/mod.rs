//! Export to Google Sheets: Google's OAuth 2.0 web-server flow (PKCE, offline access) and the
//! Sheets v4 calls that create a formatted spreadsheet and append to it, over awc. The wire
//! format follows shared/reference/google-sheets-oauth-rest.md; the `fnt-fake-google` crate
//! serves the same format, and its tests drive this client against it.
//!
//! Nothing here stores tokens: the caller keeps the refresh token, and hands the Sheets client a
//! [`TokenSource`] that refreshes when Google says the access token expired.

pub mod a1;
mod client;
mod error;
mod http;
mod oauth;
mod retry;
pub mod wire;

use std::time::Duration;

use crate::secret::Secret;

pub use client::{Appended, Created, FixedToken, Refreshing, SheetsClient, TokenSource};
pub use error::{OAuthError, SheetsError};
pub use http::SetupError;
pub use oauth::{
    AuthorizationCode, OAuthClient, Pkce, REFRESH_MARGIN, TokenGrant, grants_sheets_access,
    parse_callback, pkce_challenge, random_state,
};
pub use retry::Backoff;

/// Lets the app create files and edit the ones it created (enough to export), without seeing
/// the user's other files.
pub const SCOPE_DRIVE_FILE: &str = "https://www.googleapis.com/auth/drive.file";
/// Read and write all the user's spreadsheets.
pub const SCOPE_SPREADSHEETS: &str = "https://www.googleapis.com/auth/spreadsheets";
/// Full Drive access; also lets the Sheets calls through.
pub const SCOPE_DRIVE: &str = "https://www.googleapis.com/auth/drive";
/// What the consent screen asks for.
pub const REQUESTED_SCOPES: [&str; 2] = [SCOPE_DRIVE_FILE, SCOPE_SPREADSHEETS];

pub const DEFAULT_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const DEFAULT_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const DEFAULT_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
pub const DEFAULT_SHEETS_BASE_URL: &str = "https://sheets.googleapis.com";

/// Time limit of one HTTP exchange with Google. A 5,000-row batch is a few hundred KB.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The OAuth client registered in Google Cloud, and where Google is (overridable, so tests point
/// at `fnt-fake-google`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleConfig {
    pub client_id: String,
    pub client_secret: Secret,
    /// Must match one of the client's registered redirect URIs exactly.
    pub redirect_uri: String,
    pub auth_url: String,
    pub token_url: String,
    pub revoke_url: String,
    /// Without `/v4`.
    pub sheets_base_url: String,
}

impl GoogleConfig {
    /// Google's real endpoints.
    pub fn new(client_id: &str, client_secret: Secret, redirect_uri: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            client_secret,
            redirect_uri: redirect_uri.to_owned(),
            auth_url: DEFAULT_AUTH_URL.to_owned(),
            token_url: DEFAULT_TOKEN_URL.to_owned(),
            revoke_url: DEFAULT_REVOKE_URL.to_owned(),
            sheets_base_url: DEFAULT_SHEETS_BASE_URL.to_owned(),
        }
    }

    /// Every endpoint on one server laid out like Google's paths (what `fnt-fake-google`
    /// serves): `/o/oauth2/v2/auth`, `/token`, `/revoke`, `/v4/spreadsheets`.
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        self.auth_url = format!("{base}/o/oauth2/v2/auth");
        self.token_url = format!("{base}/token");
        self.revoke_url = format!("{base}/revoke");
        self.sheets_base_url = base.to_owned();
        self
    }
}

/// The link a user opens to see a spreadsheet.
pub fn spreadsheet_url(spreadsheet_id: &str) -> String {
    format!("https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit")
}
