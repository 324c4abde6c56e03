-- Mirrors schema/007_job_io.sql in PostgreSQL's dialect: what the columns
-- mean is written there. Change both together. "user" is quoted: it is a
-- reserved word of PostgreSQL.
ALTER TABLE jobs ADD COLUMN "user" TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN chdir TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN output TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN error TEXT NOT NULL DEFAULT '';
ALTER TABLE job_ranks ADD COLUMN message TEXT NOT NULL DEFAULT '';
