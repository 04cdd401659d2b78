/*
 * store_report.c - the statements behind avecctl's reports and audit
 * trail, and the writer's upsert of authentication outcomes.
 *
 * It owns four read-only reports (outcomes by reason over a period,
 * devices by role / class group / status / school, open sessions, the
 * audit trail) and two writes: auth_stats rows added to (never replaced:
 * each harvest brings counts not yet written), and audit rows appended.
 * It must never store a secret: the audit row's detail arrives already
 * stripped of them (avecctl's audit.c), and nothing here reads the
 * credentials table.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "avec/report.h"
#include "store_int.h"

static const char SQL_AUTH_ADD[] =
	"INSERT INTO auth_stats (hour, reason, count) VALUES (?1, ?2, ?3) "
	"ON CONFLICT (hour, reason) DO UPDATE SET count = count + excluded.count";
static const char SQL_AUTH_REPORT[] =
	"SELECT reason, SUM(count) FROM auth_stats "
	"WHERE hour >= ?1 AND hour <= ?2 "
	"GROUP BY reason ORDER BY reason <> 'accept', reason";
/* One statement per grouping; ?1 unused.  "" collects devices in none. */
static const char SQL_DEV_BY_ROLE[] =
	"SELECT a.role, COUNT(*), SUM(d.status = 'active') "
	"FROM devices d JOIN accounts a ON a.id = d.account_id "
	"GROUP BY a.role ORDER BY a.role";
static const char SQL_DEV_BY_STATUS[] =
	"SELECT d.status, COUNT(*), SUM(d.status = 'active') "
	"FROM devices d GROUP BY d.status ORDER BY d.status";
static const char SQL_DEV_BY_CLASS[] =
	"SELECT COALESCE(g.grp, ''), COUNT(*), SUM(d.status = 'active') "
	"FROM devices d LEFT JOIN account_groups g ON g.account_id = d.account_id "
	"GROUP BY 1 ORDER BY 1";
static const char SQL_DEV_BY_SCHOOL[] =
	"SELECT COALESCE(s.uai, ''), COUNT(*), SUM(d.status = 'active') "
	"FROM devices d LEFT JOIN account_schools s ON s.account_id = d.account_id "
	"GROUP BY 1 ORDER BY 1";
static const char SQL_OPEN_SESSIONS[] =
	"SELECT s.id, s.nas_address, s.acct_session_id, s.nas_port, "
	"COALESCE(s.account_id, 0), COALESCE(s.device_id, 0), s.principal, "
	"COALESCE(d.name, ''), s.mac, s.framed_ip, s.started_at, s.updated_at, "
	"s.input_bytes, s.output_bytes "
	"FROM sessions s LEFT JOIN devices d ON d.id = s.device_id "
	"WHERE s.ended_at = 0 ORDER BY s.started_at, s.id";
static const char SQL_AUDIT_ADD[] =
	"INSERT INTO audit (at, actor, origin, action, target, detail, outcome) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_AUDIT_LIST[] =
	"SELECT id, at, actor, origin, action, target, detail, outcome "
	"FROM audit WHERE at >= ?1 ORDER BY at, id";

int
avec_store_auth_stats_add(struct avec_store *st, const struct avec_auth_stat *s,
			  unsigned n, struct avec_err *err)
{
	sqlite3_stmt *q;
	unsigned i;
	int rc;

	if (n == 0)
		return 0;
	if (store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((q = store_stmt(st, SQL_AUTH_ADD, err)) == NULL)
			goto fail;
		sqlite3_bind_int64(q, 1, s[i].hour);
		sqlite3_bind_text(q, 2, avec_reason_code(s[i].reason), -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, (sqlite3_int64)s[i].count);
		rc = sqlite3_step(q);
		store_done(q);
		if (rc != SQLITE_DONE) {
			store_fail(st, err, "adding authentication counts");
			goto fail;
		}
	}
	if (store_exec(st, "COMMIT", err) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

/* Walk (text, count, active) rows of @s into @cb. */
static int
walk_counts(struct avec_store *st, sqlite3_stmt *s, avec_report_count_cb cb,
	    void *ctx, struct avec_err *err, const char *what)
{
	char key[256];
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_text(key, sizeof(key), s, 0);
		rc = cb(key, (uint64_t)sqlite3_column_int64(s, 1),
			(uint64_t)sqlite3_column_int64(s, 2), ctx);
		if (rc != 0) {
			store_done(s);
			return rc;
		}
	}
	store_done(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, what);
}

int
avec_store_report_auth(struct avec_store *st, int64_t from, int64_t to,
		       avec_report_count_cb cb, void *ctx, struct avec_err *err)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, SQL_AUTH_REPORT, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, from > 0 ? from / 3600 : 0);
	sqlite3_bind_int64(s, 2, to > 0 ? (to - 1) / 3600 : INT64_MAX);
	return walk_counts(st, s, cb, ctx, err, "reading authentication counts");
}

int
avec_store_report_devices(struct avec_store *st, enum avec_report_by by,
			  avec_report_count_cb cb, void *ctx,
			  struct avec_err *err)
{
	const char *sql;
	sqlite3_stmt *s;

	switch (by) {
	case AVEC_BY_ROLE:	sql = SQL_DEV_BY_ROLE; break;
	case AVEC_BY_CLASS:	sql = SQL_DEV_BY_CLASS; break;
	case AVEC_BY_STATUS:	sql = SQL_DEV_BY_STATUS; break;
	case AVEC_BY_SCHOOL:	sql = SQL_DEV_BY_SCHOOL; break;
	default:
		return avec_err_set(err, "no such grouping of devices");
	}
	if ((s = store_stmt(st, sql, err)) == NULL)
		return -1;
	return walk_counts(st, s, cb, ctx, err, "counting devices");
}

int
avec_store_report_sessions(struct avec_store *st, avec_session_cb cb,
			   void *ctx, struct avec_err *err)
{
	struct avec_session_rec r;
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, SQL_OPEN_SESSIONS, err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		store_text(r.nas_address, sizeof(r.nas_address), s, 1);
		store_text(r.session_id, sizeof(r.session_id), s, 2);
		store_text(r.nas_port, sizeof(r.nas_port), s, 3);
		r.account_id = sqlite3_column_int64(s, 4);
		r.device_id = sqlite3_column_int64(s, 5);
		store_text(r.principal, sizeof(r.principal), s, 6);
		store_text(r.device_name, sizeof(r.device_name), s, 7);
		store_text(r.mac, sizeof(r.mac), s, 8);
		store_text(r.framed_ip, sizeof(r.framed_ip), s, 9);
		r.started_at = sqlite3_column_int64(s, 10);
		r.updated_at = sqlite3_column_int64(s, 11);
		r.input_bytes = (uint64_t)sqlite3_column_int64(s, 12);
		r.output_bytes = (uint64_t)sqlite3_column_int64(s, 13);
		if ((rc = cb(&r, ctx)) != 0) {
			store_done(s);
			return rc;
		}
	}
	store_done(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "listing open sessions");
}

int
avec_store_audit_add(struct avec_store *st, const struct avec_audit_rec *a,
		     struct avec_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, SQL_AUDIT_ADD, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a->at);
	sqlite3_bind_text(s, 2, a->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, a->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, a->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, a->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, a->detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, a->outcome[0] ? a->outcome : "ok", -1,
			  SQLITE_STATIC);
	rc = sqlite3_step(s);
	store_done(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "writing the audit trail");
}

int
avec_store_audit_list(struct avec_store *st, int64_t since, avec_audit_cb cb,
		      void *ctx, struct avec_err *err)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, SQL_AUDIT_LIST, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, since);
	return store_audit_rows(st, s, cb, ctx, err);
}

int
store_audit_rows(struct avec_store *st, sqlite3_stmt *s, avec_audit_cb cb,
		 void *ctx, struct avec_err *err)
{
	struct avec_audit_rec a;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		a.id = sqlite3_column_int64(s, 0);
		a.at = sqlite3_column_int64(s, 1);
		store_text(a.actor, sizeof(a.actor), s, 2);
		store_text(a.origin, sizeof(a.origin), s, 3);
		store_text(a.action, sizeof(a.action), s, 4);
		store_text(a.target, sizeof(a.target), s, 5);
		store_text(a.detail, sizeof(a.detail), s, 6);
		store_text(a.outcome, sizeof(a.outcome), s, 7);
		if ((rc = cb(&a, ctx)) != 0) {
			store_done(s);
			return rc;
		}
	}
	store_done(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "reading the audit trail");
}
