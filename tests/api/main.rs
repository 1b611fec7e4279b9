//! One integration binary: the service over real HTTP, a real SQLite file and real PDFs.

mod accounts;
mod bad_input;
mod boundaries;
mod browser;
mod cancel;
mod estimate;
mod events;
mod exports;
mod gemini;
mod gemini_book;
mod helpers;
mod history;
mod hostile_pdf;
mod jobs;
mod migration;
mod observability;
mod postgres;
mod process_cli;
mod resume;
mod settings;
mod sheets;
mod supervision;
mod ws;
mod ws_client;

const BACKEND: helpers::Backend = helpers::Backend::Sqlite;
