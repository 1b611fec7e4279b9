//! The Gemini engine against `fnt-fake-gemini`, which speaks the real wire format (errors,
//! quota details, blocks that arrive as HTTP 200) and rewrites deterministically.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::http::StatusCode;
use futures_util::future::LocalBoxFuture;

use crate::helpers::{TestApp, eventually, metric, novel_pdf, spawn_app_with};
use fnt::clock::Clock;
use fnt::config::{Config, Secret};
use fnt::engine::gemini::GeminiEngine;
use fnt::engine::{ChunkInput, ChunkOutput, Engine, EngineError, Engines, Meter};
use fnt::settings::Settings;
use fnt_fake_gemini::{FakeGemini, FakeGeminiArgs, Fault, ModelError, ModelSpec};

/// Gemini tests keep production's timeouts, backoffs and retry budget, on a clock where 50
/// virtual seconds pass per real second (the fake waits on the same speed).
pub(crate) const SPEED: f64 = 50.0;

pub(crate) async fn fake(configure: impl FnOnce(&mut FakeGeminiArgs)) -> FakeGemini {
    let mut args = FakeGeminiArgs {
        retry_delay_secs: 2.0,
        recitation_words: 0,
        clock: Clock::accelerated(SPEED),
        ..FakeGeminiArgs::default()
    };
    configure(&mut args);
    FakeGemini::start(args).await.expect("fake gemini starts")
}

/// Gemini through `fake`, with production's settings for everything that decides when to wait,
/// retry or give up; only the rate limits are lifted (they would only slow the test down).
fn gemini_config(config: &mut Config, fake: &FakeGemini) {
    let production = Config::default();
    config.gemini_api_key = Some(Secret::new("fake-key"));
    config.gemini_base_url = fake.base_url();
    config.gemini_rpm = 100_000;
    config.clock = Clock::accelerated(SPEED);
    config.chunk_attempts = production.chunk_attempts;
    config.chunk_timeout_secs = production.chunk_timeout_secs;
    config.retry_base_ms = production.retry_base_ms;
    config.retry_max_ms = production.retry_max_ms;
    config.retry_budget_secs = production.retry_budget_secs;
    config.gemini_timeout_secs = production.gemini_timeout_secs;
    config.gemini_concurrency = production.gemini_concurrency;
}

pub(crate) async fn gemini_app(fake: &FakeGemini, configure: impl Fn(&mut Config)) -> TestApp {
    let mut config = Config::default();
    gemini_config(&mut config, fake);
    configure(&mut config);
    let engines = Engines::from_config(&config).expect("engines");
    spawn_app_with(
        |c| {
            gemini_config(c, fake);
            configure(c);
        },
        engines,
    )
    .await
}

#[actix_web::test]
async fn a_retired_model_gives_way_to_the_next_candidate_without_failing_a_chunk() {
    let fake = fake(|a| a.model_error_rate = 0.0).await;
    // The first candidate is long gone (Google no longer lists it); the second is retired
    // while the service runs.
    let candidates = |c: &mut Config| {
        c.gemini_models_balanced = vec![
            "gemini-2.5-flash".into(),
            "gemini-3.8-flash".into(),
            "gemini-3.7-flash".into(),
        ];
    };
    let app = gemini_app(&fake, candidates).await;
    fake.state.retire_model("gemini-3.8-flash");

    let id = app.submit(&novel_pdf(12), &[]).await;
    let job = app.wait_until_finished(&id).await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["failed_chunks"], 0);
    assert_eq!(
        fake.state.model_calls("gemini-2.5-flash"),
        0,
        "an unlisted id is never called"
    );
    assert_eq!(
        fake.state.model_calls("gemini-3.8-flash"),
        1,
        "one 404, then never again"
    );
    assert!(fake.state.model_calls("gemini-3.7-flash") >= job["total_chunks"].as_u64().unwrap());
    let text = app.metrics().await;
    assert_eq!(
        metric(
            &text,
            r#"fnt_engine_model_fallbacks_total{engine="gemini",from="gemini-3.8-flash",reason="not_found",to="gemini-3.7-flash"}"#
        ),
        Some(1.0),
        "{text}"
    );
    // The pieces name the model that wrote them, and so does the estimate.
    let pieces = app.all_pages(&format!("/api/v1/jobs/{id}/result")).await;
    let other = pieces
        .iter()
        .filter(|p| p["engine"] != "local")
        .find(|p| p["model"] != "gemini-3.7-flash");
    assert!(other.is_none(), "{other:?}");
    let (status, estimate) = crate::estimate::estimate(&app, &novel_pdf(3), &[]).await;
    assert_eq!(status, StatusCode::OK, "{estimate}");
    assert_eq!(
        estimate["estimate"]["models"][1]["model"], "gemini-3.7-flash",
        "{estimate}"
    );
}

#[actix_web::test]
async fn a_service_whose_models_are_all_gone_says_so_at_start() {
    let fake = fake(|_| {}).await;
    let mut config = Config::default();
    let retired = |c: &mut Config| {
        gemini_config(c, &fake);
        c.gemini_models_speed = vec!["gemini-1.5-flash-8b".into()];
        c.gemini_models_balanced = vec!["gemini-2.5-flash".into()];
        c.gemini_models_quality = vec!["gemini-2.5-pro".into()];
    };
    retired(&mut config);
    let dir = crate::helpers::TestDir::new().await;
    let mut core = crate::helpers::test_config(dir.path());
    core.database_url = dir.database_url();
    retired(&mut core);
    let serve = fnt::config::ServeConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        metrics_bind: None,
        core,
    };
    let error =
        match fnt::app::Application::build(serve, Engines::from_config(&config).unwrap()).await {
            Ok(_) => panic!("the service started with no model to call"),
            Err(error) => format!("{error:#}"),
        };
    assert!(
        error.contains("none of the configured Gemini models"),
        "{error}"
    );
    assert!(
        error.contains("gemini-2.5-flash") && error.contains("gemini-3.8-flash"),
        "{error}"
    );
    assert!(error.contains("FNT_GEMINI_MODELS_"), "{error}");
}

#[actix_web::test]
async fn generation_settings_follow_the_model_family_and_its_listed_limit() {
    let fake = fake(|a| {
        a.model_error_rate = 0.0;
        a.models = vec![ModelSpec {
            output_limit: 16_384,
            ..ModelSpec::new("gemini-3.8-flash")
        }];
    })
    .await;
    let app = gemini_app(&fake, |_| {}).await;
    let id = app.submit(&novel_pdf(3), &[]).await;
    assert_eq!(app.wait_until_finished(&id).await["status"], "completed");

    let request = fake.state.last_request().expect("a request");
    let config = request.generation_config.expect("generationConfig");
    assert_eq!(
        config.temperature, None,
        "Gemini 3 keeps its default temperature"
    );
    assert_eq!(
        config.max_output_tokens,
        Some(16_384),
        "clamped to the listed limit"
    );
    let thinking = config.thinking_config.expect("thinkingConfig");
    assert_eq!(thinking.thinking_level.as_deref(), Some("low"));
    assert_eq!(thinking.thinking_budget, None);
    // Thinking is billed as output even though no thought is sent back.
    let job = app.job(&id).await;
    assert!(job["tokens_out"].as_u64().unwrap() > 0);
}

#[actix_web::test]
async fn a_refusal_is_asked_again_in_small_groups_and_only_the_refused_sentences_go_local() {
    // Google refuses to copy 25 source words in a row. This model answers every sentence by
    // copying it back whole on a first ask, so every request with a long sentence is refused;
    // told to paraphrase, it writes short sentences.
    let fake = fake(|a| {
        a.recitation_words = 25;
        a.model_error_rate = 1.0;
        a.model_errors = vec![ModelError::OverLimit];
    })
    .await;
    let app = gemini_app(&fake, |_| {}).await;
    let id = app.submit(&novel_pdf(12), &[]).await;

    let job = app.wait_until_finished(&id).await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["failed_chunks"], 0);
    let refused = fake.state.recited_requests();
    assert!(
        !refused.is_empty(),
        "nothing was refused: the test shows nothing"
    );
    assert!(
        fake.state.paraphrase_requests() > 0,
        "no paraphrase was asked for"
    );
    // Asked again in groups of at most eight, then one by one: never a split of the chunk.
    let largest_reask = refused.iter().skip(1).map(Vec::len).max().unwrap_or(0);
    assert!(refused.iter().all(|r| !r.is_empty()));
    assert!(
        refused.iter().filter(|r| r.len() > 8).count()
            <= job["total_chunks"].as_u64().unwrap_or(0) as usize * 8,
        "{largest_reask}"
    );
    let text = app.metrics().await;
    let local_for_refusal = metric(
        &text,
        r#"fnt_engine_repairs_total{action="local",engine="gemini",reason="recitation"}"#,
    )
    .unwrap_or(0.0);
    let refused_alone = refused.iter().filter(|r| r.len() == 1).count();
    assert!(
        local_for_refusal <= refused_alone as f64,
        "{local_for_refusal} sentences went local for a refusal; {refused_alone} were refused alone"
    );
    assert_eq!(
        job["refusals"].as_u64(),
        Some(refused.iter().map(|r| r.len() as u64).sum()),
        "every refused sentence is counted"
    );
    // The sentences a paraphrase could save were saved by the model, not the local engine.
    let pieces = app.all_pages(&format!("/api/v1/jobs/{id}/result")).await;
    assert!(pieces.iter().any(|p| p["engine"] == "gemini"));
}

#[actix_web::test]
async fn an_outage_during_a_re_ask_is_waited_out_within_the_request() {
    // A model that answers every sentence in one piece over the limit: each answer is
    // followed by a re-ask for the long pieces.
    let fake = fake(|a| {
        a.model_error_rate = 1.0;
        a.model_errors = vec![ModelError::OverLimit];
    })
    .await;
    // The chunk's answer arrives; the re-ask meets an outage.
    fake.state.script([Fault::None, Fault::Unavailable]);
    let app = gemini_app(&fake, |_| {}).await;
    let id = app.submit(&novel_pdf(3), &[]).await;

    let job = app.wait_until_finished(&id).await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["total_chunks"], 1);
    let chunks = app.core.db.chunks(&id).await.unwrap();
    assert_eq!(
        chunks[0].attempts, 1,
        "the re-ask was tried again, not the attempt"
    );
    // Answer, failed re-ask, the re-ask again; no local split in between.
    assert_eq!(fake.state.requests() - fake.state.list_calls(), 3);
    assert!(job["reasks"].as_u64().unwrap_or(0) > 0, "{job}");
    app.assert_within_limit(&id, 8).await;
}

#[actix_web::test]
async fn a_daily_quota_parks_the_chunk_without_spending_attempts_and_it_resumes() {
    let fake = fake(|_| {}).await;
    fake.state.fault_for_first_page(1, Fault::DailyQuota);
    let app = gemini_app(&fake, |c| c.gemini_quota_park_secs = Some(20)).await;
    let id = app.submit(&novel_pdf(12), &[]).await;

    let parked = app
        .wait_for(&id, Duration::from_secs(20), |job| {
            job["current_step"]
                .as_str()
                .is_some_and(|s| s.starts_with("waiting for quota"))
        })
        .await;
    assert_eq!(
        parked["status"], "running",
        "a quota wait is not a failure: {parked}"
    );
    // Let it hit the quota a few more times than it has attempts, then lift the quota.
    eventually("four attempts at the quota", || async {
        (fake.state.attempts_for_first_page(1) >= 4).then_some(())
    })
    .await;
    fake.state.clear_first_page_faults();

    let job = app.wait_until_finished(&id).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["failed_chunks"], 0);
    // The metrics tell the quota (what the alert watches) from other failures.
    let text = app.metrics().await;
    let quota = metric(
        &text,
        r#"fnt_engine_requests_total{engine="gemini",model="gemini-3.8-flash",outcome="quota_exhausted"}"#,
    );
    assert!(quota.is_some_and(|n| n >= 4.0), "{text}");
    assert!(
        metric(&text, r#"fnt_retries_total{reason="quota_exhausted"}"#).is_some_and(|n| n >= 4.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, r#"fnt_chunks_total{outcome="failed"}"#),
        Some(0.0)
    );
}

#[actix_web::test]
async fn an_invalid_key_fails_the_whole_job_at_once_with_a_clear_message() {
    let fake = fake(|_| {}).await;
    let wrong_key = |c: &mut Config| {
        gemini_config(c, &fake);
        c.gemini_api_key = Some(Secret::new("wrong-key"));
    };
    let mut config = Config::default();
    wrong_key(&mut config);
    let app = spawn_app_with(wrong_key, Engines::from_config(&config).unwrap()).await;
    let id = app.submit(&novel_pdf(30), &[]).await;

    let job = app.wait_until_finished(&id).await;

    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["code"], "engine_rejected");
    assert!(
        job["error"]["message"]
            .as_str()
            .unwrap()
            .contains("API key is not valid"),
        "{job}"
    );
    // The model listing at start met the bad key: not one generateContent was sent.
    assert_eq!(fake.state.requests(), 1, "only the model listing was sent");
    assert_eq!(fake.state.list_calls(), 1);
}

#[actix_web::test]
async fn a_key_revoked_while_serving_fails_the_job_after_one_call() {
    let fake = fake(|a| a.model_error_rate = 0.0).await;
    let app = gemini_app(&fake, |_| {}).await;
    let listed = fake.state.requests();
    fake.state.revoke_key();

    let id = app.submit(&novel_pdf(30), &[]).await;
    let job = app.wait_until_finished(&id).await;

    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["code"], "engine_rejected");
    let message = job["error"]["message"].as_str().unwrap();
    assert!(message.contains("permission denied"), "{message}");
    assert!(job["total_chunks"].as_u64().unwrap() > 3);
    assert_eq!(fake.state.requests() - listed, 1, "one call, then none");
    // The next job fails at once too, without a call.
    let again = app.submit(&novel_pdf(12), &[]).await;
    assert_eq!(app.wait_until_finished(&again).await["status"], "failed");
    assert_eq!(fake.state.requests() - listed, 1);
}

#[actix_web::test]
async fn an_outage_shows_retrying_with_the_next_attempt_time_and_never_fails_the_chunk() {
    let fake = fake(|a| a.model_error_rate = 0.0).await;
    fake.state.fault_for_first_page(1, Fault::Unavailable);
    let app = gemini_app(&fake, |_| {}).await;
    let id = app.submit(&novel_pdf(12), &[]).await;
    let (status, mut events) = app.sse(&id, None).await;
    assert_eq!(status, StatusCode::OK);

    // Several minutes of outage on this clock, far beyond the three attempts of old.
    let retrying = loop {
        let (_, event) = events.next_event().await.expect("an event");
        if event["chunk"]["status"] == "retrying" && event["chunk"]["attempts"].as_u64() >= Some(6)
        {
            break event;
        }
    };
    let next: chrono::DateTime<chrono::Utc> = retrying["chunk"]["next_attempt_at"]
        .as_str()
        .expect("next_attempt_at")
        .parse()
        .expect("a time");
    assert!(
        next >= chrono::Utc::now() - chrono::Duration::seconds(5),
        "{retrying}"
    );
    assert!(
        retrying["chunk"]["error"]
            .as_str()
            .unwrap()
            .contains("unavailable"),
        "{retrying}"
    );
    fake.state.clear_first_page_faults();

    let job = app.wait_until_finished(&id).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["failed_chunks"], 0);
    // Repeated overload sent the preference to its next candidate for a while.
    let text = app.metrics().await;
    assert!(
        metric(
            &text,
            r#"fnt_engine_model_fallbacks_total{engine="gemini",from="gemini-3.8-flash",reason="overloaded",to="gemini-3.7-flash"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(fake.state.model_calls("gemini-3.7-flash") > 0);
}

#[actix_web::test]
async fn the_second_upload_of_a_pdf_makes_zero_calls() {
    let fake = fake(|_| {}).await;
    let app = gemini_app(&fake, |_| {}).await;
    let pdf = novel_pdf(12);
    let first = app.submit(&pdf, &[]).await;
    let job = app.wait_until_finished(&first).await;
    let errors: Vec<_> = app
        .core
        .db
        .chunks(&first)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.last_error)
        .collect();
    assert_eq!(job["status"], "completed", "{job} {errors:?}");
    let calls = fake.state.requests() - fake.state.list_calls();
    assert!(calls > 0);

    let second = app.submit(&pdf, &[]).await;
    let job = app.wait_until_finished(&second).await;

    assert_eq!(job["status"], "completed");
    assert_eq!(
        fake.state.requests() - fake.state.list_calls(),
        calls,
        "the cached chunks were sent again"
    );
    assert_eq!(job["api_calls"], 0);
    assert_eq!(app.sentences(&second).await, app.sentences(&first).await);

    let text = app.metrics().await;
    let chunks = job["total_chunks"].as_f64().expect("total_chunks");
    let calls = calls as f64;
    let series = |name: &str| metric(&text, name).unwrap_or_else(|| panic!("no {name} in {text}"));
    assert_eq!(series(r#"fnt_cache_lookups_total{result="hit"}"#), chunks);
    assert_eq!(series(r#"fnt_cache_lookups_total{result="miss"}"#), chunks);
    assert_eq!(
        series(
            r#"fnt_engine_requests_total{engine="gemini",model="gemini-3.8-flash",outcome="ok"}"#
        ),
        calls
    );
    assert_eq!(
        series(r#"fnt_rate_gate_wait_seconds_count{engine="gemini"}"#),
        calls
    );
    let tokens_in = series(
        r#"fnt_engine_tokens_total{direction="input",engine="gemini",model="gemini-3.8-flash"}"#,
    );
    let tokens_out = series(
        r#"fnt_engine_tokens_total{direction="output",engine="gemini",model="gemini-3.8-flash"}"#,
    );
    assert!(tokens_in > 0.0 && tokens_out > 0.0, "{text}");
    // At the default balanced price, $0.30 in and $2.50 out per million tokens.
    let cost = series(r#"fnt_engine_cost_dollars_total{engine="gemini",model="gemini-3.8-flash"}"#);
    let expected = (tokens_in * 0.30 + tokens_out * 2.50) / 1e6;
    assert!((cost - expected).abs() < 1e-9, "{cost} vs {expected}");
}

/// Gemini, but the first attempt at chunk 1 panics while its call is in flight.
struct PanicsMidCall {
    inner: Arc<GeminiEngine>,
    fired: AtomicBool,
}

impl Engine for PanicsMidCall {
    fn name(&self) -> &str {
        "gemini"
    }

    fn rewrite(
        self: Arc<Self>,
        input: Arc<ChunkInput>,
        settings: Arc<Settings>,
        meter: Meter,
    ) -> LocalBoxFuture<'static, Result<ChunkOutput, EngineError>> {
        Box::pin(async move {
            let call =
                Arc::clone(&self.inner).rewrite(Arc::clone(&input), Arc::clone(&settings), meter);
            if input.index == 1 && !self.fired.swap(true, Ordering::SeqCst) {
                let _ = actix_web::rt::time::timeout(Duration::from_millis(100), call).await;
                panic!("the chunk actor's work panicked mid-call");
            }
            call.await
        })
    }
}

#[actix_web::test]
async fn a_chunk_that_panics_mid_call_is_restarted_and_the_job_completes() {
    // 20 s of latency on the fake's clock: the call is still in flight when the panic comes.
    let fake = fake(|a| a.latency_ms = "20000".parse().unwrap()).await;
    let mut config = Config::default();
    gemini_config(&mut config, &fake);
    let gemini = GeminiEngine::new(config.gemini().unwrap()).unwrap();
    let mut engines = Engines::builtin();
    engines.insert(Arc::new(PanicsMidCall {
        inner: Arc::new(gemini),
        fired: AtomicBool::new(false),
    }));
    let app = spawn_app_with(|c| gemini_config(c, &fake), engines).await;
    let id = app.submit(&novel_pdf(12), &[]).await;

    let job = app.wait_until_finished(&id).await;

    assert_eq!(job["status"], "completed", "{job}");
    let chunks = app.core.db.chunks(&id).await.unwrap();
    assert_eq!(chunks[1].attempts, 2);
    assert!(
        chunks[1]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("panicked")
    );
}

#[actix_web::test]
async fn retry_runs_only_the_failed_chunks_again() {
    let fake = fake(|a| a.model_error_rate = 0.0).await;
    // Two minutes of outage use up this chunk's budget.
    let app = gemini_app(&fake, |c| c.retry_budget_secs = 120).await;
    let pdf = novel_pdf(12);
    // Find the page the second chunk starts on, then make that chunk fail every time.
    // At this limit the pieces the fake answers with (the local engine's) stay within it, so
    // no answer is re-asked for an over-long piece: each attempt of a chunk is one call.
    let reference = app
        .submit(
            &pdf,
            &[
                ("model_preference", "quality"),
                ("sentence_length_limit", "50"),
            ],
        )
        .await;
    assert_eq!(
        app.wait_until_finished(&reference).await["status"],
        "completed"
    );
    let expected = app.sentences(&reference).await;
    let second_chunk_page = app.core.db.chunks(&reference).await.unwrap()[1].first_page as u32;
    fake.state
        .fault_for_first_page(second_chunk_page, Fault::Unavailable);

    let id = app.submit(&pdf, &[("sentence_length_limit", "50")]).await;
    let job = app.wait_until_finished(&id).await;
    assert_eq!(job["status"], "partial", "{job}");
    assert_eq!(job["failed_chunks"], 1);
    let before: Vec<u64> = app
        .core
        .db
        .chunks(&id)
        .await
        .unwrap()
        .iter()
        .map(|c| fake.state.attempts_for_first_page(c.first_page as u32))
        .collect();

    fake.state.clear_first_page_faults();
    let (status, body) = app.post(&format!("/api/v1/jobs/{id}/retry")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job = app.wait_until_finished(&id).await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["failed_chunks"], 0);
    let chunks = app.core.db.chunks(&id).await.unwrap();
    for (chunk, before) in chunks.iter().zip(&before) {
        let after = fake.state.attempts_for_first_page(chunk.first_page as u32);
        if chunk.first_page as u32 == second_chunk_page {
            assert!(
                *before > 3,
                "retried for its budget, not three times: {before}"
            );
            assert_eq!(after, before + 1, "the failed chunk runs once more");
        } else {
            assert_eq!(after, *before, "chunk {} was sent again", chunk.idx);
        }
    }
    assert_eq!(app.sentences(&id).await, expected);
    let (status, _) = app.post(&format!("/api/v1/jobs/{id}/retry")).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a completed job has nothing to retry"
    );
}

#[actix_web::test]
async fn pdf_input_gives_the_sentences_of_text_input() {
    // A model that makes no mistake reads the pages as the text layer reads them. (The fake
    // reads a numbered sentence alone, so it cannot know it stands inside a quotation opened
    // by the sentence before; without formatting, quotation marks do not count.)
    let fake = fake(|a| a.model_error_rate = 0.0).await;
    let app = gemini_app(&fake, |_| {}).await;
    let pdf = novel_pdf(12);
    let bare = ("preserve_formatting", "false");
    let text_id = app.submit(&pdf, &[("input_mode", "text"), bare]).await;
    assert_eq!(
        app.wait_until_finished(&text_id).await["status"],
        "completed"
    );
    assert_eq!(fake.state.pdf_requests(), 0, "text input sends no PDF");

    let pdf_id = app.submit(&pdf, &[("input_mode", "pdf"), bare]).await;
    let job = app.wait_until_finished(&pdf_id).await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["settings"]["input_mode"], "pdf");
    assert!(
        fake.state.pdf_requests() >= job["total_chunks"].as_u64().unwrap_or(1),
        "the chunks went as inline PDFs"
    );
    let (from_pdf, from_text) = (app.sentences(&pdf_id).await, app.sentences(&text_id).await);
    let first_difference = from_pdf.iter().zip(&from_text).position(|(a, b)| a != b);
    assert_eq!(
        (first_difference, from_pdf.len()),
        (None, from_text.len()),
        "{:?}",
        first_difference.map(|i| (&from_pdf[i], &from_text[i]))
    );
}

#[actix_web::test]
async fn pdf_input_accounts_for_every_page_and_doubles_nothing_from_context_pages() {
    // Every mistake, pages missing, answered twice or answered though only context included.
    let fake = fake(|a| {
        a.model_error_rate = 0.3;
        a.model_errors = vec![
            ModelError::Drop,
            ModelError::DuplicateId,
            ModelError::UnknownId,
        ];
    })
    .await;
    let app = gemini_app(&fake, |_| {}).await;
    let pdf = novel_pdf(12);
    let id = app.submit(&pdf, &[("input_mode", "pdf")]).await;
    let job = app.wait_until_finished(&id).await;
    assert_eq!(job["status"], "completed", "{job}");
    let pages: Vec<u32> = fake
        .state
        .mistakes()
        .iter()
        .filter(|m| m.kind == ModelError::UnknownId)
        .filter_map(|m| m.page)
        .collect();
    assert!(
        !pages.is_empty(),
        "no context page was answered: the test shows nothing"
    );

    let text = app.metrics().await;
    let dropped = |reason: &str| {
        metric(
            &text,
            &format!(
                r#"fnt_engine_repairs_total{{action="dropped",engine="gemini",reason="{reason}"}}"#
            ),
        )
        .unwrap_or(0.0)
    };
    assert!(dropped("context_page") > 0.0, "{text}");
    // Nothing doubled: each source sentence once, and each on a page of the book in order.
    let pieces = app.all_pages(&format!("/api/v1/jobs/{id}/result")).await;
    let mut originals = Vec::new();
    for piece in &pieces {
        let original = piece["original"].as_str().unwrap_or_default().to_owned();
        if originals.last() != Some(&original) {
            originals.push(original);
        }
    }
    // In the text layer's order, none twice: a subsequence of what text input reads (a
    // sentence the model leaves out of a page cannot be told from the page alone).
    let text_id = app.submit(&pdf, &[("input_mode", "text")]).await;
    app.wait_until_finished(&text_id).await;
    let mut text_originals: Vec<String> = Vec::new();
    for (_, original, _) in app.sentences(&text_id).await {
        if text_originals.last() != Some(&original) {
            text_originals.push(original);
        }
    }
    let mut rest = text_originals.iter();
    let unmatched: Vec<&String> = originals
        .iter()
        .filter(|o| !rest.any(|t| t == *o))
        .collect();
    assert!(
        unmatched.is_empty(),
        "doubled or out of order: {unmatched:?}"
    );
    let page_numbers: Vec<i64> = pieces.iter().filter_map(|p| p["page"].as_i64()).collect();
    assert!(
        page_numbers.windows(2).all(|w| w[0] <= w[1]),
        "pages out of order"
    );
    // Every page with text got sentences: missing pages were asked again alone.
    let on: std::collections::BTreeSet<i64> = page_numbers.into_iter().collect();
    let text_pages: std::collections::BTreeSet<i64> = app
        .sentences(&text_id)
        .await
        .into_iter()
        .map(|(_, _, page)| page)
        .collect();
    assert_eq!(on, text_pages);
}

#[actix_web::test]
async fn a_book_without_a_text_layer_is_accepted_only_for_pdf_input_with_gemini() {
    let fake = fake(|_| {}).await;
    let app = gemini_app(&fake, |_| {}).await;
    let scan = fnt_testkit::pdf::image_only_pdf(3);

    let refusal = app.upload_refused(&scan, &[("engine", "local")]).await;
    assert_eq!(refusal.code(), "no_text_layer", "{refusal:?}");
    let refusal = app.upload_refused(&scan, &[("input_mode", "text")]).await;
    assert_eq!(refusal.code(), "no_text_layer", "{refusal:?}");
    let (status, body) = app
        .upload(&scan, &[("engine", "local"), ("input_mode", "pdf")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_setting");

    let (status, body) = app.upload(&scan, &[("input_mode", "pdf")]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["job_id"].as_str().unwrap().to_owned();
    // The fake cannot read images, so it finds no sentences; Gemini would read the scan.
    let job = app.wait_until_finished(&id).await;
    assert_eq!(job["error"]["code"], "no_sentences", "{job}");
    assert!(fake.state.requests() >= 1);
}

#[actix_web::test]
async fn a_chunk_tried_again_redoes_only_the_requests_that_had_not_finished() {
    // A small output cap makes each chunk several requests (protocol v2 sizes them by tokens).
    let small = |c: &mut Config| c.gemini_max_output_tokens = 2_048;
    let clean_fake = fake(|a| a.model_error_rate = 0.0).await;
    let clean = gemini_app(&clean_fake, small).await;
    let pdf = novel_pdf(3);
    let clean_id = clean.submit(&pdf, &[]).await;
    assert_eq!(
        clean.wait_until_finished(&clean_id).await["status"],
        "completed"
    );
    let requests = clean_fake.state.requests() - clean_fake.state.list_calls();
    assert!(
        requests >= 3,
        "{requests} requests: the chunk was not split by size"
    );

    // The requests that start on the last page meet an outage longer than their own tries:
    // the attempt fails, and the chunk's next attempt finds the other requests' results kept.
    let fake = fake(|a| a.model_error_rate = 0.0).await;
    // A 500, not a 503: three overloaded answers in a row would move the preference to
    // another model, whose results are kept under other keys.
    fake.state.fault_for_first_page(3, Fault::Internal);
    let app = gemini_app(&fake, small).await;
    let id = app.submit(&pdf, &[]).await;
    let started = std::time::Instant::now();
    // Until the chunk's first attempt has given up.
    while app
        .core
        .db
        .chunks(&id)
        .await
        .unwrap()
        .iter()
        .all(|c| c.attempts < 2)
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first attempt never gave up"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    fake.state.clear_first_page_faults();
    let job = app.wait_until_finished(&id).await;

    assert_eq!(job["status"], "completed", "{job}");
    let chunks = app.core.db.chunks(&id).await.unwrap();
    assert!(
        chunks.iter().any(|c| c.attempts >= 2),
        "the outage outlasted the request's tries"
    );
    // Every call beyond the clean run's is one that met the outage: nothing that had been
    // answered was asked again.
    assert_eq!(
        fake.state.requests() - fake.state.list_calls(),
        requests + fake.state.faults(Fault::Internal),
        "only the unfinished requests were sent again: {:?} against {:?}",
        (1..=3)
            .map(|p| fake.state.attempts_for_first_page(p))
            .collect::<Vec<_>>(),
        (1..=3)
            .map(|p| clean_fake.state.attempts_for_first_page(p))
            .collect::<Vec<_>>(),
    );
    assert_eq!(app.sentences(&id).await, clean.sentences(&clean_id).await);
}
