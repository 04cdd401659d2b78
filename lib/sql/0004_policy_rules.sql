-- AVEC store, schema version 4: the whole device policy.  Role policies
-- gain weekly windows (Europe/Paris) and a lifetime to a date; overrides
-- per school (UAI), class group and account change any of a role's
-- settings; holidays close windowed policies; block lists refuse one
-- account or one device whatever the policy says.

ALTER TABLE role_policies ADD COLUMN windows TEXT NOT NULL DEFAULT '';
ALTER TABLE role_policies ADD COLUMN lifetime_until INTEGER NOT NULL DEFAULT 0
	CHECK (lifetime_until = 0 OR (lifetime_until BETWEEN 101 AND 1231));

-- One override: for the accounts of a school, of a class group, or one
-- account; for one role ('' = every role).  NULL means "as inherited".
-- Applied in this order: school, group, account (the most specific last);
-- at one level, every-role rows before role rows.
CREATE TABLE policy_overrides (
	id              INTEGER PRIMARY KEY,
	scope           TEXT NOT NULL CHECK (scope IN ('school', 'group', 'account')),
	target          TEXT NOT NULL,
	role            TEXT NOT NULL DEFAULT ''
	                CHECK (role IN ('', 'student', 'teacher', 'staff', 'parent')),
	admitted        INTEGER CHECK (admitted IN (0, 1)),
	vlan            INTEGER CHECK (vlan BETWEEN 1 AND 4094),
	max_devices     INTEGER CHECK (max_devices BETWEEN 0 AND 1000),
	allowed_creds   TEXT,
	session_timeout INTEGER CHECK (session_timeout >= 0),
	device_lifetime INTEGER CHECK (device_lifetime >= 0),
	lifetime_until  INTEGER CHECK (lifetime_until = 0 OR (lifetime_until BETWEEN 101 AND 1231)),
	windows         TEXT,
	UNIQUE (scope, target, role)
);

-- School holidays, local dates YYYYMMDD, both days included.
CREATE TABLE holidays (
	first_day INTEGER NOT NULL,
	last_day  INTEGER NOT NULL,
	name      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (first_day, last_day),
	CHECK (first_day <= last_day)
) WITHOUT ROWID;

-- Block lists: an account (by principal) or a device (by id).
CREATE TABLE blocks (
	kind       TEXT NOT NULL CHECK (kind IN ('account', 'device')),
	target     TEXT NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	PRIMARY KEY (kind, target)
) WITHOUT ROWID;

CREATE TRIGGER gen_overrides_ins AFTER INSERT ON policy_overrides
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_overrides_upd AFTER UPDATE ON policy_overrides
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_overrides_del AFTER DELETE ON policy_overrides
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_holidays_ins AFTER INSERT ON holidays
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_holidays_del AFTER DELETE ON holidays
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_blocks_ins AFTER INSERT ON blocks
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_blocks_del AFTER DELETE ON blocks
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
-- School and class memberships decide which overrides apply.
CREATE TRIGGER gen_schools_ins AFTER INSERT ON account_schools
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_schools_del AFTER DELETE ON account_schools
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_groups_ins AFTER INSERT ON account_groups
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_groups_del AFTER DELETE ON account_groups
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
