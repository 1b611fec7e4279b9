//! A database filled through the schema before the book model (each piece carrying its
//! original) migrates with nothing lost: entries, pieces regrouped under their sources, the
//! learner's edits, the Sheets export record, and a partial job whose stored chunk result is
//! in the old form, retried afterwards with its edit carried over.

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
    let sql = old_rows();
    match crate::BACKEND {
        Backend::Sqlite => {
            use diesel::Connection;
            let path = dir.path().join("fnt.sqlite3");
            let mut conn = diesel::SqliteConnection::establish(path.to_str().expect("utf-8"))
                .expect("open SQLite");
            for _ in 0..OLD_MIGRATIONS {
                conn.run_next_migration(fnt::db::SQLITE_MIGRATIONS)
                    .expect("old migration");
            }
            conn.batch_execute(&sql).expect("old rows");
        }
        Backend::Postgres => {
            use diesel::Connection;
            use diesel_async::AsyncPgConnection;
            use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
            let url = dir.database_url().expect("a PostgreSQL test");
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
                .expect("connect to PostgreSQL");
            for _ in 0..OLD_MIGRATIONS {
                conn.run_next_migration(fnt::db::POSTGRES_MIGRATIONS)
                    .expect("old migration");
            }
            conn.batch_execute(&sql).expect("old rows");
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
