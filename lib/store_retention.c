/*
 * store_retention.c - how long the store keeps what it knows about people,
 * and a person's rights: the settings table, the purge, an account's
 * erasure and the parts of an export the other files do not read.
 *
 * Deleting personal data here means the bytes are gone from the files, not
 * only unlinked: every delete runs with PRAGMA secure_delete (SQLite
 * overwrites what it frees) and is followed by a checkpoint that copies the
 * WAL into the database and truncates the WAL.  A checkpoint that a reader
 * holds up is reported as a failure, so that the caller can say the purge
 * must be run again.
 *
 * An account's erasure also pseudonymises the person's rows of the audit
 * trail: their principal becomes "erased-<n>" (a row of table erasures,
 * never reused), their names, devices' names and MACs "[erased]"; who
 * acted, what and when stay.  The same rows are the audit part of their
 * export.
 *
 * It must never delete a connection-log row before its retention ends (an
 * account's erasure leaves the log, with the principal, in place: the law
 * requires it), never keep who an erasure's pseudonym was, and never
 * accept a setting outside its bounds.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "avec/connlog.h"
#include "avec/report.h"
#include "store_int.h"

#define DAY 86400

static const struct {
	const char *key;
	int64_t min, max;
} settings[] = {
	{ "log_retention_days", 1, 3650 },
	{ "account_retention_days", 1, 3650 },
	{ "ent_max_departure_pct", 0, 100 },
};

const char *const avec_setting_keys[] = {
	"log_retention_days", "account_retention_days",
	"ent_max_departure_pct", NULL,
};

static const char SQL_SETTING_GET[] =
	"SELECT value FROM settings WHERE key = ?1";
static const char SQL_SETTING_SET[] =
	"INSERT INTO settings (key, value) VALUES (?1, ?2) "
	"ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/* ?1: the oldest end (or last update, if open) that is kept. */
static const char SQL_PURGE_SESSIONS[] =
	"DELETE FROM sessions WHERE "
	"CASE WHEN ended_at = 0 THEN updated_at ELSE ended_at END < ?1";
/* ?1: the oldest end (or expiry, if still held) of a binding that is kept */
static const char SQL_PURGE_BINDINGS[] =
	"DELETE FROM addr_bindings WHERE "
	"CASE WHEN ended_at = 0 THEN expires_at ELSE ended_at END < ?1";
/* ?1: the oldest end of an account that is kept. */
static const char SQL_PURGE_DEVICES_COUNT[] =
	"SELECT count(*) FROM devices WHERE account_id IN (SELECT id FROM "
	"accounts WHERE status != 'active' AND ended_at != 0 AND ended_at < ?1)";
static const char SQL_PURGE_ACCOUNTS[] =
	"DELETE FROM accounts WHERE status != 'active' AND ended_at != 0 "
	"AND ended_at < ?1";

/* ?1: the oldest audit row kept (it names principals: same retention as
 * the connection log; an erasure keeps its own row until then) */
static const char SQL_PURGE_AUDIT[] =
	"DELETE FROM audit WHERE at < ?1";

static const char SQL_ERASE_DEVICES_COUNT[] =
	"SELECT count(*) FROM devices WHERE account_id = "
	"(SELECT id FROM accounts WHERE principal = ?1)";
static const char SQL_ERASE_ACCOUNT[] =
	"DELETE FROM accounts WHERE principal = ?1";

/* The person's audit rows (?1: the principal): see report.h. */
#define PERSON_AUDIT_WHERE \
	"actor = ?1 OR target = ?1 OR target = 'account ' || ?1 OR " \
	"(action = 'device revoke' AND target IN (SELECT CAST(d.id AS TEXT) " \
	"FROM devices d JOIN accounts a ON a.id = d.account_id " \
	"WHERE a.principal = ?1)) OR target IN (SELECT 'device ' || d.id " \
	"FROM devices d JOIN accounts a ON a.id = d.account_id " \
	"WHERE a.principal = ?1)"
static const char SQL_PERSON_AUDIT[] =
	"SELECT id, at, actor, origin, action, target, detail, outcome "
	"FROM audit WHERE " PERSON_AUDIT_WHERE " ORDER BY at, id";
static const char SQL_AUDIT_REWRITE[] =
	"UPDATE audit SET actor = ?2, target = ?3, detail = ?4 WHERE id = ?1";
/* What names the person, to be found in their audit rows' detail. */
static const char SQL_ERASE_NAMES[] =
	"SELECT display_name FROM accounts WHERE principal = ?1 "
	"UNION ALL SELECT coalesce(join_key, '') FROM accounts WHERE principal = ?1 "
	"UNION ALL SELECT d.name FROM devices d JOIN accounts a ON "
	"a.id = d.account_id WHERE a.principal = ?1 "
	"UNION ALL SELECT d.last_mac FROM devices d JOIN accounts a ON "
	"a.id = d.account_id WHERE a.principal = ?1 "
	"UNION ALL SELECT coalesce(c.username, '') || char(10) || "
	"coalesce(c.mac, '') FROM credentials c JOIN devices d ON "
	"d.id = c.device_id JOIN accounts a ON a.id = d.account_id "
	"WHERE a.principal = ?1";
static const char SQL_ERASURE_NEW[] =
	"INSERT INTO erasures (at) VALUES (?1) RETURNING id";
static const char SQL_ERASURE_ROWS[] =
	"UPDATE erasures SET audit_rows = ?2 WHERE id = ?1";

static const char SQL_SCHOOLS[] =
	"SELECT uai FROM account_schools WHERE account_id = ?1 ORDER BY uai";
static const char SQL_GROUPS[] =
	"SELECT grp FROM account_groups WHERE account_id = ?1 ORDER BY grp";

int
avec_setting_bounds(const char *key, int64_t *min, int64_t *max)
{
	size_t i;

	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		if (strcmp(settings[i].key, key) == 0) {
			*min = settings[i].min;
			*max = settings[i].max;
			return 0;
		}
	}
	return -1;
}

int
avec_store_setting_get(struct avec_store *st, const char *key, int64_t *value,
		       struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SETTING_GET, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*value = sqlite3_column_int64(s, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = AVEC_STORE_NOTFOUND;
	} else {
		rc = store_fail(st, err, "reading a setting");
	}
	store_done(s);
	return rc;
}

int
avec_store_setting_set(struct avec_store *st, const char *key, int64_t value,
		       struct avec_err *err)
{
	sqlite3_stmt *s;
	int64_t min, max;
	int rc;

	if (avec_setting_bounds(key, &min, &max) < 0)
		return AVEC_STORE_NOTFOUND;
	if (value < min || value > max)
		return avec_err_set(err, "%s must be between %" PRId64 " and %"
				    PRId64, key, min, max);
	if ((s = store_stmt(st, SQL_SETTING_SET, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, value);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 :
	    store_fail(st, err, "changing a setting");
	store_done(s);
	return rc;
}

/* A one-value query with ?1 bound to text or an integer. */
static int
count_of(struct avec_store *st, const char *sql, const char *text, int64_t num,
	 uint64_t *out, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, sql, err);
	int rc;

	if (s == NULL)
		return -1;
	if (text != NULL)
		sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, num);
	rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 0) : 0;
	store_done(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, err, "counting rows");
}

/* Run a delete with ?1; *changes gets the number of rows deleted. */
static int
delete_with(struct avec_store *st, const char *sql, const char *text,
	    int64_t num, uint64_t *changes, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, sql, err);
	int rc;

	if (s == NULL)
		return -1;
	if (text != NULL)
		sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, num);
	rc = sqlite3_step(s);
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "deleting");
	*changes = (uint64_t)sqlite3_changes(st->db);
	return 0;
}

/* Copy the WAL into the database and truncate it: freed bytes are gone. */
static int
checkpoint(struct avec_store *st, struct avec_err *err)
{
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL,
					   SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);

	if (rc == SQLITE_BUSY)
		return avec_err_set(err, "store %s: the deletion is committed, "
				    "but a reader kept the old bytes in the "
				    "write-ahead log: run it again", st->path);
	if (rc != SQLITE_OK)
		return store_fail(st, err, "checkpointing the write-ahead log");
	return 0;
}

int
avec_store_purge(struct avec_store *st, int64_t now,
		 struct avec_purge_stats *out, struct avec_err *err)
{
	struct avec_purge_stats ps;
	int64_t log_days, acc_days;
	uint64_t naudit;

	memset(&ps, 0, sizeof(ps));
	if (store_exec(st, "PRAGMA secure_delete = ON", err) < 0 ||
	    store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (avec_store_setting_get(st, "log_retention_days", &log_days, err) != 0 ||
	    avec_store_setting_get(st, "account_retention_days", &acc_days, err) != 0) {
		if (err != NULL && err->msg[0] == '\0')
			avec_err_set(err, "store %s: a retention setting is "
				     "missing", st->path);
		goto fail;
	}
	if (delete_with(st, SQL_PURGE_BINDINGS, NULL, now - log_days * DAY,
			&ps.bindings, err) < 0 ||
	    delete_with(st, SQL_PURGE_SESSIONS, NULL, now - log_days * DAY,
			&ps.sessions, err) < 0 ||
	    count_of(st, SQL_PURGE_DEVICES_COUNT, NULL, now - acc_days * DAY,
		     &ps.devices, err) < 0 ||
	    delete_with(st, SQL_PURGE_ACCOUNTS, NULL, now - acc_days * DAY,
			&ps.accounts, err) < 0 ||
	    delete_with(st, SQL_PURGE_AUDIT, NULL, now - log_days * DAY,
			&naudit, err) < 0 ||
	    store_exec(st, "COMMIT", err) < 0)
		goto fail;
	if (out != NULL)
		*out = ps;
	return checkpoint(st, err);
fail:
	store_rollback(st);
	return -1;
}

/* ---- erasure: the person's audit rows pseudonymised ---- */

#define ERASED "[erased]"

/* The options whose value names the person (audit.c writes "--opt VALUE"). */
static bool
naming_option(const char *tok, size_t len)
{
	static const char *const opts[] = { "--name", "--join-key", "--mac",
					    "-n", NULL };
	size_t i;

	for (i = 0; opts[i] != NULL; i++)
		if (strlen(opts[i]) == len && strncmp(tok, opts[i], len) == 0)
			return true;
	return false;
}

void
avec_audit_replace_word(const char *in, const char *what, const char *with,
			char *out, size_t size)
{
	size_t wl = strlen(what), gl = strlen(with), k = 0;
	const char *p = in;

	while (*p != '\0' && k + 1 < size) {
		if (wl > 0 && strncmp(p, what, wl) == 0 &&
		    (p == in || p[-1] == ' ') && (p[wl] == '\0' || p[wl] == ' ')) {
			size_t n = gl < size - 1 - k ? gl : size - 1 - k;

			memcpy(out + k, with, n);
			k += n;
			p += wl;
			continue;
		}
		out[k++] = *p++;
	}
	out[k] = '\0';
}

/* @in into @out with the words after a naming option, up to the next
 * option, replaced by [erased]. */
static void
erase_option_values(const char *in, char *out, size_t size)
{
	const char *p = in;
	bool skipping = false;
	size_t k = 0;

	out[0] = '\0';
	while (*p != '\0') {
		const char *e = strchr(p, ' ');
		size_t tl = e != NULL ? (size_t)(e - p) : strlen(p);
		bool opt = p[0] == '-' && tl > 1;

		if (!(skipping && !opt)) {
			skipping = opt && naming_option(p, tl);
			k += (size_t)snprintf(out + k, k < size ? size - k : 0,
					      "%s%.*s%s", k ? " " : "", (int)tl, p,
					      skipping ? " " ERASED : "");
			if (k >= size) {
				out[size - 1] = '\0';
				return;
			}
		}
		p += tl;
		while (*p == ' ')
			p++;
	}
}

struct names {
	char **v;
	unsigned n, cap;
};

static int
names_add(struct names *l, const char *s, size_t len)
{
	char *c;

	if (len == 0)
		return 0;
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 16;
		char **t = realloc(l->v, cap * sizeof(*t));

		if (t == NULL)
			return -1;
		l->v = t;
		l->cap = cap;
	}
	if ((c = strndup(s, len)) == NULL)
		return -1;
	l->v[l->n++] = c;
	return 0;
}

static void
names_free(struct names *l)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Longest first: a name that holds a shorter one is replaced whole. */
static int
by_length_desc(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

	return la < lb ? 1 : la > lb ? -1 : 0;
}

/* What names @principal besides it: display name, join key, devices'
 * names, usernames and MACs. */
static int
person_names(struct avec_store *st, const char *principal, struct names *l,
	     struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_ERASE_NAMES, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, principal, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		const char *nl;

		if (t == NULL)
			continue;
		nl = strchr(t, '\n');	/* "username\nmac" */
		if (names_add(l, t, nl != NULL ? (size_t)(nl - t) : strlen(t)) < 0 ||
		    (nl != NULL && names_add(l, nl + 1, strlen(nl + 1)) < 0)) {
			store_done(s);
			return avec_err_set(err, "out of memory");
		}
	}
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "reading what names a person");
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(char *), by_length_desc);
	return 0;
}

struct audit_rows {
	struct avec_audit_rec *v;
	size_t n, cap;
};

static int
collect_row(const struct avec_audit_rec *a, void *ctx)
{
	struct audit_rows *r = ctx;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct avec_audit_rec *t = realloc(r->v, cap * sizeof(*t));

		if (t == NULL)
			return 1;	/* out of memory: the caller says so */
		r->v = t;
		r->cap = cap;
	}
	r->v[r->n++] = *a;
	return 0;
}

/* Rewrite the person's audit rows under @pseudonym; inside the caller's
 * transaction.  *@count: the rows rewritten. */
static int
pseudonymise_audit(struct avec_store *st, const char *principal,
		   const char *pseudonym, uint64_t *count, struct avec_err *err)
{
	struct audit_rows rows = { NULL, 0, 0 };
	struct names names = { NULL, 0, 0 };
	char a[AVEC_AUDIT_DETAIL_MAX + 1], b[AVEC_AUDIT_DETAIL_MAX + 1];
	size_t i;
	unsigned k;
	int rc;

	rc = avec_store_account_audit(st, principal, collect_row, &rows, err);
	if (rc > 0)
		rc = avec_err_set(err, "out of memory");
	if (rc == 0)
		rc = person_names(st, principal, &names, err);
	for (i = 0; rc == 0 && i < rows.n; i++) {
		struct avec_audit_rec *r = &rows.v[i];
		sqlite3_stmt *s;

		if (strcmp(r->actor, principal) == 0)
			snprintf(r->actor, sizeof(r->actor), "%s", pseudonym);
		avec_audit_replace_word(r->target, principal, pseudonym, a,
					sizeof(r->target));
		memcpy(r->target, a, sizeof(r->target));
		erase_option_values(r->detail, a, sizeof(a));
		avec_audit_replace_word(a, principal, pseudonym, b, sizeof(b));
		for (k = 0; k < names.n; k++) {
			avec_audit_replace_word(b, names.v[k], ERASED, a, sizeof(a));
			memcpy(b, a, sizeof(b));
		}
		memcpy(r->detail, b, sizeof(r->detail));
		if ((s = store_stmt(st, SQL_AUDIT_REWRITE, err)) == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(s, 1, r->id);
		sqlite3_bind_text(s, 2, r->actor, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, r->target, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, r->detail, -1, SQLITE_STATIC);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 :
		    store_fail(st, err, "pseudonymising the audit trail");
		store_done(s);
	}
	*count = rows.n;
	free(rows.v);
	names_free(&names);
	return rc;
}

int
avec_store_account_erase(struct avec_store *st, const char *principal,
			 struct avec_erasure *out, struct avec_err *err)
{
	struct avec_erasure e;
	sqlite3_stmt *s;
	uint64_t nacc = 0;
	int64_t n = 0;

	memset(&e, 0, sizeof(e));
	if (store_exec(st, "PRAGMA secure_delete = ON", err) < 0 ||
	    store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (count_of(st, SQL_ERASE_DEVICES_COUNT, principal, 0, &e.devices, err) < 0)
		goto fail;
	/* the pseudonym first: the audit rows are found through the account */
	if ((s = store_stmt(st, SQL_ERASURE_NEW, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, (int64_t)time(NULL));
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	store_done(s);
	if (n == 0) {
		store_fail(st, err, "recording an erasure");
		goto fail;
	}
	snprintf(e.pseudonym, sizeof(e.pseudonym), "erased-%" PRId64, n);
	if (pseudonymise_audit(st, principal, e.pseudonym, &e.audit_rows, err) < 0 ||
	    delete_with(st, SQL_ERASE_ACCOUNT, principal, 0, &nacc, err) < 0)
		goto fail;
	if (nacc == 0) {
		store_rollback(st);
		return AVEC_STORE_NOTFOUND;
	}
	if ((s = store_stmt(st, SQL_ERASURE_ROWS, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, n);
	sqlite3_bind_int64(s, 2, (int64_t)e.audit_rows);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_done(s);
		store_fail(st, err, "recording an erasure");
		goto fail;
	}
	store_done(s);
	if (store_exec(st, "COMMIT", err) < 0)
		goto fail;
	if (out != NULL)
		*out = e;
	return checkpoint(st, err);
fail:
	store_rollback(st);
	return -1;
}

int
avec_store_account_audit(struct avec_store *st, const char *principal,
			 avec_audit_cb cb, void *ctx, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_PERSON_AUDIT, err);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, principal, -1, SQLITE_STATIC);
	return store_audit_rows(st, s, cb, ctx, err);
}

static int
list_texts(struct avec_store *st, const char *sql, int64_t account_id,
	   avec_text_cb cb, void *ctx, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, sql, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, account_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);

		if ((rc = cb(t ? (const char *)t : "", ctx)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(st, err, "reading an account");
out:
	store_done(s);
	return rc;
}

int
avec_store_account_schools(struct avec_store *st, int64_t account_id,
			   avec_text_cb cb, void *ctx, struct avec_err *err)
{
	return list_texts(st, SQL_SCHOOLS, account_id, cb, ctx, err);
}

int
avec_store_account_groups(struct avec_store *st, int64_t account_id,
			  avec_text_cb cb, void *ctx, struct avec_err *err)
{
	return list_texts(st, SQL_GROUPS, account_id, cb, ctx, err);
}
