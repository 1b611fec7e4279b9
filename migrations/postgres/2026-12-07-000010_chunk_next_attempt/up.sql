-- When a chunk waiting after a failed attempt, or parked until the engine's daily quota
-- resets, tries again (epoch milliseconds): without it the ETA counts a chunk parked for hours
-- as one about to start. Cleared when the attempt starts.
ALTER TABLE job_chunks ADD COLUMN next_attempt_at BIGINT;
