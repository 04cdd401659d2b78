/*
 * avec-benchgen.c - the data of `make bench`, made fast.
 *
 * What it owns: for N devices spread over A student accounts it writes,
 * into one directory, the same credentials in every form a benchmarked
 * server reads:
 *   users.txt         "username secret" per line, for avec-load only
 *   files-ssha        a FreeRADIUS `files` users file holding the same
 *                     "{ssha256}" hashes AVEC stores (Password-With-Header),
 *                     so that rlm_pap does the same work for both servers
 *   files-clear       the same users with Cleartext-Password (a reference)
 *   radcheck.sql      rlm_sql's radcheck table with the "{ssha256}" hashes
 *   avec.sql          accounts, devices and credentials for AVEC's store,
 *                     to be run by sqlite3 on a store `avecctl init` made
 * The hashes come from libavec's avec_secret_hash(), the very code that
 * avecctl uses, so the module sees what it sees in production.
 *
 * What it must never do: print a secret (they go to users.txt, which the
 * bench keeps in its private scratch directory, mode 0600), or write
 * anywhere but the directory it is given.  These are test accounts with
 * made-up secrets; nothing here touches a real store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "avec/model.h"
#include "avec/secret.h"

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* A valid device username ("dv-" + 16 base32 characters) made from @i. */
static void username_of(unsigned long i, char out[20])
{
	int k;

	memcpy(out, "dv-bench", 8);
	for (k = 18; k >= 8; k--) {
		out[k] = b32[i & 31];
		i >>= 5;
	}
	out[19] = '\0';
}

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "avec-benchgen: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

int main(int argc, char **argv)
{
	unsigned long n, a, i;
	FILE *users, *fs, *fc, *rc, *av;
	long long now = (long long)time(NULL);
	mode_t old;

	if (argc != 4 || (n = strtoul(argv[2], NULL, 10)) == 0 ||
	    (a = strtoul(argv[3], NULL, 10)) == 0 || a > n) {
		fputs("usage: avec-benchgen DIR DEVICES ACCOUNTS\n", stderr);
		return 2;
	}
	old = umask(077);
	users = open_out(argv[1], "users.txt");
	fs = open_out(argv[1], "files-ssha");
	fc = open_out(argv[1], "files-clear");
	rc = open_out(argv[1], "radcheck.sql");
	av = open_out(argv[1], "avec.sql");
	umask(old);

	fputs("CREATE TABLE radcheck (id INTEGER PRIMARY KEY, username TEXT NOT NULL "
	      "DEFAULT '', attribute TEXT NOT NULL DEFAULT '', op TEXT NOT NULL "
	      "DEFAULT '==', value TEXT NOT NULL DEFAULT '');\n"
	      "CREATE INDEX check_username ON radcheck (username);\n"
	      "CREATE TABLE radreply (id INTEGER PRIMARY KEY, username TEXT NOT NULL "
	      "DEFAULT '', attribute TEXT NOT NULL DEFAULT '', op TEXT NOT NULL "
	      "DEFAULT '=', value TEXT NOT NULL DEFAULT '');\n"
	      "CREATE INDEX reply_username ON radreply (username);\n"
	      "CREATE TABLE radgroupcheck (id INTEGER PRIMARY KEY, groupname TEXT, "
	      "attribute TEXT, op TEXT, value TEXT);\n"
	      "CREATE TABLE radgroupreply (id INTEGER PRIMARY KEY, groupname TEXT, "
	      "attribute TEXT, op TEXT, value TEXT);\n"
	      "CREATE TABLE radusergroup (id INTEGER PRIMARY KEY, username TEXT, "
	      "groupname TEXT, priority INTEGER);\n"
	      "BEGIN;\n", rc);
	fputs("BEGIN;\n", av);
	for (i = 0; i < a; i++)
		fprintf(av, "INSERT INTO accounts (id, principal, role, created_at, "
			"updated_at) VALUES (%lu, 'bench%lu', 'student', %lld, %lld);\n",
			i + 1, i + 1, now, now);
	for (i = 0; i < n; i++) {
		char name[20], secret[AVEC_SECRET_LEN + 1], hash[AVEC_HASH_MAX + 1];

		username_of(i, name);
		if (avec_secret_generate(secret, sizeof(secret)) != 0 ||
		    avec_secret_hash(AVEC_CRED_TTLS, secret, hash, sizeof(hash)) != 0) {
			fputs("avec-benchgen: cannot make a secret\n", stderr);
			return 1;
		}
		fprintf(users, "%s %s\n", name, secret);
		fprintf(fs, "%s\tPassword-With-Header := \"%s\"\n\n", name, hash);
		fprintf(fc, "%s\tCleartext-Password := \"%s\"\n\n", name, secret);
		fprintf(rc, "INSERT INTO radcheck (username, attribute, op, value) "
			"VALUES ('%s', 'Password-With-Header', ':=', '%s');\n", name, hash);
		fprintf(av, "INSERT INTO devices (id, account_id, name, cred_type, "
			"created_at) VALUES (%lu, %lu, 'bench', 'ttls', %lld);\n"
			"INSERT INTO credentials (device_id, username, secret_hash) "
			"VALUES (%lu, '%s', '%s');\n",
			i + 1, i % a + 1, now, i + 1, name, hash);
		avec_secret_wipe(secret, sizeof(secret));
	}
	fputs("COMMIT;\n", rc);
	fputs("COMMIT;\n", av);
	if (fclose(users) || fclose(fs) || fclose(fc) || fclose(rc) || fclose(av)) {
		fputs("avec-benchgen: write failed\n", stderr);
		return 1;
	}
	return 0;
}
