/*
 * rlm_avec.c - the FreeRADIUS glue between a RADIUS request and AVEC's
 * decision.
 *
 * This file owns four things and nothing else: reading the module's
 * settings (and refusing to start, naming the setting, when one is wrong),
 * holding the in-memory index of the store and the writer (writer.h) for
 * the life of the module instance, translating between RADIUS attributes
 * and libavec's lookup and verdict, and turning Accounting-Requests into
 * connection-log records (connlog.h).
 *
 *   authorize  (inner tunnel, and plain PAP requests in the outer server):
 *              a device username is looked up and its stored hash handed to
 *              FreeRADIUS as control:Password-With-Header, so that rlm_pap
 *              and rlm_mschap do the cryptography.  A MAC-authentication
 *              request (an access point asking about a station's MAC before
 *              a WPA-Personal handshake: User-Name and User-Password are the
 *              MAC) for a PSK device gets control:Cleartext-Password set to
 *              that MAC, the access point's convention.  No policy runs
 *              here.
 *   post-auth  (outer server only): the device's real identity (the inner
 *              identity carried out in session-state, the EAP-TLS
 *              certificate serial, or the User-Name of a plain request) goes
 *              to avec_index_decide(); an accept becomes VLAN attributes, a
 *              "no" becomes an Access-Reject with the reason in
 *              Reply-Message.  An accept also carries a Class naming the
 *              device ("avec1:<id>"), which the NAS echoes in accounting
 *              (its outer User-Name is anonymous), and queues a last-seen
 *              touch without waiting for it.  A PSK device's accept also
 *              carries its key in Tunnel-Password (RADIUS encrypts it with
 *              the shared secret) and its device username as User-Name, so
 *              that the access point completes the 4-way handshake only
 *              with the holder of that key and names it in accounting.
 *   accounting Start, Interim-Update, Stop, Accounting-On/Off become one
 *              record each, handed to the writer; the module waits,
 *              bounded (accounting_timeout), for its commit and returns
 *              OK, so FreeRADIUS acknowledges; otherwise FAIL, so no
 *              Accounting-Response goes out and the NAS sends it again.
 *
 * It must never: open SQLite or write anything on the request path itself
 * (the index answers from memory and refreshes itself on its own thread;
 * writes go through the writer's thread, and only accounting waits for
 * them: authentication never does); hold
 * a policy rule of its own (the rules live in libavec, shared with avecd;
 * the glue's one check is a fact only the RADIUS request shows: that a
 * tunnelled secret came through the EAP method it was issued for);
 * log a secret, a stored hash, or an identity it has not validated (its one
 * log line per decision names the store's principal, the device id and a
 * reason code); or let an Access-Reject go out still carrying the
 * EAP-Success and keys of the Access-Accept it replaced.
 *
 * Stopping: FreeRADIUS calls mod_detach once its request threads are
 * joined.  FreeRADIUS 3.2.1 sometimes never gets there after SIGTERM (a
 * thread of its own spins in its queue); exit_guard.c bounds that wait
 * and is this file's only dealing with it (docs/freeradius-notes.md).
 *
 * Memory: FreeRADIUS allocates and frees the instance structure; the index,
 * the writer and the exit guard are the only things this file frees itself
 * (mod_detach, which ends the guard, then drains the writer).  Every pair added
 * to a request is talloc-parented to the list it joins (the reply packet,
 * or the request for control pairs), so the request frees it.
 *
 * Threads: the module is RLM_TYPE_THREAD_SAFE.  Request code only reads the
 * instance, but for the outcome counters (avec/report.h: atomic, per UTC
 * hour and reason, added to the store by the writer's thread every
 * stats_interval and at stop) and one atomic counter (accounting requests waiting for a
 * commit: beyond accounting_waiters only while the store keeps up, so
 * that a stalled store can hold only that many of FreeRADIUS's threads,
 * never all of those that authentication needs); the index is built for concurrent readers
 * (avec/index.h), the writer for concurrent producers (avec/writer.h).
 */
#include <freeradius/radiusd.h>
#include <freeradius/modules.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "avec/connlog.h"
#include "avec/err.h"
#include "avec/ident.h"
#include "avec/index.h"
#include "avec/model.h"
#include "avec/policy.h"
#include "avec/report.h"
#include "avec/secret.h"
#include "avec/writer.h"
#include "exit_guard.h"

#define AVEC_REFRESH_MIN	10	/* ms */
#define AVEC_REFRESH_MAX	10000	/* ms */
#define AVEC_QUEUE_MIN		16	/* records */
#define AVEC_QUEUE_MAX		65536
#define AVEC_FLUSH_MIN		1	/* ms */
#define AVEC_FLUSH_MAX		10000
#define AVEC_ACCT_WAIT_MIN	100	/* ms */
#define AVEC_ACCT_WAIT_MAX	10000
#define AVEC_WAITERS_MIN	1	/* threads */
#define AVEC_WAITERS_MAX	1024
#define AVEC_STATS_MIN		1	/* seconds */
#define AVEC_STATS_MAX		3600	/* a counter slot lasts AVEC_AUTH_SLOTS h */

#define AVEC_VLAN_TUNNEL_TYPE	13	/* Tunnel-Type = VLAN (RFC 3580) */
#define AVEC_IEEE802_MEDIUM	6	/* Tunnel-Medium-Type = IEEE-802 */
#define AVEC_EAP_CODE_SUCCESS	3
#define AVEC_EAP_CODE_FAILURE	4
#define AVEC_EAP_TYPE_TTLS	21
#define AVEC_EAP_TYPE_PEAP	25

/*
 * One instance per "avec { }" section.  The CONF_PARSER table fills the
 * settings (strings owned by the configuration tree); mod_instantiate opens
 * the index, which mod_detach closes.
 */
typedef struct rlm_avec_t {
	char const		*database;	/* path of the SQLite store */
	uint32_t		refresh_interval; /* ms between commit checks */
	uint32_t		queue_size;	/* records the writer may hold */
	uint32_t		flush_interval;	/* ms a last-seen touch may wait */
	uint32_t		accounting_timeout; /* ms an acknowledgement waits */
	uint32_t		accounting_waiters; /* threads that may wait */
	uint32_t		acct_busy;	/* waiting now (atomic) */
	uint32_t		stats_interval;	/* s between count flushes */
	struct avec_auth_counter counts; /* outcomes (atomic, report.h) */
	struct avec_index	*index;		/* NULL until instantiated */
	struct avec_writer	*writer;	/* NULL until instantiated */
	struct exit_guard	*guard;		/* NULL until instantiated */
} rlm_avec_t;

static const CONF_PARSER module_config[] = {
	{ "database", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_REQUIRED |
				     PW_TYPE_NOT_EMPTY, rlm_avec_t, database),
	  NULL },
	{ "refresh_interval", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_avec_t,
					     refresh_interval), "200" },
	{ "queue_size", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_avec_t,
				       queue_size), "4096" },
	{ "flush_interval", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_avec_t,
					   flush_interval), "200" },
	{ "accounting_timeout", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_avec_t,
					       accounting_timeout), "2000" },
	{ "accounting_waiters", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_avec_t,
					       accounting_waiters), "16" },
	{ "stats_interval", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_avec_t,
					   stats_interval), "60" },
	CONF_PARSER_TERMINATOR
};

/* Where the identity that post-auth decides on came from. */
enum avec_source {
	AVEC_SRC_NONE = 0,
	AVEC_SRC_INNER,		/* session-state:User-Name from the tunnel */
	AVEC_SRC_CERT,		/* TLS-Client-Cert-Serial (EAP-TLS) */
	AVEC_SRC_PLAIN,		/* User-Name of a request without a tunnel */
	AVEC_SRC_MAC,		/* MAC authentication (a PSK device) */
};

static char const *source_name(enum avec_source s)
{
	switch (s) {
	case AVEC_SRC_INNER:	return "inner identity";
	case AVEC_SRC_CERT:	return "certificate";
	case AVEC_SRC_PLAIN:	return "user name";
	case AVEC_SRC_MAC:	return "MAC address";
	case AVEC_SRC_NONE:	break;
	}
	return "no identity";
}

/* Refuse @value outside [min, max], naming the setting.  Returns 0 or -1. */
static int check_bounds(CONF_SECTION *conf, char const *name, uint32_t value,
			uint32_t min, uint32_t max, char const *unit)
{
	if (value >= min && value <= max) return 0;
	cf_log_err_cp(cf_pair_find(conf, name),
		      "%s must be between %u and %u (%s), not %u", name,
		      min, max, unit, value);
	return -1;
}

/*
 * The writer's periodic job (its thread, its connection): add the
 * outcomes counted since the last time to auth_stats.  Counts that fail
 * to commit are lost, as are those still in memory at a crash: at most
 * stats_interval's worth.
 */
static void stats_flush(struct avec_store *st, void *ctx)
{
	rlm_avec_t *inst = ctx;
	struct avec_auth_stat rows[AVEC_AUTH_HARVEST_MAX];
	struct avec_err err = { .msg = "" };
	unsigned n = avec_auth_harvest(&inst->counts, rows);

	if (n > 0 && avec_store_auth_stats_add(st, rows, n, &err) < 0)
		ERROR("rlm_avec: authentication counts lost: %s", err.msg);
}

/* One line at stop: the outcomes since start, by reason. */
static void stats_log_totals(rlm_avec_t *inst)
{
	char line[1024];
	size_t len = 0;
	unsigned r;

	line[0] = '\0';
	for (r = 0; r < AVEC_REASON__COUNT; r++) {
		uint64_t n = __atomic_load_n(&inst->counts.total[r],
					     __ATOMIC_RELAXED);
		int k;

		if (n == 0 || len >= sizeof(line)) continue;
		k = snprintf(line + len, sizeof(line) - len, " %s=%" PRIu64,
			     avec_reason_code((enum avec_reason)r), n);
		if (k > 0) len += (size_t)k;
	}
	INFO("rlm_avec: authentication outcomes since start:%s",
	     len ? line : " none");
}

/* The exit guard's last words, before it ends a stuck server (its thread). */
static void stats_log_last(void *ctx)
{
	stats_log_totals(ctx);
}

/*
 * Check the settings once, at start-up, and open the index, then the
 * writer (its own read-write connection to the store).  A bad value
 * stops the server with a message that names the setting.  The database is
 * checked here rather than with PW_TYPE_FILE_INPUT, which would also record
 * the store among the configuration files, whose changes mean "reload".
 */
static int mod_instantiate(CONF_SECTION *conf, void *instance)
{
	rlm_avec_t *inst = instance;
	struct avec_err err = { .msg = "" };
	struct stat st;

	if (inst->refresh_interval < AVEC_REFRESH_MIN ||
	    inst->refresh_interval > AVEC_REFRESH_MAX) {
		cf_log_err_cp(cf_pair_find(conf, "refresh_interval"),
			      "refresh_interval must be between %d and %d "
			      "(milliseconds), not %u", AVEC_REFRESH_MIN,
			      AVEC_REFRESH_MAX, inst->refresh_interval);
		return -1;
	}
	if (check_bounds(conf, "queue_size", inst->queue_size,
			 AVEC_QUEUE_MIN, AVEC_QUEUE_MAX, "records") < 0 ||
	    check_bounds(conf, "flush_interval", inst->flush_interval,
			 AVEC_FLUSH_MIN, AVEC_FLUSH_MAX, "milliseconds") < 0 ||
	    check_bounds(conf, "accounting_timeout", inst->accounting_timeout,
			 AVEC_ACCT_WAIT_MIN, AVEC_ACCT_WAIT_MAX,
			 "milliseconds") < 0 ||
	    check_bounds(conf, "accounting_waiters", inst->accounting_waiters,
			 AVEC_WAITERS_MIN, AVEC_WAITERS_MAX, "threads") < 0 ||
	    check_bounds(conf, "stats_interval", inst->stats_interval,
			 AVEC_STATS_MIN, AVEC_STATS_MAX, "seconds") < 0)
		return -1;

	errno = 0;
	if (stat(inst->database, &st) < 0 || !S_ISREG(st.st_mode) ||
	    access(inst->database, R_OK) < 0) {
		cf_log_err_cp(cf_pair_find(conf, "database"),
			      "database \"%s\" is not a readable file: %s",
			      inst->database,
			      errno ? fr_syserror(errno) : "not a regular file");
		return -1;
	}

	inst->index = avec_index_open(inst->database, inst->refresh_interval,
				      &err);
	if (!inst->index) {
		cf_log_err_cp(cf_pair_find(conf, "database"),
			      "database \"%s\" cannot be used: %s",
			      inst->database, err.msg);
		return -1;
	}
	inst->writer = avec_writer_start(inst->database, inst->queue_size,
					 inst->flush_interval, &err);
	if (!inst->writer) {
		cf_log_err_cp(cf_pair_find(conf, "database"),
			      "database \"%s\" cannot be written: %s",
			      inst->database, err.msg);
		avec_index_close(inst->index);
		inst->index = NULL;
		return -1;
	}
	memset(&inst->counts, 0, sizeof(inst->counts));
	avec_writer_set_hook(inst->writer, inst->stats_interval * 1000,
			     stats_flush, inst);
	inst->guard = exit_guard_start(inst->writer, stats_log_last, inst);
	if (!inst->guard) {
		ERROR("rlm_avec: cannot start the exit guard (FreeRADIUS's "
		      "main_config not found, or no thread)");
		avec_writer_stop(inst->writer);
		inst->writer = NULL;
		avec_index_close(inst->index);
		inst->index = NULL;
		return -1;
	}
	return 0;
}

/*
 * Ends the exit guard (the server got here), drains the writer (everything
 * queued is committed, unless the guard halted it), stops its thread,
 * then the index's refresher; called once, at exit, after FreeRADIUS has
 * stopped its request threads.
 */
static int mod_detach(void *instance)
{
	rlm_avec_t *inst = instance;

	exit_guard_stop(inst->guard);
	inst->guard = NULL;
	if (inst->writer) {
		avec_writer_stop(inst->writer);	/* flushes the counts */
		stats_log_totals(inst);
	}
	inst->writer = NULL;
	if (inst->index) avec_index_close(inst->index);
	inst->index = NULL;
	return 0;
}

/*
 * Is this a MAC-authentication request?  No EAP, a User-Name that is a MAC
 * address (an access point sends "aabbccddeeff" or a separated form), and
 * no Calling-Station-Id that says otherwise.  A tunnelled request never
 * is one.
 */
static bool mac_auth_request(REQUEST *request, VALUE_PAIR *name)
{
	char mac[AVEC_MAC_STRLEN + 1], station[AVEC_MAC_STRLEN + 1];
	VALUE_PAIR *vp;

	if (request->parent || !name || name->vp_length > AVEC_MAC_STRLEN ||
	    memchr(name->vp_strvalue, '\0', name->vp_length) ||
	    avec_mac_normalize(name->vp_strvalue, mac) < 0 ||
	    fr_pair_find_by_num(request->packet->vps, PW_EAP_MESSAGE, 0,
				TAG_ANY))
		return false;
	vp = fr_pair_find_by_num(request->packet->vps, PW_CALLING_STATION_ID,
				 0, TAG_ANY);
	if (!vp) return true;
	return avec_mac_normalize(vp->vp_strvalue, station) == 0 &&
	       strcmp(mac, station) == 0;
}

/*
 * Hand the device's known good password to the password modules: its
 * stored hash (a device username, TTLS/PEAP), or, for the MAC
 * authentication of a PSK device, the MAC itself (the access point's
 * password; the key that proves the device goes out in post-auth).  NOOP
 * when the User-Name names no such device: the reason is decided, and
 * logged, in post-auth.
 */
static rlm_rcode_t CC_HINT(nonnull) mod_authorize(void *instance,
						  REQUEST *request)
{
	rlm_avec_t *inst = instance;
	struct avec_lookup lk;
	VALUE_PAIR *name, *vp;
	unsigned int attr;
	char const *good;
	size_t goodlen;
	bool mac;
	rlm_rcode_t rcode = RLM_MODULE_NOOP;

	name = fr_pair_find_by_num(request->packet->vps, PW_USER_NAME, 0,
				   TAG_ANY);
	mac = mac_auth_request(request, name);
	if (!mac && (!name || !avec_username_valid(name->vp_strvalue,
						   name->vp_length)))
		return RLM_MODULE_NOOP;

	memset(&lk, 0, sizeof(lk));
	avec_index_decide(inst->index, mac ? AVEC_KEY_MAC : AVEC_KEY_USERNAME,
			  name->vp_strvalue, name->vp_length,
			  request->timestamp, &lk);
	if (mac) {
		attr = PW_CLEARTEXT_PASSWORD;
		good = name->vp_strvalue;
		goodlen = lk.psk[0] ? name->vp_length : 0;
	} else {
		attr = PW_PASSWORD_WITH_HEADER;
		good = lk.secret_hash;
		goodlen = strlen(lk.secret_hash);
	}
	if (lk.device_id == 0 || goodlen == 0) {
		RDEBUG2("no device with a secret under this %s",
			mac ? "MAC address" : "user name");
		goto out;
	}

	/* Owned by the request; replaces any earlier value. */
	vp = fr_pair_afrom_num(request, attr, 0);
	if (!vp) {
		REDEBUG("out of memory");
		rcode = RLM_MODULE_FAIL;
		goto out;
	}
	fr_pair_value_bstrncpy(vp, good, goodlen);
	fr_pair_delete_by_num(&request->config, attr, 0, TAG_ANY);
	fr_pair_add(&request->config, vp);
	RDEBUG2("principal %s device %lld (%s): %s", lk.principal,
		(long long)lk.device_id, avec_cred_type_name(lk.cred_type),
		mac ? "MAC authentication" :
		"stored hash handed to the password modules");
	rcode = RLM_MODULE_UPDATED;
out:
	avec_secret_wipe(&lk, sizeof(lk));
	return rcode;
}

/*
 * Put exactly one @attr in the reply: every earlier instance goes, whatever
 * its tag.  Returns the new pair (owned by the reply packet) or NULL.
 */
static VALUE_PAIR *reply_set(REQUEST *request, unsigned int attr)
{
	VALUE_PAIR *vp;

	vp = fr_pair_afrom_num(request->reply, attr, 0);
	if (!vp) return NULL;
	if (vp->da->flags.has_tag) vp->tag = TAG_NONE;
	fr_pair_delete_by_num(&request->reply->vps, attr, 0, TAG_ANY);
	fr_pair_add(&request->reply->vps, vp);
	return vp;
}

static int reply_set_int(REQUEST *request, unsigned int attr, uint32_t value)
{
	VALUE_PAIR *vp = reply_set(request, attr);

	if (!vp) return -1;
	vp->vp_integer = value;
	vp->type = VT_DATA;
	return 0;
}

static int reply_set_str(REQUEST *request, unsigned int attr,
			 char const *value)
{
	VALUE_PAIR *vp = reply_set(request, attr);

	if (!vp) return -1;
	fr_pair_value_strcpy(vp, value);
	return 0;
}

/*
 * The Class the NAS will echo in accounting: AVEC's opaque token for the
 * device ("avec1:<id>"), the one Class of the reply.
 */
static int reply_set_class(REQUEST *request, int64_t device_id)
{
	char token[32];
	VALUE_PAIR *vp;

	snprintf(token, sizeof(token), AVEC_CLASS_PREFIX "%" PRId64, device_id);
	vp = reply_set(request, PW_CLASS);
	if (!vp) return -1;
	fr_pair_value_memcpy(vp, (uint8_t const *)token, strlen(token));
	return 0;
}

/* The request's Calling-Station-Id, normalised; "" when absent or odd. */
static void request_mac(REQUEST *request, char mac[AVEC_MAC_STRLEN + 1])
{
	VALUE_PAIR *vp;

	vp = fr_pair_find_by_num(request->packet->vps, PW_CALLING_STATION_ID,
				 0, TAG_ANY);
	if (!vp || avec_mac_normalize(vp->vp_strvalue, mac) < 0) mac[0] = '\0';
}

/*
 * Queue the device's last-seen time and MAC hint; never waits (a full
 * queue drops it: it is a hint).  The MAC also lets accounting without
 * AVEC's Class find the device.
 */
static void queue_touch(rlm_avec_t *inst, REQUEST *request, int64_t device_id)
{
	struct avec_touch t;

	memset(&t, 0, sizeof(t));
	t.device_id = device_id;
	t.seen_at = request->timestamp;
	request_mac(request, t.mac);
	if (avec_writer_touch(inst->writer, &t) < 0)
		RWDEBUG("last-seen time of device %lld dropped: the writer's "
			"queue is full", (long long)device_id);
}

/*
 * An Access-Accept that the policy turns down still holds what the EAP
 * module put in it: EAP-Success, the session keys, perhaps a User-Name.
 * FreeRADIUS's own `eap` in Post-Auth-Type REJECT leaves a reply that
 * already has an EAP-Message alone, so strip the reply here down to what a
 * reject may carry, and turn the EAP-Success into the EAP-Failure with the
 * same identifier.
 */
static void reply_strip_for_reject(REQUEST *request)
{
	vp_cursor_t cursor;
	VALUE_PAIR *vp;
	bool eap_seen = false;

	vp = fr_cursor_init(&cursor, &request->reply->vps);
	while (vp) {
		bool keep = false;

		if (vp->da->vendor == 0) {
			switch (vp->da->attr) {
			case PW_PROXY_STATE:
			case PW_MESSAGE_AUTHENTICATOR:
				keep = true;
				break;
			case PW_EAP_MESSAGE:
				/* A Success is one 4-byte attribute. */
				if (!eap_seen && vp->vp_length == 4 &&
				    vp->vp_octets[0] == AVEC_EAP_CODE_SUCCESS) {
					uint8_t fail[4];

					memcpy(fail, vp->vp_octets, 4);
					fail[0] = AVEC_EAP_CODE_FAILURE;
					fr_pair_value_memcpy(vp, fail, 4);
					keep = true;
				}
				eap_seen = true;
				break;
			default:
				break;
			}
		}
		if (keep) {
			vp = fr_cursor_next(&cursor);
		} else {
			talloc_free(fr_cursor_remove(&cursor));
			vp = fr_cursor_current(&cursor);
		}
	}
}

/*
 * The identity post-auth decides on, in order of trust: the inner identity
 * the tunnel put in session-state (TTLS, PEAP: the outer User-Name is
 * anonymous); the serial of the client certificate (EAP-TLS); the MAC of a
 * MAC-authentication request; the User-Name of a plain request.
 */
static VALUE_PAIR *find_identity(REQUEST *request, enum avec_key_kind *kind,
				 enum avec_source *src)
{
	VALUE_PAIR *vp;

	vp = fr_pair_find_by_num(request->state, PW_USER_NAME, 0, TAG_ANY);
	if (vp) {
		*kind = AVEC_KEY_USERNAME;
		*src = AVEC_SRC_INNER;
		return vp;
	}
	vp = fr_pair_find_by_num(request->packet->vps,
				 PW_TLS_CLIENT_CERT_SERIAL, 0, TAG_ANY);
	if (vp) {
		*kind = AVEC_KEY_SERIAL;
		*src = AVEC_SRC_CERT;
		return vp;
	}
	vp = fr_pair_find_by_num(request->packet->vps, PW_USER_NAME, 0,
				 TAG_ANY);
	if (vp && mac_auth_request(request, vp)) {
		*kind = AVEC_KEY_MAC;
		*src = AVEC_SRC_MAC;
		return vp;
	}
	if (vp) {
		*kind = AVEC_KEY_USERNAME;
		*src = AVEC_SRC_PLAIN;
		return vp;
	}
	*src = AVEC_SRC_NONE;
	return NULL;
}

/*
 * A tunnelled secret must come through the method it was issued for: a
 * PEAP device's NT hash would also let rlm_pap accept it over TTLS/PAP.
 * A PSK device is let in by MAC authentication only, and MAC
 * authentication lets in PSK devices only.
 * Returns true when the EAP method of the request fits the credential.
 */
static bool method_fits(REQUEST *request, enum avec_source src,
			enum avec_cred_type cred)
{
	VALUE_PAIR *vp;

	if ((src == AVEC_SRC_MAC) != (cred == AVEC_CRED_PSK)) return false;
	if (src != AVEC_SRC_INNER) return true;	/* serials are TLS-only */
	vp = fr_pair_find_by_num(request->packet->vps, PW_EAP_TYPE, 0,
				 TAG_ANY);
	if (!vp) return false;
	switch (cred) {
	case AVEC_CRED_TTLS:
		return vp->vp_integer == AVEC_EAP_TYPE_TTLS;
	case AVEC_CRED_PEAP:
		return vp->vp_integer == AVEC_EAP_TYPE_PEAP;
	case AVEC_CRED_TLS:
	case AVEC_CRED_PSK:
	case AVEC_CRED__COUNT:
		break;
	}
	return false;
}

/*
 * Decide on the device's real identity once authentication is over.
 *   Access-Accept: AVEC_ACCEPT adds the VLAN attributes (UPDATED); any
 *     other verdict strips the reply, says why in Reply-Message and returns
 *     REJECT, so FreeRADIUS sends an Access-Reject.
 *   Access-Reject (Post-Auth-Type REJECT): only explains, in Reply-Message
 *     unless one is there already; "wrong secret" when the device itself
 *     would have been let in.  UPDATED, or NOOP when nothing was added.
 */
static rlm_rcode_t CC_HINT(nonnull) mod_post_auth(void *instance,
						  REQUEST *request)
{
	rlm_avec_t *inst = instance;
	struct avec_lookup lk;
	enum avec_key_kind kind = AVEC_KEY_USERNAME;
	enum avec_source src;
	enum avec_reason reason;
	VALUE_PAIR *id;
	char const *principal;
	unsigned int code = request->reply->code;

	if (code != PW_CODE_ACCESS_ACCEPT && code != PW_CODE_ACCESS_REJECT)
		return RLM_MODULE_NOOP;
	/*
	 * Already explained: by this module when it turned an accept down
	 * (FreeRADIUS then runs Post-Auth-Type REJECT, and this module again).
	 */
	if (code == PW_CODE_ACCESS_REJECT &&
	    fr_pair_find_by_num(request->reply->vps, PW_REPLY_MESSAGE, 0,
				TAG_ANY))
		return RLM_MODULE_NOOP;

	memset(&lk, 0, sizeof(lk));
	id = find_identity(request, &kind, &src);
	if (id) {
		reason = avec_index_decide(inst->index, kind, id->vp_strvalue,
					   id->vp_length, request->timestamp,
					   &lk);
	} else {
		reason = AVEC_REJECT_MALFORMED_IDENTITY;
	}
	avec_secret_wipe(lk.secret_hash, sizeof(lk.secret_hash));
	if (reason != AVEC_ACCEPT || code != PW_CODE_ACCESS_ACCEPT)
		avec_secret_wipe(lk.psk, sizeof(lk.psk));
	if (reason == AVEC_ACCEPT && !method_fits(request, src, lk.cred_type))
		reason = AVEC_REJECT_WRONG_METHOD;
	principal = lk.principal[0] ? lk.principal : "-";

	if (code == PW_CODE_ACCESS_REJECT) {
		if (reason == AVEC_ACCEPT) reason = AVEC_REJECT_WRONG_SECRET;
		avec_auth_count(&inst->counts, request->timestamp, reason);
		RWDEBUG("reject: principal %s device %lld (%s): %s",
			principal, (long long)lk.device_id, source_name(src),
			avec_reason_code(reason));
		if (reply_set_str(request, PW_REPLY_MESSAGE,
				  avec_reason_text(reason)) < 0)
			return RLM_MODULE_FAIL;
		return RLM_MODULE_UPDATED;
	}

	/* once per request: an accept turned down comes back as a reject
	   that already has its Reply-Message, and is not counted again */
	avec_auth_count(&inst->counts, request->timestamp, reason);
	if (reason != AVEC_ACCEPT) {
		REDEBUG("reject: principal %s device %lld (%s): %s",
			principal, (long long)lk.device_id, source_name(src),
			avec_reason_code(reason));
		reply_strip_for_reject(request);
		if (reply_set_str(request, PW_REPLY_MESSAGE,
				  avec_reason_text(reason)) < 0)
			return RLM_MODULE_FAIL;
		return RLM_MODULE_REJECT;
	}

	RDEBUG("accept: principal %s device %lld (%s): vlan %u",
	       principal, (long long)lk.device_id, source_name(src),
	       (unsigned)lk.verdict.vlan);
	{
		char vlan[8];

		snprintf(vlan, sizeof(vlan), "%u", (unsigned)lk.verdict.vlan);
		if (reply_set_int(request, PW_TUNNEL_TYPE,
				  AVEC_VLAN_TUNNEL_TYPE) < 0 ||
		    reply_set_int(request, PW_TUNNEL_MEDIUM_TYPE,
				  AVEC_IEEE802_MEDIUM) < 0 ||
		    reply_set_str(request, PW_TUNNEL_PRIVATE_GROUP_ID,
				  vlan) < 0)
			goto fail;
	}
	if (lk.verdict.session_timeout > 0 &&
	    reply_set_int(request, PW_SESSION_TIMEOUT,
			  lk.verdict.session_timeout) < 0)
		goto fail;
	if (reply_set_class(request, lk.device_id) < 0)
		goto fail;
	if (lk.cred_type == AVEC_CRED_PSK &&
	    (reply_set_str(request, PW_TUNNEL_PASSWORD, lk.psk) < 0 ||
	     reply_set_str(request, PW_USER_NAME, lk.username) < 0))
		goto fail;
	avec_secret_wipe(lk.psk, sizeof(lk.psk));
	queue_touch(inst, request, lk.device_id);
	return RLM_MODULE_UPDATED;

fail:
	/* Out of memory: FAIL makes it a reject, which must not carry keys. */
	avec_secret_wipe(lk.psk, sizeof(lk.psk));
	REDEBUG("out of memory building the reply");
	reply_strip_for_reject(request);
	return RLM_MODULE_FAIL;
}

static VALUE_PAIR *acct_attr(REQUEST *request, unsigned int attr)
{
	return fr_pair_find_by_num(request->packet->vps, attr, 0, TAG_ANY);
}

static uint32_t acct_int(REQUEST *request, unsigned int attr)
{
	VALUE_PAIR *vp = acct_attr(request, attr);

	return vp ? vp->vp_integer : 0;
}

/* The device named by AVEC's Class token, or 0. */
static int64_t acct_device(REQUEST *request)
{
	vp_cursor_t cursor;
	VALUE_PAIR *vp;
	size_t plen = strlen(AVEC_CLASS_PREFIX);

	for (vp = fr_cursor_init(&cursor, &request->packet->vps); vp;
	     vp = fr_cursor_next(&cursor)) {
		char digits[24];
		char *end;
		long long id;
		size_t n;

		if (vp->da->vendor != 0 || vp->da->attr != PW_CLASS) continue;
		if (vp->vp_length <= plen ||
		    memcmp(vp->vp_octets, AVEC_CLASS_PREFIX, plen) != 0)
			continue;
		n = vp->vp_length - plen;
		if (n >= sizeof(digits)) continue;
		memcpy(digits, vp->vp_octets + plen, n);
		digits[n] = '\0';
		if (digits[0] < '1' || digits[0] > '9') continue;
		errno = 0;
		id = strtoll(digits, &end, 10);
		if (errno == 0 && *end == '\0' && id > 0) return id;
	}
	return 0;
}

/* The NAS: NAS-IP-Address, NAS-IPv6-Address, else the packet's source. */
static void acct_nas(REQUEST *request, char out[AVEC_ADDR_MAX + 1])
{
	fr_ipaddr_t const *src = &request->packet->src_ipaddr;
	VALUE_PAIR *vp;

	out[0] = '\0';
	if ((vp = acct_attr(request, PW_NAS_IP_ADDRESS)) != NULL)
		inet_ntop(AF_INET, &vp->vp_ipaddr, out, AVEC_ADDR_MAX + 1);
	else if ((vp = acct_attr(request, PW_NAS_IPV6_ADDRESS)) != NULL)
		inet_ntop(AF_INET6, &vp->vp_ipv6addr, out, AVEC_ADDR_MAX + 1);
	else if (src->af == AF_INET)
		inet_ntop(AF_INET, &src->ipaddr.ip4addr, out, AVEC_ADDR_MAX + 1);
	else if (src->af == AF_INET6)
		inet_ntop(AF_INET6, &src->ipaddr.ip6addr, out, AVEC_ADDR_MAX + 1);
}

/*
 * Turn an Accounting-Request into a connection-log record (connlog.h).
 * Returns 1 when there is one, 0 when the request holds nothing to
 * record (acknowledged all the same, or the NAS would resend it forever).
 */
static int acct_record(REQUEST *request, struct avec_acct *a)
{
	VALUE_PAIR *vp;
	uint32_t status = acct_int(request, PW_ACCT_STATUS_TYPE);
	int64_t now = request->timestamp;

	memset(a, 0, sizeof(*a));
	switch (status) {
	case PW_STATUS_START:		a->kind = AVEC_ACCT_START; break;
	case PW_STATUS_ALIVE:		a->kind = AVEC_ACCT_INTERIM; break;
	case PW_STATUS_STOP:		a->kind = AVEC_ACCT_STOP; break;
	case PW_STATUS_ACCOUNTING_ON:	a->kind = AVEC_ACCT_NAS_ON; break;
	case PW_STATUS_ACCOUNTING_OFF:	a->kind = AVEC_ACCT_NAS_OFF; break;
	default:
		RDEBUG2("Acct-Status-Type %u: nothing to record", status);
		return 0;
	}
	acct_nas(request, a->nas_address);
	if (a->nas_address[0] == '\0') {
		RWDEBUG("no NAS address: not recorded");
		return 0;
	}
	/* When it happened: Event-Timestamp, else arrival less the delay. */
	if ((vp = acct_attr(request, PW_EVENT_TIMESTAMP)) != NULL)
		a->event_time = vp->vp_date;
	else
		a->event_time = now - acct_int(request, PW_ACCT_DELAY_TIME);
	if ((vp = acct_attr(request, PW_ACCT_TERMINATE_CAUSE)) != NULL)
		vp_prints_value(a->terminate_cause, sizeof(a->terminate_cause),
				vp, 0);
	if (a->kind == AVEC_ACCT_NAS_ON || a->kind == AVEC_ACCT_NAS_OFF)
		return 1;

	vp = acct_attr(request, PW_ACCT_SESSION_ID);
	if (!vp || vp->vp_length == 0 || vp->vp_length > AVEC_ACCT_ID_MAX) {
		RWDEBUG("no usable Acct-Session-Id: not recorded");
		return 0;
	}
	memcpy(a->session_id, vp->vp_strvalue, vp->vp_length);
	if ((vp = acct_attr(request, PW_NAS_PORT_ID)) != NULL)
		snprintf(a->nas_port, sizeof(a->nas_port), "%.*s",
			 (int)vp->vp_length, vp->vp_strvalue);
	else if ((vp = acct_attr(request, PW_NAS_PORT)) != NULL)
		snprintf(a->nas_port, sizeof(a->nas_port), "%u",
			 vp->vp_integer);
	a->device_id = acct_device(request);
	request_mac(request, a->mac);
	if ((vp = acct_attr(request, PW_FRAMED_IP_ADDRESS)) != NULL)
		inet_ntop(AF_INET, &vp->vp_ipaddr, a->framed_ip,
			  sizeof(a->framed_ip));
	a->input_bytes = ((uint64_t)acct_int(request, PW_ACCT_INPUT_GIGAWORDS) << 32) |
	    acct_int(request, PW_ACCT_INPUT_OCTETS);
	a->output_bytes = ((uint64_t)acct_int(request, PW_ACCT_OUTPUT_GIGAWORDS) << 32) |
	    acct_int(request, PW_ACCT_OUTPUT_OCTETS);
	a->started_at = a->event_time - acct_int(request, PW_ACCT_SESSION_TIME);
	return 1;
}

/*
 * Record the request in the connection log and acknowledge only once it
 * is committed: OK lets FreeRADIUS send the Accounting-Response; FAIL
 * (queue full, commit failed or not done within accounting_timeout)
 * sends nothing, and the NAS retries.
 */
static rlm_rcode_t CC_HINT(nonnull) mod_accounting(void *instance,
						   REQUEST *request)
{
	rlm_avec_t *inst = instance;
	struct avec_acct a;
	int rc;

	if (!acct_record(request, &a)) return RLM_MODULE_OK;
	/*
	 * Past accounting_waiters, a request still waits while the store
	 * keeps up (a burst, a slow commit): refusing it would only make the
	 * NAS send it again.  Only a store that stalls or fails (no record
	 * taken within half of accounting_timeout) is refused at once, so
	 * that it never holds every thread.
	 */
	if (__atomic_add_fetch(&inst->acct_busy, 1, __ATOMIC_RELAXED) >
	    inst->accounting_waiters &&
	    !avec_writer_healthy(inst->writer, inst->accounting_timeout / 2)) {
		__atomic_sub_fetch(&inst->acct_busy, 1, __ATOMIC_RELAXED);
		REDEBUG("connection log: %u accounting requests already wait "
			"for a store that does not keep up: no answer, the NAS "
			"will resend", inst->accounting_waiters);
		return RLM_MODULE_FAIL;
	}
	rc = avec_writer_acct(inst->writer, &a, inst->accounting_timeout);
	__atomic_sub_fetch(&inst->acct_busy, 1, __ATOMIC_RELAXED);
	switch (rc) {
	case AVEC_WRITER_COMMITTED:
		RDEBUG2("connection log: NAS %s session \"%s\" device %lld "
			"recorded", a.nas_address, a.session_id,
			(long long)a.device_id);
		return RLM_MODULE_OK;
	case AVEC_WRITER_FULL:
		REDEBUG("connection log: the writer's queue is full: no answer, "
			"the NAS will resend");
		break;
	case AVEC_WRITER_TIMEOUT:
		REDEBUG("connection log: not committed within %u ms: no answer, "
			"the NAS will resend", inst->accounting_timeout);
		break;
	default:
		REDEBUG("connection log: the store refused the record: no "
			"answer, the NAS will resend");
		break;
	}
	return RLM_MODULE_FAIL;
}

/* The one exported symbol: FreeRADIUS finds the module by this name. */
extern module_t rlm_avec;
module_t rlm_avec = {
	.magic		= RLM_MODULE_INIT,
	.name		= "avec",
	.type		= RLM_TYPE_THREAD_SAFE,
	.inst_size	= sizeof(rlm_avec_t),
	.config		= module_config,
	.instantiate	= mod_instantiate,
	.detach		= mod_detach,
	.methods = {
		[MOD_AUTHORIZE]		= mod_authorize,
		[MOD_POST_AUTH]		= mod_post_auth,
		[MOD_ACCOUNTING]	= mod_accounting,
	},
};
