/*
 * cas.h - avecd's CAS v3 client: the login URL, ticket validation against
 * the ENT's CAS server, the parsing of its answer and the mapping of the
 * released attributes to an AVEC identity (principal, role, school
 * groups, join key, display name).
 *
 * Nothing here trusts the answer's content: every field is bounded and
 * checked before it is copied, and a ticket never appears in an error.
 * Return convention as in lib/avec/err.h unless said otherwise.
 */
#ifndef AVEC_CAS_H
#define AVEC_CAS_H

#include <stdbool.h>
#include <stddef.h>

#include "avec/err.h"
#include "avec/model.h"
#include "../common/buf.h"

#define AVEC_CAS_TICKET_MAX	256
#define AVEC_CAS_BODY_MAX	(64u * 1024)	/* longest answer accepted */
#define AVEC_CAS_ATTRS_MAX	64		/* distinct attribute names */
#define AVEC_CAS_VALUES_MAX	64		/* values per attribute */
#define AVEC_CAS_VALUE_MAX	1024		/* bytes per value */
#define AVEC_CAS_NS		"http://www.yale.edu/tp/cas"

/* true for "ST-" followed by 1..253 chars of [A-Za-z0-9._~-] (total <= 256) */
bool avec_cas_ticket_valid(const char *t);
/* Percent-encode @s for a query component (RFC 3986 unreserved kept). */
void avec_cas_url_encode(struct avec_buf *b, const char *s);
/*
 * avec_cas_login_url - BASE + "/login?service=" + encoded @service into
 * @out (appended; the caller frees @out with avec_buf_free).  @base has no
 * trailing slash.  -1 if @base or @service is empty or memory ran out.
 */
int avec_cas_login_url(const char *base, const char *service,
		       struct avec_buf *out);

struct avec_cas_attr {
	char *name;
	char **values;
	unsigned nvalues;
	bool markup;	/* an element of this name held elements: skipped,
			   its content not read (nvalues may be 0) */
};

struct avec_cas_response {
	bool success;
	char code[48];		/* failure code (INVALID_TICKET, ...), "" on success */
	char message[256];	/* failure text, printable (controls -> '?'), truncated */
	char user[AVEC_PRINCIPAL_MAX + 1];
	struct avec_cas_attr *attrs;	/* owned; names without the cas: prefix */
	unsigned nattrs;
};

/*
 * avec_cas_parse - parse a serviceValidate answer (CAS v2 or v3).
 *
 * Attributes are taken from the three shapes servers use: children of
 * cas:attributes, other elements directly under cas:authenticationSuccess,
 * and <cas:attribute name="X" value="Y"/>.  Repeated elements give
 * several values; a value repeated verbatim under the same name is kept
 * once (servers that emit two shapes send everything twice).  Elements
 * outside the CAS namespace (matched by URI) are ignored.  An attribute
 * element that holds elements (a structured value, whatever its depth)
 * is skipped: its name is listed with markup set and no value taken from
 * it; avec_cas_identify() refuses it only if it is one AVEC reads.  No
 * DTD, no entity, no network; answers over AVEC_CAS_BODY_MAX or nested
 * deeper than libxml2's limit (256) are refused, as are more than
 * AVEC_CAS_ATTRS_MAX attributes, AVEC_CAS_VALUES_MAX values or values
 * over AVEC_CAS_VALUE_MAX bytes or not valid UTF-8.
 *
 * @out is overwritten (clear it before reuse); the caller releases it with
 * avec_cas_response_clear() whatever the result.
 * Returns: 0 (@out holds a success or a failure) or -1 (not a CAS answer;
 * @err says why without echoing the input).
 */
int avec_cas_parse(const char *xml, size_t len, struct avec_cas_response *out,
		   struct avec_err *err);
/* Free what @r owns and zero it (safe on a zeroed response). */
void avec_cas_response_clear(struct avec_cas_response *r);
/* The attribute named exactly @name (case-sensitive), or NULL.  Owned by @r. */
const struct avec_cas_attr *avec_cas_attr_get(const struct avec_cas_response *r,
					      const char *name);

/* Which attribute carries what ("" = unused slot). */
struct avec_cas_map {
	char role[64];
	char schools[4][64];
	char classes[4][64];
	char join[64];
	char display[64];
};
/* The regional ENT's names (ENTPersonProfils, ESCOUAI, ...). */
void avec_cas_map_default(struct avec_cas_map *m);

enum avec_cas_verdict {
	AVEC_CAS_ADMITTED = 0,	/* a role at this school */
	AVEC_CAS_NO_ROLE,	/* no profile AVEC knows */
	AVEC_CAS_OTHER_SCHOOL,	/* schools released, none is @uai */
	AVEC_CAS_NO_SCHOOL,	/* no school attribute released at all */
};

#define AVEC_CAS_GROUPS_MAX 8
struct avec_cas_identity {
	char principal[AVEC_PRINCIPAL_MAX + 1];
	enum avec_role role;	/* most privileged: teacher > staff > student > parent */
	unsigned roles;		/* (1u << role) of every role found */
	char groups[AVEC_CAS_GROUPS_MAX][AVEC_PRINCIPAL_MAX + 1];
	unsigned ngroups;	/* "UAI$class", of @uai only, deduplicated */
	char join_key[129];	/* "" if not released or invalid */
	char display_name[AVEC_DISPLAY_NAME_MAX + 1];	/* "" if none */
};

/*
 * avec_cas_identify - map a successful response for the school @uai.
 * Parents come out as AVEC_ROLE_PARENT with AVEC_CAS_ADMITTED: the
 * caller's policy decides.  The verdict is computed in this order: no
 * known profile, no school released, not this school.  @out is filled in
 * every case (role meaningful only when roles != 0).
 * Returns: the verdict, or -1 with @err (not a success, principal invalid,
 * @uai not a UAI, an attribute named in @m held markup).
 */
int avec_cas_identify(const struct avec_cas_response *r,
		      const struct avec_cas_map *m, const char *uai,
		      struct avec_cas_identity *out, struct avec_err *err);

/* Server-to-server validation. */
struct avec_cas_client {
	const char *base;	/* e.g. https://ent.example/cas */
	const char *ca_file;	/* PEM bundle to trust, NULL = system store */
	const char *ca_pem;	/* or the bundle itself, read before a
				   privilege drop; wins over ca_file */
	bool v2_fallback;	/* also try BASE/serviceValidate on a 404 of /p3 */
	bool allow_http;	/* tests only: accept an http:// base */
	long timeout_ms;	/* whole exchange; 0 = 5000 */
};

enum avec_cas_result {
	AVEC_CAS_VALID = 0,
	AVEC_CAS_REFUSED,
	AVEC_CAS_UNAVAILABLE,
	AVEC_CAS_GARBAGE,
};

/*
 * avec_cas_global_init - initialise libcurl and libxml2 once per process,
 * before any thread calls avec_cas_validate() or avec_cas_parse() (it
 * wraps curl_global_init, which is not thread-safe, and xmlInitParser).
 * Returns 0 or -1.
 */
int avec_cas_global_init(struct avec_err *err);

/*
 * avec_cas_validate - GET BASE/p3/serviceValidate?service=S&ticket=T.
 *
 * No redirect followed, no proxy from the environment, HTTPS only (unless
 * allow_http), peer and host verified, body capped at AVEC_CAS_BODY_MAX.
 * The process must have called avec_cas_global_init() (or
 * curl_global_init) first.  @service must be byte-identical to the one of
 * the login URL.  @out is cleared first and released by the caller with
 * avec_cas_response_clear().
 * Returns: AVEC_CAS_VALID (@out holds the success), AVEC_CAS_REFUSED
 * (authenticationFailure, @out->code), AVEC_CAS_UNAVAILABLE (connection,
 * timeout, TLS or HTTP status; @err says which), AVEC_CAS_GARBAGE (the
 * answer is not CAS).  A ticket that fails avec_cas_ticket_valid() is
 * not sent: AVEC_CAS_REFUSED with code "INVALID_TICKET_SPEC".  A base that
 * is not https:// (http:// only with allow_http) or a service that is not
 * text gives AVEC_CAS_UNAVAILABLE.  The ticket is never written into @err.
 */
enum avec_cas_result avec_cas_validate(const struct avec_cas_client *c,
				       const char *service, const char *ticket,
				       struct avec_cas_response *out,
				       struct avec_err *err);

#endif
