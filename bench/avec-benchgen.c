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
 *   radcheck.sql      rlm_sql's tables as its stock SQLite schema has them:
 *                     radcheck with the "{ssha256}" hashes, every user in
 *                     group "student" whose radgroupreply holds the VLAN,
 *                     an empty radpostauth
 *   avec.sql          accounts, devices and credentials for AVEC's store,
 *                     to be run by sqlite3 on a store `avecctl init` made
 * The hashes come from libavec's avec_secret_hash(), the very code that
 * avecctl uses, so the module sees what it sees in production.
 *
 * With --tls CA_DIR the devices are EAP-TLS devices instead: each gets a
 * client certificate from the appliance CA in CA_DIR, issued by
 * provisioning/ca (avec_ca_issue_client, as `avecctl device add --type
 * tls` does) and written as tls/NAME.pem and tls/NAME.key (0600), and
 * avec.sql registers it with its serial and fingerprint; nothing else is
 * written.  That is thousands of devices in seconds, where avecctl takes
 * one process and one transaction per device.
 *
 * What it must never do: print a secret or a key (they go to users.txt
 * and tls/, which the bench keeps in its private scratch directory, mode
 * 0600), write anywhere but the directory it is given, or change the CA
 * (it is only read, to sign).  These are test accounts with
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
#include "ca/ca.h"

#define TLS_LIFETIME	(30 * 86400L)	/* bench certificates: 30 days */

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

static void accounts_sql(FILE *av, unsigned long a, long long now)
{
	unsigned long i;

	for (i = 0; i < a; i++)
		fprintf(av, "INSERT INTO accounts (id, principal, role, created_at, "
			"updated_at) VALUES (%lu, 'bench%lu', 'student', %lld, %lld);\n",
			i + 1, i + 1, now, now);
}

/* --tls: N certificates from the CA in @ca_dir, in DIR/tls, and avec.sql. */
static int gen_tls(const char *ca_dir, const char *dir, unsigned long n,
		   unsigned long a, long long now)
{
	struct avec_err err = { { 0 } };
	struct avec_ca *ca;
	char tdir[4096], cert[4200], key[4200];
	unsigned long i;
	FILE *av;
	mode_t old;

	if (snprintf(tdir, sizeof(tdir), "%s/tls", dir) >= (int)sizeof(tdir) ||
	    (mkdir(tdir, 0700) < 0 && errno != EEXIST)) {
		fprintf(stderr, "avec-benchgen: %s: cannot make it\n", tdir);
		return 1;
	}
	if ((ca = avec_ca_open(ca_dir, &err)) == NULL) {
		fprintf(stderr, "avec-benchgen: %s\n", err.msg);
		return 1;
	}
	old = umask(077);
	av = open_out(dir, "avec.sql");
	umask(old);
	fputs("BEGIN;\n", av);
	accounts_sql(av, a, now);
	for (i = 0; i < n; i++) {
		struct avec_ca_certinfo info;
		struct avec_ca_cred *cr;
		char name[20];

		username_of(i, name);
		snprintf(cert, sizeof(cert), "%s/%s.pem", tdir, name);
		snprintf(key, sizeof(key), "%s/%s.key", tdir, name);
		cr = avec_ca_issue_client(ca, name, TLS_LIFETIME, &info, &err);
		if (!cr || avec_ca_cred_write_pem(cr, cert, key, &err) < 0) {
			fprintf(stderr, "avec-benchgen: %s: %s\n", name, err.msg);
			avec_ca_cred_free(cr);
			avec_ca_close(ca);
			fclose(av);
			return 1;
		}
		avec_ca_cred_free(cr);
		fprintf(av, "INSERT INTO devices (id, account_id, name, cred_type, "
			"created_at, expires_at) VALUES (%lu, %lu, 'bench', 'tls', "
			"%lld, %lld);\n"
			"INSERT INTO credentials (device_id, username, cert_serial, "
			"cert_fingerprint) VALUES (%lu, '%s', '%s', '%s');\n",
			i + 1, i % a + 1, now, (long long)info.not_after,
			i + 1, name, info.serial, info.fingerprint);
	}
	avec_ca_close(ca);
	fputs("COMMIT;\n", av);
	if (fclose(av)) {
		fputs("avec-benchgen: write failed\n", stderr);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n, a, i;
	FILE *users, *fs, *fc, *rc, *av;
	long long now = (long long)time(NULL);
	const char *ca_dir = NULL;
	mode_t old;

	if (argc > 2 && strcmp(argv[1], "--tls") == 0) {
		ca_dir = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc != 4 || (n = strtoul(argv[2], NULL, 10)) == 0 ||
	    (a = strtoul(argv[3], NULL, 10)) == 0 || a > n) {
		fputs("usage: avec-benchgen [--tls CA_DIR] DIR DEVICES ACCOUNTS\n", stderr);
		return 2;
	}
	if (ca_dir) return gen_tls(ca_dir, argv[1], n, a, now);
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
	      "CREATE INDEX radusergroup_username ON radusergroup (username);\n"
	      "CREATE TABLE radpostauth (id INTEGER PRIMARY KEY, username TEXT "
	      "NOT NULL, pass TEXT NOT NULL DEFAULT '', reply TEXT NOT NULL "
	      "DEFAULT '', authdate TEXT NOT NULL DEFAULT '', class TEXT NOT "
	      "NULL DEFAULT '');\n"
	      "BEGIN;\n"
	      /* the role's VLAN, as a stock setup gives it: a group reply */
	      "INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES "
	      "('student', 'Tunnel-Type', ':=', 'VLAN'), "
	      "('student', 'Tunnel-Medium-Type', ':=', 'IEEE-802'), "
	      "('student', 'Tunnel-Private-Group-Id', ':=', '20');\n", rc);
	fputs("BEGIN;\n", av);
	accounts_sql(av, a, now);
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
			"VALUES ('%s', 'Password-With-Header', ':=', '%s');\n"
			"INSERT INTO radusergroup (username, groupname, priority) "
			"VALUES ('%s', 'student', 1);\n", name, hash, name);
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
