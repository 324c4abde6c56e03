-- Bearer tokens of the REST API (docs/security.md). Only a token's SHA-256
-- is kept: the token itself is shown once, when it is created.
CREATE TABLE tokens (
	id INTEGER PRIMARY KEY,
	hash TEXT NOT NULL UNIQUE,      -- hex SHA-256 of the whole token
	user TEXT NOT NULL,             -- the user it names
	role TEXT NOT NULL,             -- viewer, operator or admin
	comment TEXT NOT NULL DEFAULT '',
	created_ms INTEGER NOT NULL,
	expires_ms INTEGER NOT NULL DEFAULT 0,   -- 0: never
	revoked_ms INTEGER NOT NULL DEFAULT 0,   -- 0: not revoked
	last_used_ms INTEGER NOT NULL DEFAULT 0  -- written at most once a minute
);
