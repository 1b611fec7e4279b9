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
    assert!(
        rows.iter()
            .all(|r| r.status == fnt::lifecycle::ChunkStatus::Done)
    );
}

#[actix_web::test]
async fn hand_backs_never_add_up_to_the_claim_limit_but_deaths_do() {
    use fnt::lifecycle::transition::Release;

    // This instance runs no jobs: the test plays the workers.
    let app =
        crate::helpers::spawn_app_with(|c| c.max_running_jobs = 0, fnt::engine::Engines::builtin())
            .await;
    let id = app.submit(&novel_pdf(3), &[]).await;
    let db = &app.core.db;
    let limit = app.core.config.max_job_claims;
    // Ten rolling restarts, each handing the job back: it stays claimable, never "crashed".
    for restart in 0..10 {
        let claimed = db
            .claim_next_job("restarting-worker", 30_000)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("restart {restart}: the job was not claimable"));
        assert_eq!(claimed.id, id);
        assert_eq!(
            claimed.claims, 1,
            "restart {restart}: only this claim counts"
        );
        db.release_lease(&id, "restarting-worker", Release::HandedBack)
            .await
            .unwrap();
    }
    // A worker whose job actor died keeps its claim counted, as a lost lease does.
    for death in 1..=2 {
        db.claim_next_job("dying-worker", 30_000)
            .await
            .unwrap()
            .expect("claimable");
        db.release_lease(&id, "dying-worker", Release::Died)
            .await
            .unwrap();
        let job = db
            .job(&id, fnt::db::LOCAL_USER_ID)
            .await
            .unwrap()
            .expect("the job");
        assert_eq!(job.claims, death, "{limit}");
    }
    // A hand-back by a worker that no longer holds the job changes nothing.
    db.release_lease(&id, "someone-else", Release::HandedBack)
        .await
        .unwrap();
    assert_eq!(
        db.job(&id, fnt::db::LOCAL_USER_ID)
            .await
            .unwrap()
            .expect("the job")
            .claims,
        2
    );
}
