-- The power envelope: DVFS policies by scope, facility settings (cap,
-- curtailment), alarms, energy counters, and what jobs say of their power.
CREATE TABLE policies (
	scope TEXT NOT NULL,		-- fleet, pod, node
	target TEXT NOT NULL,		-- '' for the fleet, else the pod or node
	name TEXT NOT NULL,
	params TEXT NOT NULL,		-- JSON object
	set_by TEXT NOT NULL,
	set_ms INTEGER NOT NULL,
	PRIMARY KEY (scope, target)
);

CREATE TABLE settings (
	key TEXT PRIMARY KEY,		-- facility_cap_w, curtail_pct, …
	value REAL NOT NULL,
	set_by TEXT NOT NULL,
	set_ms INTEGER NOT NULL
);

CREATE TABLE alarms (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	object TEXT NOT NULL,
	message TEXT NOT NULL,
	state TEXT NOT NULL,		-- open, acked, cleared
	first_ms INTEGER NOT NULL,
	last_ms INTEGER NOT NULL,
	cleared_ms INTEGER,
	acked_ms INTEGER,
	acked_by TEXT,
	count INTEGER NOT NULL
);
CREATE INDEX alarms_state ON alarms (state);

ALTER TABLE pods ADD COLUMN energy_j REAL NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN power_per_accel_w REAL;
ALTER TABLE jobs ADD COLUMN allow_capped INTEGER NOT NULL DEFAULT 0;
