use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;

use crate::helpers::{Act, ScriptedEngine, novel_pdf, spawn_app, spawn_app_with};

#[actix_web::test]
async fn cancel_stops_every_chunk_and_the_job_stays_cancelled() {
    let engine = ScriptedEngine::new().always(Act::Hang);
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
    // Well past a heartbeat and a poll: nothing moves it again, and nothing restarts it.
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    let job = app.job(&id).await;
    assert_eq!(job["status"], "cancelled");
    assert_eq!(engine.in_flight.load(Ordering::SeqCst), 0);
    let calls: u32 = engine.calls().values().sum();
    assert!(
        calls <= 3,
        "chunks were started again after cancel: {calls}"
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
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.job(&queued).await["status"], "cancelled");
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
