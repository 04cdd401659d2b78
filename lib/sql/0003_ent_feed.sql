-- AVEC store, schema version 3: the ENT account feed (AAF).
--
-- The academic directory's people live in their own tables, keyed by their
-- AAF identifier; an account is linked to its person by the join key
-- (ENTPersonJointure).  Imports are recorded, one row each.

CREATE TABLE ent_imports (
	id          INTEGER PRIMARY KEY,
	started_at  INTEGER NOT NULL,
	finished_at INTEGER NOT NULL DEFAULT 0,
	kind        TEXT NOT NULL CHECK (kind IN ('Complet', 'Delta', 'expire')),
	files       TEXT NOT NULL DEFAULT '',	-- base names, ' '-separated
	records     INTEGER NOT NULL DEFAULT 0,
	added       INTEGER NOT NULL DEFAULT 0,
	changed     INTEGER NOT NULL DEFAULT 0,
	left_count  INTEGER NOT NULL DEFAULT 0,
	unchanged   INTEGER NOT NULL DEFAULT 0,
	suspended   INTEGER NOT NULL DEFAULT 0,	-- linked accounts suspended
	reactivated INTEGER NOT NULL DEFAULT 0,
	revoked     INTEGER NOT NULL DEFAULT 0,	-- devices, after the grace period
	errors      INTEGER NOT NULL DEFAULT 0,
	result      TEXT NOT NULL DEFAULT 'running'
	            CHECK (result IN ('running', 'ok', 'failed')),
	detail      TEXT NOT NULL DEFAULT ''	-- the error of a failed import
);

-- EtabEducNat records: a structure id as people refer to it, and its UAI.
CREATE TABLE ent_structures (
	id        TEXT PRIMARY KEY,
	uai       TEXT NOT NULL,
	name      TEXT NOT NULL DEFAULT '',
	last_seen INTEGER NOT NULL DEFAULT 0	-- ent_imports.id
) WITHOUT ROWID;

CREATE TABLE ent_people (
	id           TEXT PRIMARY KEY,		-- AAF identifier/id
	category     TEXT NOT NULL
	             CHECK (category IN ('Eleve', 'PersEducNat', 'PersRelEleve')),
	join_key     TEXT,			-- ENTPersonJointure
	role         TEXT NOT NULL CHECK (role IN ('student', 'teacher', 'staff', 'parent')),
	given_name   TEXT NOT NULL DEFAULT '',	-- display only
	sn           TEXT NOT NULL DEFAULT '',	-- display only
	status       TEXT NOT NULL DEFAULT 'present' CHECK (status IN ('present', 'left')),
	first_seen   INTEGER NOT NULL,		-- ent_imports.id
	last_seen    INTEGER NOT NULL,
	left_at      INTEGER NOT NULL DEFAULT 0,
	digest       TEXT NOT NULL DEFAULT ''	-- of the fields above and the two
						-- tables below: "unchanged" test
) WITHOUT ROWID;
CREATE UNIQUE INDEX ent_people_by_join ON ent_people (join_key)
	WHERE join_key IS NOT NULL;
CREATE INDEX ent_people_by_status ON ent_people (status, left_at);

-- Structure references of a person, by source attribute
-- (ENTPersonStructRattach, ENTEleveStructRattachId); resolved to a UAI
-- through ent_structures when read, so file order does not matter.
CREATE TABLE ent_person_structs (
	person_id TEXT NOT NULL REFERENCES ent_people(id) ON DELETE CASCADE,
	src       TEXT NOT NULL,
	struct_id TEXT NOT NULL,
	PRIMARY KEY (person_id, src, struct_id)
) WITHOUT ROWID;
CREATE INDEX ent_person_structs_by_struct ON ent_person_structs (struct_id);

-- Class and group memberships, "structId$name", by source attribute
-- (ENTEleveClasses, ENTEleveGroupes, ENTAuxEnsClasses, ENTAuxEnsGroupes).
CREATE TABLE ent_person_groups (
	person_id TEXT NOT NULL REFERENCES ent_people(id) ON DELETE CASCADE,
	src       TEXT NOT NULL,
	grp       TEXT NOT NULL,
	PRIMARY KEY (person_id, src, grp)
) WITHOUT ROWID;

-- An account's link to its person, and who suspended it: 'ent-feed' when
-- the feed did (a returning person reactivates it), '' otherwise.  Any
-- other change of status (an administrator's) clears the mark.
ALTER TABLE accounts ADD COLUMN join_key TEXT;
ALTER TABLE accounts ADD COLUMN suspended_by TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX accounts_by_join ON accounts (join_key)
	WHERE join_key IS NOT NULL;
CREATE TRIGGER accounts_status_by AFTER UPDATE OF status ON accounts
	WHEN NEW.status <> OLD.status AND NEW.suspended_by = OLD.suspended_by
	     AND NEW.suspended_by <> ''
BEGIN UPDATE accounts SET suspended_by = '' WHERE id = NEW.id; END;

INSERT OR IGNORE INTO settings (key, value) VALUES ('ent_grace_days', 7);
