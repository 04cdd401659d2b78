/*
 * index.c - the snapshot that answers RADIUS requests at memory speed.
 *
 * A snapshot is built in one pass over the store (avec_store_scan) and is
 * never modified afterwards: policies by role, accounts sorted by id, and
 * devices with two open-addressing hash tables, by device username and by
 * certificate serial.  Each device carries its rank among its owner's
 * active devices, computed at load time, so the quota rule costs nothing
 * per request.
 *
 * Concurrency: lookups take a read lock on the current snapshot pointer,
 * copy what they need into the caller's struct and release it; a refresh
 * builds the next snapshot with no lock held and only takes the write lock
 * to swap pointers (the rwlock prefers writers, so a steady stream of
 * requests cannot starve a swap).  Only one refresh runs at a time.  The
 * index's SQLite connection is read-only and used by the refresher alone.
 *
 * What this file must never do: write to the store, block a lookup on
 * SQLite, or hand out a pointer into a snapshot.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "avec/ident.h"
#include "avec/index.h"
#include "avec/store.h"

#define NO_ENTRY UINT32_MAX

struct dev_entry {
	struct avec_device d;
	uint32_t acct;			/* index into snapshot accounts */
	char username[AVEC_USERNAME_MAX + 1];
	char serial[AVEC_SERIAL_MAX + 1];
	char hash[AVEC_HASH_MAX + 1];
};

struct snapshot {
	uint64_t generation;
	uint64_t seed;
	struct avec_policy policy[AVEC_ROLE__COUNT];
	struct avec_account *accounts;	/* sorted by id */
	uint32_t naccounts, accounts_cap;
	struct dev_entry *devices;
	uint32_t ndevices, devices_cap;
	uint32_t *by_username;		/* device index or NO_ENTRY */
	uint32_t *by_serial;
	uint32_t mask;			/* table size - 1 */
	/* load state */
	int64_t cur_account, load_now;
	uint32_t cur_rank;
};

struct avec_index {
	pthread_rwlock_t lock;		/* guards snap */
	struct snapshot *snap;
	pthread_mutex_t refresh_lock;	/* one refresh at a time; guards st */
	struct avec_store *st;
	struct avec_index_stats stats;	/* under refresh_lock (and lock for reads) */
	/* refresher thread */
	pthread_t thread;
	int thread_started;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	int stopping;
	unsigned refresh_ms;
};

static uint64_t
hash_key(uint64_t seed, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ull;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

static void
snapshot_free(struct snapshot *sn)
{
	if (sn == NULL)
		return;
	free(sn->accounts);
	if (sn->devices != NULL) {
		/* the hashes of device secrets do not outlive the snapshot */
		memset(sn->devices, 0, (size_t)sn->devices_cap * sizeof(*sn->devices));
		free(sn->devices);
	}
	free(sn->by_username);
	free(sn->by_serial);
	free(sn);
}

static int
grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 64;
	while (ncap < need) {
		if (ncap > UINT32_MAX / 2)
			return -1;
		ncap *= 2;
	}
	p = realloc(*arr, (size_t)ncap * elem);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int
load_policy(enum avec_role role, const struct avec_policy *p, void *ctx)
{
	struct snapshot *sn = ctx;

	if ((unsigned)role < AVEC_ROLE__COUNT)
		sn->policy[role] = *p;
	return 0;
}

static int
load_account(const struct avec_account *a, void *ctx)
{
	struct snapshot *sn = ctx;

	if (grow((void **)&sn->accounts, &sn->accounts_cap, sn->naccounts + 1,
		 sizeof(*sn->accounts)) < 0)
		return -1;
	sn->accounts[sn->naccounts++] = *a;	/* arrive sorted by id */
	return 0;
}

static uint32_t
find_account(const struct snapshot *sn, int64_t id)
{
	uint32_t lo = 0, hi = sn->naccounts;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (sn->accounts[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sn->naccounts && sn->accounts[lo].id == id ? lo : NO_ENTRY;
}

static int
load_device(const struct avec_scan_device *sd, void *ctx)
{
	struct snapshot *sn = ctx;
	struct dev_entry *e;
	uint32_t acct = find_account(sn, sd->d.account_id);

	/* rows AVEC cannot have written are left out, never truncated */
	if (acct == NO_ENTRY || strlen(sd->username) > AVEC_USERNAME_MAX ||
	    strlen(sd->secret_hash) > AVEC_HASH_MAX)
		return 0;
	if (grow((void **)&sn->devices, &sn->devices_cap, sn->ndevices + 1,
		 sizeof(*sn->devices)) < 0)
		return -1;
	e = &sn->devices[sn->ndevices++];
	memset(e, 0, sizeof(*e));
	e->d = sd->d;
	e->acct = acct;
	/* devices arrive by account, oldest first: rank the live ones */
	if (sd->d.account_id != sn->cur_account) {
		sn->cur_account = sd->d.account_id;
		sn->cur_rank = 0;
	}
	if (sd->d.status == AVEC_DEVICE_ACTIVE &&
	    (sd->d.expires_at == 0 || sd->d.expires_at > sn->load_now))
		e->d.rank = sn->cur_rank++;
	else
		e->d.rank = UINT32_MAX;
	strcpy(e->username, sd->username);
	strcpy(e->hash, sd->secret_hash);
	if (sd->cert_serial[0] &&
	    avec_serial_normalize(sd->cert_serial, e->serial, sizeof(e->serial)) < 0)
		e->serial[0] = '\0';
	return 0;
}

static void
table_put(struct snapshot *sn, uint32_t *table, const char *key, uint32_t val)
{
	uint32_t i = (uint32_t)hash_key(sn->seed, key) & sn->mask;

	while (table[i] != NO_ENTRY)
		i = (i + 1) & sn->mask;
	table[i] = val;
}

static uint32_t
table_get(const struct snapshot *sn, const uint32_t *table, const char *key,
	  size_t off)
{
	uint32_t i = (uint32_t)hash_key(sn->seed, key) & sn->mask, v;

	while ((v = table[i]) != NO_ENTRY) {
		if (strcmp((const char *)&sn->devices[v] + off, key) == 0)
			return v;
		i = (i + 1) & sn->mask;
	}
	return NO_ENTRY;
}

static int
build_tables(struct snapshot *sn)
{
	uint64_t size = 16;
	uint32_t i;

	while (size < (uint64_t)sn->ndevices * 2)
		size *= 2;
	if (size > UINT32_MAX)
		return -1;
	sn->mask = (uint32_t)size - 1;
	sn->by_username = malloc(size * sizeof(uint32_t));
	sn->by_serial = malloc(size * sizeof(uint32_t));
	if (sn->by_username == NULL || sn->by_serial == NULL)
		return -1;
	memset(sn->by_username, 0xff, size * sizeof(uint32_t));
	memset(sn->by_serial, 0xff, size * sizeof(uint32_t));
	for (i = 0; i < sn->ndevices; i++) {
		table_put(sn, sn->by_username, sn->devices[i].username, i);
		if (sn->devices[i].serial[0])
			table_put(sn, sn->by_serial, sn->devices[i].serial, i);
	}
	return 0;
}

static int64_t
now_us(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Build a snapshot from the store.  Caller holds refresh_lock. */
static struct snapshot *
snapshot_load(struct avec_index *idx, struct avec_err *err)
{
	static const struct avec_scan_cb cb = {
		.policy = load_policy,
		.account = load_account,
		.device = load_device,
	};
	struct snapshot *sn = calloc(1, sizeof(*sn));

	if (sn == NULL) {
		avec_err_set(err, "index: out of memory");
		return NULL;
	}
	sn->cur_account = -1;
	sn->load_now = (int64_t)time(NULL);
	if (RAND_bytes((unsigned char *)&sn->seed, sizeof(sn->seed)) != 1)
		sn->seed = (uint64_t)now_us(CLOCK_MONOTONIC);
	if (avec_store_scan(idx->st, &cb, sn, &sn->generation, err) != 0) {
		if (err && !err->msg[0])
			avec_err_set(err, "index: out of memory while loading");
		goto fail;
	}
	if (build_tables(sn) < 0) {
		avec_err_set(err, "index: out of memory building tables");
		goto fail;
	}
	return sn;
fail:
	snapshot_free(sn);
	return NULL;
}

int
avec_index_refresh(struct avec_index *idx, struct avec_err *err)
{
	struct snapshot *sn, *old;
	uint64_t gen;
	int64_t t0;
	int rc;

	pthread_mutex_lock(&idx->refresh_lock);
	rc = avec_store_changed(idx->st, err);
	if (rc <= 0)
		goto out;
	rc = avec_store_generation(idx->st, &gen, err);
	if (rc < 0)
		goto out;
	pthread_rwlock_rdlock(&idx->lock);
	rc = idx->snap != NULL && idx->snap->generation == gen ? 0 : 1;
	pthread_rwlock_unlock(&idx->lock);
	if (rc == 0)
		goto out;

	t0 = now_us(CLOCK_MONOTONIC);
	if (err)
		err->msg[0] = '\0';
	sn = snapshot_load(idx, err);
	if (sn == NULL) {
		rc = -1;
		goto out;
	}
	pthread_rwlock_wrlock(&idx->lock);
	old = idx->snap;
	idx->snap = sn;
	idx->stats.generation++;
	idx->stats.devices = sn->ndevices;
	idx->stats.accounts = sn->naccounts;
	idx->stats.loaded_at_us = now_us(CLOCK_REALTIME);
	idx->stats.load_us = (uint64_t)(now_us(CLOCK_MONOTONIC) - t0);
	pthread_rwlock_unlock(&idx->lock);
	snapshot_free(old);
	rc = 1;
out:
	if (rc < 0) {
		pthread_rwlock_wrlock(&idx->lock);
		idx->stats.refresh_errors++;
		pthread_rwlock_unlock(&idx->lock);
	}
	pthread_mutex_unlock(&idx->refresh_lock);
	return rc;
}

static void *
refresher(void *arg)
{
	struct avec_index *idx = arg;
	struct timespec until;

	pthread_mutex_lock(&idx->stop_lock);
	while (!idx->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)(idx->refresh_ms % 1000) * 1000000;
		until.tv_sec += idx->refresh_ms / 1000 + until.tv_nsec / 1000000000;
		until.tv_nsec %= 1000000000;
		while (!idx->stopping &&
		       pthread_cond_timedwait(&idx->stop_cond, &idx->stop_lock,
					      &until) != ETIMEDOUT)
			;
		if (idx->stopping)
			break;
		pthread_mutex_unlock(&idx->stop_lock);
		/* a failed refresh keeps the last good snapshot serving */
		avec_index_refresh(idx, NULL);
		pthread_mutex_lock(&idx->stop_lock);
	}
	pthread_mutex_unlock(&idx->stop_lock);
	return NULL;
}

struct avec_index *
avec_index_open(const char *path, unsigned refresh_ms, struct avec_err *err)
{
	struct avec_index *idx = calloc(1, sizeof(*idx));
	pthread_rwlockattr_t ra;
	pthread_condattr_t ca;

	if (idx == NULL) {
		avec_err_set(err, "index: out of memory");
		return NULL;
	}
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&idx->lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&idx->refresh_lock, NULL);
	pthread_mutex_init(&idx->stop_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&idx->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	idx->refresh_ms = refresh_ms;

	idx->st = avec_store_open(path, AVEC_STORE_READONLY, err);
	if (idx->st == NULL)
		goto fail;
	if (avec_index_refresh(idx, err) < 0)
		goto fail;
	if (refresh_ms > 0) {
		if (pthread_create(&idx->thread, NULL, refresher, idx) != 0) {
			avec_err_set(err, "index: cannot start the refresher thread");
			goto fail;
		}
		idx->thread_started = 1;
	}
	return idx;
fail:
	avec_index_close(idx);
	return NULL;
}

void
avec_index_close(struct avec_index *idx)
{
	if (idx == NULL)
		return;
	if (idx->thread_started) {
		pthread_mutex_lock(&idx->stop_lock);
		idx->stopping = 1;
		pthread_cond_signal(&idx->stop_cond);
		pthread_mutex_unlock(&idx->stop_lock);
		pthread_join(idx->thread, NULL);
	}
	snapshot_free(idx->snap);
	avec_store_close(idx->st);
	pthread_cond_destroy(&idx->stop_cond);
	pthread_mutex_destroy(&idx->stop_lock);
	pthread_mutex_destroy(&idx->refresh_lock);
	pthread_rwlock_destroy(&idx->lock);
	free(idx);
}

enum avec_reason
avec_index_decide(struct avec_index *idx, enum avec_key_kind kind,
		  const char *key, size_t keylen, time_t now,
		  struct avec_lookup *out)
{
	char k[AVEC_SERIAL_MAX + 1];
	const struct snapshot *sn;
	const struct dev_entry *e = NULL;
	uint32_t v;

	memset(out, 0, sizeof(*out));
	if (key == NULL || memchr(key, '\0', keylen) != NULL)
		goto malformed;
	switch (kind) {
	case AVEC_KEY_USERNAME:
		if (!avec_username_valid(key, keylen))
			goto malformed;
		memcpy(k, key, keylen);
		k[keylen] = '\0';
		break;
	case AVEC_KEY_SERIAL: {
		char raw[3 * AVEC_SERIAL_MAX];

		if (keylen == 0 || keylen >= sizeof(raw))
			goto malformed;
		memcpy(raw, key, keylen);
		raw[keylen] = '\0';
		if (avec_serial_normalize(raw, k, sizeof(k)) < 0)
			goto malformed;
		break;
	}
	default:
		goto malformed;
	}

	pthread_rwlock_rdlock(&idx->lock);
	sn = idx->snap;
	v = table_get(sn, kind == AVEC_KEY_USERNAME ? sn->by_username : sn->by_serial,
		      k, kind == AVEC_KEY_USERNAME ?
		      offsetof(struct dev_entry, username) :
		      offsetof(struct dev_entry, serial));
	if (v != NO_ENTRY)
		e = &sn->devices[v];
	if (e == NULL) {
		avec_decide(NULL, NULL, NULL, now, &out->verdict);
	} else {
		const struct avec_account *a = &sn->accounts[e->acct];

		avec_decide(a, &e->d, &sn->policy[a->role], now, &out->verdict);
		out->device_id = e->d.id;
		out->cred_type = e->d.cred_type;
		memcpy(out->principal, a->principal, sizeof(out->principal));
		if (e->d.cred_type != AVEC_CRED_TLS)
			memcpy(out->secret_hash, e->hash, sizeof(out->secret_hash));
	}
	pthread_rwlock_unlock(&idx->lock);
	return out->verdict.reason;

malformed:
	out->verdict.reason = AVEC_REJECT_MALFORMED_IDENTITY;
	return out->verdict.reason;
}

void
avec_index_stats(struct avec_index *idx, struct avec_index_stats *out)
{
	pthread_rwlock_rdlock(&idx->lock);
	*out = idx->stats;
	pthread_rwlock_unlock(&idx->lock);
}
