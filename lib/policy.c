/*
 * policy.c - the decision, the words for its reasons, and the calendar it
 * needs: Europe/Paris local time and weekly windows.
 *
 * avec_decide() is the single definition of who may join the secure
 * network.  It is pure: everything it needs arrives as arguments, so it is
 * tested directly, and it cannot block the RADIUS path.  It must never read
 * the clock, the store or any global, and never log: the caller says why.
 *
 * Local time is computed here from the EU rule (summer time from the last
 * Sunday of March to the last Sunday of October, changing at 01:00 UTC),
 * not through the C library's time zone state, which is process-global,
 * reads files and is not safe to change between threads.  Schools in
 * France follow that rule; a change of law is a change here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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
	[AVEC_REJECT_DEVICE_BLOCKED] = { "device-blocked", "device blocked by the administrator" },
	[AVEC_REJECT_ACCOUNT_BLOCKED] = { "account-blocked", "account blocked by the administrator" },
	[AVEC_REJECT_ROLE_NOT_ADMITTED] = { "role-not-admitted", "role not admitted on this network" },
	[AVEC_REJECT_CREDENTIAL_TYPE] = { "credential-type", "credential type not allowed by policy" },
	[AVEC_REJECT_OVER_QUOTA] = { "over-quota", "over quota: too many devices for this account" },
	[AVEC_REJECT_OUTSIDE_HOURS] = { "outside-hours", "outside the hours this network is open" },
	[AVEC_REJECT_HOLIDAY] = { "holiday", "school holiday: network closed" },
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

/* ---- calendar ---- */

#define DAY 86400

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* 0 Monday ... 6 Sunday (1970-01-01 was a Thursday). */
static unsigned
weekday_of(int64_t days)
{
	int64_t w = (days + 3) % 7;

	return (unsigned)(w < 0 ? w + 7 : w);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The last Sunday of month @m (days since the epoch). */
static int64_t
last_sunday(int64_t y, unsigned m)
{
	int64_t last = (m == 12 ? days_from_civil(y + 1, 1, 1) :
			days_from_civil(y, m + 1, 1)) - 1;

	return last - (weekday_of(last) + 1) % 7;
}

static int32_t
paris_offset(int64_t t)
{
	int64_t y;
	unsigned m, d;

	civil_from_days(floor_div(t, DAY), &y, &m, &d);
	return t >= last_sunday(y, 3) * DAY + 3600 &&
	    t < last_sunday(y, 10) * DAY + 3600 ? 7200 : 3600;
}

void
avec_paris_time(time_t t, struct avec_localtime *out)
{
	int64_t local, days, y;
	unsigned m, d;

	out->utc_offset = paris_offset((int64_t)t);
	local = (int64_t)t + out->utc_offset;
	days = floor_div(local, DAY);
	civil_from_days(days, &y, &m, &d);
	out->date = (int32_t)(y * 10000 + m * 100 + d);
	out->weekday = (uint8_t)weekday_of(days);
	out->second = (uint32_t)(local - days * DAY);
}

/* The Unix time of local Paris wall-clock @local (seconds since epoch). */
static int64_t
paris_to_utc(int64_t local)
{
	int64_t t = local - 3600;

	return local - paris_offset(t - (paris_offset(t) - 3600));
}

static int32_t
date_add_days(int32_t date, int days)
{
	int64_t y;
	unsigned m, d;

	civil_from_days(days_from_civil(date / 10000, (unsigned)(date / 100 % 100),
					(unsigned)(date % 100)) + days, &y, &m, &d);
	return (int32_t)(y * 10000 + m * 100 + d);
}

static bool
is_holiday(const struct avec_policy *p, int32_t date)
{
	unsigned i;

	for (i = 0; i < p->nholidays && i < AVEC_HOLIDAYS_MAX; i++)
		if (date >= p->holidays[i].first && date <= p->holidays[i].last)
			return true;
	return false;
}

/* The latest end (in seconds) of a window open at @sec on @wd, or -1. */
static int64_t
open_until(const struct avec_policy *p, unsigned wd, int64_t sec)
{
	int64_t best = -1;
	unsigned i;

	for (i = 0; i < p->nwindows && i < AVEC_WINDOWS_MAX; i++) {
		const struct avec_window *w = &p->windows[i];

		if ((w->days & (1u << wd)) && sec >= (int64_t)w->start * 60 &&
		    sec < (int64_t)w->end * 60 && (int64_t)w->end * 60 > best)
			best = (int64_t)w->end * 60;
	}
	return best;
}

/*
 * Seconds from @lt until the network closes, following windows that touch
 * (one ending as the next begins, including across midnight) for at most
 * a week; -1 if it is closed now.
 */
static int64_t
open_for(const struct avec_policy *p, const struct avec_localtime *lt)
{
	int64_t end, more, day = 0;
	int32_t date = lt->date;
	unsigned wd = lt->weekday;

	end = open_until(p, wd, lt->second);
	if (end < 0)
		return -1;
	while (day < 7) {
		more = end < DAY ? open_until(p, wd, end) : -1;
		if (more > end) {
			end = more;
			continue;
		}
		if (end < DAY)
			break;
		/* open until midnight: does the next day open at 00:00? */
		date = date_add_days(date, 1);
		wd = (wd + 1) % 7;
		if (is_holiday(p, date) || (more = open_until(p, wd, 0)) < 0)
			break;
		day++;
		end = more;
	}
	return day * DAY + end - lt->second;
}

int64_t
avec_expiry_for(const struct avec_policy *pol, time_t now)
{
	int64_t until = 0, life = 0;

	if (pol->device_lifetime > 0)
		life = (int64_t)now + pol->device_lifetime;
	if (pol->lifetime_until > 0) {
		struct avec_localtime lt;
		int32_t y, target;

		avec_paris_time(now, &lt);
		y = lt.date / 10000;
		target = y * 10000 + pol->lifetime_until;
		if (target < lt.date)
			target += 10000;
		target = date_add_days(target, 1);	/* the day after, 00:00 */
		until = paris_to_utc(days_from_civil(target / 10000,
			(unsigned)(target / 100 % 100), (unsigned)(target % 100)) * DAY);
	}
	if (life && until)
		return life < until ? life : until;
	return life ? life : until;
}

/* ---- windows as text ---- */

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int
parse_day(const char **p)
{
	int i;

	for (i = 0; i < 7; i++) {
		if (strncmp(*p, day_names[i], 3) == 0) {
			*p += 3;
			return i;
		}
	}
	return -1;
}

static int
parse_hhmm(const char **p)
{
	const char *s = *p;
	int h, m;

	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] != ':' ||
	    s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || (h == 24 && m != 0))
		return -1;
	*p = s + 5;
	return h * 60 + m;
}

int
avec_windows_parse(const char *s, struct avec_window *w, uint8_t *n,
		   char *err, size_t errlen)
{
	const char *p = s, *item;
	uint8_t count = 0;
	int a, b, start, end;

	if (s == NULL)
		return snprintf(err, errlen, "no windows given"), -1;
	while (*p == ' ')
		p++;
	while (*p) {
		uint8_t days = 0;

		item = p;
		if (count == AVEC_WINDOWS_MAX)
			return snprintf(err, errlen, "more than %d windows",
					AVEC_WINDOWS_MAX), -1;
		if (strncmp(p, "all", 3) == 0) {
			days = 0x7f;
			p += 3;
		} else {
			for (;;) {
				if ((a = parse_day(&p)) < 0)
					goto bad_day;
				b = a;
				if (*p == '-' && (p++, (b = parse_day(&p)) < 0))
					goto bad_day;
				for (;;) {	/* a range may wrap: sat-mon */
					days |= (uint8_t)(1u << a);
					if (a == b)
						break;
					a = (a + 1) % 7;
				}
				if (*p != '+')
					break;
				p++;
			}
		}
		if (*p != ' ')
			return snprintf(err, errlen, "at \"%.12s\": expected a space "
					"then HH:MM-HH:MM", item), -1;
		while (*p == ' ')
			p++;
		if ((start = parse_hhmm(&p)) < 0 || *p++ != '-' ||
		    (end = parse_hhmm(&p)) < 0)
			return snprintf(err, errlen, "at \"%.12s\": times must be "
					"HH:MM-HH:MM (00:00 to 24:00)", item), -1;
		if (start >= end)
			return snprintf(err, errlen, "at \"%.12s\": a window must end "
					"after it starts (split one that crosses "
					"midnight in two)", item), -1;
		w[count].days = days;
		w[count].start = (uint16_t)start;
		w[count].end = (uint16_t)end;
		count++;
		while (*p == ' ')
			p++;
		if (*p == ',') {
			p++;
			while (*p == ' ')
				p++;
			if (*p == '\0')
				return snprintf(err, errlen, "a window is missing "
						"after the last ','"), -1;
		} else if (*p) {
			return snprintf(err, errlen, "at \"%.12s\": expected ',' "
					"between windows", p), -1;
		}
	}
	*n = count;
	return 0;
bad_day:
	return snprintf(err, errlen, "at \"%.12s\": expected a day (mon, tue, wed, "
			"thu, fri, sat, sun, or all)", item), -1;
}

char *
avec_windows_format(const struct avec_window *w, uint8_t n, char *buf, size_t len)
{
	size_t used = 0;
	unsigned i, d;
	int k;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < n && i < AVEC_WINDOWS_MAX; i++) {
		char days[40] = "";
		size_t dl = 0;

		if (w[i].days == 0x7f) {
			strcpy(days, "all");
		} else {
			for (d = 0; d < 7; d++) {
				unsigned e = d;

				if (!(w[i].days & (1u << d)))
					continue;
				while (e + 1 < 7 && (w[i].days & (1u << (e + 1))))
					e++;
				k = snprintf(days + dl, sizeof(days) - dl, "%s%s%s%s",
					     dl ? "+" : "", day_names[d],
					     e > d ? "-" : "", e > d ? day_names[e] : "");
				dl += (size_t)k;
				d = e;
			}
		}
		k = snprintf(buf + used, len - used, "%s%s %02u:%02u-%02u:%02u",
			     i ? ", " : "", days, w[i].start / 60u, w[i].start % 60u,
			     w[i].end / 60u, w[i].end % 60u);
		if (k < 0 || (size_t)k >= len - used) {
			buf[used] = '\0';
			break;
		}
		used += (size_t)k;
	}
	return buf;
}

/* ---- the decision ---- */

enum avec_reason
avec_decide(const struct avec_account *acct, const struct avec_device *dev,
	    const struct avec_policy *pol, time_t now, struct avec_verdict *out)
{
	struct avec_localtime lt;
	int64_t left = 0;

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
	if (dev->blocked)
		return reject(out, AVEC_REJECT_DEVICE_BLOCKED);

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
	if (acct->blocked)
		return reject(out, AVEC_REJECT_ACCOUNT_BLOCKED);

	if (pol == NULL || !pol->defined)
		return reject(out, AVEC_REJECT_ROLE_NOT_ADMITTED);
	if ((unsigned)dev->cred_type >= AVEC_CRED__COUNT ||
	    !(pol->allowed_creds & AVEC_CRED_BIT(dev->cred_type)))
		return reject(out, AVEC_REJECT_CREDENTIAL_TYPE);
	if (dev->rank >= pol->max_devices)
		return reject(out, AVEC_REJECT_OVER_QUOTA);

	if (pol->nwindows > 0) {
		avec_paris_time(now, &lt);
		if (is_holiday(pol, lt.date))
			return reject(out, AVEC_REJECT_HOLIDAY);
		if ((left = open_for(pol, &lt)) <= 0)
			return reject(out, AVEC_REJECT_OUTSIDE_HOURS);
		/* wall-clock seconds to real ones, across a summer-time change */
		left = paris_to_utc((int64_t)now + lt.utc_offset + left) - (int64_t)now;
		if (left < 1)
			left = 1;
	}

	out->reason = AVEC_ACCEPT;
	out->vlan = pol->vlan;
	out->session_timeout = pol->session_timeout;
	if (left > 0 && (out->session_timeout == 0 ||
			 (int64_t)out->session_timeout > left))
		out->session_timeout = (uint32_t)left;
	return AVEC_ACCEPT;
}

/* ---- overrides ---- */

static const char *const scope_names[AVEC_SCOPE__COUNT] = {
	[AVEC_SCOPE_SCHOOL] = "school",
	[AVEC_SCOPE_GROUP] = "group",
	[AVEC_SCOPE_ACCOUNT] = "account",
};

const char *
avec_scope_name(enum avec_scope s)
{
	return (unsigned)s < AVEC_SCOPE__COUNT ? scope_names[s] : "?";
}

int
avec_scope_parse(const char *s, enum avec_scope *out)
{
	unsigned i;

	for (i = 0; s != NULL && i < AVEC_SCOPE__COUNT; i++) {
		if (strcmp(s, scope_names[i]) == 0) {
			*out = (enum avec_scope)i;
			return 0;
		}
	}
	return -1;
}

/* Least specific first: scope, then all-role before one role, then target. */
static int
override_cmp(const struct avec_override *a, const struct avec_override *b)
{
	if (a->scope != b->scope)
		return a->scope < b->scope ? -1 : 1;
	if ((a->role < 0) != (b->role < 0))
		return a->role < 0 ? -1 : 1;
	return strcmp(a->target, b->target);
}

void
avec_policy_resolve(const struct avec_policy *base,
		    const struct avec_override **ovs, unsigned n,
		    struct avec_policy *out)
{
	const struct avec_override *o;
	unsigned i, j;

	/* insertion sort: a handful of overrides per account at most */
	for (i = 1; i < n; i++) {
		o = ovs[i];
		for (j = i; j > 0 && override_cmp(ovs[j - 1], o) > 0; j--)
			ovs[j] = ovs[j - 1];
		ovs[j] = o;
	}
	*out = *base;
	for (i = 0; i < n; i++) {
		o = ovs[i];
		if (o->set & AVEC_OV_ADMITTED)
			out->defined = o->v.defined;
		if (o->set & AVEC_OV_VLAN)
			out->vlan = o->v.vlan;
		if (o->set & AVEC_OV_MAX_DEVICES)
			out->max_devices = o->v.max_devices;
		if (o->set & AVEC_OV_CREDS)
			out->allowed_creds = o->v.allowed_creds;
		if (o->set & AVEC_OV_SESSION_TIMEOUT)
			out->session_timeout = o->v.session_timeout;
		if (o->set & AVEC_OV_LIFETIME)
			out->device_lifetime = o->v.device_lifetime;
		if (o->set & AVEC_OV_LIFETIME_UNTIL)
			out->lifetime_until = o->v.lifetime_until;
		if (o->set & AVEC_OV_WINDOWS) {
			out->nwindows = o->v.nwindows;
			memcpy(out->windows, o->v.windows, sizeof(out->windows));
		}
	}
	/* an override can admit a role that has no policy of its own only
	 * with the settings a policy needs; otherwise it stays refused */
	if (out->defined && !base->defined &&
	    (out->vlan == 0 || out->allowed_creds == 0))
		out->defined = false;
}
