//! Gemini `generateContent` on the wire (shared/reference/gemini-rest.md), and how to read what
//! comes back.
//!
//! Request types are strict (`deny_unknown_fields`) because Google rejects unknown request
//! fields and the fake server must reject them too; every `None` is skipped because Google also
//! rejects `null`s. Response types are the opposite: lenient, defaulted everywhere, enums kept as
//! strings, because Google omits default values and keeps adding fields and enum values.
//! Failures are classified from typed fields (status, detail types), never from message text,
//! whose wording Google changes; the one exception is the documented `limit: 0` quota rule.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------

/// The body of `POST /v1beta/models/{model}:generateContent`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenerateContentRequest {
    /// Only set inside `countTokens`' `generateContentRequest`; the URL names the model otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Defaulted so a missing list reaches validation and gets Google's own message.
    #[serde(default)]
    pub contents: Vec<Content>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "system_instruction"
    )]
    pub system_instruction: Option<Content>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "generation_config"
    )]
    pub generation_config: Option<GenerationConfig>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "safety_settings"
    )]
    pub safety_settings: Option<Vec<SafetySetting>>,
}

impl GenerateContentRequest {
    /// One user turn answered as JSON that follows `schema` (sent as `responseSchema`, the
    /// OpenAPI subset every current model accepts).
    pub fn text_json(
        system: &str,
        user_parts: Vec<Part>,
        schema: Value,
        max_output_tokens: i32,
        temperature: f32,
    ) -> Self {
        Self {
            contents: vec![Content::user(user_parts)],
            system_instruction: Some(Content::system(system)),
            generation_config: Some(GenerationConfig {
                temperature: Some(temperature),
                max_output_tokens: Some(max_output_tokens),
                response_mime_type: Some(JSON_MIME.to_owned()),
                response_schema: Some(schema),
                ..GenerationConfig::default()
            }),
            ..Self::default()
        }
    }

    /// Sets `thinkingConfig.thinkingBudget` (0 turns thinking off on models that allow it).
    pub fn with_thinking_budget(mut self, budget: i32) -> Self {
        let config = self.generation_config.get_or_insert_with(Default::default);
        config
            .thinking_config
            .get_or_insert_with(Default::default)
            .thinking_budget = Some(budget);
        self
    }

    pub fn with_safety_settings(mut self, settings: Vec<SafetySetting>) -> Self {
        self.safety_settings = Some(settings);
        self
    }

    /// Every text part of the system instruction and the turns, in order (thought parts too).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.system_instruction
            .iter()
            .chain(&self.contents)
            .flat_map(|c| &c.parts)
            .filter_map(|p| p.text.as_deref())
    }
}

pub const JSON_MIME: &str = "application/json";
pub const PDF_MIME: &str = "application/pdf";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Content {
    /// `user` or `model`; omitted on a system instruction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default)]
    pub parts: Vec<Part>,
}

impl Content {
    pub fn user(parts: Vec<Part>) -> Self {
        Self {
            role: Some("user".to_owned()),
            parts,
        }
    }

    pub fn system(text: &str) -> Self {
        Self {
            role: None,
            parts: vec![Part::text(text)],
        }
    }
}

/// One piece of a turn. Google requires exactly one data field (`text`, `inlineData`,
/// `fileData`); [`Part::data_fields`] counts them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Part {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "inline_data"
    )]
    pub inline_data: Option<Blob>,
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "file_data")]
    pub file_data: Option<FileData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "thought_signature"
    )]
    pub thought_signature: Option<String>,
}

impl Part {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    pub fn inline_data(mime_type: &str, bytes: &[u8]) -> Self {
        Self {
            inline_data: Some(Blob::new(mime_type, bytes)),
            ..Self::default()
        }
    }

    pub fn pdf(bytes: &[u8]) -> Self {
        Self::inline_data(PDF_MIME, bytes)
    }

    /// How many of the `data` oneof's fields are set (valid requests have exactly one).
    pub fn data_fields(&self) -> usize {
        usize::from(self.text.is_some())
            + usize::from(self.inline_data.is_some())
            + usize::from(self.file_data.is_some())
    }
}

/// Inline bytes. `data` is base64: we send the standard alphabet, Google accepts both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Blob {
    #[serde(alias = "mime_type")]
    pub mime_type: String,
    pub data: String,
}

/// Google's proto JSON parser takes either alphabet, padded or not.
const LENIENT_CONFIG: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT_CONFIG);
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT_CONFIG);

impl Blob {
    pub fn new(mime_type: &str, bytes: &[u8]) -> Self {
        Self {
            mime_type: mime_type.to_owned(),
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// The bytes, read the way Google reads them (standard or URL-safe alphabet).
    pub fn decode(&self) -> Result<Vec<u8>, base64::DecodeError> {
        LENIENT_STANDARD
            .decode(&self.data)
            .or_else(|_| LENIENT_URL_SAFE.decode(&self.data))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileData {
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "mime_type")]
    pub mime_type: Option<String>,
    #[serde(alias = "file_uri")]
    pub file_uri: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenerationConfig {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "candidate_count"
    )]
    pub candidate_count: Option<i32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "stop_sequences"
    )]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "max_output_tokens"
    )]
    pub max_output_tokens: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "top_p")]
    pub top_p: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "top_k")]
    pub top_k: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "presence_penalty"
    )]
    pub presence_penalty: Option<f32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "frequency_penalty"
    )]
    pub frequency_penalty: Option<f32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "response_logprobs"
    )]
    pub response_logprobs: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<i32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "response_mime_type"
    )]
    pub response_mime_type: Option<String>,
    /// OpenAPI-subset schema; mutually exclusive with `response_json_schema`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "response_schema"
    )]
    pub response_schema: Option<Value>,
    /// JSON Schema subset; mutually exclusive with `response_schema`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "response_json_schema"
    )]
    pub response_json_schema: Option<Value>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "response_modalities"
    )]
    pub response_modalities: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "media_resolution"
    )]
    pub media_resolution: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "thinking_config"
    )]
    pub thinking_config: Option<ThinkingConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThinkingConfig {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "include_thoughts"
    )]
    pub include_thoughts: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "thinking_budget"
    )]
    pub thinking_budget: Option<i32>,
    /// Gemini 3 replaces the budget with a level.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "thinking_level"
    )]
    pub thinking_level: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SafetySetting {
    pub category: String,
    pub threshold: String,
}

impl SafetySetting {
    pub fn new(category: &str, threshold: &str) -> Self {
        Self {
            category: category.to_owned(),
            threshold: threshold.to_owned(),
        }
    }
}

/// The body of `:countTokens`: either `contents` or a whole `generateContentRequest`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CountTokensRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contents: Option<Vec<Content>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "generate_content_request"
    )]
    pub generate_content_request: Option<GenerateContentRequest>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CountTokensResponse {
    pub total_tokens: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub cached_content_token_count: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prompt_tokens_details: Vec<ModalityTokenCount>,
}

// ---------------------------------------------------------------------------------------------
// Response (serializable too, so the fake server answers with the same types)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GenerateContentResponse {
    /// Absent or empty when the prompt was blocked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_feedback: Option<PromptFeedback>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_metadata: Option<UsageMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Candidate {
    /// `{}` or only a role when nothing came back (safety block, budget spent on thinking).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<CandidateContent>,
    /// Kept as a string: the enum keeps growing. Has been seen missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_message: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub safety_ratings: Vec<SafetyRating>,
    /// Google omits it when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub index: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_logprobs: Option<f64>,
    /// Where the answer quotes a source (sent with RECITATION); kept as free JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation_metadata: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CandidateContent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<CandidatePart>,
}

/// A part of an answer. Non-text parts (function calls, images) deserialize with `text: None`
/// and are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CandidatePart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<String>,
}

impl CandidatePart {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    pub fn is_thought(&self) -> bool {
        self.thought == Some(true)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SafetyRating {
    pub category: String,
    pub probability: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub blocked: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PromptFeedback {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_reason: Option<String>,
    /// Vertex only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_reason_message: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub safety_ratings: Vec<SafetyRating>,
}

/// Token counts; any of them may be absent (read as 0). `total = prompt + candidates + thoughts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UsageMetadata {
    #[serde(skip_serializing_if = "is_zero")]
    pub prompt_token_count: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub cached_content_token_count: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub candidates_token_count: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub tool_use_prompt_token_count: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub thoughts_token_count: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub total_token_count: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prompt_tokens_details: Vec<ModalityTokenCount>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ModalityTokenCount {
    pub modality: String,
    pub token_count: i64,
}

// ---------------------------------------------------------------------------------------------
// models.list
// ---------------------------------------------------------------------------------------------

/// `GET /v1beta/models`: one page of models; more follow while `nextPageToken` is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListModelsResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<ModelInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

/// One model as `models.list` describes it (fields this client does not use are ignored).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ModelInfo {
    /// `models/<id>`.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub input_token_limit: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub output_token_limit: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supported_generation_methods: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking: Option<bool>,
}

impl ModelInfo {
    /// The id a request names: `name` without its `models/` prefix.
    pub fn id(&self) -> &str {
        self.name.strip_prefix("models/").unwrap_or(&self.name)
    }

    pub fn generates_content(&self) -> bool {
        self.supported_generation_methods
            .iter()
            .any(|m| m == "generateContent")
    }
}

fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

// ---------------------------------------------------------------------------------------------
// Errors: google.rpc.Status and its details
// ---------------------------------------------------------------------------------------------

/// A non-2xx body: `{"error": Status}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: Status,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Status {
    /// The HTTP status again.
    pub code: i32,
    pub message: String,
    /// The canonical code, e.g. `RESOURCE_EXHAUSTED`.
    pub status: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Value>,
}

const RPC_TYPE_PREFIX: &str = "type.googleapis.com/google.rpc.";

impl ErrorBody {
    pub fn new(code: u16, status: &str, message: impl Into<String>) -> Self {
        Self {
            error: Status {
                code: i32::from(code),
                message: message.into(),
                status: status.to_owned(),
                details: Vec::new(),
            },
        }
    }

    /// Adds a `google.rpc.<type_name>` detail with the given fields.
    pub fn with_detail(mut self, type_name: &str, fields: Value) -> Self {
        let mut detail = serde_json::Map::new();
        detail.insert(
            "@type".to_owned(),
            Value::String(format!("{RPC_TYPE_PREFIX}{type_name}")),
        );
        if let Value::Object(fields) = fields {
            detail.extend(fields);
        }
        self.error.details.push(Value::Object(detail));
        self
    }

    /// Reads `{"error":…}` or the one-element array form `[{"error":…}]` that non-SSE streaming
    /// calls have produced; `None` when the body is neither.
    pub fn parse(body: &[u8]) -> Option<Self> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Object(ErrorBody),
            Array(Vec<ErrorBody>),
        }
        match serde_json::from_slice::<Form>(body).ok()? {
            Form::Object(error) => Some(error),
            Form::Array(errors) => errors.into_iter().next(),
        }
    }
}

impl Status {
    /// The details of one `google.rpc` type that parse as `T` (others are skipped).
    pub fn details_of<T: DeserializeOwned>(&self, type_name: &str) -> Vec<T> {
        self.details
            .iter()
            .filter(|d| {
                d.get("@type")
                    .and_then(Value::as_str)
                    .and_then(|t| t.strip_prefix(RPC_TYPE_PREFIX))
                    == Some(type_name)
            })
            .filter_map(|d| T::deserialize(d).ok())
            .collect()
    }

    /// `RetryInfo.retryDelay`, when present and readable.
    pub fn retry_delay(&self) -> Option<Duration> {
        self.details_of::<RetryInfo>("RetryInfo")
            .into_iter()
            .find_map(|info| parse_duration(&info.retry_delay))
    }

    pub fn quota_violations(&self) -> Vec<QuotaViolation> {
        self.details_of::<QuotaFailure>("QuotaFailure")
            .into_iter()
            .flat_map(|f| f.violations)
            .collect()
    }

    pub fn error_info(&self) -> Option<ErrorInfo> {
        self.details_of::<ErrorInfo>("ErrorInfo").into_iter().next()
    }

    pub fn field_violations(&self) -> Vec<FieldViolation> {
        self.details_of::<BadRequest>("BadRequest")
            .into_iter()
            .flat_map(|b| b.field_violations)
            .collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RetryInfo {
    /// A proto Duration: `"26s"`, `"2.463586755s"`.
    pub retry_delay: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QuotaFailure {
    pub violations: Vec<QuotaViolation>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QuotaViolation {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub quota_metric: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub quota_id: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub quota_dimensions: BTreeMap<String, String>,
    /// An int64, so a JSON string (`"250"`); a bare number is accepted too.
    #[serde(
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub quota_value: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorInfo {
    pub reason: String,
    pub domain: String,
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BadRequest {
    pub field_violations: Vec<FieldViolation>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldViolation {
    /// Empty for a violation at the root of the request (Google then omits it).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
    pub description: String,
}

fn string_or_number<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(de)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Reads a proto JSON Duration (`"37s"`, `"2.463586755s"`) exactly, to the nanosecond.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let number = text.trim().strip_suffix('s')?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let secs = if whole.is_empty() {
        0
    } else {
        whole.parse::<u64>().ok()?
    };
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos = format!("{fraction:0<9}").parse::<u32>().ok()?;
    Some(Duration::new(secs, nanos))
}

/// Writes a Duration the way Google does, without trailing zeros: `"1s"`, `"1.5s"`.
pub fn format_duration(duration: Duration) -> String {
    let nanos = duration.subsec_nanos();
    if nanos == 0 {
        return format!("{}s", duration.as_secs());
    }
    let fraction = format!("{nanos:09}");
    format!("{}.{}s", duration.as_secs(), fraction.trim_end_matches('0'))
}

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

/// Why a call failed at the HTTP level, typed so retries are decided by kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiFailure {
    #[error("the Gemini API key is not valid: {message}")]
    InvalidKey { message: String },
    #[error("Gemini refused access: {message}")]
    PermissionDenied { message: String },
    #[error("Gemini model not found: {message}")]
    ModelNotFound { message: String },
    #[error("Gemini rejected the request: {message}")]
    InvalidArgument { message: String },
    #[error("Gemini per-minute quota exhausted (retry after {retry_after:?})")]
    QuotaPerMinute { retry_after: Option<Duration> },
    /// `retry_after` is Google's hint, which is misleadingly short for daily quotas.
    #[error("Gemini daily quota exhausted")]
    QuotaPerDay { retry_after: Option<Duration> },
    #[error("this Gemini model has no quota on this tier: {message}")]
    NoQuotaOnTier { message: String },
    #[error("Gemini internal error: {message}")]
    Internal { message: String },
    #[error("Gemini unavailable: {message}")]
    Unavailable { message: String },
    #[error("Gemini deadline exceeded: {message}")]
    DeadlineExceeded { message: String },
    #[error("Gemini HTTP {http_status}: {message}")]
    Other { http_status: u16, message: String },
}

/// Classifies a non-2xx answer by its `status` and detail types (reference §7), falling back to
/// the HTTP status when the body is not a Google error.
pub fn classify_error(http_status: u16, body: &[u8]) -> ApiFailure {
    match ErrorBody::parse(body) {
        Some(ErrorBody { error }) => classify_status(http_status, error),
        None => classify_http(http_status, body_excerpt(body)),
    }
}

fn classify_status(http_status: u16, error: Status) -> ApiFailure {
    if error
        .error_info()
        .is_some_and(|info| info.reason == "API_KEY_INVALID")
    {
        return ApiFailure::InvalidKey {
            message: error.message,
        };
    }
    let message = error.message.clone();
    match error.status.as_str() {
        "INVALID_ARGUMENT" => ApiFailure::InvalidArgument { message },
        "PERMISSION_DENIED" | "UNAUTHENTICATED" => ApiFailure::PermissionDenied { message },
        "NOT_FOUND" => ApiFailure::ModelNotFound { message },
        "RESOURCE_EXHAUSTED" => classify_quota(&error),
        "INTERNAL" => ApiFailure::Internal { message },
        "UNAVAILABLE" => ApiFailure::Unavailable { message },
        "DEADLINE_EXCEEDED" => ApiFailure::DeadlineExceeded { message },
        // FAILED_PRECONDITION (unsupported region…) and the rest: terminal, kept apart.
        "" if http_status == 429 => classify_quota(&error),
        "" => classify_http(http_status, message),
        _ => ApiFailure::Other {
            http_status,
            message,
        },
    }
}

/// Quota rules 1–5 of the reference.
fn classify_quota(error: &Status) -> ApiFailure {
    let retry_after = error.retry_delay();
    // A zero limit cannot be waited out, whatever the window (day or minute), so it is checked
    // before the per-day rule: a model without quota on this tier would otherwise be parked
    // until midnight and fail again.
    if has_zero_limit(&error.message) {
        return ApiFailure::NoQuotaOnTier {
            message: error.message.clone(),
        };
    }
    let legacy_limit = error
        .error_info()
        .filter(|info| info.reason == "RATE_LIMIT_EXCEEDED")
        .and_then(|info| info.metadata.get("quota_limit").cloned());
    let per_day = error
        .quota_violations()
        .iter()
        .map(|v| v.quota_id.as_str())
        .chain(legacy_limit.as_deref())
        .any(|id| id.contains("PerDay"));
    if per_day {
        ApiFailure::QuotaPerDay { retry_after }
    } else {
        // PerMinute ids, unknown ids and bare "Resource has been exhausted" bodies alike.
        ApiFailure::QuotaPerMinute { retry_after }
    }
}

/// `limit: 0` as a whole number (so `limit: 05` or `limit: 0.5` don't count).
fn has_zero_limit(message: &str) -> bool {
    message.match_indices("limit: 0").any(|(at, found)| {
        !message[at + found.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
    })
}

fn classify_http(http_status: u16, message: String) -> ApiFailure {
    match http_status {
        400 => ApiFailure::InvalidArgument { message },
        401 | 403 => ApiFailure::PermissionDenied { message },
        // A 404 page that is not Google's JSON comes from a wrong URL or a proxy, not from a
        // retired model: it must not retire every model in turn.
        429 => ApiFailure::QuotaPerMinute { retry_after: None },
        500 => ApiFailure::Internal { message },
        502 | 503 => ApiFailure::Unavailable { message },
        504 => ApiFailure::DeadlineExceeded { message },
        _ => ApiFailure::Other {
            http_status,
            message,
        },
    }
}

/// The start of a body that is not a Google error (an HTML page from a proxy…), for messages.
fn body_excerpt(body: &[u8]) -> String {
    const MAX_CHARS: usize = 300;
    String::from_utf8_lossy(body)
        .trim()
        .chars()
        .take(MAX_CHARS)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reading a 200 answer
// ---------------------------------------------------------------------------------------------

/// The model's answer text (thought parts left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub text: String,
    pub finish_reason: Option<String>,
}

/// Why a 200 answer holds no usable text (reference §8).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentFailure {
    #[error("Gemini blocked the prompt ({reason})")]
    PromptBlocked { reason: String },
    /// SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, LANGUAGE, OTHER and any finish
    /// reason this code does not know.
    #[error("Gemini refused to answer ({finish_reason})")]
    Refused { finish_reason: String },
    /// MAX_TOKENS: the output budget ran out (often on thinking); `partial` may be empty.
    #[error("Gemini's answer was cut at the output token limit")]
    Truncated { partial: String },
    #[error("Gemini returned no text")]
    Empty,
}

/// The first candidate's text, or why there is none. Only STOP (or a missing finish reason,
/// which has been seen) with some text counts as an answer.
pub fn read_answer(resp: &GenerateContentResponse) -> Result<Answer, ContentFailure> {
    let Some(candidate) = resp.candidates.first() else {
        return Err(
            match resp
                .prompt_feedback
                .as_ref()
                .and_then(|f| f.block_reason.clone())
            {
                Some(reason) => ContentFailure::PromptBlocked { reason },
                None => ContentFailure::Empty,
            },
        );
    };
    let text: String = candidate
        .content
        .iter()
        .flat_map(|c| &c.parts)
        .filter(|p| !p.is_thought())
        .filter_map(|p| p.text.as_deref())
        .collect();
    match candidate.finish_reason.as_deref() {
        None | Some("STOP" | "FINISH_REASON_UNSPECIFIED") => {
            if text.trim().is_empty() {
                Err(ContentFailure::Empty)
            } else {
                Ok(Answer {
                    text,
                    finish_reason: candidate.finish_reason.clone(),
                })
            }
        }
        Some("MAX_TOKENS") => Err(ContentFailure::Truncated { partial: text }),
        Some(other) => Err(ContentFailure::Refused {
            finish_reason: other.to_owned(),
        }),
    }
}

/// Trims and drops a leading ```` ```json ```` (or bare ```` ``` ````) fence and a trailing
/// ```` ``` ````, which models add even in JSON mode.
pub fn strip_json_fences(text: &str) -> &str {
    let text = text.trim();
    let text = match text.strip_prefix("```") {
        Some(rest) => rest
            .strip_prefix("json")
            .or_else(|| rest.strip_prefix("JSON"))
            .unwrap_or(rest),
        None => text,
    };
    text.strip_suffix("```").unwrap_or(text).trim()
}

/// `(input, output)` tokens; thinking is billed as output. Missing counts are 0.
pub fn usage(resp: &GenerateContentResponse) -> (i64, i64) {
    resp.usage_metadata.as_ref().map_or((0, 0), |u| {
        (
            u.prompt_token_count + u.tool_use_prompt_token_count,
            u.candidates_token_count + u.thoughts_token_count,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Bodies copied verbatim from shared/reference/gemini-rest.md.
    const INVALID_KEY: &str = r#"{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
  "details": [
    {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
     "metadata": {"service": "generativelanguage.googleapis.com"}},
    {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
     "message": "API key not valid. Please pass a valid API key."}]}}"#;

    const QUOTA_MINUTE: &str = r#"{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
  "message": "You exceeded your current quota, please check your plan and billing details. ...",
  "details": [
    {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
      "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count",
      "quotaId": "GenerateContentInputTokensPerModelPerMinute-FreeTier",
      "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"}, "quotaValue": "250000"}]},
    {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description": "Learn more about Gemini API quotas",
      "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26s"}]}}"#;

    const INTERNAL: &str = r#"{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}"#;
    const UNAVAILABLE: &str = r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#;
    const DEADLINE: &str = r#"{"error":{"code":504,"message":"The service is unable to finish processing within the deadline.","status":"DEADLINE_EXCEEDED"}}"#;

    const THOUGHTS: &str = r#"{"candidates": [{"content": {"parts": [
    {"text": "**Calculating the Simple** ...", "thought": true},
    {"text": "2 + 2 = 4"}], "role": "model"},
  "finishReason": "STOP", "index": 0}],
 "modelVersion": "gemini-2.5-flash", "responseId": "lghYaaSmK7eomtkP_KDT6A0",
 "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 8, "thoughtsTokenCount": 16,
   "totalTokenCount": 32, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 8}]}}"#;

    const SAFETY: &str = r#"{"candidates": [{"content": {}, "finishReason": "SAFETY", "safetyRatings": [
   {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "LOW", "blocked": true},
   {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]}],
 "usageMetadata": {"promptTokenCount": 14, "totalTokenCount": 14}, "modelVersion": "gemini-2.5-flash"}"#;

    const PROMPT_BLOCKED: &str = r#"{"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 9140, "totalTokenCount": 9140}}"#;

    fn quota_day(message: &str, delay: &str) -> String {
        json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": message,
          "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
              "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
              "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
              "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
              "quotaValue": "250"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]}})
        .to_string()
    }

    fn response(body: &str) -> GenerateContentResponse {
        serde_json::from_str(body).expect("response parses")
    }

    #[test]
    fn an_invalid_key_is_read_from_error_info() {
        assert_eq!(
            classify_error(400, INVALID_KEY.as_bytes()),
            ApiFailure::InvalidKey {
                message: "API key not valid. Please pass a valid API key.".into()
            }
        );
        // The other wording: classified by the reason, not the text.
        let not_found = INVALID_KEY.replace(
            "API key not valid. Please pass a valid API key.",
            "API Key not found. Please pass a valid API key.",
        );
        assert!(matches!(
            classify_error(400, not_found.as_bytes()),
            ApiFailure::InvalidKey { .. }
        ));
        let info = ErrorBody::parse(INVALID_KEY.as_bytes())
            .unwrap()
            .error
            .error_info()
            .unwrap();
        assert_eq!(info.domain, "googleapis.com");
        assert_eq!(
            info.metadata["service"],
            "generativelanguage.googleapis.com"
        );
    }

    #[test]
    fn a_per_minute_quota_waits_for_the_retry_delay() {
        assert_eq!(
            classify_error(429, QUOTA_MINUTE.as_bytes()),
            ApiFailure::QuotaPerMinute {
                retry_after: Some(Duration::from_secs(26))
            }
        );
        let status = ErrorBody::parse(QUOTA_MINUTE.as_bytes()).unwrap().error;
        let violations = status.quota_violations();
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].quota_value.as_deref(), Some("250000"));
        assert_eq!(violations[0].quota_dimensions["model"], "gemini-2.5-flash");
        assert_eq!(
            violations[0].quota_metric,
            "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count"
        );
    }

    #[test]
    fn a_daily_quota_is_daily_despite_a_short_retry_delay() {
        let body = quota_day("You exceeded your current quota.", "22s");
        assert_eq!(
            classify_error(429, body.as_bytes()),
            ApiFailure::QuotaPerDay {
                retry_after: Some(Duration::from_secs(22))
            }
        );
    }

    #[test]
    fn a_zero_limit_means_no_quota_on_this_tier() {
        let message = "You exceeded your current quota.\n* Quota exceeded for metric: \
                       generativelanguage.googleapis.com/generate_content_free_tier_requests, \
                       limit: 0, model: gemini-3-pro\nPlease retry in 45.578569677s.";
        let body = quota_day(message, "45.578569677s");
        assert_eq!(
            classify_error(429, body.as_bytes()),
            ApiFailure::NoQuotaOnTier {
                message: message.into()
            }
        );
        // Other limits are not zero limits.
        for message in ["limit: 05, model: x", "limit: 0.5", "limit: 250"] {
            let body = quota_day(message, "1s");
            assert!(matches!(
                classify_error(429, body.as_bytes()),
                ApiFailure::QuotaPerDay { .. }
            ));
        }
    }

    #[test]
    fn a_quota_error_without_details_is_per_minute() {
        let body = r#"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#;
        assert_eq!(
            classify_error(429, body.as_bytes()),
            ApiFailure::QuotaPerMinute { retry_after: None }
        );
    }

    #[test]
    fn the_2024_error_info_format_is_read_through_quota_limit() {
        let body = |limit: &str| {
            json!({"error": {"code": 429, "message": "Resource has been exhausted",
              "status": "RESOURCE_EXHAUSTED", "details": [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com", "metadata": {"quota_limit": limit,
                "quota_limit_value": "15", "quota_metric": "m", "consumer": "projects/1"}}]}})
            .to_string()
        };
        assert_eq!(
            classify_error(
                429,
                body("GenerateContentRequestsPerDayPerProjectPerRegion").as_bytes()
            ),
            ApiFailure::QuotaPerDay { retry_after: None }
        );
        assert_eq!(
            classify_error(
                429,
                body("GenerateContentRequestsPerMinutePerProjectPerRegion").as_bytes()
            ),
            ApiFailure::QuotaPerMinute { retry_after: None }
        );
    }

    #[test]
    fn server_errors_are_classified_by_status() {
        assert_eq!(
            classify_error(500, INTERNAL.as_bytes()),
            ApiFailure::Internal {
                message: "An internal error has occurred. Please retry or report in \
                          https://developers.generativeai.google/guide/troubleshooting"
                    .into()
            }
        );
        assert_eq!(
            classify_error(503, UNAVAILABLE.as_bytes()),
            ApiFailure::Unavailable {
                message: "The model is overloaded. Please try again later.".into()
            }
        );
        assert_eq!(
            classify_error(504, DEADLINE.as_bytes()),
            ApiFailure::DeadlineExceeded {
                message: "The service is unable to finish processing within the deadline.".into()
            }
        );
    }

    #[test]
    fn other_statuses_map_to_their_kinds() {
        let body = |code: u16, status: &str| ErrorBody::new(code, status, "m");
        let bytes = |b: ErrorBody| serde_json::to_vec(&b).unwrap();
        let m = || "m".to_owned();
        assert_eq!(
            classify_error(403, &bytes(body(403, "PERMISSION_DENIED"))),
            ApiFailure::PermissionDenied { message: m() }
        );
        assert_eq!(
            classify_error(404, &bytes(body(404, "NOT_FOUND"))),
            ApiFailure::ModelNotFound { message: m() }
        );
        assert_eq!(
            classify_error(400, &bytes(body(400, "INVALID_ARGUMENT"))),
            ApiFailure::InvalidArgument { message: m() }
        );
        assert_eq!(
            classify_error(400, &bytes(body(400, "FAILED_PRECONDITION"))),
            ApiFailure::Other {
                http_status: 400,
                message: m()
            }
        );
    }

    #[test]
    fn the_array_wrapped_error_form_is_accepted() {
        let wrapped = format!("[{UNAVAILABLE}]");
        assert!(matches!(
            classify_error(503, wrapped.as_bytes()),
            ApiFailure::Unavailable { .. }
        ));
    }

    #[test]
    fn a_body_that_is_not_json_is_classified_by_http_status() {
        let html = b"<html><body>502 Bad Gateway</body></html>";
        assert!(matches!(
            classify_error(502, html),
            ApiFailure::Unavailable { .. }
        ));
        assert!(matches!(
            classify_error(429, b"Too Many Requests"),
            ApiFailure::QuotaPerMinute { retry_after: None }
        ));
        assert_eq!(
            classify_error(500, b"oops"),
            ApiFailure::Internal {
                message: "oops".into()
            }
        );
        assert!(matches!(
            classify_error(418, b""),
            ApiFailure::Other {
                http_status: 418,
                ..
            }
        ));
        assert!(matches!(
            classify_error(404, b"<html>Error 404 (Not Found)!!1</html>"),
            ApiFailure::Other {
                http_status: 404,
                ..
            }
        ));
    }

    #[test]
    fn field_violations_are_read() {
        let body = r#"{"error": {"code": 400, "message": "Invalid JSON payload received. Unknown name \"stream\": Cannot find field.", "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{"description": "Invalid JSON payload received. Unknown name \"stream\": Cannot find field."}]}]}}"#;
        let status = ErrorBody::parse(body.as_bytes()).unwrap().error;
        let violations = status.field_violations();
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "");
        assert!(violations[0].description.contains("\"stream\""));
    }

    #[test]
    fn durations_are_read_and_written_exactly() {
        assert_eq!(parse_duration("26s"), Some(Duration::from_secs(26)));
        assert_eq!(
            parse_duration("2.463586755s"),
            Some(Duration::new(2, 463_586_755))
        );
        assert_eq!(parse_duration("0.5s"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("26"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("1.2345678901s"), None);
        assert_eq!(format_duration(Duration::from_secs(1)), "1s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(
            format_duration(Duration::new(2, 463_586_755)),
            "2.463586755s"
        );
    }

    #[test]
    fn thought_parts_are_left_out_and_billed_as_output() {
        let resp = response(THOUGHTS);
        assert_eq!(
            read_answer(&resp),
            Ok(Answer {
                text: "2 + 2 = 4".into(),
                finish_reason: Some("STOP".into())
            })
        );
        assert_eq!(usage(&resp), (8, 24));
    }

    #[test]
    fn a_safety_block_is_a_refusal() {
        let resp = response(SAFETY);
        assert_eq!(
            read_answer(&resp),
            Err(ContentFailure::Refused {
                finish_reason: "SAFETY".into()
            })
        );
        assert!(resp.candidates[0].safety_ratings[0].blocked);
        assert!(!resp.candidates[0].safety_ratings[1].blocked);
        assert_eq!(usage(&resp), (14, 0));
    }

    #[test]
    fn a_blocked_prompt_has_no_candidates() {
        let resp = response(PROMPT_BLOCKED);
        assert_eq!(
            read_answer(&resp),
            Err(ContentFailure::PromptBlocked {
                reason: "PROHIBITED_CONTENT".into()
            })
        );
        let empty_list =
            response(r#"{"candidates": [], "promptFeedback": {"blockReason": "OTHER"}}"#);
        assert_eq!(
            read_answer(&empty_list),
            Err(ContentFailure::PromptBlocked {
                reason: "OTHER".into()
            })
        );
        assert_eq!(read_answer(&response("{}")), Err(ContentFailure::Empty));
    }

    #[test]
    fn max_tokens_is_truncation_with_or_without_text() {
        let partial = response(
            r#"{"candidates":[{"content":{"parts":[{"text":"The capital of France is"}],"role":"model"},"finishReason":"MAX_TOKENS"}]}"#,
        );
        assert_eq!(
            read_answer(&partial),
            Err(ContentFailure::Truncated {
                partial: "The capital of France is".into()
            })
        );
        let empty = response(
            r#"{"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS","index":0}],
                "usageMetadata":{"promptTokenCount":15,"thoughtsTokenCount":2,"totalTokenCount":17}}"#,
        );
        assert_eq!(
            read_answer(&empty),
            Err(ContentFailure::Truncated {
                partial: String::new()
            })
        );
        assert_eq!(usage(&empty), (15, 2));
    }

    #[test]
    fn missing_finish_reason_and_unknown_values_are_handled() {
        let no_reason =
            response(r#"{"candidates":[{"content":{"parts":[{"text":"{\"a\":1}"}]}}]}"#);
        assert_eq!(read_answer(&no_reason).unwrap().text, "{\"a\":1}");
        let no_text = response(r#"{"candidates":[{"content":{},"finishReason":"STOP"}]}"#);
        assert_eq!(read_answer(&no_text), Err(ContentFailure::Empty));
        let future = response(r#"{"candidates":[{"finishReason":"MODEL_ARMOR"}]}"#);
        assert_eq!(
            read_answer(&future),
            Err(ContentFailure::Refused {
                finish_reason: "MODEL_ARMOR".into()
            })
        );
        assert_eq!(usage(&future), (0, 0));
    }

    #[test]
    fn unknown_response_fields_are_ignored() {
        let resp = response(
            r#"{"candidates":[{"content":{"parts":[{"text":"ok","thoughtSignature":"c2ln",
                "somethingNew":1}],"role":"model"},"finishReason":"STOP","avgLogprobs":-0.1,
                "citationMetadata":{"citations":[]}}],
                "usageMetadata":{"promptTokenCount":3,"serviceTier":"standard",
                "candidatesTokenCount":1,"totalTokenCount":4},"newTopLevel":{"x":[1]}}"#,
        );
        assert_eq!(read_answer(&resp).unwrap().text, "ok");
        assert_eq!(usage(&resp), (3, 1));
        // A function-call part has no text and is ignored.
        let call = response(
            r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f"}},{"text":"x"}]},"finishReason":"STOP"}]}"#,
        );
        assert_eq!(read_answer(&call).unwrap().text, "x");
    }

    #[test]
    fn json_fences_are_stripped() {
        assert_eq!(strip_json_fences(" ```json\n{\"a\":1}\n```\n"), "{\"a\":1}");
        assert_eq!(strip_json_fences("```\n[1]\n```"), "[1]");
        assert_eq!(strip_json_fences("```json{\"a\":1}```"), "{\"a\":1}");
        assert_eq!(strip_json_fences("  {\"a\":1} "), "{\"a\":1}");
    }

    #[test]
    fn a_request_is_camel_case_without_nulls() {
        let schema = json!({"type": "object"});
        let request = GenerateContentRequest::text_json(
            "system",
            vec![Part::pdf(b"%PDF-1.7"), Part::text("user")],
            schema.clone(),
            16384,
            0.2,
        )
        .with_thinking_budget(1024)
        .with_safety_settings(vec![SafetySetting::new(
            "HARM_CATEGORY_HARASSMENT",
            "BLOCK_ONLY_HIGH",
        )]);
        // Through the text, as on the wire: `to_value` would widen the f32 temperature.
        let wire = serde_json::to_string(&request).unwrap();
        assert!(wire.contains(r#""temperature":0.2,"#), "{wire}");
        assert!(!wire.contains("null"));
        let value: Value = serde_json::from_str(&wire).unwrap();
        assert_eq!(
            value,
            json!({
                "contents": [{"role": "user", "parts": [
                    {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0xLjc="}},
                    {"text": "user"}]}],
                "systemInstruction": {"parts": [{"text": "system"}]},
                "generationConfig": {
                    "maxOutputTokens": 16384,
                    "temperature": 0.2,
                    "responseMimeType": "application/json",
                    "responseSchema": schema,
                    "thinkingConfig": {"thinkingBudget": 1024}
                },
                "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT",
                                    "threshold": "BLOCK_ONLY_HIGH"}]
            })
        );
        let back: GenerateContentRequest = serde_json::from_value(value).unwrap();
        assert_eq!(back, request);
        assert_eq!(back.texts().collect::<Vec<_>>(), ["system", "user"]);
    }

    #[test]
    fn unknown_request_fields_are_rejected_and_snake_case_is_accepted() {
        let unknown = json!({"contents": [], "stream": true});
        assert!(serde_json::from_value::<GenerateContentRequest>(unknown).is_err());
        let nested = json!({"contents": [{"parts": [{"text": "x", "bogus": 1}]}]});
        assert!(serde_json::from_value::<GenerateContentRequest>(nested).is_err());
        let config = json!({"contents": [], "generationConfig": {"maxTokens": 5}});
        assert!(serde_json::from_value::<GenerateContentRequest>(config).is_err());
        let snake = json!({"contents": [], "generation_config": {"max_output_tokens": 5,
            "response_mime_type": "application/json", "thinking_config": {"thinking_budget": 0}}});
        let request: GenerateContentRequest = serde_json::from_value(snake).unwrap();
        let config = request.generation_config.unwrap();
        assert_eq!(config.max_output_tokens, Some(5));
        assert_eq!(config.thinking_config.unwrap().thinking_budget, Some(0));
    }

    #[test]
    fn blobs_decode_from_either_alphabet() {
        let bytes = [0xfb, 0xff, 0xfe, 0x01];
        let blob = Blob::new(PDF_MIME, &bytes);
        assert_eq!(blob.data, "+//+AQ==");
        assert_eq!(blob.decode().unwrap(), bytes);
        let url_safe = Blob {
            data: "-__-AQ".into(),
            ..blob.clone()
        };
        assert_eq!(url_safe.decode().unwrap(), bytes);
        let broken = Blob {
            data: "not base64!".into(),
            ..blob
        };
        assert!(broken.decode().is_err());
    }

    #[test]
    fn responses_serialize_without_defaults() {
        let resp = GenerateContentResponse {
            candidates: vec![Candidate {
                content: Some(CandidateContent {
                    role: Some("model".into()),
                    parts: vec![CandidatePart::text("x")],
                }),
                finish_reason: Some("STOP".into()),
                ..Candidate::default()
            }],
            usage_metadata: Some(UsageMetadata {
                prompt_token_count: 3,
                total_token_count: 3,
                ..UsageMetadata::default()
            }),
            ..GenerateContentResponse::default()
        };
        assert_eq!(
            serde_json::to_value(&resp).unwrap(),
            json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "x"}]},
                   "finishReason": "STOP"}],
                   "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3}})
        );
    }
}
