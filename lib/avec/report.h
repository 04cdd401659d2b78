/*
 * report.h - what the administrators read about the appliance as a whole:
 * authentication outcomes per hour and reason, counts of devices, open
 * sessions, and the audit trail of their own commands.
 *
 * Outcomes are counted in memory by the RADIUS module (struct
 * avec_auth_counter: atomic counters, safe from any number of threads,
 * never a write on the request path) and added to the store by the
 * writer's thread about once a minute (avec_store_auth_stats_add).  Hours
 * are UTC hours: Unix seconds / 3600.
 *
 * Store functions follow store.h: one thread per store, 0 or -1 with @err,
 * a non-zero callback return stops a walk and is returned.  Records are
 * fixed-size and owned by the caller.
 */
#ifndef AVEC_REPORT_H
#define AVEC_REPORT_H

#include <stdint.h>
#include "avec/connlog.h"
#include "avec/err.h"
#include "avec/policy.h"
#include "avec/store.h"

/* ---- authentication outcomes ---- */

#define AVEC_AUTH_SLOTS	4	/* hours held in memory at once */

/*
 * Counters of one module instance.  Zero it to start.  A slot holds one
 * UTC hour and is reused AVEC_AUTH_SLOTS hours later, so it must be
 * harvested more often than that (the module's stats_interval is at most
 * an hour).
 */
struct avec_auth_counter {
	struct {
		int64_t hour;				/* 0: never used */
		uint64_t n[AVEC_REASON__COUNT];
	} slot[AVEC_AUTH_SLOTS];
	uint64_t total[AVEC_REASON__COUNT];	/* since start, never reset */
};

/* One row of auth_stats. */
struct avec_auth_stat {
	int64_t hour;			/* UTC hour: Unix seconds / 3600 */
	enum avec_reason reason;
	uint64_t count;
};

/* Count one outcome at @now (Unix seconds); lock-free, never blocks. */
void avec_auth_count(struct avec_auth_counter *c, int64_t now,
		     enum avec_reason r);
/*
 * Take what was counted since the last harvest into @out (room for
 * AVEC_AUTH_SLOTS * AVEC_REASON__COUNT rows), leaving those counters at
 * zero.  Returns the number of rows.  One harvester at a time.
 */
unsigned avec_auth_harvest(struct avec_auth_counter *c,
			   struct avec_auth_stat *out);
#define AVEC_AUTH_HARVEST_MAX	(AVEC_AUTH_SLOTS * AVEC_REASON__COUNT)

/* Add @n rows to auth_stats (count += row's), in one transaction. */
int avec_store_auth_stats_add(struct avec_store *st,
			      const struct avec_auth_stat *s, unsigned n,
			      struct avec_err *err);

/*
 * avec_store_report_auth - the outcomes of the hours that overlap
 * [@from, @to) (Unix seconds; @to 0 = no end), summed per reason: @cb gets
 * each reason code ("accept", "unknown-device", ...) with its count,
 * "accept" first, then the others by code.
 */
typedef int (*avec_report_count_cb)(const char *key, uint64_t count,
				    uint64_t active, void *ctx);
int avec_store_report_auth(struct avec_store *st, int64_t from, int64_t to,
			   avec_report_count_cb cb, void *ctx,
			   struct avec_err *err);

/* ---- devices ---- */

enum avec_report_by {
	AVEC_BY_ROLE = 0,	/* the owner's role */
	AVEC_BY_CLASS,		/* the owner's class groups ("" = none) */
	AVEC_BY_STATUS,		/* active, revoked, expired */
	AVEC_BY_SCHOOL,		/* the owner's schools (UAI; "" = none) */
};
/*
 * avec_store_report_devices - devices counted by @by: @cb gets each key
 * with the number of devices (count) and of active ones (active), keys in
 * order.  By class or school, a device whose owner is in two groups is
 * counted in both; "" collects those in none.
 */
int avec_store_report_devices(struct avec_store *st, enum avec_report_by by,
			      avec_report_count_cb cb, void *ctx,
			      struct avec_err *err);

/*
 * avec_store_report_sessions - the sessions open now (no Stop, no
 * Accounting-Off), oldest first; ended_at is 0 in each.
 */
int avec_store_report_sessions(struct avec_store *st, avec_session_cb cb,
			       void *ctx, struct avec_err *err);

/* ---- the audit trail ---- */

#define AVEC_AUDIT_ACTOR_MAX	127
#define AVEC_AUDIT_ORIGIN_MAX	127
#define AVEC_AUDIT_ACTION_MAX	63
#define AVEC_AUDIT_TARGET_MAX	255
#define AVEC_AUDIT_DETAIL_MAX	1023

struct avec_audit_rec {
	int64_t id;			/* output only */
	int64_t at;
	char actor[AVEC_AUDIT_ACTOR_MAX + 1];
	char origin[AVEC_AUDIT_ORIGIN_MAX + 1];
	char action[AVEC_AUDIT_ACTION_MAX + 1];
	char target[AVEC_AUDIT_TARGET_MAX + 1];
	char detail[AVEC_AUDIT_DETAIL_MAX + 1];	/* never a secret: the
						   caller removes them */
	char outcome[16];		/* ok, refused, not found, failed */
};
/* Append @a (its id is ignored).  Returns 0 or -1. */
int avec_store_audit_add(struct avec_store *st, const struct avec_audit_rec *a,
			 struct avec_err *err);
typedef int (*avec_audit_cb)(const struct avec_audit_rec *a, void *ctx);
/* The rows at or after @since (0: all), oldest first. */
int avec_store_audit_list(struct avec_store *st, int64_t since,
			  avec_audit_cb cb, void *ctx, struct avec_err *err);
/*
 * The audit rows about one person, oldest first, for their export: those
 * whose actor or target is @principal (a block's target "account
 * PRINCIPAL" too), and those whose target is one of their account's
 * devices (a revocation's "N", a block's or the portal's "device N").
 * (store_retention.c)
 */
int avec_store_account_audit(struct avec_store *st, const char *principal,
			     avec_audit_cb cb, void *ctx, struct avec_err *err);
/*
 * @in into @out (@size bytes, always terminated, cut if need be) with each
 * whole-word occurrence of @what (a blank or an edge on both sides)
 * replaced by @with: how audit text is pseudonymised.  @in and @out must
 * not overlap; an empty @what copies @in.  (store_retention.c)
 */
void avec_audit_replace_word(const char *in, const char *what, const char *with,
			     char *out, size_t size);

#endif
