-- AVEC store, schema version 5: what happened, for the administrators.
-- Authentication outcomes counted per hour and reason (written by the
-- RADIUS module's writer about once a minute, never per request), and the
-- audit trail of every state-changing avecctl command.

-- Outcomes of Access-Requests decided by rlm_avec.  hour is a UTC hour:
-- Unix seconds / 3600.  reason is avec_reason_code(): "accept" or why not.
CREATE TABLE auth_stats (
	hour   INTEGER NOT NULL,
	reason TEXT NOT NULL,
	count  INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),
	PRIMARY KEY (hour, reason)
) WITHOUT ROWID;

-- One row per state-changing administrator's command, done or refused.
-- Never a secret: avecctl removes them from detail before it writes.
-- Rows name people: the purge deletes them after log_retention_days.
CREATE TABLE audit (
	id      INTEGER PRIMARY KEY,
	at      INTEGER NOT NULL,		-- Unix seconds
	actor   TEXT NOT NULL,			-- Unix user (sudo: "alice via root")
	origin  TEXT NOT NULL,			-- "cli tty=/dev/pts/0", "cli ssh=ADDR"
	action  TEXT NOT NULL,			-- "device revoke"
	target  TEXT NOT NULL DEFAULT '',	-- the principal, id, name
	detail  TEXT NOT NULL DEFAULT '',	-- the other arguments, secrets removed
	outcome TEXT NOT NULL DEFAULT 'ok'
	        CHECK (outcome IN ('ok', 'refused', 'not found', 'failed'))
);
CREATE INDEX audit_by_time ON audit (at);
