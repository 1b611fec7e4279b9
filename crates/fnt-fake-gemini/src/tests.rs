//! The fake over real HTTP with awc: every answer is read back with `wire`'s classifiers, which
//! proves the client side and the fake agree on the wire format.

use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use clap::Parser;
use serde_json::{Value, json};

use super::*;
use fnt::engine::gemini::protocol::{self, Answered, Asked, Numbered, PageAnswer, Request};
use fnt::engine::gemini::wire::{
    self, ApiFailure, ContentFailure, GenerateContentRequest, GenerateContentResponse, Part,
    ThinkingConfig,
};
use fnt::engine::local::segment::segment;
use fnt::engine::local::shorten::within_limit;
use fnt::engine::local::{rewrite_chunk, segment_options};
use fnt::engine::{ChunkInput, PageStart};
use fnt::settings::Settings;

const KEY: &str = "fake-key";
const MODEL: &str = "gemini-3.5-flash";

const TEXT: &str = "Il pleuvait depuis le matin. Le vieil homme marchait lentement vers la \
                    gare, et il pensait à sa fille qui vivait à Paris depuis des années. « Elle \
                    ne m'écrit plus », murmura-t-il. Le train arriva enfin.";

/// The sentences of `text`, as the engine's segmentation finds them.
fn sentences_of(text: &str) -> Vec<String> {
    segment(text, segment_options(&Settings::default()))
        .into_iter()
        .map(|s| text[s.start..s.end].to_owned())
        .collect()
}

/// A first ask for `sentences`, numbered from `first_id`, between two lines of context.
fn ask(first_page: u32, before: &str, sentences: &[String], first_id: u32, after: &str) -> Request {
    Request {
        first_page,
        last_page: first_page + 1,
        what: Asked::Sentences {
            before: before.to_owned(),
            sentences: (first_id..)
                .zip(sentences)
                .map(|(id, text)| Numbered::new(id, text))
                .collect(),
            after: after.to_owned(),
        },
        corrections: Vec::new(),
        paraphrase: false,
    }
}

/// TEXT's middle sentences to rewrite; the first and last are context.
fn chunk(first_page: u32) -> Request {
    let all = sentences_of(TEXT);
    assert_eq!(all.len(), 4, "{all:?}");
    ask(first_page, &all[0], &all[1..3], 1, &all[3])
}

fn request_for(request: &Request, settings: &Settings) -> GenerateContentRequest {
    let prompt = protocol::prompt(request, settings);
    GenerateContentRequest::text_json(
        &prompt.system,
        vec![Part::text(prompt.user)],
        protocol::response_schema(),
        8192,
        0.2,
    )
}

/// The numbered sentences of a text request.
fn numbered(request: &Request) -> &[Numbered] {
    match &request.what {
        Asked::Sentences { sentences, .. } => sentences,
        Asked::Pages { .. } => panic!("a text request"),
    }
}

/// The local engine's pieces for `sentence` alone, shortened to the limit as a model writes
/// them.
fn local_pieces(sentence: &str, settings: &Settings) -> Vec<String> {
    let input = ChunkInput {
        index: 0,
        first_page: 1,
        last_page: 1,
        text: sentence.to_owned(),
        body_start: 0,
        body_end: sentence.len(),
        pages: vec![PageStart { offset: 0, page: 1 }],
        chapters: Vec::new(),
        pdf: None,
    };
    within_limit(rewrite_chunk(&input, settings).sentences, settings)
        .into_iter()
        .map(|s| s.normalized)
        .collect()
}

/// What a faultless model answers to `request`: per id, in order, the local engine's pieces
/// for that sentence alone.
fn expected_answer(request: &Request, settings: &Settings) -> Vec<Answered> {
    numbered(request)
        .iter()
        .map(|n| Answered {
            id: n.id,
            sentences: local_pieces(&n.text, settings),
        })
        .collect()
}

/// The answer's entries; `None` when the text is not the schema's JSON.
fn entries(text: &str) -> Option<Vec<Answered>> {
    serde_json::from_str(wire::strip_json_fences(text)).ok()
}

fn ids(entries: &[Answered]) -> Vec<u32> {
    entries.iter().map(|e| e.id).collect()
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
        assert_eq!(
            entries(&answer.text),
            Some(expected_answer(&input, &settings))
        );
        // Context sentences are not rewritten, and nothing is copied beside the pieces.
        assert!(!answer.text.contains("pleuvait") && !answer.text.contains("train"));
        assert!(!answer.text.contains("original"));
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
    // Four characters a token, each part rounded up.
    let prompt_tokens: usize = request.texts().map(|t| t.chars().count().div_ceil(4)).sum();
    let answer_tokens = text.chars().count().div_ceil(4);
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
    assert_eq!(
        entries(&answer.text),
        Some(expected_answer(&input, &Settings::default()))
    );
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
    let full = serde_json::to_string(&expected_answer(&chunk(3), &Settings::default())).unwrap();
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

// --- The simulated model -----------------------------------------------------------------------

const STORY: &str = "Il pleuvait depuis le matin. Le vieil homme marchait lentement vers la gare, \
                     et il pensait à sa fille qui vivait à Paris depuis des années. Elle ne lui \
                     écrivait plus depuis longtemps. Il acheta un billet pour le train de midi. \
                     Le guichetier lui sourit sans rien dire. Sur le quai, une femme attendait \
                     avec une valise rouge qui semblait très lourde. Le train arriva enfin. Il \
                     monta dans le dernier wagon et s'assit près de la fenêtre.";

fn story() -> Vec<String> {
    let sentences = sentences_of(STORY);
    assert_eq!(sentences.len(), 8, "{sentences:?}");
    sentences
}

/// The position of the story's sentence that starts with `start`.
fn story_from(start: &str) -> usize {
    story()
        .iter()
        .position(|s| s.starts_with(start))
        .expect("a sentence of the story")
}

/// The story from its sentence `from` on, numbered from 1, the sentence before it as context.
fn story_ask(from: usize) -> Request {
    let all = story();
    let before = from.checked_sub(1).map_or("", |i| all[i].as_str());
    ask(1, before, &all[from..], 1, "")
}

fn story_request(from: usize) -> GenerateContentRequest {
    request_for(&story_ask(from), &Settings::default())
}

async fn answer_text(fake: &FakeGemini, request: &GenerateContentRequest) -> String {
    let (status, body) = generate(fake, request).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    wire::read_answer(&response(&body)).expect("an answer").text
}

/// The answer's entries to `request`, asserting that it is the schema's JSON.
async fn answered(fake: &FakeGemini, request: &Request) -> Vec<Answered> {
    let text = answer_text(fake, &request_for(request, &Settings::default())).await;
    entries(&text).unwrap_or_else(|| panic!("not the schema's JSON: {text}"))
}

/// The sentence each id of `request` stands for.
fn text_of(request: &Request, id: u32) -> String {
    numbered(request)
        .iter()
        .find(|n| n.id == id)
        .map(|n| n.text.clone())
        .unwrap_or_else(|| panic!("id {id} was not asked"))
}

fn lower_words(text: &str) -> Vec<String> {
    fnt::engine::local::words::words(text)
        .into_iter()
        .map(str::to_lowercase)
        .collect()
}

/// A model that makes `kinds` at `rate`; no recitation check, which a long sentence answered
/// whole would trip (see `copying_a_long_sentence_back_is_refused_as_recitation_every_time`).
async fn erring(kinds: &[ModelError], rate: f64) -> FakeGemini {
    start(FakeGeminiArgs {
        model_error_rate: rate,
        model_errors: kinds.to_vec(),
        recitation_words: 0,
        ..args()
    })
    .await
}

fn total_errors(fake: &FakeGemini) -> u64 {
    fake.state.total_model_errors()
}

#[actix_web::test]
async fn a_retry_gets_the_same_mistakes_whatever_the_seed_or_model() {
    let request = story_request(0);
    let first = erring(&[], 0.5).await;
    let text = answer_text(&first, &request).await;
    assert_eq!(answer_text(&first, &request).await, text, "a retry");
    assert!(
        total_errors(&first) > 0,
        "at 50% the model errs on this story"
    );

    // Another fake, another fault seed, another model: the same content, the same answer.
    let second = start(FakeGeminiArgs {
        seed: 99,
        model_error_rate: 0.5,
        recitation_words: 0,
        models: vec![ModelSpec::new("gemini-3.8-flash")],
        ..args()
    })
    .await;
    let body = serde_json::to_vec(&request).unwrap();
    let (status, reply) = post(
        &second,
        "/v1beta/models/gemini-3.8-flash:generateContent",
        Some(KEY),
        body,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(wire::read_answer(&response(&reply)).unwrap().text, text);
    first.stop().await;
    second.stop().await;
}

#[actix_web::test]
async fn a_sentence_gets_the_same_pieces_in_another_request() {
    let fake = erring(
        &[
            ModelError::OverLimit,
            ModelError::Fragment,
            ModelError::Invent,
        ],
        0.6,
    )
    .await;
    let clean = start(args()).await;
    let (whole_ask, half_ask) = (story_ask(0), story_ask(story_from("Il acheta")));
    let whole = answered(&fake, &whole_ask).await;
    // The second half alone, renumbered from 1, as when a chunk is halved.
    let half = answered(&fake, &half_ask).await;
    let baseline = answered(&clean, &whole_ask).await;
    assert!(half.len() < whole.len());
    let pieces_of = |request: &Request, got: &[Answered], sentence: &str| -> Vec<String> {
        got.iter()
            .filter(|e| text_of(request, e.id) == sentence)
            .flat_map(|e| e.sentences.clone())
            .collect()
    };
    for entry in &half {
        let sentence = text_of(&half_ask, entry.id);
        assert_eq!(
            pieces_of(&half_ask, &half, &sentence),
            pieces_of(&whole_ask, &whole, &sentence)
        );
    }
    assert_ne!(
        whole, baseline,
        "at 60% some sentence of the story is damaged"
    );
    fake.stop().await;
    clean.stop().await;
}

/// The story answered by a model that always makes `kind`, beside the faultless answer.
async fn with_mistake(kind: ModelError) -> (Vec<Answered>, Vec<Answered>, u64) {
    let fake = erring(&[kind], 1.0).await;
    let clean = start(args()).await;
    let got = answer_text(&fake, &story_request(0)).await;
    let baseline = answered(&clean, &story_ask(0)).await;
    let count = fake.state.model_errors(kind);
    fake.stop().await;
    clean.stop().await;
    (entries(&got).unwrap_or_default(), baseline, count)
}

#[actix_web::test]
async fn over_limit_answers_a_long_sentence_whole() {
    let (got, baseline, count) = with_mistake(ModelError::OverLimit).await;
    let request = story_ask(0);
    let limit = Settings::default().sentence_length_limit as usize;
    let long: Vec<u32> = ids(&baseline)
        .into_iter()
        .filter(|&id| fnt::engine::local::words::word_count(&text_of(&request, id)) > limit)
        .collect();
    assert!(!long.is_empty());
    assert_eq!(count, long.len() as u64);
    for entry in &got {
        if long.contains(&entry.id) {
            assert_eq!(entry.sentences, [text_of(&request, entry.id)]);
        } else {
            assert!(baseline.contains(entry), "{entry:?}");
        }
    }
    assert_eq!(ids(&got), ids(&baseline));
}

#[actix_web::test]
async fn a_fragment_cuts_a_piece_without_losing_its_words() {
    let (got, baseline, count) = with_mistake(ModelError::Fragment).await;
    assert!(count > 0);
    assert_eq!(ids(&got), ids(&baseline));
    let pieces = |entries: &[Answered]| entries.iter().map(|e| e.sentences.len()).sum::<usize>();
    assert!(pieces(&got) > pieces(&baseline), "a fragment adds a piece");
    for (got, baseline) in got.iter().zip(&baseline) {
        let words_of = |e: &Answered| -> Vec<String> {
            e.sentences.iter().flat_map(|p| lower_words(p)).collect()
        };
        assert_eq!(words_of(got), words_of(baseline), "{}", got.id);
    }
    // "Le vieil homme." has no verb: the kind of piece a careless model writes.
    let new_pieces: Vec<&String> = got
        .iter()
        .flat_map(|e| &e.sentences)
        .filter(|p| !baseline.iter().any(|b| b.sentences.contains(p)))
        .collect();
    assert!(
        new_pieces
            .iter()
            .any(|p| *p == "Le vieil homme." || p.starts_with("Qui ")),
        "{new_pieces:?}"
    );
}

#[actix_web::test]
async fn a_merge_answers_the_next_id_under_its_own() {
    let (got, baseline, count) = with_mistake(ModelError::Merge).await;
    // Every sentence merges with the next: ids 1+2, 3+4, 5+6, 7+8.
    assert_eq!(count, 4);
    assert_eq!(ids(&got), [1, 3, 5, 7]);
    for (entry, pair) in got.iter().zip(baseline.chunks(2)) {
        let both: Vec<String> = pair.iter().flat_map(|e| e.sentences.clone()).collect();
        assert_eq!(entry.sentences, both);
    }
    // Protocol v2 answers copy no original: a merge of two long sentences is not recited.
    let strict = start(FakeGeminiArgs {
        model_error_rate: 1.0,
        model_errors: vec![ModelError::Merge],
        ..args()
    })
    .await;
    let (status, body) = generate(&strict, &story_request(0)).await;
    assert_eq!(status, 200);
    assert_eq!(parse(&body)["candidates"][0]["finishReason"], "STOP");
    strict.stop().await;
}

#[actix_web::test]
async fn a_drop_leaves_ids_out() {
    let (got, baseline, count) = with_mistake(ModelError::Drop).await;
    assert_eq!(
        count,
        baseline.len() as u64,
        "at 100% every sentence is dropped"
    );
    assert!(got.is_empty());
    // At a lower rate, some are kept, in order, with their own pieces.
    let fake = erring(&[ModelError::Drop], 0.5).await;
    let some = answered(&fake, &story_ask(0)).await;
    assert_eq!(
        some.len() as u64,
        baseline.len() as u64 - fake.state.model_errors(ModelError::Drop)
    );
    assert!(!some.is_empty() && some.iter().all(|e| baseline.contains(e)));
    assert!(ids(&some).windows(2).all(|w| w[0] < w[1]), "{some:?}");
    fake.stop().await;
}

#[actix_web::test]
async fn a_reorder_swaps_neighbouring_entries() {
    let (got, baseline, count) = with_mistake(ModelError::Reorder).await;
    assert_eq!(count, 4);
    assert_eq!(ids(&got), [2, 1, 4, 3, 6, 5, 8, 7]);
    for entry in &got {
        assert!(baseline.contains(entry), "nothing changed but the order");
    }
}

#[actix_web::test]
async fn an_invented_word_is_not_in_the_source() {
    let (got, baseline, count) = with_mistake(ModelError::Invent).await;
    let request = story_ask(0);
    assert_eq!(count, baseline.len() as u64);
    let invented: Vec<String> = got
        .iter()
        .flat_map(|e| {
            let source = lower_words(&text_of(&request, e.id));
            e.sentences
                .iter()
                .flat_map(|p| lower_words(p))
                .filter(|w| !source.contains(w))
                .collect::<Vec<_>>()
        })
        .collect();
    // The local engine restores subjects ("Il"), which the source may lack; the model's own
    // words are among its favourites.
    assert!(
        invented.iter().any(|w| [
            "soudain",
            "doucement",
            "vraiment",
            "toujours",
            "alors",
            "encore"
        ]
        .contains(&w.as_str())),
        "{invented:?}"
    );
    assert_eq!(ids(&got), ids(&baseline));
}

#[actix_web::test]
async fn a_duplicate_id_answers_an_id_twice() {
    let (got, baseline, count) = with_mistake(ModelError::DuplicateId).await;
    assert_eq!(count, baseline.len() as u64);
    assert_eq!(got.len(), 2 * baseline.len());
    let words = |e: &Answered| -> usize { e.sentences.iter().map(|p| lower_words(p).len()).sum() };
    let (mut same, mut changed) = (0, 0);
    for (pair, expected) in got.chunks(2).zip(&baseline) {
        assert_eq!(&pair[0], expected);
        assert_eq!(pair[1].id, expected.id);
        if pair[1] == *expected {
            same += 1;
        } else {
            // The second answer has a word more, in the same number of pieces.
            assert_eq!(pair[1].sentences.len(), expected.sentences.len());
            assert_eq!(words(&pair[1]), words(expected) + 1, "{pair:?}");
            changed += 1;
        }
    }
    assert!(
        same > 0 && changed > 0,
        "{same} the same, {changed} changed"
    );
}

#[actix_web::test]
async fn an_unknown_id_holds_a_context_sentence_rewritten() {
    let fake = erring(&[ModelError::UnknownId], 1.0).await;
    let all = story();
    // The story's last sentence is the context after the seven asked.
    let request = ask(1, "", &all[..7], 1, &all[7]);
    let got = answered(&fake, &request).await;
    let expected = expected_answer(&request, &Settings::default());
    let context = local_pieces(&all[7], &Settings::default());
    assert_eq!(ids(&got), [1, 8, 2, 9, 3, 10, 4, 11, 5, 12, 6, 13, 7, 14]);
    for (pair, expected) in got.chunks(2).zip(&expected) {
        assert_eq!(&pair[0], expected);
        assert_eq!(pair[1].sentences, context);
    }
    assert_eq!(fake.state.model_errors(ModelError::UnknownId), 7);
    // Context before only: its last sentence is the one rewritten.
    let request = ask(1, &format!("{} {}", all[0], all[1]), &all[2..4], 5, "");
    let got = answered(&fake, &request).await;
    assert_eq!(ids(&got), [5, 7, 6, 8]);
    assert_eq!(
        got[1].sentences,
        local_pieces(&all[1], &Settings::default())
    );
    // Without context, the made-up id holds the sentence's own pieces.
    let request = ask(1, "", &all[..2], 1, "");
    let got = answered(&fake, &request).await;
    assert_eq!(ids(&got), [1, 3, 2, 4]);
    assert_eq!(got[0].sentences, got[1].sentences);
    fake.stop().await;
}

#[actix_web::test]
async fn malformed_json_depends_on_the_whole_request() {
    let fake = erring(&[ModelError::Malformed], 1.0).await;
    let request = story_request(0);
    let text = answer_text(&fake, &request).await;
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(
        answer_text(&fake, &request).await,
        text,
        "the same damage on retry"
    );
    assert_eq!(fake.state.model_errors(ModelError::Malformed), 2);
    // At a partial rate, some requests are damaged and others not, the same each time.
    let some = erring(&[ModelError::Malformed], 0.5).await;
    let mut damaged = 0;
    let count = story().len();
    for from in 0..count {
        let request = story_request(from);
        let text = answer_text(&some, &request).await;
        assert_eq!(answer_text(&some, &request).await, text);
        damaged += usize::from(serde_json::from_str::<Value>(&text).is_err());
    }
    assert!(
        damaged > 0 && damaged < count,
        "{damaged} of {count} damaged"
    );
    fake.stop().await;
    some.stop().await;
}

#[actix_web::test]
async fn mistakes_are_recorded_with_their_ids_and_sentences() {
    let sentence_kinds: Vec<ModelError> = ModelError::ALL
        .into_iter()
        .filter(|&k| k != ModelError::Malformed)
        .collect();
    let fake = erring(&sentence_kinds, 0.6).await;
    let request = story_ask(0);
    let got = answered(&fake, &request).await;
    let expected = expected_answer(&request, &Settings::default());
    let mistakes = fake.state.mistakes();
    assert!(mistakes.len() >= 2, "{mistakes:?}");
    let position = |id: u32| ids(&got).iter().position(|&i| i == id);
    let entry = |id: u32| got.iter().find(|e| e.id == id);
    let right = |id: u32| expected.iter().find(|e| e.id == id);
    for mistake in &mistakes {
        let id = mistake.ids[0];
        assert!(!mistake.reask && mistake.page.is_none());
        let sentence = mistake.sentence.as_deref();
        match mistake.kind {
            ModelError::Drop => assert_eq!(position(id), None),
            ModelError::Merge => {
                assert_eq!(position(mistake.ids[1]), None);
                let both: Vec<String> = [id, mistake.ids[1]]
                    .iter()
                    .flat_map(|&id| right(id).unwrap().sentences.clone())
                    .collect();
                assert_eq!(entry(id).unwrap().sentences, both);
            }
            ModelError::Reorder => assert!(position(mistake.ids[1]) < position(id)),
            ModelError::DuplicateId => {
                assert_eq!(got.iter().filter(|e| e.id == id).count(), 2);
            }
            ModelError::UnknownId => {
                assert!(id > 8 && position(id).is_some());
                // The sentence is the one answered before the made-up id.
                let before = got[position(id).unwrap() - 1].id;
                assert_eq!(sentence, Some(text_of(&request, before).as_str()));
                continue;
            }
            ModelError::OverLimit | ModelError::Fragment | ModelError::Invent => {
                assert_ne!(entry(id), right(id));
            }
            ModelError::Malformed => unreachable!("not enabled"),
        }
        assert_eq!(
            sentence,
            Some(text_of(&request, id).as_str()),
            "{mistake:?}"
        );
    }
    let counts = fake.state.model_error_counts();
    assert!(counts.len() >= 3, "several kinds at 60%: {counts:?}");
    assert_eq!(counts.values().sum::<u64>(), mistakes.len() as u64);
    assert_eq!(fake.state.total_model_errors(), mistakes.len() as u64);
    for (kind, count) in &counts {
        let listed = mistakes.iter().filter(|m| m.kind == *kind).count();
        assert_eq!(listed as u64, *count, "{kind}");
    }
    // A re-ask's mistakes say so; a damaged answer is one mistake without ids.
    answered(&fake, &corrected(&request, &[1])).await;
    let reasked: Vec<_> = fake.state.mistakes().split_off(mistakes.len());
    assert!(!reasked.is_empty() && reasked.iter().all(|m| m.reask));
    let malformed = erring(&[ModelError::Malformed], 1.0).await;
    answer_text(&malformed, &request_for(&request, &Settings::default())).await;
    assert_eq!(
        malformed.state.mistakes(),
        [Mistake {
            kind: ModelError::Malformed,
            ids: Vec::new(),
            page: None,
            sentence: None,
            reask: false
        }]
    );
    fake.stop().await;
    malformed.stop().await;
}

// --- Re-asks -----------------------------------------------------------------------------------

/// `request` asked again with corrections for `ids`.
fn corrected(request: &Request, ids: &[u32]) -> Request {
    Request {
        corrections: ids
            .iter()
            .map(|&id| (id, format!("the answer to [{id}] failed a check")))
            .collect(),
        ..request.clone()
    }
}

#[actix_web::test]
async fn a_reask_is_answered_from_another_seed_domain() {
    // The kinds a sentence alone can get, so each request's answer is its sentence's.
    let kinds = [
        ModelError::OverLimit,
        ModelError::Fragment,
        ModelError::Drop,
        ModelError::Invent,
        ModelError::DuplicateId,
        ModelError::UnknownId,
    ];
    let fake = erring(&kinds, 0.5).await;
    let (mut wrong_first, mut wrong_again, mut mended) = (0, 0, 0);
    for sentence in story() {
        let first = ask(1, "", std::slice::from_ref(&sentence), 1, "");
        let right = expected_answer(&first, &Settings::default());
        let first_answer = answered(&fake, &first).await;
        let again = corrected(&first, &[1]);
        let reasked = answered(&fake, &again).await;
        assert_eq!(
            answered(&fake, &again).await,
            reasked,
            "a re-ask is repeatable"
        );
        wrong_first += usize::from(first_answer != right);
        wrong_again += usize::from(reasked != right);
        mended += usize::from(first_answer != right && reasked == right);
    }
    // Each sentence is drawn afresh: some mistakes are mended, and the re-asks still err.
    assert!(
        wrong_first > 0 && wrong_again > 0,
        "{wrong_first}, {wrong_again}"
    );
    assert!(mended > 0, "{mended} of {wrong_first} mended");
    assert_eq!(fake.state.correction_requests(), 16);
    assert_eq!(fake.state.paraphrase_requests(), 0);

    // A model that always errs still errs when corrected.
    let always = erring(&kinds, 1.0).await;
    let again = corrected(&story_ask(0), &[1, 2]);
    assert_ne!(
        answered(&always, &again).await,
        expected_answer(&again, &Settings::default())
    );
    assert!(total_errors(&always) > 0);
    fake.stop().await;
    always.stop().await;
}

#[actix_web::test]
async fn a_paraphrase_never_copies_a_sentence_whole() {
    let fake = start(FakeGeminiArgs {
        model_error_rate: 1.0,
        model_errors: vec![ModelError::OverLimit],
        ..args()
    })
    .await;
    // Copied whole, the long sentence is recited; told to paraphrase, the model cuts it.
    let first = long_sentence_ask();
    let (_, body) = generate(&fake, &request_for(&first, &Settings::default())).await;
    assert_eq!(parse(&body)["candidates"][0]["finishReason"], "RECITATION");
    let paraphrase = Request {
        paraphrase: true,
        ..first
    };
    assert_eq!(
        answered(&fake, &paraphrase).await,
        expected_answer(&paraphrase, &Settings::default())
    );
    // Nor any other sentence, though over-limit is the only mistake this model makes.
    let story = Request {
        paraphrase: true,
        ..story_ask(0)
    };
    assert_eq!(
        answered(&fake, &story).await,
        expected_answer(&story, &Settings::default())
    );
    assert_eq!(fake.state.model_errors(ModelError::OverLimit), 0);
    assert_eq!(fake.state.paraphrase_requests(), 2);
    assert_eq!(fake.state.correction_requests(), 0);
    fake.stop().await;
}

#[actix_web::test]
async fn reasks_and_their_corrections_are_counted() {
    let fake = start(args()).await;
    fake.state.script([Fault::Unavailable]);
    let again = corrected(&chunk(3), &[2]);
    // Counted whatever becomes of the request.
    assert_eq!(
        generate(&fake, &request_for(&again, &Settings::default()))
            .await
            .0,
        503
    );
    let both = Request {
        paraphrase: true,
        ..corrected(&chunk(3), &[1, 2])
    };
    assert_eq!(
        generate(&fake, &request_for(&both, &Settings::default()))
            .await
            .0,
        200
    );
    generate(&fake, &request_for(&chunk(3), &Settings::default())).await;
    assert_eq!(fake.state.correction_requests(), 2);
    assert_eq!(fake.state.paraphrase_requests(), 1);
    let reason = |id: u32| format!("the answer to [{id}] failed a check");
    assert_eq!(
        fake.state.corrections(),
        [(2, reason(2)), (1, reason(1)), (2, reason(2))]
    );
    fake.stop().await;
}

// --- RECITATION --------------------------------------------------------------------------------

/// 35 words, which the local engine cuts into three pieces of at most 12.
const LONG_SENTENCE: &str = "Le vieil homme marchait lentement vers la gare, et il pensait à sa \
                             fille qui vivait à Paris depuis des années, et il se demandait si \
                             elle viendrait le voir avant la fin de l'hiver.";

fn long_sentence_ask() -> Request {
    ask(1, "", &[LONG_SENTENCE.to_owned()], 1, "")
}

#[actix_web::test]
async fn copying_a_long_sentence_back_is_refused_as_recitation_every_time() {
    let fake = start(FakeGeminiArgs {
        model_error_rate: 1.0,
        model_errors: vec![ModelError::OverLimit],
        ..args()
    })
    .await;
    let request = request_for(&long_sentence_ask(), &Settings::default());
    for _ in 0..2 {
        let (status, body) = generate(&fake, &request).await;
        assert_eq!(status, 200);
        let raw = parse(&body);
        let candidate = &raw["candidates"][0];
        assert_eq!(candidate["finishReason"], "RECITATION");
        assert!(candidate.get("content").is_none(), "{candidate}");
        let source = &candidate["citationMetadata"]["citationSources"][0];
        let (start, end) = (
            source["startIndex"].as_u64().unwrap() as usize,
            source["endIndex"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            end - start,
            LONG_SENTENCE.len(),
            "the cited span is the sentence copied whole"
        );
        assert!(raw["usageMetadata"].get("candidatesTokenCount").is_none());
        assert_eq!(
            wire::read_answer(&response(&body)),
            Err(ContentFailure::Refused {
                finish_reason: "RECITATION".into()
            })
        );
    }
    assert_eq!(fake.state.recitations(), 2);
    assert_eq!(
        fake.state.recited_requests(),
        vec![vec![LONG_SENTENCE.to_owned()]; 2],
        "each refusal names the sentences it was about"
    );
    assert_eq!(fake.state.rewrites(), 0);
    assert_eq!(fake.state.total_faults(), 0, "a verdict, not a drawn fault");
    assert_eq!(
        fake.state.model_errors(ModelError::OverLimit),
        0,
        "a refused answer makes no mistake"
    );
    // Rewritten in short pieces, the same sentence is not recited, and the check can be
    // turned off.
    let faultless = start(args()).await;
    assert_eq!(
        answered(&faultless, &long_sentence_ask()).await,
        expected_answer(&long_sentence_ask(), &Settings::default())
    );
    let lenient = start(FakeGeminiArgs {
        model_error_rate: 1.0,
        model_errors: vec![ModelError::OverLimit],
        recitation_words: 0,
        ..args()
    })
    .await;
    assert_eq!(
        answered(&lenient, &long_sentence_ask()).await,
        [Answered {
            id: 1,
            sentences: vec![LONG_SENTENCE.to_owned()]
        }]
    );
    fake.stop().await;
    faultless.stop().await;
    lenient.stop().await;
}

#[actix_web::test]
async fn recitation_can_be_scripted() {
    let (fake, status, body) = with_fault(Fault::Recitation, args()).await;
    assert_eq!(status, 200);
    let candidate = &parse(&body)["candidates"][0];
    assert_eq!(candidate["finishReason"], "RECITATION");
    assert!(
        candidate.get("citationMetadata").is_none(),
        "nothing was recited"
    );
    assert_eq!(fake.state.recitations(), 1);
    fake.stop().await;
}

// --- PDF input ---------------------------------------------------------------------------------

/// The first two chapters of the test novel, typeset.
fn book() -> fnt_testkit::pdf::Fixture {
    fnt_testkit::pdf::book_pdf(
        &fnt_testkit::novel::chapters()[..2],
        &fnt_testkit::pdf::FixtureOptions::default(),
    )
}

fn pages_ask(pdf_first_page: u32, first_page: u32, last_page: u32) -> Request {
    Request {
        first_page,
        last_page,
        what: Asked::Pages { pdf_first_page },
        corrections: Vec::new(),
        paraphrase: false,
    }
}

fn pdf_request(pdf: &[u8], request: &Request) -> GenerateContentRequest {
    let prompt = protocol::prompt(request, &Settings::default());
    GenerateContentRequest::text_json(
        &prompt.system,
        vec![Part::pdf(pdf), Part::text(prompt.user)],
        protocol::response_schema_for_pages(),
        65_536,
        0.2,
    )
}

/// The pages the fake answers, read strictly.
async fn pages_answered(fake: &FakeGemini, pdf: &[u8], request: &Request) -> Vec<PageAnswer> {
    let text = answer_text(fake, &pdf_request(pdf, request)).await;
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// What the local engine reads on book pages `first..=last` of `pdf`, per page: each source
/// sentence that starts there, with its pieces.
fn local_pages(pdf: &[u8], pdf_first_page: u32, first: u32, last: u32) -> Vec<PageAnswer> {
    let options = fnt::pdf::clean::CleanOptions {
        fix_hyphenation: Settings::default().fix_hyphenation,
    };
    let (book, _) = fnt::pdf::read_book(pdf, options).unwrap();
    let input = fnt::pdf::plan::book_chunk(&book, pdf_first_page, 0, first..=last);
    let settings = Settings::default();
    let written = within_limit(rewrite_chunk(&input, &settings).sentences, &settings);
    let groups = fnt::engine::source_groups(&written);
    (first..=last)
        .map(|page| protocol::PageAnswer {
            page,
            sources: groups
                .iter()
                .map(|g| &written[g.clone()])
                .filter(|pieces| pieces[0].page == page)
                .map(|pieces| protocol::PageSource {
                    original: pieces[0].original.to_string(),
                    sentences: pieces.iter().map(|s| s.normalized.clone()).collect(),
                })
                .collect(),
        })
        .collect()
}

#[actix_web::test]
async fn pdf_pages_are_answered_page_by_page() {
    let fake = start(FakeGeminiArgs {
        recitation_words: 0,
        ..args()
    })
    .await;
    let book = book();
    assert!(book.page_count >= 4, "{book:?}");
    // The PDF starts at book page 10; 11 and 12 are asked, the others are context.
    let got = pages_answered(&fake, &book.pdf, &pages_ask(10, 11, 12)).await;
    assert_eq!(got.iter().map(|p| p.page).collect::<Vec<_>>(), [11, 12]);
    assert_eq!(got, local_pages(&book.pdf, 10, 11, 12));
    assert!(got.iter().all(|p| !p.sources.is_empty()), "{got:?}");
    let asked: Vec<&str> = got
        .iter()
        .flat_map(|p| &p.sources)
        .map(|s| s.original.as_str())
        .collect();
    for context in local_pages(&book.pdf, 10, 10, 10)[0].sources.iter() {
        assert!(!asked.contains(&context.original.as_str()), "{context:?}");
    }
    assert_eq!(fake.state.pdf_requests(), 1);

    // A scan without text: every page of the range answered, without sources.
    let scan = fnt_testkit::pdf::image_only_pdf(3);
    assert_eq!(
        pages_answered(&fake, &scan, &pages_ask(5, 5, 7)).await,
        (5..=7)
            .map(|page| PageAnswer {
                page,
                sources: Vec::new()
            })
            .collect::<Vec<_>>()
    );

    // Pages named without a PDF attached.
    let mut no_pdf = pdf_request(&book.pdf, &pages_ask(1, 1, 1));
    no_pdf.contents[0].parts.remove(0);
    let (status, body) = generate(&fake, &no_pdf).await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("no application/pdf part"));
    fake.stop().await;
}

#[actix_web::test]
async fn pdf_answers_are_refused_for_the_originals_they_transcribe() {
    let fake = start(FakeGeminiArgs {
        recitation_words: 12,
        ..args()
    })
    .await;
    let book = book();
    let (status, body) = generate(&fake, &pdf_request(&book.pdf, &pages_ask(1, 1, 2))).await;
    assert_eq!(status, 200);
    let candidate = &parse(&body)["candidates"][0];
    assert_eq!(candidate["finishReason"], "RECITATION");
    // The span cited is an original as the answer transcribes it (escaped, without quotes).
    let expected = local_pages(&book.pdf, 1, 1, 2);
    let full = serde_json::to_string(&expected).unwrap();
    let source = &candidate["citationMetadata"]["citationSources"][0];
    let span = &full[source["startIndex"].as_u64().unwrap() as usize
        ..source["endIndex"].as_u64().unwrap() as usize];
    assert!(
        expected
            .iter()
            .flat_map(|p| &p.sources)
            .any(|s| serde_json::to_string(&s.original).unwrap() == format!("\"{span}\"")),
        "{span}"
    );
    assert_eq!(fake.state.recitations(), 1);
    fake.stop().await;
}

fn pages_of(answer: &[PageAnswer]) -> Vec<u32> {
    answer.iter().map(|p| p.page).collect()
}

#[actix_web::test]
async fn pdf_sentence_mistakes_stay_within_their_page() {
    let book = book();
    let request = pages_ask(10, 11, 12);
    let expected = local_pages(&book.pdf, 10, 11, 12);
    let limit = Settings::default().sentence_length_limit as usize;
    let fake = erring(&[ModelError::OverLimit], 1.0).await;
    let got = pages_answered(&fake, &book.pdf, &request).await;
    assert_eq!(pages_of(&got), [11, 12]);
    let mut long = 0;
    for (page, expected) in got.iter().zip(&expected) {
        assert_eq!(page.sources.len(), expected.sources.len());
        for (source, expected) in page.sources.iter().zip(&expected.sources) {
            assert_eq!(source.original, expected.original);
            if fnt::engine::local::words::word_count(&source.original) > limit {
                let whole = source.original.split_whitespace().collect::<Vec<_>>();
                assert_eq!(source.sentences, [whole.join(" ")]);
                long += 1;
            } else {
                assert_eq!(source, expected);
            }
        }
    }
    assert!(long > 0);
    let mistakes = fake.state.mistakes();
    assert_eq!(mistakes.len(), long);
    assert!(
        mistakes
            .iter()
            .all(|m| m.ids.is_empty() && m.sentence.is_some() && matches!(m.page, Some(11 | 12)))
    );

    // A merge joins two sources of a page, never two pages.
    let merging = erring(&[ModelError::Merge], 1.0).await;
    let got = pages_answered(&merging, &book.pdf, &request).await;
    assert_eq!(pages_of(&got), [11, 12]);
    for (page, expected) in got.iter().zip(&expected) {
        assert_eq!(page.sources.len(), expected.sources.len().div_ceil(2));
        assert_eq!(
            page.sources[0].original,
            format!(
                "{} {}",
                expected.sources[0].original, expected.sources[1].original
            )
        );
    }
    fake.stop().await;
    merging.stop().await;
}

#[actix_web::test]
async fn pdf_pages_go_missing_come_twice_or_bring_a_context_page() {
    let book = book();
    let request = pages_ask(10, 11, 12);
    let expected = local_pages(&book.pdf, 10, 11, 12);

    let dropping = erring(&[ModelError::Drop], 1.0).await;
    assert!(
        pages_answered(&dropping, &book.pdf, &request)
            .await
            .is_empty()
    );
    let dropped: Vec<_> = dropping
        .state
        .mistakes()
        .iter()
        .map(|m| (m.kind, m.page, m.sentence.is_none()))
        .collect();
    assert_eq!(
        dropped,
        [
            (ModelError::Drop, Some(11), true),
            (ModelError::Drop, Some(12), true)
        ]
    );

    let twice = erring(&[ModelError::DuplicateId], 1.0).await;
    let got = pages_answered(&twice, &book.pdf, &request).await;
    assert_eq!(pages_of(&got), [11, 11, 12, 12]);
    assert_eq!(
        got,
        [&expected[0], &expected[0], &expected[1], &expected[1]].map(Clone::clone)
    );
    assert_eq!(twice.state.model_errors(ModelError::DuplicateId), 2);

    let beyond = erring(&[ModelError::UnknownId], 1.0).await;
    let got = pages_answered(&beyond, &book.pdf, &request).await;
    assert_eq!(pages_of(&got), [10, 11, 12]);
    assert_eq!(got[0], local_pages(&book.pdf, 10, 10, 10)[0]);
    assert_eq!(&got[1..], expected.as_slice());
    assert_eq!(beyond.state.mistakes()[0].page, Some(10));
    // Without a page before the range in the PDF, there is none to answer.
    let got = pages_answered(&beyond, &book.pdf, &pages_ask(10, 10, 11)).await;
    assert_eq!(pages_of(&got), [10, 11]);
    assert_eq!(beyond.state.model_errors(ModelError::UnknownId), 1);

    // A page re-asked draws afresh: at 50%, some page's fate changes.
    let half = erring(&[ModelError::Drop], 0.5).await;
    let all_pages = pages_ask(1, 1, book.page_count);
    let first = pages_answered(&half, &book.pdf, &all_pages).await;
    let again = Request {
        corrections: vec![(1, "page 1 was missing".to_owned())],
        ..all_pages.clone()
    };
    let reasked = pages_answered(&half, &book.pdf, &again).await;
    assert_ne!(first, reasked);
    assert_eq!(pages_answered(&half, &book.pdf, &again).await, reasked);
    dropping.stop().await;
    twice.stop().await;
    beyond.stop().await;
    half.stop().await;
}

// --- Thinking ----------------------------------------------------------------------------------

fn with_thinking(
    mut request: GenerateContentRequest,
    thinking: ThinkingConfig,
) -> GenerateContentRequest {
    request.generation_config.as_mut().unwrap().thinking_config = Some(thinking);
    request
}

fn usage_of(body: &[u8]) -> wire::UsageMetadata {
    response(body).usage_metadata.unwrap_or_default()
}

#[actix_web::test]
async fn thinking_follows_the_level_and_the_answer_size() {
    let fake = start(args()).await;
    let level = |name: &str, from: usize| {
        with_thinking(
            story_request(from),
            ThinkingConfig {
                thinking_level: Some(name.into()),
                ..ThinkingConfig::default()
            },
        )
    };
    let mut thoughts = Vec::new();
    for name in ["minimal", "low", "medium", "high"] {
        let (status, body) = generate(&fake, &level(name, 0)).await;
        assert_eq!(status, 200);
        thoughts.push(usage_of(&body).thoughts_token_count);
    }
    assert!(thoughts.windows(2).all(|w| w[0] < w[1]), "{thoughts:?}");
    let (_, short) = generate(&fake, &level("high", story_from("Le train"))).await;
    assert!(
        usage_of(&short).thoughts_token_count < thoughts[3],
        "less to write, less to think"
    );
    // Unasked, the thoughts stay out of the answer but not out of the bill.
    let (_, body) = generate(&fake, &level("high", 0)).await;
    let resp = response(&body);
    assert_eq!(resp.candidates[0].content.as_ref().unwrap().parts.len(), 1);
    let usage = usage_of(&body);
    assert_eq!(
        usage.total_token_count,
        usage.prompt_token_count + usage.candidates_token_count + usage.thoughts_token_count
    );
    fake.stop().await;
}

#[actix_web::test]
async fn thinking_that_eats_the_budget_leaves_no_text() {
    let fake = start(args()).await;
    let mut request = story_request(0);
    request
        .generation_config
        .as_mut()
        .unwrap()
        .max_output_tokens = Some(100);
    let (status, body) = generate(&fake, &request).await;
    assert_eq!(status, 200);
    let raw = parse(&body);
    assert_eq!(raw["candidates"][0]["finishReason"], "MAX_TOKENS");
    assert_eq!(raw["candidates"][0]["content"], json!({"role": "model"}));
    assert_eq!(usage_of(&body).thoughts_token_count, 100);
    assert_eq!(
        wire::read_answer(&response(&body)),
        Err(ContentFailure::Truncated {
            partial: String::new()
        })
    );
    // A 2.5 Flash with thinking off spends the whole budget on the answer.
    let fake25 = start(FakeGeminiArgs {
        models: vec![ModelSpec::new("gemini-2.5-flash")],
        ..args()
    })
    .await;
    let off = with_thinking(
        request,
        ThinkingConfig {
            thinking_budget: Some(0),
            ..ThinkingConfig::default()
        },
    );
    let body = serde_json::to_vec(&off).unwrap();
    let (status, reply) = post(
        &fake25,
        "/v1beta/models/gemini-2.5-flash:generateContent",
        Some(KEY),
        body,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(usage_of(&reply).thoughts_token_count, 0);
    assert_eq!(usage_of(&reply).candidates_token_count, 100);
    fake.stop().await;
    fake25.stop().await;
}

// --- Time --------------------------------------------------------------------------------------

#[actix_web::test]
async fn replies_take_time_in_proportion_to_their_tokens() {
    // 20 virtual seconds per real second: the wait is real time × 20.
    let clock = fnt::clock::Clock::accelerated(20.0);
    let fake = start(FakeGeminiArgs {
        tokens_per_sec: 100.0,
        clock,
        ..args()
    })
    .await;
    let request = story_request(0);
    let started = Instant::now();
    let (status, body) = generate(&fake, &request).await;
    let waited = started.elapsed();
    assert_eq!(status, 200);
    let usage = usage_of(&body);
    let output = (usage.candidates_token_count + usage.thoughts_token_count) as f64;
    let expected = clock.real(Duration::from_secs_f64(output / 100.0));
    assert!(expected > Duration::from_millis(100), "{expected:?}");
    assert!(waited >= expected, "{waited:?} < {expected:?}");
    assert!(waited < expected * 4 + Duration::from_secs(1), "{waited:?}");
    // An answer half as long comes sooner.
    let started = Instant::now();
    generate(&fake, &story_request(story_from("Le train"))).await;
    assert!(started.elapsed() < waited);
    fake.stop().await;
}

#[actix_web::test]
async fn hangs_run_on_the_fakes_clock() {
    let fake = start(FakeGeminiArgs {
        hang_ms: 30_000,
        clock: fnt::clock::Clock::accelerated(100.0),
        ..args()
    })
    .await;
    fake.state.script([Fault::Timeout]);
    let started = Instant::now();
    let body = serde_json::to_vec(&story_request(0)).unwrap();
    assert!(
        post(&fake, &generate_path(), Some(KEY), body)
            .await
            .is_err()
    );
    let waited = started.elapsed();
    assert!(
        (Duration::from_millis(300)..Duration::from_secs(5)).contains(&waited),
        "{waited:?}"
    );
    fake.stop().await;
}

#[actix_web::test]
async fn a_burst_overloads_the_model_for_a_while() {
    let clock = fnt::clock::Clock::accelerated(10.0);
    let fake = start(FakeGeminiArgs {
        burst_ms: 5_000,
        clock,
        models: vec![ModelSpec::new(MODEL), ModelSpec::new("gemini-3.8-flash")],
        ..args()
    })
    .await;
    fake.state.script([Fault::Burst, Fault::None]);
    let message = "This model is currently experiencing high demand. Spikes in demand are \
                   usually temporary. Please try again later.";
    for _ in 0..3 {
        let (status, body) = generate(&fake, &story_request(0)).await;
        assert_eq!(status, 503);
        let error = wire::ErrorBody::parse(&body).unwrap().error;
        assert_eq!(
            (error.status.as_str(), error.message.as_str()),
            ("UNAVAILABLE", message)
        );
        assert!(matches!(
            wire::classify_error(status, &body),
            ApiFailure::Unavailable { .. }
        ));
    }
    assert_eq!(
        fake.state.scripted(),
        1,
        "the burst does not use the script"
    );
    assert_eq!(fake.state.faults(Fault::Burst), 3);
    // Another model is not overloaded.
    let body = serde_json::to_vec(&story_request(0)).unwrap();
    let other = "/v1beta/models/gemini-3.8-flash:generateContent";
    let (status, _) = post(&fake, other, Some(KEY), body).await.unwrap();
    assert_eq!(status, 200);
    // 5 virtual seconds later (half a real one), the model answers again.
    actix_web::rt::time::sleep(clock.real(Duration::from_millis(5_100))).await;
    let (status, _) = generate(&fake, &story_request(0)).await;
    assert_eq!(status, 200);
    assert_eq!(fake.state.scripted(), 0);
    fake.stop().await;
}

// --- Random faults are the weather ------------------------------------------------------------

#[test]
fn the_default_random_mix_is_transient_only() {
    let state = FakeState::new(&FakeGeminiArgs {
        fault_rate: 1.0,
        ..args()
    });
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..500 {
        seen.insert(state.draw(1));
    }
    assert_eq!(seen, Fault::TRANSIENT.into_iter().collect());
    for content in [
        Fault::Safety,
        Fault::PromptBlock,
        Fault::MaxTokens,
        Fault::Malformed,
        Fault::Recitation,
        Fault::DailyQuota,
    ] {
        assert!(!Fault::TRANSIENT.contains(&content));
        assert_eq!(
            content.name().parse::<Fault>(),
            Ok(content),
            "scriptable by name"
        );
    }
}

// --- Models ------------------------------------------------------------------------------------

async fn get(fake: &FakeGemini, path_and_query: &str, key: Option<&str>) -> (u16, Bytes) {
    let client = awc::Client::default();
    let mut request = client.get(format!("{}{path_and_query}", fake.base_url()));
    if let Some(key) = key {
        request = request.insert_header(("x-goog-api-key", key));
    }
    let mut response = request.send().await.expect("a response");
    let body = response.body().await.expect("a body");
    (response.status().as_u16(), body)
}

fn listed(body: &[u8]) -> wire::ListModelsResponse {
    serde_json::from_slice(body).expect("a ListModelsResponse")
}

#[actix_web::test]
async fn models_are_listed_page_by_page() {
    let fake = start(args()).await;
    let (status, body) = get(&fake, "/v1beta/models", Some(KEY)).await;
    assert_eq!(status, 200);
    let all = listed(&body);
    let ids: Vec<&str> = all.models.iter().map(wire::ModelInfo::id).collect();
    assert_eq!(ids, models::DEFAULT_IDS);
    assert_eq!(all.next_page_token, None);
    let flash = &all.models[2];
    assert_eq!(flash.name, "models/gemini-3.5-flash");
    assert_eq!(
        (flash.input_token_limit, flash.output_token_limit),
        (1_048_576, 65_536)
    );
    assert_eq!(
        flash.supported_generation_methods,
        ["generateContent", "countTokens"]
    );
    assert_eq!(flash.thinking, Some(true));
    assert_eq!(flash.display_name.as_deref(), Some("Gemini 3.5 Flash"));

    let mut paged = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let path = match &token {
            Some(token) => format!("/v1beta/models?pageSize=3&pageToken={token}"),
            None => "/v1beta/models?pageSize=3".to_owned(),
        };
        let page = listed(&get(&fake, &path, Some(KEY)).await.1);
        assert!(page.models.len() <= 3);
        paged.extend(page.models);
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(paged, all.models);
    assert_eq!(fake.state.list_calls(), 4);
    let (status, _) = get(&fake, "/v1beta/models?pageToken=bogus", Some(KEY)).await;
    assert_eq!(status, 400);
    let (status, _) = get(&fake, "/v1beta/models?pageSize=-1", Some(KEY)).await;
    assert_eq!(status, 400);
    let (status, body) = get(&fake, "/v1beta/models?pageSize=5000", Some(KEY)).await;
    assert_eq!((status, listed(&body).models.len()), (200, 8));

    let (status, body) = get(&fake, "/v1beta/models/gemini-3.5-flash", Some(KEY)).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_slice::<wire::ModelInfo>(&body).unwrap(),
        *flash
    );
    let (status, body) = get(&fake, "/v1beta/models/gemini-2.5-flash", Some(KEY)).await;
    assert_eq!(status, 404);
    assert_eq!(parse(&body)["error"]["status"], "NOT_FOUND");

    // Listing needs the key like everything else.
    assert_eq!(get(&fake, "/v1beta/models", None).await.0, 403);
    assert_eq!(get(&fake, "/v1beta/models", Some("nope")).await.0, 400);
    fake.stop().await;
}

#[actix_web::test]
async fn an_unlisted_or_retired_model_is_not_found() {
    let fake = start(args()).await;
    let body = serde_json::to_vec(&story_request(0)).unwrap();
    let shut_down = "/v1beta/models/gemini-2.5-flash:generateContent";
    let (status, reply) = post(&fake, shut_down, Some(KEY), body.clone())
        .await
        .unwrap();
    assert_eq!(status, 404);
    assert_eq!(
        wire::ErrorBody::parse(&reply).unwrap().error.message,
        "models/gemini-2.5-flash is not found for API version v1beta, or is not supported for \
         generateContent. Call ListModels to see the list of available models and their \
         supported methods."
    );
    assert!(matches!(
        wire::classify_error(status, &reply),
        ApiFailure::ModelNotFound { .. }
    ));
    let count = "/v1beta/models/gemini-2.5-flash:countTokens";
    let tokens = json!({"contents": [{"parts": [{"text": "abcd"}]}]});
    let (status, _) = post(&fake, count, Some(KEY), tokens.to_string().into_bytes())
        .await
        .unwrap();
    assert_eq!(status, 404);

    assert_eq!(generate(&fake, &story_request(0)).await.0, 200);
    assert!(fake.state.retire_model(MODEL));
    assert!(!fake.state.retire_model(MODEL));
    assert_eq!(generate(&fake, &story_request(0)).await.0, 404);
    let ids: Vec<String> = listed(&get(&fake, "/v1beta/models", Some(KEY)).await.1)
        .models
        .iter()
        .map(|m| m.id().to_owned())
        .collect();
    assert!(
        !ids.iter().any(|id| id == MODEL) && ids.len() == 7,
        "{ids:?}"
    );
    assert_eq!(fake.state.model_calls(MODEL), 2);
    assert_eq!(fake.state.model_calls("gemini-2.5-flash"), 1);
    assert_eq!(fake.state.rewrites(), 1);
    fake.stop().await;
}

// --- Validation per model ----------------------------------------------------------------------

#[actix_web::test]
async fn generation_config_is_checked_against_the_model() {
    let fake = start(FakeGeminiArgs {
        models: vec![
            ModelSpec::new(MODEL),
            "gemini-2.5-flash=1048576/8192".parse().unwrap(),
            ModelSpec::new("gemini-2.5-pro"),
            ModelSpec::new("gemini-3.1-pro-preview"),
        ],
        ..args()
    })
    .await;
    let call = |model: &str, thinking: Option<ThinkingConfig>, max: i32| {
        let mut request = story_request(0);
        let config = request.generation_config.as_mut().unwrap();
        config.thinking_config = thinking;
        config.max_output_tokens = Some(max);
        (
            format!("/v1beta/models/{model}:generateContent"),
            serde_json::to_vec(&request).unwrap(),
        )
    };
    let level = |l: &str| {
        Some(ThinkingConfig {
            thinking_level: Some(l.into()),
            ..ThinkingConfig::default()
        })
    };
    let budget = |b: i32| {
        Some(ThinkingConfig {
            thinking_budget: Some(b),
            ..ThinkingConfig::default()
        })
    };
    let both = Some(ThinkingConfig {
        thinking_level: Some("low".into()),
        thinking_budget: Some(512),
        ..ThinkingConfig::default()
    });
    let cases = [
        (
            call(MODEL, None, 70_000),
            "maxOutputTokens value of 70000 but the supported range is from 1 (inclusive) to 65537 (exclusive)",
        ),
        (
            call("gemini-2.5-flash", None, 10_000),
            "to 8193 (exclusive)",
        ),
        (
            call("gemini-2.5-flash", level("low"), 8192),
            "Thinking level is not supported",
        ),
        (
            call(MODEL, both, 8192),
            "only set one of thinking budget and thinking level",
        ),
        (
            call(MODEL, level("extreme"), 8192),
            "Invalid value at 'generation_config.thinking_config.thinking_level'",
        ),
        (
            call("gemini-3.1-pro-preview", level("minimal"), 8192),
            "Thinking level MINIMAL is not supported",
        ),
        (
            call("gemini-2.5-pro", budget(0), 8192),
            "The thinking budget (0) is invalid.",
        ),
        (
            call("gemini-2.5-flash", budget(30_000), 8192),
            "The thinking budget (30000) is invalid.",
        ),
    ];
    for ((path, body), expected) in cases {
        let (status, reply) = post(&fake, &path, Some(KEY), body).await.unwrap();
        assert_eq!(status, 400, "{expected}");
        match wire::classify_error(status, &reply) {
            ApiFailure::InvalidArgument { message } => {
                assert!(message.contains(expected), "{message} ∌ {expected}");
            }
            other => panic!("{expected}: {other:?}"),
        }
    }
    for (path, body) in [
        call(MODEL, level("LOW"), 65_536),
        call("gemini-2.5-flash", budget(0), 8192),
        call("gemini-2.5-pro", budget(128), 8192),
        call("gemini-3.1-pro-preview", level("high"), 8192),
    ] {
        let (status, reply) = post(&fake, &path, Some(KEY), body).await.unwrap();
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&reply));
    }
    fake.stop().await;
}

// --- Keys --------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_revoked_key_is_refused_everywhere_until_a_new_one_is_set() {
    let fake = start(args()).await;
    assert_eq!(generate(&fake, &story_request(0)).await.0, 200);
    fake.state.revoke_key();
    let (status, body) = generate(&fake, &story_request(0)).await;
    assert_eq!(status, 403);
    let error = parse(&body)["error"].clone();
    assert_eq!(error["status"], "PERMISSION_DENIED");
    assert_eq!(
        error["message"],
        "Requests to this API generativelanguage.googleapis.com method \
         google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent are blocked."
    );
    let info = error["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")
        .unwrap();
    assert_eq!(info["reason"], "API_KEY_SERVICE_BLOCKED");
    assert_eq!(info["domain"], "googleapis.com");
    assert!(matches!(
        wire::classify_error(status, &body),
        ApiFailure::PermissionDenied { .. }
    ));
    let (status, body) = get(&fake, "/v1beta/models", Some(KEY)).await;
    assert_eq!(status, 403);
    assert!(
        parse(&body)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ListModels")
    );

    fake.state.set_api_key("new-key");
    assert_eq!(
        generate(&fake, &story_request(0)).await.0,
        400,
        "the old key is unknown now"
    );
    let body = serde_json::to_vec(&story_request(0)).unwrap();
    let (status, _) = post(&fake, &generate_path(), Some("new-key"), body)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(get(&fake, "/v1beta/models", Some("new-key")).await.0, 200);
    fake.stop().await;
}

#[test]
fn the_new_flags_parse() {
    let cli = Cli::try_parse_from([
        "fnt",
        "--model-error-rate",
        "0.2",
        "--model-errors",
        "drop,merge,duplicate-id,unknown-id",
        "--recitation-words",
        "30",
        "--tokens-per-sec",
        "0",
        "--models",
        "gemini-9-flash=2000/100,gemini-9-pro",
        "--burst-ms",
        "250",
        "--faults",
        "burst,recitation",
    ])
    .unwrap()
    .args;
    assert_eq!(cli.model_error_rate, 0.2);
    assert_eq!(
        cli.model_errors,
        [
            ModelError::Drop,
            ModelError::Merge,
            ModelError::DuplicateId,
            ModelError::UnknownId
        ]
    );
    assert_eq!(
        (cli.recitation_words, cli.tokens_per_sec, cli.burst_ms),
        (30, 0.0, 250)
    );
    assert_eq!(
        cli.models,
        [
            ModelSpec {
                id: "gemini-9-flash".into(),
                input_limit: 2000,
                output_limit: 100
            },
            ModelSpec::new("gemini-9-pro")
        ]
    );
    assert_eq!(cli.faults, [Fault::Burst, Fault::Recitation]);
    let defaults = Cli::try_parse_from(["fnt"]).unwrap().args;
    assert_eq!(defaults.model_error_rate, 0.05);
    assert!(defaults.model_errors.is_empty(), "empty means every kind");
    assert_eq!(
        (defaults.recitation_words, defaults.tokens_per_sec),
        (25, 300.0)
    );
    assert_eq!(defaults.models, ModelSpec::defaults());
    assert_eq!(defaults.burst_ms, 5_000);
    assert!(Cli::try_parse_from(["fnt", "--model-errors", "typo"]).is_err());
    assert!(Cli::try_parse_from(["fnt", "--models", "a=1"]).is_err());
}
