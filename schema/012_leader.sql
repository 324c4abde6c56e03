-- The active controller, when several share one database (PostgreSQL):
-- one row, written by each controller that takes the lead. epoch counts
-- the takeovers, so that a controller which lost its session and got the
-- lock back can tell whether another led in between. Unused on SQLite,
-- which one controller owns.
CREATE TABLE leader (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	epoch INTEGER NOT NULL,
	url TEXT NOT NULL,          -- the active controller's REST API
	since_ms INTEGER NOT NULL   -- when it took the lead, wall clock
);
