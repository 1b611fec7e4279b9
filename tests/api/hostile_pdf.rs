//! Hostile PDFs (decompression bombs, loops, absurd nesting and counts, broken
//! cross-references) through the real upload: each gets a 4xx in the one error shape, quickly,
//! nothing is stored, and the server keeps serving, in both input modes. A bad page the
//! upload's sample of pages misses fails its job with the same error once the book is read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use futures_util::future::LocalBoxFuture;
use serde_json::Value;

use crate::helpers::{novel_pdf, spawn_app_with};
use fnt::engine::{ChunkInput, ChunkOutput, Engine, EngineError, Engines, Meter};
use fnt::settings::Settings;
use fnt::testkit::hostile;

/// An engine that takes PDFs, so that uploads with `input_mode=pdf` are checked the way
/// they are for Gemini. No job may ever reach it.
struct PdfReader;

impl Engine for PdfReader {
    fn name(&self) -> &str {
        "reader"
    }

    fn reads_pdf(&self) -> bool {
        true
    }

    fn rewrite(
        self: Arc<Self>,
        _input: Arc<ChunkInput>,
        _settings: Arc<Settings>,
        _meter: Meter,
    ) -> LocalBoxFuture<'static, Result<ChunkOutput, EngineError>> {
        Box::pin(std::future::pending())
    }
}

/// Far more than a refusal takes in a debug build, far less than inflating a bomb.
const QUICK: Duration = Duration::from_secs(20);

#[actix_web::test]
async fn hostile_pdfs_are_refused_and_the_server_stays_healthy() {
    let mut engines = Engines::builtin();
    engines.insert(Arc::new(PdfReader));
    let app = spawn_app_with(|_| {}, engines).await;
    let modes: [&[(&str, &str)]; 2] = [&[], &[("engine", "reader"), ("input_mode", "pdf")]];
    for h in hostile::refused_at_upload() {
        for fields in modes {
            let started = Instant::now();
            let (status, body) = app.upload(&h.pdf, fields).await;
            let took = started.elapsed();
            let what = format!("{h:?} with {fields:?}");
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
            assert_eq!(body["error"]["code"], h.code, "{what}: {body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{what}: {body}"
            );
            assert!(took < QUICK, "{what} took {took:?}");
            assert_eq!(app.stored_uploads(), Vec::<String>::new(), "{what}");
            let (_, jobs) = app.get("/api/v1/jobs").await;
            assert_eq!(
                jobs["jobs"],
                Value::Array(vec![]),
                "{what}: a job was created"
            );
            assert_eq!(app.get("/healthz").await.0, StatusCode::OK, "{what}");
        }
    }
    // Still serving, and still taking real books.
    let (status, body) = app.upload(&novel_pdf(3), &[]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[actix_web::test]
async fn a_bad_page_past_the_uploads_sample_fails_its_job_with_the_pdf_error() {
    let app = spawn_app_with(|_| {}, Engines::builtin()).await;
    let pdf = hostile::book_with_bad_page(7, hostile::BadPage::Bomb);
    let id = app.submit(&pdf, &[]).await;
    let job = app.wait_until_finished(&id).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["code"], "pdf_too_complex", "{job}");
    assert!(
        job["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("too much memory or time")),
        "{job}"
    );
    assert_eq!(app.get("/healthz").await.0, StatusCode::OK);
    let (status, body) = app.upload(&novel_pdf(3), &[]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

/// Files whose harm lies in objects no page refers to: the upload, which reads only the page
/// tree and a sample of pages, may take them; the job, which loads the whole file, fails
/// with the refusal the upload would have given.
#[actix_web::test]
async fn hostile_objects_the_upload_does_not_read_fail_the_job() {
    let app = spawn_app_with(|_| {}, Engines::builtin()).await;
    let files = hostile::refused_by_the_job();
    assert!(!files.is_empty());
    for h in files {
        let (status, body) = app.upload(&h.pdf, &[("engine", "local")]).await;
        if status != StatusCode::ACCEPTED {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{h:?}: {body}");
            continue;
        }
        let id = body["job_id"].as_str().expect("job_id").to_owned();
        let job = app.wait_until_finished(&id).await;
        assert_eq!(job["status"], "failed", "{h:?}: {job}");
        assert_eq!(job["error"]["code"], h.code, "{h:?}: {job}");
        assert_eq!(app.get("/healthz").await.0, StatusCode::OK, "{h:?}");
    }
}

/// Books whose one sentence is cut into thousands of pieces: the job completes with every
/// piece, and what it stores, `/result`, the flat view and the exports stay proportional to
/// the book's text ([`fnt::db::stats::STORED_PER_TEXT`]), under 5 MB for a 15 KB file.
#[actix_web::test]
async fn books_cut_into_thousands_of_pieces_store_and_answer_in_proportion() {
    const LIMIT: usize = 5 * 1024 * 1024;
    let app = spawn_app_with(|_| {}, Engines::builtin()).await;
    for book in hostile::large_output() {
        let what = format!("{book:?}");
        let (text, _) = fnt::pdf::read_book(&book.pdf, fnt::pdf::clean::CleanOptions::default())
            .expect("a readable book");
        let text_bytes = text.text.len();
        let (id, history) = app.finished_entry(&book.pdf, &[]).await;

        let stored = usize::try_from(app.core.db.stored_bytes(&id).await.unwrap()).unwrap();
        assert!(stored < LIMIT, "{what}: {stored} bytes stored");
        // Completed, the job keeps its entry only: the text once, the pieces beside it.
        assert!(
            stored <= 3 * text_bytes,
            "{what}: {stored} bytes stored for {text_bytes} bytes of text"
        );
        assert!(
            stored
                <= fnt::db::stats::STORED_PER_TEXT * text_bytes + fnt::db::stats::STORED_OVERHEAD,
            "{what}: {stored} bytes stored for {text_bytes} bytes of text"
        );

        let (status, _, result) = app
            .download(&format!("/api/v1/jobs/{id}/result?limit=1000"))
            .await;
        assert_eq!(status, StatusCode::OK, "{what}");
        assert!(
            result.len() < LIMIT,
            "{what}: /result is {} bytes",
            result.len()
        );
        let result: Value = serde_json::from_slice(&result).unwrap();
        let pieces: usize = result["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["pieces"].as_array().unwrap().len())
            .sum();
        assert!(pieces > 700, "{what}: {pieces} pieces");
        assert_eq!(result["total"], 1, "{what}: one source sentence");

        // The flat view: one line per piece, the original on the first only.
        let (status, headers, flat) = app
            .download(&format!("/api/v1/jobs/{id}/result/pieces"))
            .await;
        assert_eq!(status, StatusCode::OK, "{what}");
        assert!(
            headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-ndjson")),
            "{what}"
        );
        assert!(flat.len() < LIMIT, "{what}: flat view {} bytes", flat.len());
        let lines: Vec<Value> = flat
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(lines.len(), pieces, "{what}");
        assert_eq!(
            lines.iter().filter(|l| l.get("original").is_some()).count(),
            1
        );

        // Every export stays within the limit.
        for format in ["csv", "json", "xlsx", "anki"] {
            let (status, _, file) = app
                .download(&format!("/api/v1/history/{history}/export?format={format}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{what}: {format}");
            assert!(
                file.len() < LIMIT,
                "{what}: {format} is {} bytes",
                file.len()
            );
        }
    }
}
