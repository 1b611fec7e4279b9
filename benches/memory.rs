//! Peak memory of `fnt serve` (its own process, SQLite, local engine) while it takes and
//! processes a 500-page PDF padded to 50 MB: the kernel's high-water mark (`VmHWM`) before the
//! upload, after it, and once the job has finished.
//!
//! cargo bench --bench memory -- [pages] [MB]
//!
//! cargo bench --bench memory -- burst [uploads] [MB]
//! (defaults: 50 uploads of a 300-page book padded to 45 MB, all at once): the server's
//! resident memory (sampled every 10 ms) and high-water mark while it answers them, with its
//! workers off (`FNT_MAX_RUNNING_JOBS=0`) so that only the upload path is measured, then its
//! resident memory once the last 202 is out and two seconds later.

mod common;

use std::time::{Duration, Instant};

use common::{Server, book, proc_kb, upload, wait_finished};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .peekable();
    if args.peek().map(String::as_str) == Some("burst") {
        args.next();
        let uploads = args.next().and_then(|n| n.parse().ok()).unwrap_or(50);
        let mb = args.next().and_then(|n| n.parse().ok()).unwrap_or(45);
        return burst(uploads, mb).await;
    }
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

/// `uploads` uploads of `mb` MB sent at once; the server's memory while and after it answers.
async fn burst(uploads: usize, mb: usize) -> anyhow::Result<()> {
    let pdf = book(300, Some(mb * 1000 * 1000));
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path(), &[("FNT_MAX_RUNNING_JOBS", "0".into())]).await?;
    let pid = server.pid();
    let http = awc::Client::builder()
        .connector(awc::Connector::new().limit(0))
        .timeout(Duration::from_secs(600))
        .finish();
    let idle = proc_kb(pid, "VmRSS")?;
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = std::sync::Arc::clone(&sampling);
        std::thread::spawn(move || {
            let mut peak = 0;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(proc_kb(pid, "VmRSS").unwrap_or(0));
                std::thread::sleep(Duration::from_millis(10));
            }
            peak
        })
    };
    let start = Instant::now();
    let sent = (0..uploads).map(|_| upload(&http, &server.addr, &pdf, &[]));
    let answered = futures_util::future::join_all(sent).await;
    let took = start.elapsed();
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak_sampled = sampler.join().map_err(|_| anyhow::anyhow!("sampler"))?;
    let accepted = answered.iter().filter(|r| r.is_ok()).count();
    if let Some(Err(e)) = answered.iter().find(|r| r.is_err()) {
        println!("first refusal: {e:#}");
    }
    let high_water = proc_kb(pid, "VmHWM")?;
    let right_after = proc_kb(pid, "VmRSS")?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let later = proc_kb(pid, "VmRSS")?;
    println!(
        "{uploads} uploads of {:.1} MB at once: {accepted} accepted in {:.2} s",
        pdf.len() as f64 / 1e6,
        took.as_secs_f64()
    );
    println!(
        "server RSS: {:.1} MB idle, peak {:.1} MB sampled ({:.1} MB high-water mark), {:.1} MB when the last was answered, {:.1} MB two seconds later",
        idle as f64 / 1024.0,
        peak_sampled as f64 / 1024.0,
        high_water as f64 / 1024.0,
        right_after as f64 / 1024.0,
        later as f64 / 1024.0
    );
    Ok(())
}
