//! End to end with Gemini's wire format: a book uploaded to a real server (SQLite) whose
//! Gemini engine talks to `fnt-fake-gemini` answering every call after a fixed latency L. The
//! ideal is ⌈chunks / P⌉ · L: every wave of P chunks waits exactly one call. The ratio to it
//! is what the service adds (upload, extraction, storing, scheduling).
//!
//! cargo bench --bench end_to_end -- [latency_ms] [pages…]
//! (defaults: 2000 ms; 100, 300 and 500 pages)

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use fnt::app::Application;
use fnt::config::{Config, Secret, ServeConfig};
use fnt::engine::Engines;
use fnt_fake_gemini::{FakeGemini, FakeGeminiArgs};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let latency_ms: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let mut books: Vec<usize> = args.filter_map(|n| n.parse().ok()).collect();
    if books.is_empty() {
        books = vec![100, 300, 500];
    }
    let fake = FakeGemini::start(FakeGeminiArgs {
        bind: "127.0.0.1:0".parse()?,
        latency_ms: latency_ms.to_string().parse().map_err(anyhow::Error::msg)?,
        // Answers timed by the latency alone, one call per chunk.
        model_error_rate: 0.0,
        recitation_words: 0,
        tokens_per_sec: 0.0,
        ..FakeGeminiArgs::default()
    })
    .await?;

    println!("| pages | chunks | P | L | ideal | measured | ratio | of which until claimed |");
    println!("|---|---|---|---|---|---|---|---|");
    for pages in books {
        let dir = tempfile::tempdir()?;
        let mut core = Config {
            data_dir: dir.path().to_owned(),
            gemini_api_key: Some(Secret::new("fake-key")),
            gemini_base_url: fake.base_url(),
            // The fake answers as fast as told: no rate limit is being measured here.
            gemini_rpm: 100_000,
            gemini_tpm: 1_000_000_000,
            gemini_concurrency: 64,
            sandbox_program: Some(env!("CARGO_BIN_EXE_fnt").into()),
            ..Config::default()
        };
        core.database_url = std::env::var("FNT_DATABASE_URL").ok();
        let engines = Engines::from_config(&core).map_err(anyhow::Error::msg)?;
        let app = Application::build(
            ServeConfig {
                bind: "127.0.0.1:0".parse()?,
                metrics_bind: None,
                core,
            },
            engines,
        )
        .await?;
        let addr = app.addr().to_string();
        let handle = app.handle();
        actix_web::rt::spawn(app.run_until_stopped());

        let pdf = common::book(pages, None);
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(600))
            .finish();
        let sent_at = Utc::now();
        let id = common::upload(&client, &addr, &pdf, &[("engine", "gemini")]).await?;
        let job = common::wait_finished(&client, &addr, &id).await?;
        anyhow::ensure!(job["status"] == "completed", "{job}");
        let finished: DateTime<Utc> = serde_json::from_value(job["finished_at"].clone())?;
        let measured = (finished - sent_at).to_std()?;
        let started: DateTime<Utc> = serde_json::from_value(job["started_at"].clone())?;
        let until_claimed = (started - sent_at).to_std()?;
        let chunks = job["total_chunks"].as_u64().unwrap_or(0);
        let parallelism = u64::from(parallelism_for(pages as u32));
        let ideal = Duration::from_millis(chunks.div_ceil(parallelism) * latency_ms);
        println!(
            "| {pages} | {chunks} | {parallelism} | {latency_ms} ms | {:.2} s | {:.2} s | {:.3} | {:.0} ms |",
            ideal.as_secs_f64(),
            measured.as_secs_f64(),
            measured.as_secs_f64() / ideal.as_secs_f64(),
            until_claimed.as_secs_f64() * 1000.0
        );
        handle.stop(false).await;
    }
    Ok(())
}

/// The plan's parallelism for a book of `pages` with the default configuration.
fn parallelism_for(pages: u32) -> u32 {
    fnt::pdf::plan::plan(pages, &fnt::pdf::plan::PlanConfig::default()).parallelism
}
