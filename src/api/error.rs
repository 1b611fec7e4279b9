//! `ApiError`: the one error type of the HTTP layer. Every failure leaves as
//! `{"error": {"code", "message"}}` with a fitting status; internal details go to the log only.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::db::DbError;
use crate::lifecycle::admission::Admission;
use crate::pdf::PdfError;
use crate::settings::SettingError;
use crate::submit::SubmitError;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Seconds until trying again makes sense (sent as `Retry-After`).
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 429, with how long to wait.
    pub fn too_many(code: &'static str, message: impl Into<String>, wait_secs: u64) -> Self {
        Self {
            retry_after: Some(wait_secs.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, code, message)
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// Logs the cause and tells the client only that something went wrong on our side.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; please try again",
        )
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after {
            response.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(json!({ "error": { "code": self.code, "message": self.message } }))
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        Self::internal(e)
    }
}

impl From<SettingError> for ApiError {
    fn from(e: SettingError) -> Self {
        Self::bad_request("invalid_setting", e.to_string())
    }
}

impl From<PdfError> for ApiError {
    fn from(e: PdfError) -> Self {
        let status = match e {
            PdfError::TooManyPages { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        match &e {
            PdfError::Malformed { detail } => tracing::info!(%detail, "rejected a malformed PDF"),
            PdfError::TooComplex { detail } => {
                tracing::warn!(%detail, "rejected a PDF over the parsing limits");
            }
            _ => {}
        }
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::Setting(e) => e.into(),
            SubmitError::Pdf(e) => e.into(),
            SubmitError::Io(e) => Self::internal(e),
            SubmitError::Db(e) => e.into(),
            SubmitError::Limit(admission) => admission.into(),
        }
    }
}

impl From<crate::sandbox::SandboxError> for ApiError {
    fn from(e: crate::sandbox::SandboxError) -> Self {
        match e {
            crate::sandbox::SandboxError::Refused(e) => e.into(),
            unavailable @ crate::sandbox::SandboxError::Unavailable(_) => {
                Self::internal(unavailable)
            }
        }
    }
}

impl From<Admission> for ApiError {
    fn from(admission: Admission) -> Self {
        match admission {
            Admission::TooManyUploads { retry_after_secs } => Self::too_many(
                "too_many_uploads",
                "you reached the uploads allowed per hour; try again later",
                retry_after_secs,
            ),
            // No date to give: a place frees up when one of the caller's jobs ends.
            Admission::TooManyJobs | Admission::Admitted => Self::too_many(
                "too_many_jobs",
                "you have as many jobs queued or running as allowed; wait for one to finish",
                30,
            ),
        }
    }
}

/// The JSON, path and query extractors' own errors, in our shape.
pub fn extractor_error(err: impl fmt::Display) -> actix_web::Error {
    ApiError::bad_request("invalid_request", err.to_string()).into()
}

/// A JSON body that is too big is a 413; any other unreadable one a 400.
pub fn json_error(err: actix_web::error::JsonPayloadError) -> actix_web::Error {
    use actix_web::error::JsonPayloadError;
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::too_large(err.to_string()).into()
        }
        other => extractor_error(other),
    }
}

pub async fn not_found_route() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("route"))
}

pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this method is not allowed on this route",
    ))
}
