-- Every change of a job is also an event with a per-job sequence number, written in the same
-- transaction as the change, so a client that reconnects gets exactly what it missed.
ALTER TABLE jobs ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE job_events (
    job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    payload    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
