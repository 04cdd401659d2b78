/*
 * ent.h - the ENT account feed in the store: people, structures, imports.
 *
 * People of the academic directory (AAF) live in their own tables, keyed
 * by their AAF identifier; an account is linked to its person by the join
 * key (ENTPersonJointure).  An import reads AAF files (aaf.h) and applies
 * them in ONE transaction: any error rolls everything back.  A person who
 * leaves (missing from a Complet import of their school and category, or
 * deleted by a Delta) gets their linked account suspended at once
 * (suspended_by 'ent-feed'); their devices are revoked once the grace
 * period (setting ent_grace_days) has passed.  A person who comes back
 * gets their account reactivated only if the feed had suspended it.  An
 * incomplete Complet set, or an import that would mark too many of a
 * school's people as departed, is refused (docs/aaf.md).
 *
 * Return convention as in store.h.
 */
#ifndef AVEC_ENT_H
#define AVEC_ENT_H

#include <stdbool.h>
#include <stdint.h>

#include "avec/aaf.h"
#include "avec/err.h"
#include "avec/store.h"

#define AVEC_JOIN_KEY_MAX	128
#define AVEC_ENT_REVOKE_REASON	"left the school (ENT feed)"

/* 1..AVEC_JOIN_KEY_MAX bytes of printable ASCII without blanks. */
bool avec_join_key_valid(const char *s);

struct avec_ent_counts {
	uint64_t records;	/* requests read */
	uint64_t added, changed, left, unchanged;
	uint64_t errors;	/* requests skipped (see warn) */
	uint64_t suspended;	/* linked accounts suspended */
	uint64_t reactivated;
	uint64_t revoked;	/* devices revoked after the grace period */
};

enum avec_ent_kind {
	AVEC_ENT_AUTO = 0,	/* from the file names (_Complet_/_Delta_); else Complet */
	AVEC_ENT_COMPLET,
	AVEC_ENT_DELTA,
};

struct avec_ent_opts {
	enum avec_ent_kind kind;
	int64_t now;
	int grace_days;		/* < 0: the setting ent_grace_days */
	/* do not refuse an import that marks more than the setting
	 * ent_max_departure_pct of a school's people as departed */
	bool allow_mass_departure;
	/* bytes read over all files; may be NULL */
	void (*progress)(uint64_t done, uint64_t total, void *ctx);
	/* a request skipped (modify/delete of an unknown person); may be NULL */
	void (*warn)(const char *msg, void *ctx);
	void *ctx;
};

/*
 * avec_ent_import - import @nfiles AAF files.  Fills @out (may be NULL)
 * and *import_id (may be NULL).  On failure nothing is changed but a
 * 'failed' row in ent_imports; @err says "FILE:LINE: ELEMENT: what", or
 * why the import was refused as a whole:
 *  - a Complet set whose numbered parts of one kind (..._Eleve_NNNN.xml)
 *    are not 0000, 0001, ... without a gap, or come from two exports;
 *  - unless o->allow_mass_departure, an import that would mark more than
 *    the setting ent_max_departure_pct of one school's people (those
 *    present before it) as departed; @err says how many, of how many,
 *    in which school.
 */
int avec_ent_import(struct avec_store *st, const char *const *files,
		    unsigned nfiles, const struct avec_ent_opts *o,
		    struct avec_ent_counts *out, int64_t *import_id,
		    struct avec_err *err);

/* Revoke the devices of accounts whose person left more than the grace
 * period before @now (grace_days < 0: the setting).  *revoked may be NULL. */
int avec_ent_expire(struct avec_store *st, int64_t now, int grace_days,
		    uint64_t *revoked, struct avec_err *err);

/*
 * Link the account of @principal to join key @key (NULL unlinks), in one
 * transaction.  Schools and groups the previous person gave (the feed
 * knew it) go; if the feed knows the new person, its schools and groups
 * replace the account's, else the account keeps its own (the login's or
 * the administrator's).  An active account linked to a person who has
 * left is suspended as the feed would have done.  AVEC_STORE_NOTFOUND
 * (no account), AVEC_STORE_EXISTS (another account has the key).
 */
int avec_ent_link(struct avec_store *st, const char *principal,
		  const char *key, struct avec_err *err);

/*
 * avec_ent_login_memberships - the schools and class groups a login
 * released for @principal replace the account's (as
 * avec_store_account_memberships: a NULL list is left as it is), unless
 * the ENT feed knows the account's person: then the feed's stand, and
 * the lists are not used.  The check and the write are one transaction.
 * *applied (may be NULL) says whether the lists were written.  Nothing is
 * kept or freed.  0, AVEC_STORE_NOTFOUND (no account) or -1.
 */
int avec_ent_login_memberships(struct avec_store *st, const char *principal,
			       const char *const *schools, unsigned nschools,
			       const char *const *groups, unsigned ngroups,
			       bool *applied, struct avec_err *err);

/* The principal of the account linked to @key into @principal (at least
 * AVEC_PRINCIPAL_MAX + 1 bytes): 0, AVEC_STORE_NOTFOUND or -1. */
int avec_ent_join_key_owner(struct avec_store *st, const char *key,
			    char *principal, struct avec_err *err);

struct avec_ent_person {
	char id[65];
	char category[16];
	char join_key[AVEC_JOIN_KEY_MAX + 1];
	enum avec_role role;
	char display_name[AVEC_DISPLAY_NAME_MAX + 1];
	bool left;
	int64_t first_seen, last_seen;	/* import ids */
	int64_t left_at;
	char uais[128];			/* ' '-separated */
	char groups[256];		/* ' '-separated, "UAI$class" when known */
	char principal[AVEC_PRINCIPAL_MAX + 1];	/* linked account, "" */
};
typedef int (*avec_ent_person_cb)(const struct avec_ent_person *p, void *ctx);
int avec_ent_people_list(struct avec_store *st, bool left_only,
			 avec_ent_person_cb cb, void *ctx, struct avec_err *err);
/* The feed's record of the person linked to @principal's account, if any. */
int avec_ent_person_of(struct avec_store *st, const char *principal,
		       avec_ent_person_cb cb, void *ctx, struct avec_err *err);

struct avec_ent_import_rec {
	int64_t id;
	int64_t started_at, finished_at;
	char kind[16];
	char files[256];
	struct avec_ent_counts c;
	char result[16];
	char detail[AVEC_ERR_MAX];
};
typedef int (*avec_ent_import_cb)(const struct avec_ent_import_rec *r, void *ctx);
/* The last @limit imports, newest first. */
int avec_ent_imports_list(struct avec_store *st, unsigned limit,
			  avec_ent_import_cb cb, void *ctx, struct avec_err *err);

struct avec_ent_totals {
	uint64_t present, left, linked, structures;
	int grace_days;
};
int avec_ent_totals(struct avec_store *st, struct avec_ent_totals *t,
		    struct avec_err *err);

#endif
