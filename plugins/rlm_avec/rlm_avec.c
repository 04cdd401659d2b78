/*
 * rlm_avec.c - the FreeRADIUS glue between a RADIUS request and AVEC's
 * decision.
 *
 * This file owns three things and nothing else: reading the module's two
 * settings (and refusing to start, naming the setting, when one is wrong),
 * holding the in-memory index of the store for the life of the module
 * instance, and translating between RADIUS attributes and libavec's
 * lookup and verdict.
 *
 *   authorize  (inner tunnel, and plain PAP requests in the outer server):
 *              a device username is looked up and its stored hash handed to
 *              FreeRADIUS as control:Password-With-Header, so that rlm_pap
 *              and rlm_mschap do the cryptography.  No policy runs here.
 *   post-auth  (outer server only): the device's real identity (the inner
 *              identity carried out in session-state, the EAP-TLS
 *              certificate serial, or the User-Name of a plain request) goes
 *              to avec_index_decide(); an accept becomes VLAN attributes, a
 *              "no" becomes an Access-Reject with the reason in
 *              Reply-Message.
 *
 * It must never: open SQLite or write anything on the request path (the
 * index answers from memory and refreshes itself on its own thread); hold
 * a policy rule of its own (the rules live in libavec, shared with avecd;
 * the glue's one check is a fact only the RADIUS request shows: that a
 * tunnelled secret came through the EAP method it was issued for);
 * log a secret, a stored hash, or an identity it has not validated (its one
 * log line per decision names the store's principal, the device id and a
 * reason code); or let an Access-Reject go out still carrying the
 * EAP-Success and keys of the Access-Accept it replaced.
 *
 * Memory: FreeRADIUS allocates and frees the instance structure; the index
 * is the only thing this file frees itself (mod_detach).  Every pair added
 * to a request is talloc-parented to the list it joins (the reply packet,
 * or the request for control pairs), so the request frees it.
 *
 * Threads: the module is RLM_TYPE_THREAD_SAFE.  Request code only reads the
 * instance; the index is built for concurrent readers (avec/index.h).
 */
#include <freeradius/radiusd.h>
#include <freeradius/modules.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "avec/err.h"
#include "avec/ident.h"
#include "avec/index.h"
#include "avec/model.h"
#include "avec/policy.h"
#include "avec/secret.h"

#define AVEC_REFRESH_MIN	10	/* ms */
#define AVEC_REFRESH_MAX	10000	/* ms */

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
	struct avec_index	*index;		/* NULL until instantiated */
} rlm_avec_t;

static const CONF_PARSER module_config[] = {
	{ "database", FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_REQUIRED |
				     PW_TYPE_NOT_EMPTY, rlm_avec_t, database),
	  NULL },
	{ "refresh_interval", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_avec_t,
					     refresh_interval), "200" },
	CONF_PARSER_TERMINATOR
};

/* Where the identity that post-auth decides on came from. */
enum avec_source {
	AVEC_SRC_NONE = 0,
	AVEC_SRC_INNER,		/* session-state:User-Name from the tunnel */
	AVEC_SRC_CERT,		/* TLS-Client-Cert-Serial (EAP-TLS) */
	AVEC_SRC_PLAIN,		/* User-Name of a request without a tunnel */
};

static char const *source_name(enum avec_source s)
{
	switch (s) {
	case AVEC_SRC_INNER:	return "inner identity";
	case AVEC_SRC_CERT:	return "certificate";
	case AVEC_SRC_PLAIN:	return "user name";
	case AVEC_SRC_NONE:	break;
	}
	return "no identity";
}

/*
 * Check the settings once, at start-up, and open the index.  A bad value
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
	return 0;
}

/* Stops the index's refresher and frees it; called once, at exit. */
static int mod_detach(void *instance)
{
	rlm_avec_t *inst = instance;

	if (inst->index) avec_index_close(inst->index);
	inst->index = NULL;
	return 0;
}

/*
 * Hand the device's stored hash to the password modules.  NOOP when the
 * User-Name is not a device username or names no device with a secret:
 * the reason is decided, and logged, in post-auth.
 */
static rlm_rcode_t CC_HINT(nonnull) mod_authorize(void *instance,
						  REQUEST *request)
{
	rlm_avec_t *inst = instance;
	struct avec_lookup lk;
	VALUE_PAIR *name, *vp;
	rlm_rcode_t rcode = RLM_MODULE_NOOP;

	name = fr_pair_find_by_num(request->packet->vps, PW_USER_NAME, 0,
				   TAG_ANY);
	if (!name || !avec_username_valid(name->vp_strvalue, name->vp_length))
		return RLM_MODULE_NOOP;

	memset(&lk, 0, sizeof(lk));
	avec_index_decide(inst->index, AVEC_KEY_USERNAME, name->vp_strvalue,
			  name->vp_length, request->timestamp, &lk);
	if (lk.device_id == 0 || lk.secret_hash[0] == '\0') {
		RDEBUG2("no device with a secret under this user name");
		goto out;
	}

	/* Owned by the request; replaces any earlier value. */
	vp = fr_pair_afrom_num(request, PW_PASSWORD_WITH_HEADER, 0);
	if (!vp) {
		REDEBUG("out of memory");
		rcode = RLM_MODULE_FAIL;
		goto out;
	}
	fr_pair_value_strcpy(vp, lk.secret_hash);
	fr_pair_delete_by_num(&request->config, PW_PASSWORD_WITH_HEADER, 0,
			      TAG_ANY);
	fr_pair_add(&request->config, vp);
	RDEBUG2("principal %s device %lld (%s): stored hash handed to "
		"the password modules", lk.principal, (long long)lk.device_id,
		avec_cred_type_name(lk.cred_type));
	rcode = RLM_MODULE_UPDATED;
out:
	avec_secret_wipe(lk.secret_hash, sizeof(lk.secret_hash));
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
 * anonymous); the serial of the client certificate (EAP-TLS); the
 * User-Name of a plain request.
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
 * Returns true when the EAP method of the request fits the credential.
 */
static bool method_fits(REQUEST *request, enum avec_source src,
			enum avec_cred_type cred)
{
	VALUE_PAIR *vp;

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
	if (reason == AVEC_ACCEPT && !method_fits(request, src, lk.cred_type))
		reason = AVEC_REJECT_WRONG_METHOD;
	principal = lk.principal[0] ? lk.principal : "-";

	if (code == PW_CODE_ACCESS_REJECT) {
		if (reason == AVEC_ACCEPT) reason = AVEC_REJECT_WRONG_SECRET;
		RWDEBUG("reject: principal %s device %lld (%s): %s",
			principal, (long long)lk.device_id, source_name(src),
			avec_reason_code(reason));
		if (reply_set_str(request, PW_REPLY_MESSAGE,
				  avec_reason_text(reason)) < 0)
			return RLM_MODULE_FAIL;
		return RLM_MODULE_UPDATED;
	}

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
	return RLM_MODULE_UPDATED;

fail:
	/* Out of memory: FAIL makes it a reject, which must not carry keys. */
	REDEBUG("out of memory building the reply");
	reply_strip_for_reject(request);
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
	},
};
