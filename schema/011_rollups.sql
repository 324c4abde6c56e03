-- Telemetry rollups: per node and per accelerator, the mean, minimum and
-- maximum of the stored samples over each minute and each hour, so that a
-- fabric keeps months of history in a fraction of the raw samples' size.
-- Rows live in time-partitioned tables created by the controller, like the
-- raw samples: node_rollup_60_YYYYMMDD and accel_rollup_60_YYYYMMDD per
-- day, node_rollup_3600_YYYYMM01 and accel_rollup_3600_YYYYMM01 per month,
-- listed here so that retention drops whole tables.
CREATE TABLE rollup_partitions (
	step_s INTEGER NOT NULL,   -- 60 or 3600
	day INTEGER NOT NULL,      -- YYYYMMDD (UTC) of the partition's start
	created_ms INTEGER NOT NULL,
	PRIMARY KEY (step_s, day)
);

-- Periods whose rollup must be (re)computed: a node's minute gains a row
-- in the same transaction as the raw sample that falls in it, its hour
-- when the minute's rollup is written. The writer computes a period once
-- it has closed, from what is stored (raw samples for a minute, minute
-- rows for an hour), replaces its rows and deletes the mark in one
-- transaction: a restart neither loses a period nor counts one twice, and
-- a sample that arrives late only marks its period again.
CREATE TABLE rollup_pending (
	step_s INTEGER NOT NULL,   -- 60 or 3600
	node_id INTEGER NOT NULL,
	t_ms INTEGER NOT NULL,     -- the period's start, ms since the epoch
	PRIMARY KEY (step_s, t_ms, node_id) -- closed ones first by range
) WITHOUT ROWID;
