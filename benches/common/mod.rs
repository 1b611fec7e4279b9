//! What the benchmarks that run `fnt serve` as a process of its own share: starting it,
//! uploading, waiting, and reading its memory.

#![allow(dead_code, reason = "each benchmark uses part of it")]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

use fnt_testkit::novel;
use fnt_testkit::pdf::{FixtureOptions, book_pdf};

/// `fnt serve` in its own process; killed however the benchmark ends.
pub struct Server {
    pub child: Child,
    /// `host:port`
    pub addr: String,
}

impl Server {
    /// Starts `fnt serve` on a free port with `env` on top of a fresh data directory.
    pub async fn start(data_dir: &std::path::Path, env: &[(&str, String)]) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut command = Command::new(env!("CARGO_BIN_EXE_fnt"));
        command
            .arg("serve")
            .env("FNT_BIND", &addr)
            .env("FNT_DATA_DIR", data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let server = Self {
            child: command.spawn().context("starting fnt serve")?,
            addr,
        };
        let http = awc::Client::default();
        for _ in 0..300 {
            if let Ok(res) = http
                .get(format!("http://{}/healthz", server.addr))
                .send()
                .await
                && res.status().is_success()
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the server did not come up")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A novel of `pages` pages as a PDF, padded with incompressible data to `pad_to` bytes.
pub fn book(pages: usize, pad_to: Option<usize>) -> Vec<u8> {
    book_pdf(
        &novel::novel(pages),
        &FixtureOptions {
            pad_to_bytes: pad_to,
            ..FixtureOptions::default()
        },
    )
    .pdf
}

/// Uploads `pdf` (with extra form fields) and returns the job id.
pub async fn upload(
    http: &awc::Client,
    addr: &str,
    pdf: &[u8],
    fields: &[(&str, &str)],
) -> anyhow::Result<String> {
    let boundary = "bench-boundary";
    let body = fnt_testkit::multipart::form(boundary, fields, Some(("b.pdf", pdf)));
    let mut res = http
        .post(format!("http://{addr}/api/v1/jobs"))
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .send_body(body)
        .await
        .map_err(|e| anyhow::anyhow!("upload: {e}"))?;
    let value: Value = res.json().limit(1 << 20).await?;
    value["job_id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no job id in {value}"))
}

/// Polls the job until it has ended; returns it.
pub async fn wait_finished(http: &awc::Client, addr: &str, id: &str) -> anyhow::Result<Value> {
    loop {
        let mut res = http
            .get(format!("http://{addr}/api/v1/jobs/{id}"))
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("poll: {e}"))?;
        let job: Value = res.json().limit(1 << 20).await?;
        if !matches!(job["status"].as_str(), Some("queued" | "running")) {
            return Ok(job);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A line of `/proc/<pid>/status` in kB (`VmRSS`, `VmHWM`).
pub fn proc_kb(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field}"))
}

/// The server's own time for a response: its `Server-Timing: app;dur=<ms>` header.
pub fn server_time(headers: &awc::http::header::HeaderMap) -> anyhow::Result<Duration> {
    let ms: f64 = headers
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("app;dur="))
        .and_then(|ms| ms.parse().ok())
        .context("no Server-Timing header")?;
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

/// The `p` quantile (0 to 1) of sorted `times`, rounded to the nearest rank.
pub fn pct(times: &[Duration], p: f64) -> Duration {
    let last = times.len().saturating_sub(1);
    let rank = (last as f64 * p).round() as usize;
    times[rank.min(last)]
}
