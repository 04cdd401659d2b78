/*
 * revoke_das.c - what avecctl does on the network after a revocation has
 * committed: for each open accounting session of the revoked device (or
 * of every device of a suspended or departed account), find the NAS the
 * session came from, send it a Disconnect-Request (provisioning/das),
 * record the outcome in the store's disconnects table and print it.
 *
 * This file owns that loop and its words.  It runs only after the store
 * has committed the revocation, and it never changes the command's exit
 * status: the revocation is what matters, and a device that could not
 * be disconnected is refused at its next authentication anyway.  It must
 * never print or record a DAS secret, and wipes each NAS record (which
 * holds one) as soon as the request is answered.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avec/secret.h"
#include "avec/store_nas.h"
#include "avecctl.h"
#include "das/das.h"

struct session_list {
	struct avec_open_session *v;
	size_t n, cap;
};

static int
collect(const struct avec_open_session *s, void *arg)
{
	struct session_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct avec_open_session *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *s;
	return 0;
}

static void
record(struct ctl *c, const struct avec_open_session *s, const char *nas,
       const struct avec_das_outcome *o, int64_t sent_at)
{
	struct avec_err err = { { 0 } };
	struct avec_disconnect_rec d;

	memset(&d, 0, sizeof(d));
	d.session_id = s->id;
	d.device_id = s->device_id;
	snprintf(d.nas_name, sizeof(d.nas_name), "%s", nas);
	d.sent_at = sent_at;
	d.attempts = o->attempts;
	d.result = avec_das_result_name(o->result);
	snprintf(d.detail, sizeof(d.detail), "%s", o->detail);
	if (avec_store_disconnect_record(c->st, &d, &err) != 0)
		ctl_fail(CTL_IO, "device %" PRId64 ": the outcome could not "
			 "be recorded: %s", s->device_id, err.msg);
}

/* One session: find its NAS, disconnect it, record and print. */
static void
disconnect_one(struct ctl *c, const struct avec_open_session *s)
{
	struct avec_err err = { { 0 } };
	struct avec_das_session ds;
	struct avec_das_outcome o;
	struct avec_nas_rec nas;
	char csid[18];
	int64_t now = (int64_t)time(NULL);
	int rc;

	memset(&o, 0, sizeof(o));
	rc = avec_store_nas_by_address(c->st, s->nas_address, &nas, &err);
	if (rc != 0) {
		o.result = AVEC_DAS_ERROR;
		if (rc == AVEC_STORE_NOTFOUND)
			snprintf(o.detail, sizeof(o.detail), "no NAS with "
				 "address %s (avecctl nas add)",
				 s->nas_address);
		else
			snprintf(o.detail, sizeof(o.detail), "%.150s", err.msg);
		record(c, s, s->nas_address, &o, now);
		ctl_fail(CTL_OK, "device %" PRId64 ": session on NAS %s not "
			 "disconnected: %s: it will be refused at its next "
			 "authentication", s->device_id, s->nas_address,
			 o.detail);
		return;
	}

	memset(&ds, 0, sizeof(ds));
	if (avec_das_calling_station_id(s->mac, csid) == 0)
		ds.calling_station_id = csid;
	ds.acct_session_id = s->acct_session_id;
	ds.nas_address = s->nas_address;
	avec_das_disconnect(nas.das_address, nas.das_port,
			    (const uint8_t *)nas.das_secret,
			    strlen(nas.das_secret), &ds, NULL, &o);
	avec_secret_wipe(nas.das_secret, sizeof(nas.das_secret));
	record(c, s, nas.name, &o, now);

	switch (o.result) {
	case AVEC_DAS_ACK:
		ctl_note(c, "device %" PRId64 ": disconnected from %s (ACK)",
			 s->device_id, nas.name);
		break;
	case AVEC_DAS_NAK:
		ctl_fail(CTL_OK, "device %" PRId64 ": %s refused the "
			 "disconnection (%s): it will be refused at its next "
			 "authentication", s->device_id, nas.name, o.detail);
		break;
	case AVEC_DAS_TIMEOUT:
		ctl_fail(CTL_OK, "device %" PRId64 ": no answer from %s after "
			 "%u tries: it will be refused at its next "
			 "authentication", s->device_id, nas.name, o.attempts);
		break;
	case AVEC_DAS_ERROR:
		ctl_fail(CTL_OK, "device %" PRId64 ": cannot ask %s to "
			 "disconnect it (%s): it will be refused at its next "
			 "authentication", s->device_id, nas.name, o.detail);
		break;
	}
}

static void
disconnect_all(struct ctl *c, struct session_list *l, const char *who)
{
	size_t i;

	if (l->n == 0)
		ctl_note(c, "%s: no open session to disconnect", who);
	for (i = 0; i < l->n; i++)
		disconnect_one(c, &l->v[i]);
	free(l->v);
}

void
ctl_disconnect_device(struct ctl *c, int64_t device_id)
{
	struct avec_err err = { { 0 } };
	struct session_list l = { NULL, 0, 0 };
	char who[40];

	snprintf(who, sizeof(who), "device %" PRId64, device_id);
	if (c->st == NULL ||
	    avec_store_sessions_open_device(c->st, device_id, collect, &l,
					    &err) != 0) {
		free(l.v);
		ctl_fail(CTL_OK, "%s: its open sessions cannot be read: %s",
			 who, err.msg[0] ? err.msg : "out of memory");
		return;
	}
	disconnect_all(c, &l, who);
}

void
ctl_disconnect_account(struct ctl *c, const char *principal)
{
	struct avec_err err = { { 0 } };
	struct session_list l = { NULL, 0, 0 };
	char who[AVEC_PRINCIPAL_MAX + 16];

	snprintf(who, sizeof(who), "account %s", principal);
	if (c->st == NULL ||
	    avec_store_sessions_open_account(c->st, principal, collect, &l,
					     &err) != 0) {
		free(l.v);
		ctl_fail(CTL_OK, "%s: its open sessions cannot be read: %s",
			 who, err.msg[0] ? err.msg : "out of memory");
		return;
	}
	disconnect_all(c, &l, who);
}
