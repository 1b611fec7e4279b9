//! Hostile PDFs (decompression bombs, loops, absurd nesting and counts, broken
//! cross-references) through the real upload, in both input modes: each is refused with its
//! error, quickly, as a 4xx when the cheap checks see it and as a `rejected` job when the
//! sandboxed reader does; nothing is stored but a rejected job's row, and the server keeps
//! serving.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use futures_util::future::LocalBoxFuture;
use serde_json::Value;

use crate::helpers::{TestApp, eventually, novel_pdf, spawn_app_with};
use fnt::engine::{ChunkInput, ChunkOutput, Engine, EngineError, Engines, Meter};
use fnt::settings::Settings;
use fnt_testkit::hostile;

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

/// Far more than a refusal takes in a debug build (a child killed by its limits included),
/// far less than inflating a bomb.
const QUICK: Duration = Duration::from_secs(60);

/// The sandbox's limits in these tests: a bomb or a loop reaches them in seconds.
fn tight_sandbox(c: &mut fnt::config::Config) {
    c.sandbox_memory_mb = 1024;
    c.sandbox_cpu_secs = 10;
    c.sandbox_wall_secs = 30;
}

/// Uploads `pdf`, which must be refused with `code` one way or the other, quickly; nothing
/// of it is kept but a rejected job's row. Whether the request itself refused it.
async fn refused(
    app: &TestApp,
    pdf: &[u8],
    fields: &[(&str, &str)],
    code: &str,
    what: &str,
) -> bool {
    let started = Instant::now();
    let named = format!("{}.pdf", what.split(' ').next().unwrap_or("book"));
    let refusal = app.upload_refused_as(pdf, fields, &named).await;
    let took = started.elapsed();
    assert_eq!(refusal.code(), code, "{what}: {refusal:?}");
    assert!(!refusal.message().is_empty(), "{what}: {refusal:?}");
    assert!(took < QUICK, "{what} took {took:?}");
    match &refusal.job {
        None => assert_eq!(refusal.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}"),
        // Nothing of the refused file is kept: no upload, no chunks, no history entry.
        Some(id) => {
            let db = &app.core.db;
            assert!(!db.has_upload(id).await.unwrap(), "{what}");
            assert!(db.chunks(id).await.unwrap().is_empty(), "{what}");
            let owner = fnt::db::LOCAL_USER_ID;
            assert!(
                db.history_for_job(id, owner).await.unwrap().is_none(),
                "{what}"
            );
        }
    }
    let (_, jobs) = app.get("/api/v1/jobs").await;
    assert!(
        jobs["jobs"]
            .as_array()
            .is_some_and(|jobs| jobs.iter().all(|j| j["status"] == "rejected")),
        "{what}: a job was kept: {jobs}"
    );
    // The staged upload goes once the sandboxed check is done, which may be a moment after
    // the job reading the book has rejected it.
    eventually(&format!("{what}: the staged upload to go"), || async {
        app.stored_uploads().is_empty().then_some(())
    })
    .await;
    assert_eq!(app.get("/healthz").await.0, StatusCode::OK, "{what}");
    refusal.job.is_none()
}

/// Every hostile file, in both input modes, is refused with its code: the cheap checks
/// answer what they can see at once (the bytes, the cross-references, the page tree), the
/// sandboxed reader the rest (bombs, loops, what lopdf and pdf-extract would choke on), and
/// the server itself reads none of it.
#[actix_web::test]
async fn hostile_pdfs_are_refused_and_the_server_stays_healthy() {
    let mut engines = Engines::builtin();
    engines.insert(Arc::new(PdfReader));
    let app = spawn_app_with(tight_sandbox, engines).await;
    let modes: [&[(&str, &str)]; 2] = [&[], &[("engine", "reader"), ("input_mode", "pdf")]];
    let (mut at_once, mut after) = (0, 0);
    for h in hostile::all() {
        if h.target == hostile::Target::LopdfContentParser {
            continue;
        }
        for fields in modes {
            let what = format!("{h:?} with {fields:?}");
            if refused(&app, &h.pdf, fields, h.code, &what).await {
                at_once += 1;
            } else {
                after += 1;
            }
        }
    }
    // Both ways are taken: the cheap checks are not a second parser, nor are they idle.
    assert!(
        at_once >= 10 && after >= 10,
        "{at_once} at once, {after} after"
    );
    // Still serving, and still taking real books.
    let (status, body) = app.upload(&novel_pdf(3), &[]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

/// Files made to hurt lopdf's content parser, which our reader does not use: read, in
/// linear time.
#[actix_web::test]
async fn files_aimed_at_a_parser_we_do_not_use_are_read() {
    let app = spawn_app_with(tight_sandbox, Engines::builtin()).await;
    for h in hostile::all() {
        if h.target != hostile::Target::LopdfContentParser {
            continue;
        }
        let (status, body) = app.upload(&h.pdf, &[]).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{h:?}: {body}");
        let id = body["job_id"].as_str().expect("job_id").to_owned();
        let job = app.wait_until_finished(&id).await;
        assert_ne!(job["status"], "rejected", "{h:?}: {job}");
    }
}

/// A bad page the sample of pages misses: the job reads the book in the sandbox and is
/// rejected with the same error.
#[actix_web::test]
async fn a_bad_page_past_the_sample_rejects_the_job_when_the_book_is_read() {
    let app = spawn_app_with(tight_sandbox, Engines::builtin()).await;
    for (bad, code) in [
        (hostile::BadPage::Bomb, "pdf_too_complex"),
        (hostile::BadPage::FormCycle, "malformed_pdf"),
    ] {
        let pdf = hostile::book_with_bad_page(7, bad);
        let what = format!("{bad:?}");
        refused(&app, &pdf, &[], code, &what).await;
    }
    let (status, body) = app.upload(&novel_pdf(3), &[]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
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
