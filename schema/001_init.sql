-- Inventory and the operator's decisions about it. Telemetry samples live in
-- per-day tables (samples_YYYYMMDD, accel_samples_YYYYMMDD) created by the
-- controller, listed in sample_partitions so that retention drops whole
-- tables.
CREATE TABLE pods (
	name TEXT PRIMARY KEY,
	nodes_total INTEGER NOT NULL,
	groups_total INTEGER NOT NULL,
	accels_per_node INTEGER NOT NULL,
	power_budget_w REAL NOT NULL,
	cooling_capacity_w REAL NOT NULL
);

CREATE TABLE nodes (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	pod TEXT NOT NULL REFERENCES pods(name),
	grp TEXT NOT NULL,
	drained INTEGER NOT NULL DEFAULT 0,
	reason TEXT,
	drained_at_ms INTEGER,
	drained_by TEXT,
	first_seen_ms INTEGER,
	last_seen_ms INTEGER,
	boot_id TEXT,
	agent_version TEXT
);

CREATE TABLE accelerators (
	node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
	idx INTEGER NOT NULL,
	model TEXT NOT NULL,
	clock_min_mhz REAL,
	clock_max_mhz REAL,
	power_max_w REAL,
	tdp_w REAL,
	temp_crit_c REAL,
	mem_total_mib REAL,
	PRIMARY KEY (node_id, idx)
);

-- Who did what, for every change an operator or the BMS makes.
CREATE TABLE audit (
	id INTEGER PRIMARY KEY,
	t_ms INTEGER NOT NULL,
	who TEXT NOT NULL,
	action TEXT NOT NULL,
	object TEXT NOT NULL,
	detail TEXT
);

CREATE TABLE sample_partitions (
	day INTEGER PRIMARY KEY, -- YYYYMMDD, UTC
	created_ms INTEGER NOT NULL
);
