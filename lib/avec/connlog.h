/*
 * connlog.h - the connection log: who held which address, when, through
 * which access point; and how long AVEC keeps it.
 *
 * French law asks an operator to keep, for one year, what identifies the
 * source of a connection (the person, the device, its MAC as a hint, the
 * address it was given, start and end), then to purge it; never a URL,
 * never content.  Records arrive from RADIUS accounting (rlm_avec, through
 * the writer, writer.h) as struct avec_acct and are folded into one row per
 * accounting session, keyed by (NAS address, Acct-Session-Id): a session
 * keeps its earliest start and its largest counters whatever order the
 * Start, Interim-Update and Stop arrive in.
 *
 * Retention (avec_store_purge) and a person's rights (export, erase) live
 * here too, because they decide what the log still holds.  Every function
 * takes the store from one thread (store.h); records are fixed-size and
 * owned by the caller.  Times are Unix seconds.
 */
#ifndef AVEC_CONNLOG_H
#define AVEC_CONNLOG_H

#include <stdint.h>
#include "avec/err.h"
#include "avec/model.h"
#include "avec/store.h"

#define AVEC_ADDR_MAX		45	/* an IPv6 address as text */
#define AVEC_ACCT_ID_MAX	64	/* Acct-Session-Id, bytes kept */
#define AVEC_NAS_PORT_MAX	64	/* NAS-Port-Id, or NAS-Port in decimal */
#define AVEC_CAUSE_MAX		32	/* Acct-Terminate-Cause's name */

/*
 * The opaque token rlm_avec puts in the Class of an Access-Accept and reads
 * back from accounting: "avec1:" and the device id in decimal.
 */
#define AVEC_CLASS_PREFIX	"avec1:"

/* What an Accounting-Request says. */
enum avec_acct_kind {
	AVEC_ACCT_START = 0,
	AVEC_ACCT_INTERIM,
	AVEC_ACCT_STOP,
	AVEC_ACCT_NAS_ON,	/* Accounting-On: the NAS (re)started */
	AVEC_ACCT_NAS_OFF,	/* Accounting-Off: the NAS stops */
};

struct avec_acct {
	enum avec_acct_kind kind;
	char nas_address[AVEC_ADDR_MAX + 1];
	char session_id[AVEC_ACCT_ID_MAX + 1];	/* "" for NAS_ON/OFF */
	char nas_port[AVEC_NAS_PORT_MAX + 1];	/* "" = unknown */
	int64_t device_id;		/* from the Class token; 0 = unknown */
	char mac[18];			/* normalised; "" = unknown */
	char framed_ip[AVEC_ADDR_MAX + 1];	/* "" = unknown */
	int64_t event_time;		/* when the NAS says it happened */
	int64_t started_at;		/* event_time - Acct-Session-Time */
	uint64_t input_bytes;		/* with the Gigawords */
	uint64_t output_bytes;
	char terminate_cause[AVEC_CAUSE_MAX + 1];	/* "" = none */
};

/*
 * avec_store_acct_apply - fold @n accounting records into the log, in
 * order, inside the caller's transaction when one is open, else in one of
 * its own.  Start/Interim/Stop upsert their session: the start only moves
 * earlier, counters, last update and end only grow, a Stop's end is never
 * undone by a late Interim or Start.  The device (and its account and
 * principal, copied so that they outlive an erased account) comes from
 * device_id, or else from the device last accepted from that MAC.
 * NAS_ON/OFF end every session of that NAS that is still open.
 * Returns: 0, or -1 with nothing applied.
 */
int avec_store_acct_apply(struct avec_store *st, const struct avec_acct *a,
			  unsigned n, struct avec_err *err);

/*
 * avec_store_write_batch - the writer's one transaction: @nt last-seen
 * touches (first: an Accounting-Start right after an accept finds the MAC
 * hint), then @na accounting records.  Returns 0, or -1 (nothing written).
 */
int avec_store_write_batch(struct avec_store *st, const struct avec_touch *t,
			   unsigned nt, const struct avec_acct *a, unsigned na,
			   struct avec_err *err);

/* One row of the log, as a query returns it. */
struct avec_session_rec {
	int64_t id;
	char nas_address[AVEC_ADDR_MAX + 1];
	char session_id[AVEC_ACCT_ID_MAX + 1];
	char nas_port[AVEC_NAS_PORT_MAX + 1];
	int64_t account_id;		/* 0 once the account is erased */
	int64_t device_id;		/* 0 once the device is erased */
	char principal[AVEC_PRINCIPAL_MAX + 1];	/* kept after erasure */
	char device_name[AVEC_DEVICE_NAME_MAX + 1];	/* "" if erased */
	char mac[18];
	char framed_ip[AVEC_ADDR_MAX + 1];
	int64_t started_at, updated_at;
	int64_t ended_at;		/* 0: still open */
	uint64_t input_bytes, output_bytes;
	char terminate_cause[AVEC_CAUSE_MAX + 1];
};

/* What to look for; exactly one of ip, principal, mac, device_id. */
struct avec_session_query {
	const char *ip;		/* with at: sessions holding ip at that instant */
	int64_t at;
	const char *principal;
	const char *mac;	/* normalised */
	int64_t device_id;
	int64_t from, to;	/* overlap window for the others; 0 = open */
};

typedef int (*avec_session_cb)(const struct avec_session_rec *s, void *ctx);
/*
 * avec_store_session_query - the sessions matching @q, oldest first.  By
 * ip: started_at <= at and (ended_at >= at or still open).  Otherwise the
 * sessions overlapping [from, to].  A non-zero return of @cb stops the
 * walk and is returned.
 */
int avec_store_session_query(struct avec_store *st,
			     const struct avec_session_query *q,
			     avec_session_cb cb, void *ctx,
			     struct avec_err *err);

/* ---- settings (table settings) ---- */

/*
 * The settings an administrator may change, with their bounds:
 * log_retention_days (connection log, 1..3650, default 365),
 * account_retention_days (identity data after an account ends, 1..3650,
 * default 1825) and ent_max_departure_pct (the share of a school's people
 * one ENT import may mark as departed, percent, 0..100, default 5).  Returns 0, AVEC_STORE_NOTFOUND (no such key), or -1.
 * _set refuses a value out of bounds (-1, @err says the bounds).
 */
int avec_store_setting_get(struct avec_store *st, const char *key,
			   int64_t *value, struct avec_err *err);
int avec_store_setting_set(struct avec_store *st, const char *key,
			   int64_t value, struct avec_err *err);
/* The known keys, NULL-terminated, for listings and usage. */
extern const char *const avec_setting_keys[];
/* The bounds of @key; -1 if unknown. */
int avec_setting_bounds(const char *key, int64_t *min, int64_t *max);

/* ---- retention and a person's rights ---- */

struct avec_purge_stats {
	uint64_t sessions;	/* connection log rows deleted */
	uint64_t bindings;	/* address bindings deleted (addr.h) */
	uint64_t accounts;	/* ended accounts deleted, with their devices */
	uint64_t devices;
};

/*
 * avec_store_purge - delete, as of @now, the sessions whose end (or last
 * update, if still open) is older than log_retention_days, the address
 * bindings whose end (or expiry, if still held) is, and the
 * accounts that ended (suspended or left) more than
 * account_retention_days ago, with their devices and credentials.  The
 * deleted bytes are overwritten (PRAGMA secure_delete) and the WAL is
 * checkpointed and truncated, so they are gone from the files.
 */
int avec_store_purge(struct avec_store *st, int64_t now,
		     struct avec_purge_stats *out, struct avec_err *err);

/* What an erasure did. */
struct avec_erasure {
	uint64_t devices;	/* deleted */
	uint64_t audit_rows;	/* pseudonymised */
	char pseudonym[32];	/* "erased-<n>": the person in the audit trail */
};

/*
 * avec_store_account_erase - delete the account of @principal with its
 * devices, credentials, schools and groups, overwriting the bytes as
 * avec_store_purge does, and pseudonymise the person's audit rows
 * (avec_store_account_audit's): their principal (actor, target, detail)
 * becomes a pseudonym "erased-<n>", the same in every row and never
 * reused (table erasures); in detail, the values of --name, --join-key
 * and --mac, and any word that is their display name, a device's name,
 * username or MAC, or their join key, become "[erased]".  Who acted on
 * them, what and when stay.  One transaction.  The connection log keeps
 * its rows, and the address bindings theirs (addr.h), with the principal,
 * until their own retention ends: the law requires them.  @out may be
 * NULL.
 * Returns: 0, AVEC_STORE_NOTFOUND or -1.
 */
int avec_store_account_erase(struct avec_store *st, const char *principal,
			     struct avec_erasure *out, struct avec_err *err);

/* The account's schools (UAI) and class groups, for an export. */
typedef int (*avec_text_cb)(const char *value, void *ctx);
int avec_store_account_schools(struct avec_store *st, int64_t account_id,
			       avec_text_cb cb, void *ctx,
			       struct avec_err *err);
int avec_store_account_groups(struct avec_store *st, int64_t account_id,
			      avec_text_cb cb, void *ctx,
			      struct avec_err *err);

#endif
