-- AVEC store, schema version 2: the connection log, the authenticators
-- that can be told to disconnect a device, and the store's settings.

-- Settings an administrator may change (retention periods, grace periods).
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO settings (key, value) VALUES
	('log_retention_days', 365),		-- connection log: one year (French law)
	('account_retention_days', 1825);	-- identity data after an account ends

-- Authenticators (access points, controllers, hostapd) with a Dynamic
-- Authorization Server (RFC 5176): where to send a Disconnect-Request for
-- a session that came from nas_address.
CREATE TABLE nas_clients (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	nas_address TEXT NOT NULL UNIQUE,	-- NAS-IP-Address in its accounting
	das_address TEXT NOT NULL,
	das_port    INTEGER NOT NULL DEFAULT 3799 CHECK (das_port BETWEEN 1 AND 65535),
	das_secret  TEXT NOT NULL
);

-- The connection log: one row per accounting session.  Who (account and
-- device, kept by id and, for requisitions after deletions, by principal),
-- from where (NAS, port, MAC as a hint), which address, when, how much.
-- Never a URL, never content.
CREATE TABLE sessions (
	id              INTEGER PRIMARY KEY,
	nas_address     TEXT NOT NULL,
	acct_session_id TEXT NOT NULL,
	nas_port        TEXT NOT NULL DEFAULT '',
	account_id      INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
	device_id       INTEGER REFERENCES devices(id) ON DELETE SET NULL,
	principal       TEXT NOT NULL DEFAULT '',
	mac             TEXT NOT NULL DEFAULT '',
	framed_ip       TEXT NOT NULL DEFAULT '',
	started_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	ended_at        INTEGER NOT NULL DEFAULT 0,	-- 0: still open
	input_bytes     INTEGER NOT NULL DEFAULT 0,
	output_bytes    INTEGER NOT NULL DEFAULT 0,
	terminate_cause TEXT NOT NULL DEFAULT '',
	UNIQUE (nas_address, acct_session_id)
);
CREATE INDEX sessions_by_ip ON sessions (framed_ip, started_at);
CREATE INDEX sessions_by_device ON sessions (device_id, ended_at);
CREATE INDEX sessions_by_account ON sessions (account_id, started_at);
CREATE INDEX sessions_by_mac ON sessions (mac, started_at);
CREATE INDEX sessions_by_start ON sessions (started_at);
-- Accounting-On/Off closes a NAS's open sessions; purge finds old ones.
CREATE INDEX sessions_open_by_nas ON sessions (nas_address, ended_at);
CREATE INDEX sessions_by_principal ON sessions (principal, started_at);
-- Accounting without AVEC's Class finds the device of the latest accept
-- from that MAC (rlm_avec records it as a last-seen hint).
CREATE INDEX devices_by_last_mac ON devices (last_mac, last_seen);

-- What each Disconnect-Request achieved, for the audit of a revocation.
CREATE TABLE disconnects (
	id         INTEGER PRIMARY KEY,
	session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
	device_id  INTEGER REFERENCES devices(id) ON DELETE SET NULL,
	nas_name   TEXT NOT NULL,
	sent_at    INTEGER NOT NULL,
	attempts   INTEGER NOT NULL,
	result     TEXT NOT NULL CHECK (result IN ('ack', 'nak', 'timeout', 'error')),
	detail     TEXT NOT NULL DEFAULT ''
);
