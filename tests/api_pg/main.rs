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
#[path = "../api/resume.rs"]
mod resume;
#[path = "../api/settings.rs"]
mod settings;
#[path = "../api/sheets.rs"]
mod sheets;
#[path = "../api/supervision.rs"]
mod supervision;
#[path = "../api/ws.rs"]
mod ws;
#[path = "../api/ws_client.rs"]
mod ws_client;

const BACKEND: helpers::Backend = helpers::Backend::Postgres;
