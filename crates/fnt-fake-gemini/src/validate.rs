//! Request validation as strict as Google's, so client bugs fail here the way they would there.
//!
//! Unknown fields are found by walking the JSON against a table of the proto's field names
//! (camelCase and snake_case, as Google accepts both) rather than through serde, because
//! Google's message names the field's path (`at 'generation_config'`), which serde can't give.
//! Types then come from the strict serde types in `wire`; rule checks come last.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::errors;
use super::models::ModelSpec;
use fnt::engine::gemini::wire::{
    Content, CountTokensRequest, ErrorBody, FieldViolation, GenerateContentRequest,
    GenerationConfig,
};

/// A field of a proto message: its JSON and proto names, and what it holds.
struct Field {
    json: &'static str,
    proto: &'static str,
    kind: Kind,
}

enum Kind {
    /// A scalar, or free-form JSON (schemas) that is not checked here.
    Leaf,
    Message(&'static [Field]),
    Repeated(&'static [Field]),
}

const fn leaf(json: &'static str, proto: &'static str) -> Field {
    Field {
        json,
        proto,
        kind: Kind::Leaf,
    }
}

const fn message(json: &'static str, proto: &'static str, fields: &'static [Field]) -> Field {
    Field {
        json,
        proto,
        kind: Kind::Message(fields),
    }
}

const fn repeated(json: &'static str, proto: &'static str, fields: &'static [Field]) -> Field {
    Field {
        json,
        proto,
        kind: Kind::Repeated(fields),
    }
}

// These tables mirror the request types in `wire` field for field (tested below).
const BLOB: &[Field] = &[leaf("mimeType", "mime_type"), leaf("data", "data")];
const FILE_DATA: &[Field] = &[leaf("mimeType", "mime_type"), leaf("fileUri", "file_uri")];
const PART: &[Field] = &[
    leaf("text", "text"),
    message("inlineData", "inline_data", BLOB),
    message("fileData", "file_data", FILE_DATA),
    leaf("thought", "thought"),
    leaf("thoughtSignature", "thought_signature"),
];
const CONTENT: &[Field] = &[leaf("role", "role"), repeated("parts", "parts", PART)];
const THINKING_CONFIG: &[Field] = &[
    leaf("includeThoughts", "include_thoughts"),
    leaf("thinkingBudget", "thinking_budget"),
    leaf("thinkingLevel", "thinking_level"),
];
const GENERATION_CONFIG: &[Field] = &[
    leaf("candidateCount", "candidate_count"),
    leaf("stopSequences", "stop_sequences"),
    leaf("maxOutputTokens", "max_output_tokens"),
    leaf("temperature", "temperature"),
    leaf("topP", "top_p"),
    leaf("topK", "top_k"),
    leaf("seed", "seed"),
    leaf("presencePenalty", "presence_penalty"),
    leaf("frequencyPenalty", "frequency_penalty"),
    leaf("responseLogprobs", "response_logprobs"),
    leaf("logprobs", "logprobs"),
    leaf("responseMimeType", "response_mime_type"),
    leaf("responseSchema", "response_schema"),
    leaf("responseJsonSchema", "response_json_schema"),
    leaf("responseModalities", "response_modalities"),
    leaf("mediaResolution", "media_resolution"),
    message("thinkingConfig", "thinking_config", THINKING_CONFIG),
];
const SAFETY_SETTING: &[Field] = &[leaf("category", "category"), leaf("threshold", "threshold")];
const GENERATE_REQUEST: &[Field] = &[
    leaf("model", "model"),
    repeated("contents", "contents", CONTENT),
    message("systemInstruction", "system_instruction", CONTENT),
    message("generationConfig", "generation_config", GENERATION_CONFIG),
    repeated("safetySettings", "safety_settings", SAFETY_SETTING),
];
const COUNT_TOKENS_REQUEST: &[Field] = &[
    repeated("contents", "contents", CONTENT),
    message(
        "generateContentRequest",
        "generate_content_request",
        GENERATE_REQUEST,
    ),
];

const ROLES: [&str; 2] = ["user", "model"];
const MIME_TYPES: [&str; 5] = [
    "text/plain",
    "application/json",
    "application/xml",
    "application/yaml",
    "text/x.enum",
];
const SCHEMA_MIME_TYPES: [&str; 2] = ["application/json", "text/x.enum"];

/// A `generateContent` body, or the 400 Google would send for it.
pub(crate) fn generate_request(body: &[u8]) -> Result<GenerateContentRequest, ErrorBody> {
    let request: GenerateContentRequest = parse(body, GENERATE_REQUEST)?;
    check_generate(&request, "GenerateContentRequest", "")?;
    Ok(request)
}

/// A `countTokens` body: `contents` or `generateContentRequest`, never both.
pub(crate) fn count_tokens_request(body: &[u8]) -> Result<CountTokensRequest, ErrorBody> {
    let request: CountTokensRequest = parse(body, COUNT_TOKENS_REQUEST)?;
    match (&request.contents, &request.generate_content_request) {
        (Some(_), Some(_)) => Err(errors::invalid_argument(
            "* CountTokensRequest: only one of contents and generate_content_request may be \
             set\n",
        )),
        (None, None) => Err(errors::invalid_argument(
            "* CountTokensRequest.contents: contents is not specified\n",
        )),
        (Some(contents), None) => {
            check_contents(contents, "CountTokensRequest", "")?;
            Ok(request)
        }
        (None, Some(inner)) => {
            check_generate(
                inner,
                "CountTokensRequest.generate_content_request",
                "generate_content_request",
            )?;
            Ok(request)
        }
    }
}

/// JSON text → checked field names → strict serde type.
fn parse<T: DeserializeOwned>(body: &[u8], fields: &[Field]) -> Result<T, ErrorBody> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| errors::invalid_argument(format!("Invalid JSON payload received. {e}")))?;
    if !value.is_object() {
        return Err(errors::invalid_argument(
            "Invalid JSON payload received. Root element must be a message.",
        ));
    }
    let mut violations = Vec::new();
    unknown_fields(&value, fields, "", &mut violations);
    if !violations.is_empty() {
        return Err(errors::unknown_fields(violations));
    }
    serde_json::from_value(value)
        .map_err(|e| errors::invalid_argument(format!("Invalid JSON payload received. {e}")))
}

fn unknown_fields(value: &Value, fields: &[Field], path: &str, out: &mut Vec<FieldViolation>) {
    let Value::Object(object) = value else {
        return;
    };
    for (name, child) in object {
        let Some(field) = fields.iter().find(|f| f.json == name || f.proto == name) else {
            out.push(unknown_name(name, path));
            continue;
        };
        let child_path = join(path, field.proto);
        match (&field.kind, child) {
            (Kind::Message(inner), _) => unknown_fields(child, inner, &child_path, out),
            (Kind::Repeated(inner), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    unknown_fields(item, inner, &format!("{child_path}[{i}]"), out);
                }
            }
            // Wrong shapes are left to serde's type check.
            _ => {}
        }
    }
}

fn unknown_name(name: &str, path: &str) -> FieldViolation {
    // Google leaves out both the `at` clause and the field at the root of the request.
    let at = if path.is_empty() {
        String::new()
    } else {
        format!(" at '{path}'")
    };
    FieldViolation {
        field: path.to_owned(),
        description: format!(
            "Invalid JSON payload received. Unknown name \"{name}\"{at}: Cannot find field."
        ),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// `root` names the message in `* Root.field: …` rule messages; `path` is where the request
/// sits in the JSON (for parser-level messages).
fn check_generate(
    request: &GenerateContentRequest,
    root: &str,
    path: &str,
) -> Result<(), ErrorBody> {
    check_contents(&request.contents, root, path)?;
    if let Some(system) = &request.system_instruction {
        let system_path = join(path, "system_instruction");
        check_data_fields(system, &system_path)?;
        let mut problems = Vec::new();
        check_parts(system, &format!("{root}.system_instruction"), &mut problems);
        reject_problems(problems)?;
    }
    if let Some(config) = &request.generation_config {
        reject_problems(config_problems(config, root))?;
    }
    Ok(())
}

fn check_contents(contents: &[Content], root: &str, path: &str) -> Result<(), ErrorBody> {
    // Parser-level problems (bytes, oneofs) come before rule checks, as at Google.
    for (i, content) in contents.iter().enumerate() {
        check_data_fields(content, &format!("{}[{i}]", join(path, "contents")))?;
    }
    if contents
        .iter()
        .any(|c| c.role.as_deref().is_some_and(|r| !ROLES.contains(&r)))
    {
        return Err(errors::invalid_argument(
            "Please use a valid role: user, model.",
        ));
    }
    let mut problems = Vec::new();
    if contents.is_empty() {
        problems.push(format!("* {root}.contents: contents is not specified\n"));
    }
    for (i, content) in contents.iter().enumerate() {
        check_parts(content, &format!("{root}.contents[{i}]"), &mut problems);
    }
    reject_problems(problems)
}

/// Two data fields in one part, or bytes that are not base64.
fn check_data_fields(content: &Content, path: &str) -> Result<(), ErrorBody> {
    for (j, part) in content.parts.iter().enumerate() {
        let part_path = format!("{path}.parts[{j}]");
        if part.data_fields() > 1 {
            return Err(errors::invalid_value(
                &part_path,
                format!(
                    "Invalid value at '{part_path}': oneof field 'data' is already set. \
                     Cannot set more than one of text, inline_data, file_data."
                ),
            ));
        }
        if let Some(blob) = &part.inline_data
            && blob.decode().is_err()
        {
            let field = format!("{part_path}.inline_data.data");
            return Err(errors::invalid_value(
                &field,
                format!(
                    "Invalid value at '{field}' (TYPE_BYTES), Base64 decoding failed for \"{}\"",
                    excerpt(&blob.data)
                ),
            ));
        }
    }
    Ok(())
}

fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    if text.chars().count() <= MAX_CHARS {
        text.to_owned()
    } else {
        format!("{}...", text.chars().take(MAX_CHARS).collect::<String>())
    }
}

fn check_parts(content: &Content, at: &str, problems: &mut Vec<String>) {
    if content.parts.is_empty() {
        problems.push(format!("* {at}.parts: contents.parts must not be empty\n"));
    }
    for (j, part) in content.parts.iter().enumerate() {
        if part.data_fields() == 0 {
            problems.push(format!(
                "* {at}.parts[{j}].data: required oneof field 'data' must have one initialized \
                 field\n"
            ));
        }
    }
}

fn config_problems(config: &GenerationConfig, root: &str) -> Vec<String> {
    let at = format!("{root}.generation_config");
    let mime = config.response_mime_type.as_deref();
    let has_schema = config.response_schema.is_some() || config.response_json_schema.is_some();
    let mut problems = Vec::new();
    if mime.is_some_and(|m| !MIME_TYPES.contains(&m)) {
        problems.push(format!(
            "* {at}.response_mime_type: allowed mimetypes are `text/plain`, \
             `application/json`, `application/xml`, `application/yaml` and `text/x.enum`.\n"
        ));
    }
    if config.response_schema.is_some() && config.response_json_schema.is_some() {
        problems.push(format!(
            "* {at}.response_json_schema: response_json_schema and response_schema cannot \
             both be set.\n"
        ));
    }
    if has_schema && !mime.is_some_and(|m| SCHEMA_MIME_TYPES.contains(&m)) {
        problems.push(format!(
            "* {at}.response_mime_type: a response schema requires response_mime_type \
             `application/json` or `text/x.enum`.\n"
        ));
    }
    problems
}

/// The rules that depend on the model named in the URL: its output limit and its way of
/// thinking. Checked after the body's own rules, as Google does.
pub(crate) fn for_model(
    request: &GenerateContentRequest,
    model: &ModelSpec,
) -> Result<(), ErrorBody> {
    let Some(config) = &request.generation_config else {
        return Ok(());
    };
    if let Some(max) = config.max_output_tokens
        && !(1..=model.output_limit).contains(&i64::from(max))
    {
        return Err(errors::invalid_argument(format!(
            "Unable to submit request because it has a maxOutputTokens value of {max} but the \
             supported range is from 1 (inclusive) to {} (exclusive). Update the value and try \
             again.",
            model.output_limit + 1
        )));
    }
    let Some(thinking) = &config.thinking_config else {
        return Ok(());
    };
    if let Some(level) = &thinking.thinking_level {
        let field = "generation_config.thinking_config.thinking_level";
        let known = [
            "minimal",
            "low",
            "medium",
            "high",
            "thinking_level_unspecified",
        ];
        if !known.iter().any(|k| k.eq_ignore_ascii_case(level)) {
            // Google's JSON parser rejects an enum value it does not know, before any rule.
            return Err(errors::invalid_value(
                field,
                format!(
                    "Invalid value at '{field}' (type.googleapis.com/google.ai.\
                     generativelanguage.v1beta.ThinkingConfig.ThinkingLevel), \"{level}\""
                ),
            ));
        }
    }
    let problem = match (&thinking.thinking_level, thinking.thinking_budget) {
        (Some(_), Some(_)) => {
            Some("You can only set one of thinking budget and thinking level, not both.".to_owned())
        }
        _ if !model.thinks()
            && (thinking.thinking_level.is_some()
                || thinking.thinking_budget.is_some_and(|b| b != 0)
                || thinking.include_thoughts == Some(true)) =>
        {
            Some("Thinking is not supported by this model.".to_owned())
        }
        (Some(_), None) if !model.takes_thinking_level() => {
            Some("Thinking level is not supported for this model.".to_owned())
        }
        (Some(level), None)
            if !level.eq_ignore_ascii_case("thinking_level_unspecified")
                && !model
                    .thinking_levels()
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(level)) =>
        {
            Some(format!(
                "Thinking level {} is not supported for this model.",
                level.to_ascii_uppercase()
            ))
        }
        (None, Some(budget)) if !model.budget_allowed(budget) => {
            Some(format!("The thinking budget ({budget}) is invalid."))
        }
        _ => None,
    };
    match problem {
        Some(message) => Err(errors::invalid_argument(message)),
        None => Ok(()),
    }
}

fn reject_problems(problems: Vec<String>) -> Result<(), ErrorBody> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(errors::invalid_argument(problems.concat()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fnt::engine::gemini::wire::{Blob, FileData, Part, SafetySetting, ThinkingConfig};
    use serde_json::json;

    fn message_of(result: Result<GenerateContentRequest, ErrorBody>) -> String {
        result.expect_err("rejected").error.message
    }

    fn every_field_set() -> GenerateContentRequest {
        let part = Part {
            text: Some("t".into()),
            inline_data: Some(Blob::new("application/pdf", b"x")),
            file_data: Some(FileData {
                mime_type: Some("application/pdf".into()),
                file_uri: "u".into(),
            }),
            thought: Some(false),
            thought_signature: Some("c2ln".into()),
        };
        GenerateContentRequest {
            model: Some("models/m".into()),
            contents: vec![Content::user(vec![part])],
            system_instruction: Some(Content::system("s")),
            generation_config: Some(GenerationConfig {
                candidate_count: Some(1),
                stop_sequences: Some(vec!["x".into()]),
                max_output_tokens: Some(1),
                temperature: Some(0.5),
                top_p: Some(0.5),
                top_k: Some(1),
                seed: Some(1),
                presence_penalty: Some(0.5),
                frequency_penalty: Some(0.5),
                response_logprobs: Some(false),
                logprobs: Some(1),
                response_mime_type: Some("application/json".into()),
                response_schema: Some(json!({})),
                response_json_schema: Some(json!({})),
                response_modalities: Some(vec!["TEXT".into()]),
                media_resolution: Some("MEDIA_RESOLUTION_LOW".into()),
                thinking_config: Some(ThinkingConfig {
                    include_thoughts: Some(true),
                    thinking_budget: Some(1),
                    thinking_level: Some("low".into()),
                }),
            }),
            safety_settings: Some(vec![SafetySetting::new("c", "t")]),
        }
    }

    #[test]
    fn the_field_tables_know_every_field_of_the_wire_types() {
        let value = serde_json::to_value(every_field_set()).unwrap();
        let mut violations = Vec::new();
        unknown_fields(&value, GENERATE_REQUEST, "", &mut violations);
        assert_eq!(violations, []);
        let count = json!({"contents": [], "generateContentRequest": value});
        unknown_fields(&count, COUNT_TOKENS_REQUEST, "", &mut violations);
        assert_eq!(violations, []);
    }

    #[test]
    fn unknown_names_are_reported_with_their_path() {
        let body = json!({"stream": true, "contents": [{"parts": [{"text": "x", "bogus": 1}]}],
            "generation_config": {"maxTokens": 3}});
        let error = generate_request(body.to_string().as_bytes()).unwrap_err();
        let violations = error.error.field_violations();
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["contents[0].parts[0]", "generation_config", ""]);
        assert_eq!(
            violations[2].description,
            "Invalid JSON payload received. Unknown name \"stream\": Cannot find field."
        );
        assert!(
            error
                .error
                .message
                .contains("Unknown name \"maxTokens\" at 'generation_config': Cannot find field.")
        );
        assert_eq!(error.error.status, "INVALID_ARGUMENT");
    }

    #[test]
    fn rules_are_checked_like_google() {
        let empty = json!({"contents": []}).to_string();
        assert_eq!(
            message_of(generate_request(empty.as_bytes())),
            "* GenerateContentRequest.contents: contents is not specified\n"
        );
        let missing = json!({}).to_string();
        assert!(message_of(generate_request(missing.as_bytes())).contains("not specified"));
        let no_data = json!({"contents": [{"role": "user", "parts": [{}]}]}).to_string();
        assert_eq!(
            message_of(generate_request(no_data.as_bytes())),
            "* GenerateContentRequest.contents[0].parts[0].data: required oneof field 'data' \
             must have one initialized field\n"
        );
        let no_parts = json!({"contents": [{"role": "user", "parts": []}]}).to_string();
        assert!(message_of(generate_request(no_parts.as_bytes())).contains("must not be empty"));
        let role = json!({"contents": [{"role": "system", "parts": [{"text": "x"}]}]});
        assert!(message_of(generate_request(role.to_string().as_bytes())).contains("valid role"));
        let not_json = b"{\"contents\": [";
        assert!(message_of(generate_request(not_json)).starts_with("Invalid JSON payload"));
        let array = b"[]";
        assert!(message_of(generate_request(array)).contains("Root element"));
        let wrong_type = json!({"contents": [{"parts": [{"text": 5}]}]}).to_string();
        assert!(message_of(generate_request(wrong_type.as_bytes())).contains("invalid type"));
    }

    #[test]
    fn schemas_need_a_json_mime_type_and_only_one_kind() {
        let config = |c: Value| {
            json!({"contents": [{"parts": [{"text": "x"}]}], "generationConfig": c}).to_string()
        };
        let both = config(json!({"responseMimeType": "application/json",
            "responseSchema": {}, "responseJsonSchema": {}}));
        assert!(message_of(generate_request(both.as_bytes())).contains("cannot both be set"));
        let no_mime = config(json!({"responseJsonSchema": {}}));
        assert!(
            message_of(generate_request(no_mime.as_bytes())).contains("requires response_mime")
        );
        let bad_mime = config(json!({"responseMimeType": "text/csv"}));
        assert!(message_of(generate_request(bad_mime.as_bytes())).contains("allowed mimetypes"));
        let fine = config(json!({"responseMimeType": "application/json",
            "responseJsonSchema": {"type": "object", "anything": [1]}}));
        assert!(generate_request(fine.as_bytes()).is_ok());
    }

    #[test]
    fn parts_hold_exactly_one_field_of_valid_bytes() {
        let two = json!({"contents": [{"parts": [{"text": "x",
            "inlineData": {"mimeType": "application/pdf", "data": "AA=="}}]}]});
        let error = generate_request(two.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            error.error.field_violations()[0].field,
            "contents[0].parts[0]"
        );
        let bad = json!({"contents": [{"parts": [
            {"inline_data": {"mime_type": "application/pdf", "data": "%%%"}}]}]});
        let error = generate_request(bad.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            error.error.message,
            "Invalid value at 'contents[0].parts[0].inline_data.data' (TYPE_BYTES), Base64 \
             decoding failed for \"%%%\""
        );
        let url_safe = json!({"contents": [{"parts": [
            {"inlineData": {"mimeType": "application/pdf", "data": "-__-AQ"}}]}]});
        assert!(generate_request(url_safe.to_string().as_bytes()).is_ok());
    }

    #[test]
    fn count_tokens_takes_one_form() {
        let contents = json!({"contents": [{"parts": [{"text": "x"}]}]}).to_string();
        assert!(count_tokens_request(contents.as_bytes()).is_ok());
        let wrapped = json!({"generateContentRequest": {"model": "models/m",
            "contents": [{"parts": [{"text": "x"}]}]}})
        .to_string();
        assert!(count_tokens_request(wrapped.as_bytes()).is_ok());
        let both = json!({"contents": [], "generateContentRequest": {"contents": []}});
        assert!(count_tokens_request(both.to_string().as_bytes()).is_err());
        assert!(count_tokens_request(b"{}").is_err());
    }
}
