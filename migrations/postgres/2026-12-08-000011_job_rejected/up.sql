-- `rejected`: a job whose PDF the sandboxed check refused after the upload's 202. Only the
-- job row (and its events) is kept, with the refusal's error code and message. PostgreSQL named
-- the column's CHECK jobs_status_check; migrations/sqlite rebuilds the table instead.
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'running', 'completed', 'partial', 'failed', 'cancelled',
                      'rejected'));
