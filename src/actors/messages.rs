//! Messages between the supervisor, job actors and chunk actors.

use std::time::Duration;

use actix::Message;

use crate::engine::{ChunkOutput, Usage};

/// New work may be waiting: look at the queue now rather than at the next poll.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Wake;

/// The job was cancelled in the database; stop its actors if they run here.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CancelJob {
    pub job_id: String,
}

/// A job actor stopped. `settled` means the job reached an end state (or is no longer ours);
/// otherwise its lease is released so that the job is resumed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct JobEnded {
    pub job_id: String,
    pub settled: bool,
}

/// A job actor's task ended, however the actor ended (a panic in one of its handlers
/// included). `run` tells which start of an actor for the job it was.
#[derive(Message)]
#[rtype(result = "()")]
pub struct JobGone {
    pub job_id: String,
    pub run: u64,
    /// The panic's message, if the actor died of one.
    pub panic: Option<String>,
}

/// Stop claiming; let the running jobs finish the chunks in flight for at most `grace`, then
/// stop them and give their leases back. Answered once this process holds no job.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Drain {
    pub grace: Duration,
}

/// Finish the chunks in flight, start no more, then stop (the job stays claimable).
#[derive(Message)]
#[rtype(result = "()")]
pub struct DrainJob;

/// Stop the job's work at once, leaving the job to be resumed (shutdown ran out of time).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Halt;

/// Stop the job's work at once (the job was cancelled).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Cancel;

/// Stop this chunk's work at once.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StopChunk;

/// A chunk actor's report to its job actor.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ChunkReport {
    pub index: usize,
    pub event: ChunkEvent,
}

#[derive(Debug)]
pub enum ChunkEvent {
    Started {
        attempt: u32,
    },
    Retrying {
        attempt: u32,
        error: String,
        delay: Duration,
        next_attempt_at: chrono::DateTime<chrono::Utc>,
        usage: Usage,
    },
    /// Parked until the daily quota resets, without spending the retry budget.
    Snoozed {
        attempt: u32,
        error: String,
        delay: Duration,
        next_attempt_at: chrono::DateTime<chrono::Utc>,
        usage: Usage,
    },
    Done {
        attempts: u32,
        output: ChunkOutput,
        /// How long the successful attempt took.
        took: Duration,
        usage: Usage,
    },
    Failed {
        attempts: u32,
        error: String,
        usage: Usage,
    },
    /// An error that dooms the whole job (an invalid API key).
    Fatal {
        attempts: u32,
        error: String,
        usage: Usage,
    },
}
