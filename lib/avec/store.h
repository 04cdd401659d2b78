/*
 * store.h - AVEC's store: one SQLite file in WAL mode.
 *
 * The store owns the schema (numbered migrations in lib/sql/, applied when a
 * writer opens the file) and every statement run against it; callers see
 * records, never SQL.  A store opened on a file whose schema is newer than
 * this build refuses to run rather than guess.
 *
 * One struct avec_store is one connection: use it from one thread.  All
 * records are fixed-size and owned by the caller.
 *
 * Return convention: 0 on success, -1 on failure with @err filled (err may
 * be NULL); lookups return AVEC_STORE_NOTFOUND (1) when nothing matches.
 */
#ifndef AVEC_STORE_H
#define AVEC_STORE_H

#include <stdint.h>
#include "avec/err.h"
#include "avec/model.h"
#include "avec/policy.h"

#define AVEC_STORE_NOTFOUND	1
#define AVEC_STORE_QUOTA	2	/* registration refused: quota reached */
#define AVEC_STORE_EXISTS	3	/* a unique key is taken */
#define AVEC_STORE_REFUSED	4	/* the account or its policy says no */

/* Flags for avec_store_open(). */
#define AVEC_STORE_READONLY	0x1	/* never write, never migrate */
#define AVEC_STORE_CREATE	0x2	/* create the file if missing */

struct avec_store;

/*
 * avec_store_open - open (and, unless READONLY, migrate) the store at @path.
 * Returns: a store the caller closes with avec_store_close(), or NULL.
 */
struct avec_store *avec_store_open(const char *path, int flags,
				   struct avec_err *err);
void avec_store_close(struct avec_store *st);

/* The schema version this build knows, and the one of the open file. */
int avec_store_schema_latest(void);
int avec_store_schema_version(struct avec_store *st);

/* ---- accounts ---- */

struct avec_account_rec {
	struct avec_account a;		/* id is output-only */
	char display_name[AVEC_DISPLAY_NAME_MAX + 1];
	int64_t created_at;
	int64_t updated_at;
	int64_t ended_at;		/* when it became suspended/left; 0 */
	uint32_t active_devices;	/* output only */
};

/*
 * avec_store_account_put - create or update the account of a->a.principal
 * (role, status, display name).  Sets *id when id is not NULL.
 */
int avec_store_account_put(struct avec_store *st,
			   const struct avec_account_rec *a, int64_t now,
			   int64_t *id, struct avec_err *err);
/* Returns 0 (found), AVEC_STORE_NOTFOUND or -1. */
int avec_store_account_get(struct avec_store *st, const char *principal,
			   struct avec_account_rec *out, struct avec_err *err);
/* Set the status of an account; AVEC_STORE_NOTFOUND if none. */
int avec_store_account_set_status(struct avec_store *st,
				  const char *principal,
				  enum avec_account_status s, int64_t now,
				  struct avec_err *err);

/* Called once per record; a non-zero return stops the walk and is returned. */
typedef int (*avec_account_cb)(const struct avec_account_rec *a, void *ctx);
int avec_store_account_list(struct avec_store *st, avec_account_cb cb,
			    void *ctx, struct avec_err *err);

/* ---- the policy as a whole: what `avecctl policy apply` writes ---- */

struct avec_policy_doc {
	struct avec_policy roles[AVEC_ROLE__COUNT];	/* !defined: not admitted */
	uint8_t nholidays;				/* also in roles[].holidays */
	struct avec_dayrange holidays[AVEC_HOLIDAYS_MAX];
	char holiday_names[AVEC_HOLIDAYS_MAX][AVEC_REASON_TEXT_MAX + 1];
	unsigned noverrides;
	struct avec_override *overrides;	/* see avec_policy_doc_clear() */
};

/*
 * avec_store_policy_replace - make @doc the whole policy, in one
 * transaction: role policies, holidays and overrides are replaced (blocks
 * are not part of it).  Every value is checked first; on any error nothing
 * changes and @err names the role or the override at fault.
 */
int avec_store_policy_replace(struct avec_store *st,
			      const struct avec_policy_doc *doc,
			      struct avec_err *err);
/*
 * avec_store_policy_doc - read the whole policy into @doc.  doc->overrides
 * is allocated here; release it with avec_policy_doc_clear().
 */
int avec_store_policy_doc(struct avec_store *st, struct avec_policy_doc *doc,
			  struct avec_err *err);
void avec_policy_doc_clear(struct avec_policy_doc *doc);

/*
 * avec_store_policy_effective - the policy that applies to @principal's
 * account now: its role's, with holidays and the overrides of its schools,
 * class groups and itself.  AVEC_STORE_NOTFOUND if there is no account.
 */
int avec_store_policy_effective(struct avec_store *st, const char *principal,
				struct avec_policy *out, struct avec_err *err);

/*
 * An account's schools (UAI) and class groups: each list given replaces
 * the account's; a NULL list leaves that one as it is.
 */
int avec_store_account_memberships(struct avec_store *st, const char *principal,
				   const char *const *schools, unsigned nschools,
				   const char *const *groups, unsigned ngroups,
				   struct avec_err *err);

/* ---- block lists ---- */

enum avec_block_kind { AVEC_BLOCK_ACCOUNT = 0, AVEC_BLOCK_DEVICE };

struct avec_block_rec {
	enum avec_block_kind kind;
	char target[AVEC_PRINCIPAL_MAX + 1];	/* principal, or device id */
	char reason[AVEC_REASON_TEXT_MAX + 1];
	int64_t created_at;
};
/* Block @target (a principal, or a device id in decimal): 0 or EXISTS. */
int avec_store_block(struct avec_store *st, enum avec_block_kind kind,
		     const char *target, const char *reason, int64_t now,
		     struct avec_err *err);
/* 0, or AVEC_STORE_NOTFOUND if it was not blocked. */
int avec_store_unblock(struct avec_store *st, enum avec_block_kind kind,
		       const char *target, struct avec_err *err);
typedef int (*avec_block_cb)(const struct avec_block_rec *b, void *ctx);
int avec_store_block_list(struct avec_store *st, avec_block_cb cb, void *ctx,
			  struct avec_err *err);

/* ---- devices ---- */

struct avec_device_rec {
	struct avec_device d;		/* rank is not filled by listings */
	char principal[AVEC_PRINCIPAL_MAX + 1];	/* owner */
	char name[AVEC_DEVICE_NAME_MAX + 1];
	/*
	 * credential: username+hash (TTLS/PEAP), serial+fingerprint (TLS),
	 * or MAC+key (PSK; the username names the device in logs)
	 */
	char username[AVEC_USERNAME_MAX + 1];
	char secret_hash[AVEC_HASH_MAX + 1];
	char cert_serial[AVEC_SERIAL_MAX + 1];
	char cert_fingerprint[AVEC_FINGERPRINT_MAX + 1];
	char mac[18];			/* PSK: bound MAC, "aa:bb:..."; else "" */
	char psk[AVEC_PSK_MAX + 1];	/* PSK: the key, in clear; else "" */
	int64_t created_at;
	int64_t last_seen;		/* 0 = never */
	char last_mac[18];		/* hint only; "" = none */
	int64_t revoked_at;		/* 0 = not revoked */
	char revoke_reason[AVEC_REASON_TEXT_MAX + 1];
};

/*
 * avec_store_device_register - add a device to an existing active account.
 * @in: principal, name, d.cred_type and its credential fields, d.expires_at
 *      (0 = derive from the role's device_lifetime, if any).
 * In one IMMEDIATE transaction: check the account exists and is active, its
 * role is admitted and allows the credential type, and count its active
 * devices against max_devices; then insert.  Two concurrent registrations
 * can therefore never exceed the quota.
 * @id: set to the new device id.
 * A PSK device also needs a MAC that no other active device holds.
 * Returns: 0; AVEC_STORE_QUOTA; AVEC_STORE_NOTFOUND (no such account);
 * AVEC_STORE_EXISTS (username or serial taken); AVEC_STORE_REFUSED
 * (account not active, role not admitted, type not allowed, MAC taken);
 * -1 (I/O).
 * In every case but 0, @err says why and nothing was written.
 */
int avec_store_device_register(struct avec_store *st,
			       const struct avec_device_rec *in, int64_t now,
			       int64_t *id, struct avec_err *err);
/* Revoke an active device; AVEC_STORE_NOTFOUND if no such active device. */
int avec_store_device_revoke(struct avec_store *st, int64_t id,
			     const char *reason, int64_t now,
			     struct avec_err *err);
int avec_store_device_get(struct avec_store *st, int64_t id,
			  struct avec_device_rec *out, struct avec_err *err);
typedef int (*avec_device_cb)(const struct avec_device_rec *d, void *ctx);
/* Devices of @principal (NULL: all), oldest first. */
int avec_store_device_list(struct avec_store *st, const char *principal,
			   avec_device_cb cb, void *ctx, struct avec_err *err);

/* ---- policies ---- */

/* Returns 0 with out->defined false when the role has no policy. */
int avec_store_policy_get(struct avec_store *st, enum avec_role role,
			  struct avec_policy *out, struct avec_err *err);
/* pol->defined false removes the role's policy (role no longer admitted). */
int avec_store_policy_set(struct avec_store *st, enum avec_role role,
			  const struct avec_policy *pol, struct avec_err *err);

/* ---- writes queued from the request path (see writer.h) ---- */

struct avec_touch {
	int64_t device_id;
	int64_t seen_at;
	char mac[18];			/* "" = unknown */
};
/* Apply @n last-seen updates in one transaction. */
int avec_store_touch(struct avec_store *st, const struct avec_touch *t,
		     unsigned n, struct avec_err *err);

/* ---- bulk reads for the in-memory index (index.c) ---- */

/* One row each, as the index needs them. */
struct avec_scan_device {
	struct avec_device d;		/* rank not filled */
	const char *username;		/* valid during the callback only */
	const char *secret_hash;
	const char *cert_serial;	/* "" but for TLS */
	const char *mac;		/* "" but for PSK */
	const char *psk;		/* "" but for PSK */
};
/*
 * Where a view of the store stands, read in the same transaction as the
 * rows (lib/sql/0008_device_changes.sql).
 */
struct avec_scan_mark {
	uint64_t generation;		/* moves with anything a decision reads */
	uint64_t base_generation;	/* moves with all that but devices */
	int64_t seq;			/* newest device_changes row, 0: none */
};
struct avec_scan_cb {
	/* first, when not NULL: the mark of the view the rows come from */
	int (*mark)(const struct avec_scan_mark *m, void *ctx);
	/* holidays first, then role policies (without holidays filled in) */
	int (*holiday)(const struct avec_dayrange *h, void *ctx);
	int (*policy)(enum avec_role role, const struct avec_policy *p, void *ctx);
	int (*override)(const struct avec_override *o, void *ctx);
	/* accounts by id, each with blocked set */
	int (*account)(const struct avec_account *a, void *ctx);
	/* schools then groups of accounts, ordered by account id */
	int (*membership)(int64_t account_id, enum avec_scope scope,
			  const char *target, void *ctx);
	/* devices ordered by account, then creation time; blocked set */
	int (*device)(const struct avec_scan_device *d, void *ctx);
};
/*
 * avec_store_scan - read every policy, then every account, then every
 * device, in one read transaction, and give the decision generation of
 * that consistent view in *generation.
 */
int avec_store_scan(struct avec_store *st, const struct avec_scan_cb *cb,
		    void *ctx, uint64_t *generation, struct avec_err *err);
/*
 * The devices that changed since a mark, and the devices to read again.
 * changed: each device changed since the mark, once, by id, with its owner
 *   and its PSK MAC now (0 and "" when the device is gone).
 * want: after the last change, the accounts whose devices to read, and
 *   MACs whose every owner's devices to read too (the store finds them).
 *   The arrays stay the caller's, valid until avec_store_scan_delta()
 *   returns.
 * device: the devices of those accounts, each account's oldest first,
 *   accounts by id, as avec_store_scan() gives them.
 * Each returns 0 to go on; anything else stops the scan with that value.
 */
struct avec_delta_cb {
	int (*changed)(int64_t device_id, int64_t account_id, const char *mac,
		       void *ctx);
	int (*want)(void *ctx, const int64_t **accounts, size_t *naccounts,
		    const char (**macs)[18], size_t *nmacs);
	int (*device)(const struct avec_scan_device *d, void *ctx);
};
/*
 * avec_store_scan_delta - in one read transaction, read the store's mark
 * into *now and, if only devices changed since @since (same base
 * generation, every journal row after since->seq still kept, at most
 * @max_changes devices), run @cb over those changes.
 * Returns: 0 (done), 1 (more than devices changed, or too many of them:
 *   read everything again with avec_store_scan), a callback's non-zero
 *   value, or -1 (err set).
 */
int avec_store_scan_delta(struct avec_store *st,
			  const struct avec_scan_mark *since,
			  uint32_t max_changes, const struct avec_delta_cb *cb,
			  void *ctx, struct avec_scan_mark *now,
			  struct avec_err *err);
/*
 * avec_store_changed - cheap test for a commit by another connection
 * since the last call (SQLite's data_version).  Returns 1, 0 or -1.
 */
int avec_store_changed(struct avec_store *st, struct avec_err *err);
/* The decision generation now (see lib/sql/0001_init.sql). */
int avec_store_generation(struct avec_store *st, uint64_t *gen,
			  struct avec_err *err);

#endif
