use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use fnt::app::{Application, describe_database};
use fnt::config::{Config, LogFormat, ServeConfig};
use fnt::db::Db;
use fnt::engine::Engines;
use fnt::process::ProcessArgs;

/// french-novel-tool: turns French novels (PDF) into short, complete sentences for learners.
#[derive(Parser)]
#[command(name = "fnt", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (SQLite under ./data and the local engine by default).
    Serve(ServeConfig),
    /// Process one PDF in-process and write its sentences as CSV.
    Process(ProcessArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(Config),
    /// Give an existing account the admin role (system endpoints).
    MakeAdmin {
        /// The account's email.
        email: String,
        #[command(flatten)]
        config: Config,
    },
    /// Ask a running `fnt serve` on this machine whether it is healthy (exit status 0 or 1),
    /// for container health checks: the runtime image has no curl.
    Healthcheck {
        /// The address `fnt serve` listens on; a wildcard address is reached on loopback.
        #[arg(long, env = "FNT_BIND", default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
    },
    /// Reads one PDF for the server, in a child process under its limits (see
    /// `fnt::sandbox`): a task on standard input, the answer in the working directory.
    #[command(name = "sandbox", hide = true)]
    Sandbox,
    /// Print the text the service reads from a PDF, chapter by chapter, one paragraph a line:
    /// what every engine is given.
    Text {
        /// The PDF to read.
        pdf: PathBuf,
        /// Print each page's lines as drawn, with their position and size, instead.
        #[arg(long)]
        lines: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Sandbox) {
        // Nothing else to set up: the child logs nothing and speaks only its protocol.
        return fnt::sandbox::child_main();
    }
    let log_format = match &cli.command {
        Command::Serve(c) => c.core.log_format,
        Command::Migrate(c) => c.log_format,
        _ => LogFormat::Human,
    };
    init_logging(log_format, matches!(cli.command, Command::Process(_)));
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        // One line, the causes after the cause's context, whatever RUST_BACKTRACE says: a
        // mistake in a path or a port is not a crash (a panic still prints its backtrace).
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(config) => actix_web::rt::System::new().block_on(serve(config)),
        Command::Process(args) => actix_web::rt::System::new().block_on(async move {
            let count = fnt::process::run(&args).await?;
            println!("{count} sentences written to {}", args.output.display());
            Ok(())
        }),
        Command::Migrate(config) => actix_web::rt::System::new().block_on(async move {
            open_database(&config).await?;
            println!("database {} is up to date", describe_database(&config));
            Ok(())
        }),
        Command::MakeAdmin { email, config } => actix_web::rt::System::new().block_on(async move {
            let db = open_database(&config).await?;
            let email = email.trim().to_lowercase();
            anyhow::ensure!(
                db.set_role(&email, fnt::auth::Role::Admin.as_str()).await?,
                "no account with the email {email}"
            );
            println!("{email} is an admin");
            Ok(())
        }),
        Command::Healthcheck { bind } => fnt::healthcheck::check(bind)
            .with_context(|| format!("no healthy fnt on {bind} (set FNT_BIND or --bind)")),
        // `main` runs the child before logging is set up, and never gets here with it.
        Command::Sandbox => Ok(()),
        Command::Text { pdf, lines } => {
            fnt::process::check_input(&pdf)?;
            let bytes =
                std::fs::read(&pdf).with_context(|| format!("cannot read {}", pdf.display()))?;
            let text = if lines {
                let pages = fnt::pdf::read_lines(&bytes)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", pdf.display()))?;
                let mut out = String::new();
                for page in pages {
                    let how = if page.fallback {
                        " (read by pdf-extract)"
                    } else {
                        ""
                    };
                    out.push_str(&format!(
                        "--- page {} ({} x {}){how}\n",
                        page.number, page.width, page.height
                    ));
                    for l in page.lines {
                        out.push_str(&format!(
                            "{:6.1} {:6.1}-{:6.1} {:5.1}  {}\n",
                            l.y, l.x0, l.x1, l.size, l.text
                        ));
                    }
                }
                out
            } else {
                let (book, _) = fnt::pdf::read_book(&bytes, Default::default())
                    .map_err(|e| anyhow::anyhow!("{}: {e}", pdf.display()))?;
                book.display()
            };
            // A reader that stops early (`| head`) is not an error.
            match std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            }
        }
    }
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let engines = Engines::from_config(&config.core).map_err(anyhow::Error::msg)?;
    let log_format = config.core.log_format;
    let app = Application::build(config, engines).await?;
    announce(&app, log_format);
    let (core, handle) = (app.core.clone(), app.handle());
    let mut server = actix_web::rt::spawn(app.run_until_stopped());
    let signal = tokio::select! {
        stopped = &mut server => return Ok(stopped??),
        signal = shutdown_signal() => signal?,
    };
    // Drain first, while the API still answers and progress still streams; then stop serving.
    tracing::info!(signal, "shutting down: draining jobs");
    core.drain().await;
    handle.stop(true).await;
    server.await??;
    tracing::info!("stopped");
    Ok(())
}

/// Says where to point a browser: on stdout with human logs, whatever the log level, so that
/// the first run shows it; as a log line (`url`) with JSON logs, which stdout is made of.
fn announce(app: &Application, log_format: LogFormat) {
    let (addr, url) = (app.addr(), app.url());
    let metrics = app
        .metrics_addr()
        .map(|m| format!("{}metrics", fnt::app::browser_url(m)));
    match log_format {
        LogFormat::Human => {
            let on = if addr.ip().is_unspecified() {
                format!(" on {addr}")
            } else {
                String::new()
            };
            let metrics = metrics
                .map(|m| format!("; metrics at {m}"))
                .unwrap_or_default();
            println!("fnt is listening{on}: open {url} in a browser{metrics}");
        }
        LogFormat::Json => match metrics {
            Some(metrics) => tracing::info!(%addr, url, metrics, "fnt is listening"),
            None => tracing::info!(%addr, url, "fnt is listening"),
        },
    }
}

/// Opens (creating or upgrading) the configured database; an error names it.
async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let name = || format!("cannot open the database {}", describe_database(config));
    let url = config.database().with_context(name)?;
    Db::connect(&url, 1).await.with_context(name)
}

async fn shutdown_signal() -> anyhow::Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

fn init_logging(format: LogFormat, quiet: bool) {
    let default = if quiet { "warn" } else { "info" };
    let filter = EnvFilter::try_from_env("FNT_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        // Spans print as `request{request_id=…}:job{job_id=…}:` before each message.
        LogFormat::Human => builder.init(),
        // One object a line; the ids of every enclosing span are in `spans`.
        LogFormat::Json => builder
            .json()
            .with_current_span(false)
            .with_span_list(true)
            .init(),
    }
}
