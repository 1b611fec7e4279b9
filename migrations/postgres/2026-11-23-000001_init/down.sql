DROP TABLE sentences;
DROP TABLE history;
DROP TABLE job_chunks;
DROP TABLE jobs;
DROP TABLE users;
