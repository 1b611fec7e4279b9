-- What the engines cost, per chunk and per job, and the cache that makes a second upload of
-- the same book free.
ALTER TABLE jobs ADD COLUMN tokens_in BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN tokens_out BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN api_calls BIGINT NOT NULL DEFAULT 0;

ALTER TABLE job_chunks ADD COLUMN tokens_in BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job_chunks ADD COLUMN tokens_out BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job_chunks ADD COLUMN api_calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job_chunks ADD COLUMN duration_ms BIGINT NOT NULL DEFAULT 0;

CREATE TABLE llm_cache (
    key        TEXT PRIMARY KEY NOT NULL,
    engine     TEXT NOT NULL,
    output     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
