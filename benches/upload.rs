//! Upload → 202 under load: C clients each upload a 300-page PDF at the same moment to a real
//! server (SQLite by default, local engine, so the first jobs already run while the rest
//! arrive). Reports the server's own time (its `Server-Timing` header: from the request head
//! to the response) and what the clients saw, p50/p95/p99.
//!
//! cargo bench --bench upload -- [concurrent uploads] [pad to MB]
//! (defaults: 50 uploads, the PDF unpadded; FNT_DATABASE_URL=postgres://… for PostgreSQL)

use std::time::{Duration, Instant};

use fnt::app::Application;
use fnt::config::{Config, ServeConfig};
use fnt::engine::Engines;
use fnt::testkit::novel;
use fnt::testkit::pdf::{FixtureOptions, book_pdf};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let uploads: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(50);
    let pad_mb: Option<usize> = args.next().and_then(|n| n.parse().ok());
    let fixture = book_pdf(
        &novel::novel(300),
        &FixtureOptions {
            pad_to_bytes: pad_mb.map(|mb| mb * 1000 * 1000),
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
    let body = fnt::testkit::multipart::form(boundary, &[], Some(("book.pdf", &fixture.pdf)));
    let body = actix_web::web::Bytes::from(body);

    let client = awc::Client::builder()
        .connector(awc::Connector::new().limit(0))
        .timeout(Duration::from_secs(120))
        .finish();
    let requests = (0..uploads).map(|_| {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        async move {
            let start = Instant::now();
            let res = client
                .post(&url)
                .insert_header((
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                ))
                .send_body(body)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let seen = start.elapsed();
            anyhow::ensure!(res.status().as_u16() == 202, "status {}", res.status());
            let server_ms: f64 = res
                .headers()
                .get("server-timing")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("app;dur="))
                .and_then(|ms| ms.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("no Server-Timing header"))?;
            Ok::<_, anyhow::Error>((Duration::from_secs_f64(server_ms / 1000.0), seen))
        }
    });
    let results = futures_util::future::join_all(requests).await;
    let (mut server, mut client_seen): (Vec<Duration>, Vec<Duration>) = results
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    server.sort();
    client_seen.sort();
    let pct = |times: &[Duration], p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "pdf: {} pages, {:.2} MB; {uploads} concurrent uploads",
        fixture.page_count,
        fixture.pdf.len() as f64 / 1e6
    );
    for (what, times) in [("server", &server), ("client", &client_seen)] {
        println!(
            "{what}: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            pct(times, 0.5).as_secs_f64() * 1000.0,
            pct(times, 0.95).as_secs_f64() * 1000.0,
            pct(times, 0.99).as_secs_f64() * 1000.0,
            times[times.len() - 1].as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
