-- AVEC store, schema version 8: what changed since the index's snapshot.
--
-- The RADIUS module's index keeps every device in memory.  Most changes
-- touch one device (a registration, a revocation, a block); reloading
-- everything for those takes seconds on a large store.  Two things let the
-- index apply them in milliseconds instead:
--
-- * device_changes, a journal of the devices whose decision inputs
--   changed (their row in devices or credentials, or a device block), one
--   row per change, in commit order (seq is the largest so far plus one:
--   the trim below never deletes the newest row, so seq never goes back);
-- * store_meta 'base_generation', bumped by every other change a decision
--   reads (accounts, role policies, overrides, holidays, account blocks,
--   school and group memberships).  While it stands still, the devices
--   named in the journal since a snapshot are the only difference.
--
-- 'generation' keeps moving on every change a decision reads, as before.
--
-- The journal keeps its newest 65536 rows, and at most 1024 more: every
-- 1024th insert deletes the rows 65536 behind it (a primary-key range, in
-- the writer's transaction; never on the RADIUS request path, which does
-- not write these tables).  An index further behind than that finds the
-- rows it needs gone (the oldest seq left is past its own) and reloads
-- everything, which it would do anyway for that many changes.

CREATE TABLE device_changes (
	seq       INTEGER PRIMARY KEY,
	device_id INTEGER NOT NULL
);
CREATE TRIGGER device_changes_trim AFTER INSERT ON device_changes
WHEN NEW.seq % 1024 = 0
BEGIN DELETE FROM device_changes WHERE seq <= NEW.seq - 65536; END;

INSERT INTO store_meta (key, value) VALUES ('base_generation', 1);

CREATE TRIGGER chg_devices_ins AFTER INSERT ON devices
BEGIN INSERT INTO device_changes (device_id) VALUES (NEW.id); END;
CREATE TRIGGER chg_devices_upd AFTER UPDATE OF account_id, cred_type, status, created_at, expires_at ON devices
BEGIN
	INSERT INTO device_changes (device_id) VALUES (OLD.id);
	INSERT INTO device_changes (device_id) SELECT NEW.id WHERE NEW.id <> OLD.id;
END;
CREATE TRIGGER chg_devices_del AFTER DELETE ON devices
BEGIN INSERT INTO device_changes (device_id) VALUES (OLD.id); END;
CREATE TRIGGER chg_credentials_ins AFTER INSERT ON credentials
BEGIN INSERT INTO device_changes (device_id) VALUES (NEW.device_id); END;
CREATE TRIGGER chg_credentials_upd AFTER UPDATE ON credentials
BEGIN
	INSERT INTO device_changes (device_id) VALUES (OLD.device_id);
	INSERT INTO device_changes (device_id) SELECT NEW.device_id
		WHERE NEW.device_id <> OLD.device_id;
END;
CREATE TRIGGER chg_credentials_del AFTER DELETE ON credentials
BEGIN INSERT INTO device_changes (device_id) VALUES (OLD.device_id); END;

-- A device block names the device by its id in text; an account block
-- changes every device of the account, like the account itself.
CREATE TRIGGER chg_blocks_ins AFTER INSERT ON blocks
BEGIN
	INSERT INTO device_changes (device_id) SELECT CAST(NEW.target AS INTEGER)
		WHERE NEW.kind = 'device';
	UPDATE store_meta SET value = value + 1
		WHERE key = 'base_generation' AND NEW.kind <> 'device';
END;
CREATE TRIGGER chg_blocks_upd AFTER UPDATE ON blocks
BEGIN
	INSERT INTO device_changes (device_id) SELECT CAST(OLD.target AS INTEGER)
		WHERE OLD.kind = 'device';
	INSERT INTO device_changes (device_id) SELECT CAST(NEW.target AS INTEGER)
		WHERE NEW.kind = 'device';
	UPDATE store_meta SET value = value + 1
		WHERE key = 'base_generation' AND (OLD.kind <> 'device' OR NEW.kind <> 'device');
END;
CREATE TRIGGER chg_blocks_del AFTER DELETE ON blocks
BEGIN
	INSERT INTO device_changes (device_id) SELECT CAST(OLD.target AS INTEGER)
		WHERE OLD.kind = 'device';
	UPDATE store_meta SET value = value + 1
		WHERE key = 'base_generation' AND OLD.kind <> 'device';
END;

CREATE TRIGGER base_accounts_ins AFTER INSERT ON accounts
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_accounts_upd AFTER UPDATE OF principal, role, status ON accounts
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_accounts_del AFTER DELETE ON accounts
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_policies_ins AFTER INSERT ON role_policies
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_policies_upd AFTER UPDATE ON role_policies
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_policies_del AFTER DELETE ON role_policies
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_overrides_ins AFTER INSERT ON policy_overrides
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_overrides_upd AFTER UPDATE ON policy_overrides
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_overrides_del AFTER DELETE ON policy_overrides
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_holidays_ins AFTER INSERT ON holidays
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_holidays_upd AFTER UPDATE ON holidays
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_holidays_del AFTER DELETE ON holidays
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_schools_ins AFTER INSERT ON account_schools
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_schools_upd AFTER UPDATE ON account_schools
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_schools_del AFTER DELETE ON account_schools
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_groups_ins AFTER INSERT ON account_groups
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_groups_upd AFTER UPDATE ON account_groups
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
CREATE TRIGGER base_groups_del AFTER DELETE ON account_groups
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'base_generation'; END;
