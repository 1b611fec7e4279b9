//! `fnt process book.pdf -o book.csv`: the same pipeline, in-process, from the command line;
//! and what the command line says on a first run: where to point the browser, and one line
//! naming the path or the address when something is wrong.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;

use crate::helpers::{novel_pdf, spawn_app};

/// Runs `fnt process ARGS -o CSV PDF` and checks that it succeeded.
fn process(args: &[&str], pdf: &std::path::Path, csv: &std::path::Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_fnt"))
        .arg("process")
        .args(args)
        .arg("-o")
        .arg(csv)
        .arg(pdf)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[actix_web::test]
async fn process_writes_the_same_sentences_as_the_service_to_csv() {
    let dir = tempfile::tempdir().unwrap();
    let pdf_path = dir.path().join("roman.pdf");
    let csv_path = dir.path().join("roman.csv");
    let pdf = novel_pdf(8);
    std::fs::write(&pdf_path, &pdf).unwrap();

    process(&["--quiet"], &pdf_path, &csv_path);

    let written = std::fs::read(&csv_path).unwrap();

    // Byte for byte the web export of the same book.
    let app = spawn_app().await;
    let (job, entry) = app.finished_entry(&pdf, &[]).await;
    let (status, _, downloaded) = app
        .download(&format!("/api/v1/history/{entry}/export?format=csv"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        String::from_utf8(written).unwrap(),
        String::from_utf8(downloaded).unwrap()
    );

    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(&csv_path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let expected = app.sentences(&job).await;
    assert_eq!(rows.len(), expected.len());
    for (i, (row, (normalized, original, page))) in rows.iter().zip(&expected).enumerate() {
        assert_eq!(row[0], (i + 1).to_string());
        assert_eq!(row[1], page.to_string());
        assert_eq!(&row[2], fnt::export::neutralize(normalized).as_ref());
        assert_eq!(&row[3], fnt::export::neutralize(original).as_ref());
    }
}

/// A real book's chapters reach the CSV: each sentence says the heading it stands under.
#[test]
fn process_writes_each_sentences_chapter() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("gouraud.csv");
    let pdf = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/producers/pdftex.pdf");
    process(&["--quiet", "--engine", "local"], &pdf, &csv_path);
    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(&csv_path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let chapters: Vec<&str> = rows.iter().map(|r| &r[6]).collect();
    // Book order: every sentence of chapter I, then every sentence of chapter II; the title
    // page and the table of contents give none.
    let first_two = chapters.iter().position(|c| *c == "Chapitre II").unwrap();
    assert!(first_two > 10, "{first_two}");
    assert!(chapters[..first_two].iter().all(|c| *c == "Chapitre I"));
    assert!(chapters[first_two..].iter().all(|c| *c == "Chapitre II"));
    let first = &rows[0];
    assert!(
        first[3].starts_with("L'année scolaire est finie."),
        "{first:?}"
    );
    assert_eq!(&first[1], "3");
    assert_eq!(&first[5], "1");
    // The same file as the web export: its header, its byte-order mark.
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(bytes.starts_with(
        "\u{feff}position,page,normalized,original,edited,chapter,chapter_title\r\n".as_bytes()
    ));
}

#[test]
fn process_reports_an_unreadable_pdf_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("notes.pdf");
    std::fs::write(&bogus, "pas un pdf").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_fnt"))
        .args(["process", "--quiet"])
        .arg(&bogus)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a PDF"), "{stderr}");
    let line = one_line(&output);
    assert!(line.contains(&bogus.display().to_string()), "{line}");
}

/// `fnt ARGS` as a user runs it, with backtraces asked for: a user's mistake must still be
/// one line, not a debug dump.
fn fnt(args: &[&std::ffi::OsStr]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fnt"));
    command
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "1")
        .env_remove("FNT_LOG")
        .env_remove("RUST_LOG")
        .env_remove("FNT_LOG_FORMAT")
        .env_remove("FNT_BIND")
        .env_remove("FNT_METRICS_BIND")
        .env_remove("FNT_DATABASE_URL")
        .env_remove("GEMINI_API_KEY")
        .stdin(Stdio::null());
    command
}

/// The one line a failed command wrote to stderr; fails unless it failed, with exactly one
/// line that starts with `error: `.
fn one_line(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it succeeded: {stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "not one line:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("Stack backtrace"), "{stderr}");
    lines[0].to_owned()
}

/// A child process killed however the test ends.
struct Running(Child);

impl Running {
    fn spawn(mut command: Command) -> Self {
        Self(
            command
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("fnt starts"),
        )
    }

    /// Waits for the process to exit, for at most `limit`, and returns what it wrote.
    fn output_within(mut self, limit: Duration) -> Output {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.0.try_wait().expect("wait") {
                break status;
            }
            assert!(start.elapsed() < limit, "still running after {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        if let Some(mut out) = self.0.stdout.take() {
            out.read_to_end(&mut stdout).expect("stdout");
        }
        if let Some(mut err) = self.0.stderr.take() {
            err.read_to_end(&mut stderr).expect("stderr");
        }
        Output {
            status,
            stdout,
            stderr,
        }
    }

    /// The first stdout line that contains `needle`, waiting at most `limit` for it.
    fn line_with(&mut self, needle: &str, limit: Duration) -> String {
        let stdout = self.0.stdout.take().expect("stdout is piped");
        let (lines, seen) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if lines.send(line).is_err() {
                    return;
                }
            }
        });
        let deadline = Instant::now() + limit;
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match seen.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => before.push(line),
                Err(_) => {
                    let mut stderr = String::new();
                    if let Some(mut err) = self.0.stderr.take() {
                        let _ = self.0.kill();
                        let _ = err.read_to_string(&mut stderr);
                    }
                    panic!("no line with {needle:?}: {before:#?}\nstderr: {stderr}");
                }
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `fnt serve` on `bind` with a data directory of its own and the embedded defaults.
fn serve(bind: &str, data: &std::path::Path) -> Command {
    let mut command = fnt(&["serve".as_ref()]);
    command.env("FNT_BIND", bind).env("FNT_DATA_DIR", data);
    command
}

/// `GET /healthz` on `addr`: the status line.
fn healthz(addr: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("the server accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .expect("request");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

/// The port in `http://127.0.0.1:PORT/` within `line`.
fn loopback_port(line: &str) -> u16 {
    let rest = line
        .split("http://127.0.0.1:")
        .nth(1)
        .unwrap_or_else(|| panic!("no loopback URL in {line:?}"));
    let port = rest.split('/').next().unwrap_or_default();
    assert!(
        rest.starts_with(&format!("{port}/")),
        "no trailing slash: {line:?}"
    );
    port.parse()
        .unwrap_or_else(|_| panic!("no port in {line:?}"))
}

#[test]
fn process_names_a_directory_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book");
    std::fs::create_dir(&book).unwrap();
    let output = fnt(&["process".as_ref(), "--quiet".as_ref(), book.as_os_str()])
        .output()
        .unwrap();
    let line = one_line(&output);
    assert_eq!(
        line,
        format!("error: {} is a directory, not a PDF file", book.display())
    );
}

/// A setting out of range is refused in one line with the words a form would get, before a
/// scratch database is made or the book copied.
#[test]
fn process_refuses_a_setting_out_of_range_as_a_form_would() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("roman.pdf");
    std::fs::write(&pdf, novel_pdf(3)).unwrap();
    let csv = dir.path().join("roman.csv");
    let output = fnt(&[
        "process".as_ref(),
        "--sentence-length-limit".as_ref(),
        "2".as_ref(),
        "-o".as_ref(),
        csv.as_os_str(),
        pdf.as_os_str(),
    ])
    .output()
    .unwrap();
    assert_eq!(
        one_line(&output),
        format!(
            "error: {}: sentence_length_limit: must be between 3 and 50",
            pdf.display()
        )
    );
    assert!(!csv.exists());
}

#[test]
fn process_names_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pdf");
    let output = fnt(&["process".as_ref(), missing.as_os_str()])
        .output()
        .unwrap();
    let line = one_line(&output);
    assert_eq!(
        line,
        format!("error: cannot read {}: no such file", missing.display())
    );
    // `fnt text` reads its PDF the same way.
    let output = fnt(&["text".as_ref(), missing.as_os_str()])
        .output()
        .unwrap();
    assert_eq!(one_line(&output), line);
}

#[test]
fn process_names_an_output_it_cannot_write_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/producers/pdftex.pdf");
    let csv = dir.path().join("nowhere").join("book.csv");
    let output = fnt(&[
        "process".as_ref(),
        "-o".as_ref(),
        csv.as_os_str(),
        pdf.as_os_str(),
    ])
    .output()
    .unwrap();
    let line = one_line(&output);
    assert_eq!(
        line,
        format!(
            "error: cannot write {}: the directory {} does not exist",
            csv.display(),
            dir.path().join("nowhere").display()
        )
    );
}

/// The first run: `fnt serve` says which address to open, with the port it really bound.
#[test]
fn serve_says_which_url_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Running::spawn(serve("127.0.0.1:0", &dir.path().join("data")));
    let line = server.line_with("fnt is listening", Duration::from_secs(60));
    let port = loopback_port(&line);
    assert_ne!(port, 0, "{line}");
    assert_eq!(
        line,
        format!("fnt is listening: open http://127.0.0.1:{port}/ in a browser")
    );
    // The address printed is the one that answers.
    assert!(
        healthz(&format!("127.0.0.1:{port}")).contains("200"),
        "{line}"
    );
}

/// Bound to every interface, it names the bind address and a loopback URL a browser opens.
#[test]
fn serve_on_every_interface_gives_a_loopback_url() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Running::spawn(serve("0.0.0.0:0", &dir.path().join("data")));
    let line = server.line_with("fnt is listening", Duration::from_secs(60));
    let port = loopback_port(&line);
    assert_eq!(
        line,
        format!("fnt is listening on 0.0.0.0:{port}: open http://127.0.0.1:{port}/ in a browser")
    );
    assert!(
        healthz(&format!("127.0.0.1:{port}")).contains("200"),
        "{line}"
    );
}

#[test]
fn serve_names_an_address_already_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let output = Running::spawn(serve(&addr.to_string(), &dir.path().join("data")))
        .output_within(Duration::from_secs(30));
    assert_eq!(
        one_line(&output),
        format!(
            "error: cannot listen on {addr}: address already in use \
             (is another fnt running? set FNT_BIND or --bind)"
        )
    );
    // It stopped before opening anything.
    assert!(!dir.path().join("data").exists());

    // The same for the metrics listener, which names its own setting.
    let mut command = serve("127.0.0.1:0", &dir.path().join("data"));
    command.env("FNT_METRICS_BIND", addr.to_string());
    let output = Running::spawn(command).output_within(Duration::from_secs(30));
    assert_eq!(
        one_line(&output),
        format!(
            "error: cannot listen on {addr}: address already in use \
             (is another fnt running? set FNT_METRICS_BIND or --metrics-bind)"
        )
    );
}

#[test]
fn serve_names_a_data_directory_it_cannot_create() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let output = Running::spawn(serve("127.0.0.1:0", &file)).output_within(Duration::from_secs(30));
    let line = one_line(&output);
    assert!(
        line.starts_with(&format!(
            "error: cannot create the data directory {}",
            file.join("uploads").display()
        )),
        "{line}"
    );
    assert!(line.contains("FNT_DATA_DIR"), "{line}");
}

#[test]
fn a_database_that_cannot_be_opened_is_named_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    for args in [
        vec![
            "migrate".into(),
            "--data-dir".into(),
            file.clone().into_os_string(),
        ],
        // Nothing listens on port 1: PostgreSQL cannot be reached.
        vec![
            "migrate".into(),
            "--database-url".into(),
            "postgres://nobody@127.0.0.1:1/fnt".into(),
        ],
    ] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsString::as_os_str).collect();
        let output = fnt(&args).output().unwrap();
        let line = one_line(&output);
        assert!(
            line.starts_with("error: cannot open the database "),
            "{line}"
        );
    }
}

#[test]
fn a_limit_of_zero_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for variable in [
        "FNT_UPLOADS_PER_HOUR",
        "FNT_JOBS_PER_USER",
        "FNT_AUTH_REQUESTS_PER_MINUTE",
    ] {
        let mut command = serve("127.0.0.1:0", dir.path());
        command.env(variable, "0");
        let output = Running::spawn(command).output_within(Duration::from_secs(30));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{variable}=0 was taken: {stderr}");
        assert!(stderr.contains("invalid value '0'"), "{variable}: {stderr}");
        assert!(
            stderr.contains("not in 1.."),
            "{variable}: the message says what is allowed: {stderr}"
        );
    }
    assert!(
        !dir.path().join("fnt.sqlite3").exists(),
        "nothing was started"
    );
}
