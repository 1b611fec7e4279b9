//! The job lifecycle: the states a job and its chunks go through, which moves between them
//! are allowed, and what each move changes, announces and counts.
//!
//! ```text
//!            claim                 finish(outcome)
//!  queued ──────────► running ──────────────────────► completed | partial | failed
//!    ▲  ▲               │  ▲ release (hand-back or death: claimable again)
//!    │  │               └──┘
//!    │  └──────────── retry ◄─────────────────────────── partial | failed
//!    └─ (new job) ─ cancel from queued or running ────► cancelled (never anything else)
//!                   reject from queued or running ────► rejected (the PDF was refused after
//!                                                       the upload's 202; only the row stays)
//! ```
//!
//! Every move is a pure function in [`transition`] returning a [`transition::Transition`]: the
//! states it may start from, the row change, whether it emits an event and which metric it
//! counts. `db` executes a transition under its guard in one transaction; the actors and the
//! handlers decide which one to ask for. How a finished job's chunks become its final state is
//! [`outcome`]; the progress bar's formula is [`progress`].

pub mod admission;
pub mod outcome;
pub mod progress;
mod status;
mod stored_settings;
pub mod transition;

pub use status::{ChunkStatus, JobStatus};
pub use stored_settings::StoredSettings;
