use std::time::Duration;

use actix_web::http::StatusCode;
use serde_json::Value;

use crate::helpers::{Act, ScriptedEngine, eventually, novel_pdf, spawn_app, spawn_app_with};
use fnt::engine::{EngineError, Engines};

#[actix_web::test]
async fn upload_answers_202_with_a_job_id_before_any_processing() {
    // Every chunk hangs, so any processing would be visible as a finished chunk.
    let engine = ScriptedEngine::new().always(Act::Hang);
    let app = spawn_app_with(|_| {}, engine.engines()).await;

    let (status, body) = app.upload(&novel_pdf(12), &[]).await;

    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["job_id"].as_str().expect("job_id");
    let job = app.job(id).await;
    assert!(
        matches!(job["status"].as_str(), Some("queued" | "running")),
        "{job}"
    );
    assert_eq!(job["processed_chunks"], 0);
    assert!(job["finished_at"].is_null());
    app.post(&format!("/api/v1/jobs/{id}/cancel")).await;
}

#[actix_web::test]
async fn a_job_runs_to_completion_with_every_field_and_sentences_in_book_order() {
    let app = spawn_app().await;
    let id = app.submit(&novel_pdf(12), &[]).await;

    let job = app.wait_until_finished(&id).await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["progress_percent"], 100);
    assert_eq!(job["id"], id.as_str());
    assert_eq!(job["file_name"], "book.pdf");
    assert!(job["page_count"].as_i64().unwrap() >= 10);
    let total = job["total_chunks"].as_i64().unwrap();
    assert!(
        total >= 3,
        "a 12-page book makes several chunks here: {job}"
    );
    assert_eq!(
        job["processed_chunks"].as_i64(),
        Some(total),
        "{job} {:?}",
        app.core
            .db
            .chunks(&id)
            .await
            .unwrap()
            .iter()
            .map(|c| (c.idx, c.status, c.attempts))
            .collect::<Vec<_>>()
    );
    assert_eq!(job["failed_chunks"], 0);
    assert_eq!(job["settings"]["sentence_length_limit"], 8);
    assert_eq!(job["error"], Value::Null);
    for field in ["current_step", "created_at", "started_at", "finished_at"] {
        assert!(job[field].is_string(), "{field} missing: {job}");
    }

    let sentences = app.sentences(&id).await;
    assert!(sentences.len() > 50);
    let mut last_page = 0;
    app.assert_within_limit(&id, 8).await;
    for (_, original, page) in &sentences {
        assert!(!original.is_empty());
        assert!(
            *page >= last_page,
            "pages go back: {page} after {last_page}"
        );
        last_page = *page;
    }

    // The result is also in the owner's history, sentence for sentence.
    let entry = app
        .core
        .db
        .history_for_job(&id, fnt::db::LOCAL_USER_ID)
        .await
        .unwrap()
        .expect("history entry");
    assert_eq!(entry.sentence_count as usize, sentences.len());
    assert_eq!(entry.status, fnt::lifecycle::JobStatus::Completed);
}

#[actix_web::test]
async fn form_fields_set_the_job_settings() {
    let app = spawn_app().await;
    let id = app
        .submit(
            &novel_pdf(6),
            &[
                ("sentence_length_limit", "5"),
                ("ignore_dialogue", "false"),
                ("min_sentence_length", "1"),
            ],
        )
        .await;
    let job = app.wait_until_finished(&id).await;
    assert_eq!(job["status"], "completed");
    assert_eq!(job["settings"]["sentence_length_limit"], 5);
    app.assert_within_limit(&id, 5).await;
}

#[actix_web::test]
async fn ignore_dialogue_keeps_quoted_speech_whole() {
    let app = spawn_app().await;
    let id = app
        .submit(
            &novel_pdf(6),
            &[
                ("ignore_dialogue", "true"),
                ("sentence_length_limit", "3"),
                ("min_sentence_length", "1"),
            ],
        )
        .await;
    assert_eq!(app.wait_until_finished(&id).await["status"], "completed");
    let sentences = app.sentences(&id).await;
    let quoted: Vec<_> = sentences
        .iter()
        .filter(|(_, original, _)| original.starts_with('«') && original.trim_end().ends_with('»'))
        .collect();
    assert!(!quoted.is_empty(), "the novel has quoted speech");
    for (normalized, original, _) in quoted {
        assert_eq!(normalized, original, "quoted speech was cut");
    }
}

#[actix_web::test]
async fn progress_never_goes_down() {
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(150)));
    let app = spawn_app_with(|c| c.medium_parallelism = 1, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;

    let mut seen = Vec::new();
    loop {
        let job = app.job(&id).await;
        seen.push(job["progress_percent"].as_i64().unwrap());
        if job["status"] != "queued" && job["status"] != "running" {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(seen.last(), Some(&100));
    let distinct = seen.iter().collect::<std::collections::BTreeSet<_>>().len();
    assert!(distinct >= 4, "progress moved in steps: {seen:?}");
}

#[actix_web::test]
async fn jobs_are_listed_newest_first() {
    let app = spawn_app().await;
    let pdf = novel_pdf(5);
    let first = app.submit(&pdf, &[]).await;
    let second = app.submit(&pdf, &[]).await;

    let (status, body) = app.get("/api/v1/jobs").await;

    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()]);
    let (status, body) = app.get("/api/v1/jobs?limit=1&offset=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["jobs"][0]["id"], first.as_str());
}

#[actix_web::test]
async fn the_result_of_an_unfinished_job_is_a_conflict() {
    let engine = ScriptedEngine::new().always(Act::Hang);
    let app = spawn_app_with(|_| {}, engine.engines()).await;
    let id = app.submit(&novel_pdf(5), &[]).await;
    let (status, body) = app.get(&format!("/api/v1/jobs/{id}/result")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "job_not_finished");
}

#[actix_web::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.0, StatusCode::OK);
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ready");
}

#[actix_web::test]
async fn uploads_are_deleted_after_the_retention_period_once_their_job_ended() {
    let app = spawn_app_with(|c| c.upload_retention_secs = 1, Engines::builtin()).await;
    let finished = app.submit(&novel_pdf(6), &[]).await;
    // On another server, a job that stays running (its first chunk hangs).
    let hanging = ScriptedEngine::new().on(0, 1, Act::Hang);
    let busy = spawn_app_with(
        |c| {
            c.upload_retention_secs = 1;
            c.chunk_timeout_secs = 60;
        },
        hanging.engines(),
    )
    .await;
    let running = busy.submit(&novel_pdf(12), &[]).await;
    eventually("the running job's first chunk to hang", || async {
        hanging.calls().get(&0).map(|_| ())
    })
    .await;
    // A job that ends on the busy server beside the one that stays running: its upload going
    // is the sign that a sweep ran there past the retention period.
    let ended = busy.submit(&novel_pdf(3), &[]).await;

    assert_eq!(
        app.wait_until_finished(&finished).await["status"],
        "completed"
    );
    for (server, job) in [(&app, &finished), (&busy, &ended)] {
        eventually("the ended job's upload to be deleted", || async {
            server
                .core
                .db
                .upload(job)
                .await
                .unwrap()
                .is_none()
                .then_some(())
        })
        .await;
    }
    assert!(!app.sentences(&finished).await.is_empty(), "results stay");

    assert_eq!(busy.job(&running).await["status"], "running");
    assert!(
        busy.core.db.upload(&running).await.unwrap().is_some(),
        "a job still running keeps its upload"
    );
}

/// A chunk parked until the engine's daily quota resets holds the ETA: the job cannot end
/// before the park does, however quick its other chunk was.
#[actix_web::test]
async fn a_chunk_parked_for_the_daily_quota_pushes_the_eta_past_its_park() {
    const PARK_SECS: i64 = 20 * 3600;
    let until = chrono::Utc::now() + chrono::Duration::seconds(PARK_SECS);
    let engine = ScriptedEngine::new().on(1, 1, Act::Fail(EngineError::QuotaExhausted { until }));
    let app = spawn_app_with(|_| {}, engine.engines()).await;
    // 40 pages: two chunks, run side by side.
    let id = app.submit(&novel_pdf(40), &[]).await;
    let (status, mut events) = app.sse(&id, None).await;
    assert_eq!(status, StatusCode::OK);

    let (mut parked, mut done) = (false, false);
    let event = loop {
        let (_, event) = events.next_event().await.expect("the job's events go on");
        let chunk = &event["chunk"];
        parked |= chunk["index"] == 1 && chunk["status"] == "waiting";
        done |= chunk["index"] == 0 && chunk["status"] == "done";
        if parked && done {
            break event;
        }
    };
    assert_eq!(event["status"], "running", "{event}");
    let eta = event["eta_seconds"].as_i64().unwrap_or_default();
    // The park, less the moments the test took to get here.
    assert!(eta >= PARK_SECS - 60, "{event}");
    app.post(&format!("/api/v1/jobs/{id}/cancel")).await;
}
