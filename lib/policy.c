/*
 * policy.c - the decision, and the words for its reasons.
 *
 * avec_decide() is the single definition of who may join the secure
 * network.  It is pure: everything it needs arrives as arguments, so it is
 * tested directly, and it cannot block the RADIUS path.  It must never read
 * the clock, the store or any global, and never log: the caller says why.
 */
#include <stddef.h>

#include "avec/policy.h"

static const struct {
	const char *code;
	const char *text;
} reasons[AVEC_REASON__COUNT] = {
	[AVEC_ACCEPT] = { "accept", "accepted" },
	[AVEC_REJECT_MALFORMED_IDENTITY] = { "malformed-identity", "malformed identity" },
	[AVEC_REJECT_UNKNOWN_DEVICE] = { "unknown-device", "unknown device" },
	[AVEC_REJECT_DEVICE_REVOKED] = { "device-revoked", "device revoked" },
	[AVEC_REJECT_DEVICE_EXPIRED] = { "device-expired", "device expired" },
	[AVEC_REJECT_ACCOUNT_SUSPENDED] = { "account-suspended", "account suspended" },
	[AVEC_REJECT_ACCOUNT_LEFT] = { "account-left", "account closed: owner has left the school" },
	[AVEC_REJECT_ROLE_NOT_ADMITTED] = { "role-not-admitted", "role not admitted on this network" },
	[AVEC_REJECT_CREDENTIAL_TYPE] = { "credential-type", "credential type not allowed by policy" },
	[AVEC_REJECT_OVER_QUOTA] = { "over-quota", "over quota: too many devices for this account" },
	[AVEC_REJECT_WRONG_SECRET] = { "wrong-secret", "authentication failed: wrong secret or certificate" },
	[AVEC_REJECT_WRONG_METHOD] = { "wrong-method", "credential used with another EAP method than issued for" },
};

const char *
avec_reason_text(enum avec_reason r)
{
	return (unsigned)r < AVEC_REASON__COUNT ? reasons[r].text : "rejected";
}

const char *
avec_reason_code(enum avec_reason r)
{
	return (unsigned)r < AVEC_REASON__COUNT ? reasons[r].code : "unknown";
}

static enum avec_reason
reject(struct avec_verdict *out, enum avec_reason r)
{
	out->reason = r;
	out->vlan = 0;
	out->session_timeout = 0;
	return r;
}

enum avec_reason
avec_decide(const struct avec_account *acct, const struct avec_device *dev,
	    const struct avec_policy *pol, time_t now, struct avec_verdict *out)
{
	if (dev == NULL || acct == NULL || dev->account_id != acct->id)
		return reject(out, AVEC_REJECT_UNKNOWN_DEVICE);

	switch (dev->status) {
	case AVEC_DEVICE_ACTIVE:
		break;
	case AVEC_DEVICE_REVOKED:
		return reject(out, AVEC_REJECT_DEVICE_REVOKED);
	case AVEC_DEVICE_EXPIRED:
	case AVEC_DEVICE__COUNT:
	default:
		return reject(out, AVEC_REJECT_DEVICE_EXPIRED);
	}
	if (dev->expires_at != 0 && dev->expires_at <= (int64_t)now)
		return reject(out, AVEC_REJECT_DEVICE_EXPIRED);

	switch (acct->status) {
	case AVEC_ACCOUNT_ACTIVE:
		break;
	case AVEC_ACCOUNT_SUSPENDED:
		return reject(out, AVEC_REJECT_ACCOUNT_SUSPENDED);
	case AVEC_ACCOUNT_LEFT:
	case AVEC_ACCOUNT__COUNT:
	default:
		return reject(out, AVEC_REJECT_ACCOUNT_LEFT);
	}

	if (pol == NULL || !pol->defined)
		return reject(out, AVEC_REJECT_ROLE_NOT_ADMITTED);
	if ((unsigned)dev->cred_type >= AVEC_CRED__COUNT ||
	    !(pol->allowed_creds & AVEC_CRED_BIT(dev->cred_type)))
		return reject(out, AVEC_REJECT_CREDENTIAL_TYPE);
	if (dev->rank >= pol->max_devices)
		return reject(out, AVEC_REJECT_OVER_QUOTA);

	out->reason = AVEC_ACCEPT;
	out->vlan = pol->vlan;
	out->session_timeout = pol->session_timeout;
	return AVEC_ACCEPT;
}
