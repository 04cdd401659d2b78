/*
 * index.c - the snapshot that answers RADIUS requests at memory speed.
 *
 * A snapshot is built in one pass over the store (avec_store_scan) and is
 * never modified afterwards: policies by role, accounts sorted by id, and
 * devices with three open-addressing hash tables, by device username, by
 * certificate serial and by the MAC a PSK device is bound to (where one
 * MAC has several PSK devices, the live one, else the newest, answers).  Each device carries its rank among its owner's
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
	char mac[AVEC_MAC_STRLEN + 1];	/* PSK only */
	char psk[AVEC_PSK_MAX + 1];	/* PSK only */
};

struct snapshot {
	uint64_t generation;
	uint64_t seed;
	/*
	 * Policies: the roles' first (AVEC_ROLE__COUNT of them, holidays filled
	 * in), then each distinct resolved policy of accounts with overrides.
	 */
	struct avec_policy *pols;
	uint32_t npols, pols_cap;
	struct avec_dayrange holidays[AVEC_HOLIDAYS_MAX];
	uint8_t nholidays;
	struct avec_override *ovs;	/* as the store lists them */
	uint32_t novs, ovs_cap;
	uint32_t *ov_sorted;		/* ovs indices by (scope, target) */
	struct avec_account *accounts;	/* sorted by id */
	uint32_t naccounts, accounts_cap;
	uint32_t *acct_pol;		/* per account: index into pols */
	uint32_t *acct_match;		/* per account: first of its matches */
	uint16_t *acct_nmatch;		/* per account: how many */
	uint32_t *match;		/* ovs indices matched by memberships */
	uint32_t nmatch, match_cap;
	uint32_t *pol_key;		/* per resolved policy: its key's start */
	uint32_t *keys;			/* keys: role, count, ovs indices... */
	uint32_t nkeys, keys_cap, pol_key_cap;
	uint32_t *dedupe;		/* resolved policy indices, hashed by key */
	uint32_t dedupe_mask;
	struct dev_entry *devices;
	uint32_t ndevices, devices_cap;
	uint32_t *by_username;		/* device index or NO_ENTRY */
	uint32_t *by_serial;
	uint32_t *by_mac;
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
	free(sn->pols);
	free(sn->ovs);
	free(sn->ov_sorted);
	free(sn->accounts);
	free(sn->acct_pol);
	free(sn->acct_match);
	free(sn->acct_nmatch);
	free(sn->match);
	free(sn->pol_key);
	free(sn->keys);
	free(sn->dedupe);
	if (sn->devices != NULL) {
		/* the hashes of device secrets do not outlive the snapshot */
		memset(sn->devices, 0, (size_t)sn->devices_cap * sizeof(*sn->devices));
		free(sn->devices);
	}
	free(sn->by_username);
	free(sn->by_serial);
	free(sn->by_mac);
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
load_holiday(const struct avec_dayrange *h, void *ctx)
{
	struct snapshot *sn = ctx;

	if (sn->nholidays < AVEC_HOLIDAYS_MAX)
		sn->holidays[sn->nholidays++] = *h;
	return 0;
}

/* Holidays arrive first; every policy carries them. */
static void
with_holidays(const struct snapshot *sn, struct avec_policy *p)
{
	p->nholidays = sn->nholidays;
	memcpy(p->holidays, sn->holidays, sizeof(p->holidays));
}

static int
load_policy(enum avec_role role, const struct avec_policy *p, void *ctx)
{
	struct snapshot *sn = ctx;

	if ((unsigned)role < AVEC_ROLE__COUNT) {
		sn->pols[role] = *p;
		with_holidays(sn, &sn->pols[role]);
	}
	return 0;
}

static int
load_override(const struct avec_override *o, void *ctx)
{
	struct snapshot *sn = ctx;

	if (grow((void **)&sn->ovs, &sn->ovs_cap, sn->novs + 1, sizeof(*sn->ovs)) < 0)
		return -1;
	sn->ovs[sn->novs++] = *o;
	return 0;
}

static int
ov_key_cmp(const struct snapshot *sn, uint32_t i, enum avec_scope scope,
	   const char *target)
{
	if (sn->ovs[i].scope != scope)
		return sn->ovs[i].scope < scope ? -1 : 1;
	return strcmp(sn->ovs[i].target, target);
}

static int
ov_sort_cmp(const void *a, const void *b, void *arg)
{
	const struct snapshot *sn = arg;
	uint32_t j = *(const uint32_t *)b;

	return ov_key_cmp(sn, *(const uint32_t *)a, sn->ovs[j].scope,
			  sn->ovs[j].target);
}

/* The first of the sorted overrides for (scope, target), or novs. */
static uint32_t
ov_find(const struct snapshot *sn, enum avec_scope scope, const char *target)
{
	uint32_t lo = 0, hi = sn->novs;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ov_key_cmp(sn, sn->ov_sorted[mid], scope, target) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sn->novs && ov_key_cmp(sn, sn->ov_sorted[lo], scope, target) == 0 ?
	    lo : sn->novs;
}

static int
load_account(const struct avec_account *a, void *ctx)
{
	struct snapshot *sn = ctx;

	/* overrides are all in: sort them once, for the lookups to come */
	if (sn->naccounts == 0 && sn->novs > 0 && sn->ov_sorted == NULL) {
		uint32_t i;

		if ((sn->ov_sorted = malloc(sn->novs * sizeof(uint32_t))) == NULL)
			return -1;
		for (i = 0; i < sn->novs; i++)
			sn->ov_sorted[i] = i;
		qsort_r(sn->ov_sorted, sn->novs, sizeof(uint32_t), ov_sort_cmp, sn);
	}

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

/* Remember which school and group overrides apply to an account. */
static int
load_membership(int64_t account_id, enum avec_scope scope, const char *target,
		void *ctx)
{
	struct snapshot *sn = ctx;
	uint32_t acct, k;

	if (sn->novs == 0 || (acct = find_account(sn, account_id)) == NO_ENTRY)
		return 0;
	if (sn->acct_match == NULL) {
		sn->acct_match = calloc(sn->naccounts ? sn->naccounts : 1, sizeof(uint32_t));
		sn->acct_nmatch = calloc(sn->naccounts ? sn->naccounts : 1, sizeof(uint16_t));
		if (sn->acct_match == NULL || sn->acct_nmatch == NULL)
			return -1;
	}
	for (k = ov_find(sn, scope, target); k < sn->novs &&
	     ov_key_cmp(sn, sn->ov_sorted[k], scope, target) == 0; k++) {
		const struct avec_override *o = &sn->ovs[sn->ov_sorted[k]];

		if (o->role >= 0 && o->role != (int)sn->accounts[acct].role)
			continue;
		if (sn->acct_nmatch[acct] == 0)
			sn->acct_match[acct] = sn->nmatch;
		if (sn->acct_nmatch[acct] == UINT16_MAX ||
		    grow((void **)&sn->match, &sn->match_cap, sn->nmatch + 1,
			 sizeof(uint32_t)) < 0)
			return -1;
		sn->match[sn->nmatch++] = sn->ov_sorted[k];
		sn->acct_nmatch[acct]++;
	}
	return 0;
}

static int
load_device(const struct avec_scan_device *sd, void *ctx)
{
	struct snapshot *sn = ctx;
	struct dev_entry *e;
	uint32_t acct = find_account(sn, sd->d.account_id);

	/* rows AVEC cannot have written are left out, never truncated */
	if (acct == NO_ENTRY || strlen(sd->username) > AVEC_USERNAME_MAX ||
	    strlen(sd->secret_hash) > AVEC_HASH_MAX ||
	    strlen(sd->psk) > AVEC_PSK_MAX)
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
	if (sd->d.cred_type == AVEC_CRED_PSK &&
	    avec_mac_normalize(sd->mac, e->mac) == 0)
		strcpy(e->psk, sd->psk);
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
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
key_hash(const struct snapshot *sn, uint32_t role, const uint32_t *ov, unsigned n)
{
	uint64_t h = sn->seed ^ (0xcbf29ce484222325ull + role);
	unsigned i;

	for (i = 0; i < n; i++)
		h = (h ^ ov[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* (Re)build the dedupe table with room for twice as many policies. */
static int
dedupe_grow(struct snapshot *sn)
{
	uint32_t size = 64, p, slot;
	const uint32_t *key;

	while (size < 4 * (uint64_t)(sn->npols - AVEC_ROLE__COUNT + 16))
		size *= 2;
	free(sn->dedupe);
	if ((sn->dedupe = malloc(size * sizeof(uint32_t))) == NULL)
		return -1;
	memset(sn->dedupe, 0xff, size * sizeof(uint32_t));
	sn->dedupe_mask = size - 1;
	for (p = AVEC_ROLE__COUNT; p < sn->npols; p++) {
		key = &sn->keys[sn->pol_key[p - AVEC_ROLE__COUNT]];
		for (slot = (uint32_t)key_hash(sn, key[0], key + 2, key[1]) & sn->dedupe_mask;
		     sn->dedupe[slot] != NO_ENTRY; slot = (slot + 1) & sn->dedupe_mask)
			;
		sn->dedupe[slot] = p;
	}
	return 0;
}

/*
 * The policy index for an account whose matching overrides are @ov (their
 * indices, sorted): an existing resolved policy with the same role and the
 * same overrides, or a new one, so that the pupils of one class share one
 * copy.  NO_ENTRY when memory runs out.
 */
static uint32_t
resolved_policy(struct snapshot *sn, enum avec_role role, const uint32_t *ov,
		unsigned n)
{
	const struct avec_override *ptr[64];
	uint32_t i, slot, p, *key;

	if (sn->dedupe == NULL ||
	    (sn->npols - AVEC_ROLE__COUNT + 1) * 2 > sn->dedupe_mask) {
		if (dedupe_grow(sn) < 0)
			return NO_ENTRY;
	}
	for (slot = (uint32_t)key_hash(sn, role, ov, n) & sn->dedupe_mask;
	     (p = sn->dedupe[slot]) != NO_ENTRY; slot = (slot + 1) & sn->dedupe_mask) {
		key = &sn->keys[sn->pol_key[p - AVEC_ROLE__COUNT]];
		if (key[0] == role && key[1] == n &&
		    memcmp(key + 2, ov, n * sizeof(*ov)) == 0)
			return p;
	}
	if (grow((void **)&sn->keys, &sn->keys_cap, sn->nkeys + n + 2, sizeof(uint32_t)) < 0 ||
	    grow((void **)&sn->pols, &sn->pols_cap, sn->npols + 1, sizeof(*sn->pols)) < 0 ||
	    grow((void **)&sn->pol_key, &sn->pol_key_cap, sn->npols + 1 - AVEC_ROLE__COUNT,
		 sizeof(uint32_t)) < 0)
		return NO_ENTRY;
	sn->pol_key[sn->npols - AVEC_ROLE__COUNT] = sn->nkeys;
	sn->keys[sn->nkeys++] = role;
	sn->keys[sn->nkeys++] = n;
	for (i = 0; i < n; i++) {
		sn->keys[sn->nkeys++] = ov[i];
		ptr[i] = &sn->ovs[ov[i]];
	}
	avec_policy_resolve(&sn->pols[role], ptr, n, &sn->pols[sn->npols]);
	sn->dedupe[slot] = sn->npols;
	return sn->npols++;
}

/* Give every account its policy: its role's, or the resolved one. */
static int
resolve_accounts(struct snapshot *sn)
{
	uint32_t a, k, n, ov[64];

	if ((sn->acct_pol = malloc((sn->naccounts + 1) * sizeof(uint32_t))) == NULL)
		return -1;
	for (a = 0; a < sn->naccounts; a++) {
		const struct avec_account *acc = &sn->accounts[a];

		sn->acct_pol[a] = acc->role;
		if (sn->novs == 0)
			continue;
		n = 0;
		if (sn->acct_nmatch != NULL)
			for (k = 0; k < sn->acct_nmatch[a] && n < 63; k++)
				ov[n++] = sn->match[sn->acct_match[a] + k];
		for (k = ov_find(sn, AVEC_SCOPE_ACCOUNT, acc->principal); k < sn->novs &&
		     n < 63 && ov_key_cmp(sn, sn->ov_sorted[k], AVEC_SCOPE_ACCOUNT,
					  acc->principal) == 0; k++) {
			const struct avec_override *o = &sn->ovs[sn->ov_sorted[k]];

			if (o->role < 0 || o->role == (int)acc->role)
				ov[n++] = sn->ov_sorted[k];
		}
		if (n == 0)
			continue;
		qsort(ov, n, sizeof(*ov), u32_cmp);
		if ((sn->acct_pol[a] = resolved_policy(sn, acc->role, ov, n)) == NO_ENTRY)
			return -1;
	}
	return 0;
}

/*
 * A MAC may have been bound to several PSK devices over time (the old ones
 * revoked or expired); the store lets only one be active at a time.  The
 * table keeps one entry per MAC: the active device, else the newest.
 */
static void
mac_put(struct snapshot *sn, uint32_t i)
{
	const struct dev_entry *e = &sn->devices[i];
	uint32_t k = (uint32_t)hash_key(sn->seed, e->mac) & sn->mask, v;

	while ((v = sn->by_mac[k]) != NO_ENTRY) {
		const struct dev_entry *o = &sn->devices[v];

		if (strcmp(o->mac, e->mac) == 0) {
			if (o->d.status != AVEC_DEVICE_ACTIVE &&
			    (e->d.status == AVEC_DEVICE_ACTIVE || e->d.id > o->d.id))
				sn->by_mac[k] = i;
			return;
		}
		k = (k + 1) & sn->mask;
	}
	sn->by_mac[k] = i;
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
	sn->by_mac = malloc(size * sizeof(uint32_t));
	if (sn->by_username == NULL || sn->by_serial == NULL ||
	    sn->by_mac == NULL)
		return -1;
	memset(sn->by_username, 0xff, size * sizeof(uint32_t));
	memset(sn->by_serial, 0xff, size * sizeof(uint32_t));
	memset(sn->by_mac, 0xff, size * sizeof(uint32_t));
	for (i = 0; i < sn->ndevices; i++) {
		table_put(sn, sn->by_username, sn->devices[i].username, i);
		if (sn->devices[i].serial[0])
			table_put(sn, sn->by_serial, sn->devices[i].serial, i);
		if (sn->devices[i].mac[0])
			mac_put(sn, i);
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
		.holiday = load_holiday,
		.policy = load_policy,
		.override = load_override,
		.account = load_account,
		.membership = load_membership,
		.device = load_device,
	};
	struct snapshot *sn = calloc(1, sizeof(*sn));

	if (sn == NULL || grow((void **)&sn->pols, &sn->pols_cap, AVEC_ROLE__COUNT,
			       sizeof(*sn->pols)) < 0) {
		free(sn);
		avec_err_set(err, "index: out of memory");
		return NULL;
	}
	/* a role without a row stays "not admitted" */
	memset(sn->pols, 0, AVEC_ROLE__COUNT * sizeof(*sn->pols));
	sn->npols = AVEC_ROLE__COUNT;
	sn->cur_account = -1;
	sn->load_now = (int64_t)time(NULL);
	if (RAND_bytes((unsigned char *)&sn->seed, sizeof(sn->seed)) != 1)
		sn->seed = (uint64_t)now_us(CLOCK_MONOTONIC);
	if (avec_store_scan(idx->st, &cb, sn, &sn->generation, err) != 0) {
		if (err && !err->msg[0])
			avec_err_set(err, "index: out of memory while loading");
		goto fail;
	}
	if (resolve_accounts(sn) < 0 || build_tables(sn) < 0) {
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
	const uint32_t *table;
	size_t off;
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
	case AVEC_KEY_MAC: {
		char raw[AVEC_MAC_STRLEN + 1];

		if (keylen == 0 || keylen >= sizeof(raw))
			goto malformed;
		memcpy(raw, key, keylen);
		raw[keylen] = '\0';
		if (avec_mac_normalize(raw, k) < 0)
			goto malformed;
		break;
	}
	default:
		goto malformed;
	}

	pthread_rwlock_rdlock(&idx->lock);
	sn = idx->snap;
	switch (kind) {
	case AVEC_KEY_USERNAME:
		table = sn->by_username;
		off = offsetof(struct dev_entry, username);
		break;
	case AVEC_KEY_SERIAL:
		table = sn->by_serial;
		off = offsetof(struct dev_entry, serial);
		break;
	case AVEC_KEY_MAC:
	default:
		table = sn->by_mac;
		off = offsetof(struct dev_entry, mac);
		break;
	}
	v = table_get(sn, table, k, off);
	if (v != NO_ENTRY)
		e = &sn->devices[v];
	if (e == NULL) {
		avec_decide(NULL, NULL, NULL, now, &out->verdict);
	} else {
		const struct avec_account *a = &sn->accounts[e->acct];

		avec_decide(a, &e->d, &sn->pols[sn->acct_pol[e->acct]], now,
			    &out->verdict);
		out->device_id = e->d.id;
		out->cred_type = e->d.cred_type;
		memcpy(out->principal, a->principal, sizeof(out->principal));
		if (e->d.cred_type == AVEC_CRED_TTLS ||
		    e->d.cred_type == AVEC_CRED_PEAP)
			memcpy(out->secret_hash, e->hash, sizeof(out->secret_hash));
		if (e->d.cred_type == AVEC_CRED_PSK)
			memcpy(out->psk, e->psk, sizeof(out->psk));
		memcpy(out->username, e->username, sizeof(out->username));
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
