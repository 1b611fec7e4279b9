//! The web UI end to end, in a real headless Chromium driven over WebDriver (chromedriver):
//! sign in, upload a generated PDF, follow the progress to 100 %, edit a sentence, export a CSV,
//! cancel a running job, and fail to open someone else's job. Screenshots of the main screens
//! land in `target/screenshots/`.
//!
//! Without Chromium and chromedriver these tests say so and pass, unless
//! `FNT_REQUIRE_BROWSER=1` (set by `.ci/run`) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use fnt::auth::AuthMode;
use fnt::engine::Engines;

use crate::helpers::{Act, ScriptedEngine, TestApp, novel_pdf, spawn_app, spawn_app_with};

/// How long any one thing may take to show up in the page.
const WAIT: Duration = Duration::from_secs(30);

fn chromium_path() -> PathBuf {
    std::env::var_os("FNT_CHROMIUM").map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from)
}

fn chromedriver_path() -> PathBuf {
    std::env::var_os("FNT_CHROMEDRIVER")
        .map_or_else(|| "/usr/bin/chromedriver".into(), PathBuf::from)
}

/// Whether the browser tests can run here; panics when they must and cannot.
fn browser_available() -> bool {
    let missing: Vec<String> = [chromium_path(), chromedriver_path()]
        .into_iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let missing = format!(
        "{} not found (apt-get install chromium chromium-driver)",
        missing.join(" and ")
    );
    assert!(
        std::env::var("FNT_REQUIRE_BROWSER").as_deref() != Ok("1"),
        "FNT_REQUIRE_BROWSER=1 but the browser tests cannot run: {missing}"
    );
    eprintln!("browser tests skipped: {missing}");
    false
}

fn screenshot_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`, wherever CARGO_TARGET_DIR points.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// A chromedriver process and one headless Chromium session; both end on drop.
struct Browser {
    client: Client,
    driver: Child,
    downloads: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Killing chromedriver takes its Chromium with it; the session need not be closed.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

impl Browser {
    async fn start() -> Self {
        let port = free_port();
        let driver = Command::new(chromedriver_path())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let downloads = tempfile::tempdir().expect("download dir");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium_path(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,900", "--lang=en-US",
                ],
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                },
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        // chromedriver takes a moment to listen: retry the session until it does.
        let client = loop {
            match ClientBuilder::new(connector.clone())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) => {
                    assert!(
                        started.elapsed() < Duration::from_secs(20),
                        "no WebDriver session: {e}"
                    );
                    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        Self {
            client,
            driver,
            downloads,
        }
    }

    async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.wait_displayed(css).await
    }

    /// Waits until an element matching `css` exists and is displayed.
    async fn wait_displayed(&self, css: &str) -> fantoccini::elements::Element {
        let start = Instant::now();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && element.is_displayed().await.unwrap_or(false)
            {
                return element;
            }
            assert!(start.elapsed() < WAIT, "{css} never showed up");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the text of `css` satisfies `done`; returns it.
    async fn wait_text(&self, css: &str, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        let mut last = String::new();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                if done(&text) {
                    return text;
                }
                last = text;
            }
            assert!(
                start.elapsed() < WAIT,
                "{css} never became {what}; last text: {last:?}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    async fn url(&self) -> String {
        self.client.current_url().await.expect("url").to_string()
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("save screenshot");
    }

    /// The one finished download whose name ends with `suffix`.
    async fn downloaded(&self, suffix: &str) -> (String, Vec<u8>) {
        let start = Instant::now();
        loop {
            let found = std::fs::read_dir(self.downloads.path())
                .expect("download dir")
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with(suffix));
            if let Some(path) = found {
                let name = path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned();
                return (name, std::fs::read(&path).expect("read download"));
            }
            assert!(start.elapsed() < WAIT, "no {suffix} file was downloaded");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The job id in a `…/#job/<id>` address.
fn job_id_of(url: &str) -> Option<String> {
    url.split_once("#job/").map(|(_, id)| id.to_owned())
}

async fn register(app: &TestApp, email: &str, password: &str) -> String {
    app.act_as(None);
    let (status, body) = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["access_token"].as_str().expect("token").to_owned()
}

#[actix_web::test]
async fn the_ui_and_its_assets_are_served_with_a_strict_policy_and_api_404s_stay_json() {
    let app = spawn_app().await;
    let (status, headers, body) = app.download("/").await;
    assert_eq!(status, StatusCode::OK);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(header("content-type").starts_with("text/html"));
    let csp = header("content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("connect-src 'self' ws: wss:"), "{csp}");
    assert_eq!(header("cache-control"), "no-cache");
    let html = String::from_utf8(body).expect("utf-8");
    assert!(html.contains(r#"<script type="module" src="/assets/app.js">"#));
    // No inline script anywhere: the policy would block it.
    assert_eq!(html.matches("<script").count(), 1);

    for name in fnt::web::asset_names() {
        let (status, headers, body) = app.download(&format!("/assets/{name}")).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let kind = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let expected = match name.rsplit('.').next() {
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            Some("svg") => "image/svg+xml",
            other => panic!("unexpected asset kind {other:?}"),
        };
        assert!(kind.starts_with(expected), "{name}: {kind}");
        assert!(!body.is_empty(), "{name}");
        assert!(headers.contains_key("content-security-policy"), "{name}");
    }

    for path in [
        "/assets/nope.js",
        "/assets/../Cargo.toml",
        "/index.html",
        "/api/v1/nope",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"]["code"], "not_found", "{path}: {body}");
    }
}

#[actix_web::test]
async fn sign_in_upload_follow_progress_edit_export_and_not_see_other_users_jobs() {
    if !browser_available() {
        return;
    }
    let started = Instant::now();
    let app = spawn_app_with(|c| c.auth = Some(AuthMode::Accounts), Engines::builtin()).await;
    let password = "correct horse battery";
    let token = register(&app, "reader@example.com", password).await;
    let browser = Browser::start().await;

    // Sign in through the form.
    browser.goto(&format!("{}/", app.base)).await;
    browser
        .find("#signin-email")
        .await
        .send_keys("reader@example.com")
        .await
        .expect("type email");
    browser
        .find("#signin-password")
        .await
        .send_keys(password)
        .await
        .expect("type password");
    browser.screenshot("sign-in").await;
    browser.click("#signin-submit").await;
    browser
        .wait_text("#who", "the signed-in email", |t| t == "reader@example.com")
        .await;
    browser.find("#upload-title").await;

    // Dropping files on the drop zone: a text file is refused, a PDF is taken.
    let drop = r##"
        const [name, type, text] = arguments;
        const data = new DataTransfer();
        data.items.add(new File([text], name, { type }));
        document.querySelector("#drop-zone")
            .dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    "##;
    browser
        .client
        .execute(
            drop,
            vec![json!("notes.txt"), json!("text/plain"), json!("hello")],
        )
        .await
        .expect("drop a text file");
    browser
        .wait_text("#file-name", "refused", |t| t == "notes.txt is not a PDF.")
        .await;
    assert!(
        !browser
            .find("#upload-button")
            .await
            .is_enabled()
            .await
            .expect("enabled")
    );
    browser
        .client
        .execute(
            drop,
            vec![
                json!("dropped.pdf"),
                json!("application/pdf"),
                json!("%PDF-1.4"),
            ],
        )
        .await
        .expect("drop a pdf");
    browser
        .wait_text("#file-name", "taken", |t| t.starts_with("dropped.pdf"))
        .await;
    assert!(
        browser
            .find("#upload-button")
            .await
            .is_enabled()
            .await
            .expect("enabled")
    );

    // Choose a generated PDF through the file input, ask for the estimate, upload.
    let pdf_dir = tempfile::tempdir().expect("temp dir");
    let pdf_path = pdf_dir.path().join("Le Roman.pdf");
    std::fs::write(&pdf_path, novel_pdf(12)).expect("write pdf");
    browser
        .client
        .find(Locator::Css("#file-input"))
        .await
        .expect("file input")
        .send_keys(&pdf_path.to_string_lossy())
        .await
        .expect("choose file");
    browser
        .wait_text("#file-name", "the chosen file", |t| {
            t.starts_with("Le Roman.pdf")
        })
        .await;
    browser.click("#estimate-button").await;
    browser
        .wait_text("#estimate", "an estimate", |t| t.contains("Chunks"))
        .await;
    browser.screenshot("upload").await;
    browser.click("#upload-button").await;

    // The progress screen follows the job to 100 %.
    let start = Instant::now();
    let job_id = loop {
        if let Some(id) = job_id_of(&browser.url().await) {
            break id;
        }
        assert!(start.elapsed() < WAIT, "the upload never led to the job");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    browser
        .wait_text("#job-percent", "100 %", |t| t == "100 %")
        .await;
    browser
        .wait_text("#job-status", "completed", |t| t == "completed")
        .await;
    let progress = browser.find("#job-progress").await;
    assert_eq!(
        progress.attr("value").await.expect("value").as_deref(),
        Some("100")
    );
    assert_eq!(
        progress
            .attr("aria-valuetext")
            .await
            .expect("attr")
            .as_deref(),
        Some("100 percent")
    );
    let done_cells = browser
        .client
        .find_all(Locator::Css("#chunk-grid li.done"))
        .await
        .expect("grid");
    app.act_as(Some(&token));
    let job = app.job(&job_id).await;
    assert_eq!(job["status"], "completed");
    assert_eq!(
        done_cells.len(),
        usize::try_from(job["total_chunks"].as_i64().expect("chunks")).expect("count"),
        "every chunk shows as done"
    );
    browser.screenshot("progress-done").await;

    // Results: edit sentence 1 inline, and the API has the new text.
    browser.click("#open-results").await;
    browser.find("#sentences tbody tr").await;
    let entry_id = browser
        .url()
        .await
        .split_once("#history/")
        .map(|(_, id)| id.to_owned())
        .expect("entry address");
    browser
        .click(r#"#sentences tr[data-position="1"] button"#)
        .await;
    let editor = browser
        .find(r#"#sentences tr[data-position="1"] textarea"#)
        .await;
    editor.clear().await.expect("clear");
    editor
        .send_keys("Le train arrive enfin.")
        .await
        .expect("type");
    browser.screenshot("edit").await;
    editor
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .expect("enter");
    browser
        .wait_text("#notice", "saved", |t| t.contains("Sentence 1 saved"))
        .await;
    browser
        .wait_text(
            r#"#sentences tr[data-position="1"] td.normalized"#,
            "the new text",
            |t| t == "Le train arrive enfin.",
        )
        .await;
    let detail = app.history_detail(&entry_id).await;
    let first = &detail["sentences"][0];
    assert_eq!(first["normalized"], "Le train arrive enfin.");
    assert_eq!(first["edited"], true);
    let count = detail["sentences"].as_array().expect("sentences").len();
    browser.screenshot("results").await;

    // Export CSV: the file the browser saved has every sentence, the edit included.
    browser.click(r#"[data-export="csv"]"#).await;
    let (name, bytes) = browser.downloaded(".csv").await;
    assert!(name.contains("Roman"), "{name}");
    let text = std::str::from_utf8(&bytes).expect("utf-8");
    let text = text.strip_prefix('\u{feff}').expect("a BOM for Excel");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().expect("header"),
        vec![
            "position",
            "page",
            "normalized",
            "original",
            "edited",
            "chapter",
            "chapter_title"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), count);
    assert_eq!(&rows[0][0], "1");
    assert_eq!(&rows[0][2], "Le train arrive enfin.");
    assert_eq!(&rows[0][4], "true");
    for (row, sentence) in rows
        .iter()
        .zip(detail["sentences"].as_array().expect("sentences"))
    {
        assert_eq!(Some(&row[2]), sentence["normalized"].as_str());
        assert_eq!(Some(&row[3]), sentence["original"].as_str());
    }

    // The filter narrows the table.
    browser
        .find("#entry-filter")
        .await
        .send_keys("arrive enfin")
        .await
        .expect("type filter");
    browser
        .wait_text("#entry-count", "one match", |t| t.starts_with("1 of "))
        .await;

    // History lists the book.
    browser.goto(&format!("{}/#history", app.base)).await;
    browser
        .wait_text("#history-list", "the book", |t| t.contains("Le Roman.pdf"))
        .await;
    browser.screenshot("history").await;
    browser.goto(&format!("{}/#settings", app.base)).await;
    browser.find("#settings-sentence_length_limit").await;
    browser.screenshot("settings").await;

    // The dark theme, by the header's toggle, and the results on a phone-sized screen.
    browser.click("#theme-toggle").await;
    let root = browser
        .client
        .find(Locator::Css("html"))
        .await
        .expect("root");
    assert_eq!(
        root.attr("data-theme").await.expect("attr").as_deref(),
        Some("dark")
    );
    assert_eq!(
        browser
            .find("#theme-toggle")
            .await
            .attr("aria-pressed")
            .await
            .expect("attr")
            .as_deref(),
        Some("true")
    );
    browser.screenshot("settings-dark").await;
    browser
        .client
        .set_window_size(390, 844)
        .await
        .expect("resize");
    browser
        .goto(&format!("{}/#history/{entry_id}", app.base))
        .await;
    browser.find("#sentences tbody tr").await;
    browser.screenshot("results-phone-dark").await;
    browser.click("#theme-toggle").await;
    assert_eq!(
        root.attr("data-theme").await.expect("attr").as_deref(),
        Some("light")
    );
    browser
        .client
        .set_window_size(1280, 900)
        .await
        .expect("resize");

    // Someone else's job is "not found", exactly like a job that does not exist.
    let other = register(&app, "other@example.com", password).await;
    app.act_as(Some(&other));
    let foreign = app.submit(&novel_pdf(3), &[]).await;
    browser.goto(&format!("{}/#job/{foreign}", app.base)).await;
    browser
        .wait_text("#job-missing-text", "not found", |t| {
            t.contains("not found")
        })
        .await;
    assert!(
        !browser
            .find("#job-title")
            .await
            .text()
            .await
            .expect("title")
            .contains(".pdf")
    );
    let body = browser
        .client
        .find(Locator::Css("#job-body"))
        .await
        .expect("job body");
    assert!(!body.is_displayed().await.expect("displayed"));
    browser.screenshot("job-not-found").await;
    eprintln!("browser flow took {:?}", started.elapsed());
}

#[actix_web::test]
async fn a_running_job_is_cancelled_from_the_ui_after_confirmation() {
    if !browser_available() {
        return;
    }
    let started = Instant::now();
    // Chunks hang until cancelled, so the job is surely running when the button is pressed.
    let engine = ScriptedEngine::new().always(Act::Hang);
    let app = spawn_app_with(|c| c.chunk_timeout_secs = 300, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;
    let browser = Browser::start().await;

    // Without accounts there is no sign-in: the job opens straight away.
    browser.goto(&format!("{}/#job/{id}", app.base)).await;
    browser
        .wait_text("#job-status", "running", |t| t == "running")
        .await;
    browser
        .wait_text("#chunk-grid", "running chunks", |t| !t.is_empty())
        .await;
    browser.screenshot("progress-running").await;

    // Keep it first: the job goes on.
    browser.click("#cancel-job").await;
    browser.find("#confirm-dialog").await;
    browser.screenshot("cancel-confirm").await;
    browser.click("#confirm-no").await;
    let dialog = browser
        .client
        .find(Locator::Css("#confirm-dialog"))
        .await
        .expect("dialog");
    let start = Instant::now();
    while dialog.is_displayed().await.expect("displayed") {
        assert!(start.elapsed() < WAIT, "the dialog stayed open");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.job(&id).await["status"], "running");

    // Then confirm.
    browser.click("#cancel-job").await;
    browser.click("#confirm-yes").await;
    browser
        .wait_text("#job-status", "cancelled", |t| t == "cancelled")
        .await;
    let cancel = browser
        .client
        .find(Locator::Css("#cancel-job"))
        .await
        .expect("cancel button");
    assert!(!cancel.is_displayed().await.expect("displayed"));
    let job: Value = app.job(&id).await;
    assert_eq!(job["status"], "cancelled");
    browser.screenshot("cancelled").await;
    eprintln!("browser cancel took {:?}", started.elapsed());
}

#[actix_web::test]
async fn failed_chunks_are_retried_then_the_book_is_reprocessed_and_deleted_from_the_ui() {
    if !browser_available() {
        return;
    }
    // The second chunk fails all three attempts of the first run, then works.
    let engine = ScriptedEngine::new();
    for attempt in 1..=3 {
        // A panic is retried a set number of times (an outage would be retried for the
        // whole retry budget).
        engine.on(1, attempt, Act::Panic);
    }
    let app = spawn_app_with(|c| c.chunk_attempts = 3, engine.engines()).await;
    let id = app.submit(&novel_pdf(8), &[]).await;
    assert_eq!(app.wait_until_finished(&id).await["status"], "partial");
    let browser = Browser::start().await;

    browser.goto(&format!("{}/#job/{id}", app.base)).await;
    browser
        .wait_text("#job-status", "partial", |t| t == "partial")
        .await;
    browser.find("#chunk-grid li.failed").await;
    browser.screenshot("progress-partial").await;
    browser.click("#retry-job").await;
    browser
        .wait_text("#job-status", "completed", |t| t == "completed")
        .await;
    browser
        .wait_text("#job-percent", "100 %", |t| t == "100 %")
        .await;
    assert!(
        browser
            .client
            .find_all(Locator::Css("#chunk-grid li.failed"))
            .await
            .expect("grid")
            .is_empty()
    );
    assert_eq!(app.job(&id).await["status"], "completed");

    // Re-process with a shorter limit: a new job, followed on its own progress screen.
    browser.click("#open-results").await;
    let entry_url = browser.url().await;
    browser.click("#reprocess-entry").await;
    let limit = browser.find("#reprocess-sentence_length_limit").await;
    limit.clear().await.expect("clear");
    limit.send_keys("5").await.expect("type");
    browser.click("#form-dialog-ok").await;
    let start = Instant::now();
    let second = loop {
        if let Some(job) = job_id_of(&browser.url().await) {
            break job;
        }
        assert!(start.elapsed() < WAIT, "re-process never led to a job");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert_ne!(second, id);
    browser
        .wait_text("#job-status", "completed", |t| t == "completed")
        .await;
    assert_eq!(
        app.job(&second).await["settings"]["sentence_length_limit"],
        5
    );

    // Delete the first entry after confirming; the history then lists only the second.
    browser.goto(&entry_url).await;
    browser.click("#delete-entry").await;
    browser.click("#confirm-yes").await;
    browser
        .wait_text("#history-count", "one entry", |t| t.starts_with("1 entry"))
        .await;
    let entry_id = entry_url
        .split_once("#history/")
        .map(|(_, e)| e.to_owned())
        .expect("entry id");
    let (status, _) = app.get(&format!("/api/v1/history/{entry_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
