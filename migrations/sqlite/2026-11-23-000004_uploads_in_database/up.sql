-- The uploaded PDF lives in the database, next to its job, so that any instance on the same
-- database can run any job (and a deleted job takes its PDF with it).
CREATE TABLE uploads (
    job_id     TEXT PRIMARY KEY NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    bytes      BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

ALTER TABLE jobs DROP COLUMN upload_path;
