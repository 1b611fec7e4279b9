//! Hostile PDFs (decompression bombs, loops, absurd nesting and counts, broken
//! cross-references) through the real upload: each gets a 4xx in the one error shape, quickly,
//! nothing is stored, and the server keeps serving, in both input modes.

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
    for h in hostile::all() {
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
