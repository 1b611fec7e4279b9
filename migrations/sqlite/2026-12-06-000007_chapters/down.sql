ALTER TABLE sentences DROP COLUMN chapter;
DROP TABLE chapters;
