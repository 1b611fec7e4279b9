-- Back to the statuses before `rejected`: a rejected job becomes `failed`, which keeps its
-- error code and message and, like it, has no result. The same rebuild as up.sql.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE jobs_rebuilt (
    id               TEXT PRIMARY KEY NOT NULL,
    owner_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status           TEXT NOT NULL
        CHECK (status IN ('queued', 'running', 'completed', 'partial', 'failed', 'cancelled')),
    file_name        TEXT NOT NULL,
    input_hash       TEXT NOT NULL,
    file_size        BIGINT NOT NULL,
    page_count       INTEGER NOT NULL,
    settings         TEXT NOT NULL,
    engine           TEXT NOT NULL,
    progress_percent INTEGER NOT NULL DEFAULT 0 CHECK (progress_percent BETWEEN 0 AND 100),
    current_step     TEXT NOT NULL,
    total_chunks     INTEGER NOT NULL DEFAULT 0,
    processed_chunks INTEGER NOT NULL DEFAULT 0,
    failed_chunks    INTEGER NOT NULL DEFAULT 0,
    error_code       TEXT,
    error_message    TEXT,
    claims           INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    created_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT,
    tokens_in        BIGINT NOT NULL DEFAULT 0,
    tokens_out       BIGINT NOT NULL DEFAULT 0,
    api_calls        BIGINT NOT NULL DEFAULT 0,
    event_seq        BIGINT NOT NULL DEFAULT 0,
    reasks           BIGINT NOT NULL DEFAULT 0,
    local_fallbacks  BIGINT NOT NULL DEFAULT 0,
    refusals         BIGINT NOT NULL DEFAULT 0
);

INSERT INTO jobs_rebuilt (
    id, owner_id, status, file_name, input_hash, file_size, page_count, settings, engine,
    progress_percent, current_step, total_chunks, processed_chunks, failed_chunks, error_code,
    error_message, claims, lease_owner, lease_expires_at, created_at, started_at, finished_at,
    tokens_in, tokens_out, api_calls, event_seq, reasks, local_fallbacks, refusals
)
SELECT
    id, owner_id, CASE status WHEN 'rejected' THEN 'failed' ELSE status END, file_name, input_hash, file_size, page_count, settings, engine,
    progress_percent, current_step, total_chunks, processed_chunks, failed_chunks, error_code,
    error_message, claims, lease_owner, lease_expires_at, created_at, started_at, finished_at,
    tokens_in, tokens_out, api_calls, event_seq, reasks, local_fallbacks, refusals
FROM jobs;

DROP TABLE jobs;
ALTER TABLE jobs_rebuilt RENAME TO jobs;

CREATE INDEX jobs_claim_idx ON jobs (status, created_at);
CREATE INDEX jobs_owner_idx ON jobs (owner_id, created_at);

COMMIT;
PRAGMA foreign_keys = ON;
