/*
 * store_int.h - what the store_*.c files share, and nobody else sees.
 *
 * One struct avec_store is one SQLite connection.  Its statements are
 * prepared on first use and kept: each file declares its SQL as
 * `static const char SQL_X[]` and asks store_stmt() for it, which knows a
 * statement by the address of its text.
 */
#ifndef AVEC_STORE_INT_H
#define AVEC_STORE_INT_H

#include <stdint.h>

#include <sqlite3.h>

#include "avec/connlog.h"
#include "avec/policy.h"
#include "avec/report.h"
#include "avec/store.h"

#define STORE_STMT_MAX 160	/* every store_*.c statement, with room */

struct avec_store {
	sqlite3 *db;
	char *path;
	int readonly;
	int64_t data_version;	/* last seen by avec_store_changed() */
	unsigned nstmt;
	struct {
		const char *sql;	/* a file's static SQL text: the key */
		sqlite3_stmt *stmt;
	} cache[STORE_STMT_MAX];
};

/* Fill @err with what failed and SQLite's message; returns -1. */
int store_fail(struct avec_store *st, struct avec_err *err, const char *what);
/* The statement for @sql (a static string), reset and unbound; NULL on error. */
sqlite3_stmt *store_stmt(struct avec_store *st, const char *sql,
			 struct avec_err *err);
/* Reset @s after use (NULL is fine), so it holds no read lock. */
void store_done(sqlite3_stmt *s);
/* Run SQL without results (BEGIN, COMMIT, PRAGMA ...). */
int store_exec(struct avec_store *st, const char *sql, struct avec_err *err);
/* Roll back the open transaction, if any. */
void store_rollback(struct avec_store *st);
/*
 * A batch that joins the caller's transaction, or is its own: begins a
 * write transaction unless one is open.  1 when it began one (the caller
 * ends it with store_end_own()), 0 when it joined the open one, -1 on error.
 */
int store_begin_own(struct avec_store *st, struct avec_err *err);
/*
 * End what store_begin_own() returned @own for, after a batch that
 * returned @rc (0 or -1): with @own 1, commit when @rc is 0, else (or when
 * the commit fails) roll back; with @own 0, leave the caller's open.
 * Returns @rc, or -1 when the commit failed.
 */
int store_end_own(struct avec_store *st, int own, int rc,
		  struct avec_err *err);
/*
 * The integer in the first column of the one row @sql (a static string
 * without parameters) returns, into *@v.  0, or -1 with @err saying @what
 * failed (no row is a failure too; *@v is then left alone).
 */
int store_int64(struct avec_store *st, const char *sql, int64_t *v,
		const char *what, struct avec_err *err);
/* Copy column @col as text into @dst (always terminated). */
void store_text(char *dst, size_t dstlen, sqlite3_stmt *s, int col);
/* Apply @n last-seen updates inside the open transaction (store_device.c). */
int store_touch_rows(struct avec_store *st, const struct avec_touch *t,
		     unsigned n, struct avec_err *err);
/*
 * What an accounting record does to the address bindings of its MAC,
 * inside the caller's transaction (store_addr.c): a Start or Interim ties
 * the MAC's unowned open bindings to its session and binds again the
 * addresses of a device that roamed; a Stop, when no other session of
 * that MAC is open, ends its bindings.  0 or -1.
 */
int store_addr_session(struct avec_store *st, const struct avec_acct *a,
		       struct avec_err *err);
/*
 * Step @s, whose columns are an audit row's (id, at, actor, origin,
 * action, target, detail, outcome), calling @cb for each row; resets @s.
 * Returns 0, @cb's non-zero value, or -1 (store_report.c).
 */
int store_audit_rows(struct avec_store *st, sqlite3_stmt *s, avec_audit_cb cb,
		     void *ctx, struct avec_err *err);
/* A role_policies row from column @col on (store_policy.c). */
int store_read_policy(sqlite3_stmt *s, int col, struct avec_policy *p);
/* A policy_overrides row selected with OVERRIDE_COLS (store_policy.c). */
int store_read_override(sqlite3_stmt *s, struct avec_override *o);
/*
 * Replace account @id's schools and class groups with the lists given (a
 * NULL list is left as it is), inside the caller's transaction
 * (store_policy.c).  0 or -1; nothing is kept or freed.
 */
int store_put_memberships(struct avec_store *st, int64_t id,
			  const char *const *schools, unsigned nschools,
			  const char *const *groups, unsigned ngroups,
			  struct avec_err *err);
/* The resolved policy of one account, inside the caller's transaction. */
int store_effective_policy(struct avec_store *st, int64_t account_id,
			   enum avec_role role, const char *principal,
			   struct avec_policy *out, struct avec_err *err);

#endif
