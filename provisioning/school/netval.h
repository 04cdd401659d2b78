/*
 * netval.h - the values of the school profile's network and management
 * keys, apart from YAML: addresses with a prefix, lease durations, walled
 * garden names, OpenSSH public keys.  school.c reads the profile with
 * them, render_net.c writes addresses back with them.
 */
#ifndef AVEC_SCHOOL_NETVAL_H
#define AVEC_SCHOOL_NETVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "school/school.h"

#define SCHOOL_PREFIX_STRLEN	50	/* INET6_ADDRSTRLEN + "/128" */
#define SCHOOL_SSH_KEY_MAX	4096	/* bytes of one key line */

/*
 * school_prefix_parse - "ADDRESS" or "ADDRESS/LEN" into @out.
 * @family: AF_INET or AF_INET6 to take only that family, 0 for either.
 * @need_len: the /LEN must be there; without it a bare address is a host
 *            (/32, /128).
 * Returns: 0, or -1 when @s is not that.
 */
int school_prefix_parse(const char *s, int family, bool need_len,
			struct school_prefix *out);

/* Are bits set in @p's address past its prefix length? */
bool school_prefix_host_bits(const struct school_prefix *p);
/* The first address of @p's network (host bits cleared). */
struct school_prefix school_prefix_net(const struct school_prefix *p);
/* Do the networks of @a and @b (same family) share an address? */
bool school_prefix_overlap(const struct school_prefix *a,
			   const struct school_prefix *b);
/* Is the address @addr inside the network of @net? */
bool school_prefix_contains(const struct school_prefix *net,
			    const struct school_prefix *addr);
/*
 * school_prefix_str - @p as text into @out: the address, then "/LEN" when
 * @with_len.  An unset prefix gives "".  Returns @out.
 */
char *school_prefix_str(const struct school_prefix *p, bool with_len,
			char out[SCHOOL_PREFIX_STRLEN]);
/* The IPv4 address @p plus @delta (host order arithmetic), same length. */
struct school_prefix school_prefix_add4(const struct school_prefix *p,
					long delta);

/*
 * school_duration_parse - "90s", "10m", "8h", "7d" into seconds.
 * Returns: 0, or -1 (no unit, not a number, zero, or too large).
 */
int school_duration_parse(const char *s, unsigned *out);

/*
 * school_garden_name_ok - a walled garden name: LDH labels of 1-63 bytes
 * (not starting or ending with '-'), at most 253 bytes, at least two
 * labels, no trailing dot, no wildcard.
 */
bool school_garden_name_ok(const char *s);

/*
 * school_ssh_key_bad - why @line is not a usable OpenSSH public key, or
 * NULL: "TYPE BASE64 [COMMENT]" on one line, TYPE one of ssh-ed25519,
 * ecdsa-sha2-nistp256/384/521 or ssh-rsa, the base64 decoding to a key
 * of that type (RSA of at least 3072 bits).  The reason goes to @why
 * (@len bytes), which is returned; it never quotes the key.
 */
const char *school_ssh_key_bad(const char *line, char *why, size_t len);

#endif
