-- Jobs run as a Unix user (the submitting token's user), in a working
-- directory ('' : the user's home), with stdout and stderr patterns ('':
-- the agent's output.log; error '' : with stdout). Jobs stored before
-- have no user: a node refuses to run them, saying so.
ALTER TABLE jobs ADD COLUMN user TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN chdir TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN output TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN error TEXT NOT NULL DEFAULT '';
-- Why a rank ended as it did, in the agent's words ('' : nothing said),
-- e.g. "user 'bob' is not known on pod01-n003": the job's reason.
ALTER TABLE job_ranks ADD COLUMN message TEXT NOT NULL DEFAULT '';
