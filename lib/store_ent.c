/*
 * store_ent.c - the ENT account feed in the store: applying AAF imports,
 * the people and structures they describe, and what leaving means for
 * the accounts linked to them.
 *
 * This file owns what an AAF record means: a person's role (Eleve is a
 * student, PersRelEleve a parent, PersEducNat a teacher or staff from its
 * profiles, else its title, else its functions; docs/aaf.md), their structures and class groups, who has
 * left (missing from a Complet import of their school and category, or
 * deleted), and the consequences: a linked account suspended at once, its
 * devices revoked after the grace period, reactivated on return only if
 * the feed suspended it.  It also owns the import's guards: a Complet set
 * must be whole (every numbered part of a kind, from 0000 on), and an
 * import may not mark more than ent_max_departure_pct of a school's people
 * as departed unless told they did leave.  An import is ONE transaction;
 * any error or refusal rolls it all back and leaves only a 'failed' row
 * in ent_imports.
 *
 * It also owns which source an account's schools and groups come from.
 * The feed's, when the feed knows the account's person (a row of
 * ent_people with its join key): they are copied at link and at each
 * import, and a login leaves them alone.  Otherwise (no feed imported
 * yet, a join key the feed does not hold, no key at all) they are the
 * login's, and neither a link nor an import touches them.  Memberships a
 * person of the feed gave go when the account is linked elsewhere.
 *
 * It must never parse XML itself (aaf.c does), print anything, or keep a
 * person's data beyond what the decision and the listing need (names are
 * for display only; no address, birth date or INE is stored).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "avec/ent.h"
#include "store_int.h"

#define FEED_MARK "ent-feed"

/* Sources of structure references and of class groups. */
static const char *const STRUCT_SRCS[] = {
	"ENTPersonStructRattach", "ENTEleveStructRattachId",
};
static const char *const GROUP_SRCS[] = {
	"ENTEleveClasses", "ENTEleveGroupes", "ENTAuxEnsClasses",
	"ENTAuxEnsGroupes",
};
#define NSTRUCT_SRCS (sizeof(STRUCT_SRCS) / sizeof(STRUCT_SRCS[0]))
#define NGROUP_SRCS (sizeof(GROUP_SRCS) / sizeof(GROUP_SRCS[0]))

static const char SQL_IMPORT_BEGIN[] =
	"INSERT INTO ent_imports (started_at, kind, files) VALUES (?1, ?2, ?3) "
	"RETURNING id";
static const char SQL_IMPORT_END[] =
	"UPDATE ent_imports SET finished_at = ?2, records = ?3, added = ?4, "
	"changed = ?5, left_count = ?6, unchanged = ?7, suspended = ?8, "
	"reactivated = ?9, revoked = ?10, errors = ?11, result = 'ok' "
	"WHERE id = ?1";
static const char SQL_IMPORT_FAILED[] =
	"INSERT INTO ent_imports (started_at, finished_at, kind, files, "
	"result, detail) VALUES (?1, ?1, ?2, ?3, 'failed', ?4)";
static const char SQL_GRACE[] =
	"SELECT value FROM settings WHERE key = 'ent_grace_days'";
static const char SQL_MAX_DEPARTURE[] =
	"SELECT value FROM settings WHERE key = 'ent_max_departure_pct'";
/*
 * The school where this import's departures weigh most, if more than ?1
 * percent of its people: the people present before the import (present
 * now, or marked as departed by it), once per school (UAI, else the
 * structure id, else '' for people without a structure).
 */
static const char SQL_DEPARTURES[] =
	"SELECT school, sum(gone), count(*) FROM (SELECT DISTINCT "
	"coalesce(st.uai, s.struct_id, '') AS school, p.id AS pid, "
	"(m.id IS NOT NULL AND p.status = 'left') AS gone "
	"FROM ent_people p LEFT JOIN ent_person_structs s ON s.person_id = p.id "
	"LEFT JOIN ent_structures st ON st.id = s.struct_id "
	"LEFT JOIN temp.ent_mark m ON m.kind = 'left' AND m.id = p.id "
	"WHERE p.status = 'present' OR m.id IS NOT NULL) "
	"GROUP BY school HAVING sum(gone) * 100 > ?1 * count(*) "
	"ORDER BY sum(gone) * 1.0 / count(*) DESC, school LIMIT 1";

static const char SQL_STRUCT_PUT[] =
	"INSERT INTO ent_structures (id, uai, name, last_seen) "
	"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET "
	"uai = excluded.uai, name = excluded.name, last_seen = excluded.last_seen";
static const char SQL_STRUCT_TOUCH[] =
	"UPDATE ent_structures SET last_seen = ?2 WHERE id = ?1";
static const char SQL_STRUCT_DEL[] =
	"DELETE FROM ent_structures WHERE id = ?1";
static const char SQL_COVER_ADD[] =
	"INSERT OR IGNORE INTO temp.ent_cover (struct_id) VALUES (?1)";

static const char SQL_PERSON_GET[] =
	"SELECT category, join_key, role, given_name, sn, status, digest "
	"FROM ent_people WHERE id = ?1";
static const char SQL_PERSON_STRUCTS[] =
	"SELECT src, struct_id FROM ent_person_structs WHERE person_id = ?1";
static const char SQL_PERSON_GROUPS[] =
	"SELECT src, grp FROM ent_person_groups WHERE person_id = ?1";
static const char SQL_PERSON_INSERT[] =
	"INSERT INTO ent_people (id, category, join_key, role, given_name, sn, "
	"first_seen, last_seen, digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)";
static const char SQL_PERSON_UPDATE[] =
	"UPDATE ent_people SET category = ?2, join_key = ?3, role = ?4, "
	"given_name = ?5, sn = ?6, last_seen = ?7, digest = ?8, "
	"status = 'present', left_at = 0 WHERE id = ?1";
static const char SQL_PERSON_SEEN[] =
	"UPDATE ent_people SET last_seen = ?2 WHERE id = ?1";
static const char SQL_PERSON_LEAVE[] =
	"UPDATE ent_people SET status = 'left', left_at = ?2 WHERE id = ?1";
static const char SQL_STRUCTS_CLEAR[] =
	"DELETE FROM ent_person_structs WHERE person_id = ?1";
static const char SQL_GROUPS_CLEAR[] =
	"DELETE FROM ent_person_groups WHERE person_id = ?1";
static const char SQL_STRUCT_LINK[] =
	"INSERT OR IGNORE INTO ent_person_structs (person_id, src, struct_id) "
	"VALUES (?1, ?2, ?3)";
static const char SQL_GROUP_LINK[] =
	"INSERT OR IGNORE INTO ent_person_groups (person_id, src, grp) "
	"VALUES (?1, ?2, ?3)";
static const char SQL_MARK[] =
	"INSERT OR IGNORE INTO temp.ent_mark (kind, id) VALUES (?1, ?2)";

/* Complet: who of the covered schools and categories was not seen. */
static const char SQL_MISSING[] =
	"SELECT p.id FROM ent_people p WHERE p.status = 'present' "
	"AND p.last_seen <> ?1 "
	"AND p.category IN (SELECT cat FROM temp.ent_cats) "
	"AND (EXISTS (SELECT 1 FROM ent_person_structs s JOIN temp.ent_cover c "
	"ON c.struct_id = s.struct_id WHERE s.person_id = p.id) "
	"OR NOT EXISTS (SELECT 1 FROM ent_person_structs s WHERE s.person_id = p.id))";

static const char SQL_SUSPEND_LEFT[] =
	"UPDATE accounts SET status = 'suspended', suspended_by = '" FEED_MARK "', "
	"ended_at = ?1, updated_at = ?1 WHERE status = 'active' AND join_key IN "
	"(SELECT p.join_key FROM ent_people p JOIN temp.ent_mark m "
	"ON m.kind = 'left' AND m.id = p.id)";
static const char SQL_REACTIVATE[] =
	"UPDATE accounts SET status = 'active', suspended_by = '', "
	"ended_at = 0, updated_at = ?1 WHERE status = 'suspended' AND "
	"suspended_by = '" FEED_MARK "' AND join_key IN "
	"(SELECT p.join_key FROM ent_people p JOIN temp.ent_mark m "
	"ON m.kind = 'back' AND m.id = p.id)";
static const char SQL_SYNC_ROLE[] =
	"UPDATE accounts SET role = (SELECT p.role FROM ent_people p "
	"WHERE p.join_key = accounts.join_key), updated_at = ?1 "
	"WHERE join_key IS NOT NULL AND role <> coalesce((SELECT p.role FROM "
	"ent_people p WHERE p.join_key = accounts.join_key), role)";
/*
 * The accounts whose memberships are the feed's: linked to a person the
 * feed knows.  CROSS JOIN: from the linked accounts out.  ?1: one account
 * id, or NULL for all of them.
 */
#define FEED_OWNED_ACCOUNTS \
	"SELECT a.id FROM accounts a CROSS JOIN ent_people p ON " \
	"p.join_key = a.join_key WHERE a.join_key IS NOT NULL AND " \
	"(?1 IS NULL OR a.id = ?1)"
static const char SQL_SYNC_SCHOOLS_CLEAR[] =
	"DELETE FROM account_schools WHERE account_id IN (" FEED_OWNED_ACCOUNTS ")";
/* CROSS JOIN: from the linked accounts out (SQLite keeps that order), not
 * from every person's structures in to the few that have an account */
static const char SQL_SYNC_SCHOOLS[] =
	"INSERT OR IGNORE INTO account_schools (account_id, uai) "
	"SELECT a.id, st.uai FROM accounts a CROSS JOIN ent_people p ON "
	"p.join_key = a.join_key CROSS JOIN ent_person_structs s ON "
	"s.person_id = p.id CROSS JOIN ent_structures st ON st.id = s.struct_id "
	"WHERE a.join_key IS NOT NULL AND (?1 IS NULL OR a.id = ?1)";
static const char SQL_SYNC_GROUPS_CLEAR[] =
	"DELETE FROM account_groups WHERE account_id IN (" FEED_OWNED_ACCOUNTS ")";
#define GROUP_RESOLVED(g) \
	"CASE WHEN instr(" g ", '$') > 1 THEN coalesce((SELECT st.uai FROM " \
	"ent_structures st WHERE st.id = substr(" g ", 1, instr(" g ", '$') - 1)) " \
	"|| substr(" g ", instr(" g ", '$')), " g ") ELSE " g " END"
static const char SQL_SYNC_GROUPS[] =
	"INSERT OR IGNORE INTO account_groups (account_id, grp) "
	"SELECT a.id, " GROUP_RESOLVED("g.grp") " FROM accounts a JOIN ent_people p ON "
	"p.join_key = a.join_key JOIN ent_person_groups g ON g.person_id = p.id "
	"WHERE a.join_key IS NOT NULL AND (?1 IS NULL OR a.id = ?1)";

static const char SQL_EXPIRE[] =
	"UPDATE devices SET status = 'revoked', revoked_at = ?1, "
	"revoke_reason = '" AVEC_ENT_REVOKE_REASON "' WHERE status = 'active' "
	"AND account_id IN (SELECT a.id FROM accounts a JOIN ent_people p ON "
	"p.join_key = a.join_key WHERE a.status <> 'active' AND "
	"p.status = 'left' AND p.left_at <= ?2)";
static const char SQL_EXPIRE_LOG[] =
	"INSERT INTO ent_imports (started_at, finished_at, kind, revoked, result) "
	"VALUES (?1, ?1, 'expire', ?2, 'ok')";

/* an account's id, and whether the feed knows its person */
static const char SQL_ACCOUNT_FEED[] =
	"SELECT a.id, p.id IS NOT NULL FROM accounts a LEFT JOIN ent_people p "
	"ON p.join_key = a.join_key WHERE a.principal = ?1";
/* linked to a person who has already left: suspended as the feed would */
static const char SQL_LINK_LEFT[] =
	"UPDATE accounts SET status = 'suspended', suspended_by = '" FEED_MARK "', "
	"ended_at = CAST(strftime('%s', 'now') AS INTEGER), "
	"updated_at = CAST(strftime('%s', 'now') AS INTEGER) "
	"WHERE id = ?1 AND status = 'active' AND join_key IN "
	"(SELECT join_key FROM ent_people WHERE status = 'left')";
static const char SQL_LINK[] =
	"UPDATE accounts SET join_key = ?2 WHERE id = ?1";

static const char SQL_KEY_OWNER[] =
	"SELECT principal FROM accounts WHERE join_key = ?1";

static const char SQL_PEOPLE[] =
	"SELECT p.id, p.category, coalesce(p.join_key, ''), p.role, "
	"trim(p.given_name || ' ' || p.sn), p.status, p.first_seen, p.last_seen, "
	"p.left_at, coalesce((SELECT group_concat(uai, ' ') FROM (SELECT DISTINCT "
	"st.uai FROM ent_person_structs s JOIN ent_structures st ON "
	"st.id = s.struct_id WHERE s.person_id = p.id ORDER BY st.uai)), ''), "
	"coalesce((SELECT group_concat(r, ' ') FROM (SELECT DISTINCT "
	GROUP_RESOLVED("g.grp") " AS r FROM ent_person_groups g "
	"WHERE g.person_id = p.id ORDER BY r)), ''), "
	"coalesce((SELECT a.principal FROM accounts a WHERE a.join_key = p.join_key), '') "
	"FROM ent_people p WHERE (?1 = 0 OR p.status = 'left') AND (?2 IS NULL "
	"OR p.join_key = (SELECT join_key FROM accounts WHERE principal = ?2)) "
	"ORDER BY p.id";

static const char SQL_IMPORTS[] =
	"SELECT id, started_at, finished_at, kind, files, records, added, "
	"changed, left_count, unchanged, errors, suspended, reactivated, "
	"revoked, result, detail FROM ent_imports ORDER BY id DESC LIMIT ?1";

static const char SQL_TOTALS[] =
	"SELECT (SELECT count(*) FROM ent_people WHERE status = 'present'), "
	"(SELECT count(*) FROM ent_people WHERE status = 'left'), "
	"(SELECT count(*) FROM accounts a JOIN ent_people p ON p.join_key = a.join_key), "
	"(SELECT count(*) FROM ent_structures)";

bool
avec_join_key_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++)
		if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f)
			return false;
	return n >= 1 && n <= AVEC_JOIN_KEY_MAX;
}

/* ---- a person as derived from the feed ---- */

struct strlist {
	unsigned n, cap;
	char **v;		/* "src\x1fvalue" */
};

struct person {
	char category[16];
	char *join_key;		/* NULL: none */
	enum avec_role role;
	char *given, *sn;
	struct strlist structs, groups;
};

static void
list_free(struct strlist *l)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void
person_free(struct person *p)
{
	free(p->join_key);
	free(p->given);
	free(p->sn);
	list_free(&p->structs);
	list_free(&p->groups);
	memset(p, 0, sizeof(*p));
}

static int
list_add(struct strlist *l, const char *src, const char *val)
{
	unsigned i;
	size_t sl, vl;
	char *e;

	if (val == NULL || *val == '\0')
		return 0;
	sl = strlen(src);
	vl = strlen(val);
	if ((e = malloc(sl + vl + 2)) == NULL)
		return -1;
	memcpy(e, src, sl);
	e[sl] = '\x1f';
	memcpy(e + sl + 1, val, vl + 1);
	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], e) == 0) {
			free(e);
			return 0;
		}
	}
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 8;
		char **t = realloc(l->v, cap * sizeof(*t));

		if (t == NULL) {
			free(e);
			return -1;
		}
		l->v = t;
		l->cap = cap;
	}
	l->v[l->n++] = e;
	return 0;
}

static void
list_del(struct strlist *l, const char *src, const char *val)
{
	size_t sl = strlen(src);
	unsigned i;

	for (i = 0; i < l->n;) {
		if (strncmp(l->v[i], src, sl) == 0 && l->v[i][sl] == '\x1f' &&
		    (val == NULL || strcmp(l->v[i] + sl + 1, val) == 0)) {
			free(l->v[i]);
			l->v[i] = l->v[--l->n];
		} else {
			i++;
		}
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

/* An attribute that says what a record's values are now: NULL when
 * absent or when a modification only deletes some of its values. */
static const struct avec_aaf_attr *
now_attr(const struct avec_aaf_rec *rec, const char *name)
{
	const struct avec_aaf_attr *a = avec_aaf_attr(rec, name);

	return a != NULL && a->mod != AVEC_AAF_DELETE_VALUES ? a : NULL;
}

/* The first non-empty value of @a, or NULL. */
static const char *
first_of(const struct avec_aaf_attr *a)
{
	unsigned i;

	for (i = 0; a != NULL && i < a->nvalues; i++)
		if (a->values[i][0] != '\0')
			return a->values[i];
	return NULL;
}

/*
 * The role an ENTPersonFonctions value "UAI$TYPE$LABEL$DISCIPLINE$LABEL"
 * gives, through its TYPE (avec_role_of_profile: ENS teaching, any other
 * code staff).  0, or -1 for a value without a TYPE field.
 */
static int
function_role(const char *v, enum avec_role *role)
{
	const char *t = strchr(v, '$'), *e;
	char code[16];

	if (t == NULL)
		return -1;
	t++;
	e = strchr(t, '$');
	if (e == NULL)
		e = t + strlen(t);
	if (e == t || (size_t)(e - t) >= sizeof(code))
		return -1;
	memcpy(code, t, (size_t)(e - t));
	code[e - t] = '\0';
	if (avec_role_of_profile(code, role) < 0)
		*role = AVEC_ROLE_STAFF;	/* another function: not teaching */
	return 0;
}

/*
 * A PersEducNat's role, from the first of these the record gives (every
 * code goes through the one mapping, avec_role_of_profile):
 *   ENTPersonProfils     a teacher's profile: teacher; only others: staff
 *   title                its function code: ENS teacher, any other staff
 *   ENTPersonFonctions   a teaching function (ENS): teacher; only other
 *                        functions (DIR, EDU, ADF, DOC, ...): staff
 * With none of them, teacher.
 */
static enum avec_role
staff_role(const struct avec_aaf_attr *profils, const char *title,
	   const struct avec_aaf_attr *fonctions)
{
	unsigned i;
	bool any = false;
	enum avec_role r;

	if (profils != NULL) {
		for (i = 0; i < profils->nvalues; i++) {
			const char *v = profils->values[i];

			if (*v == '\0')
				continue;
			any = true;
			if (avec_role_of_profile(v, &r) == 0 &&
			    r == AVEC_ROLE_TEACHER)
				return AVEC_ROLE_TEACHER;
		}
		if (any)
			return AVEC_ROLE_STAFF;
	}
	if (title != NULL && *title != '\0')
		return avec_role_of_profile(title, &r) == 0 &&
		    r == AVEC_ROLE_TEACHER ? AVEC_ROLE_TEACHER : AVEC_ROLE_STAFF;
	if (fonctions != NULL) {
		for (i = 0; i < fonctions->nvalues; i++) {
			if (function_role(fonctions->values[i], &r) < 0)
				continue;
			any = true;
			if (r == AVEC_ROLE_TEACHER)
				return AVEC_ROLE_TEACHER;
		}
		if (any)
			return AVEC_ROLE_STAFF;
	}
	return AVEC_ROLE_TEACHER;
}

static int
category_role(const char *cat, enum avec_role *role)
{
	if (strcmp(cat, "Eleve") == 0)
		*role = AVEC_ROLE_STUDENT;
	else if (strcmp(cat, "PersRelEleve") == 0)
		*role = AVEC_ROLE_PARENT;
	else if (strcmp(cat, "PersEducNat") == 0)
		*role = AVEC_ROLE_TEACHER;
	else
		return -1;
	return 0;
}

/* Apply the attributes of @rec (an add, or a modify's modifications). */
static int
person_apply(struct person *p, const struct avec_aaf_rec *rec, bool whole)
{
	const struct avec_aaf_attr *a;
	unsigned i, k;

	if (whole || avec_aaf_attr(rec, "ENTPersonJointure") != NULL) {
		free(p->join_key);
		p->join_key = dup_or_null(avec_aaf_first(rec, "ENTPersonJointure"));
	}
	if (whole || avec_aaf_attr(rec, "givenName") != NULL) {
		free(p->given);
		p->given = dup_or_null(avec_aaf_first(rec, "givenName"));
	}
	if (whole || avec_aaf_attr(rec, "sn") != NULL) {
		free(p->sn);
		p->sn = dup_or_null(avec_aaf_first(rec, "sn"));
	}
	if (strcmp(p->category, "PersEducNat") == 0 &&
	    (whole || now_attr(rec, "ENTPersonProfils") != NULL ||
	     now_attr(rec, "title") != NULL ||
	     now_attr(rec, "ENTPersonFonctions") != NULL))
		p->role = staff_role(now_attr(rec, "ENTPersonProfils"),
				     first_of(now_attr(rec, "title")),
				     now_attr(rec, "ENTPersonFonctions"));
	for (k = 0; k < NSTRUCT_SRCS + NGROUP_SRCS; k++) {
		bool isgrp = k >= NSTRUCT_SRCS;
		const char *src = isgrp ? GROUP_SRCS[k - NSTRUCT_SRCS] : STRUCT_SRCS[k];
		struct strlist *l = isgrp ? &p->groups : &p->structs;

		a = avec_aaf_attr(rec, src);
		if (a == NULL) {
			if (whole)
				list_del(l, src, NULL);
			continue;
		}
		if (a->mod == AVEC_AAF_REPLACE)
			list_del(l, src, NULL);
		for (i = 0; i < a->nvalues; i++) {
			if (a->mod == AVEC_AAF_DELETE_VALUES)
				list_del(l, src, a->values[i]);
			else if (list_add(l, src, a->values[i]) < 0)
				return -1;
		}
	}
	return 0;
}

/* A digest of everything stored about @p (FNV-1a 64 over a canonical form). */
static void
person_digest(struct person *p, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	struct strlist *ls[2] = { &p->structs, &p->groups };
	const char *fields[5];
	unsigned i, j;

#define MIX(s) do { const unsigned char *q_ = (const unsigned char *)(s); \
	for (; *q_; q_++) { h ^= *q_; h *= 0x100000001b3ULL; } \
	h ^= 0x1e; h *= 0x100000001b3ULL; } while (0)
	fields[0] = p->category;
	fields[1] = p->join_key ? p->join_key : "";
	fields[2] = avec_role_name(p->role);
	fields[3] = p->given ? p->given : "";
	fields[4] = p->sn ? p->sn : "";
	for (i = 0; i < 5; i++)
		MIX(fields[i]);
	for (j = 0; j < 2; j++) {
		if (ls[j]->n > 1)
			qsort(ls[j]->v, ls[j]->n, sizeof(char *), cmp_str);
		MIX("|");
		for (i = 0; i < ls[j]->n; i++)
			MIX(ls[j]->v[i]);
	}
#undef MIX
	snprintf(out, 17, "%016" PRIx64, h);
}

/* ---- the import ---- */

struct imp {
	struct avec_store *st;
	const struct avec_ent_opts *o;
	int64_t id;
	int64_t now;
	bool complet;
	unsigned cats_seen;	/* bit per category already in ent_cats */
	/* structure ids already in temp.ent_cover: an open-addressing set
	 * (ncover < cover_cap / 2), so a person's structures cost no statement
	 * once their school is covered */
	char **cover;
	unsigned ncover, cover_cap;
	struct avec_ent_counts c;
	uint64_t done_before, total;
};

static int
rec_fail(const struct avec_aaf_rec *r, struct avec_err *err, const char *what)
{
	static const char *const names[] = { "addRequest", "modifyRequest",
					     "deleteRequest" };

	return avec_err_set(err, "%s:%ld: %s: %s", r->file, r->line,
			    names[r->op], what);
}

static int
rec_db_fail(struct imp *im, const struct avec_aaf_rec *r, struct avec_err *err)
{
	char what[200];

	snprintf(what, sizeof(what), "identifier %.64s: %s", r->id,
		 sqlite3_errmsg(im->st->db));
	return rec_fail(r, err, what);
}

static void
warn(struct imp *im, const struct avec_aaf_rec *r, const char *what)
{
	char msg[AVEC_ERR_MAX];

	im->c.errors++;
	if (im->o->warn == NULL)
		return;
	snprintf(msg, sizeof(msg), "%s:%ld: identifier %.64s: %s", r->file,
		 r->line, r->id, what);
	im->o->warn(msg, im->o->ctx);
}

/* Run a prepared statement with text/int bindings already made. */
static int
step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	store_done(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int
mark(struct imp *im, const char *kind, const char *id)
{
	sqlite3_stmt *s = store_stmt(im->st, SQL_MARK, NULL);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_TRANSIENT);
	return step_done(s);
}

/* FNV-1a of @n bytes of @s. */
static uint32_t
hash_bytes(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static void
cover_free(struct imp *im)
{
	unsigned i;

	for (i = 0; i < im->cover_cap; i++)
		free(im->cover[i]);
	free(im->cover);
	im->cover = NULL;
	im->ncover = im->cover_cap = 0;
}

/* Slot of @id in the cover set: where it is, or the empty one it goes in. */
static unsigned
cover_slot(char **set, unsigned cap, const char *id)
{
	unsigned i = hash_bytes(id, strlen(id)) & (cap - 1);

	while (set[i] != NULL && strcmp(set[i], id) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

/* Structure @id is covered by this Complet import: into temp.ent_cover,
 * once. */
static int
cover_add(struct imp *im, const char *id)
{
	sqlite3_stmt *s;
	unsigned i;

	if (im->ncover + 1 > im->cover_cap / 2) {
		unsigned cap = im->cover_cap ? im->cover_cap * 2 : 64, j;
		char **t = calloc(cap, sizeof(*t));

		if (t == NULL)
			return -1;
		for (j = 0; j < im->cover_cap; j++)
			if (im->cover[j] != NULL)
				t[cover_slot(t, cap, im->cover[j])] = im->cover[j];
		free(im->cover);
		im->cover = t;
		im->cover_cap = cap;
	}
	i = cover_slot(im->cover, im->cover_cap, id);
	if (im->cover[i] != NULL)
		return 0;
	if ((s = store_stmt(im->st, SQL_COVER_ADD, NULL)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (step_done(s) < 0)
		return -1;
	if ((im->cover[i] = strdup(id)) == NULL)
		return -1;
	im->ncover++;
	return 0;
}

static int
structure_rec(struct imp *im, const struct avec_aaf_rec *r, struct avec_err *err)
{
	const char *uai, *name;
	sqlite3_stmt *s;

	if (r->op == AVEC_AAF_DELETE) {
		if ((s = store_stmt(im->st, SQL_STRUCT_DEL, err)) == NULL)
			return -1;
		sqlite3_bind_text(s, 1, r->id, -1, SQLITE_STATIC);
		return step_done(s) < 0 ? rec_db_fail(im, r, err) : 0;
	}
	uai = avec_aaf_first(r, "ENTStructureUAI");
	if (uai == NULL)
		uai = avec_aaf_first(r, "ENTEtablissementUAI");
	name = avec_aaf_first(r, "ENTStructureNomCourant");
	if (uai == NULL && r->op == AVEC_AAF_ADD)
		return rec_fail(r, err, "structure without ENTStructureUAI");
	if (uai != NULL && (strlen(uai) > AVEC_UAI_MAX || !avec_join_key_valid(uai)))
		return rec_fail(r, err, "invalid ENTStructureUAI");
	if (uai != NULL) {
		if ((s = store_stmt(im->st, SQL_STRUCT_PUT, err)) == NULL)
			return -1;
		sqlite3_bind_text(s, 1, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, uai, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, name ? name : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, im->id);
	} else {
		if ((s = store_stmt(im->st, SQL_STRUCT_TOUCH, err)) == NULL)
			return -1;
		sqlite3_bind_text(s, 1, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, im->id);
	}
	if (step_done(s) < 0)
		return rec_db_fail(im, r, err);
	return cover_add(im, r->id) < 0 ? rec_db_fail(im, r, err) : 0;
}

/* Load a stored person; 0, AVEC_STORE_NOTFOUND or -1. */
static int
person_load(struct imp *im, const char *id, struct person *p, bool *left,
	    char digest[17])
{
	sqlite3_stmt *s = store_stmt(im->st, SQL_PERSON_GET, NULL);
	int rc, k;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		store_done(s);
		return rc == SQLITE_DONE ? AVEC_STORE_NOTFOUND : -1;
	}
	store_text(p->category, sizeof(p->category), s, 0);
	p->join_key = dup_or_null((const char *)sqlite3_column_text(s, 1));
	if (avec_role_parse((const char *)sqlite3_column_text(s, 2), &p->role) < 0)
		p->role = AVEC_ROLE_STUDENT;
	p->given = dup_or_null((const char *)sqlite3_column_text(s, 3));
	p->sn = dup_or_null((const char *)sqlite3_column_text(s, 4));
	*left = strcmp((const char *)sqlite3_column_text(s, 5), "left") == 0;
	store_text(digest, 17, s, 6);
	store_done(s);
	for (k = 0; k < 2; k++) {
		s = store_stmt(im->st, k ? SQL_PERSON_GROUPS : SQL_PERSON_STRUCTS, NULL);
		if (s == NULL)
			return -1;
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			if (list_add(k ? &p->groups : &p->structs,
				     (const char *)sqlite3_column_text(s, 0),
				     (const char *)sqlite3_column_text(s, 1)) < 0)
				break;
		store_done(s);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

static int
person_write(struct imp *im, const char *id, struct person *p, bool insert,
	     const char *digest)
{
	sqlite3_stmt *s;
	unsigned i, k;

	s = store_stmt(im->st, insert ? SQL_PERSON_INSERT : SQL_PERSON_UPDATE, NULL);
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, p->category, -1, SQLITE_STATIC);
	if (p->join_key != NULL)
		sqlite3_bind_text(s, 3, p->join_key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_text(s, 4, avec_role_name(p->role), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, p->given ? p->given : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, p->sn ? p->sn : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, im->id);
	sqlite3_bind_text(s, 8, digest, -1, SQLITE_STATIC);
	if (step_done(s) < 0)
		return -1;
	if (!insert) {
		for (k = 0; k < 2; k++) {
			s = store_stmt(im->st, k ? SQL_GROUPS_CLEAR : SQL_STRUCTS_CLEAR, NULL);
			if (s == NULL)
				return -1;
			sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
			if (step_done(s) < 0)
				return -1;
		}
	}
	for (k = 0; k < 2; k++) {
		struct strlist *l = k ? &p->groups : &p->structs;

		for (i = 0; i < l->n; i++) {
			char *sep = strchr(l->v[i], '\x1f');

			s = store_stmt(im->st, k ? SQL_GROUP_LINK : SQL_STRUCT_LINK, NULL);
			if (s == NULL || sep == NULL)
				return -1;
			sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, l->v[i], (int)(sep - l->v[i]), SQLITE_STATIC);
			sqlite3_bind_text(s, 3, sep + 1, -1, SQLITE_STATIC);
			if (step_done(s) < 0)
				return -1;
			if (k == 0 && im->complet && cover_add(im, sep + 1) < 0)
				return -1;
		}
	}
	return 0;
}

static int
person_leave(struct imp *im, const char *id)
{
	sqlite3_stmt *s = store_stmt(im->st, SQL_PERSON_LEAVE, NULL);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, im->now);
	if (step_done(s) < 0)
		return -1;
	im->c.left++;
	return mark(im, "left", id);
}

static int
cat_seen(struct imp *im, const char *cat)
{
	unsigned bit = 1u << (cat[0] == 'E' ? 0 : strcmp(cat, "PersEducNat") == 0 ? 1 : 2);
	char sql[96];

	if (im->cats_seen & bit)
		return 0;
	im->cats_seen |= bit;
	/* the category is one of three known words, checked by the caller */
	snprintf(sql, sizeof(sql),
		 "INSERT OR IGNORE INTO temp.ent_cats (cat) VALUES ('%s')", cat);
	return store_exec(im->st, sql, NULL);
}

static int
on_record(const struct avec_aaf_rec *r, void *arg, struct avec_err *err)
{
	struct imp *im = arg;
	struct person p;
	char old_digest[17] = "", digest[17];
	enum avec_role role;
	bool left = false;
	int rc, found;

	im->c.records++;
	if (strcmp(r->category, "EtabEducNat") == 0)
		return structure_rec(im, r, err);
	if (category_role(r->category, &role) < 0)
		return rec_fail(r, err, "unknown category (expected Eleve, "
				"PersEducNat, PersRelEleve or EtabEducNat)");
	if (strlen(r->id) > 64 || !avec_join_key_valid(r->id))
		return rec_fail(r, err, "invalid identifier");
	if (im->complet && cat_seen(im, r->category) < 0)
		return rec_db_fail(im, r, err);

	memset(&p, 0, sizeof(p));
	found = person_load(im, r->id, &p, &left, old_digest);
	if (found < 0) {
		person_free(&p);
		return rec_db_fail(im, r, err);
	}
	if (found == 0 && strcmp(p.category, r->category) != 0) {
		person_free(&p);
		return rec_fail(r, err, "identifier already used by a person "
				"of another category");
	}
	switch (r->op) {
	case AVEC_AAF_DELETE:
		person_free(&p);
		if (found != 0) {
			warn(im, r, "deleteRequest for an unknown person: skipped");
			return 0;
		}
		if (left) {
			im->c.unchanged++;
			return 0;
		}
		return person_leave(im, r->id) < 0 ? rec_db_fail(im, r, err) : 0;
	case AVEC_AAF_MODIFY:
		if (found != 0) {
			person_free(&p);
			warn(im, r, "modifyRequest for an unknown person: skipped");
			return 0;
		}
		rc = person_apply(&p, r, false);
		break;
	case AVEC_AAF_ADD:
	default:
		if (found != 0) {
			person_free(&p);
			memset(&p, 0, sizeof(p));
			snprintf(p.category, sizeof(p.category), "%s", r->category);
		}
		p.role = role;
		rc = person_apply(&p, r, true);
		break;
	}
	if (rc < 0) {
		person_free(&p);
		return rec_fail(r, err, "out of memory");
	}
	if (p.join_key != NULL && !avec_join_key_valid(p.join_key)) {
		person_free(&p);
		return rec_fail(r, err, "invalid ENTPersonJointure");
	}
	person_digest(&p, digest);
	if (found == 0 && !left && strcmp(digest, old_digest) == 0) {
		sqlite3_stmt *s = store_stmt(im->st, SQL_PERSON_SEEN, err);

		rc = -1;
		if (s != NULL) {
			sqlite3_bind_text(s, 1, r->id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, im->id);
			rc = step_done(s);
		}
		if (rc == 0 && im->complet) {
			/* its structures still count as covered */
			unsigned i;

			for (i = 0; i < p.structs.n && rc == 0; i++) {
				char *sep = strchr(p.structs.v[i], '\x1f');

				rc = sep != NULL ? cover_add(im, sep + 1) : -1;
			}
		}
		im->c.unchanged++;
	} else {
		rc = person_write(im, r->id, &p, found != 0, digest);
		if (found != 0)
			im->c.added++;
		else
			im->c.changed++;
		if (rc == 0 && found == 0 && left)
			rc = mark(im, "back", r->id);
	}
	person_free(&p);
	return rc < 0 ? rec_db_fail(im, r, err) : 0;
}

static void
on_progress(uint64_t done, uint64_t total, void *arg)
{
	struct imp *im = arg;

	(void)total;
	if (im->o->progress != NULL)
		im->o->progress(im->done_before + done, im->total, im->o->ctx);
}

static int
grace_days(struct avec_store *st, int given, struct avec_err *err)
{
	sqlite3_stmt *s;
	int v = 7;

	if (given >= 0)
		return given;
	if ((s = store_stmt(st, SQL_GRACE, err)) == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	store_done(s);
	return v < 0 ? 0 : v;
}

/* Revoke devices past the grace period; inside the caller's transaction. */
static int
expire_devices(struct avec_store *st, int64_t now, int days, uint64_t *revoked,
	       struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_EXPIRE, err);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, now - (int64_t)days * 86400);
	if (step_done(s) < 0)
		return store_fail(st, err, "revoking the devices of people who left");
	*revoked = (uint64_t)sqlite3_changes(st->db);
	return 0;
}

/* Run the @n statements @sqls, ?1 bound to @account (0: NULL). */
static int
run_for_account(struct avec_store *st, const char *const *sqls, unsigned n,
		int64_t account, struct avec_err *err)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		sqlite3_stmt *s = store_stmt(st, sqls[i], err);

		if (s == NULL)
			return -1;
		if (account != 0)
			sqlite3_bind_int64(s, 1, account);
		if (step_done(s) < 0)
			return store_fail(st, err, "copying schools and groups to accounts");
	}
	return 0;
}

/*
 * The feed's schools and groups to the accounts linked to a person it
 * knows (@account 0: all of them); the others keep theirs.
 */
static int
sync_accounts(struct avec_store *st, int64_t account, struct avec_err *err)
{
	static const char *const sqls[] = {
		SQL_SYNC_SCHOOLS_CLEAR, SQL_SYNC_SCHOOLS,
		SQL_SYNC_GROUPS_CLEAR, SQL_SYNC_GROUPS,
	};

	return run_for_account(st, sqls, 4, account, err);
}

/* Drop @account's schools and groups if they are its person's (the feed's). */
static int
unsync_account(struct avec_store *st, int64_t account, struct avec_err *err)
{
	static const char *const sqls[] = {
		SQL_SYNC_SCHOOLS_CLEAR, SQL_SYNC_GROUPS_CLEAR,
	};

	return run_for_account(st, sqls, 2, account, err);
}

/*
 * The id of @principal's account and whether the feed knows its person
 * (*known may be NULL): 0, AVEC_STORE_NOTFOUND or -1.
 */
static int
account_feed(struct avec_store *st, const char *principal, int64_t *id,
	     bool *known, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_ACCOUNT_FEED, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, principal, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		if (known != NULL)
			*known = sqlite3_column_int(s, 1) != 0;
	}
	store_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE) {
		avec_err_set(err, "no account %s", principal);
		return AVEC_STORE_NOTFOUND;
	}
	return store_fail(st, err, "reading an account");
}

static int
run_changes(struct avec_store *st, const char *sql, int64_t now,
	    uint64_t *count, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, sql, err);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	if (step_done(s) < 0)
		return store_fail(st, err, "updating linked accounts");
	if (count != NULL)
		*count = (uint64_t)sqlite3_changes(st->db);
	return 0;
}

/*
 * Refuse (-1, @err says how many people, of which school, and why) when
 * this import's departures are more than the setting
 * ent_max_departure_pct of one school's people.
 */
static int
departure_guard(struct imp *im, struct avec_err *err)
{
	struct avec_store *st = im->st;
	sqlite3_stmt *s;
	int64_t pct = 5;
	int rc;

	if ((s = store_stmt(st, SQL_MAX_DEPARTURE, err)) == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		pct = sqlite3_column_int64(s, 0);
	store_done(s);
	if ((s = store_stmt(st, SQL_DEPARTURES, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, pct);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *school = (const char *)sqlite3_column_text(s, 0);
		int64_t gone = sqlite3_column_int64(s, 1);
		int64_t all = sqlite3_column_int64(s, 2);

		avec_err_set(err, "%" PRId64 " of the %" PRId64 " people of "
			     "%s%.16s (%" PRId64 " %%) would be marked as "
			     "departed, more than ent_max_departure_pct "
			     "(%" PRId64 " %%): an incomplete set? If they did "
			     "leave, import with --allow-mass-departure", gone,
			     all, school != NULL && *school ? "school " :
			     "no school", school != NULL ? school : "",
			     all > 0 ? gone * 100 / all : 100, pct);
		store_done(s);
		return -1;
	}
	store_done(s);
	return rc == SQLITE_DONE ? 0 :
	    store_fail(st, err, "counting the people who left");
}

static int
finish_import(struct imp *im, struct avec_err *err)
{
	struct avec_store *st = im->st;
	sqlite3_stmt *s;
	int days, rc;

	if (im->complet) {
		char **ids = NULL;
		size_t n = 0, cap = 0, i;

		if ((s = store_stmt(st, SQL_MISSING, err)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, im->id);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (n == cap) {
				char **t;

				cap = cap ? cap * 2 : 64;
				if ((t = realloc(ids, cap * sizeof(*t))) == NULL)
					break;
				ids = t;
			}
			if ((ids[n] = strdup((const char *)sqlite3_column_text(s, 0))) == NULL)
				break;
			n++;
		}
		store_done(s);
		rc = rc == SQLITE_DONE ? 0 : -1;
		for (i = 0; i < n; i++) {
			if (rc == 0 && person_leave(im, ids[i]) < 0)
				rc = -1;
			free(ids[i]);
		}
		free(ids);
		if (rc < 0)
			return store_fail(st, err, "marking the people who left");
	}
	if (im->c.left > 0 && !im->o->allow_mass_departure &&
	    departure_guard(im, err) < 0)
		return -1;
	if (run_changes(st, SQL_SUSPEND_LEFT, im->now, &im->c.suspended, err) < 0 ||
	    run_changes(st, SQL_REACTIVATE, im->now, &im->c.reactivated, err) < 0 ||
	    run_changes(st, SQL_SYNC_ROLE, im->now, NULL, err) < 0 ||
	    sync_accounts(st, 0, err) < 0)
		return -1;
	if ((days = grace_days(st, im->o->grace_days, err)) < 0 ||
	    expire_devices(st, im->now, days, &im->c.revoked, err) < 0)
		return -1;
	if ((s = store_stmt(st, SQL_IMPORT_END, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, im->id);
	sqlite3_bind_int64(s, 2, im->now);
	sqlite3_bind_int64(s, 3, (int64_t)im->c.records);
	sqlite3_bind_int64(s, 4, (int64_t)im->c.added);
	sqlite3_bind_int64(s, 5, (int64_t)im->c.changed);
	sqlite3_bind_int64(s, 6, (int64_t)im->c.left);
	sqlite3_bind_int64(s, 7, (int64_t)im->c.unchanged);
	sqlite3_bind_int64(s, 8, (int64_t)im->c.suspended);
	sqlite3_bind_int64(s, 9, (int64_t)im->c.reactivated);
	sqlite3_bind_int64(s, 10, (int64_t)im->c.revoked);
	sqlite3_bind_int64(s, 11, (int64_t)im->c.errors);
	if (step_done(s) < 0)
		return store_fail(st, err, "recording the import");
	return 0;
}

static const char *
base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/*
 * A numbered part's name, ..._<KIND>_<NNNN>.xml: its kind into @kind, the
 * name up to the number into *@prefix_len, its number into *@num.  false
 * when the name is not numbered so.
 */
static bool
part_of(const char *base, char kind[40], size_t *prefix_len, unsigned *num)
{
	size_t len = strlen(base), e, d, k;

	if (len < 4 || strcasecmp(base + len - 4, ".xml") != 0)
		return false;
	e = len - 4;
	for (d = e; d > 0 && base[d - 1] >= '0' && base[d - 1] <= '9'; d--)
		;
	if (d == e || e - d > 6 || d < 2 || base[d - 1] != '_')
		return false;
	for (k = d - 1; k > 0 && base[k - 1] != '_'; k--)
		;
	if (d - 1 - k == 0 || d - 1 - k >= 40)
		return false;
	memcpy(kind, base + k, d - 1 - k);
	kind[d - 1 - k] = '\0';
	*prefix_len = d;
	*num = (unsigned)strtoul(base + d, NULL, 10);
	return true;
}

/*
 * A Complet set is whole: the numbered parts of each kind come from one
 * export and are numbered 0000, 0001, ... without a gap or a repeat.
 * 0, or -1 with @err saying which kind is incomplete.
 */
static int
check_complet_set(const char *const *files, unsigned nfiles,
		  struct avec_err *err)
{
	unsigned i, j;

	for (i = 0; i < nfiles; i++) {
		const char *bi = base_name(files[i]);
		char kind[40], kj[40];
		size_t pl, plj;
		unsigned num, nj, n = 0, max = 0, missing;
		bool dup = false, two = false;
		unsigned char *seen;

		if (!part_of(bi, kind, &pl, &num))
			continue;
		/* the first file of its kind speaks for the kind */
		for (j = 0; j < i; j++)
			if (part_of(base_name(files[j]), kj, &plj, &nj) &&
			    strcmp(kj, kind) == 0)
				break;
		if (j < i)
			continue;
		for (j = i; j < nfiles; j++) {
			const char *bj = base_name(files[j]);

			if (!part_of(bj, kj, &plj, &nj) || strcmp(kj, kind) != 0)
				continue;
			if (plj != pl || strncmp(bj, bi, pl) != 0)
				two = true;
			if (nj > max)
				max = nj;
			n++;
		}
		if (two)
			return avec_err_set(err, "incomplete Complet set: its "
					    "%s parts come from two exports "
					    "(%.*s...): import one whole "
					    "export", kind, (int)(pl > 60 ? 60 : pl), bi);
		if ((seen = calloc((size_t)max + 1, 1)) == NULL)
			return avec_err_set(err, "out of memory");
		for (j = i; j < nfiles; j++) {
			if (!part_of(base_name(files[j]), kj, &plj, &nj) ||
			    strcmp(kj, kind) != 0)
				continue;
			if (seen[nj])
				dup = true;
			seen[nj] = 1;
		}
		for (missing = 0; missing <= max && seen[missing]; missing++)
			;
		free(seen);
		if (dup)
			return avec_err_set(err, "incomplete Complet set: a %s "
					    "part is given twice", kind);
		if (missing <= max)
			return avec_err_set(err, "incomplete Complet set: %s "
					    "part %04u is missing (%u part(s) "
					    "given, up to %04u): a split "
					    "Complet is imported whole, every "
					    "part from 0000 on", kind, missing,
					    n, max);
	}
	return 0;
}

/* An import refused before it started: a 'failed' row says why. */
static void
record_refusal(struct avec_store *st, int64_t now, bool complet,
	       const char *names, const char *why)
{
	sqlite3_stmt *s = store_stmt(st, SQL_IMPORT_FAILED, NULL);

	if (s == NULL)
		return;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_text(s, 2, complet ? "Complet" : "Delta", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, names, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, why, -1, SQLITE_STATIC);
	step_done(s);
}

int
avec_ent_import(struct avec_store *st, const char *const *files,
		unsigned nfiles, const struct avec_ent_opts *o,
		struct avec_ent_counts *out, int64_t *import_id,
		struct avec_err *err)
{
	static const char *const cats[] = { "Eleve", "PersEducNat", "PersRelEleve" };
	enum avec_ent_kind kind = o->kind;
	struct imp im;
	char names[1024] = "";
	size_t nl = 0;
	sqlite3_stmt *s;
	unsigned i, k;
	int rc = -1;

	memset(&im, 0, sizeof(im));
	im.st = st;
	im.o = o;
	im.now = o->now;
	for (i = 0; i < nfiles; i++) {
		const char *b = base_name(files[i]);
		enum avec_ent_kind fk = strstr(b, "_Delta_") ? AVEC_ENT_DELTA :
		    strstr(b, "_Complet_") ? AVEC_ENT_COMPLET : AVEC_ENT_AUTO;
		struct stat sb;

		if (o->kind == AVEC_ENT_AUTO && fk != AVEC_ENT_AUTO) {
			if (kind != AVEC_ENT_AUTO && kind != fk)
				return avec_err_set(err, "%s: a Delta file and a "
						    "Complet file in one import", b);
			kind = fk;
		}
		if (stat(files[i], &sb) == 0)
			im.total += (uint64_t)sb.st_size;
		if (nl < sizeof(names) - 1)
			nl += (size_t)snprintf(names + nl, sizeof(names) - nl,
					       "%s%s", i ? " " : "", b);
	}
	if (nl >= sizeof(names))
		strcpy(names + sizeof(names) - 4, "...");
	im.complet = kind != AVEC_ENT_DELTA;
	if (im.complet && check_complet_set(files, nfiles, err) < 0) {
		record_refusal(st, im.now, true, names, err != NULL ? err->msg : "");
		return -1;
	}

	/*
	 * A whole region's import is one transaction: give it a page cache
	 * that holds its working set (32 MB; SQLite's default of 2 MB spills
	 * to the file mid-transaction) and keep the temporary tables in memory.
	 */
	if (store_exec(st, "PRAGMA temp_store = MEMORY", err) < 0 ||
	    store_exec(st, "PRAGMA cache_size = -32768", err) < 0)
		return -1;
	/*
	 * The people tables' CHECK (x IN ('...', ...)) constraints cost SQLite
	 * two ephemeral tables per row written, more than the row itself.
	 * Every value the import writes to a checked column is one of the
	 * closed set in C (category_role() has accepted the category, the role
	 * is avec_role_name(), status and kind are literals), so the import's
	 * statements are compiled without them; the pragma recompiles the
	 * cached statements each time it changes and is turned back off below
	 * whatever the outcome.
	 */
	if (store_exec(st, "PRAGMA ignore_check_constraints = ON", err) < 0)
		return -1;
	if (store_exec(st, "CREATE TEMP TABLE IF NOT EXISTS ent_cover "
		       "(struct_id TEXT PRIMARY KEY) WITHOUT ROWID", err) < 0 ||
	    store_exec(st, "CREATE TEMP TABLE IF NOT EXISTS ent_cats "
		       "(cat TEXT PRIMARY KEY) WITHOUT ROWID", err) < 0 ||
	    store_exec(st, "CREATE TEMP TABLE IF NOT EXISTS ent_mark "
		       "(kind TEXT, id TEXT, PRIMARY KEY (kind, id)) WITHOUT ROWID",
		       err) < 0 ||
	    store_exec(st, "BEGIN IMMEDIATE", err) < 0) {
		store_exec(st, "PRAGMA ignore_check_constraints = OFF", NULL);
		return -1;
	}
	if (store_exec(st, "DELETE FROM temp.ent_cover; DELETE FROM temp.ent_cats; "
		       "DELETE FROM temp.ent_mark", err) < 0)
		goto fail;
	if ((s = store_stmt(st, SQL_IMPORT_BEGIN, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, im.now);
	sqlite3_bind_text(s, 2, im.complet ? "Complet" : "Delta", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, names, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_fail(st, err, "starting an import");
		store_done(s);
		goto fail;
	}
	im.id = sqlite3_column_int64(s, 0);
	store_done(s);
	/* the categories a Complet file names are covered even if empty */
	for (i = 0; im.complet && i < nfiles; i++) {
		for (k = 0; k < 3; k++) {
			char pat[32];

			snprintf(pat, sizeof(pat), "_%s_", cats[k]);
			if (strstr(base_name(files[i]), pat) && cat_seen(&im, cats[k]) < 0) {
				store_fail(st, err, "starting an import");
				goto fail;
			}
		}
	}
	for (i = 0; i < nfiles; i++) {
		struct stat sb;

		rc = avec_aaf_parse_file(files[i], on_record, &im, on_progress,
					 &im, err);
		if (rc != 0)
			goto fail;
		if (stat(files[i], &sb) == 0)
			im.done_before += (uint64_t)sb.st_size;
	}
	if (finish_import(&im, err) < 0 || store_exec(st, "COMMIT", err) < 0)
		goto fail;
	cover_free(&im);
	store_exec(st, "PRAGMA ignore_check_constraints = OFF", NULL);
	if (out != NULL)
		*out = im.c;
	if (import_id != NULL)
		*import_id = im.id;
	return 0;
fail:
	cover_free(&im);
	store_rollback(st);
	store_exec(st, "PRAGMA ignore_check_constraints = OFF", NULL);
	/* the failure itself is recorded, outside the rolled-back work */
	record_refusal(st, im.now, im.complet, names, err != NULL ? err->msg : "");
	return -1;
}

int
avec_ent_expire(struct avec_store *st, int64_t now, int days,
		uint64_t *revoked, struct avec_err *err)
{
	uint64_t n = 0;
	sqlite3_stmt *s;

	if (store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if ((days = grace_days(st, days, err)) < 0 ||
	    expire_devices(st, now, days, &n, err) < 0)
		goto fail;
	if ((s = store_stmt(st, SQL_EXPIRE_LOG, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, (int64_t)n);
	if (step_done(s) < 0) {
		store_fail(st, err, "recording the expiry");
		goto fail;
	}
	if (store_exec(st, "COMMIT", err) < 0)
		goto fail;
	if (revoked != NULL)
		*revoked = n;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

int
avec_ent_link(struct avec_store *st, const char *principal, const char *key,
	      struct avec_err *err)
{
	sqlite3_stmt *s;
	int64_t id = 0;
	int rc;

	if (store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if ((rc = account_feed(st, principal, &id, NULL, err)) != 0) {
		store_rollback(st);
		return rc;
	}
	/* the previous person's schools and groups go (only the feed's) */
	if (unsync_account(st, id, err) < 0)
		goto fail;
	if ((s = store_stmt(st, SQL_LINK, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	if (key != NULL)
		sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 2);
	rc = sqlite3_step(s);
	store_done(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		store_rollback(st);
		avec_err_set(err, "join key %s is already linked to another account", key);
		return AVEC_STORE_EXISTS;
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, err, "linking an account to its person");
		goto fail;
	}
	if ((s = store_stmt(st, SQL_LINK_LEFT, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	if (step_done(s) < 0) {
		store_fail(st, err, "linking an account to its person");
		goto fail;
	}
	/* the new person's come, if the feed knows it */
	if (sync_accounts(st, id, err) < 0 || store_exec(st, "COMMIT", err) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

int
avec_ent_login_memberships(struct avec_store *st, const char *principal,
			   const char *const *schools, unsigned nschools,
			   const char *const *groups, unsigned ngroups,
			   bool *applied, struct avec_err *err)
{
	int64_t id;
	bool known;
	int rc;

	if (applied != NULL)
		*applied = false;
	if (store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	rc = account_feed(st, principal, &id, &known, err);
	if (rc == 0 && !known)
		rc = store_put_memberships(st, id, schools, nschools, groups,
					   ngroups, err);
	if (rc == 0 && (rc = store_exec(st, "COMMIT", err)) == 0) {
		if (applied != NULL)
			*applied = !known;
		return 0;
	}
	store_rollback(st);
	return rc;
}

int
avec_ent_join_key_owner(struct avec_store *st, const char *key,
			char *principal, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_KEY_OWNER, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_text(principal, AVEC_PRINCIPAL_MAX + 1, s, 0);
	store_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? AVEC_STORE_NOTFOUND :
	    store_fail(st, err, "looking up a join key");
}

static int people(struct avec_store *st, bool left_only, const char *principal,
		  avec_ent_person_cb cb, void *ctx, struct avec_err *err);

int
avec_ent_people_list(struct avec_store *st, bool left_only,
		     avec_ent_person_cb cb, void *ctx, struct avec_err *err)
{
	return people(st, left_only, NULL, cb, ctx, err);
}

int
avec_ent_person_of(struct avec_store *st, const char *principal,
		   avec_ent_person_cb cb, void *ctx, struct avec_err *err)
{
	return people(st, false, principal, cb, ctx, err);
}

static int
people(struct avec_store *st, bool left_only, const char *principal,
       avec_ent_person_cb cb, void *ctx, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_PEOPLE, err);
	struct avec_ent_person p;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int(s, 1, left_only ? 1 : 0);
	if (principal != NULL)
		sqlite3_bind_text(s, 2, principal, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&p, 0, sizeof(p));
		store_text(p.id, sizeof(p.id), s, 0);
		store_text(p.category, sizeof(p.category), s, 1);
		store_text(p.join_key, sizeof(p.join_key), s, 2);
		if (avec_role_parse((const char *)sqlite3_column_text(s, 3), &p.role) < 0)
			p.role = AVEC_ROLE_STUDENT;
		store_text(p.display_name, sizeof(p.display_name), s, 4);
		p.left = strcmp((const char *)sqlite3_column_text(s, 5), "left") == 0;
		p.first_seen = sqlite3_column_int64(s, 6);
		p.last_seen = sqlite3_column_int64(s, 7);
		p.left_at = sqlite3_column_int64(s, 8);
		store_text(p.uais, sizeof(p.uais), s, 9);
		store_text(p.groups, sizeof(p.groups), s, 10);
		store_text(p.principal, sizeof(p.principal), s, 11);
		if ((rc = cb(&p, ctx)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(st, err, "listing ENT people");
out:
	store_done(s);
	return rc;
}

int
avec_ent_imports_list(struct avec_store *st, unsigned limit,
		      avec_ent_import_cb cb, void *ctx, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_IMPORTS, err);
	struct avec_ent_import_rec r;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		r.started_at = sqlite3_column_int64(s, 1);
		r.finished_at = sqlite3_column_int64(s, 2);
		store_text(r.kind, sizeof(r.kind), s, 3);
		store_text(r.files, sizeof(r.files), s, 4);
		r.c.records = (uint64_t)sqlite3_column_int64(s, 5);
		r.c.added = (uint64_t)sqlite3_column_int64(s, 6);
		r.c.changed = (uint64_t)sqlite3_column_int64(s, 7);
		r.c.left = (uint64_t)sqlite3_column_int64(s, 8);
		r.c.unchanged = (uint64_t)sqlite3_column_int64(s, 9);
		r.c.errors = (uint64_t)sqlite3_column_int64(s, 10);
		r.c.suspended = (uint64_t)sqlite3_column_int64(s, 11);
		r.c.reactivated = (uint64_t)sqlite3_column_int64(s, 12);
		r.c.revoked = (uint64_t)sqlite3_column_int64(s, 13);
		store_text(r.result, sizeof(r.result), s, 14);
		store_text(r.detail, sizeof(r.detail), s, 15);
		if ((rc = cb(&r, ctx)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(st, err, "listing ENT imports");
out:
	store_done(s);
	return rc;
}

int
avec_ent_totals(struct avec_store *st, struct avec_ent_totals *t,
		struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_TOTALS, err);
	int rc;

	memset(t, 0, sizeof(*t));
	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		t->present = (uint64_t)sqlite3_column_int64(s, 0);
		t->left = (uint64_t)sqlite3_column_int64(s, 1);
		t->linked = (uint64_t)sqlite3_column_int64(s, 2);
		t->structures = (uint64_t)sqlite3_column_int64(s, 3);
	}
	store_done(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, "counting ENT people");
	t->grace_days = grace_days(st, -1, err);
	return t->grace_days < 0 ? -1 : 0;
}
