//! What the fakes' binaries share: logs filtered by `FNT_LOG` (or `RUST_LOG`), a server run
//! until it stops, and a one-line error naming the address when it cannot run.

use std::fmt::Display;
use std::future::Future;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

/// Runs `server` on a system of its own; `name` and `bind` make the error say what failed.
pub fn until_stopped(
    name: &str,
    bind: impl Display,
    server: impl Future<Output = std::io::Result<()>>,
) -> ExitCode {
    let filter = EnvFilter::try_from_env("FNT_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    match actix_rt::System::new().block_on(server) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot run {name} on {bind} (set --bind): {error}");
            ExitCode::FAILURE
        }
    }
}
