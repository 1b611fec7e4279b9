//! Google-shaped error bodies: the recorded ones from the reference, verbatim where it has them.

use std::time::Duration;

use serde_json::json;

use fnt::engine::gemini::wire::{ErrorBody, FieldViolation, format_duration};

const RATE_LIMIT_MESSAGE: &str = "You exceeded your current quota, please check your plan and \
     billing details. For more information on this error, head to: \
     https://ai.google.dev/gemini-api/docs/rate-limits.";
const RATE_LIMIT_DOCS: &str = "https://ai.google.dev/gemini-api/docs/rate-limits";
const API_KEY_INVALID_MESSAGE: &str = "API key not valid. Please pass a valid API key.";

pub(crate) fn invalid_key() -> ErrorBody {
    ErrorBody::new(400, "INVALID_ARGUMENT", API_KEY_INVALID_MESSAGE)
        .with_detail(
            "ErrorInfo",
            json!({
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"}
            }),
        )
        .with_detail(
            "LocalizedMessage",
            json!({"locale": "en-US", "message": API_KEY_INVALID_MESSAGE}),
        )
}

/// What Google APIs answer a caller without any key (the exact Gemini text is unverified).
pub(crate) fn missing_key() -> ErrorBody {
    ErrorBody::new(
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). \
         Please use API Key or other form of API consumer identity to call this API.",
    )
}

/// A key that is known but blocked for the API (revoked, or restricted to other services): the
/// body recorded for `API_KEY_SERVICE_BLOCKED`. `method` is the RPC's full name.
pub(crate) fn key_blocked(method: &str) -> ErrorBody {
    let message = format!(
        "Requests to this API generativelanguage.googleapis.com method {method} are blocked."
    );
    ErrorBody::new(403, "PERMISSION_DENIED", message.clone())
        .with_detail(
            "ErrorInfo",
            json!({
                "reason": "API_KEY_SERVICE_BLOCKED",
                "domain": "googleapis.com",
                "metadata": {
                    "consumer": "projects/000000000000",
                    "service": "generativelanguage.googleapis.com",
                    "apiName": "generativelanguage.googleapis.com",
                    "methodName": method
                }
            }),
        )
        .with_detail(
            "LocalizedMessage",
            json!({"locale": "en-US", "message": message}),
        )
}

/// The 2026 wording of a 503 during a spike of demand on one model.
pub(crate) fn high_demand() -> ErrorBody {
    ErrorBody::new(
        503,
        "UNAVAILABLE",
        "This model is currently experiencing high demand. Spikes in demand are usually \
         temporary. Please try again later.",
    )
}

/// A model id that is not (or no longer) served, for `method` (`generateContent`, …).
pub(crate) fn method_not_found(model: &str, method: &str) -> ErrorBody {
    ErrorBody::new(
        404,
        "NOT_FOUND",
        format!(
            "models/{model} is not found for API version v1beta, or is not supported for \
             {method}. Call ListModels to see the list of available models and their \
             supported methods."
        ),
    )
}

/// Unknown request fields, one violation each, as Google's JSON parser reports them.
pub(crate) fn unknown_fields(violations: Vec<FieldViolation>) -> ErrorBody {
    let message = violations
        .iter()
        .map(|v| v.description.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    ErrorBody::new(400, "INVALID_ARGUMENT", message)
        .with_detail("BadRequest", json!({ "fieldViolations": violations }))
}

/// A request that parsed but breaks a rule; Google lists such problems as `* path: text\n`.
pub(crate) fn invalid_argument(message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(400, "INVALID_ARGUMENT", message)
}

/// A bad value at one field, with the `BadRequest` detail Google adds for parser errors.
pub(crate) fn invalid_value(field: &str, description: String) -> ErrorBody {
    let violation = FieldViolation {
        field: field.to_owned(),
        description: description.clone(),
    };
    ErrorBody::new(400, "INVALID_ARGUMENT", description)
        .with_detail("BadRequest", json!({ "fieldViolations": [violation] }))
}

pub(crate) fn rate_limit(model: &str, retry_delay: Duration) -> ErrorBody {
    quota_exhausted(
        json!({
            "quotaMetric":
                "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count",
            "quotaId": "GenerateContentInputTokensPerModelPerMinute-FreeTier",
            "quotaDimensions": {"location": "global", "model": model},
            "quotaValue": "250000"
        }),
        retry_delay,
    )
}

pub(crate) fn daily_quota(model: &str, retry_delay: Duration) -> ErrorBody {
    quota_exhausted(
        json!({
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
            "quotaDimensions": {"location": "global", "model": model},
            "quotaValue": "250"
        }),
        retry_delay,
    )
}

fn quota_exhausted(violation: serde_json::Value, retry_delay: Duration) -> ErrorBody {
    ErrorBody::new(429, "RESOURCE_EXHAUSTED", RATE_LIMIT_MESSAGE)
        .with_detail("QuotaFailure", json!({ "violations": [violation] }))
        .with_detail(
            "Help",
            json!({"links": [{
                "description": "Learn more about Gemini API quotas",
                "url": RATE_LIMIT_DOCS
            }]}),
        )
        .with_detail(
            "RetryInfo",
            json!({ "retryDelay": format_duration(retry_delay) }),
        )
}

pub(crate) fn internal() -> ErrorBody {
    ErrorBody::new(
        500,
        "INTERNAL",
        "An internal error has occurred. Please retry or report in \
         https://developers.generativeai.google/guide/troubleshooting",
    )
}

pub(crate) fn unavailable() -> ErrorBody {
    ErrorBody::new(
        503,
        "UNAVAILABLE",
        "The model is overloaded. Please try again later.",
    )
}

pub(crate) fn deadline_exceeded() -> ErrorBody {
    ErrorBody::new(
        504,
        "DEADLINE_EXCEEDED",
        "The service is unable to finish processing within the deadline.",
    )
}
