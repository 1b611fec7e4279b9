//! `fnt process book.pdf -o book.csv`: the same pipeline as the server (supervisor, job and
//! chunk actors, SQLite), run in-process on a throw-away database, with a progress bar.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::Config;
use crate::core::Core;
use crate::db::LOCAL_USER_ID;
use crate::db::jobs::Quota;
use crate::db::models::{ChapterRow, HistoryRow, SentenceEntry};
use crate::engine::Engines;
use crate::export::{self, ExportChapter, ExportDoc, ExportSentence, Format};
use crate::settings::Settings;
use crate::status::JobStatus;
use crate::submit::{Upload, sanitize_file_name, submit};

#[derive(Debug, Clone, clap::Args)]
pub struct ProcessArgs {
    /// The PDF to process.
    pub pdf: PathBuf,
    /// Where to write the sentences as CSV: the web export's columns (position, page,
    /// normalized, original, edited, chapter, chapter_title), UTF-8 with a byte-order mark.
    #[arg(short, long, default_value = "sentences.csv")]
    pub output: PathBuf,
    /// Longest output sentence, in words (3 to 50).
    #[arg(long, default_value_t = Settings::default().sentence_length_limit)]
    pub sentence_length_limit: u32,
    /// Shortest piece a long sentence may be cut into, in words.
    #[arg(long, default_value_t = Settings::default().min_sentence_length)]
    pub min_sentence_length: u32,
    /// Keep quoted speech and dialogue replies whole.
    #[arg(long)]
    pub ignore_dialogue: bool,
    /// Drop quotation marks and dialogue dashes from the output.
    #[arg(long)]
    pub strip_formatting: bool,
    /// Keep words broken by line-end hyphens as they are printed.
    #[arg(long)]
    pub keep_hyphenation: bool,
    /// Engine to use (default: gemini when GEMINI_API_KEY is set, else local).
    #[arg(long)]
    pub engine: Option<String>,
    /// Gemini API key.
    #[arg(long, env = "GEMINI_API_KEY", hide_env_values = true)]
    pub gemini_api_key: Option<crate::config::Secret>,
    /// Gemini REST base URL.
    #[arg(
        long,
        env = "FNT_GEMINI_BASE_URL",
        default_value = "https://generativelanguage.googleapis.com"
    )]
    pub gemini_base_url: String,
    /// Most pages the PDF may have.
    #[arg(long, default_value_t = Config::default().max_pages)]
    pub max_pages: u32,
    /// Hide the progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

impl ProcessArgs {
    fn settings(&self, default_engine: &str) -> Settings {
        Settings {
            sentence_length_limit: self.sentence_length_limit,
            min_sentence_length: self.min_sentence_length,
            ignore_dialogue: self.ignore_dialogue,
            preserve_formatting: !self.strip_formatting,
            fix_hyphenation: !self.keep_hyphenation,
            engine: self
                .engine
                .as_deref()
                .unwrap_or(default_engine)
                .to_ascii_lowercase(),
            ..Settings::default()
        }
    }
}

/// Runs the job and writes the CSV; returns how many sentences were written.
pub async fn run(args: &ProcessArgs) -> anyhow::Result<usize> {
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let config = Config {
        data_dir: scratch.path().to_owned(),
        max_pages: args.max_pages,
        // Nothing else runs here, so give this one job the whole machine.
        max_running_jobs: 1,
        gemini_api_key: args.gemini_api_key.clone(),
        gemini_base_url: args.gemini_base_url.clone(),
        ..Config::default()
    };
    let engines = Engines::from_config(&config).map_err(anyhow::Error::msg)?;
    let default_engine = config.default_engine();
    let core = Core::start(config, engines).await?;
    let upload = stage(&args.pdf, &core.config.uploads_dir()).await?;
    let job_id = submit(
        &core,
        LOCAL_USER_ID,
        upload,
        args.settings(default_engine),
        Quota::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}: {e}", args.pdf.display()))?;

    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(100)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos:>3}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let job = loop {
        let job = core
            .db
            .job(&job_id, LOCAL_USER_ID)
            .await?
            .context("the job disappeared")?;
        bar.set_position(u64::try_from(job.progress_percent).unwrap_or(0));
        bar.set_message(job.current_step.clone());
        if JobStatus::parse(&job.status).is_some_and(JobStatus::is_terminal) {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    bar.finish_and_clear();
    core.halt_workers();

    let status = JobStatus::parse(&job.status);
    if !matches!(status, Some(JobStatus::Completed | JobStatus::Partial)) {
        bail!(
            "processing failed: {}",
            job.error_message.unwrap_or_else(|| job.status.clone())
        );
    }
    let entry = core
        .db
        .history_for_job(&job_id, LOCAL_USER_ID)
        .await?
        .context("the finished job has no history entry")?;
    let sentences = core.db.sentence_entries(&entry.id).await?;
    let count = sentences.len();
    let chapters = core.db.chapters(&entry.id).await?;
    write_csv(&args.output, &entry, sentences, chapters)?;
    if status == Some(JobStatus::Partial) {
        eprintln!(
            "warning: {} of {} chunks failed; their pages are missing from the output",
            job.failed_chunks, job.total_chunks
        );
    }
    Ok(count)
}

/// Copies the PDF into the uploads directory the way an HTTP upload arrives.
async fn stage(pdf: &Path, uploads: &Path) -> anyhow::Result<Upload> {
    let mut source = tokio::fs::File::open(pdf)
        .await
        .with_context(|| format!("cannot open {}", pdf.display()))?;
    let (file, temp) = tempfile::Builder::new()
        .prefix(".upload-")
        .suffix(".part")
        .tempfile_in(uploads)?
        .into_parts();
    let mut target = tokio::fs::File::from_std(file);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = source.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        target.write_all(&buf[..n]).await?;
        size += n as u64;
    }
    target.flush().await?;
    Ok(Upload {
        temp,
        file_name: sanitize_file_name(&pdf.to_string_lossy()),
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// The CSV the web export gives for the same entry (columns, quoting, byte-order mark), so
/// that a book processed here and one downloaded from the site read the same.
fn write_csv(
    path: &Path,
    entry: &HistoryRow,
    sentences: Vec<SentenceEntry>,
    chapters: Vec<ChapterRow>,
) -> anyhow::Result<()> {
    let sentences: Vec<ExportSentence> = sentences
        .into_iter()
        .map(export::stored::sentence)
        .collect();
    let chapters: Vec<ExportChapter> = chapters.into_iter().map(export::stored::chapter).collect();
    let doc = ExportDoc {
        file_name: &entry.file_name,
        engine: &entry.engine,
        created_at_ms: entry.created_at,
        exported_at_ms: None,
        sentence_length_limit: export::stored::sentence_length_limit(&entry.settings),
        sentences: &sentences,
        chapters: &chapters,
    };
    let bytes = export::render(Format::Csv, &doc)?;
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
