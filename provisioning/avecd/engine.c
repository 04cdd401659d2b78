/*
 * engine.c - avecd's privileged half: the store and the appliance CA,
 * serving the portal's requests one at a time.
 *
 * It owns what a portal request may change: an account created or
 * refreshed at login, a device registered with a fresh credential
 * (provisioning/enrol, shared with avecctl: an 802.1X credential, or a
 * PSK device's own key bound to its MAC), a device removed by its
 * owner, with its live sessions disconnected, or installed again (the old
 * credential revoked, a fresh one made on the same registration path).  Every request names the
 * principal it acts for, and the engine checks ownership itself: the
 * portal cannot list, add or remove anything of another account by
 * sending a different device id.  Each action is written to the audit
 * trail with the portal as its origin.
 *
 * It must never send the portal anything but the reply to its request,
 * and never log a secret: replies to ADD carry one, the log gets the
 * device id and username only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avec/ent.h"
#include "avec/ident.h"
#include "avec/log.h"
#include "avec/report.h"
#include "avec/secret.h"
#include "avec/store.h"
#include "avec/token.h"
#include "common/buf.h"
#include "avecd.h"
#include "ca/ca.h"
#include "das/revoke.h"
#include "enrol/enrol.h"

struct engine {
	const struct avecd_conf *c;
	struct avec_store *st;
	struct avec_ca *ca;		/* opened once, at start */
};

static void
status_set(struct avecd_status *s, int code, const char *msg)
{
	s->code = code;
	snprintf(s->message, sizeof(s->message), "%s", msg ? msg : "");
}

static int
status_of(int rc)
{
	switch (rc) {
	case 0:
		return AVECD_OK;
	case AVEC_STORE_NOTFOUND:
		return AVECD_NOTFOUND;
	case AVEC_STORE_QUOTA:
		return AVECD_QUOTA;
	case AVEC_STORE_REFUSED:
		return AVECD_REFUSED;
	default:
		return AVECD_FAILED;
	}
}

static const char *
outcome_of(int code)
{
	static const char *const names[] = {
		"ok", "not found", "refused", "refused", "failed", "refused",
	};

	return code >= 0 && code <= AVECD_MAC_TAKEN ? names[code] : "failed";
}

static void
audit(struct engine *e, const char *actor, const char *addr,
      const char *action, const char *target, const char *detail, int code)
{
	struct avec_err err = { { 0 } };
	struct avec_audit_rec a;

	memset(&a, 0, sizeof(a));
	a.at = (int64_t)time(NULL);
	snprintf(a.actor, sizeof(a.actor), "%s", actor);
	snprintf(a.origin, sizeof(a.origin), "avecd portal %.47s", addr);
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.target, sizeof(a.target), "%s", target);
	snprintf(a.detail, sizeof(a.detail), "%s", detail);
	snprintf(a.outcome, sizeof(a.outcome), "%s", outcome_of(code));
	if (avec_store_audit_add(e->st, &a, &err) != 0)
		avec_warn("audit trail: %s", err.msg);
}

/* ---- login: the account created or refreshed from the ENT's answer ---- */

static void
do_login(struct engine *e, struct avecd_login *m, struct avecd_login_reply *r)
{
	struct avec_cas_identity *id = &m->id;
	struct avec_err err = { { 0 } };
	struct avec_account_rec a;
	struct avec_policy pol;
	const char *groups[AVEC_CAS_GROUPS_MAX];
	const char *schools[1] = { e->c->uai };
	unsigned i;
	int rc;

	AVECD_TERMINATE(m->addr);
	AVECD_TERMINATE(id->principal);
	AVECD_TERMINATE(id->join_key);
	AVECD_TERMINATE(id->display_name);
	if (id->ngroups > AVEC_CAS_GROUPS_MAX)
		id->ngroups = AVEC_CAS_GROUPS_MAX;
	for (i = 0; i < id->ngroups; i++) {
		AVECD_TERMINATE(id->groups[i]);
		groups[i] = id->groups[i];
	}
	if (!avec_principal_valid(id->principal) ||
	    id->role < 0 || id->role >= AVEC_ROLE__COUNT) {
		status_set(&r->st, AVECD_FAILED, "malformed login request");
		return;
	}
	r->role = id->role;

	/* a role without a policy is not admitted (parents, by default) */
	if (avec_store_policy_get(e->st, id->role, &pol, &err) != 0) {
		status_set(&r->st, AVECD_FAILED, err.msg);
		return;
	}
	if (!pol.defined) {
		status_set(&r->st, AVECD_REFUSED, "role not admitted");
		audit(e, id->principal, m->addr, "portal login", id->principal,
		      avec_role_name(id->role), AVECD_REFUSED);
		return;
	}

	rc = avec_store_account_get(e->st, id->principal, &a, &err);
	if (rc != 0 && rc != AVEC_STORE_NOTFOUND) {
		status_set(&r->st, AVECD_FAILED, err.msg);
		return;
	}
	if (rc == AVEC_STORE_NOTFOUND) {
		memset(&a, 0, sizeof(a));
		snprintf(a.a.principal, sizeof(a.a.principal), "%s",
			 id->principal);
		a.a.status = AVEC_ACCOUNT_ACTIVE;
	}
	r->account_status = a.a.status;
	if (a.a.status != AVEC_ACCOUNT_ACTIVE) {
		status_set(&r->st, AVECD_REFUSED,
			   avec_account_status_name(a.a.status));
		audit(e, id->principal, m->addr, "portal login", id->principal,
		      avec_account_status_name(a.a.status), AVECD_REFUSED);
		return;
	}
	a.a.role = id->role;
	snprintf(a.display_name, sizeof(a.display_name), "%s",
		 id->display_name);
	if (avec_store_account_put(e->st, &a, (int64_t)time(NULL), NULL,
				   &err) != 0) {
		status_set(&r->st, AVECD_FAILED, err.msg);
		return;
	}
	/* link to the ENT feed's person when the key is released and free */
	if (id->join_key[0] != '\0') {
		char owner[AVEC_PRINCIPAL_MAX + 1];

		rc = avec_ent_join_key_owner(e->st, id->join_key, owner, &err);
		if (rc == AVEC_STORE_NOTFOUND)
			rc = avec_ent_link(e->st, id->principal, id->join_key,
					   &err);
		else if (rc == 0 && strcmp(owner, id->principal) != 0)
			avec_warn("login of %s: join key already linked to "
				  "%s; left as it is", id->principal, owner);
		if (rc < 0)
			avec_warn("login of %s: %s", id->principal, err.msg);
		/* the feed may have found this person gone */
		if (avec_store_account_get(e->st, id->principal, &a,
					   &err) == 0 &&
		    a.a.status != AVEC_ACCOUNT_ACTIVE) {
			r->account_status = a.a.status;
			status_set(&r->st, AVECD_REFUSED,
				   avec_account_status_name(a.a.status));
			return;
		}
	}
	/* after the link: the login's school and classes, unless the feed
	 * knows this person (then its own stand, docs/avecd.md) */
	if (avec_ent_login_memberships(e->st, id->principal, schools, 1,
				       groups, id->ngroups, NULL, &err) != 0) {
		status_set(&r->st, AVECD_FAILED, err.msg);
		return;
	}
	status_set(&r->st, AVECD_OK, NULL);
	audit(e, id->principal, m->addr, "portal login", id->principal,
	      avec_role_name(id->role), AVECD_OK);
}

/* ---- the owner's devices ---- */

struct list_ctx {
	struct avecd_devices *r;
	int64_t now;
};

static int
list_one(const struct avec_device_rec *d, void *arg)
{
	struct list_ctx *l = arg;
	struct avecd_device_row *row;

	if (d->d.status != AVEC_DEVICE_ACTIVE ||
	    (d->d.expires_at != 0 && d->d.expires_at <= l->now))
		return 0;
	if (l->r->ndev >= AVECD_DEVICES_MAX)
		return 0;
	row = &l->r->dev[l->r->ndev++];
	row->id = d->d.id;
	snprintf(row->name, sizeof(row->name), "%s", d->name);
	row->type = d->d.cred_type;
	row->status = d->d.status;
	row->created_at = d->created_at;
	row->last_seen = d->last_seen;
	row->expires_at = d->d.expires_at;
	if (d->d.cred_type == AVEC_CRED_PSK)
		snprintf(row->mac, sizeof(row->mac), "%s", d->mac);
	return 0;
}

static void
do_devices(struct engine *e, struct avecd_who *m, struct avecd_devices *r)
{
	struct avec_err err = { { 0 } };
	struct avec_policy pol;
	struct list_ctx l = { r, (int64_t)time(NULL) };
	int rc;

	AVECD_TERMINATE(m->principal);
	rc = avec_store_policy_effective(e->st, m->principal, &pol, &err);
	if (rc != 0) {
		status_set(&r->st, status_of(rc), err.msg);
		return;
	}
	r->policy_defined = pol.defined;
	r->max_devices = pol.max_devices;
	r->allowed_creds = pol.allowed_creds;
	if (avec_store_device_list(e->st, m->principal, list_one, &l,
				   &err) != 0) {
		status_set(&r->st, AVECD_FAILED, err.msg);
		return;
	}
	status_set(&r->st, AVECD_OK, NULL);
}

/* ---- a new device ---- */

static int
tls_material(struct avec_ca *ca, struct avec_enrol *en,
	     struct avecd_added *r, struct avec_err *err)
{
	unsigned char *der = NULL;
	size_t len = 0;
	int rc = -1;

	if (avec_secret_generate(r->p12_password,
				 sizeof(r->p12_password)) < 0)
		return avec_err_set(err, "the random source failed");
	if (avec_ca_cred_p12(en->cred, ca, r->p12_password, en->username,
			     &der, &len, err) < 0)
		return -1;
	if (len > sizeof(r->p12)) {
		avec_err_set(err, "PKCS#12 of %zu bytes is too large", len);
	} else {
		memcpy(r->p12, der, len);
		r->p12_len = (uint32_t)len;
		rc = 0;
	}
	avec_secret_wipe(der, len);
	free(der);
	return rc;
}

/* Is @mac (normalised) the MAC of an active PSK device? */
struct mac_ctx {
	const char *mac;
	int64_t now;
	bool held;
};

static int
mac_one(const struct avec_device_rec *d, void *arg)
{
	struct mac_ctx *m = arg;

	if (d->d.status == AVEC_DEVICE_ACTIVE &&
	    d->d.cred_type == AVEC_CRED_PSK &&
	    (d->d.expires_at == 0 || d->d.expires_at > m->now) &&
	    strcmp(d->mac, m->mac) == 0)
		m->held = true;
	return 0;
}

static bool
mac_held(struct engine *e, const char *mac)
{
	struct avec_err err = { { 0 } };
	struct mac_ctx m = { mac, (int64_t)time(NULL), false };

	if (avec_store_device_list(e->st, NULL, mac_one, &m, &err) != 0)
		avec_warn("devices not read: %s", err.msg);
	return m.held;
}

/*
 * The one registration path of the portal: device @name of @principal
 * with a fresh credential of @type (a PSK device: bound to @mac, NULL
 * otherwise), the reply's secret (or key) filled in @r (the caller wipes
 * it once sent).  @replaces: the device it takes the place of ("install
 * again"), 0 for a new one; it goes to the audit trail.  A PSK device
 * refused because another active device holds its MAC is told apart
 * (AVECD_MAC_TAKEN): the owner can do something about it.
 */
static void
register_device(struct engine *e, const char *principal, const char *addr,
		const char *name, int32_t type, const char *mac,
		int64_t replaces, struct avecd_added *r)
{
	struct avec_err err = { { 0 } };
	struct avec_enrol en;
	struct avec_policy pol;
	char detail[160], norm[AVEC_MAC_STRLEN + 1] = "";
	bool checked = false;
	int rc;

	memset(&en, 0, sizeof(en));
	en.principal = principal;
	en.name = name;
	en.type = (enum avec_cred_type)type;
	r->type = type;
	if (type < 0 || type >= AVEC_CRED__COUNT ||
	    !avec_device_name_valid(name) ||
	    (type == AVEC_CRED_PSK) != (mac != NULL) ||
	    (mac != NULL && (avec_mac_normalize(mac, norm) < 0 ||
			     !avec_mac_is_station(norm)))) {
		status_set(&r->st, AVECD_FAILED, "malformed add request");
		return;
	}
	en.mac = mac != NULL ? norm : NULL;
	rc = avec_enrol_check(e->st, principal, en.type, &pol, &err);
	if (rc == 0) {
		checked = true;
		rc = avec_enrol_register(e->st, e->ca, &pol, &en,
					 (int64_t)time(NULL), &err);
	}
	if (rc == 0 && en.type == AVEC_CRED_TLS &&
	    tls_material(e->ca, &en, r, &err) < 0) {
		struct avec_err rerr = { { 0 } };

		avec_store_device_revoke(e->st, en.id, "credential could not "
					 "be packaged", (int64_t)time(NULL),
					 &rerr);
		rc = -1;
	}
	if (rc != 0) {
		int code = status_of(rc);

		if (code == AVECD_REFUSED && checked && en.mac != NULL &&
		    mac_held(e, norm))
			code = AVECD_MAC_TAKEN;
		status_set(&r->st, code, err.msg);
		avec_secret_wipe(r->p12_password, sizeof(r->p12_password));
		avec_secret_wipe(r->p12, sizeof(r->p12));
		r->p12_len = 0;
	} else {
		r->id = en.id;
		snprintf(r->username, sizeof(r->username), "%s", en.username);
		snprintf(r->secret, sizeof(r->secret), "%s", en.secret);
		r->expires_at = en.expires_at;
		status_set(&r->st, AVECD_OK, NULL);
		avec_info("device %" PRId64 " (%s, %s) added by %s through "
			  "the portal", en.id, en.username,
			  avec_cred_type_name(en.type), principal);
	}
	snprintf(detail, sizeof(detail), "%s device", avec_cred_type_name(en.type));
	if (en.mac != NULL)
		snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail),
			 " %s", norm);
	if (rc == 0)
		snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail),
			 " %" PRId64, en.id);
	if (replaces != 0)
		snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail),
			 " replacing device %" PRId64, replaces);
	audit(e, principal, addr, "portal device add", principal, detail,
	      status_of(rc));
	avec_enrol_clear(&en);
}

static void
do_add(struct engine *e, struct avecd_add *m, struct avecd_added *r)
{
	AVECD_TERMINATE(m->addr);
	AVECD_TERMINATE(m->principal);
	AVECD_TERMINATE(m->name);
	AVECD_TERMINATE(m->mac);
	register_device(e, m->principal, m->addr, m->name, m->type,
			m->type == AVEC_CRED_PSK ? m->mac : NULL, 0, r);
}

/* ---- a device removed by its owner ---- */

static void
disconnected(int64_t device_id, const char *nas,
	     const struct avec_das_outcome *o, bool recorded, const char *err,
	     void *ctx)
{
	(void)ctx;
	avec_info("device %" PRId64 ": disconnect on %s: %s%s%s", device_id,
		  nas, avec_das_result_name(o->result),
		  o->detail[0] ? ": " : "", o->detail);
	if (!recorded)
		avec_warn("device %" PRId64 ": outcome not recorded: %s",
			  device_id, err);
}

/*
 * Device @id into @d if it is an active device of @principal: 0, or
 * AVEC_STORE_NOTFOUND (another account's device is "not found", like a
 * missing one), or -1 with @err filled.
 */
static int
own_active_device(struct engine *e, int64_t id, const char *principal,
		  struct avec_device_rec *d, struct avec_err *err)
{
	int rc = avec_store_device_get(e->st, id, d, err);

	if (rc == 0 && (strcmp(d->principal, principal) != 0 ||
			d->d.status != AVEC_DEVICE_ACTIVE))
		rc = AVEC_STORE_NOTFOUND;
	return rc;
}

static void
do_remove(struct engine *e, struct avecd_remove *m, struct avecd_status *r)
{
	struct avec_err err = { { 0 } };
	struct avec_device_rec d;
	char target[32];
	int rc;

	AVECD_TERMINATE(m->addr);
	AVECD_TERMINATE(m->principal);
	snprintf(target, sizeof(target), "device %" PRId64, m->id);
	rc = own_active_device(e, m->id, m->principal, &d, &err);
	if (rc == 0)
		rc = avec_store_device_revoke(e->st, m->id, "removed by its "
					      "owner", (int64_t)time(NULL),
					      &err);
	if (rc == AVEC_STORE_NOTFOUND)
		snprintf(err.msg, sizeof(err.msg), "no such device");
	status_set(r, status_of(rc), rc ? err.msg : NULL);
	audit(e, m->principal, m->addr, "portal device remove", target, "",
	      status_of(rc));
	if (rc == 0) {
		avec_info("device %" PRId64 " removed by its owner %s", m->id,
			  m->principal);
		if (avec_revoke_disconnect_device(e->st, m->id, disconnected,
						  NULL, NULL, &err) != 0)
			avec_warn("device %" PRId64 ": open sessions not read: "
				  "%s", m->id, err.msg);
	}
}

/* ---- "install again": the old credential revoked, a new one made ---- */

/*
 * The owner's device @m->id is revoked and registered anew under its name
 * through register_device(), the path of every portal registration.  The
 * refusals that can be told first (not the owner's, not active, a PSK
 * device, a type the policy forbids) are told before anything is revoked;
 * the revocation comes before the registration so that a full quota
 * (the old device counts) does not refuse it.  Should the registration
 * then fail (store, CA), the old device stays revoked and the reply says
 * so: the owner adds the device again.
 */
static void
do_reinstall(struct engine *e, struct avecd_reinstall *m,
	     struct avecd_added *r)
{
	struct avec_err err = { { 0 } };
	struct avec_device_rec d;
	struct avec_policy pol;
	char target[32];
	int rc;

	AVECD_TERMINATE(m->addr);
	AVECD_TERMINATE(m->principal);
	snprintf(target, sizeof(target), "device %" PRId64, m->id);
	r->type = m->type;
	rc = own_active_device(e, m->id, m->principal, &d, &err);
	if (rc == AVEC_STORE_NOTFOUND)
		snprintf(err.msg, sizeof(err.msg), "no such device");
	if (rc == 0 && (d.d.cred_type == AVEC_CRED_PSK || m->type < 0 ||
			m->type >= AVEC_CRED_PSK)) {
		rc = AVEC_STORE_REFUSED;
		snprintf(err.msg, sizeof(err.msg), "the portal installs "
			 "802.1X devices only");
	}
	if (rc == 0)
		rc = avec_enrol_check(e->st, m->principal,
				      (enum avec_cred_type)m->type, &pol,
				      &err);
	if (rc == 0)
		rc = avec_store_device_revoke(e->st, m->id, "installed again "
					      "by its owner",
					      (int64_t)time(NULL), &err);
	audit(e, m->principal, m->addr, "portal device reinstall", target, "",
	      status_of(rc));
	if (rc != 0) {
		status_set(&r->st, status_of(rc), err.msg);
		return;
	}
	avec_info("device %" PRId64 " revoked by its owner %s, to be "
		  "installed again", m->id, m->principal);
	if (avec_revoke_disconnect_device(e->st, m->id, disconnected, NULL,
					  NULL, &err) != 0)
		avec_warn("device %" PRId64 ": open sessions not read: %s",
			  m->id, err.msg);
	register_device(e, m->principal, m->addr, d.name, m->type, NULL, m->id,
			r);
}

/* ---- an ACME HTTP-01 challenge, asked on the plain-HTTP door ---- */

/*
 * The file of the token in portal.acme_dir, read here rather than in the
 * portal, which opens no file once it has dropped its privileges: the
 * ACME client writes it world-readable while its CA validates, and the
 * checks (token shape, no link, a small regular file) are acme.c's.
 */
static void
do_acme(struct engine *e, struct avecd_acme *m, struct avecd_acme_reply *r)
{
	size_t len = 0;

	AVECD_TERMINATE(m->token);
	if (e->c->acme_dir[0] == '\0' ||
	    avecd_acme_read(e->c->acme_dir, m->token, r->body,
			    sizeof(r->body), &len) < 0) {
		status_set(&r->st, AVECD_NOTFOUND, "no such challenge");
		return;
	}
	r->len = (uint32_t)len;
	status_set(&r->st, AVECD_OK, NULL);
	avec_info("ACME challenge %s answered", m->token);
}

/* ---- an admin API call forwarded by the portal (HTTPS) ---- */

static void
do_admin(struct engine *e, struct avecd_admin *m, struct avec_buf *out)
{
	struct avec_err err = { { 0 } };
	struct avec_token_rec t;
	char *args[AVECD_ADMIN_ARGS];
	char actor[AVEC_TOKEN_NAME_MAX + 16];
	unsigned i;
	int rc;

	AVECD_TERMINATE(m->token);
	AVECD_TERMINATE(m->origin);
	rc = avec_token_check(e->st, m->token, (int64_t)time(NULL), &t, &err);
	avec_secret_wipe(m->token, sizeof(m->token));
	if (rc != 0) {
		if (rc < 0)
			avec_warn("admin API: %s", err.msg);
		avec_warn("admin API: unknown or revoked token from %s",
			  m->origin);
		avec_buf_puts(out, "401\n");
		return;
	}
	if (m->nargs == 0 || m->nargs > AVECD_ADMIN_ARGS) {
		avec_buf_puts(out, "400\n");
		return;
	}
	for (i = 0; i < m->nargs; i++) {
		AVECD_TERMINATE(m->args[i]);
		args[i] = m->args[i];
	}
	snprintf(actor, sizeof(actor), "token %s", t.name);
	avec_buf_puts(out, "200\n");
	if (avecd_admin_exec(e->c, args, m->nargs,
			     avec_token_scope_name(t.scope), actor, m->origin,
			     out) < 0) {
		avec_buf_reset(out);
		avec_buf_puts(out, "503\n");
	}
}

int
avecd_engine_run(const struct avecd_conf *c, int fd)
{
	struct avec_err err = { { 0 } };
	struct engine e = { c, NULL, NULL };
	union {
		struct avecd_login login;
		struct avecd_who who;
		struct avecd_add add;
		struct avecd_remove remove;
		struct avecd_reinstall reinstall;
		struct avecd_admin admin;
		struct avecd_acme acme;
	} *req = NULL;
	union {
		struct avecd_login_reply login;
		struct avecd_devices devices;
		struct avecd_added added;
		struct avecd_status status;
		struct avecd_acme_reply acme;
	} *rep = NULL;
	int rc = -1;

	/* the admin socket is made as root (root owns /run/avec); then the
	 * engine becomes its own user, who owns the store and the CA */
	if (avecd_admin_socket_start(c) < 0 || avecd_drop_to(c->engine_user) < 0) {
		avecd_admin_socket_stop();
		return -1;
	}
	e.st = avec_store_open(c->store, AVEC_STORE_CREATE, &err);
	if (e.st == NULL) {
		avec_err_log("store %s: %s", c->store, err.msg);
		avecd_admin_socket_stop();
		return -1;
	}
	if (avec_ca_init(c->ca_dir, c->server_name, NULL, &err) < 0 ||
	    (e.ca = avec_ca_open(c->ca_dir, &err)) == NULL) {
		avec_err_log("CA %s: %s", c->ca_dir, err.msg);
		goto out;
	}
	if (avecd_schedule_start(c) < 0)
		goto out;
	req = malloc(sizeof(*req));
	rep = malloc(sizeof(*rep));
	if (req == NULL || rep == NULL)
		goto out;

	for (;;) {
		uint32_t type = 0;
		size_t len;
		const void *p;

		if (avecd_msg_recv(fd, &type, req, 0) < 0)
			break;		/* the portal went away, or lied */
		memset(rep, 0, sizeof(*rep));
		switch (type) {
		case AVECD_MSG_LOGIN:
			do_login(&e, &req->login, &rep->login);
			len = sizeof(rep->login);
			break;
		case AVECD_MSG_DEVICES:
			do_devices(&e, &req->who, &rep->devices);
			len = sizeof(rep->devices);
			break;
		case AVECD_MSG_ADD:
			do_add(&e, &req->add, &rep->added);
			len = sizeof(rep->added);
			break;
		case AVECD_MSG_REMOVE:
			do_remove(&e, &req->remove, &rep->status);
			len = sizeof(rep->status);
			break;
		case AVECD_MSG_REINSTALL:
			do_reinstall(&e, &req->reinstall, &rep->added);
			len = sizeof(rep->added);
			break;
		case AVECD_MSG_ACME:
			do_acme(&e, &req->acme, &rep->acme);
			len = sizeof(rep->acme);
			break;
		case AVECD_MSG_CA: {
			unsigned char *der = NULL;
			size_t dlen = 0;

			if (avec_ca_cert_der(e.ca, &der, &dlen, &err) < 0) {
				avec_err_log("%s", err.msg);
				dlen = 0;
			}
			rc = avecd_msg_send(fd, type, der, dlen);
			free(der);
			if (rc < 0)
				goto done;
			continue;
		}
		case AVECD_MSG_ADMIN: {
			struct avec_buf out = { 0 };

			do_admin(&e, &req->admin, &out);
			rc = avec_buf_failed(&out) ? -1
				: avecd_msg_send(fd, type, out.data, out.len);
			avec_buf_free(&out);
			avec_secret_wipe(req, sizeof(*req));
			if (rc < 0)
				goto done;
			continue;
		}
		default:
			goto done;
		}
		p = rep;
		rc = avecd_msg_send(fd, type, p, len);
		avec_secret_wipe(rep, sizeof(*rep));
		avec_secret_wipe(req, sizeof(*req));
		if (rc < 0)
			break;
	}
done:
	rc = 0;
out:
	avecd_schedule_stop();
	avecd_admin_socket_stop();
	free(req);
	free(rep);
	avec_ca_close(e.ca);
	avec_store_close(e.st);
	return rc;
}
