/*
 * fuzz_windows.c - libFuzzer harness for the weekly windows text of a
 * policy ("mon-fri 07:30-18:00, sat 08:00-12:30"): avec_windows_parse()
 * and avec_windows_format().
 *
 * An accepted text gives at most AVEC_WINDOWS_MAX windows, each with some
 * day of the week and 0 <= start < end <= 1440; its canonical text parses
 * back to the same windows and formats to the same text.  The error
 * message and a formatting into a short buffer stay NUL-terminated inside
 * the buffer (heap buffers of the exact size).  The first input byte
 * picks the short buffers' sizes; the rest is the text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avec/model.h"
#include "avec/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must(int cond)
{
	if (!cond)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct avec_window w[AVEC_WINDOWS_MAX], w2[AVEC_WINDOWS_MAX];
	char text[1024], text2[1024];
	size_t errlen, shortlen;
	char *s, *err, *shortbuf;
	uint8_t n = 0, n2 = 0, i;

	if (size < 1)
		return 0;
	errlen = 1 + data[0] % 64;
	shortlen = 1 + (data[0] >> 2) % 48;
	s = malloc(size);
	must(s != NULL);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	err = malloc(errlen);
	must(err != NULL);

	memset(w, 0, sizeof(w));
	if (avec_windows_parse(s, w, &n, err, errlen) < 0) {
		must(memchr(err, '\0', errlen) != NULL);
		goto out;
	}
	must(n <= AVEC_WINDOWS_MAX);
	for (i = 0; i < n; i++)
		must(w[i].days != 0 && w[i].days < 0x80 &&
		     w[i].start < w[i].end && w[i].end <= 1440);

	avec_windows_format(w, n, text, sizeof(text));
	must(memchr(text, '\0', sizeof(text)) != NULL);
	memset(w2, 0, sizeof(w2));
	if (avec_windows_parse(text, w2, &n2, err, errlen) < 0) {
		fprintf(stderr, "canonical windows refused: \"%s\"\n", text);
		abort();
	}
	if (n2 != n || memcmp(w, w2, n * sizeof(w[0])) != 0) {
		fprintf(stderr, "windows round trip differs: \"%s\"\n", text);
		abort();
	}
	avec_windows_format(w2, n2, text2, sizeof(text2));
	must(strcmp(text, text2) == 0);

	shortbuf = malloc(shortlen);
	must(shortbuf != NULL);
	avec_windows_format(w, n, shortbuf, shortlen);
	must(memchr(shortbuf, '\0', shortlen) != NULL);
	must(strncmp(shortbuf, text, strlen(shortbuf)) == 0);
	free(shortbuf);
out:
	free(err);
	free(s);
	return 0;
}
