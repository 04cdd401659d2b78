/*
 * store_addr.c - address bindings: folding the events avec-addrd reads
 * off the bridges (addr.h) into rows of addr_bindings, and finding the
 * binding that covered an address at an instant.
 *
 * A binding is one address held by one MAC on one bridge over
 * [bound_at, end), where end is ended_at once something ended it, else
 * expires_at (the lease, or the last neighbour-discovery frame plus its
 * lifetime).  At most one binding of an (address, bridge) is open at a
 * time: a new MAC ends the previous one ("replaced"), a renewal from the
 * same MAC extends its own, a binding past its expiry ends at that expiry
 * before anything else happens to the address.  Every event is an
 * idempotent step of that rule, so the same frame seen twice changes
 * nothing more.  Who held it is copied from the MAC's open RADIUS
 * session (or, without one, from the device last accepted from that MAC,
 * as the connection log does); store_session.c fills it in when the
 * session arrives after the address, and ends a MAC's bindings at its
 * session's Stop (store_addr_session()).
 *
 * This file must never delete a row (retention is store_retention.c's)
 * and never leave a transaction open.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "avec/addr.h"
#include "store_int.h"

/* ?1 address, ?2 bridge, ?3 instant: what ran out before it ends there. */
static const char SQL_ADDR_EXPIRE_AT[] =
	"UPDATE addr_bindings SET ended_at = expires_at, end_cause = 'expiry' "
	"WHERE address = ?1 AND bridge = ?2 AND ended_at = 0 AND expires_at < ?3";
/* ?1 MAC, ?2 instant */
static const char SQL_ADDR_EXPIRE_MAC[] =
	"UPDATE addr_bindings SET ended_at = expires_at, end_cause = 'expiry' "
	"WHERE mac = ?1 AND ended_at = 0 AND expires_at < ?2";
/* ?1 now */
static const char SQL_ADDR_EXPIRE_ALL[] =
	"UPDATE addr_bindings SET ended_at = expires_at, end_cause = 'expiry' "
	"WHERE ended_at = 0 AND expires_at < ?1";

/* ?1 address, ?2 bridge, ?3 MAC: does another MAC hold it now? */
static const char SQL_ADDR_OTHER_HOLDER[] =
	"SELECT 1 FROM addr_bindings WHERE address = ?1 AND bridge = ?2 "
	"AND ended_at = 0 AND mac != ?3 LIMIT 1";
/* ?1 address, ?2 bridge, ?3 MAC, ?4 instant, ?5 cause */
static const char SQL_ADDR_END_OTHERS[] =
	"UPDATE addr_bindings SET ended_at = ?4, end_cause = ?5 "
	"WHERE address = ?1 AND bridge = ?2 AND ended_at = 0 AND mac != ?3";
static const char SQL_ADDR_END_OWN[] =
	"UPDATE addr_bindings SET ended_at = max(?4, bound_at), end_cause = ?5 "
	"WHERE address = ?1 AND bridge = ?2 AND ended_at = 0 AND mac = ?3";
/* ?1 MAC, ?2 bridge, ?3 instant: a NAK ends the MAC's DHCPv4 leases */
static const char SQL_ADDR_END_NAK[] =
	"UPDATE addr_bindings SET ended_at = max(?3, bound_at), end_cause = 'nak' "
	"WHERE mac = ?1 AND bridge = ?2 AND source = 'dhcp' AND ended_at = 0";
/* ?1 address, ?2 bridge, ?3 MAC, ?4 instant, ?5 new expiry */
static const char SQL_ADDR_EXTEND[] =
	"UPDATE addr_bindings SET seen_at = max(seen_at, ?4), "
	"expires_at = max(expires_at, ?5) "
	"WHERE address = ?1 AND bridge = ?2 AND ended_at = 0 AND mac = ?3";

/*
 * A new binding, its holder from the MAC's latest open session, else from
 * the device last accepted from that MAC.  ?1 address, ?2 family, ?3 MAC,
 * ?4 source, ?5 bridge, ?6 VLAN, ?7 instant, ?8 expiry.
 */
static const char SQL_ADDR_INSERT[] =
	"INSERT INTO addr_bindings (address, family, mac, source, bridge, vlan, "
	"bound_at, seen_at, expires_at, session_id, account_id, device_id, "
	"principal) "
	"SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, s.id, "
	"coalesce(s.account_id, d.account_id), coalesce(s.device_id, d.id), "
	"coalesce(s.principal, a.principal, '') FROM (SELECT 1) "
	"LEFT JOIN sessions s ON s.id = (SELECT id FROM sessions WHERE "
	"mac = ?3 AND ended_at = 0 ORDER BY started_at DESC, id DESC LIMIT 1) "
	"LEFT JOIN devices d ON s.id IS NULL AND d.id = (SELECT id FROM devices "
	"WHERE last_mac = ?3 ORDER BY last_seen DESC LIMIT 1) "
	"LEFT JOIN accounts a ON a.id = d.account_id";

/* ---- what the connection log's accounting does to bindings ---- */

/* ?1 NAS, ?2 Acct-Session-Id, ?3 MAC: a session that came after the
 * address gives it its holder. */
static const char SQL_ADDR_FILL_SESSION[] =
	"UPDATE addr_bindings SET (session_id, account_id, device_id, principal) "
	"= (SELECT s.id, s.account_id, s.device_id, s.principal FROM sessions s "
	"WHERE s.nas_address = ?1 AND s.acct_session_id = ?2) "
	"WHERE mac = ?3 AND ended_at = 0 AND session_id IS NULL";
/*
 * A roam: the MAC's session stopped on one access point and starts on
 * another within ROAM_S, its lease still running.  The address is bound
 * again, from the new session's start, to the new session.  ?1 NAS, ?2
 * Acct-Session-Id, ?3 MAC, ?4 instant.
 */
#define ROAM_S "600"
static const char SQL_ADDR_RESUME[] =
	"INSERT INTO addr_bindings (address, family, mac, source, bridge, vlan, "
	"bound_at, seen_at, expires_at, session_id, account_id, device_id, "
	"principal) "
	"SELECT b.address, b.family, b.mac, b.source, b.bridge, b.vlan, ?4, ?4, "
	"b.expires_at, s.id, s.account_id, s.device_id, s.principal "
	"FROM addr_bindings b JOIN sessions s ON s.nas_address = ?1 "
	"AND s.acct_session_id = ?2 WHERE b.mac = ?3 "
	"AND b.end_cause = 'session-stop' AND b.ended_at <= ?4 "
	"AND b.ended_at >= ?4 - " ROAM_S " AND b.expires_at > ?4 "
	"AND NOT EXISTS (SELECT 1 FROM addr_bindings o WHERE "
	"o.address = b.address AND o.bridge = b.bridge AND o.id > b.id)";
/* ?1 MAC, ?2 instant: the MAC's last session stopped, so did its addresses */
static const char SQL_ADDR_END_STOP[] =
	"UPDATE addr_bindings SET ended_at = max(?2, bound_at), "
	"end_cause = 'session-stop' WHERE mac = ?1 AND ended_at = 0 "
	"AND bound_at <= ?2 AND NOT EXISTS (SELECT 1 FROM sessions "
	"WHERE mac = ?1 AND ended_at = 0)";

/* ---- queries ---- */

#define BINDING_COLS \
	"b.id, b.address, b.family, b.mac, b.source, b.bridge, b.vlan, " \
	"b.bound_at, b.seen_at, b.expires_at, b.ended_at, b.end_cause, " \
	"coalesce(b.session_id, 0), coalesce(b.account_id, 0), " \
	"coalesce(b.device_id, 0), b.principal, coalesce(d.name, '') " \
	"FROM addr_bindings b LEFT JOIN devices d ON d.id = b.device_id "
#define B_END_B "(CASE WHEN b.ended_at != 0 THEN b.ended_at ELSE b.expires_at END)"

/* ?1 address, ?2 instant: [bound_at, end) holds it */
static const char SQL_BINDING_AT[] =
	"SELECT " BINDING_COLS "WHERE b.address = ?1 AND b.bound_at <= ?2 "
	"AND " B_END_B " > ?2 ORDER BY b.bound_at, b.id";
/* ?1 principal, ?2 from, ?3 to */
static const char SQL_BINDING_BY_PRINCIPAL[] =
	"SELECT " BINDING_COLS "WHERE b.principal = ?1 AND b.bound_at <= ?3 "
	"AND " B_END_B " >= ?2 ORDER BY b.bound_at, b.id";

/* Run @s (bound by the caller) to its end; 0 or -1. */
static int
run(struct avec_store *st, sqlite3_stmt *s, const char *what,
    struct avec_err *err)
{
	int rc = sqlite3_step(s);

	store_done(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, what);
}

static void
bind_key(sqlite3_stmt *s, const char *addr, const char *bridge,
	 const char *mac)
{
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, bridge, -1, SQLITE_STATIC);
	if (mac != NULL)
		sqlite3_bind_text(s, 3, mac, -1, SQLITE_STATIC);
}

/* The address's and MAC's text forms; -1 if the family is not 4 or 6. */
static int
texts(const struct avec_addr_event *e, char *addr, size_t alen, char *mac)
{
	snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", e->mac[0],
		 e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5]);
	if (e->op == AVEC_ADDR_NAK) {
		addr[0] = '\0';
		return 0;
	}
	if (e->family != 4 && e->family != 6)
		return -1;
	return inet_ntop(e->family == 4 ? AF_INET : AF_INET6, e->addr, addr,
			 (socklen_t)alen) == NULL ? -1 : 0;
}

/* The (address, bridge) held by a MAC from now: extended or started. */
static int
bind_one(struct avec_store *st, const struct avec_addr_rec *r,
	 const char *addr, const char *mac, uint32_t nd_lifetime,
	 struct avec_err *err)
{
	const struct avec_addr_event *e = &r->ev;
	int64_t life = e->source == AVEC_ADDR_ND ? nd_lifetime : e->lifetime;
	sqlite3_stmt *s;

	if (life <= 0)
		life = 1;
	if ((s = store_stmt(st, SQL_ADDR_END_OTHERS, err)) == NULL)
		return -1;
	bind_key(s, addr, r->bridge, mac);
	sqlite3_bind_int64(s, 4, r->at);
	sqlite3_bind_text(s, 5, "replaced", -1, SQLITE_STATIC);
	if (run(st, s, "ending a replaced binding", err) < 0)
		return -1;
	if ((s = store_stmt(st, SQL_ADDR_EXTEND, err)) == NULL)
		return -1;
	bind_key(s, addr, r->bridge, mac);
	sqlite3_bind_int64(s, 4, r->at);
	sqlite3_bind_int64(s, 5, r->at + life);
	if (run(st, s, "extending a binding", err) < 0)
		return -1;
	if (sqlite3_changes(st->db) > 0)
		return 0;
	if ((s = store_stmt(st, SQL_ADDR_INSERT, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, e->family);
	sqlite3_bind_text(s, 3, mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, avec_addr_source_name(e->source), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->bridge, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, r->vlan);
	sqlite3_bind_int64(s, 7, r->at);
	sqlite3_bind_int64(s, 8, r->at + life);
	return run(st, s, "recording a binding", err);
}

/* Does a MAC other than @mac hold the address now? 1, 0 or -1. */
static int
held_by_other(struct avec_store *st, const char *addr, const char *bridge,
	      const char *mac, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_ADDR_OTHER_HOLDER, err);
	int rc;

	if (s == NULL)
		return -1;
	bind_key(s, addr, bridge, mac);
	rc = sqlite3_step(s);
	store_done(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "reading bindings");
}

static int
apply_one(struct avec_store *st, const struct avec_addr_rec *r,
	  uint32_t nd_lifetime, struct avec_err *err)
{
	const struct avec_addr_event *e = &r->ev;
	char addr[AVEC_ADDR_MAX + 1], mac[18];
	sqlite3_stmt *s;
	int rc;

	if (texts(e, addr, sizeof(addr), mac) < 0)
		return avec_err_set(err, "binding: not an IPv4 or IPv6 event");
	if (e->op == AVEC_ADDR_NAK) {
		if ((s = store_stmt(st, SQL_ADDR_EXPIRE_MAC, err)) == NULL)
			return -1;
		sqlite3_bind_text(s, 1, mac, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, r->at);
		if (run(st, s, "ending expired bindings", err) < 0 ||
		    (s = store_stmt(st, SQL_ADDR_END_NAK, err)) == NULL)
			return -1;
		sqlite3_bind_text(s, 1, mac, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, r->bridge, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, r->at);
		return run(st, s, "ending refused leases", err);
	}
	if ((s = store_stmt(st, SQL_ADDR_EXPIRE_AT, err)) == NULL)
		return -1;
	bind_key(s, addr, r->bridge, NULL);
	sqlite3_bind_int64(s, 3, r->at);
	if (run(st, s, "ending expired bindings", err) < 0)
		return -1;
	switch (e->op) {
	case AVEC_ADDR_CLAIM:
		/* a tentative address another station holds: it defends it */
		if ((rc = held_by_other(st, addr, r->bridge, mac, err)) != 0)
			return rc < 0 ? -1 : 0;
		return bind_one(st, r, addr, mac, nd_lifetime, err);
	case AVEC_ADDR_BIND:
	case AVEC_ADDR_USE:
		return bind_one(st, r, addr, mac, nd_lifetime, err);
	case AVEC_ADDR_RELEASE:
	case AVEC_ADDR_DECLINE:
		if ((s = store_stmt(st, SQL_ADDR_END_OWN, err)) == NULL)
			return -1;
		bind_key(s, addr, r->bridge, mac);
		sqlite3_bind_int64(s, 4, r->at);
		sqlite3_bind_text(s, 5, e->op == AVEC_ADDR_RELEASE ? "release" :
				  "decline", -1, SQLITE_STATIC);
		return run(st, s, "ending a binding", err);
	case AVEC_ADDR_NAK:
		break;
	}
	return avec_err_set(err, "binding: unknown event");
}

int
avec_store_addr_apply(struct avec_store *st, const struct avec_addr_rec *r,
		      unsigned n, uint32_t nd_lifetime, struct avec_err *err)
{
	unsigned i;
	int own, rc = 0;

	if (n == 0)
		return 0;
	if ((own = store_begin_own(st, err)) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++)
		if (apply_one(st, &r[i], nd_lifetime, err) < 0)
			rc = -1;
	return store_end_own(st, own, rc, err);
}

int
avec_store_addr_expire(struct avec_store *st, int64_t now, uint64_t *ended,
		       struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_ADDR_EXPIRE_ALL, err);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	if (run(st, s, "ending expired bindings", err) < 0)
		return -1;
	if (ended != NULL)
		*ended = (uint64_t)sqlite3_changes(st->db);
	return 0;
}

int
store_addr_session(struct avec_store *st, const struct avec_acct *a,
		   struct avec_err *err)
{
	sqlite3_stmt *s;

	if (a->mac[0] == '\0' || (a->kind != AVEC_ACCT_START &&
	    a->kind != AVEC_ACCT_INTERIM && a->kind != AVEC_ACCT_STOP))
		return 0;
	if (a->kind == AVEC_ACCT_STOP) {
		if ((s = store_stmt(st, SQL_ADDR_EXPIRE_MAC, err)) == NULL)
			return -1;
		sqlite3_bind_text(s, 1, a->mac, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, a->event_time);
		if (run(st, s, "ending expired bindings", err) < 0 ||
		    (s = store_stmt(st, SQL_ADDR_END_STOP, err)) == NULL)
			return -1;
		sqlite3_bind_text(s, 1, a->mac, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, a->event_time);
		return run(st, s, "ending a stopped session's bindings", err);
	}
	if ((s = store_stmt(st, SQL_ADDR_FILL_SESSION, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, a->nas_address, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->session_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, a->mac, -1, SQLITE_STATIC);
	if (run(st, s, "tying bindings to their session", err) < 0 ||
	    (s = store_stmt(st, SQL_ADDR_RESUME, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, a->nas_address, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->session_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, a->mac, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, a->started_at <= a->event_time ?
			   a->started_at : a->event_time);
	return run(st, s, "binding a roaming device's addresses again", err);
}

static void
read_binding(sqlite3_stmt *s, struct avec_binding_rec *b)
{
	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(s, 0);
	store_text(b->address, sizeof(b->address), s, 1);
	b->family = sqlite3_column_int(s, 2);
	store_text(b->mac, sizeof(b->mac), s, 3);
	store_text(b->source, sizeof(b->source), s, 4);
	store_text(b->bridge, sizeof(b->bridge), s, 5);
	b->vlan = sqlite3_column_int(s, 6);
	b->bound_at = sqlite3_column_int64(s, 7);
	b->seen_at = sqlite3_column_int64(s, 8);
	b->expires_at = sqlite3_column_int64(s, 9);
	b->ended_at = sqlite3_column_int64(s, 10);
	store_text(b->end_cause, sizeof(b->end_cause), s, 11);
	b->session_id = sqlite3_column_int64(s, 12);
	b->account_id = sqlite3_column_int64(s, 13);
	b->device_id = sqlite3_column_int64(s, 14);
	store_text(b->principal, sizeof(b->principal), s, 15);
	store_text(b->device_name, sizeof(b->device_name), s, 16);
}

int
avec_store_binding_query(struct avec_store *st, const char *ip,
			 const char *principal, int64_t at, int64_t to,
			 avec_binding_cb cb, void *ctx, struct avec_err *err)
{
	struct avec_binding_rec b;
	sqlite3_stmt *s;
	int rc;

	if ((ip == NULL) == (principal == NULL))
		return avec_err_set(err, "binding query: an address or a person");
	s = store_stmt(st, ip != NULL ? SQL_BINDING_AT : SQL_BINDING_BY_PRINCIPAL,
		       err);
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, ip != NULL ? ip : principal, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, at);
	if (ip == NULL)
		sqlite3_bind_int64(s, 3, to ? to : INT64_MAX);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_binding(s, &b);
		if ((rc = cb(&b, ctx)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(st, err, "reading address bindings");
out:
	store_done(s);
	return rc;
}
