//! A worker that dies mid-job: another run resumes from the stored chunk results, and done
//! chunks are not redone.

use std::time::Duration;

use crate::helpers::{Act, ScriptedEngine, novel_pdf, spawn_app, spawn_app_in};

#[actix_web::test]
async fn a_crashed_job_resumes_from_its_stored_chunks() {
    let pdf = novel_pdf(12);
    let reference = spawn_app().await;
    let clean = reference.submit(&pdf, &[]).await;
    reference.wait_until_finished(&clean).await;
    let expected = reference.sentences(&clean).await;

    // First life: chunks 0 and 1 finish, every other chunk hangs; then the process "dies".
    let first_engine = ScriptedEngine::new().always(Act::Hang);
    first_engine
        .on(0, 1, Act::Delay(Duration::ZERO))
        .on(1, 1, Act::Delay(Duration::ZERO));
    let first = spawn_app_in(
        crate::helpers::TestDir::new().await,
        |c| {
            c.medium_parallelism = 3;
            c.chunk_timeout_secs = 300;
        },
        first_engine.engines(),
    )
    .await;
    let id = first.submit(&pdf, &[]).await;
    let job = first
        .wait_for(&id, Duration::from_secs(30), |j| j["processed_chunks"] == 2)
        .await;
    assert_eq!(job["status"], "running");
    let dir = first.dir.clone();
    first.crash().await;

    // Second life on the same database: the lease runs out and the job is picked up again.
    let second_engine = ScriptedEngine::new();
    let second = spawn_app_in(dir, |_| {}, second_engine.engines()).await;
    let job = second.wait_until_finished(&id).await;

    assert_eq!(job["status"], "completed", "{job}");
    let calls = second_engine.calls();
    assert!(
        !calls.contains_key(&0) && !calls.contains_key(&1),
        "done chunks were redone: {calls:?}"
    );
    assert!(calls.contains_key(&2));
    assert_eq!(second.sentences(&id).await, expected);
    let rows = second.core.db.chunks(&id).await.unwrap();
    assert!(rows.iter().all(|r| r.status == "done"));
}
