//! Turning a stored upload into a queued job: the one path shared by the HTTP API and
//! `fnt process`. Nothing is half-stored: a job row is never written without its PDF (see
//! `Db::insert_job`). Only the cheap checks run before the 202; the rest runs in the sandbox.

use tempfile::TempPath;

use crate::core::Core;
use crate::db::models::NewJob;
use crate::db::{DbError, now_ms};
use crate::lifecycle::JobStatus;
use crate::lifecycle::admission::{Admission, Quota};
use crate::pdf::{self, PdfError, PdfInfo, Requirements};
use crate::sandbox::{Input, SandboxError, Task};
use crate::settings::{InputMode, SettingError, Settings};

/// An uploaded file, staged under the uploads directory under a temporary name that is
/// deleted when this is dropped (the job keeps its own copy, see `Db::insert_job`).
pub struct Upload {
    pub temp: TempPath,
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Setting(#[from] SettingError),
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error("storing the upload failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("over the limit")]
    Limit(Admission),
}

/// Validates the settings and runs the cheap checks on the PDF, then stores the job as
/// queued and wakes the workers. The expensive checks follow in the sandbox, after the
/// caller has its job id (see [`check_after_the_202`]).
pub async fn submit(
    core: &Core,
    owner: &str,
    upload: Upload,
    settings: Settings,
    quota: Quota,
) -> Result<String, SubmitError> {
    check_settings(core, &settings)?;
    let pdf = PdfFile {
        file_name: upload.file_name,
        sha256: upload.sha256,
        size: upload.size,
    };
    enqueue(core, owner, pdf, Staged::File(upload.temp), settings, quota).await
}

/// What a job records about its PDF besides the bytes.
pub struct PdfFile {
    pub file_name: String,
    pub sha256: String,
    pub size: u64,
}

/// Where the PDF of a new job is.
pub enum Staged {
    /// An upload, staged under the uploads directory.
    File(TempPath),
    /// The stored PDF of an earlier job, as bytes (PostgreSQL).
    Bytes(Vec<u8>),
    /// The stored PDF of an earlier job, as the file SQLite keeps: staged under a second
    /// name, not written again.
    Kept(std::path::PathBuf),
}

/// Runs the cheap checks on a PDF and stores a queued job for it; the settings must have
/// passed [`check_settings`]. The bytes are held in memory only for the cheap checks (and,
/// on PostgreSQL, the insert), and only as many at once as [`Core::upload_memory`] allows.
pub async fn enqueue(
    core: &Core,
    owner: &str,
    pdf: PdfFile,
    staged: Staged,
    settings: Settings,
    quota: Quota,
) -> Result<String, SubmitError> {
    let requirements = crate::book_plan::requirements(&settings, core.config.max_pages);
    let (id, file) = {
        // PostgreSQL's driver copies the bytes it stores; SQLite keeps the staged file.
        let copies = if core.db.is_postgres() { 2 } else { 1 };
        let _held = core.upload_memory.hold(pdf.size, copies).await;
        let (bytes, file) = match staged {
            Staged::File(path) => (tokio::fs::read(&path).await?, Some(path)),
            Staged::Bytes(bytes) => (bytes, None),
            Staged::Kept(kept) => {
                let path = stage_link(core, kept).await?;
                (tokio::fs::read(&path).await?, Some(path))
            }
        };
        let precheck = pdf::precheck(&bytes, requirements.max_pages)?;
        let id = uuid::Uuid::new_v4().to_string();
        let job = NewJob {
            id: id.clone(),
            owner_id: owner.to_owned(),
            status: JobStatus::Queued,
            file_name: pdf.file_name,
            input_hash: pdf.sha256,
            file_size: i64::try_from(pdf.size).unwrap_or(i64::MAX),
            // Until the sandbox has counted them, when the cheap checks could not.
            page_count: precheck
                .pages
                .map_or(0, |n| i32::try_from(n).unwrap_or(i32::MAX)),
            engine: settings.engine.clone(),
            settings: settings.into(),
            current_step: "queued".to_owned(),
            created_at: now_ms(),
        };
        // The sandbox and the store take a file: a stored PDF is staged again for them.
        let file = match file {
            Some(file) => file,
            None => stage(core, &bytes).await?,
        };
        match core.db.insert_job(job, bytes, &file, quota).await? {
            Admission::Admitted => {}
            refused => return Err(SubmitError::Limit(refused)),
        }

        (id, file)
    };
    core.wake_workers();
    let checked = check_after_the_202(core.clone(), id.clone(), file, requirements);
    actix_web::rt::spawn(checked);
    Ok(id)
}

/// Writes `bytes` to a file of their own under the uploads directory.
async fn stage(core: &Core, bytes: &[u8]) -> Result<TempPath, std::io::Error> {
    let dir = core.config.uploads_dir();
    let file = tempfile::Builder::new()
        .prefix(".upload-")
        .suffix(".part")
        .tempfile_in(dir)?;
    let (file, path) = file.into_parts();
    let mut file = tokio::fs::File::from_std(file);
    tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
    // tokio writes in the background: without waiting, whoever reads the file next (the
    // store, the sandbox's check) may find it empty.
    tokio::io::AsyncWriteExt::flush(&mut file).await?;
    Ok(path)
}

/// Gives `kept` a second name under the uploads directory (a copy where links cannot be made).
async fn stage_link(core: &Core, kept: std::path::PathBuf) -> Result<TempPath, std::io::Error> {
    let dir = core.config.uploads_dir();
    let staged = tokio::task::spawn_blocking(move || {
        tempfile::Builder::new()
            .prefix(".upload-")
            .suffix(".part")
            .make_in(&dir, |path| match std::fs::hard_link(&kept, path) {
                // Taken: `make_in` tries another name.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
                Err(_) => std::fs::copy(&kept, path).map(drop),
                Ok(()) => Ok(()),
            })
    })
    .await
    .map_err(std::io::Error::other)??;
    Ok(staged.into_temp_path())
}

/// The expensive checks of a new job's PDF, in the sandbox: what they refuse moves the job to
/// `rejected` with the error a 4xx would have carried; the pages they count replace those
/// the cheap checks could not. The staged file is deleted once they are done.
async fn check_after_the_202(core: Core, id: String, file: TempPath, requirements: Requirements) {
    let task = Task::Check { requirements };
    let checked = core.sandbox.run::<PdfInfo>(&task, Input::File(&file)).await;
    match checked {
        Ok(info) => {
            if let Err(e) = core.db.set_page_count(&id, info.page_count).await {
                tracing::warn!(job_id = %id, error = %e, "could not record the page count");
            }
        }
        Err(SandboxError::Refused(e)) => {
            tracing::info!(job_id = %id, error = ?e, "the PDF was rejected after its upload");
            if let Err(db) = core.db.reject_job(&id, e.code(), &e.to_string()).await {
                tracing::error!(job_id = %id, error = %db, "could not reject the job");
            }
        }
        // Nothing is known about the PDF: the job reads it in the sandbox too, and fails
        // there if the sandbox stays unavailable.
        Err(e @ SandboxError::Unavailable(_)) => {
            tracing::error!(job_id = %id, error = %e, "the PDF could not be checked");
        }
    }
    // The job keeps its own copy; the staged file goes once the check has had its say,
    // which is how a caller can tell it has.
    drop(file);
}

/// Whether this server can run a job with `settings`: values in range, an engine it has, and
/// one that reads PDFs when the pages themselves are to be sent.
pub fn check_settings(core: &Core, settings: &Settings) -> Result<(), SettingError> {
    settings.validate(&core.engines.names())?;
    if settings.input_mode == InputMode::Pdf
        && !core
            .engines
            .get(&settings.engine)
            .is_some_and(|e| e.reads_pdf())
    {
        return Err(SettingError {
            field: "input_mode".into(),
            message: format!(
                "the '{}' engine cannot read PDFs; use input_mode=text or engine=gemini",
                settings.engine
            ),
        });
    }
    Ok(())
}

/// A name that is safe to store and show: the last path component, without control
/// characters, at most 200 characters.
pub fn sanitize_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean == "." || clean == ".." {
        "upload.pdf".to_owned()
    } else {
        clean.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_sanitised() {
        assert_eq!(sanitize_file_name("livre.pdf"), "livre.pdf");
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("C:\\Users\\a\\roman.pdf"), "roman.pdf");
        assert_eq!(sanitize_file_name("a\u{0}b\nc.pdf"), "abc.pdf");
        assert_eq!(sanitize_file_name(".."), "upload.pdf");
        assert_eq!(sanitize_file_name(""), "upload.pdf");
        assert_eq!(sanitize_file_name(&"x".repeat(500)).len(), 200);
    }
}
