//! Streaming a multipart upload to disk: the PDF never sits whole in memory, its size is
//! checked as it arrives, and its SHA-256 is computed on the way.

use actix_multipart::{Field, Multipart, MultipartError};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::error::ApiError;
use crate::settings::Settings;
use crate::submit::{Upload, sanitize_file_name};

// Settings are short; anything longer is not a setting.
const MAX_FIELD_BYTES: usize = 1024;
const MAX_FIELDS: usize = 32;
// Large enough to batch the small pieces multipart hands over into few writes; small enough
// that fifty uploads arriving at once hold little (see `upload_memory`).
const WRITE_BUFFER: usize = 256 * 1024;

/// A job request as it came in: the stored file and the settings sent beside it.
pub struct JobForm {
    pub upload: Upload,
    pub settings: Settings,
}

pub async fn read_job_form(
    mut payload: Multipart,
    mut settings: Settings,
    dir: &std::path::Path,
    max_bytes: u64,
) -> Result<JobForm, ApiError> {
    let mut upload = None;
    let mut fields = 0;
    while let Some(field) = payload.try_next().await.map_err(multipart_error)? {
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(ApiError::bad_request(
                "invalid_request",
                "too many form fields",
            ));
        }
        let name = field
            .content_disposition()
            .and_then(|cd| cd.get_name())
            .unwrap_or_default()
            .to_owned();
        if name == "file" {
            if upload.is_some() {
                return Err(ApiError::bad_request(
                    "invalid_request",
                    "send exactly one file per job",
                ));
            }
            upload = Some(store_file(field, dir, max_bytes).await?);
        } else {
            let value = read_text(field, &name).await?;
            settings.set(&name, &value)?;
        }
    }
    let upload = upload.ok_or_else(|| {
        ApiError::bad_request(
            "missing_file",
            "attach the PDF as a form field named 'file'",
        )
    })?;
    Ok(JobForm { upload, settings })
}

async fn store_file(
    mut field: Field,
    dir: &std::path::Path,
    max_bytes: u64,
) -> Result<Upload, ApiError> {
    let file_name = sanitize_file_name(
        field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .unwrap_or_default(),
    );
    let temp = tempfile::Builder::new()
        .prefix(".upload-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(ApiError::internal)?;
    let (file, temp) = temp.into_parts();
    // tokio's File sends every write to the blocking pool; multipart hands us small pieces, so
    // batch them into large writes.
    let mut file =
        tokio::io::BufWriter::with_capacity(WRITE_BUFFER, tokio::fs::File::from_std(file));
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    while let Some(bytes) = field.try_next().await.map_err(multipart_error)? {
        size += bytes.len() as u64;
        if size > max_bytes {
            // `temp` is dropped on return, which deletes the partial file.
            return Err(ApiError::too_large(format!(
                "the file is larger than the {} MiB this server accepts",
                max_bytes / (1024 * 1024)
            )));
        }
        hasher.update(&bytes);
        file.write_all(&bytes).await.map_err(ApiError::internal)?;
    }
    file.flush().await.map_err(ApiError::internal)?;
    Ok(Upload {
        temp,
        file_name,
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

async fn read_text(mut field: Field, name: &str) -> Result<String, ApiError> {
    let mut value = Vec::new();
    while let Some(bytes) = field.try_next().await.map_err(multipart_error)? {
        if value.len() + bytes.len() > MAX_FIELD_BYTES {
            return Err(ApiError::bad_request(
                "invalid_setting",
                format!("{name}: value too long"),
            ));
        }
        value.extend_from_slice(&bytes);
    }
    String::from_utf8(value)
        .map_err(|_| ApiError::bad_request("invalid_setting", format!("{name}: not UTF-8 text")))
}

fn multipart_error(e: MultipartError) -> ApiError {
    ApiError::bad_request(
        "invalid_request",
        format!("expected a multipart/form-data body with a 'file' field: {e}"),
    )
}
