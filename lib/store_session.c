/*
 * store_session.c - the connection log's rows: folding accounting records
 * into sessions, and finding sessions for a requisition.
 *
 * One row per accounting session, keyed by (NAS address, Acct-Session-Id).
 * RADIUS over UDP delivers Start, Interim-Update and Stop late, twice or
 * out of order, so every record is an upsert that can only widen what is
 * known: the start moves earlier, the counters, the last update and the
 * end grow, an empty field never erases a known one, and an address is
 * replaced only by a newer record.  The device comes from the record (the
 * Class token rlm_avec gave the NAS), or else from the device last
 * accepted from that MAC; its account and principal are copied into the
 * row so that a requisition still names the person after the account is
 * erased.
 *
 * This file must never delete a row (retention is store_retention.c's),
 * never store anything but the fields of struct avec_acct (no URL, no
 * content), and never leave a transaction open.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "avec/connlog.h"
#include "store_int.h"

/* ?4 device id from the Class (0: none), ?5 MAC for the fallback. */
static const char SQL_SESSION_UPSERT[] =
	"INSERT INTO sessions (nas_address, acct_session_id, nas_port, "
	"account_id, device_id, principal, mac, framed_ip, started_at, "
	"updated_at, ended_at, input_bytes, output_bytes, terminate_cause) "
	"SELECT ?1, ?2, ?3, d.account_id, d.id, coalesce(a.principal, ''), "
	"?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 FROM (SELECT 1) "
	"LEFT JOIN devices d ON d.id = coalesce(nullif(?4, 0), "
	"(SELECT id FROM devices WHERE ?5 != '' AND last_mac = ?5 "
	"ORDER BY last_seen DESC LIMIT 1)) "
	"LEFT JOIN accounts a ON a.id = d.account_id WHERE 1 "
	"ON CONFLICT (nas_address, acct_session_id) DO UPDATE SET "
	"nas_port = CASE WHEN excluded.nas_port = '' THEN nas_port "
	"ELSE excluded.nas_port END, "
	"account_id = coalesce(account_id, excluded.account_id), "
	"device_id = coalesce(device_id, excluded.device_id), "
	"principal = CASE WHEN principal = '' THEN excluded.principal "
	"ELSE principal END, "
	"mac = CASE WHEN mac = '' THEN excluded.mac ELSE mac END, "
	"framed_ip = CASE WHEN excluded.framed_ip != '' AND (framed_ip = '' "
	"OR excluded.updated_at >= updated_at) THEN excluded.framed_ip "
	"ELSE framed_ip END, "
	"started_at = min(started_at, excluded.started_at), "
	"updated_at = max(updated_at, excluded.updated_at), "
	"ended_at = max(ended_at, excluded.ended_at), "
	"input_bytes = max(input_bytes, excluded.input_bytes), "
	"output_bytes = max(output_bytes, excluded.output_bytes), "
	"terminate_cause = CASE WHEN excluded.terminate_cause = '' "
	"THEN terminate_cause ELSE excluded.terminate_cause END";

/* Accounting-On/Off: what was open on that NAS before it ended now. */
static const char SQL_SESSION_CLOSE_NAS[] =
	"UPDATE sessions SET ended_at = ?2, updated_at = ?2, "
	"terminate_cause = CASE WHEN terminate_cause = '' THEN ?3 "
	"ELSE terminate_cause END "
	"WHERE nas_address = ?1 AND ended_at = 0 AND updated_at <= ?2";

#define SESSION_COLS \
	"s.id, s.nas_address, s.acct_session_id, s.nas_port, " \
	"coalesce(s.account_id, 0), coalesce(s.device_id, 0), s.principal, " \
	"coalesce(d.name, ''), s.mac, s.framed_ip, s.started_at, " \
	"s.updated_at, s.ended_at, s.input_bytes, s.output_bytes, " \
	"s.terminate_cause FROM sessions s " \
	"LEFT JOIN devices d ON d.id = s.device_id "

/* ?1 the address, ?2 the instant. */
static const char SQL_SESSION_BY_IP[] =
	"SELECT " SESSION_COLS "WHERE s.framed_ip = ?1 AND s.started_at <= ?2 "
	"AND (s.ended_at = 0 OR s.ended_at >= ?2) ORDER BY s.started_at, s.id";

/* ?1 the key, ?2 from, ?3 to: sessions overlapping [from, to]. */
#define OVERLAP "AND s.started_at <= ?3 AND (s.ended_at = 0 OR s.ended_at >= ?2) " \
	"ORDER BY s.started_at, s.id"
static const char SQL_SESSION_BY_PRINCIPAL[] =
	"SELECT " SESSION_COLS "WHERE s.principal = ?1 " OVERLAP;
static const char SQL_SESSION_BY_MAC[] =
	"SELECT " SESSION_COLS "WHERE s.mac = ?1 " OVERLAP;
static const char SQL_SESSION_BY_DEVICE[] =
	"SELECT " SESSION_COLS "WHERE s.device_id = ?1 " OVERLAP;

static int64_t
clamp64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static int
apply_one(struct avec_store *st, const struct avec_acct *a,
	  struct avec_err *err)
{
	sqlite3_stmt *s;
	const char *cause;
	int rc;

	if (a->kind == AVEC_ACCT_NAS_ON || a->kind == AVEC_ACCT_NAS_OFF) {
		if ((s = store_stmt(st, SQL_SESSION_CLOSE_NAS, err)) == NULL)
			return -1;
		cause = a->terminate_cause[0] ? a->terminate_cause :
		    a->kind == AVEC_ACCT_NAS_ON ? "NAS-Reboot" : "NAS-Request";
		sqlite3_bind_text(s, 1, a->nas_address, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, a->event_time);
		sqlite3_bind_text(s, 3, cause, -1, SQLITE_STATIC);
	} else {
		if ((s = store_stmt(st, SQL_SESSION_UPSERT, err)) == NULL)
			return -1;
		sqlite3_bind_text(s, 1, a->nas_address, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, a->session_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, a->nas_port, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, a->device_id);
		sqlite3_bind_text(s, 5, a->mac, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, a->framed_ip, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 7, a->started_at <= a->event_time ?
				   a->started_at : a->event_time);
		sqlite3_bind_int64(s, 8, a->event_time);
		sqlite3_bind_int64(s, 9, a->kind == AVEC_ACCT_STOP ?
				   a->event_time : 0);
		sqlite3_bind_int64(s, 10, clamp64(a->input_bytes));
		sqlite3_bind_int64(s, 11, clamp64(a->output_bytes));
		sqlite3_bind_text(s, 12, a->terminate_cause, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(s);
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "recording an accounting session");
	return store_addr_session(st, a, err);
}

int
avec_store_write_batch(struct avec_store *st, const struct avec_touch *t,
		       unsigned nt, const struct avec_acct *a, unsigned na,
		       struct avec_err *err)
{
	unsigned i;
	int own, rc;

	if (nt == 0 && na == 0)
		return 0;
	if ((own = store_begin_own(st, err)) < 0)
		return -1;
	rc = store_touch_rows(st, t, nt, err) < 0 ? -1 : 0;
	for (i = 0; i < na && rc == 0; i++)
		if (apply_one(st, &a[i], err) < 0)
			rc = -1;
	return store_end_own(st, own, rc, err);
}

int
avec_store_acct_apply(struct avec_store *st, const struct avec_acct *a,
		      unsigned n, struct avec_err *err)
{
	return avec_store_write_batch(st, NULL, 0, a, n, err);
}

static void
read_session(sqlite3_stmt *s, struct avec_session_rec *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(s, 0);
	store_text(out->nas_address, sizeof(out->nas_address), s, 1);
	store_text(out->session_id, sizeof(out->session_id), s, 2);
	store_text(out->nas_port, sizeof(out->nas_port), s, 3);
	out->account_id = sqlite3_column_int64(s, 4);
	out->device_id = sqlite3_column_int64(s, 5);
	store_text(out->principal, sizeof(out->principal), s, 6);
	store_text(out->device_name, sizeof(out->device_name), s, 7);
	store_text(out->mac, sizeof(out->mac), s, 8);
	store_text(out->framed_ip, sizeof(out->framed_ip), s, 9);
	out->started_at = sqlite3_column_int64(s, 10);
	out->updated_at = sqlite3_column_int64(s, 11);
	out->ended_at = sqlite3_column_int64(s, 12);
	out->input_bytes = (uint64_t)sqlite3_column_int64(s, 13);
	out->output_bytes = (uint64_t)sqlite3_column_int64(s, 14);
	store_text(out->terminate_cause, sizeof(out->terminate_cause), s, 15);
}

int
avec_store_session_query(struct avec_store *st,
			 const struct avec_session_query *q,
			 avec_session_cb cb, void *ctx, struct avec_err *err)
{
	struct avec_session_rec rec;
	sqlite3_stmt *s;
	const char *sql;
	int rc;

	if (q->ip != NULL)
		sql = SQL_SESSION_BY_IP;
	else if (q->principal != NULL)
		sql = SQL_SESSION_BY_PRINCIPAL;
	else if (q->mac != NULL)
		sql = SQL_SESSION_BY_MAC;
	else if (q->device_id != 0)
		sql = SQL_SESSION_BY_DEVICE;
	else
		return avec_err_set(err, "session query: nothing to look for");
	if ((s = store_stmt(st, sql, err)) == NULL)
		return -1;
	if (q->ip != NULL) {
		sqlite3_bind_text(s, 1, q->ip, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, q->at);
	} else {
		if (q->principal != NULL)
			sqlite3_bind_text(s, 1, q->principal, -1, SQLITE_STATIC);
		else if (q->mac != NULL)
			sqlite3_bind_text(s, 1, q->mac, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(s, 1, q->device_id);
		sqlite3_bind_int64(s, 2, q->from);
		sqlite3_bind_int64(s, 3, q->to ? q->to : INT64_MAX);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_session(s, &rec);
		if ((rc = cb(&rec, ctx)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(st, err, "reading the connection log");
out:
	store_done(s);
	return rc;
}
