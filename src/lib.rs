//! french-novel-tool: turns French novels (PDF) into short, complete sentences for learners.

pub mod actors;
pub mod api;
pub mod app;
pub mod auth;
pub mod background;
pub mod config;
pub mod core;
pub mod db;
pub mod engine;
pub mod estimate;
pub mod events;
pub mod export;
pub mod fake_gemini;
pub mod fake_google;
pub mod google;
pub mod healthcheck;
pub(crate) mod lexicon;
pub mod metrics;
pub mod pdf;
pub mod process;
pub mod settings;
pub mod status;
pub mod submit;
pub mod testkit;
pub mod util;
pub mod web;
