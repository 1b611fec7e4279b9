//! Streaming a multipart upload to disk: the PDF never sits whole in memory, its size is
//! checked as it arrives, and its SHA-256 is computed on the way.

use std::io::Write as _;

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::web::Bytes;
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::settings::Settings;
use crate::submit::{Upload, sanitize_file_name};

// Settings are short; anything longer is not a setting.
const MAX_FIELD_BYTES: usize = 1024;
const MAX_FIELDS: usize = 32;
// Large enough to batch the pieces multipart hands over into few trips to a blocking thread;
// small enough that fifty uploads arriving at once hold little (see `upload_memory`).
const WRITE_BATCH: usize = 256 * 1024;

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
    let mut file = Spool::new(file);
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
        file.push(bytes).await.map_err(ApiError::internal)?;
    }
    file.finish().await.map_err(ApiError::internal)?;
    Ok(Upload {
        temp,
        file_name,
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Writes the pieces of a body to a file on a blocking thread, in batches, as they arrive:
/// the pieces themselves go to the thread, not copies of them, and the next batch is
/// gathered while one is being written.
struct Spool {
    /// `None` while a batch is being written (the thread has it).
    file: Option<std::fs::File>,
    writing: Option<tokio::task::JoinHandle<std::io::Result<std::fs::File>>>,
    batch: Vec<Bytes>,
    batched: usize,
}

impl Spool {
    fn new(file: std::fs::File) -> Self {
        Self {
            file: Some(file),
            writing: None,
            batch: Vec::new(),
            batched: 0,
        }
    }

    async fn push(&mut self, bytes: Bytes) -> std::io::Result<()> {
        self.batched += bytes.len();
        self.batch.push(bytes);
        if self.batched >= WRITE_BATCH {
            self.write_batch().await?;
        }
        Ok(())
    }

    /// Writes what is left and waits until all is written.
    async fn finish(mut self) -> std::io::Result<()> {
        if !self.batch.is_empty() {
            self.write_batch().await?;
        }
        self.written().await
    }

    async fn write_batch(&mut self) -> std::io::Result<()> {
        self.written().await?;
        let mut file = self
            .file
            .take()
            .ok_or_else(|| std::io::Error::other("the upload's file was lost"))?;
        let batch = std::mem::take(&mut self.batch);
        self.batched = 0;
        self.writing = Some(tokio::task::spawn_blocking(move || {
            for bytes in &batch {
                file.write_all(bytes)?;
            }
            Ok(file)
        }));
        Ok(())
    }

    /// Waits for the batch being written, if any.
    async fn written(&mut self) -> std::io::Result<()> {
        if let Some(writing) = self.writing.take() {
            self.file = Some(writing.await.map_err(std::io::Error::other)??);
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_body_spooled_in_batches_is_written_whole_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload.part");
        let mut spool = Spool::new(std::fs::File::create(&path).unwrap());
        // Pieces of every size, crossing batch boundaries, the last batch a short one.
        let mut expected = Vec::new();
        for n in 0..300usize {
            let piece: Vec<u8> = (0..(n * 37) % 9000)
                .map(|i| u8::try_from((i + n) % 251).unwrap())
                .collect();
            expected.extend_from_slice(&piece);
            spool.push(Bytes::from(piece)).await.unwrap();
        }
        assert!(expected.len() > 3 * WRITE_BATCH);
        spool.finish().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    }
}
