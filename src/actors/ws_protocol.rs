//! The JSON messages of `GET /api/v1/ws`.
//!
//! Client → server: `{"type":"subscribe","job_id":…,"after_seq":n}` (after_seq optional) and
//! `{"type":"unsubscribe","job_id":…}`. Server → client: a `snapshot` of the job on subscribe,
//! then its `event`s; `unsubscribed`; and `error`, whose `error` member has the shape of the
//! HTTP API's errors (`code`, `message`), from a [`WsError`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::db::DbError;
use crate::events::JobEvent;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    Subscribe {
        job_id: String,
        /// Resume after this event: the stored events after it come first, each once.
        #[serde(default)]
        after_seq: Option<i64>,
    },
    Unsubscribe {
        job_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The job as it stands, with `seq` its latest event's.
    Snapshot(JobEvent),
    Event(JobEvent),
    Unsubscribed {
        job_id: String,
    },
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        job_id: Option<String>,
        error: ErrorBody,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    pub code: &'static str,
    pub message: String,
}

/// Why the socket refuses a message or ends a subscription. The codes are the HTTP API's for
/// the same refusal, so a client reads both alike; there is no status, the socket stays open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsError {
    code: &'static str,
    message: String,
}

impl WsError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::bad_request("not_found", format!("{what} not found"))
    }

    pub fn too_many(code: &'static str, message: impl Into<String>) -> Self {
        Self::bad_request(code, message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::bad_request(code, message)
    }

    /// Logs the cause and tells the client only that something went wrong on our side.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::bad_request("internal", "an internal error occurred; please try again")
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<DbError> for WsError {
    fn from(e: DbError) -> Self {
        Self::internal(e)
    }
}

impl ServerMessage {
    pub fn error(job_id: Option<&str>, error: &WsError) -> Self {
        Self::Error {
            job_id: job_id.map(str::to_owned),
            error: ErrorBody {
                code: error.code(),
                message: error.message().to_owned(),
            },
        }
    }

    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialising it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_parse_and_unknown_fields_are_refused() {
        let sub: ClientMessage =
            serde_json::from_str(r#"{"type":"subscribe","job_id":"j","after_seq":3}"#).unwrap();
        assert_eq!(
            sub,
            ClientMessage::Subscribe {
                job_id: "j".into(),
                after_seq: Some(3)
            }
        );
        let plain: ClientMessage =
            serde_json::from_str(r#"{"type":"subscribe","job_id":"j"}"#).unwrap();
        assert!(matches!(
            plain,
            ClientMessage::Subscribe {
                after_seq: None,
                ..
            }
        ));
        for bad in [
            r#"{"type":"subscribe","job_id":"j","extra":1}"#,
            r#"{"type":"shout","job_id":"j"}"#,
            r#"{"job_id":"j"}"#,
            r#"{"type":"subscribe"}"#,
            r#"{"type":"subscribe","job_id":"j","after_seq":"x"}"#,
            "not json",
        ] {
            assert!(serde_json::from_str::<ClientMessage>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_carry_the_api_error_shape() {
        let msg = ServerMessage::error(Some("j"), &WsError::not_found("job"));
        let value: serde_json::Value = serde_json::from_str(&msg.to_json()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "type": "error",
                "job_id": "j",
                "error": {"code": "not_found", "message": "job not found"}
            })
        );
    }
}
