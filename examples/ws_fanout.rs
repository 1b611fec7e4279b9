//! Progress over many WebSockets: memory per open socket on the server, and the latency from a
//! job's state change (the event's `at`, stamped in the transaction that makes the change) to
//! its receipt by every subscriber, with all sockets following one running job.
//!
//! The server is `fnt serve` in its own process (so its RSS is its own), on SQLite with the
//! local engine; this program is the clients.
//!
//! cargo build --release --bins --examples && target/release/examples/ws_fanout [sockets]

use std::cell::RefCell;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::Duration;

use actix_codec::Framed;
use anyhow::{Context, bail};
use awc::BoxedSocket;
use awc::ws::{Codec, Frame, Message};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};

use fnt::testkit::novel;
use fnt::testkit::pdf::{FixtureOptions, book_pdf};

type Socket = Framed<BoxedSocket, Codec>;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let sockets: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base = format!("127.0.0.1:{port}");
    let exe = std::env::current_exe()?;
    let fnt = exe
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("fnt"))
        .context("no target directory")?;
    let server = Server(
        Command::new(&fnt)
            .arg("serve")
            .env("FNT_BIND", &base)
            .env("FNT_DATA_DIR", dir.path())
            .env("FNT_MAX_RUNNING_JOBS", "1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", fnt.display()))?,
    );
    let http = awc::Client::builder()
        .timeout(Duration::from_secs(120))
        .finish();
    wait_ready(&http, &base).await?;

    // A small finished job to subscribe to while measuring memory.
    let small = upload(&http, &base, 6).await?;
    wait_finished(&http, &base, &small).await?;
    let before = rss_kb(server.0.id())?;

    let client = awc::Client::builder()
        .connector(awc::Connector::new().limit(0))
        .timeout(Duration::from_secs(120))
        .finish();
    let mut socks = Vec::with_capacity(sockets);
    for _ in 0..sockets {
        socks.push(connect(&client, &base).await?);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let open = rss_kb(server.0.id())?;
    for socket in &mut socks {
        subscribe(socket, &small).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let subscribed = rss_kb(server.0.id())?;

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

/// Runs a 300-page job behind a 500-page one (the server runs one job at a time), so that
/// every socket is subscribed before the measured job starts; returns the latency of each
/// delivery in microseconds, and the events each socket got.
async fn follow(
    http: &awc::Client,
    base: &str,
    socks: &mut Vec<Socket>,
) -> anyhow::Result<(Vec<i64>, usize)> {
    let first = upload(http, base, 500).await?;
    let measured = upload(http, base, 300).await?;
    for socket in socks.iter_mut() {
        subscribe(socket, &measured).await?;
    }
    let latencies = Rc::new(RefCell::new(Vec::new()));
    let mut readers = Vec::new();
    for mut socket in std::mem::take(socks) {
        let latencies = Rc::clone(&latencies);
        let job = measured.clone();
        readers.push(actix_web::rt::spawn(async move {
            while let Ok((message, received)) = next_json(&mut socket).await {
                if message["type"] != "event" || message["job_id"] != job.as_str() {
                    continue;
                }
                if let Some(at) = message["at"]
                    .as_str()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                {
                    let micros = (received - at.with_timezone(&chrono::Utc))
                        .num_microseconds()
                        .unwrap_or(i64::MAX);
                    if std::env::var_os("WS_FANOUT_TRACE").is_some() && micros > 5_000 {
                        eprintln!("{micros} us: {message}");
                    }
                    latencies.borrow_mut().push(micros);
                }
                if matches!(
                    message["status"].as_str(),
                    Some("completed" | "partial" | "failed")
                ) {
                    break;
                }
            }
            socket
        }));
    }
    let count = readers.len().max(1);
    for reader in readers {
        socks.push(reader.await?);
    }
    wait_finished(http, base, &first).await?;
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

/// Stops the server however this program ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_ready(http: &awc::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..100 {
        if let Ok(res) = http.get(format!("http://{base}/healthz")).send().await
            && res.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not come up")
}

async fn upload(http: &awc::Client, base: &str, pages: usize) -> anyhow::Result<String> {
    let pdf = book_pdf(&novel::novel(pages), &FixtureOptions::default()).pdf;
    let boundary = "bench-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut res = http
        .post(format!("http://{base}/api/v1/jobs"))
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .send_body(body)
        .await
        .map_err(|e| anyhow::anyhow!("upload: {e}"))?;
    let value: Value = res.json().await?;
    value["job_id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no job id in {value}"))
}

async fn wait_finished(http: &awc::Client, base: &str, id: &str) -> anyhow::Result<()> {
    loop {
        let mut res = http
            .get(format!("http://{base}/api/v1/jobs/{id}"))
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("poll: {e}"))?;
        let job: Value = res.json().await?;
        if matches!(
            job["status"].as_str(),
            Some("completed" | "partial" | "failed")
        ) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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

/// The next JSON message and when its frame arrived (before parsing it).
async fn next_json(socket: &mut Socket) -> anyhow::Result<(Value, chrono::DateTime<chrono::Utc>)> {
    loop {
        match socket.next().await {
            Some(Ok(Frame::Text(bytes))) => {
                let received = chrono::Utc::now();
                return Ok((serde_json::from_slice(&bytes)?, received));
            }
            Some(Ok(Frame::Ping(payload))) => socket.send(Message::Pong(payload)).await?,
            Some(Ok(_)) => {}
            Some(Err(e)) => bail!("socket: {e}"),
            None => bail!("socket closed"),
        }
    }
}

fn rss_kb(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")
}
