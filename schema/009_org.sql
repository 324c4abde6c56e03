-- The site's organisation (docs/operations.md "Accounts, QOS, partitions,
-- reservations"): the account tree with its shares, the users and the
-- accounts each may charge (associations), and the reservations of nodes
-- for a time. QOS and partitions are the config's, not stored here.
CREATE TABLE accounts (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	parent INTEGER REFERENCES accounts (id),  -- NULL only for "root"
	shares REAL NOT NULL DEFAULT 1,           -- among its siblings
	description TEXT NOT NULL DEFAULT ''
);
INSERT INTO accounts (name, parent, shares, description)
	VALUES ('root', NULL, 1, 'the whole site');
CREATE TABLE users (
	name TEXT PRIMARY KEY,
	default_account INTEGER NOT NULL REFERENCES accounts (id)
);
-- A user's membership of an account (Slurm's association).
CREATE TABLE associations (
	user TEXT NOT NULL REFERENCES users (name),
	account INTEGER NOT NULL REFERENCES accounts (id),
	shares REAL NOT NULL DEFAULT 1,  -- among the account's members
	PRIMARY KEY (user, account)
);
CREATE TABLE reservations (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	start_ms INTEGER NOT NULL,       -- wall clock
	end_ms INTEGER NOT NULL,
	maint INTEGER NOT NULL DEFAULT 0,  -- 1: maintenance, nobody runs
	account TEXT NOT NULL DEFAULT '',  -- the account it is for; '' none
	nodes TEXT NOT NULL,             -- a host list: "pod01-n[001-128]"
	created_by TEXT NOT NULL DEFAULT '',
	created_ms INTEGER NOT NULL DEFAULT 0
);
