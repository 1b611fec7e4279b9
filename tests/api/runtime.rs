//! The job runtime itself, without HTTP: the supervisor, its job actors and their chunk
//! actors, driven through `Core` and the database. As crates.io's worker tests do, a chunk is
//! frozen inside the engine (a [`Gate`]) while the test looks at the job, its lease and its
//! chunks, and acts on it (cancel, drain, the death of its job actor) at that exact moment.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::FutureExt;

use fnt::config::Config;
use fnt::core::Core;
use fnt::db::LOCAL_USER_ID;
use fnt::db::models::{ChunkRow, JobRow};
use fnt::engine::Engines;
use fnt::lifecycle::admission::Quota;
use fnt::submit::{PdfFile, Staged, enqueue};

use crate::helpers::{Act, Gate, ScriptedEngine, TestDir, eventually, novel_pdf, test_config};

/// A process's runtime on `dir`'s database, without its HTTP face.
async fn start(dir: &TestDir, configure: impl FnOnce(&mut Config), engines: Engines) -> Core {
    let mut config = test_config(dir.path());
    config.database_url = dir.database_url();
    configure(&mut config);
    Core::start(config, engines)
        .await
        .expect("the runtime starts")
}

/// Queues a job for a novel of `pages` pages, as an upload would.
async fn queue(core: &Core, pages: usize) -> String {
    let pdf = novel_pdf(pages);
    let file = PdfFile {
        file_name: "book.pdf".into(),
        sha256: format!("runtime-test-{pages}"),
        size: pdf.len() as u64,
    };
    enqueue(
        core,
        LOCAL_USER_ID,
        file,
        Staged::Bytes(pdf),
        core.default_settings(),
        Quota::default(),
    )
    .await
    .expect("the job is queued")
}

async fn job(core: &Core, id: &str) -> JobRow {
    core.db
        .job(id, LOCAL_USER_ID)
        .await
        .expect("job read")
        .expect("the job exists")
}

async fn chunks(core: &Core, id: &str) -> Vec<ChunkRow> {
    core.db.chunks(id).await.expect("chunks read")
}

fn statuses(chunks: &[ChunkRow]) -> Vec<&str> {
    chunks.iter().map(|c| c.status.as_str()).collect()
}

async fn finished(core: &Core, id: &str) -> JobRow {
    eventually("the job to finish", || async {
        let row = job(core, id).await;
        (!matches!(row.status.as_str(), "queued" | "running")).then_some(row)
    })
    .await
}

/// `future`'s output, or a failure naming `what` after a generous deadline.
async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[actix_web::test]
async fn a_chunk_held_in_the_engine_keeps_its_job_running_and_leased_until_it_answers() {
    let gate = Gate::new();
    let engine = ScriptedEngine::new().on(0, 1, Act::Gate(Arc::clone(&gate)));
    let dir = TestDir::new().await;
    let core = start(&dir, |_| {}, engine.engines()).await;
    let id = queue(&core, 3).await;

    gate.entered().await;

    let held = job(&core, &id).await;
    assert_eq!(held.status.as_str(), "running");
    assert_eq!(held.claims, 1);
    let owner = held.lease_owner.clone().expect("a lease owner");
    assert!(
        held.lease_expires_at.expect("a lease") > now_ms(),
        "{held:?}"
    );
    let rows = eventually("the chunk to be stored as running", || async {
        let rows = chunks(&core, &id).await;
        (statuses(&rows) == ["running"]).then_some(rows)
    })
    .await;
    assert_eq!(rows[0].attempts, 1);
    // The heartbeat keeps the lease while the chunk cannot move.
    let first_expiry = held.lease_expires_at;
    eventually("the lease to be renewed", || async {
        let row = job(&core, &id).await;
        (row.lease_expires_at > first_expiry).then_some(())
    })
    .await;
    assert_eq!(job(&core, &id).await.lease_owner, Some(owner));

    gate.release().await;

    let done = finished(&core, &id).await;
    assert_eq!(done.status.as_str(), "completed", "{done:?}");
    assert_eq!(done.claims, 1);
    assert_eq!(engine.calls()[&0], 1);
    assert_eq!(statuses(&chunks(&core, &id).await), ["done"]);
}

#[actix_web::test]
async fn a_cancel_while_a_chunk_is_held_stops_it_at_once_and_the_job_ends_cancelled() {
    let gate = Gate::new();
    let engine = ScriptedEngine::new().on(0, 1, Act::Gate(Arc::clone(&gate)));
    let dir = TestDir::new().await;
    // A heartbeat every 20 s: only the cancel itself can stop the chunk within the test.
    let core = start(&dir, |c| c.lease_secs = 60, engine.engines()).await;
    let id = queue(&core, 3).await;
    gate.entered().await;
    assert_eq!(engine.in_flight.load(Ordering::SeqCst), 1);

    let asked = Instant::now();
    core.db
        .cancel_job(&id, LOCAL_USER_ID)
        .await
        .expect("cancelled");
    core.cancel_running(&id);

    eventually("the held attempt to be dropped", || async {
        (engine.in_flight.load(Ordering::SeqCst) == 0).then_some(())
    })
    .await;
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "the cancel waited for a heartbeat"
    );
    let cancelled = job(&core, &id).await;
    assert_eq!(cancelled.status.as_str(), "cancelled");
    assert_eq!(cancelled.lease_owner, None);

    // The supervisor has let it go: the next job runs, and nothing touches the cancelled one.
    let next = queue(&core, 3).await;
    assert_eq!(finished(&core, &next).await.status.as_str(), "completed");
    assert_eq!(job(&core, &id).await.status.as_str(), "cancelled");
    assert_eq!(engine.calls()[&0], 2, "the cancelled chunk never ran again");
}

#[actix_web::test]
async fn a_drain_while_a_chunk_is_held_lets_it_land_and_hands_the_job_back_without_a_claim() {
    let gate = Gate::new();
    // `hung` runs first and takes chunk 0's first attempt; `book` holds its chunk 1.
    let engine = ScriptedEngine::new()
        .on(0, 1, Act::Hang)
        .on(1, 1, Act::Gate(Arc::clone(&gate)));
    let dir = TestDir::new().await;
    let one_chunk_at_a_time = |c: &mut Config| {
        c.medium_parallelism = 1;
        c.chunk_timeout_secs = 120;
        c.shutdown_grace_secs = 60;
    };
    let core = start(&dir, one_chunk_at_a_time, engine.engines()).await;
    let hung = queue(&core, 3).await;
    eventually("the first job's chunk to hang", || async {
        (engine.in_flight.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await;
    let book = queue(&core, 12).await;
    gate.entered().await;
    eventually("chunk 0 stored, chunk 1 running", || async {
        let rows = chunks(&core, &book).await;
        (statuses(&rows) == ["done", "running", "pending", "pending"]).then_some(())
    })
    .await;

    // The drain goes to the supervisor first; the cancel after it, through the same mailbox:
    // once the hung attempt is dropped, the book's job actor has been told to drain.
    let mut drain = Box::pin(core.drain());
    assert!((&mut drain).now_or_never().is_none(), "nothing drained yet");
    core.db
        .cancel_job(&hung, LOCAL_USER_ID)
        .await
        .expect("cancelled");
    core.cancel_running(&hung);
    eventually("the hung attempt to be dropped", || async {
        (engine.in_flight.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await;
    let draining = job(&core, &book).await;
    assert_eq!(draining.status.as_str(), "running");
    assert!(draining.lease_expires_at.expect("a lease") > now_ms());

    gate.release().await;
    within("the drain to end", drain).await;

    let handed_back = job(&core, &book).await;
    assert_eq!(handed_back.status.as_str(), "running", "{handed_back:?}");
    assert_eq!(handed_back.claims, 0, "a hand-back takes back its claim");
    assert_eq!(
        handed_back.lease_expires_at,
        Some(0),
        "the lease is given back"
    );
    assert_eq!(
        statuses(&chunks(&core, &book).await),
        ["done", "done", "pending", "pending"],
        "the chunk in flight landed; no other was started"
    );

    // The next process resumes it from its stored chunks.
    let next = start(&dir, one_chunk_at_a_time, engine.engines()).await;
    let done = finished(&next, &book).await;
    assert_eq!(done.status.as_str(), "completed", "{done:?}");
    assert_eq!(done.claims, 1);
    let calls = engine.calls();
    assert_eq!(calls[&0], 2, "one attempt for each job's chunk 0");
    assert_eq!((calls[&1], calls[&2], calls[&3]), (1, 1, 1));
    assert_eq!(job(&next, &hung).await.status.as_str(), "cancelled");
}

#[actix_web::test]
async fn a_drain_out_of_time_halts_the_held_chunk_and_hands_the_job_back_once() {
    let (first, second) = (Gate::new(), Gate::new());
    let engine = ScriptedEngine::new()
        .on(0, 1, Act::Gate(Arc::clone(&first)))
        .on(0, 2, Act::Gate(Arc::clone(&second)));
    let dir = TestDir::new().await;
    let no_grace = |c: &mut Config| {
        c.shutdown_grace_secs = 0;
        c.chunk_timeout_secs = 120;
    };
    let core = start(&dir, no_grace, engine.engines()).await;
    let id = queue(&core, 3).await;
    // Its first job actor dies, which counts a claim: the job holds two.
    first.entered().await;
    eventually("the chunk to be stored as running", || async {
        (statuses(&chunks(&core, &id).await) == ["running"]).then_some(())
    })
    .await;
    engine.kill_job_actor(1);
    first.release().await;
    second.entered().await;
    assert_eq!(job(&core, &id).await.claims, 2);

    within("the drain to end", core.drain()).await;

    let handed_back = job(&core, &id).await;
    assert_eq!(handed_back.status.as_str(), "running");
    assert_eq!(handed_back.lease_expires_at, Some(0));
    assert_eq!(
        handed_back.claims, 1,
        "the halted job was handed back once: only its last claim is taken back"
    );
    eventually("the held attempt to be stopped", || async {
        (engine.in_flight.load(Ordering::SeqCst) == 0).then_some(())
    })
    .await;

    let next = start(&dir, |_| {}, engine.engines()).await;
    let done = finished(&next, &id).await;
    assert_eq!(done.status.as_str(), "completed", "{done:?}");
    assert_eq!(done.claims, 2);
    assert_eq!(engine.calls()[&0], 3);
}

/// The defect of issue 23: a panic in a job actor's handler left its job in the supervisor's
/// list of running jobs, so a single instance never resumed it.
#[actix_web::test]
async fn a_job_actor_that_dies_mid_job_is_resumed_here_from_its_stored_chunks() {
    let gate = Gate::new();
    let engine = ScriptedEngine::new().on(3, 1, Act::Gate(Arc::clone(&gate)));
    let dir = TestDir::new().await;
    // Long leases: only the supervisor seeing the death can bring the job back in time.
    let core = start(&dir, |c| c.lease_secs = 600, engine.engines()).await;
    let id = queue(&core, 12).await;
    gate.entered().await;
    let stored = eventually("chunks 0 to 2 to be stored, chunk 3 running", || async {
        let rows = chunks(&core, &id).await;
        (statuses(&rows) == ["done", "done", "done", "running"]).then_some(rows)
    })
    .await;

    // The job actor panics in the handler that would store chunk 3's answer.
    engine.kill_job_actor(1);
    gate.release().await;

    let done = finished(&core, &id).await;
    assert_eq!(done.status.as_str(), "completed", "{done:?}");
    assert_eq!(done.claims, 2, "the death counts one more claim");
    let calls = engine.calls();
    assert_eq!(
        (calls[&0], calls[&1], calls[&2], calls[&3]),
        (1, 1, 1, 2),
        "only the chunk whose answer was lost ran again"
    );
    let rows = chunks(&core, &id).await;
    // (A finished job's chunk results move into its history: compare when they landed.)
    for (before, after) in stored.iter().zip(&rows).take(3) {
        assert_eq!(
            (before.finished_at, before.attempts),
            (after.finished_at, 1),
            "stored results are reused, not made again"
        );
    }
    assert_eq!(rows[3].attempts, 2);
}

#[actix_web::test]
async fn a_job_whose_actor_keeps_dying_fails_after_its_claims_run_out() {
    let engine = ScriptedEngine::new();
    engine.kill_job_actor(u32::MAX);
    let dir = TestDir::new().await;
    let core = start(
        &dir,
        |c| {
            c.max_job_claims = 2;
            c.lease_secs = 600;
        },
        engine.engines(),
    )
    .await;
    let id = queue(&core, 6).await;

    let failed = finished(&core, &id).await;

    assert_eq!(failed.status.as_str(), "failed", "{failed:?}");
    assert_eq!(failed.error_code.as_deref(), Some("job_crashed"));
    assert_eq!(failed.claims, 3, "two claims ran, the third gave up");

    // The process goes on: the next job runs.
    engine.kill_job_actor(0);
    let next = queue(&core, 3).await;
    assert_eq!(finished(&core, &next).await.status.as_str(), "completed");
}

#[actix_web::test]
async fn a_process_full_of_held_jobs_leaves_the_next_one_queued_until_one_ends() {
    let gate = Gate::new();
    let engine = ScriptedEngine::new().on(0, 1, Act::Gate(Arc::clone(&gate)));
    let dir = TestDir::new().await;
    let core = start(&dir, |c| c.max_running_jobs = 1, engine.engines()).await;
    let first = queue(&core, 3).await;
    gate.entered().await;
    let second = queue(&core, 3).await;
    // A full process claims nothing, however often it is woken.
    core.wake_workers();
    let after = job(&core, &second).await;
    assert_eq!(after.status.as_str(), "queued");
    assert_eq!(after.claims, 0);

    gate.release().await;

    assert_eq!(finished(&core, &first).await.status.as_str(), "completed");
    let done = finished(&core, &second).await;
    assert_eq!(done.status.as_str(), "completed");
    assert_eq!(done.claims, 1);
}
