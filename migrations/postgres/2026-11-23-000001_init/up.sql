-- Timestamps are unix milliseconds (BIGINT) and ids are UUID text so the same diesel schema
-- serves SQLite and PostgreSQL; migrations/sqlite holds the same statements.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at    BIGINT NOT NULL
);

-- The built-in local user owns every job until accounts exist (and in `--auth none` mode after).
INSERT INTO users (id, email, password_hash, role, created_at)
VALUES ('00000000-0000-0000-0000-000000000001', 'local@localhost', NULL, 'admin', 0);

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY NOT NULL,
    owner_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status           TEXT NOT NULL
        CHECK (status IN ('queued', 'running', 'completed', 'partial', 'failed', 'cancelled')),
    file_name        TEXT NOT NULL,
    upload_path      TEXT NOT NULL,
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
    finished_at      BIGINT
);

CREATE INDEX jobs_claim_idx ON jobs (status, created_at);
CREATE INDEX jobs_owner_idx ON jobs (owner_id, created_at);

CREATE TABLE job_chunks (
    job_id       TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    idx          INTEGER NOT NULL,
    first_page   INTEGER NOT NULL,
    last_page    INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    input        TEXT NOT NULL,
    result       TEXT,
    started_at   BIGINT,
    finished_at  BIGINT,
    PRIMARY KEY (job_id, idx)
);

CREATE TABLE history (
    id             TEXT PRIMARY KEY NOT NULL,
    job_id         TEXT NOT NULL UNIQUE REFERENCES jobs (id) ON DELETE CASCADE,
    owner_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_name      TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('completed', 'partial')),
    page_count     INTEGER NOT NULL,
    sentence_count INTEGER NOT NULL,
    settings       TEXT NOT NULL,
    engine         TEXT NOT NULL,
    processing_ms  BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE INDEX history_owner_idx ON history (owner_id, created_at);

CREATE TABLE sentences (
    history_id TEXT NOT NULL REFERENCES history (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    normalized TEXT NOT NULL,
    original   TEXT NOT NULL,
    page       INTEGER NOT NULL,
    engine     TEXT NOT NULL,
    edited     BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (history_id, position)
);
