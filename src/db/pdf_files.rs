//! On SQLite, each job's PDF is a file beside the database (`pdfs/<job id>.pdf`).
//!
//! SQLite writes one transaction at a time: with a book's megabytes inside the job's
//! transaction, every upload waited for the ones before it to write theirs. The file is put
//! in place (and synced) before the job's row is written, so a crash between the two leaves a
//! file without a job, which the retention sweep removes, and never a job without its PDF.
//! PostgreSQL keeps PDFs in its `uploads` table, which every instance shares; so did SQLite
//! databases before this layout, and what they hold there is still read and deleted.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A file with no job row is left alone this long: its job's insert may still be on its way.
pub(crate) const ORPHAN_AFTER: Duration = Duration::from_secs(600);

pub(crate) struct PdfFiles {
    dir: PathBuf,
}

impl PdfFiles {
    /// The `pdfs` directory beside the SQLite database at `database`, created if needed.
    pub(crate) fn beside(database: &Path) -> io::Result<Self> {
        let parent = database
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // Absolute: the sandbox's children read these files from directories of their own.
        let dir = std::path::absolute(parent.join("pdfs"))?;
        fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where job `job_id`'s PDF is kept. Job ids are UUIDs; anything else names no file, so a
    /// stray id can never reach outside the directory.
    fn path(&self, job_id: &str) -> Option<PathBuf> {
        let plain = !job_id.is_empty()
            && job_id.len() <= 64
            && job_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        plain.then(|| self.dir.join(format!("{job_id}.pdf")))
    }

    /// Keeps the staged file `staged` as job `job_id`'s PDF, durably: its bytes and its name
    /// reach the disk before the job's row can. Blocking.
    pub(crate) fn put(&self, staged: &Path, job_id: &str) -> io::Result<()> {
        let target = self
            .path(job_id)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a job id"))?;
        fs::File::open(staged)?.sync_data()?;
        // A second name for the staged bytes: no copy, and the staged file stays where the
        // upload's own check reads it.
        if fs::hard_link(staged, &target).is_err() {
            // Another filesystem, or one without links: a copy, renamed into place whole.
            let part = self.dir.join(format!(".{job_id}.pdf.part"));
            fs::copy(staged, &part)?;
            fs::File::open(&part)?.sync_data()?;
            fs::rename(&part, &target)?;
        }
        fs::File::open(&self.dir)?.sync_all()
    }

    /// The file of job `job_id`'s PDF, if it is kept.
    pub(crate) fn get(&self, job_id: &str) -> Option<PathBuf> {
        self.path(job_id).filter(|p| p.is_file())
    }

    /// Deletes job `job_id`'s PDF if it is kept; whether one was. A failure is logged: the
    /// next sweep tries again.
    pub(crate) fn remove(&self, job_id: &str) -> bool {
        let Some(path) = self.path(job_id) else {
            return false;
        };
        match fs::remove_file(&path) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => {
                tracing::warn!(job_id, error = %e, "could not delete a kept PDF");
                false
            }
        }
    }

    /// Every kept PDF: its job id and how long ago it was written. Copies that a crash
    /// interrupted are deleted on the way.
    pub(crate) fn list(&self) -> io::Result<Vec<(String, Duration)>> {
        let now = SystemTime::now();
        let mut kept = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.ends_with(".part") {
                let _ = fs::remove_file(entry.path());
                continue;
            }
            let Some(job_id) = name.strip_suffix(".pdf") else {
                continue;
            };
            if self.path(job_id).is_none() {
                continue;
            }
            let age = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|at| now.duration_since(at).ok())
                .unwrap_or_default();
            kept.push((job_id.to_owned(), age));
        }
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staged(dir: &Path, bytes: &[u8]) -> PathBuf {
        let path = dir.join(".upload-1.part");
        fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn a_kept_pdf_is_found_listed_and_removed_by_its_job_id() {
        let dir = tempfile::tempdir().unwrap();
        let files = PdfFiles::beside(&dir.path().join("fnt.sqlite3")).unwrap();
        assert_eq!(files.dir(), dir.path().join("pdfs"));
        let staged = staged(dir.path(), b"%PDF-1.7 livre");
        files
            .put(&staged, "3f2c0a9e-1b7d-4c55-9a0e-2f6d8b1c4e70")
            .unwrap();

        let kept = files.get("3f2c0a9e-1b7d-4c55-9a0e-2f6d8b1c4e70").unwrap();
        assert_eq!(fs::read(&kept).unwrap(), b"%PDF-1.7 livre");
        // The staged file stays for the upload's check.
        assert_eq!(fs::read(&staged).unwrap(), b"%PDF-1.7 livre");
        let listed = files.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].0, "3f2c0a9e-1b7d-4c55-9a0e-2f6d8b1c4e70");
        assert!(listed[0].1 < ORPHAN_AFTER);

        assert!(files.remove("3f2c0a9e-1b7d-4c55-9a0e-2f6d8b1c4e70"));
        assert!(!files.remove("3f2c0a9e-1b7d-4c55-9a0e-2f6d8b1c4e70"));
        assert_eq!(files.get("3f2c0a9e-1b7d-4c55-9a0e-2f6d8b1c4e70"), None);
        assert!(files.list().unwrap().is_empty());
    }

    #[test]
    fn ids_that_are_not_job_ids_name_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let files = PdfFiles::beside(&dir.path().join("fnt.sqlite3")).unwrap();
        fs::write(dir.path().join("secret.pdf"), b"x").unwrap();
        for id in ["../secret", "", "a/b", ".", "x".repeat(65).as_str()] {
            assert_eq!(files.get(id), None, "{id:?}");
            assert!(!files.remove(id), "{id:?}");
        }
        let staged = staged(dir.path(), b"%PDF");
        let refused = files.put(&staged, "../secret").unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(fs::read(dir.path().join("secret.pdf")).unwrap(), b"x");
    }

    #[test]
    fn a_file_staged_on_another_filesystem_is_copied_whole() {
        let dir = tempfile::tempdir().unwrap();
        let files = PdfFiles::beside(&dir.path().join("fnt.sqlite3")).unwrap();
        // tmpfs, not the disk the temporary directory is on: no hard link across them.
        let elsewhere = tempfile::tempdir_in("/dev/shm").unwrap();
        let staged = staged(elsewhere.path(), b"%PDF-1.4 ailleurs");
        assert!(fs::hard_link(&staged, files.dir().join("probe")).is_err());

        files
            .put(&staged, "0b9e4d2a-7c61-4f0e-8d3b-5a1f2e6c9d84")
            .unwrap();
        let kept = files.get("0b9e4d2a-7c61-4f0e-8d3b-5a1f2e6c9d84").unwrap();
        assert_eq!(fs::read(kept).unwrap(), b"%PDF-1.4 ailleurs");
        assert_eq!(files.list().unwrap().len(), 1, "no part left behind");
    }

    #[test]
    fn an_interrupted_copy_is_deleted_and_other_files_are_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        let files = PdfFiles::beside(&dir.path().join("fnt.sqlite3")).unwrap();
        fs::write(files.dir().join(".abc.pdf.part"), b"half").unwrap();
        fs::write(files.dir().join("notes.txt"), b"x").unwrap();
        assert!(files.list().unwrap().is_empty());
        assert!(!files.dir().join(".abc.pdf.part").exists());
        assert!(files.dir().join("notes.txt").exists());
    }
}
