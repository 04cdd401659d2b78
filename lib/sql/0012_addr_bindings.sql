-- AVEC store, schema version 12: the addresses the network itself gave.
--
-- RADIUS accounting carries an address (Framed-IP-Address) only when the
-- access point learnt it, and late.  avec-addrd watches the role bridges
-- and records each address a station is given (a DHCPv4 ACK, a DHCPv6
-- Reply) or takes (IPv6 neighbour discovery: SLAAC and privacy
-- addresses), from that moment to its end.  One row per address held by
-- one MAC on one bridge: a renewed lease extends it, another MAC taking
-- the address ends it.  Who (account, device, principal) is copied from
-- the MAC's open RADIUS session, so that a requisition still names the
-- person after the account is erased.  Never a URL, never content.
CREATE TABLE addr_bindings (
	id          INTEGER PRIMARY KEY,
	address     TEXT NOT NULL,		-- canonical text (inet_ntop)
	family      INTEGER NOT NULL CHECK (family IN (4, 6)),
	mac         TEXT NOT NULL,		-- aa:bb:cc:dd:ee:ff
	source      TEXT NOT NULL CHECK (source IN ('dhcp', 'dhcpv6', 'nd')),
	bridge      TEXT NOT NULL DEFAULT '',
	vlan        INTEGER NOT NULL DEFAULT 0,	-- 0: unknown
	bound_at    INTEGER NOT NULL,		-- Unix seconds
	seen_at     INTEGER NOT NULL,		-- last ACK, Reply or ND frame
	expires_at  INTEGER NOT NULL,		-- lease end, or seen_at + ND lifetime
	ended_at    INTEGER NOT NULL DEFAULT 0,	-- 0: held until expires_at
	end_cause   TEXT NOT NULL DEFAULT '' CHECK (end_cause IN ('', 'expiry',
		'release', 'decline', 'nak', 'replaced', 'session-stop')),
	session_id  INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
	account_id  INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
	device_id   INTEGER REFERENCES devices(id) ON DELETE SET NULL,
	principal   TEXT NOT NULL DEFAULT ''
);
-- a requisition: an address at an instant
CREATE INDEX addr_bindings_by_address ON addr_bindings (address, bound_at);
-- the fold: a MAC's open bindings (a release, a Stop, a late session)
CREATE INDEX addr_bindings_by_mac ON addr_bindings (mac, ended_at);
-- expiry and retention
CREATE INDEX addr_bindings_open ON addr_bindings (ended_at, expires_at);
-- a person's export
CREATE INDEX addr_bindings_by_principal ON addr_bindings (principal, bound_at);
-- a session's row goes: the binding keeps its copy of who
CREATE INDEX addr_bindings_by_session ON addr_bindings (session_id);
