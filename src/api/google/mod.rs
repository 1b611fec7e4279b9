//! `/api/v1/google`: connecting the caller's Google account for the Sheets export. One handler
//! per file.

pub(crate) mod callback;
pub(crate) mod connect;
pub(crate) mod disconnect;
pub(crate) mod status;

use actix_web::http::StatusCode;

/// The cookie that ties a consent round trip to the browser that started it, so that a link
/// to someone else's consent screen cannot connect the victim's Google account to theirs.
pub const CONSENT_COOKIE: &str = "fnt_google_consent";
/// Sent only to the callback.
pub const CONSENT_COOKIE_PATH: &str = "/api/v1/google/callback";

use super::error::ApiError;
use crate::google::{Google, GoogleError};

/// The export's Google client, or 409 when this server has no Google OAuth client configured.
/// Not a 5xx: nothing is failing, the feature is off here (`GET /google` says so), and an
/// error-rate alert must not fire because a learner pressed a button.
pub(crate) fn configured(google: Option<&Google>) -> Result<&Google, ApiError> {
    google.ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "google_not_configured",
            "this server is not set up to export to Google Sheets",
        )
    })
}

impl From<GoogleError> for ApiError {
    fn from(e: GoogleError) -> Self {
        use crate::export::sheets::{OAuthError, SheetsError};
        let message = e.to_string();
        match e {
            GoogleError::NotConnected => {
                ApiError::new(StatusCode::CONFLICT, "google_not_connected", message)
            }
            GoogleError::ReconnectRequired
            | GoogleError::OAuth(OAuthError::InvalidGrant { .. }) => {
                ApiError::new(StatusCode::CONFLICT, "google_reconnect_required", message)
            }
            GoogleError::UnknownConsent | GoogleError::OAuth(OAuthError::StateMismatch) => {
                ApiError::bad_request("invalid_oauth_state", message)
            }
            GoogleError::OAuth(OAuthError::AccessDenied) => {
                ApiError::new(StatusCode::FORBIDDEN, "google_access_denied", message)
            }
            GoogleError::OAuth(OAuthError::MissingScope { .. }) => {
                ApiError::new(StatusCode::FORBIDDEN, "google_scope_missing", message)
            }
            GoogleError::OAuth(OAuthError::InvalidClient) => ApiError::internal(message),
            GoogleError::OAuth(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "google_unavailable", message)
            }
            GoogleError::Sheets(SheetsError::PermissionDenied) => {
                ApiError::new(StatusCode::FORBIDDEN, "sheets_permission_denied", message)
            }
            GoogleError::Sheets(SheetsError::NotFound) => {
                ApiError::new(StatusCode::NOT_FOUND, "spreadsheet_not_found", message)
            }
            GoogleError::Sheets(SheetsError::RateLimited) => {
                ApiError::too_many("sheets_rate_limited", message, 60)
            }
            GoogleError::Sheets(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "sheets_unavailable", message)
            }
            GoogleError::Db(e) => e.into(),
        }
    }
}
