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
 * It must never delete a connection-log row before its retention ends (an
 * account's erasure leaves the log, with the principal, in place: the law
 * requires it), and never accept a setting outside its bounds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "avec/connlog.h"
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
	if (delete_with(st, SQL_PURGE_SESSIONS, NULL, now - log_days * DAY,
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

int
avec_store_account_erase(struct avec_store *st, const char *principal,
			 uint64_t *devices, struct avec_err *err)
{
	uint64_t ndev = 0, nacc = 0;

	if (store_exec(st, "PRAGMA secure_delete = ON", err) < 0 ||
	    store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (count_of(st, SQL_ERASE_DEVICES_COUNT, principal, 0, &ndev, err) < 0 ||
	    delete_with(st, SQL_ERASE_ACCOUNT, principal, 0, &nacc, err) < 0)
		goto fail;
	if (nacc == 0) {
		store_rollback(st);
		return AVEC_STORE_NOTFOUND;
	}
	if (store_exec(st, "COMMIT", err) < 0)
		goto fail;
	if (devices != NULL)
		*devices = ndev;
	return checkpoint(st, err);
fail:
	store_rollback(st);
	return -1;
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
