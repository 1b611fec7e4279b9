//! What can go wrong with Google, typed so the caller can act on it. Every message is fit to
//! show a user: none quotes a token, a secret or a request body.

use crate::engine::gemini::wire::ErrorBody;

/// A failure of the OAuth side: the browser round trip or the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The user pressed "Cancel" on Google's consent screen.
    #[error("Google access was not granted (the consent screen was cancelled)")]
    AccessDenied,
    /// The callback's `state` is not the one this session sent: a forged or stale callback.
    #[error("this Google sign-in answer does not belong to this session; start again")]
    StateMismatch,
    /// The user unticked the Sheets permission on the consent screen.
    #[error(
        "Google did not grant access to spreadsheets; connect again and allow the app to \
         create spreadsheets"
    )]
    MissingScope { granted: String },
    /// The code or refresh token is dead (used, expired, revoked, or the PKCE verifier does
    /// not match). On refresh this means the stored token must be dropped and the user marked
    /// "reconnect required".
    #[error("the Google connection has expired or was revoked; reconnect your Google account")]
    InvalidGrant { description: String },
    /// Google does not know this client id or secret: a configuration error, not the user's.
    #[error("the server's Google OAuth client is misconfigured (client id or secret rejected)")]
    InvalidClient,
    /// 5xx or a network failure, still failing after the retries.
    #[error("Google sign-in is unavailable right now; try again later")]
    Transient { detail: String },
    /// Any other refusal (`invalid_request`, an unexpected reply…).
    #[error("Google sign-in failed: {0}")]
    Other(String),
}

/// A failure of a Sheets call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetsError {
    /// 401: the access token is expired or revoked. The `*_with` calls have already refreshed
    /// once and retried once when this comes out of them.
    #[error("Google rejected the access token; reconnect your Google account")]
    Unauthenticated,
    /// 403: no access to that file (with `drive.file`, files this app did not create).
    #[error("your Google account does not give this app access to that spreadsheet")]
    PermissionDenied,
    /// 403 `ACCESS_TOKEN_SCOPE_INSUFFICIENT`: the grant lacks the Sheets scope; re-consent.
    #[error(
        "the Google connection does not allow editing spreadsheets; reconnect and allow access"
    )]
    InsufficientScope,
    /// 404: the spreadsheet id is wrong or the file was deleted.
    #[error("the spreadsheet was not found (it may have been deleted)")]
    NotFound,
    /// 429 still after backing off for about a minute.
    #[error("Google Sheets is limiting how fast this account can write; try again in a minute")]
    RateLimited,
    /// 5xx or a network failure, still failing after the retries.
    #[error("Google Sheets is unavailable right now; try again later")]
    Transient { detail: String },
    /// 400: the request was wrong; Google's message says how.
    #[error("Google Sheets refused the request: {0}")]
    BadRequest(String),
    /// The access token needed refreshing and that failed (`InvalidGrant`: reconnect).
    #[error(transparent)]
    Refresh(#[from] OAuthError),
    /// A 2xx whose body is not what the API documents.
    #[error("Google Sheets sent an answer this app cannot read")]
    BadReply { detail: String },
}

/// What a failure calls for: wait and try again, or stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    RateLimited,
    Transient,
    No,
}

impl SheetsError {
    pub(crate) fn retry(&self) -> Retry {
        match self {
            Self::RateLimited => Retry::RateLimited,
            Self::Transient { .. } => Retry::Transient,
            _ => Retry::No,
        }
    }

    /// A non-2xx Sheets answer. Decided by status and `ErrorInfo.reason`, not by wording, except
    /// for the scope case, whose reason Google does not always send.
    pub(crate) fn from_response(status: u16, body: &[u8]) -> Self {
        let error = ErrorBody::parse(body).map(|b| b.error).unwrap_or_default();
        let reason = error
            .error_info()
            .map(|info| info.reason)
            .unwrap_or_default();
        match status {
            401 => Self::Unauthenticated,
            403 if reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
                || error.message.contains("insufficient authentication scopes") =>
            {
                Self::InsufficientScope
            }
            403 => Self::PermissionDenied,
            404 => Self::NotFound,
            429 => Self::RateLimited,
            408 | 500..=599 => Self::Transient {
                detail: format!("HTTP {status} {}", error.status),
            },
            _ if error.message.is_empty() => Self::BadRequest(format!("HTTP {status}")),
            _ => Self::BadRequest(error.message),
        }
    }
}

impl OAuthError {
    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// A non-2xx token-endpoint answer: every 4xx is final, 5xx may pass.
    pub(crate) fn from_response(status: u16, body: &[u8]) -> Self {
        let error: super::wire::TokenError = serde_json::from_slice(body).unwrap_or_default();
        match (status, error.error.as_str()) {
            (500..=599, _) => Self::Transient {
                detail: format!("HTTP {status}"),
            },
            (_, "invalid_grant") => Self::InvalidGrant {
                description: error.error_description,
            },
            (_, "invalid_client") | (401, _) => Self::InvalidClient,
            (_, "") => Self::Other(format!("HTTP {status}")),
            (_, code) if error.error_description.is_empty() => Self::Other(code.to_owned()),
            (_, code) => Self::Other(format!("{code}: {}", error.error_description)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheets_errors_are_classified_by_status_and_reason() {
        let scope = r#"{"error":{"code":403,"message":"Request had insufficient authentication scopes.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT","domain":"googleapis.com"}]}}"#;
        assert_eq!(
            SheetsError::from_response(403, scope.as_bytes()),
            SheetsError::InsufficientScope
        );
        let denied = r#"{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}"#;
        assert_eq!(
            SheetsError::from_response(403, denied.as_bytes()),
            SheetsError::PermissionDenied
        );
        let range = r#"{"error":{"code":400,"message":"Unable to parse range: Nope!A1","status":"INVALID_ARGUMENT"}}"#;
        assert_eq!(
            SheetsError::from_response(400, range.as_bytes()),
            SheetsError::BadRequest("Unable to parse range: Nope!A1".into())
        );
        assert_eq!(
            SheetsError::from_response(503, b"<html>"),
            SheetsError::Transient {
                detail: "HTTP 503 ".into()
            }
        );
        assert_eq!(
            SheetsError::from_response(429, b"").retry(),
            Retry::RateLimited
        );
    }

    #[test]
    fn token_errors_are_classified_by_code() {
        let dead = br#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#;
        assert_eq!(
            OAuthError::from_response(400, dead),
            OAuthError::InvalidGrant {
                description: "Token has been expired or revoked.".into()
            }
        );
        let client = br#"{"error":"invalid_client","error_description":"Unauthorized"}"#;
        assert_eq!(
            OAuthError::from_response(401, client),
            OAuthError::InvalidClient
        );
        assert!(OAuthError::from_response(502, b"").is_transient());
        let missing =
            br#"{"error":"invalid_request","error_description":"Missing required parameter: code"}"#;
        assert_eq!(
            OAuthError::from_response(400, missing).to_string(),
            "Google sign-in failed: invalid_request: Missing required parameter: code"
        );
    }
}
