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
use crate::db::models::{ChapterRow, HistoryRow, SentenceEntry};
use crate::engine::Engines;
use crate::export::{self, ExportChapter, ExportDoc, ExportSentence, Format};
use crate::lifecycle::JobStatus;
use crate::lifecycle::admission::Quota;
use crate::settings::{Setting, SettingError, Settings};
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
    /// The job's settings: each option is the same [`Setting`] change, checked the same way,
    /// as a form field or the settings API would make.
    fn settings(&self, default_engine: &str) -> Result<Settings, SettingError> {
        let mut settings = Settings::default();
        for change in [
            Setting::SentenceLengthLimit(self.sentence_length_limit),
            Setting::MinSentenceLength(self.min_sentence_length),
            Setting::IgnoreDialogue(self.ignore_dialogue),
            Setting::PreserveFormatting(!self.strip_formatting),
            Setting::FixHyphenation(!self.keep_hyphenation),
            Setting::engine(self.engine.as_deref().unwrap_or(default_engine)),
        ] {
            settings.change(change)?;
        }
        Ok(settings)
    }
}

/// Runs the job and writes the CSV; returns how many sentences were written.
pub async fn run(args: &ProcessArgs) -> anyhow::Result<usize> {
    // Before anything starts: a wrong path is a one-line answer, not a book's worth of work.
    check_input(&args.pdf)?;
    check_output(&args.output)?;
    let scratch = tempfile::tempdir().with_context(|| {
        format!(
            "cannot create a scratch directory in {} (set TMPDIR)",
            std::env::temp_dir().display()
        )
    })?;
    let config = Config {
        data_dir: scratch.path().to_owned(),
        max_pages: args.max_pages,
        // Nothing else runs here, so give this one job the whole machine.
        max_running_jobs: 1,
        gemini_api_key: args.gemini_api_key.clone(),
        gemini_base_url: args.gemini_base_url.clone(),
        ..Config::default()
    };
    // Also before anything starts: a value out of range is refused here, not after the book
    // has been copied. Submitting checks the whole set again (the engine must exist).
    let settings = args
        .settings(config.default_engine())
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.pdf.display()))?;
    let engines = Engines::from_config(&config).map_err(anyhow::Error::msg)?;
    let core = Core::start(config, engines).await?;
    let upload = stage(&args.pdf, &core.config.uploads_dir()).await?;
    let job_id = submit(&core, LOCAL_USER_ID, upload, settings, Quota::default())
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
        if job.status.is_terminal() {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    bar.finish_and_clear();
    core.halt_workers();

    if !matches!(job.status, JobStatus::Completed | JobStatus::Partial) {
        bail!(
            "processing failed: {}",
            job.error_message
                .unwrap_or_else(|| job.status.as_str().to_owned())
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
    if job.status == JobStatus::Partial {
        eprintln!(
            "warning: {} of {} chunks failed; their pages are missing from the output",
            job.failed_chunks, job.total_chunks
        );
    }
    Ok(count)
}

/// Checks that `pdf` names a file this process may read; the error names the path and says
/// what is wrong with it in words ("is a directory", "no such file").
pub fn check_input(pdf: &Path) -> anyhow::Result<()> {
    let shown = pdf.display();
    match std::fs::metadata(pdf) {
        Ok(meta) if meta.is_dir() => bail!("{shown} is a directory, not a PDF file"),
        Ok(_) => std::fs::File::open(pdf)
            .map(drop)
            .map_err(|e| anyhow::anyhow!("cannot read {shown}: {}", io_reason(&e))),
        Err(e) => bail!("cannot read {shown}: {}", io_reason(&e)),
    }
}

/// Checks that the CSV can be written where asked, so that a typo does not cost a whole run.
fn check_output(output: &Path) -> anyhow::Result<()> {
    let shown = output.display();
    if output.is_dir() {
        bail!("cannot write {shown}: it is a directory (give a file name with -o)");
    }
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        bail!(
            "cannot write {shown}: the directory {} does not exist",
            dir.display()
        );
    }
    Ok(())
}

/// An I/O error in words, without the OS error number.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Copies the PDF into the uploads directory the way an HTTP upload arrives.
async fn stage(pdf: &Path, uploads: &Path) -> anyhow::Result<Upload> {
    let mut source = tokio::fs::File::open(pdf)
        .await
        .with_context(|| format!("cannot open {}", pdf.display()))?;
    let (file, temp) = tempfile::Builder::new()
        .prefix(".upload-")
        .suffix(".part")
        .tempfile_in(uploads)
        .with_context(|| format!("cannot create a file in {}", uploads.display()))?
        .into_parts();
    let mut target = tokio::fs::File::from_std(file);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = source
            .read(&mut buf)
            .await
            .with_context(|| format!("cannot read {}", pdf.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        target
            .write_all(&buf[..n])
            .await
            .with_context(|| format!("cannot write to {}", uploads.display()))?;
        size += n as u64;
    }
    target
        .flush()
        .await
        .with_context(|| format!("cannot write to {}", uploads.display()))?;
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ProcessArgs,
    }

    fn settings(args: &[&str]) -> Result<Settings, SettingError> {
        let cli = Cli::try_parse_from(["fnt", "livre.pdf"].iter().chain(args)).unwrap();
        cli.args.settings(crate::engine::LOCAL)
    }

    #[test]
    fn the_options_are_the_settings_a_form_would_give() {
        assert_eq!(settings(&[]), Ok(Settings::default()));
        let mut form = Settings::default();
        for (name, value) in [
            ("sentence_length_limit", "12"),
            ("ignore_dialogue", "true"),
            ("preserve_formatting", "false"),
            ("fix_hyphenation", "false"),
            ("engine", "local"),
        ] {
            form.set(name, value).unwrap();
        }
        let cli = settings(&[
            "--sentence-length-limit",
            "12",
            "--ignore-dialogue",
            "--strip-formatting",
            "--keep-hyphenation",
            "--engine",
            "LOCAL",
        ]);
        assert_eq!(cli, Ok(form));
    }

    #[test]
    fn a_value_out_of_range_is_refused_as_a_form_would_refuse_it() {
        let cli = settings(&["--sentence-length-limit", "2"]).unwrap_err();
        let form = Settings::default()
            .set("sentence_length_limit", "2")
            .unwrap_err();
        assert_eq!(cli, form);
    }
}
