/*
 * policy.h - the decision: (account, device, policy, time) -> verdict.
 *
 * avec_decide() is a pure function: no I/O, no clock, no globals.  The
 * FreeRADIUS module, avecd and the tests all call this one definition.
 */
#ifndef AVEC_POLICY_H
#define AVEC_POLICY_H

#include <stdint.h>
#include <time.h>
#include "avec/model.h"

enum avec_reason {
	AVEC_ACCEPT = 0,
	AVEC_REJECT_MALFORMED_IDENTITY,	/* identity not of a device's form */
	AVEC_REJECT_UNKNOWN_DEVICE,
	AVEC_REJECT_DEVICE_REVOKED,
	AVEC_REJECT_DEVICE_EXPIRED,
	AVEC_REJECT_ACCOUNT_SUSPENDED,
	AVEC_REJECT_ACCOUNT_LEFT,
	AVEC_REJECT_ROLE_NOT_ADMITTED,	/* no policy for the role (parents) */
	AVEC_REJECT_CREDENTIAL_TYPE,	/* the policy no longer allows it */
	AVEC_REJECT_OVER_QUOTA,
	AVEC_REJECT_WRONG_SECRET,	/* set by the glue: authentication failed */
	AVEC_REJECT_WRONG_METHOD,	/* set by the glue: secret sent through
					   another EAP method than issued for */
	AVEC_REASON__COUNT
};

struct avec_verdict {
	enum avec_reason reason;	/* AVEC_ACCEPT or why not */
	uint16_t vlan;			/* on accept */
	uint32_t session_timeout;	/* on accept; 0 = send none */
};

/*
 * avec_decide - decide whether a device may join the secure network now.
 * @acct: the device's owner, or NULL when the device is unknown
 * @dev: the device, or NULL when unknown
 * @pol: the policy of acct's role (ignored when acct or dev is NULL)
 * @now: the time of the request
 * @out: filled on every return
 *
 * Rules, in order: unknown device; device revoked; device expired (by
 * status or by expires_at <= now); account suspended; account left; role
 * not admitted; credential type not allowed; over quota.
 *
 * Returns: out->reason.
 */
enum avec_reason avec_decide(const struct avec_account *acct,
			     const struct avec_device *dev,
			     const struct avec_policy *pol, time_t now,
			     struct avec_verdict *out);

/* A short English phrase for logs and Reply-Message ("device revoked"). */
const char *avec_reason_text(enum avec_reason r);
/* A stable machine token ("device-revoked") for JSON and tests. */
const char *avec_reason_code(enum avec_reason r);

#endif
