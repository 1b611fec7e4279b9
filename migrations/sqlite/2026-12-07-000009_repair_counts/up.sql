-- How much of the model's answers had to be mended, counted in source sentences: asked again,
-- written by the local engine instead, refused by the model. Per chunk and per job like the
-- tokens, and copied to the history entry when the job ends.
ALTER TABLE jobs ADD COLUMN reasks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN local_fallbacks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN refusals BIGINT NOT NULL DEFAULT 0;

ALTER TABLE job_chunks ADD COLUMN reasks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job_chunks ADD COLUMN local_fallbacks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job_chunks ADD COLUMN refusals BIGINT NOT NULL DEFAULT 0;

ALTER TABLE history ADD COLUMN reasks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE history ADD COLUMN local_fallbacks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE history ADD COLUMN refusals BIGINT NOT NULL DEFAULT 0;
