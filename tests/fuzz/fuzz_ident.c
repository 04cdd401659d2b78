/*
 * fuzz_ident.c - libFuzzer harness for the identifiers a RADIUS request
 * carries into rlm_avec (User-Name, Calling-Station-Id,
 * TLS-Client-Cert-Serial) and the names the portal receives: every
 * validator and normaliser of lib/avec/ident.h, plus the DAS writer of a
 * Calling-Station-Id.
 *
 * The input is cut at NUL bytes into strings, and each string goes
 * through every function.  It owns the invariants: a normalised MAC or
 * serial is in canonical form and normalises to itself; outputs are
 * NUL-terminated inside the buffer given (heap buffers of the exact size,
 * so that a byte too far is an AddressSanitizer report); an accepted name
 * holds only the characters its validator allows; every UTF-8 step stays
 * inside the string.  No store, no network.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avec/ident.h"
#include "avec/model.h"
#include "das/das.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must(int cond)
{
	if (!cond)
		abort();
}

static void
check_mac(const char *s)
{
	char *out = malloc(AVEC_MAC_STRLEN + 1);
	char again[AVEC_MAC_STRLEN + 1], csid[18], back[AVEC_MAC_STRLEN + 1];
	unsigned i;

	must(out != NULL);
	if (avec_mac_normalize(s, out) == 0) {
		must(strlen(out) == AVEC_MAC_STRLEN);
		for (i = 0; i < AVEC_MAC_STRLEN; i++)
			must(i % 3 == 2 ? out[i] == ':'
				       : isxdigit((unsigned char)out[i]) &&
					 !isupper((unsigned char)out[i]));
		must(avec_mac_normalize(out, again) == 0);
		must(strcmp(out, again) == 0);
		/* the NAS's form, and back */
		must(avec_das_calling_station_id(s, csid) == 0);
		must(strlen(csid) == 17);
		must(avec_mac_normalize(csid, back) == 0);
		must(strcmp(back, out) == 0);
	} else {
		must(avec_das_calling_station_id(s, csid) < 0);
	}
	free(out);
}

static void
check_serial(const char *s, size_t len)
{
	size_t outlen, i, n;
	char *out, again[64];

	/* a roomy buffer, then one of exactly the right size, then too small */
	for (outlen = 41; outlen > 0; outlen = outlen > 21 ? 21 : outlen / 2) {
		out = malloc(outlen);
		must(out != NULL);
		if (avec_serial_normalize(s, out, outlen) == 0) {
			n = strnlen(out, outlen);
			must(n < outlen);
			must(n >= 2 && n <= 40 && n % 2 == 0 && n <= len);
			for (i = 0; i < n; i++)
				must(isxdigit((unsigned char)out[i]) &&
				     !isupper((unsigned char)out[i]));
			must(avec_serial_normalize(out, again,
						   sizeof(again)) == 0);
			must(strcmp(out, again) == 0);
		}
		free(out);
	}
}

static void
check_text(const char *s, size_t len)
{
	size_t i = 0, k;
	bool all = true;

	while (s[i] != '\0') {
		k = avec_utf8_char(s + i);
		must(k <= 4);
		if (k == 0) {
			all = false;
			break;
		}
		for (size_t j = 1; j < k; j++)
			must(s[i + j] != '\0');
		i += k;
	}
	must(i <= len);
	if (avec_text_valid(s, len + 1))
		must(all && len >= 1);
	if (avec_text_valid(s, 8))
		must(len <= 8);
	if (!all || len == 0)
		must(!avec_text_valid(s, len + 1));
	if (avec_device_name_valid(s))
		must(len <= AVEC_DEVICE_NAME_MAX &&
		     avec_text_valid(s, AVEC_DEVICE_NAME_MAX));
}

static void
check_names(const char *s, size_t len)
{
	size_t i;

	if (avec_username_valid(s, len)) {
		must(len == 19 && strncmp(s, "dv-", 3) == 0);
		for (i = 3; i < len; i++)
			must((s[i] >= 'a' && s[i] <= 'z') ||
			     (s[i] >= '2' && s[i] <= '7'));
	}
	if (avec_principal_valid(s)) {
		must(len >= 1 && len <= AVEC_PRINCIPAL_MAX);
		for (i = 0; i < len; i++)
			must(isalnum((unsigned char)s[i]) ||
			     strchr("._@$:-", s[i]) != NULL);
	}
	if (avec_uai_valid(s)) {
		must(len == 8 && isupper((unsigned char)s[7]));
		for (i = 0; i < 7; i++)
			must(isdigit((unsigned char)s[i]));
	}
	if (avec_dns_name_valid(s)) {
		must(len >= 1 && len <= AVEC_DNS_NAME_MAX);
		for (i = 0; i < len; i++)
			must(isalnum((unsigned char)s[i]) || s[i] == '-' ||
			     s[i] == '.');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off <= size) {
		const uint8_t *end = memchr(data + off, '\0', size - off);
		size_t len = end ? (size_t)(end - (data + off)) : size - off;
		char *s = malloc(len + 1);

		must(s != NULL);
		memcpy(s, data + off, len);
		s[len] = '\0';
		check_names(s, len);
		check_text(s, len);
		check_mac(s);
		check_serial(s, len);
		free(s);
		off += len + 1;
	}
	return 0;
}
