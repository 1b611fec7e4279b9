//! Test helpers: `spawn_app()` on port 0 with its own temporary database, a scriptable engine
//! that can panic, hang, fail or be held on chosen chunks (or kill its job actor), and a
//! small HTTP client.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use futures_util::future::LocalBoxFuture;
use serde_json::Value;

use fnt::app::Application;
use fnt::config::{Config, ServeConfig};
use fnt::core::Core;
use fnt::engine::local::rewrite_chunk;
use fnt::engine::{
    ChunkInput, ChunkOutput, Engine, EngineError, Engines, Meter, Repair, RepairAction,
};
use fnt::settings::Settings;
use fnt_testkit::novel;
use fnt_testkit::pdf::{FixtureOptions, book_pdf};

use crate::postgres;

pub struct TestApp {
    pub base: String,
    pub core: Core,
    pub dir: Arc<TestDir>,
    handle: fnt::app::AppHandle,
    client: awc::Client,
    /// The access token sent with every request, once signed in.
    token: std::cell::RefCell<Option<String>>,
}

/// A job's result as [`TestApp::book`] reads it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BookResult {
    /// Each source sentence's text, in book order.
    pub originals: Vec<String>,
    /// (normalized, index into `originals`, page), in book order.
    pub pieces: Vec<(String, usize, i64)>,
}

/// Which database a test binary runs the suite on: `tests/api` on SQLite, `tests/api_pg` on
/// PostgreSQL (a database of its own per test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code, reason = "each test binary uses one of them")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A test's data directory and, on PostgreSQL, its database; both go when the last app
/// using them is dropped.
pub struct TestDir {
    temp: tempfile::TempDir,
    database: Option<postgres::TestDatabase>,
}

impl TestDir {
    pub async fn new() -> Arc<Self> {
        let database = match crate::BACKEND {
            Backend::Sqlite => None,
            Backend::Postgres => Some(postgres::TestDatabase::create().await),
        };
        Arc::new(Self {
            temp: tempfile::tempdir().expect("temp dir"),
            database,
        })
    }

    pub fn path(&self) -> &std::path::Path {
        self.temp.path()
    }

    pub fn database_url(&self) -> Option<String> {
        self.database.as_ref().map(|db| db.url.clone())
    }
}

/// A configuration for tests: small books already make several chunks, retries are quick.
pub fn test_config(dir: &std::path::Path) -> Config {
    Config {
        data_dir: dir.to_owned(),
        single_chunk_max_pages: 4,
        medium_max_pages: 1000,
        medium_chunk_pages: 3,
        medium_parallelism: 3,
        retry_base_ms: 20,
        retry_max_ms: 200,
        chunk_timeout_secs: 2,
        poll_interval_ms: 100,
        lease_secs: 2,
        // The test binary is not `fnt`: PDFs are read by the one Cargo built beside it.
        sandbox_program: Some(env!("CARGO_BIN_EXE_fnt").into()),
        ..Config::default()
    }
}

/// How an upload was refused (see [`TestApp::upload_refused`]).
#[derive(Debug)]
pub struct Refusal {
    /// The upload's own answer: a 4xx, or 202 when the job was rejected afterwards.
    pub status: StatusCode,
    /// `{code, message}`, from the 4xx or from the rejected job.
    pub error: Value,
    /// The rejected job.
    pub job: Option<String>,
}

impl Refusal {
    pub fn code(&self) -> &str {
        self.error["code"].as_str().unwrap_or_default()
    }

    pub fn message(&self) -> &str {
        self.error["message"].as_str().unwrap_or_default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}, Engines::builtin()).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Config), engines: Engines) -> TestApp {
    spawn_app_in(TestDir::new().await, configure, engines).await
}

/// An app on an existing data directory and database (a restart of an earlier app, or a
/// second instance on the same database).
pub async fn spawn_app_in(
    dir: Arc<TestDir>,
    configure: impl FnOnce(&mut Config),
    engines: Engines,
) -> TestApp {
    let mut core = test_config(dir.path());
    core.database_url = dir.database_url();
    configure(&mut core);
    let config = ServeConfig {
        bind: "127.0.0.1:0".parse().expect("address"),
        metrics_bind: None,
        core,
    };
    let app = Application::build(config, engines)
        .await
        .expect("app starts");
    let base = format!("http://{}", app.addr());
    let core = app.core.clone();
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        base,
        core,
        dir,
        handle,
        client: awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish(),
        token: std::cell::RefCell::new(None),
    }
}

impl TestApp {
    /// Sends `token` as the bearer token from now on (`None`: no token).
    pub fn act_as(&self, token: Option<&str>) {
        *self.token.borrow_mut() = token.map(str::to_owned);
    }

    pub fn token(&self) -> Option<String> {
        self.token.borrow().clone()
    }

    pub fn request(&self, method: awc::http::Method, path: &str) -> awc::ClientRequest {
        let request = self.client.request(method, format!("{}{path}", self.base));
        match self.token() {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let res = self.request(awc::http::Method::GET, path).send().await;
        read(res).await
    }

    pub async fn post(&self, path: &str) -> (StatusCode, Value) {
        let res = self.request(awc::http::Method::POST, path).send().await;
        read(res).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let res = self
            .request(awc::http::Method::POST, path)
            .send_json(body)
            .await;
        read(res).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let res = self
            .request(awc::http::Method::PUT, path)
            .send_json(body)
            .await;
        read(res).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let res = self
            .request(awc::http::Method::PATCH, path)
            .send_json(body)
            .await;
        read(res).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        let res = self.request(awc::http::Method::DELETE, path).send().await;
        read(res).await
    }

    /// A GET whose answer is a file: status, headers and the bytes as they came.
    pub async fn download(
        &self,
        path: &str,
    ) -> (StatusCode, awc::http::header::HeaderMap, Vec<u8>) {
        let mut res = self
            .request(awc::http::Method::GET, path)
            .send()
            .await
            .expect("request sent");
        let bytes = res
            .body()
            .limit(256 * 1024 * 1024)
            .await
            .expect("body read");
        (res.status(), res.headers().clone(), bytes.to_vec())
    }

    /// Creates an account (the app must run with accounts) and returns its access token.
    pub async fn register(&self, email: &str) -> String {
        self.act_as(None);
        let (status, body) = self
            .post_json(
                "/api/v1/auth/register",
                &serde_json::json!({"email": email, "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// `GET /metrics`: Prometheus's text format.
    pub async fn metrics(&self) -> String {
        let (status, content_type, text) = get_text(&format!("{}/metrics", self.base)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        text
    }

    /// Uploads, waits for the job to finish and returns (job id, history entry id).
    pub async fn finished_entry(&self, pdf: &[u8], fields: &[(&str, &str)]) -> (String, String) {
        let job = self.submit(pdf, fields).await;
        let done = self.wait_until_finished(&job).await;
        assert_eq!(done["status"], "completed", "{done}");
        let (status, page) = self.get("/api/v1/history?limit=100").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let entry = page["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["job_id"] == job.as_str())
            .unwrap_or_else(|| panic!("no history entry for job {job}: {page}"));
        (job, entry["id"].as_str().expect("entry id").to_owned())
    }

    /// Sends a raw request body to a path (for malformed requests).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let res = self
            .request(awc::http::Method::POST, path)
            .insert_header(("content-type", content_type))
            .send_body(body)
            .await;
        read(res).await
    }

    /// `POST /api/v1/jobs` with the PDF and settings fields.
    pub async fn upload(&self, pdf: &[u8], fields: &[(&str, &str)]) -> (StatusCode, Value) {
        self.upload_as(pdf, fields, "book.pdf").await
    }

    /// Uploads `pdf` under the file name `name`.
    pub async fn upload_as(
        &self,
        pdf: &[u8],
        fields: &[(&str, &str)],
        name: &str,
    ) -> (StatusCode, Value) {
        let boundary = "fnt-test-boundary-7d3c";
        let body = multipart_body(boundary, fields, Some((name, pdf)));
        self.post_raw(
            "/api/v1/jobs",
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await
    }

    /// Uploads and returns the job id, asserting the 202.
    pub async fn submit(&self, pdf: &[u8], fields: &[(&str, &str)]) -> String {
        let (status, body) = self.upload(pdf, fields).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        body["job_id"].as_str().expect("job_id").to_owned()
    }

    /// Uploads a PDF the server must refuse and says how it did: at once, with a 4xx from
    /// the request's cheap checks, or after a 202, by moving the job to `rejected` once the
    /// sandboxed reader has read the file.
    pub async fn upload_refused(&self, pdf: &[u8], fields: &[(&str, &str)]) -> Refusal {
        self.upload_refused_as(pdf, fields, "book.pdf").await
    }

    /// [`Self::upload_refused`] under the file name `name`.
    pub async fn upload_refused_as(
        &self,
        pdf: &[u8],
        fields: &[(&str, &str)],
        name: &str,
    ) -> Refusal {
        let (status, body) = self.upload_as(pdf, fields, name).await;
        if status != StatusCode::ACCEPTED {
            return Refusal {
                status,
                error: body["error"].clone(),
                job: None,
            };
        }
        let id = body["job_id"].as_str().expect("job_id").to_owned();
        let job = self.wait_until_finished(&id).await;
        assert_eq!(
            job["status"], "rejected",
            "{} was not refused: {job}",
            job["file_name"]
        );
        Refusal {
            status,
            error: job["error"].clone(),
            job: Some(id),
        }
    }

    pub async fn job(&self, id: &str) -> Value {
        let (status, body) = self.get(&format!("/api/v1/jobs/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Polls the job until `done` holds for it, or panics after `limit`.
    pub async fn wait_for(
        &self,
        id: &str,
        limit: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let start = Instant::now();
        loop {
            let job = self.job(id).await;
            if done(&job) {
                return job;
            }
            assert!(
                start.elapsed() < limit,
                "job never reached the expected state: {job}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn wait_until_finished(&self, id: &str) -> Value {
        self.wait_for(id, Duration::from_secs(60), |job| {
            !matches!(job["status"].as_str(), Some("queued" | "running"))
        })
        .await
    }

    /// The result's sentences as (normalized, original, page), read page by page.
    pub async fn sentences(&self, id: &str) -> Vec<(String, String, i64)> {
        let flat = self.all_pages(&format!("/api/v1/jobs/{id}/result")).await;
        flat.iter()
            .map(|s| {
                (
                    s["normalized"].as_str().expect("normalized").to_owned(),
                    s["original"].as_str().expect("original").to_owned(),
                    s["page"].as_i64().expect("page"),
                )
            })
            .collect()
    }

    /// Every piece of the result is within `limit` words or says it is not: `over_limit` is
    /// the kind of exactly the pieces longer than the limit (a sentence the engine could not
    /// cut into complete ones).
    pub async fn assert_within_limit(&self, id: &str, limit: usize) {
        let flat = self.all_pages(&format!("/api/v1/jobs/{id}/result")).await;
        assert!(!flat.is_empty());
        for piece in &flat {
            let text = piece["normalized"].as_str().expect("normalized");
            let over = fnt::engine::local::words::word_count(text) > limit;
            assert_eq!(piece["kind"] == "over_limit", over, "{piece}");
        }
    }

    /// The result as its source sentences' texts and its pieces as (normalized, index of the
    /// source in that list, page): each original once, however many pieces share it (a book
    /// of one 100-page sentence would otherwise copy it 15,000 times).
    pub async fn book(&self, id: &str) -> BookResult {
        let mut book = BookResult::default();
        loop {
            let (status, body) = self
                .get(&format!(
                    "/api/v1/jobs/{id}/result?limit=1000&offset={}",
                    book.originals.len()
                ))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let sources = body["sources"].as_array().expect("sources");
            for source in sources {
                let index = book.originals.len();
                book.originals
                    .push(source["original"].as_str().expect("original").to_owned());
                let page = source["page"].as_i64().expect("page");
                for piece in source["pieces"].as_array().expect("pieces") {
                    let text = piece["normalized"].as_str().expect("normalized").to_owned();
                    book.pieces.push((text, index, page));
                }
            }
            let total = body["total"].as_i64().expect("total");
            if sources.is_empty() || book.originals.len() as i64 >= total {
                return book;
            }
        }
    }

    /// Every page of a paginated book view (`…/result`, `/history/{id}`), each piece with its
    /// source's `original`, `page`, `chapter` and `source` index beside it, in book order.
    pub async fn all_pages(&self, path: &str) -> Vec<Value> {
        let mut flat = Vec::new();
        let mut offset = 0;
        loop {
            let (status, body) = self
                .get(&format!("{path}?limit=1000&offset={offset}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let sources = body["sources"].as_array().expect("sources").clone();
            for source in &sources {
                for piece in source["pieces"].as_array().expect("pieces") {
                    let mut piece = piece.clone();
                    for key in ["original", "page", "chapter"] {
                        if !source[key].is_null() {
                            piece[key] = source[key].clone();
                        }
                    }
                    piece["source"] = source["index"].clone();
                    flat.push(piece);
                }
            }
            offset += sources.len();
            if sources.is_empty() || offset as i64 >= body["total"].as_i64().expect("total") {
                return flat;
            }
        }
    }

    /// A history entry's detail with all its pieces as `sentences`, one per row.
    pub async fn history_detail(&self, id: &str) -> Value {
        let path = format!("/api/v1/history/{id}");
        let (status, mut detail) = self.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        detail["sentences"] = Value::Array(self.all_pages(&path).await);
        detail
    }

    /// Opens the job's Server-Sent Events stream, resuming after `last_event_id` if given.
    pub async fn sse(&self, id: &str, last_event_id: Option<i64>) -> (StatusCode, SseReader) {
        let mut request = self
            .request(awc::http::Method::GET, &format!("/api/v1/jobs/{id}/events"))
            .timeout(Duration::from_secs(60));
        if let Some(seq) = last_event_id {
            request = request.insert_header(("Last-Event-ID", seq.to_string()));
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        (
            status,
            SseReader {
                body: Box::pin(response),
                buffer: String::new(),
            },
        )
    }

    /// Files left in the uploads directory.
    pub fn stored_uploads(&self) -> Vec<String> {
        std::fs::read_dir(self.core.config.uploads_dir())
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Stops the HTTP server and kills the workers without clean-up, like a crash.
    pub async fn crash(self) {
        self.core.halt_workers();
        self.handle.stop(false).await;
    }
}

async fn read(
    res: Result<
        awc::ClientResponse<
            impl futures_util::Stream<
                Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>,
            > + Unpin,
        >,
        awc::error::SendRequestError,
    >,
) -> (StatusCode, Value) {
    let mut res = res.expect("request sent");
    let status = res.status();
    let bytes = res.body().limit(64 * 1024 * 1024).await.expect("body read");
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "response is not JSON ({status}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    (status, value)
}

pub use fnt_testkit::multipart::form as multipart_body;

/// A multi-page French novel PDF of about `pages` pages.
pub fn novel_pdf(pages: usize) -> Vec<u8> {
    book_pdf(&novel::novel(pages), &FixtureOptions::default()).pdf
}

/// What the scripted engine does on one attempt at a chunk.
#[derive(Debug, Clone)]
pub enum Act {
    Panic,
    Hang,
    Fail(EngineError),
    Delay(Duration),
    /// Reports these repairs (action, source sentences) through the meter, then answers as
    /// the local engine does: what an engine that mended the model's answers leaves.
    Mend(Vec<(RepairAction, usize)>),
    /// Holds the attempt inside the engine until the test lets it go (see [`Gate`]).
    Gate(Arc<Gate>),
}

/// Freezes one attempt inside the engine, as crates.io's worker tests freeze a job with a
/// `tokio::sync::Barrier`: the test meets the attempt at `entered`, looks at the runtime
/// while the attempt cannot move, then lets it answer with `release` (or never does).
#[derive(Debug)]
pub struct Gate {
    entered: tokio::sync::Barrier,
    release: tokio::sync::Barrier,
}

impl Gate {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            entered: tokio::sync::Barrier::new(2),
            release: tokio::sync::Barrier::new(2),
        })
    }

    /// Returns once the attempt is held inside the engine.
    pub async fn entered(&self) {
        tokio::time::timeout(Duration::from_secs(30), self.entered.wait())
            .await
            .expect("the held attempt never reached the engine");
    }

    /// Lets the held attempt answer.
    pub async fn release(&self) {
        tokio::time::timeout(Duration::from_secs(30), self.release.wait())
            .await
            .expect("the held attempt was no longer waiting");
    }
}

/// The local engine, except where a script says otherwise: `script[(chunk, attempt)]`.
#[derive(Default)]
pub struct ScriptedEngine {
    script: Mutex<HashMap<(u32, u32), Act>>,
    /// Acts applied to every attempt at every chunk not in `script`.
    default: Mutex<Option<Act>>,
    calls: Mutex<HashMap<u32, u32>>,
    pub in_flight: Arc<AtomicUsize>,
    /// Job actors still to kill (see [`ScriptedEngine::kill_job_actor`]).
    job_deaths: AtomicU32,
}

impl ScriptedEngine {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// `act` on attempt `attempt` (1-based) at chunk `chunk`.
    pub fn on(self: &Arc<Self>, chunk: u32, attempt: u32, act: Act) -> Arc<Self> {
        self.script
            .lock()
            .expect("lock")
            .insert((chunk, attempt), act);
        Arc::clone(self)
    }

    pub fn always(self: &Arc<Self>, act: Act) -> Arc<Self> {
        *self.default.lock().expect("lock") = Some(act);
        Arc::clone(self)
    }

    /// The next `times` times a job actor stores chunk changes, it panics in that handler: it
    /// asks its engine which model wrote them, and this engine panics instead of answering.
    pub fn kill_job_actor(&self, times: u32) {
        self.job_deaths.store(times, Ordering::SeqCst);
    }

    /// Attempts made at each chunk.
    pub fn calls(&self) -> HashMap<u32, u32> {
        self.calls.lock().expect("lock").clone()
    }

    pub fn engines(self: &Arc<Self>) -> Engines {
        let mut engines = Engines::builtin();
        engines.insert(Arc::clone(self) as Arc<dyn Engine>);
        engines
    }
}

struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Engine for ScriptedEngine {
    fn name(&self) -> &str {
        // It stands in for the local engine, so jobs need no special settings.
        "local"
    }

    fn model(&self, _: &Settings) -> Option<String> {
        let dies = self
            .job_deaths
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        assert!(!dies, "scripted death of the job actor");
        None
    }

    fn rewrite(
        self: Arc<Self>,
        input: Arc<ChunkInput>,
        settings: Arc<Settings>,
        meter: Meter,
    ) -> LocalBoxFuture<'static, Result<ChunkOutput, EngineError>> {
        let attempt = {
            let mut calls = self.calls.lock().expect("lock");
            let n = calls.entry(input.index).or_insert(0);
            *n += 1;
            *n
        };
        let act = self
            .script
            .lock()
            .expect("lock")
            .get(&(input.index, attempt))
            .cloned()
            .or_else(|| self.default.lock().expect("lock").clone());
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let guard = InFlight(Arc::clone(&self.in_flight));
        Box::pin(async move {
            let _guard = guard;
            match act {
                Some(Act::Panic) => panic!("scripted panic in chunk {}", input.index),
                Some(Act::Hang) => std::future::pending::<()>().await,
                Some(Act::Fail(e)) => return Err(e),
                Some(Act::Delay(d)) => actix_web::rt::time::sleep(d).await,
                Some(Act::Gate(gate)) => {
                    gate.entered.wait().await;
                    gate.release.wait().await;
                }
                Some(Act::Mend(repairs)) => {
                    for (action, sentences) in repairs {
                        let repair = Repair {
                            action,
                            reason: "scripted",
                        };
                        meter.repair("local", repair, sentences);
                    }
                }
                None => {}
            }
            Ok(rewrite_chunk(&input, &settings))
        })
    }
}

/// Polls `probe` every 20 ms until it answers `Some`, or fails naming `what` after a generous
/// deadline: how a test waits for something to happen, instead of sleeping a fixed time.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A plain GET: status, content type and body as text.
pub async fn get_text(url: &str) -> (StatusCode, String, String) {
    let mut res = awc::Client::default()
        .get(url)
        .send()
        .await
        .expect("response");
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = res.body().limit(4 << 20).await.expect("body");
    let text = String::from_utf8(body.to_vec()).expect("utf-8");
    (res.status(), content_type, text)
}

/// The value of the sample written exactly as `series` (name and labels, in label order) in
/// a `/metrics` text.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

/// Reads `text/event-stream` frames: `(id, data)` of each event; comments are skipped.
pub struct SseReader {
    body: futures_util::stream::LocalBoxStream<
        'static,
        Result<actix_web::web::Bytes, actix_web::error::PayloadError>,
    >,
    buffer: String,
}

impl SseReader {
    /// The next event, or `None` when the server ends the stream.
    pub async fn next_event(&mut self) -> Option<(i64, Value)> {
        use futures_util::StreamExt;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut data = None;
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = serde_json::from_str(v).ok();
                    }
                }
                match (id, data) {
                    (Some(id), Some(data)) => return Some((id, data)),
                    _ => continue,
                }
            }
            let chunk = self.body.next().await?.expect("stream readable");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Every remaining event until the stream ends.
    pub async fn rest(&mut self) -> Vec<(i64, Value)> {
        let mut events = Vec::new();
        while let Some(event) = self.next_event().await {
            events.push(event);
        }
        events
    }
}
