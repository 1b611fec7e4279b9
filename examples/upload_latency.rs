//! Upload latency: from the request to the 202, for a 300-page, 50 MB PDF, measured over
//! loopback against a real server (SQLite, local engine working on the earlier uploads).
//!
//! cargo run --release --example upload_latency -- [uploads]
//! (FNT_DATABASE_URL=postgres://… to measure on PostgreSQL instead of the embedded SQLite)

use std::time::{Duration, Instant};

use fnt::app::Application;
use fnt::config::{Config, ServeConfig};
use fnt::engine::Engines;
use fnt::testkit::novel;
use fnt::testkit::pdf::{FixtureOptions, book_pdf};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let uploads: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let fixture = book_pdf(
        &novel::novel(300),
        &FixtureOptions {
            pad_to_bytes: Some(50 * 1000 * 1000),
            ..FixtureOptions::default()
        },
    );
    let dir = tempfile::tempdir()?;
    let app = Application::build(
        ServeConfig {
            bind: "127.0.0.1:0".parse()?,
            metrics_bind: None,
            core: Config {
                data_dir: dir.path().to_owned(),
                database_url: std::env::var("FNT_DATABASE_URL").ok(),
                ..Config::default()
            },
        },
        Engines::builtin(),
    )
    .await?;
    let url = format!("http://{}/api/v1/jobs", app.addr());
    actix_web::rt::spawn(app.run_until_stopped());

    let boundary = "bench-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&fixture.pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let body = actix_web::web::Bytes::from(body);

    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    let mut times = Vec::with_capacity(uploads);
    for _ in 0..uploads {
        let start = Instant::now();
        let res = client
            .post(&url)
            .insert_header((
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            ))
            .send_body(body.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let elapsed = start.elapsed();
        anyhow::ensure!(res.status().as_u16() == 202, "status {}", res.status());
        times.push(elapsed);
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "pdf: {} pages, {:.1} MB; uploads: {uploads}; 202 after: p50 {:?}, p95 {:?}, max {:?}",
        fixture.page_count,
        fixture.pdf.len() as f64 / 1e6,
        pct(0.5),
        pct(0.95),
        times[times.len() - 1]
    );
    Ok(())
}
