DROP TABLE job_events;
ALTER TABLE jobs DROP COLUMN event_seq;
