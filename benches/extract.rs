//! The local text path's CPU cost per PDF producer, next to poppler's `pdftotext` on the same
//! file in the same run (apt-get install poppler-utils).
//!
//! cargo bench --bench extract -- [rounds] [filter-substring]
//! (default 5 rounds; the best round of each measurement is reported)
//!
//! Inputs: the producer corpus (`tests/fixtures/producers/*.pdf`), one ~300-page book per
//! font technology (`benches/books/*.pdf`) and the generated 300-page sample. Per PDF:
//! - fnt: CPU (user + sys, every thread of this process) and wall time of what `fnt process`
//!   does to the text with the local engine: `pdf::read_book`, the chunk plan, and
//!   `rewrite_chunk` (sentence segmentation + clause splits) on every chunk;
//! - pdftotext: the child's CPU and wall time for `pdftotext -q FILE /dev/null`;
//! - the fallback rate: pages pdf-extract read instead of our reader;
//! - the request's cheap checks (`pdf::precheck`, run before the 202), wall time;
//! - the upload check after the 202 (`pdf::inspect`, in the sandboxed child), wall time;
//! - for the long books, `fnt process --engine local` end to end as a subprocess (process
//!   start, SQLite and the actor system included), CPU of the child.
//!
//! Targets from the issue: fnt CPU ≤ pdftotext CPU on every producer; chromium-long's upload
//! check ≤ 3× the generated sample's.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fnt::engine::local::rewrite_chunk;
use fnt::pdf::Requirements;
use fnt::pdf::clean::CleanOptions;
use fnt::pdf::plan::{PlanConfig, chunk_inputs, plan};
use fnt::settings::Settings;
use fnt_testkit::novel;
use fnt_testkit::pdf::{FixtureOptions, book_pdf};

const DEFAULT_ROUNDS: usize = 5;
const SAMPLE_PAGES: usize = 300;
const SAMPLE_NAME: &str = "generated-300.pdf";
const CHROMIUM_LONG: &str = "chromium-long.pdf";
/// A real 300-page Chromium book's upload check may cost this many times the generated one's.
const INSPECT_TARGET: f64 = 3.0;
/// What an upload is checked against (the service's default page limit).
const UPLOAD: Requirements = Requirements {
    max_pages: 1000,
    text_layer: true,
};

struct Pdf {
    name: String,
    path: PathBuf,
    bytes: Vec<u8>,
    /// A ~300-page book: also run through the `fnt process` binary.
    long: bool,
}

/// What one measurement cost.
#[derive(Debug, Clone, Copy)]
struct Cost {
    cpu: Duration,
    wall: Duration,
}

impl Cost {
    const WORST: Cost = Cost {
        cpu: Duration::MAX,
        wall: Duration::MAX,
    };

    /// Best of two rounds, CPU and wall each on its own: the least-disturbed round of each.
    fn best(self, other: Cost) -> Cost {
        Cost {
            cpu: self.cpu.min(other.cpu),
            wall: self.wall.min(other.wall),
        }
    }
}

/// The external programs the bench compares with; either may be missing.
struct Tools {
    pdftotext: bool,
    /// The release `fnt` binary, for `fnt process` end to end.
    fnt: Option<PathBuf>,
}

/// The best round of every measurement of one PDF.
struct Row {
    pages: usize,
    fallback: usize,
    fnt: Cost,
    pdftotext: Option<Cost>,
    precheck: Duration,
    inspect: Duration,
    process: Option<Cost>,
}

fn main() -> anyhow::Result<()> {
    let (rounds, filter) = parse_args()?;
    let scratch = tempfile::tempdir()?;
    let pdfs = inputs(scratch.path(), filter.as_deref())?;
    if pdfs.is_empty() {
        bail!("no PDF matches {filter:?}");
    }
    let tools = Tools::find();
    print_preamble(rounds, &tools);
    println!("{}", header());
    let mut inspect = HashMap::new();
    for pdf in &pdfs {
        let row = measure(pdf, rounds, &tools, scratch.path())?;
        println!("{}", row.markdown(&pdf.name));
        inspect.insert(pdf.name.as_str(), row.inspect);
    }
    print_inspect_ratio(&inspect);
    Ok(())
}

/// `[rounds] [filter]`; a lone non-numeric argument is the filter. Cargo adds `--bench`.
fn parse_args() -> anyhow::Result<(usize, Option<String>)> {
    let mut args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let rounds = match args.first().map(|a| a.parse::<usize>()) {
        Some(Ok(n)) => {
            args.remove(0);
            n.max(1)
        }
        _ => DEFAULT_ROUNDS,
    };
    if args.len() > 1 {
        bail!("usage: cargo bench --bench extract -- [rounds] [filter-substring]");
    }
    Ok((rounds, args.pop()))
}

/// The producer corpus, the long books, then the generated sample (written to `scratch`
/// so that pdftotext can read it too), keeping those whose name contains `filter`.
fn inputs(scratch: &Path, filter: Option<&str>) -> anyhow::Result<Vec<Pdf>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pdfs = pdfs_in(&root.join("tests/fixtures/producers"), false)?;
    pdfs.extend(pdfs_in(&root.join("benches/books"), true)?);
    let wanted = |name: &str| filter.is_none_or(|f| name.contains(f));
    pdfs.retain(|p| wanted(&p.name));
    if wanted(SAMPLE_NAME) {
        let fixture = book_pdf(&novel::novel(SAMPLE_PAGES), &FixtureOptions::default());
        let path = scratch.join(SAMPLE_NAME);
        std::fs::write(&path, &fixture.pdf)?;
        pdfs.push(Pdf {
            name: SAMPLE_NAME.to_owned(),
            path,
            bytes: fixture.pdf,
            long: false,
        });
    }
    Ok(pdfs)
}

/// Every `*.pdf` directly in `dir`, by name.
fn pdfs_in(dir: &Path, long: bool) -> anyhow::Result<Vec<Pdf>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "pdf") {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(Pdf {
                name,
                path,
                bytes,
                long,
            })
        })
        .collect()
}

impl Tools {
    fn find() -> Tools {
        let pdftotext = Command::new("pdftotext")
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        // Cargo builds the package's binaries for its benches, in the same profile, and says
        // where (target/release/fnt); check anyway, the target dir may have been cleaned since.
        let fnt = Some(PathBuf::from(env!("CARGO_BIN_EXE_fnt"))).filter(|bin| bin.is_file());
        Tools { pdftotext, fnt }
    }
}

fn print_preamble(rounds: usize, tools: &Tools) {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    println!("nproc: {cores}; every figure is the best of {rounds} rounds (CPU = user + sys)");
    println!(
        "fnt CPU: read_book + chunk plan + local engine (segment + split), in-process, all threads"
    );
    if !tools.pdftotext {
        println!("pdftotext: not found, its columns stay empty (apt-get install poppler-utils)");
    }
    match &tools.fnt {
        Some(bin) => println!("fnt process: {} (long books only)", bin.display()),
        None => println!(
            "fnt process: no release binary next to the bench, its columns stay empty \
             (cargo build --release)"
        ),
    }
    println!();
}

/// Runs every measurement of `pdf` once per round, interleaved, so that a busy spell on the
/// machine hits all of them alike rather than one tool's whole series.
fn measure(pdf: &Pdf, rounds: usize, tools: &Tools, scratch: &Path) -> anyhow::Result<Row> {
    let pages = fnt::pdf::read_lines(&pdf.bytes).with_context(|| pdf.name.clone())?;
    let settings = Settings::default();
    let mut row = Row {
        pages: pages.len(),
        fallback: pages.iter().filter(|p| p.fallback).count(),
        fnt: Cost::WORST,
        pdftotext: None,
        precheck: Duration::MAX,
        inspect: Duration::MAX,
        process: None,
    };
    for _ in 0..rounds {
        let (sentences, cost) = timed(libc::RUSAGE_SELF, || text_path(&pdf.bytes, &settings))
            .with_context(|| pdf.name.clone())?;
        black_box(sentences);
        row.fnt = row.fnt.best(cost);
        row.precheck = row
            .precheck
            .min(precheck(&pdf.bytes).with_context(|| pdf.name.clone())?);
        row.inspect = row
            .inspect
            .min(inspect(&pdf.bytes).with_context(|| pdf.name.clone())?);
        if tools.pdftotext {
            let cost = pdftotext(&pdf.path)?;
            row.pdftotext = Some(row.pdftotext.unwrap_or(Cost::WORST).best(cost));
        }
        if let (true, Some(bin)) = (pdf.long, &tools.fnt) {
            let cost = fnt_process(bin, &pdf.path, scratch)?;
            row.process = Some(row.process.unwrap_or(Cost::WORST).best(cost));
        }
    }
    Ok(row)
}

/// What `fnt process` does to the text with the local engine, minus the job machinery: the
/// same clean-up options, chunk plan and settings (see `actors::job::prepare` and
/// `process::ProcessArgs::settings`). Returns the number of sentences written.
fn text_path(bytes: &[u8], settings: &Settings) -> anyhow::Result<usize> {
    let options = CleanOptions {
        fix_hyphenation: settings.fix_hyphenation,
    };
    let (book, page_count) = fnt::pdf::read_book(bytes, options)?;
    let config = PlanConfig::default();
    let chunks = chunk_inputs(
        &book,
        &plan(page_count, &config),
        config.overlap_pages,
        fnt::engine::local::segment_options(settings),
    );
    Ok(chunks
        .iter()
        .map(|chunk| rewrite_chunk(chunk, settings).sentences.len())
        .sum())
}

/// The request's cheap checks, in the server before the 202.
fn precheck(bytes: &[u8]) -> anyhow::Result<Duration> {
    let start = Instant::now();
    black_box(fnt::pdf::precheck(bytes, UPLOAD.max_pages)?);
    Ok(start.elapsed())
}

/// The upload check after the 202, as the sandboxed child runs it (here in this process).
fn inspect(bytes: &[u8]) -> anyhow::Result<Duration> {
    let start = Instant::now();
    black_box(fnt::pdf::inspect(bytes, UPLOAD)?);
    Ok(start.elapsed())
}

fn pdftotext(pdf: &Path) -> anyhow::Result<Cost> {
    let mut cmd = Command::new("pdftotext");
    cmd.arg("-q").arg(pdf).arg("/dev/null");
    run_child(cmd).with_context(|| format!("pdftotext {}", pdf.display()))
}

fn fnt_process(bin: &Path, pdf: &Path, scratch: &Path) -> anyhow::Result<Cost> {
    let mut cmd = Command::new(bin);
    cmd.args(["process", "--quiet", "--engine", "local", "-o"])
        .arg(scratch.join("sentences.csv"))
        .arg(pdf);
    run_child(cmd).with_context(|| format!("fnt process {}", pdf.display()))
}

/// Runs a child to completion; its CPU is what `RUSAGE_CHILDREN` gained once it was waited for.
fn run_child(mut cmd: Command) -> anyhow::Result<Cost> {
    cmd.stdin(Stdio::null()).stdout(Stdio::null());
    let (output, cost) = timed(libc::RUSAGE_CHILDREN, || Ok(cmd.output()?))?;
    if !output.status.success() {
        bail!(
            "{}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(cost)
}

/// Runs `f`, measuring the CPU that `who` (`RUSAGE_SELF` or `RUSAGE_CHILDREN`) spent meanwhile.
fn timed<T>(who: libc::c_int, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(T, Cost)> {
    let cpu = cpu_time(who)?;
    let start = Instant::now();
    let out = f()?;
    let wall = start.elapsed();
    Ok((
        out,
        Cost {
            cpu: cpu_time(who)?.saturating_sub(cpu),
            wall,
        },
    ))
}

/// User + system CPU time so far.
fn cpu_time(who: libc::c_int) -> anyhow::Result<Duration> {
    // SAFETY: `rusage` is plain old data, and getrusage only writes into the one we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return Err(std::io::Error::last_os_error()).context("getrusage");
    }
    Ok(timeval(usage.ru_utime) + timeval(usage.ru_stime))
}

fn timeval(t: libc::timeval) -> Duration {
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let micros = u64::try_from(t.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(micros)
}

fn header() -> String {
    [
        "| pdf | pages | fallback | fnt CPU ms | pdftotext CPU ms | fnt / pdftotext CPU \
         | fnt wall ms | pdftotext wall ms | precheck ms | inspect ms | `fnt process` CPU ms \
         | `fnt process` / pdftotext CPU |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    .join("\n")
}

impl Row {
    fn markdown(&self, name: &str) -> String {
        let pdftotext = self.pdftotext;
        let cells = [
            format!("`{name}`"),
            self.pages.to_string(),
            format!(
                "{}/{} ({:.1} %)",
                self.fallback,
                self.pages,
                percent(self.fallback, self.pages)
            ),
            ms(self.fnt.cpu),
            pdftotext.map_or_else(dash, |c| ms(c.cpu)),
            pdftotext.map_or_else(dash, |c| ratio(self.fnt.cpu, c.cpu)),
            ms(self.fnt.wall),
            pdftotext.map_or_else(dash, |c| ms(c.wall)),
            ms(self.precheck),
            ms(self.inspect),
            self.process.map_or_else(dash, |c| ms(c.cpu)),
            match (self.process, pdftotext) {
                (Some(p), Some(t)) => ratio(p.cpu, t.cpu),
                _ => dash(),
            },
        ];
        format!("| {} |", cells.join(" | "))
    }
}

fn print_inspect_ratio(inspect: &HashMap<&str, Duration>) {
    println!();
    match (inspect.get(CHROMIUM_LONG), inspect.get(SAMPLE_NAME)) {
        (Some(&real), Some(&sample)) => println!(
            "upload check: {CHROMIUM_LONG} {} ms / {SAMPLE_NAME} {} ms = {}× (target ≤ {INSPECT_TARGET}×)",
            ms(real),
            ms(sample),
            ratio(real, sample)
        ),
        _ => println!(
            "upload check ratio: needs both {CHROMIUM_LONG} and {SAMPLE_NAME} (filtered out)"
        ),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}", a.as_secs_f64() / b.as_secs_f64())
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    part as f64 * 100.0 / whole as f64
}

fn dash() -> String {
    "–".to_owned()
}
