//! Several instances on one PostgreSQL database: jobs shared out with no job or chunk run
//! twice, a killed instance's job finished by another, progress followed across instances,
//! and a graceful drain on SIGTERM. Killed and drained instances are real `fnt serve`
//! processes.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fnt::config::{Config, Secret};
use fnt::db::LOCAL_USER_ID;
use fnt::engine::Engines;
use fnt::lifecycle::{ChunkStatus, JobStatus};
use fnt_fake_gemini::{FakeGemini, FakeGeminiArgs, Latency};

use crate::helpers::{Act, ScriptedEngine, TestApp, TestDir, novel_pdf, spawn_app_in};
use crate::ws_client::WsClient;

async fn fake_gemini(latency_ms: u64) -> FakeGemini {
    FakeGemini::start(FakeGeminiArgs {
        latency_ms: Latency {
            min_ms: latency_ms,
            max_ms: latency_ms,
        },
        // These tests count calls per chunk and time answers by `latency_ms` alone: a model
        // that errs, recites or writes at its own pace would add calls and time.
        model_error_rate: 0.0,
        recitation_words: 0,
        tokens_per_sec: 0.0,
        ..FakeGeminiArgs::default()
    })
    .await
    .expect("fake gemini starts")
}

fn gemini(config: &mut Config, fake: &FakeGemini) {
    config.gemini_api_key = Some(Secret::new("fake-key"));
    config.gemini_base_url = fake.base_url();
    config.gemini_rpm = 100_000;
    config.gemini_timeout_secs = 10;
    config.chunk_timeout_secs = 30;
    config.medium_parallelism = 2;
}

/// An in-process instance on `dir`'s database, rewriting through the fake.
async fn gemini_instance(dir: &Arc<TestDir>, fake: &FakeGemini) -> TestApp {
    let mut config = Config::default();
    gemini(&mut config, fake);
    let engines = Engines::from_config(&config).expect("engines");
    spawn_app_in(
        Arc::clone(dir),
        |c| {
            gemini(c, fake);
            // It takes jobs over when another instance's lease lapses; its own lease may be
            // long. A 2 s one can lapse on the test's single thread under CI load, and the
            // re-claim that follows would count as one more claim.
            c.lease_secs = 30;
        },
        engines,
    )
    .await
}

/// `fnt serve` in a child process on `dir`'s database, with the test configuration.
struct ChildServer {
    child: Child,
    base: String,
}

impl ChildServer {
    async fn start(dir: &TestDir, fake: &FakeGemini) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_fnt"))
            .arg("serve")
            .env("FNT_BIND", format!("127.0.0.1:{port}"))
            .env("FNT_DATA_DIR", dir.path().join("child"))
            .env(
                "FNT_DATABASE_URL",
                dir.database_url().expect("a PostgreSQL test"),
            )
            .env("GEMINI_API_KEY", "fake-key")
            .env("FNT_GEMINI_BASE_URL", fake.base_url())
            .env("FNT_GEMINI_RPM", "100000")
            .env("FNT_SINGLE_CHUNK_MAX_PAGES", "4")
            .env("FNT_MEDIUM_CHUNK_PAGES", "3")
            .env("FNT_MEDIUM_PARALLELISM", "2")
            .env("FNT_LEASE_SECS", "3")
            .env("FNT_POLL_INTERVAL_MS", "100")
            .env("FNT_SHUTDOWN_GRACE_SECS", "10")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("fnt serve starts");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = awc::Client::default();
        for _ in 0..200 {
            if let Ok(res) = client.get(format!("{}/healthz", server.base)).send().await
                && res.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the child server did not come up");
    }

    async fn upload(&self, pdf: &[u8]) -> String {
        let boundary = "instances-boundary";
        let body = crate::helpers::multipart_body(boundary, &[], Some(("book.pdf", pdf)));
        let mut res = awc::Client::default()
            .post(format!("{}/api/v1/jobs", self.base))
            .insert_header((
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            ))
            .send_body(body)
            .await
            .expect("upload sent");
        assert_eq!(res.status().as_u16(), 202);
        let body: serde_json::Value = res.json().await.expect("JSON");
        body["job_id"].as_str().expect("job id").to_owned()
    }

    /// Waits until the process has exited, for at most `limit`.
    fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("child status") {
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "the child did not exit in {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the stored job has at least `chunks` chunks done.
/// An instance that serves requests and runs no jobs.
async fn web_instance(dir: &Arc<TestDir>) -> TestApp {
    spawn_app_in(
        Arc::clone(dir),
        |c| c.max_running_jobs = 0,
        Engines::builtin(),
    )
    .await
}

async fn wait_for_done_chunks(app: &TestApp, id: &str, chunks: usize) {
    let start = Instant::now();
    loop {
        let rows = app.core.db.chunks(id).await.unwrap();
        if rows
            .iter()
            .filter(|c| c.status == ChunkStatus::Done)
            .count()
            >= chunks
        {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The sentences of `pdf` from an undisturbed run on a database of its own.
async fn reference_sentences(fake: &FakeGemini, pdf: &[u8]) -> Vec<(String, String, i64)> {
    let app = gemini_instance(&TestDir::new().await, fake).await;
    let id = app.submit(pdf, &[]).await;
    assert_eq!(app.wait_until_finished(&id).await["status"], "completed");
    app.sentences(&id).await
}

#[actix_web::test]
async fn two_instances_share_ten_jobs_and_run_each_job_and_chunk_once() {
    let dir = TestDir::new().await;
    let engine_a = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(30)));
    let engine_b = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(30)));
    let two_at_a_time = |c: &mut Config| {
        c.max_running_jobs = 2;
        // No lease may expire here: every claim must be a first claim.
        c.lease_secs = 60;
    };
    let a = spawn_app_in(Arc::clone(&dir), two_at_a_time, engine_a.engines()).await;
    let b = spawn_app_in(Arc::clone(&dir), two_at_a_time, engine_b.engines()).await;

    let mut ids = Vec::new();
    for pages in 9..19 {
        // Books of different lengths: no cache hit stands in for a second run.
        let app = if pages % 2 == 0 { &a } else { &b };
        ids.push(app.submit(&novel_pdf(pages), &[]).await);
    }
    let mut chunks = 0;
    for id in &ids {
        assert_eq!(a.wait_until_finished(id).await["status"], "completed");
        let job = a.core.db.job(id, LOCAL_USER_ID).await.unwrap().unwrap();
        assert_eq!(job.claims, 1, "job {id} was claimed more than once");
        for chunk in a.core.db.chunks(id).await.unwrap() {
            assert_eq!((chunk.status.as_str(), chunk.attempts), ("done", 1));
            chunks += 1;
        }
        assert!(!b.sentences(id).await.is_empty());
    }
    let calls_a: u32 = engine_a.calls().values().sum();
    let calls_b: u32 = engine_b.calls().values().sum();
    assert_eq!(
        calls_a + calls_b,
        chunks,
        "every chunk rewritten exactly once"
    );
    assert!(
        calls_a > 0 && calls_b > 0,
        "both instances worked: {calls_a} / {calls_b}"
    );
}

#[actix_web::test]
async fn a_job_of_a_killed_instance_is_finished_by_another_with_the_same_sentences() {
    let fake = fake_gemini(150).await;
    let pdf = novel_pdf(45);
    let expected = reference_sentences(&fake, &pdf).await;

    let dir = TestDir::new().await;
    let mut child = ChildServer::start(&dir, &fake).await;
    let id = child.upload(&pdf).await;
    // An observer on the same database that runs no jobs itself.
    let observer = spawn_app_in(
        Arc::clone(&dir),
        |c| c.max_running_jobs = 0,
        Engines::builtin(),
    )
    .await;
    wait_for_done_chunks(&observer, &id, 2).await;
    child.child.kill().expect("SIGKILL");
    child.wait_exit(Duration::from_secs(5));

    let done_before: Vec<(i32, u64)> = observer
        .core
        .db
        .chunks(&id)
        .await
        .unwrap()
        .iter()
        .filter(|c| c.status == ChunkStatus::Done)
        .map(|c| {
            (
                c.first_page,
                fake.state.attempts_for_first_page(c.first_page as u32),
            )
        })
        .collect();
    assert!(!done_before.is_empty());

    let survivor = gemini_instance(&dir, &fake).await;
    let job = survivor.wait_until_finished(&id).await;
    assert_eq!(job["status"], "completed");
    assert_eq!(
        survivor.sentences(&id).await,
        expected,
        "nothing lost or doubled"
    );
    for (page, calls) in done_before {
        assert_eq!(
            fake.state.attempts_for_first_page(page as u32),
            calls,
            "the chunk at page {page} was done before the kill and must not run again"
        );
    }
    let row = survivor
        .core
        .db
        .job(&id, LOCAL_USER_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.claims, 2);
}

#[actix_web::test]
async fn a_websocket_on_one_instance_follows_a_job_running_on_another() {
    let dir = TestDir::new().await;
    // The web instance runs no jobs; the worker polls so rarely that only a NOTIFY can
    // start the job within the test's time.
    let web = web_instance(&dir).await;
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(50)));
    let worker = spawn_app_in(
        Arc::clone(&dir),
        |c| c.poll_interval_ms = 600_000,
        engine.engines(),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let id = web.submit(&novel_pdf(12), &[]).await;
    let mut ws = WsClient::connect(&web.base).await;
    assert_eq!(ws.subscribe(&id, Some(0)).await["type"], "snapshot");
    let events = ws.events_until_final(&id).await;
    assert_eq!(events.last().unwrap()["status"], "completed");
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    let stored = worker.core.db.events_after(&id, 0, 10_000).await.unwrap();
    assert_eq!(events.len(), stored.len());
    assert!(
        engine.calls().values().sum::<u32>() > 0,
        "the worker ran it"
    );
}

#[actix_web::test]
async fn sigterm_drains_the_chunks_in_flight_releases_the_job_and_exits_0() {
    let fake = fake_gemini(300).await;
    let pdf = novel_pdf(45);
    let expected = reference_sentences(&fake, &pdf).await;

    let dir = TestDir::new().await;
    let mut child = ChildServer::start(&dir, &fake).await;
    let id = child.upload(&pdf).await;
    let observer = spawn_app_in(
        Arc::clone(&dir),
        |c| c.max_running_jobs = 0,
        Engines::builtin(),
    )
    .await;
    wait_for_done_chunks(&observer, &id, 1).await;

    let pid = child.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let status = child.wait_exit(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "a drained shutdown exits 0");

    let job = observer
        .core
        .db
        .job(&id, LOCAL_USER_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        job.status,
        JobStatus::Running,
        "the job is handed back, not ended"
    );
    assert_eq!(
        job.lease_expires_at,
        Some(0),
        "its lease is released at once"
    );
    let chunks = observer.core.db.chunks(&id).await.unwrap();
    assert!(
        chunks
            .iter()
            .all(|c| c.status == ChunkStatus::Done || c.status == ChunkStatus::Pending),
        "no chunk left half-done: {:?}",
        chunks.iter().map(|c| c.status.as_str()).collect::<Vec<_>>()
    );
    assert!(
        chunks.iter().any(|c| c.status == ChunkStatus::Pending),
        "stopped before the end"
    );

    let survivor = gemini_instance(&dir, &fake).await;
    assert_eq!(
        survivor.wait_until_finished(&id).await["status"],
        "completed"
    );
    assert_eq!(survivor.sentences(&id).await, expected);
}

#[actix_web::test]
async fn a_cancel_on_one_instance_stops_the_chunks_running_on_another_at_once() {
    let dir = TestDir::new().await;
    // The web instance runs no jobs. The worker's lease is long, so its heartbeat (a third of
    // it) would see the cancelled row only after minutes: only the event relay can stop it
    // within the test's time.
    let web = web_instance(&dir).await;
    let engine = ScriptedEngine::new().always(Act::Hang);
    let worker = spawn_app_in(
        Arc::clone(&dir),
        |c| {
            c.lease_secs = 600;
            c.chunk_timeout_secs = 600;
        },
        engine.engines(),
    )
    .await;
    let id = web.submit(&novel_pdf(12), &[]).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while engine.in_flight.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "no chunk started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let (status, body) = web.post(&format!("/api/v1/jobs/{id}/cancel")).await;
    assert_eq!(status, actix_web::http::StatusCode::OK, "{body}");

    let deadline = Instant::now() + Duration::from_secs(30);
    while engine.in_flight.load(std::sync::atomic::Ordering::SeqCst) != 0 {
        assert!(
            Instant::now() < deadline,
            "the worker's chunks kept running after the cancel"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(worker.job(&id).await["status"], "cancelled");
}

#[actix_web::test]
async fn a_logout_on_one_instance_closes_the_sessions_websockets_on_another() {
    let dir = TestDir::new().await;
    let accounts = |c: &mut Config| c.auth = Some(fnt::auth::AuthMode::Accounts);
    let web = spawn_app_in(Arc::clone(&dir), accounts, Engines::builtin()).await;
    let other = spawn_app_in(Arc::clone(&dir), accounts, Engines::builtin()).await;
    let access = web.register("reader@example.com").await;
    web.act_as(Some(&access));
    let id = web.submit(&novel_pdf(3), &[]).await;
    web.wait_until_finished(&id).await;
    let mut ws = WsClient::connect_as(&other.base, Some(&access)).await;
    assert_eq!(ws.subscribe(&id, Some(0)).await["type"], "snapshot");
    ws.events_until_final(&id).await;

    // Nothing is sent on the socket: only the relay can tell its instance.
    assert_eq!(
        web.post("/api/v1/auth/logout").await.0,
        actix_web::http::StatusCode::NO_CONTENT
    );
    crate::ws_client::assert_closed_for_ended_session(&mut ws).await;
}
