//! What a learner does with a finished book: the study filters of the results view, exports
//! that take the same selection, and jobs that end without a dead end (deleted, run again).

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Act, ScriptedEngine, TestApp, novel_pdf, spawn_app, spawn_app_with};

/// Every source sentence (with its pieces) the view shows for `query`, all pages read.
async fn studied(app: &TestApp, id: &str, query: &str) -> (i64, Vec<Value>) {
    let mut sources = Vec::new();
    let mut total = None;
    loop {
        let (status, page) = app
            .get(&format!(
                "/api/v1/history/{id}/sentences?limit=40&offset={}&{query}",
                sources.len()
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        total.get_or_insert(page["total"].as_i64().expect("total"));
        let items = page["sources"].as_array().expect("sources").clone();
        if items.is_empty() {
            break;
        }
        sources.extend(items);
    }
    let total = total.expect("a first page");
    assert_eq!(usize::try_from(total).ok(), Some(sources.len()), "{query}");
    (total, sources)
}

fn pieces(sources: &[Value]) -> Vec<&Value> {
    sources
        .iter()
        .flat_map(|s| s["pieces"].as_array().expect("pieces"))
        .collect()
}

fn folded(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[actix_web::test]
async fn each_study_filter_narrows_the_book_and_they_combine() {
    let app = spawn_app().await;
    // A short limit leaves clauses over it, so every filter has something to take away.
    let (_, id) = app
        .finished_entry(&novel_pdf(16), &[("sentence_length_limit", "5")])
        .await;
    let (all_total, all) = studied(&app, &id, "").await;
    let every = pieces(&all);
    assert!(
        every.iter().all(|p| p["complete"].is_boolean()),
        "each piece says whether it is a sentence"
    );

    // Edited only: exactly the pieces the learner changed.
    let edited: Vec<i64> = [2, 5, 9]
        .iter()
        .map(|i| every[*i]["position"].as_i64().expect("position"))
        .collect();
    for position in &edited {
        let (status, body) = app
            .patch_json(
                &format!("/api/v1/history/{id}/sentences/{position}"),
                &json!({"normalized": "Le chien dort."}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, only_edited) = studied(&app, &id, "edited_only=true").await;
    let shown: Vec<i64> = pieces(&only_edited)
        .iter()
        .map(|p| p["position"].as_i64().expect("position"))
        .collect();
    assert_eq!(shown, edited);

    // Hide over the limit: none left, and something was there to hide.
    let over = every.iter().filter(|p| p["kind"] == "over_limit").count();
    assert!(over > 0, "a 5-word limit leaves long clauses whole");
    // An edit is judged like the engine's text: shortened, a piece is no longer over the
    // limit; written back, it is again.
    let long = every
        .iter()
        .find(|p| p["kind"] == "over_limit")
        .expect("a piece over the limit");
    let path = format!("/api/v1/history/{id}/sentences/{}", long["position"]);
    let (_, shortened) = app
        .patch_json(&path, &json!({"normalized": "Il attendait."}))
        .await;
    assert_eq!(shortened["kind"], "rewritten", "{shortened}");
    let (_, restored) = app
        .patch_json(&path, &json!({"normalized": long["normalized"]}))
        .await;
    assert_eq!(restored["kind"], "over_limit", "{restored}");
    assert_eq!(restored["edited"], false, "{restored}");
    let (_, now) = studied(&app, &id, "").await;
    let now = pieces(&now);
    let over_now = now.iter().filter(|p| p["kind"] == "over_limit").count();
    assert!(over_now > 0 && over_now <= over);
    let (_, within) = studied(&app, &id, "hide_over_limit=true").await;
    assert!(pieces(&within).iter().all(|p| p["kind"] != "over_limit"));
    assert_eq!(pieces(&within).len(), now.len() - over_now);

    // Complete sentences only: each one shown is complete.
    let (_, complete) = studied(&app, &id, "complete_only=true").await;
    let complete = pieces(&complete);
    assert!(!complete.is_empty());
    assert!(complete.iter().all(|p| p["complete"] == true));
    assert_eq!(
        complete.len(),
        every.iter().filter(|p| p["complete"] == true).count()
    );

    // Hide duplicates: each wording once, the first of them kept. The three edits made
    // "Le chien dort." three times.
    let (_, edited_book) = studied(&app, &id, "").await;
    let every = pieces(&edited_book);
    let (_, unique) = studied(&app, &id, "hide_duplicates=true").await;
    let unique = pieces(&unique);
    let mut seen = HashSet::new();
    for piece in &unique {
        assert!(
            seen.insert(folded(piece["normalized"].as_str().expect("text"))),
            "{piece}"
        );
    }
    assert_eq!(
        unique.len(),
        every
            .iter()
            .map(|p| folded(p["normalized"].as_str().expect("text")))
            .collect::<HashSet<_>>()
            .len()
    );
    assert!(unique.len() < every.len());

    // Together, with a chapter and a search: every condition holds at once.
    let query = "chapter=2&hide_over_limit=true&complete_only=true&q=le";
    let (total, both) = studied(&app, &id, query).await;
    assert!(total > 0 && total < all_total, "{total} of {all_total}");
    for source in &both {
        assert_eq!(source["chapter"], 2);
        for piece in source["pieces"].as_array().expect("pieces") {
            assert_ne!(piece["kind"], "over_limit");
            assert_eq!(piece["complete"], true);
        }
    }

    // Booleans are booleans.
    let (status, body) = app
        .get(&format!("/api/v1/history/{id}/sentences?edited_only=maybe"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[actix_web::test]
async fn an_export_takes_what_the_view_shows() {
    let app = spawn_app().await;
    let (_, id) = app
        .finished_entry(&novel_pdf(12), &[("sentence_length_limit", "6")])
        .await;
    let query = "chapter=2&hide_over_limit=true&hide_duplicates=true";
    let (_, shown) = studied(&app, &id, query).await;
    let expected: Vec<String> = pieces(&shown)
        .iter()
        .map(|p| p["position"].to_string())
        .collect();
    assert!(!expected.is_empty());

    let (status, _, body) = app
        .download(&format!(
            "/api/v1/history/{id}/export?format=csv&chapters=2&hide_over_limit=true&hide_duplicates=true"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = std::str::from_utf8(&body).expect("utf-8");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let exported: Vec<String> = reader
        .records()
        .map(|r| r.expect("row")[0].to_owned())
        .collect();
    assert_eq!(exported, expected);

    // A search that finds nothing exports nothing, and says why.
    let (status, body) = app
        .get(&format!("/api/v1/history/{id}/export?format=json&q=zzzxqj"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_selection");
}

/// A job whose first chunk hangs on its first attempt, seen running, then cancelled.
async fn cancelled_job(app: &TestApp, engine: &ScriptedEngine) -> String {
    let id = app.submit(&novel_pdf(3), &[]).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while engine.in_flight.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "no chunk started");
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let running = app.job(&id).await;
    assert_eq!(running["status"], "running");
    assert_ne!(
        running["current_step"], "queued",
        "a running job does not say it is queued"
    );
    // Nothing ended yet: no way round the cancel.
    let (status, body) = app.delete(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "job_running");
    let (status, body) = app
        .post_json(&format!("/api/v1/jobs/{id}/rerun"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = app.post(&format!("/api/v1/jobs/{id}/cancel")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

#[actix_web::test]
async fn a_cancelled_job_is_run_again_from_its_kept_pdf_or_deleted() {
    let engine = ScriptedEngine::new().on(0, 1, Act::Hang);
    let app = spawn_app_with(|c| c.chunk_timeout_secs = 300, engine.engines()).await;
    let first = cancelled_job(&app, &engine).await;

    // Run again, with a setting changed: a new job that finishes.
    let (status, body) = app
        .post_json(
            &format!("/api/v1/jobs/{first}/rerun"),
            &json!({"sentence_length_limit": 6}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let second = body["job_id"].as_str().expect("job id").to_owned();
    assert_ne!(second, first);
    let done = app.wait_until_finished(&second).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["settings"]["sentence_length_limit"], 6);
    assert_eq!(done["file_name"], app.job(&first).await["file_name"]);

    // Delete the cancelled one: gone from the job and the list, its PDF too.
    let (status, _) = app.delete(&format!("/api/v1/jobs/{first}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&format!("/api/v1/jobs/{first}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (_, list) = app.get("/api/v1/jobs?limit=50").await;
    let ids: Vec<&str> = list["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter_map(|j| j["id"].as_str())
        .collect();
    assert_eq!(ids, vec![second.as_str()]);
    let (status, body) = app
        .post_json(&format!("/api/v1/jobs/{first}/rerun"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = app.delete(&format!("/api/v1/jobs/{first}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A finished job goes with its history entry.
    let (_, history) = app.get("/api/v1/history").await;
    assert_eq!(history["total"], 1);
    let (status, _) = app.delete(&format!("/api/v1/jobs/{second}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, history) = app.get("/api/v1/history").await;
    assert_eq!(history["total"], 0);
    for bad in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let (status, body) = app.delete(&format!("/api/v1/jobs/{bad}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
}

#[actix_web::test]
async fn settings_come_with_the_servers_defaults() {
    let app = spawn_app().await;
    let (status, body) = app
        .put_json("/api/v1/settings", &json!({"sentence_length_limit": 5}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = app.get("/api/v1/settings").await;
    assert_eq!(body["settings"]["sentence_length_limit"], 5);
    assert_eq!(body["defaults"]["sentence_length_limit"], 8);
    assert_eq!(body["defaults"]["engine"], "local");
}
