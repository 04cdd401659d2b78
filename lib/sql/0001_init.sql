-- AVEC store, schema version 1: accounts, devices and their credentials,
-- role policies.  Times are Unix seconds (UTC).  Applied by store.c inside
-- one transaction, which then sets PRAGMA user_version = 1.

CREATE TABLE accounts (
	id           INTEGER PRIMARY KEY,
	principal    TEXT NOT NULL UNIQUE,	-- CAS principal for this appliance
	role         TEXT NOT NULL CHECK (role IN ('student', 'teacher', 'staff', 'parent')),
	status       TEXT NOT NULL DEFAULT 'active'
	             CHECK (status IN ('active', 'suspended', 'left')),
	display_name TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	ended_at     INTEGER NOT NULL DEFAULT 0
);

-- Schools (UAI) and class groups of an account, from the ENT.
CREATE TABLE account_schools (
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	uai        TEXT NOT NULL,
	PRIMARY KEY (account_id, uai)
) WITHOUT ROWID;

CREATE TABLE account_groups (
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	grp        TEXT NOT NULL,
	PRIMARY KEY (account_id, grp)
) WITHOUT ROWID;

CREATE TABLE devices (
	id            INTEGER PRIMARY KEY,
	account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	name          TEXT NOT NULL,
	cred_type     TEXT NOT NULL CHECK (cred_type IN ('tls', 'ttls', 'peap')),
	status        TEXT NOT NULL DEFAULT 'active'
	              CHECK (status IN ('active', 'revoked', 'expired')),
	created_at    INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL DEFAULT 0,	-- 0: no expiry
	last_seen     INTEGER NOT NULL DEFAULT 0,
	last_mac      TEXT NOT NULL DEFAULT '',	-- a hint, never an identity
	revoked_at    INTEGER NOT NULL DEFAULT 0,
	revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX devices_by_account ON devices (account_id, status, created_at);

-- One credential per device.  A secret is kept only as the hash its EAP
-- method can verify; a certificate by its serial and SHA-256 fingerprint.
CREATE TABLE credentials (
	device_id        INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
	username         TEXT NOT NULL UNIQUE,
	secret_hash      TEXT NOT NULL DEFAULT '',
	cert_serial      TEXT UNIQUE,		-- NULL for TTLS/PEAP
	cert_fingerprint TEXT NOT NULL DEFAULT ''
);

-- Role policies.  A role without a row is not admitted (parents, by default).
CREATE TABLE role_policies (
	role            TEXT PRIMARY KEY CHECK (role IN ('student', 'teacher', 'staff', 'parent')),
	vlan            INTEGER NOT NULL CHECK (vlan BETWEEN 1 AND 4094),
	max_devices     INTEGER NOT NULL CHECK (max_devices BETWEEN 0 AND 1000),
	allowed_creds   TEXT NOT NULL,		-- "tls,ttls,peap"
	session_timeout INTEGER NOT NULL DEFAULT 0 CHECK (session_timeout >= 0),
	device_lifetime INTEGER NOT NULL DEFAULT 0 CHECK (device_lifetime >= 0)
) WITHOUT ROWID;

INSERT INTO role_policies (role, vlan, max_devices, allowed_creds, session_timeout, device_lifetime) VALUES
	('student', 20, 3, 'tls,ttls,peap', 0, 0),
	('teacher', 30, 5, 'tls,ttls,peap', 0, 0),
	('staff',   40, 5, 'tls,ttls,peap', 0, 0);

-- The generation counts changes that matter to a RADIUS decision.  The
-- module's in-memory index reloads when it moves; last-seen and MAC-hint
-- updates (many per second) leave it alone.
CREATE TABLE store_meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO store_meta (key, value) VALUES ('generation', 1);

CREATE TRIGGER gen_accounts_ins AFTER INSERT ON accounts
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_accounts_upd AFTER UPDATE OF principal, role, status ON accounts
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_accounts_del AFTER DELETE ON accounts
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_devices_ins AFTER INSERT ON devices
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_devices_upd AFTER UPDATE OF account_id, cred_type, status, created_at, expires_at ON devices
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_devices_del AFTER DELETE ON devices
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_credentials_ins AFTER INSERT ON credentials
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_credentials_upd AFTER UPDATE ON credentials
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_credentials_del AFTER DELETE ON credentials
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_policies_ins AFTER INSERT ON role_policies
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_policies_upd AFTER UPDATE ON role_policies
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_policies_del AFTER DELETE ON role_policies
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
