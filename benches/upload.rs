//! Upload → 202 under load: C clients each upload a 300-page PDF at the same moment to a real
//! server (SQLite by default, local engine, so the first jobs already run while the rest
//! arrive). Reports the server's own time (its `Server-Timing` header: from the request head
//! to the response) and what the clients saw, p50/p95/p99.
//!
//! cargo bench --bench upload -- [concurrent uploads] [pad to MB | BOOK.pdf]
//! (defaults: 50 uploads of the generated sample, unpadded; a path uploads that book instead;
//! FNT_DATABASE_URL=postgres://… for PostgreSQL)
//!
//! cargo bench --bench upload -- rejected [rounds]
//! uploads a scanned book (no text layer) one at a time and reports, besides the 202, how
//! long after it the job is `rejected` (polled every 5 ms; default 20 rounds).
//!
//! cargo bench --bench upload -- versus BOOK.pdf [rounds]
//! uploads the generated 300-page sample and BOOK.pdf one at a time, in turns, each job
//! left to finish before the next upload, and reports each file's median server time and
//! their ratio (default 15 rounds).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::pct;
use fnt::app::Application;
use fnt::config::{Config, ServeConfig};
use fnt::engine::Engines;
use fnt_testkit::novel;
use fnt_testkit::pdf::{FixtureOptions, book_pdf};

const BOUNDARY: &str = "bench-boundary";

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("versus") {
        let book = args
            .get(1)
            .ok_or_else(|| anyhow::anyhow!("usage: -- versus BOOK.pdf [rounds]"))?;
        let rounds = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(15);
        return versus(Path::new(book), rounds).await;
    }
    if args.first().map(String::as_str) == Some("rejected") {
        let rounds = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(20);
        return rejected(rounds).await;
    }
    let uploads: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(50);
    let pad_mb: Option<usize> = args.get(1).and_then(|n| n.parse().ok());
    let (pdf, name) = match args.get(1).filter(|a| a.ends_with(".pdf")) {
        Some(path) => (std::fs::read(path)?, path.clone()),
        None => (
            book_pdf(
                &novel::novel(300),
                &FixtureOptions {
                    pad_to_bytes: pad_mb.map(|mb| mb * 1000 * 1000),
                    ..FixtureOptions::default()
                },
            )
            .pdf,
            "the generated 300-page sample".to_owned(),
        ),
    };
    let (url, _dir) = start_server().await?;
    let body = multipart(&pdf);
    let client = client();
    let requests = (0..uploads).map(|_| upload(&client, &url, body.clone()));
    let results = futures_util::future::join_all(requests).await;
    let (mut server, mut client_seen): (Vec<Duration>, Vec<Duration>) = results
        .into_iter()
        .map(|r| r.map(|(server, seen, _)| (server, seen)))
        .collect::<anyhow::Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    server.sort();
    client_seen.sort();
    println!(
        "pdf: {name}, {:.2} MB; {uploads} concurrent uploads",
        pdf.len() as f64 / 1e6
    );
    for (what, times) in [("server", &server), ("client", &client_seen)] {
        println!(
            "{what}: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            ms(pct(times, 0.5)),
            ms(pct(times, 0.95)),
            ms(pct(times, 0.99)),
            ms(times[times.len() - 1])
        );
    }
    Ok(())
}

/// One upload at a time, the sample and `book` in turns, each job finished before the next.
async fn versus(book: &Path, rounds: usize) -> anyhow::Result<()> {
    let sample = book_pdf(&novel::novel(300), &FixtureOptions::default()).pdf;
    let real = std::fs::read(book)?;
    let (url, _dir) = start_server().await?;
    let client = client();
    let bodies = [multipart(&sample), multipart(&real)];
    let mut times: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (body, times) in bodies.iter().zip(times.iter_mut()) {
            let (server, _, job) = upload(&client, &url, body.clone()).await?;
            times.push(server);
            let addr = url
                .trim_start_matches("http://")
                .trim_end_matches("/api/v1/jobs");
            common::wait_finished(&client, addr, &job).await?;
        }
    }
    for t in &mut times {
        t.sort();
    }
    let [sample_t, real_t] = &times;
    let name = book
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into());
    println!("{rounds} rounds, one upload at a time, server time (Server-Timing)");
    println!(
        "generated sample (300 pages, {:.2} MB): median {:.1} ms, min {:.1} ms",
        sample.len() as f64 / 1e6,
        ms(pct(sample_t, 0.5)),
        ms(sample_t[0])
    );
    println!(
        "{name} ({:.2} MB): median {:.1} ms, min {:.1} ms",
        real.len() as f64 / 1e6,
        ms(pct(real_t, 0.5)),
        ms(real_t[0])
    );
    println!(
        "ratio of medians: {:.2}x",
        ms(pct(real_t, 0.5)) / ms(pct(sample_t, 0.5))
    );
    Ok(())
}

/// Scans (no text layer: only reading pages tells) uploaded one at a time: the 202, then the
/// time until the sandboxed check has rejected the job.
async fn rejected(rounds: usize) -> anyhow::Result<()> {
    let scan = fnt_testkit::pdf::image_only_pdf(40);
    let (url, _dir) = start_server().await?;
    let client = client();
    let body = multipart(&scan);
    let (mut accepted, mut rejected) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (server, _, job) = upload(&client, &url, body.clone()).await?;
        let since = Instant::now();
        loop {
            let mut res = client
                .get(format!("{url}/{job}"))
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let job: serde_json::Value = res.json().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            match job["status"].as_str() {
                Some("rejected") => break,
                Some("queued" | "running") => {}
                other => anyhow::bail!("the scan ended {other:?}: {job}"),
            }
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        rejected.push(since.elapsed());
        accepted.push(server);
    }
    accepted.sort();
    rejected.sort();
    println!(
        "a 40-page scan, {rounds} rounds: 202 after p50 {:.1} ms (server), rejected p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms after the 202",
        ms(pct(&accepted, 0.5)),
        ms(pct(&rejected, 0.5)),
        ms(pct(&rejected, 0.95)),
        ms(rejected[rejected.len() - 1])
    );
    Ok(())
}

async fn start_server() -> anyhow::Result<(String, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let app = Application::build(
        ServeConfig {
            bind: "127.0.0.1:0".parse()?,
            metrics_bind: None,
            core: Config {
                data_dir: dir.path().to_owned(),
                database_url: std::env::var("FNT_DATABASE_URL").ok(),
                sandbox_program: Some(env!("CARGO_BIN_EXE_fnt").into()),
                // `FNT_MAX_RUNNING_JOBS=0`: the upload path alone, no job running beside it.
                max_running_jobs: std::env::var("FNT_MAX_RUNNING_JOBS")
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(Config::default().max_running_jobs),
                ..Config::default()
            },
        },
        Engines::builtin(),
    )
    .await?;
    let url = format!("http://{}/api/v1/jobs", app.addr());
    actix_web::rt::spawn(app.run_until_stopped());
    Ok((url, dir))
}

fn client() -> awc::Client {
    awc::Client::builder()
        .connector(awc::Connector::new().limit(0))
        .timeout(Duration::from_secs(120))
        .finish()
}

fn multipart(pdf: &[u8]) -> actix_web::web::Bytes {
    actix_web::web::Bytes::from(fnt_testkit::multipart::form(
        BOUNDARY,
        &[],
        Some(("book.pdf", pdf)),
    ))
}

/// Uploads `body`: the server's time, the client's, and the job id.
async fn upload(
    client: &awc::Client,
    url: &str,
    body: actix_web::web::Bytes,
) -> anyhow::Result<(Duration, Duration, String)> {
    let start = Instant::now();
    let mut res = client
        .post(url)
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ))
        .send_body(body)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let seen = start.elapsed();
    anyhow::ensure!(res.status().as_u16() == 202, "status {}", res.status());
    let server = common::server_time(res.headers())?;
    let json: serde_json::Value = res.json().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let job = json["job_id"].as_str().unwrap_or_default().to_owned();
    Ok((server, seen, job))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
