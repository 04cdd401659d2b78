/*
 * validate.c - the portal's CAS validators: a few threads of their own
 * that wait on the ENT, so that a slow ENT never holds a page worker.
 *
 * A login callback (/cas with its nonce and ticket) does not validate the
 * ticket in libmicrohttpd's thread.  routes.c hands a job (the service
 * URL, the ticket, the connection) to validate_submit, which suspends
 * the connection (MHD_suspend_connection) and queues the job; the page
 * worker goes back to its other clients at once.  One of VALIDATORS
 * threads takes the job, calls avec_cas_validate (cas_http.c, the one
 * CAS client), records the verdict in the job and resumes the connection
 * (MHD_resume_connection); libmicrohttpd then calls the portal's handler
 * again for the same request, and routes.c builds the page from the
 * verdict in the page worker, as for any other request.
 *
 * It owns the bounds of that wait.  At most cas.max_pending jobs exist at
 * once, queued or being validated: beyond that validate_submit refuses
 * and the browser gets the "too many logins waiting" page at once.  Each
 * job has one deadline, cas.timeout_ms after it was queued: a validator
 * gives the CAS client only the time left, and a job whose deadline
 * passed while it waited its turn ends as a timeout without a request to
 * the ENT.  So no login waits much longer than cas.timeout_ms, however
 * many wait with it.  validate_stop ends every job (the queued ones at
 * once, the running ones within their deadline) and resumes every
 * connection before libmicrohttpd is stopped, which must not find a
 * suspended one.
 *
 * The validators run in the portal process, as validation always did:
 * they hold the ticket (wiped once sent) and the CAS answer, never a
 * store handle or the CA key, and they log no ticket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "avec/log.h"
#include "avec/secret.h"
#include "common/mono.h"
#include "portal.h"

void
validate_job_free(struct cas_job *j)
{
	if (j == NULL)
		return;
	avec_cas_response_clear(&j->cr);
	avec_secret_wipe(j, sizeof(*j));
	free(j);
}

/* One job, from the validator that took it off the queue. */
static void
run(struct validator *v, struct cas_job *j, bool stopping)
{
	struct avec_cas_client cli = *v->cas;
	int64_t left = j->deadline_ms - avec_mono_ms();
	struct MHD_Connection *conn = j->conn;

	memset(&j->err, 0, sizeof(j->err));
	if (stopping || left <= 0) {
		memset(&j->cr, 0, sizeof(j->cr));
		j->res = AVEC_CAS_UNAVAILABLE;
		avec_err_set(&j->err, stopping
			     ? "CAS: the portal is stopping"
			     : "CAS: waiting for the server failed: timeout "
			       "(the login waited its turn that long)");
	} else {
		cli.timeout_ms = (long)left;
		j->res = avec_cas_validate(&cli, j->service, j->ticket,
					   &j->cr, &j->err);
	}
	avec_secret_wipe(j->ticket, sizeof(j->ticket));
	j->done = true;
	pthread_mutex_lock(&v->lock);
	v->pending--;
	pthread_mutex_unlock(&v->lock);
	/* the job is the request's again from here: not touched after */
	MHD_resume_connection(conn);
}

static void *
validator(void *arg)
{
	struct validator *v = arg;
	struct cas_job *j;
	bool stopping;

	for (;;) {
		pthread_mutex_lock(&v->lock);
		while (!v->stopping && v->head == NULL)
			pthread_cond_wait(&v->cond, &v->lock);
		if ((j = v->head) == NULL) {	/* stopping, nothing left */
			pthread_mutex_unlock(&v->lock);
			return NULL;
		}
		v->head = j->next;
		if (v->head == NULL)
			v->tail = NULL;
		stopping = v->stopping;
		pthread_mutex_unlock(&v->lock);
		j->next = NULL;
		run(v, j, stopping);
	}
}

void
validate_init(struct portal *p)
{
	struct validator *v = &p->val;

	memset(v, 0, sizeof(*v));
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	v->cas = &p->cas;
	v->timeout_ms = p->c->cas_timeout_ms > 0 ? p->c->cas_timeout_ms : 5000;
	v->max = p->c->cas_max_pending > 0 ? p->c->cas_max_pending
					   : VALIDATE_PENDING_DEFAULT;
	v->ready = true;
}

int
validate_start(struct portal *p)
{
	struct validator *v = &p->val;
	unsigned want = v->max < VALIDATORS ? v->max : VALIDATORS;
	int e;

	while (v->nthreads < want) {
		if ((e = pthread_create(&v->threads[v->nthreads], NULL,
					validator, v)) != 0) {
			avec_err_log("cannot start a CAS validator: %s",
				     strerror(e));
			return v->nthreads > 0 ? 0 : -1;
		}
		v->nthreads++;
	}
	return 0;
}

bool
validate_submit(struct portal *p, struct cas_job *j)
{
	struct validator *v = &p->val;

	pthread_mutex_lock(&v->lock);
	if (v->stopping || v->pending >= v->max) {
		pthread_mutex_unlock(&v->lock);
		return false;
	}
	v->pending++;
	j->next = NULL;
	j->done = false;
	j->deadline_ms = avec_mono_ms() + v->timeout_ms;
	/* suspended before a validator can see it: the resume that ends
	 * the job always finds the connection suspended */
	MHD_suspend_connection(j->conn);
	if (v->tail != NULL)
		v->tail->next = j;
	else
		v->head = j;
	v->tail = j;
	pthread_cond_signal(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return true;
}

void
validate_stop(struct portal *p)
{
	struct validator *v = &p->val;
	unsigned i;

	if (!v->ready)
		return;
	pthread_mutex_lock(&v->lock);
	v->stopping = true;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	for (i = 0; i < v->nthreads; i++)
		pthread_join(v->threads[i], NULL);
	v->nthreads = 0;
	/* jobs no validator took (none ran): ended here */
	for (;;) {
		struct cas_job *j;

		pthread_mutex_lock(&v->lock);
		if ((j = v->head) != NULL) {
			v->head = j->next;
			if (v->head == NULL)
				v->tail = NULL;
		}
		pthread_mutex_unlock(&v->lock);
		if (j == NULL)
			break;
		j->next = NULL;
		run(v, j, true);
	}
}
