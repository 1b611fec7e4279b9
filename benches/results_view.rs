//! The results view's requests on a whole book: `fnt serve` (its own process, SQLite, local
//! engine) processes BOOK.pdf, then each kind of request the view makes is sent ROUNDS times
//! one after the other: the server's own time (`Server-Timing`) and the client's, median and
//! p95.
//!
//! cargo bench --bench results_view -- [BOOK.pdf] [rounds]
//! (defaults: benches/books/chromium-long.pdf, 20 rounds)

mod common;

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

use common::{Server, pct, upload, wait_finished};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let book = args
        .first()
        .cloned()
        .unwrap_or_else(|| "benches/books/chromium-long.pdf".to_owned());
    let rounds: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(20);
    let pdf = std::fs::read(&book).with_context(|| format!("cannot read {book}"))?;
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path(), &[]).await?;
    let http = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .finish();
    let job = upload(&http, &server.addr, &pdf, &[]).await?;
    let done = wait_finished(&http, &server.addr, &job).await?;
    anyhow::ensure!(done["status"] == "completed", "the job ended {done}");
    let base = format!("http://{}/api/v1", server.addr);
    let list = get(&http, &format!("{base}/history?limit=1")).await?.1;
    let entry = list["entries"][0]["id"]
        .as_str()
        .context("no history entry")?
        .to_owned();
    let first = get(&http, &format!("{base}/history/{entry}?limit=1"))
        .await?
        .1;
    println!(
        "{book}: {} pages, {} source sentences, {} pieces; {rounds} rounds each",
        done["page_count"], first["total"], first["entry"]["sentence_count"]
    );
    println!(
        "| request | server p50 | server p95 | client p50 | client p95 | source sentences found |"
    );
    println!("|---|---|---|---|---|---|");
    let views = [
        ("open: entry + first 50", format!("{entry}?limit=50")),
        (
            "a chapter, first 50",
            format!("{entry}/sentences?limit=50&chapter=3"),
        ),
        (
            "a later page",
            format!("{entry}/sentences?limit=50&offset=2000"),
        ),
        (
            "search, one word",
            format!("{entry}/sentences?limit=50&q=chien"),
        ),
        (
            "search, two words, accents",
            format!("{entry}/sentences?limit=50&q=eglise%20coeur"),
        ),
        (
            "edited only",
            format!("{entry}/sentences?limit=50&edited_only=true"),
        ),
        (
            "complete sentences only",
            format!("{entry}/sentences?limit=50&complete_only=true"),
        ),
        (
            "hide duplicates",
            format!("{entry}/sentences?limit=50&hide_duplicates=true"),
        ),
        (
            "every filter + search + chapter",
            format!(
                "{entry}/sentences?limit=50&chapter=3&q=le&complete_only=true&hide_over_limit=true&hide_duplicates=true"
            ),
        ),
    ];
    for (name, path) in views {
        let url = format!("{base}/history/{path}");
        let mut server_times = Vec::with_capacity(rounds);
        let mut client_times = Vec::with_capacity(rounds);
        let mut found = Value::Null;
        for _ in 0..rounds {
            let (times, body) = get(&http, &url).await?;
            server_times.push(times.0);
            client_times.push(times.1);
            found = body["total"].clone();
        }
        server_times.sort();
        client_times.sort();
        println!(
            "| {name} | {} | {} | {} | {} | {found} |",
            ms(pct(&server_times, 0.5)),
            ms(pct(&server_times, 0.95)),
            ms(pct(&client_times, 0.5)),
            ms(pct(&client_times, 0.95)),
        );
    }
    drop(server);
    Ok(())
}

/// A GET: (server time, client time) and the JSON body.
async fn get(http: &awc::Client, url: &str) -> anyhow::Result<((Duration, Duration), Value)> {
    let start = Instant::now();
    let mut res = http
        .get(url)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
    let body: Value = res.json().limit(64 << 20).await?;
    let seen = start.elapsed();
    anyhow::ensure!(res.status().is_success(), "{url}: {body}");
    Ok(((common::server_time(res.headers())?, seen), body))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
