//! One integration binary: the service over real HTTP, a real SQLite file and real PDFs.

mod accounts;
mod bad_input;
mod boundaries;
mod cancel;
mod events;
mod gemini;
mod helpers;
mod hostile_pdf;
mod jobs;
mod postgres;
mod process_cli;
mod resume;
mod supervision;
mod ws;
mod ws_client;

const BACKEND: helpers::Backend = helpers::Backend::Sqlite;
