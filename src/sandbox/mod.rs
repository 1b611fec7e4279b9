//! The expensive part of reading an upload, in a process of its own.
//!
//! Whatever an uploaded PDF makes lopdf and pdf-extract do (inflate a bomb, recurse through a
//! form that draws itself, loop over a page tree that points back at itself) happens in a
//! child process — `fnt` itself, run with the hidden `sandbox` subcommand — under operating
//! system limits: address space, CPU seconds, a wall clock kept by this side, no core dumps,
//! a low priority and an empty temporary directory of its own. A child that dies on a limit
//! has refused the PDF as [`PdfError::TooComplex`]; the server itself never holds more of a
//! hostile file than its bytes.
//!
//! The parent sends one [`Task`] as JSON on the child's standard input with the path of the
//! PDF and the limits, which the child sets on itself before it opens the PDF; the child
//! writes its answer as JSON to a file in its directory (not to its standard output, which a
//! library may print to) and exits.

mod child;
mod limits;
mod protocol;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;

use crate::pdf::PdfError;

pub use child::main as child_main;
pub use limits::Limits;
pub use protocol::{Planned, Task};

/// The hidden subcommand that runs [`child_main`].
pub const SUBCOMMAND: &str = "sandbox";

/// Why a task did not produce its answer.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The PDF is refused: by what the child read, or by the limits it ran into.
    #[error(transparent)]
    Refused(#[from] PdfError),
    /// The child could not be run or did not speak the protocol: the server's problem, not
    /// the PDF's (a missing binary, no processes left), so nothing is decided about the file.
    #[error("the PDF reader could not be run: {0}")]
    Unavailable(String),
}

/// The PDF a task reads.
#[derive(Clone, Copy)]
pub enum Input<'a> {
    /// A file the server has staged.
    File(&'a Path),
    /// Bytes from the database, staged in the child's own directory.
    Bytes(&'a [u8]),
}

/// Runs tasks in child processes, a bounded number at once.
#[derive(Clone)]
pub struct Sandbox {
    program: Arc<PathBuf>,
    limits: Limits,
    /// Children abort on a panic in fnt's own code instead of answering "malformed" (for
    /// the fuzzer, which must see them).
    strict: bool,
    /// Where each child's own directory is made; the system's temporary directory if unset.
    scratch_root: Option<Arc<PathBuf>>,
    /// Each child may use `limits.memory_bytes`; this bounds how many do at once.
    slots: Arc<Semaphore>,
}

impl Sandbox {
    pub fn new(program: PathBuf, limits: Limits, at_once: usize) -> Self {
        Self {
            program: Arc::new(program),
            limits,
            strict: false,
            scratch_root: None,
            slots: Arc::new(Semaphore::new(at_once.max(1))),
        }
    }

    /// The same sandbox, whose children abort on a panic that starts in fnt's own code: a
    /// bug to be found, where the server answers such a file as malformed.
    pub fn strict(self) -> Self {
        Self {
            strict: true,
            ..self
        }
    }

    /// The same sandbox, making each child's directory under `root`.
    pub fn with_scratch_root(self, root: PathBuf) -> Self {
        Self {
            scratch_root: Some(Arc::new(root)),
            ..self
        }
    }

    /// The program that runs children: `FNT_SANDBOX_PROGRAM` when configured, else this
    /// executable (a test or bench binary is not `fnt`, and says which one to use).
    pub fn default_program(configured: Option<&Path>) -> PathBuf {
        configured.map_or_else(
            || std::env::current_exe().unwrap_or_else(|_| PathBuf::from("fnt")),
            Path::to_path_buf,
        )
    }

    /// Runs `task` on `pdf` and decodes its answer as `T`.
    pub async fn run<T: DeserializeOwned>(
        &self,
        task: &Task,
        pdf: Input<'_>,
    ) -> Result<T, SandboxError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| SandboxError::Unavailable(e.to_string()))?;
        let mut scratch = tempfile::Builder::new();
        scratch.prefix("fnt-sandbox-");
        let scratch = match &self.scratch_root {
            Some(root) => scratch.tempdir_in(root.as_path()),
            None => scratch.tempdir(),
        }
        .map_err(unavailable)?;
        let pdf = match pdf {
            // The child works in its own directory: a path relative to ours (the default
            // data directory is `./data`) would name nothing there.
            Input::File(path) => std::path::absolute(path).map_err(unavailable)?,
            Input::Bytes(bytes) => {
                let path = scratch.path().join("input.pdf");
                tokio::fs::write(&path, bytes).await.map_err(unavailable)?;
                path
            }
        };
        let request = protocol::Request {
            pdf,
            task: task.clone(),
            limits: self.limits.for_child(),
        };
        let request = serde_json::to_vec(&request).map_err(unavailable)?;
        let mut command = tokio::process::Command::new(&*self.program);
        command
            .arg(SUBCOMMAND)
            .env_clear()
            .env("TMPDIR", scratch.path())
            .env("RUST_BACKTRACE", "0")
            .current_dir(scratch.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if self.strict {
            command.env(protocol::STRICT_ENV, "1");
        }
        let mut child = command.spawn().map_err(unavailable)?;
        let (Some(mut stdin), Some(stderr)) = (child.stdin.take(), child.stderr.take()) else {
            return Err(SandboxError::Unavailable("the child has no pipes".into()));
        };
        let talk = async {
            // A child that dies before reading its task closes the pipe; its exit says why.
            let _ = stdin.write_all(&request).await;
            drop(stdin);
            let errors = last_words(stderr).await;
            let status = child.wait().await.map_err(unavailable)?;
            Ok::<_, SandboxError>((status, errors))
        };
        let (status, errors) = match tokio::time::timeout(self.limits.wall, talk).await {
            Ok(finished) => finished?,
            // `kill_on_drop`: the child goes with `child` when this returns.
            Err(_) => {
                return Err(PdfError::TooComplex {
                    detail: format!("reading took more than {:?}", self.limits.wall),
                }
                .into());
            }
        };
        let answer = match tokio::fs::read(scratch.path().join(protocol::ANSWER_FILE)).await {
            Ok(answer) => Some(answer),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(unavailable(e)),
        };
        protocol::decode(status, answer.as_deref(), &errors)
    }
}

/// The end of what the child wrote to its standard error (a panic, "memory allocation of …
/// failed"), read to the end so that the child never blocks on a full pipe.
async fn last_words(mut stderr: impl tokio::io::AsyncRead + Unpin) -> String {
    const KEEP: usize = 2048;
    let mut tail = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = stderr.read(&mut buf).await {
        if n == 0 {
            break;
        }
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > 2 * KEEP {
            tail.drain(..tail.len() - KEEP);
        }
    }
    let from = tail.len().saturating_sub(KEEP);
    String::from_utf8_lossy(&tail[from..]).trim().to_owned()
}

fn unavailable(e: impl std::fmt::Display) -> SandboxError {
    SandboxError::Unavailable(e.to_string())
}
