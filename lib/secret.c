/*
 * secret.c - device secrets: making them, hashing them, checking them.
 *
 * A secret exists in clear only between avec_secret_generate() and the
 * moment its owner has seen it; the store keeps the hash.  The hash formats
 * are the ones FreeRADIUS's Password-With-Header reads, so the server's own
 * pap and mschap modules verify them.  Nothing here logs, and every buffer
 * that held a secret or a digest of one is wiped before it goes out of scope.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "avec/secret.h"

#define SALT_LEN	16
#define SHA256_LEN	32
#define SSHA_PREFIX	"{ssha256}"
#define NT_PREFIX	"{nthash}"

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

void
avec_secret_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

int
avec_secret_generate(char *out, size_t outlen)
{
	unsigned char rnd[20];
	size_t i, o = 0;

	if (outlen < AVEC_SECRET_LEN + 1 || RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	for (i = 0; i < sizeof(rnd); i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = b32[rnd[i] & 31];
	}
	out[o] = '\0';
	avec_secret_wipe(rnd, sizeof(rnd));
	return 0;
}

static int
sha256_salted(const char *secret, const unsigned char *salt, size_t saltlen,
	      unsigned char md[SHA256_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int mdlen = 0;
	int ok;

	if (ctx == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, secret, strlen(secret)) == 1 &&
	    EVP_DigestUpdate(ctx, salt, saltlen) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == SHA256_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* NT hash: MD4 of the secret in UTF-16LE (secrets are ASCII). */
static int
nt_hash(const char *secret, unsigned char md[16])
{
	unsigned char u16[2 * 256];
	size_t i, n = strlen(secret);

	if (n > 256)
		return -1;
	for (i = 0; i < n; i++) {
		if ((unsigned char)secret[i] >= 0x80)
			return -1;
		u16[2 * i] = (unsigned char)secret[i];
		u16[2 * i + 1] = 0;
	}
	avec_md4(u16, 2 * n, md);
	avec_secret_wipe(u16, sizeof(u16));
	return 0;
}

static void
hex(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[in[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
avec_secret_hash(enum avec_cred_type type, const char *secret, char *out,
		 size_t outlen)
{
	unsigned char buf[SHA256_LEN + SALT_LEN];
	int rc = -1;

	if (secret == NULL || *secret == '\0' || outlen < AVEC_HASH_MAX + 1)
		return -1;
	switch (type) {
	case AVEC_CRED_TTLS:
		if (RAND_bytes(buf + SHA256_LEN, SALT_LEN) != 1 ||
		    sha256_salted(secret, buf + SHA256_LEN, SALT_LEN, buf) < 0)
			break;
		memcpy(out, SSHA_PREFIX, sizeof(SSHA_PREFIX) - 1);
		EVP_EncodeBlock((unsigned char *)out + sizeof(SSHA_PREFIX) - 1,
				buf, sizeof(buf));
		rc = 0;
		break;
	case AVEC_CRED_PEAP:
		if (nt_hash(secret, buf) < 0)
			break;
		memcpy(out, NT_PREFIX, sizeof(NT_PREFIX) - 1);
		hex(buf, 16, out + sizeof(NT_PREFIX) - 1);
		rc = 0;
		break;
	case AVEC_CRED_TLS:	/* no secret */
	case AVEC_CRED_PSK:	/* kept in clear: the AP needs the key */
	case AVEC_CRED__COUNT:
	default:
		break;
	}
	avec_secret_wipe(buf, sizeof(buf));
	return rc;
}

bool
avec_secret_verify(const char *stored, const char *secret)
{
	unsigned char want[96], got[SHA256_LEN];
	char hx[33];
	size_t n, pad;
	int len;
	bool ok = false;

	if (stored == NULL || secret == NULL)
		return false;
	if (strncmp(stored, SSHA_PREFIX, sizeof(SSHA_PREFIX) - 1) == 0) {
		const char *b = stored + sizeof(SSHA_PREFIX) - 1;

		n = strlen(b);
		if (n == 0 || n % 4 || n / 4 * 3 > sizeof(want))
			return false;
		len = EVP_DecodeBlock(want, (const unsigned char *)b, (int)n);
		pad = (b[n - 1] == '=') + (b[n - 2] == '=');
		if (len < 0 || (size_t)len - pad <= SHA256_LEN)
			return false;
		len -= (int)pad;
		if (sha256_salted(secret, want + SHA256_LEN,
				  (size_t)len - SHA256_LEN, got) == 0)
			ok = CRYPTO_memcmp(got, want, SHA256_LEN) == 0;
	} else if (strncmp(stored, NT_PREFIX, sizeof(NT_PREFIX) - 1) == 0) {
		if (nt_hash(secret, got) == 0) {
			hex(got, 16, hx);
			ok = strlen(stored + sizeof(NT_PREFIX) - 1) == 32 &&
			    CRYPTO_memcmp(hx, stored + sizeof(NT_PREFIX) - 1, 32) == 0;
			avec_secret_wipe(hx, sizeof(hx));
		}
	}
	avec_secret_wipe(got, sizeof(got));
	avec_secret_wipe(want, sizeof(want));
	return ok;
}
