//! A job whose PDF is refused after the upload's 202 ends `rejected`: the learner hears why
//! (its view, the list, the event streams), only the job row and its events are kept (no
//! upload, no chunks, no history entry), and it can be deleted but not cancelled, retried or
//! run again.

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::http::StatusCode;
use serde_json::Value;

use fnt::db::LOCAL_USER_ID;
use fnt::engine::Engines;

use crate::helpers::{Act, ScriptedEngine, TestApp, eventually, metric, novel_pdf, spawn_app_with};
use crate::ws_client::WsClient;

const CODE: &str = "no_text_layer";
const MESSAGE: &str = "the PDF has no text layer (a scanned book?): the local engine can only \
                       read PDFs with selectable text";

/// A job that stays queued: this instance runs none.
async fn queued_job(app: &TestApp) -> String {
    let id = app.submit(&novel_pdf(6), &[]).await;
    assert_eq!(app.job(&id).await["status"], "queued");
    // The upload's sandboxed check has had its say (it would write the page count it found
    // over the tests' own) once the staged file is gone.
    eventually("the upload's check to end", || async {
        app.stored_uploads().is_empty().then_some(())
    })
    .await;
    id
}

async fn idle_app() -> TestApp {
    spawn_app_with(|c| c.max_running_jobs = 0, Engines::builtin()).await
}

/// What is left of the job besides its row: (upload stored, chunk rows, history entry).
async fn leftovers(app: &TestApp, id: &str) -> (bool, usize, bool) {
    let db = &app.core.db;
    (
        db.has_upload(id).await.unwrap(),
        db.chunks(id).await.unwrap().len(),
        db.history_for_job(id, LOCAL_USER_ID)
            .await
            .unwrap()
            .is_some(),
    )
}

fn assert_says_why(what: &str, value: &Value) {
    assert_eq!(value["status"], "rejected", "{what}: {value}");
    assert_eq!(value["error"]["code"], CODE, "{what}: {value}");
    assert_eq!(value["error"]["message"], MESSAGE, "{what}: {value}");
}

#[actix_web::test]
async fn a_queued_job_rejected_says_why_everywhere_and_keeps_only_its_row() {
    let app = idle_app().await;
    let id = queued_job(&app).await;
    assert_eq!(leftovers(&app, &id).await, (true, 0, false));
    // Both kinds of listener are there before the rejection.
    let mut ws = WsClient::connect(&app.base).await;
    let snapshot = ws.subscribe(&id, Some(0)).await;
    assert_eq!(snapshot["status"], "queued", "{snapshot}");
    let (status, mut sse) = app.sse(&id, None).await;
    assert_eq!(status, StatusCode::OK);

    assert!(app.core.db.reject_job(&id, CODE, MESSAGE).await.unwrap());

    let events = ws.events_until_final(&id).await;
    assert_says_why("the WebSocket's last event", events.last().unwrap());
    // The stream ends after the final event, as for every end state.
    let streamed = tokio::time::timeout(Duration::from_secs(30), sse.rest())
        .await
        .expect("the SSE stream ends after the rejection");
    let (_, last) = streamed.last().expect("events");
    assert_says_why("the SSE stream's last event", last);
    assert_eq!(streamed[0].1["status"], "queued");

    let job = app.job(&id).await;
    assert_says_why("GET /jobs/{id}", &job);
    assert!(job["finished_at"].is_string(), "{job}");
    let (_, list) = app.get("/api/v1/jobs").await;
    let listed = list["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .find(|j| j["id"] == id.as_str())
        .expect("listed");
    assert_says_why("GET /jobs", listed);
    let row = app.core.db.job(&id, LOCAL_USER_ID).await.unwrap().unwrap();
    assert_eq!((row.lease_owner, row.lease_expires_at), (None, None));

    // Nothing of the file is kept, and no entry was made of it.
    assert_eq!(leftovers(&app, &id).await, (false, 0, false));
    let (_, history) = app.get("/api/v1/history?limit=100").await;
    assert_eq!(history["total"], 0, "{history}");

    let text = app.metrics().await;
    assert_eq!(
        metric(&text, r#"fnt_jobs_finished_total{status="rejected"}"#),
        Some(1.0)
    );
    assert_eq!(metric(&text, r#"fnt_jobs{status="rejected"}"#), Some(1.0));
}

#[actix_web::test]
async fn a_rejected_job_cannot_be_cancelled_retried_or_run_again_but_can_be_deleted() {
    let app = idle_app().await;
    let id = queued_job(&app).await;
    assert!(app.core.db.reject_job(&id, CODE, MESSAGE).await.unwrap());
    // Once ended, it stays as it ended: a second refusal changes nothing.
    assert!(
        !app.core
            .db
            .reject_job(&id, "malformed_pdf", "x")
            .await
            .unwrap()
    );
    assert_says_why("after a second rejection", &app.job(&id).await);

    // The answers an ended job gets.
    let (status, body) = app.post(&format!("/api/v1/jobs/{id}/cancel")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "job_finished");
    let (status, body) = app.post(&format!("/api/v1/jobs/{id}/retry")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "nothing_to_retry");
    let (status, body) = app
        .post_json(&format!("/api/v1/jobs/{id}/rerun"), &serde_json::json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "job_rejected");
    let (status, body) = app.get(&format!("/api/v1/jobs/{id}/result")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "no_result");
    assert_says_why("after the refused requests", &app.job(&id).await);

    let (status, _) = app.delete(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/jobs/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(
        app.core
            .db
            .events_after(&id, 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

#[actix_web::test]
async fn a_running_job_is_rejected_whoever_holds_it_and_its_chunks_stop() {
    let engine = ScriptedEngine::new().always(Act::Hang);
    let app = spawn_app_with(|c| c.chunk_timeout_secs = 300, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;
    app.wait_for(&id, Duration::from_secs(30), |job| {
        job["status"] == "running" && job["total_chunks"].as_i64() > Some(1)
    })
    .await;
    let chunks = app.core.db.chunks(&id).await.unwrap().len();
    assert!(chunks > 1, "{chunks} chunks");
    eventually("a chunk reaches the engine", || async {
        (engine.in_flight.load(Ordering::SeqCst) > 0).then_some(())
    })
    .await;

    // Rejected by the check, not by the worker that holds the job.
    assert!(app.core.db.reject_job(&id, CODE, MESSAGE).await.unwrap());

    assert_says_why("GET /jobs/{id}", &app.job(&id).await);
    assert_eq!(leftovers(&app, &id).await, (false, 0, false));
    // The worker hears of it and stops the job and the chunks it was running.
    eventually("the rejected job's actors to stop", || async {
        let text = app.metrics().await;
        let idle = metric(&text, "fnt_jobs_active") == Some(0.0);
        (idle && engine.in_flight.load(Ordering::SeqCst) == 0).then_some(())
    })
    .await;
    assert_says_why("once its worker let go", &app.job(&id).await);
}

#[actix_web::test]
async fn the_checked_page_count_replaces_the_uploads_until_the_job_ends() {
    let app = idle_app().await;
    let id = queued_job(&app).await;
    app.core.db.set_page_count(&id, 321).await.unwrap();
    assert_eq!(app.job(&id).await["page_count"], 321);

    assert!(app.core.db.reject_job(&id, CODE, MESSAGE).await.unwrap());
    app.core.db.set_page_count(&id, 7).await.unwrap();
    assert_eq!(
        app.job(&id).await["page_count"],
        321,
        "an ended job keeps it"
    );
    // A job that does not exist is nothing to update.
    app.core
        .db
        .set_page_count("00000000-0000-4000-8000-000000000000", 7)
        .await
        .unwrap();
}
