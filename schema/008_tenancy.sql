-- A shared site: who pays for a job (account), under which QOS, in which
-- partition and reservation, what it waits for (dependency, as sbatch
-- writes it) and, for a task of a job array, the array's id (its first
-- task's job id), its index and how many of its tasks may run at once.
ALTER TABLE jobs ADD COLUMN account TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN qos TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN partition TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN reservation TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN dependency TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN array_job_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN array_task_id INTEGER NOT NULL DEFAULT -1;
ALTER TABLE jobs ADD COLUMN array_max INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_array ON jobs (array_job_id) WHERE array_job_id != 0;
