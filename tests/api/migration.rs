//! A database filled through the schema before the book model (each piece carrying its
//! original) migrates with nothing lost: entries, pieces regrouped under their sources, the
//! learner's edits, the Sheets export record, and a partial job whose stored chunk result is
//! in the old form, retried afterwards with its edit carried over. And one filled just before
//! jobs could be `rejected` keeps every job with what hangs on it through the rebuild of the
//! jobs table (SQLite cannot widen a CHECK in place): chunks, events, uploads, history, the
//! indexes and the cascades.

use std::sync::Arc;

use actix_web::http::StatusCode;
use diesel::connection::SimpleConnection;
use diesel_migrations::MigrationHarness;

use crate::helpers::{Backend, TestDir, spawn_app_in};

const JOB: &str = "7d1c2b1e-0000-4000-8000-000000000001";
const ENTRY: &str = "7d1c2b1e-0000-4000-8000-000000000002";
const OWNER: &str = "00000000-0000-0000-0000-000000000001";
/// The migrations before the book model: 000001 to 000007.
const OLD_MIGRATIONS: usize = 7;

const LONG: &str = "Il pleuvait sur la ville, et le vent soufflait fort sur les toits gris.";

/// What the old schema held: two chunks, the first done (its result in the old form), the
/// second failed; the entry's pieces, one of them edited.
fn old_rows() -> String {
    let legacy_result = serde_json::json!({"sentences": [
        {"normalized": "Il pleuvait sur la ville.", "original": LONG, "page": 1, "chapter": 1},
        {"normalized": "Le vent soufflait fort sur les toits gris.", "original": LONG, "page": 1, "chapter": 1},
        {"normalized": "Oui.", "original": "Oui.", "page": 1, "chapter": 1},
        {"normalized": "Oui.", "original": "Oui.", "page": 1, "chapter": 1},
    ]})
    .to_string();
    let second_input = serde_json::json!({
        "index": 1, "first_page": 2, "last_page": 2,
        "text": "Le soir tomba enfin sur le port.\n",
        "body_start": 0, "body_end": 33,
        "pages": [{"offset": 0, "page": 2}],
    })
    .to_string();
    let settings = r#"{"sentence_length_limit":8}"#;
    format!(
        "INSERT INTO jobs (id, owner_id, status, file_name, input_hash, file_size, page_count,
             settings, engine, progress_percent, current_step, total_chunks, processed_chunks,
             failed_chunks, claims, created_at, started_at, finished_at, tokens_in, tokens_out,
             api_calls, event_seq)
         VALUES ('{JOB}', '{OWNER}', 'partial', 'Vieux livre.pdf', 'abc', 100, 2, '{settings}',
             'local', 100, 'partial', 2, 2, 1, 1, 1000, 1000, 2000, 0, 0, 0, 0);
         INSERT INTO job_chunks (job_id, idx, first_page, last_page, status, attempts, input,
             result, tokens_in, tokens_out, api_calls, duration_ms)
         VALUES ('{JOB}', 0, 1, 1, 'done', 1, '{{}}', '{legacy}', 0, 0, 0, 5),
                ('{JOB}', 1, 2, 2, 'failed', 3, '{input}', NULL, 0, 0, 0, 0);
         INSERT INTO history (id, job_id, owner_id, file_name, status, page_count,
             sentence_count, settings, engine, processing_ms, created_at, tokens_in, tokens_out,
             api_calls, exported_to_sheets, spreadsheet_id, sheet_url, exported_at, search_key)
         VALUES ('{ENTRY}', '{JOB}', '{OWNER}', 'Vieux livre.pdf', 'partial', 2, 4, '{settings}',
             'local', 1000, 2000, 0, 0, 0, TRUE, 'sheet-1',
             'https://docs.google.com/spreadsheets/d/sheet-1', 3000, 'vieux livre.pdf');
         INSERT INTO chapters (history_id, idx, title, first_page)
         VALUES ('{ENTRY}', 1, 'Chapitre premier', 1);
         INSERT INTO sentences (history_id, position, normalized, original, page, engine,
             edited, engine_text, edited_at, chapter)
         VALUES ('{ENTRY}', 0, 'Il pleuvait sur la ville.', '{LONG}', 1, 'local', FALSE, NULL,
                 NULL, 1),
                ('{ENTRY}', 1, 'Le vent soufflait sur les toits.', '{LONG}', 1, 'local', TRUE,
                 'Le vent soufflait fort sur les toits gris.', 2500, 1),
                ('{ENTRY}', 2, 'Oui.', 'Oui.', 1, 'local', FALSE, NULL, NULL, 1),
                ('{ENTRY}', 3, 'Oui.', 'Oui.', 1, 'local', FALSE, NULL, NULL, 1);",
        legacy = legacy_result.replace('\'', "''"),
        input = second_input.replace('\'', "''"),
    )
}

/// Brings `dir`'s database to the schema before the book model and fills it.
fn fill_old_schema(dir: &TestDir) {
    fill_through(dir, OLD_MIGRATIONS, &old_rows());
}

/// Brings `dir`'s database through its first `migrations` and runs `sql` on it.
fn fill_through(dir: &TestDir, migrations: usize, sql: &str) {
    match crate::BACKEND {
        Backend::Sqlite => {
            use diesel::Connection;
            let path = dir.path().join("fnt.sqlite3");
            let mut conn = diesel::SqliteConnection::establish(path.to_str().expect("utf-8"))
                .expect("open SQLite");
            for _ in 0..migrations {
                conn.run_next_migration(fnt::db::SQLITE_MIGRATIONS)
                    .expect("old migration");
            }
            conn.batch_execute(sql).expect("old rows");
        }
        Backend::Postgres => {
            use diesel::Connection;
            use diesel_async::AsyncPgConnection;
            use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
            let url = dir.database_url().expect("a PostgreSQL test");
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
                .expect("connect to PostgreSQL");
            for _ in 0..migrations {
                conn.run_next_migration(fnt::db::POSTGRES_MIGRATIONS)
                    .expect("old migration");
            }
            conn.batch_execute(sql).expect("old rows");
        }
    }
}

#[actix_web::test]
async fn a_database_filled_through_the_old_schema_loses_nothing() {
    let dir = TestDir::new().await;
    let filling = Arc::clone(&dir);
    actix_web::rt::task::spawn_blocking(move || fill_old_schema(&filling))
        .await
        .expect("filled");
    let app = spawn_app_in(dir, |_| {}, fnt::engine::Engines::builtin()).await;

    // The entry: four pieces under three sources, the repeated "Oui." two sentences.
    let detail = app.history_detail(ENTRY).await;
    assert_eq!(detail["entry"]["exported_to_sheets"], true, "{detail}");
    assert_eq!(
        detail["entry"]["sheet_url"],
        "https://docs.google.com/spreadsheets/d/sheet-1"
    );
    assert_eq!(detail["total"], 3, "{detail}");
    assert_eq!(detail["sources"][0]["original"], LONG);
    assert_eq!(
        detail["sources"][0]["pieces"].as_array().unwrap().len(),
        2,
        "{detail}"
    );
    let pieces = detail["sentences"].as_array().unwrap();
    let texts: Vec<&str> = pieces
        .iter()
        .map(|p| p["normalized"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Il pleuvait sur la ville.",
            "Le vent soufflait sur les toits.",
            "Oui.",
            "Oui."
        ]
    );
    let sources: Vec<i64> = pieces
        .iter()
        .map(|p| p["source"].as_i64().unwrap())
        .collect();
    assert_eq!(sources, [1, 1, 2, 3]);
    assert_eq!(pieces[1]["edited"], true);
    assert_eq!(
        pieces[1]["engine_text"],
        "Le vent soufflait fort sur les toits gris."
    );
    assert!(pieces.iter().all(|p| p["chapter"] == 1 && p["page"] == 1));
    let (_, chapters) = app.get(&format!("/api/v1/history/{ENTRY}/chapters")).await;
    assert_eq!(chapters["chapters"][0]["title"], "Chapitre premier");
    assert_eq!(chapters["chapters"][0]["sentence_count"], 4, "{chapters}");

    // The export still has every row, the edit included.
    let (status, _, csv) = app
        .download(&format!("/api/v1/history/{ENTRY}/export?format=csv"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("Le vent soufflait sur les toits."), "{csv}");
    assert_eq!(csv.matches("Oui.").count(), 4, "{csv}");

    // The partial job, retried: the first chunk's old-form result is read, the second
    // chunk runs, and the edit finds its sentence again.
    let (status, body) = app.post(&format!("/api/v1/jobs/{JOB}/retry")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job = app.wait_until_finished(JOB).await;
    assert_eq!(job["status"], "completed", "{job}");
    let after = app.history_detail(ENTRY).await;
    let pieces = after["sentences"].as_array().unwrap();
    assert_eq!(pieces.len(), 5, "{after}");
    assert_eq!(pieces[1]["normalized"], "Le vent soufflait sur les toits.");
    assert_eq!(pieces[1]["edited"], true);
    assert_eq!(pieces[4]["original"], "Le soir tomba enfin sur le port.");
    assert_eq!(after["total"], 4);
}

/// The migrations before jobs could be `rejected`: 000001 to 000010.
const BEFORE_REJECTED: usize = 10;
const DONE: &str = "7d1c2b1e-0000-4000-8000-000000000011";
const DONE_ENTRY: &str = "7d1c2b1e-0000-4000-8000-000000000012";
const WAITING: &str = "7d1c2b1e-0000-4000-8000-000000000013";

/// A completed job with everything that hangs on a job (a chunk, an event, its upload, a
/// history entry with a source sentence, a piece and a chapter), and a queued one.
fn rows_before_rejected() -> String {
    let settings = r#"{"version":1,"sentence_length_limit":8}"#;
    format!(
        "INSERT INTO jobs (id, owner_id, status, file_name, input_hash, file_size, page_count,
             settings, engine, progress_percent, current_step, total_chunks, processed_chunks,
             failed_chunks, error_code, error_message, claims, lease_owner, lease_expires_at,
             created_at, started_at, finished_at, tokens_in, tokens_out, api_calls, event_seq,
             reasks, local_fallbacks, refusals)
         VALUES ('{DONE}', '{OWNER}', 'completed', 'Livre fini.pdf', 'h1', 1234, 3, '{settings}',
             'gemini', 100, 'completed', 1, 1, 0, NULL, NULL, 2, NULL, NULL, 1000, 1100, 2000,
             11, 22, 3, 1, 4, 5, 6),
                ('{WAITING}', '{OWNER}', 'queued', 'En attente.pdf', 'h2', 99, 2, '{settings}',
             'local', 0, 'queued', 0, 0, 0, NULL, NULL, 0, NULL, NULL, 3000, NULL, NULL, 0, 0, 0,
             1, 0, 0, 0);
         INSERT INTO job_chunks (job_id, idx, first_page, last_page, status, attempts, input,
             result, tokens_in, tokens_out, api_calls, duration_ms, next_attempt_at)
         VALUES ('{DONE}', 0, 1, 3, 'done', 1, '', NULL, 11, 22, 3, 900, NULL);
         INSERT INTO job_events (job_id, seq, payload, created_at)
         VALUES ('{DONE}', 1, '{done_event}', 2000), ('{WAITING}', 1, '{waiting_event}', 3000);
         INSERT INTO uploads (job_id, bytes, created_at)
         VALUES ('{DONE}', {pdf}, 1000), ('{WAITING}', {pdf}, 3000);
         INSERT INTO history (id, job_id, owner_id, file_name, status, page_count,
             sentence_count, settings, engine, processing_ms, created_at, search_key)
         VALUES ('{DONE_ENTRY}', '{DONE}', '{OWNER}', 'Livre fini.pdf', 'completed', 3, 1,
             '{settings}', 'gemini', 900, 2000, 'livre fini.pdf');
         INSERT INTO chapters (history_id, idx, title, first_page)
         VALUES ('{DONE_ENTRY}', 1, 'Chapitre premier', 1);
         INSERT INTO source_sentences (history_id, idx, page, chapter, text)
         VALUES ('{DONE_ENTRY}', 0, 1, 1, 'Il pleuvait.');
         INSERT INTO pieces (history_id, position, source_idx, piece_idx, normalized, kind,
             engine, model, edited)
         VALUES ('{DONE_ENTRY}', 0, 0, 0, 'Il pleuvait.', 'verbatim', 'gemini', NULL, FALSE);",
        done_event = stored_event(DONE, "completed"),
        waiting_event = stored_event(WAITING, "queued"),
        pdf = match crate::BACKEND {
            Backend::Sqlite => "X'255044462D'",
            Backend::Postgres => r"'\x255044462d'::bytea",
        },
    )
}

/// An event as the versions before `rejected` stored it: without an `error`.
fn stored_event(job: &str, status: &str) -> String {
    serde_json::json!({
        "seq": 1, "job_id": job, "status": status, "progress_percent": 0,
        "current_step": status, "processed_chunks": 0, "total_chunks": 0, "failed_chunks": 0,
        "chunk": null, "eta_seconds": null, "at": "2026-12-07T10:00:00Z",
    })
    .to_string()
}

/// Runs `sql` on `dir`'s database over a connection of its own: the error's text if refused.
fn execute_raw(dir: &TestDir, sql: &str) -> Result<(), String> {
    use diesel::Connection;
    match crate::BACKEND {
        Backend::Sqlite => {
            let path = dir.path().join("fnt.sqlite3");
            let mut conn = diesel::SqliteConnection::establish(path.to_str().expect("utf-8"))
                .expect("open SQLite");
            conn.batch_execute(sql).map_err(|e| e.to_string())
        }
        Backend::Postgres => {
            use diesel_async::AsyncPgConnection;
            use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
            let url = dir.database_url().expect("a PostgreSQL test");
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
                .expect("connect to PostgreSQL");
            conn.batch_execute(sql).map_err(|e| e.to_string())
        }
    }
}

/// How many of the jobs table's own indexes exist, counted over a connection of its own.
fn jobs_indexes(dir: &TestDir) -> i64 {
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let names = "('jobs_claim_idx', 'jobs_owner_idx')";
    match crate::BACKEND {
        Backend::Sqlite => {
            let path = dir.path().join("fnt.sqlite3");
            let mut conn = diesel::SqliteConnection::establish(path.to_str().expect("utf-8"))
                .expect("open SQLite");
            diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM sqlite_master
                 WHERE type = 'index' AND tbl_name = 'jobs' AND name IN {names}"
            ))
            .get_result::<Count>(&mut conn)
            .expect("count")
            .n
        }
        Backend::Postgres => {
            use diesel_async::AsyncPgConnection;
            use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
            let url = dir.database_url().expect("a PostgreSQL test");
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
                .expect("connect to PostgreSQL");
            diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM pg_indexes
                 WHERE tablename = 'jobs' AND indexname IN {names}"
            ))
            .get_result::<Count>(&mut conn)
            .expect("count")
            .n
        }
    }
}

#[actix_web::test]
async fn a_database_filled_before_jobs_could_be_rejected_keeps_every_job_whole() {
    let dir = TestDir::new().await;
    let filling = Arc::clone(&dir);
    actix_web::rt::task::spawn_blocking(move || {
        fill_through(&filling, BEFORE_REJECTED, &rows_before_rejected())
    })
    .await
    .expect("filled");
    // No job runs: the queued one stays queued for the rejection below.
    let app = spawn_app_in(
        Arc::clone(&dir),
        |c| c.max_running_jobs = 0,
        fnt::engine::Engines::builtin(),
    )
    .await;
    let db = &app.core.db;

    // Every column of the rebuilt table came through, and what hangs on the job too.
    let done = db
        .job(DONE, OWNER)
        .await
        .unwrap()
        .expect("the completed job");
    assert_eq!(
        (
            done.status.as_str(),
            done.file_name.as_str(),
            done.input_hash.as_str(),
            done.file_size,
            done.page_count,
            done.engine.as_str(),
        ),
        ("completed", "Livre fini.pdf", "h1", 1234, 3, "gemini")
    );
    assert_eq!(
        (
            done.progress_percent,
            done.total_chunks,
            done.processed_chunks,
            done.claims
        ),
        (100, 1, 1, 2)
    );
    assert_eq!(
        (
            done.created_at,
            done.started_at,
            done.finished_at,
            done.event_seq
        ),
        (1000, Some(1100), Some(2000), 1)
    );
    assert_eq!(
        (done.tokens_in, done.tokens_out, done.api_calls),
        (11, 22, 3)
    );
    assert_eq!(
        (done.reasks, done.local_fallbacks, done.refusals),
        (4, 5, 6)
    );
    assert_eq!(
        done.settings.settings().map(|s| s.sentence_length_limit),
        Some(8)
    );
    assert_eq!(db.chunks(DONE).await.unwrap().len(), 1);
    let events = db.events_after(DONE, 0, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].error, None, "an old event has no error");
    assert!(db.has_upload(DONE).await.unwrap());
    let detail = app.history_detail(DONE_ENTRY).await;
    assert_eq!(
        detail["sentences"][0]["normalized"], "Il pleuvait.",
        "{detail}"
    );
    let (_, chapters) = app
        .get(&format!("/api/v1/history/{DONE_ENTRY}/chapters"))
        .await;
    assert_eq!(chapters["chapters"][0]["title"], "Chapitre premier");
    assert_eq!(app.job(WAITING).await["status"], "queued");

    // The new state is allowed, and only it: the CHECK was widened, not dropped.
    assert!(
        db.reject_job(WAITING, "no_pages", "the PDF has no pages")
            .await
            .unwrap()
    );
    assert_eq!(app.job(WAITING).await["status"], "rejected");
    assert!(!db.has_upload(WAITING).await.unwrap());
    let raw = Arc::clone(&dir);
    let (refused, indexes) = actix_web::rt::task::spawn_blocking(move || {
        let refused = execute_raw(
            &raw,
            &format!("UPDATE jobs SET status = 'done' WHERE id = '{DONE}'"),
        );
        (refused, jobs_indexes(&raw))
    })
    .await
    .expect("raw checks");
    let refused = refused.expect_err("an unknown status is refused");
    assert!(
        refused.to_lowercase().contains("check constraint"),
        "{refused}"
    );
    assert_eq!(indexes, 2, "the jobs table's indexes");

    // The cascades still reach the rebuilt table: deleting the job takes everything with it.
    let (status, _) = app.delete(&format!("/api/v1/jobs/{DONE}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(db.chunks(DONE).await.unwrap().is_empty());
    assert!(db.events_after(DONE, 0, 10).await.unwrap().is_empty());
    assert!(!db.has_upload(DONE).await.unwrap());
    let (status, _) = app.get(&format!("/api/v1/history/{DONE_ENTRY}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The rejected job can go too.
    let (status, _) = app.delete(&format!("/api/v1/jobs/{WAITING}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
