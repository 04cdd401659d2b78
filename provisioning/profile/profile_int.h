/*
 * profile_int.h - what the profile writers share (profile.c): stable
 * payload identifiers, dates, identities.  Not for use outside
 * provisioning/profile/.
 */
#ifndef AVEC_PROFILE_INT_H
#define AVEC_PROFILE_INT_H

#include "profile.h"

/* "XXXXXXXX-XXXX-5XXX-YXXX-XXXXXXXXXXXX" plus NUL */
#define PROFILE_UUID_LEN	37

/*
 * profile_uuid - a UUID (version 5 layout, uppercase) from SHA-256 of
 * org_id, username and @label: the same device and payload always get the
 * same UUID, so a re-download replaces rather than duplicates.
 */
void profile_uuid(const struct avec_profile *p, const char *label,
		  char out[PROFILE_UUID_LEN]);
/* @t as "YYYY-MM-DDTHH:MM:SSZ" (UTC). */
void profile_time(int64_t t, char out[32]);
/* The outer identity, "anonymous@" realm. */
void profile_outer_identity(const struct avec_profile *p, char *out,
			    size_t outlen);
/* The EAP type number of the method: 13, 21 or 25. */
int profile_eap_type(enum avec_cred_type m);

#endif
