ALTER TABLE job_chunks DROP COLUMN next_attempt_at;
