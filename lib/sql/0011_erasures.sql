-- AVEC store, schema version 11: erasures, without the erased.
--
-- An account's erasure pseudonymises the person's rows of the audit trail
-- (their principal, display name, device names, join key and MACs give
-- way to "erased-<id>", the rest of each row stays: who acted, what they
-- did, when).  Each erasure is one row here: its id names the person in
-- the trail, the same in every row of theirs, never reused
-- (AUTOINCREMENT), and nothing here says who it was.
CREATE TABLE erasures (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	at         INTEGER NOT NULL,		-- Unix seconds
	audit_rows INTEGER NOT NULL DEFAULT 0	-- rows pseudonymised
);
