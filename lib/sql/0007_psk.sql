-- AVEC store, schema version 7: per-device PSK, for devices without 802.1X.
--
-- A PSK device is known to the access point by its MAC address (the one
-- thing a WPA-Personal client shows before its key) and proven by its own
-- key: the AP asks RADIUS about the MAC, gets this device's key back in
-- Tunnel-Password, and only a client holding that key completes the
-- 4-way handshake.  The key must therefore be kept in clear: RADIUS hands
-- it to the AP.  It is a random secret made by AVEC, never a password a
-- person chose, and the store file is readable by the appliance alone.
--
-- devices.cred_type gains 'psk'.  SQLite cannot change a CHECK constraint
-- in place: the table is rebuilt (the store runs migrations with foreign
-- keys off and checks them before committing), with its index and its
-- triggers.
CREATE TABLE devices_v7 (
	id            INTEGER PRIMARY KEY,
	account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	name          TEXT NOT NULL,
	cred_type     TEXT NOT NULL CHECK (cred_type IN ('tls', 'ttls', 'peap', 'psk')),
	status        TEXT NOT NULL DEFAULT 'active'
	              CHECK (status IN ('active', 'revoked', 'expired')),
	created_at    INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL DEFAULT 0,	-- 0: no expiry
	last_seen     INTEGER NOT NULL DEFAULT 0,
	last_mac      TEXT NOT NULL DEFAULT '',	-- a hint, never an identity
	revoked_at    INTEGER NOT NULL DEFAULT 0,
	revoke_reason TEXT NOT NULL DEFAULT ''
);
INSERT INTO devices_v7 SELECT id, account_id, name, cred_type, status,
	created_at, expires_at, last_seen, last_mac, revoked_at, revoke_reason
	FROM devices;
DROP TABLE devices;
ALTER TABLE devices_v7 RENAME TO devices;
CREATE INDEX devices_by_account ON devices (account_id, status, created_at);
CREATE INDEX devices_by_last_mac ON devices (last_mac, last_seen);
CREATE TRIGGER gen_devices_ins AFTER INSERT ON devices
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_devices_upd AFTER UPDATE OF account_id, cred_type, status, created_at, expires_at ON devices
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER gen_devices_del AFTER DELETE ON devices
BEGIN UPDATE store_meta SET value = value + 1 WHERE key = 'generation'; END;

-- The PSK device's MAC ("aa:bb:cc:dd:ee:ff") and its key (8..63
-- printable ASCII, as WPA wants a passphrase).  One MAC may have had
-- several devices over time (a revoked one, then its successor); the
-- registration transaction lets only one of them be active.
ALTER TABLE credentials ADD COLUMN mac TEXT;
ALTER TABLE credentials ADD COLUMN psk TEXT NOT NULL DEFAULT '';
CREATE INDEX credentials_by_mac ON credentials (mac) WHERE mac IS NOT NULL;
