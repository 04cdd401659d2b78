/*
 * store.c - the store's connection: opening, the schema's migrations, and
 * the statement cache every store_*.c file runs its SQL through.
 *
 * The store is one SQLite file in WAL mode: readers (the RADIUS module's
 * index) never wait for the writer, and the writer never waits for readers.
 * This file owns the connection settings, applies the numbered migrations
 * compiled in from lib/sql/ (refusing a file from a newer AVEC), and keeps
 * each statement prepared once per connection.  The other store_*.c files
 * own one subject each (accounts, policies, devices, the index's bulk
 * reads); none builds SQL text from data, none logs, and none returns with
 * a transaction open, whatever the path.
 *
 * The store holds password hashes, PSK keys and pupils' personal data, so
 * this file also owns its permissions, whatever the umask of whoever
 * makes it (store_make_private): a missing directory is made 0750, a new
 * store file 0640 (made here, empty, before SQLite opens it; SQLite gives
 * its -wal and -shm files the main file's mode when it creates them), and
 * an existing store loses any permission for others.  Group permissions
 * of existing files, and the mode of an existing directory, are left
 * alone: the appliance gives FreeRADIUS's group write access on purpose,
 * and a directory may be shared (avecctl init warns when others may write
 * in it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_int.h"
#include "store_sql.h"

#define BUSY_TIMEOUT_MS 5000

int
store_fail(struct avec_store *st, struct avec_err *err, const char *what)
{
	return avec_err_set(err, "store %s: %s: %s", st->path, what,
			    sqlite3_errmsg(st->db));
}

sqlite3_stmt *
store_stmt(struct avec_store *st, const char *sql, struct avec_err *err)
{
	sqlite3_stmt *s = NULL;
	unsigned i;

	for (i = 0; i < st->nstmt; i++) {
		if (st->cache[i].sql == sql) {
			s = st->cache[i].stmt;
			break;
		}
	}
	if (s == NULL) {
		if (st->nstmt == STORE_STMT_MAX) {
			avec_err_set(err, "store %s: statement cache full", st->path);
			return NULL;
		}
		if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
				       &s, NULL) != SQLITE_OK) {
			store_fail(st, err, "preparing a statement");
			return NULL;
		}
		st->cache[st->nstmt].sql = sql;
		st->cache[st->nstmt].stmt = s;
		st->nstmt++;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

void
store_done(sqlite3_stmt *s)
{
	if (s != NULL)
		sqlite3_reset(s);
}

int
store_exec(struct avec_store *st, const char *sql, struct avec_err *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, err, sql);
	return 0;
}

void
store_rollback(struct avec_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_begin_own(struct avec_store *st, struct avec_err *err)
{
	if (sqlite3_get_autocommit(st->db) == 0)
		return 0;
	return store_exec(st, "BEGIN IMMEDIATE", err) < 0 ? -1 : 1;
}

int
store_end_own(struct avec_store *st, int own, int rc, struct avec_err *err)
{
	if (own != 1)
		return rc;
	if (rc == 0 && store_exec(st, "COMMIT", err) < 0)
		rc = -1;
	if (rc != 0)
		store_rollback(st);
	return rc;
}

int
store_int64(struct avec_store *st, const char *sql, int64_t *v,
	    const char *what, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, sql, err);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	store_done(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, err, what);
}

void
store_text(char *dst, size_t dstlen, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, dstlen, "%s", t ? (const char *)t : "");
}

static int
user_version(struct avec_store *st, int *v, struct avec_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, err, "reading the schema version");
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, "reading the schema version");
	return 0;
}

int
avec_store_schema_latest(void)
{
	return avec_migrations_count;
}

int
avec_store_schema_version(struct avec_store *st)
{
	int v;

	return user_version(st, &v, NULL) < 0 ? -1 : v;
}

static int
newer_schema(struct avec_store *st, int v, struct avec_err *err)
{
	return avec_err_set(err, "store %s has schema version %d, newer than this "
			    "AVEC build understands (%d): upgrade AVEC; the store "
			    "was left untouched", st->path, v, avec_migrations_count);
}

/* Any row whose foreign key points nowhere?  0 (none), -1 (some, or I/O). */
static int
foreign_keys_intact(struct avec_store *st, struct avec_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1, &s,
			       NULL) != SQLITE_OK)
		return avec_err_set(err, "store %s: %s", st->path,
				    sqlite3_errmsg(st->db));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		avec_err_set(err, "store %s: a migration left a row of %s "
			     "pointing nowhere", st->path,
			     (const char *)sqlite3_column_text(s, 0));
	else if (rc != SQLITE_DONE)
		avec_err_set(err, "store %s: %s", st->path,
			     sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
migrate_steps(struct avec_store *st, struct avec_err *err)
{
	char setv[64];
	int v, i;

	if (store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (user_version(st, &v, err) < 0)
		goto fail;
	if (v > avec_migrations_count) {
		newer_schema(st, v, err);
		goto fail;
	}
	for (i = v; i < avec_migrations_count; i++) {
		const struct avec_migration *m = &avec_migrations[i];

		if (sqlite3_exec(st->db, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
			avec_err_set(err, "store %s: migration %s failed: %s",
				     st->path, m->name, sqlite3_errmsg(st->db));
			goto fail;
		}
		snprintf(setv, sizeof(setv), "PRAGMA user_version = %d", m->version);
		if (store_exec(st, setv, err) < 0)
			goto fail;
	}
	if (v < avec_migrations_count && foreign_keys_intact(st, err) < 0)
		goto fail;
	if (store_exec(st, "COMMIT", err) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

/*
 * Bring the schema up to date, one transaction for all missing steps.
 * Foreign keys are off while the steps run, so that a step may rebuild a
 * table (SQLite's only way to change a constraint) without its DROP
 * cascading into the rows that point at it; every key is checked before
 * the commit, and a dangling one rolls the whole upgrade back.
 */
static int
migrate(struct avec_store *st, struct avec_err *err)
{
	int rc;

	if (store_exec(st, "PRAGMA foreign_keys = OFF", err) < 0)
		return -1;
	rc = migrate_steps(st, err);
	if (store_exec(st, "PRAGMA foreign_keys = ON", rc < 0 ? NULL : err) < 0)
		rc = -1;
	return rc;
}

/* Make each missing directory of @dir (modified, restored), mode 0750. */
static int
make_dirs(char *dir)
{
	char *s;

	for (s = dir + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char c = *s;

			*s = '\0';
			if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
				*s = c;
				return -1;
			}
			*s = c;
		}
		if (*s == '\0')
			return 0;
	}
}

/* Take away any permission for others from @path, a file of ours. */
static int
no_others(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & S_IRWXO) == 0)
		return 0;
	return chmod(path, sb.st_mode & 07770);
}

/*
 * Before a store is opened with AVEC_STORE_CREATE: its directory made if
 * missing (0750), the file made if missing (0640 at most, never wider
 * than the umask allows either), and an existing file's (and its -wal's
 * and -shm's) permissions for others removed.
 */
static int
store_make_private(const char *path, struct avec_err *err)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char buf[4096];
	char *slash;
	unsigned i;
	int fd;

	if (strlen(path) + 5 > sizeof(buf))
		return avec_err_set(err, "store %s: path too long", path);
	snprintf(buf, sizeof(buf), "%s", path);
	if ((slash = strrchr(buf, '/')) != NULL && slash != buf) {
		*slash = '\0';
		if (make_dirs(buf) < 0)
			return avec_err_set(err, "store %s: cannot make its "
					    "directory %s: %s", path, buf,
					    strerror(errno));
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0640);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return avec_err_set(err, "store %s: cannot create: %s", path,
				    strerror(errno));
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", path, sfx[i]);
		if (no_others(buf) < 0)
			return avec_err_set(err, "store %s: cannot make it "
					    "private: %s", buf,
					    strerror(errno));
	}
	return 0;
}

struct avec_store *
avec_store_open(const char *path, int flags, struct avec_err *err)
{
	struct avec_store *st;
	int oflags, v;

	st = calloc(1, sizeof(*st));
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		free(st);
		avec_err_set(err, "store %s: out of memory", path);
		return NULL;
	}
	st->readonly = !!(flags & AVEC_STORE_READONLY);
	st->data_version = -1;
	if (!st->readonly && (flags & AVEC_STORE_CREATE) &&
	    store_make_private(path, err) < 0)
		goto fail;
	oflags = SQLITE_OPEN_NOMUTEX;
	if (st->readonly)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE |
		    ((flags & AVEC_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &st->db, oflags, NULL) != SQLITE_OK) {
		avec_err_set(err, "store %s: cannot open: %s", path,
			     st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if (store_exec(st, "PRAGMA foreign_keys = ON", err) < 0)
		goto fail;
	if (st->readonly) {
		if (user_version(st, &v, err) < 0)
			goto fail;
		if (v > avec_migrations_count) {
			newer_schema(st, v, err);
			goto fail;
		}
		if (v < avec_migrations_count) {
			avec_err_set(err, "store %s has schema version %d, this AVEC "
				     "needs %d: run 'avecctl init' to upgrade it",
				     path, v, avec_migrations_count);
			goto fail;
		}
		return st;
	}
	/*
	 * WAL: readers never block the writer; FULL: a commit survives power
	 * loss; secure_delete: what an update or delete frees is zeroed, so a
	 * purged connection log leaves no old copy behind in a page.
	 */
	if (store_exec(st, "PRAGMA journal_mode = WAL", err) < 0 ||
	    store_exec(st, "PRAGMA synchronous = FULL", err) < 0 ||
	    store_exec(st, "PRAGMA secure_delete = ON", err) < 0 ||
	    migrate(st, err) < 0)
		goto fail;
	return st;
fail:
	avec_store_close(st);
	return NULL;
}

void
avec_store_close(struct avec_store *st)
{
	unsigned i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nstmt; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

