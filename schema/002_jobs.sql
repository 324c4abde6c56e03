-- Jobs and where they ran. A job keeps its id across requeues; each start
-- is a new attempt, and job_ranks holds one row per node of every attempt,
-- so an attempt's processes can be found and stopped after a restart.
CREATE TABLE jobs (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	command TEXT NOT NULL,		-- JSON array of strings
	nnodes INTEGER NOT NULL,
	accels_per_node INTEGER NOT NULL,
	accels_total INTEGER NOT NULL,
	exclusive INTEGER NOT NULL,
	within TEXT NOT NULL,		-- group, pod, fabric
	time_limit_s INTEGER NOT NULL,
	priority INTEGER NOT NULL,
	policy TEXT,
	requeue INTEGER NOT NULL,
	state TEXT NOT NULL,		-- pending, running, completed, …
	reason TEXT,
	attempt INTEGER NOT NULL DEFAULT 0,
	submit_ms INTEGER NOT NULL,	-- first submission, kept across requeues
	start_ms INTEGER,
	end_ms INTEGER,
	exit_code INTEGER,
	energy_j REAL,
	submitted_by TEXT NOT NULL,
	cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_state ON jobs (state);

CREATE TABLE job_ranks (
	job_id INTEGER NOT NULL REFERENCES jobs(id),
	attempt INTEGER NOT NULL,
	rank INTEGER NOT NULL,
	node_id INTEGER NOT NULL REFERENCES nodes(id),
	accel_mask INTEGER NOT NULL,	-- bit i: accelerator i
	state TEXT NOT NULL,		-- starting, running, ended
	cause TEXT,			-- exit, cancelled, timeout, launch_error, node_fail
	exit_code INTEGER,
	signal INTEGER,
	started_ms INTEGER,
	ended_ms INTEGER,
	log TEXT,
	PRIMARY KEY (job_id, attempt, rank)
);
CREATE INDEX job_ranks_active ON job_ranks (state);
