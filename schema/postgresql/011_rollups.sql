-- Mirrors schema/011_rollups.sql in PostgreSQL's dialect: what the tables
-- mean is written there. Change both together. SQLite's WITHOUT ROWID has
-- no counterpart: a PostgreSQL table is a heap with its primary key
-- beside it, whatever it is declared as.
CREATE TABLE rollup_partitions (
	step_s BIGINT NOT NULL,
	day BIGINT NOT NULL,
	created_ms BIGINT NOT NULL,
	PRIMARY KEY (step_s, day)
);

CREATE TABLE rollup_pending (
	step_s BIGINT NOT NULL,
	node_id BIGINT NOT NULL,
	t_ms BIGINT NOT NULL,
	PRIMARY KEY (step_s, t_ms, node_id)
);
