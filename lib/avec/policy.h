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
	AVEC_REJECT_DEVICE_BLOCKED,	/* on the block list */
	AVEC_REJECT_ACCOUNT_BLOCKED,
	AVEC_REJECT_ROLE_NOT_ADMITTED,	/* no policy for the role (parents) */
	AVEC_REJECT_CREDENTIAL_TYPE,	/* the policy no longer allows it */
	AVEC_REJECT_OVER_QUOTA,
	AVEC_REJECT_OUTSIDE_HOURS,	/* outside the policy's windows */
	AVEC_REJECT_HOLIDAY,		/* a holiday of a windowed policy */
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
 * status or by expires_at <= now); device blocked; account suspended;
 * account left; account blocked; role not admitted; credential type not
 * allowed; over quota; holiday; outside the weekly windows.
 *
 * On accept, out->session_timeout is the policy's session timeout, or the
 * time left until the network closes for this device (the end of the open
 * period that contains @now, across adjacent windows, stopping at a
 * holiday), whichever is shorter.
 *
 * Returns: out->reason.
 */
enum avec_reason avec_decide(const struct avec_account *acct,
			     const struct avec_device *dev,
			     const struct avec_policy *pol, time_t now,
			     struct avec_verdict *out);

/*
 * Overrides.  A school (UAI), a class group or one account may change any
 * setting of a role's policy, for one role or for all.  The settings an
 * override changes are the bits of @set; the others are inherited.
 */
enum avec_scope {
	AVEC_SCOPE_SCHOOL = 0,
	AVEC_SCOPE_GROUP,
	AVEC_SCOPE_ACCOUNT,
	AVEC_SCOPE__COUNT
};
#define AVEC_OV_ADMITTED	(1u << 0)	/* v.defined */
#define AVEC_OV_VLAN		(1u << 1)
#define AVEC_OV_MAX_DEVICES	(1u << 2)
#define AVEC_OV_CREDS		(1u << 3)
#define AVEC_OV_SESSION_TIMEOUT	(1u << 4)
#define AVEC_OV_LIFETIME	(1u << 5)	/* device_lifetime */
#define AVEC_OV_LIFETIME_UNTIL	(1u << 6)
#define AVEC_OV_WINDOWS		(1u << 7)	/* nwindows + windows */
#define AVEC_OV_TARGET_MAX	128

struct avec_override {
	enum avec_scope scope;
	char target[AVEC_OV_TARGET_MAX + 1];	/* UAI, group, or principal */
	int role;				/* an enum avec_role, or -1: all */
	uint32_t set;
	struct avec_policy v;			/* values of the fields in @set */
};

const char *avec_scope_name(enum avec_scope s);	/* "school", "group", "account" */
int avec_scope_parse(const char *s, enum avec_scope *out);

/*
 * avec_policy_resolve - the policy of one account: its role's policy @base
 * with the @n overrides that apply to it (the caller has already matched
 * role and target) applied from the least to the most specific: school,
 * then group, then account; at one scope, all-role overrides before
 * role-specific ones, then by target.  @ovs is reordered.  Holidays stay
 * those of @base.  Pure: no allocation.
 */
void avec_policy_resolve(const struct avec_policy *base,
			 const struct avec_override **ovs, unsigned n,
			 struct avec_policy *out);

/* Europe/Paris local time of a Unix time, from the EU summer-time rule. */
struct avec_localtime {
	int32_t date;		/* YYYYMMDD */
	uint8_t weekday;	/* 0 Monday ... 6 Sunday */
	uint32_t second;	/* seconds since local midnight */
	int32_t utc_offset;	/* 3600 (CET) or 7200 (CEST) */
};
void avec_paris_time(time_t t, struct avec_localtime *out);

/*
 * avec_expiry_for - when a device registered at @now expires under @pol:
 * the earlier of now + device_lifetime and the next lifetime_until date
 * (at 00:00 Paris time the day after it); 0 if neither is set.
 */
int64_t avec_expiry_for(const struct avec_policy *pol, time_t now);

/*
 * Weekly windows as text: "mon-fri 07:30-18:00, sat 08:00-12:30".  Days
 * are mon tue wed thu fri sat sun, alone, as ranges, or joined by '+'
 * ("mon+wed 13:00-17:00"); times are HH:MM, 24:00 allowed as an end.
 * Parse returns 0, or -1 with @err saying what is wrong where.
 */
int avec_windows_parse(const char *s, struct avec_window *w, uint8_t *n,
		       char *err, size_t errlen);
/* The canonical text of @n windows into @buf (returns buf). */
char *avec_windows_format(const struct avec_window *w, uint8_t n, char *buf,
			  size_t len);

/* A short English phrase for logs and Reply-Message ("device revoked"). */
const char *avec_reason_text(enum avec_reason r);
/* A stable machine token ("device-revoked") for JSON and tests. */
const char *avec_reason_code(enum avec_reason r);

#endif
