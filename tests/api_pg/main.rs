//! The integration suite again, on PostgreSQL (a database per test), plus what only several
//! instances on one database can show. `fnt process` (always embedded SQLite) is tested once,
//! in `tests/api`.

#[path = "../api/accounts.rs"]
mod accounts;
#[path = "../api/bad_input.rs"]
mod bad_input;
#[path = "../api/boundaries.rs"]
mod boundaries;
#[path = "../api/cancel.rs"]
mod cancel;
#[path = "../api/estimate.rs"]
mod estimate;
#[path = "../api/events.rs"]
mod events;
#[path = "../api/exports.rs"]
mod exports;
#[path = "../api/gemini.rs"]
mod gemini;
#[path = "../api/helpers.rs"]
mod helpers;
#[path = "../api/history.rs"]
mod history;
#[path = "../api/hostile_pdf.rs"]
mod hostile_pdf;
mod instances;
#[path = "../api/jobs.rs"]
mod jobs;
#[path = "../api/migration.rs"]
mod migration;
#[path = "../api/observability.rs"]
mod observability;
#[path = "../api/postgres.rs"]
mod postgres;
#[path = "../api/rejected.rs"]
mod rejected;
#[path = "../api/resume.rs"]
mod resume;
#[path = "../api/runtime.rs"]
mod runtime;
#[path = "../api/settings.rs"]
mod settings;
#[path = "../api/sheets.rs"]
mod sheets;
#[path = "../api/study.rs"]
mod study;
#[path = "../api/supervision.rs"]
mod supervision;
#[path = "../api/ws.rs"]
mod ws;
#[path = "../api/ws_client.rs"]
mod ws_client;

const BACKEND: helpers::Backend = helpers::Backend::Postgres;

/// A module added to the SQLite suite runs here too unless it says why not: forgetting its
/// line above would otherwise leave it SQLite-only without a word.
#[test]
fn every_shared_module_runs_on_postgresql() {
    // What only one backend needs: the browser and the CLI (`fnt process` is always embedded
    // SQLite) test the same server whatever its database; the whole-book Gemini run is long
    // and database-agnostic; the sandbox tests run the PDF-reading child, which has no
    // database.
    const SQLITE_ONLY: &[&str] = &[
        "main",
        "sandbox",
        "browser",
        "browser_results",
        "browser_screens",
        "gemini_book",
        "process_cli",
    ];
    let listed: Vec<String> = include_str!("main.rs")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("#[path = \"../api/"))
        .filter_map(|l| l.strip_suffix(".rs\"]"))
        .map(str::to_owned)
        .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/api") {
        let path = entry.expect("an entry").path();
        let Some(name) = path.file_stem().and_then(|n| n.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs")
            && !SQLITE_ONLY.contains(&name)
            && !listed.iter().any(|l| l == name)
        {
            missing.push(name.to_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "tests/api modules not run on PostgreSQL: {missing:?} (add them to tests/api_pg/main.rs, \
         or to SQLITE_ONLY with a reason)"
    );
}
