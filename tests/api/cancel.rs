use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;

use crate::helpers::{
    Act, ScriptedEngine, eventually, metric, novel_pdf, spawn_app, spawn_app_with,
};

#[actix_web::test]
async fn cancel_stops_every_chunk_and_the_job_stays_cancelled() {
    // Every chunk of the book hangs on its first attempt; a later job's chunk does not.
    let engine = ScriptedEngine::new();
    for chunk in 0..4 {
        engine.on(chunk, 1, Act::Hang);
    }
    let app = spawn_app_with(|c| c.chunk_timeout_secs = 300, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;
    // Wait until chunks are really running.
    let deadline = Instant::now() + Duration::from_secs(20);
    while engine.in_flight.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "no chunk started");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }

    let (status, body) = app.post(&format!("/api/v1/jobs/{id}/cancel")).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "cancelled");
    assert!(body["finished_at"].is_string());
    let deadline = Instant::now() + Duration::from_secs(5);
    while engine.in_flight.load(Ordering::SeqCst) != 0 {
        assert!(
            Instant::now() < deadline,
            "chunks kept running after cancel"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    // Its job actor is gone, and the supervisor goes on claiming past it: nothing moves the
    // cancelled job again, and nothing restarts it.
    eventually("the job actor to stop", || async {
        let text = app.metrics().await;
        (metric(&text, "fnt_jobs_active") == Some(0.0)).then_some(())
    })
    .await;
    let next = app.submit(&novel_pdf(3), &[]).await;
    assert_eq!(app.wait_until_finished(&next).await["status"], "completed");
    let job = app.job(&id).await;
    assert_eq!(job["status"], "cancelled");
    assert_eq!(engine.in_flight.load(Ordering::SeqCst), 0);
    let calls = engine.calls();
    assert_eq!(
        calls[&0], 2,
        "the cancelled chunk 0 once, the next job's once"
    );
    let others: u32 = (1..4).filter_map(|c| calls.get(&c)).sum();
    assert!(
        others <= 2,
        "chunks were started again after cancel: {calls:?}"
    );

    // Cancelling again is harmless; the result does not exist.
    assert_eq!(
        app.post(&format!("/api/v1/jobs/{id}/cancel")).await.0,
        StatusCode::OK
    );
    let (status, body) = app.get(&format!("/api/v1/jobs/{id}/result")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "no_result");
}

#[actix_web::test]
async fn a_queued_job_can_be_cancelled_before_it_starts() {
    let engine = ScriptedEngine::new().always(Act::Hang);
    let app = spawn_app_with(|c| c.max_running_jobs = 1, engine.engines()).await;
    let pdf = novel_pdf(5);
    let running = app.submit(&pdf, &[]).await;
    let queued = app.submit(&pdf, &[]).await;
    assert_eq!(app.job(&queued).await["status"], "queued");

    let (status, body) = app.post(&format!("/api/v1/jobs/{queued}/cancel")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "cancelled");
    app.post(&format!("/api/v1/jobs/{running}/cancel")).await;
    // The freed slot goes to the next job queued, past the cancelled one.
    let next = app.submit(&pdf, &[]).await;
    app.wait_for(&next, Duration::from_secs(30), |job| {
        job["status"] == "running"
    })
    .await;
    let queued = app.job(&queued).await;
    assert_eq!(queued["status"], "cancelled");
    assert_eq!(queued["started_at"], serde_json::Value::Null, "{queued}");
}

#[actix_web::test]
async fn a_finished_job_cannot_be_cancelled() {
    let app = spawn_app().await;
    let id = app.submit(&novel_pdf(5), &[]).await;
    assert_eq!(app.wait_until_finished(&id).await["status"], "completed");
    let (status, body) = app.post(&format!("/api/v1/jobs/{id}/cancel")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "job_finished");
    assert_eq!(app.job(&id).await["status"], "completed");
}
