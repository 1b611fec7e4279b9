-- Back to the statuses before `rejected`: a rejected job becomes `failed`, which keeps its
-- error code and message and, like it, has no result.
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
UPDATE jobs SET status = 'failed' WHERE status = 'rejected';
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'running', 'completed', 'partial', 'failed', 'cancelled'));
