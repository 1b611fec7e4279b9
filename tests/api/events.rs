//! Progress as Server-Sent Events: every change of a job, in order, once; a reconnect with
//! `Last-Event-ID` gets exactly what it missed.

use std::time::Duration;

use actix_web::http::StatusCode;
use serde_json::Value;

use crate::helpers::{Act, ScriptedEngine, novel_pdf, spawn_app_with};

fn stored(events: &[fnt::events::JobEvent]) -> Vec<(i64, Value)> {
    events
        .iter()
        .map(|e| (e.seq, serde_json::to_value(e).unwrap()))
        .collect()
}

#[actix_web::test]
async fn every_event_of_a_multi_chunk_job_arrives_in_order_once() {
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(60)));
    let app = spawn_app_with(|_| {}, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;
    // Another job runs at the same time: its events must not leak into this stream.
    let other = app.submit(&novel_pdf(12), &[]).await;

    let (status, mut sse) = app.sse(&id, None).await;
    assert_eq!(status, StatusCode::OK);
    let events = sse.rest().await;
    assert!(events.iter().all(|(_, e)| e["job_id"] == id.as_str()));
    assert_eq!(app.wait_until_finished(&other).await["status"], "completed");

    let seqs: Vec<i64> = events.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "gap or duplicate"
    );
    assert_eq!(events[0].1["status"], "queued");
    assert!(
        events
            .iter()
            .any(|(_, e)| e["status"] == "running" && e["chunk"].is_null())
    );
    let last = &events.last().unwrap().1;
    assert_eq!(last["status"], "completed");
    assert_eq!(last["progress_percent"], 100);
    let percents: Vec<i64> = events
        .iter()
        .map(|(_, e)| e["progress_percent"].as_i64().unwrap())
        .collect();
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    let total = last["total_chunks"].as_i64().unwrap();
    for index in 0..total {
        for status in ["running", "done"] {
            assert!(
                events
                    .iter()
                    .any(|(_, e)| e["chunk"]["index"] == index && e["chunk"]["status"] == status),
                "no {status} event for chunk {index}"
            );
        }
    }
    let db = app.core.db.events_after(&id, 0, 10_000).await.unwrap();
    assert_eq!(events, stored(&db), "the stream is the stored log");
}

#[actix_web::test]
async fn a_reconnect_with_last_event_id_gets_exactly_what_it_missed() {
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(80)));
    let app = spawn_app_with(|c| c.medium_parallelism = 1, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;

    let (_, mut first) = app.sse(&id, None).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(first.next_event().await.expect("an event"));
    }
    drop(first);
    let last_seen = seen.last().unwrap().0;
    let (status, mut second) = app.sse(&id, Some(last_seen)).await;
    assert_eq!(status, StatusCode::OK);
    seen.extend(second.rest().await);

    let seqs: Vec<i64> = seen.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "gap or duplicate"
    );
    assert_eq!(seen.last().unwrap().1["status"], "completed");
    let db = app.core.db.events_after(&id, 0, 10_000).await.unwrap();
    assert_eq!(seen, stored(&db));

    // Resuming after the final event: nothing more, and the stream ends.
    let (status, mut after_end) = app
        .sse(&id, Some(last_seen.max(seqs[seqs.len() - 1])))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(after_end.next_event().await.is_none());
    // Polling keeps working beside the stream.
    assert_eq!(app.job(&id).await["status"], "completed");
}

#[actix_web::test]
async fn bad_resumes_and_unknown_jobs_are_refused() {
    let app = spawn_app_with(|_| {}, fnt::engine::Engines::builtin()).await;
    let id = app.submit(&novel_pdf(5), &[]).await;
    let (status, body) = app
        .get("/api/v1/jobs/6f1c2b1e-0000-4000-8000-000000000000/events")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app
        .get(&format!("/api/v1/jobs/{id}/events?after_seq=x"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = app.sse(&id, Some(-3)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
