DROP TABLE llm_cache;
ALTER TABLE job_chunks DROP COLUMN duration_ms;
ALTER TABLE job_chunks DROP COLUMN api_calls;
ALTER TABLE job_chunks DROP COLUMN tokens_out;
ALTER TABLE job_chunks DROP COLUMN tokens_in;
ALTER TABLE jobs DROP COLUMN api_calls;
ALTER TABLE jobs DROP COLUMN tokens_out;
ALTER TABLE jobs DROP COLUMN tokens_in;
