-- The uploaded PDF lives in the database, next to its job, so that any instance on the same
-- database can run any job (and a deleted job takes its PDF with it).
CREATE TABLE uploads (
    job_id     TEXT PRIMARY KEY NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    bytes      BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- PDFs are compressed already: storing them out of line without another compression pass
-- saves the CPU that pglz would spend failing to shrink 50 MB.
ALTER TABLE uploads ALTER COLUMN bytes SET STORAGE EXTERNAL;

ALTER TABLE jobs DROP COLUMN upload_path;
