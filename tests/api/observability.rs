//! `/metrics`, request ids and the Grafana dashboard and alert rules that read the metrics.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use awc::http::{Method, StatusCode};
use fnt::app::Application;
use fnt::config::ServeConfig;
use fnt::engine::Engines;

use crate::helpers::{
    Act, ScriptedEngine, TestApp, TestDir, eventually, get_text, metric, novel_pdf, spawn_app,
    spawn_app_in, spawn_app_with, test_config,
};
use crate::ws_client::WsClient;

async fn scrape_at(base: &str) -> (StatusCode, String, String) {
    get_text(&format!("{base}/metrics")).await
}

async fn scrape(app: &TestApp) -> String {
    app.metrics().await
}

fn has_metric(text: &str, series: &str, expected: f64) -> bool {
    metric(text, series) == Some(expected)
}

/// Metric families the text exports (`# TYPE name kind`).
fn families(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[actix_web::test]
async fn a_finished_job_shows_in_every_family_that_counts_it() {
    let app = spawn_app().await;
    let job = app.submit(&novel_pdf(8), &[]).await;
    let done = app.wait_until_finished(&job).await;
    assert_eq!(done["status"], "completed", "{done}");
    let chunks = done["total_chunks"].as_f64().expect("total_chunks");
    assert!(chunks >= 2.0, "{done}");

    let text = scrape(&app).await;
    for (series, value) in [
        (r#"fnt_jobs_finished_total{status="completed"}"#, 1.0),
        (r#"fnt_jobs_finished_total{status="failed"}"#, 0.0),
        (r#"fnt_jobs_finished_total{status="rejected"}"#, 0.0),
        (r#"fnt_job_duration_seconds_count{status="completed"}"#, 1.0),
        (r#"fnt_jobs{status="completed"}"#, 1.0),
        (r#"fnt_jobs{status="queued"}"#, 0.0),
        (r#"fnt_jobs{status="rejected"}"#, 0.0),
        ("fnt_queue_depth", 0.0),
        ("fnt_jobs_running", 0.0),
        ("fnt_chunks_queued", 0.0),
        (r#"fnt_chunks_total{outcome="done"}"#, chunks),
        (
            r#"fnt_chunk_duration_seconds_count{engine="local"}"#,
            chunks,
        ),
        (
            r#"fnt_engine_requests_total{engine="local",model="local",outcome="ok"}"#,
            chunks,
        ),
        (
            r#"fnt_http_requests_total{method="POST",route="/api/v1/jobs",status="202"}"#,
            1.0,
        ),
        ("fnt_websocket_sessions", 0.0),
        ("fnt_db_pool_max_connections", 8.0),
    ] {
        assert!(
            has_metric(&text, series, value),
            "expected {series} {value}, got {:?}",
            metric(&text, series)
        );
    }
    // Polling the job is counted under its route, never under its id: labels stay few.
    assert!(
        metric(
            &text,
            r#"fnt_http_requests_total{method="GET",route="/api/v1/jobs/{id}",status="200"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(!text.contains(&job), "a job id leaked into a label");
    assert!(metric(&text, "process_resident_memory_bytes").is_some_and(|b| b > 0.0));
    assert!(text.contains(r#"fnt_build_info{version=""#));
}

#[actix_web::test]
async fn unknown_paths_share_one_route_label() {
    let app = spawn_app().await;
    for path in ["/nope-1", "/nope-2", "/api/v1/jobs/x/y/z"] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    // Made-up methods share one label too.
    for method in ["BREW", "WHEN"] {
        let method = Method::from_bytes(method.as_bytes()).expect("a method token");
        let res = app
            .request(method, "/healthz")
            .send()
            .await
            .expect("response");
        assert!(res.status().is_client_error(), "{}", res.status());
    }
    let text = scrape(&app).await;
    assert!(!text.contains("BREW") && !text.contains("WHEN"), "{text}");
    assert!(text.contains(r#"method="OTHER""#), "{text}");
    assert!(
        metric(
            &text,
            r#"fnt_http_requests_total{method="GET",route="unmatched",status="404"}"#
        )
        .is_some_and(|n| n >= 2.0),
        "{text}"
    );
    assert!(!text.contains("nope-1"));
}

/// Two instances on one database report the same queue, read from the database, whichever
/// of them runs the jobs.
#[actix_web::test]
async fn queue_gauges_come_from_the_database() {
    let engine = ScriptedEngine::new().always(Act::Hang);
    let one_at_a_time = |c: &mut fnt::config::Config| {
        c.max_running_jobs = 1;
        c.chunk_timeout_secs = 120;
    };
    let first = spawn_app_with(one_at_a_time, engine.engines()).await;
    let jobs = [
        first.submit(&novel_pdf(3), &[]).await,
        first.submit(&novel_pdf(3), &[]).await,
        first.submit(&novel_pdf(3), &[]).await,
    ];
    first
        .wait_for(&jobs[0], Duration::from_secs(30), |j| {
            j["status"] == "running"
        })
        .await;
    let second = spawn_app_in(Arc::clone(&first.dir), one_at_a_time, engine.engines()).await;
    // The second instance claims one queued job: two run, one waits.
    let start = Instant::now();
    loop {
        let mut running = 0;
        for job in &jobs {
            running += usize::from(first.job(job).await["status"] == "running");
        }
        if running == 2 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the second instance never claimed"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    // Until the stall clock has passed a whole second on both: the running jobs make no
    // progress, and the queued one waits. A job is `running` from its claim, but its chunk
    // rows exist only once its actor has read the book, so those are waited for too.
    let (a, b) = eventually("a second of stall and of queueing on both", || async {
        let (a, b) = (scrape(&first).await, scrape(&second).await);
        let waited = |text: &str| {
            ["fnt_queue_oldest_seconds", "fnt_job_stalled_seconds"]
                .iter()
                .all(|series| metric(text, series).is_some_and(|s| s >= 1.0))
                && metric(text, "fnt_chunks_queued").is_some_and(|n| n >= 2.0)
        };
        (waited(&a) && waited(&b)).then_some((a, b))
    })
    .await;
    for text in [&a, &b] {
        assert!(has_metric(text, "fnt_queue_depth", 1.0), "{text}");
        assert!(has_metric(text, "fnt_jobs_running", 2.0), "{text}");
        assert!(
            has_metric(text, r#"fnt_jobs{status="queued"}"#, 1.0),
            "{text}"
        );
        assert!(
            has_metric(text, r#"fnt_jobs{status="running"}"#, 2.0),
            "{text}"
        );
        assert!(metric(text, "fnt_queue_oldest_seconds").is_some_and(|s| s >= 1.0));
        assert!(metric(text, "fnt_job_stalled_seconds").is_some_and(|s| s >= 1.0));
        assert!(metric(text, "fnt_chunks_queued").is_some_and(|n| n >= 2.0));
    }
    // What each instance itself runs is its own.
    assert!(has_metric(&a, "fnt_jobs_active", 1.0));
    assert!(has_metric(&b, "fnt_jobs_active", 1.0));
}

#[actix_web::test]
async fn open_websockets_and_event_streams_are_gauged() {
    let app = spawn_app().await;
    let job = app.submit(&novel_pdf(3), &[]).await;
    app.wait_until_finished(&job).await;
    let socket = WsClient::connect(&app.base).await;
    let (status, stream) = app.sse(&job, None).await;
    assert_eq!(status, StatusCode::OK);
    let text = scrape(&app).await;
    assert!(has_metric(&text, "fnt_websocket_sessions", 1.0), "{text}");
    drop(socket);
    drop(stream);
    let start = Instant::now();
    loop {
        let text = scrape(&app).await;
        if has_metric(&text, "fnt_websocket_sessions", 0.0) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{text}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn a_finished_event_stream_is_gauged_while_it_is_open() {
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(400)));
    let app = spawn_app_with(|_| {}, engine.engines()).await;
    let job = app.submit(&novel_pdf(3), &[]).await;
    let (status, mut stream) = app.sse(&job, None).await;
    assert_eq!(status, StatusCode::OK);
    stream.next_event().await.expect("a first event");
    assert!(has_metric(&scrape(&app).await, "fnt_sse_streams", 1.0));
    // The stream ends with the job; the gauge follows.
    stream.rest().await;
    app.wait_until_finished(&job).await;
    let start = Instant::now();
    while !has_metric(&scrape(&app).await, "fnt_sse_streams", 0.0) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the SSE gauge never fell"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn retries_and_restarts_are_counted_by_reason() {
    let engine = ScriptedEngine::new().on(0, 1, Act::Panic).on(
        1,
        1,
        Act::Fail(fnt::engine::EngineError::Unavailable("503".into())),
    );
    let app = spawn_app_with(|_| {}, engine.engines()).await;
    let job = app.submit(&novel_pdf(8), &[]).await;
    let done = app.wait_until_finished(&job).await;
    assert_eq!(done["status"], "completed", "{done}");
    let text = scrape(&app).await;
    assert!(
        has_metric(&text, r#"fnt_retries_total{reason="panic"}"#, 1.0),
        "{text}"
    );
    assert!(
        has_metric(&text, r#"fnt_retries_total{reason="unavailable"}"#, 1.0),
        "{text}"
    );
    assert!(
        has_metric(&text, r#"fnt_actor_restarts_total{actor="chunk"}"#, 2.0),
        "{text}"
    );
}

#[actix_web::test]
async fn metrics_on_a_port_of_their_own_leave_the_public_one() {
    let dir = TestDir::new().await;
    let mut core = test_config(dir.path());
    core.database_url = dir.database_url();
    let app = Application::build(
        ServeConfig {
            bind: "127.0.0.1:0".parse().expect("address"),
            metrics_bind: Some("127.0.0.1:0".parse().expect("address")),
            core,
        },
        Engines::builtin(),
    )
    .await
    .expect("app starts");
    let public = format!("http://{}", app.addr());
    let private = format!("http://{}", app.metrics_addr().expect("a metrics listener"));
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());

    let (status, _, body) = scrape_at(&public).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let error: serde_json::Value = serde_json::from_str(&body).expect("the JSON error shape");
    assert_eq!(error["error"]["code"], "not_found");
    let (status, _, text) = scrape_at(&private).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("fnt_queue_depth 0"), "{text}");
    // The public port's own requests are still counted there.
    assert!(
        text.contains(r#"fnt_http_requests_total{method="GET",route="unmatched",status="404"} 1"#),
        "{text}"
    );
    handle.stop(false).await;
}

#[actix_web::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let res = app
        .request(Method::GET, "/healthz")
        .insert_header(("x-request-id", "client-abc.123"))
        .send()
        .await
        .expect("response");
    assert_eq!(
        res.headers().get("x-request-id").expect("id"),
        "client-abc.123"
    );
    for hostile in ["has spaces", "a\"quote", &"x".repeat(65)] {
        let res = app
            .request(Method::GET, "/healthz")
            .insert_header(("x-request-id", hostile))
            .send()
            .await
            .expect("response");
        let id = res
            .headers()
            .get("x-request-id")
            .expect("id")
            .to_str()
            .expect("ascii");
        assert!(
            uuid::Uuid::parse_str(id).is_ok(),
            "{hostile:?} was kept as {id:?}"
        );
    }
    let (status, body) = app.get("/api/v1/jobs/not-a-job").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

/// The words of a PromQL expression that name metrics: what is left once label matchers,
/// strings, ranges, label lists, functions, keywords and numbers are taken out.
fn metric_names(expr: &str) -> BTreeSet<String> {
    // Aggregations may be followed by `by (…)` before their parenthesis, so they are named.
    const KEYWORDS: &[&str] = &[
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "and",
        "or",
        "unless",
        "offset",
        "bool",
        "inf",
        "nan",
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
    ];
    let mut plain = String::new();
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                let mut quote = None;
                for d in chars.by_ref() {
                    match (quote, d) {
                        (Some(q), d) if d == q => quote = None,
                        (None, '"' | '\'' | '`') => quote = Some(d),
                        (None, d) if d == close => break,
                        _ => {}
                    }
                }
                plain.push(' ');
            }
            '"' | '\'' | '`' => {
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
                plain.push(' ');
            }
            c => plain.push(c),
        }
    }
    let mut names = BTreeSet::new();
    let mut rest = plain.as_str();
    let mut skip_list = false;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric() || "_:.$".contains(c)) {
        let after = &rest[start..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_:.$".contains(c)))
            .unwrap_or(after.len());
        let (word, tail) = after.split_at(end);
        let next = tail.trim_start().chars().next();
        if skip_list {
            // Inside `by (…)` and its kin: label names up to the closing parenthesis.
            if let Some(close) = rest[start..].find(')') {
                rest = &rest[start + close + 1..];
                skip_list = false;
                continue;
            }
        }
        let keyword = KEYWORDS.contains(&word.to_ascii_lowercase().as_str());
        if keyword
            && matches!(
                word,
                "by" | "without" | "on" | "ignoring" | "group_left" | "group_right"
            )
        {
            skip_list = next == Some('(');
        } else if !keyword
            && next != Some('(')
            && !word.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '$')
        {
            names.insert(word.to_owned());
        }
        rest = tail;
    }
    names
}

#[test]
fn promql_metric_names_are_found() {
    let names = metric_names(
        r#"histogram_quantile(0.95, sum by (le, route) (rate(fnt_http_request_duration_seconds_bucket{instance=~"$instance"}[$__rate_interval]))) > 0.5 and on (x) a_b unless c offset 10m or vector(0)"#,
    );
    let expected: BTreeSet<String> = ["fnt_http_request_duration_seconds_bucket", "a_b", "c"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(names, expected);
}

fn collect_exprs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr", serde_json::Value::String(expr)) => out.push(expr.clone()),
                    _ => collect_exprs(value, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_exprs(v, out)),
        _ => {}
    }
}

fn repo_file(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Every metric the dashboard and the alert rules query is one the service exports, and
/// every family the service exports has a panel.
#[actix_web::test]
async fn the_dashboard_and_alerts_query_only_what_the_service_exports() {
    let app = spawn_app().await;
    let job = app.submit(&novel_pdf(3), &[]).await;
    app.wait_until_finished(&job).await;
    let rendered = families(&scrape(&app).await);
    let exported: BTreeSet<String> = app.core.metrics.names().iter().cloned().collect();
    assert!(
        rendered.is_subset(&exported),
        "{rendered:?} vs {exported:?}"
    );
    for family in [
        "fnt_engine_cost_dollars_total",
        "fnt_rate_gate_wait_seconds",
    ] {
        assert!(
            exported.contains(family),
            "{family} is declared before its first sample"
        );
    }

    let dashboard: serde_json::Value =
        serde_json::from_str(&repo_file("grafana/dashboards/fnt.json")).expect("dashboard JSON");
    let mut dashboard_exprs = Vec::new();
    collect_exprs(&dashboard, &mut dashboard_exprs);
    let rules: serde_yaml::Value =
        serde_yaml::from_str(&repo_file("grafana/prometheus/alerts.yml")).expect("rules YAML");
    let rules = serde_json::to_value(rules).expect("rules as JSON");
    let mut rule_exprs = Vec::new();
    collect_exprs(&rules, &mut rule_exprs);
    assert!(dashboard_exprs.len() >= 20, "{dashboard_exprs:?}");
    assert!(rule_exprs.len() >= 3, "{rule_exprs:?}");

    let base = |name: &str| -> String {
        for suffix in ["_bucket", "_sum", "_count"] {
            if let Some(stem) = name.strip_suffix(suffix)
                && exported.contains(stem)
            {
                return stem.to_owned();
            }
        }
        name.to_owned()
    };
    let mut used = BTreeSet::new();
    for expr in dashboard_exprs.iter().chain(&rule_exprs) {
        let names = metric_names(expr);
        assert!(!names.is_empty(), "no metric in {expr}");
        for name in names {
            let family = base(&name);
            assert!(
                exported.contains(&family),
                "{name} (in `{expr}`) is not exported"
            );
            used.insert(family);
        }
    }
    let unused: Vec<_> = exported
        .iter()
        .filter(|n| n.starts_with("fnt_") && !used.contains(*n))
        .collect();
    assert!(
        unused.is_empty(),
        "exported but on no panel or rule: {unused:?}"
    );
    for alert in [
        "FntJobStalled",
        "FntHighErrorRate",
        "FntEngineQuotaExhausted",
        "FntEngineModelRetired",
    ] {
        assert!(rules.to_string().contains(alert), "missing alert {alert}");
    }
}

/// `promtool` (Debian's `prometheus` package) accepts the rules, the scrape config and the
/// service's own `/metrics` output. CI installs it and sets `FNT_REQUIRE_PROMTOOL=1`.
#[actix_web::test]
async fn promtool_accepts_the_rules_and_the_metrics() {
    if Command::new("promtool").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("FNT_REQUIRE_PROMTOOL").is_none(),
            "FNT_REQUIRE_PROMTOOL is set but promtool is not installed"
        );
        eprintln!("skipped: promtool is not installed (apt-get install prometheus)");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    for args in [
        ["check", "rules", "grafana/prometheus/alerts.yml"],
        ["check", "config", "grafana/prometheus/prometheus.yml"],
    ] {
        let out = Command::new("promtool")
            .args(args)
            .current_dir(root)
            .output()
            .expect("promtool runs");
        assert!(
            out.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let engine = ScriptedEngine::new().on(0, 1, Act::Panic);
    let app = spawn_app_with(|_| {}, engine.engines()).await;
    let job = app.submit(&novel_pdf(8), &[]).await;
    app.wait_until_finished(&job).await;
    let _socket = WsClient::connect(&app.base).await;
    let text = scrape(&app).await;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(text.as_bytes()).expect("metrics written");
    }
    let out = child.wait_with_output().expect("promtool ends");
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `fnt serve` with JSON logs: the request's id is on the lines it causes, and the lines of
/// a job's work name the job.
#[actix_web::test]
async fn json_logs_carry_the_request_and_the_job() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log_path = dir.path().join("fnt.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fnt"))
        .arg("serve")
        .env("FNT_BIND", format!("127.0.0.1:{port}"))
        .env("FNT_DATA_DIR", dir.path().join("data"))
        .env("FNT_LOG_FORMAT", "json")
        .env("FNT_LOG", "info")
        .env("FNT_SINGLE_CHUNK_MAX_PAGES", "4")
        .env("FNT_MEDIUM_CHUNK_PAGES", "3")
        .env_remove("FNT_DATABASE_URL")
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .expect("fnt serve starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = awc::Client::default();
    let start = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server did not come up"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let boundary = "log-boundary";
    let body = crate::helpers::multipart_body(boundary, &[], Some(("book.pdf", &novel_pdf(8))));
    let mut res = client
        .post(format!("{base}/api/v1/jobs"))
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .insert_header(("x-request-id", "upload-req-1"))
        .send_body(body)
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let created: serde_json::Value = res.json().await.expect("job JSON");
    let job = created["job_id"].as_str().expect("job id").to_owned();
    let start = Instant::now();
    loop {
        let mut res = client
            .get(format!("{base}/api/v1/jobs/{job}"))
            .insert_header(("x-request-id", "poll-req"))
            .send()
            .await
            .expect("poll");
        let view: serde_json::Value = res.json().await.expect("job JSON");
        if view["status"] == "completed" {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{view}");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log_path)
        .expect("log read")
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let carries = |line: &serde_json::Value, key: &str, value: &str| {
        line["fields"][key] == value
            || line["spans"]
                .as_array()
                .is_some_and(|spans| spans.iter().any(|s| s[key] == value))
    };
    let upload_lines: Vec<_> = lines
        .iter()
        .filter(|l| carries(l, "request_id", "upload-req-1"))
        .collect();
    assert!(
        upload_lines
            .iter()
            .any(|l| l["fields"]["path"] == "/api/v1/jobs" && l["fields"]["status"] == 202),
        "no access line for the upload: {upload_lines:?}"
    );
    let poll = lines
        .iter()
        .find(|l| carries(l, "request_id", "poll-req"))
        .expect("a poll's access line");
    assert!(carries(poll, "job_id", &job), "{poll}");
    let job_lines: Vec<_> = lines
        .iter()
        .filter(|l| {
            l["target"].as_str().is_some_and(|t| {
                t.starts_with("fnt::actors::job") || t.starts_with("fnt::actors::chunk")
            })
        })
        .collect();
    assert!(!job_lines.is_empty(), "the job logged nothing");
    for line in job_lines {
        assert!(
            carries(line, "job_id", &job),
            "a job line without its id: {line}"
        );
    }
}

/// `GET /metrics` with an optional bearer token: its status and body.
async fn metrics_with(app: &TestApp, token: Option<&str>) -> (StatusCode, String) {
    let mut request = awc::Client::default().get(format!("{}/metrics", app.base));
    if let Some(token) = token {
        request = request.insert_header(("authorization", format!("Bearer {token}")));
    }
    let mut res = request.send().await.expect("response");
    let body = res.body().limit(4 << 20).await.expect("body");
    (res.status(), String::from_utf8_lossy(&body).into_owned())
}

#[actix_web::test]
async fn with_accounts_the_public_metrics_need_the_token() {
    use fnt::auth::AuthMode;
    use fnt::config::Secret;

    // No token configured: not served on the public port at all.
    let closed = spawn_app_with(|c| c.auth = Some(AuthMode::Accounts), Engines::builtin()).await;
    let (status, body) = metrics_with(&closed, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body.contains("\"not_found\""),
        "the one error shape: {body}"
    );

    // A token: only a request bearing it reads them.
    let guarded = spawn_app_with(
        |c| {
            c.auth = Some(AuthMode::Accounts);
            c.metrics_token = Some(Secret::new("scrape-me-7f3a"));
        },
        Engines::builtin(),
    )
    .await;
    for wrong in [None, Some("guess"), Some("scrape-me-7f3")] {
        let (status, body) = metrics_with(&guarded, wrong).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong:?}: {body}");
        assert!(!body.contains("fnt_http_requests_total"), "{body}");
    }
    let (status, body) = metrics_with(&guarded, Some("scrape-me-7f3a")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("fnt_http_requests_total"), "{body}");

    // Without accounts (loopback), as before: open.
    let open = spawn_app().await;
    assert_eq!(metrics_with(&open, None).await.0, StatusCode::OK);
}
