//! Exports of a job's sentences to other tools.
pub mod sheets;
