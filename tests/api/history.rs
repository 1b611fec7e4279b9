//! History: every finished job's entry, listed, searched, read, edited, deleted and re-processed.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, multipart_body, novel_pdf, spawn_app};

/// Uploads `pdf` under `file_name` and returns the job id.
pub async fn submit_named(app: &TestApp, pdf: &[u8], file_name: &str) -> String {
    let boundary = "fnt-history-boundary";
    let body = multipart_body(boundary, &[], Some((file_name, pdf)));
    let (status, body) = app
        .post_raw(
            "/api/v1/jobs",
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body["job_id"].as_str().expect("job_id").to_owned()
}

/// The entry's detail with all its pieces flattened into `sentences`.
async fn entry(app: &TestApp, id: &str) -> Value {
    app.history_detail(id).await
}

#[actix_web::test]
async fn a_finished_job_leaves_an_entry_with_its_details_and_sentences() {
    let app = spawn_app().await;
    let (job, id) = app
        .finished_entry(&novel_pdf(8), &[("sentence_length_limit", "10")])
        .await;

    let detail = entry(&app, &id).await;
    let e = &detail["entry"];
    assert_eq!(e["job_id"], job.as_str());
    assert_eq!(e["file_name"], "book.pdf");
    assert_eq!(e["status"], "completed");
    assert_eq!(e["engine"], "local");
    assert_eq!(e["settings"]["sentence_length_limit"], 10);
    assert_eq!(e["exported_to_sheets"], false);
    assert!(e["sheet_url"].is_null());
    assert!(e["page_count"].as_i64().unwrap() >= 8, "{e}");
    assert!(e["processing_ms"].as_i64().unwrap() >= 0);
    assert!(e["created_at"].is_string());
    // The local engine calls no model: nothing was spent.
    assert_eq!(e["tokens_in"], 0);
    assert_eq!(e["api_calls"], 0);
    assert_eq!(detail["pdf_available"], true);
    assert!(detail["pdf_kept_until"].is_string());

    let result = app.sentences(&job).await;
    let sentences = detail["sentences"].as_array().unwrap();
    assert_eq!(e["sentence_count"].as_u64(), Some(sentences.len() as u64));
    assert_eq!(sentences.len(), result.len());
    for (i, (s, (normalized, original, page))) in sentences.iter().zip(&result).enumerate() {
        assert_eq!(s["position"].as_u64(), Some(i as u64 + 1));
        assert_eq!(s["normalized"], normalized.as_str());
        assert_eq!(s["original"], original.as_str());
        assert_eq!(s["page"].as_i64(), Some(*page));
        assert_eq!(s["edited"], false);
        assert!(s.get("engine_text").is_none(), "{s}");
    }
}

#[actix_web::test]
async fn history_is_paged_newest_first_and_searched_by_file_name() {
    let app = spawn_app().await;
    let pdf = novel_pdf(5);
    let mut jobs = Vec::new();
    for name in [
        "Zola - Germinal.pdf",
        "Hugo - Les Misérables.pdf",
        "zola_nana.pdf",
    ] {
        let job = submit_named(&app, &pdf, name).await;
        app.wait_until_finished(&job).await;
        jobs.push(job);
    }

    let (status, first) = app.get("/api/v1/history?limit=2").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["total"], 3);
    let names = |page: &Value| -> Vec<String> {
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["file_name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(&first),
        ["zola_nana.pdf", "Hugo - Les Misérables.pdf"]
    );
    let (_, second) = app.get("/api/v1/history?limit=2&offset=2").await;
    assert_eq!(names(&second), ["Zola - Germinal.pdf"]);
    assert_eq!(second["entries"][0]["job_id"], jobs[0].as_str());

    let (_, zola) = app.get("/api/v1/history?search=ZOLA").await;
    assert_eq!(zola["total"], 2);
    assert_eq!(names(&zola), ["zola_nana.pdf", "Zola - Germinal.pdf"]);
    let (_, hugo) = app.get("/api/v1/history?search=%20hugo%20").await;
    assert_eq!(names(&hugo), ["Hugo - Les Misérables.pdf"]);
    // Accents compare whatever their case and however they were typed (composed or not).
    for term in ["MIS%C3%89RABLES", "mise%CC%81rables"] {
        let (_, found) = app.get(&format!("/api/v1/history?search={term}")).await;
        assert_eq!(names(&found), ["Hugo - Les Misérables.pdf"], "{term}");
    }
    // LIKE's own wildcards are taken literally.
    for literal in ["z%25a", "z_la", "%5C"] {
        let (status, none) = app.get(&format!("/api/v1/history?search={literal}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(none["total"], 0, "{literal}: {none}");
    }

    for bad in [
        "limit=0",
        "limit=101",
        "offset=-1",
        "limit=ten",
        "colour=red",
        &format!("search={}", "x".repeat(201)),
    ] {
        let (status, body) = app.get(&format!("/api/v1/history?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["error"]["code"].is_string(), "{body}");
    }
}

#[actix_web::test]
async fn an_edit_keeps_the_engine_text_marks_the_sentence_and_can_be_undone() {
    let app = spawn_app().await;
    let (job, id) = app.finished_entry(&novel_pdf(5), &[]).await;
    let before = entry(&app, &id).await["sentences"][1].clone();
    let engine_text = before["normalized"].as_str().unwrap().to_owned();

    let (status, edited) = app
        .patch_json(
            &format!("/api/v1/history/{id}/sentences/2"),
            &json!({"normalized": "  Il pleut sur la ville.  "}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["position"], 2);
    assert_eq!(edited["normalized"], "Il pleut sur la ville.");
    assert_eq!(edited["edited"], true);
    assert_eq!(edited["engine_text"], engine_text.as_str());
    assert_eq!(edited["original"], before["original"]);
    assert!(edited["edited_at"].is_string());

    // Stored, shown everywhere the sentence is, and its neighbours untouched.
    let after = entry(&app, &id).await;
    assert_eq!(after["sentences"][1], edited);
    assert_eq!(after["sentences"][0]["edited"], false);
    assert_eq!(app.sentences(&job).await[1].0, "Il pleut sur la ville.");

    // A second edit still remembers the engine's text, not the first edit.
    let (_, again) = app
        .patch_json(
            &format!("/api/v1/history/{id}/sentences/2"),
            &json!({"normalized": "Il neige."}),
        )
        .await;
    assert_eq!(again["engine_text"], engine_text.as_str());
    // Writing the engine's text back undoes the edit.
    let (_, undone) = app
        .patch_json(
            &format!("/api/v1/history/{id}/sentences/2"),
            &json!({"normalized": engine_text}),
        )
        .await;
    assert_eq!(undone["edited"], false);
    assert!(undone.get("engine_text").is_none(), "{undone}");

    let count = after["entry"]["sentence_count"].as_i64().unwrap();
    let cases: Vec<(String, Value, StatusCode)> = vec![
        (
            "1".into(),
            json!({"normalized": "   "}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "1".into(),
            json!({"normalized": "a\u{0}b"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "1".into(),
            json!({"normalized": "x".repeat(2001)}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "1".into(),
            json!({"normalized": 5}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "1".into(),
            json!({"text": "Bonjour."}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "1".into(),
            json!({"normalized": "Bonjour.", "extra": 1}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "first".into(),
            json!({"normalized": "Bonjour."}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "0".into(),
            json!({"normalized": "Bonjour."}),
            StatusCode::NOT_FOUND,
        ),
        (
            (count + 1).to_string(),
            json!({"normalized": "Bonjour."}),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (position, body, expected) in cases {
        let (status, answer) = app
            .patch_json(&format!("/api/v1/history/{id}/sentences/{position}"), &body)
            .await;
        assert_eq!(status, expected, "{position} {body}: {answer}");
        assert!(answer["error"]["code"].is_string(), "{answer}");
    }
    let (status, _) = app
        .patch_json(
            "/api/v1/history/00000000-0000-0000-0000-000000000000/sentences/1",
            &json!({"normalized": "Bonjour."}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nothing the refused edits sent was stored.
    assert_eq!(
        entry(&app, &id).await["sentences"],
        after_undo(&after, &undone)
    );
}

/// The sentences as they stand after the undo: the stored ones with the undone sentence.
fn after_undo(after: &Value, undone: &Value) -> Value {
    let mut sentences = after["sentences"].clone();
    sentences[1] = undone.clone();
    sentences
}

#[actix_web::test]
async fn deleting_an_entry_removes_its_sentences_its_job_and_its_pdf() {
    let app = spawn_app().await;
    let (job, id) = app.finished_entry(&novel_pdf(5), &[]).await;
    let (_, keep_id) = app.finished_entry(&novel_pdf(5), &[]).await;
    assert!(app.core.db.has_upload(&job).await.unwrap());

    let (status, body) = app.delete(&format!("/api/v1/history/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let (status, body) = app.get(&format!("/api/v1/history/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = app.get(&format!("/api/v1/jobs/{job}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(app.core.db.sentence_entries(&id).await.unwrap().is_empty());
    assert!(!app.core.db.has_upload(&job).await.unwrap());
    assert!(app.core.db.chunks(&job).await.unwrap().is_empty());
    let (status, _) = app.delete(&format!("/api/v1/history/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.delete("/api/v1/history/not-an-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The other entry is whole.
    let (_, page) = app.get("/api/v1/history").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["entries"][0]["id"], keep_id.as_str());
    assert!(
        !entry(&app, &keep_id).await["sentences"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[actix_web::test]
async fn reprocessing_runs_the_kept_pdf_again_with_new_settings() {
    let app = spawn_app().await;
    let (job, id) = app
        .finished_entry(&novel_pdf(6), &[("sentence_length_limit", "12")])
        .await;
    let original = entry(&app, &id).await;

    let (status, body) = app
        .post_json(
            &format!("/api/v1/history/{id}/reprocess"),
            &json!({"sentence_length_limit": 4, "min_sentence_length": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let new_job = body["job_id"].as_str().unwrap().to_owned();
    assert_ne!(new_job, job);
    let done = app.wait_until_finished(&new_job).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["file_name"], "book.pdf");
    assert_eq!(done["settings"]["sentence_length_limit"], 4);
    // Settings not named are the entry's, not the server's defaults.
    assert_eq!(
        done["settings"]["preserve_formatting"],
        original["entry"]["settings"]["preserve_formatting"]
    );

    let sentences = app.sentences(&new_job).await;
    assert!(sentences.len() > original["sentences"].as_array().unwrap().len());
    app.assert_within_limit(&new_job, 4).await;
    // The first entry is as it was, and the new job has its own.
    assert_eq!(entry(&app, &id).await, original);
    let (_, page) = app.get("/api/v1/history").await;
    assert_eq!(page["total"], 2);

    // Refused settings create nothing.
    for bad in [
        json!({"sentence_length_limit": 51}),
        json!({"engine": "gemini"}),
        json!({"input_mode": "pdf"}),
        json!({"sentence_length_limit": "four"}),
        json!({"colour": "red"}),
    ] {
        let (status, answer) = app
            .post_json(&format!("/api/v1/history/{id}/reprocess"), &bad)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {answer}");
    }
    let (_, jobs) = app.get("/api/v1/jobs").await;
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 2);

    // Once the PDF is past its retention, re-processing says so.
    app.core.db.delete_expired_uploads(-1).await.unwrap();
    let (status, answer) = app
        .post_json(&format!("/api/v1/history/{id}/reprocess"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::GONE, "{answer}");
    assert_eq!(answer["error"]["code"], "upload_expired");
    assert_eq!(entry(&app, &id).await["pdf_available"], false);
}

#[actix_web::test]
async fn another_users_entries_exports_and_settings_are_out_of_reach() {
    use fnt::auth::AuthMode;
    let app = crate::helpers::spawn_app_with(
        |c| c.auth = Some(AuthMode::Accounts),
        fnt::engine::Engines::builtin(),
    )
    .await;
    let tokens = [
        app.register("alice@example.com").await,
        app.register("bob@example.com").await,
    ];
    app.act_as(Some(&tokens[0]));
    let (_, id) = app.finished_entry(&novel_pdf(4), &[]).await;
    let (status, _) = app
        .put_json("/api/v1/settings", &json!({"sentence_length_limit": 20}))
        .await;
    assert_eq!(status, StatusCode::OK);

    app.act_as(Some(&tokens[1]));
    let missing = "00000000-0000-0000-0000-000000000000";
    let (_, page) = app.get("/api/v1/history").await;
    assert_eq!(page["total"], 0, "{page}");
    let (_, settings) = app.get("/api/v1/settings").await;
    assert_eq!(
        settings["settings"]["sentence_length_limit"], 8,
        "{settings}"
    );
    for target in [id.as_str(), missing] {
        let answers = [
            app.get(&format!("/api/v1/history/{target}")).await,
            app.get(&format!("/api/v1/history/{target}/export?format=csv"))
                .await,
            app.patch_json(
                &format!("/api/v1/history/{target}/sentences/1"),
                &json!({"normalized": "Volé."}),
            )
            .await,
            app.post_json(&format!("/api/v1/history/{target}/reprocess"), &json!({}))
                .await,
            app.delete(&format!("/api/v1/history/{target}")).await,
        ];
        for (status, body) in answers {
            assert_eq!(status, StatusCode::NOT_FOUND, "{target}: {body}");
            assert_eq!(
                body,
                json!({"error": {"code": "not_found", "message": "history entry not found"}})
            );
        }
    }
    // Without a token nothing is answered at all.
    app.act_as(None);
    for path in ["/api/v1/history", "/api/v1/settings"] {
        assert_eq!(app.get(path).await.0, StatusCode::UNAUTHORIZED, "{path}");
    }
    // The owner still has it all, unchanged.
    app.act_as(Some(&tokens[0]));
    let detail = entry(&app, &id).await;
    assert!(
        detail["sentences"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["edited"] == false)
    );
}

#[actix_web::test]
async fn a_retried_partial_job_keeps_its_entry_and_the_learners_edits() {
    use crate::helpers::{Act, ScriptedEngine, spawn_app_with};
    // The second chunk fails all three attempts of the first run, then works.
    let engine = ScriptedEngine::new();
    for attempt in 1..=3 {
        // A panic is retried a set number of times (an outage would be retried for the
        // whole retry budget).
        engine.on(1, attempt, Act::Panic);
    }
    // The retry's run of it takes a while, so the entry is seen while it runs.
    engine.on(1, 4, Act::Delay(std::time::Duration::from_millis(1500)));
    let app = spawn_app_with(|c| c.chunk_attempts = 3, engine.engines()).await;
    let pdf = novel_pdf(8);
    let job = app.submit(&pdf, &[]).await;
    assert_eq!(app.wait_until_finished(&job).await["status"], "partial");
    // A partial job keeps its chunks' inputs and results for the retry, besides its entry:
    // still within the bound stated for every job.
    let (book, _) = fnt::pdf::read_book(&pdf, fnt::pdf::clean::CleanOptions::default()).unwrap();
    let stored = usize::try_from(app.core.db.stored_bytes(&job).await.unwrap()).unwrap();
    assert!(
        stored
            <= fnt::db::stats::STORED_PER_TEXT * book.text.len() + fnt::db::stats::STORED_OVERHEAD,
        "{stored} bytes stored for {} bytes of text",
        book.text.len()
    );
    let (_, page) = app.get("/api/v1/history").await;
    assert_eq!(page["entries"][0]["status"], "partial");
    let id = page["entries"][0]["id"].as_str().unwrap().to_owned();
    let partial = entry(&app, &id).await;
    let (status, edited) = app
        .patch_json(
            &format!("/api/v1/history/{id}/sentences/1"),
            &json!({"normalized": "Ma propre phrase."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");

    let (status, body) = app.post(&format!("/api/v1/jobs/{job}/retry")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    // While the retry runs, the entry is still there, and cannot be deleted from under it.
    let (status, body) = app.delete(&format!("/api/v1/history/{id}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "job_running");
    assert_eq!(entry(&app, &id).await["entry"]["status"], "partial");
    assert_eq!(app.wait_until_finished(&job).await["status"], "completed");

    let (_, page) = app.get("/api/v1/history").await;
    assert_eq!(page["total"], 1, "one entry, not two: {page}");
    let done = entry(&app, &id).await;
    assert_eq!(done["entry"]["status"], "completed");
    let count = done["sentences"].as_array().unwrap().len();
    assert!(count > partial["sentences"].as_array().unwrap().len());
    assert_eq!(done["entry"]["sentence_count"].as_u64(), Some(count as u64));
    let first = &done["sentences"][0];
    assert_eq!(first["normalized"], "Ma propre phrase.");
    assert_eq!(first["edited"], true);
    assert_eq!(first["engine_text"], edited["engine_text"]);
    assert_eq!(
        done["sentences"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["edited"] == true)
            .count(),
        1
    );
}

/// (reasks, local_fallbacks, refusals) of a job or an entry.
fn repairs(view: &Value) -> (Option<i64>, Option<i64>, Option<i64>) {
    (
        view["reasks"].as_i64(),
        view["local_fallbacks"].as_i64(),
        view["refusals"].as_i64(),
    )
}

#[actix_web::test]
async fn repairs_are_counted_on_the_job_and_its_entry_and_a_retry_adds_to_them() {
    use crate::helpers::{Act, ScriptedEngine, spawn_app_with};
    use fnt::engine::RepairAction::{Dropped, Local, Reask, Refused};
    let engine = ScriptedEngine::new();
    // Dropped answer entries are no source sentences mended: not counted.
    engine.on(
        0,
        1,
        Act::Mend(vec![(Reask, 3), (Local, 2), (Refused, 1), (Dropped, 7)]),
    );
    for attempt in 1..=2 {
        engine.on(1, attempt, Act::Panic);
    }
    // The retry's run of the failed chunk mends some more.
    engine.on(1, 3, Act::Mend(vec![(Reask, 1), (Refused, 4)]));
    let app = spawn_app_with(|c| c.chunk_attempts = 2, engine.engines()).await;
    let job = app.submit(&novel_pdf(8), &[]).await;
    let partial = app.wait_until_finished(&job).await;
    assert_eq!(partial["status"], "partial", "{partial}");
    assert_eq!(repairs(&partial), (Some(3), Some(2), Some(1)), "{partial}");
    let (_, page) = app.get("/api/v1/history").await;
    let listed = &page["entries"][0];
    assert_eq!(repairs(listed), (Some(3), Some(2), Some(1)), "{page}");
    let id = listed["id"].as_str().unwrap().to_owned();
    let detail = entry(&app, &id).await;
    assert_eq!(repairs(&detail["entry"]), (Some(3), Some(2), Some(1)));

    let (status, body) = app.post(&format!("/api/v1/jobs/{job}/retry")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let done = app.wait_until_finished(&job).await;
    assert_eq!(done["status"], "completed", "{done}");
    // The first run's counts and the retry's, not the retry's alone.
    assert_eq!(repairs(&done), (Some(4), Some(2), Some(5)), "{done}");
    let detail = entry(&app, &id).await;
    assert_eq!(repairs(&detail["entry"]), (Some(4), Some(2), Some(5)));
    let (_, page) = app.get("/api/v1/history").await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(repairs(&page["entries"][0]), (Some(4), Some(2), Some(5)));
    // Each chunk keeps its own.
    let chunks = app.core.db.chunks(&job).await.unwrap();
    let per_chunk: Vec<_> = chunks
        .iter()
        .map(|c| (c.reasks, c.local_fallbacks, c.refusals))
        .collect();
    assert_eq!(per_chunk[..2], [(3, 2, 1), (1, 0, 4)]);
    assert!(
        per_chunk[2..].iter().all(|&c| c == (0, 0, 0)),
        "{per_chunk:?}"
    );
}

#[actix_web::test]
async fn an_entry_whose_retry_was_cancelled_can_still_be_deleted() {
    use crate::helpers::{Act, ScriptedEngine, spawn_app_with};
    let engine = ScriptedEngine::new();
    for attempt in 1..=2 {
        // A panic is retried a set number of times (an outage would be retried for the
        // whole retry budget).
        engine.on(1, attempt, Act::Panic);
    }
    engine.on(1, 3, Act::Hang);
    let app = spawn_app_with(
        |c| {
            c.chunk_attempts = 2;
            c.chunk_timeout_secs = 60;
        },
        engine.engines(),
    )
    .await;
    let job = app.submit(&novel_pdf(8), &[]).await;
    assert_eq!(app.wait_until_finished(&job).await["status"], "partial");
    let (_, page) = app.get("/api/v1/history").await;
    let id = page["entries"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = app.post(&format!("/api/v1/jobs/{job}/retry")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, body) = app.post(&format!("/api/v1/jobs/{job}/cancel")).await;
    assert!(status.is_success(), "{body}");
    assert_eq!(app.wait_until_finished(&job).await["status"], "cancelled");

    let (status, body) = app.delete(&format!("/api/v1/history/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        app.get(&format!("/api/v1/jobs/{job}")).await.0,
        StatusCode::NOT_FOUND
    );
}

/// The book page by page: source sentences with their pieces, every piece once and in order,
/// by chapter, and searched by whole words whatever their accents and case.
#[actix_web::test]
async fn sentences_come_by_page_by_chapter_and_by_search() {
    let app = spawn_app().await;
    let (job, id) = app.finished_entry(&novel_pdf(12), &[]).await;
    let detail = app.history_detail(&id).await;
    let flat = detail["sentences"].as_array().unwrap().clone();

    // The flat view, streamed: one line per piece, in order, the original on a source's
    // first piece; the same from the job and from the entry.
    let (status, headers, body) = app.download(&format!("/api/v1/history/{id}/pieces")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/x-ndjson; charset=utf-8"
    );
    let lines: Vec<Value> = std::str::from_utf8(&body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), flat.len());
    for (line, piece) in lines.iter().zip(&flat) {
        assert_eq!(line["position"], piece["position"]);
        assert_eq!(line["normalized"], piece["normalized"]);
        assert_eq!(line["source"], piece["source"]);
        if line["piece"] == 1 {
            assert_eq!(line["original"], piece["original"]);
        } else {
            assert!(line.get("original").is_none(), "{line}");
        }
    }
    let (_, _, from_job) = app
        .download(&format!("/api/v1/jobs/{job}/result/pieces"))
        .await;
    assert_eq!(from_job, body);

    // Bad paging is a 400 in the one error shape, on every paginated view.
    for path in [
        format!("/api/v1/jobs/{job}/result?limit=0"),
        format!("/api/v1/jobs/{job}/result?limit=1001"),
        format!("/api/v1/history/{id}?offset=-1"),
        format!("/api/v1/history/{id}?chapter=0"),
        format!("/api/v1/history/{id}?page=2"),
        format!("/api/v1/history/{id}/sentences?limit=abc"),
    ] {
        let (status, body) = app.get(&path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(body["error"]["code"].is_string(), "{path}: {body}");
    }
    // By chapter, on the job's result too.
    let (status, second) = app
        .get(&format!("/api/v1/jobs/{job}/result?chapter=2&limit=1000"))
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert!(second["total"].as_i64().unwrap() > 0, "{second}");
    assert!(
        second["sources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["chapter"] == 2)
    );

    // Pages of 50 cover every piece once, in order, each under its original.
    let mut seen = Vec::new();
    let mut total = None;
    let mut offset = 0;
    loop {
        let (status, page) = app
            .get(&format!(
                "/api/v1/history/{id}/sentences?offset={offset}&limit=50"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["sources"].as_array().unwrap();
        total.get_or_insert(page["total"].as_u64().unwrap());
        if items.is_empty() {
            break;
        }
        for item in items {
            for piece in item["pieces"].as_array().unwrap() {
                let flat_piece = &flat[seen.len()];
                assert_eq!(piece["position"], flat_piece["position"]);
                assert_eq!(piece["normalized"], flat_piece["normalized"]);
                assert_eq!(item["original"], flat_piece["original"]);
                seen.push(piece["position"].as_i64().unwrap());
            }
        }
        offset += items.len();
    }
    assert_eq!(seen.len(), flat.len());
    let total = total.unwrap();
    assert_eq!(offset as u64, total);
    assert!(
        total < flat.len() as u64,
        "long sentences have several pieces"
    );

    // One chapter.
    let (_, chapter) = app
        .get(&format!(
            "/api/v1/history/{id}/sentences?chapter=2&limit=1000"
        ))
        .await;
    let items = chapter["sources"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["chapter"] == 2), "{chapter}");
    let pieces: usize = items
        .iter()
        .map(|i| i["pieces"].as_array().unwrap().len())
        .sum();
    assert_eq!(pieces, flat.iter().filter(|s| s["chapter"] == 2).count());

    // A word with an accent, searched in capitals and without it.
    let word = flat
        .iter()
        .flat_map(|s| s["original"].as_str().unwrap().split_whitespace())
        .find(|w| w.chars().count() > 5 && w.chars().all(char::is_alphabetic) && w.contains('é'))
        .expect("an accented word")
        .to_owned();
    let plain: String = word.to_uppercase().replace('É', "E");
    let (status, found) = app
        .get(&format!(
            "/api/v1/history/{id}/sentences?q={plain}&limit=1000"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let items = found["sources"].as_array().unwrap();
    assert!(!items.is_empty(), "{plain}");
    let lower = word.to_lowercase();
    assert!(items.iter().all(|i| {
        i["original"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .split(|c: char| !c.is_alphabetic())
            .any(|w| w == lower)
    }));

    for bad in [
        "limit=0",
        "limit=5000",
        "chapter=0",
        "q=%20...%20",
        "page=2",
        "offset=-1",
    ] {
        let (status, body) = app
            .get(&format!("/api/v1/history/{id}/sentences?{bad}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["error"]["code"].is_string(), "{bad}: {body}");
    }
}
