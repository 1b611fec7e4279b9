//! The web UI end to end, in a real headless Chromium driven over WebDriver (chromedriver):
//! sign in, upload a generated PDF, follow the progress to 100 %, edit a sentence, export a CSV,
//! cancel a running job, run it again, delete it, and fail to open someone else's job. The
//! results screen has its own file (`browser_results.rs`), the upload and job screens too
//! (`browser_screens.rs`). Every main screen passes axe-core's accessibility checks (no
//! serious or critical violation). Screenshots of the main screens land in
//! `target/screenshots/`.
//!
//! Without Chromium and chromedriver these tests say so and pass, unless
//! `FNT_REQUIRE_BROWSER=1` (set by `.ci/run`) makes that a failure; the same goes for npm,
//! which installs axe-core (pinned in `tests/browser/package-lock.json`) on first use.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use fnt::auth::AuthMode;
use fnt::engine::Engines;

use crate::helpers::{Act, ScriptedEngine, TestApp, novel_pdf, spawn_app, spawn_app_with};

/// How long any one thing may take to show up in the page.
pub(crate) const WAIT: Duration = Duration::from_secs(30);

fn chromium_path() -> PathBuf {
    std::env::var_os("FNT_CHROMIUM").map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from)
}

fn chromedriver_path() -> PathBuf {
    std::env::var_os("FNT_CHROMEDRIVER")
        .map_or_else(|| "/usr/bin/chromedriver".into(), PathBuf::from)
}

fn browser_required() -> bool {
    std::env::var("FNT_REQUIRE_BROWSER").as_deref() == Ok("1")
}

/// Whether the browser tests can run here; panics when they must and cannot.
pub(crate) fn browser_available() -> bool {
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
        !browser_required(),
        "FNT_REQUIRE_BROWSER=1 but the browser tests cannot run: {missing}"
    );
    eprintln!("browser tests skipped: {missing}");
    false
}

/// `<target>`, wherever CARGO_TARGET_DIR points (CARGO_TARGET_TMPDIR is `<target>/tmp`).
pub(crate) fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_owned()
}

pub(crate) fn screenshot_dir() -> PathBuf {
    let dir = target_dir().join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// axe-core's script, installed by npm from `tests/browser/package-lock.json` on first use;
/// `None` (the checks are skipped, with a message) where npm cannot install it, unless
/// `FNT_REQUIRE_BROWSER=1` makes that a failure.
fn axe_source() -> Option<&'static str> {
    static AXE: OnceLock<Option<String>> = OnceLock::new();
    AXE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
        let script = dir.join("node_modules/axe-core/axe.min.js");
        if !script.exists() {
            let outcome = Command::new("npm")
                .arg("ci")
                .arg("--prefix")
                .arg(&dir)
                .args(["--no-audit", "--no-fund"])
                .stdout(Stdio::null())
                .status();
            let failure = match outcome {
                Ok(status) if status.success() => None,
                Ok(status) => Some(format!(
                    "`npm ci --prefix {}` failed: {status}",
                    dir.display()
                )),
                Err(e) => Some(format!("npm cannot run ({e}); apt-get install npm")),
            };
            if let Some(failure) = failure {
                assert!(
                    !browser_required(),
                    "FNT_REQUIRE_BROWSER=1 but axe-core cannot be installed: {failure}"
                );
                eprintln!("accessibility checks skipped: {failure}");
                return None;
            }
        }
        Some(std::fs::read_to_string(&script).expect("axe-core's script"))
    })
    .as_deref()
}

/// A chromedriver process and one headless Chromium session; both end on drop.
pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
    downloads: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver killed alone leaves its Chromium running, orphaned (120 processes after
        // one run of the suite): the whole process group goes, Chromium's included.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
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

/// The window sizes the tests look at the UI in.
pub(crate) const DESKTOP: (u32, u32) = (1280, 900);
pub(crate) const PHONE: (u32, u32) = (390, 844);

impl Browser {
    pub(crate) async fn start() -> Self {
        let port = free_port();
        let driver = Command::new(chromedriver_path())
            .arg(format!("--port={port}"))
            // Its own group, for `drop` to end it with everything it started.
            .process_group(0)
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

    pub(crate) async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    pub(crate) async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.wait_displayed(css).await
    }

    /// Waits until an element matching `css` exists and is displayed.
    pub(crate) async fn wait_displayed(&self, css: &str) -> fantoccini::elements::Element {
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

    /// Whether an element matching `css` is on screen now.
    pub(crate) async fn displayed(&self, css: &str) -> bool {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        }
    }

    /// Waits until the text of `css` satisfies `done`; returns it.
    pub(crate) async fn wait_text(
        &self,
        css: &str,
        what: &str,
        done: impl Fn(&str) -> bool,
    ) -> String {
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

    /// The text of `css` now ("" when it is not there).
    pub(crate) async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub(crate) async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Types `text` into the displayed field `css`, key by key.
    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        self.find(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Empties a field the way a person would, with an `input` event the page hears.
    pub(crate) async fn clear_field(&self, css: &str) {
        self.run(
            "const field = document.querySelector(arguments[0]);
             field.value = '';
             field.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![json!(css)],
        )
        .await;
    }

    pub(crate) async fn url(&self) -> String {
        self.client.current_url().await.expect("url").to_string()
    }

    /// Waits until the address satisfies `done`; returns it.
    pub(crate) async fn wait_url(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let url = self.url().await;
            if done(&url) {
                return url;
            }
            assert!(
                start.elapsed() < WAIT,
                "the address never became {what}: {url}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns what it returns.
    pub(crate) async fn run(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs `script`, whose last argument is the callback that ends it with a value.
    pub(crate) async fn run_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// What `script` returns as an array of strings (a missing one reads as "").
    async fn strings(&self, script: &str, args: Vec<Value>) -> Vec<String> {
        self.run(script, args)
            .await
            .as_array()
            .expect("an array")
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The attribute `attr` of every element matching `css`, in document order.
    pub(crate) async fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        self.strings(
            "return [...document.querySelectorAll(arguments[0])]
                .map((e) => e.getAttribute(arguments[1]));",
            vec![json!(css), json!(attr)],
        )
        .await
    }

    /// The text of every element matching `css`, in document order.
    pub(crate) async fn texts(&self, css: &str) -> Vec<String> {
        self.strings(
            "return [...document.querySelectorAll(arguments[0])].map((e) => e.innerText);",
            vec![json!(css)],
        )
        .await
    }

    /// The id of the focused element.
    pub(crate) async fn focused_id(&self) -> String {
        self.run(
            "return document.activeElement && document.activeElement.id;",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    pub(crate) async fn resize(&self, (width, height): (u32, u32)) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize");
    }

    pub(crate) async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("save screenshot");
    }

    /// Forgets earlier downloads, so that the next one is the only file there.
    pub(crate) fn clear_downloads(&self) {
        for entry in std::fs::read_dir(self.downloads.path())
            .expect("download dir")
            .filter_map(Result::ok)
        {
            std::fs::remove_file(entry.path()).expect("remove download");
        }
    }

    /// The one finished download whose name ends with `suffix`.
    pub(crate) async fn downloaded(&self, suffix: &str) -> (String, Vec<u8>) {
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

    /// Runs axe-core on the page as it is and fails on any serious or critical violation,
    /// listing them. `view` names the screen in the message.
    pub(crate) async fn axe(&self, view: &str) {
        let Some(source) = axe_source() else {
            return;
        };
        // WebDriver's script runs outside the page's content security policy, so axe goes
        // in that way (a <script> element would be blocked). Once per document.
        let loaded = self
            .run("return typeof window.axe === 'object';", vec![])
            .await;
        if loaded != json!(true) {
            self.run(&format!("{source}\n;return typeof window.axe;"), vec![])
                .await;
        }
        let answer = self
            .run_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then((r) => done({ checked: r.passes.length + r.incomplete.length
                       + r.violations.length, violations: r.violations.map((v) => ({
                     id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html,
                       summary: n.failureSummary })) })) }))
                   .catch((e) => done({ error: String(e) }));",
                vec![],
            )
            .await;
        assert!(answer["error"].is_null(), "axe failed on {view}: {answer}");
        let violations = answer["violations"].as_array().expect("violations");
        let serious: Vec<&Value> = violations
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        eprintln!(
            "axe {view}: {} rules apply, {} violated",
            answer["checked"],
            violations.len()
        );
        for v in violations {
            eprintln!(
                "axe {view}: {} ({}) {} on {} element(s)",
                v["id"],
                v["impact"],
                v["help"],
                v["nodes"].as_array().map_or(0, Vec::len)
            );
        }
        assert!(
            serious.is_empty(),
            "accessibility violations on {view}:\n{}",
            serious
                .iter()
                .map(|v| serde_json::to_string_pretty(v).expect("json"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    /// No "null", "undefined" or "NaN" shows as a word anywhere in the page.
    pub(crate) async fn assert_no_junk_text(&self, view: &str) {
        let text = self
            .run("return document.body.innerText;", vec![])
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for junk in ["null", "undefined", "NaN"] {
            assert!(
                !text
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|word| word == junk),
                "{view} shows {junk:?}:\n{text}"
            );
        }
    }

    /// Nothing on the page is wider than the window: no sideways scrolling.
    pub(crate) async fn assert_fits(&self, view: &str) {
        let answer = self
            .run(
                "const width = window.innerWidth;
                 // Boxes past the edge, and boxes whose text spills out of them.
                 const wide = [...document.querySelectorAll('body *')]
                   .filter((e) => e.getBoundingClientRect().right > width + 0.5
                     || (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0
                       && getComputedStyle(e).overflowX === 'visible'))
                   .slice(0, 8)
                   .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${[...e.classList].join('.')}`
                     + ` right=${Math.round(e.getBoundingClientRect().right)}`);
                 return { scroll: document.documentElement.scrollWidth, width, wide };",
                vec![],
            )
            .await;
        let scroll = answer["scroll"].as_i64().expect("scrollWidth");
        let width = answer["width"].as_i64().expect("innerWidth");
        assert!(
            scroll <= width,
            "{view} scrolls sideways: scrollWidth {scroll} > innerWidth {width}; too wide: {}",
            answer["wide"]
        );
    }
}

/// The job id in a `…/#job/<id>` address.
pub(crate) fn job_id_of(url: &str) -> Option<String> {
    url.split_once("#job/").map(|(_, id)| id.to_owned())
}

/// A count as the page writes it in en-US ("9,682").
pub(crate) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Records, from the moment it is called, any moment the job screen shows its status twice
/// ("completed completed"), a step beside a status word, a step once the job is over, or an
/// ETA at 100 % or after the end. Read them with [`job_screen_oddities`].
pub(crate) async fn watch_job_screen(browser: &Browser) {
    browser
        .run(
            "window.fntOddities = [];
             const final = ['completed', 'partial', 'failed', 'cancelled', 'rejected'];
             const statuses = ['queued', 'running', ...final];
             const look = () => {
               const text = (css) => document.querySelector(css).textContent.trim();
               const status = text('#job-status');
               const step = text('#job-step');
               const percent = text('#job-percent');
               const eta = text('#job-eta');
               const seen = `status=${status} step=${step} percent=${percent} eta=${eta}`;
               if (step && statuses.includes(step.toLowerCase())) window.fntOddities.push(seen);
               if (step && final.includes(status)) window.fntOddities.push(seen);
               if (/left/.test(eta) && (percent === '100 %' || final.includes(status)))
                 window.fntOddities.push(seen);
             };
             new MutationObserver(look).observe(document.querySelector('#job-body'),
               { subtree: true, childList: true, characterData: true, attributes: true });",
            vec![],
        )
        .await;
}

pub(crate) async fn job_screen_oddities(browser: &Browser) -> Vec<String> {
    serde_json::from_value(
        browser
            .run("return window.fntOddities || [];", vec![])
            .await,
    )
    .expect("strings")
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
    browser.assert_no_junk_text("upload").await;
    browser.axe("upload").await;
    watch_job_screen(&browser).await;
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
    let oddities = job_screen_oddities(&browser).await;
    assert!(oddities.is_empty(), "the job screen showed {oddities:?}");
    browser.assert_no_junk_text("job").await;
    browser.axe("job").await;

    // Results: edit sentence 1 inline, and the API has the new text.
    browser.click("#open-results").await;
    browser.find("#sentences li.source").await;
    let entry_id = browser
        .url()
        .await
        .split_once("#history/")
        .map(|(_, id)| id.to_owned())
        .expect("entry address");
    browser
        .click(r#"#sentences li[data-position="1"] button.edit"#)
        .await;
    let editor = browser
        .find(r#"#sentences li[data-position="1"] textarea"#)
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
            r#"#sentences li[data-position="1"] .piece-text"#,
            "the new text",
            |t| t == "Le train arrive enfin.",
        )
        .await;
    browser
        .wait_text(r#"#sentences li[data-position="1"] .mark"#, "edited", |t| {
            t == "edited"
        })
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

    // The search, on the server, finds the edited sentence by its new words.
    browser.type_into("#entry-search", "arrive enfin").await;
    browser
        .wait_text("#entry-count", "one match", |t| {
            t.starts_with("1 source sentence matches")
        })
        .await;
    assert_eq!(
        browser.attrs("#sentences li.piece", "data-position").await,
        vec!["1"]
    );

    // History lists the book.
    browser.goto(&format!("{}/#history", app.base)).await;
    browser
        .wait_text("#history-list", "the book", |t| t.contains("Le Roman.pdf"))
        .await;
    browser.screenshot("history").await;
    browser.assert_no_junk_text("history").await;
    browser.axe("history").await;
    browser.goto(&format!("{}/#settings", app.base)).await;
    browser.find("#settings-sentence_length_limit").await;
    browser
        .wait_text("#google-status", "the Google status", |t| t != "…")
        .await;
    browser.screenshot("settings").await;
    browser.assert_no_junk_text("settings").await;
    browser.axe("settings").await;

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
    browser.axe("settings, dark theme").await;
    browser.click("#theme-toggle").await;
    assert_eq!(
        root.attr("data-theme").await.expect("attr").as_deref(),
        Some("light")
    );

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
async fn a_cancelled_job_can_be_run_again_or_deleted_and_leaves_the_recent_jobs() {
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
    watch_job_screen(&browser).await;
    browser
        .wait_text("#chunk-grid", "running chunks", |t| !t.is_empty())
        .await;
    browser.screenshot("progress-running").await;
    assert!(!browser.displayed("#job-actions").await);

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
    assert!(!browser.displayed("#cancel-job").await);
    let job: Value = app.job(&id).await;
    assert_eq!(job["status"], "cancelled");
    assert_eq!(job["processed_chunks"], 0);

    // Not a dead end: it says what happened and offers a way on.
    browser
        .wait_text("#job-eta", "what happened", |t| {
            t == "Cancelled before any chunk finished."
        })
        .await;
    assert_eq!(browser.text("#job-step").await, "");
    for button in ["#rerun-job", "#delete-job", "#job-back"] {
        browser.find(button).await;
    }
    assert_eq!(
        browser
            .find("#job-back")
            .await
            .attr("href")
            .await
            .expect("href")
            .as_deref(),
        Some("#upload")
    );
    browser.screenshot("cancelled").await;
    browser.assert_no_junk_text("cancelled job").await;
    browser.axe("cancelled job").await;
    let oddities = job_screen_oddities(&browser).await;
    assert!(oddities.is_empty(), "the job screen showed {oddities:?}");

    // Run again: a new job with the same book and settings, followed on its own screen.
    browser.click("#rerun-job").await;
    let url = browser
        .wait_url("another job", |u| job_id_of(u).is_some_and(|j| j != id))
        .await;
    let second = job_id_of(&url).expect("job id");
    browser
        .wait_text("#job-status", "running", |t| t == "running")
        .await;
    assert_eq!(app.job(&second).await["file_name"], job["file_name"]);

    // Recent jobs: a finished job has a Delete button, a running one has none.
    browser.goto(&format!("{}/#upload", app.base)).await;
    browser
        .find(&format!(r#"#recent-jobs li[data-job="{id}"] button"#))
        .await;
    browser
        .find(&format!(r#"#recent-jobs li[data-job="{second}"]"#))
        .await;
    assert!(
        browser
            .client
            .find_all(Locator::Css(&format!(
                r#"#recent-jobs li[data-job="{second}"] button"#
            )))
            .await
            .expect("find")
            .is_empty(),
        "a running job cannot be deleted"
    );

    // Delete the cancelled job from its own screen: back to Upload, gone from Recent jobs.
    browser.goto(&format!("{}/#job/{id}", app.base)).await;
    browser.click("#delete-job").await;
    browser.click("#confirm-yes").await;
    browser
        .wait_url("the upload screen", |u| u.ends_with("#upload"))
        .await;
    browser
        .wait_text("#notice", "deleted", |t| t.contains("deleted"))
        .await;
    browser
        .find(&format!(r#"#recent-jobs li[data-job="{second}"]"#))
        .await;
    assert!(
        browser
            .attrs("#recent-jobs li", "data-job")
            .await
            .iter()
            .all(|j| *j != id)
    );
    let (status, _) = app.get(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The second job, cancelled, goes by the small Delete button in Recent jobs.
    let (status, body) = app.post(&format!("/api/v1/jobs/{second}/cancel")).await;
    assert!(status.is_success(), "{status} {body}");
    browser.goto(&format!("{}/#history", app.base)).await;
    browser.goto(&format!("{}/#upload", app.base)).await;
    browser
        .click(&format!(r#"#recent-jobs li[data-job="{second}"] button"#))
        .await;
    browser.click("#confirm-yes").await;
    browser
        .wait_text("#recent-jobs", "no job left", |t| t == "No jobs yet.")
        .await;
    let (status, _) = app.get(&format!("/api/v1/jobs/{second}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
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
    // The dialog starts from this book's own settings, and says so.
    browser
        .wait_text("#reprocess-hint", "where the settings come from", |t| {
            t.contains("book.pdf was processed with") && t.contains("saved settings do not apply")
        })
        .await;
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
