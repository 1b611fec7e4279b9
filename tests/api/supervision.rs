//! Chunk actors under supervision: a panic or a hang ends in a restart, never in a crash.

use actix_web::http::StatusCode;

use crate::helpers::{Act, ScriptedEngine, novel_pdf, spawn_app, spawn_app_with};
use fnt::engine::EngineError;

#[actix_web::test]
async fn a_panicking_chunk_and_a_hanging_chunk_are_restarted_and_the_job_completes() {
    let pdf = novel_pdf(12);
    let reference = spawn_app().await;
    let clean_id = reference.submit(&pdf, &[]).await;
    assert_eq!(
        reference.wait_until_finished(&clean_id).await["status"],
        "completed"
    );
    let expected = reference.sentences(&clean_id).await;

    let engine = ScriptedEngine::new()
        .on(1, 1, Act::Panic)
        .on(2, 1, Act::Hang)
        .on(
            3,
            1,
            Act::Fail(EngineError::Unavailable("503 from upstream".into())),
        );
    let app = spawn_app_with(|c| c.chunk_timeout_secs = 1, engine.engines()).await;
    let id = app.submit(&pdf, &[]).await;

    let job = app.wait_until_finished(&id).await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["failed_chunks"], 0);
    assert_eq!(app.sentences(&id).await, expected);
    let calls = engine.calls();
    assert_eq!(calls[&1], 2, "the panicking chunk ran twice");
    assert_eq!(calls[&2], 2, "the hanging chunk ran twice");
    assert_eq!(calls[&3], 2, "the failing chunk ran twice");
    assert_eq!(calls[&0], 1);
    let chunks = app.core.db.chunks(&id).await.unwrap();
    assert_eq!(chunks[1].attempts, 2);
    assert_eq!(chunks[2].attempts, 2);
    assert!(
        chunks[2]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("time limit")
    );
    assert!(
        chunks[1]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("panicked")
    );
}

#[actix_web::test]
async fn a_chunk_that_keeps_failing_leaves_a_partial_job_and_the_process_keeps_working() {
    let engine = ScriptedEngine::new();
    for attempt in 1..=3 {
        engine.on(0, attempt, Act::Panic);
    }
    let app = spawn_app_with(|c| c.chunk_attempts = 3, engine.engines()).await;
    let pdf = novel_pdf(12);
    let id = app.submit(&pdf, &[]).await;

    let job = app.wait_until_finished(&id).await;

    assert_eq!(job["status"], "partial", "{job}");
    assert_eq!(job["failed_chunks"], 1);
    let total = job["total_chunks"].as_i64().unwrap();
    assert_eq!(job["processed_chunks"].as_i64(), Some(total - 1));
    assert_eq!(engine.calls()[&0], 3, "attempts are capped");
    let sentences = app.sentences(&id).await;
    assert!(!sentences.is_empty(), "the other chunks' results are kept");
    let first_page_of_chunk_1 = app.core.db.chunks(&id).await.unwrap()[1].first_page as i64;
    assert!(
        sentences
            .iter()
            .all(|(_, _, page)| *page >= first_page_of_chunk_1)
    );

    // The same process, arbiter and database still run new jobs.
    let (status, body) = app.upload(&pdf, &[]).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let next = body["job_id"].as_str().unwrap().to_owned();
    assert_eq!(app.wait_until_finished(&next).await["status"], "completed");
}

#[actix_web::test]
async fn a_permanent_error_is_not_retried() {
    let engine = ScriptedEngine::new().on(
        0,
        1,
        Act::Fail(EngineError::Permanent("bad request".into())),
    );
    let app = spawn_app_with(|_| {}, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;
    let job = app.wait_until_finished(&id).await;
    assert_eq!(job["status"], "partial");
    assert_eq!(engine.calls()[&0], 1);
}

#[actix_web::test]
async fn a_job_whose_chunks_all_fail_is_failed_with_a_reason() {
    let engine = ScriptedEngine::new().always(Act::Fail(EngineError::Permanent("refused".into())));
    let app = spawn_app_with(|_| {}, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;
    let job = app.wait_until_finished(&id).await;
    assert_eq!(job["status"], "failed");
    assert_eq!(job["error"]["code"], "all_chunks_failed");
    // The kind of failure, in the service's words; the engine's own text stays in the log.
    let message = job["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("the engine could not rewrite this chunk"),
        "{message}"
    );
    // Its final event says the same, for clients that follow the events only.
    let events = app.core.db.events_after(&id, 0, 100_000).await.unwrap();
    let last = serde_json::to_value(events.last().expect("events")).unwrap();
    assert_eq!(last["status"], "failed", "{last}");
    assert_eq!(last["error"], job["error"], "{last}");
    let (status, body) = app.get(&format!("/api/v1/jobs/{id}/result")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[actix_web::test]
async fn clients_are_told_the_kind_of_a_chunk_failure_not_its_text() {
    let engine = ScriptedEngine::new().on(1, 1, Act::Panic).on(
        2,
        1,
        Act::Fail(EngineError::Unavailable(
            "503 from upstream: <html>internal-host-17 stack trace</html>".into(),
        )),
    );
    let app = spawn_app_with(|c| c.retry_base_ms = 1, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;
    let job = app.wait_until_finished(&id).await;
    assert_eq!(job["status"], "completed", "{job}");

    let (status, mut events) = app.sse(&id, None).await;
    assert_eq!(status, StatusCode::OK);
    let errors: Vec<String> = events
        .rest()
        .await
        .into_iter()
        .filter_map(|(_, event)| event["chunk"]["error"].as_str().map(str::to_owned))
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("panicked")),
        "the panic is named: {errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e == "the model service is unavailable"),
        "the outage is named: {errors:?}"
    );
    for error in &errors {
        assert!(
            !error.contains("scripted panic") && !error.contains("internal-host-17"),
            "{error}"
        );
    }
    // The stored chunk says the same, no more.
    for chunk in app.core.db.chunks(&id).await.unwrap() {
        let stored = chunk.last_error.unwrap_or_default();
        assert!(
            !stored.contains("scripted panic") && !stored.contains("internal-host-17"),
            "{stored}"
        );
    }
}
