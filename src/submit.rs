//! Turning a stored upload into a queued job: the one path shared by the HTTP API and
//! `fnt process`. Nothing is half-stored: the job row and its PDF are written in one transaction.

use tempfile::TempPath;

use crate::core::Core;
use crate::db::jobs::{Admission, Quota};
use crate::db::models::NewJob;
use crate::db::{DbError, now_ms};
use crate::pdf::{self, PdfError, Requirements};
use crate::settings::{InputMode, SettingError, Settings};
use crate::status::JobStatus;

/// An uploaded file, staged under the uploads directory under a temporary name that is
/// deleted when this is dropped (the job keeps its own copy in the database).
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

/// Validates the settings and the PDF, then stores the job as queued and wakes the workers.
pub async fn submit(
    core: &Core,
    owner: &str,
    upload: Upload,
    settings: Settings,
    quota: Quota,
) -> Result<String, SubmitError> {
    check_settings(core, &settings)?;
    let bytes = tokio::fs::read(&upload.temp).await?;
    let pdf = PdfFile {
        file_name: upload.file_name,
        sha256: upload.sha256,
        size: upload.size,
    };
    let id = enqueue(core, owner, pdf, bytes, settings, quota).await?;
    // The job keeps its own copy in the database.
    drop(upload.temp);
    Ok(id)
}

/// What a job records about its PDF besides the bytes.
pub struct PdfFile {
    pub file_name: String,
    pub sha256: String,
    pub size: u64,
}

/// Checks `bytes` like an upload and stores a queued job for them; the settings must have
/// passed [`check_settings`].
pub async fn enqueue(
    core: &Core,
    owner: &str,
    pdf: PdfFile,
    bytes: Vec<u8>,
    settings: Settings,
    quota: Quota,
) -> Result<String, SubmitError> {
    // An engine that reads the pages themselves does not need a text layer.
    let requirements = Requirements {
        max_pages: core.config.max_pages,
        text_layer: settings.input_mode != InputMode::Pdf,
    };
    let (info, bytes) = tokio::task::spawn_blocking(move || {
        pdf::inspect(&bytes, requirements).map(|info| (info, bytes))
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))??;

    let id = uuid::Uuid::new_v4().to_string();
    let settings_json =
        serde_json::to_string(&settings).map_err(|e| DbError::Decode(e.to_string()))?;
    let job = NewJob {
        id: id.clone(),
        owner_id: owner.to_owned(),
        status: JobStatus::Queued.as_str().to_owned(),
        file_name: pdf.file_name,
        input_hash: pdf.sha256,
        file_size: i64::try_from(pdf.size).unwrap_or(i64::MAX),
        page_count: i32::try_from(info.page_count).unwrap_or(i32::MAX),
        settings: settings_json,
        engine: settings.engine.clone(),
        current_step: "queued".to_owned(),
        created_at: now_ms(),
    };
    // The job and its PDF are stored in one transaction.
    match core.db.insert_job(job, bytes, quota).await? {
        Admission::Admitted => {}
        refused => return Err(SubmitError::Limit(refused)),
    }
    core.wake_workers();
    Ok(id)
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
