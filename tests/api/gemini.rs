//! The Gemini engine against `fnt fake-gemini`, which speaks the real wire format (errors,
//! quota details, blocks that arrive as HTTP 200) and rewrites deterministically.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::http::StatusCode;
use futures_util::future::LocalBoxFuture;

use crate::helpers::{TestApp, metric, novel_pdf, spawn_app_with};
use fnt::config::{Config, Secret};
use fnt::engine::gemini::GeminiEngine;
use fnt::engine::{ChunkInput, ChunkOutput, Engine, EngineError, Engines, Meter};
use fnt::fake_gemini::{FakeGemini, FakeGeminiArgs, Fault};
use fnt::settings::Settings;

async fn fake(configure: impl FnOnce(&mut FakeGeminiArgs)) -> FakeGemini {
    let mut args = FakeGeminiArgs {
        retry_delay_secs: 0.05,
        hang_ms: 3_000,
        ..FakeGeminiArgs::default()
    };
    configure(&mut args);
    FakeGemini::start(args).await.expect("fake gemini starts")
}

fn gemini_config(config: &mut Config, fake: &FakeGemini) {
    config.gemini_api_key = Some(Secret::new("fake-key"));
    config.gemini_base_url = fake.base_url();
    config.gemini_rpm = 100_000;
    config.gemini_concurrency = 8;
    config.gemini_timeout_secs = 1;
    config.chunk_timeout_secs = 20;
    config.chunk_attempts = 20;
    config.gemini_quota_park_secs = Some(1);
}

async fn gemini_app(fake: &FakeGemini, configure: impl Fn(&mut Config)) -> TestApp {
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
async fn with_30_percent_faults_a_120_page_book_gives_exactly_the_fault_free_sentences() {
    let pdf = novel_pdf(120);

    let clean_fake = fake(|_| {}).await;
    let clean = gemini_app(&clean_fake, |_| {}).await;
    let clean_id = clean.submit(&pdf, &[]).await;
    let job = clean.wait_until_finished(&clean_id).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["settings"]["engine"], "gemini");
    let expected = clean.sentences(&clean_id).await;
    assert_eq!(clean_fake.state.total_faults(), 0);

    let faulty_fake = fake(|a| {
        a.fault_rate = 0.3;
        a.seed = 7;
    })
    .await;
    let faulty = gemini_app(&faulty_fake, |_| {}).await;
    let id = faulty.submit(&pdf, &[]).await;
    let job = faulty.wait_until_finished(&id).await;

    assert_eq!(job["status"], "completed", "{job}");
    assert!(
        faulty_fake.state.total_faults() >= 10,
        "faults were injected"
    );
    let got = faulty.sentences(&id).await;
    assert_eq!(got.len(), expected.len());
    assert!(
        got == expected,
        "the sentences differ from the fault-free run"
    );
    // Every call is paid for, those of failed attempts included.
    assert_eq!(
        job["api_calls"].as_u64(),
        Some(faulty_fake.state.requests())
    );
    assert!(job["api_calls"].as_i64().unwrap() > job["total_chunks"].as_i64().unwrap());
    assert!(job["tokens_in"].as_i64().unwrap() > 0 && job["tokens_out"].as_i64().unwrap() > 0);
}

#[actix_web::test]
async fn a_daily_quota_parks_the_chunk_without_spending_attempts_and_it_resumes() {
    let fake = fake(|_| {}).await;
    fake.state.fault_for_first_page(1, Fault::DailyQuota);
    let app = gemini_app(&fake, |c| c.chunk_attempts = 2).await;
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
    while fake.state.attempts_for_first_page(1) < 4 {
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    fake.state.clear_first_page_faults();

    let job = app.wait_until_finished(&id).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["failed_chunks"], 0);
    // The metrics tell the quota (what the alert watches) from other failures.
    let text = app.metrics().await;
    let quota = metric(
        &text,
        r#"fnt_engine_requests_total{engine="gemini",model="gemini-2.5-flash",outcome="quota_exhausted"}"#,
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
    let total = job["total_chunks"].as_u64().unwrap();
    assert!(
        fake.state.requests() < total * 2,
        "it kept calling with a bad key"
    );
}

#[actix_web::test]
async fn the_second_upload_of_a_pdf_makes_zero_calls() {
    let fake = fake(|_| {}).await;
    let app = gemini_app(&fake, |_| {}).await;
    let pdf = novel_pdf(12);
    let first = app.submit(&pdf, &[]).await;
    assert_eq!(app.wait_until_finished(&first).await["status"], "completed");
    let calls = fake.state.requests();
    assert!(calls > 0);

    let second = app.submit(&pdf, &[]).await;
    let job = app.wait_until_finished(&second).await;

    assert_eq!(job["status"], "completed");
    assert_eq!(
        fake.state.requests(),
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
            r#"fnt_engine_requests_total{engine="gemini",model="gemini-2.5-flash",outcome="ok"}"#
        ),
        calls
    );
    assert_eq!(
        series(r#"fnt_rate_gate_wait_seconds_count{engine="gemini"}"#),
        calls
    );
    let tokens_in = series(
        r#"fnt_engine_tokens_total{direction="input",engine="gemini",model="gemini-2.5-flash"}"#,
    );
    let tokens_out = series(
        r#"fnt_engine_tokens_total{direction="output",engine="gemini",model="gemini-2.5-flash"}"#,
    );
    assert!(tokens_in > 0.0 && tokens_out > 0.0, "{text}");
    // At the default balanced price, $0.30 in and $2.50 out per million tokens.
    let cost = series(r#"fnt_engine_cost_dollars_total{engine="gemini",model="gemini-2.5-flash"}"#);
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
    let fake = fake(|a| a.latency_ms = "400".parse().unwrap()).await;
    let mut config = Config::default();
    gemini_config(&mut config, &fake);
    config.gemini_timeout_secs = 5;
    let gemini = GeminiEngine::new(config.gemini().unwrap()).unwrap();
    let mut engines = Engines::builtin();
    engines.insert(Arc::new(PanicsMidCall {
        inner: Arc::new(gemini),
        fired: AtomicBool::new(false),
    }));
    let app = spawn_app_with(
        |c| {
            gemini_config(c, &fake);
            c.gemini_timeout_secs = 5;
        },
        engines,
    )
    .await;
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
    let fake = fake(|_| {}).await;
    let app = gemini_app(&fake, |c| c.chunk_attempts = 2).await;
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
    let fake = fake(|_| {}).await;
    let app = gemini_app(&fake, |_| {}).await;
    let pdf = novel_pdf(12);
    let text_id = app.submit(&pdf, &[("input_mode", "text")]).await;
    assert_eq!(
        app.wait_until_finished(&text_id).await["status"],
        "completed"
    );
    assert_eq!(fake.state.pdf_requests(), 0, "text input sends no PDF");

    let pdf_id = app.submit(&pdf, &[("input_mode", "pdf")]).await;
    let job = app.wait_until_finished(&pdf_id).await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["settings"]["input_mode"], "pdf");
    // Each chunk goes as an inline PDF (a re-ask for a piece over the limit goes as text).
    assert!(
        fake.state.pdf_requests() >= job["total_chunks"].as_u64().unwrap_or(1),
        "the chunks went as inline PDFs"
    );
    assert_eq!(app.sentences(&pdf_id).await, app.sentences(&text_id).await);
}

#[actix_web::test]
async fn a_book_without_a_text_layer_is_accepted_only_for_pdf_input_with_gemini() {
    let fake = fake(|_| {}).await;
    let app = gemini_app(&fake, |_| {}).await;
    let scan = fnt::testkit::pdf::image_only_pdf(3);

    let (status, body) = app.upload(&scan, &[("engine", "local")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "no_text_layer");
    let (status, body) = app.upload(&scan, &[("input_mode", "text")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
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
