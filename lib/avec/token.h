/*
 * token.h - tokens of avecd's admin API, in the store.
 *
 * A token is "avt_" and 43 characters of base64url (256 random bits).  It
 * is shown once, to whoever makes it (avecctl token add); the store keeps
 * its SHA-256 only.  Checking a token hashes what was presented and looks
 * the hash up: the comparison is on hashes of 256-bit secrets, so a
 * timing difference says nothing usable.
 *
 * Return convention as in store.h.
 */
#ifndef AVEC_TOKEN_H
#define AVEC_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#include "avec/err.h"
#include "avec/store.h"

#define AVEC_TOKEN_LEN		47	/* "avt_" + 43 */
#define AVEC_TOKEN_NAME_MAX	64

enum avec_token_scope { AVEC_TOKEN_READ = 0, AVEC_TOKEN_WRITE };

struct avec_token_rec {
	int64_t id;
	char name[AVEC_TOKEN_NAME_MAX + 1];
	enum avec_token_scope scope;
	int64_t created_at, last_used, revoked_at;
};

const char *avec_token_scope_name(enum avec_token_scope s);
int avec_token_scope_parse(const char *s, enum avec_token_scope *out);
/* True for a well-formed token (not whether it is known). */
bool avec_token_valid(const char *t);

/*
 * avec_token_create - a fresh token named @name (1..AVEC_TOKEN_NAME_MAX
 * bytes of [A-Za-z0-9._-]) with @scope; its text goes to @out
 * (AVEC_TOKEN_LEN + 1 bytes), for the caller to show once and wipe.
 * Returns: 0, AVEC_STORE_EXISTS (name taken) or -1.
 */
int avec_token_create(struct avec_store *st, const char *name,
		      enum avec_token_scope scope, int64_t now, char *out,
		      struct avec_err *err);
/*
 * avec_token_check - the live token whose text is @token: fills @out and
 * records its use at @now.  AVEC_STORE_NOTFOUND for an unknown, revoked
 * or malformed token.
 */
int avec_token_check(struct avec_store *st, const char *token, int64_t now,
		     struct avec_token_rec *out, struct avec_err *err);
/* Revoke the token @name: 0 or AVEC_STORE_NOTFOUND. */
int avec_token_revoke(struct avec_store *st, const char *name, int64_t now,
		      struct avec_err *err);
typedef int (*avec_token_cb)(const struct avec_token_rec *t, void *ctx);
int avec_token_list(struct avec_store *st, avec_token_cb cb, void *ctx,
		    struct avec_err *err);

#endif
