-- AVEC store, schema version 6: tokens of the admin API.
-- A token is shown once, when it is made; only its SHA-256 is kept, so
-- the file alone never lets anyone in.  scope 'read' may run the commands
-- that change nothing; 'write' may run all of those the API allows.
CREATE TABLE admin_tokens (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	scope      TEXT NOT NULL CHECK (scope IN ('read', 'write')),
	hash       TEXT NOT NULL UNIQUE,		-- hex SHA-256 of the token
	created_at INTEGER NOT NULL,
	last_used  INTEGER NOT NULL DEFAULT 0,
	revoked_at INTEGER NOT NULL DEFAULT 0
);
