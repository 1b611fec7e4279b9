//! One instance against two on the same PostgreSQL database: J jobs of a P-page book
//! uploaded at once, Gemini answering every call after L ms (`fnt-fake-gemini` in this process),
//! and the time until all have completed. Each instance runs `fnt serve` in its own process
//! with the default limits (4 jobs, 8 chunks at a time).
//!
//! cargo bench --bench instances -- [jobs] [pages] [latency_ms]
//! (defaults: 16 jobs, 100 pages, 1000 ms; needs PostgreSQL on 127.0.0.1:5432, user postgres)

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Server, book, upload, wait_finished};
use fnt_fake_gemini::{FakeGemini, FakeGeminiArgs};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let jobs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(16);
    let pages: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let latency: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let fake = FakeGemini::start(FakeGeminiArgs {
        bind: "127.0.0.1:0".parse()?,
        latency_ms: latency.to_string().parse().map_err(anyhow::Error::msg)?,
        // Answers timed by the latency alone, one call per chunk.
        model_error_rate: 0.0,
        recitation_words: 0,
        tokens_per_sec: 0.0,
        ..FakeGeminiArgs::default()
    })
    .await?;
    let pdf = book(pages, None);
    println!("{jobs} jobs of {pages} pages, Gemini latency {latency} ms");
    for instances in [1, 2] {
        let database = format!("fnt_bench_{}_{instances}", std::process::id());
        psql(&format!("CREATE DATABASE {database}"))?;
        let url = format!("postgres://postgres@127.0.0.1:5432/{database}");
        let env = [
            ("FNT_DATABASE_URL", url),
            ("GEMINI_API_KEY", "fake-key".to_owned()),
            ("FNT_GEMINI_BASE_URL", fake.base_url()),
            ("FNT_GEMINI_RPM", "100000".to_owned()),
            ("FNT_GEMINI_CONCURRENCY", "64".to_owned()),
        ];
        let dirs: Vec<_> = (0..instances)
            .map(|_| tempfile::tempdir())
            .collect::<Result<_, _>>()?;
        let mut servers = Vec::new();
        for dir in &dirs {
            servers.push(Server::start(dir.path(), &env).await?);
        }
        let http = awc::Client::builder()
            .timeout(Duration::from_secs(600))
            .finish();
        let start = Instant::now();
        let mut ids = Vec::new();
        // Uploads alternate between the instances, as a load balancer would spread them. Each
        // job asks for another sentence length, so none is answered from the result cache.
        for i in 0..jobs {
            let server = &servers[i % servers.len()];
            let limit = (8 + i % 40).to_string();
            let fields = [
                ("engine", "gemini"),
                ("sentence_length_limit", limit.as_str()),
            ];
            ids.push(upload(&http, &server.addr, &pdf, &fields).await?);
        }
        for id in &ids {
            let job = wait_finished(&http, &servers[0].addr, id).await?;
            anyhow::ensure!(job["status"] == "completed", "{job}");
        }
        let took = start.elapsed();
        println!(
            "{instances} instance(s): {jobs} jobs in {:.2} s, {:.1} jobs/min",
            took.as_secs_f64(),
            jobs as f64 * 60.0 / took.as_secs_f64()
        );
        drop(servers);
        psql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))?;
    }
    Ok(())
}

fn psql(sql: &str) -> anyhow::Result<()> {
    let status = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-qc",
            sql,
        ])
        .status()?;
    anyhow::ensure!(status.success(), "psql: {sql}");
    Ok(())
}
