//! One integration binary: the service over real HTTP, a real SQLite file and real PDFs.

mod accounts;
mod bad_input;
mod boundaries;
mod browser;
mod browser_results;
mod browser_screens;
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
mod rejected;
mod resume;
mod runtime;
mod sandbox;
mod settings;
mod sheets;
mod study;
mod supervision;
mod ws;
mod ws_client;

const BACKEND: helpers::Backend = helpers::Backend::Sqlite;
