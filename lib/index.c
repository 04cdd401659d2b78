/*
 * index.c - the snapshot that answers RADIUS requests at memory speed.
 *
 * A full snapshot is built in one pass over the store (avec_store_scan)
 * and is never modified afterwards: policies by role, accounts sorted by
 * id, and devices with four open-addressing hash tables, by device
 * username, by certificate serial, by the MAC a PSK device is bound to
 * (where one MAC has several PSK devices, the live one, else the newest,
 * answers) and by id.  Each device carries its rank among its owner's
 * active devices, computed at load time, so the quota rule costs nothing
 * per request.
 *
 * Incremental refresh.  Most commits touch a device or two (a
 * registration, a revocation, a device block), and a full load of a large
 * store takes seconds.  The store journals the devices that change
 * (device_changes) and keeps a base generation that every other decision
 * input moves (lib/sql/0008_device_changes.sql).  When the base generation
 * still matches the full snapshot's and few devices changed since it, the
 * refresher builds an overlay instead: every device of each account that
 * owns, owned, or shares a PSK MAC with a changed device, read again from
 * the store and ranked as in a full load, with the same four tables.  The
 * new view shares the full snapshot (reference counted under
 * refresh_lock, freed with the last view using it) and each overlay is
 * rebuilt from the full snapshot's journal position, so overlays never
 * stack.  Lookups ask the overlay first, then the base, where a device of
 * an account the overlay carries never answers: a device deleted since is
 * gone, and a device moved or re-ranked answers from the overlay.  Too
 * many changes, or any other change, and the refresher loads everything.
 *
 * Concurrency: lookups take a read lock on the current view pointer, copy
 * what they need into the caller's struct and release it; a refresh builds
 * the next view with no lock held and only takes the write lock to swap
 * pointers (the rwlock prefers writers, so a steady stream of requests
 * cannot starve a swap).  Only one refresh runs at a time.  The index's
 * SQLite connection is read-only and used by the refresher alone.
 *
 * What this file must never do: write to the store, block a lookup on
 * SQLite, or hand out a pointer into a snapshot or an overlay.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "avec/ident.h"
#include "avec/index.h"
#include "avec/store.h"

#define NO_ENTRY UINT32_MAX
/* an overlay holds at most this many devices per change it may carry */
#define OVERLAY_DEVICES_PER_CHANGE 4

struct dev_entry {
	struct avec_device d;
	uint32_t acct;			/* index into snapshot accounts */
	char username[AVEC_USERNAME_MAX + 1];
	char serial[AVEC_SERIAL_MAX + 1];
	/* a device has a hash (TTLS/PEAP) or a MAC and key (PSK): one place */
	union {
		char hash[AVEC_HASH_MAX + 1];
		struct {
			char mac[AVEC_MAC_STRLEN + 1];
			char psk[AVEC_PSK_MAX + 1];
		};
	};
};
#define IS_PSK(e)	((e)->d.cred_type == AVEC_CRED_PSK)

/*
 * Devices with their hash tables (device indices, NO_ENTRY when empty):
 * the whole store's in a snapshot, a few accounts' in an overlay.
 */
struct devset {
	uint64_t seed;
	struct dev_entry *devices;
	uint32_t ndevices, devices_cap;
	uint32_t *by_username;
	uint32_t *by_serial;
	uint32_t *by_mac;
	uint32_t *by_id;
	uint32_t mask;			/* table size - 1 */
	/* load state: devices arrive by account, oldest first */
	int64_t cur_account, load_now;
	uint32_t cur_rank;
};

struct snapshot {
	uint64_t generation;
	struct avec_scan_mark mark;	/* where the store stood */
	unsigned refs;			/* views using it; under refresh_lock */
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
	struct devset ds;
};

/*
 * The devices changed since a snapshot: every device of each account that
 * owns one of them (or owned one, or shares a PSK MAC with one), read
 * again.  A base device whose account is in acct_in never answers.
 */
struct overlay {
	struct devset ds;
	uint8_t *acct_in;		/* bit per base account */
	/* load state */
	const struct snapshot *base;
	int64_t *want;			/* accounts to read */
	uint32_t nwant, want_cap;
	char (*macs)[AVEC_MAC_STRLEN + 1];
	uint32_t nmacs, macs_cap;
	uint32_t limit;
};

/* What lookups see: a snapshot, and maybe an overlay over it. */
struct view {
	struct snapshot *base;		/* shared by consecutive views */
	struct overlay *ov;		/* NULL: the base alone */
	uint64_t generation;
};

struct avec_index {
	pthread_rwlock_t lock;		/* guards view */
	struct view *view;
	uint32_t overlay_limit;		/* under refresh_lock */
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
devset_free(struct devset *ds)
{
	if (ds->devices != NULL) {
		/* the hashes of device secrets do not outlive the snapshot */
		memset(ds->devices, 0, (size_t)ds->devices_cap * sizeof(*ds->devices));
		free(ds->devices);
	}
	free(ds->by_username);
	free(ds->by_serial);
	free(ds->by_mac);
	free(ds->by_id);
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
	devset_free(&sn->ds);
	free(sn);
}

static void
overlay_free(struct overlay *ov)
{
	if (ov == NULL)
		return;
	devset_free(&ov->ds);
	free(ov->acct_in);
	free(ov->want);
	free(ov->macs);
	free(ov);
}

/* Free @v; its base goes with the last view using it.  Under refresh_lock. */
static void
view_free(struct view *v)
{
	if (v == NULL)
		return;
	overlay_free(v->ov);
	if (v->base != NULL && --v->base->refs == 0)
		snapshot_free(v->base);
	free(v);
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

/* Add a device of account @acct (index into the snapshot's accounts). */
static int
devset_add(struct devset *ds, const struct avec_scan_device *sd, uint32_t acct)
{
	struct dev_entry *e;

	/* rows AVEC cannot have written are left out, never truncated */
	if (acct == NO_ENTRY || strlen(sd->username) > AVEC_USERNAME_MAX ||
	    strlen(sd->secret_hash) > AVEC_HASH_MAX ||
	    strlen(sd->psk) > AVEC_PSK_MAX)
		return 0;
	if (grow((void **)&ds->devices, &ds->devices_cap, ds->ndevices + 1,
		 sizeof(*ds->devices)) < 0)
		return -1;
	e = &ds->devices[ds->ndevices++];
	memset(e, 0, sizeof(*e));
	e->d = sd->d;
	e->acct = acct;
	/* devices arrive by account, oldest first: rank the live ones */
	if (sd->d.account_id != ds->cur_account) {
		ds->cur_account = sd->d.account_id;
		ds->cur_rank = 0;
	}
	if (sd->d.status == AVEC_DEVICE_ACTIVE &&
	    (sd->d.expires_at == 0 || sd->d.expires_at > ds->load_now))
		e->d.rank = ds->cur_rank++;
	else
		e->d.rank = UINT32_MAX;
	strcpy(e->username, sd->username);
	if (!IS_PSK(e))
		strcpy(e->hash, sd->secret_hash);
	else if (avec_mac_normalize(sd->mac, e->mac) == 0)
		strcpy(e->psk, sd->psk);
	if (sd->cert_serial[0] &&
	    avec_serial_normalize(sd->cert_serial, e->serial, sizeof(e->serial)) < 0)
		e->serial[0] = '\0';
	return 0;
}

static int
load_device(const struct avec_scan_device *sd, void *ctx)
{
	struct snapshot *sn = ctx;

	return devset_add(&sn->ds, sd, find_account(sn, sd->d.account_id));
}

static int
load_mark(const struct avec_scan_mark *m, void *ctx)
{
	struct snapshot *sn = ctx;

	sn->mark = *m;
	return 0;
}

static uint64_t
hash_id(uint64_t seed, int64_t id)
{
	uint64_t h = (uint64_t)id ^ seed;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static void
table_put(struct devset *ds, uint32_t *table, const char *key, uint32_t val)
{
	uint32_t i = (uint32_t)hash_key(ds->seed, key) & ds->mask;

	while (table[i] != NO_ENTRY)
		i = (i + 1) & ds->mask;
	table[i] = val;
}

static uint32_t
table_get(const struct devset *ds, const uint32_t *table, const char *key,
	  size_t off)
{
	uint32_t i = (uint32_t)hash_key(ds->seed, key) & ds->mask, v;

	while ((v = table[i]) != NO_ENTRY) {
		if (strcmp((const char *)&ds->devices[v] + off, key) == 0)
			return v;
		i = (i + 1) & ds->mask;
	}
	return NO_ENTRY;
}

static void
id_put(struct devset *ds, uint32_t val)
{
	uint32_t i = (uint32_t)hash_id(ds->seed, ds->devices[val].d.id) & ds->mask;

	while (ds->by_id[i] != NO_ENTRY)
		i = (i + 1) & ds->mask;
	ds->by_id[i] = val;
}

static const struct dev_entry *
id_get(const struct devset *ds, int64_t id)
{
	uint32_t i = (uint32_t)hash_id(ds->seed, id) & ds->mask, v;

	while ((v = ds->by_id[i]) != NO_ENTRY) {
		if (ds->devices[v].d.id == id)
			return &ds->devices[v];
		i = (i + 1) & ds->mask;
	}
	return NULL;
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
mac_put(struct devset *ds, uint32_t i)
{
	const struct dev_entry *e = &ds->devices[i];
	uint32_t k = (uint32_t)hash_key(ds->seed, e->mac) & ds->mask, v;

	while ((v = ds->by_mac[k]) != NO_ENTRY) {
		const struct dev_entry *o = &ds->devices[v];

		if (strcmp(o->mac, e->mac) == 0) {
			if (o->d.status != AVEC_DEVICE_ACTIVE &&
			    (e->d.status == AVEC_DEVICE_ACTIVE || e->d.id > o->d.id))
				ds->by_mac[k] = i;
			return;
		}
		k = (k + 1) & ds->mask;
	}
	ds->by_mac[k] = i;
}

static int
build_tables(struct devset *ds)
{
	uint64_t size = 16;
	uint32_t i;

	while (size < (uint64_t)ds->ndevices * 2)
		size *= 2;
	if (size > UINT32_MAX)
		return -1;
	ds->mask = (uint32_t)size - 1;
	ds->by_username = malloc(size * sizeof(uint32_t));
	ds->by_serial = malloc(size * sizeof(uint32_t));
	ds->by_mac = malloc(size * sizeof(uint32_t));
	ds->by_id = malloc(size * sizeof(uint32_t));
	if (ds->by_username == NULL || ds->by_serial == NULL ||
	    ds->by_mac == NULL || ds->by_id == NULL)
		return -1;
	memset(ds->by_username, 0xff, size * sizeof(uint32_t));
	memset(ds->by_serial, 0xff, size * sizeof(uint32_t));
	memset(ds->by_mac, 0xff, size * sizeof(uint32_t));
	memset(ds->by_id, 0xff, size * sizeof(uint32_t));
	for (i = 0; i < ds->ndevices; i++) {
		table_put(ds, ds->by_username, ds->devices[i].username, i);
		if (ds->devices[i].serial[0])
			table_put(ds, ds->by_serial, ds->devices[i].serial, i);
		if (IS_PSK(&ds->devices[i]) && ds->devices[i].mac[0])
			mac_put(ds, i);
		id_put(ds, i);
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
		.mark = load_mark,
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
	sn->ds.cur_account = -1;
	sn->ds.load_now = (int64_t)time(NULL);
	if (RAND_bytes((unsigned char *)&sn->seed, sizeof(sn->seed)) != 1)
		sn->seed = (uint64_t)now_us(CLOCK_MONOTONIC);
	sn->ds.seed = sn->seed;
	if (avec_store_scan(idx->st, &cb, sn, &sn->generation, err) != 0) {
		if (err && !err->msg[0])
			avec_err_set(err, "index: out of memory while loading");
		goto fail;
	}
	if (resolve_accounts(sn) < 0 || build_tables(&sn->ds) < 0) {
		avec_err_set(err, "index: out of memory building tables");
		goto fail;
	}
	return sn;
fail:
	snapshot_free(sn);
	return NULL;
}

static int
want_account(struct overlay *ov, int64_t id)
{
	if (grow((void **)&ov->want, &ov->want_cap, ov->nwant + 1,
		 sizeof(*ov->want)) < 0)
		return -1;
	ov->want[ov->nwant++] = id;
	return 0;
}

static int
want_mac(struct overlay *ov, const char *mac)
{
	if (strlen(mac) > AVEC_MAC_STRLEN)	/* not AVEC's: matches nothing */
		return 0;
	if (grow((void **)&ov->macs, &ov->macs_cap, ov->nmacs + 1,
		 sizeof(*ov->macs)) < 0)
		return -1;
	strcpy(ov->macs[ov->nmacs++], mac);
	return 0;
}

static void
acct_mark(struct overlay *ov, uint32_t acct)
{
	ov->acct_in[acct >> 3] |= (uint8_t)(1u << (acct & 7));
}

static bool
acct_marked(const struct overlay *ov, uint32_t acct)
{
	return (ov->acct_in[acct >> 3] >> (acct & 7)) & 1u;
}

/* A changed device: its owners and MACs, now and in the base, are read. */
static int
ov_changed(int64_t id, int64_t account_id, const char *mac, void *ctx)
{
	struct overlay *ov = ctx;
	const struct dev_entry *e = id_get(&ov->base->ds, id);

	if ((account_id != 0 && want_account(ov, account_id) < 0) ||
	    (mac[0] && want_mac(ov, mac) < 0))
		return -1;
	if (e != NULL &&
	    (want_account(ov, ov->base->accounts[e->acct].id) < 0 ||
	     (IS_PSK(e) && e->mac[0] && want_mac(ov, e->mac) < 0)))
		return -1;
	return 0;
}

static int
ov_want(void *ctx, const int64_t **accounts, size_t *naccounts,
	const char (**macs)[18], size_t *nmacs)
{
	struct overlay *ov = ctx;
	uint32_t i;

	/* an account left with no device still hides its base devices */
	for (i = 0; i < ov->nwant; i++) {
		uint32_t a = find_account(ov->base, ov->want[i]);

		if (a != NO_ENTRY)
			acct_mark(ov, a);
	}
	*accounts = ov->want;
	*naccounts = ov->nwant;
	*macs = (const char (*)[18])ov->macs;
	*nmacs = ov->nmacs;
	return 0;
}

static int
ov_device(const struct avec_scan_device *sd, void *ctx)
{
	struct overlay *ov = ctx;
	uint32_t a = find_account(ov->base, sd->d.account_id);

	/* a new account moves the base generation: not seen here */
	if (a != NO_ENTRY)
		acct_mark(ov, a);
	if (ov->ds.ndevices >= (uint64_t)ov->limit * OVERLAY_DEVICES_PER_CHANGE)
		return 1;	/* too big: a full load is as cheap */
	return devset_add(&ov->ds, sd, a);
}

/*
 * The overlay over @base for the devices changed since it, and the
 * store's mark in *mark.  Caller holds refresh_lock.
 * Returns: 1 (*out set), 0 (more than devices changed, or too many: load
 *   a full snapshot), -1.
 */
static int
overlay_load(struct avec_index *idx, const struct snapshot *base,
	     struct overlay **out, struct avec_scan_mark *mark,
	     struct avec_err *err)
{
	static const struct avec_delta_cb cb = {
		.changed = ov_changed,
		.want = ov_want,
		.device = ov_device,
	};
	struct overlay *ov;
	int rc;

	if (idx->overlay_limit == 0)
		return 0;
	if ((ov = calloc(1, sizeof(*ov))) == NULL ||
	    (ov->acct_in = calloc(base->naccounts / 8 + 1, 1)) == NULL) {
		overlay_free(ov);
		avec_err_set(err, "index: out of memory");
		return -1;
	}
	ov->base = base;
	ov->limit = idx->overlay_limit;
	ov->ds.seed = base->seed;
	ov->ds.cur_account = -1;
	ov->ds.load_now = (int64_t)time(NULL);
	rc = avec_store_scan_delta(idx->st, &base->mark, ov->limit, &cb, ov,
				   mark, err);
	if (rc == 0 && build_tables(&ov->ds) < 0)
		rc = -1;
	if (rc == 0) {
		/* the load state goes; the tables stay */
		free(ov->want);
		free(ov->macs);
		ov->want = NULL;
		ov->macs = NULL;
		ov->base = NULL;
		*out = ov;
		return 1;
	}
	overlay_free(ov);
	if (rc < 0 && err && !err->msg[0])
		avec_err_set(err, "index: out of memory while loading changes");
	return rc > 0 ? 0 : -1;
}

int
avec_index_refresh(struct avec_index *idx, struct avec_err *err)
{
	struct view *v = NULL, *old;
	struct avec_scan_mark mark;
	uint64_t gen;
	int64_t t0;
	int rc, incremental = 0;

	pthread_mutex_lock(&idx->refresh_lock);
	rc = avec_store_changed(idx->st, err);
	if (rc <= 0)
		goto out;
	rc = avec_store_generation(idx->st, &gen, err);
	if (rc < 0)
		goto out;
	/* only a refresh changes idx->view, and this one holds refresh_lock */
	old = idx->view;
	if (old != NULL && old->generation == gen) {
		rc = 0;
		goto out;
	}

	t0 = now_us(CLOCK_MONOTONIC);
	if (err)
		err->msg[0] = '\0';
	rc = -1;
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		avec_err_set(err, "index: out of memory");
		goto out;
	}
	if (old != NULL) {
		int r = overlay_load(idx, old->base, &v->ov, &mark, err);

		if (r < 0)
			goto out;
		if (r > 0) {
			v->base = old->base;
			v->base->refs++;
			v->generation = mark.generation;
			incremental = 1;
		}
	}
	if (v->base == NULL) {
		if ((v->base = snapshot_load(idx, err)) == NULL)
			goto out;
		v->base->refs = 1;
		v->generation = v->base->generation;
	}
	pthread_rwlock_wrlock(&idx->lock);
	idx->view = v;
	idx->stats.generation++;
	if (incremental)
		idx->stats.incremental_loads++;
	else
		idx->stats.full_loads++;
	idx->stats.devices = v->base->ds.ndevices;
	idx->stats.accounts = v->base->naccounts;
	idx->stats.overlay_devices = v->ov != NULL ? v->ov->ds.ndevices : 0;
	idx->stats.loaded_at_us = now_us(CLOCK_REALTIME);
	idx->stats.load_us = (uint64_t)(now_us(CLOCK_MONOTONIC) - t0);
	pthread_rwlock_unlock(&idx->lock);
	v = NULL;
	view_free(old);
	rc = 1;
out:
	view_free(v);
	if (rc < 0) {
		pthread_rwlock_wrlock(&idx->lock);
		idx->stats.refresh_errors++;
		pthread_rwlock_unlock(&idx->lock);
	}
	pthread_mutex_unlock(&idx->refresh_lock);
	return rc;
}

void
avec_index_set_overlay_limit(struct avec_index *idx, uint32_t max_changes)
{
	pthread_mutex_lock(&idx->refresh_lock);
	idx->overlay_limit = max_changes;
	pthread_mutex_unlock(&idx->refresh_lock);
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
	idx->overlay_limit = AVEC_INDEX_OVERLAY_LIMIT;

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
	view_free(idx->view);
	avec_store_close(idx->st);
	pthread_cond_destroy(&idx->stop_cond);
	pthread_mutex_destroy(&idx->stop_lock);
	pthread_mutex_destroy(&idx->refresh_lock);
	pthread_rwlock_destroy(&idx->lock);
	free(idx);
}

static const struct dev_entry *
devset_find(const struct devset *ds, enum avec_key_kind kind, const char *k)
{
	const uint32_t *table;
	size_t off;
	uint32_t v;

	switch (kind) {
	case AVEC_KEY_USERNAME:
		table = ds->by_username;
		off = offsetof(struct dev_entry, username);
		break;
	case AVEC_KEY_SERIAL:
		table = ds->by_serial;
		off = offsetof(struct dev_entry, serial);
		break;
	case AVEC_KEY_MAC:
	default:
		table = ds->by_mac;
		off = offsetof(struct dev_entry, mac);
		break;
	}
	v = table_get(ds, table, k, off);
	return v == NO_ENTRY ? NULL : &ds->devices[v];
}

/*
 * The overlay answers first; a base device answers only if its account is
 * not in the overlay (whose copy of that account's devices is the newer).
 */
static const struct dev_entry *
view_find(const struct view *v, enum avec_key_kind kind, const char *k)
{
	const struct dev_entry *e;

	if (v->ov != NULL && (e = devset_find(&v->ov->ds, kind, k)) != NULL)
		return e;
	e = devset_find(&v->base->ds, kind, k);
	if (e != NULL && v->ov != NULL && acct_marked(v->ov, e->acct))
		return NULL;
	return e;
}

enum avec_reason
avec_index_decide(struct avec_index *idx, enum avec_key_kind kind,
		  const char *key, size_t keylen, time_t now,
		  struct avec_lookup *out)
{
	char k[AVEC_SERIAL_MAX + 1];
	const struct snapshot *sn;
	const struct dev_entry *e;

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
	sn = idx->view->base;
	e = view_find(idx->view, kind, k);
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
