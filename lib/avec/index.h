/*
 * index.h - the in-memory read view that answers RADIUS requests.
 *
 * The authentication path must answer at memory speed and never wait on
 * SQLite.  An index holds an immutable snapshot of every device, account and
 * policy, with hash tables by device username, by certificate serial and
 * by the MAC address of a PSK device.
 * A refresher thread notices commits to the store (SQLite's data_version)
 * and swaps in a new snapshot; lookups run under a read lock and copy their
 * answer out, so no caller ever holds a pointer into a snapshot.
 *
 * Thread safety: every function but avec_index_close() may be called from
 * any number of threads at once.
 */
#ifndef AVEC_INDEX_H
#define AVEC_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "avec/err.h"
#include "avec/model.h"
#include "avec/policy.h"

struct avec_index;

/*
 * avec_index_open - load a first snapshot of the store at @path.
 * @refresh_ms: how often the refresher looks for commits; 0 starts no
 *   thread (call avec_index_refresh() yourself).
 * Returns: an index freed with avec_index_close(), or NULL.
 */
struct avec_index *avec_index_open(const char *path, unsigned refresh_ms,
				   struct avec_err *err);
void avec_index_close(struct avec_index *idx);

/*
 * Reload if the store changed.  When only devices changed, and no more
 * than the overlay limit of them, the new snapshot shares the last full
 * one and carries those devices' accounts read again; otherwise the whole
 * store is read.  Returns 1 (reloaded), 0 (unchanged), -1.
 */
int avec_index_refresh(struct avec_index *idx, struct avec_err *err);

/* Devices changed since the last full load that an overlay may carry. */
#define AVEC_INDEX_OVERLAY_LIMIT 4096
/* Change that limit; 0 makes every refresh a full load. */
void avec_index_set_overlay_limit(struct avec_index *idx, uint32_t max_changes);

/* How a device presents itself. */
enum avec_key_kind {
	AVEC_KEY_USERNAME = 0,	/* TTLS/PEAP inner identity */
	AVEC_KEY_SERIAL,	/* EAP-TLS client certificate serial */
	AVEC_KEY_MAC,		/* the MAC a PSK device is bound to (any form
				   avec_mac_normalize() reads) */
};

/* What a lookup copies out. */
struct avec_lookup {
	struct avec_verdict verdict;
	int64_t device_id;		/* 0 if unknown */
	enum avec_cred_type cred_type;
	char principal[AVEC_PRINCIPAL_MAX + 1];	/* "" if unknown */
	char secret_hash[AVEC_HASH_MAX + 1];	/* TTLS/PEAP only */
	char psk[AVEC_PSK_MAX + 1];		/* PSK only: the key itself */
	char username[AVEC_USERNAME_MAX + 1];	/* the device's, "" if unknown */
};
/* The lookup holds secrets: callers wipe it (avec_secret_wipe) when done. */

/*
 * avec_index_decide - find the device presenting @key and decide at @now.
 * The key is checked first (AVEC_REJECT_MALFORMED_IDENTITY); then the
 * device, its owner and the owner's role policy go to avec_decide().
 * Returns: out->verdict.reason.
 */
enum avec_reason avec_index_decide(struct avec_index *idx,
				   enum avec_key_kind kind, const char *key,
				   size_t keylen, time_t now,
				   struct avec_lookup *out);

struct avec_index_stats {
	uint64_t generation;	/* snapshots loaded so far */
	uint64_t full_loads;	/* of them, read from the whole store */
	uint64_t incremental_loads;	/* of them, an overlay over the last full one */
	uint32_t devices;	/* in the last full load */
	uint32_t accounts;
	uint32_t overlay_devices;	/* in the current overlay */
	int64_t loaded_at_us;	/* CLOCK_REALTIME, microseconds */
	uint64_t load_us;	/* time the last load took */
	uint64_t refresh_errors;
};
void avec_index_stats(struct avec_index *idx, struct avec_index_stats *out);

#endif
