//! Peak memory of `fnt serve` (its own process, SQLite, local engine) while it takes and
//! processes a 500-page PDF padded to 50 MB: the kernel's high-water mark (`VmHWM`) before the
//! upload, after it, and once the job has finished.
//!
//! cargo bench --bench memory -- [pages] [MB]

mod common;

use std::time::{Duration, Instant};

use common::{Server, book, proc_kb, upload, wait_finished};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let pages: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(500);
    let mb: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(50);
    let pdf = book(pages, Some(mb * 1000 * 1000));
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path(), &[]).await?;
    let http = awc::Client::builder()
        .timeout(Duration::from_secs(300))
        .finish();
    let idle = proc_kb(server.pid(), "VmHWM")?;
    let start = Instant::now();
    let id = upload(&http, &server.addr, &pdf, &[]).await?;
    let accepted = proc_kb(server.pid(), "VmHWM")?;
    let job = wait_finished(&http, &server.addr, &id).await?;
    let took = start.elapsed();
    anyhow::ensure!(job["status"] == "completed", "{job}");
    let peak = proc_kb(server.pid(), "VmHWM")?;
    let now = proc_kb(server.pid(), "VmRSS")?;
    println!(
        "pdf: {pages} pages, {:.1} MB; job done in {:.2} s ({} chunks)",
        pdf.len() as f64 / 1e6,
        took.as_secs_f64(),
        job["total_chunks"]
    );
    println!(
        "peak RSS: {:.1} MB idle, {:.1} MB after the upload, {:.1} MB after the job; {:.1} MB resident at the end",
        idle as f64 / 1024.0,
        accepted as f64 / 1024.0,
        peak as f64 / 1024.0,
        now as f64 / 1024.0
    );
    Ok(())
}
