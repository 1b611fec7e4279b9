//! Progress over many WebSockets: memory per open socket on the server, and the latency from a
//! job's state change (the event's `at`, stamped in the transaction that makes the change) to
//! its receipt by every subscriber, with all sockets following one running job.
//!
//! The server is `fnt serve` in its own process (so its RSS is its own), on SQLite with the
//! local engine; this program is the clients.
//!
//! cargo bench --bench fanout -- [sockets]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use actix_codec::Framed;
use anyhow::bail;
use awc::BoxedSocket;
use awc::ws::{Codec, Frame, Message};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};

mod common;

use common::{Server, book, proc_kb, upload, wait_finished};
use fnt_fake_gemini::{FakeGemini, FakeGeminiArgs};

type Socket = Framed<BoxedSocket, Codec>;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let sockets: usize = std::env::args()
        .skip(1)
        .find(|a| a != "--bench")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir()?;
    // Gemini that never answers in time: a job on it holds the server's one job slot until it
    // is cancelled, so that the measured job starts only once every socket follows it.
    let stall = FakeGemini::start(FakeGeminiArgs {
        bind: "127.0.0.1:0".parse()?,
        latency_ms: "600000".parse().map_err(anyhow::Error::msg)?,
        // Answers timed by the latency alone, one call per chunk.
        model_error_rate: 0.0,
        recitation_words: 0,
        tokens_per_sec: 0.0,
        ..FakeGeminiArgs::default()
    })
    .await?;
    let server = Server::start(
        dir.path(),
        &[
            ("FNT_MAX_RUNNING_JOBS", "1".into()),
            ("GEMINI_API_KEY", "fake-key".into()),
            ("FNT_GEMINI_BASE_URL", stall.base_url()),
        ],
    )
    .await?;
    let base = server.addr.clone();
    let http = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .finish();

    // A small finished job to subscribe to while measuring memory.
    let small = upload(&http, &base, &book(6, None), &[("engine", "local")]).await?;
    wait_finished(&http, &base, &small).await?;
    let before = proc_kb(server.pid(), "VmRSS")?;

    let client = awc::Client::builder()
        .connector(awc::Connector::new().limit(0))
        .timeout(Duration::from_secs(120))
        .finish();
    let mut socks = Vec::with_capacity(sockets);
    for _ in 0..sockets {
        socks.push(connect(&client, &base).await?);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let open = proc_kb(server.pid(), "VmRSS")?;
    for socket in &mut socks {
        subscribe(socket, &small).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let subscribed = proc_kb(server.pid(), "VmRSS")?;

    // Scenario A: the sockets stay open (following the finished job) and one more socket
    // follows a running job. Scenario B: every socket follows the running job.
    let mut single = vec![connect(&client, &base).await?];
    let (a, _) = follow(&http, &base, &mut single).await?;
    let (b, per_socket) = follow(&http, &base, &mut socks).await?;
    println!("sockets: {sockets}; events of the measured job per socket: {per_socket}");
    report(&format!("A: 1 follower, {sockets} other open sockets"), a);
    report(&format!("B: {sockets} followers of one job"), b);
    println!(
        "server RSS: {} KB before, {} KB with {sockets} open sockets (+{:.1} KB each), {} KB subscribed (+{:.1} KB each)",
        before,
        open,
        (open as f64 - before as f64) / sockets as f64,
        subscribed,
        (subscribed as f64 - before as f64) / sockets as f64
    );
    Ok(())
}

async fn connect(client: &awc::Client, base: &str) -> anyhow::Result<Socket> {
    let (_, socket) = client
        .ws(format!("ws://{base}/api/v1/ws"))
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("connect: {e}"))?;
    Ok(socket)
}

/// Runs a 300-page job queued behind a job stalled on Gemini (the server runs one job at a
/// time), which is cancelled once every socket is subscribed; returns the latency of each
/// delivery in microseconds, and the events each socket got.
async fn follow(
    http: &awc::Client,
    base: &str,
    socks: &mut Vec<Socket>,
) -> anyhow::Result<(Vec<i64>, usize)> {
    let blocker = upload(http, base, &book(6, None), &[("engine", "gemini")]).await?;
    let measured = upload(http, base, &book(300, None), &[("engine", "local")]).await?;
    for socket in socks.iter_mut() {
        subscribe(socket, &measured).await?;
    }
    let latencies = Rc::new(RefCell::new(Vec::new()));
    let mut readers = Vec::new();
    for mut socket in std::mem::take(socks) {
        let latencies = Rc::clone(&latencies);
        let job = measured.clone();
        readers.push(actix_web::rt::spawn(async move {
            // One client thread stands in for 1,000 browsers: it only notes when each frame
            // arrived and reads the few fields it needs, so that the time it spends on one
            // socket delays the next one as little as possible.
            while let Ok((text, received)) = next_text(&mut socket).await {
                let Ok(probe) = serde_json::from_slice::<Probe>(&text) else {
                    continue;
                };
                if probe.kind != "event" || probe.job_id != Some(job.as_str()) {
                    continue;
                }
                if let Some(at) = probe
                    .at
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                {
                    let micros = (received - at.with_timezone(&chrono::Utc))
                        .num_microseconds()
                        .unwrap_or(i64::MAX);
                    if std::env::var_os("WS_FANOUT_TRACE").is_some() && micros > 5_000 {
                        eprintln!("{micros} us: {}", String::from_utf8_lossy(&text));
                    }
                    latencies.borrow_mut().push(micros);
                }
                if matches!(probe.status, Some("completed" | "partial" | "failed")) {
                    break;
                }
            }
            socket
        }));
    }
    let cancelled = http
        .post(format!("http://{base}/api/v1/jobs/{blocker}/cancel"))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("cancel: {e}"))?;
    anyhow::ensure!(
        cancelled.status().is_success(),
        "cancel: {}",
        cancelled.status()
    );
    let count = readers.len().max(1);
    for reader in readers {
        socks.push(reader.await?);
    }
    wait_finished(http, base, &measured).await?;
    let latencies = latencies.take();
    let per_socket = latencies.len() / count;
    Ok((latencies, per_socket))
}

fn report(label: &str, mut latencies: Vec<i64>) {
    latencies.sort_unstable();
    if latencies.is_empty() {
        println!("{label}: no events");
        return;
    }
    let pct =
        |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0;
    println!(
        "{label}: latency state change → receipt over {} deliveries: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
}

async fn subscribe(socket: &mut Socket, job: &str) -> anyhow::Result<()> {
    socket
        .send(Message::Text(
            json!({"type": "subscribe", "job_id": job})
                .to_string()
                .into(),
        ))
        .await?;
    let (answer, _) = next_json(socket).await?;
    if answer["type"] != "snapshot" {
        bail!("subscribe answered {answer}");
    }
    Ok(())
}

/// The fields of a server message the latency needs.
#[derive(serde::Deserialize)]
struct Probe<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    job_id: Option<&'a str>,
    status: Option<&'a str>,
    at: Option<&'a str>,
}

/// The next JSON message and when its frame arrived (before parsing it).
async fn next_json(socket: &mut Socket) -> anyhow::Result<(Value, chrono::DateTime<chrono::Utc>)> {
    let (text, received) = next_text(socket).await?;
    Ok((serde_json::from_slice(&text)?, received))
}

/// The next text frame and when it arrived.
async fn next_text(
    socket: &mut Socket,
) -> anyhow::Result<(actix_web::web::Bytes, chrono::DateTime<chrono::Utc>)> {
    loop {
        match socket.next().await {
            Some(Ok(Frame::Text(bytes))) => return Ok((bytes, chrono::Utc::now())),
            Some(Ok(Frame::Ping(payload))) => socket.send(Message::Pong(payload)).await?,
            Some(Ok(_)) => {}
            Some(Err(e)) => bail!("socket: {e}"),
            None => bail!("socket closed"),
        }
    }
}
