/*
 * secret.h - per-device secrets and their stored hashes.
 *
 * A device secret is generated here (100 random bits, written as five
 * groups of four base32 characters so that it can be typed) and shown to
 * its owner once; the store keeps only a hash in the form FreeRADIUS's
 * Password-With-Header understands:
 *   EAP-TTLS/PAP     "{ssha256}" base64(SHA-256(secret || salt) || salt)
 *   PEAP/MSCHAPv2    "{nthash}" hex(MD4(UTF-16LE(secret)))   (the only
 *                    form MSCHAPv2 can verify; safe for random secrets)
 * Callers wipe secrets with avec_secret_wipe() once used.
 */
#ifndef AVEC_SECRET_H
#define AVEC_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include "avec/model.h"

#define AVEC_SECRET_LEN 24	/* "abcd-efgh-ijkl-mnop-qrst" */

/*
 * Fill out[AVEC_SECRET_LEN + 1]; returns 0 or -1 (random source failed).
 * The same form serves as a PSK device's key: 24 printable ASCII
 * characters, a valid WPA passphrase.
 */
int avec_secret_generate(char *out, size_t outlen);

/*
 * avec_secret_hash - the stored form of @secret for credential type @type.
 * @out holds AVEC_HASH_MAX + 1 bytes.  TLS has no secret and a PSK is
 * kept as it is: both return -1.
 * Returns: 0, or -1.
 */
int avec_secret_hash(enum avec_cred_type type, const char *secret,
		     char *out, size_t outlen);

/* Constant-time check of @secret against a stored hash of either form. */
bool avec_secret_verify(const char *stored, const char *secret);

/* Overwrite @len bytes at @p in a way the compiler keeps. */
void avec_secret_wipe(void *p, size_t len);

/* MD4 (RFC 1320), for the NT hash only. */
void avec_md4(const void *data, size_t len, unsigned char out[16]);

#endif
