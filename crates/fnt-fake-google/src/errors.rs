//! Google-shaped error bodies: the Sheets API's google.rpc `Status` and the token endpoint's
//! `{"error", "error_description"}`, verbatim from the reference where it has them.

use serde_json::json;

use fnt::engine::gemini::wire::{ErrorBody, FieldViolation};
use fnt::export::sheets::wire::TokenError;

const SERVICE: &str = "sheets.googleapis.com";
const CREDENTIALS_HELP: &str = "Expected OAuth 2 access token, login cookie or other valid \
     authentication credential. See \
     https://developers.google.com/identity/sign-in/web/devconsole-project.";

/// The API method names Google puts in `ErrorInfo.metadata.method`.
pub(crate) fn method_name(operation: &str) -> String {
    format!("google.apps.sheets.v4.SpreadsheetsService.{operation}")
}

fn error_info(body: ErrorBody, reason: &str, operation: &str) -> ErrorBody {
    body.with_detail(
        "ErrorInfo",
        json!({
            "reason": reason,
            "domain": "googleapis.com",
            "metadata": {"service": SERVICE, "method": method_name(operation)}
        }),
    )
}

/// A bearer token that is unknown, expired or revoked.
pub(crate) fn unauthenticated(operation: &str) -> ErrorBody {
    error_info(
        ErrorBody::new(
            401,
            "UNAUTHENTICATED",
            format!("Request had invalid authentication credentials. {CREDENTIALS_HELP}"),
        ),
        "ACCESS_TOKEN_EXPIRED",
        operation,
    )
}

/// No `Authorization` header at all.
pub(crate) fn credentials_missing(operation: &str) -> ErrorBody {
    error_info(
        ErrorBody::new(
            401,
            "UNAUTHENTICATED",
            format!("Request is missing required authentication credential. {CREDENTIALS_HELP}"),
        ),
        "CREDENTIALS_MISSING",
        operation,
    )
}

pub(crate) fn insufficient_scope(operation: &str) -> ErrorBody {
    error_info(
        ErrorBody::new(
            403,
            "PERMISSION_DENIED",
            "Request had insufficient authentication scopes.",
        ),
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        operation,
    )
}

pub(crate) fn permission_denied() -> ErrorBody {
    ErrorBody::new(
        403,
        "PERMISSION_DENIED",
        "The caller does not have permission",
    )
}

pub(crate) fn not_found() -> ErrorBody {
    ErrorBody::new(404, "NOT_FOUND", "Requested entity was not found.")
}

pub(crate) fn rate_limited(consumer: &str) -> ErrorBody {
    ErrorBody::new(
        429,
        "RESOURCE_EXHAUSTED",
        format!(
            "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per \
             minute per user' of service '{SERVICE}' for consumer '{consumer}'."
        ),
    )
    .with_detail(
        "ErrorInfo",
        json!({
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {
                "quota_metric": "sheets.googleapis.com/write_requests",
                "quota_limit": "WriteRequestsPerMinutePerUser",
                "consumer": consumer,
                "service": SERVICE
            }
        }),
    )
    .with_detail(
        "Help",
        json!({"links": [{
            "description": "Request a higher quota limit.",
            "url": "https://cloud.google.com/docs/quota#requesting_higher_quota"
        }]}),
    )
}

pub(crate) fn internal() -> ErrorBody {
    ErrorBody::new(500, "INTERNAL", "Internal error encountered.")
}

pub(crate) fn unavailable() -> ErrorBody {
    ErrorBody::new(503, "UNAVAILABLE", "The service is currently unavailable.")
}

pub(crate) fn invalid_argument(message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(400, "INVALID_ARGUMENT", message)
}

/// Problems Google's JSON/query parser reports, one violation each, with a `BadRequest` detail.
pub(crate) fn bad_request(violations: Vec<FieldViolation>) -> ErrorBody {
    let message = violations
        .iter()
        .map(|v| v.description.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    invalid_argument(message).with_detail("BadRequest", json!({ "fieldViolations": violations }))
}

/// A value of the wrong type at `field`: `Invalid value at 'data.values'
/// (type.googleapis.com/google.protobuf.ListValue)` (recorded), plus the value for enums.
pub(crate) fn invalid_value(field: &str, type_name: &str, value: Option<&str>) -> ErrorBody {
    let shown = value.map(|v| format!(", \"{v}\"")).unwrap_or_default();
    bad_request(vec![FieldViolation {
        field: field.to_owned(),
        description: format!("Invalid value at '{field}' ({type_name}){shown}"),
    }])
}

pub(crate) fn token_error(error: &str, description: &str) -> TokenError {
    TokenError {
        error: error.to_owned(),
        error_description: description.to_owned(),
    }
}
