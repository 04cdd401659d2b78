/*
 * revoke.c - the disconnect loop of revoke.h.
 *
 * It owns the walk from a revoked device or account to its open sessions,
 * from each session to its NAS (avecctl nas add), and the record of each
 * outcome.  It runs only after the revocation has committed, so a failure
 * here never undoes anything: a device that could not be disconnected is
 * refused at its next authentication anyway.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avec/secret.h"
#include "avec/store_nas.h"
#include "das/revoke.h"

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

/* One session: find its NAS, disconnect it, record, report. */
static void
disconnect_one(struct avec_store *st, const struct avec_open_session *s,
	       avec_revoke_report_fn report, void *ctx)
{
	struct avec_err err = { { 0 } };
	struct avec_disconnect_rec d;
	struct avec_das_session ds;
	struct avec_das_outcome o;
	struct avec_nas_rec nas;
	const char *nas_name = s->nas_address;
	char csid[18];
	int64_t now = (int64_t)time(NULL);
	bool recorded;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = avec_store_nas_by_address(st, s->nas_address, &nas, &err);
	if (rc != 0) {
		o.result = AVEC_DAS_ERROR;
		if (rc == AVEC_STORE_NOTFOUND)
			snprintf(o.detail, sizeof(o.detail), "no NAS with "
				 "address %s (avecctl nas add)",
				 s->nas_address);
		else
			snprintf(o.detail, sizeof(o.detail), "%.150s", err.msg);
	} else {
		memset(&ds, 0, sizeof(ds));
		if (avec_das_calling_station_id(s->mac, csid) == 0)
			ds.calling_station_id = csid;
		ds.acct_session_id = s->acct_session_id;
		ds.nas_address = s->nas_address;
		avec_das_disconnect(nas.das_address, nas.das_port,
				    (const uint8_t *)nas.das_secret,
				    strlen(nas.das_secret), &ds, NULL, &o);
		avec_secret_wipe(nas.das_secret, sizeof(nas.das_secret));
		nas_name = nas.name;
	}

	memset(&d, 0, sizeof(d));
	d.session_id = s->id;
	d.device_id = s->device_id;
	snprintf(d.nas_name, sizeof(d.nas_name), "%s", nas_name);
	d.sent_at = now;
	d.attempts = o.attempts;
	d.result = avec_das_result_name(o.result);
	snprintf(d.detail, sizeof(d.detail), "%s", o.detail);
	err.msg[0] = '\0';
	recorded = avec_store_disconnect_record(st, &d, &err) == 0;
	if (report != NULL)
		report(s->device_id, nas_name, &o, recorded, err.msg, ctx);
}

static int
disconnect_all(struct avec_store *st, struct session_list *l, int rc,
	       avec_revoke_report_fn report, void *ctx, unsigned *count,
	       struct avec_err *err)
{
	size_t i;

	if (rc != 0) {
		free(l->v);
		if (err != NULL && err->msg[0] == '\0')
			avec_err_set(err, "out of memory");
		return -1;
	}
	for (i = 0; i < l->n; i++)
		disconnect_one(st, &l->v[i], report, ctx);
	if (count != NULL)
		*count = (unsigned)l->n;
	free(l->v);
	return 0;
}

int
avec_revoke_disconnect_device(struct avec_store *st, int64_t device_id,
			      avec_revoke_report_fn report, void *ctx,
			      unsigned *count, struct avec_err *err)
{
	struct session_list l = { NULL, 0, 0 };
	int rc;

	rc = avec_store_sessions_open_device(st, device_id, collect, &l, err);
	return disconnect_all(st, &l, rc, report, ctx, count, err);
}

int
avec_revoke_disconnect_account(struct avec_store *st, const char *principal,
			       avec_revoke_report_fn report, void *ctx,
			       unsigned *count, struct avec_err *err)
{
	struct session_list l = { NULL, 0, 0 };
	int rc;

	rc = avec_store_sessions_open_account(st, principal, collect, &l, err);
	return disconnect_all(st, &l, rc, report, ctx, count, err);
}
