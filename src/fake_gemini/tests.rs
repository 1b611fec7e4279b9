//! The fake over real HTTP with awc: every answer is read back with `wire`'s classifiers, which
//! proves the client side and the fake agree on the wire format.

use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use clap::Parser;
use serde_json::{Value, json};

use super::*;
use crate::engine::gemini::prompt;
use crate::engine::gemini::wire::{
    self, ApiFailure, ContentFailure, GenerateContentRequest, GenerateContentResponse, Part,
    ThinkingConfig,
};
use crate::engine::local::rewrite_chunk;
use crate::engine::{ChunkInput, PageStart};
use crate::settings::Settings;

const KEY: &str = "fake-key";
const MODEL: &str = "gemini-3.5-flash";

const TEXT: &str = "Il pleuvait depuis le matin. Le vieil homme marchait lentement vers la \
                    gare, et il pensait à sa fille qui vivait à Paris depuis des années. « Elle \
                    ne m'écrit plus », murmura-t-il. Le train arriva enfin.";

/// A chunk whose body is the middle sentences; the first and last are context.
fn chunk(first_page: u32) -> ChunkInput {
    let body_start = TEXT.find("Le vieil").expect("body start");
    let body_end = TEXT.find("Le train").expect("body end");
    ChunkInput {
        index: 1,
        first_page,
        last_page: first_page + 1,
        text: TEXT.to_owned(),
        body_start,
        body_end,
        pages: vec![
            PageStart {
                offset: 0,
                page: first_page,
            },
            PageStart {
                offset: body_end,
                page: first_page + 1,
            },
        ],
        chapters: Vec::new(),
        pdf: None,
    }
}

fn request_for(input: &ChunkInput, settings: &Settings) -> GenerateContentRequest {
    let prompt = prompt::prompt(input, settings);
    GenerateContentRequest::text_json(
        &prompt.system,
        vec![Part::text(prompt.user)],
        prompt::response_schema(),
        8192,
        0.2,
    )
}

/// What the fake must answer for `input`: the local engine's rewrite, as the schema's JSON.
fn expected_answer(input: &ChunkInput, settings: &Settings) -> Value {
    let output = rewrite_chunk(input, settings);
    let sentences: Vec<_> = output
        .sentences
        .iter()
        .map(|s| json!({"normalized": s.normalized, "original": s.original}))
        .collect();
    json!({ "sentences": sentences })
}

/// A fake whose model makes no mistakes and answers at once: the baseline the other tests
/// change one setting of.
fn args() -> FakeGeminiArgs {
    FakeGeminiArgs {
        model_error_rate: 0.0,
        tokens_per_sec: 0.0,
        ..FakeGeminiArgs::default()
    }
}

async fn start(args: FakeGeminiArgs) -> FakeGemini {
    FakeGemini::start(args).await.expect("the fake starts")
}

fn generate_path() -> String {
    format!("/v1beta/models/{MODEL}:generateContent")
}

/// One POST; `Err` when no complete HTTP response came back.
async fn post(
    fake: &FakeGemini,
    path: &str,
    key: Option<&str>,
    body: Vec<u8>,
) -> Result<(u16, Bytes), String> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    let mut request = client
        .post(format!("{}{path}", fake.base_url()))
        .insert_header(("content-type", "application/json"));
    if let Some(key) = key {
        request = request.insert_header(("x-goog-api-key", key));
    }
    let mut response = request.send_body(body).await.map_err(|e| e.to_string())?;
    let body = response
        .body()
        .limit(16 << 20)
        .await
        .map_err(|e| e.to_string())?;
    Ok((response.status().as_u16(), body))
}

async fn generate(fake: &FakeGemini, request: &GenerateContentRequest) -> (u16, Bytes) {
    let body = serde_json::to_vec(request).expect("request serializes");
    post(fake, &generate_path(), Some(KEY), body)
        .await
        .expect("a complete response")
}

async fn generate_raw(fake: &FakeGemini, body: &Value) -> (u16, Bytes) {
    post(
        fake,
        &generate_path(),
        Some(KEY),
        body.to_string().into_bytes(),
    )
    .await
    .expect("a complete response")
}

fn parse(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("a JSON body")
}

fn response(body: &[u8]) -> GenerateContentResponse {
    serde_json::from_slice(body).expect("a GenerateContentResponse")
}

/// A fresh fake that gives the next request `fault`, and that request's reply.
async fn with_fault(fault: Fault, args: FakeGeminiArgs) -> (FakeGemini, u16, Bytes) {
    let fake = start(args).await;
    fake.state.script([fault]);
    let (status, body) = generate(&fake, &request_for(&chunk(3), &Settings::default())).await;
    assert_eq!(fake.state.faults(fault), 1);
    (fake, status, body)
}

// --- Normal answers ----------------------------------------------------------------------------

#[actix_web::test]
async fn a_normal_answer_is_the_local_engines_rewrite() {
    let fake = start(args()).await;
    let short = Settings {
        sentence_length_limit: 5,
        min_sentence_length: 1,
        preserve_formatting: false,
        ..Settings::default()
    };
    for settings in [Settings::default(), short] {
        let input = chunk(3);
        let (status, body) = generate(&fake, &request_for(&input, &settings)).await;
        assert_eq!(status, 200);
        let answer = wire::read_answer(&response(&body)).expect("an answer");
        assert_eq!(answer.finish_reason.as_deref(), Some("STOP"));
        let got: Value = serde_json::from_str(wire::strip_json_fences(&answer.text)).unwrap();
        assert_eq!(got, expected_answer(&input, &settings));
        // Context sentences are not rewritten.
        assert!(!answer.text.contains("Il pleuvait") && !answer.text.contains("Le train"));
    }
    assert_eq!(fake.state.rewrites(), 2);
    assert_eq!(fake.state.requests(), 2);
    assert_eq!(fake.state.faults(Fault::None), 2);
    fake.stop().await;
}

#[actix_web::test]
async fn usage_is_counted_and_defaults_are_omitted() {
    let fake = start(args()).await;
    let request = request_for(&chunk(3), &Settings::default());
    let (status, body) = generate(&fake, &request).await;
    assert_eq!(status, 200);
    let raw = parse(&body);
    let resp = response(&body);
    let text = wire::read_answer(&resp).unwrap().text;
    let prompt_chars: usize = request.texts().map(|t| t.chars().count()).sum();
    let (prompt_tokens, answer_tokens) =
        (prompt_chars.div_ceil(4), text.chars().count().div_ceil(4));
    // A Gemini 3 model thinks by default, and bills it, though no thoughts were asked for.
    let thoughts = raw["usageMetadata"]["thoughtsTokenCount"].as_u64().unwrap() as usize;
    assert!(thoughts > 0);
    assert_eq!(
        raw["usageMetadata"],
        json!({
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": answer_tokens,
            "thoughtsTokenCount": thoughts,
            "totalTokenCount": prompt_tokens + answer_tokens + thoughts,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}]
        })
    );
    assert_eq!(
        wire::usage(&resp),
        (prompt_tokens as i64, (answer_tokens + thoughts) as i64)
    );
    let parts = &resp.candidates[0].content.as_ref().unwrap().parts;
    assert!(
        parts.iter().all(|p| !p.is_thought()),
        "no thought parts unasked"
    );
    assert_eq!(raw["modelVersion"], MODEL);
    assert!(raw["responseId"].as_str().is_some_and(|id| id.len() > 10));
    let candidate = &raw["candidates"][0];
    assert!(candidate.get("index").is_none(), "index 0 is omitted");
    assert_eq!(candidate["content"]["role"], "model");
    assert!(raw.get("promptFeedback").is_none());
    assert!(!String::from_utf8_lossy(&body).contains("null"));
    // Pretty-printed, as Google sends it.
    assert!(body.starts_with(b"{\n  \""));
    fake.stop().await;
}

#[actix_web::test]
async fn thoughts_are_sent_when_asked_and_count_against_the_budget() {
    let fake = start(args()).await;
    let input = chunk(3);
    let mut request = request_for(&input, &Settings::default());
    let config = request.generation_config.as_mut().unwrap();
    config.thinking_config = Some(ThinkingConfig {
        include_thoughts: Some(true),
        ..ThinkingConfig::default()
    });
    let (_, body) = generate(&fake, &request).await;
    let resp = response(&body);
    let parts = &resp.candidates[0].content.as_ref().unwrap().parts;
    assert_eq!(parts.len(), 2);
    assert!(parts[0].is_thought() && !parts[1].is_thought());
    let answer = wire::read_answer(&resp).unwrap();
    let got: Value = serde_json::from_str(&answer.text).unwrap();
    assert_eq!(got, expected_answer(&input, &Settings::default()));
    let usage = resp.usage_metadata.clone().unwrap();
    assert!(usage.thoughts_token_count > 0);
    assert_eq!(
        wire::usage(&resp).1,
        usage.candidates_token_count + usage.thoughts_token_count
    );

    // A budget too small for thoughts plus answer cuts the answer, as at Google.
    request
        .generation_config
        .as_mut()
        .unwrap()
        .max_output_tokens = Some(30);
    let (_, body) = generate(&fake, &request).await;
    match wire::read_answer(&response(&body)) {
        Err(ContentFailure::Truncated { partial }) => {
            assert!(answer.text.starts_with(&partial) && partial.len() < answer.text.len());
        }
        other => panic!("expected a truncation, got {other:?}"),
    }
    fake.stop().await;
}

#[actix_web::test]
async fn count_tokens_answers_both_forms() {
    let fake = start(args()).await;
    let path = format!("/v1beta/models/{MODEL}:countTokens");
    let contents = json!({"contents": [{"role": "user", "parts": [{"text": "abcdefgh"}]}]});
    let (status, body) = post(&fake, &path, Some(KEY), contents.to_string().into_bytes())
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        parse(&body),
        json!({"totalTokens": 2, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 2}]})
    );
    let wrapped = json!({"generateContentRequest": {"model": format!("models/{MODEL}"),
        "contents": [{"parts": [{"text": "abcd"}]}], "systemInstruction": {"parts": [{"text": "ab"}]}}});
    let (status, body) = post(&fake, &path, Some(KEY), wrapped.to_string().into_bytes())
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(parse(&body)["totalTokens"], 2);
    fake.stop().await;
}

// --- Refusals before any fault -------------------------------------------------------------------

#[actix_web::test]
async fn keys_are_checked_like_google() {
    let fake = start(args()).await;
    let body = serde_json::to_vec(&request_for(&chunk(3), &Settings::default())).unwrap();

    let (status, missing) = post(&fake, &generate_path(), None, body.clone())
        .await
        .unwrap();
    assert_eq!(status, 403);
    assert_eq!(parse(&missing)["error"]["status"], "PERMISSION_DENIED");
    assert!(matches!(
        wire::classify_error(status, &missing),
        ApiFailure::PermissionDenied { .. }
    ));

    let (status, wrong) = post(&fake, &generate_path(), Some("nope"), body.clone())
        .await
        .unwrap();
    assert_eq!(status, 400);
    // The recorded body, verbatim.
    let recorded: Value = serde_json::from_str(
        r#"{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
  "details": [
    {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
     "metadata": {"service": "generativelanguage.googleapis.com"}},
    {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
     "message": "API key not valid. Please pass a valid API key."}]}}"#,
    )
    .unwrap();
    assert_eq!(parse(&wrong), recorded);
    assert!(matches!(
        wire::classify_error(status, &wrong),
        ApiFailure::InvalidKey { .. }
    ));

    let with_query = format!("{}?key={KEY}", generate_path());
    let (status, _) = post(&fake, &with_query, None, body).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(fake.state.rejected(), 2);
    fake.stop().await;
}

#[actix_web::test]
async fn unknown_fields_are_rejected_with_their_path() {
    let fake = start(args()).await;
    let mut body = serde_json::to_value(request_for(&chunk(3), &Settings::default())).unwrap();
    body["generationConfig"]["maxTokens"] = json!(100);
    let (status, reply) = generate_raw(&fake, &body).await;
    assert_eq!(status, 400);
    let message = "Invalid JSON payload received. Unknown name \"maxTokens\" at \
                   'generation_config': Cannot find field.";
    let error = wire::ErrorBody::parse(&reply).unwrap().error;
    assert_eq!(error.message, message);
    assert_eq!(
        error.field_violations(),
        [wire::FieldViolation {
            field: "generation_config".into(),
            description: message.into()
        }]
    );
    assert_eq!(
        wire::classify_error(status, &reply),
        ApiFailure::InvalidArgument {
            message: message.into()
        }
    );
    fake.stop().await;
}

#[actix_web::test]
async fn invalid_requests_get_400s_and_use_no_scripted_fault() {
    let fake = start(args()).await;
    fake.state.script([Fault::Internal]);
    let good = serde_json::to_value(request_for(&chunk(3), &Settings::default())).unwrap();
    let with = |pointer: &str, value: Value| {
        let mut body = good.clone();
        *body.pointer_mut(pointer).expect("field exists") = value;
        body
    };
    let mut both_schemas = good.clone();
    both_schemas["generationConfig"]["responseJsonSchema"] = json!({"type": "object"});
    let mut no_mime = good.clone();
    no_mime["generationConfig"]
        .as_object_mut()
        .unwrap()
        .remove("responseMimeType");
    let cases = [
        (with("/contents", json!([])), "contents is not specified"),
        (
            with("/contents/0/parts/0", json!({})),
            "required oneof field 'data'",
        ),
        (both_schemas, "cannot both be set"),
        (no_mime, "requires response_mime_type"),
        (
            with("/contents/0/parts/0/text", json!("bonjour")),
            "no text part",
        ),
        (
            with(
                "/contents/0/parts/0",
                json!({"inlineData": {"mimeType": "application/pdf", "data": "@@"}}),
            ),
            "Base64 decoding failed",
        ),
    ];
    for (body, expected) in cases {
        let (status, reply) = generate_raw(&fake, &body).await;
        assert_eq!(status, 400, "{expected}");
        let failure = wire::classify_error(status, &reply);
        match failure {
            ApiFailure::InvalidArgument { message } => {
                assert!(message.contains(expected), "{message} ∌ {expected}");
            }
            other => panic!("{expected}: {other:?}"),
        }
    }
    assert_eq!(fake.state.scripted(), 1);
    assert_eq!(fake.state.rejected(), 6);
    let (status, _) = generate_raw(&fake, &good).await;
    assert_eq!(status, 500);
    fake.stop().await;
}

#[actix_web::test]
async fn unknown_routes_and_methods_are_404s() {
    let fake = start(args()).await;
    let body = serde_json::to_vec(&request_for(&chunk(3), &Settings::default())).unwrap();

    let path = format!("/v1beta/models/{MODEL}:streamSomething");
    let (status, reply) = post(&fake, &path, Some(KEY), body.clone()).await.unwrap();
    assert_eq!(status, 404);
    assert_eq!(parse(&reply)["error"]["status"], "NOT_FOUND");
    assert!(matches!(
        wire::classify_error(status, &reply),
        ApiFailure::ModelNotFound { .. }
    ));

    for path in [
        format!("/v1/models/{MODEL}:generateContent"),
        format!("/v1beta/models/{MODEL}"),
        "/v1beta/models/a/b:generateContent".to_owned(),
    ] {
        let (status, reply) = post(&fake, &path, Some(KEY), body.clone()).await.unwrap();
        assert_eq!(status, 404, "{path}");
        assert!(String::from_utf8_lossy(&reply).contains("Error 404"));
    }
    let client = awc::Client::default();
    let get = client
        .get(format!("{}{}", fake.base_url(), generate_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 404);
    assert_eq!(fake.state.rewrites(), 0);
    fake.stop().await;
}

// --- Faults ----------------------------------------------------------------------------------

fn retry_delay_of(body: &[u8]) -> Value {
    parse(body)["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["@type"] == "type.googleapis.com/google.rpc.RetryInfo")
        .map(|d| d["retryDelay"].clone())
        .unwrap_or(Value::Null)
}

#[actix_web::test]
async fn a_429_is_a_per_minute_quota_with_the_configured_delay() {
    let args = FakeGeminiArgs {
        retry_delay_secs: 1.5,
        ..args()
    };
    let (fake, status, body) = with_fault(Fault::RateLimit, args).await;
    assert_eq!(status, 429);
    assert_eq!(retry_delay_of(&body), "1.5s");
    let error = wire::ErrorBody::parse(&body).unwrap().error;
    let violation = &error.quota_violations()[0];
    assert_eq!(
        violation.quota_id,
        "GenerateContentInputTokensPerModelPerMinute-FreeTier"
    );
    assert_eq!(violation.quota_dimensions["model"], MODEL);
    assert_eq!(violation.quota_value.as_deref(), Some("250000"));
    assert_eq!(
        wire::classify_error(status, &body),
        ApiFailure::QuotaPerMinute {
            retry_after: Some(Duration::from_millis(1500))
        }
    );
    fake.stop().await;
}

#[actix_web::test]
async fn a_429_day_is_daily_despite_its_short_delay() {
    let (fake, status, body) = with_fault(Fault::DailyQuota, args()).await;
    assert_eq!(status, 429);
    assert_eq!(retry_delay_of(&body), "1s");
    let error = wire::ErrorBody::parse(&body).unwrap().error;
    assert_eq!(
        error.quota_violations()[0].quota_id,
        "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
    );
    assert_eq!(
        wire::classify_error(status, &body),
        ApiFailure::QuotaPerDay {
            retry_after: Some(Duration::from_secs(1))
        }
    );
    fake.stop().await;
}

#[actix_web::test]
async fn server_errors_are_the_recorded_bodies() {
    let recorded = [
        (
            Fault::Internal,
            500,
            r#"{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}"#,
        ),
        (
            Fault::Unavailable,
            503,
            r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#,
        ),
        (
            Fault::DeadlineExceeded,
            504,
            r#"{"error":{"code":504,"message":"The service is unable to finish processing within the deadline.","status":"DEADLINE_EXCEEDED"}}"#,
        ),
    ];
    for (fault, code, text) in recorded {
        let (fake, status, body) = with_fault(fault, args()).await;
        assert_eq!(status, code);
        assert_eq!(parse(&body), parse(text.as_bytes()));
        let failure = wire::classify_error(status, &body);
        let expected_kind = match failure {
            ApiFailure::Internal { .. } => Fault::Internal,
            ApiFailure::Unavailable { .. } => Fault::Unavailable,
            ApiFailure::DeadlineExceeded { .. } => Fault::DeadlineExceeded,
            other => panic!("{fault}: {other:?}"),
        };
        assert_eq!(expected_kind, fault);
        fake.stop().await;
    }
}

#[actix_web::test]
async fn a_timeout_holds_the_request_then_drops_it_unanswered() {
    let args = FakeGeminiArgs {
        hang_ms: 300,
        ..args()
    };
    let fake = start(args).await;
    fake.state.script([Fault::Timeout]);
    let body = serde_json::to_vec(&request_for(&chunk(3), &Settings::default())).unwrap();
    let started = Instant::now();
    let result = post(&fake, &generate_path(), Some(KEY), body).await;
    let waited = started.elapsed();
    assert!(result.is_err(), "no response expected, got {result:?}");
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    // The next request is served normally.
    let (status, _) = generate(&fake, &request_for(&chunk(3), &Settings::default())).await;
    assert_eq!(status, 200);
    assert_eq!(fake.state.faults(Fault::Timeout), 1);
    fake.stop().await;
}

#[actix_web::test]
async fn a_safety_fault_is_the_recorded_output_block() {
    let (fake, status, body) = with_fault(Fault::Safety, args()).await;
    assert_eq!(status, 200);
    let raw = parse(&body);
    let candidate = &raw["candidates"][0];
    assert_eq!(candidate["content"], json!({}));
    assert_eq!(candidate["finishReason"], "SAFETY");
    assert_eq!(candidate["safetyRatings"][0]["blocked"], true);
    assert!(candidate["safetyRatings"][1].get("blocked").is_none());
    let usage = raw["usageMetadata"].as_object().unwrap();
    assert_eq!(usage.len(), 2, "prompt and total only: {usage:?}");
    assert_eq!(
        wire::read_answer(&response(&body)),
        Err(ContentFailure::Refused {
            finish_reason: "SAFETY".into()
        })
    );
    assert_eq!(fake.state.rewrites(), 0);
    fake.stop().await;
}

#[actix_web::test]
async fn a_prompt_block_has_no_candidates() {
    let (fake, status, body) = with_fault(Fault::PromptBlock, args()).await;
    assert_eq!(status, 200);
    let raw = parse(&body);
    assert!(raw.get("candidates").is_none());
    assert_eq!(
        raw["promptFeedback"],
        json!({"blockReason": "PROHIBITED_CONTENT"})
    );
    assert_eq!(
        wire::read_answer(&response(&body)),
        Err(ContentFailure::PromptBlocked {
            reason: "PROHIBITED_CONTENT".into()
        })
    );
    fake.stop().await;
}

#[actix_web::test]
async fn max_tokens_sends_half_the_answer() {
    let (fake, status, body) = with_fault(Fault::MaxTokens, args()).await;
    assert_eq!(status, 200);
    let full = expected_answer(&chunk(3), &Settings::default()).to_string();
    match wire::read_answer(&response(&body)) {
        Err(ContentFailure::Truncated { partial }) => {
            assert!(!partial.is_empty() && full.starts_with(&partial));
            assert!(partial.len() < full.len());
            assert!(serde_json::from_str::<Value>(&partial).is_err());
        }
        other => panic!("expected a truncation, got {other:?}"),
    }
    fake.stop().await;
}

#[actix_web::test]
async fn malformed_is_fenced_json_that_does_not_parse() {
    let (fake, status, body) = with_fault(Fault::Malformed, args()).await;
    assert_eq!(status, 200);
    let answer = wire::read_answer(&response(&body)).expect("STOP with text");
    assert_eq!(answer.finish_reason.as_deref(), Some("STOP"));
    assert!(answer.text.starts_with("```json\n"));
    let inner = wire::strip_json_fences(&answer.text);
    assert!(serde_json::from_str::<Value>(inner).is_err(), "{inner}");
    fake.stop().await;
}

#[actix_web::test]
async fn truncated_cuts_the_http_body_itself() {
    let fake = start(args()).await;
    fake.state.script([Fault::Truncated]);
    let body = serde_json::to_vec(&request_for(&chunk(3), &Settings::default())).unwrap();
    match post(&fake, &generate_path(), Some(KEY), body).await {
        // The usual outcome: the connection closes before the announced length.
        Err(_) => {}
        Ok((status, body)) => {
            assert_eq!(status, 200);
            assert!(serde_json::from_slice::<Value>(&body).is_err());
        }
    }
    assert_eq!(fake.state.faults(Fault::Truncated), 1);
    let (status, _) = generate(&fake, &request_for(&chunk(3), &Settings::default())).await;
    assert_eq!(status, 200);
    fake.stop().await;
}

// --- Choosing faults -------------------------------------------------------------------------

async fn statuses(fake: &FakeGemini, first_page: u32, count: usize) -> Vec<u16> {
    let request = request_for(&chunk(first_page), &Settings::default());
    let mut out = Vec::new();
    for _ in 0..count {
        out.push(generate(fake, &request).await.0);
    }
    out
}

#[actix_web::test]
async fn scripted_faults_come_in_order() {
    let fake = start(args()).await;
    fake.state.script([
        Fault::Unavailable,
        Fault::None,
        Fault::RateLimit,
        Fault::Internal,
    ]);
    assert_eq!(statuses(&fake, 3, 6).await, [503, 200, 429, 500, 200, 200]);
    assert_eq!(fake.state.scripted(), 0);
    assert_eq!(fake.state.total_faults(), 3);
    assert_eq!(fake.state.rewrites(), 3);
    fake.stop().await;
}

#[actix_web::test]
async fn a_page_fault_makes_one_chunk_fail_for_good() {
    let fake = start(args()).await;
    fake.state.fault_for_first_page(7, Fault::Unavailable);
    assert_eq!(statuses(&fake, 7, 3).await, [503, 503, 503]);
    assert_eq!(statuses(&fake, 3, 2).await, [200, 200]);
    // The script still goes first.
    fake.state.script([Fault::None]);
    assert_eq!(statuses(&fake, 7, 2).await, [200, 503]);
    assert_eq!(fake.state.attempts_for_first_page(7), 5);
    assert_eq!(fake.state.attempts_for_first_page(3), 2);
    fake.state.clear_first_page_faults();
    assert_eq!(statuses(&fake, 7, 1).await, [200]);
    fake.stop().await;
}

#[actix_web::test]
async fn the_fault_rate_bounds_are_exact() {
    let args = FakeGeminiArgs {
        fault_rate: 1.0,
        faults: vec![Fault::Internal, Fault::Unavailable],
        ..args()
    };
    let fake = start(args).await;
    let always = statuses(&fake, 3, 12).await;
    assert!(always.iter().all(|s| [500, 503].contains(s)), "{always:?}");
    fake.state.set_fault_rate(0.0);
    assert_eq!(statuses(&fake, 3, 12).await, [200; 12]);
    assert_eq!(fake.state.total_faults(), 12);
    fake.stop().await;
}

#[actix_web::test]
async fn the_draw_is_reproducible_from_the_seed() {
    let args = FakeGeminiArgs {
        fault_rate: 0.5,
        faults: vec![Fault::Internal],
        seed: 42,
        ..args()
    };
    let first = start(args.clone()).await;
    let second = start(args).await;
    let a = statuses(&first, 3, 16).await;
    let b = statuses(&second, 3, 16).await;
    assert_eq!(a, b);
    assert!(a.contains(&500) && a.contains(&200), "{a:?}");
    first.stop().await;
    second.stop().await;
}

#[actix_web::test]
async fn latency_delays_every_answer() {
    let args = FakeGeminiArgs {
        latency_ms: "150".parse().unwrap(),
        ..args()
    };
    let fake = start(args).await;
    let started = Instant::now();
    let (status, _) = generate(&fake, &request_for(&chunk(3), &Settings::default())).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    fake.stop().await;
}

#[actix_web::test]
async fn the_last_request_is_kept_for_client_tests() {
    let fake = start(args()).await;
    let request = request_for(&chunk(3), &Settings::default());
    generate(&fake, &request).await;
    assert_eq!(fake.state.last_request(), Some(request));
    fake.stop().await;
}

// --- Arguments -------------------------------------------------------------------------------

#[derive(Debug, clap::Parser)]
struct Cli {
    #[command(flatten)]
    args: FakeGeminiArgs,
}

#[test]
fn the_command_line_parses() {
    let cli = Cli::try_parse_from([
        "fnt",
        "--faults",
        "429,safety,truncated",
        "--latency-ms",
        "100-400",
        "--fault-rate",
        "0.25",
        "--api-key",
        "k",
    ])
    .unwrap();
    assert_eq!(
        cli.args.faults,
        [Fault::RateLimit, Fault::Safety, Fault::Truncated]
    );
    assert_eq!(
        cli.args.latency_ms,
        Latency {
            min_ms: 100,
            max_ms: 400
        }
    );
    assert_eq!(cli.args.fault_rate, 0.25);
    let defaults = Cli::try_parse_from(["fnt", "--api-key", "k"]).unwrap().args;
    assert_eq!(defaults.bind, "127.0.0.1:8089".parse().unwrap());
    assert_eq!(defaults.latency_ms, Latency::default());
    assert_eq!((defaults.hang_ms, defaults.seed), (30_000, 1));
    assert!(Cli::try_parse_from(["fnt", "--faults", "418"]).is_err());
}

#[test]
fn latencies_parse() {
    assert_eq!(
        "200".parse::<Latency>(),
        Ok(Latency {
            min_ms: 200,
            max_ms: 200
        })
    );
    assert_eq!("100-400".parse::<Latency>().unwrap().to_string(), "100-400");
    assert!("400-100".parse::<Latency>().is_err());
    assert!("fast".parse::<Latency>().is_err());
    let range = Latency {
        min_ms: 10,
        max_ms: 20,
    };
    for _ in 0..20 {
        let picked = range.pick();
        assert!((Duration::from_millis(10)..=Duration::from_millis(20)).contains(&picked));
    }
}

#[actix_web::test]
async fn nonsense_settings_are_refused() {
    let nonsense = [
        FakeGeminiArgs {
            fault_rate: 1.5,
            ..args()
        },
        FakeGeminiArgs {
            retry_delay_secs: -1.0,
            ..args()
        },
        FakeGeminiArgs {
            model_error_rate: -0.1,
            ..args()
        },
        FakeGeminiArgs {
            tokens_per_sec: f64::NAN,
            ..args()
        },
        FakeGeminiArgs {
            models: Vec::new(),
            ..args()
        },
        FakeGeminiArgs {
            models: vec![ModelSpec::new("a"), ModelSpec::new("a")],
            ..args()
        },
    ];
    for bad in nonsense {
        assert!(FakeGemini::start(bad).await.is_err());
    }
}
