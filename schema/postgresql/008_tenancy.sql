-- Mirrors schema/008_tenancy.sql in PostgreSQL's dialect: what the columns
-- mean is written there. Change both together.
ALTER TABLE jobs ADD COLUMN account TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN qos TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN partition TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN reservation TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN dependency TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN array_job_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN array_task_id BIGINT NOT NULL DEFAULT -1;
ALTER TABLE jobs ADD COLUMN array_max BIGINT NOT NULL DEFAULT 0;
CREATE INDEX jobs_array ON jobs (array_job_id) WHERE array_job_id != 0;
