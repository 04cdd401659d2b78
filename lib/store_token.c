/*
 * store_token.c - the admin API's tokens (token.h).
 *
 * It owns the admin_tokens table and the only code that sees a token's
 * text: made here from 256 random bits, hashed here, shown to the caller
 * once.  It must never store, log or return in an error a token's text.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "avec/secret.h"
#include "avec/token.h"
#include "store_int.h"

#define PREFIX		"avt_"
#define RAW_LEN		32
#define HASH_HEX	64

static const char SQL_TOKEN_ADD[] =
	"INSERT INTO admin_tokens (name, scope, hash, created_at) "
	"VALUES (?1, ?2, ?3, ?4)";
static const char SQL_TOKEN_CHECK[] =
	"UPDATE admin_tokens SET last_used = ?2 "
	"WHERE hash = ?1 AND revoked_at = 0 "
	"RETURNING id, name, scope, created_at, last_used, revoked_at";
static const char SQL_TOKEN_REVOKE[] =
	"UPDATE admin_tokens SET revoked_at = ?2 "
	"WHERE name = ?1 AND revoked_at = 0";
static const char SQL_TOKEN_LIST[] =
	"SELECT id, name, scope, created_at, last_used, revoked_at "
	"FROM admin_tokens ORDER BY id";

const char *
avec_token_scope_name(enum avec_token_scope s)
{
	return s == AVEC_TOKEN_WRITE ? "write" : "read";
}

int
avec_token_scope_parse(const char *s, enum avec_token_scope *out)
{
	if (strcmp(s, "read") == 0)
		*out = AVEC_TOKEN_READ;
	else if (strcmp(s, "write") == 0)
		*out = AVEC_TOKEN_WRITE;
	else
		return -1;
	return 0;
}

static bool
b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool
avec_token_valid(const char *t)
{
	size_t i;

	if (strncmp(t, PREFIX, 4) != 0 || strlen(t) != AVEC_TOKEN_LEN)
		return false;
	for (i = 4; i < AVEC_TOKEN_LEN; i++)
		if (!b64url_char(t[i]))
			return false;
	return true;
}

static bool
name_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > AVEC_TOKEN_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!b64url_char(s[i]) && s[i] != '.')
			return false;
	return true;
}

static int
hash_hex(const char *token, char out[HASH_HEX + 1])
{
	unsigned char md[32];
	unsigned int len = 0;
	unsigned i;

	if (EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL) != 1 ||
	    len != sizeof(md))
		return -1;
	for (i = 0; i < sizeof(md); i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static void
row(sqlite3_stmt *s, struct avec_token_rec *t)
{
	char scope[8];

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(s, 0);
	store_text(t->name, sizeof(t->name), s, 1);
	store_text(scope, sizeof(scope), s, 2);
	avec_token_scope_parse(scope, &t->scope);
	t->created_at = sqlite3_column_int64(s, 3);
	t->last_used = sqlite3_column_int64(s, 4);
	t->revoked_at = sqlite3_column_int64(s, 5);
}

int
avec_token_create(struct avec_store *st, const char *name,
		  enum avec_token_scope scope, int64_t now, char *out,
		  struct avec_err *err)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[RAW_LEN + 11];
	char hash[HASH_HEX + 1];
	sqlite3_stmt *s;
	unsigned i;
	int rc;

	if (!name_valid(name))
		return avec_err_set(err, "invalid token name: expected 1 to %d "
				    "characters of A-Z a-z 0-9 . _ -",
				    AVEC_TOKEN_NAME_MAX);
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return avec_err_set(err, "the random source failed");
	memcpy(out, PREFIX, 4);
	for (i = 0; i < AVEC_TOKEN_LEN - 4; i++)
		out[4 + i] = tab[raw[i] & 63];	/* 43 x 6 bits >= 256 */
	out[AVEC_TOKEN_LEN] = '\0';
	avec_secret_wipe(raw, sizeof(raw));
	if (hash_hex(out, hash) < 0) {
		avec_secret_wipe(out, AVEC_TOKEN_LEN + 1);
		return avec_err_set(err, "cannot hash the token");
	}
	if ((s = store_stmt(st, SQL_TOKEN_ADD, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, avec_token_scope_name(scope), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	rc = sqlite3_step(s);
	store_done(s);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		avec_secret_wipe(out, AVEC_TOKEN_LEN + 1);
		avec_err_set(err, "a token named %s exists", name);
		return AVEC_STORE_EXISTS;
	}
	if (rc != SQLITE_DONE) {
		avec_secret_wipe(out, AVEC_TOKEN_LEN + 1);
		return store_fail(st, err, "adding a token");
	}
	return 0;
}

int
avec_token_check(struct avec_store *st, const char *token, int64_t now,
		 struct avec_token_rec *out, struct avec_err *err)
{
	char hash[HASH_HEX + 1];
	sqlite3_stmt *s;
	int rc;

	if (!avec_token_valid(token))
		return AVEC_STORE_NOTFOUND;
	if (hash_hex(token, hash) < 0)
		return avec_err_set(err, "cannot hash the token");
	if ((s = store_stmt(st, SQL_TOKEN_CHECK, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		row(s, out);
	store_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return AVEC_STORE_NOTFOUND;
	return store_fail(st, err, "checking a token");
}

int
avec_token_revoke(struct avec_store *st, const char *name, int64_t now,
		  struct avec_err *err)
{
	sqlite3_stmt *s;
	int rc, n;

	if ((s = store_stmt(st, SQL_TOKEN_REVOKE, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	rc = sqlite3_step(s);
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "revoking a token");
	n = sqlite3_changes(st->db);
	if (n == 0) {
		avec_err_set(err, "no live token named %s", name);
		return AVEC_STORE_NOTFOUND;
	}
	return 0;
}

int
avec_token_list(struct avec_store *st, avec_token_cb cb, void *ctx,
		struct avec_err *err)
{
	struct avec_token_rec t;
	sqlite3_stmt *s;
	int rc, stop = 0;

	if ((s = store_stmt(st, SQL_TOKEN_LIST, err)) == NULL)
		return -1;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		row(s, &t);
		stop = cb(&t, ctx);
	}
	store_done(s);
	if (stop)
		return stop;
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "listing tokens");
}
