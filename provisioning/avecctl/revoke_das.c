/*
 * revoke_das.c - what avecctl says about the network after a revocation
 * has committed: provisioning/das/revoke.c ends each open session of the
 * revoked device (or of every device of a suspended or departed account)
 * with a Disconnect-Request and records the outcome; this file prints it.
 *
 * It never changes the command's exit status: the revocation is what
 * matters, and a device that could not be disconnected is refused at its
 * next authentication anyway.
 */
#include <inttypes.h>
#include <stdio.h>

#include "avecctl.h"
#include "das/revoke.h"

static void
report(int64_t device_id, const char *nas, const struct avec_das_outcome *o,
       bool recorded, const char *err, void *ctx)
{
	struct ctl *c = ctx;

	if (!recorded)
		ctl_fail(CTL_IO, "device %" PRId64 ": the outcome could not "
			 "be recorded: %s", device_id, err);
	switch (o->result) {
	case AVEC_DAS_ACK:
		ctl_note(c, "device %" PRId64 ": disconnected from %s (ACK)",
			 device_id, nas);
		break;
	case AVEC_DAS_NAK:
		ctl_fail(CTL_OK, "device %" PRId64 ": %s refused the "
			 "disconnection (%s): it will be refused at its next "
			 "authentication", device_id, nas, o->detail);
		break;
	case AVEC_DAS_TIMEOUT:
		ctl_fail(CTL_OK, "device %" PRId64 ": no answer from %s after "
			 "%u tries: it will be refused at its next "
			 "authentication", device_id, nas, o->attempts);
		break;
	case AVEC_DAS_ERROR:
		ctl_fail(CTL_OK, "device %" PRId64 ": session on NAS %s not "
			 "disconnected: %s: it will be refused at its next "
			 "authentication", device_id, nas, o->detail);
		break;
	}
}

static void
finish(struct ctl *c, const char *who, int rc, unsigned n,
       const struct avec_err *err)
{
	if (rc != 0)
		ctl_fail(CTL_OK, "%s: its open sessions cannot be read: %s",
			 who, err->msg[0] ? err->msg : "out of memory");
	else if (n == 0)
		ctl_note(c, "%s: no open session to disconnect", who);
}

void
ctl_disconnect_device(struct ctl *c, int64_t device_id)
{
	struct avec_err err = { { 0 } };
	char who[40];
	unsigned n = 0;
	int rc = -1;

	snprintf(who, sizeof(who), "device %" PRId64, device_id);
	if (c->st != NULL)
		rc = avec_revoke_disconnect_device(c->st, device_id, report, c,
						   &n, &err);
	finish(c, who, rc, n, &err);
}

void
ctl_disconnect_account(struct ctl *c, const char *principal)
{
	struct avec_err err = { { 0 } };
	char who[AVEC_PRINCIPAL_MAX + 16];
	unsigned n = 0;
	int rc = -1;

	snprintf(who, sizeof(who), "account %s", principal);
	if (c->st != NULL)
		rc = avec_revoke_disconnect_account(c->st, principal, report,
						    c, &n, &err);
	finish(c, who, rc, n, &err);
}
