//! The measure of the Gemini path: a real 300-page novel through the model-like fake
//! with three requests in ten failing, on production's retry settings. It reads a whole book
//! twice, so it runs once, on SQLite (the database is not what it tests), and not beside the
//! PostgreSQL suite's lease-timed tests.

use std::time::Duration;

use crate::gemini::{SPEED, fake, gemini_app};
use fnt::fake_gemini::{Fault, ModelError};

/// A real 294-page novel typeset by Chromium (see benches/books/README.md).
fn real_novel() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/books/chromium-long.pdf"
    ))
    .expect("benches/books/chromium-long.pdf")
}

fn series_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(name))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[actix_web::test]
async fn with_30_percent_faults_of_every_kind_a_300_page_book_gives_exactly_the_fault_free_sentences()
 {
    let pdf = real_novel();
    let long = Duration::from_secs(600);

    let clean_fake = fake(|_| {}).await;
    // The test plan's 3-page chunks: about 300 requests, so every kind of fault is drawn
    // many times over (production's 15-page chunks make a sixth as many).
    let clean = gemini_app(&clean_fake, |_| {}).await;
    let started = std::time::Instant::now();
    let clean_id = clean.submit(&pdf, &[]).await;
    let job = clean
        .wait_for(&clean_id, long, |job| {
            job["status"] != "queued" && job["status"] != "running"
        })
        .await;
    let clean_took = started.elapsed();
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["settings"]["engine"], "gemini");
    let expected = clean.sentences(&clean_id).await;
    assert_eq!(clean_fake.state.total_faults(), 0);
    // The fake answers like a model: it made mistakes the engine had to deal with.
    let mistakes: u64 = ModelError::ALL
        .iter()
        .map(|&kind| clean_fake.state.model_errors(kind))
        .sum();
    assert!(mistakes > 0, "the model-like fake made no mistake");

    // Every kind of outage, bursts of 503s included, on three requests in ten.
    let faulty_fake = fake(|a| {
        a.fault_rate = 0.3;
        a.seed = 7;
    })
    .await;
    let faulty = gemini_app(&faulty_fake, |_| {}).await;
    let started = std::time::Instant::now();
    let id = faulty.submit(&pdf, &[]).await;
    let job = faulty
        .wait_for(&id, long, |job| {
            job["status"] != "queued" && job["status"] != "running"
        })
        .await;
    let faulty_took = started.elapsed();

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["failed_chunks"], 0, "{job}");
    for kind in Fault::TRANSIENT {
        assert!(
            faulty_fake.state.faults(kind) > 0,
            "no {kind} was injected: the mix is not every kind"
        );
    }
    let got = faulty.sentences(&id).await;
    assert_eq!(got.len(), expected.len());
    assert!(
        got == expected,
        "the sentences differ from the fault-free run"
    );
    // Every call is paid for, those of failed attempts included.
    let calls = faulty_fake.state.requests() - faulty_fake.state.list_calls();
    assert_eq!(job["api_calls"].as_u64(), Some(calls));
    let metrics = faulty.metrics().await;
    let retries = series_sum(&metrics, "fnt_retries_total");
    let clean_calls = clean_fake.state.requests() - clean_fake.state.list_calls();
    println!(
        "BENCH gemini-faults pages=294 chunks={} clean_calls={clean_calls} faulty_calls={calls} \
         faults={} retries={retries} clean_wall_s={:.1} faulty_wall_s={:.1} ratio={:.2} \
         (clock x{SPEED})",
        job["total_chunks"],
        faulty_fake.state.total_faults(),
        clean_took.as_secs_f64(),
        faulty_took.as_secs_f64(),
        faulty_took.as_secs_f64() / clean_took.as_secs_f64(),
    );
}
